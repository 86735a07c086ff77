"""Views: a lead's page, its actions (assign, disqualify, reopen) and qualifying it.

Every action is a POST that calls one service. A field problem is shown at its field, a refusal
by the lead's state as a message on the lead's page, with nothing changed. Qualifying is one
transaction in ``lead_qualify``: a refused qualification leaves no contact and no opportunity.
"""

import json

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, path, reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from common.errors import DomainError
from contacts.models import Contact
from leads import services
from leads.forms import NEW, NONE, AssignForm, DisqualifyForm, QualifyForm, add_service_errors
from leads.models import Lead
from leads.views.common import get_lead, require_sales_staff, salespeople_for
from opportunities.permissions import can_change_all, salesperson_of
from opportunities.views.opportunity_forms import CONTACT_SUGGESTIONS


def _opportunity_url(opportunity) -> str:
    try:
        return reverse("opportunities:detail", args=[opportunity.no])
    except NoReverseMatch:
        return reverse("opportunities:list")


def _render_detail(request, lead: Lead, *, assign_form=None, disqualify_form=None, status: int = 200):
    user = request.user
    salespeople = salespeople_for(user)
    duplicates = services.lead_duplicates(lead)
    # Only the matching leads the user may see: the others answer 404 and must not show here either.
    visible_ids = set(
        Lead.objects.visible_to(user)
        .filter(pk__in=[other.pk for other in duplicates.leads])
        .values_list("pk", flat=True)
    )
    may_work = services.may_work_on(user, lead)
    own = salesperson_of(user)
    context = {
        "lead": lead,
        "payload": json.dumps(lead.payload, indent=2, ensure_ascii=False, sort_keys=True, default=str),
        "duplicate_contacts": duplicates.contacts,
        "duplicate_leads": [other for other in duplicates.leads if other.pk in visible_ids],
        "may_work": may_work,
        "is_manager": can_change_all(user),
        "may_take": lead.is_open and own is not None and lead.salesperson_id != own.pk,
        "assign_form": assign_form or AssignForm(salespeople=salespeople, initial={"salesperson": lead.salesperson}),
        "disqualify_form": disqualify_form or DisqualifyForm(),
        "opportunity_url": _opportunity_url(lead.opportunity) if lead.opportunity_id else "",
    }
    return render(request, "leads/detail.html", context, status=status)


@require_safe
def lead_detail(request, no: str):
    return _render_detail(request, get_lead(request, no))


@require_POST
def lead_assign(request, no: str):
    lead = get_lead(request, no)
    form = AssignForm(request.POST, salespeople=salespeople_for(request.user))
    if form.is_valid():
        salesperson = form.cleaned_data["salesperson"]
        try:
            services.lead_assign(lead=lead, user=request.user, salesperson=salesperson)
        except DomainError as exc:
            messages.error(request, exc.message)
            return redirect("leads:detail", no=lead.no)
        if salesperson is None:
            messages.success(request, _("Lead %(no)s is no longer assigned.") % {"no": lead.no})
        else:
            messages.success(
                request,
                _("Lead %(no)s is assigned to %(name)s.") % {"no": lead.no, "name": salesperson.name},
            )
        return redirect("leads:detail", no=lead.no)
    return _render_detail(request, lead, assign_form=form, status=400)


@require_POST
def lead_disqualify(request, no: str):
    lead = get_lead(request, no)
    form = DisqualifyForm(request.POST)
    if form.is_valid():
        try:
            services.lead_disqualify(lead=lead, user=request.user, reason=form.cleaned_data["reason"])
        except DomainError as exc:
            # The lead's state refused: its page no longer offers the form, the message says why.
            messages.error(request, exc.message)
            return redirect("leads:detail", no=lead.no)
        except ValidationError as exc:
            add_service_errors(form, exc)
            return _render_detail(request, lead, disqualify_form=form, status=400)
        messages.success(request, _("Lead %(no)s is disqualified.") % {"no": lead.no})
        return redirect("leads:detail", no=lead.no)
    return _render_detail(request, lead, disqualify_form=form, status=400)


@require_POST
def lead_reopen(request, no: str):
    lead = get_lead(request, no)
    try:
        services.lead_reopen(lead=lead, user=request.user)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Lead %(no)s is new again.") % {"no": lead.no})
    return redirect("leads:detail", no=lead.no)


# --- qualify ---------------------------------------------------------------------------------


def _qualify_initial(lead: Lead, defaults: services.QualifyDefaults, user) -> dict:
    def choice(matches, fields) -> str:
        # An exact match (same e-mail or name) is most likely the same contact; a weaker one is
        # offered first, but creating a new contact stays the default.
        if matches and matches[0].score >= 100:
            return matches[0].contact.no
        return NEW if fields else NONE

    company, person = defaults.company_fields, defaults.person_fields
    salesperson = defaults.salesperson or salesperson_of(user)
    return {
        "company_choice": choice(defaults.company_matches, company),
        "company_name": company.get("name", ""),
        "company_email": company.get("email", ""),
        "company_phone": company.get("phone", ""),
        "company_country": company.get("country", ""),
        "person_choice": choice(defaults.person_matches, person),
        "person_first_name": person.get("first_name", ""),
        "person_surname": person.get("surname", ""),
        "person_email": person.get("email", ""),
        "person_phone": person.get("phone", ""),
        "person_country": person.get("country", ""),
        "description": defaults.description,
        "salesperson": salesperson if salesperson is not None and not salesperson.blocked else None,
        "sales_cycle": defaults.sales_cycle,
    }


@require_http_methods(["GET", "HEAD", "POST"])
def lead_qualify(request, no: str):
    lead = get_lead(request, no)
    if not lead.is_open:
        messages.error(request, _("Only a new lead can be qualified."))
        return redirect("leads:detail", no=lead.no)
    defaults = services.qualify_defaults(lead)
    form_options = {
        "company_matches": defaults.company_matches,
        "person_matches": defaults.person_matches,
        "salespeople": salespeople_for(request.user),
        "contact_options_url": reverse("leads:contact_options"),
    }
    status = 200
    if request.method == "POST":
        form = QualifyForm(request.POST, **form_options)
        if form.is_valid():
            try:
                opportunity = services.lead_qualify(lead=lead, user=request.user, **form.service_values())
            except (DomainError, ValidationError) as exc:
                add_service_errors(form, exc, field_names=form.service_field_names())
                status = exc.status_code if isinstance(exc, DomainError) else 400
            else:
                messages.success(
                    request,
                    _("Lead %(no)s is qualified into opportunity %(opportunity)s.")
                    % {"no": lead.no, "opportunity": opportunity.no},
                )
                return redirect(_opportunity_url(opportunity))
        else:
            status = 400
    else:
        form = QualifyForm(initial=_qualify_initial(lead, defaults, request.user), **form_options)
    return render(
        request,
        "leads/qualify.html",
        {
            "lead": lead,
            "form": form,
            "company_fields": [form[name] for name in QualifyForm.COMPANY_FIELDS.values()],
            "person_fields": [form[name] for name in QualifyForm.PERSON_FIELDS.values()],
        },
        status=status,
    )


@require_safe
def contact_options(request):
    """``<option>``s of the companies (``company_no``) or persons (``person_no``) whose number or
    name starts with the typed text, for the qualify form's datalists (htmx). Prefix matches, as in
    the opportunity form's suggestions: they use the indexes on number and name."""
    require_sales_staff(request)
    contacts = []
    for parameter, contact_type in (("company_no", Contact.Type.COMPANY), ("person_no", Contact.Type.PERSON)):
        term = (request.GET.get(parameter) or "").strip()[:100]
        if term:
            contacts = (
                Contact.objects.filter(type=contact_type)
                .filter(Q(no__istartswith=term) | Q(name__istartswith=term))
                .order_by("name", "no")[:CONTACT_SUGGESTIONS]
            )
            break
    return render(request, "opportunities/contact_options.html", {"contacts": contacts})


urlpatterns = [
    path("leads/contact-options/", contact_options, name="contact_options"),
    path("leads/<str:no>/", lead_detail, name="detail"),
    path("leads/<str:no>/assign/", lead_assign, name="assign"),
    path("leads/<str:no>/disqualify/", lead_disqualify, name="disqualify"),
    path("leads/<str:no>/reopen/", lead_reopen, name="reopen"),
    path("leads/<str:no>/qualify/", lead_qualify, name="qualify"),
]
