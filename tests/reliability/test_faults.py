"""A failure in the middle of a lifecycle service leaves no partial change (issue 8, faults).

Each case makes an internal step of a service fail right after that step has written its rows (the
entry, the opportunity's copy, the tasks, the quote lines, the delete): the wrapped step runs for
real, we check that the transaction did see a change, then raise. Afterwards the opportunity, its
entries, tasks, quote and lines, every table's row count and the number series must be exactly as
before. The tests are transactional so that the services' atomic blocks are real transactions.
"""

import datetime

import pytest
from django.db import connection
from django.db.models import QuerySet

from common.models import NumberSeries
from opportunities import services
from opportunities.models import Opportunity, OpportunityEntry, Quote, QuoteLine, Task
from tests.api.conftest import token_client
from tests.factories import CompanyFactory
from tests.invariants import assert_opportunity_invariants
from tests.opportunities.helpers import ACTION_DATE, QUOTE_LINES, D, bring_to, snapshot

pytestmark = pytest.mark.django_db(transaction=True)


class InjectedFault(Exception):
    """The simulated crash (not a domain error: nothing may catch it on the way out)."""


def _full_snapshot(pk: int) -> dict:
    return {
        **snapshot(pk),
        "all_tasks": list(Task.objects.order_by("id").values()),
        "all_opportunities": list(Opportunity.objects.order_by("id").values()),
        "quote_lines_total": QuoteLine.objects.count(),
        # On SQLite the series counter is this row; on PostgreSQL a sequence, whose gaps are allowed.
        "number_series": list(NumberSeries.objects.order_by("code").values()),
    }


def _after(target, name: str, monkeypatch, witness: list, pk: int, original=None):
    """Replace ``target.name`` by a wrapper that runs the real step, records what the transaction saw,
    then raises ``InjectedFault``."""
    real = original or getattr(target, name)

    def failing(*args, **kwargs):
        real(*args, **kwargs)
        witness.append(_full_snapshot(pk))
        raise InjectedFault(name)

    monkeypatch.setattr(target, name, failing)


# (name, status to start from, extra setup, the call, where the fault strikes)
def _quote(opportunity, user):
    services.quote_save(opportunity=opportunity, user=user, lines=QUOTE_LINES, quote_date=ACTION_DATE)


def _activate(opportunity, user, **_):
    return services.opportunity_activate(
        opportunity=opportunity, user=user, date_of_change=ACTION_DATE, estimated_value=D("500")
    )


def _update(action, **values):
    def call(opportunity, user, **_):
        return services.opportunity_update_stage(
            opportunity=opportunity, user=user, action=action, date_of_change=ACTION_DATE, **values
        )

    return call


def _close(outcome):
    def call(opportunity, user, won_code, lost_code, **_):
        return services.opportunity_close(
            opportunity=opportunity,
            user=user,
            outcome=outcome,
            close_code=won_code if outcome == "won" else lost_code,
            date_closed=ACTION_DATE,
        )

    return call


CLOSE_BY = datetime.date(2026, 6, 30)
ENTRY_CREATE = (OpportunityEntry.objects, "create")
TASK_CREATE = (Task.objects, "create")
STAGE_TASKS = (services, "_create_stage_tasks")
SYNC = (services, "_sync")
CASES = {
    "activate/after the entry": ("not_started", None, _activate, ENTRY_CREATE),
    "activate/after the stage tasks": ("not_started", None, _activate, STAGE_TASKS),
    "next/after the entry": ("first", None, _update("next", estimated_value=D("2000")), ENTRY_CREATE),
    "next/after everything": ("first", None, _update("next"), SYNC),
    "previous/after the entry": ("middle", None, _update("previous"), ENTRY_CREATE),
    "skip/after the entry": ("first", _quote, _update("skip", stage=3), ENTRY_CREATE),
    "jump/after the stage tasks": ("middle", None, _update("jump", stage=1, cancel_open_tasks=True), STAGE_TASKS),
    "update/after the entry": (
        "middle",
        None,
        _update("update", chances_of_success_pct=D("75"), estimated_close_date=CLOSE_BY),
        ENTRY_CREATE,
    ),
    "update/after everything": (
        "middle",
        None,
        _update("update", estimated_value=D("9000"), estimated_close_date=CLOSE_BY),
        SYNC,
    ),
    "close won/after the entry": ("middle", None, _close("won"), ENTRY_CREATE),
    "close lost/after everything": ("first", None, _close("lost"), SYNC),
}


@pytest.fixture
def started(opportunity, rep, won_code, lost_code):
    def _started(status):
        return bring_to(opportunity, status, user=rep.user, won_code=won_code, lost_code=lost_code)

    return _started


def _assert_nothing_changed(call, pk: int, witness: list) -> None:
    before = _full_snapshot(pk)
    with pytest.raises(InjectedFault):
        call()
    assert len(witness) == 1, "the fault was not injected"
    assert witness[0] != before, "the step under the fault wrote nothing: it does not test a partial change"
    assert _full_snapshot(pk) == before
    assert connection.in_atomic_block is False
    assert_opportunity_invariants()


@pytest.mark.parametrize("case", list(CASES))
def test_a_fault_after_a_write_of_a_stage_or_close_service_leaves_nothing_changed(
    case, started, rep, won_code, lost_code, monkeypatch
):
    status, setup, call, (target, name) = CASES[case]
    opportunity = started(status)
    if setup is not None:
        setup(opportunity, rep.user)
    witness: list = []
    _after(target, name, monkeypatch, witness, opportunity.pk)

    _assert_nothing_changed(
        lambda: call(opportunity, rep.user, won_code=won_code, lost_code=lost_code), opportunity.pk, witness
    )


def test_a_fault_after_reassigning_an_opportunity_and_its_open_tasks_leaves_nothing_changed(
    started, rep, other_rep, manager, monkeypatch
):
    opportunity = started("first")  # stage 1 made two open tasks
    assert Task.objects.filter(opportunity=opportunity, closed=False).count() == 2
    witness: list = []
    _after(services, "_sync", monkeypatch, witness, opportunity.pk)

    _assert_nothing_changed(
        lambda: services.opportunity_change(
            opportunity=opportunity, user=manager, salesperson=other_rep, description="Renamed", priority="high"
        ),
        opportunity.pk,
        witness,
    )


@pytest.mark.parametrize("status", ["not_started", "lost"])
def test_a_fault_after_deleting_an_opportunity_leaves_it_and_its_history_in_place(
    status, started, manager, monkeypatch
):
    opportunity = started(status)
    # An open task of the opportunity, which the delete removes with it.
    Task.objects.create(
        no="TD900001",
        description="Call back",
        date=ACTION_DATE,
        salesperson=opportunity.salesperson,
        contact=opportunity.contact,
        opportunity=opportunity,
    )
    witness: list = []
    _after(Opportunity, "delete", monkeypatch, witness, opportunity.pk)

    _assert_nothing_changed(
        lambda: services.opportunity_delete(opportunity=opportunity, user=manager), opportunity.pk, witness
    )


def test_a_fault_after_saving_a_quote_leaves_the_old_quote_and_its_lines(started, rep, monkeypatch):
    opportunity = started("middle")  # has the quote of QUOTE_LINES
    witness: list = []
    _after(QuoteLine.objects, "bulk_create", monkeypatch, witness, opportunity.pk)

    _assert_nothing_changed(
        lambda: services.quote_save(
            opportunity=opportunity,
            user=rep.user,
            lines=[{"description": "Only line", "quantity": "3", "unit_price": "99.99"}],
            quote_date=ACTION_DATE,
            valid_until=ACTION_DATE + datetime.timedelta(days=30),
        ),
        opportunity.pk,
        witness,
    )


def test_a_fault_after_creating_a_first_quote_leaves_no_quote_and_no_number_taken_back(started, rep, monkeypatch):
    opportunity = started("first")
    witness: list = []
    _after(QuoteLine.objects, "bulk_create", monkeypatch, witness, opportunity.pk)

    _assert_nothing_changed(
        lambda: services.quote_save(opportunity=opportunity, user=rep.user, lines=QUOTE_LINES),
        opportunity.pk,
        witness,
    )
    assert not Quote.objects.exists()


def test_a_fault_after_deleting_a_quote_leaves_the_quote(started, rep, monkeypatch):
    opportunity = started("middle")
    witness: list = []
    _after(QuerySet, "delete", monkeypatch, witness, opportunity.pk)

    _assert_nothing_changed(
        lambda: services.quote_delete(opportunity=opportunity, user=rep.user), opportunity.pk, witness
    )


def test_a_fault_after_creating_a_task_leaves_no_task(started, rep, monkeypatch):
    opportunity = started("first")
    witness: list = []
    _after(Task.objects, "create", monkeypatch, witness, opportunity.pk)

    _assert_nothing_changed(
        lambda: services.task_create(
            user=rep.user, description="Send brochure", date=ACTION_DATE, opportunity=opportunity
        ),
        opportunity.pk,
        witness,
    )


def test_a_fault_after_creating_and_activating_an_opportunity_leaves_no_opportunity(rep, cycle, monkeypatch):
    contact = CompanyFactory(name="Faulty Ltd")
    witness: list = []
    _after(services, "_create_stage_tasks", monkeypatch, witness, 0)

    _assert_nothing_changed(
        lambda: services.opportunity_create(
            user=rep.user,
            description="Created and activated at once",
            contact=contact,
            sales_cycle=cycle,
            activate_first_stage=True,
            date_of_change=ACTION_DATE,
            estimated_value=D("700"),
        ),
        0,
        witness,
    )
    assert not Opportunity.objects.exists()


# --- an opportunity deleted by someone else while a request is on its way ----------------------


def test_a_service_refuses_an_opportunity_deleted_after_the_caller_read_it(started, rep, manager):
    opportunity = started("not_started")
    Opportunity.objects.filter(pk=opportunity.pk).delete()  # the caller still holds its old instance

    with pytest.raises(services.OpportunityGone) as caught:
        services.opportunity_activate(opportunity=opportunity, user=rep.user)
    assert caught.value.code == "opportunity_not_found"
    assert caught.value.status_code == 404
    assert opportunity.no in caught.value.message


@pytest.mark.parametrize("change", ["update", "cancel"])
def test_a_task_deleted_after_the_caller_read_it_is_refused(started, rep, change):
    opportunity = started("first")  # stage 1 generated the tasks of its activity
    task = Task.objects.filter(opportunity=opportunity).first()
    assert task is not None
    Task.objects.filter(pk=task.pk).delete()

    with pytest.raises(services.OpportunityGone) as caught:
        if change == "update":
            services.task_update(task=task, user=rep.user, description="Too late")
        else:
            services.task_cancel(task=task, user=rep.user)
    assert caught.value.code == "task_not_found"
    assert caught.value.status_code == 404
    assert not Task.objects.filter(pk=task.pk).exists()


def test_the_api_answers_404_not_500_when_the_opportunity_goes_between_the_view_and_the_service(
    started, rep, monkeypatch
):
    opportunity = started("first")
    real_lock = services._lock

    def deleted_meanwhile(instance):
        OpportunityEntry.objects.filter(opportunity_id=instance.pk).delete()
        Opportunity.objects.filter(pk=instance.pk).delete()
        return real_lock(instance)

    monkeypatch.setattr(services, "_lock", deleted_meanwhile)
    client = token_client(rep.user)

    response = client.post(f"/api/v1/opportunities/{opportunity.no}/update-stage/", {"action": "next"}, format="json")

    assert response.status_code == 404
    assert response.json()["code"] == "opportunity_not_found"
