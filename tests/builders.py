"""Small, explicit object builders for tests (the seed file covers the realistic data)."""

import datetime as dt
from decimal import Decimal

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

DAY = dt.date(2025, 4, 14)


def negotiation(slug: str = "talks", public: bool = True, **fields) -> Negotiation:
    return Negotiation.objects.create(
        slug=slug, title=fields.pop("title", slug.title()), is_public=public, **fields
    )


def participant(
    negotiation: Negotiation, slug: str, role: str = "party", **actor_fields
) -> Participant:
    actor, _ = Actor.objects.get_or_create(
        slug=slug,
        defaults={
            "name": actor_fields.pop("name", slug.title()),
            "short_name": actor_fields.pop("short_name", slug.title()[:20]),
            "kind": actor_fields.pop("kind", "state"),
            **actor_fields,
        },
    )
    return Participant.objects.create(negotiation=negotiation, actor=actor, role=role)


def issue(negotiation: Negotiation, slug: str, kind: str = "quantity", **fields) -> Issue:
    if kind == "quantity":
        fields.setdefault("unit", "hostages")
        fields.setdefault("unit_singular", "hostage")
    options = fields.pop("options", ())
    made = Issue.objects.create(
        negotiation=negotiation,
        slug=slug,
        title=fields.pop("title", slug.title()),
        kind=kind,
        order=fields.pop("order", Issue.objects.filter(negotiation=negotiation).count()),
        **fields,
    )
    for rank, key in enumerate(options):
        ScaleOption.objects.create(issue=made, rank=rank, key=key, label=key)
    return made


def source(slug: str = "report", published_on: dt.date = DAY, **fields) -> Source:
    return Source.objects.create(
        slug=slug,
        outlet=fields.pop("outlet", "Wire"),
        headline=fields.pop("headline", "A report"),
        published_on=published_on,
        grade=fields.pop("grade", "B"),
        **fields,
    )


def position(
    participant: Participant,
    issue: Issue,
    source: Source,
    stance: str = "offer",
    *,
    stated_on: dt.date = DAY,
    amount: int | None = None,
    low: int | None = None,
    high: int | None = None,
    yes: bool | None = None,
    option: str | None = None,
    **fields,
) -> Position:
    if amount is not None:
        low = high = amount
    return Position.objects.create(
        participant=participant,
        issue=issue,
        source=source,
        stance=stance,
        stated_on=stated_on,
        value_min=Decimal(low) if low is not None else None,
        value_max=Decimal(high) if high is not None else None,
        value_bool=yes,
        value_option=issue.options.get(key=option) if option else None,
        summary=fields.pop("summary", f"{participant.actor.short_name} {stance}"),
        credibility=fields.pop("credibility", 2),
        **fields,
    )


def package(negotiation: Negotiation, proposer: Participant, source: Source, **fields) -> Package:
    return Package.objects.create(
        negotiation=negotiation,
        proposer=proposer,
        source=source,
        slug=fields.pop("slug", "deal"),
        title=fields.pop("title", "Deal"),
        stated_on=fields.pop("stated_on", DAY),
        **fields,
    )


def round_of(negotiation: Negotiation, slug: str = "cairo", **fields) -> Round:
    return Round.objects.create(
        negotiation=negotiation,
        slug=slug,
        title=fields.pop("title", slug.title()),
        location=fields.pop("location", "Cairo"),
        started_on=fields.pop("started_on", DAY),
        **fields,
    )


def copy_of(position: Position, **changes) -> Position:
    """A second position with `position`'s fields (a new id), `changes` aside: stored as is, no
    check on the way, as a shell or another path could."""
    fields = {
        field.attname: getattr(position, field.attname)
        for field in Position._meta.concrete_fields
        if field.attname not in ("id", "uid")
    }
    return Position.objects.create(**(fields | changes))
