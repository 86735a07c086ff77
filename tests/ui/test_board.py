"""The pipeline board: columns with figures, cards paged per column, filters, and the move dialog."""

import datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from opportunities import services
from opportunities.models import Opportunity
from opportunities.views.pipeline import PAGE_SIZE
from tests.factories import OpportunityFactory, PersonFactory, SalesCycleFactory, StageFactory

D = Decimal
HTMX = {"HTTP_HX_REQUEST": "true"}
ACTIVATED_ON = datetime.date(2026, 1, 10)


def _make(cycle, salesperson, count: int, *, start: bool = True, **values):
    made = []
    for _i in range(count):
        opportunity = OpportunityFactory(sales_cycle=cycle, salesperson=salesperson, contact=PersonFactory(), **values)
        if start:
            services.opportunity_activate(
                opportunity=opportunity, user=None, date_of_change=ACTIVATED_ON, estimated_value=D("1000")
            )
        made.append(opportunity)
    return made


def _board(cycle) -> str:
    return reverse("opportunities:board", args=[cycle.code])


# --- access ----------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_an_anonymous_visitor_is_sent_to_the_login_page(client, cycle):
    response = client.get(reverse("opportunities:board"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


@pytest.mark.django_db
def test_a_rep_sees_only_their_cards_and_a_manager_sees_all(client, rep, other_rep, manager, cycle):
    mine = _make(cycle, rep, 1)[0]
    theirs = _make(cycle, other_rep, 1)[0]
    client.force_login(rep.user)
    html = client.get(_board(cycle)).content.decode()
    assert mine.no in html and theirs.no not in html
    client.force_login(manager)
    html = client.get(_board(cycle)).content.decode()
    assert mine.no in html and theirs.no in html


@pytest.mark.django_db
def test_the_default_board_is_the_first_unblocked_cycle_or_the_setting(client, rep, cycle, settings):
    SalesCycleFactory(code="AAA", blocked=True)
    other = SalesCycleFactory(code="ZZZ")
    client.force_login(rep.user)
    assert client.get(reverse("opportunities:board")).context["cycle"] == cycle
    settings.CRM_DEFAULT_SALES_CYCLE = "ZZZ"
    assert client.get(reverse("opportunities:board")).context["cycle"] == other
    assert client.get(reverse("opportunities:board") + "?cycle=NEW").context["cycle"] == cycle


@pytest.mark.django_db
def test_an_unknown_cycle_answers_404(client, rep, cycle):
    client.force_login(rep.user)
    assert client.get("/pipeline/NOPE/").status_code == 404


# --- columns and cards -----------------------------------------------------------------------------


@pytest.mark.django_db
def test_columns_show_counts_and_estimated_and_weighted_totals(client, rep, cycle, won_code):
    _make(cycle, rep, 2)  # stage 1, 1000 each, probability 2 % → 20 each
    _make(cycle, rep, 1, start=False)
    closed = _make(cycle, rep, 1)[0]
    services.opportunity_close(opportunity=closed, user=None, outcome="won", close_code=won_code)
    client.force_login(rep.user)
    response = client.get(_board(cycle))
    columns = {column["key"]: column for column in response.context["columns"]}
    first = columns[str(cycle.stages.get(stage=1).pk)]
    assert (first["count"], first["estimated"], first["weighted"]) == (2, D("2000.00"), D("40.00"))
    assert columns["new"]["count"] == 1
    assert len(response.context["columns"]) == 6  # Not started + five stages
    html = response.content.decode()
    assert "2,000.00\N{NO-BREAK SPACE}EUR" in html and "40.00\N{NO-BREAK SPACE}EUR" in html
    assert closed.no not in html  # won ones are not on the board


@pytest.mark.django_db
def test_a_card_shows_its_figures_and_an_overdue_mark(client, rep, cycle):
    card = _make(cycle, rep, 1, description="Big deal", priority="high")[0]
    client.force_login(rep.user)
    html = client.get(_board(cycle)).content.decode()
    assert "Big deal" in html and card.contact.name in html and rep.name in html
    assert "1,000.00\N{NO-BREAK SPACE}EUR" in html and "2\N{NO-BREAK SPACE}%" in html
    assert "overdue" in html  # its estimated closing date (2026-02-10) lies before today
    assert reverse("opportunities:update", args=[card.no]) in html
    assert 'draggable="true"' in html


@pytest.mark.django_db
def test_each_column_shows_a_first_page_and_loads_more_on_demand(client, rep, cycle):
    _make(cycle, rep, PAGE_SIZE + 5)
    client.force_login(rep.user)
    response = client.get(_board(cycle))
    stage_key = str(cycle.stages.get(stage=1).pk)
    column = next(c for c in response.context["columns"] if c["key"] == stage_key)
    assert len(column["cards"]) == PAGE_SIZE and column["more"]
    more_url = reverse("opportunities:board_column", args=[cycle.code, stage_key]) + "?page=2"
    assert more_url in response.content.decode()
    more = client.get(more_url, **HTMX)
    assert more.status_code == 200
    assert more.content.decode().count("data-card ") == 5
    assert "Show more" not in more.content.decode()


@pytest.mark.django_db
def test_show_more_keeps_to_the_visible_cards(client, rep, other_rep, cycle):
    _make(cycle, other_rep, 3)
    client.force_login(rep.user)
    stage_key = str(cycle.stages.get(stage=1).pk)
    html = client.get(reverse("opportunities:board_column", args=[cycle.code, stage_key]) + "?page=1").content
    assert b"data-card " not in html


@pytest.mark.django_db
def test_the_board_costs_the_same_number_of_queries_with_3_or_30_cards(
    client, rep, cycle, django_assert_num_queries, django_assert_max_num_queries
):
    client.force_login(rep.user)
    _make(cycle, rep, 3)
    client.get(_board(cycle))  # warm the session
    with django_assert_max_num_queries(11) as small:
        client.get(_board(cycle))
    _make(cycle, rep, 27)
    _make(cycle, rep, 5, start=False)
    with django_assert_num_queries(len(small.captured_queries)):
        client.get(_board(cycle))


@pytest.mark.django_db
def test_the_cards_are_read_by_the_ids_the_window_kept(client, rep, cycle):
    _make(cycle, rep, PAGE_SIZE + 3)  # one column with more cards than its first page
    client.force_login(rep.user)
    with CaptureQueriesContext(connection) as captured:
        response = client.get(_board(cycle))

    ids_query = next(q["sql"] for q in captured if "ROW_NUMBER()" in q["sql"])
    cards_query = next(q["sql"] for q in captured if q["sql"].startswith('SELECT "opportunities_opportunity"."no"'))
    assert ids_query.startswith('SELECT "pk" FROM') and "JOIN" not in ids_query
    # The cards' query names the kept ids itself, so PostgreSQL knows it reads a page of rows.
    assert "ROW_NUMBER()" not in cards_query and "JOIN" in cards_query
    kept = [card.no for column in response.context["columns"] for card in column["cards"]]
    assert len(kept) == PAGE_SIZE
    named = cards_query.split(" IN (", 1)[1].split(")", 1)[0]
    assert {int(pk) for pk in named.split(",")} == set(
        Opportunity.objects.filter(no__in=kept).values_list("pk", flat=True)
    )


@pytest.mark.django_db
def test_a_managers_board_costs_a_bounded_number_of_queries(
    client, manager, rep, other_rep, cycle, django_assert_max_num_queries
):
    _make(cycle, rep, 10)
    _make(cycle, other_rep, 10)
    client.force_login(manager)
    client.get(_board(cycle))
    with django_assert_max_num_queries(13):
        client.get(_board(cycle) + f"?salesperson={rep.pk}&priority=normal&q=Deal")


# --- filters ---------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_filters_by_priority_closing_month_and_search(client, rep, cycle):
    high = _make(cycle, rep, 1, priority="high", description="Turbine upgrade")[0]
    low = _make(cycle, rep, 1, priority="low", description="Paper clips")[0]
    Opportunity.objects.filter(pk=low.pk).update(estimated_closing_date=datetime.date(2026, 5, 3))
    client.force_login(rep.user)
    html = client.get(_board(cycle) + "?priority=high").content.decode()
    assert high.no in html and low.no not in html
    html = client.get(_board(cycle) + "?month=2026-05").content.decode()
    assert low.no in html and high.no not in html
    html = client.get(_board(cycle) + "?q=turbine").content.decode()
    assert high.no in html and low.no not in html


@pytest.mark.django_db
def test_only_managers_filter_by_salesperson(client, rep, other_rep, manager, cycle):
    mine = _make(cycle, rep, 1)[0]
    theirs = _make(cycle, other_rep, 1)[0]
    client.force_login(manager)
    html = client.get(_board(cycle) + f"?salesperson={other_rep.pk}").content.decode()
    assert theirs.no in html and mine.no not in html
    client.force_login(rep.user)
    response = client.get(_board(cycle) + f"?salesperson={other_rep.pk}")
    assert "salesperson" not in response.context["filters"].fields
    assert theirs.no not in response.content.decode()


# --- moving cards ----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_drop_opens_the_update_dialog_with_the_matching_action_and_proposed_values(client, rep, cycle):
    card = _make(cycle, rep, 1)[0]
    client.force_login(rep.user)
    url = reverse("opportunities:update", args=[card.no]) + "?action=next&stage=2&next=/pipeline/NEW/"
    html = client.get(url, **HTMX).content.decode()
    assert '<option value="next" selected>' in html
    assert 'value="40.00"' in html  # stage 2's chances proposed
    assert 'name="next" value="/pipeline/NEW/"' in html


@pytest.mark.django_db
def test_moving_a_card_from_the_board_returns_to_the_board(client, rep, cycle):
    card = _make(cycle, rep, 1)[0]
    client.force_login(rep.user)
    response = client.post(
        reverse("opportunities:update", args=[card.no]),
        {"action": "next", "date_of_change": "2026-01-12", "next": _board(cycle)},
        **HTMX,
    )
    assert response["HX-Redirect"] == _board(cycle)
    assert Opportunity.objects.get(pk=card.pk).current_stage.stage == 2
    html = client.get(_board(cycle)).content.decode()
    assert f"Opportunity {card.no} is updated." in html


@pytest.mark.django_db
def test_a_refused_skip_from_the_board_is_explained_and_changes_nothing(client, rep, cycle):
    card = _make(cycle, rep, 1)[0]
    client.force_login(rep.user)
    response = client.post(
        reverse("opportunities:update", args=[card.no]),
        {"action": "skip", "stage": "7", "next": _board(cycle)},
        **HTMX,
    )
    assert response.status_code == 200
    assert "Stage 5 (Negotiate) cannot be skipped." in response.content.decode()
    fresh = Opportunity.objects.get(pk=card.pk)
    assert (fresh.current_stage.stage, fresh.entries.count()) == (1, 1)


@pytest.mark.django_db
def test_a_not_started_card_offers_activation(client, rep, cycle):
    card = _make(cycle, rep, 1, start=False)[0]
    client.force_login(rep.user)
    html = client.get(_board(cycle)).content.decode()
    assert reverse("opportunities:activate", args=[card.no]) in html
    assert "Activate…" in html


@pytest.mark.django_db
def test_a_cycle_without_stages_shows_only_not_started(client, rep):
    empty = SalesCycleFactory(code="EMPTY")
    _make(empty, rep, 1, start=False)
    client.force_login(rep.user)
    response = client.get(_board(empty))
    assert [column["key"] for column in response.context["columns"]] == ["new"]


@pytest.mark.django_db
def test_the_board_lists_its_stages_in_order(client, rep):
    cycle = SalesCycleFactory(code="ORDER")
    for number in (30, 10, 20):
        StageFactory(sales_cycle=cycle, stage=number)
    client.force_login(rep.user)
    response = client.get(_board(cycle))
    assert [c["stage"].stage for c in response.context["columns"][1:]] == [10, 20, 30]
