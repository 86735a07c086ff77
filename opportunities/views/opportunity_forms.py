"""Views: create and edit an opportunity, and the contact suggestions of their form.

The forms check shapes; ``services.opportunity_create`` / ``opportunity_change`` decide. A
refusal is shown on the form and nothing is saved (each service call is one transaction).
"""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import NoReverseMatch, path, reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_safe

from common.errors import DomainError
from contacts.models import Contact
from opportunities import services
from opportunities.forms import OpportunityCreateForm, OpportunityEditForm
from opportunities.models import Opportunity
from opportunities.permissions import salesperson_of

CONTACT_SUGGESTIONS = 20


def _detail_url(opportunity: Opportunity) -> str:
    # The detail page is another module's; until it is installed the list is the next best place.
    try:
        return reverse("opportunities:detail", args=[opportunity.no])
    except NoReverseMatch:
        return reverse("opportunities:list")


def _contact_options_url() -> str:
    return reverse("opportunities:contact_options")


@require_http_methods(["GET", "HEAD", "POST"])
def opportunity_create(request):
    if request.method == "POST":
        form = OpportunityCreateForm(request.POST, contact_options_url=_contact_options_url())
        if form.is_valid():
            try:
                opportunity = services.opportunity_create(user=request.user, **form.service_values())
            except (DomainError, ValidationError) as exc:
                form.add_service_error(exc)
            else:
                messages.success(request, _("Opportunity %(no)s has been created.") % {"no": opportunity.no})
                return redirect(_detail_url(opportunity))
    else:
        initial = {"salesperson": salesperson_of(request.user), "sales_cycle": services.default_sales_cycle()}
        contact_no = request.GET.get("contact", "").strip()
        if contact_no:
            initial["contact"] = Contact.objects.filter(no=contact_no).first()
        form = OpportunityCreateForm(initial=initial, contact_options_url=_contact_options_url())
    return render(request, "opportunities/form.html", {"form": form, "opportunity": None})


@require_http_methods(["GET", "HEAD", "POST"])
def opportunity_edit(request, no: str):
    opportunity = get_object_or_404(Opportunity.objects.visible_to(request.user).for_list(), no=no)
    if request.method == "POST":
        form = OpportunityEditForm(request.POST, opportunity=opportunity, contact_options_url=_contact_options_url())
        if form.is_valid():
            try:
                services.opportunity_change(opportunity=opportunity, user=request.user, **form.service_values())
            except (DomainError, ValidationError) as exc:
                form.add_service_error(exc)
            else:
                messages.success(request, _("Opportunity %(no)s has been saved.") % {"no": opportunity.no})
                return redirect(_detail_url(opportunity))
    else:
        initial = {
            "description": opportunity.description,
            "contact": opportunity.contact,
            "salesperson": opportunity.salesperson,
            "sales_cycle": opportunity.sales_cycle,
            "priority": opportunity.priority,
        }
        form = OpportunityEditForm(initial=initial, opportunity=opportunity, contact_options_url=_contact_options_url())
    return render(
        request,
        "opportunities/form.html",
        {"form": form, "opportunity": opportunity, "detail_url": _detail_url(opportunity)},
    )


@require_safe
def contact_options(request):
    """``<option>``s of the contacts whose number or name starts with the typed text (htmx)."""
    term = (request.GET.get("contact") or request.GET.get("q") or "").strip()[:100]
    contacts = []
    if term:
        # Prefix matches: they can use the indexes on no and name, even with a million contacts.
        contacts = Contact.objects.filter(Q(no__istartswith=term) | Q(name__istartswith=term)).order_by("name", "no")[
            :CONTACT_SUGGESTIONS
        ]
    return render(request, "opportunities/contact_options.html", {"contacts": contacts})


urlpatterns = [
    path("opportunities/new/", opportunity_create, name="create"),
    path("opportunities/<str:no>/edit/", opportunity_edit, name="edit"),
    path("opportunities/contact-options/", contact_options, name="contact_options"),
]
