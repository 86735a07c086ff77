"""Two people moving one opportunity at the same moment (SPEC §3.6), on real PostgreSQL row locks."""

import datetime
import itertools
import threading

import pytest
from django.db import connection

from common.errors import DomainError
from opportunities import services
from opportunities.models import Opportunity, OpportunityEntry
from tests.factories import OpportunityFactory, PersonFactory
from tests.opportunities.helpers import ACTIVATED_ON, QUOTE_LINES, D

pytestmark = [pytest.mark.postgresql, pytest.mark.django_db(transaction=True)]

RACE_DAY = datetime.date(2026, 2, 1)


def _race(calls):
    """Run the calls in threads released together; return (results, errors) in call order."""
    barrier = threading.Barrier(len(calls))
    results, errors = [None] * len(calls), [None] * len(calls)

    def run(index, call):
        try:
            barrier.wait(timeout=10)
            results[index] = call()
        except DomainError as exc:
            errors[index] = exc
        except Exception as exc:  # pragma: no cover - reported by the assertion below
            errors[index] = exc
        finally:
            connection.close()  # each thread has its own connection; do not leak it

    threads = [threading.Thread(target=run, args=(i, call)) for i, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads), "a thread is still waiting (deadlock?)"
    unexpected = [e for e in errors if e is not None and not isinstance(e, DomainError)]
    assert not unexpected, unexpected
    return results, errors


@pytest.fixture
def started(cycle, rep):
    """An opportunity at stage 1 with one entry and a quote (so that stage 3 may be entered)."""
    opportunity = OpportunityFactory(sales_cycle=cycle, salesperson=rep, contact=PersonFactory())
    services.opportunity_activate(
        opportunity=opportunity, user=rep.user, date_of_change=ACTIVATED_ON, estimated_value=D("1000")
    )
    services.quote_save(opportunity=opportunity, user=rep.user, lines=QUOTE_LINES)
    return opportunity


def test_concurrent_stage_updates_are_serialised_into_one_chain_of_entries(started, rep):
    plans = [
        ("next", {}),
        ("update", {"estimated_value": D("1111"), "chances_of_success_pct": D("11")}),
        ("next", {"estimated_value": D("2222")}),
        ("previous", {"chances_of_success_pct": D("22")}),
        ("next", {}),
        ("update", {"estimated_value": D("3333"), "estimated_close_date": datetime.date(2026, 12, 31)}),
        ("previous", {}),
        ("next", {"chances_of_success_pct": D("44")}),
    ]

    def call(action, values, day):
        # Each thread works on its own instance, as two requests would.
        opportunity = Opportunity.objects.get(pk=started.pk)
        return services.opportunity_update_stage(
            opportunity=opportunity, user=rep.user, action=action, date_of_change=day, **values
        )

    days = [RACE_DAY + datetime.timedelta(days=i % 3) for i in range(len(plans))]
    results, errors = _race([lambda a=a, v=v, d=d: call(a, v, d) for (a, v), d in zip(plans, days, strict=True)])

    succeeded = [r for r in results if r is not None]
    refused = [e for e in errors if e is not None]
    assert len(succeeded) + len(refused) == len(plans)
    assert succeeded, "at least one update must get through"
    # Refusals are the lifecycle's own answers to the order the threads happened to run in.
    assert {e.code for e in refused} <= {
        "no_previous_stage",
        "date_before_last_change",
        "estimated_close_date_before_change",
    }

    chain = list(OpportunityEntry.objects.filter(opportunity=started).order_by("id"))
    assert len(chain) == 1 + len(succeeded)
    assert [entry.active for entry in chain] == [False] * (len(chain) - 1) + [True]
    for entry, following in itertools.pairwise(chain):
        assert entry.days_open == (following.date_of_change - entry.date_of_change).days
        assert following.previous_stage_id == entry.stage_id
    assert chain[-1].days_open == 0

    opportunity = Opportunity.objects.get(pk=started.pk)
    active = chain[-1]
    assert opportunity.current_stage_id == active.stage_id
    for field in (
        "estimated_value",
        "chances_of_success_pct",
        "completed_pct",
        "probability_pct",
        "calculated_current_value",
    ):
        assert getattr(opportunity, field) == getattr(active, field), field
    assert opportunity.estimated_closing_date == active.estimated_close_date


def test_concurrent_closes_let_exactly_one_through(started, rep, won_code, lost_code):
    def close(outcome, code):
        opportunity = Opportunity.objects.get(pk=started.pk)
        return services.opportunity_close(
            opportunity=opportunity, user=rep.user, outcome=outcome, close_code=code, date_closed=RACE_DAY
        )

    results, errors = _race([lambda: close("won", won_code), lambda: close("lost", lost_code)])

    winners = [r for r in results if r is not None]
    assert len(winners) == 1
    assert [e.code for e in errors if e is not None] == ["opportunity_closed"]
    opportunity = Opportunity.objects.get(pk=started.pk)
    assert opportunity.status == winners[0].action_taken
    assert OpportunityEntry.objects.filter(opportunity=started, action_taken__in=["won", "lost"]).count() == 1
    assert OpportunityEntry.objects.filter(opportunity=started, active=True).get() == winners[0]
