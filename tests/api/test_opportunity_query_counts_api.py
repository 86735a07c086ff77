"""Pinned query counts of the opportunity, task, entry and statistics lists (SPEC §9, STYLE.md).

Each list is requested with 3 and with 30 rows, and with page sizes 10 and 100: the number of
queries must be the same every time (no query per row) and equal to the pinned number. A token
request costs one query to authenticate (token and user); a rep's visibility costs two more (the
user's and the group permissions in one query, the user's salesperson), a manager's one (the
permissions).
"""

import datetime

import pytest

from opportunities import services
from opportunities.models import Task
from tests.api.opportunity_helpers import (
    D,
    count_queries,
    opportunities_url,
    opportunity_url,
    statistics_url,
    tasks_url,
)
from tests.factories import OpportunityFactory, PersonFactory

START = datetime.date(2026, 1, 5)

# Measured, then pinned: a higher number is a regression, a lower one a reason to update the pin.
OPPORTUNITY_LIST = {"rep": 6, "manager": 5}  # auth, permissions, (salesperson), count, page, set-up codes
TASK_LIST = {"rep": 5, "manager": 4}  # auth, permissions, (salesperson), count, page
ENTRY_LIST = {"rep": 6, "manager": 5}  # auth, permissions, (salesperson), opportunity, count, page
# auth, permissions, (salesperson), cycle, totals, by stage, (a manager: history version), history, stages
STATISTICS = {"rep": 8, "manager": 8}


@pytest.fixture
def client_of(request):
    def _client(who: str):
        return request.getfixturevalue(f"{who}_api")

    return _client


def _measure(client, url: str, *, grow, django_assert_max_num_queries, pin: int, page_sizes=(10, 100)) -> dict:
    """Query counts of ``url`` with 3 and 30 rows (``grow(n)`` adds n rows) and each page size."""
    counts = {}
    for rows, added in ((3, 3), (30, 27)):
        grow(added)
        for page_size in page_sizes:
            with django_assert_max_num_queries(pin):
                query = f"?page_size={page_size}" if page_size else ""
                counts[(rows, page_size)] = count_queries(client, url + query)
    return counts


def _assert_pinned(counts: dict, pin: int) -> None:
    assert len(set(counts.values())) == 1, f"the query count depends on the data or the page size: {counts}"
    assert set(counts.values()) == {pin}, counts


@pytest.mark.parametrize("who", ["rep", "manager"])
def test_the_opportunity_list_costs_the_same_queries_for_3_or_30_rows_and_any_page_size(
    who, client_of, cycle, rep, won_code, django_assert_max_num_queries
):
    def grow(count):
        for index in range(count):
            opportunity = OpportunityFactory(sales_cycle=cycle, salesperson=rep, contact=PersonFactory())
            if index % 3:
                services.opportunity_activate(opportunity=opportunity, user=None, date_of_change=START)
            if index % 3 == 2:
                services.opportunity_close(
                    opportunity=opportunity,
                    user=None,
                    outcome="won",
                    close_code=won_code,
                    sales_amount=D("10"),
                    date_closed=START,
                )

    counts = _measure(
        client_of(who),
        opportunities_url(),
        grow=grow,
        django_assert_max_num_queries=django_assert_max_num_queries,
        pin=OPPORTUNITY_LIST[who],
    )

    _assert_pinned(counts, OPPORTUNITY_LIST[who])
    assert client_of(who).get(opportunities_url()).json()["count"] == 30


@pytest.mark.parametrize("who", ["rep", "manager"])
def test_the_task_list_costs_the_same_queries_for_3_or_30_rows_and_any_page_size(
    who, client_of, opportunity, rep, django_assert_max_num_queries
):
    services.opportunity_activate(opportunity=opportunity, user=None, date_of_change=START)
    Task.objects.all().delete()

    def grow(count):
        for index in range(count):
            services.task_create(
                user=None,
                description=f"Task {index}",
                date=START,
                salesperson=rep,
                contact=PersonFactory() if index % 2 else None,
                opportunity=opportunity if index % 3 else None,
            )

    counts = _measure(
        client_of(who),
        tasks_url(),
        grow=grow,
        django_assert_max_num_queries=django_assert_max_num_queries,
        pin=TASK_LIST[who],
    )

    _assert_pinned(counts, TASK_LIST[who])
    assert client_of(who).get(tasks_url()).json()["count"] == 30


@pytest.mark.parametrize("who", ["rep", "manager"])
def test_the_entry_list_costs_the_same_queries_for_3_or_30_entries_and_any_page_size(
    who, client_of, opportunity, won_code, django_assert_max_num_queries
):
    def grow(count):
        for _ in range(count):
            if opportunity.status == "not_started":
                services.opportunity_activate(
                    opportunity=opportunity, user=None, date_of_change=START, estimated_value=D("100")
                )
            else:
                # Back and forth between stages 1 and 2, each move an entry.
                action = "next" if opportunity.current_stage.stage == 1 else "previous"
                services.opportunity_update_stage(
                    opportunity=opportunity, user=None, action=action, date_of_change=START
                )

    counts = _measure(
        client_of(who),
        opportunity_url(opportunity.no, "entries"),
        grow=grow,
        django_assert_max_num_queries=django_assert_max_num_queries,
        pin=ENTRY_LIST[who],
    )

    _assert_pinned(counts, ENTRY_LIST[who])
    assert client_of(who).get(opportunity_url(opportunity.no, "entries")).json()["count"] == 30


@pytest.mark.parametrize("who", ["rep", "manager"])
def test_sales_cycle_statistics_cost_the_same_queries_for_3_or_30_opportunities(
    who, client_of, cycle, rep, won_code, lost_code, django_assert_max_num_queries
):
    def grow(count):
        for index in range(count):
            opportunity = OpportunityFactory(sales_cycle=cycle, salesperson=rep, contact=PersonFactory())
            services.opportunity_activate(
                opportunity=opportunity, user=None, date_of_change=START, estimated_value=D("100")
            )
            if index % 2:
                services.opportunity_update_stage(
                    opportunity=opportunity, user=None, action="next", date_of_change=START
                )
            if index % 5 == 4:
                code = won_code if index % 2 else lost_code
                services.opportunity_close(
                    opportunity=opportunity, user=None, outcome=code.type, close_code=code, date_closed=START
                )

    counts = _measure(
        client_of(who),
        statistics_url("NEW"),
        grow=grow,
        django_assert_max_num_queries=django_assert_max_num_queries,
        pin=STATISTICS[who],
        page_sizes=(None,),
    )

    _assert_pinned(counts, STATISTICS[who])
    body = client_of(who).get(statistics_url("NEW")).json()
    assert body["open"]["count"] + body["won"]["count"] + body["lost"]["count"] == 30
