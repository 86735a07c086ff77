"""Hostile text in every user-editable text field (issue 8): stored unchanged, escaped in HTML,
neutralised in CSV, and refused cleanly (400 with the field's error, nothing stored) when too long or
otherwise unstorable.

The strings: HTML/JS, an attribute break-out, an SQL fragment, a spreadsheet formula, a right-to-left
override, zero-width characters, emoji (with a zero-width joiner and a flag) and combining marks.
"""

import csv
import io
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils.html import escape

from contacts.models import Contact, Salesperson
from opportunities import services
from opportunities.models import Opportunity, OpportunityEntry, Quote, Task
from salescycles.models import Activity, CloseOpportunityCode, SalesCycle, SalesCycleStage
from tests.api.conftest import token_client
from tests.factories import CompanyFactory

pytestmark = pytest.mark.django_db

D = Decimal
SCRIPT = "<script>alert(1)</script>"
ATTRIBUTE = '"><img src=x onerror=alert(1)>'
HOSTILE = {
    "script": SCRIPT,
    "attribute": ATTRIBUTE,
    "sql": "'; DROP TABLE x; --",
    "formula": '=HYPERLINK("http://x.example")',
    "right_to_left": "invoice\u202egnp.exe",
    "zero_width": "ze\u200bro\u200c\u200dwi\u2060dth\ufeffx",
    "emoji": "👩\u200d💼 deal 🚀🇩🇪",
    "combining": "Ame\u0301lie Z\u0335a\u0336l\u0337g\u0338o",
}
# What a browser would run if the page did not escape it.
DANGEROUS = ["<script>alert(1)", "<img src=x onerror"]

# The free-text fields of a contact and their maximum lengths (SPEC §2.2); a company, so that the
# name is not rebuilt from first name and surname.
CONTACT_TEXT = {
    "name": 100,
    "job_title": 100,
    "address": 100,
    "address_2": 100,
    "post_code": 20,
    "city": 30,
    "vat_registration_no": 20,
}
PERSON_TEXT = {"first_name": 30, "surname": 30}
# Fields with a format: hostile text is refused with that field's error, never stored.
CONTACT_FORMATTED = ["phone", "mobile_phone", "email", "website", "country"]


@pytest.fixture
def api(manager):
    return token_client(manager)


def _fits(limit: int) -> dict[str, str]:
    return {kind: text for kind, text in HOSTILE.items() if len(text) <= limit}


def _exactly(limit: int) -> str:
    """A string of exactly ``limit`` characters, astral and combining ones included."""
    unit = "😀é\u0301<'"
    return (unit * limit)[:limit]


def _assert_refused(response, field: str, model, before: int) -> None:
    assert response.status_code == 400, response.content
    body = response.json()
    assert field in body or any(field in str(value) for value in body.values()), body
    assert model.objects.count() == before, "a refused request stored something"


# --- stored unchanged, refused cleanly (API) -----------------------------------------------------


def test_contact_text_fields_store_hostile_text_unchanged(api):
    tried = 0
    for field, limit in {**CONTACT_TEXT, "notes": 4000}.items():
        for kind, text in [*_fits(limit).items(), ("max length", _exactly(min(limit, 500)))]:
            payload = {"type": "company", "name": "Acme", field: text}
            response = api.post("/api/v1/contacts/", payload, format="json")
            assert response.status_code == 201, (field, kind, response.content)
            no = response.json()["no"]
            assert api.get(f"/api/v1/contacts/{no}/").json()[field] == text, (field, kind)
            stored = Contact.objects.values_list(field, flat=True).get(no=no)
            assert stored.encode("utf-8") == text.encode("utf-8"), (field, kind)
            tried += 1
    for field, limit in PERSON_TEXT.items():
        for kind, text in [*_fits(limit).items(), ("max length", _exactly(limit))]:
            response = api.post("/api/v1/contacts/", {"type": "person", field: text}, format="json")
            assert response.status_code == 201, (field, kind, response.content)
            assert Contact.objects.values_list(field, flat=True).get(no=response.json()["no"]) == text
            tried += 1
    assert tried > 50


@pytest.mark.parametrize("field", [*CONTACT_TEXT, *PERSON_TEXT])
def test_contact_text_over_its_maximum_length_is_refused_with_the_field_error(api, field):
    limit = {**CONTACT_TEXT, **PERSON_TEXT}[field]
    before = Contact.objects.count()
    response = api.post(
        "/api/v1/contacts/", {"type": "company", "name": "Acme", field: _exactly(limit + 1)}, format="json"
    )
    _assert_refused(response, field, Contact, before)


@pytest.mark.parametrize("field", CONTACT_FORMATTED)
@pytest.mark.parametrize("kind", ["script", "attribute", "sql", "right_to_left"])
def test_hostile_text_in_a_formatted_contact_field_is_refused(api, field, kind):
    before = Contact.objects.count()
    response = api.post("/api/v1/contacts/", {"type": "company", "name": "Acme", field: HOSTILE[kind]}, format="json")
    _assert_refused(response, field, Contact, before)


def test_a_nul_character_is_refused_rather_than_stored_or_crashing(api):
    before = Contact.objects.count()
    response = api.post("/api/v1/contacts/", {"type": "company", "name": "Ac\x00me"}, format="json")
    _assert_refused(response, "name", Contact, before)


@pytest.fixture
def contact(db):
    return CompanyFactory(name="Plain Customer Ltd")


def _create_opportunity(api, contact, rep, cycle, description):
    return api.post(
        "/api/v1/opportunities/",
        {
            "description": description,
            "contact": contact.no,
            "salesperson": rep.code,
            "sales_cycle": cycle.code,
            "activate_first_stage": True,
            "estimated_value": "1000.00",
        },
        format="json",
    )


def test_opportunity_descriptions_entry_notes_tasks_and_quote_lines_store_hostile_text_unchanged(
    api, contact, rep, cycle
):
    texts = [*HOSTILE.values(), _exactly(100)]
    for text in texts:
        response = _create_opportunity(api, contact, rep, cycle, text)
        assert response.status_code == 201, response.content
        no = response.json()["no"]
        assert api.get(f"/api/v1/opportunities/{no}/").json()["description"] == text
        assert Opportunity.objects.get(no=no).description == text

        task = api.post("/api/v1/tasks/", {"description": text, "date": "2026-03-02", "opportunity": no}, format="json")
        assert task.status_code == 201, task.content
        assert api.get(f"/api/v1/tasks/{task.json()['no']}/").json()["description"] == text

        lines = [{"description": text, "quantity": "1", "unit_price": "10.00"}]
        quote = api.put(f"/api/v1/opportunities/{no}/quote/", {"lines": lines}, format="json")
        assert quote.status_code in (200, 201), quote.content
        assert api.get(f"/api/v1/opportunities/{no}/quote/").json()["lines"][0]["description"] == text
        assert Quote.objects.get(opportunity__no=no).lines.get().description == text

        note = text * 10
        moved = api.post(f"/api/v1/opportunities/{no}/update-stage/", {"action": "update", "note": note}, format="json")
        assert moved.status_code == 200, moved.content
        assert api.get(f"/api/v1/opportunities/{no}/entries/").json()["results"][-1]["note"] == note
        assert OpportunityEntry.objects.get(opportunity__no=no, active=True).note == note


def test_over_long_opportunity_task_and_quote_line_texts_are_refused_and_nothing_is_stored(api, contact, rep, cycle):
    before = Opportunity.objects.count()
    _assert_refused(_create_opportunity(api, contact, rep, cycle, _exactly(101)), "description", Opportunity, before)

    no = _create_opportunity(api, contact, rep, cycle, "Deal").json()["no"]
    before = Task.objects.count()
    response = api.post("/api/v1/tasks/", {"description": _exactly(101), "date": "2026-03-02"}, format="json")
    _assert_refused(response, "description", Task, before)

    before = Quote.objects.count()
    lines = [{"description": _exactly(101), "quantity": "1", "unit_price": "10.00"}]
    _assert_refused(api.put(f"/api/v1/opportunities/{no}/quote/", {"lines": lines}, format="json"), "lines", Quote, 0)
    assert Quote.objects.count() == before

    description = Opportunity.objects.get(no=no).description
    response = api.patch(f"/api/v1/opportunities/{no}/", {"description": _exactly(101)}, format="json")
    assert response.status_code == 400 and "description" in response.json()
    assert Opportunity.objects.get(no=no).description == description


def test_setup_descriptions_and_salesperson_names_store_hostile_text_unchanged(api):
    for index, text in enumerate([*HOSTILE.values(), _exactly(100)]):
        code = f"H{index}"
        created = [
            api.post("/api/v1/sales-cycles/", {"code": code, "description": text}, format="json"),
            api.post(
                f"/api/v1/sales-cycles/{code}/stages/",
                {"stage": 1, "description": text, "completed_pct": "10.00", "chances_of_success_pct": "20.00"},
                format="json",
            ),
            api.post("/api/v1/close-codes/", {"code": code, "description": text, "type": "won"}, format="json"),
            api.post(
                "/api/v1/activities/",
                {"code": code, "description": text, "steps": [{"step_no": 1, "description": text}]},
                format="json",
            ),
            api.post("/api/v1/salespeople/", {"code": code, "name": text, "job_title": text}, format="json"),
        ]
        assert [r.status_code for r in created] == [201] * 5, [r.content for r in created if r.status_code != 201]
        assert SalesCycle.objects.get(code=code).description == text
        assert SalesCycleStage.objects.get(sales_cycle__code=code).description == text
        assert CloseOpportunityCode.objects.get(code=code).description == text
        activity = Activity.objects.get(code=code)
        assert activity.description == text and activity.steps.get().description == text
        assert Salesperson.objects.values_list("name", "job_title").get(code=code) == (text, text)
        assert api.get(f"/api/v1/sales-cycles/{code}/").json()["stages"][0]["description"] == text

    too_long = _exactly(101)
    for url, body, model in [
        ("/api/v1/sales-cycles/", {"code": "LONG", "description": too_long}, SalesCycle),
        ("/api/v1/close-codes/", {"code": "LONG", "description": too_long, "type": "won"}, CloseOpportunityCode),
        ("/api/v1/activities/", {"code": "LONG", "description": too_long}, Activity),
        ("/api/v1/salespeople/", {"code": "LONG", "name": too_long}, Salesperson),
    ]:
        before = model.objects.count()
        _assert_refused(
            api.post(url, body, format="json"), "name" if model is Salesperson else "description", model, before
        )


# --- shown escaped (HTML) ------------------------------------------------------------------------


@pytest.fixture
def hostile_world(rep, manager, cycle, won_code):
    """Every text the pages show, hostile: contact, salesperson, stage, opportunity, task, quote line."""
    SalesCycleStage.objects.filter(sales_cycle=cycle, stage=1).update(description=ATTRIBUTE)
    SalesCycleStage.objects.filter(sales_cycle=cycle, stage=2).update(description=SCRIPT)
    cycle.description = SCRIPT
    cycle.save()
    won_code.description = ATTRIBUTE
    won_code.save()
    rep.name = SCRIPT
    rep.save()
    company = CompanyFactory(name=ATTRIBUTE, city=HOSTILE["right_to_left"], address=SCRIPT, salesperson=rep)
    started = services.opportunity_create(
        user=manager,
        description=SCRIPT,
        contact=company,
        salesperson=rep,
        sales_cycle=cycle,
        activate_first_stage=True,
        estimated_value=D("1000"),
        note=ATTRIBUTE,
    )
    services.quote_save(
        opportunity=started, user=manager, lines=[{"description": ATTRIBUTE, "quantity": "1", "unit_price": "5"}]
    )
    services.task_create(user=manager, description=ATTRIBUTE, date=started.creation_date, opportunity=started)
    closed = services.opportunity_create(
        user=manager, description=ATTRIBUTE, contact=company, salesperson=rep, sales_cycle=cycle
    )
    services.opportunity_close(
        opportunity=closed, user=manager, outcome="won", close_code=won_code, sales_amount=D("5")
    )
    return {"started": started, "closed": closed, "company": company}


def _assert_escaped(response, *shown: str) -> None:
    assert response.status_code == 200
    content = response.content.decode()
    for raw in DANGEROUS:
        assert raw not in content, f"unescaped {raw!r} in {response.request['PATH_INFO']}"
    for text in shown:
        assert escape(text) in content, f"{text!r} not shown (escaped) on {response.request['PATH_INFO']}"


def test_every_page_escapes_hostile_text(client, manager, rep, hostile_world):
    started, company = hostile_world["started"], hostile_world["company"]
    client.force_login(manager)

    _assert_escaped(client.get(reverse("opportunities:detail", args=[started.no])), SCRIPT, ATTRIBUTE)
    _assert_escaped(client.get(reverse("opportunities:list")), SCRIPT, ATTRIBUTE)
    _assert_escaped(client.get(reverse("opportunities:list"), {"status": "closed"}))
    _assert_escaped(client.get(reverse("opportunities:board")))
    _assert_escaped(client.get(reverse("opportunities:tasks")), ATTRIBUTE)
    _assert_escaped(client.get(reverse("opportunities:reports")))
    _assert_escaped(client.get(reverse("opportunities:quote", args=[started.no])))
    _assert_escaped(client.get(reverse("opportunities:edit", args=[started.no])), SCRIPT)
    _assert_escaped(client.get(reverse("contacts:detail", args=[company.no])), ATTRIBUTE, SCRIPT)
    _assert_escaped(client.get(reverse("contacts:list")), ATTRIBUTE)
    _assert_escaped(client.get(reverse("home")))

    client.force_login(rep.user)  # the rep's own pages show their (hostile) name
    _assert_escaped(client.get(reverse("opportunities:board")))
    _assert_escaped(client.get(reverse("home")))


def test_the_admin_escapes_hostile_text(client, manager, hostile_world):
    manager.is_staff = True
    manager.save()
    client.force_login(manager)
    started = hostile_world["started"]
    for url in [
        reverse("admin:opportunities_opportunity_changelist"),
        reverse("admin:opportunities_opportunity_change", args=[started.pk]),
        reverse("admin:contacts_contact_changelist"),
        reverse("admin:contacts_contact_change", args=[hostile_world["company"].pk]),
        reverse("admin:salescycles_salescycle_changelist"),
        reverse("admin:opportunities_task_changelist"),
    ]:
        _assert_escaped(client.get(url))


# --- exported safely (CSV) -----------------------------------------------------------------------

FORMULAS = ["=1+2", "+49 30 1234", "-2+3", "@SUM(A1:A9)", '=HYPERLINK("http://x")']


def _rows(content: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))


def _cells(rows) -> set[str]:
    return {cell for row in rows for cell in row}


def _assert_neutralised(rows, formulas, plain) -> None:
    cells = _cells(rows)
    for formula in formulas:
        assert formula not in cells, f"{formula!r} exported as a formula"
        assert "'" + formula in cells, f"{formula!r} missing from the export"
    for text in plain:
        assert text in cells, f"{text!r} not exported unchanged"
    for cell in cells:
        assert not cell.startswith(("=", "+", "-", "@", "\t", "\r")), cell


def test_the_opportunity_export_neutralises_formulas_and_keeps_other_text_unchanged(client, manager, rep, cycle):
    SalesCycleStage.objects.filter(sales_cycle=cycle, stage=1).update(description="-cmd|' /C calc'!A0")
    rep.name = "@rep"
    rep.save()
    plain = [
        HOSTILE[kind] for kind in ("script", "attribute", "sql", "right_to_left", "zero_width", "emoji", "combining")
    ]
    for text in [*FORMULAS, *plain]:
        contact = CompanyFactory(name=text)
        services.opportunity_create(
            user=manager,
            description=text,
            contact=contact,
            salesperson=rep,
            sales_cycle=cycle,
            activate_first_stage=True,
            estimated_value=D("10"),
        )
    client.force_login(manager)
    response = client.get(reverse("opportunities:export"))
    rows = _rows(b"".join(response.streaming_content))
    _assert_neutralised(rows, [*FORMULAS, "-cmd|' /C calc'!A0", "@rep"], plain)
    assert len(rows) == 1 + len(FORMULAS) + len(plain)


def test_the_report_downloads_neutralise_formulas(client, manager, rep, cycle, won_code):
    SalesCycleStage.objects.filter(sales_cycle=cycle, stage=1).update(description="=stage()")
    rep.name = "+rep"
    rep.save()
    opportunity = services.opportunity_create(
        user=manager, description="Deal", contact=CompanyFactory(), salesperson=rep, sales_cycle=cycle
    )
    services.opportunity_activate(opportunity=opportunity, user=manager, estimated_value=D("100"))
    client.force_login(manager)
    url = reverse("opportunities:reports")
    salespeople = _rows(client.get(url, {"format": "csv", "report": "salespeople"}).content)
    _assert_neutralised(salespeople, ["+rep"], [])
    stages = _rows(client.get(url, {"format": "csv", "report": "sales-cycle", "sales_cycle": cycle.code}).content)
    _assert_neutralised(stages, ["=stage()"], [])


def test_the_admin_export_of_contacts_neutralises_formulas_in_every_text_column(client, manager, rep):
    manager.is_staff = True
    manager.save()
    CompanyFactory(name="=1+2", address="+address", city="-city", notes="@notes", vat_registration_no="=VAT")
    CompanyFactory(name=SCRIPT, address=HOSTILE["emoji"], city=HOSTILE["combining"], notes=HOSTILE["zero_width"])
    client.force_login(manager)
    fields = ["no", "type", "name", "address", "city", "notes", "vat_registration_no"]
    response = client.post(
        reverse("admin:contacts_contact_export"),
        {"format": "0", "resource": "0", **{f"contactresource_{name}": "on" for name in fields}},
    )
    assert response.status_code == 200, response.content[:500]
    rows = _rows(response.content)
    _assert_neutralised(
        rows,
        ["=1+2", "+address", "-city", "@notes", "=VAT"],
        [SCRIPT, HOSTILE["emoji"], HOSTILE["combining"], HOSTILE["zero_width"]],
    )


# --- leads ----------------------------------------------------------------------------------------

LEAD_TEXT = {"company_name": 100, "first_name": 30, "surname": 30, "campaign": 100, "message": 4000}


def test_lead_text_fields_store_hostile_text_unchanged_and_every_lead_page_escapes_it(api, client, manager):
    from leads.models import Lead

    numbers = []
    for field, limit in LEAD_TEXT.items():
        for kind, text in [*_fits(limit).items(), ("max length", _exactly(min(limit, 500)))]:
            payload = {"email": "someone@example.com", field: text}
            response = api.post("/api/v1/leads/", payload, format="json")
            assert response.status_code == 201, (field, kind, response.content)
            no = response.json()["no"]
            assert api.get(f"/api/v1/leads/{no}/").json()[field] == text, (field, kind)
            stored = Lead.objects.values_list(field, flat=True).get(no=no)
            assert stored.encode("utf-8") == text.encode("utf-8"), (field, kind)
            numbers.append(no)
    hostile = Lead.objects.get(no=numbers[0])  # company name "<script>…"
    assert hostile.company_name == SCRIPT
    reason = api.post(f"/api/v1/leads/{numbers[1]}/disqualify/", {"reason": ATTRIBUTE}, format="json")
    assert reason.status_code == 200, reason.content
    assert Lead.objects.get(no=numbers[1]).disqualification_reason == ATTRIBUTE

    client.force_login(manager)
    _assert_escaped(client.get(reverse("leads:list")), SCRIPT)
    _assert_escaped(client.get(reverse("leads:list"), {"status": "disqualified"}), ATTRIBUTE)
    _assert_escaped(client.get(reverse("leads:detail", args=[hostile.no])), SCRIPT)
    _assert_escaped(client.get(reverse("leads:detail", args=[numbers[1]])), ATTRIBUTE)
    _assert_escaped(client.get(reverse("leads:qualify", args=[hostile.no])), SCRIPT)


@pytest.mark.parametrize("field", LEAD_TEXT)
def test_lead_text_over_its_maximum_length_is_refused_with_the_field_error(api, field):
    from leads.models import Lead

    before = Lead.objects.count()
    payload = {"email": "someone@example.com", field: _exactly(LEAD_TEXT[field] + 1)}
    _assert_refused(api.post("/api/v1/leads/", payload, format="json"), field, Lead, before)


def test_the_public_form_stores_hostile_text_unchanged(client):
    from leads.models import Lead

    response = client.post(
        reverse("leads:enquiry"),
        {
            "company_name": SCRIPT,
            "first_name": HOSTILE["right_to_left"][:30],
            "surname": HOSTILE["emoji"],
            "email": "erin@example.com",
            "message": HOSTILE["sql"] + HOSTILE["zero_width"] + HOSTILE["combining"],
            "privacy_consent": "on",
        },
    )

    assert response.status_code == 302, response.content
    lead = Lead.objects.get(email="erin@example.com")
    assert (lead.company_name, lead.surname) == (SCRIPT, HOSTILE["emoji"])
    assert lead.message == HOSTILE["sql"] + HOSTILE["zero_width"] + HOSTILE["combining"]
