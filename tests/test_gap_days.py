"""The stored gap history stays true as positions change, and is recomputed after other changes."""

import datetime as dt
import random
import uuid

import pytest
from django.db import DatabaseError, connection
from django.test.utils import CaptureQueriesContext

from negotiations import gap_days, gaps, snapshot
from negotiations.models import Issue, Negotiation, Position, Round, StoredGapHistory
from negotiations.synthetic import Shape, build
from tests import builders

LAST_DAY = dt.date(2025, 4, 14)


def every_position_days(issue: Issue) -> tuple[gaps.DailyGap, ...]:
    """The gap history from every position, as the engine defines it (no reduction, no store)."""
    participants = snapshot.load_participants(issue.negotiation)
    actors = {p.pk: snapshot.actor_ref(p) for p in participants}
    facts, ranks = gap_days.issue_facts(issue)
    every = [
        snapshot.position_fact(position, actors, ranks)
        for position in Position.objects.filter(issue=issue).select_related(
            *snapshot.POSITION_RELATIONS
        )
    ]
    return tuple(gaps.daily_gap(point) for point in gaps.gap_history(facts, every))


def current_stamp(negotiation: Negotiation) -> dt.datetime:
    return Negotiation.objects.values_list("data_changed_at", flat=True).get(pk=negotiation.pk)


@pytest.mark.parametrize("seed", [11, 12])
def test_days_from_any_day_on_match_the_whole_history(db, seed):
    negotiation = build(f"since-{seed}", Shape(issues=4, actors=5, positions=800, days=30), seed)
    participants = snapshot.load_participants(negotiation)
    actors = {p.pk: snapshot.actor_ref(p) for p in participants}
    for issue in Issue.objects.filter(negotiation=negotiation):
        whole = every_position_days(issue)
        facts, ranks = gap_days.issue_facts(issue)
        for since in (whole[0].day, whole[len(whole) // 2].day, LAST_DAY, dt.date(2025, 3, 20)):
            later = gap_days.compute_days(issue, facts, ranks, actors, since)
            assert tuple(later) == tuple(day for day in whole if day.day >= since), since


def test_every_kind_of_position_change_keeps_the_stored_days_true(db):
    negotiation = build("changes", Shape(issues=4, actors=4, positions=240, days=30), seed=3)
    issues = list(Issue.objects.filter(negotiation=negotiation))
    for issue in issues:
        gap_days.load_issue_history(issue)  # computed and stored
    report = builders.source("late-report", published_on=LAST_DAY)
    rng = random.Random(3)
    first_day = LAST_DAY - dt.timedelta(days=29)

    def some_position() -> Position:
        return rng.choice(list(Position.objects.filter(issue__negotiation=negotiation)))

    def some_day() -> dt.date:
        return first_day + dt.timedelta(days=rng.randrange(30))

    def add():
        position = some_position()
        position.pk, position.uid, position.stated_on = None, uuid.uuid4(), some_day()
        position.status, position.status_source, position.status_changed_on = "reported", None, None
        position.source, position.package = report, None
        position._state.adding = True
        position.save()

    def move():
        position = some_position()
        position.stated_on = min(some_day(), position.source.published_on)  # reported by then
        if position.status_changed_on and position.status_changed_on < position.stated_on:
            position.status_changed_on = position.stated_on
        position.save()

    def withdraw():
        position = some_position()
        position.status, position.status_source = "denied", report
        later = position.stated_on + dt.timedelta(rng.randrange(8))
        position.status_changed_on = min(later, LAST_DAY)
        position.save()

    def reinstate():
        withdrawn = list(Position.objects.filter(issue__negotiation=negotiation, status="denied"))
        if withdrawn:
            position = rng.choice(withdrawn)
            position.status, position.status_source, position.status_changed_on = (
                "confirmed",
                report,
                LAST_DAY,
            )
            position.save()

    def delete():
        some_position().delete()

    for step in range(40):
        change = rng.choice([add, move, withdraw, reinstate, delete])
        change()
        stamp = current_stamp(negotiation)
        for issue in issues:
            issue.negotiation = Negotiation.objects.get(pk=negotiation.pk)
            stored = gap_days.stored_days(issue, stamp)
            assert stored is not None, (step, change.__name__, issue.slug)  # carried over
            assert tuple(stored) == every_position_days(issue), (step, change.__name__, issue.slug)


def test_a_change_that_is_not_a_position_is_recomputed_on_the_next_view(db):
    negotiation = build("renamed", Shape(issues=1, actors=3, positions=60, days=10), seed=4)
    issue = Issue.objects.get(negotiation=negotiation)
    gap_days.load_issue_history(issue)
    issue.unit, issue.unit_singular = "prisoners", "prisoner"
    issue.save()
    issue.negotiation = Negotiation.objects.get(pk=negotiation.pk)
    assert gap_days.stored_days(issue, issue.negotiation.data_changed_at) is None
    recomputed = gap_days.load_issue_history(issue).days
    assert any("prisoner" in day.description for day in recomputed)
    assert gap_days.stored_days(issue, issue.negotiation.data_changed_at) == list(recomputed)


def test_a_reader_whose_store_fails_still_gets_the_history(db, monkeypatch):
    negotiation = build("unstored", Shape(issues=1, actors=3, positions=60, days=10), seed=5)
    issue = Issue.objects.get(negotiation=negotiation)

    def refuse(*args, **kwargs):
        raise DatabaseError("could not serialize access")

    monkeypatch.setattr(StoredGapHistory.objects, "update_or_create", refuse)
    history = gap_days.load_issue_history(issue)
    assert history.days == every_position_days(issue)
    assert not StoredGapHistory.objects.exists()


def test_changes_no_gap_history_shows_carry_the_stored_days_over(db):
    negotiation = build("carried", Shape(issues=2, actors=3, positions=60, days=10), seed=6)
    issues = list(Issue.objects.filter(negotiation=negotiation))
    for issue in issues:
        gap_days.load_issue_history(issue)
    cited = Position.objects.filter(issue__negotiation=negotiation).first().source
    cited.headline = "A corrected headline"
    cited.save()
    Round.objects.create(
        negotiation=negotiation, slug="cairo", title="Cairo", location="Cairo", started_on=LAST_DAY
    )
    actor = negotiation.participants.first().actor
    actor.name = "A renamed actor"
    actor.save()
    stamp = current_stamp(negotiation)
    assert stamp != negotiation.data_changed_at  # each of them moved it
    for issue in issues:
        assert gap_days.stored_days(issue, stamp) is not None


def test_an_import_leaves_the_stored_days_to_be_recomputed(db):
    negotiation = build("imported", Shape(issues=1, actors=3, positions=60, days=10), seed=7)
    issue = Issue.objects.get(negotiation=negotiation)
    gap_days.load_issue_history(issue)
    with gap_days.bulk_changes():
        moved = Position.objects.filter(issue=issue).first()
        moved.stated_on = moved.stated_on - dt.timedelta(days=1)
        moved.save()
    issue.negotiation = Negotiation.objects.get(pk=negotiation.pk)
    assert gap_days.stored_days(issue, issue.negotiation.data_changed_at) is None
    assert gap_days.load_issue_history(issue).days == every_position_days(issue)


def test_a_position_moved_to_another_issue_refreshes_both_reading_the_actors_once(db):
    negotiation = builders.negotiation("moved")
    israel = builders.participant(negotiation, "israel")
    hamas = builders.participant(negotiation, "hamas")
    hostages = builders.issue(negotiation, "hostages")
    prisoners = builders.issue(negotiation, "prisoners")
    wire = builders.source("wire", published_on=LAST_DAY)
    builders.position(israel, hostages, wire, "demand", amount=11, stated_on=dt.date(2025, 4, 1))
    builders.position(israel, prisoners, wire, "demand", amount=900, stated_on=dt.date(2025, 4, 1))
    moved = builders.position(hamas, hostages, wire, "offer", amount=9, stated_on=LAST_DAY)
    for issue in (hostages, prisoners):
        issue.negotiation = Negotiation.objects.get(pk=negotiation.pk)
        gap_days.load_issue_history(issue)  # computed and stored
    moved.issue, moved.value_min, moved.value_max = prisoners, 700, 700
    with CaptureQueriesContext(connection) as queries:
        moved.save()
    actors_read = [q for q in queries.captured_queries if "negotiations_actor" in q["sql"]]
    assert len(actors_read) == 1, actors_read
    stamp = current_stamp(negotiation)
    for issue in (hostages, prisoners):
        issue.negotiation = Negotiation.objects.get(pk=negotiation.pk)
        assert tuple(gap_days.stored_days(issue, stamp)) == every_position_days(issue)
