"""Leads in the admin: oversight and bulk actions, every change through ``leads.services``.

The actions take their input (salesperson, reason) from fields beside the action menu, handle each
selected lead in its own transaction and report each refusal with the lead's number.
"""

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.helpers import ActionForm
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from common.admin import ServiceAdminMixin
from contacts.models import Salesperson
from leads import services
from leads.models import Lead
from opportunities.admin import VisibleToAdminMixin

INTAKE_FIELDS = ["salesperson", *services.LEAD_FIELDS]
RECORD_FIELDS = [
    "no",
    "status",
    "source",
    "is_possible_duplicate",
    "disqualification_reason",
    "company_contact",
    "person_contact",
    "opportunity",
    "qualified_at",
    "payload",
    "created_by",
    "created_at",
    "updated_at",
]


class ActionInput(forms.Form):
    """The inputs of the actions, shown beside the action menu."""

    salesperson = forms.ModelChoiceField(
        label=gettext_lazy("Salesperson"), queryset=Salesperson.objects.filter(blocked=False), required=False
    )
    reason = forms.CharField(label=gettext_lazy("Reason"), max_length=services.MAX_REASON_LENGTH, required=False)


class LeadActionForm(ActionForm, ActionInput):
    pass


def _action_input(modeladmin, request) -> dict | None:
    form = ActionInput(request.POST)
    if form.is_valid():
        return form.cleaned_data
    for messages_ in form.errors.values():
        for message in messages_:
            modeladmin.message_user(request, message, messages.ERROR)
    return None


def _report(modeladmin, request, result: services.BulkResult, done_message: str) -> None:
    if result.done:
        nos = ", ".join(lead.no for lead in result.done)
        modeladmin.message_user(request, done_message % {"count": len(result.done), "nos": nos}, messages.SUCCESS)
    for lead, refusal in result.refused:
        modeladmin.message_user(
            request, _("Refused %(refusal)s") % {"refusal": f"{lead.no}: {refusal.message}"}, messages.ERROR
        )


@admin.action(description=gettext_lazy("Assign to the chosen salesperson"), permissions=["change"])
def assign_salesperson(modeladmin, request, queryset):
    data = _action_input(modeladmin, request)
    if data is None:
        return
    salesperson = data["salesperson"]
    if salesperson is None:
        modeladmin.message_user(request, _("Choose the salesperson to assign."), messages.ERROR)
        return
    result = services.leads_assign(leads=queryset, user=request.user, salesperson=salesperson)
    _report(modeladmin, request, result, _("Assigned %(count)d leads: %(nos)s."))


@admin.action(description=gettext_lazy("Disqualify with the given reason"), permissions=["change"])
def disqualify(modeladmin, request, queryset):
    data = _action_input(modeladmin, request)
    if data is None:
        return
    reason = data["reason"]
    if not reason.strip():
        modeladmin.message_user(request, _("Give the reason for disqualifying the leads."), messages.ERROR)
        return
    result = services.leads_disqualify(leads=queryset, user=request.user, reason=reason)
    _report(modeladmin, request, result, _("Disqualified %(count)d leads: %(nos)s."))


@admin.action(description=gettext_lazy("Reopen the disqualified leads"), permissions=["change"])
def reopen(modeladmin, request, queryset):
    result = services.leads_reopen(leads=queryset, user=request.user)
    _report(modeladmin, request, result, _("Reopened %(count)d leads: %(nos)s."))


@admin.register(Lead)
class LeadAdmin(ServiceAdminMixin, VisibleToAdminMixin, admin.ModelAdmin):
    list_display = [
        "no",
        "created_at",
        "status",
        "source",
        "company_name",
        "first_name",
        "surname",
        "email",
        "salesperson",
        "is_possible_duplicate",
        "opportunity",
    ]
    list_filter = ["status", "source", "salesperson", "is_possible_duplicate", "created_at"]
    list_select_related = ["salesperson", "opportunity"]
    search_fields = ["no", "company_name", "first_name", "surname", "email", "phone", "campaign"]
    date_hierarchy = "created_at"
    autocomplete_fields = ["salesperson"]
    action_form = LeadActionForm
    actions = [assign_salesperson, disqualify, reopen]
    fieldsets = [
        (None, {"fields": INTAKE_FIELDS}),
        (_("Record"), {"fields": RECORD_FIELDS}),
    ]

    def get_fieldsets(self, request, obj=None):
        if obj is None:
            return [(None, {"fields": INTAKE_FIELDS})]
        return super().get_fieldsets(request, obj)

    def get_readonly_fields(self, request, obj=None):
        # A lead changes only through the actions (assign, disqualify, reopen) and qualification.
        return [*INTAKE_FIELDS, *RECORD_FIELDS] if obj is not None else []

    def get_actions(self, request):
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions

    def has_delete_permission(self, request, obj=None):
        # Leads are history (disqualified ones included); qualified ones are referenced by contacts.
        return False

    def save_model(self, request, obj, form, change):
        if change:
            return
        data = form.cleaned_data
        created = services.lead_create(
            user=request.user,
            source=Lead.Source.MANUAL,
            payload={name: data.get(name) or "" for name in services.LEAD_FIELDS},
            salesperson=data.get("salesperson"),
            **{name: data.get(name) for name in services.LEAD_FIELDS},
        )
        obj.pk, obj.no = created.pk, created.no
