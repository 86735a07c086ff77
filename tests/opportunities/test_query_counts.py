"""Pinned query counts (STYLE.md): lists need one query, lifecycle calls a fixed number.

The service counts are measured inside the test's transaction, so they include the SAVEPOINT and
RELEASE SAVEPOINT of the service's ``atomic`` block. They must not grow with the number of
entries an opportunity has, which the 2-entry and 10-entry cases check. Number series cost two
queries per generated task on PostgreSQL (nextval, exists) and four on SQLite (the counter row),
hence the per-database numbers.
"""

import datetime

import pytest
from django.db import connection

from opportunities import services
from opportunities.models import Opportunity, OpportunityEntry
from opportunities.permissions import can_change_all
from tests.factories import OpportunityFactory, PersonFactory
from tests.opportunities.helpers import D

START = datetime.date(2026, 1, 5)

# Measured, then pinned: a higher number is a regression, a lower one a reason to update the pin.
# Each write of an entry also counts a change of the cycle's stage history (StageHistoryVersion).
# lock, stages with their cycle, history version, entry, opportunity, steps, 2 tasks: numbers, look-up, one insert
ACTIVATE_QUERIES = {"postgresql": 11, "sqlite": 13}
# lock, stages with their cycle, quote, active entry, retire, history version, entry, opportunity
NEXT_QUERIES = {"postgresql": 10, "sqlite": 10}
# lock, close code, active entry, cancel tasks, retire, history version, entry, opportunity
CLOSE_LOST_QUERIES = {"postgresql": 10, "sqlite": 10}


def _expected(pins):
    return pins[connection.vendor]


@pytest.fixture
def warm_user(rep):
    """The rep's user with its salesperson and permissions cached, as after the first check of a request."""
    user = rep.user
    can_change_all(user)
    assert user.salesperson == rep
    return user


def _with_entries(count, *, cycle, rep, user):
    opportunity = OpportunityFactory(sales_cycle=cycle, salesperson=rep)
    services.opportunity_activate(opportunity=opportunity, user=user, date_of_change=START, estimated_value=D("100"))
    for _ in range(count - 1):
        services.opportunity_update_stage(opportunity=opportunity, user=user, action="update", date_of_change=START)
    assert OpportunityEntry.objects.filter(opportunity=opportunity).count() == count
    return opportunity


def test_activation_runs_a_fixed_number_of_queries(opportunity, warm_user, django_assert_num_queries):
    with django_assert_num_queries(_expected(ACTIVATE_QUERIES)):
        services.opportunity_activate(opportunity=opportunity, user=warm_user, date_of_change=START)


@pytest.mark.parametrize("entries", [2, 10])
def test_next_runs_the_same_number_of_queries_however_long_the_history(
    entries, cycle, rep, warm_user, django_assert_num_queries
):
    opportunity = _with_entries(entries, cycle=cycle, rep=rep, user=warm_user)
    with django_assert_num_queries(_expected(NEXT_QUERIES)):
        services.opportunity_update_stage(opportunity=opportunity, user=warm_user, action="next", date_of_change=START)


@pytest.mark.parametrize("entries", [2, 10])
def test_close_runs_the_same_number_of_queries_however_long_the_history(
    entries, cycle, rep, warm_user, lost_code, django_assert_num_queries
):
    opportunity = _with_entries(entries, cycle=cycle, rep=rep, user=warm_user)
    with django_assert_num_queries(_expected(CLOSE_LOST_QUERIES)):
        services.opportunity_close(
            opportunity=opportunity, user=warm_user, outcome="lost", close_code=lost_code, date_closed=START
        )


@pytest.mark.parametrize("rows", [3, 30])
@pytest.mark.parametrize("who", ["rep", "manager"])
def test_for_list_reads_a_fixed_number_of_queries_whatever_its_length(
    rows, who, cycle, rep, manager, warm_user, django_assert_num_queries
):
    for index in range(rows):
        opportunity = OpportunityFactory(sales_cycle=cycle, salesperson=rep, contact=PersonFactory())
        if index % 2:
            services.opportunity_activate(opportunity=opportunity, user=None, date_of_change=START)
    user = warm_user if who == "rep" else manager
    can_change_all(user)  # the permission cache is per request, loaded before any list

    # The rows with contact, company and salesperson; then the cycles and the stages of all rows.
    with django_assert_num_queries(3):
        shown = [
            (
                opportunity.no,
                opportunity.contact.name,
                opportunity.contact_company.name,
                opportunity.salesperson.name,
                opportunity.sales_cycle.description,
                opportunity.current_stage.description if opportunity.current_stage else "",
            )
            for opportunity in Opportunity.objects.visible_to(user).for_list()
        ]

    assert len(shown) == rows
    assert sum(1 for row in shown if row[-1]) == rows // 2
