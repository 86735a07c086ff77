"""Qualifying a lead: exactly the chosen contacts and opportunity, in one transaction."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from common.errors import PermissionRefused
from contacts.models import Contact
from contacts.services import contact_create
from leads import services
from opportunities import services as opportunity_services
from opportunities.models import Opportunity, OpportunityEntry, Task
from opportunities.services import OpportunityError
from tests.factories import LeadFactory, SalesCycleFactory, SalespersonFactory


@pytest.fixture
def lead(db):
    return LeadFactory(company_name="Acme GmbH", first_name="Anna", surname="Schmidt", email="anna@acme.example")


def test_qualify_into_a_new_company_person_and_activated_opportunity(lead, rep, cycle):
    opportunity = services.lead_qualify(
        lead=lead,
        user=rep.user,
        create_company={"name": "Acme GmbH", "country": "DE"},
        create_person={"first_name": "Anna", "surname": "Schmidt", "email": "anna@acme.example"},
        salesperson=rep,
        sales_cycle=cycle,
        description="Acme fleet",
        activate_first_stage=True,
        estimated_value=Decimal("5000"),
        chances_of_success_pct=Decimal("25"),
        estimated_close_date=datetime.date(2026, 12, 31),
    )

    lead.refresh_from_db()
    company, person = lead.company_contact, lead.person_contact
    assert Contact.objects.count() == 2
    assert (company.type, company.name, company.no[:2]) == ("company", "Acme GmbH", "CT")
    assert (person.type, person.name, person.company) == ("person", "Anna Schmidt", company)
    assert person.search_strings.exists()  # made by contact_create, with its duplicate search strings
    assert lead.opportunity == opportunity
    assert (lead.status, lead.salesperson) == ("qualified", rep)
    assert lead.qualified_at is not None
    assert (opportunity.contact, opportunity.contact_company) == (person, company)
    assert opportunity.status == Opportunity.Status.IN_PROGRESS
    assert opportunity.current_stage.stage == 1
    assert opportunity.estimated_value == Decimal("5000")
    assert opportunity.chances_of_success_pct == Decimal("25")
    assert OpportunityEntry.objects.filter(opportunity=opportunity).count() == 1
    assert Task.objects.filter(opportunity=opportunity).count() == 2  # the stage's activity


def test_qualify_reuses_existing_contacts_and_creates_only_the_opportunity(lead, rep, cycle):
    company = contact_create(type="company", name="Acme GmbH")
    person = contact_create(type="person", company=company, first_name="Anna", surname="Schmidt")

    opportunity = services.lead_qualify(
        lead=lead, user=rep.user, company=company, person=person, sales_cycle=cycle, description="Acme"
    )

    assert Contact.objects.count() == 2
    assert opportunity.contact == person
    assert opportunity.salesperson == rep  # the rep's own by default
    assert opportunity.status == Opportunity.Status.NOT_STARTED
    lead.refresh_from_db()
    assert (lead.company_contact, lead.person_contact) == (company, person)


def test_qualify_with_a_new_person_at_an_existing_company(lead, rep, cycle):
    company = contact_create(type="company", name="Acme GmbH")

    services.lead_qualify(
        lead=lead,
        user=rep.user,
        company=company,
        create_person={"first_name": "Anna", "surname": "Schmidt"},
        sales_cycle=cycle,
        description="Acme",
    )

    lead.refresh_from_db()
    assert lead.person_contact.company == company
    assert Contact.objects.count() == 2


def test_qualify_with_a_company_only(lead, manager, rep, cycle):
    opportunity = services.lead_qualify(
        lead=lead,
        user=manager,
        create_company={"name": "Acme GmbH"},
        salesperson=rep,
        sales_cycle=cycle,
        description="X",
    )
    lead.refresh_from_db()
    assert lead.person_contact is None
    assert opportunity.contact == lead.company_contact


def test_a_failure_after_the_contacts_were_made_leaves_nothing(lead, rep, cycle, monkeypatch, unchanged):
    def fail(**kwargs):
        raise OpportunityError("boom", "Forced failure")

    monkeypatch.setattr(opportunity_services, "opportunity_create", fail)
    with unchanged(), pytest.raises(OpportunityError):
        services.lead_qualify(
            lead=lead,
            user=rep.user,
            create_company={"name": "Acme GmbH"},
            create_person={"first_name": "Anna", "surname": "Schmidt"},
            sales_cycle=cycle,
            description="Acme",
        )
    lead.refresh_from_db()
    assert lead.status == "new"
    assert (lead.company_contact, lead.person_contact, lead.opportunity) == (None, None, None)


def test_a_blocked_sales_cycle_refuses_after_the_contacts_and_rolls_them_back(lead, rep, unchanged):
    blocked = SalesCycleFactory(code="OLD", blocked=True)
    with unchanged(), pytest.raises(OpportunityError) as caught:
        services.lead_qualify(
            lead=lead,
            user=rep.user,
            create_company={"name": "Acme GmbH"},
            create_person={"first_name": "Anna", "surname": "Schmidt"},
            sales_cycle=blocked,
            description="Acme",
        )
    assert caught.value.code == "sales_cycle_blocked"


def test_a_failing_activation_rolls_back_the_opportunity_and_contacts(lead, rep, unchanged):
    empty = SalesCycleFactory(code="EMPTY")  # no stages to activate
    with unchanged(), pytest.raises(OpportunityError) as caught:
        services.lead_qualify(
            lead=lead,
            user=rep.user,
            create_company={"name": "Acme GmbH"},
            sales_cycle=empty,
            description="Acme",
            activate_first_stage=True,
        )
    assert caught.value.code == "sales_cycle_has_no_stages"


def test_invalid_new_contact_fields_are_reported_by_their_prefix(lead, rep, cycle, unchanged):
    with unchanged(), pytest.raises(ValidationError) as caught:
        services.lead_qualify(
            lead=lead,
            user=rep.user,
            create_company={"name": "Acme GmbH"},
            create_person={"first_name": "A" * 31, "email": "bad"},
            sales_cycle=cycle,
            description="Acme",
        )
    assert {"create_person.first_name", "create_person.email"} <= set(caught.value.message_dict)


@pytest.mark.parametrize(
    "choice, field",
    [
        ({}, "company"),
        ({"company": "person"}, "company"),
        ({"person": "company"}, "person"),
        ({"company": "company", "create_company": {"name": "X"}}, "company"),
    ],
)
def test_contact_choices_that_make_no_sense_are_field_errors(lead, rep, cycle, unchanged, choice, field):
    company = contact_create(type="company", name="Acme GmbH")
    person = contact_create(type="person", first_name="Anna", surname="Schmidt")
    known = {"company": company, "person": person}
    resolved = {key: known[value] if isinstance(value, str) else value for key, value in choice.items()}
    with unchanged(), pytest.raises(ValidationError) as caught:
        services.lead_qualify(lead=lead, user=rep.user, sales_cycle=cycle, description="Acme", **resolved)
    assert field in caught.value.message_dict


def test_a_rep_cannot_qualify_for_another_salesperson(lead, rep, other_rep, cycle, unchanged):
    with unchanged(), pytest.raises(PermissionRefused) as caught:
        services.lead_qualify(
            lead=lead,
            user=rep.user,
            create_company={"name": "Acme GmbH"},
            salesperson=other_rep,
            sales_cycle=cycle,
            description="Acme",
        )
    assert caught.value.code == "cannot_assign_other_salesperson"


def test_a_rep_cannot_qualify_the_lead_of_another_rep(lead, rep, other_rep, cycle, unchanged):
    services.lead_assign(lead=lead, user=None, salesperson=other_rep)
    with unchanged(), pytest.raises(PermissionRefused) as caught:
        services.lead_qualify(
            lead=lead, user=rep.user, create_company={"name": "Acme GmbH"}, sales_cycle=cycle, description="Acme"
        )
    assert caught.value.code == "permission_denied"


def test_a_plain_user_cannot_qualify(lead, plain_user, rep, cycle, unchanged):
    with unchanged(), pytest.raises(PermissionRefused):
        services.lead_qualify(
            lead=lead,
            user=plain_user,
            create_company={"name": "Acme GmbH"},
            salesperson=rep,
            sales_cycle=cycle,
            description="Acme",
        )


@pytest.mark.parametrize("status, code", [("qualified", "lead_qualified"), ("disqualified", "lead_disqualified")])
def test_only_a_new_lead_is_qualified(lead, manager, rep, cycle, unchanged, status, code):
    if status == "qualified":
        services.lead_qualify(
            lead=lead,
            user=manager,
            create_company={"name": "Acme"},
            salesperson=rep,
            sales_cycle=cycle,
            description="A",
        )
    else:
        services.lead_disqualify(lead=lead, user=manager, reason="Spam")
    with unchanged(), pytest.raises(services.LeadError) as caught:
        services.lead_qualify(
            lead=lead,
            user=manager,
            create_company={"name": "Acme"},
            salesperson=rep,
            sales_cycle=cycle,
            description="A",
        )
    assert caught.value.code == code


def test_qualify_defaults_prefill_from_the_lead_and_offer_likely_duplicates_first(lead, settings, cycle):
    settings.CRM_DEFAULT_SALES_CYCLE = cycle.code
    company = contact_create(type="company", name="Acme GmbH", city="Berlin")
    person = contact_create(type="person", company=company, first_name="Anna", surname="Schmidt")
    contact_create(type="company", name="Unrelated Bakery")
    blocked_owner = SalespersonFactory(code="BLK", blocked=True)
    del blocked_owner

    defaults = services.qualify_defaults(lead)

    assert defaults.company_fields == {"name": "Acme GmbH", "country": "DE"}
    assert defaults.person_fields == {
        "first_name": "Anna",
        "surname": "Schmidt",
        "email": "anna@acme.example",
        "country": "DE",
    }
    assert [match.contact for match in defaults.company_matches] == [company]
    assert [match.contact for match in defaults.person_matches] == [person]
    assert defaults.person_matches[0].score == 100
    assert defaults.description == "Acme GmbH"
    assert defaults.sales_cycle == cycle
    assert defaults.salesperson is None
