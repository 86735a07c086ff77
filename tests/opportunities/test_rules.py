"""Each refusal rule of SPEC §3.1–3.5 on its own, with the case it still allows beside it."""

import datetime

import pytest
from django.core.exceptions import ValidationError

from common.errors import PermissionRefused
from opportunities import services
from opportunities.models import Opportunity
from salescycles.models import SalesCycleStage
from tests.factories import PersonFactory, SalesCycleFactory, SalespersonFactory, StageFactory
from tests.opportunities.helpers import (
    ACTION_DATE,
    ACTIVATED_ON,
    QUOTE_LINES,
    D,
    active_entry,
    assert_refused,
    snapshot,
)


def _move(opportunity, user, action, **values):
    values.setdefault("date_of_change", ACTION_DATE)
    return services.opportunity_update_stage(opportunity=opportunity, user=user, action=action, **values)


# --- stage targets ---------------------------------------------------------------------------


def test_skip_refused_when_an_intermediate_stage_disallows_skipping(put_in, rep):
    opportunity = put_in("first")
    # 2 and 3 may be skipped, 5 may not: 1 → 7 crosses stage 5.
    assert_refused("skip_not_allowed", lambda: _move(opportunity, rep.user, "skip", stage=7), opportunity)


def test_skip_over_skippable_stages_is_recorded_as_skipped(put_in, rep):
    opportunity = put_in("first")
    entry = _move(opportunity, rep.user, "skip", stage=5)
    assert entry.action_taken == "skipped"
    assert entry.stage.stage == 5
    assert entry.previous_stage.stage == 1


@pytest.mark.parametrize("target", [1, 3], ids=["earlier", "same"])
def test_skip_refused_when_the_target_is_not_later_than_the_current_stage(target, put_in, rep):
    opportunity = put_in("middle")
    assert_refused("skip_target_not_later", lambda: _move(opportunity, rep.user, "skip", stage=target), opportunity)


@pytest.mark.parametrize("target", [3, 7], ids=["same", "later"])
def test_jump_refused_when_the_target_is_not_earlier_than_the_current_stage(target, put_in, rep):
    opportunity = put_in("middle")
    assert_refused("jump_target_not_earlier", lambda: _move(opportunity, rep.user, "jump", stage=target), opportunity)


@pytest.mark.parametrize("action", ["skip", "jump"])
def test_skip_and_jump_refused_without_a_target_stage(action, put_in, rep):
    opportunity = put_in("middle")
    assert_refused("stage_required", lambda: _move(opportunity, rep.user, action), opportunity)


@pytest.mark.parametrize(("action", "target"), [("skip", 4), ("jump", 0), ("skip", 70)])
def test_skip_and_jump_refused_to_a_stage_number_the_cycle_lacks(action, target, put_in, rep):
    opportunity = put_in("middle")
    assert_refused("stage_not_found", lambda: _move(opportunity, rep.user, action, stage=target), opportunity)


def test_a_stage_of_another_cycle_is_not_found_even_when_its_number_exists_here(put_in, rep, second_cycle):
    opportunity = put_in("first")
    foreign = StageFactory(sales_cycle=second_cycle, stage=5)
    assert_refused("stage_not_found", lambda: _move(opportunity, rep.user, "skip", stage=foreign), opportunity)
    assert_refused("stage_not_found", lambda: _move(opportunity, rep.user, "next", stage=foreign), opportunity)


def test_a_stage_may_be_named_by_its_number_or_by_the_stage_itself(put_in, rep, cycle):
    opportunity = put_in("first")
    stage_5 = SalesCycleStage.objects.get(sales_cycle=cycle, stage=5)
    assert _move(opportunity, rep.user, "skip", stage=stage_5).stage == stage_5
    assert _move(opportunity, rep.user, "jump", stage=1).stage.stage == 1


@pytest.mark.parametrize(("action", "stage"), [("next", 7), ("previous", 1), ("update", 2)])
def test_next_previous_and_update_refused_when_a_given_stage_disagrees(action, stage, put_in, rep):
    opportunity = put_in("middle")  # at 3: next leads to 5, previous to 2, update stays at 3
    assert_refused("stage_mismatch", lambda: _move(opportunity, rep.user, action, stage=stage), opportunity)


@pytest.mark.parametrize(("action", "stage"), [("next", 5), ("previous", 2), ("update", 3)])
def test_next_previous_and_update_accept_a_stage_that_agrees(action, stage, put_in, rep):
    opportunity = put_in("middle")
    entry = _move(opportunity, rep.user, action, stage=stage, estimated_close_date=ACTION_DATE)
    assert entry.stage.stage == stage


def test_an_unknown_action_is_refused(put_in, rep):
    opportunity = put_in("first")
    assert_refused("invalid_action", lambda: _move(opportunity, rep.user, "sideways"), opportunity)


# --- quote required --------------------------------------------------------------------------


def test_next_refused_into_a_quote_required_stage_without_a_quote(put_in, rep):
    opportunity = put_in("first")
    _move(opportunity, rep.user, "next", date_of_change=ACTIVATED_ON)  # to 2
    assert_refused("quote_required", lambda: _move(opportunity, rep.user, "next"), opportunity)


def test_skip_refused_into_a_quote_required_stage_without_a_quote(put_in, rep):
    opportunity = put_in("first")
    assert_refused("quote_required", lambda: _move(opportunity, rep.user, "skip", stage=3), opportunity)


def test_next_into_a_quote_required_stage_is_allowed_once_a_quote_exists(put_in, rep):
    opportunity = put_in("first")
    services.quote_save(opportunity=opportunity, user=rep.user, lines=QUOTE_LINES)
    assert _move(opportunity, rep.user, "skip", stage=3).stage.stage == 3


@pytest.mark.parametrize("action", ["previous", "jump"])
def test_moving_back_into_a_quote_required_stage_needs_no_quote(action, put_in, rep):
    opportunity = put_in("middle")
    _move(opportunity, rep.user, "next", date_of_change=ACTIVATED_ON.replace(day=20))  # to 5
    services.quote_delete(opportunity=opportunity, user=rep.user)
    entry = _move(opportunity, rep.user, action, stage=3 if action == "jump" else None)
    assert entry.stage.stage == 3
    assert entry.action_taken == "previous"


# --- values of an update ---------------------------------------------------------------------


def test_update_refused_when_the_date_lies_before_the_last_change(put_in, rep):
    opportunity = put_in("first")
    day_before = ACTIVATED_ON - datetime.timedelta(days=1)
    assert_refused(
        "date_before_last_change",
        lambda: _move(opportunity, rep.user, "next", date_of_change=day_before),
        opportunity,
    )


def test_update_on_the_day_of_the_last_change_is_allowed(put_in, rep):
    opportunity = put_in("first")
    entry = _move(opportunity, rep.user, "next", date_of_change=ACTIVATED_ON)
    assert entry.date_of_change == ACTIVATED_ON


def test_activation_may_be_dated_before_the_creation_date(opportunity, rep):
    # People record last month's meeting today; integrations replay history.
    before_creation = opportunity.creation_date - datetime.timedelta(days=30)
    entry = services.opportunity_activate(opportunity=opportunity, user=rep.user, date_of_change=before_creation)
    assert entry.date_of_change == before_creation


@pytest.mark.parametrize("value", [D("0"), D("-5")])
def test_update_refused_when_the_estimated_value_is_not_positive(value, put_in, rep):
    opportunity = put_in("first")
    assert_refused(
        "estimated_value_required", lambda: _move(opportunity, rep.user, "update", estimated_value=value), opportunity
    )


def test_update_refused_when_the_opportunity_was_activated_without_a_value_and_none_is_given(opportunity, rep):
    services.opportunity_activate(opportunity=opportunity, user=rep.user, date_of_change=ACTIVATED_ON)
    assert opportunity.estimated_value == 0  # allowed at activation
    assert_refused("estimated_value_required", lambda: _move(opportunity, rep.user, "next"), opportunity)


@pytest.mark.parametrize("chances", [D("0"), D("-1"), D("100.01")])
def test_update_refused_when_the_chances_are_not_above_0_and_at_most_100(chances, put_in, rep):
    opportunity = put_in("first")
    assert_refused(
        "invalid_chances_of_success",
        lambda: _move(opportunity, rep.user, "update", chances_of_success_pct=chances),
        opportunity,
    )


def test_update_accepts_chances_of_exactly_100(put_in, rep):
    opportunity = put_in("first")
    assert _move(opportunity, rep.user, "update", chances_of_success_pct=D("100")).chances_of_success_pct == 100


@pytest.mark.parametrize("chances", [D("-1"), D("101")])
def test_activation_refused_when_the_chances_are_outside_0_to_100(chances, opportunity, rep):
    assert_refused(
        "invalid_chances_of_success",
        lambda: services.opportunity_activate(opportunity=opportunity, user=rep.user, chances_of_success_pct=chances),
        opportunity,
    )


def test_activation_accepts_chances_of_0(opportunity, rep):
    entry = services.opportunity_activate(opportunity=opportunity, user=rep.user, chances_of_success_pct=D("0"))
    assert entry.chances_of_success_pct == 0


def test_activation_refused_with_a_negative_estimated_value(opportunity, rep):
    assert_refused(
        "invalid_estimated_value",
        lambda: services.opportunity_activate(opportunity=opportunity, user=rep.user, estimated_value=D("-1")),
        opportunity,
    )


def test_update_refused_when_the_estimated_close_date_lies_before_the_date_of_change(put_in, rep):
    opportunity = put_in("first")
    assert_refused(
        "estimated_close_date_before_change",
        lambda: _move(opportunity, rep.user, "next", estimated_close_date=ACTION_DATE - datetime.timedelta(days=1)),
        opportunity,
    )


def test_update_refused_when_the_kept_close_date_has_passed(put_in, rep):
    opportunity = put_in("last")  # stage 7 has an empty formula: closing expected on 25 January
    assert_refused("estimated_close_date_before_change", lambda: _move(opportunity, rep.user, "update"), opportunity)


def test_activation_refused_when_the_estimated_close_date_lies_before_the_date_of_change(opportunity, rep):
    assert_refused(
        "estimated_close_date_before_change",
        lambda: services.opportunity_activate(
            opportunity=opportunity,
            user=rep.user,
            date_of_change=ACTIVATED_ON,
            estimated_close_date=ACTIVATED_ON - datetime.timedelta(days=1),
        ),
        opportunity,
    )


def test_activation_refused_when_the_sales_cycle_has_no_stages(rep, stageless_cycle):
    opportunity = services.opportunity_create(
        user=rep.user, description="Deal", contact=PersonFactory(), sales_cycle=stageless_cycle
    )
    assert_refused(
        "sales_cycle_has_no_stages",
        lambda: services.opportunity_activate(opportunity=opportunity, user=rep.user),
        opportunity,
    )


def test_create_and_activate_at_once_creates_nothing_when_the_cycle_has_no_stages(rep, stageless_cycle):
    assert_refused(
        "sales_cycle_has_no_stages",
        lambda: services.opportunity_create(
            user=rep.user,
            description="Deal",
            contact=PersonFactory(),
            sales_cycle=stageless_cycle,
            activate_first_stage=True,
        ),
    )


# --- close -----------------------------------------------------------------------------------


@pytest.mark.parametrize(("outcome", "code_fixture"), [("won", "lost_code"), ("lost", "won_code")])
def test_close_refused_with_a_close_code_of_the_other_type(outcome, code_fixture, request, put_in, rep):
    opportunity = put_in("first")
    code = request.getfixturevalue(code_fixture)
    assert_refused(
        "close_code_type_mismatch",
        lambda: services.opportunity_close(opportunity=opportunity, user=rep.user, outcome=outcome, close_code=code),
        opportunity,
    )


def test_close_refused_without_a_close_code(put_in, rep):
    opportunity = put_in("first")
    assert_refused(
        "close_code_required",
        lambda: services.opportunity_close(opportunity=opportunity, user=rep.user, outcome="lost", close_code=None),
        opportunity,
    )


def test_close_refused_with_an_outcome_other_than_won_or_lost(put_in, rep, won_code):
    opportunity = put_in("first")
    assert_refused(
        "invalid_outcome",
        lambda: services.opportunity_close(
            opportunity=opportunity, user=rep.user, outcome="updated", close_code=won_code
        ),
        opportunity,
    )


def test_close_refused_when_the_closing_date_lies_before_the_last_change(put_in, rep, lost_code):
    opportunity = put_in("middle")
    assert_refused(
        "date_before_last_change",
        lambda: services.opportunity_close(
            opportunity=opportunity, user=rep.user, outcome="lost", close_code=lost_code, date_closed=ACTIVATED_ON
        ),
        opportunity,
    )


def test_won_refused_without_a_sales_amount_when_neither_quote_nor_estimate_gives_one(opportunity, rep, won_code):
    assert_refused(
        "sales_amount_required",
        lambda: services.opportunity_close(opportunity=opportunity, user=rep.user, outcome="won", close_code=won_code),
        opportunity,
    )


@pytest.mark.parametrize("amount", [D("0"), D("-10")])
def test_won_refused_with_a_sales_amount_that_is_not_positive(amount, put_in, rep, won_code):
    opportunity = put_in("first")
    assert_refused(
        "sales_amount_required",
        lambda: services.opportunity_close(
            opportunity=opportunity, user=rep.user, outcome="won", close_code=won_code, sales_amount=amount
        ),
        opportunity,
    )


# --- change ----------------------------------------------------------------------------------


def test_a_started_opportunity_moves_to_a_colleague_but_not_to_another_company(put_in, rep, colleague, stranger):
    opportunity = put_in("middle")
    assert_refused(
        "contact_other_company",
        lambda: services.opportunity_change(opportunity=opportunity, user=rep.user, contact=stranger),
        opportunity,
    )
    services.opportunity_change(opportunity=opportunity, user=rep.user, contact=colleague)
    opportunity.refresh_from_db()
    assert opportunity.contact == colleague
    assert opportunity.contact_company == colleague.company


def test_a_not_started_opportunity_may_move_to_any_company(opportunity, rep, stranger):
    services.opportunity_change(opportunity=opportunity, user=rep.user, contact=stranger)
    opportunity.refresh_from_db()
    assert opportunity.contact_company == stranger.company


def test_salesperson_change_refused_to_a_blocked_salesperson(put_in, manager):
    opportunity = put_in("first")
    blocked = SalespersonFactory(code="GONE", blocked=True)
    assert_refused(
        "salesperson_blocked",
        lambda: services.opportunity_change(opportunity=opportunity, user=manager, salesperson=blocked),
        opportunity,
    )


def test_sales_cycle_change_refused_to_a_blocked_cycle(opportunity, rep, second_cycle):
    second_cycle.blocked = True
    second_cycle.save()
    assert_refused(
        "sales_cycle_blocked",
        lambda: services.opportunity_change(opportunity=opportunity, user=rep.user, sales_cycle=second_cycle),
        opportunity,
    )


def test_a_refused_field_leaves_the_other_fields_of_the_same_change_unsaved(put_in, rep, second_cycle):
    opportunity = put_in("first")
    assert_refused(
        "sales_cycle_change_started",
        lambda: services.opportunity_change(
            opportunity=opportunity, user=rep.user, description="Renamed", sales_cycle=second_cycle
        ),
        opportunity,
    )
    assert opportunity.description != "Renamed"


def test_a_description_longer_than_100_characters_is_refused_not_truncated(put_in, rep):
    opportunity = put_in("first")
    before = snapshot(opportunity.pk)
    with pytest.raises(ValidationError) as caught:
        services.opportunity_change(opportunity=opportunity, user=rep.user, description="x" * 101)
    assert "description" in caught.value.message_dict
    assert snapshot(opportunity.pk) == before


# --- create ----------------------------------------------------------------------------------


def test_create_refused_for_a_blocked_salesperson(manager, cycle):
    blocked = SalespersonFactory(code="GONE", blocked=True)
    assert_refused(
        "salesperson_blocked",
        lambda: services.opportunity_create(
            user=manager, description="Deal", contact=PersonFactory(), salesperson=blocked, sales_cycle=cycle
        ),
    )


def test_create_refused_for_a_blocked_sales_cycle(rep, second_cycle):
    second_cycle.blocked = True
    second_cycle.save()
    assert_refused(
        "sales_cycle_blocked",
        lambda: services.opportunity_create(
            user=rep.user, description="Deal", contact=PersonFactory(), sales_cycle=second_cycle
        ),
    )


def test_create_uses_the_default_sales_cycle_setting_when_none_is_given(rep, cycle, settings):
    settings.CRM_DEFAULT_SALES_CYCLE = cycle.code
    opportunity = services.opportunity_create(user=rep.user, description="Deal", contact=PersonFactory())
    assert opportunity.sales_cycle == cycle
    assert opportunity.salesperson == rep
    assert opportunity.status == Opportunity.Status.NOT_STARTED
    assert not opportunity.entries.exists()


@pytest.mark.parametrize("default", ["", "MISSING", "BLOCKED"])
def test_create_refused_without_a_cycle_when_the_default_is_unset_missing_or_blocked(default, rep, settings):
    SalesCycleFactory(code="BLOCKED", blocked=True)
    settings.CRM_DEFAULT_SALES_CYCLE = default
    assert_refused(
        "sales_cycle_required",
        lambda: services.opportunity_create(user=rep.user, description="Deal", contact=PersonFactory()),
    )


def test_create_refused_without_a_salesperson_for_a_user_who_is_none(plain_user, cycle):
    assert_refused(
        "salesperson_required",
        lambda: services.opportunity_create(
            user=plain_user, description="Deal", contact=PersonFactory(), sales_cycle=cycle
        ),
    )


def test_create_and_activate_at_once_starts_at_the_first_stage(rep, cycle):
    opportunity = services.opportunity_create(
        user=rep.user,
        description="Deal",
        contact=PersonFactory(),
        sales_cycle=cycle,
        activate_first_stage=True,
        date_of_change=ACTIVATED_ON,
        estimated_value=D("500"),
    )
    opportunity.refresh_from_db()
    assert opportunity.status == Opportunity.Status.IN_PROGRESS
    assert active_entry(opportunity).action_taken == "first"
    assert opportunity.current_stage.stage == 1
    assert opportunity.estimated_value == D("500.00")


# --- quotes ----------------------------------------------------------------------------------


def test_a_quote_with_a_negative_quantity_is_refused_and_the_old_quote_kept(put_in, rep):
    opportunity = put_in("middle")
    before = snapshot(opportunity.pk)
    with pytest.raises(ValidationError):
        services.quote_save(
            opportunity=opportunity,
            user=rep.user,
            lines=[{"description": "Bad", "quantity": "-1", "unit_price": "10"}],
        )
    assert snapshot(opportunity.pk) == before


@pytest.mark.parametrize("field, value", [("quantity", "abc"), ("unit_price", "NaN"), ("discount_pct", "1e999x")])
def test_a_quote_line_with_a_non_numeric_figure_is_a_field_error_and_the_old_quote_kept(put_in, rep, field, value):
    opportunity = put_in("middle")
    before = snapshot(opportunity.pk)
    line = {"description": "Bad", "quantity": "1", "unit_price": "10", field: value}
    with pytest.raises(ValidationError) as refused:
        services.quote_save(opportunity=opportunity, user=rep.user, lines=[line])
    assert "must be numbers" in str(refused.value.message_dict["lines"])
    assert snapshot(opportunity.pk) == before


@pytest.mark.parametrize(
    "lines",
    [
        [{"description": "Huge", "quantity": "999999999", "unit_price": "9999999999999.99"}],
        [{"description": "Big", "quantity": "1", "unit_price": "9999999999999.99"}] * 2,
    ],
    ids=["line", "total"],
)
def test_a_quote_whose_amounts_overflow_the_currency_field_is_refused_and_the_old_quote_kept(put_in, rep, lines):
    opportunity = put_in("middle")
    before = snapshot(opportunity.pk)
    with pytest.raises(ValidationError) as refused:
        services.quote_save(opportunity=opportunity, user=rep.user, lines=lines)
    assert "too large" in str(refused.value.message_dict["lines"])
    assert snapshot(opportunity.pk) == before


def test_a_quote_valid_until_before_its_date_is_refused(put_in, rep):
    opportunity = put_in("first")
    before = snapshot(opportunity.pk)
    with pytest.raises(ValidationError):
        services.quote_save(
            opportunity=opportunity,
            user=rep.user,
            lines=QUOTE_LINES,
            quote_date=ACTION_DATE,
            valid_until=ACTION_DATE - datetime.timedelta(days=1),
        )
    assert snapshot(opportunity.pk) == before


def test_saving_a_quote_again_replaces_its_lines_and_total(put_in, rep):
    opportunity = put_in("middle")
    quote = services.quote_save(
        opportunity=opportunity,
        user=rep.user,
        lines=[
            services.QuoteLineInput(description="Only", quantity=D("3"), unit_price=D("19.99"), discount_pct=D("12.5"))
        ],
    )
    # 3 × 19.99 × 0.875 = 52.47375 → 52.47
    assert quote.total == D("52.47")
    assert [line.amount for line in quote.lines.all()] == [D("52.47")]


def test_a_rep_cannot_assign_the_opportunity_to_another_salesperson(put_in, rep, other_rep):
    opportunity = put_in("first")
    error = assert_refused(
        "cannot_assign_other_salesperson",
        lambda: services.opportunity_change(opportunity=opportunity, user=rep.user, salesperson=other_rep),
        opportunity,
        error=PermissionRefused,
    )
    assert error.status_code == 403


# --- figures below a cent --------------------------------------------------------------------


def test_an_estimated_value_that_rounds_to_0_is_refused_rather_than_stored_as_0(put_in, rep):
    opportunity = put_in("first")
    assert_refused(
        "estimated_value_required",
        lambda: _move(opportunity, rep.user, "update", estimated_value=D("0.004")),
        opportunity,
    )


def test_chances_that_round_to_0_are_refused(put_in, rep):
    opportunity = put_in("first")
    assert_refused(
        "invalid_chances_of_success",
        lambda: _move(opportunity, rep.user, "update", chances_of_success_pct=D("0.004")),
        opportunity,
    )


def test_a_sales_amount_that_rounds_to_0_is_refused(put_in, rep, won_code):
    opportunity = put_in("first")
    assert_refused(
        "sales_amount_required",
        lambda: services.opportunity_close(
            opportunity=opportunity, user=rep.user, outcome="won", close_code=won_code, sales_amount=D("0.004")
        ),
        opportunity,
    )


# --- broken setup data -----------------------------------------------------------------------


def test_activation_refused_and_rolled_back_when_the_stage_formula_is_invalid(rep, second_cycle):
    # Formulas are validated when a stage is saved through a form; data written around it is refused here.
    SalesCycleStage.objects.filter(sales_cycle=second_cycle, stage=10).update(date_formula="1X")
    opportunity = services.opportunity_create(
        user=rep.user, description="Deal", contact=PersonFactory(), sales_cycle=second_cycle
    )
    assert_refused(
        "invalid_date_formula",
        lambda: services.opportunity_activate(opportunity=opportunity, user=rep.user),
        opportunity,
    )


def test_a_move_is_rolled_back_when_a_task_formula_of_the_target_stage_is_invalid(put_in, rep, cycle):
    opportunity = put_in("middle")
    step = SalesCycleStage.objects.get(sales_cycle=cycle, stage=1).activity.steps.get(step_no=2)
    step.date_formula = "W2"
    step.save()
    # The entry and the first task are written before the second step's formula fails: all must go.
    assert_refused("invalid_date_formula", lambda: _move(opportunity, rep.user, "jump", stage=1), opportunity)
