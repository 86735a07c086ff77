"""Date formulas in the syntax of Business Central (a subset, SPEC §2.5).

A formula is a list of terms joined by ``+`` or ``-`` (the first term may carry a sign too):

* ``<n>D``, ``<n>W``, ``<n>M``, ``<n>Q``, ``<n>Y``: n days, weeks, months, quarters, years;
* ``CD``, ``CW``, ``CM``, ``CQ``, ``CY``: the end of the current day, week (Sunday), month,
  quarter or year; with a minus sign (``-CM``) the beginning of it.

Terms are applied from left to right: ``CM+1M`` is the end of the current month plus one month.
Adding months to the last day of a month gives the last day of the target month, so that
``CM+1M`` means "end of next month" whatever the month lengths; otherwise a day that the target
month lacks is clamped to its last day (31 January + 1M = 28/29 February).

An empty formula means "the same day". Spaces are ignored and letters may be lower case.
"""

import calendar
import datetime
import re
from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

MAX_QUANTITY = 9999

# ASCII digits only: ``\d`` would also accept "٣D" or a full-width "１D" and store them as formulas.
_TERM = re.compile(r"([+-]?)(?:([0-9]+)([DWMQY])|C([DWMQY]))")


class DateFormulaError(ValueError):
    def __init__(self, message) -> None:
        self._message = message
        super().__init__(str(message))

    @property
    def message(self) -> str:
        return str(self._message)


SYNTAX_HELP = _(
    "Use terms such as 7D, 2W, 1M, 1Q, 1Y (days, weeks, months, quarters, years) or "
    "CD, CW, CM, CQ, CY (end of the current day, week, month, quarter, year), joined by + or -, "
    "for example 1M+10D or CM+1M."
)


@dataclass(frozen=True)
class Term:
    sign: int  # +1 or -1
    quantity: int | None  # None for a "current period" term
    unit: str  # D, W, M, Q or Y

    @property
    def is_current_period(self) -> bool:
        return self.quantity is None


def normalise(formula: str | None) -> str:
    return re.sub(r"\s+", "", formula or "").upper()


def parse(formula: str | None) -> tuple[Term, ...]:
    """Parse a formula into terms; raise ``DateFormulaError`` with the syntax on bad input."""
    text = normalise(formula)
    if not text:
        return ()
    terms: list[Term] = []
    position = 0
    while position < len(text):
        match = _TERM.match(text, position)
        if match is None or (terms and not match.group(1)):
            raise DateFormulaError(
                _("“%(formula)s” is not a valid date formula. %(help)s") % {"formula": formula, "help": SYNTAX_HELP}
            )
        sign = -1 if match.group(1) == "-" else 1
        if match.group(2) is not None:
            digits = match.group(2).lstrip("0") or "0"
            # Compare the length first: int() refuses strings of more than 4300 digits (ValueError).
            if len(digits) > len(str(MAX_QUANTITY)) or int(digits) > MAX_QUANTITY:
                raise DateFormulaError(
                    _("The number %(number)s in a date formula is too large (at most %(max)s). %(help)s")
                    % {
                        "number": digits if len(digits) <= 12 else f"{digits[:12]}…",
                        "max": MAX_QUANTITY,
                        "help": SYNTAX_HELP,
                    }
                )
            terms.append(Term(sign, int(digits), match.group(3)))
        else:
            terms.append(Term(sign, None, match.group(4)))
        position = match.end()
    return tuple(terms)


def _last_day(year: int, month: int) -> int:
    return calendar.monthrange(year, month)[1]


def add_months(day: datetime.date, months: int) -> datetime.date:
    """``day`` plus ``months`` months: a day the target month lacks is clamped to its last day, and the
    last day of a month stays the last day. The reports use it for their month arithmetic too."""
    index = day.year * 12 + (day.month - 1) + months
    year, month = divmod(index, 12)
    month += 1
    if not datetime.MINYEAR <= year <= datetime.MAXYEAR:
        raise OverflowError
    if day.day == _last_day(day.year, day.month):
        return datetime.date(year, month, _last_day(year, month))
    return datetime.date(year, month, min(day.day, _last_day(year, month)))


def _period_bound(day: datetime.date, unit: str, end: bool) -> datetime.date:
    if unit == "D":
        return day
    if unit == "W":  # weeks run Monday to Sunday, as in Business Central
        monday = day - datetime.timedelta(days=day.weekday())
        return monday + datetime.timedelta(days=6) if end else monday
    if unit == "M":
        return day.replace(day=_last_day(day.year, day.month)) if end else day.replace(day=1)
    if unit == "Q":
        first_month = 3 * ((day.month - 1) // 3) + 1
        if end:
            return datetime.date(day.year, first_month + 2, _last_day(day.year, first_month + 2))
        return datetime.date(day.year, first_month, 1)
    return datetime.date(day.year, 12, 31) if end else datetime.date(day.year, 1, 1)


def _apply(day: datetime.date, term: Term) -> datetime.date:
    if term.is_current_period:
        return _period_bound(day, term.unit, end=term.sign > 0)
    amount = term.sign * term.quantity
    if term.unit == "D":
        return day + datetime.timedelta(days=amount)
    if term.unit == "W":
        return day + datetime.timedelta(weeks=amount)
    months = {"M": 1, "Q": 3, "Y": 12}[term.unit] * amount
    return add_months(day, months)


def evaluate(formula: str | None, start: datetime.date) -> datetime.date:
    """The date ``start + formula``."""
    day = start
    try:
        for term in parse(formula):
            day = _apply(day, term)
    except OverflowError as exc:
        raise DateFormulaError(
            _("The date formula “%(formula)s” gives a date outside the supported range. %(help)s")
            % {"formula": formula, "help": SYNTAX_HELP}
        ) from exc
    return day
