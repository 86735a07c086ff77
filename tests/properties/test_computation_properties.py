"""Properties of the pure computations of the lifecycle (SPEC §3.3, §3.4; opportunities/services.py).

Probability % and calculated current value stay within their bounds, are kept to cents, and grow
with what they are computed from; the defaults of an update never overwrite an explicit value; the
close figures are those of SPEC §3.4.
"""

import datetime
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from common.dateformula import evaluate
from opportunities.services import (
    close_figures,
    compute_current_value,
    compute_probability,
    round_amount,
    stage_figures,
    update_values,
)
from salescycles.models import ProbabilityCalculation, SalesCycleStage
from tests.properties.settings import property_settings

D = Decimal
CENT = D("0.01")
METHODS = st.sampled_from(ProbabilityCalculation.values)
percents = st.decimals(min_value=0, max_value=100, places=2)
amounts = st.decimals(min_value=0, max_value=D("9999999999999999.99"), places=2)  # Decimal(18, 2)
raw_amounts = st.decimals(min_value=0, max_value=D("99999999"), places=6)  # before rounding to cents
dates = st.dates(min_value=datetime.date(2000, 1, 1), max_value=datetime.date(2100, 12, 31))
formulas = st.sampled_from(["", "7D", "2W", "1M", "CM", "CM+1M", "1Q", "1M+10D", "CY"])


def _is_cents(value: Decimal) -> bool:
    return value == value.quantize(CENT) and value.as_tuple().exponent == -2


@st.composite
def stages(draw):
    return SalesCycleStage(
        stage=draw(st.integers(min_value=1, max_value=999)),
        completed_pct=draw(percents),
        chances_of_success_pct=draw(percents),
        date_formula=draw(formulas),
    )


@property_settings(500)
@given(METHODS, percents, percents)
def test_probability_stays_within_0_and_100_and_is_kept_to_two_decimals(method, chances, completed):
    probability = compute_probability(method=method, chances_of_success_pct=chances, completed_pct=completed)
    assert 0 <= probability <= 100
    assert _is_cents(probability)


@property_settings(500)
@given(METHODS, percents, percents, percents)
def test_probability_never_falls_when_the_chances_or_the_completion_rise(method, chances, completed, other):
    def probability(ch, co):
        return compute_probability(method=method, chances_of_success_pct=ch, completed_pct=co)

    low, high = sorted([chances, other])
    assert probability(low, completed) <= probability(high, completed)
    assert probability(completed, low) <= probability(completed, high)


@property_settings(500)
@given(percents, percents)
def test_each_method_computes_its_formula_of_spec_3_3(chances, completed):
    def probability(method):
        return compute_probability(method=method, chances_of_success_pct=chances, completed_pct=completed)

    assert probability("multiply") == round_amount(chances * completed / 100)
    assert probability("multiply") <= min(chances, completed)
    assert min(chances, completed) <= probability("add") <= max(chances, completed)
    assert probability("chances_of_success") == chances
    assert probability("completed") == completed
    # At 100 % done, the multiply method gives the chances themselves.
    assert compute_probability(method="multiply", chances_of_success_pct=chances, completed_pct=D(100)) == chances


@property_settings(500)
@given(amounts, percents)
def test_the_current_value_is_the_weighted_value_rounded_half_up_to_cents(estimated_value, probability):
    current = compute_current_value(estimated_value=estimated_value, probability_pct=probability)
    exact = estimated_value * probability / 100
    assert _is_cents(current)
    assert abs(current - exact) <= D("0.005")
    assert 0 <= current <= estimated_value
    if probability == 100:
        assert current == estimated_value
    if probability == 0 or estimated_value == 0:
        assert current == 0


@property_settings(500)
@given(amounts, amounts, percents, percents)
def test_the_current_value_never_falls_when_the_value_or_the_probability_rise(value, other_value, p, other_p):
    low_v, high_v = sorted([value, other_value])
    low_p, high_p = sorted([p, other_p])
    assert compute_current_value(estimated_value=low_v, probability_pct=p) <= compute_current_value(
        estimated_value=high_v, probability_pct=p
    )
    assert compute_current_value(estimated_value=value, probability_pct=low_p) <= compute_current_value(
        estimated_value=value, probability_pct=high_p
    )


@property_settings(300)
@given(METHODS, raw_amounts, percents, stages(), dates)
def test_stage_figures_take_the_stage_completion_and_agree_with_each_other(method, value, chances, stage, day):
    figures = stage_figures(
        method=method, estimated_value=value, chances_of_success_pct=chances, stage=stage, estimated_close_date=day
    )
    assert figures.completed_pct == stage.completed_pct
    assert figures.estimated_value == round_amount(value) and _is_cents(figures.estimated_value)
    assert figures.probability_pct == compute_probability(
        method=method, chances_of_success_pct=chances, completed_pct=stage.completed_pct
    )
    assert figures.calculated_current_value == compute_current_value(
        estimated_value=value, probability_pct=figures.probability_pct
    )
    assert 0 <= figures.calculated_current_value <= figures.estimated_value + CENT
    assert figures.estimated_close_date == day


@st.composite
def update_inputs(draw):
    return {
        "target": draw(stages()),
        "moves": draw(st.booleans()),
        "date_of_change": draw(dates),
        "estimated_value": draw(st.none() | raw_amounts),
        "chances_of_success_pct": draw(st.none() | percents),
        "estimated_close_date": draw(st.none() | dates),
        "quote_total": draw(st.none() | amounts),
        "current_value": draw(amounts),
        "current_chances": draw(percents),
        "current_close_date": draw(st.none() | dates),
    }


@property_settings(500)
@given(update_inputs())
def test_an_update_keeps_every_explicit_value_and_otherwise_takes_the_defaults_of_spec_3_3(values):
    value, chances, close_date = update_values(**values)
    target, moves = values["target"], values["moves"]

    if values["estimated_value"] is not None:
        assert value == round_amount(values["estimated_value"])
    elif values["quote_total"] is not None:
        assert value == values["quote_total"]
    else:
        assert value == values["current_value"]

    if values["chances_of_success_pct"] is not None:
        assert chances == values["chances_of_success_pct"]  # never overwritten, not even on a move
    elif moves and target.chances_of_success_pct != 0:
        assert chances == target.chances_of_success_pct
    else:
        assert chances == values["current_chances"]

    if values["estimated_close_date"] is not None:
        assert close_date == values["estimated_close_date"]
    elif moves:
        assert close_date == evaluate(target.date_formula, values["date_of_change"])
        assert close_date >= values["date_of_change"]  # every formula offered here looks forward
    else:
        assert close_date == values["current_close_date"]


@property_settings(500)
@given(st.sampled_from(["won", "lost"]), dates, st.none() | raw_amounts, st.none() | amounts, amounts)
def test_close_figures_are_those_of_spec_3_4(outcome, day, sales_amount, quote_total, estimated_value):
    figures = close_figures(
        outcome=outcome,
        date_closed=day,
        sales_amount=sales_amount,
        quote_total=quote_total,
        estimated_value=estimated_value,
    )
    assert figures.completed_pct == 100
    assert figures.estimated_close_date == day
    if outcome == "won":
        expected = (
            sales_amount if sales_amount is not None else (quote_total if quote_total is not None else estimated_value)
        )
        assert figures.estimated_value == round_amount(expected) == figures.calculated_current_value
        assert figures.chances_of_success_pct == figures.probability_pct == 100
    else:
        assert figures.estimated_value == estimated_value
        assert figures.calculated_current_value == figures.chances_of_success_pct == figures.probability_pct == 0
