from decimal import Decimal

import pytest
from django.utils import translation

from common.templatetags.crm import amount, money, percent


@pytest.mark.parametrize(
    "language, expected",
    [
        ("en", "12,345.50\xa0EUR"),
        ("de", "12.345,50\xa0EUR"),
        ("nl", "12.345,50\xa0EUR"),
        ("fi", "12\xa0345,50\xa0EUR"),
        ("es", "12\xa0345,50\xa0EUR"),
    ],
)
def test_money_is_formatted_for_the_active_language(language, expected):
    with translation.override(language):
        assert money(Decimal("12345.5")) == expected


def test_money_and_amount_of_nothing_are_empty():
    assert money(None) == "" and amount("") == "" and percent("abc") == ""


@pytest.mark.parametrize("value, expected", [("12.50", "12.5\xa0%"), ("8.75", "8.75\xa0%"), ("100.00", "100\xa0%")])
def test_percent_drops_trailing_zeros(value, expected):
    with translation.override("en"):
        assert percent(Decimal(value)) == expected
