"""Faults: a database connection dropped mid-request, an import killed half-way."""

import csv
import io
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import psycopg
import pytest
from django.core.cache import cache
from django.db import InterfaceError, OperationalError, connection
from django.urls import reverse

from negotiations import importer
from negotiations.models import Position
from negotiations.spreadsheets import POSITION_HEADER
from negotiations.views.errors import server_error
from tests.conftest import SEED_FILE, SEED_SLUG

ROOT = Path(__file__).resolve().parent.parent
postgres_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="pg_terminate_backend needs PostgreSQL"
)


@pytest.fixture
def seeded_committed(transactional_db):
    from negotiations.seeds import load_files

    load_files([SEED_FILE])


def test_an_import_that_fails_half_way_leaves_nothing_behind(seeded, monkeypatch):
    rows = bulk_rows(3000)
    plan = importer.plan_import(rows)
    assert plan.ok
    real = importer.bulk_create_with_history
    calls = []

    def crash_after_first_batch(objs, model, **kwargs):
        real(objs[:1000], model, **kwargs)
        calls.append(len(objs))
        raise MemoryError("the process died here")

    monkeypatch.setattr(importer, "bulk_create_with_history", crash_after_first_batch)
    before = Position.objects.count()
    with pytest.raises(MemoryError):
        importer.apply_import(plan)
    assert calls == [3000]
    assert Position.objects.count() == before
    assert not Position.history.filter(summary__startswith="Bulk ").exists()


def bulk_rows(count: int) -> bytes:
    from django.test import Client

    response = Client().get(reverse("negotiations:positions_csv", args=[SEED_SLUG]))
    template = next(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=POSITION_HEADER, lineterminator="\n")
    writer.writeheader()
    for number in range(count):
        writer.writerow(template | {"id": "", "summary": f"Bulk {number}"})
    return buffer.getvalue().encode()


@postgres_only
@pytest.mark.parametrize(
    "queries_before_the_drop",
    [0, 1, 3],
    ids=["in the readers' fast path", "in the view's first query", "half-way through the view"],
)
def test_a_dropped_database_connection_gives_a_503_and_the_next_request_succeeds(
    seeded_committed, client, queries_before_the_drop
):
    # The 503 comes from Django's 500 handler: let the test client return it rather than raise.
    client.raise_request_exception = False
    url = reverse("negotiations:gap_table", args=[SEED_SLUG])
    assert client.get(url).status_code == 200
    cache.clear()  # so that the page is rendered again, not served from the readers' cache
    killed = []
    seen = []

    def kill_own_backend(execute, sql, params, many, context):
        seen.append(sql)
        if not killed and len(seen) > queries_before_the_drop:
            pid = context["connection"].connection.info.backend_pid
            with psycopg.connect(**admin_dsn(), autocommit=True) as admin:
                admin.execute("SELECT pg_terminate_backend(%s)", [pid])
            killed.append(pid)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(kill_own_backend):
        response = client.get(url)
    assert killed
    assert response.status_code == 503
    assert response["Retry-After"] == "5"
    assert "back in a moment" in response.content.decode()
    assert "Traceback" not in response.content.decode()
    assert client.get(url).status_code == 200


def admin_dsn() -> dict:
    settings = connection.settings_dict
    return {
        "dbname": settings["NAME"],
        "user": settings["USER"],
        "host": settings["HOST"] or "127.0.0.1",
        "port": settings["PORT"] or 5432,
    }


@postgres_only
def test_an_import_killed_with_sigkill_leaves_nothing_behind(seeded_committed, tmp_path):
    path = tmp_path / "big.csv"
    path.write_bytes(bulk_rows(20_000))
    before = Position.objects.count()
    settings = connection.settings_dict
    env = {
        **os.environ,
        "DATABASE_URL": f"postgres://{settings['USER']}@{settings['HOST'] or '127.0.0.1'}:"
        f"{settings['PORT'] or 5432}/{settings['NAME']}",
    }
    process = subprocess.Popen(
        [sys.executable, "manage.py", "importpositions", str(path)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        assert wait_for_writing(process), "the import never started writing"
        os.kill(process.pid, signal.SIGKILL)
        process.wait(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
    time.sleep(0.5)  # the server notices the dead client and rolls back
    assert Position.objects.count() == before
    assert not Position.history.filter(summary__startswith="Bulk ").exists()


def wait_for_writing(process: subprocess.Popen, timeout: float = 120) -> bool:
    """True once the import's transaction has inserted positions (still uncommitted)."""
    deadline = time.monotonic() + timeout
    with psycopg.connect(**admin_dsn(), autocommit=True) as admin:
        while time.monotonic() < deadline and process.poll() is None:
            writing = admin.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = %s AND pid <> "
                "pg_backend_pid() AND backend_xid IS NOT NULL",
                [connection.settings_dict["NAME"]],
            ).fetchone()[0]
            if writing:
                return True
            time.sleep(0.05)
    return False


@pytest.mark.parametrize(
    ("error", "status"),
    [
        (OperationalError("database is locked"), 503),
        (InterfaceError("connection already closed"), 503),
        (OperationalError('relation "missing" does not exist'), 500),
        (ValueError("a bug"), 500),
    ],
)
def test_only_a_lost_connection_is_answered_503(db, rf, error, status):
    try:
        raise error
    except Exception:
        response = server_error(rf.get("/"))
    assert response.status_code == status
    assert ("Retry-After" in response) == (status == 503)
