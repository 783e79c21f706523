"""Every public page and export costs the same number of queries whatever the history length."""

import datetime as dt

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from negotiations import snapshot
from negotiations.models import Position
from negotiations.synthetic import Shape, build

AS_OF = dt.date(2025, 4, 14)
SHORT, LONG = 60, 6_000


@pytest.fixture
def short_and_long(db):
    return (
        build("short-history", Shape(positions=SHORT), seed=1),
        build("long-history", Shape(positions=LONG), seed=2),
    )


def test_gap_table_runs_four_queries_at_any_history_length(
    short_and_long, django_assert_num_queries
):
    for negotiation in short_and_long:
        with django_assert_num_queries(4):
            table = snapshot.load_table(negotiation, AS_OF)
            assert len(table.rows) == 12
            assert any(cell.position for row in table.rows for cell in row.cells)


def test_packages_add_two_queries_at_any_history_length(short_and_long, django_assert_num_queries):
    for negotiation in short_and_long:
        table = snapshot.load_table(negotiation, AS_OF)
        with django_assert_num_queries(2):
            assert len(snapshot.load_packages(table)) == 2


# (url name, extra path arguments, query string, headers, queries)
PAGES = [
    ("gap_table", [], {}, {}, 7),
    # Before the packages were stated: their query finds none, and the prefetch is skipped.
    ("gap_table", [], {"as_of": "2025-01-01", "withdrawn": "on", "sort": "gap"}, {}, 7),
    ("gap_table", [], {"as_of": "2025-01-01"}, {"HX-Request": "true"}, 6),
    ("package", ["package-{mediator}"], {}, {}, 7),
    # The first view ever computes the gap history and stores it (inserting its row, in
    # savepoints; two fewer when the row is only updated, after a change that is not a
    # position's); test_issue_page_reads_stored_days…: the views after that.
    ("issue_history", ["issue-0"], {}, {}, 15),
    # A scale: its options, read once for the gap engine, are listed from the same prefetch.
    ("issue_history", ["issue-2"], {"page": "2"}, {}, 15),
    # From a table of another date: that day's row, as the table has it (4 more).
    ("issue_history", ["issue-0"], {"as_of": "2025-03-01", "known": "on"}, {}, 19),
    ("actor", ["{slug}-actor-0"], {}, {}, 6),
    ("sources", [], {}, {}, 5),  # sources, their positions, and what they confirmed or denied
    ("changes", [], {"page": "3"}, {}, 3),
    ("feed", [], {}, {}, 2),
    ("gaps_csv", [], {"as_of": "2025-03-01"}, {}, 5),
    ("gaps_json", [], {}, {}, 5),
    # PostgreSQL: one read of the negotiation, one of its issues' range of ids, then one SELECT,
    # run as COPY on psycopg's own cursor, which Django's query log does not see, after one
    # statement setting the planner for it, in a transaction (a savepoint and its release inside
    # the test's own). SQLite: one read of the negotiation, six of the rows positions point at
    # (actors, issues, sources, status sources, options, packages), then the positions.
    ("positions_csv", [], {}, {}, 8 if connection.vendor == "sqlite" else 5),
]


def url_for(negotiation, name, args) -> str:
    mediator = negotiation.participants.filter(role="mediator").order_by("order").first()
    filled = [arg.format(slug=negotiation.slug, mediator=mediator.pk) for arg in args]
    return reverse(f"negotiations:{name}", args=[negotiation.slug, *filled])


def fetch(client, url, query, headers):
    response = client.get(url, query, headers=headers)
    assert response.status_code == 200, url
    if response.streaming:
        b"".join(response.streaming_content)
    return response


@pytest.mark.parametrize(
    ("name", "args", "query", "headers", "queries"),
    PAGES,
    ids=[f"{name}-{i}" for i, (name, *_rest) in enumerate(PAGES)],
)
def test_public_pages_and_exports_run_a_fixed_number_of_queries(
    client, short_and_long, django_assert_num_queries, name, args, query, headers, queries
):
    for negotiation in short_and_long:
        url = url_for(negotiation, name, args)
        with django_assert_num_queries(queries):
            fetch(client, url, query, headers)


def test_home_runs_a_fixed_number_of_queries_per_negotiation(client, short_and_long):
    with CaptureQueriesContext(connection) as context:
        assert client.get("/").status_code == 200
    # Two conditional-GET reads, the list, then the four table queries per negotiation.
    assert len(context.captured_queries) == 3 + 4 * len(short_and_long)


def test_issue_page_reads_stored_days_in_one_query_at_any_history_length(
    client, short_and_long, django_assert_num_queries
):
    for negotiation in short_and_long:
        url = url_for(negotiation, "issue_history", ["issue-0"])
        fetch(client, url, {}, {})
        cache.clear()  # the readers' page cache, not the stored days
        with django_assert_num_queries(8):
            response = fetch(client, url, {}, {})
        assert response.context["point_count"] > 0


def probe_loops(plan: dict) -> list[int]:
    """How many times each subplan of an EXPLAIN (ANALYZE, FORMAT JSON) plan ran."""
    loops = [plan["Actual Loops"]] if plan.get("Parent Relationship") == "SubPlan" else []
    for child in plan.get("Plans", []):
        loops += probe_loops(child)
    return loops


@pytest.mark.skipif("connection.vendor != 'postgresql'", reason="PostgreSQL's plan")
def test_current_positions_probe_each_pair_once(short_and_long):
    """12 issues × 8 actors: one index probe per pair, not two (as `IN (subquery)` made it)."""
    for negotiation in short_and_long:
        current = Position.objects.current_as_of(negotiation, AS_OF)
        sql, params = current.query.sql_with_params()
        with connection.cursor() as cursor:
            cursor.execute("EXPLAIN (ANALYZE, FORMAT JSON) " + sql, params)
            plan = cursor.fetchone()[0][0]["Plan"]
        assert probe_loops(plan) == [12 * 8]
