"""The load test: gunicorn on loopback and a mixed read/write workload from concurrent clients.

gunicorn serves ``config.wsgi`` with the bench settings (DEBUG off, ``CONN_MAX_AGE`` as given)
on a free port. Each client is a thread with its own keep-alive HTTP connection and its own
login (session cookie and CSRF token, like a browser); most clients are salespeople
(``gen002``, ``gen003``, …) working on their own opportunities, one in eight is the sales manager.
Clients send requests back to back (no think time) for the given number of seconds, each picking
the next request at random by the weights of ``MIX``; writes move an opportunity one stage on
(``update-stage`` ``next``) or close it lost, every time another one, so each write is a real
transition. Every answer other than the expected status, and every connection error, counts as
an error.
"""

import http.client
import json
import os
import random
import re
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
from collections import defaultdict
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode

from bench.dataset import BENCH_MANAGER, BENCH_PASSWORD
from bench.endpoints import CONTACT_SEARCH, cycle_with_most_open, next_candidates
from bench.measure import percentile

ROOT = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"
DEMO_PASSWORD = "demo1234!"
FILTERED_LIST = urlencode(
    {"page_size": 100, "status": "in_progress", "priority": "high", "ordering": "-estimated_value"}
)

# name → weight; a team at work: mostly reading single opportunities and short lists, some writes.
MIX = {
    "api_detail": 22,
    "api_list": 12,
    "api_list_filtered": 6,
    "ui_detail": 10,
    "ui_list": 8,
    "board": 4,
    "dashboard": 4,
    "contact_search_api": 5,
    "contact_search_ui": 5,
    "report_api": 2,
    "update_stage": 17,
    "close": 5,
}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


class Session:
    """One logged-in client on one keep-alive connection."""

    def __init__(self, port: int):
        self.port = port
        self.connection = http.client.HTTPConnection(HOST, port, timeout=30)
        self.cookies: dict[str, str] = {}

    def _headers(self, extra=None) -> dict:
        headers = {"Host": f"{HOST}:{self.port}", "Accept-Language": "en"}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{key}={value}" for key, value in self.cookies.items())
        headers.update(extra or {})
        return headers

    def request(self, method: str, path: str, body: bytes | None = None, headers=None) -> tuple[int, bytes]:
        try:
            self.connection.request(method, path, body=body, headers=self._headers(headers))
            response = self.connection.getresponse()
            content = response.read()
        except (OSError, http.client.HTTPException):
            # A broken keep-alive connection: reconnect once for the next request, report this one.
            self.connection.close()
            self.connection = http.client.HTTPConnection(HOST, self.port, timeout=30)
            raise
        for header in response.headers.get_all("Set-Cookie") or []:
            cookie = SimpleCookie()
            cookie.load(header)
            for key, morsel in cookie.items():
                self.cookies[key] = morsel.value
        return response.status, content

    def login(self, username: str, password: str) -> None:
        status, content = self.request("GET", "/accounts/login/")
        match = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', content)
        if status != 200 or match is None:
            raise RuntimeError(f"login page answered {status}")
        body = urlencode(
            {"username": username, "password": password, "csrfmiddlewaretoken": match.group(1).decode()}
        ).encode()
        status, _content = self.request(
            "POST", "/accounts/login/", body, {"Content-Type": "application/x-www-form-urlencoded"}
        )
        if status != 302 or "sessionid" not in self.cookies:
            raise RuntimeError(f"login of {username} failed with {status}")

    def post_json(self, path: str, data: dict) -> tuple[int, bytes]:
        headers = {"Content-Type": "application/json", "X-CSRFToken": self.cookies.get("csrftoken", "")}
        return self.request("POST", path, json.dumps(data).encode(), headers)


def _plan_clients(count: int) -> list[dict]:
    """Per client: the login, opportunities to read, to move on and to close (prepared in the database)."""
    from contacts.models import Salesperson
    from opportunities.models import Opportunity
    from salescycles.models import CloseOpportunityCode

    lost_code = CloseOpportunityCode.objects.filter(type="lost").order_by("code").values_list("code", flat=True)[0]
    cycle = cycle_with_most_open().code
    plans = []
    taken: set[str] = set()
    for index in range(count):
        manager = index % 8 == 7
        salesperson = None if manager else Salesperson.objects.get(code=f"GEN{index + 2:03d}")
        visible = Opportunity.objects.all() if manager else Opportunity.objects.filter(salesperson=salesperson)
        reads = list(visible.order_by("?").values_list("no", flat=True)[:300])
        nexts = [no for no in next_candidates(400, salesperson=salesperson) if no not in taken][:150]
        taken.update(nexts)
        closes = list(
            visible.filter(status="in_progress").exclude(no__in=taken).order_by("-no").values_list("no", flat=True)[:60]
        )
        taken.update(closes)
        plans.append(
            {
                "username": BENCH_MANAGER if manager else salesperson.user.username,
                "password": BENCH_PASSWORD if manager else DEMO_PASSWORD,
                "manager": manager,
                "salesperson": None if manager else salesperson.code,
                "reads": reads,
                "nexts": nexts,
                "closes": closes,
                "lost_code": lost_code,
                "cycle": cycle,
            }
        )
    return plans


def _request_for(kind: str, plan: dict, rng: random.Random):
    """(method, path, JSON body or None) of one request of this kind; None when the kind's pool is used up."""
    api = "/api/v1"
    if kind == "update_stage":
        if not plan["nexts"]:
            return None
        return "POST", f"{api}/opportunities/{plan['nexts'].pop()}/update-stage/", {"action": "next"}
    if kind == "close":
        if not plan["closes"]:
            return None
        no = plan["closes"].pop()
        return "POST", f"{api}/opportunities/{no}/close/", {"outcome": "lost", "close_code": plan["lost_code"]}
    no = rng.choice(plan["reads"])
    paths = {
        "api_detail": f"{api}/opportunities/{no}/",
        "api_list": f"{api}/opportunities/?page_size=20",
        "api_list_filtered": f"{api}/opportunities/?{FILTERED_LIST}",
        "ui_detail": f"/opportunities/{no}/",
        "ui_list": "/opportunities/?status=open",
        "board": f"/pipeline/{plan['cycle']}/",
        "dashboard": "/",
        "contact_search_api": f"{api}/contacts/?search={CONTACT_SEARCH}",
        "contact_search_ui": f"/contacts/?q={CONTACT_SEARCH}",
        "report_api": f"{api}/reports/forecast/",
    }
    return "GET", paths[kind], None


def _client(plan: dict, port: int, seed: int, start: threading.Event, stop: threading.Event, out: dict) -> None:
    rng = random.Random(seed)
    kinds, weights = list(MIX), list(MIX.values())
    session = Session(port)
    session.login(plan["username"], plan["password"])
    samples: dict[str, list[float]] = defaultdict(list)
    errors: dict[str, int] = defaultdict(int)
    error_examples: list[str] = []
    start.wait()
    while not stop.is_set():
        kind = rng.choices(kinds, weights)[0]
        request = _request_for(kind, plan, rng)
        if request is None:
            kind, request = "api_detail", _request_for("api_detail", plan, rng)
        method, path, body = request
        began = time.perf_counter()
        try:
            if method == "POST":
                status, content = session.post_json(path, body)
            else:
                status, content = session.request("GET", path)
        except (OSError, http.client.HTTPException) as exc:
            status, content = None, repr(exc).encode()
        elapsed = time.perf_counter() - began
        if stop.is_set() and status is None:
            break
        samples[kind].append(elapsed)
        if status != 200:
            errors[kind] += 1
            if len(error_examples) < 5:
                error_examples.append(f"{method} {path} → {status}: {content[:200].decode(errors='replace')}")
    out["samples"], out["errors"], out["examples"] = samples, errors, error_examples


def _processes() -> dict[int, tuple[int, str, float]]:
    """pid → (parent pid, command name, CPU seconds) of every process (Linux ``/proc``).

    The CPU seconds include those of the process's children that ended and were waited for: a
    PostgreSQL backend that ends (a connection closed after ``CONN_MAX_AGE``) moves its time to
    the postmaster's, so that sums over the processes of a part stay whole.
    """
    ticks = os.sysconf("SC_CLK_TCK")
    found = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as stat:
                text = stat.read()
        except OSError:
            continue  # gone meanwhile
        name = text[text.index("(") + 1 : text.rindex(")")]
        fields = text[text.rindex(")") + 2 :].split()
        found[int(entry)] = (int(fields[1]), name, sum(int(value) for value in fields[11:15]) / ticks)
    return found


def _cpu_by_part(gunicorn_pid: int) -> dict[str, float]:
    """CPU seconds so far of the gunicorn processes, the PostgreSQL processes and this process."""
    processes = _processes()
    tree, grew = {gunicorn_pid}, True
    while grew:
        children = {pid for pid, (parent, _name, _cpu) in processes.items() if parent in tree} - tree
        tree |= children
        grew = bool(children)
    return {
        "gunicorn": sum(processes[pid][2] for pid in tree if pid in processes),
        "postgresql": sum(cpu for _parent, name, cpu in processes.values() if name == "postgres"),
        "load clients": processes.get(os.getpid(), (0, "", 0.0))[2],
    }


def _cpu_used(before: dict, after: dict) -> dict[str, float]:
    """CPU seconds each part used between two ``_cpu_by_part``."""
    return {part: after[part] - before[part] for part in after}


def _wait_until_up(port: int, process: subprocess.Popen, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"gunicorn exited with {process.returncode}")
        try:
            connection = http.client.HTTPConnection(HOST, port, timeout=2)
            connection.request("GET", "/health/")
            if connection.getresponse().status == 200:
                return
        except OSError:
            pass
        time.sleep(0.3)
    raise RuntimeError("gunicorn did not answer /health/ in time")


def run(*, database_url: str, seconds: float, clients: int, workers: int, threads: int, conn_max_age: int, log) -> dict:
    plans = _plan_clients(clients)
    port = _free_port()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "bench.settings",
        "DATABASE_URL": database_url,
        "CONN_MAX_AGE": str(conn_max_age),
        "DEBUG": "false",
    }
    command = [
        sys.executable,
        "-m",
        "gunicorn",
        "config.wsgi:application",
        "--workers",
        str(workers),
        "--threads",
        str(threads),
        "--bind",
        f"{HOST}:{port}",
        "--keep-alive",
        "30",
        "--log-level",
        "warning",
        "--chdir",
        str(ROOT),
    ]
    log(f"Load test: {' '.join(command[2:])} ({clients} clients, {seconds:g} s, CONN_MAX_AGE={conn_max_age})")
    process = subprocess.Popen(command, env=env, cwd=ROOT)
    try:
        _wait_until_up(port, process)
        start, stop = threading.Event(), threading.Event()
        outputs = [{} for _ in plans]
        workers_ = [
            threading.Thread(target=_client, args=(plan, port, 1000 + index, start, stop, outputs[index]), daemon=True)
            for index, plan in enumerate(plans)
        ]
        for thread in workers_:
            thread.start()
        time.sleep(2)  # logins (password hashing) before the clock starts
        began = time.perf_counter()
        start.set()
        cpu_before = _cpu_by_part(process.pid)
        time.sleep(seconds)
        cpu_used = _cpu_used(cpu_before, _cpu_by_part(process.pid))
        cpu_seconds = time.perf_counter() - began
        stop.set()
        for thread in workers_:
            thread.join(timeout=35)
        duration = time.perf_counter() - began
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
    samples: dict[str, list[float]] = defaultdict(list)
    errors: dict[str, int] = defaultdict(int)
    examples: list[str] = []
    for output in outputs:
        if "samples" not in output:
            raise RuntimeError("a load client did not finish (login failed?)")
        for kind, values in output["samples"].items():
            samples[kind].extend(values)
        for kind, count in output["errors"].items():
            errors[kind] += count
        examples.extend(output["examples"])
    every = [value for values in samples.values() for value in values]
    total = len(every)
    # Requests answered while the CPU was measured (nearly all: the clock ran the same seconds).
    measured = total * min(1.0, cpu_seconds / duration)
    cpu = {
        "cpu_ms_per_request": {part: round(used * 1000 / measured, 1) for part, used in cpu_used.items()}
        if measured
        else {},
        "cpu_busy_pct": round(100 * sum(cpu_used.values()) / (cpu_seconds * (os.cpu_count() or 1)), 1),
    }
    return {
        "command": " ".join(command[2:]),
        "clients": clients,
        "seconds": round(duration, 1),
        "conn_max_age": conn_max_age,
        "mix": MIX,
        "requests": total,
        "throughput_rps": round(total / duration, 1),
        "p50_ms": round(statistics.median(every) * 1000, 1) if every else None,
        "p95_ms": round(percentile(every, 95) * 1000, 1) if every else None,
        "errors": sum(errors.values()),
        "error_examples": examples[:10],
        "by_kind": {
            kind: {
                "requests": len(values),
                "p50_ms": round(statistics.median(values) * 1000, 1),
                "p95_ms": round(percentile(values, 95) * 1000, 1),
                "errors": errors.get(kind, 0),
            }
            for kind, values in sorted(samples.items())
        },
        **cpu,
        "budget": {"throughput_rps": 150, "errors": 0},
        "ok": total / duration >= 150 and not errors,
    }


def summary(result: dict) -> str:
    lines = [
        f"Load test ({result['command']}, {result['clients']} clients, {result['seconds']} s, "
        f"CONN_MAX_AGE={result['conn_max_age']}):",
        f"  {result['requests']} requests, {result['throughput_rps']} req/s, p50 {result['p50_ms']} ms, "
        f"p95 {result['p95_ms']} ms, {result['errors']} errors "
        f"(budget ≥ 150 req/s, 0 errors: {'yes' if result['ok'] else 'NO'})",
    ]
    if result.get("cpu_ms_per_request"):
        parts = ", ".join(f"{part} {ms} ms" for part, ms in result["cpu_ms_per_request"].items())
        lines.append(f"  CPU per request: {parts}; the {os.cpu_count()} cores {result['cpu_busy_pct']} % busy")
    for kind, figures in result["by_kind"].items():
        lines.append(
            f"    {kind:<20} {figures['requests']:6d}  p50 {figures['p50_ms']:7.1f} ms  "
            f"p95 {figures['p95_ms']:7.1f} ms  errors {figures['errors']}"
        )
    for example in result["error_examples"]:
        lines.append(f"  error: {example}")
    return "\n".join(lines)
