"""``reports/forecast/``, ``reports/salespeople/``, ``reports/win-loss/`` (SPEC §4, §7): figures checked
against the hand-computed ones of the fixed data set in ``tests/report_data.py``."""

import pytest

from tests.api.opportunity_helpers import count_queries
from tests.report_data import build_report_data, grow

API = "/api/v1/reports"
FORECAST = f"{API}/forecast/"
SALESPEOPLE = f"{API}/salespeople/"
WIN_LOSS = f"{API}/win-loss/"

# Measured, then pinned: auth, permissions, (the rep's salesperson), the cycle of the filter, then
# the report's own queries. A higher number is a regression, a lower one a reason to update the pin.
QUERIES = {
    FORECAST: {"rep": 6, "manager": 5},  # open by month, won by month
    SALESPEOPLE: {"rep": 5, "manager": 4},  # one grouped query
    WIN_LOSS: {"rep": 6, "manager": 5},  # by close code, by stage
}


@pytest.fixture
def data(cycle, rep, other_rep, won_code, lost_code):
    return build_report_data(cycle=cycle, rep=rep, other_rep=other_rep, won_code=won_code, lost_code=lost_code)


def month(name, open_count=0, estimated="0.00", weighted="0.00", won_count=0, won="0.00") -> dict:
    return {
        "month": name,
        "open_count": open_count,
        "estimated_value": estimated,
        "weighted_value": weighted,
        "won_count": won_count,
        "won_value": won,
    }


# --- forecast --------------------------------------------------------------------------------------


def test_a_manager_gets_the_forecast_of_everybody(manager_api, data):
    response = manager_api.get(FORECAST)

    assert response.status_code == 200, response.content
    # The lost L (expected in March) and the won W (expected in March before it was won) are not open.
    assert response.json() == {
        "currency": "EUR",
        "months": [
            month("2026-02", won_count=1, won="2500.00"),
            month("2026-03", 2, "6000.00", "1270.00", 1, "4000.00"),
            month("2026-04", 1, "2000.00", "240.00"),
        ],
    }


def test_a_rep_gets_the_forecast_of_their_own_opportunities(rep_api, data):
    body = rep_api.get(FORECAST).json()

    assert body["months"] == [
        month("2026-02", won_count=1, won="2500.00"),
        month("2026-03", 1, "1000.00", "20.00"),
        month("2026-04", 1, "2000.00", "240.00"),
    ]
    # Asking for another's figures never shows them.
    assert rep_api.get(FORECAST + "?salesperson=OTHER").json()["months"] == []


def test_the_forecast_filters_by_cycle_salesperson_and_date_range(manager_api, data):
    by_cycle = manager_api.get(FORECAST + "?sales_cycle=NEW").json()["months"]
    assert by_cycle[1] == month("2026-03", 1, "1000.00", "20.00", 1, "4000.00")

    by_salesperson = manager_api.get(FORECAST + "?salesperson=OTHER").json()["months"]
    assert by_salesperson == [month("2026-03", 1, "5000.00", "1250.00", 1, "4000.00")]

    march = manager_api.get(FORECAST + "?date_from=2026-03-01&date_to=2026-03-31").json()["months"]
    assert march == [month("2026-03", 2, "6000.00", "1270.00", 1, "4000.00")]

    # A range lists every month of it, empty ones with zeros.
    wide = manager_api.get(FORECAST + "?date_from=2026-01-01&date_to=2026-05-31").json()["months"]
    assert [row["month"] for row in wide] == ["2026-01", "2026-02", "2026-03", "2026-04", "2026-05"]
    assert wide[0] == month("2026-01") and wide[4] == month("2026-05")


# --- salespeople -----------------------------------------------------------------------------------

OTHER_ROW = {
    "salesperson": "OTHER",
    "name": "Otto Other",
    "open_count": 1,
    "estimated_value": "5000.00",
    "weighted_value": "1250.00",
    "won_count": 1,
    "won_value": "4000.00",
    "lost_count": 0,
    "win_rate_pct": "100.00",
    "average_days_to_close": 56.0,
}
REP_ROW = {
    "salesperson": "REP",
    "name": "Rita Rep",
    "open_count": 3,  # A, B and the not-started N; never W or L
    "estimated_value": "3000.00",
    "weighted_value": "260.00",
    "won_count": 1,
    "won_value": "2500.00",
    "lost_count": 1,
    "win_rate_pct": "50.00",
    "average_days_to_close": 50.0,  # (40 + 60) / 2
}


def test_a_manager_gets_the_statistics_of_every_salesperson(manager_api, data):
    response = manager_api.get(SALESPEOPLE)

    assert response.status_code == 200, response.content
    assert response.json() == {"results": [OTHER_ROW, REP_ROW]}


def test_a_rep_gets_only_their_own_statistics(rep_api, data):
    assert rep_api.get(SALESPEOPLE).json() == {"results": [REP_ROW]}
    assert rep_api.get(SALESPEOPLE + "?salesperson=OTHER").json() == {"results": []}


def test_the_date_range_limits_the_closed_figures_not_the_open_ones(manager_api, data):
    rep_row = manager_api.get(SALESPEOPLE + "?date_from=2026-03-01&salesperson=REP").json()["results"]
    assert rep_row == [
        {**REP_ROW, "won_count": 0, "won_value": "0.00", "win_rate_pct": "0.00", "average_days_to_close": 60.0}
    ]

    january = manager_api.get(SALESPEOPLE + "?date_to=2026-01-31&salesperson=REP").json()["results"][0]
    assert (january["open_count"], january["won_count"], january["lost_count"]) == (3, 0, 0)
    assert (january["win_rate_pct"], january["average_days_to_close"]) == (None, None)


def test_the_salespeople_filter_by_cycle(manager_api, data):
    rows = manager_api.get(SALESPEOPLE + "?sales_cycle=EXIST").json()["results"]

    assert rows == [
        {
            **OTHER_ROW,
            "won_count": 0,
            "won_value": "0.00",
            "win_rate_pct": None,
            "average_days_to_close": None,
        }
    ]


# --- win/loss ----------------------------------------------------------------------------------------


def test_a_manager_gets_the_win_loss_analysis_of_everybody(manager_api, data):
    response = manager_api.get(WIN_LOSS)

    assert response.status_code == 200, response.content
    assert response.json() == {
        "by_close_code": [
            {"close_code": "WON-PRICE", "type": "won", "count": 2, "value": "6500.00"},
            {"close_code": "LOST-COMP", "type": "lost", "count": 1, "value": "800.00"},
        ],
        "by_stage": [
            {"sales_cycle": "NEW", "stage": 1, "won_count": 2, "lost_count": 0},
            {"sales_cycle": "NEW", "stage": 2, "won_count": 0, "lost_count": 1},
        ],
    }


def test_a_rep_gets_the_win_loss_analysis_of_their_own(rep_api, data):
    body = rep_api.get(WIN_LOSS).json()

    assert body["by_close_code"] == [
        {"close_code": "WON-PRICE", "type": "won", "count": 1, "value": "2500.00"},
        {"close_code": "LOST-COMP", "type": "lost", "count": 1, "value": "800.00"},
    ]
    assert body["by_stage"] == [
        {"sales_cycle": "NEW", "stage": 1, "won_count": 1, "lost_count": 0},
        {"sales_cycle": "NEW", "stage": 2, "won_count": 0, "lost_count": 1},
    ]
    assert rep_api.get(WIN_LOSS + "?salesperson=OTHER").json() == {"by_close_code": [], "by_stage": []}


def test_the_win_loss_analysis_filters_by_salesperson_and_date(manager_api, data):
    assert manager_api.get(WIN_LOSS + "?salesperson=OTHER").json() == {
        "by_close_code": [{"close_code": "WON-PRICE", "type": "won", "count": 1, "value": "4000.00"}],
        "by_stage": [{"sales_cycle": "NEW", "stage": 1, "won_count": 1, "lost_count": 0}],
    }
    march = manager_api.get(WIN_LOSS + "?date_from=2026-03-01&date_to=2026-03-31").json()
    assert [(row["close_code"], row["count"]) for row in march["by_close_code"]] == [("WON-PRICE", 1), ("LOST-COMP", 1)]
    assert manager_api.get(WIN_LOSS + "?sales_cycle=EXIST").json() == {"by_close_code": [], "by_stage": []}


# --- input, access, cost ---------------------------------------------------------------------------


@pytest.mark.parametrize("url", [FORECAST, SALESPEOPLE, WIN_LOSS])
@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("date_from=notadate", "date_from"),
        ("date_to=2026-02-30", "date_to"),
        ("date_from=2026-03-01&date_to=2026-02-01", "date_to"),
        ("salesperson=NOPE", "salesperson"),
        ("sales_cycle=NOPE", "sales_cycle"),
    ],
)
def test_an_invalid_report_filter_is_answered_400(url, query, field, manager_api, db):
    response = manager_api.get(f"{url}?{query}")

    assert response.status_code == 400
    assert field in response.json()


@pytest.mark.parametrize("url", [FORECAST, SALESPEOPLE, WIN_LOSS])
def test_an_anonymous_request_for_a_report_is_answered_401(url, anon_api, db):
    assert anon_api.get(url).status_code == 401


@pytest.mark.parametrize("url", [FORECAST, SALESPEOPLE, WIN_LOSS])
def test_a_user_without_a_salesperson_gets_empty_reports(url, plain_api, data):
    body = plain_api.get(url).json()

    assert body in ({"currency": "EUR", "months": []}, {"results": []}, {"by_close_code": [], "by_stage": []})


@pytest.mark.parametrize("url", [FORECAST, SALESPEOPLE, WIN_LOSS])
@pytest.mark.parametrize("method", ["post", "put", "patch", "delete"])
def test_reports_are_read_only(url, method, manager_api, db):
    assert getattr(manager_api, method)(url).status_code == 405


def test_the_reports_are_in_the_schema(manager_api, db):
    paths = manager_api.get("/api/v1/schema/?format=json").json()["paths"]

    for url in (FORECAST, SALESPEOPLE, WIN_LOSS):
        assert "get" in paths[url]


@pytest.mark.parametrize("url", [FORECAST, SALESPEOPLE, WIN_LOSS])
@pytest.mark.parametrize("who", ["rep", "manager"])
def test_a_report_costs_the_same_queries_for_3_or_30_opportunities(
    url, who, request, cycle, rep, other_rep, won_code, lost_code
):
    client = request.getfixturevalue(f"{who}_api")
    codes = {"won_code": won_code, "lost_code": lost_code}
    query = f"{url}?sales_cycle=NEW&date_from=2026-01-01&date_to=2026-12-31"

    grow(cycle=cycle, salesperson=rep, count=3, **codes)
    few = count_queries(client, query)
    grow(cycle=cycle, salesperson=rep, count=27, **codes)
    grow(cycle=cycle, salesperson=other_rep, count=5, **codes)
    many = count_queries(client, query)

    assert few == many == QUERIES[url][who]
