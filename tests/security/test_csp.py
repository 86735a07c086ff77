"""The Content-Security-Policy header: strict everywhere, inline styles only where a page needs them,
never inline scripts."""

import pytest

STRICT = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self'",
    "img-src": "'self' data:",
    "frame-ancestors": "'none'",
    "form-action": "'self'",
    "object-src": "'none'",
    "base-uri": "'self'",
}


def _policy(response) -> dict[str, str]:
    header = response["Content-Security-Policy"]
    return {part.split(" ", 1)[0]: part.split(" ", 1)[1] for part in (p.strip() for p in header.split(";")) if part}


@pytest.mark.parametrize("url", ["/", "/pipeline/", "/reports/", "/leads/", "/opportunities/", "/tasks/", "/contacts/"])
def test_ui_pages_send_the_strict_policy(client, manager, cycle, url):
    client.force_login(manager)

    policy = _policy(client.get(url))

    for directive, value in STRICT.items():
        assert policy[directive] == value, directive


def test_the_login_page_sends_the_strict_policy(client, db):
    policy = _policy(client.get("/accounts/login/"))

    assert policy["script-src"] == "'self'"
    assert policy["style-src"] == "'self'"


@pytest.mark.parametrize("url", ["/admin/", "/admin/contacts/contact/", "/admin/login/"])
def test_the_admin_allows_inline_styles_but_no_inline_scripts(admin_client, url):
    policy = _policy(admin_client.get(url))

    assert policy["style-src"] == "'self' 'unsafe-inline'"
    assert policy["script-src"] == "'self'"
    assert policy["frame-ancestors"] == "'none'"


def test_swagger_ui_runs_under_the_strict_policy(client, rep):
    client.force_login(rep.user)

    page = client.get("/api/v1/docs/")
    script = client.get("/api/v1/docs/", {"script": ""})

    assert _policy(page)["script-src"] == "'self'"
    assert _policy(page)["style-src"] == "'self'"
    assert "<script>" not in page.content.decode()  # only <script src=...>
    assert "<style>" not in page.content.decode()
    assert script.status_code == 200


def test_redoc_allows_inline_styles_and_a_blob_worker_but_no_inline_scripts(client, rep):
    client.force_login(rep.user)

    policy = _policy(client.get("/api/v1/docs/redoc/"))

    assert policy["style-src"] == "'self' 'unsafe-inline'"
    assert policy["worker-src"] == "'self' blob:"
    assert policy["script-src"] == "'self'"


def test_no_policy_anywhere_allows_inline_scripts_or_eval(client, admin_client, rep):
    client.force_login(rep.user)
    responses = [client.get(url) for url in ("/", "/api/v1/docs/", "/api/v1/docs/redoc/", "/api/v1/schema/")]
    responses.append(admin_client.get("/admin/"))

    for response in responses:
        header = response["Content-Security-Policy"]
        script_src = _policy(response)["script-src"]
        assert "unsafe-inline" not in script_src and "unsafe-eval" not in script_src, header
