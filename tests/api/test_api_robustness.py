"""Hostile input never makes the API answer 500 (SPEC §7), and API errors stay JSON.

NUL characters, numbers beyond any column's range, bodies that are not JSON objects, odd
languages and huge strings, each sent where it reaches the deepest code: path keys, query
filters, pagination, body fields and the references a body carries. The schema-driven fuzz test
(test_schema_fuzz.py) sends random data; these are the classic cases, sent on purpose.
"""

import json

import pytest

from opportunities import services

HUGE = 10**20  # beyond a 64-bit integer
LONG = "x" * 100_000
BASE = "/api/v1"


@pytest.fixture
def world(opportunity, won_code, lost_code, manager):
    """The five-stage cycle NEW with an activity, a not-started and an in-progress opportunity."""
    started = services.opportunity_create(
        user=manager,
        description="Started",
        contact=opportunity.contact,
        salesperson=opportunity.salesperson,
        sales_cycle=opportunity.sales_cycle,
    )
    services.opportunity_activate(opportunity=started, user=manager)
    return {"not_started": opportunity.no, "started": started.no, "contact": opportunity.contact.no}


def assert_no_server_error(response) -> None:
    assert response.status_code < 500, (response.status_code, response.content[:500])
    if response.status_code != 204:
        # Every API answer, errors included, is JSON (an integration parses it as such).
        assert response["Content-Type"].startswith("application/json"), (
            response.status_code,
            response["Content-Type"],
            response.content[:200],
        )


def send(client, method: str, path: str, body=None, *, raw: bytes | str | None = None, content_type=None, **extra):
    """A request with a JSON body, or with ``raw`` bytes in ``content_type``."""
    if raw is not None:
        return client.generic(method, path, raw, content_type=content_type or "application/json", **extra)
    if body is None:
        return client.generic(method, path, **extra)
    return client.generic(method, path, json.dumps(body), content_type="application/json", **extra)


# --- NUL characters --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        f"{BASE}/contacts/CT%00001/",
        f"{BASE}/opportunities/%00/entries/",
        f"{BASE}/sales-cycles/NEW%00/stages/",
        f"{BASE}/opportunities/?search=a%00b",
        f"{BASE}/opportunities/?salesperson=%00",
        f"{BASE}/opportunities/?ordering=%00no",
        # The NUL hides in the first value of a repeated parameter.
        f"{BASE}/opportunities/?status=%00&status=won",
        f"{BASE}/contacts/?%00=1",
        f"{BASE}/sales-cycles/NEW/statistics/?salesperson=A%00",
    ],
)
def test_nul_in_path_or_query_is_a_400(world, manager_api, path):
    response = manager_api.get(path)
    assert response.status_code == 400, response.content
    assert response.json()["code"] == "invalid_characters"


def test_nul_in_a_header_or_cookie_is_a_400(world, manager_api, anon_api):
    assert send(manager_api, "GET", f"{BASE}/contacts/", HTTP_ACCEPT_LANGUAGE="de\x00").status_code == 400
    # The token and the session key are looked up in the database, where psycopg2 refuses a NUL
    # with a ValueError: both were a 500.
    assert send(anon_api, "GET", f"{BASE}/contacts/", HTTP_AUTHORIZATION="Token abc\x00def").status_code == 400
    anon_api.cookies["sessionid"] = "abcdefghijkl\x00mnopqrstuvwxyz"
    assert send(anon_api, "GET", f"{BASE}/contacts/").status_code == 400


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("POST", "/contacts/", {"type": "company", "name": "Nul\x00 Ltd"}),
        ("POST", "/contacts/", {"type": "person", "first_name": "A", "surname": "B", "company": "CT\x00"}),
        ("POST", "/contacts/", {"type": "company", "name": "Ok", "salesperson": "RE\x00P"}),
        ("POST", "/opportunities/", {"description": "Deal", "contact": "CT\x00001"}),
        ("POST", "/opportunities/", {"description": "Deal", "contact": "{contact}", "sales_cycle": "NEW\x00"}),
        ("POST", "/opportunities/", {"description": "Deal\x00", "contact": "{contact}", "sales_cycle": "NEW"}),
        ("PATCH", "/opportunities/{not_started}/", {"salesperson": "\x00"}),
        ("POST", "/opportunities/{started}/close/", {"outcome": "won", "close_code": "WON\x00PRICE"}),
        ("POST", "/opportunities/{started}/update-stage/", {"action": "next", "note": "\x00"}),
        ("POST", "/tasks/", {"description": "Call", "date": "2026-03-02", "opportunity": "OP\x00"}),
        ("POST", "/salespeople/", {"code": "NUL", "name": "Nul", "user": "ri\x00ta"}),
        ("PATCH", "/sales-cycles/NEW/stages/2/", {"activity": "INT\x00RO"}),
        ("POST", "/activities/", {"code": "A\x00", "description": "x"}),
        ("POST", "/close-codes/", {"\x00": "key with a NUL"}),
    ],
)
def test_nul_in_a_body_field_or_reference_is_a_400(world, manager_api, method, path, body):
    body = {key: value.format(**world) if isinstance(value, str) else value for key, value in body.items()}
    response = send(manager_api, method, BASE + path.format(**world), body)
    assert_no_server_error(response)
    assert response.status_code == 400, response.content


def test_nul_in_a_form_body_is_a_400(world, manager_api):
    response = manager_api.post(f"{BASE}/contacts/", {"type": "company", "name": "Nul\x00"}, format="multipart")
    assert response.status_code == 400


# --- numbers beyond range --------------------------------------------------------------------


@pytest.mark.parametrize(
    "query",
    [
        f"page={HUGE}",
        f"page=-{HUGE}",
        f"page_size={HUGE}",
        f"page_size=-{HUGE}",
        "page=1e999",
        f"current_stage={HUGE}",
        "current_stage=-1",
        "current_stage=1e400",
        f"priority={HUGE}",
        "estimated_closing_date_after=0000-01-01",
        "estimated_closing_date_after=9999-12-31&estimated_closing_date_before=0001-01-01",
        f"estimated_closing_date_before={HUGE}-01-01",
    ],
)
def test_huge_or_odd_numbers_in_list_queries(world, manager_api, query):
    assert_no_server_error(manager_api.get(f"{BASE}/opportunities/?{query}"))


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("GET", f"/sales-cycles/NEW/stages/{HUGE}/", None),
        ("PATCH", f"/sales-cycles/NEW/stages/{HUGE}/", {"description": "x"}),
        ("DELETE", f"/sales-cycles/NEW/stages/{HUGE}/", None),
        ("POST", "/sales-cycles/NEW/stages/", {"stage": HUGE, "description": "Huge"}),
        ("POST", "/sales-cycles/NEW/stages/", {"stage": 2**63, "description": "Just beyond 64 bits"}),
        ("PATCH", "/sales-cycles/NEW/stages/2/", {"stage": HUGE}),
        ("POST", "/activities/", {"code": "BIG", "description": "x", "steps": [{"step_no": HUGE, "description": "x"}]}),
        ("POST", "/opportunities/{started}/update-stage/", {"action": "jump", "stage": HUGE}),
        ("POST", "/opportunities/{started}/update-stage/", {"action": "skip", "stage": -HUGE}),
        ("POST", "/opportunities/{started}/update-stage/", {"action": "update", "estimated_value": "1e999999"}),
        ("POST", "/opportunities/{started}/update-stage/", {"action": "update", "estimated_value": "NaN"}),
        ("POST", "/opportunities/{started}/update-stage/", {"action": "update", "chances_of_success_pct": "-Infinity"}),
        ("POST", "/opportunities/{started}/update-stage/", {"action": "update", "estimated_value": 1e308}),
        ("POST", "/opportunities/{started}/update-stage/", {"action": "update", "estimated_value": HUGE}),
        (
            "POST",
            "/opportunities/{started}/close/",
            {"outcome": "won", "close_code": "WON-PRICE", "sales_amount": HUGE},
        ),
        ("POST", "/salespeople/", {"code": "BIG", "name": "Big", "commission_pct": str(HUGE)}),
        (
            "PUT",
            "/opportunities/{started}/quote/",
            {"lines": [{"description": "x", "quantity": "1e20", "unit_price": "1"}]},
        ),
        (
            "PUT",
            "/opportunities/{started}/quote/",
            {"lines": [{"description": "x", "quantity": "99999999999999", "unit_price": "9999999999999999.99"}]},
        ),
    ],
)
def test_huge_numbers_in_paths_and_bodies(world, manager_api, method, path, body):
    response = send(manager_api, method, BASE + path.format(**world), body)
    assert_no_server_error(response)
    assert response.status_code in (400, 404, 409), response.content


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/opportunities/{not_started}/activate/", {"date_of_change": "9999-12-31"}),
        ("/opportunities/{not_started}/activate/", {"date_of_change": "0001-01-01"}),
        ("/opportunities/{started}/update-stage/", {"action": "next", "date_of_change": "9999-12-31"}),
        (
            "/opportunities/{started}/close/",
            {"outcome": "lost", "close_code": "LOST-COMP", "date_closed": "9999-12-31"},
        ),
        ("/opportunities/{started}/update-stage/", {"action": "update", "date_of_change": "10000-01-01"}),
        ("/opportunities/{started}/update-stage/", {"action": "update", "estimated_close_date": "2026-02-30"}),
    ],
)
def test_dates_at_the_edge_of_the_calendar(world, manager_api, path, body):
    assert_no_server_error(send(manager_api, "POST", BASE + path.format(**world), body))


@pytest.mark.parametrize(
    "query", ["date_from=9999-12-31", "date_to=0001-01-01", "date_from=0000-00-00", f"salesperson={'S' * 5000}"]
)
def test_statistics_with_odd_dates(world, manager_api, query):
    assert_no_server_error(manager_api.get(f"{BASE}/sales-cycles/NEW/statistics/?{query}"))


# --- bodies that are not JSON objects --------------------------------------------------------

WRITES = [
    ("POST", "/contacts/"),
    ("PATCH", "/contacts/{contact}/"),
    ("POST", "/salespeople/"),
    ("POST", "/sales-cycles/"),
    ("POST", "/sales-cycles/NEW/stages/"),
    ("PATCH", "/sales-cycles/NEW/stages/1/"),
    ("POST", "/activities/"),
    ("POST", "/close-codes/"),
    ("POST", "/opportunities/"),
    ("PATCH", "/opportunities/{not_started}/"),
    ("POST", "/opportunities/{not_started}/activate/"),
    ("POST", "/opportunities/{started}/update-stage/"),
    ("POST", "/opportunities/{started}/close/"),
    ("PUT", "/opportunities/{started}/quote/"),
    ("POST", "/tasks/"),
]


@pytest.mark.parametrize(("method", "path"), WRITES)
@pytest.mark.parametrize(
    ("raw", "content_type", "refused"),
    [
        ("not json", "application/json", True),
        (b"\xff\xfe\x00{", "application/json", True),
        ("[]", "application/json", True),
        ('[{"description": "x"}]', "application/json", True),
        ('"a string"', "application/json", True),
        ("42", "application/json", True),
        ("null", "application/json", True),
        ("<xml/>", "application/xml", True),
        # Read as an empty body (or unknown fields): a PATCH or an activation without input is fine.
        ("", "application/json", False),
        ("a=1&b=2", "application/x-www-form-urlencoded", False),
        ("--x\r\nbroken", "multipart/form-data; boundary=x", False),
    ],
)
def test_bodies_that_are_not_json_objects(world, manager_api, method, path, raw, content_type, refused):
    response = send(manager_api, method, BASE + path.format(**world), raw=raw, content_type=content_type)
    assert_no_server_error(response)
    if refused:
        assert response.status_code in (400, 415), response.content


@pytest.mark.parametrize(("method", "path"), WRITES)
def test_fields_of_the_wrong_json_type(world, manager_api, method, path):
    body = {
        "description": ["x"],
        "name": {"a": 1},
        "contact": {"no": 1},
        "company": [1],
        "sales_cycle": 1.5,
        "salesperson": True,
        "action": [],
        "outcome": {},
        "stage": [],
        "date_of_change": 20260302,
        "estimated_value": [],
        "lines": {"a": 1},
        "steps": "x",
        "code": {},
        "type": [],
    }
    assert_no_server_error(send(manager_api, method, BASE + path.format(**world), body))


def test_a_json_array_instead_of_an_object_reads_as_a_field_error(world, manager_api):
    response = send(manager_api, "POST", f"{BASE}/opportunities/", raw="[]")
    assert response.status_code == 400
    assert "non_field_errors" in response.json()


# --- languages and long strings --------------------------------------------------------------


@pytest.mark.parametrize(
    "accept_language",
    [
        "xx-XX",
        "*",
        "de-DE-x-private;q=0.9, *;q=0.1",
        ";;;q=abc",
        "q=1",
        "zh-Hant-TW",
        "de;q=2",
        "ä" * 1000,
        "de, " * 500,
    ],
)
def test_unknown_accept_language(world, manager_api, accept_language):
    response = send(manager_api, "GET", f"{BASE}/opportunities/NOPE/", HTTP_ACCEPT_LANGUAGE=accept_language)
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"
    assert_no_server_error(
        send(manager_api, "POST", f"{BASE}/contacts/", {"type": "nope"}, HTTP_ACCEPT_LANGUAGE=accept_language)
    )


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        pytest.param("GET", f"/contacts/{LONG}/", None, id="contact-key"),
        pytest.param("GET", f"/sales-cycles/{LONG}/statistics/", None, id="cycle-key"),
        pytest.param("GET", f"/opportunities/?search={LONG}", None, id="search"),
        pytest.param("GET", f"/opportunities/?ordering={LONG}", None, id="ordering"),
        pytest.param("GET", f"/opportunities/?salesperson={LONG}&contact={LONG}", None, id="filters"),
        pytest.param("GET", f"/contacts/?search={LONG}&company={LONG}", None, id="contact-search"),
        pytest.param("GET", f"/tasks/?search={LONG}", None, id="task-search"),
        pytest.param("POST", "/contacts/", {"type": "company", "name": LONG, "notes": LONG}, id="contact"),
        pytest.param(
            "POST", "/opportunities/", {"description": LONG, "contact": LONG, "sales_cycle": LONG}, id="opportunity"
        ),
        pytest.param("POST", "/opportunities/{started}/update-stage/", {"action": LONG, "note": LONG}, id="command"),
        pytest.param("POST", "/sales-cycles/", {"code": LONG, "description": LONG}, id="cycle"),
        pytest.param("PATCH", "/sales-cycles/NEW/stages/1/", {"date_formula": LONG}, id="formula"),
        pytest.param("PATCH", "/sales-cycles/NEW/stages/1/", {"date_formula": "1D+" * 10_000 + "1D"}, id="terms"),
        pytest.param("PATCH", "/sales-cycles/NEW/stages/1/", {"date_formula": "9" * 5000 + "D"}, id="digits"),
        pytest.param(
            "POST", "/tasks/", {"description": "Call", "date": "2026-03-02", "opportunity": LONG}, id="task-reference"
        ),
    ],
)
def test_extremely_long_strings(world, manager_api, method, path, body):
    response = send(manager_api, method, BASE + path.format(**world), body)
    assert_no_server_error(response)
    assert response.status_code in (200, 400, 404), response.content


@pytest.mark.parametrize(
    "path",
    [
        "/opportunities/a.b/",  # a key the router's pattern does not take
        "/opportunities/a%2Fb/entries/",
        "/sales-cycles/NEW/stages/-1/",
        "/no-such-resource/",
    ],
)
def test_urls_that_match_no_route_are_a_json_404(manager_api, anon_api, path):
    for client in (manager_api, anon_api):
        response = client.get(BASE + path)
        assert response.status_code == 404
        assert response.json()["code"] == "not_found"


# --- regressions found by the fuzz test ------------------------------------------------------


def test_a_date_formula_number_of_thousands_of_digits_is_a_field_error(world, manager_api):
    # int() refuses strings of more than 4300 digits with a ValueError: it was a 500.
    response = send(manager_api, "PATCH", f"{BASE}/sales-cycles/NEW/stages/1/", {"date_formula": "9" * 5000 + "D"})
    assert response.status_code == 400
    assert "date_formula" in response.json()


def test_a_search_term_beyond_the_limit_is_a_field_error(world, manager_api):
    # SQLite answers a LIKE pattern of more than 50,000 bytes with an error: it was a 500 there.
    response = manager_api.get(f"{BASE}/opportunities/", {"search": "x" * 60_000})
    assert response.status_code == 400
    assert "search" in response.json()
    assert manager_api.get(f"{BASE}/opportunities/", {"search": "x" * 200}).status_code == 200


def test_blank_email_and_website_are_not_documented_as_email_and_uri(manager_api):
    # A contact without e-mail or website answers "", which the formats "email" and "uri" refuse.
    document = manager_api.get(f"{BASE}/schema/", {"format": "json"}).json()
    contact = document["components"]["schemas"]["Contact"]["properties"]
    assert "format" not in contact["email"]
    assert "format" not in contact["website"]
    assert "format" not in document["components"]["schemas"]["ContactSummary"]["properties"]["email"]


def test_current_stage_is_documented_as_nullable(manager_api):
    document = manager_api.get(f"{BASE}/schema/", {"format": "json"}).json()
    assert document["components"]["schemas"]["Opportunity"]["properties"]["current_stage"]["nullable"] is True
