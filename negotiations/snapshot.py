"""The bridge between the database and the gap engine: load rows, hand plain facts to `gaps`.

Every function here runs a fixed number of queries, whatever the length of the history.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from django.db.models import Prefetch

from negotiations import charts, gaps
from negotiations.models import (
    ROLE_ORDER,
    Issue,
    Negotiation,
    Package,
    Participant,
    Position,
    ScaleOption,
)

POSITION_RELATIONS = ("source", "status_source", "package", "value_option")


def issue_facts(issue: Issue) -> gaps.IssueFacts:
    """Needs `issue.options` prefetched for scale issues."""
    return gaps.IssueFacts(
        id=issue.pk,
        title=issue.title,
        kind=gaps.Kind(issue.kind),
        unit=issue.unit,
        unit_singular=issue.unit_singular,
        scale=tuple(option.label for option in issue.options.all()),
    )


def actor_ref(participant: Participant) -> gaps.ActorRef:
    return gaps.ActorRef(participant.pk, participant.actor.short_name, participant.role)


def scale_ranks(issues: Iterable[Issue]) -> dict[int, int]:
    """{option id: its step on the scale, counting from 0}, from prefetched options."""
    return {option.pk: step for issue in issues for step, option in enumerate(issue.options.all())}


def position_value(position: Position, ranks: dict[int, int]) -> gaps.Value:
    if position.value_min is not None or position.value_max is not None:
        return gaps.Range(position.value_min, position.value_max)
    if position.value_bool is not None:
        return position.value_bool
    if position.value_option_id is not None:
        return ranks[position.value_option_id]
    return None


def position_fact(
    position: Position, actors: dict[int, gaps.ActorRef], ranks: dict[int, int]
) -> gaps.PositionFact:
    """Needs `position.source` and `position.package` loaded (select_related)."""
    package = position.package
    return gaps.PositionFact(
        id=position.pk,
        issue_id=position.issue_id,
        actor=actors[position.participant_id],
        stance=gaps.Stance(position.stance),
        value=position_value(position, ranks),
        stated_on=position.stated_on,
        recorded_at=position.recorded_at,
        reported_on=position.source.published_on,
        status=gaps.Status(position.status),
        status_changed_on=position.status_changed_on,
        status_reported_on=(
            position.status_source.published_on if position.status_source_id else None
        ),
        package_id=position.package_id,
        in_conditional_package=bool(package and package.is_conditional),
        summary=position.summary,
    )


def column_order(participants: Iterable[Participant]) -> list[Participant]:
    """Parties first, then mediators, guarantors, stakeholders; within a role, by `order`."""
    return sorted(participants, key=lambda p: (ROLE_ORDER[p.role], p.order, p.pk))


@dataclass(frozen=True)
class Cell:
    participant: Participant
    position: Position | None


@dataclass(frozen=True)
class Row:
    issue: Issue
    cells: tuple[Cell, ...]
    engine_row: gaps.IssueRow

    @property
    def gap(self) -> gaps.IssueGap:
        return self.engine_row.gap

    @property
    def proposals(self) -> tuple[gaps.TermDistance, ...]:
        return self.engine_row.proposals


@dataclass(frozen=True)
class NegotiationTable:
    """The gap table of one negotiation with the rows and positions the pages show."""

    negotiation: Negotiation
    participants: tuple[Participant, ...]
    issues: tuple[Issue, ...]
    rows: tuple[Row, ...]
    engine: gaps.GapTable
    actors: dict[int, gaps.ActorRef]
    ranks: dict[int, int]

    @property
    def as_of(self) -> dt.date:
        return self.engine.as_of

    def rows_in(self, sort: str) -> list[Row]:
        """The rows in the order the table's "sort" control names: "gap" (widest gap first)
        or "order" (the issues' own order)."""
        if sort != "gap":
            return list(self.rows)
        by_issue = {row.issue.pk: row for row in self.rows}
        return [by_issue[engine_row.issue.id] for engine_row in self.engine.sorted_by_gap()]

    @property
    def parties(self) -> list[Participant]:
        return [p for p in self.participants if p.role == "party"]


def load_participants(negotiation: Negotiation | int) -> list[Participant]:
    return column_order(Participant.objects.filter(negotiation=negotiation).select_related("actor"))


def load_issues(negotiation: Negotiation, only: Issue | None = None) -> list[Issue]:
    issues = Issue.objects.filter(negotiation=negotiation)
    if only is not None:
        issues = issues.filter(pk=only.pk)
    return list(
        issues.prefetch_related(Prefetch("options", queryset=ScaleOption.objects.order_by("rank")))
    )


def load_table(
    negotiation: Negotiation,
    as_of: dt.date,
    known_by: dt.date | None = None,
    only: Issue | None = None,
) -> NegotiationTable:
    """The gap table as of a date, in four queries; with `only`, that issue's row alone."""
    participants = load_participants(negotiation)
    issues = load_issues(negotiation, only)
    current = Position.objects.current_as_of(negotiation, as_of, known_by)
    if only is not None:
        current = current.filter(issue=only)
    current = list(current.select_related(*POSITION_RELATIONS))
    return build_table(negotiation, participants, issues, current, as_of, known_by)


def build_table(
    negotiation: Negotiation,
    participants: Sequence[Participant],
    issues: Sequence[Issue],
    current: Sequence[Position],
    as_of: dt.date,
    known_by: dt.date | None = None,
) -> NegotiationTable:
    actors = {participant.pk: actor_ref(participant) for participant in participants}
    ranks = scale_ranks(issues)
    issues_by_id = {issue.pk: issue for issue in issues}
    participants_by_id = {participant.pk: participant for participant in participants}
    for position in current:  # the pages read these relations; spare a query per cell
        position.issue = issues_by_id[position.issue_id]
        position.participant = participants_by_id[position.participant_id]
    facts = {
        (position.issue_id, position.participant_id): position_fact(position, actors, ranks)
        for position in current
    }
    engine = gaps.gap_table(
        [issue_facts(issue) for issue in issues],
        [actors[p.pk] for p in participants],
        facts,
        as_of,
        known_by,
    )
    positions = {(p.issue_id, p.participant_id): p for p in current}
    rows = tuple(
        Row(
            issue,
            tuple(Cell(p, positions.get((issue.pk, p.pk))) for p in participants),
            engine_row,
        )
        for issue, engine_row in zip(issues, engine.rows, strict=True)
    )
    return NegotiationTable(
        negotiation, tuple(participants), tuple(issues), rows, engine, actors, ranks
    )


def why_not_shown(
    saved: Position, shown: Position | None, as_of: dt.date, known_by: dt.date | None
) -> str | None:
    """Why the table as of `as_of` shows `shown` rather than the just-saved position in its
    cell, in words; None when it shows the saved one (docs/gaps.md, rule 1)."""
    if shown is not None and shown.pk == saved.pk:
        return None
    if saved.stated_on > as_of:
        return f"it was stated on {saved.stated_on:%-d %B %Y}, after the table's date"
    if known_by is not None and saved.source.published_on > known_by:
        return (
            f"its source was published on {saved.source.published_on:%-d %B %Y}, and the table "
            "shows only what had been reported by its date"
        )
    if saved.package_id and saved.package.is_conditional:
        return "it is a term of a conditional package, which never replaces a standing position"
    if shown is not None:
        return f"the position stated on {shown.stated_on:%-d %B %Y} is later and stays current"
    return "it does not stand on the table's date"


def load_withdrawn(
    negotiation: Negotiation,
    as_of: dt.date,
    known_by: dt.date | None = None,
    only: Issue | None = None,
) -> dict[tuple[int, int], Position]:
    """The latest denied or retracted claim of each participant on each issue, as of a date
    (with `known_by`, as known on that date); with `only`, on that issue alone."""
    candidates = Position.objects.withdrawn_by(as_of, known_by)
    if only is not None:
        candidates = candidates.filter(issue=only)
    return {
        (position.issue_id, position.participant_id): position
        for position in Position.objects.latest_per_pair(negotiation, candidates).select_related(
            "issue", *POSITION_RELATIONS
        )
    }


@dataclass(frozen=True)
class CellView:
    participant: Participant
    position: Position | None
    withdrawn: Position | None = None


@dataclass(frozen=True)
class ProposalView:
    """A mediator's proposed term and each party's distance from it, in words."""

    proposer: str
    term: str
    parties: tuple[tuple[str, str], ...]

    def __str__(self) -> str:
        """ "Egypt proposes 8 hostages: Israel no position; Hamas 1 hostage apart"."""
        distances = "; ".join(f"{party} {words}" for party, words in self.parties)
        return f"{self.proposer} proposes {self.term}: {distances}"


def proposed_term(issue: gaps.IssueFacts, term: gaps.PositionFact) -> str:
    """A term as "Egypt proposes …" reads it: a number or a step of the scale; for a yes or
    no, the term's own words ("proposes yes" says too little)."""
    if issue.kind in (gaps.Kind.QUANTITY, gaps.Kind.SCALE):
        described = issue.describe(term.value)
        if described:
            return described
    return f"“{term.summary}”"


def proposal_views(issue: gaps.IssueFacts, distances) -> tuple[ProposalView, ...]:
    grouped: dict[int, list[gaps.TermDistance]] = {}
    for distance in distances:
        grouped.setdefault(distance.term.id, []).append(distance)
    return tuple(
        ProposalView(
            group[0].term.actor.name,
            proposed_term(issue, group[0].term),
            tuple((d.party.name, d.describe(issue)) for d in group),
        )
        for group in grouped.values()
    )


@dataclass(frozen=True)
class RowView:
    """One row of the gap table as the page shows it: cells, gap, proposals and chart."""

    issue: Issue
    cells: tuple[CellView, ...]
    gap: gaps.IssueGap
    proposals: tuple[ProposalView, ...]
    chart: charts.RangeChart | None


def row_view(
    table: NegotiationTable, row: Row, withdrawn: dict[tuple[int, int], Position]
) -> RowView:
    lanes = [
        charts.Lane(
            table.actors[cell.participant.pk],
            cell.participant.actor.colour,
            table.engine.current[(row.issue.pk, cell.participant.pk)],
        )
        for cell in row.cells
        if cell.position is not None
    ]
    return RowView(
        row.issue,
        tuple(
            CellView(
                cell.participant, cell.position, withdrawn.get((row.issue.pk, cell.participant.pk))
            )
            for cell in row.cells
        ),
        row.gap,
        proposal_views(row.gap.issue, row.proposals),
        charts.range_chart(row.gap.issue, lanes, row.gap),
    )


def recent_changes(negotiation: Negotiation):
    """Positions of the negotiation, the most recently recorded or changed first."""
    return (
        Position.objects.for_negotiation(negotiation)
        .select_related(
            "participant__actor",
            "issue__negotiation",
            "source",
            "status_source",
            "package",
            "value_option",
        )
        .order_by("-updated_at", "-id")
    )


def load_packages(
    table: NegotiationTable,
) -> list[tuple[Package, list[gaps.PartyAgainstPackage]]]:
    """Every package of the negotiation set against each party's current positions (2 queries)."""
    known_by = table.engine.known_by
    packages = list(
        Package.objects.filter(negotiation=table.negotiation, stated_on__lte=table.as_of)
        .filter(**({"source__published_on__lte": known_by} if known_by else {}))
        .select_related("proposer__actor", "source")
        .prefetch_related(
            Prefetch(
                "positions",
                queryset=Position.objects.select_related(*POSITION_RELATIONS).order_by(
                    "issue__order", "issue_id"
                ),
            )
        )
    )
    issues = {row.issue.pk: row.engine_row.issue for row in table.rows}
    parties = [table.actors[p.pk] for p in table.parties]
    compared = []
    for package in packages:
        facts = gaps.PackageFacts(
            package.pk,
            package.title,
            table.actors[package.proposer_id],
            package.is_conditional,
            tuple(
                position_fact(position, table.actors, table.ranks)
                for position in package.positions.all()
            ),
        )
        compared.append(
            (package, gaps.compare_package(facts, issues, table.engine.current, parties))
        )
    return compared


# What the gap history needs, read without joins (it never applies "as known on").
HISTORY_COLUMNS = (
    "id",
    "participant_id",
    "stance",
    "value_min",
    "value_max",
    "value_bool",
    "value_option_id",
    "stated_on",
    "recorded_at",
    "status",
    "status_changed_on",
)


def history_fact(row: tuple, issue_id: int, actors, ranks) -> gaps.PositionFact:
    """A position fact from bare columns: a long history is read without building models."""
    (
        pk,
        participant_id,
        stance,
        low,
        high,
        flag,
        option_id,
        stated_on,
        recorded_at,
        status,
        status_changed_on,
    ) = row
    if low is not None or high is not None:
        value: gaps.Value = gaps.Range(low, high)
    elif flag is not None:
        value = flag
    elif option_id is not None:
        value = ranks[option_id]
    else:
        value = None
    return gaps.PositionFact(
        id=pk,
        issue_id=issue_id,
        actor=actors[participant_id],
        stance=gaps.Stance(stance),
        value=value,
        stated_on=stated_on,
        recorded_at=recorded_at,
        status=gaps.Status(status),
        status_changed_on=status_changed_on,
    )
