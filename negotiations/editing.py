"""Saving edits without losing anyone's work: optimistic concurrency and history.

Every editable record carries a `version`. A form remembers the version it was loaded at; saving
locks the row, compares, and refuses with `StaleEdit` when someone saved in between, naming what
they changed (from the record's history). Nothing is overwritten.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import models, transaction

from negotiations import gaps

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
    """A field's value as a person reads it."""
    if field.is_relation:
        related = getattr(instance, field.name)
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


def differences(before: models.Model, after: models.Model) -> list[FieldChange]:
    """The content fields whose values differ between two versions of a record."""
    return [
        FieldChange(
            field.name, str(field.verbose_name), display(before, field), display(after, field)
        )
        for field in content_fields(type(after))
        if display(before, field) != display(after, field)
    ]


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
