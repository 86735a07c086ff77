"""The reports page (SPEC §4): figures of the fixed data set in ``tests/report_data.py``, who sees
what, the tabs (one report per request), the filters, sorting, the CSV downloads and the query
count of each tab."""

import csv
import io
import json
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from opportunities import reports
from tests.factories import SalespersonFactory
from tests.report_data import build_report_data, grow

pytestmark = pytest.mark.django_db

D = Decimal
URL = "/reports/"

TABS = ["forecast", "salespeople", "win-loss", "sales-cycle"]
# The functions of ``opportunities.reports`` that compute each tab's figures.
TAB_REPORTS = {
    "forecast": "forecast",
    "salespeople": "salespeople_statistics",
    "win-loss": "win_loss",
    "sales-cycle": "sales_cycle_statistics",
}
# What only one tab puts in the template's context.
TAB_CONTEXT = {
    "forecast": "forecast",
    "salespeople": "salespeople",
    "win-loss": "win_loss",
    "sales-cycle": "statistics",
}
# Each tab's charts (json_script "reports-data", besides the currency).
TAB_CHARTS = {
    "forecast": {"forecast"},
    "salespeople": set(),
    "win-loss": {"closeCodes", "stages"},
    "sales-cycle": {"funnel"},
}
# Measured, then pinned. Every tab: session, the user with its profile and salesperson, permissions,
# the filter's cycle, the filter's choices (cycles, for a manager salespeople) = 5 for a rep, 6 for a
# manager; plus the tab's report: forecast 2, salespeople 1, win/loss 2, cycle statistics 4 (totals,
# by stage, history, stages) and for a manager one more (the version of the cached history).
BASE_QUERIES = {"rep": 5, "manager": 6}
REPORT_QUERIES = {"forecast": 2, "salespeople": 1, "win-loss": 2, "sales-cycle": 4}
HISTORY_VERSION_QUERIES = {("manager", "sales-cycle"): 1}


@pytest.fixture
def data(cycle, rep, other_rep, won_code, lost_code):
    return build_report_data(cycle=cycle, rep=rep, other_rep=other_rep, won_code=won_code, lost_code=lost_code)


def _csv(response) -> list[list[str]]:
    assert response.status_code == 200, response.content
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith("attachment;")
    return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))


def test_an_anonymous_visitor_is_sent_to_the_login_page(client):
    response = client.get(URL)

    assert response.status_code == 302
    assert "/login" in response["Location"]


def test_the_navigation_links_to_the_reports(client, rep):
    client.force_login(rep.user)

    assert f'href="{URL}"' in client.get("/").content.decode()


def test_a_rep_sees_the_figures_of_their_own_opportunities(client, rep, data):
    client.force_login(rep.user)
    response = client.get(URL)

    assert response.status_code == 200
    context = response.context
    assert [
        (m["month"].isoformat(), m["open_count"], m["estimated_value"], m["won_value"]) for m in context["forecast"]
    ] == [
        ("2026-02-01", 0, D("0.00"), D("2500.00")),
        ("2026-03-01", 1, D("1000.00"), D("0.00")),
        ("2026-04-01", 1, D("2000.00"), D("0.00")),
    ]
    assert "salesperson" not in context["form"].fields
    content = response.content.decode()
    assert 'id="reports-data"' in content and "<script>" not in content

    salespeople = client.get(URL, {"report": "salespeople"})
    assert [row["salesperson"] for row in salespeople.context["salespeople"]] == ["REP"]
    assert salespeople.context["salespeople"][0]["win_rate_pct"] == D("50.00")
    content = salespeople.content.decode()
    assert "Rita Rep" in content and "Otto Other" not in content

    win_loss = client.get(URL, {"report": "win-loss"}).context["win_loss"]
    assert [(row["close_code"], row["count"]) for row in win_loss["by_close_code"]] == [
        ("WON-PRICE", 1),
        ("LOST-COMP", 1),
    ]


def test_a_rep_cannot_see_another_salesperson(client, rep, data):
    client.force_login(rep.user)

    response = client.get(URL, {"salesperson": "OTHER", "report": "salespeople"})

    assert [row["salesperson"] for row in response.context["salespeople"]] == ["REP"]


def test_a_manager_sees_everybody_and_can_filter(client, manager, data):
    client.force_login(manager)

    def tab(report, **filters):
        return client.get(URL, {"report": report, **filters}).context

    assert [row["salesperson"] for row in tab("salespeople")["salespeople"]] == ["OTHER", "REP"]
    assert [(m["open_count"], m["weighted_value"]) for m in tab("forecast")["forecast"]] == [
        (0, D("0.00")),
        (2, D("1270.00")),
        (1, D("240.00")),
    ]
    assert [(row["label"], row["won_count"], row["lost_count"]) for row in tab("win-loss")["win_loss"]["by_stage"]] == [
        ("NEW 1 Initial", 2, 0),
        ("NEW 2 Qualify", 0, 1),
    ]

    march = {"salesperson": "OTHER", "date_from": "2026-03-01", "date_to": "2026-03-31"}
    assert [row["salesperson"] for row in tab("salespeople", **march)["salespeople"]] == ["OTHER"]
    assert [(m["month"].month, m["open_count"], m["won_value"]) for m in tab("forecast", **march)["forecast"]] == [
        (3, 1, D("4000.00"))
    ]


def test_the_sales_cycle_statistics_show_the_chosen_cycle_and_its_funnel(client, manager, data):
    client.force_login(manager)

    statistics = client.get(URL, {"report": "sales-cycle", "sales_cycle": "NEW"}).context["statistics"]

    assert statistics["sales_cycle"] == "NEW"
    assert statistics["open"]["count"] == 3  # A, B and N; never W, L or OW
    assert [(row["stage"], row["open_count"], row["reached_count"]) for row in statistics["stages"]] == [
        (1, 1, 5),
        (2, 1, 2),
        (3, 0, 0),
        (5, 0, 0),
        (7, 0, 0),
    ]
    # Without a chosen cycle: the first by code.
    assert client.get(URL, {"report": "sales-cycle"}).context["statistics"]["sales_cycle"] == "EXIST"


def test_the_salesperson_statistics_are_sortable(client, manager, data):
    client.force_login(manager)

    def order(sort):
        return [
            row["salesperson"]
            for row in client.get(URL, {"report": "salespeople", "sort": sort}).context["salespeople"]
        ]

    assert order("name") == ["OTHER", "REP"]
    assert order("-open_count") == ["REP", "OTHER"]
    assert order("win_rate_pct") == ["REP", "OTHER"]
    assert order("-average_days_to_close") == ["OTHER", "REP"]  # 56 against 50
    assert order("nonsense") == ["OTHER", "REP"]
    content = client.get(URL, {"report": "salespeople", "sort": "-won_value"}).content.decode()
    assert 'aria-sort="descending"' in content
    # The column links keep the tab.
    assert 'href="?report=salespeople&amp;sort=won_value"' in content


@pytest.mark.parametrize("query", [{"date_from": "nope"}, {"date_from": "2026-03-01", "date_to": "2026-02-01"}])
def test_an_invalid_filter_shows_the_error(client, manager, data, query):
    client.force_login(manager)

    response = client.get(URL, query)

    assert response.status_code == 400
    assert response.context["form"].errors
    assert "forecast" not in response.context
    # The tabs stay, so that the user can still move on.
    assert 'aria-current="page"' in response.content.decode()


def test_the_forecast_downloads_as_csv(client, manager, data):
    client.force_login(manager)

    rows = _csv(client.get(URL, {"format": "csv", "report": "forecast"}))

    assert rows == [
        ["Month", "Open", "Estimated sales value", "Weighted value", "Won", "Won value"],
        ["2026-02", "0", "0.00", "0.00", "1", "2500.00"],
        ["2026-03", "2", "6000.00", "1270.00", "1", "4000.00"],
        ["2026-04", "1", "2000.00", "240.00", "0", "0.00"],
    ]


def test_the_salesperson_statistics_download_as_csv_with_formulas_neutralised(client, manager, data, rep):
    rep.name = "=HYPERLINK(1)"
    rep.save()
    client.force_login(manager)

    rows = _csv(client.get(URL, {"format": "csv", "report": "salespeople"}))

    assert rows[0][:2] == ["Salesperson code", "Salesperson name"]
    assert rows[1] == ["OTHER", "Otto Other", "1", "5000.00", "1250.00", "1", "4000.00", "0", "100.00", "56.0"]
    assert rows[2] == ["REP", "'=HYPERLINK(1)", "3", "3000.00", "260.00", "1", "2500.00", "1", "50.00", "50.0"]


def test_a_rep_downloads_only_their_own_figures(client, rep, data):
    client.force_login(rep.user)

    rows = _csv(client.get(URL, {"format": "csv", "report": "salespeople", "salesperson": "OTHER"}))

    assert [row[0] for row in rows[1:]] == ["REP"]


def test_the_win_loss_analysis_downloads_as_csv(client, manager, data):
    client.force_login(manager)

    rows = _csv(client.get(URL, {"format": "csv", "report": "win-loss"}))

    assert rows == [
        ["Close code", "Description", "Type", "Opportunities", "Value"],
        ["WON-PRICE", "Best price", "won", "2", "6500.00"],
        ["LOST-COMP", "Lost to competitor", "lost", "1", "800.00"],
        [],
        ["Sales cycle", "Stage", "Stage description", "Won", "Lost"],
        ["NEW", "1", "Initial", "2", "0"],
        ["NEW", "2", "Qualify", "0", "1"],
    ]


def test_the_sales_cycle_statistics_download_as_csv(client, manager, data):
    client.force_login(manager)

    rows = _csv(client.get(URL, {"format": "csv", "report": "sales-cycle", "sales_cycle": "NEW"}))

    assert rows[0][0] == "Sales cycle"
    # Left stage 1 after 10 (B), 35 (W), 5 (L) and 51 (OW) days: 101 / 4 = 25.25.
    assert rows[1] == ["NEW", "1", "Initial", "1", "1000.00", "20.00", "25.2", "5"]
    assert len(rows) == 6


@pytest.mark.parametrize("query", [{"report": "nope"}, {"report": "forecast", "date_to": "2026-02-30"}])
def test_an_unknown_report_or_bad_filter_download_is_answered_400(client, manager, query):
    client.force_login(manager)

    assert client.get(URL, {"format": "csv", **query}).status_code == 400


def test_a_user_without_a_salesperson_sees_empty_reports_and_a_hint(client, plain_user, data):
    client.force_login(plain_user)

    response = client.get(URL)

    assert response.status_code == 200
    assert response.context["forecast"] == []
    assert "not linked to a salesperson" in response.content.decode()
    assert client.get(URL, {"report": "salespeople"}).context["salespeople"] == []


# --- the tabs: one report per request -------------------------------------------------------------


def _tab_links(content: str) -> list[str]:
    nav = content[content.index('<nav class="report-tabs"') :]
    nav = nav[: nav.index("</nav>")]
    return [line.strip() for line in nav.splitlines() if line.strip().startswith("<a ")]


def test_the_forecast_is_the_default_tab_and_the_tabs_mark_the_current_one(client, manager, data):
    client.force_login(manager)

    response = client.get(URL)

    assert response.context["report"] == "forecast"
    links = _tab_links(response.content.decode())
    assert len(links) == 4
    assert [("Forecast" in link, 'aria-current="page"' in link) for link in links] == [
        (True, True),
        (False, False),
        (False, False),
        (False, False),
    ]
    assert ">Salespeople<" in links[1] and ">Win/loss<" in links[2] and ">Sales cycle statistics<" in links[3]
    assert "<title>Forecast · Reports" in response.content.decode()

    current = _tab_links(client.get(URL, {"report": "win-loss"}).content.decode())
    assert ['aria-current="page"' in link for link in current] == [False, False, True, False]


def test_the_tabs_keep_the_filters_and_the_sort_and_the_form_keeps_the_tab(client, manager, data):
    client.force_login(manager)

    content = client.get(
        URL, {"report": "salespeople", "sales_cycle": "NEW", "date_from": "2026-01-01", "sort": "-open_count"}
    ).content.decode()

    links = _tab_links(content)
    assert 'href="?report=sales-cycle&amp;sales_cycle=NEW&amp;date_from=2026-01-01&amp;sort=-open_count"' in links[3]
    assert '<input type="hidden" name="report" value="salespeople">' in content
    assert 'href="/reports/?report=salespeople"' in content  # "Clear filters" stays on the tab


@pytest.mark.parametrize("report", TABS)
def test_each_tab_computes_only_its_report_and_its_charts(client, manager, data, monkeypatch, report):
    called = []
    for name in TAB_REPORTS.values():
        original = getattr(reports, name)

        def spy(*args, _name=name, _original=original, **kwargs):
            called.append(_name)
            return _original(*args, **kwargs)

        monkeypatch.setattr(reports, name, spy)
    client.force_login(manager)

    response = client.get(URL, {"report": report, "sales_cycle": "NEW"})

    assert response.status_code == 200
    assert called == [TAB_REPORTS[report]]
    assert [key for key in TAB_CONTEXT.values() if key in response.context] == [TAB_CONTEXT[report]]
    content = response.content.decode()
    data = content[content.index('id="reports-data"') :]
    charts = json.loads(data[data.index(">") + 1 : data.index("</script>")])
    assert set(charts) - {"currency"} == TAB_CHARTS[report]
    assert content.count('class="card report"') == 1
    assert f'id="{report}"' in content


def test_an_unknown_tab_shows_the_forecast(client, manager, data):
    client.force_login(manager)

    response = client.get(URL, {"report": "nope"})

    assert response.status_code == 200
    assert response.context["report"] == "forecast" and "forecast" in response.context


@pytest.mark.parametrize("report", TABS)
@pytest.mark.parametrize("who", ["rep", "manager"])
def test_each_tab_costs_the_same_queries_for_3_or_30_opportunities(
    client, request, who, report, cycle, rep, won_code, lost_code
):
    user = request.getfixturevalue(who)
    client.force_login(getattr(user, "user", user))
    SalespersonFactory(code="EXTRA")
    codes = {"won_code": won_code, "lost_code": lost_code}

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            response = client.get(URL, {"report": report, "sales_cycle": "NEW", "date_from": "2026-01-01"})
        assert response.status_code == 200
        return len(captured.captured_queries)

    grow(cycle=cycle, salesperson=rep, count=3, **codes)
    few = queries()
    grow(cycle=cycle, salesperson=rep, count=27, **codes)
    many = queries()

    assert few == many == BASE_QUERIES[who] + REPORT_QUERIES[report] + HISTORY_VERSION_QUERIES.get((who, report), 0)
