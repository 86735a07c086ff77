"""``sales-cycles/{code}/statistics/`` (SPEC §4, §7): open, won and lost figures and the stage funnel,
for the opportunities the user may see."""

import datetime

import pytest
from django.core.cache import cache

from common.errors import PermissionRefused
from opportunities import reports, services
from opportunities.models import Opportunity, StageHistoryVersion
from tests.api.opportunity_helpers import D, bring_to, statistics_url
from tests.factories import OpportunityFactory, PersonFactory, SalesCycleFactory


@pytest.fixture
def figures(cycle, rep, other_rep, won_code, lost_code):
    """The rep: one opportunity at stage 1 (1000), one at stage 3 (1500 from its quote), one won from
    stage 1 (1000), one lost from stage 1, one not started. The other rep: one at stage 1 (2000)."""

    def new(salesperson):
        return OpportunityFactory(sales_cycle=cycle, salesperson=salesperson, contact=PersonFactory())

    codes = {"won_code": won_code, "lost_code": lost_code}
    for status in ("first", "middle", "won", "lost", "not_started"):
        bring_to(new(rep), status, user=rep.user, **codes)
    services.opportunity_activate(
        opportunity=new(other_rep), user=None, date_of_change=datetime.date(2026, 1, 10), estimated_value=D("2000")
    )


def _stage(body, number) -> dict:
    return next(row for row in body["stages"] if row["stage"] == number)


def test_a_rep_gets_the_figures_of_their_own_opportunities(rep_api, figures):
    response = rep_api.get(statistics_url("NEW"))

    assert response.status_code == 200, response.content
    body = response.json()
    assert set(body) == {"sales_cycle", "open", "won", "lost", "stages"}
    assert body["sales_cycle"] == "NEW"
    assert body["open"] == {"count": 3, "estimated_value": "2500.00", "calculated_current_value": "470.00"}
    assert body["won"] == {"count": 1, "value": "1000.00"}
    assert body["lost"] == {"count": 1}
    assert [row["stage"] for row in body["stages"]] == [1, 2, 3, 5, 7]
    assert _stage(body, 1) == {
        "stage": 1,
        "description": "Initial",
        "open_count": 1,
        "estimated_value": "1000.00",
        "calculated_current_value": "20.00",
        "average_days": 8.3,  # (5 + 10 + 10) / 3: the entries that left stage 1
        "reached_count": 4,
    }
    assert _stage(body, 2) == {
        "stage": 2,
        "description": "Qualify",
        "open_count": 0,
        "estimated_value": "0.00",
        "calculated_current_value": "0.00",
        "average_days": None,
        "reached_count": 0,
    }
    stage_3 = _stage(body, 3)
    assert (stage_3["open_count"], stage_3["estimated_value"], stage_3["calculated_current_value"]) == (
        1,
        "1500.00",
        "450.00",
    )
    assert (stage_3["average_days"], stage_3["reached_count"]) == (None, 1)


def test_a_manager_gets_the_figures_of_everybody(manager_api, figures):
    body = manager_api.get(statistics_url("NEW")).json()

    assert body["open"] == {"count": 4, "estimated_value": "4500.00", "calculated_current_value": "510.00"}
    assert (_stage(body, 1)["open_count"], _stage(body, 1)["estimated_value"]) == (2, "3000.00")
    assert _stage(body, 1)["reached_count"] == 5


def test_a_manager_filters_the_figures_by_salesperson(manager_api, figures):
    body = manager_api.get(statistics_url("NEW") + "?salesperson=OTHER").json()

    assert body["open"] == {"count": 1, "estimated_value": "2000.00", "calculated_current_value": "40.00"}
    assert (body["won"]["count"], body["lost"]["count"]) == (0, 0)


def test_the_salesperson_filter_never_shows_a_rep_anothers_figures(rep_api, figures):
    body = rep_api.get(statistics_url("NEW") + "?salesperson=OTHER").json()

    assert body["open"] == {"count": 0, "estimated_value": "0.00", "calculated_current_value": "0.00"}
    assert all(row["reached_count"] == 0 for row in body["stages"])


def test_another_rep_gets_only_their_own_figures(other_rep_api, figures):
    body = other_rep_api.get(statistics_url("NEW")).json()

    assert body["open"]["count"] == 1
    assert body["won"] == {"count": 0, "value": "0.00"}


def test_the_date_range_limits_the_closed_figures_and_the_history_not_the_open_ones(rep_api, figures):
    body = rep_api.get(statistics_url("NEW") + "?date_from=2026-01-12").json()

    assert body["open"]["count"] == 3
    assert (body["won"]["count"], body["lost"]["count"]) == (1, 1)
    assert (_stage(body, 1)["reached_count"], _stage(body, 1)["average_days"]) == (0, None)
    assert _stage(body, 1)["open_count"] == 1
    assert _stage(body, 3)["reached_count"] == 1

    body = rep_api.get(statistics_url("NEW") + "?date_to=2026-01-19").json()

    assert (body["won"], body["lost"]) == ({"count": 0, "value": "0.00"}, {"count": 0})
    assert _stage(body, 1)["reached_count"] == 4
    assert _stage(body, 3)["reached_count"] == 1


def test_a_user_without_a_salesperson_gets_empty_figures(plain_api, figures):
    body = plain_api.get(statistics_url("NEW")).json()

    assert body["open"] == {"count": 0, "estimated_value": "0.00", "calculated_current_value": "0.00"}
    assert body["won"] == {"count": 0, "value": "0.00"}
    assert len(body["stages"]) == 5


def test_a_cycle_without_stages_or_opportunities_has_empty_figures(rep_api, db):
    SalesCycleFactory(code="EMPTY")

    body = rep_api.get(statistics_url("EMPTY")).json()

    assert body == {
        "sales_cycle": "EMPTY",
        "open": {"count": 0, "estimated_value": "0.00", "calculated_current_value": "0.00"},
        "won": {"count": 0, "value": "0.00"},
        "lost": {"count": 0},
        "stages": [],
    }


def test_the_figures_of_another_cycle_are_not_counted(rep_api, figures, rep):
    other = SalesCycleFactory(code="OTHERCYCLE")

    body = rep_api.get(statistics_url(other.code)).json()

    assert body["open"]["count"] == 0


def test_an_unknown_sales_cycle_is_answered_404(rep_api, db):
    assert rep_api.get(statistics_url("NOPE")).status_code == 404


def test_an_anonymous_request_for_statistics_is_answered_401(anon_api, cycle):
    assert anon_api.get(statistics_url("NEW")).status_code == 401


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("date_from=notadate", "date_from"),
        ("date_to=2026-02-30", "date_to"),
        ("salesperson=NOPE", "salesperson"),
    ],
)
def test_an_invalid_statistics_filter_is_answered_400(query, field, manager_api, cycle):
    response = manager_api.get(statistics_url("NEW") + "?" + query)

    assert response.status_code == 400
    assert field in response.json()


@pytest.mark.parametrize("method", ["post", "put", "patch", "delete"])
def test_statistics_are_read_only(method, manager_api, cycle):
    assert getattr(manager_api, method)(statistics_url("NEW")).status_code == 405


# --- the cached stage history of a whole cycle ---------------------------------------------------


@pytest.fixture
def history_computations(monkeypatch):
    """Every computation of a stage history from the entries (not read from the cache)."""
    calls = []
    compute = reports._stage_history

    def spy(entries):
        calls.append(entries)
        return compute(entries)

    monkeypatch.setattr(reports, "_stage_history", spy)
    return calls


def _open_at_stage_1(salesperson) -> Opportunity:
    return Opportunity.objects.filter(
        salesperson=salesperson, status=Opportunity.Status.IN_PROGRESS, current_stage__stage=1
    ).get()


def test_a_managers_stage_history_is_computed_once_until_the_entries_change(
    manager_api, figures, rep, history_computations
):
    first = manager_api.get(statistics_url("NEW")).json()
    again = manager_api.get(statistics_url("NEW")).json()

    assert again == first
    assert len(history_computations) == 1

    services.opportunity_update_stage(
        opportunity=_open_at_stage_1(rep), user=rep.user, action="next", date_of_change=datetime.date(2026, 2, 1)
    )
    manager_api.get(statistics_url("NEW"))

    assert len(history_computations) == 2


def test_a_stage_move_shows_in_the_managers_figures_at_once(manager_api, figures, rep):
    before = manager_api.get(statistics_url("NEW")).json()
    moved = _open_at_stage_1(rep)
    entered = moved.entries.get(active=True).date_of_change

    services.opportunity_update_stage(
        opportunity=moved, user=rep.user, action="next", date_of_change=entered + datetime.timedelta(days=40)
    )
    after = manager_api.get(statistics_url("NEW")).json()

    assert _stage(before, 2)["reached_count"] == 0
    assert _stage(after, 2)["reached_count"] == 1
    # Stage 1 has one more inactive entry, of 40 days.
    assert _stage(before, 1)["average_days"] != _stage(after, 1)["average_days"]
    assert after == _uncached(manager_api)


def test_closing_and_deleting_show_in_the_managers_figures_at_once(manager_api, figures, rep, lost_code, manager):
    manager_api.get(statistics_url("NEW"))
    closed = _open_at_stage_1(rep)
    services.opportunity_close(opportunity=closed, user=rep.user, outcome="lost", close_code=lost_code)

    after_close = manager_api.get(statistics_url("NEW")).json()
    assert after_close == _uncached(manager_api)

    services.opportunity_delete(opportunity=closed, user=manager)
    after_delete = manager_api.get(statistics_url("NEW")).json()

    assert _stage(after_delete, 1)["reached_count"] == _stage(after_close, 1)["reached_count"] - 1
    assert after_delete == _uncached(manager_api)


def test_a_date_range_is_cached_apart_from_the_whole_history(manager_api, figures):
    whole = manager_api.get(statistics_url("NEW")).json()
    ranged = manager_api.get(statistics_url("NEW") + "?date_from=2026-01-12").json()

    assert _stage(whole, 1)["reached_count"] == 5
    assert _stage(ranged, 1)["reached_count"] == 0


def test_a_reps_stage_history_is_computed_every_time(rep_api, figures, history_computations):
    rep_api.get(statistics_url("NEW"))
    rep_api.get(statistics_url("NEW"))

    assert len(history_computations) == 2


def test_the_services_count_every_change_of_a_cycles_entries(figures, cycle, rep, lost_code, manager):
    version = StageHistoryVersion.objects.of(cycle.pk)
    moved = _open_at_stage_1(rep)

    services.opportunity_update_stage(opportunity=moved, user=rep.user, action="next")
    assert StageHistoryVersion.objects.of(cycle.pk) == version + 1

    services.opportunity_close(opportunity=moved, user=rep.user, outcome="lost", close_code=lost_code)
    assert StageHistoryVersion.objects.of(cycle.pk) == version + 2

    services.opportunity_delete(opportunity=moved, user=manager)
    assert StageHistoryVersion.objects.of(cycle.pk) == version + 3


def test_a_refused_move_leaves_the_version_as_it_was(figures, cycle, rep, other_rep):
    version = StageHistoryVersion.objects.of(cycle.pk)
    others = Opportunity.objects.filter(salesperson=other_rep).get()

    with pytest.raises(PermissionRefused):
        services.opportunity_update_stage(opportunity=others, user=rep.user, action="next")

    assert StageHistoryVersion.objects.of(cycle.pk) == version
    assert others.entries.count() == 1


def _uncached(api) -> dict:
    cache.clear()
    return api.get(statistics_url("NEW")).json()
