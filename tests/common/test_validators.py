"""Field validators shared by the models (SPEC §2): codes, phone numbers, percentages."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from common.validators import code_validator, validate_phone_no
from contacts.models import Salesperson
from salescycles.models import CloseOpportunityCode, SalesCycle, SalesCycleStage
from tests.factories import SalesCycleFactory

pytestmark = pytest.mark.django_db

D = Decimal


def field_errors(instance) -> dict[str, list[str]]:
    with pytest.raises(ValidationError) as caught:
        instance.full_clean()
    return caught.value.message_dict


def error_codes(instance, field: str) -> set[str]:
    with pytest.raises(ValidationError) as caught:
        instance.full_clean()
    return {error.code for error in caught.value.error_dict[field]}


# --- codes ------------------------------------------------------------------------------------


@pytest.mark.parametrize("code", ["NEW", "NEW-2", "B2B_LARGE", "X", "A" * 20, "2026"])
def test_a_code_of_upper_case_letters_digits_dash_and_underscore_is_accepted(code):
    SalesCycle(code=code, description="Cycle").full_clean()


@pytest.mark.parametrize("code", ["new", "New", "NEW CYCLE", "NEW.1", "NÜ", "NEW/2", "NEW\n", " NEW"])
def test_a_code_with_other_characters_is_refused(code):
    assert error_codes(SalesCycle(code=code, description="Cycle"), "code") == {"invalid_code"}


def test_a_code_longer_than_20_characters_is_refused():
    assert error_codes(SalesCycle(code="A" * 21, description="Cycle"), "code") == {"max_length"}


def test_an_empty_code_is_refused():
    assert "code" in field_errors(SalesCycle(code="", description="Cycle"))


def test_every_setup_code_uses_the_code_rules():
    assert "code" in field_errors(CloseOpportunityCode(code="won", description="Won", type="won"))
    assert "code" in field_errors(Salesperson(code="jd", name="Jane Doe"))


def test_the_code_validator_refuses_a_trailing_newline():
    with pytest.raises(ValidationError):
        code_validator("NEW\n")


# --- phone numbers ------------------------------------------------------------------------------


@pytest.mark.parametrize("phone", ["+49 30 1234567", "(030) 123-45-67", "0800/123 456", "+1.555.0100", ""])
def test_a_phone_number_without_letters_is_accepted(phone):
    Salesperson(code="JD", name="Jane Doe", phone=phone).full_clean()


@pytest.mark.parametrize("phone", ["0800-CALL-NOW", "12345 ext. 6", "+49 30 123 Ω", "n/a"])
def test_a_phone_number_with_letters_is_refused(phone):
    assert error_codes(Salesperson(code="JD", name="Jane Doe", phone=phone), "phone") == {"invalid_phone"}


def test_a_phone_number_longer_than_30_characters_is_refused():
    assert "phone" in field_errors(Salesperson(code="JD", name="Jane Doe", phone="1" * 31))


def test_the_phone_validator_accepts_digits_of_any_script_but_no_letters():
    validate_phone_no("٠١٢٣")
    with pytest.raises(ValidationError):
        validate_phone_no("0123 abc")


# --- percentages --------------------------------------------------------------------------------


def _stage(**values) -> SalesCycleStage:
    return SalesCycleStage(sales_cycle=SalesCycleFactory(), stage=1, description="Initial", **values)


@pytest.mark.parametrize("pct", [D("0"), D("0.01"), D("55.5"), D("100"), D("100.00")])
def test_a_percentage_from_0_to_100_is_accepted(pct):
    _stage(completed_pct=pct, chances_of_success_pct=pct).full_clean()


@pytest.mark.parametrize("pct", [D("-0.01"), D("-1"), D("100.01"), D("101")])
def test_a_percentage_outside_0_to_100_is_refused(pct):
    assert set(field_errors(_stage(completed_pct=pct, chances_of_success_pct=pct))) == {
        "completed_pct",
        "chances_of_success_pct",
    }


def test_a_percentage_with_more_than_two_decimals_is_refused():
    assert "completed_pct" in field_errors(_stage(completed_pct=D("10.125")))


def test_a_commission_above_100_percent_is_refused():
    assert "commission_pct" in field_errors(Salesperson(code="JD", name="Jane Doe", commission_pct=D("150")))
