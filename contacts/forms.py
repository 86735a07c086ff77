"""Forms of the contact pages: they check shapes only; the rules live in ``contacts.services``."""

from django import forms
from django.conf import settings
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from common.forms import ValuesModelChoiceField
from common.ordering import served_by_trigrams, sorted_after_matching
from contacts.models import Contact, Salesperson

SORTS = {
    "no": ("no",),
    "name": ("name", "no"),
    "-name": ("-name", "-no"),
    "city": ("city", "name", "no"),
    "-city": ("-city", "-name", "-no"),
}


class SalespersonChoiceField(ValuesModelChoiceField):
    """A salesperson select whose options are read as values, labelled as ``Salesperson.__str__``."""

    def __init__(self, **kwargs):
        super().__init__(label_fields=("code", "name"), label_format="{} – {}", **kwargs)


class ContactFilterForm(forms.Form):
    q = forms.CharField(label=_("Search"), required=False, max_length=100)
    type = forms.ChoiceField(label=_("Type"), required=False, choices=[("", _("All types")), *Contact.Type.choices])
    country = forms.CharField(label=_("Country/region code"), required=False, max_length=2)
    salesperson = SalespersonChoiceField(
        label=_("Salesperson"), required=False, queryset=Salesperson.objects.all(), empty_label=_("All salespeople")
    )
    sort = forms.ChoiceField(label=_("Sort by"), required=False, choices=[(key, key) for key in SORTS])

    def filter(self, queryset):
        data = self.cleaned_data
        search = (data.get("q") or "").strip()
        if search:
            queryset = queryset.filter(
                Q(no__iexact=search)
                | Q(name__icontains=search)
                | Q(email__icontains=search)
                | Q(phone__icontains=search)
                | Q(city__icontains=search)
            )
        if data.get("type"):
            queryset = queryset.filter(type=data["type"])
        if data.get("country"):
            queryset = queryset.filter(country=data["country"].strip().upper())
        if data.get("salesperson"):
            queryset = queryset.filter(salesperson=data["salesperson"])
        queryset = queryset.order_by(*SORTS[data.get("sort") or "no"])
        # The matches first, then their order (common/ordering.py).
        return sorted_after_matching(queryset) if self.searched_by_trigrams() else queryset

    def searched_by_trigrams(self) -> bool:
        return served_by_trigrams([self.cleaned_data.get("q") or ""])


class ContactForm(forms.Form):
    """The fields of ``contacts.services.CONTACT_FIELDS``, plus the "save anyway" confirmation."""

    type = forms.ChoiceField(label=_("Type"), choices=Contact.Type.choices)
    name = forms.CharField(
        label=_("Name"),
        required=False,
        max_length=100,
        help_text=_("For a person, built from the first name and surname when those are given."),
    )
    company = forms.CharField(
        label=_("Company no."), required=False, max_length=20, help_text=_("Persons only, e.g. CT000001.")
    )
    first_name = forms.CharField(label=_("First name"), required=False, max_length=30)
    surname = forms.CharField(label=_("Surname"), required=False, max_length=30)
    job_title = forms.CharField(label=_("Job title"), required=False, max_length=100)
    salesperson = forms.ModelChoiceField(
        label=_("Salesperson"), required=False, queryset=Salesperson.objects.none(), empty_label=_("(none)")
    )
    address = forms.CharField(label=_("Address"), required=False, max_length=100)
    address_2 = forms.CharField(label=_("Address 2"), required=False, max_length=100)
    post_code = forms.CharField(label=_("Post code"), required=False, max_length=20)
    city = forms.CharField(label=_("City"), required=False, max_length=30)
    country = forms.CharField(label=_("Country/region code"), required=False, max_length=2)
    phone = forms.CharField(label=_("Phone no."), required=False, max_length=30)
    mobile_phone = forms.CharField(label=_("Mobile phone no."), required=False, max_length=30)
    email = forms.CharField(label=_("Email"), required=False, max_length=100, widget=forms.EmailInput)
    website = forms.CharField(label=_("Home page"), required=False, max_length=100, widget=forms.URLInput)
    language = forms.ChoiceField(label=_("Language"), required=False, choices=[("", "—"), *settings.LANGUAGES])
    vat_registration_no = forms.CharField(label=_("VAT registration no."), required=False, max_length=20)
    notes = forms.CharField(label=_("Notes"), required=False, widget=forms.Textarea(attrs={"rows": 4}))
    # Set by the "Save anyway" button once the likely duplicates have been shown.
    confirm = forms.BooleanField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, current_salesperson_id: int | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        # Blocked salespeople are retired: offered only when the contact already has one.
        self.fields["salesperson"].queryset = Salesperson.objects.filter(
            Q(blocked=False) | Q(pk=current_salesperson_id)
        ).order_by("code")

    def clean_company(self):
        no = (self.cleaned_data.get("company") or "").strip().upper()
        if not no:
            return None
        company = Contact.objects.filter(no=no).first()
        if company is None:
            raise forms.ValidationError(_("There is no contact %(no)s.") % {"no": no})
        return company

    def contact_fields(self) -> dict:
        """The cleaned values, as ``contact_create`` / ``contact_update`` take them."""
        return {field: value for field, value in self.cleaned_data.items() if field != "confirm"}

    @staticmethod
    def initial_for(contact: Contact) -> dict:
        from contacts.services import CONTACT_FIELDS

        initial = {field: getattr(contact, field) for field in CONTACT_FIELDS}
        initial["company"] = contact.company.no if contact.company_id else ""
        initial["salesperson"] = contact.salesperson_id
        return initial
