"""Reports read from a replica of the database when one is configured (README, "Scaling out").

Reports aggregate over the whole history and may be a few seconds behind; everything else (the
lifecycle, lists a user has just changed, logins, sessions) stays on the primary. Code that
produces a report runs inside :func:`reports_database` (``opportunities.reports`` marks its
report functions with :func:`on_reports_database`), and :class:`ReportsRouter` sends the reads
made there to ``settings.CRM_REPORTS_DATABASE``.
"""

import contextvars
import functools
from contextlib import contextmanager

from django.conf import settings

_reporting = contextvars.ContextVar("crm_reporting", default=False)


@contextmanager
def reports_database():
    token = _reporting.set(True)
    try:
        yield
    finally:
        _reporting.reset(token)


def on_reports_database(function):
    """Run ``function`` (which must return evaluated data, not a lazy queryset) on the reports database."""

    @functools.wraps(function)
    def wrapper(*args, **kwargs):
        with reports_database():
            return function(*args, **kwargs)

    return wrapper


def reports_alias() -> str | None:
    alias = getattr(settings, "CRM_REPORTS_DATABASE", None)
    return alias if alias and alias in settings.DATABASES else None


class ReportsRouter:
    """Reads inside :func:`reports_database` go to the replica; all writes and migrations to the primary."""

    def db_for_read(self, model, **hints):
        if _reporting.get():
            return reports_alias()
        return None

    def db_for_write(self, model, **hints):
        return "default"

    def allow_relation(self, obj1, obj2, **hints):
        # The replica holds the same rows as the primary.
        return True

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        # A replica follows the primary's schema through replication.
        return db == "default"
