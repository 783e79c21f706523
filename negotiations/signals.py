"""Keep `Negotiation.data_changed_at` true: whatever a reader sees of a negotiation changes it.

Feeds, ETag/Last-Modified and caches are keyed on that one column, so one indexed read tells
whether anything shown for a negotiation changed. The CSV importer, whose new rows bypass
signals, calls `touch` itself; the synthetic data generator only ever builds new negotiations.

Position changes also keep each issue's stored gap history in step with the stamp
(negotiations.gap_days); so do changes no gap history shows (rounds, sources, actors).
"""

import datetime as dt
import time
from collections.abc import Iterable

from django.contrib.auth import get_user_model
from django.contrib.auth.signals import user_logged_in
from django.db import connection, transaction
from django.db.models.signals import m2m_changed, post_delete, post_save, pre_save
from django.dispatch import receiver
from django.utils import timezone

from negotiations import gap_days
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
)
from negotiations.views.conditional import forget_stamps


def touch(negotiation_ids: Iterable[int]) -> dt.datetime:
    """Move the change stamp of these negotiations; returns the new stamp."""
    now = timezone.now()
    ids = {pk for pk in negotiation_ids if pk is not None}
    if ids:
        Negotiation.objects.filter(pk__in=ids).update(data_changed_at=now)
        forget_stamps()
    return now


@receiver(pre_save, sender=Negotiation)
def negotiation_changed(sender, instance: Negotiation, raw: bool = False, **kwargs) -> None:
    if not raw:
        instance.data_changed_at = timezone.now()
        forget_stamps()


@receiver(post_save, sender=Issue)
@receiver(post_delete, sender=Issue)
@receiver(post_save, sender=Participant)
@receiver(post_delete, sender=Participant)
@receiver(post_save, sender=Package)
@receiver(post_delete, sender=Package)
def part_of_negotiation_changed(sender, instance, raw: bool = False, **kwargs) -> None:
    if not raw:
        touch([instance.negotiation_id])


@receiver(post_save, sender=Round)
@receiver(post_delete, sender=Round)
def round_changed(sender, instance: Round, raw: bool = False, **kwargs) -> None:
    if not raw:
        touch_keeping_gap_histories([instance.negotiation_id])


@receiver(post_save, sender=ScaleOption)
@receiver(post_delete, sender=ScaleOption)
def part_of_issue_changed(sender, instance, raw: bool = False, **kwargs) -> None:
    if not raw:
        touch(Issue.objects.filter(pk=instance.issue_id).values_list("negotiation_id", flat=True))


def days_of(position: Position) -> tuple[int, dt.date | None, dt.date | None]:
    return (position.issue_id, position.stated_on, position.status_changed_on)


@receiver(pre_save, sender=Position)
def remember_days_before(sender, instance: Position, raw: bool = False, **kwargs) -> None:
    """The stored row's days, which the change may move (the form has already changed the
    instance in memory)."""
    if not raw and instance.pk is not None and not gap_days.in_bulk():
        stored = Position.objects.filter(pk=instance.pk)
        if connection.in_atomic_block:
            stored = stored.select_for_update()  # the committed row, not one a writer is changing
        instance._days_before = stored.values_list(
            "issue_id", "stated_on", "status_changed_on"
        ).first()


@receiver(post_save, sender=Position)
@receiver(post_delete, sender=Position)
def position_changed(sender, instance: Position, raw: bool = False, **kwargs) -> None:
    """Move the stamp and keep the stored gap history in step with it (negotiations.gap_days)."""
    if raw:
        return
    changed = gap_days.earliest_days(
        [days_of(instance), instance.__dict__.pop("_days_before", None)]
    )
    negotiations = dict(Issue.objects.filter(pk__in=changed).values_list("pk", "negotiation_id"))
    for negotiation_id in set(negotiations.values()):
        touch_and_carry_over(
            negotiation_id,
            {issue: day for issue, day in changed.items() if negotiations[issue] == negotiation_id},
        )


def touch_and_carry_over(negotiation_id: int, changed: dict[int, dt.date]) -> None:
    """Move the stamp, refreshing the stored gap history of the `changed` issues from the given
    days and carrying the other issues' over: for changes the others' histories do not show."""
    if gap_days.in_bulk():
        touch([negotiation_id])
        return
    with transaction.atomic():
        before = gap_days.lock_stamp(negotiation_id)
        after = touch([negotiation_id])
        if before is not None:
            gap_days.carry_over(negotiation_id, before, after, changed)


def touch_keeping_gap_histories(negotiation_ids: Iterable[int]) -> None:
    """For changes no gap history shows (rounds, sources, actors' names)."""
    for negotiation_id in {pk for pk in negotiation_ids if pk is not None}:
        touch_and_carry_over(negotiation_id, {})


@receiver(m2m_changed, sender=Round.attendees.through)
def attendees_changed(sender, instance, action: str, **kwargs) -> None:
    if action.startswith("post_") and isinstance(instance, Round):
        touch_keeping_gap_histories([instance.negotiation_id])


@receiver(post_save, sender=Source)
@receiver(post_delete, sender=Source)
def source_changed(sender, instance: Source, raw: bool = False, **kwargs) -> None:
    if raw or kwargs.get("created"):
        return
    citing = (
        Negotiation.objects.filter(issues__positions__source=instance),
        Negotiation.objects.filter(issues__positions__status_source=instance),
        Negotiation.objects.filter(packages__source=instance),
        Negotiation.objects.filter(rounds__source=instance),
    )
    touch_keeping_gap_histories(
        pk for queryset in citing for pk in queryset.values_list("pk", flat=True)
    )


@receiver(post_save, sender=Actor)
def actor_changed(sender, instance: Actor, raw: bool = False, **kwargs) -> None:
    if raw or kwargs.get("created"):
        return
    # Gap histories name actors by participant, and read the names when shown.
    touch_keeping_gap_histories(instance.participations.values_list("negotiation_id", flat=True))


@receiver(user_logged_in)
def remember_sign_in(sender, request, user, **kwargs) -> None:
    """For the absolute session time-out (negotiations.middleware)."""
    from negotiations.middleware import SIGNED_IN_AT

    request.session[SIGNED_IN_AT] = int(time.time())


def editors_are_staff(user) -> None:
    """Editors use the back office, which needs Django's staff flag: keep it in step with the
    Editor group, so that giving someone the role is enough (superusers keep theirs)."""
    from negotiations.roles import EDITOR

    is_editor = user.groups.filter(name=EDITOR).exists()
    staff = is_editor or user.is_superuser
    if user.is_staff != staff:
        user.is_staff = staff
        user.save(update_fields=["is_staff"])


@receiver(m2m_changed, sender=get_user_model().groups.through)
def groups_changed(sender, instance, action: str, reverse: bool, pk_set, **kwargs) -> None:
    if not action.startswith("post_"):
        return
    if reverse:  # group.user_set changed: instance is the group
        for user in get_user_model().objects.filter(pk__in=pk_set or ()):
            editors_are_staff(user)
    else:
        editors_are_staff(instance)
