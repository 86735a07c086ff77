"""Backup and restore (issue 8): a ``pg_dump -Fc`` of a filled database, restored with ``pg_restore``
into a fresh database, holds the same rows, passes the invariant check and hands out fresh numbers.

The restored database is checked by a separate process with ``DATABASE_URL`` pointed at it, as an
operator would after a restore. Needs the PostgreSQL client programs (pg_dump, pg_restore, createdb,
dropdb) on PATH.
"""

import json
import os
import shutil
import subprocess
import sys
from decimal import Decimal

import pytest
from django.apps import apps
from django.conf import settings
from django.core.management import call_command
from django.db import connection

from opportunities import services
from opportunities.models import Opportunity, Quote
from tests.factories import CompanyFactory
from tests.invariants import opportunity_problems

pytestmark = [pytest.mark.postgresql, pytest.mark.django_db(transaction=True)]

CLIENT_PROGRAMS = ("pg_dump", "pg_restore", "createdb", "dropdb")

# Run in the restored database by a fresh interpreter: row counts, invariants, the next numbers.
CHECK = """
import json, django
django.setup()
from django.apps import apps
from common.models import NumberSeries
from common.numbering import next_no
from contacts.models import Contact
from opportunities.models import Opportunity, Quote
from tests.invariants import opportunity_problems
counts = {m._meta.label: m._default_manager.count() for m in apps.get_models()}
fresh = {"OP": next_no("OP", Opportunity), "CT": next_no("CT", Contact), "SQ": next_no("SQ", Quote)}
print(json.dumps({"counts": counts, "problems": opportunity_problems(), "fresh": fresh}))
"""


def _server_args(database: dict) -> list[str]:
    args = ["-h", database.get("HOST") or "127.0.0.1", "-U", database.get("USER") or "postgres"]
    if database.get("PORT"):
        args += ["-p", str(database["PORT"])]
    return args


def _run(*command: str, env: dict) -> subprocess.CompletedProcess:
    result = subprocess.run(
        command, env=env, cwd=settings.BASE_DIR, capture_output=True, text=True, timeout=300, check=False
    )
    assert result.returncode == 0, f"{' '.join(command)} failed:\n{result.stdout}\n{result.stderr}"
    return result


@pytest.fixture
def filled(rep, cycle, won_code, manager):
    """A few hundred opportunities in bulk (generate_data) plus some through the services with quotes."""
    call_command("generate_data", opportunities=200, seed=3, stdout=open(os.devnull, "w"))  # noqa: SIM115
    for index in range(5):
        opportunity = services.opportunity_create(
            user=manager,
            description=f"Restored deal {index}",
            contact=CompanyFactory(),
            salesperson=rep,
            sales_cycle=cycle,
            activate_first_stage=True,
            estimated_value=Decimal("1000") + index,
        )
        services.quote_save(
            opportunity=opportunity,
            user=manager,
            lines=[{"description": "Licences", "quantity": "3", "unit_price": "99.95"}],
        )
        if index % 2:
            services.opportunity_close(opportunity=opportunity, user=manager, outcome="won", close_code=won_code)


def test_a_dump_restored_into_a_fresh_database_holds_the_same_rows_and_passes_the_invariants(filled, tmp_path):
    missing = [name for name in CLIENT_PROGRAMS if shutil.which(name) is None]
    assert not missing, f"PostgreSQL client programs missing from PATH: {missing}"
    assert not opportunity_problems()
    source = connection.settings_dict
    server = _server_args(source)
    env = {**os.environ}
    if source.get("PASSWORD"):
        env["PGPASSWORD"] = source["PASSWORD"]
    counts = {model._meta.label: model._default_manager.count() for model in apps.get_models()}
    assert counts["opportunities.Opportunity"] >= 205 and counts["opportunities.OpportunityEntry"] > 500

    # Named after the test database, so that runs on different databases never share it.
    restored = f"{source['NAME']}_restored"
    dump = tmp_path / "crm.dump"
    _run("pg_dump", *server, "-Fc", "--no-owner", "-f", str(dump), source["NAME"], env=env)
    subprocess.run(["dropdb", *server, "--if-exists", restored], env=env, capture_output=True, check=False)
    _run("createdb", *server, restored, env=env)
    try:
        _run("pg_restore", *server, "--no-owner", "--exit-on-error", "-d", restored, str(dump), env=env)
        url = f"postgres://{server[3]}@{server[1]}:{source.get('PORT') or 5432}/{restored}"
        check = _run(
            sys.executable,
            "-c",
            CHECK,
            env={**env, "DATABASE_URL": url, "DJANGO_SETTINGS_MODULE": "config.settings", "CI": ""},
        )
    finally:
        subprocess.run(["dropdb", *server, "--if-exists", restored], env=env, capture_output=True, check=False)

    restored = json.loads(check.stdout.strip().splitlines()[-1])
    assert restored["problems"] == []
    assert restored["counts"] == counts
    # The number series continue after the restore: no number is handed out again.
    assert restored["fresh"]["OP"] > max(Opportunity.objects.filter(no__startswith="OP0").values_list("no", flat=True))
    assert restored["fresh"]["SQ"] > max(Quote.objects.filter(no__startswith="SQ0").values_list("no", flat=True))
