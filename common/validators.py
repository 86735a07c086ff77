"""Field validators shared by the models (and so by forms, the admin and the API)."""

import re
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from common import dateformula

code_validator = RegexValidator(
    regex=r"^[A-Z0-9_-]+\Z",
    message=_("Use upper-case letters, digits, '-' and '_' only."),
    code="invalid_code",
)

percent_validators = [MinValueValidator(0), MaxValueValidator(100)]
non_negative_validators = [MinValueValidator(0)]

# The largest amount the product accepts (columns are Decimal(18, 2)). Thirteen digits before the
# decimal point keep every cent exact even on SQLite, which stores decimals as 64-bit floats.
MAX_AMOUNT = Decimal("9999999999999.99")
MAX_QUANTITY = Decimal("999999999.9999")
amount_validators = [MinValueValidator(0), MaxValueValidator(MAX_AMOUNT)]
quantity_validators = [MinValueValidator(0), MaxValueValidator(MAX_QUANTITY)]

_LETTER = re.compile(r"[^\W\d_]")


def validate_phone_no(value: str) -> None:
    if _LETTER.search(value or ""):
        raise ValidationError(_("A phone number must not contain letters."), code="invalid_phone")


def validate_date_formula(value: str) -> None:
    try:
        # Evaluated, not only parsed: "9999Y" is well-formed but gives no date from any day in use,
        # and would otherwise be refused only when an opportunity enters the stage.
        dateformula.evaluate(value, timezone.localdate())
    except dateformula.DateFormulaError as exc:
        raise ValidationError(exc.message, code="invalid_date_formula") from exc
