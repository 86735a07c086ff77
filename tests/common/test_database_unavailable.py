"""A database that goes away: a clean 503 (page or JSON), never a crash page, and recovery after."""

import urllib.error
import urllib.request

import pytest
from django.db import OperationalError, connection
from django.test import Client
from django.urls import reverse
from rest_framework.authtoken.models import Token

from opportunities import api as opportunities_api
from opportunities.views import dashboard


@pytest.fixture
def crashing_client():
    # Django's test client re-raises a view's exception by default; a browser gets the error page.
    return Client(raise_request_exception=False)


def _break(monkeypatch, target, name, error):
    def broken(*args, **kwargs):
        raise error

    monkeypatch.setattr(target, name, broken)


def test_a_page_answers_503_with_a_retry_hint_when_the_database_is_gone(crashing_client, rep, monkeypatch):
    crashing_client.force_login(rep.user)
    _break(monkeypatch, dashboard.reports, "pipeline_summary", OperationalError("server closed the connection"))

    response = crashing_client.get(reverse("home"), HTTP_ACCEPT_LANGUAGE="de")

    assert response.status_code == 503
    assert response["Retry-After"] == "30"
    content = response.content.decode()
    assert "Vorübergehend nicht verfügbar" in content  # translated, rendered without the database
    assert "server closed the connection" not in content  # no internals


def test_the_api_answers_503_in_its_json_error_shape(crashing_client, rep, monkeypatch):
    _break(monkeypatch, opportunities_api.OpportunityViewSet, "get_queryset", OperationalError("connection refused"))
    token = Token.objects.create(user=rep.user)

    response = crashing_client.get("/api/v1/opportunities/", HTTP_AUTHORIZATION=f"Token {token.key}")

    assert response.status_code == 503
    assert response["Retry-After"] == "30"
    assert response.json() == {
        "detail": "The database is unavailable. Try again in a moment.",
        "code": "service_unavailable",
    }


def test_any_other_crash_stays_a_500_without_a_retry_hint(crashing_client, rep, monkeypatch):
    _break(monkeypatch, opportunities_api.OpportunityViewSet, "get_queryset", RuntimeError("a bug"))
    token = Token.objects.create(user=rep.user)

    api = crashing_client.get("/api/v1/opportunities/", HTTP_AUTHORIZATION=f"Token {token.key}")
    _break(monkeypatch, dashboard.reports, "pipeline_summary", RuntimeError("a bug"))
    crashing_client.force_login(rep.user)
    page = crashing_client.get(reverse("home"))

    assert (api.status_code, api.json()["code"]) == (500, "server_error")
    assert page.status_code == 500 and "Server error" in page.content.decode()
    assert not api.has_header("Retry-After") and not page.has_header("Retry-After")


def _get(url: str, **headers) -> tuple[int, str]:
    request = urllib.request.Request(url, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def _maintenance_connection():
    """A connection to the server's "postgres" database: a database cannot close itself."""
    import psycopg2

    settings = connection.settings_dict
    admin = psycopg2.connect(
        dbname="postgres",
        host=settings["HOST"] or None,
        port=settings["PORT"] or None,
        user=settings["USER"] or None,
        password=settings["PASSWORD"] or None,
    )
    admin.autocommit = True
    return admin


def _backend_pid() -> int:
    with connection.cursor() as cursor:  # the test's own connection stays (it checks the data)
        cursor.execute("SELECT pg_backend_pid()")
        return cursor.fetchone()[0]


@pytest.mark.postgresql
@pytest.mark.django_db(transaction=True)
def test_a_real_outage_gives_503_and_the_app_recovers_when_the_database_returns(live_server, rep):
    """PostgreSQL refuses new connections (as while it restarts) and drops the server's ones."""
    token = Token.objects.create(user=rep.user).key
    api = f"{live_server.url}/api/v1/opportunities/"
    name = connection.settings_dict["NAME"]
    assert _get(api, Authorization=f"Token {token}")[0] == 200

    admin = _maintenance_connection()
    try:
        with admin.cursor() as cursor:
            cursor.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS false')
            cursor.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s AND pid <> %s",
                [name, _backend_pid()],
            )
        down_api = _get(api, Authorization=f"Token {token}")
        down_health = _get(f"{live_server.url}/health/")
    finally:
        with admin.cursor() as cursor:
            cursor.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true')
        admin.close()

    assert down_api[0] == 503 and '"code":"service_unavailable"' in down_api[1].replace(" ", "")
    assert down_health[0] == 503
    # Back: the next requests connect afresh, nothing to restart.
    assert _get(api, Authorization=f"Token {token}")[0] == 200
    assert _get(f"{live_server.url}/health/")[0] == 200
