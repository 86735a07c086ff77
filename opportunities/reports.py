"""Reads that aggregate the pipeline (SPEC §4). Each costs a fixed number of queries.

Open figures never include won or lost opportunities; a user sees the figures of the
opportunities visible to them (a rep their own, a manager all).
"""

import datetime
from decimal import Decimal

from django.db.models import Avg, Count, Q, Sum

from opportunities.models import Opportunity, OpportunityEntry
from salescycles.models import SalesCycle

ZERO = Decimal("0.00")


def _money(value) -> Decimal:
    return (value or ZERO).quantize(Decimal("0.01"))


def sales_cycle_statistics(
    *,
    sales_cycle: SalesCycle,
    user,
    salesperson=None,
    date_from: datetime.date | None = None,
    date_to: datetime.date | None = None,
) -> dict:
    """Open, won and lost figures of one cycle and, per stage, the open figures, the average days
    spent (inactive entries) and how many opportunities ever reached it (the funnel).

    ``date_from``/``date_to`` limit the closed figures by closing date and the stage history by
    date of change; open figures are those of today.
    """
    opportunities = Opportunity.objects.visible_to(user).filter(sales_cycle=sales_cycle)
    if salesperson is not None:
        opportunities = opportunities.filter(salesperson=salesperson)
    closed_in_range = Q()
    if date_from:
        closed_in_range &= Q(date_closed__gte=date_from)
    if date_to:
        closed_in_range &= Q(date_closed__lte=date_to)

    totals = opportunities.aggregate(
        open_count=Count("id", filter=Q(closed=False)),
        open_estimated=Sum("estimated_value", filter=Q(closed=False)),
        open_weighted=Sum("calculated_current_value", filter=Q(closed=False)),
        won_count=Count("id", filter=Q(status=Opportunity.Status.WON) & closed_in_range),
        won_value=Sum("calculated_current_value", filter=Q(status=Opportunity.Status.WON) & closed_in_range),
        lost_count=Count("id", filter=Q(status=Opportunity.Status.LOST) & closed_in_range),
    )
    open_by_stage = {
        row["current_stage"]: row
        for row in opportunities.filter(status=Opportunity.Status.IN_PROGRESS)
        .values("current_stage")
        .annotate(
            open_count=Count("id"),
            estimated_value=Sum("estimated_value"),
            calculated_current_value=Sum("calculated_current_value"),
        )
        .order_by()
    }
    entries = OpportunityEntry.objects.filter(
        opportunity__in=opportunities.values("pk"), sales_cycle=sales_cycle, stage__isnull=False
    )
    if date_from:
        entries = entries.filter(date_of_change__gte=date_from)
    if date_to:
        entries = entries.filter(date_of_change__lte=date_to)
    history_by_stage = {
        row["stage"]: row
        for row in entries.values("stage")
        .annotate(
            average_days=Avg("days_open", filter=Q(active=False)),
            reached_count=Count("opportunity", distinct=True),
        )
        .order_by()
    }
    stages = []
    for stage in sales_cycle.stages.order_by("stage"):
        current = open_by_stage.get(stage.pk, {})
        history = history_by_stage.get(stage.pk, {})
        average = history.get("average_days")
        stages.append(
            {
                "stage": stage.stage,
                "description": stage.description,
                "open_count": current.get("open_count", 0),
                "estimated_value": _money(current.get("estimated_value")),
                "calculated_current_value": _money(current.get("calculated_current_value")),
                "average_days": None if average is None else round(float(average), 1),
                "reached_count": history.get("reached_count", 0),
            }
        )
    return {
        "sales_cycle": sales_cycle.code,
        "open": {
            "count": totals["open_count"],
            "estimated_value": _money(totals["open_estimated"]),
            "calculated_current_value": _money(totals["open_weighted"]),
        },
        "won": {"count": totals["won_count"], "value": _money(totals["won_value"])},
        "lost": {"count": totals["lost_count"]},
        "stages": stages,
    }
