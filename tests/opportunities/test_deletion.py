"""Deleting opportunities (SPEC §3.5): not started by their editors, closed by managers, in progress never."""

import pytest

from common.errors import PermissionRefused
from opportunities import services
from opportunities.models import Opportunity, OpportunityEntry, Quote, QuoteLine, Task
from tests.opportunities.helpers import assert_refused


def test_a_not_started_opportunity_is_deleted_by_its_rep(opportunity, rep):
    services.opportunity_delete(opportunity=opportunity, user=rep.user)
    assert not Opportunity.objects.filter(pk=opportunity.pk).exists()


@pytest.mark.parametrize("status", ["first", "middle", "last"])
@pytest.mark.parametrize("who", ["rep", "manager"])
def test_an_opportunity_in_progress_is_never_deleted(who, status, put_in, rep, manager):
    opportunity = put_in(status)
    user = manager if who == "manager" else rep.user
    assert_refused(
        "delete_in_progress", lambda: services.opportunity_delete(opportunity=opportunity, user=user), opportunity
    )


@pytest.mark.parametrize("status", ["won", "lost"])
def test_a_closed_opportunity_is_deleted_only_by_a_manager(status, put_in, rep, manager):
    opportunity = put_in(status)
    error = assert_refused(
        "delete_closed_requires_manager",
        lambda: services.opportunity_delete(opportunity=opportunity, user=rep.user),
        opportunity,
        error=PermissionRefused,
    )
    assert error.status_code == 403

    services.opportunity_delete(opportunity=opportunity, user=manager)
    assert not Opportunity.objects.filter(pk=opportunity.pk).exists()


def test_deleting_removes_entries_quote_and_open_tasks_and_keeps_closed_tasks(put_in, rep, manager, won_code):
    opportunity = put_in("middle")  # stage-1 tasks (call, meeting), a quote with two lines, two entries
    call, meeting = Task.objects.filter(opportunity=opportunity).order_by("id")
    services.task_update(task=call, user=rep.user, status=Task.Status.COMPLETED)
    services.opportunity_close(
        opportunity=opportunity, user=rep.user, outcome="won", close_code=won_code, cancel_open_tasks=False
    )
    quote = Quote.objects.get(opportunity=opportunity)
    assert QuoteLine.objects.filter(quote=quote).count() == 2
    assert OpportunityEntry.objects.filter(opportunity=opportunity).count() == 3

    services.opportunity_delete(opportunity=opportunity, user=manager)

    assert not OpportunityEntry.objects.filter(opportunity_id=opportunity.pk).exists()
    assert not Quote.objects.filter(pk=quote.pk).exists()
    assert not QuoteLine.objects.filter(quote_id=quote.pk).exists()
    assert not Task.objects.filter(pk=meeting.pk).exists()
    call.refresh_from_db()
    assert call.closed
    assert call.opportunity is None
    assert call.opportunity_entry is None
    assert call.salesperson == rep


def test_canceled_tasks_stay_as_closed_tasks_when_the_opportunity_is_deleted(put_in, manager):
    opportunity = put_in("lost")  # closing canceled the two stage-1 tasks
    task_ids = list(Task.objects.filter(opportunity=opportunity).values_list("pk", flat=True))
    services.opportunity_delete(opportunity=opportunity, user=manager)
    kept = Task.objects.filter(pk__in=task_ids)
    assert kept.count() == 2
    assert all(task.canceled and task.opportunity_id is None for task in kept)
