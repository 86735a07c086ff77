"""The API's opportunity JSON, written straight from database rows.

``OpportunitySerializer`` (``opportunities/api.py``) stays the contract: the schema and the docs are
generated from it. Lists, the detail and the answers of the lifecycle actions are written here
instead, from one ``values_list`` query and one plain SQL look-up in three small set-up tables: building a
model instance for the opportunity and each of its six related rows, then running DRF's fields
over them, cost two thirds of an API list page (``bench/RESULTS.md``, round d). Joining the three
set-up tables as well would multiply PostgreSQL's planning time for every page (7 tables: about
3 ms, for a query that runs in under 1 ms; 4 tables: 0.3 ms).

``tests/api/test_opportunity_rows.py`` checks that both write the same JSON.
"""

import datetime
from decimal import Decimal

from django.db import connections
from django.utils import timezone

from common.api import drf_datetime
from salescycles.models import CloseOpportunityCode, SalesCycle, SalesCycleStage

COLUMNS = (
    "no",
    "description",
    "contact__no",
    "contact_company__no",
    "salesperson__code",
    "sales_cycle_id",
    "priority",
    "status",
    "closed",
    "creation_date",
    "date_closed",
    "close_code_id",
    "current_stage_id",
    "estimated_value",
    "chances_of_success_pct",
    "completed_pct",
    "probability_pct",
    "calculated_current_value",
    "estimated_closing_date",
    "created_at",
    "updated_at",
)


def _date(value: datetime.date | None) -> str | None:
    return None if value is None else value.isoformat()


def _decimal(value: Decimal, places: Decimal) -> str:
    """As DRF's ``DecimalField`` (coerced to a string): to the column's decimal places."""
    return f"{value.quantize(places):f}"


TWO_PLACES = Decimal("0.01")
STAGE, CYCLE, CODE = 1, 2, 3


def _setup_rows(database: str, *, cycles: set, codes: set, stages: set) -> tuple[dict, dict, dict]:
    """The codes of these sales cycles and close codes, and (stage, description) of these stages.

    One plain SQL ``UNION ALL`` of the three tables (an ORM union cost more to compile than to run).
    """
    q = connections[database].ops.quote_name
    parts, params = [], []
    # The stages first: their number fixes the type of the last column for the NULLs after them.
    for kind, model, ids, text, number in (
        (STAGE, SalesCycleStage, stages, "description", "stage"),
        (CYCLE, SalesCycle, cycles, "code", None),
        (CODE, CloseOpportunityCode, codes, "code", None),
    ):
        if ids:
            column = {name: q(model._meta.get_field(name).column) for name in ("id", text, number) if name}
            placeholders = ", ".join(["%s"] * len(ids))
            parts.append(
                f"SELECT {kind}, {column['id']}, {column[text]}, {column[number] if number else 'NULL'} "
                f"FROM {q(model._meta.db_table)} WHERE {column['id']} IN ({placeholders})"
            )
            params.extend(ids)
    found = {STAGE: {}, CYCLE: {}, CODE: {}}
    with connections[database].cursor() as cursor:
        cursor.execute(" UNION ALL ".join(parts), params)
        for kind, pk, text, number in cursor.fetchall():
            found[kind][pk] = (number, text) if kind == STAGE else text
    return found[CYCLE], found[CODE], found[STAGE]


def opportunity_rows(queryset) -> list[dict]:
    """The JSON of each opportunity of ``queryset`` (filtered, ordered and sliced as it is)."""
    rows = list(queryset.values_list(*COLUMNS))
    if not rows:
        return []
    cycles, codes, stages = _setup_rows(
        queryset.db,
        cycles={row[5] for row in rows},
        codes={row[11] for row in rows} - {None},
        stages={row[12] for row in rows} - {None},
    )
    zone = timezone.get_current_timezone()
    result = []
    for (
        no,
        description,
        contact,
        company,
        salesperson,
        cycle_id,
        priority,
        status,
        closed,
        creation_date,
        date_closed,
        close_code_id,
        stage_id,
        estimated_value,
        chances,
        completed,
        probability,
        current_value,
        closing_date,
        created_at,
        updated_at,
    ) in rows:
        stage = stages.get(stage_id)
        result.append(
            {
                "no": no,
                "description": description,
                "contact": contact,
                "contact_company": company,
                "salesperson": salesperson,
                "sales_cycle": cycles[cycle_id],
                "priority": priority,
                "status": status,
                "closed": closed,
                "creation_date": _date(creation_date),
                "date_closed": _date(date_closed),
                "close_code": codes.get(close_code_id),
                "current_stage": stage[0] if stage else None,
                "current_stage_description": stage[1] if stage else None,
                "estimated_value": _decimal(estimated_value, TWO_PLACES),
                "chances_of_success_pct": _decimal(chances, TWO_PLACES),
                "completed_pct": _decimal(completed, TWO_PLACES),
                "probability_pct": _decimal(probability, TWO_PLACES),
                "calculated_current_value": _decimal(current_value, TWO_PLACES),
                "estimated_closing_date": _date(closing_date),
                "created_at": drf_datetime(created_at, zone),
                "updated_at": drf_datetime(updated_at, zone),
            }
        )
    return result
