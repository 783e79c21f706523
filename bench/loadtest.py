"""`make loadtest`: readers and two concurrent writers against the production server.

Starts its own gunicorn (2 workers, the production profile) on loopback against its own scratch
database (SQLite under var/loadtest/, or the PostgreSQL database named by
GAPWATCH_LOADTEST_DATABASE_URL, dropped and created anew), runs
reader threads and two analyst threads for a bounded time, then checks the database: every
accepted write is there, and no edit was silently lost (every accepted correction is in the
record's history; every refused one was answered 409 Conflict). Not part of CI's run.

    .venv/bin/python bench/loadtest.py [--seconds 60] [--readers 6]
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import re
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
SLUG = "gaza-hostages-ceasefire-2025"
PASSWORD = "load-test-password-" + secrets.token_hex(4)
READ_PATHS = [
    f"/n/{SLUG}/",
    f"/n/{SLUG}/?as_of=2025-04-13",
    f"/n/{SLUG}/issues/living-hostages/",
    f"/n/{SLUG}/actors/hamas/",
    f"/n/{SLUG}/gaps.csv",
    f"/n/{SLUG}/gaps.json",
    f"/n/{SLUG}/positions.csv",
    "/",
]


@dataclass
class Tally:
    timings: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    statuses: dict[str, dict[int, int]] = field(default_factory=lambda: defaultdict(dict))
    errors: list[str] = field(default_factory=list)
    accepted_edits: list[tuple[float, str]] = field(default_factory=list)
    refused_edits: int = 0
    accepted_new: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def record(self, kind: str, seconds: float, status: int) -> None:
        with self.lock:
            self.timings[kind].append(seconds)
            self.statuses[kind][status] = self.statuses[kind].get(status, 0) + 1
            if status >= 500:
                self.errors.append(f"{kind}: HTTP {status}")


class Browser:
    """Just enough of a browser: cookies, CSRF tokens, the TLS proxy's header."""

    def __init__(self, port: int):
        self.port = port
        self.cookies: dict[str, str] = {}

    def request(self, method: str, path: str, body: dict | None = None):
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        headers = {"X-Forwarded-Proto": "https", "Host": "127.0.0.1"}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        data = None
        if body is not None:
            data = urlencode(body, doseq=True)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
            headers["Referer"] = f"https://127.0.0.1{path}"
        started = time.perf_counter()
        connection.request(method, path, body=data, headers=headers)
        response = connection.getresponse()
        content = response.read()
        elapsed = time.perf_counter() - started
        for header, value in response.getheaders():
            if header.lower() == "set-cookie":
                name, _, rest = value.partition("=")
                self.cookies[name] = rest.split(";", 1)[0]
        connection.close()
        return response.status, content.decode("utf-8", "replace"), elapsed, response

    def csrf(self, html: str) -> str:
        return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1)

    def sign_in(self, username: str) -> None:
        status, html, _, _ = self.request("GET", "/accounts/login/")
        status, _, _, _ = self.request(
            "POST",
            "/accounts/login/",
            {"username": username, "password": PASSWORD, "csrfmiddlewaretoken": self.csrf(html)},
        )
        if status != 302:
            raise SystemExit(f"{username} could not sign in (HTTP {status})")


def reader(port: int, tally: Tally, stop: threading.Event, offset: int) -> None:
    browser = Browser(port)
    index = offset
    while not stop.is_set():
        path = READ_PATHS[index % len(READ_PATHS)]
        index += 1
        try:
            status, _, elapsed, _ = browser.request("GET", path)
            tally.record("read", elapsed, status)
        except OSError as error:
            tally.errors.append(f"read {path}: {error}")


def writer(port: int, tally: Tally, stop: threading.Event, name: str, uid: str) -> None:
    """Alternately corrects one shared position (so the two writers collide) and records a new
    position of its own."""
    browser = Browser(port)
    browser.sign_in(name)
    edit_path = f"/positions/{uid}/edit/"
    record_path = f"/n/{SLUG}/record/living-hostages/egypt/"
    number = 0
    while not stop.is_set():
        number += 1
        try:
            status, html, elapsed, _ = browser.request("GET", edit_path)
            tally.record("edit form", elapsed, status)
            form = {
                "csrfmiddlewaretoken": browser.csrf(html),
                "version": re.search(r'name="version" value="(\d+)"', html).group(1),
                "stance": "offer",
                "amount": "9",
                "stated_on": "2025-04-14",
                "source": re.search(r'<option value="(\d+)" selected', html).group(1),
                "credibility": "2",
                "summary": f"{name} correction {number}",
            }
            time.sleep(0.01)  # the other writer may save in between: that is the point
            status, _, elapsed, _ = browser.request("POST", edit_path, form)
            tally.record("edit save", elapsed, status)
            if status == 302:
                with tally.lock:
                    tally.accepted_edits.append((time.time(), form["summary"]))
            elif status == 409:
                with tally.lock:
                    tally.refused_edits += 1
            else:
                tally.errors.append(f"edit save: HTTP {status}")

            status, html, elapsed, _ = browser.request("GET", record_path)
            summary = f"{name} new position {number}"
            status, _, elapsed, _ = browser.request(
                "POST",
                record_path,
                {
                    "csrfmiddlewaretoken": browser.csrf(html),
                    "stance": "proposal",
                    "amount": str(number % 20),
                    "stated_on": "2025-04-14",
                    "source": re.search(
                        r'<option value="(\d+)"', html.split('name="source"')[1]
                    ).group(1),
                    "credibility": "3",
                    "summary": summary,
                },
            )
            tally.record("record", elapsed, status)
            if status == 302:
                with tally.lock:
                    tally.accepted_new.append(summary)
            else:
                tally.errors.append(f"record: HTTP {status}")
        except (OSError, AttributeError) as error:
            tally.errors.append(f"writer {name}: {error!r}")


def recreate_postgres_database(url: str) -> None:
    import psycopg

    name = url.rsplit("/", 1)[1]
    with psycopg.connect(url.rsplit("/", 1)[0] + "/postgres", autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}"')
        connection.execute(f'CREATE DATABASE "{name}"')


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def manage(env: dict, *args: str) -> str:
    result = subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True
    )
    if result.returncode:
        raise SystemExit(result.stdout + result.stderr)
    return result.stdout


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))] if ordered else 0.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--readers", type=int, default=6)
    options = parser.parse_args()
    if not 5 <= options.seconds <= 600:
        raise SystemExit("--seconds must be between 5 and 600")

    workdir = ROOT / "var" / "loadtest"
    shutil.rmtree(workdir, ignore_errors=True)
    workdir.mkdir(parents=True)
    # Its own scratch database: never the one in DATABASE_URL. On PostgreSQL, name one that
    # may be dropped and created anew: GAPWATCH_LOADTEST_DATABASE_URL=postgres://…/gapwatch_load
    database = os.environ.get("GAPWATCH_LOADTEST_DATABASE_URL") or (
        f"sqlite:///{workdir / 'loadtest.sqlite3'}"
    )
    if database.startswith("postgres"):
        recreate_postgres_database(database)
    port = free_port()
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")},
        "DATABASE_URL": database,
        "DJANGO_ENV": "production",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(60),
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
        "DJANGO_BEHIND_TLS_PROXY": "1",
        "DJANGO_CSRF_TRUSTED_ORIGINS": "https://127.0.0.1",
        "DJANGO_STATIC_ROOT": str(workdir / "static"),
        "GAPWATCH_BIND": f"127.0.0.1:{port}",
        "GAPWATCH_ACCESS_LOG": str(workdir / "access.log"),
        "GAPWATCH_LOGIN_FAILURE_LIMIT": "50",
    }
    manage(env, "migrate", "--noinput", "-v", "0")
    manage(env, "loadseeds")
    manage(env, "collectstatic", "--noinput", "-v", "0")
    setup = (
        "from django.contrib.auth.models import Group, User\n"
        "for name in ('writer-a', 'writer-b'):\n"
        f"    u = User.objects.create_user(name, password='{PASSWORD}')\n"
        "    u.groups.add(Group.objects.get(name='Analyst'))\n"
        "from negotiations.models import Position\n"
        "print(Position.objects.get(summary='Raised the number it would free to nine').uid)\n"
    )
    uid = manage(env, "shell", "-c", setup).strip().splitlines()[-1]

    server_log = (workdir / "server.log").open("w")
    server = subprocess.Popen(
        [str(ROOT / ".venv" / "bin" / "gunicorn"), "config.wsgi", "-c", "config/gunicorn.py"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=server_log,
    )
    try:
        for _ in range(100):
            try:
                Browser(port).request("GET", "/")
                break
            except OSError:
                time.sleep(0.1)
        tally, stop = Tally(), threading.Event()
        threads = [
            threading.Thread(target=reader, args=(port, tally, stop, n))
            for n in range(options.readers)
        ] + [
            threading.Thread(target=writer, args=(port, tally, stop, name, uid))
            for name in ("writer-a", "writer-b")
        ]
        started = time.perf_counter()
        for thread in threads:
            thread.start()
        time.sleep(options.seconds)
        stop.set()
        for thread in threads:
            thread.join(timeout=60)
        elapsed = time.perf_counter() - started
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)
        server_log.close()

    check = (
        "import json\n"
        "from negotiations.models import Position\n"
        f"p = Position.objects.get(uid='{uid}')\n"
        "history = list(p.history.values_list('summary', flat=True))\n"
        "recorded = list(Position.objects.filter(summary__contains=' new position ')"
        ".values_list('summary', flat=True))\n"
        # Every issue's stored gap history that claims to be current must equal one computed
        # afresh from the positions: the writers refreshed it under the readers' feet.
        "from negotiations import gap_days, snapshot\n"
        "from negotiations.models import Issue, Negotiation\n"
        f"n = Negotiation.objects.get(slug='{SLUG}')\n"
        "actors = {x.pk: snapshot.actor_ref(x) for x in snapshot.load_participants(n)}\n"
        "checked, wrong = 0, []\n"
        "for issue in Issue.objects.filter(negotiation=n):\n"
        "    issue.negotiation = n\n"
        "    stored = gap_days.stored_days(issue, n.data_changed_at)\n"
        "    if stored is not None:\n"
        "        checked += 1\n"
        "        facts, ranks = gap_days.issue_facts(issue)\n"
        "        if stored != gap_days.compute_days(issue, facts, ranks, actors):\n"
        "            wrong.append(issue.slug)\n"
        "print(json.dumps({'current': p.summary, 'history': history, 'new': recorded,\n"
        "                  'histories_checked': checked, 'histories_wrong': wrong}))\n"
    )
    stored = json.loads(manage(env, "shell", "-c", check).strip().splitlines()[-1])
    lost_edits = [s for _, s in tally.accepted_edits if s not in stored["history"]]
    lost_new = sorted(set(tally.accepted_new) - set(stored["new"]))
    last_accepted = max(tally.accepted_edits)[1] if tally.accepted_edits else None

    report = {
        "seconds": round(elapsed, 1),
        "readers": options.readers,
        "requests": {kind: len(times) for kind, times in tally.timings.items()},
        "requests_per_second": round(sum(map(len, tally.timings.values())) / elapsed, 1),
        "latency_ms": {
            kind: {
                "p50": round(statistics.median(times) * 1000, 1),
                "p99": round(percentile(times, 0.99) * 1000, 1),
            }
            for kind, times in tally.timings.items()
        },
        "statuses": tally.statuses,
        "errors": tally.errors[:20],
        "error_count": len(tally.errors),
        "edits_accepted": len(tally.accepted_edits),
        "edits_refused_as_conflicts": tally.refused_edits,
        "new_positions_accepted": len(tally.accepted_new),
        "accepted_edits_missing_from_history": lost_edits,
        "accepted_positions_missing": lost_new,
        "final_version_is_the_last_accepted_edit": stored["current"] == last_accepted,
        "stored_gap_histories_checked": stored["histories_checked"],
        "stored_gap_histories_wrong": stored["histories_wrong"],
    }
    (workdir / "report.json").write_text(json.dumps(report, indent=2))
    print(json.dumps(report, indent=2))
    failed = (
        report["error_count"]
        or lost_edits
        or lost_new
        or not report["final_version_is_the_last_accepted_edit"]
        or report["stored_gap_histories_wrong"]
        or not report["stored_gap_histories_checked"]
    )
    print("\nLOAD TEST", "FAILED" if failed else "PASSED", f"(report: {workdir / 'report.json'})")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
