"""In-process measurements with ``django.test.Client``: latency, query count and the floor.

For every endpoint: a few warm-up requests, then ``repeat`` timed requests (nothing recorded
while they run), then one request under ``CaptureQueriesContext`` for the query count and the
statements. For a read, the **SQL floor** is the median time of executing exactly those
statements (parameters already in them) with a cursor on the same connection, fetching every
row; the **framework floor** is the median of a trivial view behind the same middleware (Django,
or DRF for API endpoints) minus the SQL floor of that trivial view's own statements (session and
user). ``ratio = p50 ÷ (SQL floor + framework floor)``: how much the endpoint costs beyond the
database work it needs and the framework's fixed price.

Writes (update-stage, close) act on a different opportunity at every repetition, so each call is
a real transition that commits; they have no floor.
"""

import math
import re
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

# Budgets of issue 7 (milliseconds).
PAGE_BUDGET = {"p50": 100, "p95": 250}
FAST_BUDGET = {"p50": 50, "p95": 250}
RATIO_BUDGET = 3.0


@dataclass
class Endpoint:
    name: str
    user: str  # "manager" or "rep"
    kind: str  # "api" or "ui": which trivial view is its framework floor
    urls: Callable[[int], str]  # repetition number → URL
    method: str = "get"
    body: Callable[[int], dict] | None = None  # writes: repetition number → JSON body
    budget: dict | None = field(default_factory=lambda: dict(PAGE_BUDGET))
    ratio_budget: float | None = None
    write: bool = False


def percentile(samples: list[float], pct: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(samples)
    rank = max(1, math.ceil(pct / 100 * len(ordered)))
    return ordered[rank - 1]


def _ms(seconds: float) -> float:
    return round(seconds * 1000, 2)


def replay(statements: list[str]) -> float:
    """Execute the statements on the current connection, fetching every row; seconds taken."""
    started = time.perf_counter()
    with connection.cursor() as cursor:
        for statement in statements:
            cursor.execute(statement)
            if cursor.description is not None:
                cursor.fetchall()
    return time.perf_counter() - started


def _request(client: Client, endpoint: Endpoint, repetition: int):
    url = endpoint.urls(repetition)
    if endpoint.method == "get":
        return client.get(url)
    return client.post(url, data=endpoint.body(repetition), content_type="application/json")


def _check(response, endpoint: Endpoint, repetition: int) -> None:
    if response.status_code != 200:
        content = response.content[:300].decode(errors="replace")
        raise RuntimeError(
            f"{endpoint.name}: {endpoint.method.upper()} {endpoint.urls(repetition)} answered "
            f"{response.status_code}: {content}"
        )


def _captured(client: Client, endpoint: Endpoint, repetition: int) -> list[str]:
    with CaptureQueriesContext(connection) as captured:
        response = _request(client, endpoint, repetition)
    _check(response, endpoint, repetition)
    return [query["sql"] for query in captured.captured_queries]


# A UNION (the permissions) starts with a parenthesised SELECT.
# Django reads a queryset iterated with .iterator() (a form's choices) through a server-side cursor.
SERVER_SIDE_CURSOR = re.compile(r'^DECLARE "[^"]+" NO SCROLL CURSOR WITH HOLD FOR ', re.IGNORECASE)
# The reads every request makes (session, user, permissions), prepared by common.prepared: all SELECTs.
READS = ("SELECT", "WITH", "EXECUTE CRM_")


def sql_floor(statements: list[str], repeat: int) -> float | None:
    """Median seconds of replaying read statements; None when they are not all reads.

    A server-side cursor's query is replayed as a plain SELECT (the floor: what the page needs to read).
    """
    statements = [SERVER_SIDE_CURSOR.sub("", statement) for statement in statements]
    if not statements or any(not s.lstrip(" (").upper().startswith(READS) for s in statements):
        return None
    replay(statements)  # warm
    return statistics.median(replay(statements) for _ in range(repeat))


def framework_floor(client: Client, kind: str, *, warmup: int, repeat: int) -> dict:
    url = "/bench/trivial-api/" if kind == "api" else "/bench/trivial/"
    endpoint = Endpoint(name=f"trivial {kind}", user="", kind=kind, urls=lambda _n: url)
    for index in range(warmup):
        _check(_request(client, endpoint, index), endpoint, index)
    samples = []
    for index in range(repeat):
        started = time.perf_counter()
        response = _request(client, endpoint, index)
        samples.append(time.perf_counter() - started)
        _check(response, endpoint, index)
    statements = _captured(client, endpoint, 0)
    floor = sql_floor(statements, repeat) or 0.0
    median = statistics.median(samples)
    return {"p50_ms": _ms(median), "sql_ms": _ms(floor), "framework_ms": _ms(max(median - floor, 0.0))}


def measure(client: Client, endpoint: Endpoint, *, warmup: int, repeat: int, floors: dict) -> dict:
    # Writes number the warm-up calls too: every call moves another opportunity.
    for index in range(warmup):
        _check(_request(client, endpoint, index), endpoint, index)
    offset = warmup if endpoint.write else 0
    samples = []
    for index in range(offset, offset + repeat):
        started = time.perf_counter()
        response = _request(client, endpoint, index)
        samples.append(time.perf_counter() - started)
        _check(response, endpoint, index)
    # The query count, twice on different repetitions (different objects): it must not vary.
    first = offset + repeat
    statements = _captured(client, endpoint, first)
    second = _captured(client, endpoint, first + 1)
    p50, p95 = statistics.median(samples), percentile(samples, 95)
    result = {
        "name": endpoint.name,
        "user": endpoint.user,
        "method": endpoint.method.upper(),
        "url": endpoint.urls(first),
        "n": repeat,
        "p50_ms": _ms(p50),
        "p95_ms": _ms(p95),
        "max_ms": _ms(max(samples)),
        "queries": len(statements),
        "queries_seen": sorted({len(statements), len(second)}),
        "queries_stable": len(statements) == len(second),
        "budget": endpoint.budget,
        "ratio_budget": endpoint.ratio_budget,
        "sql_floor_ms": None,
        "framework_floor_ms": None,
        "ratio": None,
    }
    if not endpoint.write:
        floor = sql_floor(statements, repeat)
        if floor is not None:
            framework = floors[endpoint.kind]["framework_ms"] / 1000
            result["sql_floor_ms"] = _ms(floor)
            result["framework_floor_ms"] = _ms(framework)
            result["ratio"] = round(p50 / (floor + framework), 2)
    result["statements"] = statements
    result["ok"] = verdict(result)
    return result


def count_queries(client: Client, endpoint: Endpoint, *, warmup: int) -> dict:
    """Only the query count (for the run on the small data set): after ``warmup`` requests, two
    requests on different repetitions (different objects), captured."""
    for index in range(warmup):
        _check(_request(client, endpoint, index), endpoint, index)
    first = warmup if endpoint.write else 0
    statements = _captured(client, endpoint, first)
    second = _captured(client, endpoint, first + 1)
    return {
        "queries": len(statements),
        "queries_seen": sorted({len(statements), len(second)}),
        "queries_stable": len(statements) == len(second),
        "url": endpoint.urls(first),
    }


def verdict(result: dict) -> bool | None:
    budget = result["budget"]
    checks = []
    if budget:
        checks += [result["p50_ms"] <= budget["p50"], result["p95_ms"] <= budget["p95"]]
    if result["ratio_budget"] is not None and result["ratio"] is not None:
        checks.append(result["ratio"] <= result["ratio_budget"])
    if result.get("queries_small") is not None:
        # Issue 7: the same number of queries at 1,000 as at 100,000 opportunities.
        checks.append(result["queries_constant"])
    return all(checks) if checks else None
