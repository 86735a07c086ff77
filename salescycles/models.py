"""Setup data maintained by managers: sales cycles, stages, close codes, activities (SPEC §2.1)."""

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from common.validators import code_validator, percent_validators, validate_date_formula

PERCENT = {"max_digits": 5, "decimal_places": 2, "validators": percent_validators}


class ProbabilityCalculation(models.TextChoices):
    MULTIPLY = "multiply", _("Multiply")
    ADD = "add", _("Add")
    CHANCES_OF_SUCCESS = "chances_of_success", _("Chances of success %")
    COMPLETED = "completed", _("Completed %")


class TaskType(models.TextChoices):
    TASK = "task", _("Task")
    PHONE_CALL = "phone_call", _("Phone call")
    MEETING = "meeting", _("Meeting")


class Priority(models.TextChoices):
    LOW = "low", _("Low")
    NORMAL = "normal", _("Normal")
    HIGH = "high", _("High")


class SalesCycleQuerySet(models.QuerySet):
    def usable(self):
        return self.filter(blocked=False)


class SalesCycle(models.Model):
    code = models.CharField(_("code"), max_length=20, unique=True, validators=[code_validator])
    description = models.CharField(_("description"), max_length=100)
    probability_calculation = models.CharField(
        _("probability calculation"),
        max_length=20,
        choices=ProbabilityCalculation.choices,
        default=ProbabilityCalculation.MULTIPLY,
    )
    blocked = models.BooleanField(_("blocked"), default=False)

    objects = SalesCycleQuerySet.as_manager()

    class Meta:
        ordering = ["code"]
        verbose_name = _("sales cycle")
        verbose_name_plural = _("sales cycles")
        constraints = [
            models.CheckConstraint(
                condition=Q(probability_calculation__in=ProbabilityCalculation.values),
                name="salescycle_probability_calculation_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} – {self.description}"


class SalesCycleStage(models.Model):
    sales_cycle = models.ForeignKey(
        SalesCycle, on_delete=models.CASCADE, related_name="stages", verbose_name=_("sales cycle")
    )
    stage = models.PositiveIntegerField(_("stage"))
    description = models.CharField(_("description"), max_length=100)
    completed_pct = models.DecimalField(_("completed %"), default=0, **PERCENT)
    chances_of_success_pct = models.DecimalField(_("chances of success %"), default=0, **PERCENT)
    activity = models.ForeignKey(
        "Activity",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="stages",
        verbose_name=_("activity"),
    )
    quote_required = models.BooleanField(_("quote required"), default=False)
    allow_skip = models.BooleanField(_("allow skip"), default=False)
    date_formula = models.CharField(
        _("date formula"),
        max_length=30,
        blank=True,
        validators=[validate_date_formula],
        help_text=_("Proposes the estimated close date, e.g. 7D, 2W, 1M+10D, CM. Empty: the same day."),
    )

    class Meta:
        ordering = ["sales_cycle", "stage"]
        verbose_name = _("sales cycle stage")
        verbose_name_plural = _("sales cycle stages")
        constraints = [
            models.UniqueConstraint(fields=["sales_cycle", "stage"], name="salescyclestage_unique_stage_per_cycle"),
            models.CheckConstraint(condition=Q(stage__gt=0), name="salescyclestage_stage_positive"),
            models.CheckConstraint(
                condition=Q(completed_pct__gte=0, completed_pct__lte=100), name="salescyclestage_completed_pct_range"
            ),
            models.CheckConstraint(
                condition=Q(chances_of_success_pct__gte=0, chances_of_success_pct__lte=100),
                name="salescyclestage_chances_pct_range",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.stage}. {self.description}"


class CloseOpportunityCode(models.Model):
    class Type(models.TextChoices):
        WON = "won", _("Won")
        LOST = "lost", _("Lost")

    code = models.CharField(_("code"), max_length=20, unique=True, validators=[code_validator])
    description = models.CharField(_("description"), max_length=100)
    type = models.CharField(_("type"), max_length=4, choices=Type.choices)

    class Meta:
        ordering = ["type", "code"]
        verbose_name = _("close opportunity code")
        verbose_name_plural = _("close opportunity codes")
        constraints = [
            models.CheckConstraint(condition=Q(type__in=["won", "lost"]), name="closeopportunitycode_type_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.code} – {self.description}"


class Activity(models.Model):
    """A template of tasks created when an opportunity enters a stage that names it."""

    code = models.CharField(_("code"), max_length=20, unique=True, validators=[code_validator])
    description = models.CharField(_("description"), max_length=100)

    class Meta:
        ordering = ["code"]
        verbose_name = _("activity")
        verbose_name_plural = _("activities")

    def __str__(self) -> str:
        return f"{self.code} – {self.description}"


class ActivityStep(models.Model):
    activity = models.ForeignKey(Activity, on_delete=models.CASCADE, related_name="steps", verbose_name=_("activity"))
    step_no = models.PositiveIntegerField(_("step no."))
    type = models.CharField(_("type"), max_length=20, choices=TaskType.choices, default=TaskType.TASK)
    priority = models.CharField(_("priority"), max_length=10, choices=Priority.choices, default=Priority.NORMAL)
    description = models.CharField(_("description"), max_length=100)
    date_formula = models.CharField(
        _("date formula"),
        max_length=30,
        blank=True,
        validators=[validate_date_formula],
        help_text=_("Dates the task from the day the stage is entered, e.g. 2D or 1W. Empty: the same day."),
    )

    class Meta:
        ordering = ["activity", "step_no"]
        verbose_name = _("activity step")
        verbose_name_plural = _("activity steps")
        constraints = [
            models.UniqueConstraint(fields=["activity", "step_no"], name="activitystep_unique_step_per_activity"),
            models.CheckConstraint(condition=Q(type__in=TaskType.values), name="activitystep_type_valid"),
            models.CheckConstraint(condition=Q(priority__in=Priority.values), name="activitystep_priority_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.step_no}. {self.description}"
