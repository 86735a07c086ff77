"""Login brute force (django-axes): AXES_FAILURE_LIMIT wrong passwords per username and address lock
that pair out for AXES_COOLOFF_TIME, on the UI login and the admin login; API tokens are not affected."""

import datetime

import pytest
from axes.models import AccessAttempt
from axes.utils import reset
from django.urls import reverse
from django.utils import timezone
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

PASSWORD = "pw-for-tests-1"
LOCKED = "Logging in as this user from your address is locked after 5 failed attempts."


@pytest.fixture(autouse=True)
def _five_failures_fifteen_minutes(settings):
    settings.AXES_FAILURE_LIMIT = 5
    settings.AXES_COOLOFF_TIME = datetime.timedelta(minutes=15)


def _log_in(client, username: str, password: str, url: str = "/accounts/login/"):
    return client.post(url, {"username": username, "password": password})


def _fail_five_times(client, username: str, url: str = "/accounts/login/") -> list[int]:
    return [_log_in(client, username, "wrong password", url).status_code for _ in range(5)]


def test_five_wrong_passwords_lock_the_user_out_even_with_the_right_password(client, rep):
    statuses = _fail_five_times(client, "rita")

    refused = _log_in(client, "rita", PASSWORD)

    assert statuses == [200, 200, 200, 200, 429]
    assert refused.status_code == 429
    assert LOCKED in refused.content.decode()
    assert "Try again in 15 minutes" in refused.content.decode()
    assert "_auth_user_id" not in client.session


def test_four_wrong_passwords_do_not_lock_and_a_success_resets_the_count(client, rep):
    for _ in range(4):
        _log_in(client, "rita", "wrong password")

    assert _log_in(client, "rita", PASSWORD).status_code == 302
    assert not AccessAttempt.objects.filter(username="rita").exists()


def test_the_lockout_page_is_translated(client, rep):
    _fail_five_times(client, "rita")

    refused = client.post("/accounts/login/", {"username": "rita", "password": PASSWORD}, HTTP_ACCEPT_LANGUAGE="de")

    assert refused.status_code == 429
    assert '<html lang="de">' in refused.content.decode()


def test_another_user_is_not_affected(client, rep, other_rep):
    _fail_five_times(client, "rita")

    assert _log_in(client, "otto", PASSWORD).status_code == 302


def test_the_same_user_from_another_address_is_not_affected(client, rep):
    _fail_five_times(client, "rita")

    response = client.post("/accounts/login/", {"username": "rita", "password": PASSWORD}, REMOTE_ADDR="10.1.2.3")

    assert response.status_code == 302


def test_the_lock_ends_after_the_cool_off(client, rep):
    _fail_five_times(client, "rita")
    AccessAttempt.objects.filter(username="rita").update(attempt_time=timezone.now() - datetime.timedelta(minutes=16))

    assert _log_in(client, "rita", PASSWORD).status_code == 302


def test_an_administrator_can_unlock_at_once(client, rep):
    _fail_five_times(client, "rita")

    reset(username="rita")

    assert _log_in(client, "rita", PASSWORD).status_code == 302


def test_the_admin_login_is_limited_too(client, manager):
    manager.is_staff = True
    manager.save(update_fields=["is_staff"])
    url = reverse("admin:login")

    statuses = _fail_five_times(client, "mona", url)
    refused = _log_in(client, "mona", PASSWORD, url)

    assert statuses[-1] == 429
    assert refused.status_code == 429
    assert LOCKED in refused.content.decode()


def test_api_tokens_keep_working_for_a_locked_out_user(client, rep):
    _fail_five_times(client, "rita")
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=rep.user).key}")

    assert api.get("/api/v1/opportunities/").status_code == 200


def test_force_login_and_sessions_are_not_affected(client, rep):
    _fail_five_times(client, "rita")
    client.force_login(rep.user)

    assert client.get("/").status_code == 200
