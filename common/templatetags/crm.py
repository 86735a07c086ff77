"""Template helpers shared by every page: amounts and percentages formatted for the active language."""

from decimal import Decimal, InvalidOperation

from django import template
from django.conf import settings
from django.utils.formats import number_format

register = template.Library()


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
    formatted = number_format(amount, decimal_pos=2, use_l10n=True, force_grouping=True)
    return f"{formatted}\N{NO-BREAK SPACE}{currency or settings.CRM_CURRENCY}"


@register.filter
def amount(value) -> str:
    """An amount without the currency (table cells under a currency heading)."""
    number = _decimal(value)
    if number is None:
        return ""
    return number_format(number, decimal_pos=2, use_l10n=True, force_grouping=True)


@register.filter
def percent(value) -> str:
    """``12.5`` → ``12.5 %`` / ``12,5 %`` (trailing zeros dropped)."""
    number = _decimal(value)
    if number is None:
        return ""
    places = 0 if number == number.to_integral() else (1 if (number * 10) == (number * 10).to_integral() else 2)
    return f"{number_format(number, decimal_pos=places, use_l10n=True)}\N{NO-BREAK SPACE}%"
