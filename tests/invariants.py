"""Invariants of the pipeline data (SPEC §2.3, §3), checked over whole tables.

``opportunity_problems()`` reads every opportunity and entry (a few queries, no query per row) and
returns what is wrong as readable lines; ``assert_opportunity_invariants()`` fails a test with them.
Use it after any test that writes opportunities in bulk or through many service calls.

For every opportunity:

* not started: no entries, not closed, no stage, no close data, no figures;
* started: exactly one active entry, the last one; ``days_open`` of an inactive entry is the
  next entry's date minus its own, of the active entry 0; dates never go backwards;
* the first entry is the activation (``first``) unless the opportunity was closed unstarted; no
  other entry is ``first``; ``previous_stage`` is the stage of the entry before;
* stage entries stand at a stage of the opportunity's cycle, have no closing date, an estimated
  close date on or after their date of change, the stage's completed %, and the probability and
  calculated current value of the cycle's method;
* close entries are last, have no stage, ``date_closed`` = their date, a close code of their type
  and the won/lost figures of SPEC §3.4;
* the opportunity's copied figures are its active entry's, and its status, ``closed``,
  ``date_closed`` and ``close_code`` agree with the last entry.
"""

from collections import defaultdict
from decimal import Decimal

from opportunities.models import Opportunity, OpportunityEntry
from opportunities.services import compute_current_value, compute_probability
from salescycles.models import CloseOpportunityCode, SalesCycle, SalesCycleStage

FIGURES = ("estimated_value", "chances_of_success_pct", "completed_pct", "probability_pct", "calculated_current_value")
ENTRY_FIELDS = (
    "id",
    "opportunity_id",
    "sales_cycle_id",
    "stage_id",
    "previous_stage_id",
    "action_taken",
    "date_of_change",
    "active",
    "days_open",
    "date_closed",
    "estimated_close_date",
    "close_code_id",
    *FIGURES,
)
OPPORTUNITY_FIELDS = (
    "id",
    "no",
    "status",
    "closed",
    "date_closed",
    "close_code_id",
    "current_stage_id",
    "sales_cycle_id",
    "estimated_closing_date",
    *FIGURES,
)
STAGE_ACTIONS = {"first", "next", "previous", "skipped", "jumped", "updated"}
CLOSE_ACTIONS = {"won", "lost"}
ZERO, HUNDRED = Decimal("0"), Decimal("100")


def opportunity_problems(opportunities=None, *, check_figures: bool = True, limit: int = 50) -> list[str]:
    """What breaks the invariants, one line per problem (at most ``limit``); empty when all hold.

    ``opportunities`` narrows the check (a queryset of ``Opportunity``); ``check_figures`` also
    recomputes the entries' completed %, probability % and current value from the setup, which
    holds as long as nobody changed a stage or a cycle's method after the entries were written.
    """
    opportunities = Opportunity.objects.all() if opportunities is None else opportunities
    stages = {row["id"]: row for row in SalesCycleStage.objects.values("id", "sales_cycle_id", "completed_pct")}
    methods = dict(SalesCycle.objects.values_list("id", "probability_calculation"))
    close_code_types = dict(CloseOpportunityCode.objects.values_list("id", "type"))
    entries_by_opportunity = defaultdict(list)
    entries = OpportunityEntry.objects.filter(opportunity__in=opportunities.values("id")).order_by("opportunity", "id")
    for entry in entries.values(*ENTRY_FIELDS).iterator(chunk_size=5000):
        entries_by_opportunity[entry["opportunity_id"]].append(entry)

    problems: list[str] = []

    def problem(opportunity, message):
        if len(problems) < limit:
            problems.append(f"{opportunity['no']} ({opportunity['status']}): {message}")

    for opportunity in opportunities.order_by("id").values(*OPPORTUNITY_FIELDS).iterator(chunk_size=5000):
        history = entries_by_opportunity.get(opportunity["id"], [])
        _check(opportunity, history, stages, methods, close_code_types, check_figures, problem)
    return problems


def assert_opportunity_invariants(opportunities=None, **options) -> None:
    problems = opportunity_problems(opportunities, **options)
    assert not problems, "Opportunity invariants broken:\n" + "\n".join(problems)


def _check(opportunity, history, stages, methods, close_code_types, check_figures, problem) -> None:
    status = opportunity["status"]
    if not history:
        if status != "not_started":
            problem(opportunity, "started but has no entries")
        if opportunity["closed"] or opportunity["date_closed"] or opportunity["close_code_id"]:
            problem(opportunity, "not started but carries close data")
        if opportunity["current_stage_id"] is not None:
            problem(opportunity, "not started but stands at a stage")
        if any(opportunity[name] != 0 for name in FIGURES) or opportunity["estimated_closing_date"] is not None:
            problem(opportunity, "not started but has figures")
        return

    active = [entry for entry in history if entry["active"]]
    if len(active) != 1:
        problem(opportunity, f"{len(active)} active entries instead of 1")
    if not history[-1]["active"]:
        problem(opportunity, f"the last entry {history[-1]['id']} is not the active one")

    previous = None
    for position, entry in enumerate(history):
        label = f"entry {entry['id']} ({entry['action_taken']})"
        action = entry["action_taken"]
        if entry["sales_cycle_id"] != opportunity["sales_cycle_id"]:
            problem(opportunity, f"{label} belongs to another sales cycle")
        if previous is not None:
            gap = (entry["date_of_change"] - previous["date_of_change"]).days
            if gap < 0:
                problem(opportunity, f"{label} is dated before the entry before it")
            if previous["days_open"] != gap:
                problem(opportunity, f"entry {previous['id']} has days_open {previous['days_open']}, expected {gap}")
        if entry["previous_stage_id"] != (previous["stage_id"] if previous else None):
            problem(opportunity, f"{label} has previous_stage {entry['previous_stage_id']}, not the stage before")
        if action == "first" and position != 0:
            problem(opportunity, f"{label} is an activation but not the first entry")
        if position == 0 and action not in ("first", *CLOSE_ACTIONS):
            problem(opportunity, f"the first entry is {action}, not an activation")

        if action in STAGE_ACTIONS:
            _check_stage_entry(opportunity, entry, label, stages, methods, check_figures, problem)
        elif action in CLOSE_ACTIONS:
            _check_close_entry(opportunity, entry, label, position, len(history), close_code_types, problem)
        else:
            problem(opportunity, f"{label} has an unknown action")
        previous = entry
    if history[-1]["days_open"] != 0:
        problem(opportunity, "the active entry has days_open other than 0")

    last = history[-1]
    for name in FIGURES:
        if opportunity[name] != last[name]:
            problem(opportunity, f"{name} is {opportunity[name]}, the active entry's {last[name]}")
    if opportunity["estimated_closing_date"] != last["estimated_close_date"]:
        problem(opportunity, "estimated_closing_date differs from the active entry's")
    if opportunity["current_stage_id"] != last["stage_id"]:
        problem(opportunity, "current_stage differs from the active entry's stage")
    if last["action_taken"] in CLOSE_ACTIONS:
        if status != last["action_taken"] or not opportunity["closed"]:
            problem(opportunity, f"last entry is {last['action_taken']} but status/closed disagree")
        if opportunity["date_closed"] != last["date_closed"] or opportunity["close_code_id"] != last["close_code_id"]:
            problem(opportunity, "date_closed or close_code differ from the close entry's")
    else:
        if status != "in_progress" or opportunity["closed"]:
            problem(opportunity, "last entry is at a stage but the opportunity is not in progress")
        if opportunity["date_closed"] is not None or opportunity["close_code_id"] is not None:
            problem(opportunity, "in progress but carries close data")


def _check_stage_entry(opportunity, entry, label, stages, methods, check_figures, problem) -> None:
    stage = stages.get(entry["stage_id"])
    if stage is None:
        problem(opportunity, f"{label} has no stage")
        return
    if stage["sales_cycle_id"] != opportunity["sales_cycle_id"]:
        problem(opportunity, f"{label} stands at a stage of another cycle")
    if entry["date_closed"] is not None or entry["close_code_id"] is not None:
        problem(opportunity, f"{label} carries close data")
    if entry["estimated_close_date"] is None or entry["estimated_close_date"] < entry["date_of_change"]:
        problem(opportunity, f"{label} has an estimated close date before its date of change")
    chances = entry["chances_of_success_pct"]
    if not (ZERO <= chances <= HUNDRED) or (chances == 0 and entry["action_taken"] != "first"):
        problem(opportunity, f"{label} has chances of success {chances}")
    if entry["estimated_value"] <= 0 and entry["action_taken"] != "first":
        problem(opportunity, f"{label} has estimated value {entry['estimated_value']}")
    if check_figures:
        if entry["completed_pct"] != stage["completed_pct"]:
            problem(
                opportunity, f"{label} has completed % {entry['completed_pct']}, the stage {stage['completed_pct']}"
            )
        probability = compute_probability(
            method=methods[opportunity["sales_cycle_id"]],
            chances_of_success_pct=chances,
            completed_pct=entry["completed_pct"],
        )
        if entry["probability_pct"] != probability:
            problem(opportunity, f"{label} has probability {entry['probability_pct']}, expected {probability}")
        current = compute_current_value(estimated_value=entry["estimated_value"], probability_pct=probability)
        if entry["calculated_current_value"] != current:
            problem(opportunity, f"{label} has current value {entry['calculated_current_value']}, expected {current}")


def _check_close_entry(opportunity, entry, label, position, count, close_code_types, problem) -> None:
    action = entry["action_taken"]
    if position != count - 1:
        problem(opportunity, f"{label} closes the opportunity but is not the last entry")
    if entry["stage_id"] is not None:
        problem(opportunity, f"{label} stands at a stage")
    if entry["date_closed"] != entry["date_of_change"]:
        problem(opportunity, f"{label} has date_closed {entry['date_closed']} != date of change")
    if close_code_types.get(entry["close_code_id"]) != action:
        problem(opportunity, f"{label} has no close code of type {action}")
    if entry["estimated_close_date"] != entry["date_of_change"]:
        problem(opportunity, f"{label} has an estimated close date other than its closing date")
    if action == "won":
        expected = (entry["estimated_value"], HUNDRED, HUNDRED, HUNDRED, entry["estimated_value"])
        if entry["estimated_value"] <= 0:
            problem(opportunity, f"{label} was won for {entry['estimated_value']}")
    else:
        expected = (entry["estimated_value"], ZERO, HUNDRED, ZERO, ZERO)
    if tuple(entry[name] for name in FIGURES) != expected:
        problem(opportunity, f"{label} has figures {[str(entry[name]) for name in FIGURES]}")
