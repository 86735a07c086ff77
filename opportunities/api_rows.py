"""The API's opportunity JSON, written straight from database rows.

``OpportunitySerializer`` (``opportunities/api.py``) stays the contract: the schema and the docs are
generated from it. Lists, the detail and the answers of the lifecycle actions are written here
instead, from one ``values_list`` query and one look-up in the three small set-up tables
(``salescycles.lookups``): building a model instance for the opportunity and each of its six
related rows, then running DRF's fields over them, cost two thirds of an API list page
(``bench/RESULTS.md``, round d).

``tests/api/test_opportunity_rows.py`` checks that both write the same JSON.
"""

import datetime
from decimal import Decimal

from django.utils import timezone

from common.api import drf_datetime
from salescycles.lookups import setup_names

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


def opportunity_rows(queryset) -> list[dict]:
    """The JSON of each opportunity of ``queryset`` (filtered, ordered and sliced as it is)."""
    rows = [dict(zip(READ, values, strict=True)) for values in queryset.values_list(*(SOURCES.get(n, n) for n in READ))]
    if not rows:
        return []
    names = setup_names(
        queryset.db,
        cycles={row["sales_cycle"] for row in rows},
        codes={row["close_code"] for row in rows},
        stages={row["current_stage"] for row in rows},
    )
    zone = timezone.get_current_timezone()
    result = []
    for row in rows:
        stage = names.stages.get(row["current_stage"])
        row["sales_cycle"] = names.cycles[row["sales_cycle"]]
        row["close_code"] = names.codes.get(row["close_code"])
        row["current_stage"], row["current_stage_description"] = stage if stage else (None, None)
        for name in DATES:
            row[name] = _date(row[name])
        for name in AMOUNTS:
            row[name] = _decimal(row[name], TWO_PLACES)
        row["created_at"] = drf_datetime(row["created_at"], zone)
        row["updated_at"] = drf_datetime(row["updated_at"], zone)
        result.append({name: row[name] for name in FIELDS})
    return result
