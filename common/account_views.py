"""The signed-in user's own API token (see, create or replace, revoke; common/services.py does
the writing), and the lockout page of django-axes."""

import math

from axes.helpers import get_cool_off, get_failure_limit
from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods
from rest_framework.authtoken.models import Token

from common.services import api_token_create, api_token_revoke


@never_cache  # the page shows a secret right after it was made
@require_http_methods(["GET", "HEAD", "POST"])
def api_token(request):
    new_key = None
    if request.method == "POST":
        action = request.POST.get("action")
        if action == "create":
            new_key = api_token_create(user=request.user).key
        elif action == "revoke":
            if api_token_revoke(user=request.user):
                messages.success(
                    request, _("Your API token was revoked. Programs that used it are refused from now on.")
                )
            return redirect("api_token")
        else:
            return render(request, "registration/api_token.html", _context(request, None), status=400)
    return render(request, "registration/api_token.html", _context(request, new_key))


def _context(request, new_key: str | None) -> dict:
    token = Token.objects.filter(user=request.user).only("created").first()
    return {"token": token, "new_key": new_key}


def locked_out(request, original_response=None, credentials=None):
    """django-axes' lockout answer (``AXES_LOCKOUT_CALLABLE``): a translated page, status 429.

    The same for the UI login and the admin login; the password was not checked.
    """
    cool_off = get_cool_off(request)
    context = {
        "failure_limit": get_failure_limit(request, credentials),
        "minutes": math.ceil(cool_off.total_seconds() / 60) if cool_off else None,
    }
    return render(request, "registration/locked_out.html", context, status=429)
