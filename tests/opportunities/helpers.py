"""Helpers for the lifecycle tests: put an opportunity into a status, snapshot it, assert refusals."""

import datetime
from decimal import Decimal

import pytest

from common.errors import DomainError
from opportunities import services
from opportunities.models import Opportunity, OpportunityEntry, Quote, QuoteLine, Task

D = Decimal

# The dates of the story every status is reached by; the actions under test happen on ACTION_DATE.
ACTIVATED_ON = datetime.date(2026, 1, 10)
MIDDLE_ON = datetime.date(2026, 1, 15)
NEGOTIATE_ON = datetime.date(2026, 1, 20)
LAST_ON = datetime.date(2026, 1, 25)
CLOSED_ON = datetime.date(2026, 1, 20)
ACTION_DATE = datetime.date(2026, 2, 1)

QUOTE_LINES = [
    {"description": "Licences", "quantity": D("10"), "unit_price": D("120.00"), "discount_pct": D("0")},
    {"description": "Set-up", "quantity": D("1"), "unit_price": D("300.00"), "discount_pct": D("0")},
]
QUOTE_TOTAL = D("1500.00")

STATUSES = ["not_started", "first", "middle", "last", "won", "lost"]


def bring_to(opportunity: Opportunity, status: str, *, user, won_code=None, lost_code=None) -> Opportunity:
    """Move a not-started opportunity of the five-stage cycle through the services into ``status``.

    first: stage 1 (activated with 1000); middle: stage 3, with a quote of 1500; last: stage 7
    (with that quote); won/lost: closed from stage 1.
    """
    if status == "not_started":
        return _refetch(opportunity)
    services.opportunity_activate(
        opportunity=opportunity, user=user, date_of_change=ACTIVATED_ON, estimated_value=D("1000")
    )
    if status in ("middle", "last"):
        services.quote_save(opportunity=opportunity, user=user, lines=QUOTE_LINES, quote_date=ACTIVATED_ON)
        services.opportunity_update_stage(
            opportunity=opportunity, user=user, action="skip", stage=3, date_of_change=MIDDLE_ON
        )
    if status == "last":
        services.opportunity_update_stage(
            opportunity=opportunity, user=user, action="next", date_of_change=NEGOTIATE_ON
        )
        services.opportunity_update_stage(opportunity=opportunity, user=user, action="next", date_of_change=LAST_ON)
    if status == "won":
        services.opportunity_close(
            opportunity=opportunity, user=user, outcome="won", close_code=won_code, date_closed=CLOSED_ON
        )
    if status == "lost":
        services.opportunity_close(
            opportunity=opportunity, user=user, outcome="lost", close_code=lost_code, date_closed=CLOSED_ON
        )
    return _refetch(opportunity)


def _refetch(opportunity: Opportunity) -> Opportunity:
    return Opportunity.objects.get(pk=opportunity.pk)


def snapshot(opportunity_pk: int) -> dict:
    """Everything a lifecycle call could change about one opportunity, read afresh from the database."""
    return {
        "opportunity": list(Opportunity.objects.filter(pk=opportunity_pk).values()),
        "entries": list(OpportunityEntry.objects.filter(opportunity_id=opportunity_pk).order_by("id").values()),
        "tasks": list(Task.objects.filter(opportunity_id=opportunity_pk).order_by("id").values()),
        "quote": list(Quote.objects.filter(opportunity_id=opportunity_pk).values()),
        "quote_lines": list(QuoteLine.objects.filter(quote__opportunity_id=opportunity_pk).order_by("id").values()),
        "totals": {
            "opportunities": Opportunity.objects.count(),
            "entries": OpportunityEntry.objects.count(),
            "tasks": Task.objects.count(),
            "quotes": Quote.objects.count(),
        },
    }


def assert_refused(code: str, call, opportunity: Opportunity | None = None, *, error=DomainError) -> DomainError:
    """``call()`` raises ``error`` with ``code`` and leaves the opportunity (and the totals) as they were."""
    pk = opportunity.pk if opportunity is not None else 0
    before = snapshot(pk)
    with pytest.raises(error) as caught:
        call()
    assert caught.value.code == code, f"expected {code!r}, got {caught.value.code!r}: {caught.value.message}"
    assert snapshot(pk) == before
    return caught.value


def active_entry(opportunity: Opportunity) -> OpportunityEntry:
    return OpportunityEntry.objects.get(opportunity=opportunity, active=True)


def entries(opportunity: Opportunity) -> list[OpportunityEntry]:
    return list(OpportunityEntry.objects.filter(opportunity=opportunity).order_by("id"))
