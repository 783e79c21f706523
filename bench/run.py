"""`make bench`: measure Gapwatch and write bench/results.md and bench/results.json.

    .venv/bin/python bench/run.py [--quick] [--fresh]

Sections (docs/performance.md explains each figure and its target):

1. Scale of history: the gap table, gaps.json, the issue page (from its stored gap history, and
   recomputed as after a change that is not a position's) and the actor page of negotiations
   of 12 issues × 8 actors with 1k, 10k, 100k and 1M positions (PostgreSQL): server time p50/p95
   and SQL queries.
2. Export against the limit: positions.csv at the largest size against PostgreSQL's own
   `COPY (…) TO STDOUT WITH CSV` of the same rows and columns, in the same run.
3. Export against a peer: positions.csv against Datasette's streamed CSV, same SQLite file.
4. Load: gunicorn (2 workers, production profile) under wrk: the gap table, a 304, a static file.
5. Write path: recording a position through the htmx endpoint, with the refreshed row, and the
   summary fragment it triggers.
6. Query plans: EXPLAIN ANALYZE of the current-position lookup, an issue's history and the
   export's first rows, at the largest size.

Every figure is a median of repeated runs; comparisons are ratios measured side by side in this
run, since absolute times drift on shared machines. --quick uses small sizes and short loads.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import re
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
WORK = ROOT / "var" / "bench"
PYTHON = sys.executable
AS_OF = "2025-04-14"
DEFAULT_DATABASE = "postgres://postgres@127.0.0.1:5432/gapwatch_bench"
LOAD_ROUNDS = 3


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def ms(seconds: float) -> float:
    return round(seconds * 1000, 2)


# ---------------------------------------------------------------------------------------------
# Set-up


def bench_environment(database_url: str) -> dict[str, str]:
    return {
        **{k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "GAPWATCH_"))},
        "DATABASE_URL": database_url,
        "DJANGO_DEBUG": "0",
        "DJANGO_SECRET_KEY": "bench-" + secrets.token_urlsafe(48),
        "DJANGO_ALLOWED_HOSTS": "localhost,127.0.0.1,testserver",
        "DJANGO_STATIC_ROOT": str(WORK / "static"),
    }


def ensure_postgres_database(url: str) -> None:
    import psycopg

    name = url.rsplit("/", 1)[1]
    admin = url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin, autocommit=True) as connection:
        exists = connection.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", [name]
        ).fetchone()
        if not exists:
            connection.execute(f'CREATE DATABASE "{name}"')


def manage(env: dict, *args: str) -> str:
    result = subprocess.run(
        [PYTHON, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True
    )
    if result.returncode:
        raise SystemExit(f"manage.py {' '.join(args)} failed:\n{result.stdout}{result.stderr}")
    return result.stdout


BUILD = """
import sys
from django.db import connection
from negotiations.models import Negotiation, Position
from negotiations.synthetic import Shape, build
slug, size, fresh = sys.argv[1], int(sys.argv[2]), sys.argv[3] == "1"
existing = Negotiation.objects.filter(slug=slug).first()
if existing and (fresh or Position.objects.for_negotiation(existing).count() < size):
    Position.objects.for_negotiation(existing).delete()
    existing.packages.all().delete(); existing.delete(); existing = None
if existing is None:
    negotiation = build(slug, Shape(issues=12, actors=8, positions=size), seed=size)
    # A few formula-like texts, so the export's neutralising is exercised at full size.
    Position.objects.filter(pk__in=Position.objects.for_negotiation(negotiation)
                            .values("pk")[:10]).update(summary="=1+1 hostages")
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
if connection.vendor == "postgresql":
    # Mark the rows all-visible, so that index-only scans need not visit the table. (Outside
    # atomic() Django runs in autocommit mode, where VACUUM is allowed.)
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE negotiations_position")
print(Position.objects.for_negotiation(Negotiation.objects.get(slug=slug)).count())
"""


def build_dataset(env: dict, slug: str, size: int, fresh: bool) -> int:
    script = WORK / "build.py"
    script.write_text(BUILD)
    result = subprocess.run(
        [
            PYTHON,
            "-c",
            f"import django, os, sys; os.environ.setdefault('DJANGO_SETTINGS_MODULE',"
            f"'config.settings'); sys.path.insert(0, {str(ROOT)!r}); django.setup(); "
            f"sys.argv = ['build', {slug!r}, '{size}', '{int(fresh)}']; "
            f"exec(open({str(script)!r}).read())",
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    if result.returncode:
        raise SystemExit(f"building {slug} failed:\n{result.stderr}")
    return int(result.stdout.strip().splitlines()[-1])


# ---------------------------------------------------------------------------------------------
# 1 and 5: in-process timings (server time: middleware, view, template; no network)


def in_process_section(env: dict, sizes: list[int], repeats: int) -> dict:
    os.environ.update(env)
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings"
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.cache import cache
    from django.db import connection, reset_queries
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client(HTTP_HOST="localhost")
    pages = {
        "gap table": "/n/{slug}/?as_of=" + AS_OF,
        "gap table (cached)": "/n/{slug}/?as_of=" + AS_OF,
        "gaps.json": "/n/{slug}/gaps.json?as_of=" + AS_OF,
        "issue page": "/n/{slug}/issues/issue-0/",
        # The first view after a change that is not a position's: no stored days to read.
        "issue page (recomputed)": "/n/{slug}/issues/issue-0/",
        "actor page": "/n/{slug}/actors/{slug}-actor-0/",
    }
    from negotiations.models import StoredGapHistory

    results = {}
    for size in sizes:
        slug = f"bench-{size}"
        results[size] = {}
        for name, template in pages.items():
            url = template.format(slug=slug)
            cached = "cached" in name
            recomputed = "recomputed" in name

            def prepare(cached=cached, recomputed=recomputed, slug=slug):
                if not cached:
                    cache.clear()
                if recomputed:
                    StoredGapHistory.objects.filter(issue__negotiation__slug=slug).delete()

            def fetch(url=url, prepare=prepare):
                prepare()
                started = time.perf_counter()
                response = client.get(url)
                elapsed = time.perf_counter() - started
                assert response.status_code == 200, (url, response.status_code)
                return elapsed

            for _ in range(3):
                fetch()
            times = [fetch() for _ in range(repeats)]
            prepare()
            reset_queries()
            with CaptureQueriesContext(connection) as queries:
                assert client.get(url).status_code == 200
            results[size][name] = {
                "p50_ms": ms(statistics.median(times)),
                "p95_ms": ms(percentile(times, 0.95)),
                "queries": len(queries.captured_queries),
                "runs": repeats,
            }
            log(
                f"  {size:>9,} positions  {name:<20} p50 {results[size][name]['p50_ms']:>8} ms"
                f"  p95 {results[size][name]['p95_ms']:>8} ms  "
                f"{results[size][name]['queries']} queries"
            )
    return results


def write_path_section(size: int, repeats: int) -> dict:
    from django.contrib.auth.models import Group, User
    from django.db import connection, reset_queries
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from negotiations.models import Negotiation, Participant, Position, Source

    negotiation = Negotiation.objects.get(slug=f"bench-{size}")
    user, _ = User.objects.get_or_create(username="bench-analyst")
    user.groups.add(Group.objects.get(name="Analyst"))
    client = Client(HTTP_HOST="localhost")
    client.force_login(user)
    source = Source.objects.get(slug=f"{negotiation.slug}-packages")
    actor = Participant.objects.filter(negotiation=negotiation).order_by("order").first().actor
    url = f"/n/{negotiation.slug}/record/issue-0/{actor.slug}/?as_of={AS_OF}"
    table = f"/n/{negotiation.slug}/?as_of={AS_OF}"
    posts, totals = [], []
    queries = None
    for number in range(repeats + 3):
        data = {
            "stance": "offer",
            "amount": str(number % 50),
            "stated_on": AS_OF,
            "source": str(source.pk),
            "credibility": "3",
            "summary": f"bench write {number}",
        }
        # Each request empties the query log when it starts: start from an empty one, or the
        # context's starting index would point past the log's end.
        reset_queries()
        started = time.perf_counter()
        with CaptureQueriesContext(connection) as captured:
            response = client.post(url, data, headers={"HX-Request": "true"})
        posted = time.perf_counter()
        # Counted now: captured_queries reads the live log, which the next request empties.
        post_queries = len(captured.captured_queries)
        assert response.status_code == 200, response.content[:500]
        summary = client.get(table, headers={"HX-Request": "true", "HX-Target": "summary"})
        done = time.perf_counter()
        assert summary.status_code == 200
        if number >= 3:
            posts.append(posted - started)
            totals.append(done - started)
            queries = post_queries
    Position.objects.filter(summary__startswith="bench write ").delete()
    return {
        "positions": size,
        "record_p50_ms": ms(statistics.median(posts)),
        "record_p95_ms": ms(percentile(posts, 0.95)),
        "record_and_summary_p50_ms": ms(statistics.median(totals)),
        "record_and_summary_p95_ms": ms(percentile(totals, 0.95)),
        "record_queries": queries,
        "runs": repeats,
    }


# ---------------------------------------------------------------------------------------------
# 6: the query plans behind the figures (docs/performance.md quotes them)


def plans_section(size: int) -> dict[str, str]:
    """EXPLAIN ANALYZE, at the largest size, of the three statements the figures rest on."""
    from django.db import connection, transaction
    from django.test.utils import CaptureQueriesContext

    from negotiations import snapshot
    from negotiations.models import Issue, Negotiation, Position
    from negotiations.views.exports import EXPORT_PLANNER_SETTINGS, positions_select

    negotiation = Negotiation.objects.get(slug=f"bench-{size}")
    issue = Issue.objects.get(negotiation=negotiation, slug="issue-0")
    issue.negotiation = negotiation
    current = Position.objects.current_as_of(negotiation, dt.date.fromisoformat(AS_OF))
    with CaptureQueriesContext(connection) as captured:
        Position.objects.history_rows(issue, snapshot.HISTORY_COLUMNS)
    history_sql = captured.captured_queries[-1]["sql"]
    export_sql = positions_select(negotiation.pk, dt.date.today().isoformat())

    def explain(sql: str, settings: str | None = None) -> str:
        with transaction.atomic(), connection.cursor() as cursor:
            if settings:
                cursor.execute(settings)
            cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS) {sql}")
            return "\n".join(row[0] for row in cursor.fetchall())

    return {
        f"The gap table's current positions as of {AS_OF} (one probe per issue and actor)": (
            current.explain(analyze=True, buffers=True)
        ),
        "An issue page's history (issue-0)": explain(history_sql),
        "positions.csv: its first 1,000 rows, with the export's planner settings": explain(
            f"{export_sql} LIMIT 1000", EXPORT_PLANNER_SETTINGS
        ),
    }


# ---------------------------------------------------------------------------------------------
# 2: positions.csv against COPY


def export_against_copy(env: dict, size: int, repeats: int) -> dict:
    import psycopg

    from negotiations.models import Negotiation
    from negotiations.views.exports import EXPORT_PLANNER_SETTINGS, positions_select

    slug = f"bench-{size}"
    negotiation = Negotiation.objects.get(slug=slug)
    select = positions_select(negotiation.pk, dt.date.today().isoformat())

    def ours_once() -> dict:
        result = subprocess.run(
            [PYTHON, str(BENCH / "probe_export.py"), slug],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
        )
        if result.returncode:
            raise SystemExit(result.stderr)
        return json.loads(result.stdout.strip().splitlines()[-1])

    def copy_once(cursor) -> dict:
        started = time.perf_counter()
        size_bytes = 0
        # The same statement with the same planner settings as ours: the ratio measures only
        # what our streaming through Django costs.
        cursor.execute(EXPORT_PLANNER_SETTINGS)
        with cursor.copy(f"COPY ({select}) TO STDOUT WITH (FORMAT csv, HEADER true)") as copy:
            for block in copy:
                size_bytes += len(block)
        return {"seconds": time.perf_counter() - started, "bytes": size_bytes}

    ours, copies = [], []
    with psycopg.connect(env["DATABASE_URL"]) as connection, connection.cursor() as cursor:
        # Interleaved, so that a slow spell of the machine weighs on both sides alike.
        for _ in range(repeats):
            ours.append(ours_once())
            copies.append(copy_once(cursor))
    rows = ours[0]["rows"]
    ours_rate = statistics.median(rows / run["seconds"] for run in ours)
    copy_rate = statistics.median(rows / run["seconds"] for run in copies)
    return {
        "rows": rows,
        "ours_rows_per_second": round(ours_rate),
        "copy_rows_per_second": round(copy_rate),
        "ratio_to_copy": round(ours_rate / copy_rate, 3),
        "first_byte_ms": ms(statistics.median(run["first_byte_seconds"] for run in ours)),
        "peak_memory_growth_mb": round(max(run["memory_growth_mb"] for run in ours), 1),
        "bytes": ours[0]["bytes"],
        "same_bytes_as_copy": all(run["bytes"] == copies[0]["bytes"] for run in ours),
        "formulas_neutralised": all(run["formulas_neutralised"] for run in ours),
        "runs": repeats,
    }


# ---------------------------------------------------------------------------------------------
# Servers


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for(port: int, path: str = "/", timeout: float = 30) -> None:
    import http.client

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            connection.request("GET", path, headers={"X-Forwarded-Proto": "https"})
            connection.getresponse().read()
            return
        except OSError:
            time.sleep(0.1)
    raise SystemExit(f"nothing answered on port {port}")


def start_gunicorn(env: dict, port: int, workers: int = 2) -> subprocess.Popen:
    server_env = {
        **env,
        "DJANGO_ENV": "production",
        "DJANGO_BEHIND_TLS_PROXY": "1",
        "GAPWATCH_BIND": f"127.0.0.1:{port}",
        "GAPWATCH_WORKERS": str(workers),
        "GAPWATCH_ACCESS_LOG": "/dev/null",
    }
    manage(server_env, "collectstatic", "--noinput", "-v", "0")
    process = subprocess.Popen(
        [str(ROOT / ".venv" / "bin" / "gunicorn"), "config.wsgi", "-c", "config/gunicorn.py"],
        cwd=ROOT,
        env=server_env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    wait_for(port)
    return process


def stop(process: subprocess.Popen) -> None:
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()


def timed_download(port: int, path: str, headers: dict | None = None) -> tuple[float, int, int]:
    import http.client

    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
    started = time.perf_counter()
    connection.request("GET", path, headers=headers or {})
    response = connection.getresponse()
    size = lines = 0
    while chunk := response.read(1 << 16):
        size += len(chunk)
        lines += chunk.count(b"\n")
    elapsed = time.perf_counter() - started
    if response.status != 200:
        raise SystemExit(f"GET {path}: HTTP {response.status}")
    return elapsed, size, lines


# ---------------------------------------------------------------------------------------------
# 3: positions.csv against Datasette on SQLite


def against_datasette(size: int, repeats: int, fresh: bool) -> dict:
    # One file per size: Datasette streams the whole table, which must hold exactly our rows.
    database = WORK / f"bench-{size}.sqlite3"
    env = bench_environment(f"sqlite:///{database}")
    if fresh and database.exists():
        database.unlink()
    manage(env, "migrate", "--noinput", "-v", "0")
    slug = f"bench-{size}"
    build_dataset(env, slug, size, fresh)
    datasette = ensure_datasette()
    ours_port, theirs_port = free_port(), free_port()
    server = start_gunicorn(env, ours_port)
    peer = subprocess.Popen(
        [
            str(datasette),
            "serve",
            str(database),
            "--port",
            str(theirs_port),
            "--setting",
            "sql_time_limit_ms",
            "600000",
            "--setting",
            "max_returned_rows",
            "1000",
        ],
        cwd=WORK,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_for(theirs_port)
        ours_path = f"/n/{slug}/positions.csv"
        theirs_path = f"/{database.stem}/negotiations_position.csv?_stream=on&_size=max"
        timed_download(ours_port, ours_path, {"X-Forwarded-Proto": "https"})  # warm
        timed_download(theirs_port, theirs_path)
        ours, theirs = [], []
        for _ in range(repeats):
            ours.append(timed_download(ours_port, ours_path, {"X-Forwarded-Proto": "https"}))
            theirs.append(timed_download(theirs_port, theirs_path))
    finally:
        stop(server)
        stop(peer)
    rows = ours[0][2] - 1
    their_rows = theirs[0][2] - 1
    ours_rate = statistics.median(rows / run[0] for run in ours)
    theirs_rate = statistics.median(their_rows / run[0] for run in theirs)
    return {
        "rows_ours": rows,
        "rows_datasette": their_rows,
        "ours_rows_per_second": round(ours_rate),
        "datasette_rows_per_second": round(theirs_rate),
        "ratio_to_datasette": round(ours_rate / theirs_rate, 2),
        "runs": repeats,
    }


def ensure_datasette() -> Path:
    """Datasette lives in its own virtualenv: a bench-only dependency (bench/requirements.txt)."""
    venv = ROOT / ".venv-bench"
    executable = venv / "bin" / "datasette"
    if not executable.exists():
        log("installing Datasette into .venv-bench (bench only)")
        subprocess.run([PYTHON, "-m", "venv", str(venv)], check=True)
        subprocess.run(
            [
                str(venv / "bin" / "pip"),
                "install",
                "--quiet",
                "-r",
                str(BENCH / "requirements.txt"),
            ],
            check=True,
        )
    return executable


# ---------------------------------------------------------------------------------------------
# 4: load


STATUS_SCRIPT = """
local threads = {}
function setup(thread) table.insert(threads, thread) end
function init(args) unexpected = 0 end
function response(status, headers, body)
  if status ~= tonumber(os.getenv("EXPECT_STATUS")) then unexpected = unexpected + 1 end
end
function done(summary, latency, requests)
  local total = 0
  for _, thread in ipairs(threads) do total = total + thread:get("unexpected") end
  io.write(string.format("UNEXPECTED %d\\n", total))
end
"""


def ensure_wrk() -> str:
    found = shutil.which("wrk")
    if found:
        return found
    log("installing wrk from Debian")
    subprocess.run(
        ["apt-get", "install", "-y", "-qq", "wrk"],
        check=True,
        env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"},
        stdout=subprocess.DEVNULL,
    )
    return shutil.which("wrk") or "wrk"


def wrk(url: str, seconds: int, headers: dict, expect: int) -> dict:
    script = WORK / "status.lua"
    script.write_text(STATUS_SCRIPT)
    command = [ensure_wrk(), "-t2", "-c16", f"-d{seconds}s", "--latency", "-s", str(script)]
    for name, value in headers.items():
        command += ["-H", f"{name}: {value}"]
    output = subprocess.run(
        [*command, url],
        capture_output=True,
        text=True,
        env={**os.environ, "EXPECT_STATUS": str(expect)},
    ).stdout

    def latency(label: str) -> float:
        match = re.search(rf"^\s+{label}%\s+([\d.]+)(us|ms|s)", output, re.M)
        value, unit = float(match.group(1)), match.group(2)
        return round(value / 1000 if unit == "us" else value * 1000 if unit == "s" else value, 3)

    socket_errors = re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output
    )
    return {
        "requests_per_second": float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1)),
        "p50_ms": latency("50"),
        "p99_ms": latency("99"),
        "unexpected_status": int(re.search(r"UNEXPECTED (\d+)", output).group(1)),
        "socket_errors": sum(map(int, socket_errors.groups())) if socket_errors else 0,
        "seconds": seconds,
    }


def load_section(env: dict, size: int, seconds: int) -> dict:
    import http.client

    port = free_port()
    server = start_gunicorn(env, port)
    try:
        manifest = json.loads((WORK / "static" / "staticfiles.json").read_text())
        static_path = "/static/" + manifest["paths"]["css/gapwatch.css"]
        page = f"/n/bench-{size}/?as_of={AS_OF}"
        proxy = {"X-Forwarded-Proto": "https"}
        connection = http.client.HTTPConnection("127.0.0.1", port)
        for _ in range(8):  # warm both workers' page caches
            connection.request("GET", page, headers=proxy)
            response = connection.getresponse()
            response.read()
        etag = response.getheader("ETag")
        base = f"http://127.0.0.1:{port}"
        targets = {
            "static file": (base + static_path, proxy, 200),
            "gap table": (base + page, proxy, 200),
            "gap table, 304": (base + page, {**proxy, "If-None-Match": etag}, 304),
        }
        # Rounds, each running every target in turn (the order rotating), so that a slow spell
        # on this shared machine weighs on all three alike rather than on one.
        rounds: list[dict] = []
        names = list(targets)
        for number in range(LOAD_ROUNDS):
            order = names[number % len(names) :] + names[: number % len(names)]
            runs = {
                name: wrk(targets[name][0], seconds // LOAD_ROUNDS, *targets[name][1:])
                for name in order
            }
            rounds.append(runs)
    finally:
        stop(server)
    results = {}
    for name in names:
        runs = [each[name] for each in rounds]
        results[name] = {
            "requests_per_second": round(
                statistics.median(r["requests_per_second"] for r in runs), 2
            ),
            "p50_ms": round(statistics.median(r["p50_ms"] for r in runs), 3),
            "p99_ms": round(statistics.median(r["p99_ms"] for r in runs), 3),
            "unexpected_status": sum(r["unexpected_status"] for r in runs),
            "socket_errors": sum(r["socket_errors"] for r in runs),
            "seconds": sum(r["seconds"] for r in runs),
            "rounds_requests_per_second": [r["requests_per_second"] for r in runs],
        }
        if name != "static file":
            ratios = [
                each[name]["requests_per_second"] / each["static file"]["requests_per_second"]
                for each in rounds
            ]
            results[name]["ratio_to_static"] = round(statistics.median(ratios), 3)
    return results


# ---------------------------------------------------------------------------------------------
# Report


def machine() -> dict:
    cpu = "unknown"
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        match = re.search(r"model name\s*:\s*(.+)", cpuinfo.read_text())
        cpu = match.group(1).strip() if match else cpu
    import django
    import psycopg

    return {
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "cores": os.cpu_count(),
        "cpu": cpu,
        "python": platform.python_version(),
        "django": django.get_version(),
        "postgresql": psycopg.connect(os.environ["DATABASE_URL"]).info.server_version,
        "commit": measured_commit(),
    }


def measured_commit() -> str:
    """The commit measured, marked when the working tree differs from it."""

    def git(*args: str) -> str:
        result = subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True)
        return result.stdout.strip() if result.returncode == 0 else ""

    commit = git("rev-parse", "--short", "HEAD") or "unknown"
    return f"{commit} with uncommitted changes" if git("status", "--porcelain") else commit


def targets(results: dict) -> list[tuple[str, bool, str]]:
    scale = results["scale"]
    sizes = sorted(scale, key=int)
    small, large = sizes[0], sizes[-1]
    checks = []
    for page in scale[small]:
        counts = {scale[size][page]["queries"] for size in sizes}
        checks.append(
            (f"{page}: same query count at every size", len(counts) == 1, f"{sorted(counts)}")
        )
    table_small = scale[small]["gap table"]["p50_ms"]
    table_large = scale[large]["gap table"]["p50_ms"]
    cached_large = scale[large]["gap table (cached)"]["p50_ms"]
    checks.append(
        (
            f"gap table p50 at {int(large):,} ≤ 1.5× its p50 at {int(small):,}",
            table_large <= 1.5 * table_small,
            f"{table_large} ms vs {table_small} ms",
        )
    )
    checks.append(
        (
            f"gap table p50 at {int(large):,} under 10 ms (computed)",
            table_large < 10,
            f"{table_large} ms",
        )
    )
    checks.append(
        (
            f"gap table p50 at {int(large):,} under 10 ms (cached)",
            cached_large < 10,
            f"{cached_large} ms",
        )
    )
    for page in ("issue page", "actor page"):
        value = scale[large][page]["p50_ms"]
        checks.append((f"{page} p50 at {int(large):,} under 150 ms", value < 150, f"{value} ms"))
    export = results["export_vs_copy"]
    checks += [
        (
            "positions.csv ≥ 0.8× COPY's rows per second",
            export["ratio_to_copy"] >= 0.8,
            f"{export['ratio_to_copy']}×",
        ),
        (
            "positions.csv peak memory growth < 50 MB",
            export["peak_memory_growth_mb"] < 50,
            f"{export['peak_memory_growth_mb']} MB",
        ),
        (
            "positions.csv first byte within 200 ms",
            export["first_byte_ms"] <= 200,
            f"{export['first_byte_ms']} ms",
        ),
        ("positions.csv formulas neutralised", export["formulas_neutralised"], ""),
    ]
    peer = results["export_vs_datasette"]
    checks.append(
        (
            "positions.csv ≥ 3× Datasette's rows per second (SQLite)",
            peer["ratio_to_datasette"] >= 3,
            f"{peer['ratio_to_datasette']}×",
        )
    )
    load = results["load"]
    checks += [
        (
            "gap table under load ≥ 0.5× the static file's requests per second",
            load["gap table"]["ratio_to_static"] >= 0.5,
            f"{load['gap table']['ratio_to_static']}×",
        ),
        (
            "304 answers ≥ 0.8× the static file's requests per second",
            load["gap table, 304"]["ratio_to_static"] >= 0.8,
            f"{load['gap table, 304']['ratio_to_static']}×",
        ),
        (
            "zero errors under load",
            all(
                run["unexpected_status"] == 0 and run["socket_errors"] == 0 for run in load.values()
            ),
            "",
        ),
    ]
    return checks


def write_markdown(results: dict, path: Path) -> None:
    m = results["machine"]
    lines = [
        "# Benchmark results",
        "",
        f"Measured {m['date']} on {m['cores']} cores ({m['cpu']}), Python {m['python']}, "
        f"Django {m['django']}, PostgreSQL {m['postgresql']}, code {m.get('commit', 'unknown')}. "
        "Mode: "
        f"{'quick' if results['quick'] else 'full'}. Produced by `make bench` "
        "(`bench/run.py`); docs/performance.md explains every figure.",
        "",
        "## Targets",
        "",
        "| Target | Met | Measured |",
        "| --- | --- | --- |",
    ]
    lines += [
        f"| {name} | {'yes' if ok else '**no**'} | {detail} |"
        for name, ok, detail in results["targets"]
    ]
    lines += [
        "",
        "## 1. Scale of history (PostgreSQL, server time in-process)",
        "",
        "| Positions | Page | p50 ms | p95 ms | Queries |",
        "| ---: | --- | ---: | ---: | ---: |",
    ]
    for size, pages in sorted(results["scale"].items(), key=lambda item: int(item[0])):
        for page, figures in pages.items():
            lines.append(
                f"| {int(size):,} | {page} | {figures['p50_ms']} | {figures['p95_ms']} "
                f"| {figures['queries']} |"
            )
    export = results["export_vs_copy"]
    lines += [
        "",
        "## 2. positions.csv against COPY (PostgreSQL)",
        "",
        "First byte: in process, until the first chunk (about 64 KiB) leaves the view. Peak "
        "memory growth: the largest of the runs.",
        "",
        "| Rows | Size | Ours rows/s | COPY rows/s | Ratio | First byte | Peak memory growth |",
        "| ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
        f"| {export['rows']:,} | {export['bytes'] / 2**20:,.0f} MiB | "
        f"{export['ours_rows_per_second']:,} | {export['copy_rows_per_second']:,} | "
        f"{export['ratio_to_copy']}× | {export['first_byte_ms']} ms | "
        f"{export['peak_memory_growth_mb']} MB |",
    ]
    peer = results["export_vs_datasette"]
    lines += [
        "",
        "## 3. positions.csv against Datasette (SQLite, over HTTP)",
        "",
        "| Rows | Ours rows/s | Datasette rows/s | Ratio |",
        "| ---: | ---: | ---: | ---: |",
        f"| {peer['rows_ours']:,} | {peer['ours_rows_per_second']:,} | "
        f"{peer['datasette_rows_per_second']:,} | {peer['ratio_to_datasette']}× |",
    ]
    lines += [
        "",
        f"## 4. Load (gunicorn, 2 workers, wrk: 2 threads, 16 connections; the gap table of "
        f"{results['load_positions']:,} positions)",
        "",
        f"Medians of {LOAD_ROUNDS} rounds, each running every target in turn; the ratio is the "
        "median of each round's ratio to the static file in that round.",
        "",
        "| Target | Requests/s | p50 ms | p99 ms | Ratio to static | Errors | Rounds (req/s) |",
        "| --- | ---: | ---: | ---: | ---: | ---: | --- |",
    ]
    for name, run in results["load"].items():
        errors = run["unexpected_status"] + run["socket_errors"]
        lines.append(
            f"| {name} | {run['requests_per_second']:,} | {run['p50_ms']} | "
            f"{run['p99_ms']} | {run.get('ratio_to_static', 1.0)}× | {errors} | "
            f"{', '.join(f'{rate:,.0f}' for rate in run['rounds_requests_per_second'])} |"
        )
    write = results["write_path"]
    lines += [
        "",
        "## 5. Write path (PostgreSQL, in-process)",
        "",
        "| Positions | Record p50 | Record p95 | Record + summary p50 | p95 | Queries |",
        "| ---: | ---: | ---: | ---: | ---: | ---: |",
        f"| {write['positions']:,} | {write['record_p50_ms']} ms | {write['record_p95_ms']} ms | "
        f"{write['record_and_summary_p50_ms']} ms | {write['record_and_summary_p95_ms']} ms | "
        f"{write['record_queries']} |",
        "",
    ]
    largest = max(results["scale"], key=int)
    lines += [f"## 6. Query plans at {int(largest):,} positions (PostgreSQL, EXPLAIN ANALYZE)", ""]
    for title, plan in results["plans"].items():
        lines += [f"### {title}", "", "```", plan, "```", ""]
    path.write_text("\n".join(lines))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="small sizes, short loads (<2 min)")
    parser.add_argument("--fresh", action="store_true", help="rebuild the synthetic data")
    options = parser.parse_args()
    quick = options.quick
    sizes = [1_000, 10_000] if quick else [1_000, 10_000, 100_000, 1_000_000]
    repeats = 10 if quick else 25
    WORK.mkdir(parents=True, exist_ok=True)
    database = os.environ.get("GAPWATCH_BENCH_DATABASE_URL", DEFAULT_DATABASE)
    env = bench_environment(database)
    started = time.perf_counter()

    log(f"PostgreSQL database {database}")
    ensure_postgres_database(database)
    manage(env, "migrate", "--noinput", "-v", "0")
    for size in sizes:
        log(f"data: bench-{size} …")
        build_dataset(env, f"bench-{size}", size, options.fresh)

    log("1. scale of history")
    results: dict = {"quick": quick, "scale": in_process_section(env, sizes, repeats)}
    results["machine"] = machine()
    log("6. query plans")
    results["plans"] = plans_section(sizes[-1])
    log("5. write path")
    results["write_path"] = write_path_section(sizes[-1], repeats)
    log("2. positions.csv against COPY")
    results["export_vs_copy"] = export_against_copy(env, sizes[-1], 3)
    log("3. positions.csv against Datasette (SQLite)")
    results["export_vs_datasette"] = against_datasette(
        20_000 if quick else 200_000, 3, options.fresh
    )
    log("4. load")
    results["load"] = load_section(env, sizes[1], 5 if quick else 30)
    results["load_positions"] = sizes[1]
    results["targets"] = targets(results)
    results["seconds"] = round(time.perf_counter() - started)

    suffix = "-quick" if quick else ""
    (BENCH / f"results{suffix}.json").write_text(json.dumps(results, indent=2, default=str))
    write_markdown(results, BENCH / f"results{suffix}.md")
    log(f"done in {results['seconds']} s: bench/results{suffix}.md")
    for name, ok, detail in results["targets"]:
        print(f"  {'ok ' if ok else 'NO '} {name} {detail}")


if __name__ == "__main__":
    main()
