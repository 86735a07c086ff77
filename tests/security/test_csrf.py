"""CSRF: every state-changing UI request (the POST rows of the permission matrix) is refused with 403
without a token, and gets past the check with one."""

import pytest
from django.core.cache import cache
from django.urls import reverse

from tests.security.matrix import PERSONAS, build_world, client_for, in_savepoint
from tests.security.test_permission_matrix import UI, UI_DATA, UI_KWARGS

# Rows where every persona gets 405 (the health check) change nothing.
POSTS = sorted(key for key, methods in UI.items() if "POST" in methods and set(methods["POST"]) != {405})


@pytest.fixture
def world(cycle, rep, other_rep, manager, plain_user):
    cache.clear()  # the enquiry form's rate limit counts in the cache
    return build_world(cycle=cycle, rep=rep, other_rep=other_rep, manager=manager, plain_user=plain_user)


def _persona_allowed(key: str) -> tuple[str, int]:
    """The first persona the matrix lets through (not a redirect to the login, 403 or 404)."""
    for persona, status in zip(PERSONAS, UI[key]["POST"], strict=True):
        if isinstance(status, int) and status not in (403, 404, 405):
            return persona, status
    raise AssertionError(f"no persona may POST to {key}")


def test_every_state_changing_ui_url_is_covered():
    assert len(POSTS) >= 25


@pytest.mark.parametrize("key", POSTS)
def test_a_post_without_a_csrf_token_is_refused(world, key):
    persona, _status = _persona_allowed(key)
    url = reverse(key.split(" ")[0], kwargs=UI_KWARGS.get(key, lambda w: {})(world))
    data = UI_DATA.get((key, "POST"), lambda w: {})(world)
    client = client_for(persona, world, api=False, enforce_csrf_checks=True)

    response = in_savepoint(lambda: client.post(url, data))

    assert response.status_code == 403, response.status_code
    assert b"CSRF" in response.content or response.reason_phrase == "Forbidden"


@pytest.mark.parametrize("key", POSTS)
def test_a_post_with_a_csrf_token_gets_through(world, key):
    persona, status = _persona_allowed(key)
    url = reverse(key.split(" ")[0], kwargs=UI_KWARGS.get(key, lambda w: {})(world))
    data = UI_DATA.get((key, "POST"), lambda w: {})(world)
    client = client_for(persona, world, api=False, enforce_csrf_checks=True)
    client.get(reverse("login"))  # sets the CSRF cookie, as any page with a form does
    token = client.cookies["csrftoken"].value

    response = in_savepoint(lambda: client.post(url, {**data, "csrfmiddlewaretoken": token}))

    assert response.status_code == status
