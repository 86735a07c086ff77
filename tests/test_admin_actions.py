"""Admin actions on opportunities: they call the services, report each refusal, and leave the
refused opportunities exactly as they were."""

import datetime
from decimal import Decimal

import pytest
from django.contrib.admin import helpers
from django.urls import reverse

from opportunities import services
from opportunities.models import Opportunity, OpportunityEntry
from tests.factories import OpportunityFactory, PersonFactory

CHANGELIST = "admin:opportunities_opportunity_changelist"


@pytest.fixture
def staff_manager(manager):
    manager.is_staff = True
    manager.save(update_fields=["is_staff"])
    return manager


@pytest.fixture
def two(cycle, rep):
    """One not-started and one in-progress opportunity of the rep."""
    waiting = OpportunityFactory(sales_cycle=cycle, salesperson=rep, contact=PersonFactory(), description="Waiting")
    running = OpportunityFactory(sales_cycle=cycle, salesperson=rep, contact=PersonFactory(), description="Running")
    services.opportunity_activate(
        opportunity=running, user=rep.user, date_of_change=datetime.date(2026, 1, 10), estimated_value=Decimal("800")
    )
    return waiting, running


def _post(client, action, opportunities, **extra):
    data = {"action": action, helpers.ACTION_CHECKBOX_NAME: [str(o.pk) for o in opportunities], **extra}
    return client.post(reverse(CHANGELIST), data, follow=True)


def _state(opportunity):
    fresh = Opportunity.objects.get(pk=opportunity.pk)
    return fresh.status, fresh.current_stage_id, OpportunityEntry.objects.filter(opportunity=fresh).count()


def test_activate_first_stage_activates_the_waiting_one_and_reports_the_refused_one(client, staff_manager, two):
    waiting, running = two
    before = _state(running)
    client.force_login(staff_manager)
    content = _post(client, "activate_first_stage", [waiting, running]).content.decode()
    assert f"Activated 1 opportunities: {waiting.no}." in content
    assert f"Refused {running.no}: Opportunity {running.no} has already been started." in content
    assert Opportunity.objects.get(pk=waiting.pk).status == Opportunity.Status.IN_PROGRESS
    assert _state(running) == before


def test_close_as_won_asks_for_the_close_code_and_date_first(client, staff_manager, two, won_code):
    client.force_login(staff_manager)
    response = _post(client, "close_won", two)
    content = response.content.decode()
    assert response.status_code == 200
    assert 'name="close_code"' in content and 'name="date_closed"' in content
    assert won_code.code in content
    assert not Opportunity.objects.filter(closed=True).exists()


def test_close_as_won_closes_each_opportunity_that_can_be_closed(client, staff_manager, two, won_code):
    waiting, running = two
    client.force_login(staff_manager)
    content = _post(
        client,
        "close_won",
        two,
        apply="1",
        close_code=str(won_code.pk),
        date_closed="2026-02-01",
        cancel_open_tasks="on",
    ).content.decode()
    running.refresh_from_db()
    assert running.status == Opportunity.Status.WON and running.calculated_current_value == Decimal("800.00")
    # The not-started one has no value to win with: refused, unchanged.
    assert f"Refused {waiting.no}:" in content
    assert Opportunity.objects.get(pk=waiting.pk).status == Opportunity.Status.NOT_STARTED


def test_close_as_lost_only_offers_lost_codes(client, staff_manager, two, won_code, lost_code):
    client.force_login(staff_manager)
    content = _post(client, "close_lost", two).content.decode()
    assert lost_code.code in content and won_code.code not in content


def test_reassign_moves_the_opportunities_and_their_open_tasks(client, staff_manager, two, other_rep):
    waiting, running = two
    client.force_login(staff_manager)
    content = _post(client, "reassign_salesperson", two, apply="1", salesperson=str(other_rep.pk)).content.decode()
    assert "Reassigned 2 opportunities" in content
    assert set(Opportunity.objects.filter(pk__in=[waiting.pk, running.pk]).values_list("salesperson", flat=True)) == {
        other_rep.pk
    }
    assert not running.tasks.exclude(salesperson=other_rep).filter(closed=False).exists()


def test_delete_closed_deletes_only_closed_ones_and_reports_the_others(client, staff_manager, two, rep, lost_code):
    waiting, running = two
    services.opportunity_close(opportunity=running, user=rep.user, outcome="lost", close_code=lost_code)
    client.force_login(staff_manager)
    content = _post(client, "delete_closed", [waiting, running]).content.decode()
    assert not Opportunity.objects.filter(pk=running.pk).exists()
    assert Opportunity.objects.filter(pk=waiting.pk).exists()
    assert f"Refused {waiting.no}: Only closed opportunities are deleted by this action." in content


def test_the_bulk_delete_of_the_admin_is_replaced_by_delete_closed(client, staff_manager, two):
    client.force_login(staff_manager)
    content = client.get(reverse(CHANGELIST)).content.decode()
    assert 'value="delete_closed"' in content
    assert 'value="delete_selected"' not in content
