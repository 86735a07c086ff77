"""Deleting setup data (SPEC §3.5) without breaking the history that depends on it."""

from decimal import Decimal

import pytest

from opportunities.models import Opportunity, OpportunityEntry
from opportunities.services import opportunity_close, opportunity_create, opportunity_update_stage
from salescycles.models import Activity, CloseOpportunityCode, SalesCycle, SalesCycleStage
from salescycles.services import (
    SetupError,
    activity_delete,
    close_code_delete,
    sales_cycle_delete,
    stage_delete,
)
from tests.factories import PersonFactory, SalesCycleFactory, StageFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def start(cycle, rep):
    """Create an opportunity of the rep in the cycle, activated unless told otherwise."""

    def make(*, activate: bool = True) -> Opportunity:
        return opportunity_create(
            user=rep.user,
            description="Deal",
            contact=PersonFactory(),
            sales_cycle=cycle,
            activate_first_stage=activate,
            estimated_value=Decimal("1000"),
        )

    return make


def close(opportunity: Opportunity, user, code: CloseOpportunityCode) -> None:
    opportunity_close(opportunity=opportunity, user=user, outcome=code.type, close_code=code)


def state() -> tuple:
    return (
        list(SalesCycle.objects.values()),
        list(SalesCycleStage.objects.values()),
        list(CloseOpportunityCode.objects.values()),
        list(Opportunity.objects.values("pk", "status", "current_stage")),
        OpportunityEntry.objects.count(),
    )


def assert_refused(call, code: str, **kwargs) -> None:
    before = state()
    with pytest.raises(SetupError) as caught:
        call(**kwargs)
    assert caught.value.code == code
    assert state() == before


# --- sales cycles -------------------------------------------------------------------------------


def test_a_sales_cycle_with_a_not_started_opportunity_cannot_be_deleted(cycle, start):
    start(activate=False)
    assert_refused(sales_cycle_delete, "sales_cycle_in_use", sales_cycle=cycle)


def test_a_sales_cycle_with_an_opportunity_in_progress_cannot_be_deleted(cycle, start):
    start()
    assert_refused(sales_cycle_delete, "sales_cycle_in_use", sales_cycle=cycle)


def test_a_sales_cycle_with_only_closed_opportunities_cannot_be_deleted(cycle, start, rep, won_code, lost_code):
    close(start(), rep.user, won_code)
    close(start(), rep.user, lost_code)
    assert_refused(sales_cycle_delete, "sales_cycle_has_history", sales_cycle=cycle)


def test_an_unused_sales_cycle_is_deleted_with_its_stages(cycle):
    other = SalesCycleFactory(code="OTHER")
    StageFactory(sales_cycle=other, stage=1)
    sales_cycle_delete(sales_cycle=cycle)
    assert not SalesCycle.objects.filter(pk=cycle.pk).exists()
    assert not SalesCycleStage.objects.filter(sales_cycle_id=cycle.pk).exists()
    assert SalesCycleStage.objects.filter(sales_cycle=other).count() == 1


# --- stages -------------------------------------------------------------------------------------


def test_a_stage_with_an_active_entry_cannot_be_deleted(cycle, start):
    start()
    assert_refused(stage_delete, "stage_in_use", stage=cycle.stages.get(stage=1))


def test_a_stage_left_behind_cannot_be_deleted(cycle, start, rep):
    opportunity_update_stage(opportunity=start(), user=rep.user, action="next")
    assert_refused(stage_delete, "stage_has_history", stage=cycle.stages.get(stage=1))


def test_the_stage_an_opportunity_was_closed_at_cannot_be_deleted(cycle, start, rep, lost_code):
    close(start(), rep.user, lost_code)
    assert not OpportunityEntry.objects.filter(active=True, stage__isnull=False).exists()
    assert_refused(stage_delete, "stage_has_history", stage=cycle.stages.get(stage=1))


def test_an_unused_stage_is_deleted(cycle, start):
    start()
    stage_delete(stage=cycle.stages.get(stage=7))
    assert list(cycle.stages.values_list("stage", flat=True)) == [1, 2, 3, 5]


# --- close codes, activities --------------------------------------------------------------------


def test_a_close_code_in_use_cannot_be_deleted(start, rep, won_code):
    close(start(), rep.user, won_code)
    assert_refused(close_code_delete, "close_code_in_use", close_code=won_code)


def test_an_unused_close_code_is_deleted(won_code, lost_code):
    close_code_delete(close_code=lost_code)
    assert list(CloseOpportunityCode.objects.values_list("code", flat=True)) == [won_code.code]


def test_an_activity_is_deleted_and_its_stages_stop_naming_it(cycle):
    stage = cycle.stages.get(stage=1)
    activity_delete(activity=stage.activity)
    stage.refresh_from_db()
    assert stage.activity_id is None
    assert not Activity.objects.exists()
