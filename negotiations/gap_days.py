"""An issue's gap on every change day, stored as positions change, so that an issue page reads
one row instead of recomputing the gap over a history of a hundred thousand positions
(docs/performance.md).

Stored days are used only while their basis equals the negotiation's change stamp
(`data_changed_at`). A change to positions refreshes the changed issue's days from the earliest
day it touches, in the transaction that made it, and carries the other issues' days over to the
new stamp (`carry_over`, called from negotiations.signals). Any other change to the negotiation (an
issue's unit, an actor's role, a package made conditional, a CSV import) leaves every stored day
behind the stamp; the next issue page recomputes them and stores them again.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Iterable
from contextvars import ContextVar
from dataclasses import dataclass
from decimal import Decimal
from functools import cached_property

from django.db import DatabaseError, connection
from django.db.models import Prefetch, prefetch_related_objects

from negotiations import gaps, snapshot
from negotiations.models import (
    Issue,
    Negotiation,
    Participant,
    Position,
    ScaleOption,
    StoredGapHistory,
)
from negotiations.snapshot import HISTORY_COLUMNS, actor_ref, history_fact, load_participants


@dataclass(frozen=True)
class IssueHistory:
    issue: Issue
    facts: gaps.IssueFacts
    participants: tuple[Participant, ...]
    days: tuple[gaps.DailyGap, ...]
    """The issue's gap on every day a position on it changed, oldest first."""

    @cached_property
    def names(self) -> dict[int, str]:
        return {participant.pk: participant.actor.short_name for participant in self.participants}

    def between(self, day: gaps.DailyGap) -> str:
        """ "Hamas vs Israel": the actors of the day's widest pairing, demand first."""
        if day.between is None:
            return ""
        return " vs ".join(self.names.get(pk, "?") for pk in day.between)


def load_issue_history(issue: Issue) -> IssueHistory:
    """The gap on one issue over time: four queries when its stored days are current, else
    recomputed from the positions (and stored for the next reader). Needs `issue.negotiation`."""
    negotiation = issue.negotiation
    participants = load_participants(negotiation)
    facts, ranks = issue_facts(issue)
    days = stored_days(issue, negotiation.data_changed_at)
    if days is None:
        actors = {participant.pk: actor_ref(participant) for participant in participants}
        days = compute_days(issue, facts, ranks, actors)
        store(issue, negotiation.data_changed_at, days)
    return IssueHistory(issue, facts, tuple(participants), tuple(days))


def issue_facts(issue: Issue) -> tuple[gaps.IssueFacts, dict[int, int]]:
    """The issue as the gap engine sees it, and its scale's ranks ({option id: step}): one query
    for its options."""
    prefetch_related_objects(
        [issue], Prefetch("options", queryset=ScaleOption.objects.order_by("rank"))
    )
    return snapshot.issue_facts(issue), snapshot.scale_ranks([issue])


def compute_days(
    issue: Issue,
    facts: gaps.IssueFacts,
    ranks: dict[int, int],
    actors: dict[int, gaps.ActorRef],
    since: dt.date | None = None,
) -> list[gaps.DailyGap]:
    """The gap on every change day (from `since` on), from the positions."""
    rows = Position.objects.history_rows(issue, HISTORY_COLUMNS, since)
    history = [history_fact(row, issue.pk, actors, ranks) for row in rows]
    return [gaps.daily_gap(point) for point in gaps.gap_history(facts, history, since)]


def stored_days(issue: Issue, stamp: dt.datetime) -> list[gaps.DailyGap] | None:
    """The stored days if they were computed for `stamp`, else None."""
    encoded = (
        StoredGapHistory.objects.filter(issue=issue, basis=stamp)
        .values_list("days", flat=True)
        .first()
    )
    return None if encoded is None else decode(gaps.Kind(issue.kind), encoded)


def encode(days: Iterable[gaps.DailyGap]) -> list[list]:
    """Days as JSON: compact lists, decimals as strings (exact)."""
    return [
        [
            day.day.isoformat(),
            day.state.value,
            day.description,
            None if day.distance is None else str(day.distance),
            day.normalised,
            list(day.between) if day.between else None,
            day.chart_value,
            day.in_unit,
        ]
        for day in days
    ]


def decode(kind: gaps.Kind, encoded: list[list]) -> list[gaps.DailyGap]:
    in_steps = kind == gaps.Kind.SCALE
    return [
        gaps.DailyGap(
            dt.date.fromisoformat(day),
            gaps.GapState(state),
            description,
            None if distance is None else int(distance) if in_steps else Decimal(distance),
            normalised,
            tuple(between) if between else None,
            chart_value,
            in_unit,
        )
        for day, state, description, distance, normalised, between, chart_value, in_unit in encoded
    ]


def store(issue: Issue, basis: dt.datetime, days: list[gaps.DailyGap]) -> None:
    """Store a reader's recomputed days, labelled with the stamp read before the positions (so
    never newer than what they show). Best effort, never waiting for a writer: a reader whose
    store collides with a writer's still gets its page, and the next reader recomputes."""
    # update_or_create runs in a savepoint of its own, so a failure leaves the request's
    # transaction usable.
    with contextlib.suppress(DatabaseError), without_waiting():
        StoredGapHistory.objects.update_or_create(
            issue=issue, defaults={"basis": basis, "days": encode(days)}
        )


@contextlib.contextmanager
def without_waiting():
    """On SQLite, where a write waits for the one write lock, give up at once if a writer holds
    it (PostgreSQL locks the one row, which a writer holds for milliseconds)."""
    if connection.vendor != "sqlite" or connection.in_atomic_block:
        yield
        return
    timeout = int(connection.settings_dict.get("OPTIONS", {}).get("timeout", 5) * 1000)
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA busy_timeout = 0")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"PRAGMA busy_timeout = {timeout}")


_in_bulk: ContextVar[bool] = ContextVar("gap_days_in_bulk", default=False)


@contextlib.contextmanager
def bulk_changes():
    """For loaders that change many positions and then move the stamp themselves (the CSV
    import, the seed loader): position saves skip the refresh, which the stamp they move would
    make stale at once; the next view of each issue page recomputes."""
    token = _in_bulk.set(True)
    try:
        yield
    finally:
        _in_bulk.reset(token)


def in_bulk() -> bool:
    return _in_bulk.get()


# ---------------------------------------------------------------------------------------------
# Writing: keep stored days in step as positions change


def lock_stamp(negotiation_id: int) -> dt.datetime | None:
    """The negotiation's change stamp, locked until the transaction ends, so that no other
    change moves it between this read and the refresh that follows."""
    return (
        Negotiation.objects.select_for_update()
        .filter(pk=negotiation_id)
        .values_list("data_changed_at", flat=True)
        .first()
    )


def earliest_days(
    states: Iterable[tuple[int, dt.date | None, dt.date | None] | None],
) -> dict[int, dt.date]:
    """{issue id: the earliest day a change touches}, from positions' (issue id, stated on,
    status changed on) before and after the change."""
    earliest: dict[int, dt.date] = {}
    for state in states:
        if state is None:
            continue
        issue_id, *days = state
        touched = [day for day in days if day is not None]
        if issue_id is not None and touched:
            first = min(touched)
            earliest[issue_id] = min(first, earliest.get(issue_id, first))
    return earliest


def carry_over(
    negotiation_id: int,
    before: dt.datetime,
    after: dt.datetime,
    changed: dict[int, dt.date],
) -> None:
    """After positions on the `changed` issues changed (from the given day on) and moved the
    stamp from `before` to `after`: refresh those issues' stored days from that day, and carry
    every other issue's days, still true, over to the new stamp. Days that were already behind
    the stamp stay behind (the next reader recomputes them in full). Must run in the
    transaction that made the change, after `lock_stamp`."""
    actors = None  # read once, for the first issue that has stored days to refresh
    for issue_id, since in changed.items():
        stored = (
            StoredGapHistory.objects.select_for_update(of=("self",))
            .filter(issue_id=issue_id, basis=before)
            .select_related("issue")
            .first()
        )
        if stored is None:
            continue
        facts, ranks = issue_facts(stored.issue)
        if actors is None:
            actors = {
                participant.pk: actor_ref(participant)
                for participant in load_participants(negotiation_id)
            }
        earlier = [day for day in stored.days if dt.date.fromisoformat(day[0]) < since]
        stored.days = earlier + encode(compute_days(stored.issue, facts, ranks, actors, since))
        stored.basis = after
        stored.save(update_fields=["basis", "days"])
    # Rows another transaction holds (a reader storing, an issue being deleted) are left behind
    # rather than waited for: waiting on them while holding the negotiation can deadlock.
    free = (
        StoredGapHistory.objects.select_for_update(skip_locked=True, of=("self",))
        .filter(issue__negotiation_id=negotiation_id, basis=before)
        .exclude(issue_id__in=changed)
        .values_list("pk", flat=True)
    )
    StoredGapHistory.objects.filter(pk__in=list(free)).update(basis=after)
