"""Contacts and salespeople in CSV and XLSX files (admin import and export)."""

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from import_export import fields

from common.imports import CodeWidget, ServiceResource
from common.spreadsheet import cell_text
from contacts import services
from contacts.models import Contact, Salesperson


class CompanyWidget(CodeWidget):
    """A person's company: its contact number or, for a company created earlier in the same file,
    its exact name (which must belong to one company only)."""

    def clean(self, value, row=None, **kwargs):
        reference = cell_text(value)
        if not reference:
            return None
        companies = Contact.objects.filter(type=Contact.Type.COMPANY)
        by_no = companies.filter(no=reference).first()
        if by_no is not None:
            return by_no
        by_name = list(companies.filter(name__iexact=reference)[:2])
        if len(by_name) == 1:
            return by_name[0]
        if by_name:
            raise ValueError(
                _("More than one company is named %(name)s; give its contact number instead.") % {"name": reference}
            )
        raise ValueError(_("No company has the number or name %(company)s.") % {"company": reference})


class ContactResource(ServiceResource):
    """One row per contact. An empty ``no`` creates a contact (numbered by the series); a known one
    changes it. Duplicate search strings are kept up to date by the contact services."""

    company = fields.Field(attribute="company", column_name="company", widget=CompanyWidget(Contact, "no"))
    salesperson = fields.Field(
        attribute="salesperson", column_name="salesperson", widget=CodeWidget(Salesperson, "code")
    )

    class Meta:
        model = Contact
        name = gettext_lazy("Contacts")
        import_id_fields = ["no"]
        fields = ["no", *services.CONTACT_FIELDS]
        export_order = ["no", *services.CONTACT_FIELDS]

    def get_or_init_instance(self, instance_loader, row):
        instance, new = super().get_or_init_instance(instance_loader, row)
        number = cell_text(row.get("no"))
        if new and number:
            # Numbers come from the number series; an unknown one is most likely a typing error.
            raise ValidationError(
                _("Contact %(no)s does not exist; leave the number empty to create a contact.") % {"no": number}
            )
        return instance, new

    def filter_export(self, queryset, **kwargs):
        return queryset.select_related("company", "salesperson")

    def write(self, instance, values, *, is_create, user):
        values.pop("no", None)
        if is_create:
            return services.contact_create(user=user, **values)
        return services.contact_update(contact=instance, user=user, **values)


class SalespersonResource(ServiceResource):
    user = fields.Field(attribute="user", column_name="user", widget=CodeWidget(get_user_model(), "username"))

    class Meta:
        model = Salesperson
        name = gettext_lazy("Salespeople")
        import_id_fields = ["code"]
        fields = ["code", "name", "user", "email", "phone", "job_title", "commission_pct", "blocked"]
        export_order = fields

    def filter_export(self, queryset, **kwargs):
        return queryset.select_related("user")

    def write(self, instance, values, *, is_create, user):
        if is_create:
            return services.salesperson_create(user=user, changes=values)
        return services.salesperson_update(salesperson=instance, user=user, changes=values)
