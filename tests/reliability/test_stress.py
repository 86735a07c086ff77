"""Invariants under load (issue 8): many threads, each with its own PostgreSQL connection, fire random
allowed and refused lifecycle actions at a handful of opportunities through ``opportunities.services``.

Afterwards every opportunity must pass ``tests/invariants.py`` and hold exactly as many entries as the
threads saw entry-writing actions succeed; number series hold no duplicates. A refusal must be a
``DomainError`` or a ``ValidationError``: any other exception (a deadlock, an integrity error, a
``DoesNotExist`` escaping a service) fails the test.

The run lasts ``CRM_STRESS_SECONDS`` (default 15) and records its figures in ``.reliability/stress.json``.
"""

import collections
import datetime
import json
import os
import random
import threading
import time
from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection

from common.errors import DomainError
from opportunities import services
from opportunities.models import Opportunity, OpportunityEntry, Quote, Task
from tests.factories import ManagerFactory, PersonFactory, SalespersonFactory
from tests.invariants import opportunity_problems

pytestmark = [pytest.mark.postgresql, pytest.mark.django_db(transaction=True)]

D = Decimal
THREADS = 32
POOL_SIZE = 6
BASE_DAY = datetime.date(2026, 1, 5)
STAGE_NUMBERS = (1, 2, 3, 4, 5, 7)  # 4 does not exist in the fixture's cycle: a refusal
ENTRY_WRITING = {"activate", "next", "previous", "skip", "jump", "update", "close_won", "close_lost"}
RESULTS_FILE = Path(settings.BASE_DIR) / ".reliability" / "stress.json"


def _seconds() -> float:
    return float(os.environ.get("CRM_STRESS_SECONDS", "15"))


class Pool:
    """The opportunities the threads work on; a deleted one is replaced by a fresh one."""

    def __init__(self, pks):
        self.lock = threading.Lock()
        self.pks = list(pks)
        self.deleted: set[int] = set()

    def pick(self, rng) -> int:
        with self.lock:
            return rng.choice(self.pks)

    def replace(self, old: int, new: int) -> None:
        with self.lock:
            self.deleted.add(old)
            if old in self.pks:
                self.pks[self.pks.index(old)] = new
            else:
                self.pks.append(new)


class Recorder:
    def __init__(self):
        self.lock = threading.Lock()
        self.performed = collections.Counter()
        self.refused = collections.Counter()
        self.refusal_codes = collections.Counter()
        self.entries_written = collections.Counter()  # opportunity pk -> successful entry-writing actions
        self.opportunity_nos: list[str] = []
        self.quote_nos: dict[int, str] = {}
        self.failures: list[str] = []

    def success(self, kind: str, pk: int, result) -> None:
        with self.lock:
            self.performed[kind] += 1
            if kind in ENTRY_WRITING:
                self.entries_written[pk] += 1
            if kind == "quote_save":
                previous = self.quote_nos.setdefault(result.pk, result.no)
                if previous != result.no:
                    self.failures.append(f"quote {result.pk} changed its number {previous} -> {result.no}")

    def refusal(self, kind: str, exc: Exception) -> None:
        with self.lock:
            self.refused[kind] += 1
            code = getattr(exc, "code", None) or "validation_error"
            self.refusal_codes[f"{kind}:{code}"] += 1


@pytest.fixture
def world(cycle, rep, other_rep, won_code, lost_code):
    manager = ManagerFactory(username="stress-manager")
    blocked = SalespersonFactory(code="BLOCKED", name="Blocked Bob", blocked=True, user=None)
    contacts = [PersonFactory() for _ in range(3)]
    pks = [
        services.opportunity_create(
            user=manager, description=f"Stress {i}", contact=contacts[i % 3], salesperson=rep, sales_cycle=cycle
        ).pk
        for i in range(POOL_SIZE)
    ]
    return {
        "cycle": cycle,
        "manager": manager,
        "users": [manager] * 6 + [rep.user, other_rep.user],
        "salespeople": [rep, other_rep, blocked],
        "contacts": contacts,
        "won": won_code,
        "lost": lost_code,
        "pool": Pool(pks),
    }


def _day(rng, started: float) -> datetime.date:
    # A clock that moves forward about four days a second, with some dates lying behind it.
    return BASE_DAY + datetime.timedelta(days=int((time.monotonic() - started) * 4) + rng.randint(-3, 1))


def _value(rng):
    return rng.choice([None, D("0"), D("-5"), D(rng.randint(1, 500_000)) / 100, D(rng.randint(1, 50_000))])


def _chances(rng):
    return rng.choice([None, None, D("0"), D("101"), D(rng.randint(1, 10_000)) / 100])


def _close_date(rng, day):
    return rng.choice([None, None, day + datetime.timedelta(days=rng.randint(-5, 90))])


def _lines(rng):
    if rng.random() < 0.1:
        return [{"description": "", "quantity": "1", "unit_price": "10"}]  # refused: no description
    return [
        {
            "description": f"Line {i}",
            "quantity": D(rng.randint(1, 20)),
            "unit_price": D(rng.randint(100, 500_000)) / 100,
            "discount_pct": D(rng.choice([0, 0, 5, 10])),
        }
        for i in range(rng.randint(1, 3))
    ]


def _action(kind: str, rng, world, started: float):
    """A call of one service for ``kind``, with random (sometimes invalid) values."""
    user = rng.choice(world["users"])
    day = _day(rng, started)
    update_values = {
        "date_of_change": day,
        "estimated_value": _value(rng),
        "chances_of_success_pct": _chances(rng),
        "estimated_close_date": _close_date(rng, day),
        "cancel_open_tasks": rng.random() < 0.3,
    }
    if kind == "activate":
        return lambda o: services.opportunity_activate(
            opportunity=o,
            user=user,
            date_of_change=day,
            estimated_value=_value(rng),
            chances_of_success_pct=_chances(rng),
            estimated_close_date=_close_date(rng, day),
        )
    if kind in ("next", "previous", "update"):
        return lambda o: services.opportunity_update_stage(opportunity=o, user=user, action=kind, **update_values)
    if kind in ("skip", "jump"):
        stage = rng.choice(STAGE_NUMBERS)
        return lambda o: services.opportunity_update_stage(
            opportunity=o, user=user, action=kind, stage=stage, **update_values
        )
    if kind in ("close_won", "close_lost"):
        outcome = kind.removeprefix("close_")
        code = world[outcome] if rng.random() < 0.85 else world["lost" if outcome == "won" else "won"]
        return lambda o: services.opportunity_close(
            opportunity=o,
            user=user,
            outcome=outcome,
            close_code=code,
            date_closed=day,
            sales_amount=rng.choice([None, None, D("0"), D(rng.randint(1, 90_000))]),
            cancel_open_tasks=rng.random() < 0.8,
        )
    if kind == "reassign":
        salesperson = rng.choice(world["salespeople"])
        return lambda o: services.opportunity_change(opportunity=o, user=user, salesperson=salesperson)
    if kind == "change":
        description = rng.choice(["Renamed deal", "", "x" * 101, f"Deal {rng.randint(1, 99)}"])
        return lambda o: services.opportunity_change(opportunity=o, user=user, description=description)
    if kind == "quote_save":
        lines = _lines(rng)
        return lambda o: services.quote_save(opportunity=o, user=user, lines=lines, quote_date=day)
    if kind == "quote_delete":
        return lambda o: services.quote_delete(opportunity=o, user=user)
    if kind == "task_create":
        return lambda o: services.task_create(user=user, description="Follow up", date=day, opportunity=o)
    if kind == "delete":
        return lambda o: services.opportunity_delete(opportunity=o, user=user)
    raise AssertionError(kind)


KINDS = {
    "activate": 6,
    "next": 10,
    "previous": 6,
    "skip": 5,
    "jump": 5,
    "update": 8,
    "close_won": 1,
    "close_lost": 1,
    "reassign": 4,
    "change": 3,
    "quote_save": 5,
    "quote_delete": 2,
    "task_create": 3,
    "delete": 2,
}


def _worker(seed: int, world, recorder: Recorder, started: float, deadline: float) -> None:
    rng = random.Random(seed)
    pool: Pool = world["pool"]
    kinds, weights = list(KINDS), list(KINDS.values())
    try:
        while time.monotonic() < deadline and not recorder.failures:
            kind = rng.choices(kinds, weights)[0]
            pk = pool.pick(rng)
            call = _action(kind, rng, world, started)
            # Each call gets its own instance, as two requests would; the service locks and re-reads it.
            opportunity = Opportunity.objects.filter(pk=pk).first()
            if opportunity is None:
                continue  # deleted meanwhile: a request would have got a 404 before reaching the service
            try:
                result = call(opportunity)
            except (DomainError, ValidationError) as exc:
                recorder.refusal(kind, exc)
                continue
            recorder.success(kind, pk, result)
            if kind == "delete":
                replacement = services.opportunity_create(
                    user=world["manager"],
                    description=f"Stress replacement {seed}",
                    contact=rng.choice(world["contacts"]),
                    salesperson=world["salespeople"][0],
                    sales_cycle=world["cycle"],
                )
                with recorder.lock:
                    recorder.opportunity_nos.append(replacement.no)
                pool.replace(pk, replacement.pk)
    except Exception as exc:  # anything but a refusal is a failure of the product
        with recorder.lock:
            recorder.failures.append(f"thread {seed}: {type(exc).__name__}: {exc}")
    finally:
        connection.close()  # each thread has its own connection; do not leak it


def _duplicates(values) -> list:
    return [value for value, count in collections.Counter(values).items() if count > 1]


def test_random_concurrent_actions_keep_every_invariant(world):
    recorder = Recorder()
    recorder.opportunity_nos.extend(Opportunity.objects.values_list("no", flat=True))
    seconds = _seconds()
    started = time.monotonic()
    deadline = started + seconds
    threads = [
        threading.Thread(target=_worker, args=(seed, world, recorder, started, deadline), daemon=True)
        for seed in range(THREADS)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=seconds + 120)
    elapsed = time.monotonic() - started
    assert not any(thread.is_alive() for thread in threads), "a thread is still running (deadlock?)"
    assert not recorder.failures, "\n".join(recorder.failures)

    pool: Pool = world["pool"]
    problems = opportunity_problems(Opportunity.objects.all())
    assert not problems, "\n".join(problems)

    entry_counts = collections.Counter(OpportunityEntry.objects.values_list("opportunity_id", flat=True))
    for pk in set(pool.pks) | set(recorder.entries_written):
        if pk in pool.deleted:
            assert entry_counts[pk] == 0, f"deleted opportunity {pk} left entries"
        else:
            assert entry_counts[pk] == recorder.entries_written[pk], f"opportunity {pk}: entries lost or invented"
    assert Opportunity.objects.filter(pk__in=pool.deleted).count() == 0
    assert sorted(Opportunity.objects.values_list("pk", flat=True)) == sorted(pool.pks)

    assert not _duplicates(recorder.opportunity_nos), "an opportunity number was handed out twice"
    assert not _duplicates(recorder.quote_nos.values()), "a quote number was handed out twice"
    assert not _duplicates(Task.objects.values_list("no", flat=True))
    for opportunity in Opportunity.objects.all():
        open_tasks = Task.objects.filter(opportunity=opportunity, closed=False)
        assert not open_tasks.exclude(salesperson=opportunity.salesperson_id).exists(), "open tasks left behind"
    for quote in Quote.objects.prefetch_related("lines"):
        assert quote.total == sum((line.amount for line in quote.lines.all()), D("0"))

    performed, refused = sum(recorder.performed.values()), sum(recorder.refused.values())
    statuses = collections.Counter(Opportunity.objects.values_list("status", flat=True))
    figures = {
        "finished_at": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "database": connection.vendor,
        "threads": THREADS,
        "opportunities_at_once": POOL_SIZE,
        "seconds": round(elapsed, 1),
        "actions_performed": performed,
        "actions_refused": refused,
        "performed_by_kind": dict(sorted(recorder.performed.items())),
        "refused_by_kind": dict(sorted(recorder.refused.items())),
        "refusal_codes": dict(sorted(recorder.refusal_codes.items())),
        "entries_written": sum(recorder.entries_written.values()),
        "entries_in_database": OpportunityEntry.objects.count(),  # the deleted opportunities' went with them
        "opportunities_deleted_and_replaced": len(pool.deleted),
        "final_statuses": dict(sorted(statuses.items())),
        "invariant_problems": 0,
    }
    RESULTS_FILE.parent.mkdir(exist_ok=True)
    RESULTS_FILE.write_text(json.dumps(figures, indent=2) + "\n", encoding="utf-8")
    print(f"\nstress: {performed} actions performed, {refused} refused in {elapsed:.1f} s ({RESULTS_FILE})")

    # The mix must really exercise both sides and every kind, or the run proves little.
    assert performed >= 100 and refused >= 100
    assert set(recorder.performed) == set(KINDS), f"never succeeded: {set(KINDS) - set(recorder.performed)}"
