from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _

from common.admin import ServiceAdminMixin
from common.imports import ImportExportAdminMixin
from contacts import services
from contacts.models import Contact, Salesperson
from contacts.resources import ContactResource, SalespersonResource


@admin.register(Salesperson)
class SalespersonAdmin(ImportExportAdminMixin, ServiceAdminMixin, admin.ModelAdmin):
    resource_classes = [SalespersonResource]
    list_display = ["code", "name", "user", "email", "phone", "job_title", "blocked"]
    list_filter = ["blocked", ("user", admin.EmptyFieldListFilter)]
    list_select_related = ["user"]
    search_fields = ["code", "name", "email", "phone", "user__username"]
    autocomplete_fields = ["user"]

    def delete_model(self, request, obj):
        services.salesperson_delete(salesperson=obj, user=request.user)


class PersonInline(admin.TabularInline):
    model = Contact
    fk_name = "company"
    fields = ["no", "name", "job_title", "email", "phone"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Contact)
class ContactAdmin(ImportExportAdminMixin, ServiceAdminMixin, admin.ModelAdmin):
    resource_classes = [ContactResource]
    list_display = ["no", "name", "type", "company", "city", "country", "email", "phone", "salesperson"]
    list_filter = ["type", "country", "salesperson"]
    list_select_related = ["company", "salesperson"]
    search_fields = ["no", "name", "email", "phone", "city"]
    autocomplete_fields = ["company", "salesperson"]
    readonly_fields = ["no", "likely_duplicates", "created_at", "updated_at"]
    fieldsets = [
        (None, {"fields": ["no", "type", "name", "company", "first_name", "surname", "job_title", "salesperson"]}),
        (_("Address"), {"fields": ["address", "address_2", "post_code", "city", "country"]}),
        (_("Communication"), {"fields": ["phone", "mobile_phone", "email", "website", "language"]}),
        (_("Other"), {"fields": ["vat_registration_no", "notes", "created_at", "updated_at"]}),
        (_("Likely duplicates"), {"fields": ["likely_duplicates"]}),
    ]

    @admin.display(description=_("likely duplicates"))
    def likely_duplicates(self, obj):
        """BC's duplicate search for this contact: the matches with their score and a link each."""
        if obj is None or obj.pk is None:
            return "-"
        matches = services.likely_duplicates(obj)
        if not matches:
            return _("None found.")
        return format_html(
            "<ul>{}</ul>",
            format_html_join(
                "",
                '<li><a href="{}">{} {}</a> ({}, {} %)</li>',
                (
                    (
                        reverse("admin:contacts_contact_change", args=[match.contact.pk]),
                        match.contact.no,
                        match.contact.name,
                        match.contact.city or "-",
                        match.score,
                    )
                    for match in matches
                ),
            ),
        )

    def get_inlines(self, request, obj):
        return [PersonInline] if obj is not None and obj.is_company else []

    def save_model(self, request, obj, form, change):
        fields = {name: form.cleaned_data[name] for name in form.changed_data if name in services.CONTACT_FIELDS}
        if change:
            saved = services.contact_update(contact=obj, user=request.user, **fields)
        else:
            fields = {name: value for name, value in form.cleaned_data.items() if name in services.CONTACT_FIELDS}
            saved = services.contact_create(user=request.user, **fields)
        obj.pk, obj.no = saved.pk, saved.no

    def delete_model(self, request, obj):
        services.contact_delete(contact=obj, user=request.user)
