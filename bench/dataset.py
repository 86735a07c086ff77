"""The benchmark's database: created, migrated and filled with ``generate_data`` once.

The data set is marked as complete with a comment on the database (``COMMENT ON DATABASE``),
written only after ``generate_data`` succeeded; a later run finds the comment and the expected
number of opportunities and skips the generation. Lifecycle writes of earlier runs (the write
measurements and the load test move and close opportunities) stay: they change statuses, never the
number of opportunities, and each run records the status counts it started from.
"""

import time
from urllib.parse import urlsplit, urlunsplit

import psycopg2
from psycopg2 import sql

BENCH_MANAGER = "bench-manager"
BENCH_PASSWORD = "bench-password-1"


def marker_text(opportunities: int, seed: int) -> str:
    return f"crm-bench: generate_data --opportunities {opportunities} --seed {seed}"


def _admin_dsn(database_url: str) -> tuple[str, str]:
    """The URL of the server's ``postgres`` database and the name of the bench database."""
    parts = urlsplit(database_url)
    name = parts.path.lstrip("/")
    if parts.scheme not in {"postgres", "postgresql"} or not name:
        raise SystemExit(f"The benchmark needs a PostgreSQL DATABASE_URL with a database name, got {database_url!r}")
    return urlunsplit(parts._replace(path="/postgres")), name


def ensure_database(database_url: str) -> bool:
    """Create the database when it is missing; True when it was created."""
    admin_url, name = _admin_dsn(database_url)
    connection = psycopg2.connect(admin_url)
    connection.autocommit = True
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
            if cursor.fetchone():
                return False
            cursor.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
            return True
    finally:
        connection.close()


def read_marker() -> str:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = current_database()"
        )
        row = cursor.fetchone()
    return (row[0] if row else None) or ""


def write_marker(text: str) -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        name = connection.ops.quote_name(connection.settings_dict["NAME"])
        cursor.execute(f"COMMENT ON DATABASE {name} IS %s", [text])


def ensure_data_set(*, opportunities: int, seed: int, log) -> dict:
    """Migrate, then generate the data set unless the marker says it is there. Returns what was done."""
    from django.core.management import call_command

    from opportunities.models import Opportunity

    started = time.monotonic()
    call_command("migrate", interactive=False, verbosity=0)
    migrate_seconds = time.monotonic() - started
    expected = marker_text(opportunities, seed)
    marker = read_marker()
    count = Opportunity.objects.count()
    if marker == expected and count == opportunities:
        log(f"Data set present ({count:,} opportunities; marker {marker!r}): generation skipped.")
        return {"generated": False, "migrate_seconds": round(migrate_seconds, 2), "generate_seconds": None}
    if count:
        raise SystemExit(
            f"The bench database holds {count:,} opportunities but not the marker {expected!r} "
            f"(found {marker!r}). Drop it (dropdb crm_bench) or pass another --database-url."
        )
    log(f"Generating the data set: generate_data --opportunities {opportunities} --seed {seed} …")
    started = time.monotonic()
    call_command("generate_data", opportunities=opportunities, seed=seed, verbosity=1)
    generate_seconds = time.monotonic() - started
    # Fresh statistics for the planner, as autovacuum would gather them a little later.
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
    write_marker(expected)
    log(f"Generated in {generate_seconds:.1f} s.")
    return {
        "generated": True,
        "migrate_seconds": round(migrate_seconds, 2),
        "generate_seconds": round(generate_seconds, 1),
    }


def ensure_bench_users() -> dict:
    """A sales manager login for the benchmark (idempotent) and the first generated rep."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group

    from contacts.models import Salesperson
    from opportunities.permissions import MANAGERS_GROUP

    User = get_user_model()
    manager, created = User.objects.get_or_create(
        username=BENCH_MANAGER, defaults={"is_staff": True, "email": "bench-manager@example.com"}
    )
    if created or not manager.check_password(BENCH_PASSWORD):
        manager.set_password(BENCH_PASSWORD)
        manager.save()
    manager.groups.add(Group.objects.get(name=MANAGERS_GROUP))
    rep = Salesperson.objects.select_related("user").filter(code="GEN001").first()
    if rep is None or rep.user is None:
        raise SystemExit("The generated salesperson GEN001 (login gen001) is missing.")
    return {"manager": manager, "rep_user": rep.user, "rep": rep}


def status_counts() -> dict:
    from django.db.models import Count

    from opportunities.models import Opportunity

    return {row["status"]: row["n"] for row in Opportunity.objects.values("status").annotate(n=Count("id")).order_by()}
