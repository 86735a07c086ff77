"""Lead intake, duplicates, assignment, qualification and disqualification (SPEC §6): the one door.

The web form, the inbox, the admin, the API and the file import all call these functions; none of
them writes a lead by itself. File import lives in ``leads.imports`` and uses the same validation.

* Field problems raise Django's ``ValidationError`` with translated messages per field (the API
  answers 400 with them, forms show them at the field).
* A refusal by the lead's state raises ``LeadError`` (a ``DomainError``: 409 with ``{detail, code}``).
* A user who may see the lead but not do this raises ``PermissionRefused`` (403).
* ``user=None`` is the system: the public web form and management commands.

Who may do what (SPEC §5): managers (``change_all_opportunities``) everything; a rep works on the
unassigned leads and on their own, and assigns leads to themselves only; anybody else nothing,
except adding leads with the model permission ``leads.add_lead`` (an integration's user).
"""

import datetime
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import Q
from django.db.models.functions import Lower
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from common.errors import DomainError, PermissionRefused
from common.numbering import next_no
from common.text import normalise_for_search
from contacts import services as contact_services
from contacts.models import Contact, ContactSearchString, Salesperson
from leads.models import Lead
from opportunities import services as opportunity_services
from opportunities.models import Opportunity
from opportunities.permissions import can_change_all, salesperson_of
from salescycles.models import SalesCycle

Status = Lead.Status
Source = Lead.Source

# The fields a caller gives when creating a lead (forms, API, import), in display order.
LEAD_FIELDS = ("company_name", "first_name", "surname", "email", "phone", "country", "campaign", "message")
MAX_MESSAGE_LENGTH = 4000
# The raw payload is stored for tracing, not as a document store: a bigger body is refused.
MAX_PAYLOAD_CHARACTERS = 20_000
MAX_REASON_LENGTH = 250
DUPLICATE_LIMIT = 20
_COUNTRY_CODE = re.compile(r"[A-Z]{2}")


class LeadError(DomainError):
    """A lead rule refused the request (HTTP 409)."""


# --- who may do what -------------------------------------------------------------------------


def may_create_leads(user) -> bool:
    """Sales staff, managers, and users holding ``leads.add_lead`` (integrations) add leads."""
    if user is None or not user.is_authenticated or not user.is_active:
        return False
    return can_change_all(user) or salesperson_of(user) is not None or user.has_perm("leads.add_lead")


def may_work_on(user, lead: Lead) -> bool:
    """Managers work on every lead, a rep on the unassigned ones and their own."""
    if user is None or can_change_all(user):
        return True
    own = salesperson_of(user)
    return own is not None and lead.salesperson_id in (None, own.pk)


def _check_may_work_on(user, lead: Lead) -> None:
    if not may_work_on(user, lead):
        raise PermissionRefused("permission_denied", _("You may not change leads of another salesperson."))


def _check_may_assign(user, lead: Lead, salesperson: Salesperson | None) -> None:
    """Managers assign anybody (or nobody); a rep takes an unassigned lead for themselves only."""
    if user is None or can_change_all(user):
        return
    own = salesperson_of(user)
    if own is None or salesperson is None or salesperson.pk != own.pk:
        raise PermissionRefused("cannot_assign_other_salesperson", _("You can only assign leads to yourself."))
    if lead.salesperson_id not in (None, own.pk):
        raise PermissionRefused("permission_denied", _("You may not change leads of another salesperson."))


def _check_salesperson_usable(salesperson: Salesperson | None) -> None:
    if salesperson is not None and salesperson.blocked:
        raise LeadError(
            "salesperson_blocked",
            _("Salesperson %(code)s is blocked and cannot be chosen.") % {"code": salesperson.code},
        )


def _check_new(lead: Lead) -> None:
    if lead.status == Status.QUALIFIED:
        raise LeadError("lead_qualified", _("Lead %(no)s has already been qualified.") % {"no": lead.no})
    if lead.status == Status.DISQUALIFIED:
        raise LeadError("lead_disqualified", _("Lead %(no)s is disqualified; reopen it first.") % {"no": lead.no})


def _lock(lead: Lead) -> Lead:
    """Lock the lead row for this transaction and re-read it (two people acting at once queue up)."""
    return Lead.objects.select_for_update().get(pk=lead.pk)


def _sync(target: Lead, source: Lead) -> None:
    if target is source:
        return
    for model_field in Lead._meta.concrete_fields:
        setattr(target, model_field.attname, getattr(source, model_field.attname))


# --- validation ------------------------------------------------------------------------------


def name_key(company_name: str, first_name: str, surname: str) -> str:
    """``COMPANY|PERSON`` normalised; empty without a company name (a person's name alone is too common)."""
    company = normalise_for_search(company_name)
    if not company:
        return ""
    person = normalise_for_search(contact_services.build_person_name(first_name, surname))
    return f"{company}|{person}"[:200]


def clean_lead_fields(fields: Mapping) -> Lead:
    """An unsaved lead built from ``fields`` (keys of ``LEAD_FIELDS``), or ``ValidationError``.

    Pure validation without queries, shared by ``lead_create`` and the file import: texts are
    stripped, the country upper-cased; longer or malformed input is refused, never truncated.
    """
    unknown = set(fields) - set(LEAD_FIELDS)
    if unknown:
        raise ValueError(f"Unknown lead fields: {sorted(unknown)}")
    lead = Lead()
    for name in LEAD_FIELDS:
        value = fields.get(name)
        setattr(lead, name, "" if value is None else str(value).strip())
    errors: dict[str, list[str]] = {}
    if not lead.email and not lead.phone:
        message = _("Enter an e-mail address or a phone number.")
        errors["email"] = [message]
        errors["phone"] = [message]
    if lead.country:
        lead.country = lead.country.upper()
        if not _COUNTRY_CODE.fullmatch(lead.country):
            errors["country"] = [_("Enter a two-letter ISO 3166 country code, such as DE or NL.")]
    if len(lead.message) > MAX_MESSAGE_LENGTH:
        errors["message"] = [
            _("Ensure this value has at most %(max)d characters (it has %(length)d).")
            % {"max": MAX_MESSAGE_LENGTH, "length": len(lead.message)}
        ]
    try:
        lead.full_clean(
            exclude=["no", "status", "source", "payload", "message", "country"],
            validate_unique=False,
            validate_constraints=False,
        )
    except ValidationError as exc:
        for name, messages in exc.message_dict.items():
            errors.setdefault(name, messages)
    if errors:
        raise ValidationError(errors)
    lead.name_key = name_key(lead.company_name, lead.first_name, lead.surname)
    return lead


def _check_payload(payload) -> dict:
    if payload is None:
        return {}
    if not isinstance(payload, dict):
        payload = {"value": payload}
    try:
        size = len(json.dumps(payload, default=str))
    except (TypeError, ValueError):
        raise ValidationError({"payload": [_("The submitted data cannot be stored.")]}) from None
    if size > MAX_PAYLOAD_CHARACTERS:
        raise ValidationError(
            {
                "payload": [
                    _("The submitted data is too large (at most %(max)d characters).") % {"max": MAX_PAYLOAD_CHARACTERS}
                ]
            }
        )
    return payload


# --- duplicates ------------------------------------------------------------------------------


@dataclass
class Duplicates:
    """Existing contacts and recent leads that look like a lead (best first, at most 20 each)."""

    contacts: list[Contact] = field(default_factory=list)
    leads: list[Lead] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.contacts or self.leads)


def _recent_cutoff() -> datetime.datetime:
    return timezone.now() - datetime.timedelta(days=settings.CRM_LEAD_DUPLICATE_DAYS)


def _name_candidates(keys: set[str]) -> dict[int, Contact]:
    """Contacts whose normalised name may be one of ``keys``, found through BC's indexed search
    strings (first and last five characters of the name), then compared in full by the caller."""
    if not keys:
        return {}
    firsts = {key[: contact_services.SEARCH_PART_LENGTH] for key in keys}
    lasts = {key[-contact_services.SEARCH_PART_LENGTH :] for key in keys}
    ids = (
        ContactSearchString.objects.filter(field="name", part=ContactSearchString.Part.FIRST, value__in=firsts)
        .filter(
            contact__search_strings__field="name",
            contact__search_strings__part=ContactSearchString.Part.LAST,
            contact__search_strings__value__in=lasts,
        )
        .values("contact_id")
    )
    # Bounded: a name shared by more contacts than this is no useful duplicate hint anyway.
    return {contact.pk: contact for contact in Contact.objects.select_related("company").filter(pk__in=ids)[:200]}


def find_duplicates(leads: Iterable[Lead]) -> list[Duplicates]:
    """The duplicates of each lead (saved or not), in a fixed number of queries for any number of leads.

    A contact matches by the same e-mail address in any letter case, or by name: a person of the
    lead's name at a company of the lead's company name, or (a lead without a person) a company of
    that name. A lead matches when created within ``CRM_LEAD_DUPLICATE_DAYS`` days with the same
    e-mail or the same company + person name. Names compare normalised (case, accents and
    punctuation ignored). A lead never matches itself.
    """
    leads = list(leads)
    results = [Duplicates() for _lead in leads]
    if not leads:
        return results
    emails = {lead.email.lower() for lead in leads if lead.email}
    keys = {lead.name_key for lead in leads if lead.name_key}
    contact_keys = set()
    for lead in leads:
        if lead.name_key:
            company, person = lead.name_key.split("|", 1)
            contact_keys.add(person or company)

    contacts_by_email: dict[str, list[Contact]] = {}
    if emails:
        for contact in (
            Contact.objects.select_related("company")
            .alias(email_lower=Lower("email"))
            .filter(email_lower__in=emails)
            .order_by("no")
        ):
            contacts_by_email.setdefault(contact.email.lower(), []).append(contact)
    candidates = list(_name_candidates(contact_keys).values())
    recent: list[Lead] = []
    if emails or keys:
        recent = list(
            Lead.objects.alias(email_lower=Lower("email"))
            .filter(Q(email_lower__in=emails) | Q(name_key__in=keys), created_at__gte=_recent_cutoff())
            .select_related("salesperson")
            .order_by("-created_at", "-no")
        )

    for lead, result in zip(leads, results, strict=True):
        found: dict[int, Contact] = {}
        for contact in contacts_by_email.get(lead.email.lower(), []) if lead.email else []:
            found.setdefault(contact.pk, contact)
        if lead.name_key:
            company, person = lead.name_key.split("|", 1)
            for contact in candidates:
                if person:
                    matches = (
                        not contact.is_company
                        and normalise_for_search(contact.name) == person
                        and contact.company is not None
                        and normalise_for_search(contact.company.name) == company
                    )
                else:
                    matches = contact.is_company and normalise_for_search(contact.name) == company
                if matches:
                    found.setdefault(contact.pk, contact)
        result.contacts = sorted(found.values(), key=lambda contact: contact.no)[:DUPLICATE_LIMIT]
        result.leads = [
            other
            for other in recent
            if other.pk != lead.pk
            and (
                (lead.email and other.email.lower() == lead.email.lower())
                or (lead.name_key and other.name_key == lead.name_key)
            )
        ][:DUPLICATE_LIMIT]
    return results


def lead_duplicates(lead: Lead) -> Duplicates:
    """The contacts and recent leads matching ``lead`` (four queries at most)."""
    return find_duplicates([lead])[0]


# --- intake ----------------------------------------------------------------------------------


@transaction.atomic
def lead_create(
    *,
    user=None,
    source: str,
    payload: dict | None = None,
    salesperson: Salesperson | None = None,
    **fields,
) -> Lead:
    """Store an incoming lead, flagged when it looks like a known contact or a recent lead.

    ``fields`` are those of ``LEAD_FIELDS``; at least an e-mail address or a phone number is
    required. ``payload`` is what was submitted, stored as is. A ``salesperson`` assigns the lead at
    once (same rules as ``lead_assign``; the salesperson is notified after commit).
    """
    if source not in Source.values:
        raise ValidationError({"source": [_("Choose web form, API, import or manual.")]})
    if user is not None and not may_create_leads(user):
        raise PermissionRefused("permission_denied", _("You may not add leads."))
    lead = clean_lead_fields(fields)
    lead.source = source
    lead.payload = _check_payload(payload)
    if salesperson is not None:
        _check_may_assign(user, lead, salesperson)
        _check_salesperson_usable(salesperson)
        lead.salesperson = salesperson
    lead.is_possible_duplicate = bool(lead_duplicates(lead))
    lead.no = next_no("LD", Lead)
    lead.created_by = user if user is not None and user.is_authenticated else None
    lead.save()
    if salesperson is not None:
        _notify_on_commit(lead, salesperson)
    return lead


# --- assignment ------------------------------------------------------------------------------


def lead_url(lead: Lead) -> str:
    """The lead's page, absolute with setting ``CRM_BASE_URL`` (e.g. ``https://crm.example.com``), else a path."""
    path = reverse("leads:detail", kwargs={"no": lead.no})
    return settings.CRM_BASE_URL.rstrip("/") + path if settings.CRM_BASE_URL else path


def _recipient_language(salesperson: Salesperson) -> str:
    profile = getattr(salesperson.user, "profile", None) if salesperson.user_id else None
    return (profile.language if profile is not None else "") or settings.LANGUAGE_CODE


def send_assignment_email(*, lead: Lead, salesperson: Salesperson) -> None:
    """The e-mail telling a salesperson a lead is theirs, in their profile's language."""
    if not salesperson.email:
        return
    with translation.override(_recipient_language(salesperson)):
        subject = _("Lead %(no)s has been assigned to you") % {"no": lead.no}
        lines = [
            _("Hello %(name)s,") % {"name": salesperson.name},
            "",
            _("the lead %(no)s is now yours:") % {"no": lead.no},
            "",
        ]
        for label, value in (
            (_("Company"), lead.company_name),
            (_("Name"), lead.person_name),
            (_("E-mail"), lead.email),
            (_("Phone"), lead.phone),
            (_("Source"), lead.get_source_display()),
            (_("Campaign"), lead.campaign),
            (_("Message"), lead.message),
        ):
            if value:
                lines.append(f"{label}: {value}")
        lines += ["", _("Open the lead: %(url)s") % {"url": lead_url(lead)}]
        body = "\n".join(lines)
    send_mail(subject, body, None, [salesperson.email], fail_silently=False)


def _notify_on_commit(lead: Lead, salesperson: Salesperson) -> None:
    # After commit only: a rolled-back assignment must not have told anybody anything.
    if salesperson.email:
        transaction.on_commit(lambda: send_assignment_email(lead=lead, salesperson=salesperson))


@transaction.atomic
def lead_assign(*, lead: Lead, user, salesperson: Salesperson | None) -> Lead:
    """Assign a new lead to ``salesperson`` (``None``: unassign, managers only).

    Raises ``PermissionRefused`` (``cannot_assign_other_salesperson``, ``permission_denied``) and
    ``LeadError`` (``lead_qualified``, ``lead_disqualified``, ``salesperson_blocked``). The new
    salesperson gets an e-mail after commit; assigning the same salesperson again changes nothing.
    """
    locked = _lock(lead)
    _check_may_assign(user, locked, salesperson)
    _check_new(locked)
    new_id = salesperson.pk if salesperson is not None else None
    if locked.salesperson_id != new_id:
        _check_salesperson_usable(salesperson)
        locked.salesperson = salesperson
        locked.save(update_fields=["salesperson", "updated_at"])
        if salesperson is not None:
            _notify_on_commit(locked, salesperson)
    _sync(lead, locked)
    return lead


@dataclass
class BulkResult:
    """The outcome of a bulk action: the leads done, and each refused lead with the refusal."""

    done: list[Lead] = field(default_factory=list)
    refused: list[tuple[Lead, DomainError]] = field(default_factory=list)


def _per_lead(leads: Iterable[Lead], operation) -> BulkResult:
    """Each lead in its own transaction, in number order: done completely or not at all."""
    result = BulkResult()
    for lead in sorted(leads, key=lambda item: item.no):
        try:
            operation(lead)
        except DomainError as exc:
            result.refused.append((lead, exc))
        except ValidationError as exc:
            result.refused.append((lead, LeadError("invalid", " ".join(exc.messages))))
        else:
            result.done.append(lead)
    return result


def leads_assign(*, leads: Iterable[Lead], user, salesperson: Salesperson | None) -> BulkResult:
    """``lead_assign`` for each lead; a refused lead stays as it was and is reported."""
    return _per_lead(leads, lambda lead: lead_assign(lead=lead, user=user, salesperson=salesperson))


# --- disqualify, reopen ----------------------------------------------------------------------


def _check_reason(reason: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": [_("Give the reason for disqualifying the lead.")]})
    if len(reason) > MAX_REASON_LENGTH:
        raise ValidationError(
            {
                "reason": [
                    _("Ensure this value has at most %(max)d characters (it has %(length)d).")
                    % {"max": MAX_REASON_LENGTH, "length": len(reason)}
                ]
            }
        )
    return reason


@transaction.atomic
def lead_disqualify(*, lead: Lead, user, reason: str) -> Lead:
    """Disqualify a new lead with a reason (``ValidationError`` on ``reason`` without one).

    Raises ``PermissionRefused`` (``permission_denied``), ``LeadError`` (``lead_qualified``,
    ``lead_disqualified``).
    """
    reason = _check_reason(reason)
    locked = _lock(lead)
    _check_may_work_on(user, locked)
    _check_new(locked)
    locked.status = Status.DISQUALIFIED
    locked.disqualification_reason = reason
    locked.save(update_fields=["status", "disqualification_reason", "updated_at"])
    _sync(lead, locked)
    return lead


def leads_disqualify(*, leads: Iterable[Lead], user, reason: str) -> BulkResult:
    """``lead_disqualify`` for each lead; a missing reason refuses all (``ValidationError``)."""
    reason = _check_reason(reason)
    return _per_lead(leads, lambda lead: lead_disqualify(lead=lead, user=user, reason=reason))


@transaction.atomic
def lead_reopen(*, lead: Lead, user) -> Lead:
    """A disqualified lead becomes new again (its reason is cleared).

    Raises ``PermissionRefused`` (``permission_denied``), ``LeadError`` (``lead_qualified``: a
    qualified lead has become an opportunity and stays so; ``lead_not_disqualified``).
    """
    locked = _lock(lead)
    _check_may_work_on(user, locked)
    if locked.status == Status.QUALIFIED:
        raise LeadError(
            "lead_qualified",
            _("Lead %(no)s has been qualified into opportunity %(opportunity)s and cannot be reopened.")
            % {"no": locked.no, "opportunity": locked.opportunity.no},
        )
    if locked.status != Status.DISQUALIFIED:
        raise LeadError("lead_not_disqualified", _("Lead %(no)s is not disqualified.") % {"no": locked.no})
    locked.status = Status.NEW
    locked.disqualification_reason = ""
    locked.save(update_fields=["status", "disqualification_reason", "updated_at"])
    _sync(lead, locked)
    return lead


def leads_reopen(*, leads: Iterable[Lead], user) -> BulkResult:
    """``lead_reopen`` for each lead; a refused lead stays as it was and is reported."""
    return _per_lead(leads, lambda lead: lead_reopen(lead=lead, user=user))


# --- qualify ---------------------------------------------------------------------------------

# Contact fields a qualification may give for a new company / person (type and company are set here).
QUALIFY_CONTACT_FIELDS = tuple(name for name in contact_services.CONTACT_FIELDS if name not in ("type", "company"))


@dataclass
class QualifyDefaults:
    """What a qualify form starts with: new-contact fields prefilled from the lead, the likely
    duplicate contacts to offer first (exact matches of the lead first, then BC's duplicate
    search with its score), and the proposed opportunity."""

    company_fields: dict
    person_fields: dict
    company_matches: list[contact_services.DuplicateMatch]
    person_matches: list[contact_services.DuplicateMatch]
    description: str
    salesperson: Salesperson | None
    sales_cycle: SalesCycle | None


def _matches(contact: Contact, exact: list[Contact]) -> list[contact_services.DuplicateMatch]:
    found = {match.contact.pk: match for match in contact_services.likely_duplicates(contact)}
    for other in exact:
        found[other.pk] = contact_services.DuplicateMatch(other, 100)
    return sorted(found.values(), key=lambda match: (-match.score, match.contact.no))


def qualify_defaults(lead: Lead) -> QualifyDefaults:
    """Prefilled values and likely duplicate contacts for qualifying ``lead`` (bounded queries)."""
    company_fields = {}
    if lead.company_name:
        company_fields = {"name": lead.company_name, "country": lead.country}
        if not lead.person_name:
            company_fields.update(email=lead.email, phone=lead.phone)
    person_fields = {}
    if lead.person_name:
        person_fields = {
            "first_name": lead.first_name,
            "surname": lead.surname,
            "email": lead.email,
            "phone": lead.phone,
            "country": lead.country,
        }
    exact = lead_duplicates(lead).contacts
    company_matches = person_matches = []
    if company_fields:
        company_matches = _matches(
            Contact(type=Contact.Type.COMPANY, **company_fields), [c for c in exact if c.is_company]
        )
    if person_fields:
        person = Contact(type=Contact.Type.PERSON, name=lead.person_name, **person_fields)
        person_matches = _matches(person, [c for c in exact if not c.is_company])
    description = lead.company_name or lead.person_name or lead.email or lead.phone
    if lead.campaign:
        description = f"{description} ({lead.campaign})"
    return QualifyDefaults(
        company_fields={key: value for key, value in company_fields.items() if value},
        person_fields={key: value for key, value in person_fields.items() if value},
        company_matches=[match for match in company_matches if match.contact.is_company],
        person_matches=[match for match in person_matches if not match.contact.is_company],
        description=description[:100],
        salesperson=lead.salesperson,
        sales_cycle=opportunity_services.default_sales_cycle(),
    )


def _new_contact(prefix: str, values: Mapping, **fixed) -> Contact:
    """``contact_create`` with its field errors reported as ``<prefix>.<field>``."""
    unknown = set(values) - set(QUALIFY_CONTACT_FIELDS)
    if unknown:
        raise ValidationError({prefix: [_("Unknown fields: %(fields)s.") % {"fields": ", ".join(sorted(unknown))}]})
    try:
        return contact_services.contact_create(**values, **fixed)
    except ValidationError as exc:
        raise ValidationError({f"{prefix}.{name}": messages for name, messages in exc.message_dict.items()}) from exc


@transaction.atomic
def lead_qualify(
    *,
    lead: Lead,
    user,
    company: Contact | None = None,
    create_company: Mapping | None = None,
    person: Contact | None = None,
    create_person: Mapping | None = None,
    salesperson: Salesperson | None = None,
    sales_cycle: SalesCycle | None = None,
    description: str,
    activate_first_stage: bool = False,
    estimated_value: Decimal | None = None,
    chances_of_success_pct: Decimal | None = None,
    estimated_close_date: datetime.date | None = None,
) -> Opportunity:
    """Turn a new lead into contacts and an opportunity, all in one transaction (SPEC §6).

    Company: an existing company contact (``company``), a new one (``create_company``: contact
    fields), or none. Person: likewise; a new person belongs to the company. At least one of them
    is required; the opportunity's contact is the person, else the company. The contacts are made
    by ``contacts.services.contact_create``, the opportunity by
    ``opportunities.services.opportunity_create`` (which applies its own rules: salesperson and
    sales cycle defaults, reps only for themselves, blocked ones refused, activation). Any refusal
    leaves nothing behind: no contact, no opportunity, the lead still new.

    Raises ``ValidationError`` (``company``, ``person``, ``create_company.<field>``,
    ``create_person.<field>``, ``description``…), ``PermissionRefused`` (``permission_denied``,
    ``cannot_assign_other_salesperson``), ``LeadError`` (``lead_qualified``,
    ``lead_disqualified``) and the ``OpportunityError`` of opportunity_create.
    """
    errors = {}
    if company is not None and create_company is not None:
        errors["company"] = [_("Choose an existing company or create one, not both.")]
    elif company is not None and not company.is_company:
        errors["company"] = [_("Contact %(no)s is not a company.") % {"no": company.no}]
    if person is not None and create_person is not None:
        errors["person"] = [_("Choose an existing person or create one, not both.")]
    elif person is not None and person.is_company:
        errors["person"] = [_("Contact %(no)s is not a person.") % {"no": person.no}]
    elif person is not None and company is not None and person.company_id not in (None, company.pk):
        errors["person"] = [
            _("Person %(person)s belongs to another company than %(company)s.")
            % {"person": person.no, "company": company.no}
        ]
    if not errors and not (company or create_company or person or create_person):
        errors["company"] = [_("Choose or create the company or the person of the opportunity.")]
    if errors:
        raise ValidationError(errors)

    locked = _lock(lead)
    _check_may_work_on(user, locked)
    _check_new(locked)

    if create_company is not None:
        company = _new_contact("create_company", create_company, user=user, type=Contact.Type.COMPANY)
    if create_person is not None:
        person = _new_contact("create_person", create_person, user=user, type=Contact.Type.PERSON, company=company)
    opportunity = opportunity_services.opportunity_create(
        user=user,
        description=description,
        contact=person or company,
        salesperson=salesperson,
        sales_cycle=sales_cycle,
        activate_first_stage=activate_first_stage,
        estimated_value=estimated_value,
        chances_of_success_pct=chances_of_success_pct,
        estimated_close_date=estimated_close_date,
    )
    locked.company_contact = company if company is not None else (person.company if person else None)
    locked.person_contact = person
    locked.opportunity = opportunity
    locked.salesperson_id = opportunity.salesperson_id
    locked.status = Status.QUALIFIED
    locked.qualified_at = timezone.now()
    locked.save(
        update_fields=[
            "company_contact",
            "person_contact",
            "opportunity",
            "salesperson",
            "status",
            "qualified_at",
            "updated_at",
        ]
    )
    _sync(lead, locked)
    return opportunity
