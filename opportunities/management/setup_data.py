"""The setup data shared by ``seed_demo`` and ``generate_data``: activities, sales cycles, close codes.

Between them the cycles exercise every rule of SPEC §2.1 and §3.3: stages with activities, the
date formulas of §2.5, quote-required and skippable stages, gaps in stage numbers (EXISTING) and
each probability method, the fourth (``completed``) on a retired, blocked cycle (OLD).

``ensure_setup`` only creates what is missing: an activity, cycle or close code that already
exists (a manager may have changed it) is left exactly as it is.
"""

from dataclasses import dataclass, field
from decimal import Decimal

from django.db import transaction

from salescycles.models import Activity, ActivityStep, CloseOpportunityCode, SalesCycle, SalesCycleStage

D = Decimal

# code, description, steps: (type, priority, description, date formula)
ACTIVITIES = [
    (
        "INTRO",
        "Initial contact",
        [
            ("phone_call", "normal", "Introductory call with the decision maker", "2D"),
            ("task", "low", "Send company presentation and references", "3D"),
        ],
    ),
    (
        "QUALIFY",
        "Needs analysis",
        [
            ("meeting", "high", "Needs analysis meeting on site", "1W"),
            ("task", "normal", "Write and share the meeting minutes", "1W+1D"),
        ],
    ),
    (
        "DEMO",
        "Product demonstration",
        [
            ("meeting", "normal", "Product demonstration", "1W"),
            ("task", "low", "Send the demo recording and trial access", "8D"),
            ("phone_call", "normal", "Feedback call after the trial", "3W"),
        ],
    ),
    (
        "WORKSHOP",
        "Scoping workshop",
        [
            ("meeting", "high", "Scoping workshop with the project team", "2W"),
            ("task", "normal", "Draft the statement of work", "3W"),
        ],
    ),
    (
        "PROPOSAL",
        "Proposal",
        [
            ("task", "high", "Prepare and send the proposal", "3D"),
            ("phone_call", "normal", "Follow up on the proposal", "2W"),
        ],
    ),
    (
        "NEGOTIATE",
        "Negotiation",
        [
            ("meeting", "high", "Negotiation meeting", "1W"),
            ("task", "normal", "Update the contract draft", "10D"),
        ],
    ),
    (
        "CLOSING",
        "Contract signature",
        [
            ("task", "high", "Send the contract for signature", "2D"),
            ("phone_call", "normal", "Confirm signature and kick-off date", "1W"),
        ],
    ),
]


@dataclass(frozen=True)
class StageDef:
    stage: int
    description: str
    completed: str
    chances: str
    activity: str | None = None
    date_formula: str = ""
    quote_required: bool = False
    allow_skip: bool = False


@dataclass(frozen=True)
class CycleDef:
    code: str
    description: str
    method: str
    stages: list[StageDef] = field(default_factory=list)
    blocked: bool = False
    # Typical estimated values (min, max) of its opportunities, for the generators.
    value_range: tuple[int, int] = (2000, 50000)


SALES_CYCLES = [
    CycleDef(
        "NEW",
        "New customers",
        "multiply",
        [
            StageDef(1, "Initial contact", "10", "20", "INTRO", "CM+2M"),
            StageDef(2, "Needs analysis", "25", "35", "QUALIFY", "1M+10D", allow_skip=True),
            StageDef(3, "Product demonstration", "40", "50", "DEMO", "CM+1M", allow_skip=True),
            StageDef(4, "Proposal", "60", "60", "PROPOSAL", "1M", quote_required=True),
            # Chances 0: entering negotiation keeps the opportunity's current chances.
            StageDef(5, "Negotiation", "80", "0", "NEGOTIATE", "2W"),
            StageDef(6, "Contract signature", "90", "90", "CLOSING", "7D"),
        ],
        value_range=(5000, 80000),
    ),
    CycleDef(
        "EXISTING",
        "Existing customers",
        "add",
        [
            # Gaps in the numbering leave room for stages added later.
            StageDef(10, "Contact", "10", "40", "INTRO", "1M"),
            StageDef(20, "Offer", "40", "60", "PROPOSAL", "2W", quote_required=True),
            StageDef(30, "Negotiation", "70", "70", "NEGOTIATE", "CM", allow_skip=True),
            StageDef(40, "Order confirmation", "90", "85", "CLOSING", "7D"),
        ],
        value_range=(2000, 40000),
    ),
    CycleDef(
        "PROJECT",
        "Large projects",
        "chances_of_success",
        [
            StageDef(1, "Lead qualification", "5", "10", "INTRO", "CQ+1Q"),
            StageDef(2, "Scoping workshop", "15", "20", "WORKSHOP", "CQ+1M"),
            StageDef(3, "Solution design", "30", "30", None, "2M", allow_skip=True),
            StageDef(4, "Proof of concept", "45", "40", "DEMO", "2M", allow_skip=True),
            StageDef(5, "Proposal", "60", "50", "PROPOSAL", "CM+1M", quote_required=True),
            StageDef(6, "Negotiation", "80", "70", "NEGOTIATE", "1M"),
            StageDef(7, "Contract", "95", "90", "CLOSING", "2W"),
        ],
        value_range=(50000, 750000),
    ),
    CycleDef(
        "OLD",
        "Retired cycle (before 2025)",
        "completed",
        [
            StageDef(1, "First call", "20", "25", "INTRO", "1M"),
            StageDef(2, "Offer sent", "60", "50", None, "2W", quote_required=True),
            StageDef(3, "Closing", "90", "80", None, "7D"),
        ],
        blocked=True,
        value_range=(3000, 30000),
    ),
]
CYCLES_BY_CODE = {cycle.code: cycle for cycle in SALES_CYCLES}

# code, description, type
CLOSE_CODES = [
    ("PRICE", "Best price and payment terms", "won"),
    ("QUALITY", "Superior product quality and features", "won"),
    ("RELATION", "Long-standing customer relationship", "won"),
    ("COMPETITOR", "Lost to a competitor", "lost"),
    ("BUDGET", "No budget available", "lost"),
    ("NO-DECISION", "Customer made no decision", "lost"),
    ("TIMING", "Bad timing; project postponed by the customer", "lost"),
]


@dataclass
class SetupCounts:
    activities: int = 0
    steps: int = 0
    cycles: int = 0
    stages: int = 0
    close_codes: int = 0

    @property
    def total(self) -> int:
        return self.activities + self.steps + self.cycles + self.stages + self.close_codes


def _save(instance):
    """Validate like a form would (codes, date formulas, percentages), then save."""
    instance.full_clean()
    instance.save()
    return instance


@transaction.atomic
def ensure_setup() -> SetupCounts:
    """Create the demo activities, sales cycles and close codes that do not exist yet."""
    counts = SetupCounts()
    activities = {}
    for code, description, steps in ACTIVITIES:
        activity = Activity.objects.filter(code=code).first()
        if activity is None:
            activity = _save(Activity(code=code, description=description))
            counts.activities += 1
            for step_no, (step_type, priority, step_description, formula) in enumerate(steps, start=1):
                _save(
                    ActivityStep(
                        activity=activity,
                        step_no=step_no,
                        type=step_type,
                        priority=priority,
                        description=step_description,
                        date_formula=formula,
                    )
                )
                counts.steps += 1
        activities[code] = activity

    for definition in SALES_CYCLES:
        if SalesCycle.objects.filter(code=definition.code).exists():
            continue
        cycle = _save(
            SalesCycle(
                code=definition.code,
                description=definition.description,
                probability_calculation=definition.method,
                blocked=definition.blocked,
            )
        )
        counts.cycles += 1
        for stage in definition.stages:
            _save(
                SalesCycleStage(
                    sales_cycle=cycle,
                    stage=stage.stage,
                    description=stage.description,
                    completed_pct=D(stage.completed),
                    chances_of_success_pct=D(stage.chances),
                    activity=activities.get(stage.activity) if stage.activity else None,
                    date_formula=stage.date_formula,
                    quote_required=stage.quote_required,
                    allow_skip=stage.allow_skip,
                )
            )
            counts.stages += 1

    for code, description, code_type in CLOSE_CODES:
        if not CloseOpportunityCode.objects.filter(code=code).exists():
            _save(CloseOpportunityCode(code=code, description=description, type=code_type))
            counts.close_codes += 1
    return counts


def value_range(cycle_code: str) -> tuple[int, int]:
    definition = CYCLES_BY_CODE.get(cycle_code)
    return definition.value_range if definition else (2000, 50000)
