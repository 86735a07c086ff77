"""Writing setup data, and deleting it without breaking the history that depends on it (SPEC §3.5).

Blocking (``blocked``) retires a cycle; deleting is for setup that nothing refers to yet.
"""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from common.errors import DomainError
from salescycles.models import Activity, ActivityStep, CloseOpportunityCode, SalesCycle, SalesCycleStage


class SetupError(DomainError):
    """A setup rule refused the request (HTTP 409)."""


@transaction.atomic
def sales_cycle_delete(*, sales_cycle: SalesCycle, user=None) -> None:
    from opportunities.models import Opportunity, OpportunityEntry

    if Opportunity.objects.filter(sales_cycle=sales_cycle, closed=False).exists():
        raise SetupError(
            "sales_cycle_in_use",
            _("Sales cycle %(code)s has open opportunities and cannot be deleted.") % {"code": sales_cycle.code},
        )
    if (
        Opportunity.objects.filter(sales_cycle=sales_cycle).exists()
        or OpportunityEntry.objects.filter(sales_cycle=sales_cycle).exists()
    ):
        raise SetupError(
            "sales_cycle_has_history",
            _("Sales cycle %(code)s is part of the history of closed opportunities; block it instead.")
            % {"code": sales_cycle.code},
        )
    sales_cycle.delete()


@transaction.atomic
def stage_delete(*, stage: SalesCycleStage, user=None) -> None:
    from django.db.models import Q

    from opportunities.models import Opportunity, OpportunityEntry

    if OpportunityEntry.objects.filter(stage=stage, active=True).exists():
        raise SetupError(
            "stage_in_use",
            _("Stage %(stage)s has active opportunity entries and cannot be deleted.") % {"stage": stage.stage},
        )
    if (
        OpportunityEntry.objects.filter(Q(stage=stage) | Q(previous_stage=stage)).exists()
        or Opportunity.objects.filter(current_stage=stage).exists()
    ):
        raise SetupError(
            "stage_has_history",
            _("Stage %(stage)s is part of the history of opportunities and cannot be deleted.")
            % {"stage": stage.stage},
        )
    stage.delete()


@transaction.atomic
def close_code_delete(*, close_code: CloseOpportunityCode, user=None) -> None:
    from opportunities.models import Opportunity, OpportunityEntry

    if (
        Opportunity.objects.filter(close_code=close_code).exists()
        or OpportunityEntry.objects.filter(close_code=close_code).exists()
    ):
        raise SetupError(
            "close_code_in_use",
            _("Close code %(code)s is used by closed opportunities and cannot be deleted.") % {"code": close_code.code},
        )
    close_code.delete()


@transaction.atomic
def activity_delete(*, activity: Activity, user=None) -> None:
    """Stages that named the activity simply stop generating its tasks (tasks already made stay)."""
    activity.delete()


# --- create and change ------------------------------------------------------------------------
# Setup rows are plain records: these functions are the one door for writing them (API, and any
# other caller), validate with the models' own field validators, and hold the few rules there are.


def _assign_and_save(instance, fields: dict, *, exclude: list[str] | None = None) -> None:
    """Set ``fields``, validate the whole row (translated field errors) and save what changed."""
    for field, value in fields.items():
        setattr(instance, field, value)
    instance.full_clean(exclude=exclude)
    if instance.pk is None:
        instance.save()
    elif fields:
        instance.save(update_fields=list(fields))


@transaction.atomic
def sales_cycle_create(*, user=None, **fields) -> SalesCycle:
    sales_cycle = SalesCycle()
    _assign_and_save(sales_cycle, fields)
    return sales_cycle


@transaction.atomic
def sales_cycle_update(*, sales_cycle: SalesCycle, user=None, **fields) -> SalesCycle:
    sales_cycle = SalesCycle.objects.select_for_update().get(pk=sales_cycle.pk)
    _assign_and_save(sales_cycle, fields)
    return sales_cycle


# A stage has a field named ``stage``, so its values come as one ``changes`` dict.


@transaction.atomic
def stage_create(*, sales_cycle: SalesCycle, user=None, changes: dict) -> SalesCycleStage:
    stage = SalesCycleStage(sales_cycle=sales_cycle)
    _assign_and_save(stage, changes)
    return stage


@transaction.atomic
def stage_update(*, stage: SalesCycleStage, user=None, changes: dict) -> SalesCycleStage:
    """Renumbering is allowed (gaps are, too): entries refer to the stage row, not to its number."""
    stage = SalesCycleStage.objects.select_for_update().get(pk=stage.pk)
    _assign_and_save(stage, changes)
    return stage


@transaction.atomic
def close_code_create(*, user=None, **fields) -> CloseOpportunityCode:
    close_code = CloseOpportunityCode()
    _assign_and_save(close_code, fields)
    return close_code


@transaction.atomic
def close_code_update(*, close_code: CloseOpportunityCode, user=None, **fields) -> CloseOpportunityCode:
    """Description changes freely; the type only while no opportunity or entry uses the code.

    A "won" code turned "lost" would make closed opportunities contradict their own close code.
    """
    from opportunities.models import Opportunity, OpportunityEntry

    close_code = CloseOpportunityCode.objects.select_for_update().get(pk=close_code.pk)
    if (
        "type" in fields
        and fields["type"] != close_code.type
        and (
            Opportunity.objects.filter(close_code=close_code).exists()
            or OpportunityEntry.objects.filter(close_code=close_code).exists()
        )
    ):
        raise SetupError(
            "close_code_type_locked",
            _("Close code %(code)s is used by closed opportunities; its type cannot change.")
            % {"code": close_code.code},
        )
    _assign_and_save(close_code, fields)
    return close_code


@transaction.atomic
def activity_save(
    *, activity: Activity | None = None, user=None, steps: list[dict] | None = None, **fields
) -> Activity:
    """Create (no ``activity``) or change an activity; ``steps``, when given, replace all its steps.

    Each step is a dict of ``step_no``, ``type``, ``priority``, ``description``, ``date_formula``.
    Tasks already generated from the old steps stay as they are.
    """
    activity = Activity() if activity is None else Activity.objects.select_for_update().get(pk=activity.pk)
    _assign_and_save(activity, fields)
    if steps is None:
        return activity
    new_steps = [ActivityStep(activity=activity, **step) for step in steps]
    errors = []
    numbers = [step.step_no for step in new_steps]
    for number in sorted({n for n in numbers if numbers.count(n) > 1}):
        errors.append(_("Step %(step_no)s appears more than once.") % {"step_no": number})
    for step in new_steps:
        try:
            step.full_clean(exclude=["activity"], validate_unique=False, validate_constraints=False)
        except ValidationError as exc:
            errors.extend(
                _("Step %(step_no)s: %(message)s") % {"step_no": step.step_no, "message": message}
                for message in exc.messages
            )
    if errors:
        raise ValidationError({"steps": errors})
    activity.steps.all().delete()
    ActivityStep.objects.bulk_create(new_steps)
    return activity


@transaction.atomic
def activity_step_save(*, activity: Activity, step_no: int, user=None, **fields) -> ActivityStep:
    """Create or change one step of an activity, found by its number (imports write one row at a time)."""
    step = ActivityStep.objects.select_for_update().filter(activity=activity, step_no=step_no).first()
    if step is None:
        step = ActivityStep(activity=activity, step_no=step_no)
    _assign_and_save(step, fields)
    return step
