"""The codes and texts of the small set-up tables by id, for lists written from database rows.

A list of opportunities shows each one's sales cycle, current stage and close code. Joining these
three small tables in the list's own query multiplies PostgreSQL's planning time (seven tables:
2-4 ms for a query that runs in under 1 ms; four tables: 0.3-0.6 ms), so the lists read the ids
and name them here, in one plain SQL ``UNION ALL`` for the whole page (an ORM union cost more to
compile than to run).
"""

from dataclasses import dataclass, field

from django.db import connections

from salescycles.models import CloseOpportunityCode, SalesCycle, SalesCycleStage

STAGE, CYCLE, CODE = 1, 2, 3


@dataclass(frozen=True, slots=True)
class SetupNames:
    cycles: dict = field(default_factory=dict)  # id → code
    codes: dict = field(default_factory=dict)  # id → code
    stages: dict = field(default_factory=dict)  # id → (stage number, description)


def setup_names(database: str, *, cycles=(), codes=(), stages=()) -> SetupNames:
    """The codes of these sales cycles and close codes, and (number, description) of these stages.

    ``None`` among the ids is ignored; with no id at all, nothing is read.
    """
    q = connections[database].ops.quote_name
    parts, params = [], []
    # The stages first: their number fixes the type of the last column for the NULLs after them.
    for kind, model, ids, text, number in (
        (STAGE, SalesCycleStage, stages, "description", "stage"),
        (CYCLE, SalesCycle, cycles, "code", None),
        (CODE, CloseOpportunityCode, codes, "code", None),
    ):
        ids = sorted(set(ids) - {None})
        if ids:
            column = {name: q(model._meta.get_field(name).column) for name in ("id", text, number) if name}
            placeholders = ", ".join(["%s"] * len(ids))
            parts.append(
                f"SELECT {kind}, {column['id']}, {column[text]}, {column[number] if number else 'NULL'} "
                f"FROM {q(model._meta.db_table)} WHERE {column['id']} IN ({placeholders})"
            )
            params.extend(ids)
    found = {STAGE: {}, CYCLE: {}, CODE: {}}
    if parts:
        with connections[database].cursor() as cursor:
            cursor.execute(" UNION ALL ".join(parts), params)
            for kind, pk, text, number in cursor.fetchall():
                found[kind][pk] = (number, text) if kind == STAGE else text
    return SetupNames(cycles=found[CYCLE], codes=found[CODE], stages=found[STAGE])
