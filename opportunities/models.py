"""The pipeline: opportunities, their history entries, tasks and quotes (SPEC §2.3).

Fields, choices, constraints and cheap predicates live here; every change of state goes through
``opportunities.services``.
"""

from decimal import Decimal

from django.conf import settings
from django.db import connections, models, router
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from common.validators import amount_validators, percent_validators, quantity_validators
from contacts.models import Contact, Salesperson
from opportunities.permissions import is_manager, salesperson_of
from salescycles.models import CloseOpportunityCode, Priority, SalesCycle, SalesCycleStage, TaskType

AMOUNT = {"max_digits": 18, "decimal_places": 2, "validators": amount_validators}
PERCENT = {"max_digits": 5, "decimal_places": 2, "validators": percent_validators}


def _percent_range(field: str, prefix: str) -> models.CheckConstraint:
    return models.CheckConstraint(
        condition=Q(**{f"{field}__gte": 0, f"{field}__lte": 100}), name=f"{prefix}_{field}_range"
    )


def _non_negative(field: str, prefix: str) -> models.CheckConstraint:
    return models.CheckConstraint(condition=Q(**{f"{field}__gte": 0}), name=f"{prefix}_{field}_non_negative")


class VisibleToQuerySet(models.QuerySet):
    """Row visibility of SPEC §5, in one place for the UI, the admin and the API.

    Managers (``view_all_opportunities``) see every row; a user linked to a salesperson sees the
    rows of that salesperson; anybody else sees nothing.
    """

    salesperson_field = "salesperson"

    def visible_to(self, user):
        if user is None or not user.is_authenticated or not user.is_active:
            return self.none()
        if is_manager(user):
            return self
        salesperson = salesperson_of(user)
        if salesperson is None:
            return self.none()
        return self.filter(**{self.salesperson_field: salesperson})


class OpportunityQuerySet(VisibleToQuerySet):
    def open(self):
        """Not yet won or lost: what pipeline figures count."""
        return self.filter(closed=False)

    def in_progress(self):
        return self.filter(status=Opportunity.Status.IN_PROGRESS)

    def for_list(self):
        """What a list or a page shows of each opportunity, without a query per row.

        The contact, its company and the salesperson are joined; the sales cycles and current
        stages are read after the rows, one query each for all of them. Joining those two small
        set-up tables as well multiplies PostgreSQL's planning time (seven tables: 2-4 ms for a
        statement that runs in a fraction of a millisecond; five: about 0.5 ms).
        """
        return self.select_related("contact", "contact_company", "salesperson").prefetch_related(
            "sales_cycle", "current_stage"
        )

    def for_export(self):
        """``for_list`` in one statement, for reading in chunks: a constant number of queries
        whatever the number of rows (a prefetch would add two per chunk)."""
        return self.select_related("contact", "contact_company", "salesperson", "sales_cycle", "current_stage")


class Opportunity(models.Model):
    class Status(models.TextChoices):
        NOT_STARTED = "not_started", _("Not started")
        IN_PROGRESS = "in_progress", _("In progress")
        WON = "won", _("Won")
        LOST = "lost", _("Lost")

    no = models.CharField(_("no."), max_length=20, unique=True, editable=False)
    description = models.CharField(_("description"), max_length=100)
    contact = models.ForeignKey(
        Contact, on_delete=models.PROTECT, related_name="opportunities", verbose_name=_("contact")
    )
    # The contact's company, or the contact itself (a company or a person without a company).
    contact_company = models.ForeignKey(
        Contact,
        on_delete=models.PROTECT,
        related_name="company_opportunities",
        verbose_name=_("contact company"),
    )
    salesperson = models.ForeignKey(
        Salesperson, on_delete=models.PROTECT, related_name="opportunities", verbose_name=_("salesperson")
    )
    sales_cycle = models.ForeignKey(
        SalesCycle, on_delete=models.PROTECT, related_name="opportunities", verbose_name=_("sales cycle")
    )
    priority = models.CharField(_("priority"), max_length=10, choices=Priority.choices, default=Priority.NORMAL)
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.NOT_STARTED)
    closed = models.BooleanField(_("closed"), default=False)
    creation_date = models.DateField(_("creation date"))
    date_closed = models.DateField(_("date closed"), null=True, blank=True)
    close_code = models.ForeignKey(
        CloseOpportunityCode,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="opportunities",
        verbose_name=_("close opportunity code"),
    )
    # A copy of the active entry's figures, written in the same transaction as the entry.
    current_stage = models.ForeignKey(
        SalesCycleStage,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="current_opportunities",
        verbose_name=_("current stage"),
    )
    estimated_value = models.DecimalField(_("estimated sales value"), default=Decimal("0"), **AMOUNT)
    chances_of_success_pct = models.DecimalField(_("chances of success %"), default=Decimal("0"), **PERCENT)
    completed_pct = models.DecimalField(_("completed %"), default=Decimal("0"), **PERCENT)
    probability_pct = models.DecimalField(_("probability %"), default=Decimal("0"), **PERCENT)
    calculated_current_value = models.DecimalField(_("calculated current value"), default=Decimal("0"), **AMOUNT)
    estimated_closing_date = models.DateField(_("estimated closing date"), null=True, blank=True)
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

    objects = OpportunityQuerySet.as_manager()

    class Meta:
        ordering = ["-no"]
        verbose_name = _("opportunity")
        verbose_name_plural = _("opportunities")
        permissions = [
            ("view_all_opportunities", _("Can view all opportunities")),
            ("change_all_opportunities", _("Can change all opportunities")),
        ]
        indexes = [
            models.Index(fields=["status", "salesperson"], name="opportunity_status_sp_idx"),
            models.Index(fields=["salesperson", "status"], name="opportunity_sp_status_idx"),
            # A rep's list and API list in their default order (newest number first): without it,
            # PostgreSQL walks the number index of all opportunities and skips the others' rows.
            models.Index(fields=["salesperson", "no"], name="opportunity_sp_no_idx"),
            # A status and a priority, largest value first (the API's ?status=…&priority=…
            # &ordering=-estimated_value): the count and the page without reading every such row.
            models.Index(fields=["status", "priority", "estimated_value", "no"], name="opportunity_st_prio_value_idx"),
            models.Index(fields=["sales_cycle", "current_stage"], name="opportunity_cycle_stage_idx"),
            models.Index(fields=["estimated_closing_date"], name="opportunity_est_close_idx"),
            models.Index(fields=["date_closed"], name="opportunity_date_closed_idx"),
            # The pipeline board: its cards in column order and its column totals, index-only.
            models.Index(
                fields=["sales_cycle", "current_stage", "estimated_closing_date", "id"],
                include=["estimated_value", "calculated_current_value"],
                condition=Q(status__in=["not_started", "in_progress"]),
                name="opportunity_board_idx",
            ),
            # The dashboard: overdue open opportunities in closing order and the open forecast by month.
            models.Index(
                fields=["estimated_closing_date", "no"],
                include=["estimated_value", "calculated_current_value"],
                condition=Q(closed=False),
                name="opportunity_open_closing_idx",
            ),
            models.Index(
                fields=["salesperson", "estimated_closing_date", "no"],
                include=["estimated_value", "calculated_current_value"],
                condition=Q(closed=False),
                name="opportunity_sp_open_close_idx",
            ),
            # The dashboard: won and lost figures of the last 12 months, index-only.
            models.Index(
                fields=["date_closed"],
                include=["status", "calculated_current_value"],
                condition=Q(status__in=["won", "lost"]),
                name="opportunity_closed_date_idx",
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=["not_started", "in_progress", "won", "lost"]), name="opportunity_status_valid"
            ),
            models.CheckConstraint(condition=Q(priority__in=Priority.values), name="opportunity_priority_valid"),
            # "closed" is exactly "won or lost", and only closed opportunities carry close data.
            models.CheckConstraint(
                condition=Q(
                    closed=True, status__in=["won", "lost"], date_closed__isnull=False, close_code__isnull=False
                )
                | Q(closed=False, status__in=["not_started", "in_progress"], close_code__isnull=True),
                name="opportunity_closed_matches_status",
            ),
            # Only an opportunity in progress stands at a stage.
            models.CheckConstraint(
                condition=Q(status="in_progress", current_stage__isnull=False)
                | (~Q(status="in_progress") & Q(current_stage__isnull=True)),
                name="opportunity_stage_matches_status",
            ),
            _non_negative("estimated_value", "opportunity"),
            _non_negative("calculated_current_value", "opportunity"),
            _percent_range("chances_of_success_pct", "opportunity"),
            _percent_range("completed_pct", "opportunity"),
            _percent_range("probability_pct", "opportunity"),
        ]

    def __str__(self) -> str:
        return f"{self.no} {self.description}"

    @property
    def is_started(self) -> bool:
        return self.status != self.Status.NOT_STARTED

    @property
    def weighted_value(self) -> Decimal:
        return self.calculated_current_value


class OpportunityEntry(models.Model):
    """One immutable row of an opportunity's history: the figures at one moment.

    Only ``active`` and ``days_open`` change, when a later entry replaces this one.
    """

    class Action(models.TextChoices):
        FIRST = "first", _("First")
        NEXT = "next", _("Next")
        PREVIOUS = "previous", _("Previous")
        SKIPPED = "skipped", _("Skipped")
        JUMPED = "jumped", _("Jumped")
        UPDATED = "updated", _("Updated")
        WON = "won", _("Won")
        LOST = "lost", _("Lost")

    opportunity = models.ForeignKey(
        Opportunity, on_delete=models.CASCADE, related_name="entries", verbose_name=_("opportunity")
    )
    sales_cycle = models.ForeignKey(
        SalesCycle, on_delete=models.PROTECT, related_name="entries", verbose_name=_("sales cycle")
    )
    stage = models.ForeignKey(
        SalesCycleStage,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="entries",
        verbose_name=_("stage"),
    )
    previous_stage = models.ForeignKey(
        SalesCycleStage,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("previous stage"),
    )
    action_taken = models.CharField(_("action taken"), max_length=10, choices=Action.choices)
    date_of_change = models.DateField(_("date of change"))
    active = models.BooleanField(_("active"), default=True)
    days_open = models.PositiveIntegerField(_("days open"), default=0)
    date_closed = models.DateField(_("date closed"), null=True, blank=True)
    estimated_value = models.DecimalField(_("estimated sales value"), **AMOUNT)
    chances_of_success_pct = models.DecimalField(_("chances of success %"), **PERCENT)
    completed_pct = models.DecimalField(_("completed %"), **PERCENT)
    probability_pct = models.DecimalField(_("probability %"), **PERCENT)
    calculated_current_value = models.DecimalField(_("calculated current value"), **AMOUNT)
    estimated_close_date = models.DateField(_("estimated close date"), null=True, blank=True)
    close_code = models.ForeignKey(
        CloseOpportunityCode,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="entries",
        verbose_name=_("close opportunity code"),
    )
    contact = models.ForeignKey(Contact, on_delete=models.PROTECT, related_name="+", verbose_name=_("contact"))
    salesperson = models.ForeignKey(
        Salesperson, on_delete=models.PROTECT, related_name="opportunity_entries", verbose_name=_("salesperson")
    )
    note = models.TextField(_("note"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("created by"),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["opportunity", "id"]
        verbose_name = _("opportunity entry")
        verbose_name_plural = _("opportunity entries")
        indexes = [
            models.Index(fields=["stage", "active"], name="entry_stage_active_idx"),
            models.Index(fields=["sales_cycle", "action_taken"], name="entry_cycle_action_idx"),
            # Sales cycle statistics: the stage history of a cycle grouped by stage and opportunity, index-only.
            models.Index(
                fields=["sales_cycle", "stage", "opportunity"],
                include=["days_open", "active", "date_of_change"],
                condition=Q(stage__isnull=False),
                name="entry_cycle_stage_opp_idx",
            ),
            # Win/loss by stage: the close entries (the active won or lost ones), index-only.
            models.Index(
                fields=["sales_cycle", "previous_stage"],
                include=["action_taken", "date_of_change", "opportunity"],
                condition=Q(active=True, action_taken__in=["won", "lost"]),
                name="entry_close_idx",
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["opportunity"], condition=Q(active=True), name="opportunityentry_one_active_per_opportunity"
            ),
            models.CheckConstraint(
                condition=Q(
                    action_taken__in=["first", "next", "previous", "skipped", "jumped", "updated", "won", "lost"]
                ),
                name="opportunityentry_action_valid",
            ),
            # Close entries stand at no stage and carry the closing date; stage entries the reverse.
            models.CheckConstraint(
                condition=Q(action_taken__in=["won", "lost"], stage__isnull=True, date_closed__isnull=False)
                | (~Q(action_taken__in=["won", "lost"]) & Q(stage__isnull=False, date_closed__isnull=True)),
                name="opportunityentry_stage_matches_action",
            ),
            _non_negative("estimated_value", "opportunityentry"),
            _non_negative("calculated_current_value", "opportunityentry"),
            _percent_range("chances_of_success_pct", "opportunityentry"),
            _percent_range("completed_pct", "opportunityentry"),
            _percent_range("probability_pct", "opportunityentry"),
        ]

    def __str__(self) -> str:
        return f"{self.opportunity_id}/{self.pk} {self.action_taken}"

    @property
    def entry_no(self) -> int:
        return self.pk


class StageHistoryVersionQuerySet(models.QuerySet):
    def bump(self, sales_cycle_id: int) -> None:
        """Count one change of the cycle's stage history (inside the writing transaction).

        One upsert: the first change of a cycle creates its row, later ones add one to it.
        """
        database = connections[router.db_for_write(self.model)]
        table = database.ops.quote_name(self.model._meta.db_table)
        with database.cursor() as cursor:
            cursor.execute(
                f"INSERT INTO {table} (sales_cycle_id, version) VALUES (%s, 1) "
                f"ON CONFLICT (sales_cycle_id) DO UPDATE SET version = {table}.version + 1",
                [sales_cycle_id],
            )

    def of(self, sales_cycle_id: int) -> int:
        return self.filter(pk=sales_cycle_id).values_list("version", flat=True).first() or 0


class StageHistoryVersion(models.Model):
    """How often the entries of a sales cycle were written or deleted.

    The services add one in the transaction that writes an entry or deletes an opportunity, so a
    cached figure computed from the entries (``opportunities.reports``) under an older version is
    never read again. Its own table, so that saving a sales cycle never writes it back.
    """

    sales_cycle = models.OneToOneField(
        SalesCycle, on_delete=models.CASCADE, primary_key=True, related_name="+", verbose_name=_("sales cycle")
    )
    version = models.PositiveBigIntegerField(_("version"), default=0)

    objects = StageHistoryVersionQuerySet.as_manager()

    class Meta:
        verbose_name = _("stage history version")
        verbose_name_plural = _("stage history versions")

    def __str__(self) -> str:
        return f"{self.sales_cycle_id}: {self.version}"


class TaskQuerySet(VisibleToQuerySet):
    def open(self):
        return self.filter(closed=False)


class Task(models.Model):
    """A to-do of a salesperson (BC: "To-do"), often generated from a stage's activity."""

    class Status(models.TextChoices):
        NOT_STARTED = "not_started", _("Not started")
        IN_PROGRESS = "in_progress", _("In progress")
        COMPLETED = "completed", _("Completed")
        WAITING = "waiting", _("Waiting")
        POSTPONED = "postponed", _("Postponed")

    no = models.CharField(_("no."), max_length=20, unique=True, editable=False)
    type = models.CharField(_("type"), max_length=20, choices=TaskType.choices, default=TaskType.TASK)
    description = models.CharField(_("description"), max_length=100)
    date = models.DateField(_("date"))
    priority = models.CharField(_("priority"), max_length=10, choices=Priority.choices, default=Priority.NORMAL)
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.NOT_STARTED)
    closed = models.BooleanField(_("closed"), default=False)
    canceled = models.BooleanField(_("canceled"), default=False)
    date_closed = models.DateField(_("date closed"), null=True, blank=True)
    salesperson = models.ForeignKey(
        Salesperson, on_delete=models.PROTECT, related_name="tasks", verbose_name=_("salesperson")
    )
    contact = models.ForeignKey(
        Contact, on_delete=models.PROTECT, null=True, blank=True, related_name="tasks", verbose_name=_("contact")
    )
    # Closed tasks outlive a deleted opportunity (they are the salesperson's record of work done).
    opportunity = models.ForeignKey(
        Opportunity,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="tasks",
        verbose_name=_("opportunity"),
    )
    opportunity_entry = models.ForeignKey(
        OpportunityEntry,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="tasks",
        verbose_name=_("opportunity entry"),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    objects = TaskQuerySet.as_manager()

    class Meta:
        ordering = ["date", "no"]
        verbose_name = _("task")
        verbose_name_plural = _("tasks")
        indexes = [models.Index(fields=["salesperson", "closed", "date"], name="task_sp_open_date_idx")]
        constraints = [
            models.CheckConstraint(condition=Q(type__in=TaskType.values), name="task_type_valid"),
            models.CheckConstraint(condition=Q(priority__in=Priority.values), name="task_priority_valid"),
            models.CheckConstraint(
                condition=Q(status__in=["not_started", "in_progress", "completed", "waiting", "postponed"]),
                name="task_status_valid",
            ),
            models.CheckConstraint(condition=Q(canceled=False) | Q(closed=True), name="task_canceled_is_closed"),
        ]

    def __str__(self) -> str:
        return f"{self.no} {self.description}"


class QuoteQuerySet(VisibleToQuerySet):
    salesperson_field = "opportunity__salesperson"


class Quote(models.Model):
    no = models.CharField(_("no."), max_length=20, unique=True, editable=False)
    opportunity = models.OneToOneField(
        Opportunity, on_delete=models.CASCADE, related_name="quote", verbose_name=_("opportunity")
    )
    quote_date = models.DateField(_("quote date"))
    valid_until = models.DateField(_("valid until"), null=True, blank=True)
    # The sum of the line amounts, kept in step with the lines by the quote service.
    total = models.DecimalField(_("total excl. VAT"), default=Decimal("0"), **AMOUNT)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    objects = QuoteQuerySet.as_manager()

    class Meta:
        ordering = ["-no"]
        verbose_name = _("sales quote")
        verbose_name_plural = _("sales quotes")
        constraints = [
            _non_negative("total", "quote"),
            models.CheckConstraint(
                condition=Q(valid_until__isnull=True) | Q(valid_until__gte=models.F("quote_date")),
                name="quote_valid_until_after_quote_date",
            ),
        ]

    def __str__(self) -> str:
        return self.no


class QuoteLine(models.Model):
    quote = models.ForeignKey(Quote, on_delete=models.CASCADE, related_name="lines", verbose_name=_("quote"))
    line_no = models.PositiveIntegerField(_("line no."))
    description = models.CharField(_("description"), max_length=100)
    quantity = models.DecimalField(_("quantity"), max_digits=18, decimal_places=4, validators=quantity_validators)
    unit_price = models.DecimalField(_("unit price"), **AMOUNT)
    discount_pct = models.DecimalField(_("line discount %"), default=Decimal("0"), **PERCENT)
    amount = models.DecimalField(_("line amount"), **AMOUNT)

    class Meta:
        ordering = ["quote", "line_no"]
        verbose_name = _("sales quote line")
        verbose_name_plural = _("sales quote lines")
        constraints = [
            models.UniqueConstraint(fields=["quote", "line_no"], name="quoteline_unique_line_no"),
            _non_negative("quantity", "quoteline"),
            _non_negative("unit_price", "quoteline"),
            _non_negative("amount", "quoteline"),
            _percent_range("discount_pct", "quoteline"),
        ]

    def __str__(self) -> str:
        return f"{self.quote_id}/{self.line_no} {self.description}"
