"""`manage.py check --deploy` is clean with the production settings of the README."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

PRODUCTION = {
    "DEBUG": "false",
    "SECRET_KEY": "a-long-random-production-key-9f3Kq7Zp2Lm8Xc4Vb6Nn1Hh5Jj0Gg3Tt",
    "ALLOWED_HOSTS": "crm.example.com",
    "CSRF_TRUSTED_ORIGINS": "https://crm.example.com",
    "BEHIND_TLS_PROXY": "true",
    "SECURE_SSL_REDIRECT": "true",
    # HSTS is off by default until HTTPS is known to work; production sets it (README). Preloading is
    # the domain owner's decision (W021 reminds of it when off), so the test opts in.
    "SECURE_HSTS_SECONDS": "31536000",
    "SECURE_HSTS_PRELOAD": "true",
}


# Set for the browser tests of this very process (Playwright's event loop), never in production.
TEST_ONLY = {"DJANGO_ALLOW_ASYNC_UNSAFE"}


def _check_deploy(extra: dict) -> subprocess.CompletedProcess:
    environment = {key: value for key, value in os.environ.items() if key not in PRODUCTION and key not in TEST_ONLY}
    environment.update(PRODUCTION)
    environment.update(extra)
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_check_deploy_is_clean_with_production_settings():
    result = _check_deploy({})

    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues (0 silenced)" in result.stdout


def test_check_deploy_warns_while_hsts_is_off():
    result = _check_deploy({"SECURE_HSTS_SECONDS": "0"})

    assert result.returncode != 0
    assert "security.W004" in result.stderr


def test_production_refuses_to_start_without_a_secret_key():
    result = _check_deploy({"SECRET_KEY": ""})

    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


def test_the_security_headers_are_sent(client, db, settings):
    response = client.get("/accounts/login/")

    assert response["X-Frame-Options"] == "DENY"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"
    assert response["X-Content-Type-Options"] == "nosniff"


def test_hsts_is_sent_over_https_when_configured(client, db, settings):
    settings.SECURE_HSTS_SECONDS = 31536000
    settings.SECURE_HSTS_INCLUDE_SUBDOMAINS = True

    response = client.get("/accounts/login/", secure=True)

    assert response["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"
