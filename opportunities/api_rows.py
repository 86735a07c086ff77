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

# The fields of an opportunity's JSON, in order (``OpportunitySerializer`` lists the same), and
# the column each is read from where that is not the field itself.
FIELDS = (
    "no",
    "description",
    "contact",
    "contact_company",
    "salesperson",
    "sales_cycle",
    "priority",
    "status",
    "closed",
    "creation_date",
    "date_closed",
    "close_code",
    "current_stage",
    "current_stage_description",
    "estimated_value",
    "chances_of_success_pct",
    "completed_pct",
    "probability_pct",
    "calculated_current_value",
    "estimated_closing_date",
    "created_at",
    "updated_at",
)
SOURCES = {
    "contact": "contact__no",
    "contact_company": "contact_company__no",
    "salesperson": "salesperson__code",
    "sales_cycle": "sales_cycle_id",
    "close_code": "close_code_id",
    "current_stage": "current_stage_id",
}
READ = tuple(name for name in FIELDS if name != "current_stage_description")  # from the stage
DATES = ("creation_date", "date_closed", "estimated_closing_date")
AMOUNTS = ("estimated_value", "chances_of_success_pct", "completed_pct", "probability_pct", "calculated_current_value")


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
    rows = [dict(zip(READ, values, strict=True)) for values in queryset.values_list(*(SOURCES.get(n, n) for n in READ))]
    if not rows:
        return []
    cycles, codes, stages = _setup_rows(
        queryset.db,
        cycles={row["sales_cycle"] for row in rows},
        codes={row["close_code"] for row in rows} - {None},
        stages={row["current_stage"] for row in rows} - {None},
    )
    zone = timezone.get_current_timezone()
    result = []
    for row in rows:
        stage = stages.get(row["current_stage"])
        row["sales_cycle"] = cycles[row["sales_cycle"]]
        row["close_code"] = codes.get(row["close_code"])
        row["current_stage"], row["current_stage_description"] = stage if stage else (None, None)
        for name in DATES:
            row[name] = _date(row[name])
        for name in AMOUNTS:
            row[name] = _decimal(row[name], TWO_PLACES)
        row["created_at"] = drf_datetime(row["created_at"], zone)
        row["updated_at"] = drf_datetime(row["updated_at"], zone)
        result.append({name: row[name] for name in FIELDS})
    return result
