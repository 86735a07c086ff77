"""The reports router: with a replica configured, report reads go there and nothing else does."""

import pytest
from django.db import connections
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from common.db_routing import ReportsRouter, reports_database
from opportunities.models import Opportunity
from tests.report_data import build_report_data

FORECAST = "/api/v1/reports/forecast/"
both_databases = pytest.mark.django_db(transaction=True, databases=["default", "replica"])


@pytest.fixture
def replica(settings):
    settings.CRM_REPORTS_DATABASE = "replica"
    return connections["replica"]


@pytest.fixture
def data(cycle, rep, other_rep, won_code, lost_code):
    return build_report_data(cycle=cycle, rep=rep, other_rep=other_rep, won_code=won_code, lost_code=lost_code)


def _reads_the_session(sql: str) -> bool:
    # As SQL, or as the statement prepared for it (common.prepared, DB_PREPARED_STATEMENTS).
    return "django_session" in sql or sql.startswith("EXECUTE crm_session(")


def _opportunity_reads(queries) -> list[str]:
    return [query["sql"] for query in queries if "opportunities_opportunity" in query["sql"]]


@both_databases
def test_the_api_reports_read_from_the_replica(client, manager, data, replica):
    client.force_login(manager)

    with CaptureQueriesContext(replica) as on_replica, CaptureQueriesContext(connections["default"]) as on_primary:
        forecast = client.get(FORECAST)
        salespeople = client.get("/api/v1/reports/salespeople/")
        win_loss = client.get("/api/v1/reports/win-loss/")
        statistics = client.get("/api/v1/sales-cycles/NEW/statistics/")

    assert [r.status_code for r in (forecast, salespeople, win_loss, statistics)] == [200] * 4
    # The replica holds the same rows: the figures are the real ones.
    assert [month["month"] for month in forecast.json()["months"]] == ["2026-02", "2026-03", "2026-04"]
    assert statistics.json()["won"]["count"] == 2
    assert _opportunity_reads(on_replica)
    # The session, the user and the request's own lookups stay on the primary; no report does.
    assert _opportunity_reads(on_primary) == []
    assert any(_reads_the_session(query["sql"]) for query in on_primary)


@both_databases
def test_the_reports_page_and_its_csv_read_from_the_replica(client, manager, data, replica):
    client.force_login(manager)

    with CaptureQueriesContext(replica) as on_replica, CaptureQueriesContext(connections["default"]) as on_primary:
        page = client.get(reverse("opportunities:reports"))
        download = client.get(reverse("opportunities:reports"), {"format": "csv", "report": "forecast"})

    assert page.status_code == download.status_code == 200
    assert _opportunity_reads(on_replica)
    assert _opportunity_reads(on_primary) == []


@both_databases
def test_without_a_replica_everything_reads_from_the_primary(client, manager, data, settings):
    settings.CRM_REPORTS_DATABASE = None
    client.force_login(manager)

    with CaptureQueriesContext(connections["replica"]) as on_replica:
        assert client.get(FORECAST).status_code == 200

    assert on_replica.captured_queries == []


@both_databases
def test_the_dashboard_and_lists_stay_on_the_primary(client, rep, data, replica):
    """What a user has just changed must show at once: only reports may lag behind."""
    client.force_login(rep.user)

    with CaptureQueriesContext(replica) as on_replica:
        assert client.get(reverse("home")).status_code == 200
        assert client.get("/api/v1/opportunities/").status_code == 200

    assert on_replica.captured_queries == []


def test_writes_and_migrations_always_go_to_the_primary(settings):
    settings.CRM_REPORTS_DATABASE = "replica"
    router = ReportsRouter()

    with reports_database():
        assert router.db_for_read(Opportunity) == "replica"
        assert router.db_for_write(Opportunity) == "default"
    assert router.db_for_read(Opportunity) is None  # outside a report: Django's default
    assert router.allow_migrate("default", "opportunities") is True
    assert router.allow_migrate("replica", "opportunities") is False


def test_an_unknown_reports_alias_falls_back_to_the_primary(settings):
    settings.CRM_REPORTS_DATABASE = "nowhere"

    with reports_database():
        assert ReportsRouter().db_for_read(Opportunity) is None
