"""The opportunity lifecycle engine (SPEC §3): the one door for every change of an opportunity.

The HTML views, the admin, the API and the management commands all call these functions; none
of them writes an opportunity, an entry, a quote or a generated task by itself.

Every function that changes an opportunity runs in one transaction and first locks the
opportunity row (``SELECT … FOR UPDATE``) and re-reads it, so that two people moving the same
opportunity are served one after the other (SPEC §3.6). The opportunity's copy of the active
entry's figures is written in the same transaction as the entry.

A refusal raises ``OpportunityError`` (``code`` + translated message) and changes nothing; a
user who may see an opportunity but not do this to it gets ``PermissionRefused``.
"""

import datetime
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.text import capfirst
from django.utils.translation import gettext as _

from common import dateformula
from common.errors import DomainError, PermissionRefused
from common.numbering import next_free_nos, next_no
from common.validators import MAX_AMOUNT, MAX_QUANTITY
from contacts.models import Contact, Salesperson
from opportunities.models import Opportunity, OpportunityEntry, Quote, QuoteLine, StageHistoryVersion, Task
from opportunities.permissions import can_change_all, salesperson_of
from salescycles.models import CloseOpportunityCode, Priority, ProbabilityCalculation, SalesCycle, SalesCycleStage

ZERO = Decimal("0")
HUNDRED = Decimal("100")
CENT = Decimal("0.01")


Status = Opportunity.Status
Action = OpportunityEntry.Action


class OpportunityError(DomainError):
    """A lifecycle rule refused the request (HTTP 409)."""


class OpportunityGone(OpportunityError):
    """The opportunity was deleted after the caller read it (HTTP 404, as for any unknown object)."""

    status_code = 404


class UpdateAction:
    """The actions of ``opportunity_update_stage`` (what the caller asks for)."""

    NEXT = "next"
    PREVIOUS = "previous"
    SKIP = "skip"
    JUMP = "jump"
    UPDATE = "update"
    ALL = (NEXT, PREVIOUS, SKIP, JUMP, UPDATE)


# --- computations (pure) ---------------------------------------------------------------------


def round_amount(value: Decimal) -> Decimal:
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


def compute_probability(*, method: str, chances_of_success_pct: Decimal, completed_pct: Decimal) -> Decimal:
    """Probability % of SPEC §3.3, kept to two decimals."""
    chances, completed = Decimal(chances_of_success_pct), Decimal(completed_pct)
    if method == ProbabilityCalculation.MULTIPLY:
        result = chances * completed / HUNDRED
    elif method == ProbabilityCalculation.ADD:
        result = (chances + completed) / 2
    elif method == ProbabilityCalculation.CHANCES_OF_SUCCESS:
        result = chances
    elif method == ProbabilityCalculation.COMPLETED:
        result = completed
    else:
        raise ValueError(f"Unknown probability calculation {method!r}")
    return round_amount(result)


def compute_current_value(*, estimated_value: Decimal, probability_pct: Decimal) -> Decimal:
    """Calculated current (weighted) value = estimated value × probability / 100, half-up to cents."""
    return round_amount(Decimal(estimated_value) * Decimal(probability_pct) / HUNDRED)


def quote_line_amount(*, quantity: Decimal, unit_price: Decimal, discount_pct: Decimal) -> Decimal:
    return round_amount(Decimal(quantity) * Decimal(unit_price) * (HUNDRED - Decimal(discount_pct)) / HUNDRED)


def proposed_close_date(*, stage: SalesCycleStage, date_of_change: datetime.date) -> datetime.date:
    try:
        return dateformula.evaluate(stage.date_formula, date_of_change)
    except dateformula.DateFormulaError as exc:
        raise OpportunityError("invalid_date_formula", exc.message) from exc


# --- helpers ---------------------------------------------------------------------------------


def _today() -> datetime.date:
    return timezone.localdate()


def _lock(opportunity: Opportunity) -> Opportunity:
    """Lock the opportunity row for this transaction and re-read it.

    No select_related here: after waiting for the lock, PostgreSQL re-reads the locked row but not
    the joined ones, so a joined sales cycle or stage could be the one from before the change we
    waited for. Related rows are read afterwards, fresh.
    """
    try:
        return Opportunity.objects.select_for_update().get(pk=opportunity.pk)
    except Opportunity.DoesNotExist:
        # Deleted by someone else between the caller's read and this lock: a refusal, not a crash (500).
        raise OpportunityGone(
            "opportunity_not_found",
            _("%(model)s %(code)s does not exist.")
            % {"model": capfirst(Opportunity._meta.verbose_name), "code": opportunity.no},
        ) from None


def _sync(target: Opportunity, source: Opportunity) -> None:
    """Bring the caller's instance up to date with the locked copy (no query)."""
    if target is source:
        return
    for field in Opportunity._meta.concrete_fields:
        setattr(target, field.attname, getattr(source, field.attname))


def _check_can_change(user, opportunity: Opportunity) -> None:
    """Reps change their own opportunities only; ``user=None`` is the system (commands)."""
    if user is None or can_change_all(user):
        return
    salesperson = salesperson_of(user)
    if salesperson is None or salesperson.pk != opportunity.salesperson_id:
        raise PermissionRefused("permission_denied", _("You may not change opportunities of another salesperson."))


def _check_open(opportunity: Opportunity) -> None:
    if opportunity.closed:
        raise OpportunityError(
            "opportunity_closed",
            _("Opportunity %(no)s is closed (%(status)s) and cannot be changed.")
            % {"no": opportunity.no, "status": opportunity.get_status_display()},
        )


def cycle_stages(opportunity: Opportunity) -> list[SalesCycleStage]:
    """The stages of the opportunity's sales cycle in order, read with the cycle in one query.

    The cycle comes with each stage and is handed to the opportunity, and so is its current stage:
    it would read them again. The services and the opportunity's pages (which show both) use it.
    """
    stages = list(
        SalesCycleStage.objects.filter(sales_cycle_id=opportunity.sales_cycle_id)
        .select_related("activity", "sales_cycle")
        .order_by("stage")
    )
    if stages:
        opportunity.sales_cycle = stages[0].sales_cycle
    for stage in stages:
        if stage.pk == opportunity.current_stage_id:
            opportunity.current_stage = stage
    return stages


def _active_entry(opportunity: Opportunity) -> OpportunityEntry | None:
    # At most one is active. Ordered by id, not by the model's ordering, which joins the opportunity.
    return OpportunityEntry.objects.filter(opportunity=opportunity, active=True).order_by("pk").first()


def _quote_total(opportunity: Opportunity) -> Decimal | None:
    return Quote.objects.filter(opportunity=opportunity).values_list("total", flat=True).first()


def _check_date_not_before(date: datetime.date, active: OpportunityEntry | None) -> None:
    if active is not None and date < active.date_of_change:
        raise OpportunityError(
            "date_before_last_change",
            _("The date %(date)s lies before the date of the last change (%(last)s).")
            % {"date": date.isoformat(), "last": active.date_of_change.isoformat()},
        )


def _check_chances(chances: Decimal, *, allow_zero: bool) -> None:
    if chances < 0 or chances > HUNDRED or (chances == 0 and not allow_zero):
        raise OpportunityError(
            "invalid_chances_of_success",
            _("The chances of success must be greater than 0 and at most 100 %.")
            if not allow_zero
            else _("The chances of success must be between 0 and 100 %."),
        )


def _check_close_date(estimated_close_date: datetime.date | None, date_of_change: datetime.date) -> None:
    if estimated_close_date is None or estimated_close_date < date_of_change:
        raise OpportunityError(
            "estimated_close_date_before_change",
            _("The estimated close date must be on or after the date of change (%(date)s).")
            % {"date": date_of_change.isoformat()},
        )


@dataclass(frozen=True)
class Figures:
    estimated_value: Decimal
    chances_of_success_pct: Decimal
    completed_pct: Decimal
    probability_pct: Decimal
    calculated_current_value: Decimal
    estimated_close_date: datetime.date | None


def stage_figures(
    *,
    method: str,
    estimated_value: Decimal,
    chances_of_success_pct: Decimal,
    stage: SalesCycleStage,
    estimated_close_date: datetime.date | None,
) -> Figures:
    probability = compute_probability(
        method=method, chances_of_success_pct=chances_of_success_pct, completed_pct=stage.completed_pct
    )
    return Figures(
        estimated_value=round_amount(estimated_value),
        chances_of_success_pct=round_amount(chances_of_success_pct),
        completed_pct=stage.completed_pct,
        probability_pct=probability,
        calculated_current_value=compute_current_value(estimated_value=estimated_value, probability_pct=probability),
        estimated_close_date=estimated_close_date,
    )


def update_values(
    *,
    target: SalesCycleStage,
    moves: bool,
    date_of_change: datetime.date,
    estimated_value: Decimal | None,
    chances_of_success_pct: Decimal | None,
    estimated_close_date: datetime.date | None,
    quote_total: Decimal | None,
    current_value: Decimal,
    current_chances: Decimal,
    current_close_date: datetime.date | None,
    propose=None,
) -> tuple[Decimal, Decimal, datetime.date | None]:
    """Estimated value, chances and close date of an update's new entry (SPEC §3.3 defaults).

    Given figures are rounded to cents first, so that 0.004 is refused rather than stored as 0.00.
    ``propose(stage, date)`` may replace ``proposed_close_date`` (the bulk generator caches it).
    """
    if estimated_value is not None:
        value = round_amount(estimated_value)
    elif quote_total is not None:
        value = quote_total
    else:
        value = current_value
    if chances_of_success_pct is not None:
        chances = round_amount(chances_of_success_pct)  # an explicit value is never overwritten
    elif moves and target.chances_of_success_pct != 0:
        chances = target.chances_of_success_pct
    else:
        chances = current_chances
    if estimated_close_date is not None:
        close_date = estimated_close_date
    elif moves:
        close_date = (
            propose(target, date_of_change)
            if propose is not None
            else proposed_close_date(stage=target, date_of_change=date_of_change)
        )
    else:
        close_date = current_close_date
    return value, chances, close_date


def close_figures(
    *,
    outcome: str,
    date_closed: datetime.date,
    sales_amount: Decimal | None,
    quote_total: Decimal | None,
    estimated_value: Decimal,
) -> Figures:
    """Figures of a close entry (SPEC §3.4). Won: the sales amount as given, else the quote total,
    else the estimated value, at 100 %. Lost: nothing weighted, the estimate kept for reporting."""
    if outcome == Action.WON:
        if sales_amount is not None:
            amount = round_amount(sales_amount)
        else:
            amount = round_amount(quote_total if quote_total is not None else estimated_value)
        return Figures(
            estimated_value=amount,
            chances_of_success_pct=HUNDRED,
            completed_pct=HUNDRED,
            probability_pct=HUNDRED,
            calculated_current_value=amount,
            estimated_close_date=date_closed,
        )
    return Figures(
        estimated_value=estimated_value,
        chances_of_success_pct=ZERO,
        completed_pct=HUNDRED,
        probability_pct=ZERO,
        calculated_current_value=ZERO,
        estimated_close_date=date_closed,
    )


def _write_entry(
    *,
    opportunity: Opportunity,
    previous: OpportunityEntry | None,
    user,
    action: str,
    stage: SalesCycleStage | None,
    date_of_change: datetime.date,
    figures: Figures,
    note: str = "",
    close_code: CloseOpportunityCode | None = None,
) -> OpportunityEntry:
    """Append the new active entry, retire the previous one, copy the figures onto the opportunity."""
    if previous is not None:
        # Retire first: the partial unique index allows one active entry at any moment.
        previous.active = False
        previous.days_open = (date_of_change - previous.date_of_change).days
        previous.save(update_fields=["active", "days_open"])
    closing = action in (Action.WON, Action.LOST)
    StageHistoryVersion.objects.bump(opportunity.sales_cycle_id)
    entry = OpportunityEntry.objects.create(
        opportunity=opportunity,
        sales_cycle_id=opportunity.sales_cycle_id,
        stage=stage,
        previous_stage_id=opportunity.current_stage_id,
        action_taken=action,
        date_of_change=date_of_change,
        active=True,
        days_open=0,
        date_closed=date_of_change if closing else None,
        estimated_value=figures.estimated_value,
        chances_of_success_pct=figures.chances_of_success_pct,
        completed_pct=figures.completed_pct,
        probability_pct=figures.probability_pct,
        calculated_current_value=figures.calculated_current_value,
        estimated_close_date=figures.estimated_close_date,
        close_code=close_code,
        contact_id=opportunity.contact_id,
        salesperson_id=opportunity.salesperson_id,
        note=note or "",
        created_by=user if user is not None and user.is_authenticated else None,
    )
    opportunity.current_stage = stage
    opportunity.estimated_value = figures.estimated_value
    opportunity.chances_of_success_pct = figures.chances_of_success_pct
    opportunity.completed_pct = figures.completed_pct
    opportunity.probability_pct = figures.probability_pct
    opportunity.calculated_current_value = figures.calculated_current_value
    opportunity.estimated_closing_date = figures.estimated_close_date
    update_fields = [
        "current_stage",
        "estimated_value",
        "chances_of_success_pct",
        "completed_pct",
        "probability_pct",
        "calculated_current_value",
        "estimated_closing_date",
        "status",
        "updated_at",
    ]
    if closing:
        opportunity.status = Status.WON if action == Action.WON else Status.LOST
        opportunity.closed = True
        opportunity.date_closed = date_of_change
        opportunity.close_code = close_code
        update_fields += ["closed", "date_closed", "close_code"]
    else:
        opportunity.status = Status.IN_PROGRESS
    opportunity.save(update_fields=update_fields)
    return entry


def _create_stage_tasks(*, opportunity: Opportunity, entry: OpportunityEntry, stage: SalesCycleStage) -> list[Task]:
    """The tasks of the stage's activity, dated by each step's formula from the date of change."""
    if stage.activity_id is None:
        return []
    steps = list(stage.activity.steps.order_by("step_no"))
    dates = []
    for step in steps:
        try:
            dates.append(dateformula.evaluate(step.date_formula, entry.date_of_change))
        except dateformula.DateFormulaError as exc:
            raise OpportunityError("invalid_date_formula", exc.message) from exc
    # One block of numbers and one insert for all the steps (the numbers follow the steps' order).
    tasks = [
        Task(
            no=no,
            type=step.type,
            priority=step.priority,
            description=step.description,
            date=date,
            salesperson_id=opportunity.salesperson_id,
            contact_id=opportunity.contact_id,
            opportunity=opportunity,
            opportunity_entry=entry,
        )
        for step, date, no in zip(steps, dates, next_free_nos("TD", Task, len(steps)), strict=True)
    ]
    return Task.objects.bulk_create(tasks)


def _cancel_open_tasks(opportunity: Opportunity, date: datetime.date) -> int:
    return Task.objects.filter(opportunity=opportunity, closed=False).update(
        canceled=True, closed=True, date_closed=date, updated_at=timezone.now()
    )


def _check_salesperson_usable(salesperson: Salesperson) -> None:
    if salesperson.blocked:
        raise OpportunityError(
            "salesperson_blocked",
            _("Salesperson %(code)s is blocked and cannot be chosen.") % {"code": salesperson.code},
        )


def _check_sales_cycle_usable(sales_cycle: SalesCycle) -> None:
    if sales_cycle.blocked:
        raise OpportunityError(
            "sales_cycle_blocked",
            _("Sales cycle %(code)s is blocked and cannot be chosen.") % {"code": sales_cycle.code},
        )


def _check_may_assign(user, salesperson: Salesperson) -> None:
    """Reps work for themselves only; managers assign anybody."""
    if user is None or can_change_all(user):
        return
    own = salesperson_of(user)
    if own is None or own.pk != salesperson.pk:
        raise PermissionRefused(
            "cannot_assign_other_salesperson",
            _("You can only assign opportunities to yourself."),
        )


def _check_text(field: str, value: str, *, max_length: int = 100) -> str:
    value = (value or "").strip()
    if not value:
        raise ValidationError({field: [_("This field is required.")]})
    if len(value) > max_length:
        raise ValidationError(
            {
                field: [
                    _("Ensure this value has at most %(max)d characters (it has %(length)d).")
                    % {"max": max_length, "length": len(value)}
                ]
            }
        )
    return value


def default_sales_cycle() -> SalesCycle | None:
    """The cycle of setting ``CRM_DEFAULT_SALES_CYCLE`` if it exists and is not blocked."""
    code = settings.CRM_DEFAULT_SALES_CYCLE
    if not code:
        return None
    return SalesCycle.objects.filter(code=code, blocked=False).first()


# --- create, activate ------------------------------------------------------------------------


@transaction.atomic
def opportunity_create(
    *,
    user,
    description: str,
    contact: Contact,
    salesperson: Salesperson | None = None,
    sales_cycle: SalesCycle | None = None,
    priority: str = Priority.NORMAL,
    creation_date: datetime.date | None = None,
    activate_first_stage: bool = False,
    date_of_change: datetime.date | None = None,
    estimated_value: Decimal | None = None,
    chances_of_success_pct: Decimal | None = None,
    estimated_close_date: datetime.date | None = None,
    note: str = "",
) -> Opportunity:
    """Create an opportunity (SPEC §3.1), optionally activating its first stage at once."""
    description = _check_text("description", description)
    if priority not in Priority.values:
        raise ValidationError({"priority": [_("Choose low, normal or high.")]})
    if salesperson is None:
        salesperson = salesperson_of(user)
        if salesperson is None:
            raise OpportunityError("salesperson_required", _("Choose the salesperson of the opportunity."))
    _check_may_assign(user, salesperson)
    _check_salesperson_usable(salesperson)
    if sales_cycle is None:
        sales_cycle = default_sales_cycle()
        if sales_cycle is None:
            raise OpportunityError("sales_cycle_required", _("Choose the sales cycle of the opportunity."))
    _check_sales_cycle_usable(sales_cycle)

    opportunity = Opportunity.objects.create(
        no=next_no("OP", Opportunity),
        description=description,
        contact=contact,
        contact_company_id=contact.company_contact_id or contact.pk,
        salesperson=salesperson,
        sales_cycle=sales_cycle,
        priority=priority,
        status=Status.NOT_STARTED,
        creation_date=creation_date or _today(),
        created_by=user if user is not None and user.is_authenticated else None,
    )
    if activate_first_stage:
        opportunity_activate(
            opportunity=opportunity,
            user=user,
            date_of_change=date_of_change,
            estimated_value=estimated_value,
            chances_of_success_pct=chances_of_success_pct,
            estimated_close_date=estimated_close_date,
            note=note,
        )
    return opportunity


@transaction.atomic
def opportunity_activate(
    *,
    opportunity: Opportunity,
    user,
    date_of_change: datetime.date | None = None,
    estimated_value: Decimal | None = None,
    chances_of_success_pct: Decimal | None = None,
    estimated_close_date: datetime.date | None = None,
    note: str = "",
) -> OpportunityEntry:
    """Activate the first stage (BC: "Activate First Stage", action ``first``; SPEC §3.2)."""
    locked = _lock(opportunity)
    _check_can_change(user, locked)
    _check_open(locked)
    if locked.status != Status.NOT_STARTED:
        raise OpportunityError("already_started", _("Opportunity %(no)s has already been started.") % {"no": locked.no})
    stages = cycle_stages(locked)
    if not stages:
        raise OpportunityError(
            "sales_cycle_has_no_stages",
            _("Sales cycle %(code)s has no stages.") % {"code": locked.sales_cycle.code},
        )
    first = stages[0]
    date = date_of_change or _today()
    value = ZERO if estimated_value is None else round_amount(estimated_value)
    if value < 0:
        raise OpportunityError("invalid_estimated_value", _("The estimated sales value cannot be negative."))
    chances = first.chances_of_success_pct if chances_of_success_pct is None else round_amount(chances_of_success_pct)
    _check_chances(chances, allow_zero=True)
    close_date = estimated_close_date or proposed_close_date(stage=first, date_of_change=date)
    _check_close_date(close_date, date)

    figures = stage_figures(
        method=locked.sales_cycle.probability_calculation,
        estimated_value=value,
        chances_of_success_pct=chances,
        stage=first,
        estimated_close_date=close_date,
    )
    entry = _write_entry(
        opportunity=locked,
        previous=None,
        user=user,
        action=Action.FIRST,
        stage=first,
        date_of_change=date,
        figures=figures,
        note=note,
    )
    _create_stage_tasks(opportunity=locked, entry=entry, stage=first)
    _sync(opportunity, locked)
    return entry


# --- update stage ----------------------------------------------------------------------------


def _stage_not_found(sales_cycle: SalesCycle, number) -> OpportunityError:
    return OpportunityError(
        "stage_not_found",
        _("Sales cycle %(code)s has no stage %(stage)s.") % {"code": sales_cycle.code, "stage": number},
    )


def _stage_number(stage: int | SalesCycleStage, sales_cycle: SalesCycle) -> int:
    """A stage named by its number or by the stage itself; a stage of another cycle is not found here
    (matching it by number alone would move the opportunity to an unrelated stage)."""
    if isinstance(stage, SalesCycleStage):
        if stage.sales_cycle_id != sales_cycle.pk:
            raise _stage_not_found(sales_cycle, stage.stage)
        return stage.stage
    return stage


def _find_stage(stages: list[SalesCycleStage], number, sales_cycle: SalesCycle) -> int:
    if number is None:
        raise OpportunityError("stage_required", _("Choose the stage to move to."))
    number = _stage_number(number, sales_cycle)
    for index, stage in enumerate(stages):
        if stage.stage == number:
            return index
    raise _stage_not_found(sales_cycle, number)


def _resolve_target(
    *, action: str, stages: list[SalesCycleStage], current_index: int, stage, sales_cycle: SalesCycle
) -> tuple[int, str]:
    """The target stage's index and the action to record, or a refusal (SPEC §3.3 table)."""
    current = stages[current_index]
    if action == UpdateAction.NEXT:
        if current_index + 1 >= len(stages):
            raise OpportunityError(
                "no_next_stage",
                _("Stage %(stage)s is the last stage; close the opportunity instead.") % {"stage": current.stage},
            )
        target, recorded = current_index + 1, Action.NEXT
    elif action == UpdateAction.PREVIOUS:
        if current_index == 0:
            raise OpportunityError(
                "no_previous_stage", _("Stage %(stage)s is the first stage.") % {"stage": current.stage}
            )
        target, recorded = current_index - 1, Action.PREVIOUS
    elif action == UpdateAction.SKIP:
        target = _find_stage(stages, stage, sales_cycle)
        if target <= current_index:
            raise OpportunityError(
                "skip_target_not_later",
                _("Skip moves forward: stage %(target)s does not come after stage %(stage)s.")
                % {"target": stages[target].stage, "stage": current.stage},
            )
        for between in stages[current_index + 1 : target]:
            if not between.allow_skip:
                raise OpportunityError(
                    "skip_not_allowed",
                    _("Stage %(stage)s (%(description)s) cannot be skipped.")
                    % {"stage": between.stage, "description": between.description},
                )
        recorded = Action.NEXT if target == current_index + 1 else Action.SKIPPED
        return target, recorded
    elif action == UpdateAction.JUMP:
        target = _find_stage(stages, stage, sales_cycle)
        if target >= current_index:
            raise OpportunityError(
                "jump_target_not_earlier",
                _("Jump moves back: stage %(target)s does not come before stage %(stage)s.")
                % {"target": stages[target].stage, "stage": current.stage},
            )
        recorded = Action.PREVIOUS if target == current_index - 1 else Action.JUMPED
        return target, recorded
    elif action == UpdateAction.UPDATE:
        target, recorded = current_index, Action.UPDATED
    else:
        raise OpportunityError(
            "invalid_action",
            _("Unknown action %(action)s: use next, previous, skip, jump or update.") % {"action": action},
        )
    # next, previous and update name their target themselves; a stage given with them must agree.
    if stage is not None:
        number = _stage_number(stage, sales_cycle)
        if number != stages[target].stage:
            raise OpportunityError(
                "stage_mismatch",
                _("The action %(action)s leads to stage %(target)s, not to stage %(stage)s.")
                % {"action": action, "target": stages[target].stage, "stage": number},
            )
    return target, recorded


@transaction.atomic
def opportunity_update_stage(
    *,
    opportunity: Opportunity,
    user,
    action: str,
    stage: int | SalesCycleStage | None = None,
    date_of_change: datetime.date | None = None,
    estimated_value: Decimal | None = None,
    chances_of_success_pct: Decimal | None = None,
    estimated_close_date: datetime.date | None = None,
    cancel_open_tasks: bool = False,
    note: str = "",
) -> OpportunityEntry:
    """Next, previous, skip, jump or update (SPEC §3.3); returns the new active entry."""
    locked = _lock(opportunity)
    _check_can_change(user, locked)
    _check_open(locked)
    if locked.status != Status.IN_PROGRESS:
        raise OpportunityError(
            "not_started", _("Opportunity %(no)s has not been started; activate it first.") % {"no": locked.no}
        )
    stages = cycle_stages(locked)
    current_index = next(i for i, s in enumerate(stages) if s.pk == locked.current_stage_id)
    target_index, recorded = _resolve_target(
        action=action, stages=stages, current_index=current_index, stage=stage, sales_cycle=locked.sales_cycle
    )
    target = stages[target_index]
    moves = target_index != current_index

    quote_total = _quote_total(locked)
    if action in (UpdateAction.NEXT, UpdateAction.SKIP) and target.quote_required and quote_total is None:
        raise OpportunityError(
            "quote_required",
            _("Stage %(stage)s (%(description)s) requires a sales quote; create one first.")
            % {"stage": target.stage, "description": target.description},
        )

    active = _active_entry(locked)
    date = date_of_change or _today()
    _check_date_not_before(date, active)

    value, chances, close_date = update_values(
        target=target,
        moves=moves,
        date_of_change=date,
        estimated_value=estimated_value,
        chances_of_success_pct=chances_of_success_pct,
        estimated_close_date=estimated_close_date,
        quote_total=quote_total,
        current_value=locked.estimated_value,
        current_chances=locked.chances_of_success_pct,
        current_close_date=locked.estimated_closing_date,
    )
    if value <= 0:
        raise OpportunityError("estimated_value_required", _("The estimated sales value must be greater than 0."))
    _check_chances(chances, allow_zero=False)
    _check_close_date(close_date, date)

    if cancel_open_tasks:
        _cancel_open_tasks(locked, date)
    figures = stage_figures(
        method=locked.sales_cycle.probability_calculation,
        estimated_value=value,
        chances_of_success_pct=chances,
        stage=target,
        estimated_close_date=close_date,
    )
    entry = _write_entry(
        opportunity=locked,
        previous=active,
        user=user,
        action=recorded,
        stage=target,
        date_of_change=date,
        figures=figures,
        note=note,
    )
    if moves:
        _create_stage_tasks(opportunity=locked, entry=entry, stage=target)
    _sync(opportunity, locked)
    return entry


# --- close -----------------------------------------------------------------------------------


@transaction.atomic
def opportunity_close(
    *,
    opportunity: Opportunity,
    user,
    outcome: str,
    close_code: CloseOpportunityCode | None,
    date_closed: datetime.date | None = None,
    sales_amount: Decimal | None = None,
    cancel_open_tasks: bool = True,
    note: str = "",
) -> OpportunityEntry:
    """Close as won or lost (SPEC §3.4); returns the close entry."""
    locked = _lock(opportunity)
    _check_can_change(user, locked)
    _check_open(locked)
    if outcome not in (Action.WON, Action.LOST):
        raise OpportunityError("invalid_outcome", _("The outcome must be won or lost."))
    if close_code is None:
        raise OpportunityError("close_code_required", _("Choose a close code."))
    # Re-read and lock the code: a manager changing its type at this moment waits for us (or we for them).
    close_code = CloseOpportunityCode.objects.select_for_update().get(pk=close_code.pk)
    if close_code.type != outcome:
        raise OpportunityError(
            "close_code_type_mismatch",
            _("Close code %(code)s is for %(type)s opportunities, not for %(outcome)s ones.")
            % {
                "code": close_code.code,
                "type": close_code.get_type_display(),
                "outcome": CloseOpportunityCode.Type(outcome).label,
            },
        )
    active = _active_entry(locked)
    date = date_closed or _today()
    _check_date_not_before(date, active)

    figures = close_figures(
        outcome=outcome,
        date_closed=date,
        sales_amount=sales_amount,
        quote_total=_quote_total(locked) if outcome == Action.WON and sales_amount is None else None,
        estimated_value=locked.estimated_value,
    )
    if outcome == Action.WON and figures.estimated_value <= 0:
        raise OpportunityError("sales_amount_required", _("A won opportunity needs a sales amount greater than 0."))
    if cancel_open_tasks:
        _cancel_open_tasks(locked, date)
    entry = _write_entry(
        opportunity=locked,
        previous=active,
        user=user,
        action=outcome,
        stage=None,
        date_of_change=date,
        figures=figures,
        note=note,
        close_code=close_code,
    )
    _sync(opportunity, locked)
    return entry


# --- change, delete --------------------------------------------------------------------------

_UNSET = object()


@transaction.atomic
def opportunity_change(
    *,
    opportunity: Opportunity,
    user,
    description=_UNSET,
    priority=_UNSET,
    salesperson=_UNSET,
    contact=_UNSET,
    sales_cycle=_UNSET,
) -> Opportunity:
    """Change the header of an open opportunity (SPEC §3.5). Only the given fields change."""
    locked = _lock(opportunity)
    _check_can_change(user, locked)
    _check_open(locked)
    changed: list[str] = []

    if description is not _UNSET:
        locked.description = _check_text("description", description)
        changed.append("description")
    if priority is not _UNSET:
        if priority not in Priority.values:
            raise ValidationError({"priority": [_("Choose low, normal or high.")]})
        locked.priority = priority
        changed.append("priority")
    if salesperson is not _UNSET and salesperson.pk != locked.salesperson_id:
        _check_may_assign(user, salesperson)
        _check_salesperson_usable(salesperson)
        locked.salesperson = salesperson
        changed.append("salesperson")
        # Open tasks follow the opportunity to its new salesperson.
        Task.objects.filter(opportunity=locked, closed=False).update(salesperson=salesperson, updated_at=timezone.now())
    if contact is not _UNSET and contact.pk != locked.contact_id:
        new_company_id = contact.company_contact_id or contact.pk
        if locked.is_started and new_company_id != locked.contact_company_id:
            raise OpportunityError(
                "contact_other_company",
                _("Once started, an opportunity can only move to a contact of the same company."),
            )
        locked.contact = contact
        locked.contact_company_id = new_company_id
        changed += ["contact", "contact_company"]
    if sales_cycle is not _UNSET and sales_cycle.pk != locked.sales_cycle_id:
        if locked.status != Status.NOT_STARTED:
            raise OpportunityError(
                "sales_cycle_change_started",
                _("The sales cycle can only be changed before the opportunity is started."),
            )
        _check_sales_cycle_usable(sales_cycle)
        locked.sales_cycle = sales_cycle
        changed.append("sales_cycle")
    if changed:
        locked.save(update_fields=[*changed, "updated_at"])
    _sync(opportunity, locked)
    return locked


@transaction.atomic
def opportunity_delete(*, opportunity: Opportunity, user) -> None:
    """Delete (SPEC §3.5): not started by its editors, closed by managers, in progress never."""
    locked = _lock(opportunity)
    _check_can_change(user, locked)
    if locked.status == Status.IN_PROGRESS:
        raise OpportunityError("delete_in_progress", _("An opportunity in progress cannot be deleted; close it first."))
    if locked.closed and user is not None and not can_change_all(user):
        raise PermissionRefused(
            "delete_closed_requires_manager", _("Only sales managers can delete closed opportunities.")
        )
    # Closed tasks stay as the record of work done; open ones go with the opportunity.
    Task.objects.filter(opportunity=locked, closed=False).delete()
    StageHistoryVersion.objects.bump(locked.sales_cycle_id)  # its entries go with it
    locked.delete()


# --- quote -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class QuoteLineInput:
    description: str
    quantity: Decimal
    unit_price: Decimal
    discount_pct: Decimal = ZERO


def _decimal(value) -> Decimal:
    number = Decimal(str(value))
    if not number.is_finite():
        raise ValueError(value)
    return number


def _check_quote_allowed(opportunity: Opportunity) -> None:
    if opportunity.status != Status.IN_PROGRESS:
        raise OpportunityError(
            "quote_requires_in_progress",
            _("A sales quote can only be created or changed while the opportunity is in progress."),
        )


def _clean_lines(lines: Iterable[QuoteLineInput | Mapping]) -> list[QuoteLineInput]:
    cleaned, errors = [], {}
    for index, line in enumerate(lines, start=1):
        if isinstance(line, Mapping):
            try:
                line = QuoteLineInput(
                    description=line.get("description", ""),
                    quantity=_decimal(line.get("quantity", 0)),
                    unit_price=_decimal(line.get("unit_price", 0)),
                    discount_pct=_decimal(line.get("discount_pct") or 0),
                )
            except (InvalidOperation, TypeError, ValueError):
                errors[f"line {index}"] = [_("Quantity, unit price and discount must be numbers.")]
                continue
        problems = []
        if not (line.description or "").strip():
            problems.append(_("The description is required."))
        elif len(line.description) > 100:
            problems.append(_("The description has more than 100 characters."))
        if line.quantity < 0:
            problems.append(_("The quantity cannot be negative."))
        elif line.quantity > MAX_QUANTITY:
            problems.append(_("The quantity is too large."))
        if line.unit_price < 0:
            problems.append(_("The unit price cannot be negative."))
        elif line.unit_price > MAX_AMOUNT:
            problems.append(_("The unit price is too large."))
        if not 0 <= line.discount_pct <= 100:
            problems.append(_("The discount must be between 0 and 100 %."))
        elif not problems and line.quantity * line.unit_price * (HUNDRED - line.discount_pct) / HUNDRED > MAX_AMOUNT:
            # Compared before rounding: rounding such a product to cents overflows the decimal context.
            problems.append(_("The line amount is too large."))
        if problems:
            errors[f"line {index}"] = problems
        cleaned.append(line)
    if errors:
        raise ValidationError({"lines": [f"{key}: {' '.join(msgs)}" for key, msgs in errors.items()]})
    return cleaned


@transaction.atomic
def quote_save(
    *,
    opportunity: Opportunity,
    user,
    lines: Iterable[QuoteLineInput | Mapping],
    quote_date: datetime.date | None = None,
    valid_until: datetime.date | None = None,
) -> Quote:
    """Create the opportunity's quote or replace it with these lines; the total is recomputed."""
    locked = _lock(opportunity)
    _check_can_change(user, locked)
    _check_quote_allowed(locked)
    cleaned = _clean_lines(lines)
    quote_date = quote_date or _today()
    if valid_until is not None and valid_until < quote_date:
        raise ValidationError({"valid_until": [_("The quote cannot expire before its date.")]})

    quote = Quote.objects.filter(opportunity=locked).first()
    if quote is None:
        quote = Quote(no=next_no("SQ", Quote), opportunity=locked)
    else:
        quote.lines.all().delete()
    new_lines = [
        QuoteLine(
            line_no=index * 10000,
            description=line.description.strip(),
            quantity=line.quantity,
            unit_price=line.unit_price,
            discount_pct=line.discount_pct,
            amount=quote_line_amount(
                quantity=line.quantity, unit_price=line.unit_price, discount_pct=line.discount_pct
            ),
        )
        for index, line in enumerate(cleaned, start=1)
    ]
    quote.quote_date = quote_date
    quote.valid_until = valid_until
    quote.total = sum((line.amount for line in new_lines), ZERO)
    if quote.total > MAX_AMOUNT:
        raise ValidationError({"lines": [_("The quote total is too large.")]})
    quote.save()
    for line in new_lines:
        line.quote = quote
    QuoteLine.objects.bulk_create(new_lines)
    return quote


@transaction.atomic
def quote_delete(*, opportunity: Opportunity, user) -> None:
    locked = _lock(opportunity)
    _check_can_change(user, locked)
    _check_quote_allowed(locked)
    deleted, _details = Quote.objects.filter(opportunity=locked).delete()
    if not deleted:
        raise OpportunityError("no_quote", _("Opportunity %(no)s has no sales quote.") % {"no": locked.no})


# --- tasks -----------------------------------------------------------------------------------


def _check_may_edit_task(user, task: Task) -> None:
    if user is None or can_change_all(user):
        return
    own = salesperson_of(user)
    if own is None or own.pk != task.salesperson_id:
        raise PermissionRefused("permission_denied", _("You may not change tasks of another salesperson."))


@transaction.atomic
def task_create(
    *,
    user,
    description: str,
    date: datetime.date,
    type: str = "task",
    priority: str = Priority.NORMAL,
    salesperson: Salesperson | None = None,
    contact: Contact | None = None,
    opportunity: Opportunity | None = None,
) -> Task:
    description = _check_text("description", description)
    if opportunity is not None:
        opportunity = _lock(opportunity)
        _check_can_change(user, opportunity)
        _check_open(opportunity)
        salesperson = salesperson or opportunity.salesperson
        contact = contact or opportunity.contact
    if salesperson is None:
        salesperson = salesperson_of(user)
        if salesperson is None:
            raise OpportunityError("salesperson_required", _("Choose the salesperson of the task."))
    _check_may_assign(user, salesperson)
    return Task.objects.create(
        no=next_no("TD", Task),
        type=type,
        description=description,
        date=date,
        priority=priority,
        salesperson=salesperson,
        contact=contact,
        opportunity=opportunity,
    )


def _lock_task(task: Task) -> Task:
    """The task, locked; one deleted meanwhile (with its opportunity) is a refusal, not a crash."""
    try:
        return Task.objects.select_for_update().get(pk=task.pk)
    except Task.DoesNotExist:
        raise OpportunityGone(
            "task_not_found",
            _("%(model)s %(code)s does not exist.") % {"model": capfirst(Task._meta.verbose_name), "code": task.no},
        ) from None


@transaction.atomic
def task_update(*, task: Task, user, **changes) -> Task:
    """Change a task; setting the status to completed closes it, and a closed task stays closed."""
    task = _lock_task(task)
    _check_may_edit_task(user, task)
    if task.closed:
        raise OpportunityError("task_closed", _("Task %(no)s is closed and cannot be changed.") % {"no": task.no})
    allowed = {"description", "date", "priority", "status", "type", "contact"}
    unknown = set(changes) - allowed
    if unknown:
        raise ValueError(f"Cannot change {sorted(unknown)} of a task")
    if "description" in changes:
        changes["description"] = _check_text("description", changes["description"])
    for field, value in changes.items():
        setattr(task, field, value)
    if task.status == Task.Status.COMPLETED:
        task.closed = True
        task.date_closed = _today()
    task.save()
    return task


@transaction.atomic
def task_cancel(*, task: Task, user) -> Task:
    task = _lock_task(task)
    _check_may_edit_task(user, task)
    if task.closed:
        raise OpportunityError("task_closed", _("Task %(no)s is closed and cannot be changed.") % {"no": task.no})
    task.canceled = True
    task.closed = True
    task.date_closed = _today()
    task.save(update_fields=["canceled", "closed", "date_closed", "updated_at"])
    return task
