"""Incoming, not yet qualified interest (SPEC §6).

Fields, choices, constraints and cheap predicates live here; every change of a lead goes through
``leads.services``.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils.translation import gettext_lazy as _

from common.validators import validate_phone_no
from contacts.models import Contact, Salesperson
from opportunities.models import Opportunity
from opportunities.permissions import is_manager, salesperson_of


class LeadQuerySet(models.QuerySet):
    def visible_to(self, user):
        """SPEC §5 for leads: managers see all; a rep sees the unassigned leads and their own;
        anybody else sees none (an integration that may only add leads reads nothing back)."""
        if user is None or not user.is_authenticated or not user.is_active:
            return self.none()
        if is_manager(user):
            return self
        salesperson = salesperson_of(user)
        if salesperson is None:
            return self.none()
        return self.filter(Q(salesperson__isnull=True) | Q(salesperson=salesperson))

    def new(self):
        return self.filter(status=Lead.Status.NEW)

    def for_list(self):
        """What a list shows, without a query per row."""
        return self.select_related("salesperson", "company_contact", "person_contact", "opportunity", "created_by")


class Lead(models.Model):
    class Status(models.TextChoices):
        NEW = "new", _("New")
        QUALIFIED = "qualified", _("Qualified")
        DISQUALIFIED = "disqualified", _("Disqualified")

    class Source(models.TextChoices):
        WEB_FORM = "web_form", _("Web form")
        API = "api", _("API")
        IMPORT = "import", _("Import")
        MANUAL = "manual", _("Manual")

    no = models.CharField(_("no."), max_length=20, unique=True, editable=False)
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.NEW)
    source = models.CharField(_("source"), max_length=10, choices=Source.choices)
    company_name = models.CharField(_("company name"), max_length=100, blank=True)
    first_name = models.CharField(_("first name"), max_length=30, blank=True)
    surname = models.CharField(_("surname"), max_length=30, blank=True)
    email = models.EmailField(_("email"), max_length=100, blank=True)
    phone = models.CharField(_("phone no."), max_length=30, blank=True, validators=[validate_phone_no])
    country = models.CharField(_("country/region code"), max_length=2, blank=True)
    campaign = models.CharField(_("campaign"), max_length=100, blank=True)
    message = models.TextField(_("message"), blank=True)
    # What was submitted, as submitted (form fields, API body, file row), for tracing and support.
    payload = models.JSONField(_("submitted data"), default=dict, blank=True)
    # Normalised "COMPANY|PERSON" (empty without a company name): duplicate search by name, indexed.
    name_key = models.CharField(max_length=200, blank=True, editable=False)
    is_possible_duplicate = models.BooleanField(_("possible duplicate"), default=False)
    disqualification_reason = models.CharField(_("disqualification reason"), max_length=250, blank=True)
    salesperson = models.ForeignKey(
        Salesperson,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="leads",
        verbose_name=_("salesperson"),
    )
    company_contact = models.ForeignKey(
        Contact,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="company_leads",
        verbose_name=_("company contact"),
    )
    person_contact = models.ForeignKey(
        Contact,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="person_leads",
        verbose_name=_("person contact"),
    )
    opportunity = models.ForeignKey(
        Opportunity,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="leads",
        verbose_name=_("opportunity"),
    )
    qualified_at = models.DateTimeField(_("qualified at"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("created by"),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    objects = LeadQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-no"]
        verbose_name = _("lead")
        verbose_name_plural = _("leads")
        indexes = [
            models.Index(fields=["status", "-created_at"], name="lead_status_created_idx"),
            models.Index(fields=["salesperson", "status"], name="lead_sp_status_idx"),
            # Duplicate search: same e-mail in any letter case, same name key, within recent days.
            models.Index(Lower("email"), "created_at", name="lead_email_lower_idx"),
            models.Index(fields=["name_key", "created_at"], name="lead_name_key_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=["new", "qualified", "disqualified"]), name="lead_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(source__in=["web_form", "api", "import", "manual"]), name="lead_source_valid"
            ),
            # Nobody can be contacted without an e-mail address or a phone number.
            models.CheckConstraint(
                condition=~Q(email="") | ~Q(phone=""),
                name="lead_email_or_phone",
                violation_error_message=_("Enter an e-mail address or a phone number."),
            ),
            # Qualified is exactly "became an opportunity".
            models.CheckConstraint(
                condition=Q(status="qualified", opportunity__isnull=False, qualified_at__isnull=False)
                | (~Q(status="qualified") & Q(opportunity__isnull=True)),
                name="lead_qualified_has_opportunity",
            ),
            models.CheckConstraint(
                condition=~Q(status="disqualified") | ~Q(disqualification_reason=""),
                name="lead_disqualified_has_reason",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.no} {self.display_name}"

    @property
    def person_name(self) -> str:
        return " ".join(part for part in (self.first_name.strip(), self.surname.strip()) if part)

    @property
    def display_name(self) -> str:
        """Company and person as a list shows them ("Acme GmbH – Anna Schmidt"), else the e-mail or phone."""
        parts = [part for part in (self.company_name.strip(), self.person_name) if part]
        return " – ".join(parts) or self.email or self.phone

    @property
    def is_open(self) -> bool:
        return self.status == self.Status.NEW
