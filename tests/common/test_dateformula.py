"""Date formulas (SPEC §2.5): BC's syntax, evaluated from a start date."""

import datetime

import pytest
from django.core.exceptions import ValidationError

from common.dateformula import SYNTAX_HELP, DateFormulaError, Term, evaluate, parse
from salescycles.models import SalesCycleStage
from tests.factories import ActivityStepFactory, SalesCycleFactory

date = datetime.date
THURSDAY = date(2026, 1, 15)  # a Thursday in the first quarter


@pytest.mark.parametrize(
    ("formula", "expected"),
    [
        ("7D", date(2026, 1, 22)),
        ("2W", date(2026, 1, 29)),
        ("1M", date(2026, 2, 15)),
        ("1Q", date(2026, 4, 15)),
        ("1Y", date(2027, 1, 15)),
        ("0D", THURSDAY),
        ("9999D", date(2053, 6, 1)),
        ("-7D", date(2026, 1, 8)),
        ("-1W", date(2026, 1, 8)),
        ("-1M", date(2025, 12, 15)),
        ("-1Q", date(2025, 10, 15)),
        ("-1Y", date(2025, 1, 15)),
        ("+1D", date(2026, 1, 16)),
    ],
)
def test_a_quantity_term_moves_by_that_many_days_weeks_months_quarters_or_years(formula, expected):
    assert evaluate(formula, THURSDAY) == expected


@pytest.mark.parametrize(
    ("formula", "expected"),
    [
        ("CD", THURSDAY),
        ("CW", date(2026, 1, 18)),  # Sunday
        ("CM", date(2026, 1, 31)),
        ("CQ", date(2026, 3, 31)),
        ("CY", date(2026, 12, 31)),
        ("-CD", THURSDAY),
        ("-CW", date(2026, 1, 12)),  # Monday
        ("-CM", date(2026, 1, 1)),
        ("-CQ", date(2026, 1, 1)),
        ("-CY", date(2026, 1, 1)),
    ],
)
def test_a_current_period_term_gives_the_end_of_the_period_and_with_a_minus_its_beginning(formula, expected):
    assert evaluate(formula, THURSDAY) == expected


@pytest.mark.parametrize(
    ("start", "formula", "expected"),
    [
        (date(2026, 5, 20), "CQ", date(2026, 6, 30)),
        (date(2026, 5, 20), "-CQ", date(2026, 4, 1)),
        (date(2026, 11, 3), "CQ", date(2026, 12, 31)),
        (date(2026, 11, 3), "-CQ", date(2026, 10, 1)),
        (date(2026, 1, 18), "CW", date(2026, 1, 18)),  # a Sunday is the end of its own week
        (date(2026, 1, 12), "-CW", date(2026, 1, 12)),  # a Monday is the beginning of its own week
        (date(2026, 12, 31), "CW", date(2027, 1, 3)),  # a week runs across the turn of the year
        (date(2028, 2, 10), "CM", date(2028, 2, 29)),  # leap year
        (date(2026, 2, 10), "CM", date(2026, 2, 28)),
    ],
)
def test_current_period_terms_respect_quarters_weeks_and_month_lengths(start, formula, expected):
    assert evaluate(formula, start) == expected


@pytest.mark.parametrize(
    ("start", "formula", "expected"),
    [
        (date(2026, 1, 15), "1M+10D", date(2026, 2, 25)),
        (date(2026, 1, 15), "CM+1M", date(2026, 2, 28)),  # end of next month
        (date(2026, 2, 10), "CM+1M", date(2026, 3, 31)),  # end of next month, even from a short month
        (date(2026, 3, 15), "CM-1M", date(2026, 2, 28)),
        (date(2026, 1, 15), "-CM+1M", date(2026, 2, 1)),
        (date(2026, 1, 15), "-1D-1D", date(2026, 1, 13)),
        (date(2026, 1, 15), "1Y-CY", date(2027, 1, 1)),
        (date(2026, 1, 15), "CW+1D", date(2026, 1, 19)),
    ],
)
def test_terms_are_applied_from_left_to_right(start, formula, expected):
    assert evaluate(formula, start) == expected


@pytest.mark.parametrize(
    ("start", "formula", "expected"),
    [
        (date(2026, 1, 31), "1M", date(2026, 2, 28)),
        (date(2026, 1, 30), "1M", date(2026, 2, 28)),
        (date(2026, 3, 31), "-1M", date(2026, 2, 28)),
        (date(2026, 8, 31), "1Q", date(2026, 11, 30)),
        (date(2028, 1, 31), "1M", date(2028, 2, 29)),
        (date(2028, 2, 29), "1Y", date(2029, 2, 28)),
        (date(2028, 2, 29), "-4Y", date(2024, 2, 29)),
        # The last day of a month stays the last day of the target month ("CM+1M" = end of next month).
        (date(2026, 2, 28), "1M", date(2026, 3, 31)),
        (date(2026, 4, 30), "1M", date(2026, 5, 31)),
    ],
)
def test_adding_months_clamps_to_the_last_day_of_the_target_month(start, formula, expected):
    assert evaluate(formula, start) == expected


@pytest.mark.parametrize("formula", ["1m+10d", " 1M + 10D ", "1 m+1 0 d", "\t1M\n+10D"])
def test_lower_case_and_spaces_are_accepted(formula):
    assert evaluate(formula, THURSDAY) == date(2026, 2, 25)


@pytest.mark.parametrize("formula", ["", None, "   "])
def test_an_empty_formula_means_the_same_day(formula):
    assert parse(formula) == ()
    assert evaluate(formula, THURSDAY) == THURSDAY


def test_parse_returns_the_terms_with_their_signs():
    assert parse("-cm+2w-1q") == (Term(-1, None, "M"), Term(1, 2, "W"), Term(-1, 1, "Q"))
    assert parse("CM")[0].is_current_period
    assert not parse("1M")[0].is_current_period


@pytest.mark.parametrize(
    "formula",
    [
        "7",
        "D7",
        "D",
        "1X",
        "CX",
        "C",
        "C1D",
        "1D+",
        "++1D",
        "+-1D",
        "+",
        "-",
        "1D 2D",  # becomes "1D2D" once the spaces are gone: two terms without a sign between them
        "1DD",
        "1.5D",
        "1,5D",
        "1D,2D",
        "1D*2",
        "10D)",
        "١D",  # Arabic-Indic digit
        "１D",  # full-width digit
    ],
)
def test_bad_syntax_is_refused_with_the_syntax_help(formula):
    with pytest.raises(DateFormulaError) as caught:
        evaluate(formula, THURSDAY)
    assert str(SYNTAX_HELP) in caught.value.message
    assert formula in caught.value.message
    assert str(caught.value) == caught.value.message


def test_a_quantity_above_9999_is_refused_with_the_syntax_help():
    with pytest.raises(DateFormulaError) as caught:
        parse("99999D")
    assert "99999" in caught.value.message
    assert str(SYNTAX_HELP) in caught.value.message


@pytest.mark.parametrize(
    ("start", "formula"),
    [
        (date(9999, 12, 31), "1D"),
        (date(9999, 12, 31), "CD+1D"),
        (date(9999, 6, 1), "1Y"),
        (date(9999, 12, 1), "1M"),
        (date(9999, 12, 27), "1W"),
        (date(2026, 1, 15), "9999Y"),
        (date(2026, 1, 15), "-9999Y"),
        (date(1, 1, 1), "-1D"),
        (date(1, 1, 15), "-1M"),
    ],
)
def test_a_date_beyond_the_supported_range_is_refused_with_the_syntax_help(start, formula):
    with pytest.raises(DateFormulaError) as caught:
        evaluate(formula, start)
    assert str(SYNTAX_HELP) in caught.value.message
    assert "range" in caught.value.message


def test_date_formula_error_is_a_value_error():
    assert issubclass(DateFormulaError, ValueError)


# --- the model fields ---------------------------------------------------------------------------


def _stage(**values) -> SalesCycleStage:
    return SalesCycleStage(sales_cycle=SalesCycleFactory(), stage=1, description="Initial", **values)


@pytest.mark.django_db
@pytest.mark.parametrize("formula", ["1X", "7", "1D 2D", "99999D", "9999Y"])
def test_a_stage_with_a_bad_date_formula_is_refused_with_a_field_error(formula):
    stage = _stage(date_formula=formula)
    with pytest.raises(ValidationError) as caught:
        stage.full_clean()
    assert set(caught.value.message_dict) == {"date_formula"}
    assert str(SYNTAX_HELP) in caught.value.message_dict["date_formula"][0]
    assert caught.value.error_dict["date_formula"][0].code == "invalid_date_formula"
    assert not SalesCycleStage.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize("formula", ["", "7D", "cm+1m", "1M + 10D", "-CW"])
def test_a_stage_with_a_good_date_formula_passes_validation(formula):
    _stage(date_formula=formula).full_clean()


@pytest.mark.django_db
def test_an_activity_step_with_a_bad_date_formula_is_refused_with_a_field_error():
    step = ActivityStepFactory.build(activity=ActivityStepFactory().activity, step_no=9, date_formula="2X")
    with pytest.raises(ValidationError) as caught:
        step.full_clean()
    assert set(caught.value.message_dict) == {"date_formula"}
