"""Forms of the browser UI for creating and editing an opportunity.

They check shapes and types only; every rule (who may assign whom, blocked cycles, what may
change once started) is the services' business, and the views show their refusals.
"""

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from common.errors import DomainError
from contacts.models import Contact, Salesperson
from opportunities.models import Opportunity
from salescycles.models import Priority, SalesCycle

AMOUNT_FIELD = {"max_digits": 18, "decimal_places": 2, "min_value": 0}
PERCENT_FIELD = {"max_digits": 5, "decimal_places": 2, "min_value": 0, "max_value": 100}


class ContactNoField(forms.ModelChoiceField):
    """A contact typed by its number (a select of a million contacts would not do).

    The input offers matching contacts through a datalist that htmx fills as the user types.
    """

    widget = forms.TextInput
    default_error_messages = {
        "invalid_choice": _("There is no contact with this number."),
    }


class OpportunityForm(forms.Form):
    description = forms.CharField(label=_("Description"), max_length=100)
    contact = ContactNoField(
        label=_("Contact"),
        queryset=Contact.objects.all(),
        to_field_name="no",
        help_text=_("Type a contact's number or the beginning of its name and pick it from the list."),
    )
    salesperson = forms.ModelChoiceField(
        label=_("Salesperson"), queryset=Salesperson.objects.none(), to_field_name="code", empty_label=None
    )
    sales_cycle = forms.ModelChoiceField(
        label=_("Sales cycle"), queryset=SalesCycle.objects.none(), to_field_name="code", empty_label=None
    )
    priority = forms.ChoiceField(label=_("Priority"), choices=Priority.choices, initial=Priority.NORMAL)

    def __init__(self, *args, opportunity: Opportunity | None = None, contact_options_url: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        self.opportunity = opportunity
        # Blocked salespeople and cycles cannot be chosen, but an opportunity keeps the ones it has.
        keep_salesperson = Q(pk=opportunity.salesperson_id) if opportunity else Q(pk__in=[])
        keep_cycle = Q(pk=opportunity.sales_cycle_id) if opportunity else Q(pk__in=[])
        self.fields["salesperson"].queryset = Salesperson.objects.filter(Q(blocked=False) | keep_salesperson).order_by(
            "name"
        )
        self.fields["sales_cycle"].queryset = SalesCycle.objects.filter(Q(blocked=False) | keep_cycle).order_by("code")
        if opportunity is not None and opportunity.is_started:
            self.fields["sales_cycle"].help_text = _(
                "The sales cycle can only be changed before the opportunity is started."
            )
        attrs = {"list": "contact-options", "autocomplete": "off", "spellcheck": "false"}
        if contact_options_url:
            attrs.update(
                {
                    "hx-get": contact_options_url,
                    "hx-trigger": "input changed delay:300ms",
                    "hx-target": "#contact-options",
                    "hx-swap": "innerHTML",
                }
            )
        self.fields["contact"].widget.attrs.update(attrs)

    def add_service_error(self, exc: Exception) -> None:
        """Show a service's refusal on the form: field problems next to their field, the rest on top."""
        if isinstance(exc, DomainError):
            self.add_error(None, exc.message)
            return
        if isinstance(exc, ValidationError) and hasattr(exc, "error_dict"):
            for field, errors in exc.error_dict.items():
                self.add_error(field if field in self.fields else None, errors)
            return
        self.add_error(None, exc)


class FirstStageFields(forms.Form):
    """Activating the first stage at once, with its estimates: the fields of the create form and
    of qualifying a lead (both end in ``opportunity_create(activate_first_stage=...)``)."""

    activate_first_stage = forms.BooleanField(
        label=_("Activate first stage"),
        required=False,
        help_text=_("Start the opportunity at the first stage of its sales cycle right away."),
    )
    estimated_value = forms.DecimalField(label=_("Estimated sales value"), required=False, **AMOUNT_FIELD)
    chances_of_success_pct = forms.DecimalField(
        label=_("Chances of success %"),
        required=False,
        help_text=_("Empty: the default of the first stage."),
        **PERCENT_FIELD,
    )
    estimated_close_date = forms.DateField(
        label=_("Estimated closing date"),
        required=False,
        help_text=_("Empty: proposed from the first stage's date formula."),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )


class OpportunityCreateForm(FirstStageFields, OpportunityForm):
    ESTIMATE_FIELDS = ("estimated_value", "chances_of_success_pct", "estimated_close_date")

    def service_values(self) -> dict:
        data = self.cleaned_data
        values = {
            "description": data["description"],
            "contact": data["contact"],
            "salesperson": data["salesperson"],
            "sales_cycle": data["sales_cycle"],
            "priority": data["priority"],
            "activate_first_stage": data["activate_first_stage"],
        }
        if data["activate_first_stage"]:
            values.update({name: data.get(name) for name in self.ESTIMATE_FIELDS})
        return values


class OpportunityEditForm(OpportunityForm):
    def service_values(self) -> dict:
        data = self.cleaned_data
        return {name: data[name] for name in ("description", "contact", "salesperson", "sales_cycle", "priority")}
