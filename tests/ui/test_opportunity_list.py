"""The opportunity list (filters, sorting, pages, permissions) and its CSV export."""

import csv
import datetime
import io
from decimal import Decimal

import pytest
from django.urls import NoReverseMatch, reverse

from common.spreadsheet import neutralise
from opportunities import services
from tests.factories import CloseCodeFactory, PersonFactory, SalesCycleFactory, StageFactory

pytestmark = pytest.mark.django_db

D = Decimal
LIST = "/opportunities/"
EXPORT = "/opportunities/export.csv"


def make(user, cycle, description="Deal", *, contact=None, value=None, chances=None, close=None, priority="normal"):
    """An opportunity through the services; started when a value is given."""
    return services.opportunity_create(
        user=user,
        description=description,
        contact=contact or PersonFactory(),
        sales_cycle=cycle,
        priority=priority,
        activate_first_stage=value is not None,
        date_of_change=datetime.date(2026, 1, 10),
        estimated_value=None if value is None else D(value),
        chances_of_success_pct=None if chances is None else D(chances),
        estimated_close_date=close,
    )


def nos(response) -> list[str]:
    return [opportunity.no for opportunity in response.context["page"].object_list]


def export_rows(response) -> list[list[str]]:
    content = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.reader(io.StringIO(content)))


# --- permissions ---------------------------------------------------------------------------------


def test_the_list_sends_an_anonymous_user_to_the_login_page(client):
    for url in (LIST, EXPORT):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))


def test_a_rep_sees_only_their_own_opportunities(client, cycle, rep, other_rep):
    own = make(rep.user, cycle, "Own deal")
    make(other_rep.user, cycle, "Foreign deal")
    client.force_login(rep.user)
    response = client.get(LIST)
    assert response.status_code == 200
    assert nos(response) == [own.no]
    assert "Foreign deal" not in response.content.decode()
    # A rep gets no salesperson filter: there is only one salesperson to see.
    assert "salesperson" not in response.context["filter"].form.fields


def test_a_manager_sees_every_opportunity_and_filters_by_salesperson(client, cycle, rep, other_rep, manager):
    own = make(rep.user, cycle, "Own deal")
    foreign = make(other_rep.user, cycle, "Foreign deal")
    client.force_login(manager)
    assert set(nos(client.get(LIST))) == {own.no, foreign.no}
    assert nos(client.get(LIST, {"salesperson": "OTHER"})) == [foreign.no]


def test_a_user_without_a_salesperson_sees_an_empty_list(client, cycle, rep, plain_user):
    make(rep.user, cycle)
    client.force_login(plain_user)
    response = client.get(LIST)
    assert response.status_code == 200
    assert nos(response) == []
    assert "There are no opportunities yet." in response.content.decode()


def test_each_row_links_to_the_detail_page(client, cycle, rep):
    opportunity = make(rep.user, cycle)
    try:
        url = reverse("opportunities:detail", args=[opportunity.no])
    except NoReverseMatch:
        pytest.skip("the detail page is not installed")
    client.force_login(rep.user)
    assert f'href="{url}"' in client.get(LIST).content.decode()


# --- filters -------------------------------------------------------------------------------------


@pytest.fixture
def data(cycle, rep, won_code):
    """Four opportunities of the rep in two cycles, one of them won."""
    other_cycle = SalesCycleFactory(code="EXIST", description="Existing customers")
    StageFactory(sales_cycle=other_cycle, stage=1, completed_pct=D("50"), chances_of_success_pct=D("50"))
    contact = PersonFactory(name="Zora Zimmer")
    started = make(rep.user, cycle, "Server upgrade", contact=contact, value="5000", close=datetime.date(2026, 3, 15))
    services.opportunity_update_stage(
        opportunity=started, user=rep.user, action="next", date_of_change=datetime.date(2026, 1, 12)
    )
    return {
        "stage2": started,
        "stage1": make(rep.user, cycle, "Licences", value="1000", close=datetime.date(2026, 4, 20), priority="high"),
        "new": make(rep.user, other_cycle, "Consulting", priority="low"),
        "won": _won(make(rep.user, cycle, "Training", value="300"), rep.user, won_code),
    }


def _won(opportunity, user, code):
    services.opportunity_close(
        opportunity=opportunity, user=user, outcome="won", close_code=code, date_closed=datetime.date(2026, 2, 1)
    )
    return opportunity


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"status": "open"}, {"stage2", "stage1", "new"}),
        ({"status": "closed"}, {"won"}),
        ({"status": "in_progress"}, {"stage2", "stage1"}),
        ({"status": "not_started"}, {"new"}),
        ({"status": "won"}, {"won"}),
        ({"sales_cycle": "EXIST"}, {"new"}),
        ({"sales_cycle": "NEW", "stage": "2"}, {"stage2"}),
        ({"sales_cycle": "NEW", "stage": "1"}, {"stage1"}),
        ({"priority": "high"}, {"stage1"}),
        ({"priority": "low"}, {"new"}),
        ({"closing_from": "2026-04-01"}, {"stage1"}),
        ({"closing_to": "2026-01-31"}, {"stage2"}),
        ({"closing_from": "2026-03-01", "closing_to": "2026-04-30"}, {"stage1"}),
        ({"value_min": "1000"}, {"stage2", "stage1"}),
        ({"value_max": "999.99"}, {"new", "won"}),
        ({"value_min": "1000", "value_max": "1000"}, {"stage1"}),
        ({"search": "upgrade"}, {"stage2"}),
        ({"search": "zimmer"}, {"stage2"}),
        ({"search": "licences", "status": "open"}, {"stage1"}),
    ],
)
def test_each_filter_narrows_the_list(client, rep, data, params, expected):
    client.force_login(rep.user)
    response = client.get(LIST, params)
    assert response.status_code == 200
    assert set(nos(response)) == {data[key].no for key in expected}


def test_a_search_by_number_finds_the_opportunity(client, rep, data):
    client.force_login(rep.user)
    assert nos(client.get(LIST, {"search": data["new"].no})) == [data["new"].no]


def test_the_stage_filter_offers_the_stages_of_the_chosen_cycle_only(client, rep, data):
    client.force_login(rep.user)
    field = client.get(LIST).context["filter"].form.fields["stage"]
    assert field.disabled
    field = client.get(LIST, {"sales_cycle": "NEW"}).context["filter"].form.fields["stage"]
    assert not field.disabled
    assert [value for value, _label in field.choices if value != ""] == ["1", "2", "3", "5", "7"]


def test_invalid_filter_values_are_shown_as_errors_not_a_crash(client, rep, data):
    client.force_login(rep.user)
    response = client.get(LIST, {"status": "bogus", "value_min": "abc", "sales_cycle": "NOPE", "stage": "x"})
    assert response.status_code == 200
    errors = response.context["filter"].form.errors
    assert {"status", "value_min", "sales_cycle"} <= set(errors)
    # Invalid filters are ignored: the other rows still show.
    assert len(nos(response)) == 4


def test_a_filter_without_a_match_shows_an_empty_state(client, rep, data):
    client.force_login(rep.user)
    response = client.get(LIST, {"search": "nothing like this"})
    assert nos(response) == []
    assert "No opportunities match these filters." in response.content.decode()


# --- sorting -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("sort", "expected"),
    [
        ("value", ["new", "won", "stage1", "stage2"]),
        ("-value", ["stage2", "stage1", "won", "new"]),
        ("description", ["new", "stage1", "stage2", "won"]),
        ("-description", ["won", "stage2", "stage1", "new"]),
        ("closing", ["stage2", "stage1"]),
        ("weighted", ["new", "stage1", "won", "stage2"]),
        ("no", ["stage2", "stage1", "new", "won"]),
        ("-no", ["won", "new", "stage1", "stage2"]),
    ],
)
def test_the_list_sorts_by_the_chosen_column(client, rep, data, sort, expected):
    client.force_login(rep.user)
    rows = nos(client.get(LIST, {"sort": sort}))
    wanted = [data[key].no for key in expected]
    assert [no for no in rows if no in wanted] == wanted


@pytest.mark.parametrize("sort", ["contact", "-salesperson", "stage", "-stage", "probability", "-closing"])
def test_every_sortable_column_sorts_without_error(client, rep, data, sort):
    client.force_login(rep.user)
    response = client.get(LIST, {"sort": sort})
    assert response.status_code == 200
    assert len(nos(response)) == 4


def test_an_unknown_sort_falls_back_to_the_newest_first(client, rep, data):
    client.force_login(rep.user)
    rows = nos(client.get(LIST, {"sort": "contact__user__password"}))
    assert rows == sorted(rows, reverse=True)


def test_the_sorted_column_header_tells_its_direction(client, rep, data):
    client.force_login(rep.user)
    content = client.get(LIST, {"sort": "-value"}).content.decode()
    assert 'aria-sort="descending"' in content
    assert content.count("aria-sort=") == 1
    # A click on the sorted column reverses it.
    assert "?sort=value" in content


# --- pagination ----------------------------------------------------------------------------------


def test_the_list_shows_50_rows_a_page_with_page_links(client, rep):
    cycle = SalesCycleFactory(code="BULK")
    for number in range(55):
        make(rep.user, cycle, f"Bulk {number:02d}")
    client.force_login(rep.user)
    first = client.get(LIST, {"sort": "description"})
    assert len(nos(first)) == 50
    content = first.content.decode()
    assert 'aria-current="page"' in content
    assert "?sort=description&amp;page=2" in content
    second = client.get(LIST, {"sort": "description", "page": "2"})
    assert [row.description for row in second.context["page"].object_list] == [
        f"Bulk {number:02d}" for number in range(50, 55)
    ]
    # A page beyond the last shows the last page.
    assert client.get(LIST, {"page": "99"}).context["page"].number == 2


# --- CSV export ----------------------------------------------------------------------------------


def test_the_export_holds_the_filtered_rows_in_the_chosen_order(client, rep, other_rep, data):
    make(other_rep.user, data["stage1"].sales_cycle, "Foreign deal", value="777")
    client.force_login(rep.user)
    response = client.get(EXPORT, {"status": "open", "sort": "-value"})
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="opportunities-')
    rows = export_rows(response)
    header, body = rows[0], rows[1:]
    assert header[:4] == ["No.", "Description", "Contact no.", "Contact name"]
    assert "Estimated sales value" in header and "Weighted value" in header
    assert [row[0] for row in body] == [data["stage2"].no, data["stage1"].no, data["new"].no]
    row = dict(zip(header, body[0], strict=True))
    assert row["Description"] == "Server upgrade"
    assert row["Contact name"] == "Zora Zimmer"
    assert row["Salesperson code"] == "REP"
    assert row["Stage"] == "2"
    assert row["Status"] == "In progress"
    # Amounts and percentages as plain decimals, dates in ISO format.
    assert row["Estimated sales value"] == "5000.00"
    assert row["Probability %"] == "12.00"
    assert row["Weighted value"] == "600.00"
    assert row["Estimated closing date"] == "2026-01-26"


def test_the_export_neutralises_formulas(client, rep, cycle):
    for text in ("=1+1", "+49 30 123", "-2", "@SUM(A1)", "Plain"):
        make(rep.user, cycle, text)
    client.force_login(rep.user)
    body = export_rows(client.get(EXPORT, {"sort": "no"}))[1:]
    assert [row[1] for row in body] == ["'=1+1", "'+49 30 123", "'-2", "'@SUM(A1)", "Plain"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [("=1+1", "'=1+1"), ("\tx", "'\tx"), ("\rx", "'\rx"), ("a=b", "a=b"), ("", ""), ("Müller", "Müller")],
)
def test_neutralise_prefixes_formula_starts_only(text, expected):
    assert neutralise(text) == expected


def test_a_contact_name_that_looks_like_a_formula_is_neutralised(client, rep, cycle):
    make(rep.user, cycle, "Deal", contact=PersonFactory(name="=HYPERLINK(1)"))
    client.force_login(rep.user)
    body = export_rows(client.get(EXPORT))[1:]
    assert body[0][3] == "'=HYPERLINK(1)"


def test_the_export_of_another_reps_rows_is_empty(client, rep, other_rep, cycle):
    make(other_rep.user, cycle, "Foreign deal")
    client.force_login(rep.user)
    assert export_rows(client.get(EXPORT))[1:] == []


# --- query counts --------------------------------------------------------------------------------


def _bulk(user, count):
    cycle = SalesCycleFactory(code=f"Q{count}")
    StageFactory(sales_cycle=cycle, stage=1)
    CloseCodeFactory(code="WON", type="won")
    for number in range(count):
        make(user, cycle, f"Deal {number}", value="100" if number % 2 else None)
    return cycle


@pytest.mark.parametrize("count", [3, 30])
def test_the_list_costs_a_fixed_number_of_queries(client, manager, rep, count, django_assert_max_num_queries):
    cycle = _bulk(rep.user, count)
    client.force_login(manager)
    # session, user, language profile, permissions (2), the header's salesperson, stages of the cycle,
    # the chosen cycle and salesperson, the choices of both selects, count, rows
    with django_assert_max_num_queries(13):
        response = client.get(LIST, {"sales_cycle": cycle.code, "stage": "1", "salesperson": "REP"})
    assert response.status_code == 200
    with django_assert_max_num_queries(10):
        response = client.get(LIST)
    assert len(nos(response)) == count


@pytest.mark.parametrize("count", [3, 30])
def test_the_export_costs_a_fixed_number_of_queries(client, rep, count, django_assert_max_num_queries):
    _bulk(rep.user, count)
    client.force_login(rep.user)
    # session, user, salesperson, permissions (2), the rows
    with django_assert_max_num_queries(7):
        rows = export_rows(client.get(EXPORT))
    assert len(rows) == count + 1
