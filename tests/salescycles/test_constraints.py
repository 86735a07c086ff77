"""Database constraints hold even when validation is bypassed (SPEC §2, STYLE "constraints in Meta")."""

from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction

from opportunities.models import OpportunityEntry
from opportunities.services import opportunity_create, opportunity_update_stage
from salescycles.models import CloseOpportunityCode, SalesCycle, SalesCycleStage
from tests.factories import PersonFactory

pytestmark = pytest.mark.django_db

D = Decimal


def insert_stage(cycle, **values) -> SalesCycleStage:
    fields = {"sales_cycle": cycle, "stage": 9, "description": "Extra", **values}
    return SalesCycleStage.objects.create(**fields)


@pytest.mark.parametrize(
    "values",
    [
        {"completed_pct": D("101")},
        {"completed_pct": D("-1")},
        {"chances_of_success_pct": D("100.01")},
        {"chances_of_success_pct": D("-0.01")},
        {"stage": 0},
    ],
)
def test_a_stage_outside_the_ranges_is_refused_by_the_database(cycle, values):
    with pytest.raises(IntegrityError), transaction.atomic():
        insert_stage(cycle, **values)
    assert cycle.stages.count() == 5


def test_a_stage_number_used_twice_in_a_cycle_is_refused_by_the_database(cycle):
    with pytest.raises(IntegrityError), transaction.atomic():
        insert_stage(cycle, stage=2)
    assert cycle.stages.filter(stage=2).count() == 1


def test_the_same_stage_number_in_another_cycle_is_fine(cycle):
    other = SalesCycle.objects.create(code="OTHER", description="Other")
    insert_stage(other, stage=2)
    assert SalesCycleStage.objects.filter(stage=2).count() == 2


def test_a_stage_at_the_bounds_is_accepted_by_the_database(cycle):
    insert_stage(cycle, completed_pct=D("100"), chances_of_success_pct=D("0"))


def test_an_unknown_probability_calculation_is_refused_by_the_database(db):
    with pytest.raises(IntegrityError), transaction.atomic():
        SalesCycle.objects.create(code="ODD", description="Odd", probability_calculation="guess")
    assert not SalesCycle.objects.exists()


def test_a_close_code_of_an_unknown_type_is_refused_by_the_database(db):
    with pytest.raises(IntegrityError), transaction.atomic():
        CloseOpportunityCode.objects.create(code="DRAW", description="Draw", type="draw")
    assert not CloseOpportunityCode.objects.exists()


def test_a_duplicate_code_is_refused_by_the_database(cycle):
    with pytest.raises(IntegrityError), transaction.atomic():
        SalesCycle.objects.create(code=cycle.code, description="Copy")
    assert SalesCycle.objects.filter(code=cycle.code).count() == 1


def test_two_active_entries_for_one_opportunity_are_refused_by_the_database(cycle, rep):
    opportunity = opportunity_create(
        user=rep.user,
        description="Deal",
        contact=PersonFactory(),
        sales_cycle=cycle,
        activate_first_stage=True,
        estimated_value=D("1000"),
    )
    opportunity_update_stage(opportunity=opportunity, user=rep.user, action="next")
    entries = OpportunityEntry.objects.filter(opportunity=opportunity)
    assert list(entries.values_list("active", flat=True)) == [False, True]

    with pytest.raises(IntegrityError), transaction.atomic():
        entries.filter(active=False).update(active=True)
    assert list(entries.values_list("active", flat=True)) == [False, True]
