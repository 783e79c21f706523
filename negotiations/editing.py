"""Saving edits without losing anyone's work: optimistic concurrency and history.

Every editable record carries a `version`. A form remembers the version it was loaded at; saving
locks the row, compares, and refuses with `StaleEdit` when someone saved in between, naming what
they changed (from the record's history). Nothing is overwritten.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.core.exceptions import ObjectDoesNotExist, ValidationError
from django.db import IntegrityError, models, transaction

from negotiations import gaps
from negotiations.models import refused_as_repeat

# Fields that are bookkeeping, not content: never shown as "what changed".
BOOKKEEPING = {
    "id",
    "version",
    "updated_at",
    "recorded_at",
    "recorded_by",
    "data_changed_at",
    "created_at",
    "uid",
}


@dataclass(frozen=True)
class FieldChange:
    field: str
    label: str
    before: str
    after: str


class StaleEdit(Exception):
    """The record changed since the form was loaded."""

    def __init__(self, current: models.Model, changes: list[FieldChange], who: str, when):
        self.current = current
        self.changes = changes
        self.who = who
        self.when = when
        super().__init__(f"{type(current).__name__} {current.pk} changed since it was loaded")


def display(instance: models.Model, field: models.Field) -> str:
    """A field's value as a person reads it (an old version may point at deleted records)."""
    if field.is_relation:
        try:
            related = getattr(instance, field.name)
        except ObjectDoesNotExist:
            return f"(deleted {field.verbose_name} #{getattr(instance, field.attname)})"
        return "" if related is None else str(related)
    value = getattr(instance, field.attname)
    if field.choices:
        return str(dict(field.flatchoices).get(value, value)) if value not in (None, "") else ""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, Decimal):
        return gaps.format_number(value)
    return str(value)


def content_fields(model: type[models.Model]) -> list[models.Field]:
    return [
        field
        for field in model._meta.concrete_fields
        if field.name not in BOOKKEEPING and field.editable
    ]


# A range's two ends are one value to a reader ("9 hostages", "40–70 days"), whatever the form
# they were typed in ("Exactly", or "From" and "To"): one change, called "value", in words.
RANGE_ENDS = ("value_min", "value_max")
RANGE_CHANGE = "value"


def differences(before: models.Model, after: models.Model) -> list[FieldChange]:
    """The content fields whose values differ between two versions of a record."""
    changes = [
        FieldChange(
            field.name, str(field.verbose_name), display(before, field), display(after, field)
        )
        for field in content_fields(type(after))
        if display(before, field) != display(after, field)
    ]
    ends = [change for change in changes if change.field in RANGE_ENDS]
    if ends:
        at = changes.index(ends[0])
        changes[at : at + len(ends)] = [
            FieldChange(RANGE_CHANGE, "value", value_in_words(before), value_in_words(after))
        ]
    return changes


def value_in_words(position) -> str:
    """A position's value as the pages give it; of a version whose issue was deleted since, its
    numbers without their unit."""
    try:
        return position.value_display
    except ObjectDoesNotExist:
        return gaps.describe_range(position.value_min, position.value_max)


def attendee_ids(version) -> set[int]:
    """The participants a historical version of a round records as attending."""
    return {row.participant_id for row in version.attendees.all()}


def saves(versions: list) -> list[list]:
    """Historical records, newest first, grouped by the save that wrote them, newest first
    within a group: a round's save writes a second record for its attendees, with the same
    version number, and a reader sees one change."""
    grouped: list[list] = []
    for version in versions:
        previous = grouped[-1][-1] if grouped else None
        if (
            previous is not None
            and previous.version == version.version
            and "-" not in (previous.history_type, version.history_type)
        ):
            grouped[-1].append(version)
        else:
            grouped.append([version])
    return grouped


def version_changes(older, newer) -> list[FieldChange]:
    """What changed from one historical version to the next, many-to-many fields included."""
    changes = differences(older.instance, newer.instance)
    if hasattr(newer, "attendees"):
        before, after = attendee_ids(older), attendee_ids(newer)
        if before != after:
            changes.append(FieldChange("attendees", "attendees", names(before), names(after)))
    return changes


def names(participant_ids: set[int]) -> str:
    from negotiations.models import Participant

    found = dict(
        Participant.objects.filter(pk__in=participant_ids).values_list("pk", "actor__short_name")
    )
    return ", ".join(sorted(found.get(pk, f"#{pk}") for pk in participant_ids))


def label(version) -> str:
    try:
        return str(version.instance)
    except ObjectDoesNotExist:
        return f"{version.instance._meta.verbose_name} #{version.id}"


class RestoreRefused(Exception):
    pass


def restore(version, current: models.Model | None, expected_version: int | None) -> models.Model:
    """Bring back an earlier version as the newest one; the restore is itself recorded.

    Refused when the record changed since the page was loaded, when the version points at
    records deleted since, or when it no longer passes the rules (a source date moved, say).
    """
    model = type(current) if current is not None else version.instance_type
    restored = version.instance
    with transaction.atomic():
        if current is not None:
            locked = model.objects.select_for_update().get(pk=current.pk)
            if expected_version is not None and locked.version != expected_version:
                raise stale(locked, expected_version)
            restored.version = locked.version
            restored._state.adding = False  # an update of the stored row, not a new record
        else:
            if hasattr(restored, "uid") and model.objects.filter(uid=restored.uid).exists():
                raise RestoreRefused(
                    "A record with this identifier exists again (re-imported or restored "
                    "already); correct that one instead."
                )
            newest = version.__class__.objects.filter(id=version.id).aggregate(
                highest=models.Max("version")
            )["highest"]
            restored.version = (newest or 0) + 1
            restored._state.adding = True
        # The history then says "restored", not "created" or "changed".
        restored._change_reason = f"restored version {version.version}"
        try:
            restored.full_clean(validate_unique=False, validate_constraints=False)
        except ValidationError as problem:
            gone = [
                str(model._meta.get_field(name).verbose_name)
                for name in getattr(problem, "error_dict", {})
                if name != "__all__" and model._meta.get_field(name).is_relation
            ]
            if gone:
                raise RestoreRefused(
                    f"That version points at a record deleted since ({', '.join(gone)}); it "
                    "cannot be restored as it was."
                ) from None
            raise RestoreRefused(
                "That version no longer fits the rules: " + "; ".join(problem.messages)
            ) from None
        except ObjectDoesNotExist:
            raise RestoreRefused(
                "That version points at a record deleted since (a source, an option or an "
                "actor); it cannot be restored as it was."
            ) from None
        try:
            with transaction.atomic():
                restored.save(force_insert=current is None)
                if hasattr(version, "attendees"):
                    still_there = set(
                        restored.negotiation.participants.values_list("pk", flat=True)
                    )
                    restored.attendees.set(
                        [pk for pk in attendee_ids(version) if pk in still_there]
                    )
        except IntegrityError as problem:
            if refused_as_repeat(problem):
                raise RestoreRefused(
                    "That version is the same as a position on record now (the same stance, "
                    "value, date, source and summary); restoring it would record it twice."
                ) from None
            raise RestoreRefused(f"The database refused that version: {problem}") from None
    return restored


def version_as_loaded(instance: models.Model, version: int) -> models.Model | None:
    """The record as it was at `version`, from its history."""
    record = (
        instance.history.filter(version=version).order_by("-history_date").first()
        if hasattr(instance, "history")
        else None
    )
    return record.instance if record is not None else None


def save_if_current(instance: models.Model, loaded_version: int, **save_kwargs: Any) -> None:
    """Save `instance` only if nobody saved it since `loaded_version`; else raise StaleEdit."""
    model = type(instance)
    with transaction.atomic():
        current = model.objects.select_for_update().get(pk=instance.pk)
        if current.version != loaded_version:
            raise stale(current, loaded_version)
        instance.version = current.version
        instance.save(**save_kwargs)


def delete_if_current(instance: models.Model, loaded_version: int) -> None:
    model = type(instance)
    with transaction.atomic():
        current = model.objects.select_for_update().get(pk=instance.pk)
        if current.version != loaded_version:
            raise stale(current, loaded_version)
        current.delete()


def stale(current: models.Model, loaded_version: int) -> StaleEdit:
    base = version_as_loaded(current, loaded_version)
    changes = differences(base, current) if base is not None else []
    latest = current.history.order_by("-history_date").first()
    who = str(latest.history_user) if latest and latest.history_user else "someone"
    return StaleEdit(current, changes, who, latest.history_date if latest else None)
