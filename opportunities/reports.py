"""Reads that aggregate the pipeline (SPEC §4). Each costs a fixed number of queries.

Open figures never include won or lost opportunities; a user sees the figures of the
opportunities visible to them (a rep their own, a manager all).
"""

import datetime
from decimal import Decimal

from django.core.cache import cache
from django.core.exceptions import EmptyResultSet
from django.db import connections
from django.db.models import Avg, Case, Count, DateField, DurationField, ExpressionWrapper, F, Q, Sum, When
from django.db.models.functions import TruncMonth

from common.dateformula import add_months
from common.db_routing import on_reports_database
from opportunities.models import Opportunity, OpportunityEntry, StageHistoryVersion, Task
from opportunities.permissions import is_manager
from salescycles.models import SalesCycle

ZERO = Decimal("0.00")


def _money(value) -> Decimal:
    return (value or ZERO).quantize(Decimal("0.01"))


def _restricted(*, user, salesperson) -> bool:
    """Whether the user (a rep) or a chosen salesperson narrows the opportunities counted.

    An opportunity's entries all belong to its sales cycle (the cycle changes only before the first
    entry, SPEC §3.5), so without such a restriction the entries of a cycle need no join with the
    opportunities.
    """
    return salesperson is not None or not is_manager(user)


def _stage_history(entries) -> dict:
    """Per stage of ``entries``: the average days open of the inactive ones and the number of
    opportunities that reached it. One query.

    Grouped twice, first by (stage, opportunity), then by stage: the distinct count then needs no
    sort of every entry, and the first grouping follows the order of the covering index
    ``entry_cycle_stage_opp_idx`` (opportunities_0004).
    """
    per_opportunity = (
        entries.values(stage_key=F("stage_id"), opportunity_key=F("opportunity_id"))
        .annotate(days=Sum("days_open", filter=Q(active=False)), spans=Count("days_open", filter=Q(active=False)))
        .order_by()
    )
    try:
        inner, params = per_opportunity.query.sql_with_params()
    except EmptyResultSet:  # a user who sees nothing
        return {}
    # On the reports database when one is configured (common.db_routing), like the ORM's reads.
    with connections[entries.db].cursor() as cursor:
        cursor.execute(
            f"SELECT stage_key, SUM(days), SUM(spans), COUNT(*) FROM ({inner}) AS per_opportunity GROUP BY stage_key",
            params,
        )
        rows = cursor.fetchall()
    return {
        stage: {"average_days": (days / spans) if spans else None, "reached_count": reached}
        for stage, days, spans, reached in rows
    }


HISTORY_CACHE_SECONDS = 24 * 60 * 60


def _cached_stage_history(entries, *, sales_cycle: SalesCycle, date_from, date_to) -> dict:
    """``_stage_history`` of a whole cycle, cached under the cycle's ``StageHistoryVersion``.

    The stage history of a large cycle is an aggregate over every entry (about 200,000 for a
    cycle of 40,000 opportunities); it changes only when an entry is written or an opportunity
    deleted, and the services count each such change in the same transaction. The version is read
    first, on the database the entries are read from: the figures cached under a version are at
    least as new as it, and a later change makes a new key.
    """
    version = StageHistoryVersion.objects.using(entries.db).of(sales_cycle.pk)
    key = f"crm:stage-history:{entries.db}:{sales_cycle.pk}:{version}:{date_from}:{date_to}"
    history = cache.get(key)
    if history is None:
        history = _stage_history(entries)
        cache.set(key, history, HISTORY_CACHE_SECONDS)
    return history


@on_reports_database
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
    entries = OpportunityEntry.objects.filter(sales_cycle=sales_cycle, stage__isnull=False)
    restricted = _restricted(user=user, salesperson=salesperson)
    if restricted:
        entries = entries.filter(opportunity__in=opportunities.values("pk"))
    if date_from:
        entries = entries.filter(date_of_change__gte=date_from)
    if date_to:
        entries = entries.filter(date_of_change__lte=date_to)
    if restricted:
        # Their own opportunities only: a small semi-join, computed every time.
        history_by_stage = _stage_history(entries)
    else:
        history_by_stage = _cached_stage_history(entries, sales_cycle=sales_cycle, date_from=date_from, date_to=date_to)
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


# --- dashboard ---------------------------------------------------------------------------------


def _scoped(queryset, *, user, salesperson):
    queryset = queryset.visible_to(user)
    if salesperson is not None:
        queryset = queryset.filter(salesperson=salesperson)
    return queryset


def pipeline_summary(*, user, today: datetime.date, salesperson=None, forecast_months: int = 12) -> dict:
    """The dashboard's figures in two queries: the open pipeline (and the open opportunities whose
    estimated closing date has passed), won this month and quarter, the win rate of the last 12
    months (won / (won + lost), by closing date), and under ``forecast`` the open estimated and
    weighted value by month of estimated closing date for ``forecast_months`` months from today's
    month (every month listed, empty ones with zeros).

    One query reads the open opportunities only, grouped by estimated closing date within the
    forecast's window (one group for all the others): it gives both the open totals and the
    forecast, as an index-only scan of ``opportunity_open_closing_idx``, without truncating ~70,000
    dates to months in SQL (the days are summed into months here: at most 367 groups for 12 months). The other
    reads only the opportunities closed in the last 12 months (``opportunity_closed_date_idx``):
    the month and the quarter lie within them. The counts name only indexed columns (never ``id``),
    which are never null where they are counted, so that both stay index-only scans.
    """
    month_start = today.replace(day=1)
    quarter_start = today.replace(month=(today.month - 1) // 3 * 3 + 1, day=1)
    year_ago = add_months(today, -12)
    forecast_end = add_months(month_start, forecast_months)
    scoped = _scoped(Opportunity.objects, user=user, salesperson=salesperson)

    in_window = Q(estimated_closing_date__gte=month_start, estimated_closing_date__lt=forecast_end)
    open_rows = (
        scoped.filter(closed=False)
        .values(day=Case(When(in_window, then=F("estimated_closing_date")), output_field=DateField()))
        .annotate(
            count=Count("*"),
            estimated_value=Sum("estimated_value"),
            weighted_value=Sum("calculated_current_value"),
            overdue=Count("estimated_closing_date", filter=Q(estimated_closing_date__lt=today)),
        )
        .order_by()
    )
    open_totals = {"count": 0, "estimated_value": ZERO, "weighted_value": ZERO}
    overdue_count = 0
    by_month: dict[datetime.date, dict] = {}
    for row in open_rows:
        overdue_count += row["overdue"]
        figures = [open_totals]
        if row["day"] is not None:
            figures.append(
                by_month.setdefault(
                    row["day"].replace(day=1), {"count": 0, "estimated_value": ZERO, "weighted_value": ZERO}
                )
            )
        for target in figures:
            target["count"] += row["count"]
            target["estimated_value"] += row["estimated_value"] or ZERO
            target["weighted_value"] += row["weighted_value"] or ZERO

    won = Q(status=Opportunity.Status.WON)
    lost = Q(status=Opportunity.Status.LOST)
    this_month = Q(date_closed__gte=month_start)
    this_quarter = Q(date_closed__gte=quarter_start)
    closed = scoped.filter(
        status__in=[Opportunity.Status.WON, Opportunity.Status.LOST], date_closed__gt=year_ago, date_closed__lte=today
    ).aggregate(
        won_month_count=Count("date_closed", filter=won & this_month),
        won_month_value=Sum("calculated_current_value", filter=won & this_month),
        won_quarter_count=Count("date_closed", filter=won & this_quarter),
        won_quarter_value=Sum("calculated_current_value", filter=won & this_quarter),
        won_12_count=Count("date_closed", filter=won),
        lost_12_count=Count("date_closed", filter=lost),
    )
    decided = closed["won_12_count"] + closed["lost_12_count"]
    win_rate = None
    if decided:
        win_rate = (Decimal(closed["won_12_count"]) * 100 / decided).quantize(Decimal("0.1"))
    forecast = []
    for offset in range(forecast_months):
        month = add_months(month_start, offset)
        figures = by_month.get(month, {})
        forecast.append(
            {
                "month": month,
                "count": figures.get("count", 0),
                "estimated_value": _money(figures.get("estimated_value")),
                "weighted_value": _money(figures.get("weighted_value")),
            }
        )
    return {
        "open": {
            "count": open_totals["count"],
            "estimated_value": _money(open_totals["estimated_value"]),
            "weighted_value": _money(open_totals["weighted_value"]),
        },
        "overdue_count": overdue_count,
        "won_this_month": {"count": closed["won_month_count"], "value": _money(closed["won_month_value"])},
        "won_this_quarter": {"count": closed["won_quarter_count"], "value": _money(closed["won_quarter_value"])},
        "win_rate": {
            "won": closed["won_12_count"],
            "lost": closed["lost_12_count"],
            "pct": win_rate,
        },
        "forecast": forecast,
    }


def task_summary(*, user, today: datetime.date, salesperson=None) -> dict:
    """Open tasks due today and overdue (one query)."""
    return _scoped(Task.objects, user=user, salesperson=salesperson).aggregate(
        due_today=Count("id", filter=Q(closed=False, date=today)),
        overdue=Count("id", filter=Q(closed=False, date__lt=today)),
    )


# --- reports (SPEC §4, §7) ---------------------------------------------------------------------

# A forecast lists every month between its first and last one, unless that would be more than this.
MAX_FILLED_MONTHS = 120


def _report_scope(*, user, sales_cycle=None, salesperson=None):
    """The opportunities a report counts: those visible to ``user``, narrowed by cycle and salesperson."""
    queryset = _scoped(Opportunity.objects, user=user, salesperson=salesperson)
    if sales_cycle is not None:
        queryset = queryset.filter(sales_cycle=sales_cycle)
    return queryset


def _date_range(field: str, date_from: datetime.date | None, date_to: datetime.date | None) -> Q:
    condition = Q()
    if date_from:
        condition &= Q(**{f"{field}__gte": date_from})
    if date_to:
        condition &= Q(**{f"{field}__lte": date_to})
    return condition


def _percentage(part: int, whole: int) -> Decimal | None:
    if not whole:
        return None
    return (Decimal(part) * 100 / whole).quantize(Decimal("0.01"))


@on_reports_database
def forecast(
    *,
    user,
    sales_cycle=None,
    salesperson=None,
    date_from: datetime.date | None = None,
    date_to: datetime.date | None = None,
) -> list[dict]:
    """Open count, estimated and weighted value by month of estimated closing date, and won count and
    value by month of closing date (two queries).

    The months run from ``date_from``'s (else the first month with figures) to ``date_to``'s (else the
    last one), every month listed; a span of more than ``MAX_FILLED_MONTHS`` lists only the months
    with figures.
    """
    opportunities = _report_scope(user=user, sales_cycle=sales_cycle, salesperson=salesperson)
    # COUNT(*), not COUNT(id): every column read is then in the partial indexes of open and of
    # closed opportunities, and PostgreSQL reads those alone (an index-only scan of 60,000 open
    # ones: 48 -> 28 ms against the table).
    open_rows = {
        row["month"]: row
        for row in opportunities.filter(_date_range("estimated_closing_date", date_from, date_to), closed=False)
        .exclude(estimated_closing_date=None)
        .annotate(month=TruncMonth("estimated_closing_date"))
        .values("month")
        .annotate(
            open_count=Count("*"),
            estimated_value=Sum("estimated_value"),
            weighted_value=Sum("calculated_current_value"),
        )
        .order_by()
    }
    won_rows = {
        row["month"]: row
        for row in opportunities.filter(_date_range("date_closed", date_from, date_to), status=Opportunity.Status.WON)
        .exclude(date_closed=None)
        .annotate(month=TruncMonth("date_closed"))
        .values("month")
        .annotate(won_count=Count("*"), won_value=Sum("calculated_current_value"))
        .order_by()
    }
    months = set(open_rows) | set(won_rows)
    first = date_from.replace(day=1) if date_from else min(months, default=None)
    last = date_to.replace(day=1) if date_to else max(months, default=None)
    if first is not None and last is not None and first <= last:
        span = (last.year - first.year) * 12 + last.month - first.month + 1
        if span <= MAX_FILLED_MONTHS:
            months |= {add_months(first, offset) for offset in range(span)}
    result = []
    for month in sorted(months):
        open_row = open_rows.get(month, {})
        won_row = won_rows.get(month, {})
        result.append(
            {
                "month": month,
                "open_count": open_row.get("open_count", 0),
                "estimated_value": _money(open_row.get("estimated_value")),
                "weighted_value": _money(open_row.get("weighted_value")),
                "won_count": won_row.get("won_count", 0),
                "won_value": _money(won_row.get("won_value")),
            }
        )
    return result


@on_reports_database
def salespeople_statistics(
    *,
    user,
    sales_cycle=None,
    salesperson=None,
    date_from: datetime.date | None = None,
    date_to: datetime.date | None = None,
) -> list[dict]:
    """Per salesperson (with any opportunity counted, by code): the open count, estimated and weighted
    value of today, and of the opportunities closed within ``date_from``/``date_to`` the won count and
    value, the lost count, the win rate (won / (won + lost) × 100, ``None`` without closed ones) and the
    average days from creation to closing (``None`` without closed ones). One query."""
    is_open = Q(closed=False)
    closed_in_range = Q(closed=True) & _date_range("date_closed", date_from, date_to)
    won = Q(status=Opportunity.Status.WON) & closed_in_range
    lost = Q(status=Opportunity.Status.LOST) & closed_in_range
    rows = (
        _report_scope(user=user, sales_cycle=sales_cycle, salesperson=salesperson)
        .values("salesperson__code", "salesperson__name")
        .annotate(
            open_count=Count("id", filter=is_open),
            estimated_value=Sum("estimated_value", filter=is_open),
            weighted_value=Sum("calculated_current_value", filter=is_open),
            won_count=Count("id", filter=won),
            won_value=Sum("calculated_current_value", filter=won),
            lost_count=Count("id", filter=lost),
            days_to_close=Avg(
                ExpressionWrapper(F("date_closed") - F("creation_date"), output_field=DurationField()),
                filter=closed_in_range,
                output_field=DurationField(),
            ),
        )
        .order_by("salesperson__code")
    )
    result = []
    for row in rows:
        days = row["days_to_close"]
        result.append(
            {
                "salesperson": row["salesperson__code"],
                "name": row["salesperson__name"],
                "open_count": row["open_count"],
                "estimated_value": _money(row["estimated_value"]),
                "weighted_value": _money(row["weighted_value"]),
                "won_count": row["won_count"],
                "won_value": _money(row["won_value"]),
                "lost_count": row["lost_count"],
                "win_rate_pct": _percentage(row["won_count"], row["won_count"] + row["lost_count"]),
                "average_days_to_close": None if days is None else round(days.total_seconds() / 86400, 1),
            }
        )
    return result


@on_reports_database
def win_loss(
    *,
    user,
    sales_cycle=None,
    salesperson=None,
    date_from: datetime.date | None = None,
    date_to: datetime.date | None = None,
) -> dict:
    """The opportunities closed within ``date_from``/``date_to``, by close code (count and value: the
    sales amount of a won one, the estimate of a lost one) and by the stage they were closed at (the
    close entry's previous stage; ``None`` for one closed before it started). Two queries."""
    opportunities = _report_scope(user=user, sales_cycle=sales_cycle, salesperson=salesperson)
    by_close_code = [
        {
            "close_code": row["close_code__code"],
            "description": row["close_code__description"],
            "type": row["close_code__type"],
            "count": row["count"],
            "value": _money(row["value"]),
        }
        for row in opportunities.filter(_date_range("date_closed", date_from, date_to), closed=True)
        .values("close_code__code", "close_code__description", "close_code__type")
        .annotate(count=Count("id"), value=Sum("estimated_value"))
        .order_by("-close_code__type", "close_code__code")
    ]
    Action = OpportunityEntry.Action
    # The active won or lost entry is the close entry of a closed opportunity (SPEC §3.4); only a
    # narrowed report needs the join with the opportunities (see ``_restricted``).
    close_entries = OpportunityEntry.objects.filter(
        _date_range("date_of_change", date_from, date_to), action_taken__in=[Action.WON, Action.LOST], active=True
    )
    if _restricted(user=user, salesperson=salesperson):
        close_entries = close_entries.filter(opportunity__in=opportunities.filter(closed=True).values("pk"))
    elif sales_cycle is not None:
        close_entries = close_entries.filter(sales_cycle=sales_cycle)
    by_stage = [
        {
            "sales_cycle": row["sales_cycle__code"],
            "stage": row["previous_stage__stage"],
            "description": row["previous_stage__description"],
            "won_count": row["won_count"],
            "lost_count": row["lost_count"],
        }
        for row in close_entries.values("sales_cycle__code", "previous_stage__stage", "previous_stage__description")
        .annotate(
            won_count=Count("action_taken", filter=Q(action_taken=Action.WON)),
            lost_count=Count("action_taken", filter=Q(action_taken=Action.LOST)),
        )
        .order_by("sales_cycle__code", F("previous_stage__stage").asc(nulls_first=True))
    ]
    return {"by_close_code": by_close_code, "by_stage": by_stage}
