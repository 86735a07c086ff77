"""Views: contacts (companies and persons).

Contacts are read by all staff, created and edited by sales staff and managers, deleted by
managers (SPEC §5); every write goes through ``contacts.services``. The opportunities and tasks
shown on a contact's page are only those the user may see (``visible_to``).
"""

import copy

from django.contrib import messages
from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Q, Sum
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_safe

from common.markup import fill
from common.ordering import rows_of_page
from contacts import services
from contacts.forms import ContactFilterForm, ContactForm
from contacts.models import Contact
from opportunities.models import Opportunity, Task
from opportunities.permissions import salesperson_of
from opportunities.views import url_with_no

PAGE_SIZE = 50
# A company page lists this many persons and opportunities; the figures always count them all.
DETAIL_ROWS = 50


# One row of the contact list; ``_rows`` fills it in with ``common.markup.fill`` (each value escaped,
# as the template language would). Per row in the template, nine translated labels and three
# reversed URLs were most of the search page's time at 50 rows.
ROW_HTML = """    <tr>
      <td data-label="{label_no}"><a href="{url}">{no}</a></td>
      <th scope="row" data-label="{label_name}"><a href="{url}">{name}</a></th>
      <td data-label="{label_type}">{type}</td>
      <td data-label="{label_company}">{company}</td>
      <td data-label="{label_city}">{city}</td>
      <td data-label="{label_country}">{country}</td>
      <td data-label="{label_phone}">{phone}</td>
      <td data-label="{label_email}">{email}</td>
      <td data-label="{label_salesperson}">{salesperson}</td>
    </tr>
"""


def _rows(contacts: list) -> list:
    """Write each contact's row (``contact.html``), the labels translated and the URL reversed once."""
    detail_url = url_with_no("contacts:detail")
    labels = {
        "label_no": _("No."),
        "label_name": _("Name"),
        "label_type": _("Type"),
        "label_company": _("Company"),
        "label_city": _("City"),
        "label_country": _("Country"),
        "label_phone": _("Phone no."),
        "label_email": _("Email"),
        "label_salesperson": _("Salesperson"),
    }
    types = {value: str(label) for value, label in Contact.Type.choices}
    for contact in contacts:
        company = contact.company
        contact.html = fill(
            ROW_HTML,
            url=detail_url(contact.no),
            no=contact.no,
            name=contact.name,
            type=types.get(contact.type, contact.type),
            company=fill('<a href="{url}">{name}</a>', url=detail_url(company.no), name=company.name)
            if company
            else "",
            city=contact.city,
            country=contact.country,
            phone=fill('<a href="tel:{phone}">{phone}</a>', phone=contact.phone) if contact.phone else "",
            email=fill('<a href="mailto:{email}">{email}</a>', email=contact.email) if contact.email else "",
            salesperson=contact.salesperson.name if contact.salesperson else "",
            **labels,
        )
    return contacts


@require_safe
def contact_list(request):
    filters = ContactFilterForm(request.GET or None)
    contacts = Contact.objects.select_related("company", "salesperson")
    if filters.is_bound and filters.is_valid():
        contacts = filters.filter(contacts)
        sort = filters.cleaned_data.get("sort") or "no"
    else:
        contacts = contacts.order_by("no")
        sort = "no"
    page = Paginator(contacts, PAGE_SIZE).get_page(request.GET.get("page"))
    if filters.is_bound and filters.is_valid() and filters.searched_by_trigrams():
        # The ids of the page, then its rows with their joins (common/ordering.py).
        page.object_list = rows_of_page(page.object_list, Contact.objects.select_related("company", "salesperson"))
    page.object_list = _rows(list(page.object_list))
    query = request.GET.copy()
    query.pop("page", None)
    sort_query = query.copy()
    sort_query.pop("sort", None)
    return render(
        request,
        "contacts/list.html",
        {
            "filters": filters,
            "page": page,
            "query": query.urlencode(),
            "sort_query": sort_query.urlencode(),
            "sort": sort,
            "may_write": services.may_write_contacts(request.user),
        },
    )


def _figures(opportunities) -> dict:
    """SPEC §4: open figures never include won or lost opportunities."""
    return opportunities.aggregate(
        open_count=Count("id", filter=Q(closed=False)),
        estimated_value=Sum("estimated_value", filter=Q(closed=False), default=0),
        weighted_value=Sum("calculated_current_value", filter=Q(closed=False), default=0),
        won_count=Count("id", filter=Q(status=Opportunity.Status.WON)),
        won_value=Sum("calculated_current_value", filter=Q(status=Opportunity.Status.WON), default=0),
        lost_count=Count("id", filter=Q(status=Opportunity.Status.LOST)),
        total=Count("id"),
    )


@require_safe
def contact_detail(request, no: str):
    contact = get_object_or_404(Contact.objects.select_related("company", "salesperson"), no=no)
    visible = Opportunity.objects.visible_to(request.user)
    if contact.is_company:
        # contact_company is the company for its persons' opportunities too (SPEC §4).
        opportunities = visible.filter(contact_company=contact)
        persons = contact.persons.select_related("salesperson").order_by("name", "no")[:DETAIL_ROWS]
        person_count = contact.persons.count()
        tasks = None
    else:
        opportunities = visible.filter(contact=contact)
        persons, person_count = [], 0
        tasks = Task.objects.visible_to(request.user).open().filter(contact=contact).select_related("opportunity")
        tasks = tasks.order_by("date", "no")[:DETAIL_ROWS]
    figures = _figures(opportunities)
    rows = opportunities.select_related("contact", "salesperson").prefetch_related("current_stage")
    rows = rows.order_by("closed", "-creation_date", "-no")[:DETAIL_ROWS]
    return render(
        request,
        "contacts/detail.html",
        {
            "contact": contact,
            "figures": figures,
            "opportunities": rows,
            "persons": persons,
            "person_count": person_count,
            "tasks": tasks,
            "detail_rows": DETAIL_ROWS,
            "may_write": services.may_write_contacts(request.user),
            "may_delete": services.may_delete_contacts(request.user),
        },
    )


def _candidate(fields: dict, instance: Contact | None) -> Contact:
    """The contact as it would be saved, for the duplicate search (nothing is written)."""
    candidate = copy.copy(instance) if instance is not None else Contact()
    for field, value in fields.items():
        setattr(candidate, field, "" if value is None and field not in ("company", "salesperson") else value)
    if candidate.type == Contact.Type.PERSON:
        candidate.name = services.build_person_name(candidate.first_name, candidate.surname) or candidate.name
    return candidate


def _add_service_errors(form: ContactForm, error: ValidationError) -> None:
    if hasattr(error, "error_dict"):
        for field, messages_ in error.message_dict.items():
            form.add_error(field if field in form.fields and field != NON_FIELD_ERRORS else None, messages_)
    else:
        form.add_error(None, error.messages)


def _contact_form(request, *, instance: Contact | None):
    if not services.may_write_contacts(request.user):
        raise PermissionDenied(_("Only sales staff and sales managers can change contacts."))
    current_salesperson_id = instance.salesperson_id if instance else None
    duplicates = []
    if request.method == "POST":
        form = ContactForm(request.POST, current_salesperson_id=current_salesperson_id)
        if form.is_valid():
            fields = form.contact_fields()
            if not form.cleaned_data["confirm"]:
                candidate = _candidate(fields, instance)
                changed = instance is None or services.search_strings(candidate) != services.search_strings(instance)
                if changed:
                    duplicates = services.likely_duplicates(candidate)
            if not duplicates:
                try:
                    if instance is None:
                        contact = services.contact_create(user=request.user, **fields)
                        messages.success(request, _("Contact %(no)s was created.") % {"no": contact.no})
                    else:
                        contact = services.contact_update(contact=instance, user=request.user, **fields)
                        messages.success(request, _("Contact %(no)s was saved.") % {"no": contact.no})
                    return redirect("contacts:detail", no=contact.no)
                except ValidationError as error:
                    _add_service_errors(form, error)
                except services.ContactError as error:
                    form.add_error(None, error.message)
            else:
                # The next submit saves: the user has seen the likely duplicates.
                data = request.POST.copy()
                data["confirm"] = "on"
                form = ContactForm(data, current_salesperson_id=current_salesperson_id)
                form.is_valid()
    elif instance is not None:
        form = ContactForm(initial=ContactForm.initial_for(instance), current_salesperson_id=current_salesperson_id)
    else:
        own = salesperson_of(request.user)
        initial = {"type": Contact.Type.COMPANY, "salesperson": own.pk if own and not own.blocked else None}
        company_no = request.GET.get("company", "")
        company = Contact.objects.filter(no=company_no, type=Contact.Type.COMPANY).first() if company_no else None
        if company is not None:
            initial.update(
                type=Contact.Type.PERSON,
                company=company.no,
                address=company.address,
                address_2=company.address_2,
                post_code=company.post_code,
                city=company.city,
                country=company.country,
                salesperson=company.salesperson_id,
                language=company.language,
            )
        form = ContactForm(initial=initial)
    status = 400 if request.method == "POST" and form.errors else 200
    return render(
        request,
        "contacts/form.html",
        {"form": form, "contact": instance, "duplicates": duplicates},
        status=status,
    )


@require_http_methods(["GET", "HEAD", "POST"])
def contact_create(request):
    return _contact_form(request, instance=None)


@require_http_methods(["GET", "HEAD", "POST"])
def contact_edit(request, no: str):
    contact = get_object_or_404(Contact.objects.select_related("company", "salesperson"), no=no)
    return _contact_form(request, instance=contact)


@require_http_methods(["GET", "HEAD", "POST"])
def contact_delete(request, no: str):
    contact = get_object_or_404(Contact, no=no)
    if not services.may_delete_contacts(request.user):
        raise PermissionDenied(_("Only sales managers can delete contacts."))
    if request.method == "POST":
        try:
            services.contact_delete(contact=contact, user=request.user)
        except services.ContactError as error:
            messages.error(request, error.message)
            return redirect("contacts:detail", no=contact.no)
        messages.success(request, _("Contact %(no)s was deleted.") % {"no": no})
        return redirect("contacts:list")
    return render(request, "contacts/delete.html", {"contact": contact})


urlpatterns = [
    path("", contact_list, name="list"),
    path("new/", contact_create, name="create"),
    path("<str:no>/", contact_detail, name="detail"),
    path("<str:no>/edit/", contact_edit, name="edit"),
    path("<str:no>/delete/", contact_delete, name="delete"),
]
