"""Audit history and optimistic concurrency."""

import datetime as dt
import threading
from decimal import Decimal

import pytest
from django.apps import apps
from django.db import connection

from negotiations import editing
from negotiations.models import (
    Actor,
    Issue,
    Negotiation,
    Package,
    Participant,
    Position,
    Round,
    ScaleOption,
    Source,
    StoredGapHistory,
)
from tests import builders


def test_every_model_keeps_a_history():
    models = [
        model
        for model in apps.get_app_config("negotiations").get_models()
        if not model.__name__.startswith("Historical") and model is not StoredGapHistory
    ]
    assert len(models) == 9
    assert all(hasattr(model, "history") for model in models), models


def make(model_name: str, world: dict):
    negotiation = world["negotiation"]
    return {
        "Negotiation": lambda: Negotiation(slug="new-talks", title="New talks"),
        "Actor": lambda: Actor(slug="chad", name="Chad", short_name="Chad", kind="state"),
        "Participant": lambda: Participant(
            negotiation=negotiation,
            role="guarantor",
            actor=Actor.objects.create(slug="oman", name="Oman", short_name="Oman", kind="state"),
        ),
        "Issue": lambda: Issue(negotiation=negotiation, slug="aid", title="Aid", kind="yes_no"),
        "ScaleOption": lambda: ScaleOption(issue=world["scale"], rank=5, key="more", label="More"),
        "Source": lambda: Source(
            slug="radio", outlet="Radio", headline="News", published_on=builders.DAY, grade="C"
        ),
        "Package": lambda: Package(
            negotiation=negotiation,
            slug="deal",
            title="Deal",
            proposer=world["party"],
            stated_on=builders.DAY,
            source=world["source"],
        ),
        "Round": lambda: Round(
            negotiation=negotiation,
            slug="r",
            title="Round",
            location="Doha",
            started_on=builders.DAY,
        ),
        "Position": lambda: Position(
            participant=world["party"],
            issue=world["issue"],
            source=world["source"],
            stance="offer",
            value_min=5,
            value_max=5,
            summary="Five",
            stated_on=builders.DAY,
            credibility=2,
        ),
    }[model_name]()


TEXT_FIELD = {
    "Negotiation": "title",
    "Actor": "name",
    "Participant": "role",
    "Issue": "title",
    "ScaleOption": "label",
    "Source": "headline",
    "Package": "title",
    "Round": "title",
    "Position": "summary",
}
NEW_VALUE = {"Participant": "stakeholder"}


@pytest.mark.django_db
@pytest.mark.parametrize("model_name", list(TEXT_FIELD))
def test_create_update_and_delete_of_every_model_record_who_when_before_and_after(
    model_name, django_user_model
):
    editor = django_user_model.objects.create_user("ed", password="x-long-password-1")
    negotiation = builders.negotiation("talks")
    world = {
        "negotiation": negotiation,
        "party": builders.participant(negotiation, "north"),
        "issue": builders.issue(negotiation, "hostages"),
        "scale": builders.issue(negotiation, "pullback", kind="scale", options=("a", "b")),
        "source": builders.source(),
    }
    instance = make(model_name, world)
    instance._history_user = editor
    instance.save()
    field = TEXT_FIELD[model_name]
    before = getattr(instance, field)
    setattr(instance, field, NEW_VALUE.get(model_name, "Changed"))
    instance._history_user = editor
    instance.save()
    pk = instance.pk
    instance._history_user = editor
    instance.delete()

    history = list(type(instance).history.filter(id=pk).order_by("history_date"))
    assert [entry.history_type for entry in history] == ["+", "~", "-"]
    assert all(entry.history_user == editor for entry in history)
    assert getattr(history[0], field) == before
    assert getattr(history[1], field) == NEW_VALUE.get(model_name, "Changed")
    assert history[0].history_date <= history[1].history_date <= history[2].history_date
    assert [
        change.field for change in editing.differences(history[0].instance, history[1].instance)
    ] == [field]


@pytest.mark.django_db
def test_round_attendance_changes_are_recorded():
    negotiation = builders.negotiation("talks")
    party = builders.participant(negotiation, "north")
    cairo = Round.objects.create(
        negotiation=negotiation, slug="r", title="R", location="Cairo", started_on=builders.DAY
    )
    cairo.attendees.add(party)
    cairo.save()
    latest = cairo.history.order_by("-history_date").first()
    assert [a.participant_id for a in latest.attendees.all()] == [party.pk]


@pytest.mark.django_db
def test_imports_and_seed_loads_are_recorded(seeded):
    assert Position.history.filter(history_type="+").count() == 25


# ---------------------------------------------------------------------------------------------
# Optimistic concurrency


def nine_hostages_offered() -> Position:
    negotiation = builders.negotiation("talks")
    return builders.position(
        builders.participant(negotiation, "north"),
        builders.issue(negotiation, "hostages"),
        builders.source(),
        amount=9,
        summary="Nine",
    )


@pytest.mark.django_db
def test_a_stale_save_is_refused_and_names_the_change(django_user_model):
    offer = nine_hostages_offered()
    loaded = offer.version
    theirs = Position.objects.get(pk=offer.pk)
    theirs.summary = "Nine (theirs)"
    theirs._history_user = django_user_model.objects.create_user("bea", password="x-pw-123456")
    editing.save_if_current(theirs, loaded)
    offer.summary = "Nine (mine)"
    with pytest.raises(editing.StaleEdit) as stale:
        editing.save_if_current(offer, loaded)
    assert stale.value.who == "bea"
    assert [(c.field, c.before, c.after) for c in stale.value.changes] == [
        ("summary", "Nine", "Nine (theirs)")
    ]
    assert Position.objects.get(pk=offer.pk).summary == "Nine (theirs)"


@pytest.mark.django_db
def test_a_range_s_two_ends_are_one_change_in_words():
    offer = nine_hostages_offered()
    before = Position.objects.get(pk=offer.pk)
    offer.value_min, offer.value_max, offer.credibility = Decimal(10), None, 3
    assert [(c.field, c.label, c.before, c.after) for c in editing.differences(before, offer)] == [
        ("value", "value", "9 hostages", "at least 10 hostages"),
        (
            "credibility",
            "credibility",
            before.get_credibility_display(),
            offer.get_credibility_display(),
        ),
    ]
    offer.value_min = Decimal(9)  # only the upper end changes: one change all the same
    assert [(c.field, c.after) for c in editing.differences(before, offer)] == [
        ("value", "at least 9 hostages"),
        ("credibility", offer.get_credibility_display()),
    ]


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_saves_one_wins_the_other_is_refused():
    offer = nine_hostages_offered()
    loaded = offer.version
    start = threading.Barrier(2)
    outcomes: list[str] = []

    def save(summary: str) -> None:
        try:
            mine = Position.objects.get(pk=offer.pk)
            mine.summary = summary
            start.wait(timeout=10)
            editing.save_if_current(mine, loaded)
            outcomes.append("saved")
        except editing.StaleEdit:
            outcomes.append("refused")
        finally:
            connection.close()

    threads = [threading.Thread(target=save, args=(name,)) for name in ("first", "second")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
        assert not thread.is_alive(), f"{thread.name} never finished"
    assert sorted(outcomes) == ["refused", "saved"]
    stored = Position.objects.get(pk=offer.pk)
    assert stored.version == loaded + 1
    assert stored.summary in ("first", "second")
    assert stored.history.count() == 2
    assert stored.updated_at > stored.recorded_at - dt.timedelta(seconds=1)
