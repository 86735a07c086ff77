"""Tasks generated from stage activities, and what moves, closes and reassignments do to them (SPEC §3.3–3.5)."""

import datetime

import pytest

from opportunities import services
from opportunities.models import Task
from tests.opportunities.helpers import ACTIVATED_ON, D, active_entry

FEB_1 = datetime.date(2026, 2, 1)


def _tasks(opportunity):
    return list(Task.objects.filter(opportunity=opportunity).order_by("id"))


def test_activation_creates_the_first_stages_tasks_dated_by_the_step_formulas(put_in, rep):
    opportunity = put_in("first")  # activated on 10 January; INTRO: call in 2D, meeting in 1W
    call, meeting = _tasks(opportunity)
    entry = active_entry(opportunity)
    assert (call.type, call.priority, call.description, call.date) == (
        "phone_call",
        "normal",
        "Call",
        datetime.date(2026, 1, 12),
    )
    assert (meeting.type, meeting.priority, meeting.description, meeting.date) == (
        "meeting",
        "high",
        "Meet",
        datetime.date(2026, 1, 17),
    )
    for task in (call, meeting):
        assert task.salesperson == rep
        assert task.contact == opportunity.contact
        assert task.opportunity_entry == entry
        assert not task.closed
        assert task.no.startswith("TD")


@pytest.mark.parametrize("action", ["jump", "previous"])
def test_moving_back_into_a_stage_with_an_activity_creates_its_tasks_again(action, put_in, rep):
    opportunity = put_in("middle" if action == "jump" else "first")
    if action == "previous":
        services.opportunity_update_stage(opportunity=opportunity, user=rep.user, action="next", date_of_change=FEB_1)
    before = len(_tasks(opportunity))
    entry = services.opportunity_update_stage(
        opportunity=opportunity,
        user=rep.user,
        action=action,
        stage=1 if action == "jump" else None,
        date_of_change=FEB_1,
    )
    new = Task.objects.filter(opportunity_entry=entry).order_by("id")
    assert [task.date for task in new] == [datetime.date(2026, 2, 3), datetime.date(2026, 2, 8)]
    assert len(_tasks(opportunity)) == before + 2


def test_a_move_to_a_stage_without_activity_creates_no_task(put_in, rep):
    opportunity = put_in("first")
    before = len(_tasks(opportunity))
    services.opportunity_update_stage(opportunity=opportunity, user=rep.user, action="next", date_of_change=FEB_1)
    assert len(_tasks(opportunity)) == before


def test_update_creates_no_task_even_at_a_stage_with_an_activity(put_in, rep):
    opportunity = put_in("first")
    before = len(_tasks(opportunity))
    entry = services.opportunity_update_stage(
        opportunity=opportunity, user=rep.user, action="update", date_of_change=FEB_1, estimated_value=D("1100")
    )
    assert entry.stage.activity is not None
    assert len(_tasks(opportunity)) == before


def test_a_move_keeps_open_tasks_open_by_default(put_in, rep):
    opportunity = put_in("first")
    services.opportunity_update_stage(opportunity=opportunity, user=rep.user, action="next", date_of_change=FEB_1)
    assert all(not task.closed for task in _tasks(opportunity))


def test_cancel_open_tasks_cancels_the_open_tasks_before_the_move_and_leaves_closed_ones(put_in, rep):
    opportunity = put_in("middle")  # the two stage-1 tasks are open
    done = services.task_create(user=rep.user, description="Send brochure", date=ACTIVATED_ON, opportunity=opportunity)
    services.task_update(task=done, user=rep.user, status=Task.Status.COMPLETED)
    open_before = [task.pk for task in _tasks(opportunity) if not task.closed]

    entry = services.opportunity_update_stage(
        opportunity=opportunity, user=rep.user, action="jump", stage=1, date_of_change=FEB_1, cancel_open_tasks=True
    )

    canceled = Task.objects.filter(pk__in=open_before)
    assert len(open_before) == 2
    assert all(task.canceled and task.closed and task.date_closed == FEB_1 for task in canceled)
    done.refresh_from_db()
    assert done.closed
    assert not done.canceled
    # The target stage's new tasks are created after the cancellation and stay open.
    new = list(Task.objects.filter(opportunity_entry=entry))
    assert len(new) == 2
    assert all(not task.closed for task in new)


def test_close_cancels_open_tasks_by_default(put_in, rep, won_code):
    opportunity = put_in("first")
    services.opportunity_close(
        opportunity=opportunity, user=rep.user, outcome="won", close_code=won_code, date_closed=FEB_1
    )
    tasks = _tasks(opportunity)
    assert len(tasks) == 2
    assert all(task.canceled and task.closed and task.date_closed == FEB_1 for task in tasks)


def test_close_may_leave_open_tasks_open(put_in, rep, lost_code):
    opportunity = put_in("first")
    services.opportunity_close(
        opportunity=opportunity, user=rep.user, outcome="lost", close_code=lost_code, cancel_open_tasks=False
    )
    assert all(not task.closed for task in _tasks(opportunity))


def test_a_salesperson_change_moves_the_open_tasks_but_not_the_closed_ones(put_in, rep, other_rep, manager):
    opportunity = put_in("first")
    call, meeting = _tasks(opportunity)
    services.task_update(task=call, user=rep.user, status=Task.Status.COMPLETED)

    services.opportunity_change(opportunity=opportunity, user=manager, salesperson=other_rep)

    call.refresh_from_db()
    meeting.refresh_from_db()
    assert call.salesperson == rep
    assert meeting.salesperson == other_rep
    # The history keeps who the salesperson was at each entry.
    assert active_entry(opportunity).salesperson == rep


def test_a_canceled_task_cannot_be_changed_any_more(put_in, rep):
    opportunity = put_in("lost")
    task = Task.objects.filter(opportunity=opportunity).first()
    with pytest.raises(services.OpportunityError) as caught:
        services.task_update(task=task, user=rep.user, description="Reopen")
    assert caught.value.code == "task_closed"
    task.refresh_from_db()
    assert task.description == "Call"
