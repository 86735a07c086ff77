"""Passwords are validated where users get them; API tokens are revocable at once; the API throttles."""

import pytest
from django.contrib.auth import get_user_model
from django.core.cache import cache
from rest_framework.authtoken.models import Token
from rest_framework.settings import api_settings
from rest_framework.test import APIClient

User = get_user_model()
OPPORTUNITIES = "/api/v1/opportunities/"


def _token_client(key: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client


# --- Passwords -----------------------------------------------------------------------------------


@pytest.mark.parametrize("weak", ["12345678", "password", "rita2", "newuser1"])
def test_the_admin_refuses_a_weak_password_for_a_new_user(admin_client, weak):
    response = admin_client.post(
        "/admin/auth/user/add/",
        {"username": "newuser1", "password1": weak, "password2": weak, "usable_password": "true"},
    )

    assert response.status_code == 200
    assert response.context["adminform"].form.errors.get("password2")
    assert not User.objects.filter(username="newuser1").exists()


def test_the_admin_accepts_a_strong_password(admin_client):
    strong = "Correct-Horse-Battery-42"
    response = admin_client.post(
        "/admin/auth/user/add/",
        {"username": "newuser1", "password1": strong, "password2": strong, "usable_password": "true"},
    )

    assert response.status_code == 302
    assert User.objects.get(username="newuser1").check_password(strong)


def test_the_admin_refuses_a_weak_password_when_changing_one(admin_client, rep):
    response = admin_client.post(f"/admin/auth/user/{rep.user.pk}/password/", {"password1": "123", "password2": "123"})

    assert response.status_code == 200
    assert rep.user.check_password("pw-for-tests-1")


# --- The API token page --------------------------------------------------------------------------


def test_the_token_page_needs_a_login(client, db):
    response = client.get("/accounts/token/")

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_a_user_without_a_token_is_told_so_and_can_create_one(client, rep):
    client.force_login(rep.user)

    page = client.get("/accounts/token/")
    created = client.post("/accounts/token/", {"action": "create"})

    assert "You have no API token." in page.content.decode()
    assert page["Cache-Control"].startswith("max-age=0")
    token = Token.objects.get(user=rep.user)
    assert token.key in created.content.decode()
    assert _token_client(token.key).get(OPPORTUNITIES).status_code == 200


def test_the_key_is_shown_only_right_after_it_was_made(client, rep):
    client.force_login(rep.user)
    client.post("/accounts/token/", {"action": "create"})
    key = Token.objects.get(user=rep.user).key

    later = client.get("/accounts/token/").content.decode()

    assert key not in later
    assert "You have an API token" in later


def test_replacing_the_token_stops_the_old_key_at_once(client, rep):
    old = Token.objects.create(user=rep.user).key
    client.force_login(rep.user)

    client.post("/accounts/token/", {"action": "create"})

    new = Token.objects.get(user=rep.user).key
    assert new != old
    assert _token_client(old).get(OPPORTUNITIES).status_code == 401
    assert _token_client(new).get(OPPORTUNITIES).status_code == 200


def test_a_revoked_token_is_answered_401_at_once(client, rep):
    key = Token.objects.create(user=rep.user).key
    api = _token_client(key)
    assert api.get(OPPORTUNITIES).status_code == 200
    client.force_login(rep.user)

    response = client.post("/accounts/token/", {"action": "revoke"}, follow=True)

    assert response.status_code == 200
    assert "Your API token was revoked." in response.content.decode()
    assert not Token.objects.filter(user=rep.user).exists()
    assert api.get(OPPORTUNITIES).status_code == 401


def test_each_user_manages_only_their_own_token(client, rep, other_rep):
    otto_key = Token.objects.create(user=other_rep.user).key
    client.force_login(rep.user)

    client.post("/accounts/token/", {"action": "revoke"})

    assert Token.objects.filter(key=otto_key).exists()


def test_an_unknown_action_changes_nothing(client, rep):
    key = Token.objects.create(user=rep.user).key
    client.force_login(rep.user)

    response = client.post("/accounts/token/", {"action": "steal"})

    assert response.status_code == 400
    assert Token.objects.get(user=rep.user).key == key


def test_the_token_page_is_translated(client, rep):
    client.force_login(rep.user)

    response = client.get("/accounts/token/", HTTP_ACCEPT_LANGUAGE="de")

    assert '<html lang="de">' in response.content.decode()


# --- Throttling ----------------------------------------------------------------------------------


@pytest.fixture
def two_per_minute(monkeypatch):
    for throttle_class in api_settings.DEFAULT_THROTTLE_CLASSES:
        monkeypatch.setattr(throttle_class, "THROTTLE_RATES", {**throttle_class.THROTTLE_RATES, "token": "2/minute"})
    cache.clear()
    yield
    cache.clear()


def test_the_api_answers_429_with_a_translated_message(two_per_minute, rep):
    api = _token_client(Token.objects.create(user=rep.user).key)
    api.get(OPPORTUNITIES)
    api.get(OPPORTUNITIES)

    english = api.get(OPPORTUNITIES)
    german = api.get(OPPORTUNITIES, HTTP_ACCEPT_LANGUAGE="de")

    assert english.status_code == german.status_code == 429
    assert english.json()["code"] == "throttled"
    assert "throttled" in english.json()["detail"]
    assert german.json()["detail"] != english.json()["detail"]
    assert int(german["Retry-After"]) > 0
