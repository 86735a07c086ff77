"""What the in-process benchmark measures (issue 7), with the objects each request works on.

Reads are measured as the sales manager (who sees all 100,000 opportunities: the largest result
sets and aggregates) and, where a salesperson's view differs, as the rep ``gen001``. Writes go
through the API as the manager, each repetition on another opportunity in progress.
"""

import random
from urllib.parse import urlencode

from django.db.models import Count, Q

from bench.measure import FAST_BUDGET, RATIO_BUDGET, Endpoint
from contacts.models import Contact
from opportunities.models import Opportunity
from salescycles.models import CloseOpportunityCode, SalesCycle, SalesCycleStage

API = "/api/v1"
CONTACT_SEARCH = "mulder"
# The API list at two page sizes: issue 7 wants the same query count for both.
PAGE_10 = "API opportunity list, page of 10"
PAGE_100 = "API opportunity list, page of 100"


def cycle_with_most_open() -> SalesCycle:
    return (
        SalesCycle.objects.annotate(open_count=Count("opportunities", filter=Q(opportunities__closed=False)))
        .order_by("-open_count", "code")
        .first()
    )


def next_candidates(limit: int, *, salesperson=None) -> list[str]:
    """In-progress opportunities a ``next`` accepts today: a later stage exists, it needs no quote or
    the opportunity has one, and the estimate is positive (SPEC §3.3)."""
    following = {}
    stages = SalesCycleStage.objects.order_by("sales_cycle_id", "stage").values(
        "id", "sales_cycle_id", "quote_required"
    )
    previous = None
    for stage in stages:
        if previous is not None and previous["sales_cycle_id"] == stage["sales_cycle_id"]:
            following[previous["id"]] = stage
        previous = stage
    queryset = Opportunity.objects.filter(status=Opportunity.Status.IN_PROGRESS, estimated_value__gt=0)
    if salesperson is not None:
        queryset = queryset.filter(salesperson=salesperson)
    rows = queryset.annotate(has_quote=Count("quote")).values_list("no", "current_stage_id", "has_quote").order_by("no")
    result = []
    for no, stage_id, has_quote in rows.iterator(chunk_size=5000):
        target = following.get(stage_id)
        if target is not None and (has_quote or not target["quote_required"]):
            result.append(no)
            if len(result) >= limit:
                break
    return result


def _sample_nos(count: int, *, seed: int, salesperson=None) -> list[str]:
    queryset = Opportunity.objects.order_by("no")
    if salesperson is not None:
        queryset = queryset.filter(salesperson=salesperson)
    nos = list(queryset.values_list("no", flat=True))
    return random.Random(seed).sample(nos, min(count, len(nos)))


def _cycled(values: list[str], template: str):
    return lambda index: template.format(values[index % len(values)])


def build(*, rep, seed: int, writes_needed: int) -> tuple[list[Endpoint], dict]:
    """The endpoints, and the objects they use (for the JSON record)."""
    cycle = cycle_with_most_open()
    detail_nos = _sample_nos(500, seed=seed)
    rep_nos = _sample_nos(200, seed=seed, salesperson=rep)
    # The next-candidates come first in number order, the close candidates from the other end,
    # so that the two write measurements never pick the same opportunity.
    next_nos = next_candidates(writes_needed)
    close_nos = list(
        Opportunity.objects.filter(status=Opportunity.Status.IN_PROGRESS)
        .exclude(no__in=next_nos)
        .order_by("-no")
        .values_list("no", flat=True)[:writes_needed]
    )
    if len(next_nos) < writes_needed or len(close_nos) < writes_needed:
        raise SystemExit("Not enough opportunities in progress left for the write measurements: regenerate the data.")
    lost_code = CloseOpportunityCode.objects.filter(type=CloseOpportunityCode.Type.LOST).order_by("code").first()
    list_filters = urlencode({"page_size": 100, "status": "in_progress", "sales_cycle": cycle.code, "priority": "high"})
    ui_filters = urlencode({"status": "open", "sales_cycle": cycle.code, "priority": "high"})
    contact_no = Contact.objects.order_by("no").values_list("no", flat=True).first()

    def fixed(url: str):
        return lambda _index: url

    fast_list = dict(FAST_BUDGET)
    endpoints = [
        # API
        Endpoint(
            PAGE_100,
            "manager",
            "api",
            fixed(f"{API}/opportunities/?page_size=100"),
            budget=fast_list,
            ratio_budget=RATIO_BUDGET,
        ),
        Endpoint(
            PAGE_10,
            "manager",
            "api",
            fixed(f"{API}/opportunities/?page_size=10"),
            budget=dict(FAST_BUDGET),
            ratio_budget=RATIO_BUDGET,
        ),
        Endpoint(
            "API opportunity list, page of 100, 3 filters",
            "manager",
            "api",
            fixed(f"{API}/opportunities/?{list_filters}"),
            budget=fast_list,
            ratio_budget=RATIO_BUDGET,
        ),
        Endpoint(
            "API opportunity list, page of 100 (rep)",
            "rep",
            "api",
            fixed(f"{API}/opportunities/?page_size=100"),
            budget=fast_list,
            ratio_budget=RATIO_BUDGET,
        ),
        Endpoint(
            "API opportunity detail",
            "manager",
            "api",
            _cycled(detail_nos, API + "/opportunities/{}/"),
            ratio_budget=RATIO_BUDGET,
        ),
        Endpoint(
            "API opportunity detail (rep)",
            "rep",
            "api",
            _cycled(rep_nos, API + "/opportunities/{}/"),
            ratio_budget=RATIO_BUDGET,
        ),
        Endpoint(
            "API update-stage (next)",
            "manager",
            "api",
            _cycled(next_nos, API + "/opportunities/{}/update-stage/"),
            method="post",
            body=lambda _index: {"action": "next"},
            budget=dict(FAST_BUDGET),
            write=True,
        ),
        Endpoint(
            "API close (lost)",
            "manager",
            "api",
            _cycled(close_nos, API + "/opportunities/{}/close/"),
            method="post",
            body=lambda _index: {"outcome": "lost", "close_code": lost_code.code},
            write=True,
        ),
        Endpoint("API sales-cycle statistics", "manager", "api", fixed(f"{API}/sales-cycles/{cycle.code}/statistics/")),
        Endpoint("API forecast", "manager", "api", fixed(f"{API}/reports/forecast/")),
        Endpoint("API salesperson statistics", "manager", "api", fixed(f"{API}/reports/salespeople/")),
        Endpoint("API win/loss", "manager", "api", fixed(f"{API}/reports/win-loss/")),
        Endpoint("API contact search", "manager", "api", fixed(f"{API}/contacts/?search={CONTACT_SEARCH}")),
        # Browser UI
        Endpoint("Board, largest cycle", "manager", "ui", fixed(f"/pipeline/{cycle.code}/")),
        Endpoint("Board, largest cycle (rep)", "rep", "ui", fixed(f"/pipeline/{cycle.code}/")),
        Endpoint("Opportunity list page, 3 filters", "manager", "ui", fixed(f"/opportunities/?{ui_filters}")),
        Endpoint("Opportunity list page", "manager", "ui", fixed("/opportunities/")),
        Endpoint("Opportunity detail page", "manager", "ui", _cycled(detail_nos, "/opportunities/{}/")),
        Endpoint("Dashboard", "manager", "ui", fixed("/")),
        Endpoint("Dashboard (rep)", "rep", "ui", fixed("/")),
        # The reports page shows one report per request (a tab each, ?report=).
        Endpoint("Reports page: forecast", "manager", "ui", fixed("/reports/?report=forecast")),
        Endpoint("Reports page: salespeople", "manager", "ui", fixed("/reports/?report=salespeople")),
        Endpoint("Reports page: win/loss", "manager", "ui", fixed("/reports/?report=win-loss")),
        Endpoint(
            "Reports page: sales-cycle statistics",
            "manager",
            "ui",
            fixed(f"/reports/?report=sales-cycle&sales_cycle={cycle.code}"),
        ),
        Endpoint(
            "Reports page: forecast, one cycle",
            "manager",
            "ui",
            fixed(f"/reports/?report=forecast&sales_cycle={cycle.code}"),
        ),
        Endpoint("Contact search page", "manager", "ui", fixed(f"/contacts/?q={CONTACT_SEARCH}")),
        Endpoint("Contact detail page (company)", "manager", "ui", fixed(f"/contacts/{contact_no}/")),
    ]
    close_budget_note = "close has no budget of its own in issue 7; shown against the page budget"
    objects = {
        "largest_cycle": cycle.code,
        "contact_search": CONTACT_SEARCH,
        "lost_close_code": lost_code.code,
        "note": close_budget_note,
    }
    return endpoints, objects
