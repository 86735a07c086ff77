"""The OpenAPI document and its browsable UI (SPEC §7): for signed-in users, served without a CDN."""

import re

import pytest

SCHEMA = "/api/v1/schema/"
DOCS = "/api/v1/docs/"

# Every path of the SPEC §7 table except leads/ and reports/, with the methods the table names.
SPEC_PATHS = {
    "salespeople/": {"get", "post"},
    "salespeople/{}/": {"get", "patch", "delete"},
    "contacts/": {"get", "post"},
    "contacts/{}/": {"get", "patch", "delete"},
    "contacts/{}/duplicates/": {"get"},
    "sales-cycles/": {"get", "post"},
    "sales-cycles/{}/": {"get", "patch", "delete"},
    "sales-cycles/{}/stages/": {"get", "post"},
    "sales-cycles/{}/stages/{}/": {"get", "patch", "delete"},
    "sales-cycles/{}/statistics/": {"get"},
    "close-codes/": {"get", "post"},
    "close-codes/{}/": {"get", "patch", "delete"},
    "activities/": {"get", "post"},
    "activities/{}/": {"get", "patch", "delete"},
    "opportunities/": {"get", "post"},
    "opportunities/{}/": {"get", "patch", "delete"},
    "opportunities/{}/activate/": {"post"},
    "opportunities/{}/update-stage/": {"post"},
    "opportunities/{}/close/": {"post"},
    "opportunities/{}/entries/": {"get"},
    "opportunities/{}/quote/": {"get", "put", "delete"},
    "tasks/": {"get", "post"},
    "tasks/{}/": {"get", "patch"},
}
CDN_MARKERS = ("cdn.", "unpkg", "jsdelivr", "cdnjs", "googleapis")


def _schema_paths(document: dict) -> dict[str, set[str]]:
    paths = {}
    for path, operations in document["paths"].items():
        key = re.sub(r"\{[^}]+\}", "{}", path.removeprefix("/api/v1/"))
        paths[key] = {method for method in operations if method in {"get", "post", "put", "patch", "delete"}}
    return paths


@pytest.fixture
def schema(rep_api):
    response = rep_api.get(SCHEMA, {"format": "json"})
    assert response.status_code == 200, response.content
    return response.json()


def test_the_schema_is_an_openapi_3_document(schema):
    assert schema["openapi"].startswith("3.")
    assert schema["info"]["title"]


@pytest.mark.parametrize("path", SPEC_PATHS)
def test_the_schema_documents_every_path_of_the_contract(path, schema):
    paths = _schema_paths(schema)

    assert path in paths, sorted(paths)
    assert paths[path] >= SPEC_PATHS[path]


def test_the_schema_describes_the_refusals_as_409_with_detail_and_code(schema):
    operation = schema["paths"]["/api/v1/opportunities/{no}/update-stage/"]["post"]

    assert {"200", "400", "401", "403", "404", "409"} <= set(operation["responses"])
    assert schema["components"]["schemas"]["Error"]["required"] == ["code", "detail"]


def test_the_schema_names_the_opportunity_filters(schema):
    parameters = {parameter["name"] for parameter in schema["paths"]["/api/v1/opportunities/"]["get"]["parameters"]}

    assert {
        "status",
        "salesperson",
        "sales_cycle",
        "current_stage",
        "contact",
        "contact_company",
        "priority",
        "closed",
        "estimated_closing_date_after",
        "estimated_closing_date_before",
        "search",
        "ordering",
        "page",
        "page_size",
    } <= parameters


def test_the_schema_is_served_as_yaml_by_default(rep_api):
    response = rep_api.get(SCHEMA)

    assert response.status_code == 200
    assert b"openapi: 3." in response.content


def test_an_anonymous_request_for_the_schema_is_answered_401(anon_api, db):
    assert anon_api.get(SCHEMA).status_code == 401


def test_a_signed_in_user_without_a_salesperson_reads_the_schema_too(plain_api):
    assert plain_api.get(SCHEMA, {"format": "json"}).status_code == 200


@pytest.mark.parametrize("url", [DOCS, "/api/v1/docs/redoc/"])
def test_the_documentation_page_is_served_to_a_browser_session_without_a_cdn(url, client, rep):
    client.force_login(rep.user)

    response = client.get(url)

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    html = response.content.decode()
    assert "drf_spectacular_sidecar" in html  # the UI's scripts come from our own static files
    for marker in CDN_MARKERS:
        assert marker not in html, marker


def test_the_swagger_page_loads_our_schema(client, rep):
    client.force_login(rep.user)

    html = client.get(DOCS).content.decode()
    # Swagger UI's start-up script is a request of its own (no inline script: the CSP forbids them).
    script = client.get(DOCS, {"script": ""})

    assert f'src="{DOCS}?script="' in html
    assert script["Content-Type"].startswith("application/javascript")
    assert SCHEMA in script.content.decode()


@pytest.mark.parametrize("url", [DOCS, "/api/v1/docs/redoc/"])
def test_an_anonymous_visitor_of_the_documentation_is_sent_to_the_login_page(url, client, db):
    response = client.get(url)

    assert response.status_code == 302
    assert response["Location"] == f"/accounts/login/?next={url}"
