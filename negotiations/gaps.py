"""The gap engine: how far apart the parties are on each issue, as of a date.

Pure Python over plain dataclasses: no Django, no database, no HTTP. The rules, with worked
examples from the seed data, are in docs/gaps.md; each rule has a test in tests/test_gaps.py.

Vocabulary
- A *position* is what one actor holds on one issue: a stance (demand, offer, proposal,
  rejection) and a value fitting the issue's kind.
- An actor's *current position* on an issue, as of a date, is its latest standing position.
- A *demand* is *answered* by another actor's offer or rejection on the same issue; the gap is
  measured between each demand and each answer, and the issue's gap is the widest of these.
- *Proposals* are mediators' bridging terms; each party's distance from each proposal is reported
  separately.
"""

from __future__ import annotations

import datetime as dt
from bisect import bisect_right
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum


class Kind(StrEnum):
    QUANTITY = "quantity"
    YES_NO = "yes_no"
    SCALE = "scale"
    TEXT = "text"


class Stance(StrEnum):
    DEMAND = "demand"
    OFFER = "offer"
    PROPOSAL = "proposal"
    REJECTION = "rejection"


class Status(StrEnum):
    REPORTED = "reported"
    CONFIRMED = "confirmed"
    DENIED = "denied"
    RETRACTED = "retracted"


WITHDRAWN = frozenset({Status.DENIED, Status.RETRACTED})


class GapState(StrEnum):
    AGREED = "agreed"
    APART = "apart"
    NOT_ENOUGH = "not_enough"
    NOT_COMPUTED = "not_computed"


# ---------------------------------------------------------------------------------------------
# Quantities


def format_number(amount: Decimal) -> str:
    """A quantity without trailing zeros or exponent: Decimal("9.00") → "9", "40.50" → "40.5"."""
    text = format(amount.normalize(), "f")
    return "0" if text in {"-0", ""} else text


def unit_for(amount: Decimal, unit: str, unit_singular: str = "") -> str:
    """The unit that reads right after `amount`: 1 hostage, 2 hostages."""
    if amount == 1 and unit_singular:
        return unit_singular
    return unit


def _with_unit(amount: Decimal, unit: str, unit_singular: str) -> str:
    text = format_number(amount)
    word = unit_for(amount, unit, unit_singular)
    if not word:
        return text
    return f"{text}{word}" if word == "%" else f"{text} {word}"


@dataclass(frozen=True)
class Range:
    """A quantity or a range of quantities; either end may be open (None).

    >>> Range(Decimal(9), Decimal(9)).distance_to(Range(Decimal(11), Decimal(11)))
    Decimal('2')
    >>> Range(Decimal(40), Decimal(70)).overlap(Range(Decimal(20), Decimal(60)))
    Range(low=Decimal('40'), high=Decimal('60'))
    """

    low: Decimal | None
    high: Decimal | None

    def __post_init__(self) -> None:
        if self.low is None and self.high is None:
            raise ValueError("A range needs at least one end.")
        if self.low is not None and self.high is not None and self.low > self.high:
            raise ValueError(f"Range {self.low}–{self.high}: the lower end is above the upper end.")

    @classmethod
    def exactly(cls, amount: Decimal | int | str) -> Range:
        value = Decimal(amount)
        return cls(value, value)

    @property
    def is_exact(self) -> bool:
        return self.low is not None and self.low == self.high

    def distance_to(self, other: Range) -> Decimal:
        """How far apart two ranges are; zero when they meet."""
        if self.high is not None and other.low is not None and other.low > self.high:
            return other.low - self.high
        if other.high is not None and self.low is not None and self.low > other.high:
            return self.low - other.high
        return Decimal(0)

    def overlap(self, other: Range) -> Range | None:
        """Where two ranges meet (the zone of possible agreement), or None."""
        if self.distance_to(other) > 0:
            return None
        lows = [end for end in (self.low, other.low) if end is not None]
        highs = [end for end in (self.high, other.high) if end is not None]
        low = max(lows) if lows else None
        high = min(highs) if highs else None
        if low is not None and high is not None and low > high:
            return None
        return Range(low, high)

    def finite_ends(self) -> list[Decimal]:
        return [end for end in (self.low, self.high) if end is not None]

    def describe(self, unit: str = "", unit_singular: str = "") -> str:
        """ "9 hostages", "40–70 days", "at least 11 hostages", "at most 5%"."""
        if self.is_exact:
            assert self.low is not None
            return _with_unit(self.low, unit, unit_singular)
        if self.low is not None and self.high is not None:  # a range reads plural: 0–1 hostages
            return f"{format_number(self.low)}–{_with_unit(self.high, unit, '')}"
        if self.low is not None:
            return f"at least {_with_unit(self.low, unit, unit_singular)}"
        assert self.high is not None
        return f"at most {_with_unit(self.high, unit, unit_singular)}"


def describe_range(
    low: Decimal | None, high: Decimal | None, unit: str = "", unit_singular: str = ""
) -> str:
    return Range(low, high).describe(unit, unit_singular)


# ---------------------------------------------------------------------------------------------
# Inputs

# A position's value: a Range (quantity), a bool (yes/no), an int rank (scale), None (text).
Value = Range | bool | int | None


@dataclass(frozen=True)
class IssueFacts:
    id: int
    title: str
    kind: Kind
    unit: str = ""
    unit_singular: str = ""
    scale: tuple[str, ...] = ()
    """The scale's option labels, lowest rank first."""

    def describe(self, value: Value) -> str:
        if self.kind == Kind.QUANTITY and isinstance(value, Range):
            return value.describe(self.unit, self.unit_singular)
        if self.kind == Kind.YES_NO and isinstance(value, bool):
            return "yes" if value else "no"
        if self.kind == Kind.SCALE and isinstance(value, int) and not isinstance(value, bool):
            return self.scale[value] if 0 <= value < len(self.scale) else f"option {value}"
        return ""

    def amount(self, amount: Decimal) -> str:
        return _with_unit(amount, self.unit, self.unit_singular)


@dataclass(frozen=True)
class ActorRef:
    """An actor in the role it has in this negotiation (a participant)."""

    id: int
    name: str
    role: str = "party"

    @property
    def is_party(self) -> bool:
        return self.role == "party"


@dataclass(frozen=True)
class PositionFact:
    id: int
    issue_id: int
    actor: ActorRef
    stance: Stance
    value: Value
    stated_on: dt.date
    recorded_at: dt.datetime
    reported_on: dt.date | None = None
    """When it became known: the source's publication date."""
    status: Status = Status.REPORTED
    status_changed_on: dt.date | None = None
    status_reported_on: dt.date | None = None
    """When the confirmation, denial or retraction became known: its source's date."""
    package_id: int | None = None
    in_conditional_package: bool = False
    summary: str = ""

    def is_withdrawn_by(self, day: dt.date, known_by: dt.date | None = None) -> bool:
        """Denied or retracted by `day` (and, with `known_by`, reported so by then)."""
        if self.status not in WITHDRAWN or self.status_changed_on is None:
            return False
        if self.status_changed_on > day:
            return False
        return known_by is None or (
            self.status_reported_on is not None and self.status_reported_on <= known_by
        )

    def stands_on(self, as_of: dt.date, known_by: dt.date | None = None) -> bool:
        """Whether this position can be its actor's current one on `as_of`."""
        if (
            self.stated_on > as_of
            or self.is_withdrawn_by(as_of, known_by)
            or self.in_conditional_package
        ):
            return False
        return known_by is None or (self.reported_on is not None and self.reported_on <= known_by)

    @property
    def recency(self) -> tuple[dt.date, dt.datetime, int]:
        """Orders an actor's positions: stated date, then when recorded, then id."""
        return (self.stated_on, self.recorded_at, self.id)


# ---------------------------------------------------------------------------------------------
# Current positions


def current_positions(
    positions: Iterable[PositionFact], as_of: dt.date, known_by: dt.date | None = None
) -> dict[tuple[int, int], PositionFact]:
    """Each actor's current position per issue: {(issue_id, actor_id): position}.

    The latest standing position by stated date (ties: the latest recorded). Denied and retracted
    positions stop standing from the date of the denial; terms of a conditional package never
    stand on their own.

    >>> day = dt.date(2025, 4, 14); hamas = ActorRef(2, "Hamas")
    >>> at = dt.datetime(2025, 4, 14)
    >>> nine = PositionFact(1, 7, hamas, Stance.OFFER, Range.exactly(9), day, at)
    >>> current_positions([nine], as_of=day)[(7, 2)].value
    Range(low=Decimal('9'), high=Decimal('9'))
    """
    current: dict[tuple[int, int], PositionFact] = {}
    for position in positions:
        if not position.stands_on(as_of, known_by):
            continue
        key = (position.issue_id, position.actor.id)
        held = current.get(key)
        if held is None or position.recency > held.recency:
            current[key] = position
    return current


# ---------------------------------------------------------------------------------------------
# Comparing two positions


@dataclass(frozen=True)
class Comparison:
    """How far one position is from another on the same issue."""

    state: GapState
    distance: Decimal | int | None = None
    """Quantity: in the issue's unit. Scale: in steps. Yes/no and 'opposed': None."""
    normalised: float | None = None
    """0 (agreed) to 1 (as far apart as can be); None when it cannot be computed."""
    overlap: Range | None = None
    opposed: bool = False


_UNKNOWN = Comparison(GapState.NOT_ENOUGH)
_AGREED = Comparison(GapState.AGREED, normalised=0.0)
_OPPOSED = Comparison(GapState.APART, normalised=1.0, opposed=True)


def compare(issue: IssueFacts, held: PositionFact, other: PositionFact) -> Comparison:
    """The distance between two positions, reading a rejection as refusing its value.

    A rejection answers a term only where it refuses that term (a rejected range that meets it,
    the same yes/no, the same scale step): then the two are *opposed*. Two rejections say
    nothing about each other.
    """
    if issue.kind == Kind.TEXT or held.value is None or other.value is None:
        return Comparison(GapState.NOT_COMPUTED)
    held_rejects = held.stance == Stance.REJECTION
    other_rejects = other.stance == Stance.REJECTION
    if held_rejects and other_rejects:
        return _UNKNOWN
    if held_rejects or other_rejects:
        rejection, term = (held, other) if held_rejects else (other, held)
        return _OPPOSED if _refuses(issue, rejection.value, term.value) else _UNKNOWN
    return _compare_values(issue, held.value, other.value)


def _refuses(issue: IssueFacts, refused: Value, term: Value) -> bool:
    if issue.kind == Kind.QUANTITY and isinstance(refused, Range) and isinstance(term, Range):
        return refused.overlap(term) is not None
    return refused == term


def _compare_values(issue: IssueFacts, first: Value, second: Value) -> Comparison:
    if issue.kind == Kind.QUANTITY and isinstance(first, Range) and isinstance(second, Range):
        distance = first.distance_to(second)
        if distance == 0:
            return Comparison(GapState.AGREED, Decimal(0), 0.0, overlap=first.overlap(second))
        largest = max(first.finite_ends() + second.finite_ends())
        return Comparison(GapState.APART, distance, float(distance / largest))
    if issue.kind == Kind.YES_NO:
        return _AGREED if first == second else _OPPOSED
    if issue.kind == Kind.SCALE and isinstance(first, int) and isinstance(second, int):
        steps = abs(first - second)
        if steps == 0:
            return Comparison(GapState.AGREED, 0, 0.0)
        span = max(len(issue.scale) - 1, 1)
        return Comparison(GapState.APART, steps, min(steps / span, 1.0))
    return Comparison(GapState.NOT_COMPUTED)


# ---------------------------------------------------------------------------------------------
# The gap on one issue


@dataclass(frozen=True)
class Pairing:
    """A demand, the position that answers it, and how far apart they are."""

    demand: PositionFact
    answer: PositionFact
    comparison: Comparison


@dataclass(frozen=True)
class IssueGap:
    issue: IssueFacts
    state: GapState
    widest: Pairing | None = None
    pairings: tuple[Pairing, ...] = ()
    unanswered: tuple[PositionFact, ...] = ()
    """Demands that nobody has answered yet."""

    @property
    def normalised(self) -> float | None:
        return self.widest.comparison.normalised if self.widest else None

    @property
    def distance(self) -> Decimal | int | None:
        return self.widest.comparison.distance if self.widest else None

    @property
    def overlap(self) -> Range | None:
        return self.widest.comparison.overlap if self.widest else None

    @property
    def between(self) -> tuple[ActorRef, ActorRef] | None:
        if self.widest is None:
            return None
        return (self.widest.demand.actor, self.widest.answer.actor)

    def describe(self) -> str:
        """The gap in words: "2 hostages apart", "overlap: 40–60 days", "opposed", "agreed"."""
        if self.state == GapState.NOT_COMPUTED:
            return "no gap computed"
        if self.state == GapState.NOT_ENOUGH or self.widest is None:
            return "not enough positions"
        return describe_comparison(self.issue, self.widest.comparison)


def describe_comparison(issue: IssueFacts, comparison: Comparison) -> str:
    if comparison.state == GapState.NOT_COMPUTED:
        return "no gap computed"
    if comparison.state == GapState.NOT_ENOUGH:
        return "not enough positions"
    if comparison.opposed:
        return "opposed"
    if comparison.state == GapState.AGREED:
        overlap = comparison.overlap
        if overlap is not None and not overlap.is_exact:
            return f"overlap: {overlap.describe(issue.unit, issue.unit_singular)}"
        if overlap is not None:
            return f"agreed: {overlap.describe(issue.unit, issue.unit_singular)}"
        return "agreed"
    if issue.kind == Kind.QUANTITY and isinstance(comparison.distance, Decimal):
        return f"{issue.amount(comparison.distance)} apart"
    if issue.kind == Kind.SCALE and isinstance(comparison.distance, int):
        return f"{comparison.distance} step{'s' if comparison.distance != 1 else ''} apart"
    return "apart"


def _width(pairing: Pairing) -> tuple[float, Decimal | int]:
    comparison = pairing.comparison
    return (comparison.normalised or 0.0, comparison.distance or 0)


def issue_gap(
    issue: IssueFacts,
    current: Iterable[PositionFact],
    comparisons: dict[tuple[int, int], Comparison] | None = None,
) -> IssueGap:
    """The gap on one issue between the current demands and the offers or rejections answering
    them, whoever holds them (a mediator pressing a demand counts).

    The issue's gap is the widest pairing by normalised gap, then by distance in the unit or
    steps; between pairings equal in both, the one whose demander was added to the negotiation
    first, then whose answerer was (docs/gaps.md, rule 2). "Not enough positions" when nobody
    demands anything or no demand has an answer yet. `comparisons` remembers pairs already
    compared (by position ids) across calls: a history compares the same pairs day after day.

    >>> issue = IssueFacts(1, "Living hostages released", Kind.QUANTITY, "hostages", "hostage")
    >>> day, at = dt.date(2025, 4, 14), dt.datetime(2025, 4, 14)
    >>> us, hamas = ActorRef(1, "United States", "mediator"), ActorRef(2, "Hamas")
    >>> gap = issue_gap(issue, [
    ...     PositionFact(1, 1, us, Stance.DEMAND, Range.exactly(11), day, at),
    ...     PositionFact(2, 1, hamas, Stance.OFFER, Range.exactly(9), day, at),
    ... ])
    >>> gap.describe(), [actor.name for actor in gap.between]
    ('2 hostages apart', ['United States', 'Hamas'])
    """
    if issue.kind == Kind.TEXT:
        return IssueGap(issue, GapState.NOT_COMPUTED)
    # Sorted, so that ties name the same pair whatever order the positions came in.
    positions = sorted(
        (position for position in current if position.issue_id == issue.id),
        key=lambda position: (position.actor.id, position.id),
    )
    demands = [p for p in positions if p.stance == Stance.DEMAND]
    answers = [p for p in positions if p.stance in (Stance.OFFER, Stance.REJECTION)]
    pairings: list[Pairing] = []
    unanswered: list[PositionFact] = []
    for demand in demands:
        answered = False
        for answer in answers:
            if answer.actor.id == demand.actor.id:
                continue
            if comparisons is None:
                comparison = compare(issue, demand, answer)
            else:
                key = (demand.id, answer.id)
                comparison = comparisons.get(key)
                if comparison is None:
                    comparison = comparisons[key] = compare(issue, demand, answer)
            if comparison.state in (GapState.AGREED, GapState.APART):
                pairings.append(Pairing(demand, answer, comparison))
                answered = True
        if not answered:
            unanswered.append(demand)
    if not pairings:
        return IssueGap(issue, GapState.NOT_ENOUGH, unanswered=tuple(unanswered))
    widest = pairings[0]
    for pairing in pairings[1:]:
        if _width(pairing) > _width(widest):
            widest = pairing
    state = GapState.AGREED if widest.comparison.state == GapState.AGREED else GapState.APART
    return IssueGap(issue, state, widest, tuple(pairings), tuple(unanswered))


# ---------------------------------------------------------------------------------------------
# Proposals and packages


@dataclass(frozen=True)
class TermDistance:
    """One party's current position set against one proposed term."""

    term: PositionFact
    party: ActorRef
    held: PositionFact | None
    comparison: Comparison

    def describe(self, issue: IssueFacts) -> str:
        if self.held is None:
            return "no position"
        if self.comparison.state == GapState.NOT_ENOUGH:
            return "not comparable"  # e.g. it rejects some other term
        return describe_comparison(issue, self.comparison)


def distance_from_term(
    issue: IssueFacts, term: PositionFact, party: ActorRef, held: PositionFact | None
) -> TermDistance:
    """How far `party`'s current position `held` is from a proposed `term`."""
    if held is None:
        return TermDistance(term, party, None, _UNKNOWN)
    return TermDistance(term, party, held, compare(issue, term, held))


def proposal_distances(
    issue: IssueFacts, current: Iterable[PositionFact], parties: Sequence[ActorRef]
) -> list[TermDistance]:
    """Each party's distance from each current proposal on the issue (mediators' bridging
    terms), parties with no position included as "no position"."""
    positions = [position for position in current if position.issue_id == issue.id]
    by_actor = {position.actor.id: position for position in positions}
    proposals = [position for position in positions if position.stance == Stance.PROPOSAL]
    return [
        distance_from_term(issue, proposal, party, by_actor.get(party.id))
        for proposal in proposals
        for party in parties
        if party.id != proposal.actor.id
    ]


@dataclass(frozen=True)
class PackageFacts:
    id: int
    title: str
    proposer: ActorRef
    is_conditional: bool
    terms: tuple[PositionFact, ...]


@dataclass(frozen=True)
class PartyAgainstPackage:
    party: ActorRef
    terms: tuple[TermDistance, ...]

    @property
    def agreed(self) -> int:
        return sum(1 for t in self.terms if t.comparison.state == GapState.AGREED)

    @property
    def apart(self) -> int:
        return sum(1 for t in self.terms if t.comparison.state == GapState.APART)

    @property
    def unknown(self) -> int:
        return len(self.terms) - self.agreed - self.apart

    @property
    def mean_normalised(self) -> float | None:
        known = [t.comparison.normalised for t in self.terms if t.comparison.normalised is not None]
        return sum(known) / len(known) if known else None


def compare_package(
    package: PackageFacts,
    issues: Mapping[int, IssueFacts],
    current: Mapping[tuple[int, int], PositionFact],
    parties: Sequence[ActorRef],
) -> list[PartyAgainstPackage]:
    """A package set whole against each party's current positions (its proposer excluded)."""
    return [
        PartyAgainstPackage(
            party,
            tuple(
                distance_from_term(
                    issues[term.issue_id], term, party, current.get((term.issue_id, party.id))
                )
                for term in package.terms
            ),
        )
        for party in parties
        if party.id != package.proposer.id
    ]


# ---------------------------------------------------------------------------------------------
# History


@dataclass(frozen=True)
class GapPoint:
    day: dt.date
    gap: IssueGap


def change_days(positions: Iterable[PositionFact]) -> list[dt.date]:
    """Every day on which some position began or stopped standing."""
    days: set[dt.date] = set()
    for position in positions:
        if position.in_conditional_package:
            continue
        days.add(position.stated_on)
        if position.status in WITHDRAWN and position.status_changed_on is not None:
            days.add(position.status_changed_on)
    return sorted(days)


def gap_history(
    issue: IssueFacts, positions: Iterable[PositionFact], since: dt.date | None = None
) -> list[GapPoint]:
    """The issue's gap on every day a position on it changed, oldest first (from `since` on).

    Sweeps the days once, keeping each actor's positions sorted by recency; on each day an actor's
    current position is its latest stated so far that has not been withdrawn by then. With
    `since`, `positions` need only hold those that can stand on a day from then on.
    """
    on_issue = [p for p in positions if p.issue_id == issue.id and not p.in_conditional_package]
    by_actor: dict[int, list[PositionFact]] = defaultdict(list)
    for position in on_issue:
        by_actor[position.actor.id].append(position)
    for held in by_actor.values():
        held.sort(key=lambda p: p.recency)
    stated_days = {actor: [p.stated_on for p in held] for actor, held in by_actor.items()}

    history: list[GapPoint] = []
    comparisons: dict[tuple[int, int], Comparison] = {}
    for day in change_days(on_issue):
        if since is not None and day < since:
            continue
        current: list[PositionFact] = []
        for actor_id, held in by_actor.items():
            index = bisect_right(stated_days[actor_id], day) - 1
            while index >= 0 and held[index].is_withdrawn_by(day):
                index -= 1
            if index >= 0:
                current.append(held[index])
        history.append(GapPoint(day, issue_gap(issue, current, comparisons)))
    return history


@dataclass(frozen=True)
class DailyGap:
    """What the issue page shows of the gap on one change day; stored as positions change."""

    day: dt.date
    state: GapState
    description: str
    distance: Decimal | int | None
    normalised: float | None
    between: tuple[int, int] | None
    """The actor ids of the widest pairing: demand, then answer."""
    chart_value: float | None
    """Quantities chart their distance in the unit, other kinds the normalised gap; None when
    there is no gap to chart."""
    in_unit: bool
    """Measured in the issue's unit (a quantity not opposed outright)."""


def daily_gap(point: GapPoint) -> DailyGap:
    gap = point.gap
    in_unit = (
        gap.issue.kind == Kind.QUANTITY
        and gap.widest is not None
        and not gap.widest.comparison.opposed
    )
    if gap.state not in (GapState.AGREED, GapState.APART):
        chart_value = None
    elif in_unit:
        chart_value = float(gap.distance or 0)
    else:
        chart_value = gap.normalised or 0.0
    between = gap.between
    return DailyGap(
        point.day,
        gap.state,
        gap.describe(),
        gap.distance,
        gap.normalised,
        (between[0].id, between[1].id) if between else None,
        chart_value,
        in_unit,
    )


# ---------------------------------------------------------------------------------------------
# The whole table


@dataclass(frozen=True)
class IssueRow:
    issue: IssueFacts
    cells: tuple[PositionFact | None, ...]
    """The current position of each column's actor, in column order."""
    gap: IssueGap
    proposals: tuple[TermDistance, ...]


@dataclass(frozen=True)
class GapTable:
    as_of: dt.date
    known_by: dt.date | None
    actors: tuple[ActorRef, ...]
    rows: tuple[IssueRow, ...]
    current: Mapping[tuple[int, int], PositionFact] = field(repr=False)

    def count(self, state: GapState) -> int:
        return sum(1 for row in self.rows if row.gap.state == state)

    @property
    def agreed(self) -> int:
        return self.count(GapState.AGREED)

    @property
    def apart(self) -> int:
        return self.count(GapState.APART)

    @property
    def unknown(self) -> int:
        return len(self.rows) - self.agreed - self.apart

    @property
    def latest_statement(self) -> dt.date | None:
        """The most recent stated date among the current positions."""
        return max((p.stated_on for p in self.current.values()), default=None)

    @property
    def widest(self) -> IssueRow | None:
        apart = [row for row in self.rows if row.gap.state == GapState.APART]
        return max(apart, key=lambda row: row.gap.normalised or 0.0, default=None)

    def sorted_by_gap(self) -> list[IssueRow]:
        """Widest normalised gap first; issues with no computable gap last, in issue order."""
        return sorted(
            self.rows,
            key=lambda row: (row.gap.normalised is None, -(row.gap.normalised or 0.0)),
        )


def gap_table(
    issues: Sequence[IssueFacts],
    actors: Sequence[ActorRef],
    current: Mapping[tuple[int, int], PositionFact],
    as_of: dt.date,
    known_by: dt.date | None = None,
) -> GapTable:
    """The gap table: one row per issue (in the order given), one column per actor."""
    parties = [actor for actor in actors if actor.is_party]
    rows = []
    for issue in issues:
        cells = tuple(current.get((issue.id, actor.id)) for actor in actors)
        held = [cell for cell in cells if cell is not None]
        rows.append(
            IssueRow(
                issue,
                cells,
                issue_gap(issue, held),
                tuple(proposal_distances(issue, held, parties)),
            )
        )
    return GapTable(as_of, known_by, tuple(actors), tuple(rows), current)
