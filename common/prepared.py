"""A query that every request runs, compiled to SQL once per database instead of every time.

Django builds and compiles a queryset's SQL each time it runs it. For the user of each request
(three tables: the user, the profile and the salesperson) compiling took three times as long as
running the query (``bench/RESULTS.md``, round d). ``PreparedGet`` compiles the queryset once per
database alias with stand-in values, then runs that SQL with the real ones and builds the objects
as Django's own ``ModelIterable`` does: the same converters, the same ``select_related`` caches.

Only for querysets whose parameters are the given values themselves (a primary key, a number),
with no annotations: checked when the query is prepared. ``tests/common/test_prepared.py``
compares the objects with the queryset's own.
"""

from django.conf import settings
from django.db import connections
from django.db.models.query import get_related_populators

# Stand-ins for the values: distinctive enough not to be any other parameter of the query.
_STAND_INS = (-9_071_301, -9_071_302, -9_071_303)


class PreparedGet:
    def __init__(self, make_queryset, arity: int = 1, name: str | None = None):
        """``make_queryset(*values)`` returns the queryset of at most one row for these values.

        With a ``name``, the SQL runs as a prepared statement of that name (``execute`` below).
        """
        self.name = name
        if not 1 <= arity <= len(_STAND_INS):
            raise ValueError("PreparedGet takes one to three values")
        self.make_queryset = make_queryset
        self.arity = arity
        self._compiled: dict[str, tuple] = {}

    def _prepare(self, alias: str) -> tuple:
        stand_ins = _STAND_INS[: self.arity]
        queryset = self.make_queryset(*stand_ins)
        compiler = queryset.query.get_compiler(using=alias)
        sql, params = compiler.as_sql()
        slots = []
        for param in params:
            if param not in stand_ins:
                raise ValueError(f"PreparedGet: parameter {param!r} is not one of the values")
            slots.append(stand_ins.index(param))
        if compiler.annotation_col_map:
            raise ValueError("PreparedGet: annotations are not supported")
        fields = [column for column, _sql, _alias in compiler.select[: compiler.col_count]]
        klass_info, select = compiler.klass_info, compiler.select
        first, last = klass_info["select_fields"][0], klass_info["select_fields"][-1] + 1
        build = (
            klass_info["model"],
            first,
            last,
            [column.target.attname for column, _sql, _alias in select[first:last]],
            get_related_populators(klass_info, select, alias),
        )
        return sql, slots, compiler, compiler.get_converters(fields), build

    def get(self, *values, using: str = "default"):
        """The object for these values, or None."""
        if using not in self._compiled:
            self._compiled[using] = self._prepare(using)
        sql, slots, compiler, converters, (model, first, last, attnames, populators) = self._compiled[using]
        connection = connections[using]
        with connection.cursor() as cursor:
            params = [values[slot] for slot in slots]
            if self.name is None:
                cursor.execute(sql, params)
            else:
                execute(connection, cursor, self.name, sql, params)
            row = cursor.fetchone()
        if row is None:
            return None
        if converters:
            row = next(iter(compiler.apply_converters([row], converters)))
        instance = model.from_db(using, attnames, row[first:last])
        for populator in populators:
            populator.populate(row, instance)
        return instance


# --- server-side prepared statements ----------------------------------------------------------


def _prepared_on(connection) -> set[str] | None:
    """The names prepared on this connection's current database session, or None where statements
    are not prepared (not PostgreSQL, or ``DB_PREPARED_STATEMENTS`` off)."""
    if connection.vendor != "postgresql" or not getattr(settings, "DB_PREPARED_STATEMENTS", False):
        return None
    raw = connection.connection
    state = connection.__dict__.get("_crm_prepared")
    if state is None or state[0] is not raw:  # a new session: nothing is prepared on it yet
        state = connection.__dict__["_crm_prepared"] = (raw, set())
    return state[1]


def execute(connection, cursor, name: str, sql: str, params) -> None:
    """Run ``sql`` (``%s`` placeholders) on ``cursor`` as the prepared statement ``name``.

    On PostgreSQL each statement is planned on every run. For the few that every request runs (its
    session, its user, its permissions) planning took longer than running (bench/RESULTS.md,
    round e), so there they are prepared once per database session (``PREPARE``) and then only
    executed (``EXECUTE``): PostgreSQL keeps a generic plan after five runs. A prepared statement
    lasts as long as the session, whatever happens to transactions; a new connection prepares
    again. Elsewhere, or with ``DB_PREPARED_STATEMENTS`` off (PgBouncer in transaction mode
    shares sessions between clients), the SQL runs as it is.
    """
    prepared = _prepared_on(connection)
    if prepared is None:
        cursor.execute(sql, params)
        return
    statement = f"crm_{name}"
    if statement not in prepared:
        if "%%" in sql:
            raise ValueError("prepared statements take no literal %")
        if not sql.lstrip().upper().startswith("SELECT"):
            raise ValueError("only reads are prepared")  # bench/measure.py replays them as reads
        parts = sql.split("%s")
        numbered = "".join(f"{part}${index}" for index, part in enumerate(parts[:-1], start=1)) + parts[-1]
        cursor.execute(f"PREPARE {statement} AS {numbered}")
        prepared.add(statement)
    placeholders = ", ".join(["%s"] * len(params))
    cursor.execute(f"EXECUTE {statement}({placeholders})" if params else f"EXECUTE {statement}", params)
