"""Properties of the date formula parser and evaluator (SPEC §2.5, common/dateformula.py).

* Every formula built from valid terms (any case, any spacing) parses into exactly those terms and
  evaluates term by term, left to right.
* Each kind of term lands where its definition says (days and weeks exactly, months clamped to the
  month's length, current-period terms on the period's bound).
* Any text at all either parses or raises ``DateFormulaError`` with the syntax help; never another
  exception.
"""

import calendar
import datetime

from hypothesis import assume, given
from hypothesis import strategies as st

from common.dateformula import MAX_QUANTITY, SYNTAX_HELP, DateFormulaError, Term, evaluate, normalise, parse
from tests.properties.settings import property_settings

UNITS = "DWMQY"
MONTHS_PER_UNIT = {"M": 1, "Q": 3, "Y": 12}

terms = st.builds(
    Term,
    sign=st.sampled_from([1, -1]),
    quantity=st.one_of(st.none(), st.integers(min_value=0, max_value=MAX_QUANTITY)),
    unit=st.sampled_from(UNITS),
)
# Ordinary business dates, and now and then one near the ends of the calendar.
dates = st.one_of(
    st.dates(min_value=datetime.date(1900, 1, 1), max_value=datetime.date(2200, 12, 31)),
    st.dates(),
)
spaces = st.text(alphabet=" \t\n", max_size=2)


def _text(term: Term, *, first: bool, plus: bool, upper: bool, pad: str) -> str:
    sign = "-" if term.sign < 0 else ("+" if (plus or not first) else "")
    body = f"C{term.unit}" if term.quantity is None else f"{term.quantity}{term.unit}"
    body = body if upper else body.lower()
    return f"{pad}{sign}{pad}{body}{pad}"


@st.composite
def formulas(draw):
    """(text, terms): a valid formula written in any case, with spaces, an optional leading '+'."""
    chosen = draw(st.lists(terms, min_size=1, max_size=5))
    parts = [
        _text(term, first=index == 0, plus=draw(st.booleans()), upper=draw(st.booleans()), pad=draw(spaces))
        for index, term in enumerate(chosen)
    ]
    return "".join(parts), tuple(chosen)


def _single(term: Term) -> str:
    return _text(term, first=False, plus=True, upper=True, pad="")


def _last_day(year: int, month: int) -> int:
    return calendar.monthrange(year, month)[1]


@property_settings(300)
@given(formulas())
def test_a_valid_formula_parses_into_its_terms(formula):
    text, expected = formula
    assert parse(text) == expected
    assert parse(normalise(text)) == expected


@property_settings(300)
@given(formulas())
def test_the_canonical_text_of_parsed_terms_parses_back_to_the_same_terms(formula):
    text, _ = formula
    canonical = "".join(_single(term) for term in parse(text))
    assert parse(canonical) == parse(text)
    assert normalise(canonical) == canonical


@property_settings(300)
@given(formulas(), dates)
def test_a_formula_evaluates_term_by_term_from_left_to_right(formula, start):
    text, chosen = formula
    expected, out_of_range = start, False
    for term in chosen:
        try:
            expected = evaluate(_single(term), expected)
        except DateFormulaError:
            out_of_range = True
            break
    if out_of_range:
        try:
            evaluate(text, start)
        except DateFormulaError as exc:
            assert str(SYNTAX_HELP) in exc.message
        else:
            raise AssertionError(f"{text!r} from {start} should leave the supported range")
    else:
        assert evaluate(text, start) == expected


@property_settings(300)
@given(st.integers(min_value=0, max_value=MAX_QUANTITY), st.sampled_from("DW"), st.sampled_from([1, -1]), dates)
def test_days_and_weeks_move_by_exactly_that_many_days(quantity, unit, sign, start):
    days = quantity * (7 if unit == "W" else 1) * sign
    try:
        expected = start + datetime.timedelta(days=days)
    except OverflowError:
        expected = None
    formula = f"{'-' if sign < 0 else ''}{quantity}{unit}"
    if expected is None:
        try:
            evaluate(formula, start)
        except DateFormulaError:
            return
        raise AssertionError(f"{formula} from {start} should leave the supported range")
    assert evaluate(formula, start) == expected


@property_settings(300)
@given(st.integers(min_value=0, max_value=400), st.sampled_from("MQY"), st.sampled_from([1, -1]), dates)
def test_months_quarters_and_years_keep_the_day_clamped_to_the_target_month(quantity, unit, sign, start):
    months = quantity * MONTHS_PER_UNIT[unit] * sign
    index = start.year * 12 + start.month - 1 + months
    year, month = divmod(index, 12)
    assume(datetime.MINYEAR <= year <= datetime.MAXYEAR)
    result = evaluate(f"{'-' if sign < 0 else ''}{quantity}{unit}", start)

    assert (result.year, result.month) == (year, month + 1)
    last = _last_day(year, month + 1)
    if start.day == _last_day(start.year, start.month):
        assert result.day == last  # the last day of a month stays the last day
    else:
        assert result.day == min(start.day, last)


@property_settings(300)
@given(st.sampled_from(UNITS), dates)
def test_a_current_period_term_gives_the_bounds_of_the_period_that_holds_the_date(unit, start):
    end, beginning = evaluate(f"C{unit}", start), evaluate(f"-C{unit}", start)
    assert beginning <= start <= end
    if unit == "D":
        assert beginning == start == end
    elif unit == "W":
        assert (beginning.weekday(), end.weekday()) == (0, 6)
        assert (end - beginning).days == 6
    else:
        months = MONTHS_PER_UNIT[unit]
        assert beginning.day == 1 and (beginning.month - 1) % months == 0
        assert end.day == _last_day(end.year, end.month) and end.month % months == 0
        assert (end.year * 12 + end.month) - (beginning.year * 12 + beginning.month) == months - 1
    # Applying the bound again stays on it.
    assert evaluate(f"C{unit}", end) == end
    assert evaluate(f"-C{unit}", beginning) == beginning


@property_settings(500)
@given(st.one_of(st.text(), st.text(alphabet="0123456789DWMQYCdwmqyc+- \t.,xX١１", max_size=20)), dates)
def test_any_text_either_parses_or_is_refused_with_the_syntax_help(text, start):
    try:
        parsed = parse(text)
    except DateFormulaError as exc:
        assert str(SYNTAX_HELP) in exc.message
        return
    assert all(isinstance(term, Term) for term in parsed)
    try:
        result = evaluate(text, start)
    except DateFormulaError as exc:
        assert "range" in exc.message  # the only refusal left for a parsed formula
    else:
        assert isinstance(result, datetime.date)
