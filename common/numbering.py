"""Number series: ``CT000001``, ``OP000001``, … (SPEC §2.4).

Numbers must stay unique under concurrent inserts and are never reused; gaps are fine.

* On PostgreSQL each series is a database sequence. ``nextval`` never blocks and is not rolled
  back, so two transactions creating opportunities at the same time never wait on each other
  and a rolled-back insert leaves a gap instead of a reused number.
* On SQLite (development) the counter is a row in ``NumberSeries``; SQLite serialises writers,
  so incrementing it inside the caller's transaction is safe.

A number that already exists (imported data, for example) is skipped.
"""

from django.db import connection, models

from common.models import NumberSeries

SERIES = {
    "CT": "Contacts",
    "OP": "Opportunities",
    "SQ": "Sales quotes",
    "TD": "Tasks",
    "LD": "Leads",
}
DIGITS = 6


def sequence_name(code: str) -> str:
    return f"crm_no_series_{code.lower()}"


def format_no(code: str, number: int) -> str:
    return f"{code}{number:0{DIGITS}d}"


def _uses_sequences() -> bool:
    return connection.vendor == "postgresql"


def reserve(code: str, count: int = 1) -> list[int]:
    """Take ``count`` fresh numbers of a series (in one query)."""
    if code not in SERIES:
        raise ValueError(f"Unknown number series {code!r}")
    if count <= 0:
        return []
    if _uses_sequences():
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT nextval(%s) FROM generate_series(1, %s)",
                [sequence_name(code), count],
            )
            return [row[0] for row in cursor.fetchall()]
    NumberSeries.objects.get_or_create(code=code, defaults={"description": SERIES[code]})
    NumberSeries.objects.filter(code=code).update(last_no=models.F("last_no") + count)
    last = NumberSeries.objects.values_list("last_no", flat=True).get(code=code)
    return list(range(last - count + 1, last + 1))


def next_no(code: str, model: type[models.Model], field: str = "no") -> str:
    """The next free number of a series for ``model.field``."""
    return next_free_nos(code, model, 1, field)[0]


def next_free_nos(code: str, model: type[models.Model], count: int, field: str = "no") -> list[str]:
    """``count`` fresh numbers of a series that no row of ``model`` holds yet, in series order.

    Two queries a round (reserve the numbers, look for the taken ones); a further round only
    when a number was already taken.
    """
    found: list[str] = []
    while len(found) < count:
        candidates = [format_no(code, number) for number in reserve(code, count - len(found))]
        taken = set(model._default_manager.filter(**{f"{field}__in": candidates}).values_list(field, flat=True))
        found.extend(candidate for candidate in candidates if candidate not in taken)
    return found


def next_nos(code: str, count: int) -> list[str]:
    """A block of numbers for bulk inserts (callers use a fresh data set or check themselves)."""
    return [format_no(code, number) for number in reserve(code, count)]
