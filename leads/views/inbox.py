"""Views: the lead inbox, its bulk actions and the per-row "assign to me".

Managers see all leads, reps the unassigned ones and their own (``Lead.objects.visible_to``). A
bulk action runs the service once per lead, each in its own transaction: the leads it may change
are changed, every refused lead stays as it was and is reported with the reason.
"""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Case, IntegerField, Value, When
from django.http import QueryDict
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST, require_safe

from common.errors import DomainError
from leads import services
from leads.forms import BulkForm, LeadFilterForm
from leads.models import Lead
from leads.views.common import get_lead, require_sales_staff, salespeople_for
from opportunities.permissions import can_change_all, salesperson_of

PAGE_SIZE = 50
# A bulk action handles at most this many leads (a page and more); each is its own transaction.
MAX_BULK = 200


def _inbox_order(queryset):
    """New leads first, then the newest."""
    return queryset.annotate(
        is_not_new=Case(When(status=Lead.Status.NEW, then=Value(0)), default=Value(1), output_field=IntegerField())
    ).order_by("is_not_new", "-created_at", "-no")


@require_safe
def lead_list(request):
    require_sales_staff(request)
    manager = can_change_all(request.user)
    own = salesperson_of(request.user)
    salespeople = salespeople_for(request.user)
    filter_salespeople = list(salespeople) if manager else []
    filters = LeadFilterForm(request.GET or None, salespeople=filter_salespeople)
    leads = Lead.objects.visible_to(request.user).for_list()
    if filters.is_bound and filters.is_valid():
        leads = filters.filter(leads, own=own)
    page = Paginator(_inbox_order(leads), PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    bulk = BulkForm(salespeople=salespeople)
    return render(
        request,
        "leads/list.html",
        {
            "filters": filters,
            "page": page,
            "query": query.urlencode(),
            "bulk": bulk,
            "own": own,
            "is_filtered": any(value for key, value in request.GET.items() if key != "page"),
        },
    )


def _report(request, result: services.BulkResult, done_message: str, **values) -> None:
    if result.done:
        values.update(count=len(result.done), nos=", ".join(lead.no for lead in result.done))
        messages.success(request, done_message % values)
    for lead, error in result.refused:
        messages.error(
            request,
            _("%(no)s was not changed: %(reason)s") % {"no": lead.no, "reason": error.message},
        )


def _back_to_list(request):
    """Back to the inbox with the filters the user had (parsed and re-encoded: only a query string)."""
    query = QueryDict(request.POST.get("query", "")).urlencode()
    url = reverse("leads:list")
    return redirect(f"{url}?{query}" if query else url)


@require_POST
def lead_bulk(request):
    require_sales_staff(request)
    form = BulkForm(request.POST, salespeople=salespeople_for(request.user))
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
        return _back_to_list(request)
    nos = form.cleaned_data["leads"][:MAX_BULK]
    leads = list(Lead.objects.visible_to(request.user).filter(no__in=nos))
    missing = sorted(set(nos) - {lead.no for lead in leads})
    for no in missing:
        messages.error(request, _("%(no)s was not changed: there is no such lead.") % {"no": no})
    if form.cleaned_data["action"] == BulkForm.ASSIGN:
        salesperson = form.cleaned_data["salesperson"]
        result = services.leads_assign(leads=leads, user=request.user, salesperson=salesperson)
        done = ngettext(
            "%(count)d lead assigned to %(name)s: %(nos)s.",
            "%(count)d leads assigned to %(name)s: %(nos)s.",
            len(result.done),
        )
        _report(request, result, done, name=salesperson.name)
    else:
        try:
            result = services.leads_disqualify(leads=leads, user=request.user, reason=form.cleaned_data["reason"])
        except ValidationError as exc:
            for message in exc.messages:
                messages.error(request, message)
        else:
            done = ngettext(
                "%(count)d lead disqualified: %(nos)s.", "%(count)d leads disqualified: %(nos)s.", len(result.done)
            )
            _report(request, result, done)
    return _back_to_list(request)


@require_POST
def lead_assign_to_me(request, no: str):
    lead = get_lead(request, no)
    own = salesperson_of(request.user)
    if own is None:
        messages.error(request, _("You are not a salesperson; choose the salesperson on the lead's page."))
        return _back_to_list(request)
    try:
        services.lead_assign(lead=lead, user=request.user, salesperson=own)
    except DomainError as exc:
        messages.error(request, _("%(no)s was not changed: %(reason)s") % {"no": lead.no, "reason": exc.message})
    else:
        messages.success(request, _("Lead %(no)s is now yours.") % {"no": lead.no})
    return _back_to_list(request)


urlpatterns = [
    path("leads/", lead_list, name="list"),
    path("leads/bulk/", lead_bulk, name="bulk"),
    path("leads/<str:no>/assign-to-me/", lead_assign_to_me, name="assign_to_me"),
]
