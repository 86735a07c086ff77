"""Writes of the shared infrastructure: a user's own API token.

A token is DRF's ``authtoken.Token`` (one per user). Replacing deletes the old key in the same
transaction, and revoking deletes it: ``TokenAuthentication`` looks the key up on every request,
so a revoked key answers 401 from the next request on.
"""

from django.db import transaction
from rest_framework.authtoken.models import Token


@transaction.atomic
def api_token_create(*, user) -> Token:
    """A new key for ``user``; any key they had stops working."""
    Token.objects.filter(user=user).delete()
    return Token.objects.create(user=user)


def api_token_revoke(*, user) -> bool:
    """Delete ``user``'s key; False when there was none."""
    deleted, _rows = Token.objects.filter(user=user).delete()
    return bool(deleted)
