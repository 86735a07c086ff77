"""People and companies we sell to, and our salespeople (SPEC §2.2)."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from common.validators import code_validator, percent_validators, validate_phone_no


class SalespersonQuerySet(models.QuerySet):
    def usable(self):
        return self.filter(blocked=False)


class Salesperson(models.Model):
    code = models.CharField(_("code"), max_length=20, unique=True, validators=[code_validator])
    name = models.CharField(_("name"), max_length=100)
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="salesperson",
        verbose_name=_("user"),
    )
    email = models.EmailField(_("email"), max_length=100, blank=True)
    phone = models.CharField(_("phone no."), max_length=30, blank=True, validators=[validate_phone_no])
    job_title = models.CharField(_("job title"), max_length=100, blank=True)
    commission_pct = models.DecimalField(
        _("commission %"), max_digits=5, decimal_places=2, default=0, validators=percent_validators
    )
    blocked = models.BooleanField(_("blocked"), default=False)

    objects = SalespersonQuerySet.as_manager()

    class Meta:
        ordering = ["code"]
        verbose_name = _("salesperson")
        verbose_name_plural = _("salespeople")
        constraints = [
            models.CheckConstraint(
                condition=Q(commission_pct__gte=0, commission_pct__lte=100), name="salesperson_commission_pct_range"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} – {self.name}"


class ContactQuerySet(models.QuerySet):
    def companies(self):
        return self.filter(type=Contact.Type.COMPANY)

    def persons(self):
        return self.filter(type=Contact.Type.PERSON)


class Contact(models.Model):
    class Type(models.TextChoices):
        COMPANY = "company", _("Company")
        PERSON = "person", _("Person")

    no = models.CharField(_("no."), max_length=20, unique=True, editable=False)
    type = models.CharField(_("type"), max_length=10, choices=Type.choices, default=Type.COMPANY)
    name = models.CharField(_("name"), max_length=100)
    company = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="persons",
        limit_choices_to={"type": "company"},
        verbose_name=_("company"),
    )
    first_name = models.CharField(_("first name"), max_length=30, blank=True)
    surname = models.CharField(_("surname"), max_length=30, blank=True)
    job_title = models.CharField(_("job title"), max_length=100, blank=True)
    salesperson = models.ForeignKey(
        Salesperson,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="contacts",
        verbose_name=_("salesperson"),
    )
    address = models.CharField(_("address"), max_length=100, blank=True)
    address_2 = models.CharField(_("address 2"), max_length=100, blank=True)
    post_code = models.CharField(_("post code"), max_length=20, blank=True)
    city = models.CharField(_("city"), max_length=30, blank=True)
    country = models.CharField(_("country/region code"), max_length=2, blank=True)
    phone = models.CharField(_("phone no."), max_length=30, blank=True, validators=[validate_phone_no])
    mobile_phone = models.CharField(_("mobile phone no."), max_length=30, blank=True, validators=[validate_phone_no])
    email = models.EmailField(_("email"), max_length=100, blank=True)
    website = models.URLField(_("home page"), max_length=100, blank=True)
    language = models.CharField(_("language"), max_length=10, choices=settings.LANGUAGES, blank=True)
    vat_registration_no = models.CharField(_("VAT registration no."), max_length=20, blank=True)
    notes = models.TextField(_("notes"), blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    objects = ContactQuerySet.as_manager()

    class Meta:
        ordering = ["no"]
        verbose_name = _("contact")
        verbose_name_plural = _("contacts")
        constraints = [
            models.CheckConstraint(condition=Q(type__in=["company", "person"]), name="contact_type_valid"),
            # Only persons belong to a company; a company's "company" is itself (see company_contact).
            models.CheckConstraint(
                condition=Q(type="person") | Q(company__isnull=True), name="contact_company_only_for_persons"
            ),
        ]
        indexes = [
            models.Index(fields=["name"], name="contact_name_idx"),
            models.Index(fields=["email"], name="contact_email_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.no} {self.name}"

    @property
    def is_company(self) -> bool:
        return self.type == self.Type.COMPANY

    @property
    def company_contact(self) -> "Contact | None":
        """The company this contact belongs to: itself for a company, None for a lone person."""
        return self if self.is_company else self.company

    @property
    def company_contact_id(self) -> int | None:
        return self.pk if self.is_company else self.company_id


class ContactSearchString(models.Model):
    """Business Central's duplicate search strings (SPEC §2.2).

    For each of a contact's fields, the first and the last five characters of the normalised
    value. Two contacts share a string when field, part and value are equal; the share of a
    contact's strings found on another contact is their duplicate score.
    """

    class Part(models.TextChoices):
        FIRST = "first", _("First")
        LAST = "last", _("Last")

    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="search_strings")
    field = models.CharField(max_length=30)
    part = models.CharField(max_length=5, choices=Part.choices)
    value = models.CharField(max_length=5)

    class Meta:
        verbose_name = _("duplicate search string")
        verbose_name_plural = _("duplicate search strings")
        indexes = [models.Index(fields=["field", "part", "value"], name="contactsearch_lookup_idx")]
        constraints = [
            models.UniqueConstraint(fields=["contact", "field", "part"], name="contactsearch_unique_per_field_part")
        ]

    def __str__(self) -> str:
        return f"{self.field}/{self.part}: {self.value}"
