"""``common.sessions.SessionStore``: Django's database sessions, read with one plain SQL query."""

import datetime

import pytest
from django.conf import settings
from django.contrib.sessions.backends.db import SessionStore as DjangoStore
from django.contrib.sessions.models import Session
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from common.sessions import SessionStore

pytestmark = pytest.mark.django_db


def test_the_project_uses_it():
    assert settings.SESSION_ENGINE == "common.sessions"


def test_a_saved_session_reads_back_the_same_as_with_djangos_store():
    store = SessionStore()
    store["answer"] = {"value": 42, "text": "Grüße"}
    store.save()

    with CaptureQueriesContext(connection) as queries:
        loaded = SessionStore(store.session_key).load()

    assert loaded == DjangoStore(store.session_key).load() == {"answer": {"value": 42, "text": "Grüße"}}
    assert len(queries) == 1


def test_an_expired_session_is_not_read_and_loses_its_key():
    store = SessionStore()
    store["answer"] = 42
    store.save()
    Session.objects.filter(session_key=store.session_key).update(
        expire_date=timezone.now() - datetime.timedelta(seconds=1)
    )

    expired = SessionStore(store.session_key)
    assert expired.load() == {}
    assert expired.session_key is None


def test_an_unknown_or_missing_key_is_an_empty_session():
    assert SessionStore("x" * 32).load() == {}
    with CaptureQueriesContext(connection) as queries:
        assert SessionStore(None).load() == {}
    assert len(queries) == 0


def test_login_request_and_logout_go_through_it(client, rep):
    client.post(reverse("login"), {"username": rep.user.username, "password": "pw-for-tests-1"})
    key = client.cookies[settings.SESSION_COOKIE_NAME].value
    assert SessionStore(key).load()["_auth_user_id"] == str(rep.user.pk)
    assert client.get(reverse("home")).status_code == 200

    client.post(reverse("logout"))

    assert not Session.objects.filter(session_key=key).exists()
    client.cookies[settings.SESSION_COOKIE_NAME] = key  # an old cookie replayed
    assert client.get(reverse("home")).status_code == 302
