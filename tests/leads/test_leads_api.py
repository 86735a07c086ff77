"""The leads API (SPEC §7): intake, list and filters, detail, and the commands with their refusals."""

import pytest
from django.contrib.auth.models import Permission
from rest_framework.test import APIClient

from contacts.models import Contact
from contacts.services import contact_create
from leads import services
from leads.models import Lead
from opportunities.models import Opportunity
from tests.api.conftest import token_client
from tests.api.opportunity_helpers import count_queries
from tests.factories import LeadFactory, UserFactory

API = "/api/v1/leads/"


def url(no: str, command: str = "") -> str:
    return f"{API}{no}/" + (f"{command}/" if command else "")


@pytest.fixture
def rep_api(rep):
    return token_client(rep.user)


@pytest.fixture
def other_rep_api(other_rep):
    return token_client(other_rep.user)


@pytest.fixture
def manager_api(manager):
    return token_client(manager)


@pytest.fixture
def plain_api(plain_user):
    return token_client(plain_user)


def assert_refused(response, status: int, code: str) -> None:
    assert response.status_code == status, response.content
    body = response.json()
    assert set(body) == {"detail", "code"} and body["code"] == code, body


# --- intake ----------------------------------------------------------------------------------


def test_a_token_client_posts_a_lead_with_source_api_and_its_raw_body(rep_api, rep):
    body = {"company_name": "Acme GmbH", "first_name": "Anna", "email": "anna@acme.example", "country": "de"}

    response = rep_api.post(API, body, format="json")

    assert response.status_code == 201, response.content
    data = response.json()
    assert data["no"].startswith("LD") and data["source"] == "api" and data["status"] == "new"
    assert data["country"] == "DE" and data["created_by"] == "rita"
    assert Lead.objects.get(no=data["no"]).payload == body


def test_a_browser_session_posts_a_manual_lead(client, rep):
    client.force_login(rep.user)
    response = client.post(API, {"email": "a@b.example"}, content_type="application/json")
    assert response.status_code == 201
    assert response.json()["source"] == "manual"


def test_an_integration_login_with_the_add_permission_posts_but_reads_nothing(db):
    user = UserFactory(username="webshop")
    user.user_permissions.add(Permission.objects.get(codename="add_lead"))
    api = token_client(user)

    response = api.post(API, {"phone": "+49 30 1"}, format="json")

    assert response.status_code == 201
    assert api.get(API).json()["count"] == 0
    assert api.get(url(response.json()["no"])).status_code == 404


def test_a_plain_user_and_an_anonymous_client_cannot_post(plain_api):
    assert plain_api.post(API, {"email": "a@b.example"}, format="json").status_code == 403
    assert APIClient().post(API, {"email": "a@b.example"}, format="json").status_code == 401
    assert not Lead.objects.exists()


@pytest.mark.parametrize(
    "body, fields",
    [
        ({"company_name": "Acme"}, {"email", "phone"}),
        ({"email": "a@b.example", "company_name": "x" * 101}, {"company_name"}),
        ({"email": "a@b.example", "message": "x" * 4001}, {"message"}),
        ({"email": "nope"}, {"email"}),
        ({"phone": "call me"}, {"phone"}),
        ({"email": "a@b.example", "country": "D1"}, {"country"}),
        ({"email": "a@b.example", "status": "qualified", "salary": 1}, {"status", "salary"}),
    ],
)
def test_bad_input_answers_400_with_field_errors_and_stores_nothing(rep_api, body, fields):
    response = rep_api.post(API, body, format="json")
    assert response.status_code == 400, response.content
    assert fields <= set(response.json())
    assert not Lead.objects.exists()


def test_a_rep_cannot_post_a_lead_for_another_salesperson(rep_api, other_rep):
    response = rep_api.post(API, {"email": "a@b.example", "salesperson": other_rep.code}, format="json")
    assert_refused(response, 403, "cannot_assign_other_salesperson")
    assert not Lead.objects.exists()


# --- reading ---------------------------------------------------------------------------------


def test_the_list_shows_what_each_persona_may_see(rep_api, other_rep_api, manager_api, plain_api, rep, other_rep):
    free, mine, theirs = LeadFactory(), LeadFactory(salesperson=rep), LeadFactory(salesperson=other_rep)

    def nos(api):
        return {row["no"] for row in api.get(API).json()["results"]}

    assert nos(rep_api) == {free.no, mine.no}
    assert nos(other_rep_api) == {free.no, theirs.no}
    assert nos(manager_api) == {free.no, mine.no, theirs.no}
    assert nos(plain_api) == set()
    assert rep_api.get(url(theirs.no)).status_code == 404


def test_the_list_filters_and_searches(manager_api, rep, manager):
    web = services.lead_create(source="web_form", company_name="Acme", email="a@acme.example")
    api = services.lead_create(source="api", company_name="Beta", phone="1", salesperson=rep)
    services.lead_disqualify(lead=api, user=manager, reason="Spam")

    def nos(**query):
        response = manager_api.get(API, query)
        assert response.status_code == 200, response.content
        return [row["no"] for row in response.json()["results"]]

    assert nos(source="web_form") == [web.no]
    assert nos(status="disqualified") == [api.no]
    assert nos(salesperson="REP") == [api.no]
    assert nos(assigned="false") == [web.no]
    assert nos(search="acme") == [web.no]
    assert set(nos(created_after="2000-01-01")) == {web.no, api.no}
    assert nos(created_before="2000-01-01") == []
    assert nos() == [api.no, web.no]  # newest first
    assert manager_api.get(API, {"status": "bogus"}).status_code == 400


def test_the_detail_shows_the_duplicates(manager_api):
    contact = contact_create(type="company", name="Acme GmbH", email="anna@acme.example")
    earlier = services.lead_create(source="api", email="anna@acme.example")
    lead = services.lead_create(source="api", email="ANNA@acme.example")

    data = manager_api.get(url(lead.no)).json()

    assert data["is_possible_duplicate"] is True
    assert [row["no"] for row in data["duplicates"]["contacts"]] == [contact.no]
    assert [row["no"] for row in data["duplicates"]["leads"]] == [earlier.no]


@pytest.mark.parametrize("who, pin", [("rep", 5), ("manager", 4)])  # auth, permissions, (salesperson), count, page
def test_the_list_costs_the_same_queries_for_3_or_30_leads(
    request, who, pin, rep, cycle, manager, django_assert_max_num_queries
):
    api = request.getfixturevalue(f"{who}_api")

    def grow(count):
        for index in range(count):
            lead = LeadFactory(salesperson=rep if index % 2 else None)
            if index % 3 == 0:
                services.lead_qualify(
                    lead=lead,
                    user=manager,
                    create_company={"name": f"Company {lead.no}"},
                    salesperson=rep,
                    sales_cycle=cycle,
                    description="Deal",
                )

    counts = []
    for added in (3, 27):
        grow(added)
        with django_assert_max_num_queries(pin):
            counts.append(count_queries(api, API + "?page_size=100"))
    assert counts == [pin, pin]


# --- commands --------------------------------------------------------------------------------


def test_qualify_through_the_api_creates_contacts_and_an_activated_opportunity(rep_api, rep, cycle):
    lead = LeadFactory(company_name="Acme GmbH", first_name="Anna", surname="Schmidt")

    response = rep_api.post(
        url(lead.no, "qualify"),
        {
            "create_company": {"name": "Acme GmbH", "city": "Berlin"},
            "create_person": {"first_name": "Anna", "surname": "Schmidt"},
            "sales_cycle": cycle.code,
            "description": "Acme fleet",
            "activate_first_stage": True,
            "estimated_value": "1000.00",
        },
        format="json",
    )

    assert response.status_code == 200, response.content
    data = response.json()
    assert data["status"] == "qualified" and data["salesperson"] == "REP"
    opportunity = Opportunity.objects.get(no=data["opportunity"])
    assert opportunity.status == "in_progress"
    assert opportunity.contact.no == data["person_contact"]
    assert Contact.objects.get(no=data["person_contact"]).company.no == data["company_contact"]


def test_qualify_refusals_answer_and_change_nothing(rep_api, other_rep, cycle):
    lead = LeadFactory()
    before = (Contact.objects.count(), Opportunity.objects.count())

    response = rep_api.post(
        url(lead.no, "qualify"),
        {
            "create_company": {"name": "Acme"},
            "salesperson": other_rep.code,
            "sales_cycle": cycle.code,
            "description": "A",
        },
        format="json",
    )
    assert_refused(response, 403, "cannot_assign_other_salesperson")

    response = rep_api.post(
        url(lead.no, "qualify"),
        {"create_company": {"name": "Acme", "bogus": 1}, "sales_cycle": cycle.code, "description": "A"},
        format="json",
    )
    assert response.status_code == 400 and "create_company" in response.json()

    response = rep_api.post(
        url(lead.no, "qualify"),
        {"create_company": {"name": "Acme"}, "sales_cycle": cycle.code, "description": "A", "estimated_value": "5"},
        format="json",
    )
    assert response.status_code == 400 and "estimated_value" in response.json()

    assert (Contact.objects.count(), Opportunity.objects.count()) == before
    assert Lead.objects.get(pk=lead.pk).status == "new"


def test_disqualify_reopen_and_assign_through_the_api(rep_api, rep, mailoutbox, django_capture_on_commit_callbacks):
    lead = LeadFactory()

    response = rep_api.post(url(lead.no, "disqualify"), {"reason": "Spam"}, format="json")
    assert response.status_code == 200 and response.json()["status"] == "disqualified"
    assert_refused(
        rep_api.post(url(lead.no, "disqualify"), {"reason": "Spam"}, format="json"), 409, "lead_disqualified"
    )

    response = rep_api.post(url(lead.no, "reopen"), {}, format="json")
    assert response.status_code == 200 and response.json()["status"] == "new"

    with django_capture_on_commit_callbacks(execute=True):
        response = rep_api.post(url(lead.no, "assign"), {"salesperson": rep.code}, format="json")
    assert response.status_code == 200 and response.json()["salesperson"] == rep.code
    assert len(mailoutbox) == 1


def test_disqualify_without_reason_is_a_field_error(rep_api):
    lead = LeadFactory()
    response = rep_api.post(url(lead.no, "disqualify"), {"reason": ""}, format="json")
    assert response.status_code == 400 and "reason" in response.json()
    assert Lead.objects.get(pk=lead.pk).status == "new"


def test_commands_on_another_reps_lead_are_404_for_a_rep_and_403_for_a_plain_user(
    rep_api, plain_api, other_rep, manager_api
):
    lead = LeadFactory(salesperson=other_rep)
    for command, body in (("disqualify", {"reason": "x"}), ("reopen", {}), ("assign", {"salesperson": "REP"})):
        assert rep_api.post(url(lead.no, command), body, format="json").status_code == 404
        assert plain_api.post(url(lead.no, command), body, format="json").status_code == 403
    assert_refused(manager_api.post(url(lead.no, "reopen"), {}, format="json"), 409, "lead_not_disqualified")
    assert Lead.objects.get(pk=lead.pk).salesperson == other_rep


def test_a_rep_cannot_assign_a_free_lead_to_another(rep_api, other_rep):
    lead = LeadFactory()
    response = rep_api.post(url(lead.no, "assign"), {"salesperson": other_rep.code}, format="json")
    assert_refused(response, 403, "cannot_assign_other_salesperson")
    assert Lead.objects.get(pk=lead.pk).salesperson is None


def test_there_is_no_update_or_delete(manager_api):
    lead = LeadFactory()
    assert manager_api.patch(url(lead.no), {"status": "qualified"}, format="json").status_code == 405
    assert manager_api.delete(url(lead.no)).status_code == 405
