"""Plausible opportunity histories for the demo and scale data (no database access).

``plan_history`` draws, from a ``random.Random``, the story of one opportunity: when it was
created, activated, moved through its cycle's stages (next, previous, skip, jump, update), given a
quote and closed. It returns two views of the same story:

* the *steps*: the inputs a salesperson would give (``seed_demo`` replays them through the
  services, so every domain rule is applied and checked for real);
* the *entries*: the history rows those steps produce, computed with the pure functions of
  ``opportunities.services`` by the rules of SPEC §3.2–3.4 (``generate_data`` writes them in bulk).

The tests replay steps through the services and compare the result with the planned entries, so
the two views cannot drift apart.

Dates run forward: every step is on or after the previous one and none lies after ``today``; an
estimated close date is never before its date of change.
"""

import datetime
import functools
import math
import random
from collections.abc import Sequence
from dataclasses import dataclass, replace
from decimal import Decimal

from opportunities.models import Opportunity, OpportunityEntry
from opportunities.services import (
    ZERO,
    UpdateAction,
    close_figures,
    proposed_close_date,
    round_amount,
    stage_figures,
    update_values,
)
from salescycles.models import SalesCycleStage

Status = Opportunity.Status
Action = OpportunityEntry.Action
D = Decimal

FIRST = "first"
WON = "won"
LOST = "lost"

# Roughly a year of history, as the demo data promises.
MAX_AGE_DAYS = 365

UPDATE_NOTES = [
    "Customer asked for a revised budget.",
    "Decision postponed to the next board meeting.",
    "Scope extended after the last meeting.",
    "New contact person at the customer.",
    "Competitor offer received by the customer.",
    "",
    "",
]
CLOSE_NOTES = {
    WON: ["Order received.", "Contract signed.", "Purchase order arrived by e-mail.", ""],
    LOST: ["Customer chose another supplier.", "Project cancelled.", "No reply after several follow-ups.", ""],
}


@dataclass(frozen=True)
class Step:
    """What a user does: activate (``first``), one of ``UpdateAction.ALL``, or close (``won``/``lost``)."""

    action: str
    date: datetime.date
    stage_index: int | None = None  # target stage (index into the cycle's ordered stages)
    estimated_value: Decimal | None = None
    chances_of_success_pct: Decimal | None = None
    estimated_close_date: datetime.date | None = None
    quote_total: Decimal | None = None  # save a quote of this total just before the step
    close_code_index: int | None = None  # into the won or the lost codes, by outcome
    sales_amount: Decimal | None = None
    note: str = ""


@dataclass(frozen=True)
class PlannedEntry:
    """The history row a step produces (``days_open`` and ``active`` follow from the order)."""

    action_taken: str
    stage_index: int | None
    previous_stage_index: int | None
    date_of_change: datetime.date
    estimated_value: Decimal
    chances_of_success_pct: Decimal
    completed_pct: Decimal
    probability_pct: Decimal
    calculated_current_value: Decimal
    estimated_close_date: datetime.date
    close_code_index: int | None = None
    note: str = ""


@dataclass(frozen=True)
class History:
    status: str
    creation_date: datetime.date
    steps: tuple[Step, ...] = ()
    entries: tuple[PlannedEntry, ...] = ()

    @property
    def quote(self) -> tuple[datetime.date, Decimal] | None:
        """(date, total) of the quote, if the story has one (at most one; it is never revised)."""
        for step in self.steps:
            if step.quote_total is not None:
                return step.date, step.quote_total
        return None

    def days_open(self, index: int) -> int:
        if index + 1 >= len(self.entries):
            return 0
        return (self.entries[index + 1].date_of_change - self.entries[index].date_of_change).days


@functools.lru_cache(maxsize=200_000)
def _proposed(formula: str, date: datetime.date) -> datetime.date:
    return proposed_close_date(stage=SalesCycleStage(date_formula=formula), date_of_change=date)


def propose(stage, date: datetime.date) -> datetime.date:
    """``proposed_close_date`` (the service's rule), cached: the scale generator asks it 500,000 times."""
    return _proposed(stage.date_formula, date)


def round_value(value: float) -> Decimal:
    """A salesperson's estimate: to the hundred (to the thousand above 100,000)."""
    step = 1000 if value >= 100_000 else 100
    return D(max(step, round(value / step) * step))


def draw_value(rng: random.Random, low: int, high: int) -> Decimal:
    """Log-uniform between low and high: many small deals, a few large ones."""
    return round_value(math.exp(rng.uniform(math.log(low), math.log(high))))


def quote_lines(total: Decimal, cycle_code: str = "") -> list[tuple[str, Decimal, Decimal, Decimal]]:
    """(description, quantity, unit price, discount %) lines whose amounts add up to ``total`` exactly."""
    products = round_amount(total * D("0.7"))
    services = total - products
    product_text = {
        "PROJECT": "Project delivery according to the statement of work",
        "EXISTING": "Additional licences and hardware",
    }.get(cycle_code, "Software licences and equipment")
    lines = [(product_text, D("1"), products, ZERO)]
    if services > 0:
        lines.append(("Implementation, training and support (first year)", D("1"), services, ZERO))
    return lines


class _Walker:
    """Applies steps to the running figures exactly as ``opportunities.services`` does."""

    def __init__(self, stages: Sequence, method: str) -> None:
        self.stages = stages
        self.method = method
        self.index: int | None = None
        self.value = ZERO
        self.chances = ZERO
        self.close_date: datetime.date | None = None
        self.quote_total: Decimal | None = None
        self.entries: list[PlannedEntry] = []

    def _stage_entry(self, action: str, target: int, date: datetime.date, value, chances, close_date, note):
        stage = self.stages[target]
        figures = stage_figures(
            method=self.method,
            estimated_value=value,
            chances_of_success_pct=chances,
            stage=stage,
            estimated_close_date=close_date,
        )
        entry = PlannedEntry(
            action_taken=action,
            stage_index=target,
            previous_stage_index=self.index,
            date_of_change=date,
            estimated_value=figures.estimated_value,
            chances_of_success_pct=figures.chances_of_success_pct,
            completed_pct=D(figures.completed_pct),
            probability_pct=figures.probability_pct,
            calculated_current_value=figures.calculated_current_value,
            estimated_close_date=close_date,
            note=note,
        )
        self.entries.append(entry)
        self.index, self.value, self.chances, self.close_date = target, entry.estimated_value, chances, close_date
        return entry

    def activate(self, step: Step) -> None:
        first = self.stages[0]
        chances = first.chances_of_success_pct if step.chances_of_success_pct is None else step.chances_of_success_pct
        close_date = step.estimated_close_date or propose(first, step.date)
        self._stage_entry(Action.FIRST, 0, step.date, step.estimated_value or ZERO, chances, close_date, step.note)

    def move(self, step: Step, recorded: str) -> None:
        if step.quote_total is not None:
            self.quote_total = step.quote_total
        target = step.stage_index
        value, chances, close_date = update_values(
            target=self.stages[target],
            moves=target != self.index,
            date_of_change=step.date,
            estimated_value=step.estimated_value,
            chances_of_success_pct=step.chances_of_success_pct,
            estimated_close_date=step.estimated_close_date,
            quote_total=self.quote_total,
            current_value=self.value,
            current_chances=self.chances,
            current_close_date=self.close_date,
            propose=propose,
        )
        self._stage_entry(recorded, target, step.date, value, chances, close_date, step.note)

    def close(self, step: Step) -> None:
        figures = close_figures(
            outcome=step.action,
            date_closed=step.date,
            sales_amount=step.sales_amount,
            quote_total=self.quote_total,
            estimated_value=self.value,
        )
        value, chances, completed, probability, current = (
            figures.estimated_value,
            figures.chances_of_success_pct,
            figures.completed_pct,
            figures.probability_pct,
            figures.calculated_current_value,
        )
        self.entries.append(
            PlannedEntry(
                action_taken=step.action,
                stage_index=None,
                previous_stage_index=self.index,
                date_of_change=step.date,
                estimated_value=value,
                chances_of_success_pct=chances,
                completed_pct=completed,
                probability_pct=probability,
                calculated_current_value=current,
                estimated_close_date=step.date,
                close_code_index=step.close_code_index,
                note=step.note,
            )
        )
        self.index = None


def _step_dates(rng: random.Random, *, moves: int, closes: bool, status: str, today: datetime.date, max_age: int):
    """(creation date, [date of each step]) — non-decreasing, within ``max_age`` days, none after today."""
    first_gap = rng.randint(0, 6)
    gaps = [rng.choice((0, 1, 2, 3)) if rng.random() < 0.1 else rng.randint(3, 40) for _ in range(moves)]
    if closes:
        gaps.append(rng.randint(1, 30))
    recent = 21  # an opportunity in progress was last touched at most three weeks ago
    budget = max(0, max_age - first_gap - recent - 1)
    total = sum(gaps)
    if total > budget:
        gaps = [gap * budget // total for gap in gaps]
        total = sum(gaps)
    if status == Status.IN_PROGRESS:
        last = today - datetime.timedelta(days=rng.randint(0, recent))
    else:
        last = today - datetime.timedelta(days=rng.randint(0, max(0, max_age - first_gap - total)))
    start = last - datetime.timedelta(days=total)
    dates, day = [start], start
    for gap in gaps:
        day += datetime.timedelta(days=gap)
        dates.append(day)
    return start - datetime.timedelta(days=first_gap), dates


def _percent(rng: random.Random) -> Decimal:
    return D(rng.randrange(10, 100, 5))


def plan_history(
    rng: random.Random,
    *,
    stages: Sequence,
    method: str,
    status: str,
    today: datetime.date,
    value_range: tuple[int, int],
    won_codes: int,
    lost_codes: int,
    moves: int | None = None,
    max_age_days: int = MAX_AGE_DAYS,
) -> History:
    """One opportunity's story ending in ``status``.

    ``stages`` are the cycle's stages in order (objects with ``stage``, ``completed_pct``,
    ``chances_of_success_pct``, ``date_formula``, ``quote_required``, ``allow_skip``); ``won_codes``
    and ``lost_codes`` the number of close codes of each type to pick from.
    """
    if status == Status.NOT_STARTED:
        age = rng.randint(0, min(75, max_age_days))
        return History(status=status, creation_date=today - datetime.timedelta(days=age))
    if status == Status.LOST and rng.random() < 0.08:
        # Lost before it ever started (BC allows closing a not-started opportunity).
        closed = today - datetime.timedelta(days=rng.randint(0, max_age_days - 30))
        step = Step(action=LOST, date=closed, close_code_index=rng.randrange(lost_codes), note="Not pursued.")
        walker = _Walker(stages, method)
        walker.close(step)
        return History(
            status=status,
            creation_date=closed - datetime.timedelta(days=rng.randint(0, 20)),
            steps=(step,),
            entries=tuple(walker.entries),
        )

    count = len(stages)
    closes = status in (Status.WON, Status.LOST)
    if moves is None:
        if status == Status.WON:
            moves = rng.randint(max(1, count // 2), count + 1)
        elif status == Status.LOST:
            moves = rng.randint(0, count)
        else:
            moves = rng.choice((0, 1, 1, 2, 2, 3, 3, 4, 5))
    creation, dates = _step_dates(rng, moves=moves, closes=closes, status=status, today=today, max_age=max_age_days)

    walker = _Walker(stages, method)
    value = draw_value(rng, *value_range)
    steps = [
        Step(
            action=FIRST,
            date=dates[0],
            stage_index=0,
            estimated_value=value,
            chances_of_success_pct=_percent(rng) if rng.random() < 0.15 else None,
        )
    ]
    # Chances of 0 would make every later update fail; a formula going backwards would be refused.
    if stages[0].chances_of_success_pct == 0 and steps[0].chances_of_success_pct is None:
        steps[0] = replace(steps[0], chances_of_success_pct=D("10"))
    if propose(stages[0], dates[0]) < dates[0]:
        steps[0] = replace(steps[0], estimated_close_date=dates[0] + datetime.timedelta(days=30))
    walker.activate(steps[0])

    forward = 3.0 if status == Status.WON else 1.0
    for date in dates[1 : moves + 1]:
        index = walker.index
        options: list[tuple[str, int, float]] = []
        if index + 1 < count:
            options.append((UpdateAction.NEXT, index + 1, 6.0 * forward))
        for target in range(index + 2, count):
            if all(stage.allow_skip for stage in stages[index + 1 : target]):
                options.append((UpdateAction.SKIP, target, 1.2 * forward))
            else:
                break
        options.append((UpdateAction.UPDATE, index, 1.5))
        if index > 0:
            options.append((UpdateAction.PREVIOUS, index - 1, 0.6 / forward))
        for target in range(index - 1):
            options.append((UpdateAction.JUMP, target, 0.5 / forward / max(1, index - 1)))
        action, target, _weight = rng.choices(options, weights=[option[2] for option in options])[0]
        recorded = {
            UpdateAction.NEXT: Action.NEXT,
            UpdateAction.SKIP: Action.SKIPPED,
            UpdateAction.UPDATE: Action.UPDATED,
            UpdateAction.PREVIOUS: Action.PREVIOUS,
            UpdateAction.JUMP: Action.JUMPED,
        }[action]

        quote_total = None
        if (
            action in (UpdateAction.NEXT, UpdateAction.SKIP)
            and stages[target].quote_required
            and walker.quote_total is None
        ):
            quote_total = round_value(float(walker.value) * rng.uniform(0.85, 1.1))

        estimated_value = chances = close_date = None
        note = ""
        if action == UpdateAction.UPDATE:
            changes = rng.choice(("value", "chances", "date", "value+date", "value+chances"))
            if "value" in changes:
                estimated_value = round_value(float(walker.value) * rng.uniform(0.75, 1.3))
            if "chances" in changes:
                chances = _percent(rng)
            if "date" in changes:
                close_date = date + datetime.timedelta(days=rng.randint(14, 120))
            note = rng.choice(UPDATE_NOTES)
        else:
            if rng.random() < 0.12:
                estimated_value = round_value(float(walker.value) * rng.uniform(0.9, 1.2))
            if rng.random() < 0.1:
                chances = _percent(rng)
        # Keeping the current close date must not put it before the date of change.
        if close_date is None and action == UpdateAction.UPDATE and walker.close_date < date:
            close_date = date + datetime.timedelta(days=rng.randint(14, 90))
        if close_date is None and action != UpdateAction.UPDATE and propose(stages[target], date) < date:
            close_date = date + datetime.timedelta(days=30)
        if chances is None and walker.chances == 0:
            chances = _percent(rng)

        step = Step(
            action=action,
            date=date,
            stage_index=target,
            estimated_value=estimated_value,
            chances_of_success_pct=chances,
            estimated_close_date=close_date,
            quote_total=quote_total,
            note=note,
        )
        walker.move(step, recorded)
        steps.append(step)

    if closes:
        outcome = WON if status == Status.WON else LOST
        sales_amount = None
        if outcome == WON:
            code = rng.randrange(won_codes)
            if rng.random() < 0.4:
                current = walker.quote_total if walker.quote_total is not None else walker.value
                sales_amount = round_amount(current * D(str(round(rng.uniform(0.9, 1.0), 3))))
        else:
            code = rng.randrange(lost_codes)
        step = Step(
            action=outcome,
            date=dates[-1],
            close_code_index=code,
            sales_amount=sales_amount,
            note=rng.choice(CLOSE_NOTES[outcome]),
        )
        walker.close(step)
        steps.append(step)

    return History(status=status, creation_date=creation, steps=tuple(steps), entries=tuple(walker.entries))


def run_with_services(
    history: History,
    *,
    opportunity: Opportunity,
    user,
    stages: Sequence,
    won_codes: Sequence,
    lost_codes: Sequence,
    cycle_code: str = "",
) -> None:
    """Replay a planned story through the lifecycle services (the one door, SPEC §3.6)."""
    from opportunities import services

    for step in history.steps:
        if step.quote_total is not None:
            services.quote_save(
                opportunity=opportunity,
                user=user,
                lines=[
                    services.QuoteLineInput(description=text, quantity=qty, unit_price=price, discount_pct=discount)
                    for text, qty, price, discount in quote_lines(step.quote_total, cycle_code)
                ],
                quote_date=step.date,
                valid_until=step.date + datetime.timedelta(days=30),
            )
        if step.action == FIRST:
            services.opportunity_activate(
                opportunity=opportunity,
                user=user,
                date_of_change=step.date,
                estimated_value=step.estimated_value,
                chances_of_success_pct=step.chances_of_success_pct,
                estimated_close_date=step.estimated_close_date,
                note=step.note,
            )
        elif step.action in UpdateAction.ALL:
            services.opportunity_update_stage(
                opportunity=opportunity,
                user=user,
                action=step.action,
                stage=stages[step.stage_index].stage if step.action in (UpdateAction.SKIP, UpdateAction.JUMP) else None,
                date_of_change=step.date,
                estimated_value=step.estimated_value,
                chances_of_success_pct=step.chances_of_success_pct,
                estimated_close_date=step.estimated_close_date,
                note=step.note,
            )
        else:
            codes = won_codes if step.action == WON else lost_codes
            services.opportunity_close(
                opportunity=opportunity,
                user=user,
                outcome=step.action,
                close_code=codes[step.close_code_index],
                date_closed=step.date,
                sales_amount=step.sales_amount,
                note=step.note,
            )
