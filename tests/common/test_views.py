"""Web basics: health check, login everywhere, languages, the home page (the dashboard), settings safety.

The dashboard's figures are tested in tests/ui/test_dashboard.py."""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.db import DatabaseError, connection
from django.urls import reverse

from opportunities.services import opportunity_create
from tests.factories import PersonFactory

BASE_DIR = Path(settings.BASE_DIR)


# --- health -------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_health_answers_ok_without_login(client):
    response = client.get("/health/")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response.json()["status"] == "ok"
    assert "no-cache" in response["Cache-Control"]


@pytest.mark.django_db
def test_health_answers_503_when_the_database_fails(client, monkeypatch):
    def broken_cursor(*args, **kwargs):
        raise DatabaseError("connection refused")

    monkeypatch.setattr(connection, "cursor", broken_cursor)
    response = client.get("/health/")
    assert response.status_code == 503
    assert response.json()["status"] == "error"


@pytest.mark.django_db
def test_health_answers_a_head_probe(client):
    assert client.head("/health/").status_code == 200


@pytest.mark.django_db
def test_health_refuses_writes(client):
    assert client.post("/health/").status_code == 405


# --- login required -----------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_home_page_sends_an_anonymous_user_to_the_login_page(client):
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('login')}?next=/"


@pytest.mark.django_db
def test_the_admin_sends_an_anonymous_user_to_its_login_page(client):
    response = client.get("/admin/")
    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")
    assert "next=/admin/" in response["Location"]


@pytest.mark.django_db
def test_an_admin_page_sends_an_anonymous_user_to_the_login_page(client):
    response = client.get("/admin/opportunities/opportunity/")
    assert response.status_code == 302
    assert "/login/" in response["Location"]


@pytest.mark.django_db
def test_the_logout_url_sends_an_anonymous_user_to_the_login_page(client):
    response = client.get("/accounts/logout/")
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


# --- languages ----------------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("language", ["en", "de", "nl", "fi", "nb", "es"])
def test_the_login_page_renders_in_each_language(client, language):
    response = client.get("/accounts/login/", headers={"accept-language": f"{language},en;q=0.5"})
    assert response.status_code == 200
    assert re.search(rf'<html lang="{language}"', response.content.decode())


@pytest.mark.django_db
def test_the_login_page_falls_back_to_english_for_another_language(client):
    response = client.get("/accounts/login/", headers={"accept-language": "ja"})
    assert response.status_code == 200
    assert '<html lang="en"' in response.content.decode()


# --- home ---------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_rep_logging_in_lands_on_home_and_sees_only_their_own_figures(client, cycle, rep, other_rep):
    for _ in range(2):
        opportunity_create(user=rep.user, description="Rep deal", contact=PersonFactory(), sales_cycle=cycle)
    for _ in range(3):
        opportunity_create(user=other_rep.user, description="Other deal", contact=PersonFactory(), sales_cycle=cycle)

    response = client.post(reverse("login"), {"username": "rita", "password": "pw-for-tests-1"})
    assert response.status_code == 302
    assert response["Location"] == reverse("home")

    response = client.get(reverse("home"))
    assert response.status_code == 200
    summary = response.context["summary"]
    assert summary["open"]["count"] == 2
    assert summary["won_this_month"]["count"] == 0


@pytest.mark.django_db
def test_a_user_without_a_salesperson_sees_no_figures(client, plain_user, cycle, rep):
    opportunity_create(user=rep.user, description="Rep deal", contact=PersonFactory(), sales_cycle=cycle)
    client.force_login(plain_user)
    response = client.get(reverse("home"))
    assert response.status_code == 200
    assert response.context["summary"]["open"]["count"] == 0
    assert "not linked to a salesperson" in response.content.decode()


@pytest.mark.django_db
def test_a_manager_sees_the_figures_of_all_salespeople(client, manager, cycle, rep, other_rep):
    opportunity_create(user=rep.user, description="Rep deal", contact=PersonFactory(), sales_cycle=cycle)
    opportunity_create(user=other_rep.user, description="Other deal", contact=PersonFactory(), sales_cycle=cycle)
    client.force_login(manager)
    response = client.get(reverse("home"))
    assert response.status_code == 200
    assert response.context["summary"]["open"]["count"] == 2


# --- settings -----------------------------------------------------------------------------------


def _import_settings(**env) -> subprocess.CompletedProcess:
    base = {key: os.environ[key] for key in ("PATH", "SYSTEMROOT") if key in os.environ}
    return subprocess.run(
        [sys.executable, "-c", "import config.settings"],
        cwd=BASE_DIR,
        env={**base, **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_settings_refuse_to_load_without_a_secret_key_when_debug_is_off():
    result = _import_settings(DEBUG="false")
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert "SECRET_KEY must be set when DEBUG is off." in result.stderr


def test_settings_load_with_a_secret_key_when_debug_is_off():
    result = _import_settings(DEBUG="false", SECRET_KEY="a-real-secret-for-this-test-only")
    assert result.returncode == 0, result.stderr


def test_settings_load_without_a_secret_key_in_development():
    result = _import_settings()
    assert result.returncode == 0, result.stderr
