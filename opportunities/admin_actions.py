"""Admin actions on opportunities; every one calls the lifecycle services.

Each selected opportunity is handled in its own transaction: it is done completely or not at
all, and every refusal is reported with the opportunity's number and the rule's message.
"""

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from common.errors import DomainError
from contacts.models import Salesperson
from opportunities import services
from salescycles.models import CloseOpportunityCode


def run_per_opportunity(modeladmin, request, queryset, operation, done_message: str) -> None:
    """Apply ``operation(opportunity)`` to each selected opportunity and report the outcome."""
    done, refused = [], []
    for opportunity in queryset.order_by("no"):
        try:
            operation(opportunity)
        except DomainError as exc:
            refused.append(f"{opportunity.no}: {exc.message}")
        else:
            done.append(opportunity.no)
    if done:
        modeladmin.message_user(request, done_message % {"count": len(done), "nos": ", ".join(done)}, messages.SUCCESS)
    for line in refused:
        modeladmin.message_user(request, _("Refused %(refusal)s") % {"refusal": line}, messages.ERROR)


class CloseForm(forms.Form):
    close_code = forms.ModelChoiceField(label=gettext_lazy("Close code"), queryset=CloseOpportunityCode.objects.none())
    date_closed = forms.DateField(label=gettext_lazy("Date closed"), widget=forms.DateInput(attrs={"type": "date"}))
    cancel_open_tasks = forms.BooleanField(label=gettext_lazy("Cancel open tasks"), required=False, initial=True)

    def __init__(self, *args, outcome: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["close_code"].queryset = CloseOpportunityCode.objects.filter(type=outcome)


class ReassignForm(forms.Form):
    salesperson = forms.ModelChoiceField(
        label=gettext_lazy("New salesperson"), queryset=Salesperson.objects.filter(blocked=False)
    )


def _intermediate(modeladmin, request, queryset, *, form, action: str, title: str):
    """The intermediate page of an action that needs input (it posts back to the same action)."""
    context = {
        **modeladmin.admin_site.each_context(request),
        "title": title,
        "form": form,
        "queryset": queryset.order_by("no"),
        "action": action,
        "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
        "opts": modeladmin.model._meta,
    }
    return TemplateResponse(request, "admin/opportunities/opportunity/action_form.html", context)


def _close(modeladmin, request, queryset, outcome: str, action: str, title: str):
    form = CloseForm(
        request.POST if "apply" in request.POST else None,
        outcome=outcome,
        initial={"date_closed": timezone.localdate(), "cancel_open_tasks": True},
    )
    if not form.is_valid():
        return _intermediate(modeladmin, request, queryset, form=form, action=action, title=title)
    data = form.cleaned_data
    run_per_opportunity(
        modeladmin,
        request,
        queryset,
        lambda opportunity: services.opportunity_close(
            opportunity=opportunity,
            user=request.user,
            outcome=outcome,
            close_code=data["close_code"],
            date_closed=data["date_closed"],
            cancel_open_tasks=data["cancel_open_tasks"],
        ),
        _("Closed %(count)d opportunities: %(nos)s.")
        if outcome == "lost"
        else _("Won %(count)d opportunities: %(nos)s."),
    )
    return None


@admin.action(description=gettext_lazy("Activate the first stage"), permissions=["change"])
def activate_first_stage(modeladmin, request, queryset):
    run_per_opportunity(
        modeladmin,
        request,
        queryset,
        lambda opportunity: services.opportunity_activate(opportunity=opportunity, user=request.user),
        _("Activated %(count)d opportunities: %(nos)s."),
    )


@admin.action(description=gettext_lazy("Close as won…"), permissions=["change"])
def close_won(modeladmin, request, queryset):
    return _close(modeladmin, request, queryset, "won", "close_won", _("Close as won"))


@admin.action(description=gettext_lazy("Close as lost…"), permissions=["change"])
def close_lost(modeladmin, request, queryset):
    return _close(modeladmin, request, queryset, "lost", "close_lost", _("Close as lost"))


@admin.action(description=gettext_lazy("Reassign to another salesperson…"), permissions=["change"])
def reassign_salesperson(modeladmin, request, queryset):
    form = ReassignForm(request.POST if "apply" in request.POST else None)
    if not form.is_valid():
        return _intermediate(
            modeladmin, request, queryset, form=form, action="reassign_salesperson", title=_("Reassign")
        )
    salesperson = form.cleaned_data["salesperson"]
    run_per_opportunity(
        modeladmin,
        request,
        queryset,
        lambda opportunity: services.opportunity_change(
            opportunity=opportunity, user=request.user, salesperson=salesperson
        ),
        _("Reassigned %(count)d opportunities: %(nos)s."),
    )
    return None


@admin.action(description=gettext_lazy("Delete the selected closed opportunities"), permissions=["delete"])
def delete_closed(modeladmin, request, queryset):
    def delete(opportunity):
        if not opportunity.closed:
            raise services.OpportunityError("not_closed", _("Only closed opportunities are deleted by this action."))
        services.opportunity_delete(opportunity=opportunity, user=request.user)

    run_per_opportunity(modeladmin, request, queryset, delete, _("Deleted %(count)d opportunities: %(nos)s."))
