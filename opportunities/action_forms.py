"""Input forms of the opportunity actions (activate, update, close, delete) and of the quote editor.

They check shape and types only; every rule is the service's (``opportunities.services``), and an
empty optional field means "let the service propose the value" (SPEC §3.2–3.4).
"""

from django import forms
from django.core.validators import MaxValueValidator, MinValueValidator
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from common.validators import MAX_AMOUNT, MAX_QUANTITY
from opportunities.services import UpdateAction
from salescycles.models import CloseOpportunityCode

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def _amount_field(label, *, required: bool = False) -> forms.DecimalField:
    return forms.DecimalField(
        label=label,
        required=required,
        max_digits=18,
        decimal_places=2,
        min_value=0,
        max_value=MAX_AMOUNT,
        widget=forms.NumberInput(attrs={"step": "0.01", "min": "0", "inputmode": "decimal"}),
    )


def _percent_field(label) -> forms.DecimalField:
    return forms.DecimalField(
        label=label,
        required=False,
        max_digits=5,
        decimal_places=2,
        validators=[MinValueValidator(0), MaxValueValidator(100)],
        widget=forms.NumberInput(attrs={"step": "0.01", "min": "0", "max": "100", "inputmode": "decimal"}),
    )


class ActivateForm(forms.Form):
    date_of_change = forms.DateField(label=_("Date of change"), required=False, widget=DATE)
    estimated_value = _amount_field(_("Estimated sales value"))
    chances_of_success_pct = _percent_field(_("Chances of success %"))
    estimated_close_date = forms.DateField(label=_("Estimated closing date"), required=False, widget=DATE)
    note = forms.CharField(label=_("Note"), required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def service_values(self) -> dict:
        return dict(self.cleaned_data)


class UpdateForm(forms.Form):
    ACTION_CHOICES = [
        (UpdateAction.NEXT, _("Next stage")),
        (UpdateAction.PREVIOUS, _("Previous stage")),
        (UpdateAction.SKIP, _("Skip forward to a stage")),
        (UpdateAction.JUMP, _("Jump back to a stage")),
        (UpdateAction.UPDATE, _("Update figures (same stage)")),
    ]

    action = forms.ChoiceField(label=_("Action"), choices=ACTION_CHOICES)
    stage = forms.TypedChoiceField(
        label=_("Stage"),
        required=False,
        coerce=int,
        empty_value=None,
        help_text=_("Only for skip and jump."),
    )
    date_of_change = forms.DateField(label=_("Date of change"), required=False, widget=DATE)
    estimated_value = _amount_field(_("Estimated sales value"))
    chances_of_success_pct = _percent_field(_("Chances of success %"))
    estimated_close_date = forms.DateField(label=_("Estimated closing date"), required=False, widget=DATE)
    cancel_open_tasks = forms.BooleanField(label=_("Cancel open tasks"), required=False)
    note = forms.CharField(label=_("Note"), required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, stages=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["stage"].choices = [("", "—")] + [
            (stage.stage, f"{stage.stage}. {stage.description}") for stage in stages
        ]

    def service_values(self) -> dict:
        values = dict(self.cleaned_data)
        if values["action"] not in (UpdateAction.SKIP, UpdateAction.JUMP):
            # Next, previous and update name their target themselves.
            values["stage"] = None
        return values


class CloseForm(forms.Form):
    OUTCOME_CHOICES = CloseOpportunityCode.Type.choices

    outcome = forms.ChoiceField(label=_("Outcome"), choices=OUTCOME_CHOICES, widget=forms.HiddenInput)
    close_code = forms.ModelChoiceField(label=_("Close code"), queryset=CloseOpportunityCode.objects.none())
    date_closed = forms.DateField(label=_("Closing date"), required=False, widget=DATE)
    sales_amount = _amount_field(_("Sales amount"))
    cancel_open_tasks = forms.BooleanField(label=_("Cancel open tasks"), required=False, initial=True)
    note = forms.CharField(label=_("Note"), required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, outcome: str, **kwargs):
        super().__init__(*args, **kwargs)
        # Only the codes of the chosen outcome; the service checks the type again under lock.
        self.fields["close_code"].queryset = CloseOpportunityCode.objects.filter(type=outcome).order_by("code")
        self.fields["close_code"].empty_label = _("Choose a close code")
        if outcome == CloseOpportunityCode.Type.LOST:
            del self.fields["sales_amount"]

    def service_values(self) -> dict:
        return dict(self.cleaned_data)


class QuoteForm(forms.Form):
    quote_date = forms.DateField(label=_("Quote date"), required=False, widget=DATE)
    valid_until = forms.DateField(label=_("Valid until"), required=False, widget=DATE)

    def clean(self):
        cleaned = super().clean()
        if not cleaned.get("quote_date"):
            cleaned["quote_date"] = timezone.localdate()
        return cleaned


class QuoteLineForm(forms.Form):
    description = forms.CharField(label=_("Description"), max_length=100)
    quantity = forms.DecimalField(
        label=_("Quantity"),
        max_digits=18,
        decimal_places=4,
        min_value=0,
        max_value=MAX_QUANTITY,
        widget=forms.NumberInput(attrs={"step": "any", "min": "0", "inputmode": "decimal"}),
    )
    unit_price = _amount_field(_("Unit price"), required=True)
    discount_pct = _percent_field(_("Line discount %"))


class BaseQuoteLineFormSet(forms.BaseFormSet):
    def clean(self):
        super().clean()
        if any(self.errors):
            return
        if not self.lines():
            raise forms.ValidationError(_("Add at least one line."))

    def lines(self) -> list[dict]:
        return [
            {
                "description": form.cleaned_data["description"],
                "quantity": form.cleaned_data["quantity"],
                "unit_price": form.cleaned_data["unit_price"],
                "discount_pct": form.cleaned_data.get("discount_pct") or 0,
            }
            for form in self.forms
            if form.cleaned_data and not form.cleaned_data.get("DELETE")
        ]


QuoteLineFormSet = forms.formset_factory(
    QuoteLineForm, formset=BaseQuoteLineFormSet, extra=0, can_delete=True, min_num=0, max_num=200, validate_max=True
)
