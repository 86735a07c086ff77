"""The opportunity JSON written from rows (``opportunities/api_rows.py``) is the serializer's, field for field.

``OpportunitySerializer`` is the contract (it generates the schema); the list, the detail and the
lifecycle's answers are written from ``values_list`` rows instead. These tests render the same
opportunities both ways, in every state and in several time zones, and compare.
"""

import datetime
import zoneinfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from opportunities import services
from opportunities.api import OpportunitySerializer
from opportunities.api_rows import opportunity_rows
from opportunities.models import Opportunity
from tests.api.opportunity_helpers import D, opportunities_url, opportunity_url
from tests.factories import CompanyFactory, OpportunityFactory, PersonFactory

START = datetime.date(2026, 1, 5)


@pytest.fixture
def every_state(cycle, rep, won_code, lost_code):
    """Not started, in progress (stage 1 and 2), won, lost, and one for a company, with odd amounts."""
    made = []
    not_started = OpportunityFactory(sales_cycle=cycle, salesperson=rep, priority="high")
    made.append(not_started)
    for stage_moves in (0, 1):
        started = OpportunityFactory(sales_cycle=cycle, salesperson=rep, description="Ünïcode & <b>")
        services.opportunity_activate(
            opportunity=started, user=None, date_of_change=START, estimated_value=D("1234567.5")
        )
        for _ in range(stage_moves):
            services.opportunity_update_stage(opportunity=started, user=None, action="next", date_of_change=START)
        made.append(started)
    for outcome, code in (("won", won_code), ("lost", lost_code)):
        closed = OpportunityFactory(sales_cycle=cycle, salesperson=rep, priority="low")
        services.opportunity_activate(opportunity=closed, user=None, date_of_change=START)
        services.opportunity_close(
            opportunity=closed,
            user=None,
            outcome=outcome,
            close_code=code,
            sales_amount=D("10") if outcome == "won" else None,
            date_closed=START,
        )
        made.append(closed)
    company = CompanyFactory()
    made.append(OpportunityFactory(sales_cycle=cycle, salesperson=rep, contact=company, contact_company=company))
    person_without_company = PersonFactory(company=None)
    made.append(
        OpportunityFactory(
            sales_cycle=cycle, salesperson=rep, contact=person_without_company, contact_company=person_without_company
        )
    )
    return made


def _serialized(opportunity: Opportunity) -> dict:
    fresh = Opportunity.objects.for_list().select_related("close_code").get(pk=opportunity.pk)
    return dict(OpportunitySerializer(fresh).data)


@pytest.mark.parametrize("zone", ["UTC", "Europe/Berlin", "America/New_York"])
def test_rows_write_what_the_serializer_writes_in_every_state_and_time_zone(every_state, zone):
    with timezone.override(zoneinfo.ZoneInfo(zone)):
        rows = opportunity_rows(Opportunity.objects.order_by("pk"))
        expected = [_serialized(opportunity) for opportunity in sorted(every_state, key=lambda o: o.pk)]

    assert rows == expected
    assert {row["status"] for row in rows} == {"not_started", "in_progress", "won", "lost"}
    assert {row["close_code"] for row in rows} == {None, "WON-PRICE", "LOST-COMP"}
    assert {row["current_stage"] for row in rows} == {None, 1, 2}
    if zone == "UTC":
        assert all(row["created_at"].endswith("Z") for row in rows)


def test_rows_of_nothing_are_an_empty_list_without_a_look_up(db):
    with CaptureQueriesContext(connection) as queries:
        assert opportunity_rows(Opportunity.objects.all()) == []

    assert len(queries) == 1


def test_the_api_list_detail_and_a_lifecycle_answer_are_the_serializers_json(every_state, rep_api, cycle):
    listed = rep_api.get(opportunities_url() + "?page_size=100").json()["results"]
    assert listed == [_serialized(opportunity) for opportunity in sorted(every_state, key=lambda o: o.no, reverse=True)]

    started = every_state[1]
    detail = rep_api.get(opportunity_url(started.no))
    assert detail.status_code == 200
    assert detail.json() == _serialized(started)

    moved = rep_api.post(opportunity_url(started.no, "update-stage"), {"action": "next"}, format="json")
    assert moved.status_code == 200
    assert moved.json() == _serialized(started)
    assert moved.json()["current_stage"] == 2


def test_the_list_counts_the_filtered_table_alone(every_state, rep_api):
    """The page's joins stay out of the COUNT(*): PostgreSQL cannot drop inner joins from a count."""
    with CaptureQueriesContext(connection) as queries:
        response = rep_api.get(opportunities_url() + "?priority=high")

    assert response.status_code == 200
    counts = [query["sql"] for query in queries if "COUNT(" in query["sql"]]
    assert len(counts) == 1
    assert "JOIN" not in counts[0]
    assert response.json()["count"] == 1
    assert response.json()["results"][0]["contact"] is not None
