"""The stored gap history under concurrent writers and readers: no deadlock, no stale day trusted,
no reader waiting for an unrelated writer. Threads with their own connections, so the tests need
committed data (transactional_db); the lock-order ones need PostgreSQL's row locks."""

import datetime as dt
import threading
import time

import pytest
from django.db import connection, transaction

from negotiations import editing, gap_days, signals
from negotiations.models import (
    Issue,
    Negotiation,
    Participant,
    Position,
    Round,
    Source,
    StoredGapHistory,
)
from tests import builders
from tests.test_gap_days import current_stamp, every_position_days

postgresql_only = pytest.mark.skipif(
    "connection.vendor != 'postgresql'", reason="row locks: PostgreSQL only"
)


def small_issue():
    """Israel demands 11 from 1 April; Hamas offers 9 from 10 April."""
    negotiation = builders.negotiation("locks")
    israel = builders.participant(negotiation, "israel")
    hamas = builders.participant(negotiation, "hamas")
    issue = builders.issue(negotiation, "hostages")
    wire = builders.source("wire", published_on=dt.date(2025, 4, 14))
    builders.position(israel, issue, wire, "demand", amount=11, stated_on=dt.date(2025, 4, 1))
    offer = builders.position(hamas, issue, wire, "offer", amount=9, stated_on=dt.date(2025, 4, 10))
    return negotiation, issue, offer


def view(issue: Issue) -> None:
    issue.negotiation = Negotiation.objects.get(pk=issue.negotiation_id)
    gap_days.load_issue_history(issue)


def assert_stored_days_true(issue: Issue) -> None:
    issue.negotiation = Negotiation.objects.get(pk=issue.negotiation_id)
    stored = gap_days.stored_days(issue, current_stamp(issue.negotiation))
    assert stored is not None
    assert tuple(stored) == every_position_days(issue)


def run_together(*targets) -> list[Exception]:
    errors: list[Exception] = []

    def running(target):
        try:
            target()
        except Exception as error:  # reported by the test
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=running, args=(target,)) for target in targets]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
        assert not thread.is_alive(), f"{thread.name} never finished"
    return errors


def moving_to_5_april(offer: Position, once: threading.Event):
    """An analyst moving the offer to 5 April (with its row lock, as the workspace saves) as soon
    as `once` is set."""

    def move():
        once.wait(5)
        with transaction.atomic():
            position = Position.objects.select_for_update().get(pk=offer.pk)
            position.stated_on = dt.date(2025, 4, 5)
            position.save()

    return move


def test_restoring_an_earlier_version_refreshes_from_the_day_it_leaves(db):
    _, issue, offer = small_issue()
    first = offer.history.get(version=1)  # stated 10 April
    offer.stated_on = dt.date(2025, 4, 3)
    editing.save_if_current(offer, offer.version)
    view(issue)
    current = Position.objects.get(pk=offer.pk)
    editing.restore(first, current, current.version)  # back to 10 April
    restored = Position.objects.get(pk=offer.pk)
    assert restored.stated_on == dt.date(2025, 4, 10)
    assert restored.version == current.version + 1  # a restore is a change like any other
    assert_stored_days_true(issue)  # 3 April's day is gone


@postgresql_only
def test_two_edits_of_one_position_without_versions_keep_the_stored_days_true(transactional_db):
    """As in the admin: the second save read the row before the first committed."""
    _, issue, offer = small_issue()
    view(issue)
    first_saved, second_loaded = threading.Event(), threading.Event()

    def first():
        with transaction.atomic():
            position = Position.objects.get(pk=offer.pk)
            position.stated_on = dt.date(2025, 4, 3)
            position.save()
            first_saved.set()
            second_loaded.wait(5)
            time.sleep(0.5)  # the second save now waits for this row

    def second():
        first_saved.wait(5)
        with transaction.atomic():
            position = Position.objects.get(pk=offer.pk)  # 10 April: the first is uncommitted
            position.stated_on = dt.date(2025, 4, 12)
            second_loaded.set()
            position.save()

    assert run_together(first, second) == []
    assert Position.objects.get(pk=offer.pk).stated_on == dt.date(2025, 4, 12)
    assert_stored_days_true(issue)


@postgresql_only
def test_deleting_an_issue_while_a_position_changes_does_not_deadlock(transactional_db):
    negotiation, issue, offer = small_issue()
    empty = builders.issue(negotiation, "empty")
    view(issue)
    view(empty)
    row_deleted = threading.Event()

    def delete_issue():
        with transaction.atomic():
            doomed = Issue.objects.get(pk=empty.pk)
            StoredGapHistory.objects.filter(issue=doomed).delete()  # as Django's collector does
            row_deleted.set()
            time.sleep(1)
            doomed.delete()  # then moves the stamp

    assert run_together(delete_issue, moving_to_5_april(offer, once=row_deleted)) == []
    # Deleting an issue is not a position's change: the stored days fell behind, and the next
    # view recomputes them.
    issue.negotiation = Negotiation.objects.get(pk=negotiation.pk)
    assert gap_days.load_issue_history(issue).days == every_position_days(issue)
    assert_stored_days_true(issue)


@postgresql_only
def test_editing_an_issue_while_a_position_on_it_changes_does_not_deadlock(
    transactional_db, monkeypatch
):
    _, issue, offer = small_issue()
    view(issue)
    issue_updated = threading.Event()
    touch = signals.touch

    def slow_touch(ids):
        if threading.current_thread().name == "issue-editor":
            issue_updated.set()
            time.sleep(1)  # between the issue's UPDATE and its stamp
        return touch(ids)

    monkeypatch.setattr(signals, "touch", slow_touch)

    def edit_issue():
        threading.current_thread().name = "issue-editor"
        with transaction.atomic():
            edited = Issue.objects.get(pk=issue.pk)
            edited.description = "edited"
            edited.save()

    assert run_together(edit_issue, moving_to_5_april(offer, once=issue_updated)) == []


@postgresql_only
def test_two_positions_recorded_on_one_issue_at_once(transactional_db, monkeypatch):
    _, issue, offer = small_issue()
    view(issue)
    hamas = Participant.objects.get(pk=offer.participant_id)
    wire = Source.objects.get()
    both_inserted = threading.Barrier(2)
    lock_stamp = gap_days.lock_stamp

    def lock_after_both_inserted(negotiation_id):
        both_inserted.wait(5)
        return lock_stamp(negotiation_id)

    monkeypatch.setattr(gap_days, "lock_stamp", lock_after_both_inserted)

    def record(amount):
        def recording():
            with transaction.atomic():
                Position.objects.create(
                    participant=hamas,
                    issue=issue,
                    source=wire,
                    stance="offer",
                    stated_on=dt.date(2025, 4, 12),
                    value_min=amount,
                    value_max=amount,
                    summary=f"{amount}",
                    credibility=2,
                )

        return recording

    assert run_together(record(10), record(11)) == []
    assert_stored_days_true(issue)


@pytest.mark.skipif("connection.vendor != 'sqlite'", reason="SQLite's one write lock")
def test_a_reader_does_not_wait_for_an_unrelated_writer_on_sqlite(transactional_db):
    _, issue, offer = small_issue()
    holding = threading.Event()

    def writer():
        with transaction.atomic():  # BEGIN IMMEDIATE: the write lock
            Position.objects.filter(pk=offer.pk).update(summary="held")
            holding.set()
            time.sleep(2)

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        holding.wait(5)
        started = time.monotonic()
        view(issue)  # recomputes; cannot store while the writer holds the lock
        waited = time.monotonic() - started
        assert not connection.in_atomic_block
        assert Round.objects.count() == 0  # the connection still works
    finally:
        thread.join(timeout=60)
        connection.close()
    assert not thread.is_alive(), "the writer never finished"
    assert waited < 1
    assert not StoredGapHistory.objects.exists()
    view(issue)  # the writer is gone: now it stores
    assert StoredGapHistory.objects.filter(issue=issue).exists()
