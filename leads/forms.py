"""Forms of the lead pages: they check shapes only; the rules live in ``leads.services``."""

from django import forms
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db.models import Q
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from common.errors import DomainError
from contacts.models import Contact, Salesperson
from leads.imports import FIELD_LABELS, MAX_FILE_BYTES
from leads.models import Lead
from leads.services import LEAD_FIELDS, MAX_MESSAGE_LENGTH, MAX_REASON_LENGTH
from opportunities.forms import ContactNoField, FirstStageFields
from salescycles.models import SalesCycle


def add_service_errors(form: forms.Form, exc: Exception, *, field_names: dict[str, str] | None = None) -> None:
    """A service's refusal on the form: field problems at their field (renamed by ``field_names``
    where the service names them differently), everything else on top."""
    field_names = field_names or {}
    if isinstance(exc, DomainError):
        form.add_error(None, exc.message)
        return
    if isinstance(exc, ValidationError) and hasattr(exc, "error_dict"):
        for name, messages in exc.message_dict.items():
            target = field_names.get(name, name)
            form.add_error(target if target in form.fields and target != NON_FIELD_ERRORS else None, messages)
        return
    form.add_error(None, exc.messages if isinstance(exc, ValidationError) else str(exc))


# --- the public enquiry form -----------------------------------------------------------------


class EnquiryForm(forms.Form):
    """What a visitor of the website tells us. ``website`` is the honeypot: people never see it."""

    company_name = forms.CharField(label=_("Company"), required=False, max_length=100)
    first_name = forms.CharField(label=_("First name"), required=False, max_length=30)
    surname = forms.CharField(label=_("Surname"), required=False, max_length=30)
    email = forms.EmailField(
        label=_("Email"),
        required=False,
        max_length=100,
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
    phone = forms.CharField(
        label=_("Phone no."), required=False, max_length=30, widget=forms.TextInput(attrs={"autocomplete": "tel"})
    )
    country = forms.CharField(
        label=_("Country/region code"),
        required=False,
        max_length=2,
        help_text=_("Two letters, such as DE, NL or ES."),
        widget=forms.TextInput(attrs={"size": 3, "autocomplete": "country"}),
    )
    message = forms.CharField(
        label=_("Message"), required=False, max_length=MAX_MESSAGE_LENGTH, widget=forms.Textarea(attrs={"rows": 6})
    )
    # Hidden with CSS and skipped by the keyboard; a bot that fills every field fills this one too.
    website = forms.CharField(
        label=_("Leave this field empty"),
        required=False,
        max_length=200,
        widget=forms.TextInput(attrs={"tabindex": "-1", "autocomplete": "off"}),
    )

    FIELDS = ("company_name", "first_name", "surname", "email", "phone", "country", "message")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["first_name"].widget.attrs["autocomplete"] = "given-name"
        self.fields["surname"].widget.attrs["autocomplete"] = "family-name"
        self.fields["company_name"].widget.attrs["autocomplete"] = "organization"

    @property
    def is_spam(self) -> bool:
        return bool((self.data.get("website") or "").strip())

    def lead_fields(self) -> dict:
        return {name: self.cleaned_data[name] for name in self.FIELDS}


# --- inbox -----------------------------------------------------------------------------------

ASSIGNED_ME = "me"
ASSIGNED_NONE = "unassigned"


class LeadFilterForm(forms.Form):
    q = forms.CharField(label=_("Search"), required=False, max_length=100)
    status = forms.ChoiceField(
        label=_("Status"), required=False, choices=[("", _("All statuses")), *Lead.Status.choices]
    )
    source = forms.ChoiceField(
        label=_("Source"), required=False, choices=[("", _("All sources")), *Lead.Source.choices]
    )
    assigned = forms.ChoiceField(label=_("Assigned to"), required=False)
    created_from = forms.DateField(
        label=_("Created from"), required=False, widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    created_to = forms.DateField(
        label=_("Created to"), required=False, widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )

    def __init__(self, *args, salespeople=(), **kwargs):
        super().__init__(*args, **kwargs)
        choices = [("", _("Anybody")), (ASSIGNED_ME, _("Me")), (ASSIGNED_NONE, _("Nobody"))]
        choices += [(salesperson.code, salesperson.name) for salesperson in salespeople]
        self.fields["assigned"].choices = choices

    def filter(self, queryset, *, own: Salesperson | None):
        data = self.cleaned_data
        search = (data.get("q") or "").strip()
        if search:
            queryset = queryset.filter(
                Q(no__iexact=search)
                | Q(company_name__icontains=search)
                | Q(first_name__icontains=search)
                | Q(surname__icontains=search)
                | Q(email__icontains=search)
            )
        if data.get("status"):
            queryset = queryset.filter(status=data["status"])
        if data.get("source"):
            queryset = queryset.filter(source=data["source"])
        assigned = data.get("assigned")
        if assigned == ASSIGNED_ME:
            queryset = queryset.filter(salesperson=own) if own is not None else queryset.none()
        elif assigned == ASSIGNED_NONE:
            queryset = queryset.filter(salesperson__isnull=True)
        elif assigned:
            queryset = queryset.filter(salesperson__code=assigned)
        if data.get("created_from"):
            queryset = queryset.filter(created_at__date__gte=data["created_from"])
        if data.get("created_to"):
            queryset = queryset.filter(created_at__date__lte=data["created_to"])
        return queryset


def _salesperson_field(*, required: bool, empty_label=None) -> forms.ModelChoiceField:
    return forms.ModelChoiceField(
        label=_("Salesperson"),
        queryset=Salesperson.objects.none(),
        to_field_name="code",
        required=required,
        empty_label=empty_label,
    )


def assignable_salespeople(*, manager: bool, own: Salesperson | None):
    """Managers assign any salesperson who is not blocked; a rep only themselves."""
    if manager:
        return Salesperson.objects.filter(blocked=False).order_by("name")
    if own is not None:
        return Salesperson.objects.filter(pk=own.pk)
    return Salesperson.objects.none()


class BulkForm(forms.Form):
    ASSIGN = "assign"
    DISQUALIFY = "disqualify"

    leads = forms.MultipleChoiceField(label=_("Leads"), required=True, error_messages={"required": _("Select leads.")})
    action = forms.ChoiceField(
        label=_("Action"), choices=[(ASSIGN, _("Assign to salesperson")), (DISQUALIFY, _("Disqualify"))]
    )
    salesperson = _salesperson_field(required=False, empty_label=_("(choose)"))
    reason = forms.CharField(label=_("Reason for disqualifying"), required=False, max_length=MAX_REASON_LENGTH)

    def __init__(self, *args, salespeople, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["salesperson"].queryset = salespeople
        # The numbers are checked against what the user may see when the leads are fetched.
        self.fields["leads"].choices = [(no, no) for no in self.data.getlist("leads")] if self.is_bound else []

    def clean(self):
        data = super().clean()
        if data.get("action") == self.ASSIGN and not data.get("salesperson"):
            self.add_error("salesperson", _("Choose the salesperson to assign the leads to."))
        return data


class AssignForm(forms.Form):
    salesperson = _salesperson_field(required=False, empty_label=_("(nobody)"))

    def __init__(self, *args, salespeople, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["salesperson"].queryset = salespeople


class DisqualifyForm(forms.Form):
    # The service says why an empty reason is refused, in the same words as the API.
    reason = forms.CharField(
        label=_("Reason for disqualifying"),
        required=False,
        max_length=MAX_REASON_LENGTH,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


# --- qualify ---------------------------------------------------------------------------------

NEW = "new"
EXISTING = "existing"
NONE = "none"


def _match_label(match) -> str:
    contact = match.contact
    parts = [f"{contact.name} ({contact.no})"]
    if not contact.is_company and contact.company is not None:
        parts.append(contact.company.name)
    parts += [value for value in (contact.city, contact.email) if value]
    parts.append(gettext("%(score)d %% match") % {"score": match.score})
    return " · ".join(parts)


class QualifyForm(FirstStageFields):
    """Company and person: a likely duplicate (by number), another existing contact, a new one or
    none; then the opportunity. ``lead_qualify`` decides whether the combination is allowed."""

    company_choice = forms.ChoiceField(label=_("Company"), widget=forms.RadioSelect)
    company_no = ContactNoField(
        label=_("Existing company no."),
        required=False,
        queryset=Contact.objects.filter(type=Contact.Type.COMPANY),
        to_field_name="no",
        help_text=_("Type a company's number or the beginning of its name and pick it from the list."),
    )
    company_name = forms.CharField(label=_("Name"), required=False, max_length=100)
    company_email = forms.CharField(label=_("Email"), required=False, max_length=100, widget=forms.EmailInput)
    company_phone = forms.CharField(label=_("Phone no."), required=False, max_length=30)
    company_country = forms.CharField(label=_("Country/region code"), required=False, max_length=2)

    person_choice = forms.ChoiceField(label=_("Person"), widget=forms.RadioSelect)
    person_no = ContactNoField(
        label=_("Existing person no."),
        required=False,
        queryset=Contact.objects.filter(type=Contact.Type.PERSON),
        to_field_name="no",
        help_text=_("Type a person's number or the beginning of their name and pick it from the list."),
    )
    person_first_name = forms.CharField(label=_("First name"), required=False, max_length=30)
    person_surname = forms.CharField(label=_("Surname"), required=False, max_length=30)
    person_job_title = forms.CharField(label=_("Job title"), required=False, max_length=100)
    person_email = forms.CharField(label=_("Email"), required=False, max_length=100, widget=forms.EmailInput)
    person_phone = forms.CharField(label=_("Phone no."), required=False, max_length=30)
    person_country = forms.CharField(label=_("Country/region code"), required=False, max_length=2)

    description = forms.CharField(label=_("Description"), max_length=100)
    salesperson = _salesperson_field(required=False)
    sales_cycle = forms.ModelChoiceField(
        label=_("Sales cycle"),
        queryset=SalesCycle.objects.none(),
        to_field_name="code",
        required=False,
        empty_label=_("(choose)"),
    )

    COMPANY_FIELDS = {
        "name": "company_name",
        "email": "company_email",
        "phone": "company_phone",
        "country": "company_country",
    }
    PERSON_FIELDS = {
        "first_name": "person_first_name",
        "surname": "person_surname",
        "job_title": "person_job_title",
        "email": "person_email",
        "phone": "person_phone",
        "country": "person_country",
    }
    ESTIMATE_FIELDS = ("estimated_value", "chances_of_success_pct", "estimated_close_date")

    def __init__(self, *args, company_matches, person_matches, salespeople, contact_options_url: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        self.company_matches = {match.contact.no: match for match in company_matches}
        self.person_matches = {match.contact.no: match for match in person_matches}
        self.fields["company_choice"].choices = [
            *[(no, _match_label(match)) for no, match in self.company_matches.items()],
            (NEW, _("Create a new company")),
            (EXISTING, _("Another existing company")),
            (NONE, _("No company")),
        ]
        self.fields["person_choice"].choices = [
            *[(no, _match_label(match)) for no, match in self.person_matches.items()],
            (NEW, _("Create a new person")),
            (EXISTING, _("Another existing person")),
            (NONE, _("No person")),
        ]
        self.fields["salesperson"].queryset = salespeople
        self.fields["sales_cycle"].queryset = SalesCycle.objects.filter(blocked=False).order_by("code")
        for name, datalist in (("company_no", "company-options"), ("person_no", "person-options")):
            attrs = {"list": datalist, "autocomplete": "off", "spellcheck": "false"}
            if contact_options_url:
                attrs.update(
                    {
                        "hx-get": contact_options_url,
                        "hx-trigger": "input changed delay:300ms",
                        "hx-target": f"#{datalist}",
                        "hx-swap": "innerHTML",
                    }
                )
            self.fields[name].widget.attrs.update(attrs)

    def _side(self, prefix: str, matches: dict, field_map: dict) -> tuple:
        """(existing contact or None, new contact's fields or None) for one side."""
        data = self.cleaned_data
        choice = data.get(f"{prefix}_choice")
        if choice == NEW:
            values = {service: data.get(field) or "" for service, field in field_map.items()}
            return None, {name: value.strip() for name, value in values.items() if value.strip()}
        if choice == EXISTING:
            return data.get(f"{prefix}_no"), None
        if choice in matches:
            return matches[choice].contact, None
        return None, None

    def clean(self):
        data = super().clean()
        for prefix in ("company", "person"):
            if (
                data.get(f"{prefix}_choice") == EXISTING
                and not data.get(f"{prefix}_no")
                and not self.has_error(f"{prefix}_no")
            ):
                self.add_error(f"{prefix}_no", _("Enter the number of the contact."))
        return data

    def service_values(self) -> dict:
        data = self.cleaned_data
        company, create_company = self._side("company", self.company_matches, self.COMPANY_FIELDS)
        person, create_person = self._side("person", self.person_matches, self.PERSON_FIELDS)
        values = {
            "company": company,
            "create_company": create_company,
            "person": person,
            "create_person": create_person,
            "salesperson": data.get("salesperson"),
            "sales_cycle": data.get("sales_cycle"),
            "description": data["description"],
            "activate_first_stage": data["activate_first_stage"],
        }
        if data["activate_first_stage"]:
            values.update({name: data.get(name) for name in self.ESTIMATE_FIELDS})
        return values

    def service_field_names(self) -> dict[str, str]:
        """The form field of each field the service may name in its errors."""
        names = {f"create_company.{service}": field for service, field in self.COMPANY_FIELDS.items()}
        names.update({f"create_person.{service}": field for service, field in self.PERSON_FIELDS.items()})
        names.update({"company": "company_choice", "person": "person_choice", "contact": "person_choice"})
        names.update({"create_company.name": "company_name", "create_person.name": "person_surname"})
        return names


# --- import ----------------------------------------------------------------------------------


class ImportUploadForm(forms.Form):
    file = forms.FileField(
        label=_("File"),
        help_text=_(
            "CSV (UTF-8, separated by ; or ,) or XLSX, with the column names in the first row; at most %(max)d MB."
        )
        % {"max": MAX_FILE_BYTES // (1024 * 1024)},
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.xlsx,.txt"}),
    )
    campaign = forms.CharField(
        label=_("Campaign"),
        required=False,
        max_length=100,
        help_text=_("Given to the rows that have no campaign column of their own, e.g. the trade fair's name."),
    )


MAPPING_CHOICES = [("", _("(do not import)")), *[(name, FIELD_LABELS[name]) for name in LEAD_FIELDS]]


class ImportMappingForm(forms.Form):
    """One select per column of the file: ``column_0``, ``column_1``, …"""

    def __init__(self, *args, headers: list[str], **kwargs):
        super().__init__(*args, **kwargs)
        for index, header in enumerate(headers):
            self.fields[f"column_{index}"] = forms.ChoiceField(
                label=header or _("Column %(no)d") % {"no": index + 1}, required=False, choices=MAPPING_CHOICES
            )

    @staticmethod
    def initial_from(mapping: dict[int, str]) -> dict:
        return {f"column_{index}": name for index, name in mapping.items()}

    def mapping(self) -> dict[int, str]:
        return {int(name.removeprefix("column_")): value for name, value in self.cleaned_data.items() if value}


class ImportConfirmForm(forms.Form):
    import_invalid = forms.BooleanField(required=False)

    def __init__(self, *args, valid: int, invalid: int, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["import_invalid"].label = ngettext(
            "Import the %(valid)d valid row and skip the %(invalid)d invalid ones",
            "Import the %(valid)d valid rows and skip the %(invalid)d invalid ones",
            valid,
        ) % {"valid": valid, "invalid": invalid}
