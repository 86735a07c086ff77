"""The salespeople and contacts endpoints (SPEC §7).

Salespeople: all staff read, managers write. Contacts: all staff read, sales staff and managers
create and change, managers delete. Refusals answer 409 with ``{detail, code}`` and change nothing.
"""

import re
import zoneinfo
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from contacts.api import ContactSerializer
from contacts.models import Contact, ContactSearchString, Salesperson
from contacts.services import contact_create
from opportunities.models import Opportunity, OpportunityEntry, Task
from opportunities.services import opportunity_close, opportunity_create
from tests.factories import CompanyFactory, PersonFactory, SalespersonFactory, UserFactory

pytestmark = pytest.mark.django_db

API = "/api/v1"
User = get_user_model()

CONTACT_FIELDS = {
    "no",
    "type",
    "name",
    "company",
    "first_name",
    "surname",
    "job_title",
    "salesperson",
    "address",
    "address_2",
    "post_code",
    "city",
    "country",
    "phone",
    "mobile_phone",
    "email",
    "website",
    "language",
    "vat_registration_no",
    "notes",
    "created_at",
    "updated_at",
}


def state() -> tuple:
    """Everything an endpoint of this module could change."""
    return (
        list(Salesperson.objects.order_by("pk").values()),
        list(Contact.objects.order_by("pk").values()),
        ContactSearchString.objects.count(),
        list(Opportunity.objects.order_by("pk").values("pk", "contact", "contact_company", "salesperson")),
        OpportunityEntry.objects.count(),
        list(Task.objects.order_by("pk").values("pk", "contact", "salesperson")),
    )


def assert_refused(response, status_code: int, code: str | None = None) -> None:
    assert response.status_code == status_code, response.content
    body = response.json()
    assert set(body) == {"detail", "code"}
    if code is not None:
        assert body["code"] == code


def results(response) -> list:
    assert response.status_code == 200, response.content
    return response.json()["results"]


@pytest.fixture
def company(db) -> Contact:
    return contact_create(
        type="company",
        name="Müller & Söhne GmbH",
        address="Hauptstraße 5",
        post_code="10115",
        city="Berlin",
        phone="+49 30 1234567",
        email="info@mueller-soehne.de",
    )


@pytest.fixture
def person(company, rep) -> Contact:
    return contact_create(type="person", first_name="Anna", surname="Berg", company=company, salesperson=rep)


@pytest.fixture
def start(cycle, rep):
    """``start(contact)``: an opportunity of the rep for the contact, at stage 1 (with open tasks)."""

    def make(contact: Contact) -> Opportunity:
        return opportunity_create(
            user=rep.user,
            description="Deal",
            contact=contact,
            sales_cycle=cycle,
            activate_first_stage=True,
            estimated_value=Decimal("1000"),
        )

    return make


@pytest.fixture
def finish(start, rep, won_code):
    """``finish(contact)``: a won opportunity of the rep for the contact (its tasks canceled)."""

    def make(contact: Contact) -> Opportunity:
        opportunity = start(contact)
        opportunity_close(opportunity=opportunity, user=rep.user, outcome="won", close_code=won_code)
        return opportunity

    return make


# --- salespeople: permissions -----------------------------------------------------------------


@pytest.fixture
def spare_salesperson(db) -> Salesperson:
    return SalespersonFactory(code="SPARE", name="Sam Spare", user=None)


@pytest.mark.parametrize("persona", ["rep_api", "other_rep_api", "plain_api", "manager_api"])
def test_every_signed_in_user_reads_the_salespeople(request, rep, other_rep, persona):
    client = request.getfixturevalue(persona)

    listed = client.get(f"{API}/salespeople/")
    one = client.get(f"{API}/salespeople/REP/")

    assert [row["code"] for row in results(listed)] == ["OTHER", "REP"]
    assert one.json() == {
        "code": "REP",
        "name": "Rita Rep",
        "user": "rita",
        "email": "rep@example.com",
        "phone": "",
        "job_title": "",
        "commission_pct": "0.00",
        "blocked": False,
    }


@pytest.mark.parametrize("persona", ["rep_api", "other_rep_api", "plain_api"])
def test_only_managers_change_the_salespeople(request, spare_salesperson, rep, persona):
    client = request.getfixturevalue(persona)
    before = state()

    assert_refused(client.post(f"{API}/salespeople/", {"code": "NEW", "name": "New"}), 403)
    assert_refused(client.patch(f"{API}/salespeople/SPARE/", {"name": "Renamed"}), 403)
    assert_refused(client.patch(f"{API}/salespeople/REP/", {"commission_pct": "50"}), 403)
    assert_refused(client.delete(f"{API}/salespeople/SPARE/"), 403)
    assert state() == before


def test_anonymous_salesperson_requests_get_401(anon_api, spare_salesperson):
    before = state()

    for response in (
        anon_api.get(f"{API}/salespeople/"),
        anon_api.get(f"{API}/salespeople/SPARE/"),
        anon_api.post(f"{API}/salespeople/", {"code": "NEW", "name": "New"}),
        anon_api.patch(f"{API}/salespeople/SPARE/", {"name": "Renamed"}),
        anon_api.delete(f"{API}/salespeople/SPARE/"),
    ):
        assert_refused(response, 401)
    assert state() == before


def test_put_is_not_offered_for_salespeople(manager_api, spare_salesperson):
    assert manager_api.put(f"{API}/salespeople/SPARE/", {"code": "SPARE", "name": "Sam"}).status_code == 405


@pytest.mark.parametrize("url", ["/salespeople/NOPE/", "/salespeople/rep/"])
def test_unknown_salespeople_answer_404(manager_api, rep, url):
    assert manager_api.get(API + url).status_code == 404
    assert manager_api.patch(API + url, {"name": "x"}).status_code == 404
    assert manager_api.delete(API + url).status_code == 404


# --- salespeople: writes ----------------------------------------------------------------------


def test_a_manager_creates_a_salesperson_for_a_user(manager_api, plain_user):
    body = {
        "code": "NB",
        "name": "Nora Body",
        "user": "nobody",
        "email": "nora@example.com",
        "phone": "+49 30 555-0100",
        "job_title": "Account manager",
        "commission_pct": "2.5",
        "blocked": False,
    }

    response = manager_api.post(f"{API}/salespeople/", body)

    assert response.status_code == 201, response.content
    assert response.json() == {**body, "commission_pct": "2.50"}
    assert Salesperson.objects.get(code="NB").user == plain_user


def test_a_salesperson_needs_no_user(manager_api, db):
    response = manager_api.post(f"{API}/salespeople/", {"code": "EXT", "name": "External agent"})

    assert response.status_code == 201, response.content
    assert response.json()["user"] is None


def test_a_manager_blocks_a_salesperson_and_unlinks_the_user(manager_api, rep):
    response = manager_api.patch(f"{API}/salespeople/REP/", {"blocked": True, "user": None})

    assert response.status_code == 200, response.content
    rep.refresh_from_db()
    assert (rep.blocked, rep.user) == (True, None)


def test_a_salesperson_keeps_their_own_user(manager_api, rep):
    response = manager_api.patch(f"{API}/salespeople/REP/", {"code": "REP", "user": "rita", "name": "Rita R."})

    assert response.status_code == 200, response.content
    rep.refresh_from_db()
    assert (rep.name, rep.user.username) == ("Rita R.", "rita")


def test_a_user_linked_to_another_salesperson_is_refused(manager_api, rep, spare_salesperson):
    before = state()

    created = manager_api.post(f"{API}/salespeople/", {"code": "NEW", "name": "New", "user": "rita"})
    changed = manager_api.patch(f"{API}/salespeople/SPARE/", {"user": "rita"})

    for response in (created, changed):
        assert response.status_code == 400
        assert list(response.json()) == ["user"]
        assert "REP" in response.json()["user"][0]
    assert state() == before


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"code": "jd", "name": "Lower case"}, "code"),
        ({"code": "J D", "name": "Space"}, "code"),
        ({"code": "X" * 21, "name": "Too long"}, "code"),
        ({"code": "REP", "name": "Twice"}, "code"),
        ({"name": "No code"}, "code"),
        ({"code": "LONG", "name": "x" * 101}, "name"),
        ({"code": "NONAME"}, "name"),
        ({"code": "PCT", "name": "Pct", "commission_pct": "101"}, "commission_pct"),
        ({"code": "PCT", "name": "Pct", "commission_pct": "-0.01"}, "commission_pct"),
        ({"code": "PCT", "name": "Pct", "commission_pct": "99999999999999999999"}, "commission_pct"),
        ({"code": "TEL", "name": "Phone", "phone": "call me"}, "phone"),
        ({"code": "TEL", "name": "Phone", "phone": "1" * 31}, "phone"),
        ({"code": "MAIL", "name": "Mail", "email": "not-an-address"}, "email"),
        ({"code": "USER", "name": "User", "user": "ghost"}, "user"),
        ({"code": "EXTRA", "name": "Extra", "team": "North"}, "team"),
    ],
)
def test_invalid_salespeople_are_refused_with_a_field_error(manager_api, rep, body, field):
    before = state()

    response = manager_api.post(f"{API}/salespeople/", body)

    assert response.status_code == 400
    assert list(response.json()) == [field]
    assert state() == before


def test_the_code_of_a_salesperson_cannot_change(manager_api, rep):
    before = state()

    response = manager_api.patch(f"{API}/salespeople/REP/", {"code": "RR"})

    assert response.status_code == 400
    assert list(response.json()) == ["code"]
    assert state() == before


def test_deleting_an_unused_salesperson(manager_api, spare_salesperson):
    response = manager_api.delete(f"{API}/salespeople/SPARE/")

    assert response.status_code == 204
    assert not Salesperson.objects.filter(code="SPARE").exists()


def test_a_salesperson_with_open_opportunities_cannot_be_deleted(manager_api, rep, start):
    start(PersonFactory())
    before = state()

    response = manager_api.delete(f"{API}/salespeople/REP/")

    assert_refused(response, 409, "salesperson_in_use")
    assert state() == before


def test_a_salesperson_in_the_history_cannot_be_deleted(manager_api, rep, finish):
    finish(PersonFactory())
    before = state()

    response = manager_api.delete(f"{API}/salespeople/REP/")

    assert_refused(response, 409, "salesperson_has_history")
    assert state() == before


def test_a_salesperson_refusal_in_german(manager_api, rep, start):
    start(PersonFactory())

    response = manager_api.delete(f"{API}/salespeople/REP/", HTTP_ACCEPT_LANGUAGE="de")

    assert_refused(response, 409, "salesperson_in_use")
    assert "Verkäufer" in response.json()["detail"]


def test_salespeople_filter_search_and_order(plain_api, rep, other_rep, spare_salesperson):
    SalespersonFactory(code="GONE", name="Gina Gone", blocked=True, user=None)

    def codes(query: str) -> list[str]:
        return [row["code"] for row in results(plain_api.get(f"{API}/salespeople/?{query}"))]

    assert codes("") == ["GONE", "OTHER", "REP", "SPARE"]
    assert codes("blocked=true") == ["GONE"]
    assert codes("blocked=false") == ["OTHER", "REP", "SPARE"]
    assert codes("search=otto") == ["OTHER"]
    assert codes("search=rep@example") == ["REP"]
    assert codes("ordering=-code") == ["SPARE", "REP", "OTHER", "GONE"]
    assert codes("ordering=name") == ["GONE", "OTHER", "REP", "SPARE"]


# --- contacts: permissions ----------------------------------------------------------------------


@pytest.mark.parametrize("persona", ["rep_api", "other_rep_api", "plain_api", "manager_api"])
def test_every_signed_in_user_reads_the_contacts(request, person, persona):
    client = request.getfixturevalue(persona)

    listed = client.get(f"{API}/contacts/")
    one = client.get(f"{API}/contacts/{person.no}/")
    duplicates = client.get(f"{API}/contacts/{person.no}/duplicates/")

    assert len(results(listed)) == 2
    assert one.status_code == 200
    assert duplicates.status_code == 200


@pytest.mark.parametrize("persona", ["rep_api", "other_rep_api", "manager_api"])
def test_sales_staff_create_and_change_contacts(request, person, persona):
    client = request.getfixturevalue(persona)

    created = client.post(f"{API}/contacts/", {"type": "company", "name": "Acme Trading Ltd"})
    changed = client.patch(f"{API}/contacts/{person.no}/", {"job_title": "Buyer"})

    assert created.status_code == 201, created.content
    assert changed.status_code == 200, changed.content
    person.refresh_from_db()
    assert person.job_title == "Buyer"


def test_a_user_who_is_no_salesperson_cannot_write_contacts(plain_api, person):
    before = state()

    assert_refused(plain_api.post(f"{API}/contacts/", {"type": "company", "name": "Acme"}), 403)
    assert_refused(plain_api.patch(f"{API}/contacts/{person.no}/", {"job_title": "Buyer"}), 403)
    assert_refused(plain_api.delete(f"{API}/contacts/{person.no}/"), 403)
    assert state() == before


@pytest.mark.parametrize("persona", ["rep_api", "other_rep_api"])
def test_only_managers_delete_contacts(request, person, persona):
    client = request.getfixturevalue(persona)
    before = state()

    assert_refused(client.delete(f"{API}/contacts/{person.no}/"), 403)
    assert state() == before


def test_anonymous_contact_requests_get_401(anon_api, person):
    before = state()

    for response in (
        anon_api.get(f"{API}/contacts/"),
        anon_api.get(f"{API}/contacts/{person.no}/"),
        anon_api.get(f"{API}/contacts/{person.no}/duplicates/"),
        anon_api.post(f"{API}/contacts/", {"type": "company", "name": "Acme"}),
        anon_api.patch(f"{API}/contacts/{person.no}/", {"job_title": "Buyer"}),
        anon_api.delete(f"{API}/contacts/{person.no}/"),
    ):
        assert_refused(response, 401)
    assert state() == before


def test_put_is_not_offered_for_contacts(manager_api, person):
    assert manager_api.put(f"{API}/contacts/{person.no}/", {"type": "person", "name": "X"}).status_code == 405


@pytest.mark.parametrize("url", ["/contacts/CT999999/", "/contacts/CT999999/duplicates/"])
def test_unknown_contacts_answer_404(manager_api, person, url):
    assert manager_api.get(API + url).status_code == 404


def test_unknown_contacts_cannot_be_changed_or_deleted(manager_api, person):
    assert manager_api.patch(f"{API}/contacts/CT999999/", {"city": "Bonn"}).status_code == 404
    assert manager_api.delete(f"{API}/contacts/CT999999/").status_code == 404


# --- contacts: reads --------------------------------------------------------------------------


def test_a_contact_shows_its_company_and_salesperson_by_key(rep_api, person, company):
    body = rep_api.get(f"{API}/contacts/{person.no}/").json()

    assert set(body) == CONTACT_FIELDS
    assert (body["no"], body["type"], body["name"], body["company"], body["salesperson"]) == (
        person.no,
        "person",
        "Anna Berg",
        company.no,
        "REP",
    )
    company_body = rep_api.get(f"{API}/contacts/{company.no}/").json()
    assert (company_body["company"], company_body["salesperson"], company_body["city"]) == (None, None, "Berlin")


def test_contacts_filter_by_type_company_and_salesperson(rep_api, person, company, other_rep):
    colleague = contact_create(type="person", first_name="Ben", surname="Ohm", company=company)
    other = contact_create(type="company", name="Acme Trading Ltd", city="Madrid", salesperson=other_rep)

    def nos(query: str) -> list[str]:
        return [row["no"] for row in results(rep_api.get(f"{API}/contacts/?{query}"))]

    assert nos("type=company") == [company.no, other.no]
    assert nos("type=person") == [person.no, colleague.no]
    assert nos(f"company={company.no}") == [person.no, colleague.no]
    assert nos(f"company={other.no}") == []
    assert nos("company=CT999999") == []
    assert nos("salesperson=REP") == [person.no]
    assert nos("salesperson=OTHER&type=company") == [other.no]
    assert nos("salesperson=NOPE") == []


@pytest.mark.parametrize(
    "query", ["type=robot", f"company={'X' * 21}", f"salesperson={'X' * 21}", "type=company&type=robot"]
)
def test_invalid_filter_values_are_a_400(rep_api, person, query):
    response = rep_api.get(f"{API}/contacts/?{query}")

    assert response.status_code == 400


@pytest.mark.parametrize(
    ("search", "expected"),
    [
        ("acme", ["acme"]),
        ("info@acme", ["acme"]),
        ("555", ["acme"]),
        ("madrid", ["acme"]),
        ("berg", ["person"]),
        ("CT", ["company", "person", "acme"]),
        ("nothing-like-it", []),
    ],
)
def test_contacts_search_no_name_email_phone_and_city(rep_api, person, company, search, expected):
    acme = contact_create(
        type="company", name="Acme Trading Ltd", city="Madrid", phone="+34 555 0100", email="info@acme.example"
    )
    contacts = {"company": company.no, "person": person.no, "acme": acme.no}

    found = [row["no"] for row in results(rep_api.get(f"{API}/contacts/?search={search}"))]

    assert found == [contacts[name] for name in expected]


def test_contacts_search_by_number(rep_api, person, company):
    found = results(rep_api.get(f"{API}/contacts/?search={person.no}"))

    assert [row["no"] for row in found] == [person.no]


def test_contacts_order_by_no_name_city_and_creation(rep_api, person, company):
    acme = contact_create(type="company", name="Acme Trading Ltd", city="Madrid")

    def names(query: str) -> list[str]:
        return [row["name"] for row in results(rep_api.get(f"{API}/contacts/?{query}"))]

    assert names("") == ["Müller & Söhne GmbH", "Anna Berg", "Acme Trading Ltd"]
    assert names("ordering=name") == ["Acme Trading Ltd", "Anna Berg", "Müller & Söhne GmbH"]
    assert names("ordering=-city,no")[0] == "Acme Trading Ltd"
    assert names("ordering=-created_at,-no") == ["Acme Trading Ltd", "Anna Berg", "Müller & Söhne GmbH"]
    assert names("ordering=-no") == ["Acme Trading Ltd", "Anna Berg", "Müller & Söhne GmbH"]
    # An unknown ordering field is ignored rather than refused (DRF's OrderingFilter).
    assert names("ordering=notes") == names("")
    assert acme.no > person.no


def test_contacts_page_size_is_taken_and_capped_at_500(rep_api, db):
    Contact.objects.bulk_create(Contact(no=f"CTB{n:05d}", type="company", name=f"Bulk {n}") for n in range(501))

    assert len(results(rep_api.get(f"{API}/contacts/?page_size=3"))) == 3
    body = rep_api.get(f"{API}/contacts/?page_size=501").json()
    assert (body["count"], len(body["results"])) == (501, 500)
    assert body["next"] is not None
    assert rep_api.get(f"{API}/contacts/?page=99").status_code == 404


# --- contacts: create ---------------------------------------------------------------------------


def test_creating_a_company_contact(rep_api, rep):
    body = {
        "type": "company",
        "name": "Acme Trading Ltd",
        "salesperson": "REP",
        "address": "Gran Vía 1",
        "address_2": "3rd floor",
        "post_code": "28013",
        "city": "Madrid",
        "country": "es",
        "phone": "+34 91 555 0100",
        "mobile_phone": "+34 600 000 000",
        "email": "info@acme.example",
        "website": "https://acme.example",
        "language": "es",
        "vat_registration_no": "ESB12345678",
        "notes": "Met at the fair.",
    }

    response = rep_api.post(f"{API}/contacts/", body)

    assert response.status_code == 201, response.content
    created = response.json()
    assert set(created) == CONTACT_FIELDS | {"likely_duplicates"}
    assert re.fullmatch(r"CT\d{6}", created["no"])
    assert created["country"] == "ES"
    assert created["likely_duplicates"] == []
    contact = Contact.objects.get(no=created["no"])
    assert (contact.name, contact.salesperson, contact.city) == ("Acme Trading Ltd", rep, "Madrid")
    assert contact.search_strings.exists()


def test_creating_a_person_builds_the_name(rep_api, company):
    response = rep_api.post(
        f"{API}/contacts/",
        {"type": "person", "first_name": "Carl", "surname": "Dahl", "company": company.no, "job_title": "CFO"},
    )

    assert response.status_code == 201, response.content
    assert (response.json()["name"], response.json()["company"]) == ("Carl Dahl", company.no)


def test_the_number_of_a_new_contact_is_generated(rep_api, company):
    response = rep_api.post(f"{API}/contacts/", {"no": "CT999999", "type": "company", "name": "Own number"})

    assert response.status_code == 201, response.content
    assert response.json()["no"] != "CT999999"
    assert not Contact.objects.filter(no="CT999999").exists()


def test_creating_a_contact_lists_its_likely_duplicates(rep_api, company):
    response = rep_api.post(
        f"{API}/contacts/",
        {
            "type": "company",
            "name": "MÜLLER + SÖHNE GMBH.",
            "address": "Hauptstr. 5",
            "post_code": "10115",
            "city": "BERLIN",
            "phone": "+49 (30) 123 45 67",
        },
    )

    assert response.status_code == 201, response.content
    [duplicate] = response.json()["likely_duplicates"]
    assert duplicate["contact"] == {
        "no": company.no,
        "name": "Müller & Söhne GmbH",
        "type": "company",
        "city": "Berlin",
        "email": "info@mueller-soehne.de",
    }
    assert 60 <= duplicate["score"] <= 100
    # Duplicates never block: both contacts exist.
    assert Contact.objects.filter(type="company").count() == 2


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"type": "person", "first_name": "Eve", "company": "PERSON"}, "company"),
        ({"type": "company", "name": "Sub", "company": "COMPANY"}, "company"),
        ({"type": "company", "name": "Sub", "first_name": "Eve"}, "first_name"),
        ({"type": "person", "first_name": "Eve", "company": "CT999999"}, "company"),
        ({"type": "company", "name": "Tel", "phone": "0800-CALL-NOW"}, "phone"),
        ({"type": "company", "name": "Tel", "mobile_phone": "mobile"}, "mobile_phone"),
        ({"type": "company", "name": "Tel", "phone": "1" * 31}, "phone"),
        ({"type": "company", "name": "x" * 101}, "name"),
        ({"type": "company"}, "name"),
        ({"type": "company", "name": "   "}, "name"),
        ({"type": "person"}, "name"),
        ({"type": "company", "name": "Mail", "email": "not-an-address"}, "email"),
        ({"type": "company", "name": "Web", "website": "not a url"}, "website"),
        ({"type": "company", "name": "Land", "country": "DEU"}, "country"),
        ({"type": "company", "name": "Land", "country": "1A"}, "country"),
        ({"type": "company", "name": "Lang", "language": "xx"}, "language"),
        ({"type": "robot", "name": "Type"}, "type"),
        ({"type": "company", "name": "Rep", "salesperson": "NOPE"}, "salesperson"),
        ({"type": "company", "name": "City", "city": "x" * 31}, "city"),
        ({"type": "company", "name": "Extra", "fax": "123"}, "fax"),
        ({"type": "company", "name": "Null", "notes": None}, "notes"),
    ],
)
def test_invalid_contacts_are_refused_with_a_field_error(rep_api, person, company, body, field):
    references = {"PERSON": person.no, "COMPANY": company.no}
    if body.get("company") in references:
        body = {**body, "company": references[body["company"]]}
    before = state()

    response = rep_api.post(f"{API}/contacts/", body)

    assert response.status_code == 400, response.content
    assert field in response.json()
    assert state() == before


# --- contacts: change ---------------------------------------------------------------------------


def test_a_person_moves_to_another_company(rep_api, person, start):
    opportunity = start(person)
    other = contact_create(type="company", name="Acme Trading Ltd")

    response = rep_api.patch(f"{API}/contacts/{person.no}/", {"company": other.no, "salesperson": None})

    assert response.status_code == 200, response.content
    assert (response.json()["company"], response.json()["salesperson"]) == (other.no, None)
    opportunity.refresh_from_db()
    assert opportunity.contact_company == other


def test_a_change_keeps_the_fields_it_does_not_name(rep_api, person, company):
    response = rep_api.patch(f"{API}/contacts/{person.no}/", {"city": "Hamburg"})

    assert response.status_code == 200, response.content
    person.refresh_from_db()
    assert (person.city, person.name, person.company) == ("Hamburg", "Anna Berg", company)


def test_read_only_fields_sent_back_are_ignored(rep_api, person):
    body = rep_api.get(f"{API}/contacts/{person.no}/").json()

    response = rep_api.patch(f"{API}/contacts/{person.no}/", {**body, "no": "CT999999", "city": "Bonn"})

    assert response.status_code == 200, response.content
    assert response.json()["no"] == person.no


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"phone": "ask reception"}, "phone"),
        ({"name": "x" * 101, "first_name": "", "surname": ""}, "name"),
        ({"company": "SELF"}, "company"),
        ({"email": "anna at example"}, "email"),
    ],
)
def test_invalid_changes_are_refused_with_a_field_error(rep_api, person, body, field):
    if body.get("company") == "SELF":
        body = {"company": person.no}
    before = state()

    response = rep_api.patch(f"{API}/contacts/{person.no}/", body)

    assert response.status_code == 400, response.content
    assert field in response.json()
    assert state() == before


def test_the_type_of_a_contact_with_opportunities_cannot_change(rep_api, company, start):
    lone = contact_create(type="person", name="Lone Wolf")
    start(lone)
    before = state()

    response = rep_api.patch(f"{API}/contacts/{lone.no}/", {"type": "company"})

    assert_refused(response, 409, "contact_type_locked")
    assert lone.no in response.json()["detail"]
    assert state() == before


def test_a_company_with_persons_cannot_become_a_person(rep_api, person, company):
    before = state()

    response = rep_api.patch(f"{API}/contacts/{company.no}/", {"type": "person"})

    assert_refused(response, 409, "contact_has_persons")
    assert state() == before


# --- contacts: delete ---------------------------------------------------------------------------


def test_a_manager_deletes_an_unused_contact(manager_api, person):
    response = manager_api.delete(f"{API}/contacts/{person.no}/")

    assert response.status_code == 204
    assert not Contact.objects.filter(no=person.no).exists()
    assert not ContactSearchString.objects.filter(contact_id=person.pk).exists()


def test_a_contact_with_open_opportunities_cannot_be_deleted(manager_api, person, start):
    start(person)
    before = state()

    response = manager_api.delete(f"{API}/contacts/{person.no}/")

    assert_refused(response, 409, "contact_in_use")
    assert state() == before


def test_a_company_with_persons_cannot_be_deleted(manager_api, person, company):
    before = state()

    response = manager_api.delete(f"{API}/contacts/{company.no}/")

    assert_refused(response, 409, "contact_has_persons")
    assert state() == before


def test_a_contact_in_the_history_cannot_be_deleted(manager_api, person, finish):
    finish(person)
    before = state()

    response = manager_api.delete(f"{API}/contacts/{person.no}/")

    assert_refused(response, 409, "contact_has_history")
    assert state() == before


def test_a_contact_refusal_in_german(manager_api, person, start):
    start(person)

    response = manager_api.delete(f"{API}/contacts/{person.no}/", HTTP_ACCEPT_LANGUAGE="de")

    assert_refused(response, 409, "contact_in_use")
    assert "Kontakt" in response.json()["detail"]


# --- duplicates -------------------------------------------------------------------------------


def test_the_duplicates_of_a_contact_with_their_score(plain_api, company):
    exact = contact_create(
        type="company",
        name="Müller & Söhne GmbH",
        address="Hauptstraße 5",
        post_code="10115",
        city="Berlin",
        phone="+49 30 1234567",
        email="info@mueller-soehne.de",
    )
    near = contact_create(
        type="company",
        name="MÜLLER + SÖHNE GMBH.",
        address="Hauptstr. 5",
        post_code="10115",
        city="BERLIN",
        phone="+49 (30) 123 45 67",
    )
    contact_create(type="company", name="Acme Trading Ltd", city="Madrid")

    response = plain_api.get(f"{API}/contacts/{company.no}/duplicates/")

    assert response.status_code == 200
    body = response.json()
    assert list(body) == ["results"]
    assert [(row["contact"]["no"], row["score"]) for row in body["results"]] == [
        (exact.no, 100),
        (near.no, body["results"][1]["score"]),
    ]
    assert 60 <= body["results"][1]["score"] < 100
    assert body["results"][0]["contact"] == {
        "no": exact.no,
        "name": "Müller & Söhne GmbH",
        "type": "company",
        "city": "Berlin",
        "email": "info@mueller-soehne.de",
    }


def test_a_contact_without_duplicates(rep_api, company):
    lone = contact_create(type="company", name="Acme Trading Ltd", city="Madrid")

    assert rep_api.get(f"{API}/contacts/{lone.no}/duplicates/").json() == {"results": []}


# --- query counts -------------------------------------------------------------------------------


def make_contacts(count: int) -> None:
    """Persons of their own company each, with their own salesperson."""
    for _ in range(count):
        PersonFactory(salesperson=SalespersonFactory(user=UserFactory()))


# token + count + page (companies and salespeople joined)
LIST_QUERIES = {"/contacts/": 3, "/salespeople/": 3}


@pytest.mark.parametrize("path", LIST_QUERIES)
def test_list_queries_do_not_grow_with_the_data_or_the_page_size(rep_api, django_assert_max_num_queries, path):
    counts = []

    def get(page_size: int) -> dict:
        with django_assert_max_num_queries(LIST_QUERIES[path]) as captured:
            response = rep_api.get(f"{API}{path}?page_size={page_size}")
        assert response.status_code == 200
        counts.append(len(captured))
        return response.json()

    make_contacts(3)
    assert get(10)["count"] >= 3
    get(100)
    make_contacts(30)
    for page_size in (10, 100):
        body = get(page_size)
        assert body["count"] >= 30
        assert len(body["results"]) == min(page_size, body["count"])
    assert len(set(counts)) == 1, counts


def test_duplicate_queries_do_not_grow_with_the_matches(rep_api, company, django_assert_max_num_queries):
    counts = []
    for _ in range(2):
        for n in range(10):
            contact_create(
                type="company",
                name="Müller & Söhne GmbH",
                address="Hauptstraße 5",
                post_code="10115",
                city="Berlin",
                phone="+49 30 1234567",
                email=f"sales{n}@example.com",
            )
        with django_assert_max_num_queries(4) as captured:
            response = rep_api.get(f"{API}/contacts/{company.no}/duplicates/")
        assert response.json()["results"]
        counts.append(len(captured))
    assert counts[0] == counts[1]


def test_searching_and_filtering_contacts_costs_the_same(rep_api, django_assert_max_num_queries):
    make_contacts(30)
    company = CompanyFactory(name="Target Corp")
    PersonFactory(company=company, salesperson=Salesperson.objects.first())

    # One more for a search: the ids of the page, then its rows (common/ordering.py).
    with django_assert_max_num_queries(LIST_QUERIES["/contacts/"] + 1):
        response = rep_api.get(f"{API}/contacts/?search=example&company={company.no}&ordering=-name&page_size=100")
    assert len(results(response)) == 1


# --- the list written from rows ------------------------------------------------------------------


@pytest.mark.parametrize("zone", ["UTC", "Europe/Berlin"])
def test_the_contact_list_writes_what_the_serializer_writes(rep_api, rep, zone):
    company = CompanyFactory(name='Müller & "Söhne" <GmbH>', city="Köln", email="info@example.com", notes="a\nb")
    PersonFactory(company=company, salesperson=rep, phone="+49 30 1", job_title="CEO", language="de")
    PersonFactory(company=None, salesperson=None, website="https://example.com")

    with timezone.override(zoneinfo.ZoneInfo(zone)):
        listed = rep_api.get("/api/v1/contacts/?page_size=10", HTTP_ACCEPT_LANGUAGE="en").json()
        expected = ContactSerializer(Contact.objects.select_related("company", "salesperson").order_by("no"), many=True)
        expected = [dict(row) for row in expected.data]

    assert listed["count"] == 3
    assert listed["results"] == expected
    assert {row["company"] for row in listed["results"]} == {None, company.no}
    assert {row["salesperson"] for row in listed["results"]} == {None, rep.code}


# --- a search's page: the matches first, then their order ----------------------------------------


@pytest.fixture
def searchable(db) -> list[Contact]:
    """Contacts whose names, e-mails and cities match "berg" in a mixed order of numbers and names."""
    names = ["Zoe Berger", "Adam Bergmann", "Mia Weissberg", "Karl Stein", "Berg & Tal AG", "Otto Ohneberg", "Eva Ek"]
    made = []
    for index, name in enumerate(names):
        made.append(
            contact_create(
                type="company",
                name=name,
                city="Heidelberg" if index == 6 else "Bonn",
                email=f"c{index}@example.com",
            )
        )
    return made


def _expected(contacts, key, search="berg", reverse=False) -> list[str]:
    matching = [c for c in contacts if search in f"{c.no} {c.name} {c.email} {c.phone} {c.city}".casefold()]
    return [c.no for c in sorted(matching, key=lambda c: (getattr(c, key), c.no), reverse=reverse)]


@pytest.mark.parametrize(
    ("ordering", "key", "reverse"), [("", "no", False), ("name", "name", False), ("-name", "name", True)]
)
def test_a_search_lists_its_matches_in_the_order_asked_for_across_pages(rep_api, searchable, ordering, key, reverse):
    query = f"search=berg&page_size=2{'&ordering=' + ordering if ordering else ''}"
    found, page = [], 1
    while True:
        response = rep_api.get(f"{API}/contacts/?{query}&page={page}").json()
        found += [row["no"] for row in response["results"]]
        if not response["next"]:
            break
        page += 1

    assert response["count"] == 6
    assert found == _expected(searchable, key, reverse=reverse)


def test_a_search_page_reads_the_ids_sorted_after_matching_then_the_rows(rep_api, searchable):
    with CaptureQueriesContext(connection) as captured:
        found = results(rep_api.get(f"{API}/contacts/?search=berg&page_size=3"))

    ids_query, rows_query = [q["sql"] for q in captured.captured_queries[-2:]]
    assert ids_query.startswith('SELECT "contacts_contact"."id"') and "JOIN" not in ids_query
    assert "||" in ids_query.split("ORDER BY")[1]  # an order no index serves: the matches first
    assert "JOIN" in rows_query and " IN (" in rows_query
    assert [row["no"] for row in found] == _expected(searchable, "no")[:3]


def test_a_search_too_short_for_the_trigram_index_keeps_the_plain_order(rep_api, searchable):
    with CaptureQueriesContext(connection) as captured:
        found = results(rep_api.get(f"{API}/contacts/?search=be"))

    page_query = captured.captured_queries[-1]["sql"]
    assert "ORDER BY 1 ASC" in page_query and "||" not in page_query
    assert [row["no"] for row in found] == _expected(searchable, "no", search="be")


def test_an_empty_search_page_answers_with_no_rows(rep_api, searchable):
    response = rep_api.get(f"{API}/contacts/?search=nothing-like-it").json()

    assert response["count"] == 0 and response["results"] == []
