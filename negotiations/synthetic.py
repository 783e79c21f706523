"""Synthetic negotiations of any size, for benchmarks and for tests at two history sizes.

Rows are inserted in bulk (never one save() per row); on PostgreSQL positions go through COPY.
The data is random but reproducible from `seed`, and obeys every rule the database enforces.
"""

from __future__ import annotations

import datetime as dt
import random
import uuid
from dataclasses import dataclass
from decimal import Decimal

from django.db import connection, transaction
from django.utils import timezone

from negotiations.models import (
    Actor,
    Issue,
    IssueKind,
    Negotiation,
    Package,
    Participant,
    Position,
    ScaleOption,
    Source,
)

KINDS = (
    IssueKind.QUANTITY,
    IssueKind.YES_NO,
    IssueKind.SCALE,
    IssueKind.QUANTITY,
    IssueKind.YES_NO,
    IssueKind.TEXT,
)
ROLES = (
    "party",
    "party",
    "mediator",
    "mediator",
    "mediator",
    "stakeholder",
    "stakeholder",
    "guarantor",
)
STANCES = ("demand", "offer", "proposal", "rejection")
BATCH = 20_000
COLUMNS = (
    "uid",
    "issue_id",
    "participant_id",
    "stance",
    "value_min",
    "value_max",
    "value_bool",
    "value_option_id",
    "summary",
    "stated_on",
    "source_id",
    "attribution",
    "credibility",
    "status",
    "status_source_id",
    "status_attribution",
    "status_changed_on",
    "conditions",
    "is_vague",
    "package_id",
    "recorded_by_id",
    "recorded_at",
    "updated_at",
    "version",
)


@dataclass(frozen=True)
class Shape:
    issues: int = 12
    actors: int = 8
    positions: int = 1_000
    days: int = 3 * 365
    sources: int = 0
    """0: one source per 50 positions."""


def build(slug: str, shape: Shape, seed: int = 0, public: bool = True) -> Negotiation:
    """Create a negotiation with `shape.positions` positions spread over `shape.days` days."""
    rng = random.Random(seed)
    last_day = dt.date(2025, 4, 14)
    first_day = last_day - dt.timedelta(days=shape.days - 1)
    with transaction.atomic():
        negotiation = Negotiation.objects.create(
            slug=slug,
            title=f"Synthetic talks {slug}",
            is_public=public,
            summary=f"{shape.positions} synthetic positions.",
        )
        actors = Actor.objects.bulk_create(
            Actor(
                slug=f"{slug}-actor-{index}",
                name=f"Actor {index} of {slug}",
                short_name=f"A{index}",
                kind="state",
                colour=f"#{rng.randrange(0x1000000):06x}",
            )
            for index in range(shape.actors)
        )
        participants = Participant.objects.bulk_create(
            Participant(negotiation=negotiation, actor=actor, role=ROLES[i % len(ROLES)], order=i)
            for i, actor in enumerate(actors)
        )
        issues = Issue.objects.bulk_create(
            Issue(
                negotiation=negotiation,
                slug=f"issue-{i}",
                title=f"Issue {i}",
                order=i,
                kind=KINDS[i % len(KINDS)],
                unit="units" if KINDS[i % len(KINDS)] == IssueKind.QUANTITY else "",
            )
            for i in range(shape.issues)
        )
        options = ScaleOption.objects.bulk_create(
            ScaleOption(issue=issue, rank=rank, key=f"step-{rank}", label=f"step {rank}")
            for issue in issues
            if issue.kind == IssueKind.SCALE
            for rank in range(4)
        )
        options_of = {}
        for option in options:
            options_of.setdefault(option.issue_id, []).append(option.pk)
        source_count = shape.sources or max(1, shape.positions // 50)
        sources = Source.objects.bulk_create(
            Source(
                slug=f"{slug}-source-{i}",
                outlet=f"Outlet {i % 17}",
                headline=f"Report {i}",
                url=f"https://example.org/{slug}/{i}",
                published_on=first_day + dt.timedelta(days=(i * shape.days) // source_count),
                grade="ABCDEF"[i % 6],
            )
            for i in range(source_count)
        )
        rows = _position_rows(rng, shape, participants, issues, options_of, sources, first_day)
        _insert_positions(rows)
        announcement = Source.objects.create(
            slug=f"{slug}-packages",
            outlet="Mediators",
            headline="Packages put forward",
            published_on=last_day,
            grade="B",
        )
        _add_packages(negotiation, participants, issues, options_of, announcement, last_day)
    return negotiation


def _add_packages(negotiation, participants, issues, options_of, source, day) -> None:
    """A mediator's proposal and a party's conditional offer, three terms each."""
    mediator = next((p for p in participants if p.role == "mediator"), participants[0])
    party = participants[0]
    for proposer, is_conditional, stance in ((mediator, False, "proposal"), (party, True, "offer")):
        package = Package.objects.create(
            negotiation=negotiation,
            slug=f"package-{proposer.pk}",
            title=f"Package {proposer.pk}",
            proposer=proposer,
            is_conditional=is_conditional,
            stated_on=day,
            source=source,
        )
        terms = [issue for issue in issues if issue.kind != IssueKind.TEXT][:3]
        Position.objects.bulk_create(
            Position(
                issue=issue,
                participant=proposer,
                stance=stance,
                package=package,
                summary=f"{package.title}: {issue.title}",
                stated_on=day,
                source=source,
                credibility=2,
                value_min=Decimal(10) if issue.kind == IssueKind.QUANTITY else None,
                value_max=Decimal(10) if issue.kind == IssueKind.QUANTITY else None,
                value_bool=True if issue.kind == IssueKind.YES_NO else None,
                value_option_id=options_of[issue.pk][-1] if issue.kind == IssueKind.SCALE else None,
            )
            for issue in terms
        )


def _position_rows(rng, shape, participants, issues, options_of, sources, first_day):
    recorded = timezone.now()
    sources_by_day = sorted((s.published_on, s.pk) for s in sources)
    for index in range(shape.positions):
        source_day, source_id = sources_by_day[rng.randrange(len(sources_by_day))]
        stated_on = source_day - dt.timedelta(days=rng.randrange(3))
        if stated_on < first_day:
            stated_on = source_day
        issue = issues[rng.randrange(len(issues))]
        participant = participants[rng.randrange(len(participants))]
        stance = STANCES[rng.randrange(len(STANCES))]
        low = high = flag = option = None
        if issue.kind == IssueKind.QUANTITY:
            low = Decimal(rng.randrange(0, 60))
            high = low + Decimal(rng.choice((0, 0, 5, 20)))
            if rng.random() < 0.05:
                high = None
        elif issue.kind == IssueKind.YES_NO:
            flag = rng.random() < 0.6
        elif issue.kind == IssueKind.SCALE:
            option = rng.choice(options_of[issue.pk])
        denied = rng.random() < 0.03
        yield (
            uuid.UUID(int=rng.getrandbits(128), version=4),
            issue.pk,
            participant.pk,
            stance,
            low,
            high,
            flag,
            option,
            f"{stance} #{index} on {issue.title}",
            stated_on,
            source_id,
            "synthetic",
            rng.randrange(1, 7),
            "denied" if denied else "reported",
            source_id if denied else None,
            "",
            source_day if denied else None,
            "",
            False,
            None,
            None,
            recorded + dt.timedelta(microseconds=index),
            recorded + dt.timedelta(microseconds=index),
            1,
        )


def _insert_positions(rows) -> None:
    if connection.vendor == "postgresql":
        statement = f"COPY {Position._meta.db_table} ({', '.join(COLUMNS)}) FROM STDIN"
        with connection.cursor() as cursor, cursor.cursor.copy(statement) as copy:
            for row in rows:
                copy.write_row(row)
        return
    batch = []
    for row in rows:
        batch.append(Position(**dict(zip(COLUMNS, row, strict=True))))
        if len(batch) >= BATCH:
            Position.objects.bulk_create(batch)
            batch = []
    Position.objects.bulk_create(batch)
