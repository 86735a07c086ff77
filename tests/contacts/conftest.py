"""Helpers for the contact tests: opportunities are made through the opportunity services."""

from decimal import Decimal

import pytest

from contacts.models import Contact
from contacts.services import contact_create
from opportunities.models import Opportunity
from opportunities.services import opportunity_close, opportunity_create


@pytest.fixture
def company(db) -> Contact:
    return contact_create(type="company", name="Müller & Söhne GmbH", city="Berlin", phone="+49 30 1234567")


@pytest.fixture
def person(company) -> Contact:
    return contact_create(type="person", first_name="Anna", surname="Berg", company=company)


@pytest.fixture
def open_opportunity(cycle, rep):
    """An opportunity of the rep in progress (at stage 1, with the stage's two open tasks)."""

    def make(contact: Contact) -> Opportunity:
        return opportunity_create(
            user=rep.user,
            description="Open deal",
            contact=contact,
            sales_cycle=cycle,
            activate_first_stage=True,
            estimated_value=Decimal("1000"),
        )

    return make


@pytest.fixture
def closed_opportunity(open_opportunity, rep, won_code):
    """A won opportunity of the rep (its tasks are canceled on closing)."""

    def make(contact: Contact) -> Opportunity:
        opportunity = open_opportunity(contact)
        opportunity_close(opportunity=opportunity, user=rep.user, outcome="won", close_code=won_code)
        opportunity.refresh_from_db()
        return opportunity

    return make
