"""Template helpers shared by every page: amounts and percentages formatted for the active language."""

from decimal import Decimal, InvalidOperation

from django import template
from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.utils import numberformat
from django.utils.formats import get_format
from django.utils.translation import get_language

register = template.Library()

# (decimal separator, grouping, thousand separator) per language, read once: Django's
# ``number_format`` looks the three up for every number, a third of its cost. A report of 200
# salespeople formats 1,600 numbers.
_SEPARATORS: dict[str | None, tuple[str, object, str]] = {}


@receiver(setting_changed)
def _forget_separators(**kwargs):
    _SEPARATORS.clear()


def _separators() -> tuple[str, object, str]:
    language = get_language()
    found = _SEPARATORS.get(language)
    if found is None:
        found = _SEPARATORS[language] = (
            get_format("DECIMAL_SEPARATOR", language, use_l10n=True),
            get_format("NUMBER_GROUPING", language, use_l10n=True),
            get_format("THOUSAND_SEPARATOR", language, use_l10n=True),
        )
    return found


def number_format(number: Decimal, decimal_pos: int, *, force_grouping: bool = False) -> str:
    """Django's ``number_format(number, decimal_pos, use_l10n=True, force_grouping)`` for a Decimal,
    with the separators read once per language and groups of three written by Python's own
    ``,`` format. The same text (``tests/common/test_number_format.py`` compares them)."""
    decimal_sep, grouping, thousand_sep = _separators()
    grouped = (force_grouping or settings.USE_THOUSAND_SEPARATOR) and grouping != 0
    if grouped and grouping != 3:  # another grouping (a sequence): Django's own
        return numberformat.format(number, decimal_sep, decimal_pos, grouping, thousand_sep, force_grouping, True)
    if abs(number) < Decimal("0." + "1".rjust(decimal_pos, "0")):  # too small to show (Django's cut-off)
        number = Decimal(0)
    text = f"{number:f}"
    sign = ""
    if text[0] == "-":
        sign, text = "-", text[1:]
    int_part, _, dec_part = text.partition(".")
    dec_part = (dec_part[:decimal_pos] + "0" * decimal_pos)[:decimal_pos]  # cut, as Django does, not rounded
    if grouped:
        int_part = f"{int(int_part):,}".replace(",", thousand_sep)
    return sign + int_part + (decimal_sep + dec_part if dec_part else "")


def _decimal(value) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        return Decimal(value)
    except (InvalidOperation, TypeError, ValueError):
        return None


@register.filter
def money(value, currency: str | None = None) -> str:
    """``12345.5`` → ``12,345.50 EUR`` in English, ``12.345,50 EUR`` in German."""
    amount = _decimal(value)
    if amount is None:
        return ""
    formatted = number_format(amount, 2, force_grouping=True)
    return f"{formatted}\N{NO-BREAK SPACE}{currency or settings.CRM_CURRENCY}"


@register.filter
def amount(value) -> str:
    """An amount without the currency (table cells under a currency heading)."""
    number = _decimal(value)
    if number is None:
        return ""
    return number_format(number, 2, force_grouping=True)


@register.filter
def percent(value) -> str:
    """``12.5`` → ``12.5 %`` / ``12,5 %`` (trailing zeros dropped)."""
    number = _decimal(value)
    if number is None:
        return ""
    places = 0 if number == number.to_integral() else (1 if (number * 10) == (number * 10).to_integral() else 2)
    return f"{number_format(number, places)}\N{NO-BREAK SPACE}%"
