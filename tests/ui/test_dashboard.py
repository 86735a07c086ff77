"""The dashboard (the home page): figures checked against a small fixed data set, the manager's
switch, the forecast and the query count."""

import datetime
import json
import types
from decimal import Decimal

import pytest
from django.urls import NoReverseMatch, reverse

from opportunities import reports, services
from opportunities.views import dashboard as dashboard_views
from tests.factories import CloseCodeFactory, PersonFactory, SalesCycleFactory, StageFactory

pytestmark = pytest.mark.django_db

D = Decimal
TODAY = datetime.date(2026, 5, 20)  # in the second quarter: April 1 to June 30
HOME = "/"


@pytest.fixture(autouse=True)
def _today(monkeypatch):
    monkeypatch.setattr(dashboard_views, "timezone", types.SimpleNamespace(localdate=lambda: TODAY))


@pytest.fixture
def simple_cycle(db):
    """One stage without an activity (so no generated tasks): completed 10 %, chances 20 %."""
    cycle = SalesCycleFactory(code="SIMPLE")
    StageFactory(sales_cycle=cycle, stage=1, completed_pct=D("10"), chances_of_success_pct=D("20"), date_formula="1M")
    return cycle


@pytest.fixture
def codes(db):
    return {
        "won": CloseCodeFactory(code="WON", type="won"),
        "lost": CloseCodeFactory(code="LOST", type="lost"),
    }


def _open(user, cycle, value, chances, close, *, started=datetime.date(2026, 4, 1), description="Open deal"):
    return services.opportunity_create(
        user=user,
        description=description,
        contact=PersonFactory(),
        sales_cycle=cycle,
        activate_first_stage=True,
        date_of_change=started,
        estimated_value=D(value),
        chances_of_success_pct=D(chances),
        estimated_close_date=close,
    )


def _closed(user, cycle, codes, outcome, date_closed, amount=None):
    opportunity = _open(
        user, cycle, "100", "50", date_closed, started=date_closed - datetime.timedelta(days=30), description=outcome
    )
    services.opportunity_close(
        opportunity=opportunity,
        user=user,
        outcome=outcome,
        close_code=codes[outcome],
        date_closed=date_closed,
        sales_amount=None if amount is None else D(amount),
    )
    return opportunity


@pytest.fixture
def data(rep, other_rep, simple_cycle, codes):
    """The rep's pipeline, and some of the other rep's that a rep must never see."""
    cycle = simple_cycle
    created = {
        # 1000 × 20 % × 10 % = 20.00 weighted, closing next month
        "june": _open(rep.user, cycle, "1000", "20", datetime.date(2026, 6, 15)),
        # 2000 × 50 % × 10 % = 100.00, closing this month
        "may": _open(rep.user, cycle, "2000", "50", datetime.date(2026, 5, 25)),
        # 500 × 40 % × 10 % = 20.00, its closing date has passed (but it is in this month)
        "overdue": _open(rep.user, cycle, "500", "40", datetime.date(2026, 5, 1), description="Late deal"),
        # a year and a half away: outside the 12 months of the forecast
        "far": _open(rep.user, cycle, "4000", "50", datetime.date(2027, 11, 1)),
        "not_started": services.opportunity_create(
            user=rep.user, description="Fresh", contact=PersonFactory(), sales_cycle=cycle
        ),
        "won_may": _closed(rep.user, cycle, codes, "won", datetime.date(2026, 5, 10), "3000"),
        "won_april": _closed(rep.user, cycle, codes, "won", datetime.date(2026, 4, 5), "1500"),
        "won_december": _closed(rep.user, cycle, codes, "won", datetime.date(2025, 12, 1), "700"),
        "lost_may": _closed(rep.user, cycle, codes, "lost", datetime.date(2026, 5, 2)),
        "lost_long_ago": _closed(rep.user, cycle, codes, "lost", datetime.date(2025, 1, 10)),
        # the other rep's
        "foreign_open": _open(other_rep.user, cycle, "9000", "100", datetime.date(2026, 5, 1)),
        "foreign_won": _closed(other_rep.user, cycle, codes, "won", datetime.date(2026, 5, 11), "8000"),
    }
    for date, description in [(TODAY, "Today 1"), (TODAY, "Today 2"), (datetime.date(2026, 5, 1), "Late")]:
        services.task_create(user=rep.user, description=description, date=date)
    done = services.task_create(user=rep.user, description="Done", date=datetime.date(2026, 5, 1))
    services.task_cancel(task=done, user=rep.user)
    services.task_create(user=other_rep.user, description="Foreign", date=TODAY)
    return created


def test_the_dashboard_sends_an_anonymous_user_to_the_login_page(client):
    response = client.get(HOME)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_a_rep_sees_the_figures_of_their_own_pipeline(client, rep, data):
    client.force_login(rep.user)
    response = client.get(HOME)
    assert response.status_code == 200
    summary = response.context["summary"]
    # Won and lost opportunities are never in the open figures.
    assert summary["open"] == {"count": 5, "estimated_value": D("7500.00"), "weighted_value": D("340.00")}
    assert summary["won_this_month"] == {"count": 1, "value": D("3000.00")}
    assert summary["won_this_quarter"] == {"count": 2, "value": D("4500.00")}
    # Won in the last 12 months: May, April, December; lost: May (January 2025 is too long ago).
    assert summary["win_rate"] == {"won": 3, "lost": 1, "pct": D("75.0")}
    assert summary["overdue_count"] == 1
    assert response.context["tasks"] == {"due_today": 2, "overdue": 1}
    assert [opportunity.no for opportunity in response.context["overdue"]] == [data["overdue"].no]
    content = response.content.decode()
    assert "My pipeline" in content
    assert "Late deal" in content
    assert "75\N{NO-BREAK SPACE}%" in content
    assert "7,500.00\N{NO-BREAK SPACE}EUR" in content
    assert 'id="scope-salesperson"' not in content


def test_the_forecast_lists_twelve_months_of_open_values(client, rep, data):
    client.force_login(rep.user)
    response = client.get(HOME)
    forecast = response.context["forecast"]
    assert [month["month"] for month in forecast] == [
        datetime.date(2026 + (4 + offset) // 12, (4 + offset) % 12 + 1, 1) for offset in range(12)
    ]
    may, june = forecast[0], forecast[1]
    assert (may["count"], may["estimated_value"], may["weighted_value"]) == (2, D("2500.00"), D("120.00"))
    assert (june["count"], june["estimated_value"], june["weighted_value"]) == (1, D("1000.00"), D("20.00"))
    assert all(month["count"] == 0 and month["estimated_value"] == 0 for month in forecast[2:])
    # The chart gets the same numbers through json_script, drawn by static/js/dashboard.js.
    content = response.content.decode()
    assert '<script id="forecast-data" type="application/json">' in content
    chart = response.context["chart"]
    assert chart["estimated"][:2] == [2500.0, 1000.0]
    assert chart["weighted"][:2] == [120.0, 20.0]
    assert chart["labels"][0] == "May 2026"
    assert json.loads(json.dumps(chart)) == chart
    assert "vendor/chartjs/chart.umd.min.js" in content
    assert "js/dashboard.js" in content
    # No inline script: the only <script> element without src is the JSON data.
    assert content.count("<script>") == 0


def test_a_manager_sees_everyone_and_can_switch_to_one_salesperson(client, manager, rep, other_rep, data):
    client.force_login(manager)
    response = client.get(HOME)
    summary = response.context["summary"]
    assert summary["open"]["count"] == 6
    assert summary["open"]["estimated_value"] == D("16500.00")
    assert summary["won_this_month"] == {"count": 2, "value": D("11000.00")}
    assert response.context["tasks"] == {"due_today": 3, "overdue": 1}
    content = response.content.decode()
    assert "Pipeline of all salespeople" in content
    assert 'id="scope-salesperson"' in content

    response = client.get(HOME, {"salesperson": "OTHER"})
    summary = response.context["summary"]
    assert response.context["chosen"] == other_rep
    assert summary["open"] == {"count": 1, "estimated_value": D("9000.00"), "weighted_value": D("900.00")}
    assert summary["won_this_month"] == {"count": 1, "value": D("8000.00")}
    assert summary["win_rate"]["pct"] == D("100.0")
    assert response.context["tasks"] == {"due_today": 1, "overdue": 0}
    assert [opportunity.no for opportunity in response.context["overdue"]] == [data["foreign_open"].no]
    assert "Pipeline of Otto Other" in response.content.decode()

    # An unknown code shows everyone's figures.
    assert client.get(HOME, {"salesperson": "NOPE"}).context["summary"]["open"]["count"] == 6


def test_a_rep_cannot_switch_to_another_salesperson(client, rep, data):
    client.force_login(rep.user)
    response = client.get(HOME, {"salesperson": "OTHER"})
    assert response.context["chosen"] is None
    assert response.context["summary"]["open"]["count"] == 5


def test_a_user_without_a_salesperson_sees_zeros_and_a_hint(client, plain_user, data):
    client.force_login(plain_user)
    response = client.get(HOME)
    assert response.context["summary"]["open"]["count"] == 0
    assert response.context["summary"]["win_rate"]["pct"] is None
    assert "not linked to a salesperson" in response.content.decode()


def test_an_empty_pipeline_shows_empty_states(client, rep):
    client.force_login(rep.user)
    response = client.get(HOME)
    assert response.status_code == 200
    content = response.content.decode()
    assert "No open opportunity is past its estimated closing date." in content
    assert response.context["summary"]["win_rate"]["pct"] is None


def test_overdue_opportunities_link_to_their_detail_page(client, rep, data):
    try:
        url = reverse("opportunities:detail", args=[data["overdue"].no])
    except NoReverseMatch:
        pytest.skip("the detail page is not installed")
    client.force_login(rep.user)
    assert f'href="{url}"' in client.get(HOME).content.decode()


def test_add_months_clamps_to_the_end_of_the_month():
    assert reports.add_months(datetime.date(2026, 1, 31), 1) == datetime.date(2026, 2, 28)
    assert reports.add_months(datetime.date(2024, 2, 29), -12) == datetime.date(2023, 2, 28)
    assert reports.add_months(datetime.date(2026, 11, 1), 3) == datetime.date(2027, 2, 1)


def _bulk(rep, other_rep, cycle, codes, count):
    for number in range(count):
        user = rep.user if number % 2 else other_rep.user
        _open(user, cycle, "100", "50", datetime.date(2026, 5 + number % 6, 10) if number % 3 else TODAY)
        if number % 5 == 0:
            _closed(user, cycle, codes, "won" if number % 2 else "lost", datetime.date(2026, 5, 1), "10")
        services.task_create(user=user, description=f"Task {number}", date=datetime.date(2026, 5, 1 + number % 28))


@pytest.mark.parametrize("count", [3, 30])
def test_the_dashboard_costs_a_fixed_number_of_queries(
    client, manager, rep, other_rep, simple_cycle, codes, count, django_assert_max_num_queries
):
    _bulk(rep, other_rep, simple_cycle, codes, count)
    client.force_login(manager)
    # session, user, language profile, permissions (2), the header's salesperson, salespeople,
    # summary, forecast, tasks, overdue list
    with django_assert_max_num_queries(11):
        response = client.get(HOME, {"salesperson": "REP"})
    assert response.status_code == 200
    client.force_login(rep.user)
    with django_assert_max_num_queries(10):
        response = client.get(HOME)
    assert response.context["summary"]["open"]["count"] > 0
