"""The benchmark of issue 7, in one command: ``.venv/bin/python bench/run.py`` (or ``make bench``).

1. Creates the PostgreSQL database (default ``crm_bench``), migrates it and fills it with
   ``generate_data --opportunities 100000 --seed 1`` unless it already holds that data set.
2. Measures every endpoint in-process (``django.test.Client``): p50/p95, query count, the SQL
   floor and the framework floor (``bench/measure.py``, ``bench/endpoints.py``).
3. Counts the queries of the same endpoints on a small data set (default ``crm_bench_small``,
   ``generate_data --opportunities 1000``, built once the same way) in a child process, and flags
   every endpoint whose count differs between the two sizes (issue 7: query counts constant).
4. Runs a mixed read/write load through gunicorn on loopback (``bench/load.py``).
5. Prints one table and writes it as JSON to ``bench/results/`` with the command line and the machine.
"""

import argparse
import datetime
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/crm_bench"
DEFAULT_SMALL_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/crm_bench_small"


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], prog="bench/run.py")
    parser.add_argument(
        "--database-url",
        default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_DATABASE_URL),
        help=f"PostgreSQL database of the benchmark (default $BENCH_DATABASE_URL or {DEFAULT_DATABASE_URL}).",
    )
    parser.add_argument("--opportunities", type=int, default=100_000, help="Size of the data set (default 100000).")
    parser.add_argument("--seed", type=int, default=1, help="Seed of generate_data (default 1).")
    parser.add_argument(
        "--small-database-url",
        default=os.environ.get("BENCH_SMALL_DATABASE_URL", DEFAULT_SMALL_DATABASE_URL),
        help="PostgreSQL database of the small data set whose query counts are compared "
        f"(default $BENCH_SMALL_DATABASE_URL or {DEFAULT_SMALL_DATABASE_URL}).",
    )
    parser.add_argument(
        "--small-opportunities", type=int, default=1000, help="Size of the small data set (default 1000)."
    )
    parser.add_argument("--no-small", action="store_true", help="Skip the query counts on the small data set.")
    parser.add_argument("--queries-only", metavar="JSON", help=argparse.SUPPRESS)  # the child process of step 3
    parser.add_argument("--warmup", type=int, default=5, help="Warm-up requests per endpoint (default 5).")
    parser.add_argument("--repeat", type=int, default=40, help="Timed requests per endpoint (default 40).")
    parser.add_argument("--only", action="append", default=[], help="Measure only endpoints whose name contains this.")
    parser.add_argument("--no-inprocess", action="store_true", help="Skip the in-process measurements.")
    parser.add_argument("--no-load", action="store_true", help="Skip the load test.")
    parser.add_argument("--load-seconds", type=float, default=60, help="Duration of the load test (default 60).")
    parser.add_argument("--load-clients", type=int, default=8, help="Concurrent load clients (default 8).")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers (default 2).")
    parser.add_argument("--threads", type=int, default=4, help="gunicorn threads per worker (default 4).")
    parser.add_argument(
        "--conn-max-age", type=int, default=60, help="CONN_MAX_AGE of the gunicorn workers (default 60)."
    )
    parser.add_argument("--label", default="", help="A label for the result file and table (e.g. before, after).")
    parser.add_argument("--note", default="", help="Free text stored with the results (e.g. 'machine shared').")
    parser.add_argument("--verbose-sql", action="store_true", help="Keep every captured SQL statement in the JSON.")
    return parser.parse_args(argv)


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _memory_gb() -> float | None:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return round(int(line.split()[1]) / 1024 / 1024, 1)
    except OSError:
        pass
    return None


def cpu_calibration_ms() -> float:
    """The best of five runs of a fixed pure-Python loop: the speed of one core, to compare machines
    (shared virtual machines differ by a factor of two from one session to the next)."""
    best = float("inf")
    for _ in range(5):
        began = time.perf_counter()
        total = 0
        for number in range(2_000_000):
            total += number * number
        best = min(best, time.perf_counter() - began)
    return round(best * 1000, 1)


def machine_info() -> dict:
    import django
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        server_version = cursor.fetchone()[0]
        cursor.execute("SHOW shared_buffers")
        shared_buffers = cursor.fetchone()[0]
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True, check=False
        ).stdout.strip()
        dirty = bool(
            subprocess.run(
                ["git", "status", "--porcelain"], cwd=ROOT, capture_output=True, text=True, check=False
            ).stdout.strip()
        )
    except OSError:
        commit, dirty = "", False
    return {
        "cpu_count": os.cpu_count(),
        "cpu_model": _cpu_model(),
        "memory_gb": _memory_gb(),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "django": django.get_version(),
        "postgresql": server_version,
        "postgresql_shared_buffers": shared_buffers,
        "git_commit": commit + ("+uncommitted" if dirty else ""),
        "cpu_calibration_ms": cpu_calibration_ms(),
    }


def _fmt(value, digits=1) -> str:
    if value is None:
        return "–"
    if isinstance(value, float):
        return f"{value:.{digits}f}"
    return str(value)


def _size(opportunities: int) -> str:
    return f"{opportunities // 1000}k" if opportunities % 1000 == 0 else str(opportunities)


def table(results: list[dict], *, small: int | None = None, large: int | None = None) -> str:
    queries_header = f"queries {_size(small)} / {_size(large)}" if small else "queries"
    header = ("endpoint", "user", "p50 ms", "p95 ms", queries_header, "SQL floor", "fw floor", "ratio", "budget", "ok")
    rows = [header]
    for row in results:
        budget = row["budget"]
        budget_text = f"{budget['p50']}/{budget['p95']}" if budget else "–"
        if row["ratio_budget"] is not None:
            budget_text += f", ≤{row['ratio_budget']:g}×"
        ok = {True: "yes", False: "NO", None: "–"}[row["ok"]]
        queries = "–".join(str(count) for count in row["queries_seen"])
        if row.get("queries_small") is not None:
            small = "–".join(str(count) for count in row["queries_small_seen"])
            queries = f"{small} / {queries}" + ("" if row["queries_constant"] else "  DIFFERS")
        rows.append(
            (
                row["name"],
                row["user"],
                _fmt(row["p50_ms"]),
                _fmt(row["p95_ms"]),
                queries,
                _fmt(row["sql_floor_ms"]),
                _fmt(row["framework_floor_ms"]),
                _fmt(row["ratio"], 2),
                budget_text,
                ok,
            )
        )
    widths = [max(len(str(row[index])) for row in rows) for index in range(len(header))]
    lines = []
    for number, row in enumerate(rows):
        cells = [str(cell).ljust(widths[i]) if i < 2 else str(cell).rjust(widths[i]) for i, cell in enumerate(row)]
        lines.append("  ".join(cells))
        if number == 0:
            lines.append("  ".join("-" * width for width in widths))
    return "\n".join(lines)


def run_inprocess(args, users) -> tuple[list[dict], dict, dict]:
    from django.test import Client

    from bench import endpoints as endpoint_module
    from bench.measure import framework_floor, measure

    clients = {"manager": Client(), "rep": Client()}
    clients["manager"].force_login(users["manager"])
    clients["rep"].force_login(users["rep_user"])
    writes_needed = args.warmup + args.repeat + 2
    endpoints, objects = endpoint_module.build(rep=users["rep"], seed=args.seed, writes_needed=writes_needed)
    if args.only:
        endpoints = [e for e in endpoints if any(part.lower() in e.name.lower() for part in args.only)]
    floors = {}
    for user in ("manager", "rep"):
        for kind in ("ui", "api"):
            floors.setdefault(user, {})[kind] = framework_floor(
                clients[user], kind, warmup=args.warmup, repeat=args.repeat
            )
    log(f"Framework floors (ms): {json.dumps(floors)}")
    results = []
    for endpoint in endpoints:
        started = time.monotonic()
        result = measure(
            clients[endpoint.user], endpoint, warmup=args.warmup, repeat=args.repeat, floors=floors[endpoint.user]
        )
        if not args.verbose_sql:
            result["statements"] = result["statements"][:40]
        results.append(result)
        log(
            f"  {endpoint.name:<48} p50 {result['p50_ms']:8.1f} ms  p95 {result['p95_ms']:8.1f} ms  "
            f"{result['queries']:3d} queries  ratio {_fmt(result['ratio'], 2):>5}  ({time.monotonic() - started:.0f} s)"
        )
    return results, floors, objects


def count_small(args) -> dict:
    """Step 3: the query count of every endpoint on the small data set, from a child process
    (Django binds its database at start-up).

    Returns ``{endpoint name: {"queries", "queries_seen", "queries_stable", "url"}}``.
    """
    with tempfile.NamedTemporaryFile(suffix=".json", delete=False) as handle:
        out = Path(handle.name)
    command = [
        sys.executable,
        str(ROOT / "bench" / "run.py"),
        "--database-url",
        args.small_database_url,
        "--opportunities",
        str(args.small_opportunities),
        "--seed",
        str(args.seed),
        "--warmup",
        "1",
        "--queries-only",
        str(out),
    ]
    for part in args.only:
        command += ["--only", part]
    try:
        subprocess.run(command, cwd=ROOT, check=True)
        return json.loads(out.read_text())
    finally:
        out.unlink(missing_ok=True)


def queries_only(args, users) -> int:
    """The child process of step 3: count the queries of every endpoint, write them as JSON."""
    from django.test import Client

    from bench import endpoints as endpoint_module
    from bench.measure import count_queries

    clients = {"manager": Client(), "rep": Client()}
    clients["manager"].force_login(users["manager"])
    clients["rep"].force_login(users["rep_user"])
    endpoints, _objects = endpoint_module.build(rep=users["rep"], seed=args.seed, writes_needed=args.warmup + 3)
    if args.only:
        endpoints = [e for e in endpoints if any(part.lower() in e.name.lower() for part in args.only)]
    counts = {}
    for endpoint in endpoints:
        counts[endpoint.name] = count_queries(clients[endpoint.user], endpoint, warmup=args.warmup)
        log(f"  {endpoint.name:<48} {counts[endpoint.name]['queries']:3d} queries")
    Path(args.queries_only).write_text(json.dumps(counts, indent=2) + "\n")
    return 0


def merge_small(results: list[dict], small: dict) -> list[str]:
    """Put the small data set's count next to each result; the names of those that differ."""
    from bench.measure import verdict

    differ = []
    for result in results:
        counted = small.get(result["name"])
        if counted is None:
            continue
        result["queries_small"] = counted["queries"]
        result["queries_small_seen"] = counted["queries_seen"]
        result["url_small"] = counted["url"]
        # A page's count may depend on the object shown (the detail page reads the quote lines only
        # when there is a quote): the counts seen on two objects of one size must include those of the other.
        small_seen, large_seen = set(counted["queries_seen"]), set(result["queries_seen"])
        result["queries_constant"] = small_seen <= large_seen or large_seen <= small_seen
        result["ok"] = verdict(result)
        if not result["queries_constant"]:
            differ.append(result["name"])
    return differ


def page_size_line(results: list[dict]) -> str | None:
    from bench.endpoints import PAGE_10, PAGE_100

    by_name = {result["name"]: result for result in results}
    if PAGE_10 not in by_name or PAGE_100 not in by_name:
        return None
    ten, hundred = by_name[PAGE_10]["queries"], by_name[PAGE_100]["queries"]
    verdict = "same" if ten == hundred else "DIFFERENT"
    return f"API opportunity list, queries at page size 10 / 100: {ten} / {hundred} ({verdict})"


def main(argv=None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    sys.path.insert(0, str(ROOT))
    os.chdir(ROOT)
    os.environ["DATABASE_URL"] = args.database_url
    os.environ["DJANGO_SETTINGS_MODULE"] = "bench.settings"

    from bench import dataset

    created = dataset.ensure_database(args.database_url)
    if created:
        log(f"Created database {args.database_url}.")

    import django

    django.setup()
    from django.db import connection

    started_at = datetime.datetime.now(datetime.UTC)
    load_before = os.getloadavg()
    data = dataset.ensure_data_set(opportunities=args.opportunities, seed=args.seed, log=log)
    users = dataset.ensure_bench_users()
    if args.queries_only:
        return queries_only(args, users)
    record = {
        "label": args.label,
        "note": args.note,
        "command": " ".join([Path(sys.executable).name, "bench/run.py", *(argv if argv is not None else sys.argv[1:])]),
        "started_at": started_at.isoformat(timespec="seconds"),
        "machine": machine_info(),
        "database": connection.settings_dict["NAME"],
        "data_set": {
            **data,
            "opportunities": args.opportunities,
            "seed": args.seed,
            "status_counts_at_start": dataset.status_counts(),
        },
        "settings": {"warmup": args.warmup, "repeat": args.repeat, "percentiles": "nearest rank"},
        "load_average_at_start": [round(value, 2) for value in load_before],
    }
    if not args.no_inprocess:
        log(f"In-process measurements ({args.warmup} warm-up + {args.repeat} timed requests per endpoint):")
        results, floors, objects = run_inprocess(args, users)
        record.update({"endpoints": results, "framework_floors": floors, "objects": objects})
        if not args.no_small:
            log(
                f"Query counts on the small data set ({args.small_database_url}, "
                f"{args.small_opportunities:,} opportunities):"
            )
            connection.close()
            record["small_data_set"] = {
                "database_url": args.small_database_url,
                "opportunities": args.small_opportunities,
            }
            record["queries_differ"] = merge_small(results, count_small(args))
    if not args.no_load:
        from bench import load

        connection.close()
        record["load_test"] = load.run(
            database_url=args.database_url,
            seconds=args.load_seconds,
            clients=args.load_clients,
            workers=args.workers,
            threads=args.threads,
            conn_max_age=args.conn_max_age,
            log=log,
        )
    record["load_average_at_end"] = [round(value, 2) for value in os.getloadavg()]

    print()
    machine = record["machine"]
    print(
        f"{record['command']}\n{machine['cpu_count']} × {machine['cpu_model']}, {machine['memory_gb']} GB, "
        f"PostgreSQL {machine['postgresql']}, Python {machine['python']}, Django {machine['django']}, "
        f"commit {machine['git_commit']}; load average {record['load_average_at_start']} → "
        f"{record['load_average_at_end']}; CPU calibration {machine['cpu_calibration_ms']} ms "
        "(a fixed Python loop, lower is faster)"
    )
    if data["generate_seconds"] is not None:
        verdict = "ok" if data["generate_seconds"] <= 180 else "OVER BUDGET"
        print(f"generate_data: {data['generate_seconds']:.1f} s (budget 180 s: {verdict})")
    if "endpoints" in record:
        print()
        small = record.get("small_data_set", {}).get("opportunities")
        print(table(record["endpoints"], small=small, large=args.opportunities))
        print(
            "queries: the counts of two requests on different objects "
            "(a–b when they differ, e.g. with and without a quote)"
        )
        line = page_size_line(record["endpoints"])
        if line:
            print(line)
        if small:
            differ = record["queries_differ"]
            print(
                f"Query counts at {small:,} and {args.opportunities:,} opportunities: "
                + (f"DIFFERENT for {', '.join(differ)}" if differ else "the same for every endpoint")
            )
    if "load_test" in record:
        print()
        print(load.summary(record["load_test"]))
    results_dir = ROOT / "bench" / "results"
    results_dir.mkdir(exist_ok=True)
    stamp = started_at.strftime("%Y%m%dT%H%M%SZ")
    path = results_dir / f"{stamp}{'-' + args.label if args.label else ''}.json"
    path.write_text(json.dumps(record, indent=2, default=str) + "\n")
    print(f"\nWritten {path.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
