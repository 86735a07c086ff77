"""Django's database sessions, with the session of each request read by one plain SQL query.

Every signed-in request reads its session. Django's ``db`` store builds and compiles the same
ORM query for it every time, which under load cost more than running it (bench/RESULTS.md,
round d). ``SessionStore`` reads the row with SQL written once per database from the model's
table, prepared on PostgreSQL (``common.prepared.execute``); saving, deleting and expiring stay
Django's. ``SESSION_ENGINE = "common.sessions"``.
"""

from django.contrib.sessions.backends import db
from django.db import connections, router
from django.utils import timezone

from common import prepared

_LOAD_SQL: dict[str, str] = {}


def _load_sql(model, alias: str) -> str:
    if alias not in _LOAD_SQL:
        q = connections[alias].ops.quote_name
        field = model._meta.get_field
        _LOAD_SQL[alias] = (
            f"SELECT {q(field('session_data').column)} FROM {q(model._meta.db_table)} "
            f"WHERE {q(field('session_key').column)} = %s AND {q(field('expire_date').column)} > %s"
        )
    return _LOAD_SQL[alias]


class SessionStore(db.SessionStore):
    def _get_session_from_db(self):
        if self.session_key is None:
            return None
        alias = router.db_for_read(self.model)
        connection = connections[alias]
        with connection.cursor() as cursor:
            prepared.execute(
                connection,
                cursor,
                "session",
                _load_sql(self.model, alias),
                [self.session_key, connection.ops.adapt_datetimefield_value(timezone.now())],
            )
            row = cursor.fetchone()
        if row is None:
            # Expired or unknown (as Django's store): a new session gets a new key when saved.
            self._session_key = None
            return None
        return self.model(session_key=self.session_key, session_data=row[0])
