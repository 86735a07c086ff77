"""Deleting a salesperson (SPEC §3.5): never while in use, never once in the history."""

import datetime

import pytest

from contacts.models import Contact, Salesperson
from contacts.services import ContactError, contact_create, salesperson_delete
from opportunities.models import Opportunity, OpportunityEntry, Task
from opportunities.services import opportunity_change, opportunity_create, task_cancel, task_create
from tests.factories import SalespersonFactory

pytestmark = pytest.mark.django_db


def _assert_refused(salesperson: Salesperson, code: str) -> None:
    before = Salesperson.objects.filter(pk=salesperson.pk).values().get()
    counts = (Opportunity.objects.count(), OpportunityEntry.objects.count(), Task.objects.count())
    with pytest.raises(ContactError) as caught:
        salesperson_delete(salesperson=salesperson)
    assert caught.value.code == code
    assert Salesperson.objects.filter(pk=salesperson.pk).values().get() == before
    assert (Opportunity.objects.count(), OpportunityEntry.objects.count(), Task.objects.count()) == counts


def test_a_salesperson_with_a_not_started_opportunity_cannot_be_deleted(rep, cycle, person):
    opportunity_create(user=rep.user, description="Deal", contact=person, sales_cycle=cycle)
    _assert_refused(rep, "salesperson_in_use")


def test_a_salesperson_with_an_opportunity_in_progress_cannot_be_deleted(rep, person, open_opportunity):
    open_opportunity(person)
    _assert_refused(rep, "salesperson_in_use")


def test_a_salesperson_with_an_open_task_cannot_be_deleted(rep, person):
    task_create(user=rep.user, description="Call", date=datetime.date(2026, 3, 2), contact=person)
    _assert_refused(rep, "salesperson_in_use")


def test_a_salesperson_with_only_closed_opportunities_cannot_be_deleted(rep, person, closed_opportunity):
    closed_opportunity(person)
    assert not Task.objects.filter(salesperson=rep, closed=False).exists()
    _assert_refused(rep, "salesperson_has_history")


def test_a_salesperson_whose_opportunity_was_reassigned_cannot_be_deleted(
    rep, other_rep, manager, person, open_opportunity
):
    opportunity = open_opportunity(person)
    opportunity_change(opportunity=opportunity, user=manager, salesperson=other_rep)
    # The opportunity and its open tasks went to the other rep; the first entry still names this one.
    assert not Opportunity.objects.filter(salesperson=rep).exists()
    assert not Task.objects.filter(salesperson=rep).exists()
    _assert_refused(rep, "salesperson_has_history")


def test_a_salesperson_with_only_closed_tasks_cannot_be_deleted(rep, person):
    task = task_create(user=rep.user, description="Call", date=datetime.date(2026, 3, 2), contact=person)
    task_cancel(task=task, user=rep.user)
    _assert_refused(rep, "salesperson_has_history")


def test_an_unused_salesperson_is_deleted_and_their_contacts_stay():
    salesperson = SalespersonFactory(code="GONE")
    contact = contact_create(name="Acme Ltd", salesperson=salesperson)
    salesperson_delete(salesperson=salesperson)
    assert not Salesperson.objects.filter(pk=salesperson.pk).exists()
    assert Contact.objects.get(pk=contact.pk).salesperson_id is None
