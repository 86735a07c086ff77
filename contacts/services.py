"""Writes of contacts and salespeople, and BC's duplicate search (SPEC §2.2, §3.5)."""

import re
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, Q
from django.utils.translation import gettext as _

from common.errors import DomainError
from common.numbering import next_no
from common.text import normalise_for_search
from contacts.models import Contact, ContactSearchString, Salesperson

# The fields whose first and last five characters are compared (BC's "Duplicate Search String Setup").
SEARCH_FIELDS = ("name", "address", "city", "post_code", "phone", "email", "vat_registration_no")
SEARCH_PART_LENGTH = 5

_COUNTRY_CODE = re.compile(r"[A-Z]{2}")

# The writable fields of a contact, in the order forms and the API show them.
CONTACT_FIELDS = (
    "type",
    "name",
    "company",
    "first_name",
    "surname",
    "job_title",
    "salesperson",
    "address",
    "address_2",
    "post_code",
    "city",
    "country",
    "phone",
    "mobile_phone",
    "email",
    "website",
    "language",
    "vat_registration_no",
    "notes",
)


class ContactError(DomainError):
    """A contact or salesperson rule refused the request (HTTP 409)."""


# --- duplicate search ------------------------------------------------------------------------


def search_strings(contact: Contact) -> list[tuple[str, str, str]]:
    """(field, part, value) for each non-empty search field of the contact."""
    strings = []
    for field in SEARCH_FIELDS:
        value = normalise_for_search(getattr(contact, field))
        if not value:
            continue
        strings.append((field, ContactSearchString.Part.FIRST, value[:SEARCH_PART_LENGTH]))
        strings.append((field, ContactSearchString.Part.LAST, value[-SEARCH_PART_LENGTH:]))
    return strings


def _store_search_strings(contact: Contact) -> None:
    ContactSearchString.objects.filter(contact=contact).delete()
    ContactSearchString.objects.bulk_create(
        ContactSearchString(contact=contact, field=field, part=part, value=value)
        for field, part, value in search_strings(contact)
    )


@dataclass(frozen=True)
class DuplicateMatch:
    contact: Contact
    score: int  # % of the checked contact's search strings found on the other contact


def likely_duplicates(contact: Contact, *, threshold: int | None = None, limit: int = 20) -> list[DuplicateMatch]:
    """Contacts sharing at least ``threshold`` % of this contact's search strings.

    Works for a contact that is not saved yet (the create form shows duplicates before saving).
    Costs two queries whatever the number of contacts: one grouped count over the indexed
    search strings, one to fetch the matching contacts.
    """
    threshold = settings.CRM_DUPLICATE_MATCH_PCT if threshold is None else threshold
    strings = search_strings(contact)
    if not strings:
        return []
    condition = Q()
    for field, part, value in strings:
        condition |= Q(field=field, part=part, value=value)
    total = len(strings)
    # matches * 100 >= threshold * total, in integers
    needed = -(-threshold * total // 100)
    rows = (
        ContactSearchString.objects.filter(condition)
        .exclude(contact_id=contact.pk)
        .values("contact_id")
        .annotate(matches=Count("id"))
        .filter(matches__gte=max(needed, 1))
        .order_by("-matches", "contact_id")[:limit]
    )
    scores = {row["contact_id"]: row["matches"] * 100 // total for row in rows}
    contacts = Contact.objects.select_related("company").in_bulk(scores)
    return sorted(
        (DuplicateMatch(contacts[pk], score) for pk, score in scores.items() if pk in contacts),
        key=lambda match: (-match.score, match.contact.no),
    )


# --- contacts --------------------------------------------------------------------------------


def build_person_name(first_name: str, surname: str) -> str:
    return " ".join(part for part in ((first_name or "").strip(), (surname or "").strip()) if part)


def _apply_contact_rules(contact: Contact) -> None:
    """Company/person rules; raises ``ValidationError`` with field errors."""
    errors: dict[str, list[str]] = {}
    if contact.type == Contact.Type.COMPANY:
        for field in ("company", "first_name", "surname"):
            if getattr(contact, field if field != "company" else "company_id"):
                errors[field] = [_("Only a person contact has this field.")]
    else:
        if contact.company_id is not None and (
            # A company turned into a person must not end up as its own company.
            contact.company_id == contact.pk or contact.company.type != Contact.Type.COMPANY
        ):
            errors["company"] = [_("A person can only belong to a company contact.")]
        built = build_person_name(contact.first_name, contact.surname)
        if built:
            contact.name = built
    contact.name = (contact.name or "").strip()
    if not contact.name:
        errors["name"] = [_("Enter a name, or a first name and surname for a person.")]
    if contact.country:
        contact.country = contact.country.strip().upper()
        if not _COUNTRY_CODE.fullmatch(contact.country):
            errors["country"] = [_("Enter a two-letter ISO 3166 country code, such as DE or NL.")]
    # Field validators (lengths, e-mail, phone without letters) with translated messages; reported
    # together with the rules above so that a form shows every problem at once.
    try:
        contact.full_clean(exclude=["no"], validate_unique=False, validate_constraints=False)
    except ValidationError as exc:
        for field, messages in exc.message_dict.items():
            errors.setdefault(field, messages)
    if errors:
        raise ValidationError(errors)


def _assign(contact: Contact, fields: dict) -> None:
    unknown = set(fields) - set(CONTACT_FIELDS)
    if unknown:
        raise ValueError(f"Unknown contact fields: {sorted(unknown)}")
    for field, value in fields.items():
        setattr(contact, field, "" if value is None and field not in ("company", "salesperson") else value)


@transaction.atomic
def contact_create(*, user=None, **fields) -> Contact:
    """Create a contact; likely duplicates are shown by the caller, they never block."""
    contact = Contact()
    _assign(contact, fields)
    _apply_contact_rules(contact)
    contact.no = next_no("CT", Contact)
    contact.save()
    _store_search_strings(contact)
    return contact


@transaction.atomic
def contact_update(*, contact: Contact, user=None, **fields) -> Contact:
    contact = Contact.objects.select_for_update().get(pk=contact.pk)
    old_type, old_company_id = contact.type, contact.company_id
    _assign(contact, fields)
    if contact.type != old_type:
        if contact.opportunities.exists():
            raise ContactError(
                "contact_type_locked",
                _("The type of contact %(no)s cannot change: it has opportunities.") % {"no": contact.no},
            )
        if old_type == Contact.Type.COMPANY and contact.persons.exists():
            raise ContactError(
                "contact_has_persons",
                _("Company %(no)s has persons and cannot become a person.") % {"no": contact.no},
            )
    _apply_contact_rules(contact)
    contact.save()
    _store_search_strings(contact)
    if contact.company_id != old_company_id:
        # contact_company is derived: keep the person's opportunities in step with their company.
        contact.opportunities.update(contact_company_id=contact.company_contact_id or contact.pk)
    return contact


@transaction.atomic
def contact_delete(*, contact: Contact, user=None) -> None:
    from opportunities.models import Opportunity, OpportunityEntry, Task

    if Opportunity.objects.filter(Q(contact=contact) | Q(contact_company=contact), closed=False).exists() or (
        Task.objects.filter(contact=contact, closed=False).exists()
    ):
        raise ContactError(
            "contact_in_use",
            _("Contact %(no)s has open opportunities or open tasks and cannot be deleted.") % {"no": contact.no},
        )
    if contact.persons.exists():
        raise ContactError(
            "contact_has_persons",
            _("Company %(no)s still has persons; delete or move them first.") % {"no": contact.no},
        )
    # Entries keep a snapshot of the contact: one an opportunity has since moved away from is
    # still part of its history (and protected by the database).
    if (
        Opportunity.objects.filter(Q(contact=contact) | Q(contact_company=contact)).exists()
        or OpportunityEntry.objects.filter(contact=contact).exists()
    ):
        raise ContactError(
            "contact_has_history",
            _("Contact %(no)s is part of the history of opportunities, which must stay.") % {"no": contact.no},
        )
    Task.objects.filter(contact=contact).update(contact=None)
    contact.delete()


# --- salespeople -----------------------------------------------------------------------------


@transaction.atomic
def salesperson_delete(*, salesperson: Salesperson, user=None) -> None:
    from opportunities.models import Opportunity, OpportunityEntry, Task

    if (
        Opportunity.objects.filter(salesperson=salesperson, closed=False).exists()
        or Task.objects.filter(salesperson=salesperson, closed=False).exists()
    ):
        raise ContactError(
            "salesperson_in_use",
            _("Salesperson %(code)s has open opportunities or open tasks; reassign them or block the salesperson.")
            % {"code": salesperson.code},
        )
    if (
        Opportunity.objects.filter(salesperson=salesperson).exists()
        or OpportunityEntry.objects.filter(salesperson=salesperson).exists()
        or Task.objects.filter(salesperson=salesperson).exists()
    ):
        raise ContactError(
            "salesperson_has_history",
            _("Salesperson %(code)s appears in the history of opportunities; block the salesperson instead.")
            % {"code": salesperson.code},
        )
    salesperson.delete()


SALESPERSON_FIELDS = {"code", "name", "user", "email", "phone", "job_title", "commission_pct", "blocked"}


def _save_salesperson(salesperson: Salesperson, changes: dict) -> Salesperson:
    unknown = set(changes) - SALESPERSON_FIELDS
    if unknown:
        raise ValueError(f"Unknown salesperson fields: {sorted(unknown)}")
    for field, value in changes.items():
        setattr(salesperson, field, value)
    # Field validators and "one salesperson per user", with translated messages.
    salesperson.full_clean()
    if salesperson.pk is None:
        salesperson.save()
    elif changes:
        salesperson.save(update_fields=list(changes))
    return salesperson


@transaction.atomic
def salesperson_create(*, user=None, changes: dict) -> Salesperson:
    """``changes`` holds the fields (its ``user`` is the login linked to the salesperson; ``user``
    the one acting)."""
    return _save_salesperson(Salesperson(), changes)


@transaction.atomic
def salesperson_update(*, salesperson: Salesperson, user=None, changes: dict) -> Salesperson:
    """Blocking retires a salesperson: their open opportunities stay theirs until reassigned."""
    salesperson = Salesperson.objects.select_for_update().get(pk=salesperson.pk)
    return _save_salesperson(salesperson, changes)


# --- who may change contacts (SPEC §5) -------------------------------------------------------


def may_write_contacts(user) -> bool:
    """Sales staff (a user linked to a salesperson) and sales managers create and edit contacts."""
    from opportunities.permissions import can_change_all, salesperson_of

    return can_change_all(user) or salesperson_of(user) is not None


def may_delete_contacts(user) -> bool:
    """Only sales managers delete contacts."""
    from opportunities.permissions import can_change_all

    return can_change_all(user)
