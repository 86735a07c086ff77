"""The figures of entries and their copy on the opportunity (SPEC §3.2–3.4)."""

import datetime

import pytest

from opportunities import services
from opportunities.models import Opportunity
from tests.factories import OpportunityFactory
from tests.opportunities.helpers import (
    ACTIVATED_ON,
    QUOTE_LINES,
    QUOTE_TOTAL,
    D,
    active_entry,
    entries,
)

FIGURES = (
    "estimated_value",
    "chances_of_success_pct",
    "completed_pct",
    "probability_pct",
    "calculated_current_value",
)


def _move(opportunity, user, action, date, **values):
    return services.opportunity_update_stage(
        opportunity=opportunity, user=user, action=action, date_of_change=date, **values
    )


def _activate(opportunity, user, date=ACTIVATED_ON, **values):
    values.setdefault("estimated_value", D("1000"))
    return services.opportunity_activate(opportunity=opportunity, user=user, date_of_change=date, **values)


def _assert_copy_matches_active_entry(opportunity):
    opportunity = Opportunity.objects.get(pk=opportunity.pk)
    entry = active_entry(opportunity)
    for field in FIGURES:
        assert getattr(opportunity, field) == getattr(entry, field), field
    assert opportunity.estimated_closing_date == entry.estimated_close_date
    assert opportunity.current_stage_id == entry.stage_id


# --- probability and calculated current value ------------------------------------------------


@pytest.mark.parametrize(
    ("method", "chances", "completed", "expected"),
    [
        ("multiply", "40", "30", "12.00"),
        ("add", "40", "30", "35.00"),
        ("chances_of_success", "40", "30", "40.00"),
        ("completed", "40", "30", "30.00"),
        ("multiply", "33.33", "10", "3.33"),  # 3.333
        ("add", "33.33", "10", "21.67"),  # 21.665 rounds half-up, not to even
    ],
)
def test_probability_follows_the_cycles_calculation_method(method, chances, completed, expected):
    probability = services.compute_probability(
        method=method, chances_of_success_pct=D(chances), completed_pct=D(completed)
    )
    assert probability == D(expected)
    assert probability.as_tuple().exponent == -2


@pytest.mark.parametrize(
    ("method", "probability", "current_value"),
    [
        ("multiply", "2.50", "25.00"),  # 25 × 10 / 100
        ("add", "17.50", "175.00"),  # (25 + 10) / 2
        ("chances_of_success", "25.00", "250.00"),
        ("completed", "10.00", "100.00"),
    ],
)
def test_activation_computes_probability_and_current_value_by_the_cycles_method(
    method, probability, current_value, opportunity, rep, cycle
):
    cycle.probability_calculation = method
    cycle.save()
    entry = _activate(opportunity, rep.user, chances_of_success_pct=D("25"))  # stage 1: completed 10
    assert entry.probability_pct == D(probability)
    assert entry.calculated_current_value == D(current_value)
    _assert_copy_matches_active_entry(opportunity)


@pytest.mark.parametrize(
    ("estimated_value", "probability", "expected"),
    [("0.50", "1", "0.01"), ("10.10", "25", "2.53"), ("10.10", "24.99", "2.52"), ("333.33", "33.33", "111.10")],
)
def test_calculated_current_value_is_rounded_half_up_to_cents(estimated_value, probability, expected):
    value = services.compute_current_value(estimated_value=D(estimated_value), probability_pct=D(probability))
    assert value == D(expected)


def test_an_update_rounds_the_current_value_half_up(opportunity, rep, cycle):
    cycle.probability_calculation = "chances_of_success"
    cycle.save()
    _activate(opportunity, rep.user)
    # 10.10 × 25 % = 2.525: half-up gives 2.53 where banker's rounding would give 2.52.
    entry = _move(opportunity, rep.user, "update", ACTIVATED_ON, estimated_value=D("10.10"), chances_of_success_pct=25)
    assert entry.calculated_current_value == D("2.53")
    _assert_copy_matches_active_entry(opportunity)


def test_the_current_value_is_computed_from_the_estimate_as_stored_in_cents(opportunity, rep, cycle):
    cycle.probability_calculation = "chances_of_success"
    cycle.save()
    _activate(opportunity, rep.user)
    entry = _move(
        opportunity, rep.user, "update", ACTIVATED_ON, estimated_value=D("100.005"), chances_of_success_pct=50
    )
    # 100.01 × 50 % = 50.005 → 50.01 (the unrounded 100.005 would give 50.0025 → 50.00)
    assert entry.estimated_value == D("100.01")
    assert entry.calculated_current_value == D("50.01")


# --- chances of success ----------------------------------------------------------------------


def test_activation_takes_the_first_stages_default_chances_unless_given(opportunity, rep, cycle):
    assert _activate(opportunity, rep.user).chances_of_success_pct == D("20")
    second = OpportunityFactory(sales_cycle=cycle, salesperson=rep)
    assert _activate(second, rep.user, chances_of_success_pct=D("35")).chances_of_success_pct == D("35")


def test_a_move_takes_the_target_stages_default_chances(opportunity, rep):
    _activate(opportunity, rep.user, chances_of_success_pct=D("35"))
    assert _move(opportunity, rep.user, "next", ACTIVATED_ON).chances_of_success_pct == D("40")


def test_a_move_keeps_the_current_chances_when_the_target_default_is_0(opportunity, rep):
    _activate(opportunity, rep.user, chances_of_success_pct=D("35"))
    entry = _move(opportunity, rep.user, "skip", ACTIVATED_ON, stage=5)  # stage 5 defaults to 0
    assert entry.chances_of_success_pct == D("35")


@pytest.mark.parametrize(("action", "stage"), [("next", None), ("skip", 5), ("jump", 1)])
def test_explicit_chances_are_kept_even_on_a_skip_or_jump(action, stage, put_in, rep):
    opportunity = put_in("first" if action != "jump" else "middle")
    entry = _move(opportunity, rep.user, action, datetime.date(2026, 2, 1), stage=stage, chances_of_success_pct=33)
    assert entry.chances_of_success_pct == D("33")
    assert entry.stage.chances_of_success_pct != D("33")


def test_an_update_keeps_the_current_chances_rather_than_the_stage_default(opportunity, rep):
    _activate(opportunity, rep.user, chances_of_success_pct=D("35"))
    assert _move(opportunity, rep.user, "update", ACTIVATED_ON).chances_of_success_pct == D("35")


# --- estimated close date --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("stage", "formula", "date_of_change", "expected"),
    [
        (1, "1M", datetime.date(2026, 1, 31), datetime.date(2026, 2, 28)),  # end of month stays end of month
        (2, "2W", datetime.date(2026, 2, 10), datetime.date(2026, 2, 24)),
        (3, "CM", datetime.date(2026, 2, 10), datetime.date(2026, 2, 28)),
        (5, "10D", datetime.date(2026, 2, 10), datetime.date(2026, 2, 20)),
        (7, "", datetime.date(2026, 2, 10), datetime.date(2026, 2, 10)),  # empty: the same day
    ],
)
def test_the_estimated_close_date_is_proposed_by_the_stage_date_formula(
    stage, formula, date_of_change, expected, opportunity, rep
):
    if stage == 1:
        entry = _activate(opportunity, rep.user, date=date_of_change)
    else:
        _activate(opportunity, rep.user, date=datetime.date(2026, 1, 2))
        services.quote_save(opportunity=opportunity, user=rep.user, lines=QUOTE_LINES)
        if stage == 7:
            _move(opportunity, rep.user, "skip", datetime.date(2026, 1, 3), stage=5)
            entry = _move(opportunity, rep.user, "next", date_of_change)
        else:
            entry = _move(opportunity, rep.user, "skip", date_of_change, stage=stage)
    assert entry.stage.date_formula == formula
    assert entry.estimated_close_date == expected
    _assert_copy_matches_active_entry(opportunity)


def test_an_explicit_estimated_close_date_wins_over_the_formula(opportunity, rep):
    _activate(opportunity, rep.user)
    wanted = datetime.date(2026, 6, 30)
    assert (
        _move(opportunity, rep.user, "next", ACTIVATED_ON, estimated_close_date=wanted).estimated_close_date == wanted
    )


def test_an_update_keeps_the_current_estimated_close_date(opportunity, rep):
    _activate(opportunity, rep.user)  # 10 January + 1M
    entry = _move(opportunity, rep.user, "update", datetime.date(2026, 1, 20))
    assert entry.estimated_close_date == datetime.date(2026, 2, 10)


# --- history ---------------------------------------------------------------------------------


def test_the_replaced_entry_becomes_inactive_with_the_days_it_was_open(opportunity, rep, lost_code):
    _activate(opportunity, rep.user)
    _move(opportunity, rep.user, "next", datetime.date(2026, 1, 25))
    services.opportunity_close(
        opportunity=opportunity,
        user=rep.user,
        outcome="lost",
        close_code=lost_code,
        date_closed=datetime.date(2026, 2, 1),
    )
    first, second, closing = entries(opportunity)
    assert (first.active, first.days_open) == (False, 15)
    assert (second.active, second.days_open) == (False, 7)
    assert (closing.active, closing.days_open) == (True, 0)


def test_skip_to_the_stage_right_after_is_recorded_as_next(put_in, rep):
    opportunity = put_in("middle")
    assert _move(opportunity, rep.user, "skip", datetime.date(2026, 2, 1), stage=5).action_taken == "next"


def test_jump_to_the_stage_right_before_is_recorded_as_previous(put_in, rep):
    opportunity = put_in("middle")
    assert _move(opportunity, rep.user, "jump", datetime.date(2026, 2, 1), stage=2).action_taken == "previous"


def test_an_entry_records_the_contact_salesperson_user_note_and_previous_stage(put_in, rep, cycle):
    opportunity = put_in("first")
    entry = _move(opportunity, rep.user, "next", datetime.date(2026, 2, 1), note="Met the buyer")
    assert entry.contact == opportunity.contact
    assert entry.salesperson == rep
    assert entry.created_by == rep.user
    assert entry.note == "Met the buyer"
    assert entry.sales_cycle == cycle
    assert entry.previous_stage.stage == 1
    assert entry.date_closed is None


def test_the_opportunity_copies_the_active_entrys_figures_after_every_step(opportunity, rep, won_code):
    steps = [
        lambda: _activate(opportunity, rep.user, chances_of_success_pct=D("15")),
        lambda: services.quote_save(opportunity=opportunity, user=rep.user, lines=QUOTE_LINES),
        lambda: _move(opportunity, rep.user, "skip", datetime.date(2026, 1, 12), stage=3),
        lambda: _move(opportunity, rep.user, "next", datetime.date(2026, 1, 14)),
        lambda: _move(opportunity, rep.user, "jump", datetime.date(2026, 1, 15), stage=1),
        lambda: _move(opportunity, rep.user, "update", datetime.date(2026, 1, 16), estimated_value=D("777.77")),
        lambda: services.opportunity_close(
            opportunity=opportunity,
            user=rep.user,
            outcome="won",
            close_code=won_code,
            date_closed=datetime.date(2026, 1, 17),
        ),
    ]
    for step in steps:
        step()
        _assert_copy_matches_active_entry(opportunity)


# --- estimated value -------------------------------------------------------------------------


def test_a_move_takes_the_quote_total_as_estimated_value_when_none_is_given(put_in, rep):
    opportunity = put_in("first")
    services.quote_save(opportunity=opportunity, user=rep.user, lines=QUOTE_LINES)
    entry = _move(opportunity, rep.user, "next", datetime.date(2026, 2, 1))
    assert entry.estimated_value == QUOTE_TOTAL
    # multiply: 40 % chances × 30 % completed = 12 %
    assert entry.calculated_current_value == D("180.00")


def test_a_given_estimated_value_wins_over_the_quote_total(put_in, rep):
    opportunity = put_in("middle")
    entry = _move(opportunity, rep.user, "next", datetime.date(2026, 2, 1), estimated_value=D("2222.22"))
    assert entry.estimated_value == D("2222.22")


def test_without_quote_or_given_value_the_current_estimated_value_is_kept(put_in, rep):
    opportunity = put_in("first")
    assert _move(opportunity, rep.user, "next", datetime.date(2026, 2, 1)).estimated_value == D("1000.00")


# --- close -----------------------------------------------------------------------------------


def _win(opportunity, user, code, **values):
    return services.opportunity_close(
        opportunity=opportunity,
        user=user,
        outcome="won",
        close_code=code,
        date_closed=datetime.date(2026, 2, 1),
        **values,
    )


@pytest.mark.parametrize(
    ("status", "sales_amount", "expected"),
    [
        ("middle", D("2500"), D("2500.00")),  # given wins over the quote
        ("middle", None, QUOTE_TOTAL),  # else the quote total
        ("first", None, D("1000.00")),  # else the estimated value
    ],
    ids=["given", "quote total", "estimated value"],
)
def test_the_won_amount_is_the_given_amount_else_the_quote_total_else_the_estimate(
    status, sales_amount, expected, put_in, rep, won_code
):
    opportunity = put_in(status)
    entry = _win(opportunity, rep.user, won_code, sales_amount=sales_amount)
    assert entry.estimated_value == expected
    assert entry.calculated_current_value == expected
    assert (entry.completed_pct, entry.chances_of_success_pct, entry.probability_pct) == (100, 100, 100)
    opportunity.refresh_from_db()
    assert opportunity.calculated_current_value == expected
    assert opportunity.status == Opportunity.Status.WON


def test_lost_figures_are_zero_value_and_chances_with_the_estimate_kept(put_in, rep, lost_code):
    opportunity = put_in("middle")
    estimate = opportunity.estimated_value
    entry = services.opportunity_close(
        opportunity=opportunity,
        user=rep.user,
        outcome="lost",
        close_code=lost_code,
        date_closed=datetime.date(2026, 2, 1),
    )
    assert estimate == QUOTE_TOTAL
    assert entry.estimated_value == estimate
    assert entry.calculated_current_value == 0
    assert entry.completed_pct == 100
    assert entry.chances_of_success_pct == 0
    assert entry.probability_pct == 0
    _assert_copy_matches_active_entry(opportunity)


@pytest.mark.parametrize("outcome", ["won", "lost"])
def test_the_close_entry_stands_at_no_stage_and_names_the_stage_closed_at(outcome, put_in, rep, won_code, lost_code):
    opportunity = put_in("middle")
    closed_on = datetime.date(2026, 2, 1)
    code = won_code if outcome == "won" else lost_code
    entry = services.opportunity_close(
        opportunity=opportunity, user=rep.user, outcome=outcome, close_code=code, date_closed=closed_on
    )
    assert entry.action_taken == outcome
    assert entry.stage is None
    assert entry.previous_stage.stage == 3
    assert entry.active
    assert entry.date_closed == closed_on
    assert entry.close_code == code
    opportunity.refresh_from_db()
    assert opportunity.status == outcome
    assert opportunity.closed
    assert opportunity.date_closed == closed_on
    assert opportunity.close_code == code
    assert opportunity.current_stage is None
    assert opportunity.entries.filter(active=True).get() == entry


def test_closing_a_not_started_opportunity_writes_a_close_entry_without_previous_stage(opportunity, rep, lost_code):
    entry = services.opportunity_close(opportunity=opportunity, user=rep.user, outcome="lost", close_code=lost_code)
    assert entry.previous_stage is None
    assert entry.estimated_value == 0
    assert entry.date_closed == entry.date_of_change
    assert len(entries(opportunity)) == 1
