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

from django.db import connections
from django.db.models.query import get_related_populators

# Stand-ins for the values: distinctive enough not to be any other parameter of the query.
_STAND_INS = (-9_071_301, -9_071_302, -9_071_303)


class PreparedGet:
    def __init__(self, make_queryset, arity: int = 1):
        """``make_queryset(*values)`` returns the queryset of at most one row for these values."""
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
        with connections[using].cursor() as cursor:
            cursor.execute(sql, [values[slot] for slot in slots])
            row = cursor.fetchone()
        if row is None:
            return None
        if converters:
            row = next(iter(compiler.apply_converters([row], converters)))
        instance = model.from_db(using, attnames, row[first:last])
        for populator in populators:
            populator.populate(row, instance)
        return instance
