"""A lead's page, its actions (assign, disqualify, reopen) and qualifying it through the UI."""

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils.html import escape

from contacts.models import Contact
from contacts.services import contact_create
from leads.models import Lead
from opportunities.models import Opportunity
from tests.factories import LeadFactory, SalesCycleFactory, SalespersonFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def lead(db):
    return LeadFactory(
        company_name="Acme GmbH",
        first_name="Anna",
        surname="Schmidt",
        email="anna@acme.example",
        phone="+49 30 1234",
        campaign="Hannover fair",
        message="Call me <b>now</b>",
        payload={"note": "<script>alert(1)</script>", "count": 3},
    )


def _qualify(client, lead, **data):
    values = {
        "company_choice": "new",
        "company_name": "Acme GmbH",
        "company_country": "DE",
        "person_choice": "new",
        "person_first_name": "Anna",
        "person_surname": "Schmidt",
        "person_email": "anna@acme.example",
        "description": "Acme pumps",
        "salesperson": "REP",
        "sales_cycle": "NEW",
    }
    values.update(data)
    return client.post(reverse("leads:qualify", args=[lead.no]), {k: v for k, v in values.items() if v is not None})


# --- detail ----------------------------------------------------------------------------------


def test_the_page_shows_the_fields_the_escaped_payload_and_the_duplicates(client, rep, other_rep, lead):
    known = contact_create(type="person", first_name="Anna", surname="Schmidt", email="ANNA@acme.example")
    earlier = LeadFactory(email="anna@acme.example")
    hidden = LeadFactory(email="anna@acme.example", salesperson=other_rep)
    client.force_login(rep.user)
    response = client.get(reverse("leads:detail", args=[lead.no]))
    assert response.status_code == 200
    content = response.content.decode()
    for text in ("Acme GmbH", "Anna", "Schmidt", "anna@acme.example", "+49 30 1234", "Hannover fair", "Manual"):
        assert text in content
    assert "Call me &lt;b&gt;now&lt;/b&gt;" in content
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in content and "<script>alert" not in content
    assert "&quot;count&quot;: 3" in content
    assert reverse("contacts:detail", args=[known.no]) in content
    assert reverse("leads:detail", args=[earlier.no]) in content
    # A lead the rep may not see is not shown, not even as a duplicate.
    assert hidden.no not in content
    assert reverse("leads:qualify", args=[lead.no]) in content


def test_a_qualified_lead_links_the_contacts_and_the_opportunity(client, rep, cycle, lead):
    client.force_login(rep.user)
    _qualify(client, lead)
    lead.refresh_from_db()
    content = client.get(reverse("leads:detail", args=[lead.no])).content.decode()
    assert reverse("contacts:detail", args=[lead.company_contact.no]) in content
    assert reverse("contacts:detail", args=[lead.person_contact.no]) in content
    assert reverse("opportunities:detail", args=[lead.opportunity.no]) in content
    assert reverse("leads:qualify", args=[lead.no]) not in content


def test_a_lead_of_another_rep_is_not_found(client, rep, other_rep):
    theirs = LeadFactory(salesperson=other_rep)
    client.force_login(rep.user)
    for name in ("leads:detail", "leads:qualify"):
        assert client.get(reverse(name, args=[theirs.no])).status_code == 404
    for name in ("leads:assign", "leads:disqualify", "leads:reopen", "leads:qualify"):
        assert client.post(reverse(name, args=[theirs.no]), {"reason": "x"}).status_code == 404
    assert Lead.objects.get(pk=theirs.pk).status == "new"


def test_a_manager_assigns_and_unassigns(client, manager, rep, lead):
    client.force_login(manager)
    response = client.post(reverse("leads:assign", args=[lead.no]), {"salesperson": rep.code})
    assert response.status_code == 302
    assert Lead.objects.get(pk=lead.pk).salesperson == rep
    client.post(reverse("leads:assign", args=[lead.no]), {"salesperson": ""})
    assert Lead.objects.get(pk=lead.pk).salesperson is None


def test_a_rep_takes_a_lead_but_cannot_give_it_to_somebody_else(client, rep, other_rep, lead, unchanged):
    client.force_login(rep.user)
    content = client.get(reverse("leads:detail", args=[lead.no])).content.decode()
    assert "Assign to me" in content
    with unchanged():
        response = client.post(reverse("leads:assign", args=[lead.no]), {"salesperson": other_rep.code})
    assert response.status_code == 400
    client.post(reverse("leads:assign", args=[lead.no]), {"salesperson": rep.code})
    assert Lead.objects.get(pk=lead.pk).salesperson == rep


def test_disqualify_needs_a_reason_then_reopen(client, rep, lead, unchanged):
    client.force_login(rep.user)
    with unchanged():
        response = client.post(reverse("leads:disqualify", args=[lead.no]), {"reason": "  "})
    assert response.status_code == 400
    assert response.context["disqualify_form"].errors["reason"] == ["Give the reason for disqualifying the lead."]

    response = client.post(reverse("leads:disqualify", args=[lead.no]), {"reason": "Student project"})
    assert response.status_code == 302
    lead.refresh_from_db()
    assert (lead.status, lead.disqualification_reason) == ("disqualified", "Student project")
    content = client.get(reverse("leads:detail", args=[lead.no])).content.decode()
    assert "Student project" in content and reverse("leads:reopen", args=[lead.no]) in content

    with unchanged():
        response = client.post(reverse("leads:disqualify", args=[lead.no]), {"reason": "Again"}, follow=True)
    assert f"Lead {lead.no} is disqualified; reopen it first." in [str(m) for m in response.context["messages"]]
    client.post(reverse("leads:reopen", args=[lead.no]))
    lead.refresh_from_db()
    assert (lead.status, lead.disqualification_reason) == ("new", "")


# --- qualify ---------------------------------------------------------------------------------


def test_the_qualify_form_is_prefilled_and_offers_likely_duplicates_first(client, rep, cycle, lead, settings):
    settings.CRM_DEFAULT_SALES_CYCLE = "NEW"
    company = contact_create(type="company", name="Acme GmbH", city="Berlin")
    client.force_login(rep.user)
    response = client.get(reverse("leads:qualify", args=[lead.no]))
    assert response.status_code == 200
    form = response.context["form"]
    choices = [value for value, _label in form.fields["company_choice"].choices]
    assert choices == [company.no, "new", "existing", "none"]
    assert form["company_choice"].value() == company.no  # same name: an exact match
    assert form["person_choice"].value() == "new"
    assert form["company_name"].value() == "Acme GmbH"
    assert (form["person_first_name"].value(), form["person_email"].value()) == ("Anna", "anna@acme.example")
    assert form["description"].value() == "Acme GmbH (Hannover fair)"
    assert (form["sales_cycle"].value(), form["salesperson"].value()) == ("NEW", "REP")
    content = response.content.decode()
    assert escape("Acme GmbH") in content and "100 % match" in content
    assert 'list="company-options"' in content and reverse("leads:contact_options") in content


def test_the_contact_suggestions_offer_companies_for_the_company_and_persons_for_the_person(client, rep):
    company = contact_create(type="company", name="Acme GmbH")
    person = contact_create(type="person", first_name="Acme", surname="Fan", company=company)
    client.force_login(rep.user)
    url = reverse("leads:contact_options")
    companies = client.get(url, {"company_no": "acm"}).content.decode()
    assert f'value="{company.no}"' in companies and person.no not in companies
    persons = client.get(url, {"person_no": "Acme"}).content.decode()
    assert f'value="{person.no}"' in persons and company.no not in persons
    assert client.get(url, {"company_no": ""}).content.decode().strip() == ""


def test_qualify_into_a_new_company_person_and_activated_opportunity(client, rep, cycle, lead):
    client.force_login(rep.user)
    response = _qualify(
        client,
        lead,
        activate_first_stage="on",
        estimated_value="5000",
        chances_of_success_pct="25",
        estimated_close_date="2026-12-31",
    )
    opportunity = Opportunity.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("opportunities:detail", args=[opportunity.no])
    lead.refresh_from_db()
    assert Contact.objects.count() == 2
    assert (lead.status, lead.opportunity, lead.salesperson) == ("qualified", opportunity, rep)
    assert (lead.company_contact.name, lead.company_contact.type) == ("Acme GmbH", "company")
    assert (lead.person_contact.name, lead.person_contact.company) == ("Anna Schmidt", lead.company_contact)
    assert (opportunity.contact, opportunity.description, opportunity.status) == (
        lead.person_contact,
        "Acme pumps",
        Opportunity.Status.IN_PROGRESS,
    )
    assert (opportunity.estimated_value, opportunity.chances_of_success_pct) == (Decimal("5000"), Decimal("25"))
    assert opportunity.estimated_closing_date == datetime.date(2026, 12, 31)
    followed = client.get(response["Location"])
    assert f"Lead {lead.no} is qualified into opportunity {opportunity.no}." in followed.content.decode()


def test_qualify_reuses_an_existing_company_by_number(client, rep, cycle, lead):
    other = contact_create(type="company", name="Acme Holding AG")
    client.force_login(rep.user)
    response = _qualify(client, lead, company_choice="existing", company_no=other.no, person_choice="new")
    assert response.status_code == 302
    lead.refresh_from_db()
    assert Contact.objects.count() == 2  # the existing company and the one new person
    assert lead.company_contact == other
    assert lead.person_contact.company == other
    assert Opportunity.objects.get().status == Opportunity.Status.NOT_STARTED


def test_qualify_reuses_an_offered_duplicate_company_and_only_it(client, rep, cycle, lead):
    company = contact_create(type="company", name="Acme GmbH")
    client.force_login(rep.user)
    response = _qualify(client, lead, company_choice=company.no, person_choice="none")
    assert response.status_code == 302
    assert Contact.objects.count() == 1
    assert Opportunity.objects.get().contact == company


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"company_choice": "existing", "company_no": ""}, "company_no"),
        ({"company_choice": "existing", "company_no": "CT999999"}, "company_no"),
        ({"company_choice": "none", "person_choice": "none"}, "company_choice"),
        ({"company_name": ""}, "company_name"),
        ({"person_email": "no-address"}, "person_email"),
        ({"description": ""}, "description"),
        ({"chances_of_success_pct": "150", "activate_first_stage": "on"}, "chances_of_success_pct"),
    ],
)
def test_a_failing_qualification_shows_field_errors_and_creates_nothing(
    client, rep, cycle, lead, unchanged, data, field
):
    client.force_login(rep.user)
    with unchanged():
        response = _qualify(client, lead, **data)
    assert response.status_code == 400
    assert field in response.context["form"].errors
    assert "Nothing has been created." in response.content.decode()


def test_a_refusal_after_the_contacts_were_made_leaves_no_contact_behind(client, rep, cycle, lead, unchanged):
    SalesCycleFactory(code="EMPTY")  # no stages: its first stage cannot be activated
    client.force_login(rep.user)
    with unchanged():
        response = _qualify(client, lead, sales_cycle="EMPTY", activate_first_stage="on")
    assert response.status_code == 409
    assert response.context["form"].non_field_errors()
    assert Contact.objects.count() == 0
    assert Lead.objects.get(pk=lead.pk).status == "new"


def test_a_blocked_cycle_or_another_salesperson_are_not_offered_to_a_rep(client, rep, cycle, lead, unchanged):
    SalesCycleFactory(code="OLD", blocked=True)
    SalespersonFactory(code="ZED")
    client.force_login(rep.user)
    for data, field in (({"sales_cycle": "OLD"}, "sales_cycle"), ({"salesperson": "ZED"}, "salesperson")):
        with unchanged():
            response = _qualify(client, lead, **data)
        assert response.status_code == 400 and field in response.context["form"].errors


def test_a_manager_qualifies_for_another_salesperson_and_a_rep_sees_it_on_their_board(
    client, manager, rep, cycle, lead
):
    client.force_login(manager)
    assert _qualify(client, lead, salesperson=rep.code).status_code == 302
    opportunity = Opportunity.objects.get()
    assert opportunity.salesperson == rep
    assert Lead.objects.get(pk=lead.pk).salesperson == rep


def test_a_qualified_lead_cannot_be_qualified_again(client, rep, cycle, lead, unchanged):
    client.force_login(rep.user)
    _qualify(client, lead)
    with unchanged():
        response = _qualify(client, lead)
    assert response.status_code == 302
    assert response["Location"] == reverse("leads:detail", args=[lead.no])
