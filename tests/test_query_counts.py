"""The gap table costs the same number of queries whatever the length of the history."""

import datetime as dt

import pytest

from negotiations import snapshot
from negotiations.synthetic import Shape, build

AS_OF = dt.date(2025, 4, 14)


@pytest.fixture
def short_and_long(db):
    return (
        build("short-history", Shape(positions=50), seed=1),
        build("long-history", Shape(positions=5_000), seed=2),
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
            snapshot.load_packages(table)
