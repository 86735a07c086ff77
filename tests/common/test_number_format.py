"""``common.templatetags.crm.number_format``: Django's ``number_format`` text, faster."""

from decimal import Decimal

import pytest
from django.conf import settings
from django.utils import formats, translation

from common.templatetags.crm import amount, money, number_format, percent

VALUES = [
    "0",
    "-0",
    "0.004",
    "-0.004",
    "0.05",
    "-0.05",
    "0.5",
    "-0.5",
    "1",
    "12.5",
    "999.999",
    "1000",
    "-1000",
    "1234.5",
    "12345.675",
    "-98765.43",
    "100000",
    "1234567.89",
    "-1234567890.12",
    "99999999999999.99",
    "7E+3",
    "1.2345E-7",
]


@pytest.mark.parametrize("language", [code for code, _name in settings.LANGUAGES])
@pytest.mark.parametrize("places", [0, 1, 2])
@pytest.mark.parametrize("grouping", [True, False])
def test_the_same_text_as_djangos_number_format(language, places, grouping):
    with translation.override(language):
        for value in map(Decimal, VALUES):
            expected = formats.number_format(value, decimal_pos=places, use_l10n=True, force_grouping=grouping)
            assert number_format(value, places, force_grouping=grouping) == expected, (language, value)


def test_the_separators_follow_the_active_language():
    with translation.override("en"):
        assert money(Decimal("1234567.5")) == "1,234,567.50\N{NO-BREAK SPACE}EUR"
    with translation.override("de"):
        assert amount(Decimal("1234567.5")) == "1.234.567,50"
        assert percent(Decimal("12.5")) == "12,5\N{NO-BREAK SPACE}%"
    with translation.override("en"):
        assert percent(Decimal("12.5")) == "12.5\N{NO-BREAK SPACE}%"


def test_the_thousand_separator_setting_groups_the_numbers_not_forced_to(settings):
    value = Decimal("1234.5")
    with translation.override("en"):
        assert number_format(value, 1) == "1234.5"
        settings.USE_THOUSAND_SEPARATOR = True
        assert number_format(value, 1) == "1,234.5" == formats.number_format(value, decimal_pos=1, use_l10n=True)
