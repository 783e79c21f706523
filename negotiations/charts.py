"""Geometry for the server-rendered SVG charts; templates only draw what is computed here.

No scripts and no inline styles (the Content Security Policy forbids them): shapes carry classes
for the stylesheet and presentation attributes (fill, stroke) for actor colours.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from negotiations import gaps

RANGE_WIDTH = 250
PLOT_LEFT, PLOT_RIGHT = 10, 176
LABEL_X = 184
LANE_HEIGHT = 13
AXIS_Y = 14


@dataclass(frozen=True)
class Tick:
    x: float
    label: str


@dataclass(frozen=True)
class Mark:
    """One actor's value: a bar from x1 to x2 (equal for a point) on its own lane."""

    y: float
    x1: float
    x2: float
    colour: str
    label: str
    description: str
    open_low: bool = False
    open_high: bool = False
    hollow: bool = False

    @property
    def is_point(self) -> bool:
        return abs(self.x2 - self.x1) < 0.5


@dataclass(frozen=True)
class Band:
    x: float
    width: float
    kind: str  # "gap-band" or "overlap-band"


@dataclass(frozen=True)
class RangeChart:
    width: int
    height: int
    title: str
    description: str
    ticks: tuple[Tick, ...]
    marks: tuple[Mark, ...]
    bands: tuple[Band, ...]
    axis_y: int = AXIS_Y
    plot_left: int = PLOT_LEFT
    plot_right: int = PLOT_RIGHT
    label_x: int = LABEL_X


@dataclass(frozen=True)
class Lane:
    actor: gaps.ActorRef
    colour: str
    position: gaps.PositionFact


def _scale(low: Decimal, high: Decimal):
    span = high - low
    width = PLOT_RIGHT - PLOT_LEFT

    def x(value: Decimal) -> float:
        return round(PLOT_LEFT + float((value - low) / span) * width, 1)

    return x


def _quantity_domain(values: Sequence[gaps.Range]) -> tuple[Decimal, Decimal]:
    ends = [end for value in values for end in value.finite_ends()]
    low, high = min(ends), max(ends)
    if low == high:
        low, high = low - 1, high + 1
    padding = (high - low) * Decimal("0.08")
    lower = low - padding
    if low >= 0:
        lower = max(lower, Decimal(0))  # counts do not go below zero
    return lower, high + padding


def range_chart(
    issue: gaps.IssueFacts, lanes: Sequence[Lane], gap: gaps.IssueGap
) -> RangeChart | None:
    """Every actor's value or range on one axis, with the issue's gap or overlap shaded."""
    lanes = [lane for lane in lanes if lane.position.value is not None]
    if issue.kind == gaps.Kind.TEXT or not lanes:
        return None
    height = AXIS_Y + 6 + LANE_HEIGHT * len(lanes)
    if issue.kind == gaps.Kind.QUANTITY:
        ticks, marks, bands = _quantity_shapes(issue, lanes, gap)
    else:
        labels = ("no", "yes") if issue.kind == gaps.Kind.YES_NO else issue.scale
        ticks, marks = _category_shapes(issue, lanes, labels)
        bands = ()
    described = "; ".join(mark.description for mark in marks)
    return RangeChart(
        RANGE_WIDTH,
        height,
        f"{issue.title}: every actor's position on one axis",
        f"{described}. Gap: {gap.describe()}.",
        ticks,
        marks,
        bands,
    )


def _lane_y(index: int) -> float:
    return float(AXIS_Y + 10 + index * LANE_HEIGHT)


def _describe(issue: gaps.IssueFacts, lane: Lane) -> str:
    return f"{lane.actor.name} {lane.position.stance}: {issue.describe(lane.position.value)}"


def _quantity_shapes(issue, lanes, gap):
    values = [lane.position.value for lane in lanes]
    low, high = _quantity_domain(values)
    x = _scale(low, high)
    ticks = tuple(
        Tick(x(value), gaps.format_number(value))
        for value in sorted(
            {
                min(end for v in values for end in v.finite_ends()),
                max(end for v in values for end in v.finite_ends()),
            }
        )
    )
    marks = []
    for index, lane in enumerate(lanes):
        value = lane.position.value
        marks.append(
            Mark(
                _lane_y(index),
                x(value.low) if value.low is not None else PLOT_LEFT,
                x(value.high) if value.high is not None else PLOT_RIGHT,
                lane.colour,
                lane.actor.name,
                _describe(issue, lane),
                open_low=value.low is None,
                open_high=value.high is None,
                hollow=lane.position.stance == gaps.Stance.REJECTION,
            )
        )
    bands = []
    if gap.widest is not None and isinstance(gap.widest.demand.value, gaps.Range):
        first, second = gap.widest.demand.value, gap.widest.answer.value
        comparison = gap.widest.comparison
        if comparison.overlap is not None:
            start = x(comparison.overlap.low) if comparison.overlap.low is not None else PLOT_LEFT
            end = x(comparison.overlap.high) if comparison.overlap.high is not None else PLOT_RIGHT
            bands.append(Band(start, round(max(end - start, 2.0), 1), "overlap-band"))
        elif isinstance(second, gaps.Range) and comparison.distance:
            lower, upper = (first, second) if _below(first, second) else (second, first)
            start, end = x(lower.high), x(upper.low)
            bands.append(Band(start, round(end - start, 1), "gap-band"))
    return ticks, tuple(marks), tuple(bands)


def _below(first: gaps.Range, second: gaps.Range) -> bool:
    return first.high is not None and second.low is not None and first.high < second.low


def _category_shapes(issue, lanes, labels):
    step = (PLOT_RIGHT - PLOT_LEFT) / max(len(labels) - 1, 1)
    positions = [round(PLOT_LEFT + index * step, 1) for index in range(len(labels))]
    ticks = tuple(Tick(x, label) for x, label in zip(positions, labels, strict=True))
    marks = []
    for index, lane in enumerate(lanes):
        value = lane.position.value
        slot = (1 if value else 0) if issue.kind == gaps.Kind.YES_NO else int(value)
        marks.append(
            Mark(
                _lane_y(index),
                positions[slot],
                positions[slot],
                lane.colour,
                lane.actor.name,
                _describe(issue, lane),
                hollow=lane.position.stance == gaps.Stance.REJECTION,
            )
        )
    return ticks, tuple(marks)


# ---------------------------------------------------------------------------------------------
# The gap over time


HISTORY_WIDTH, HISTORY_HEIGHT = 760, 260
H_LEFT, H_RIGHT, H_TOP, H_BOTTOM = 64, 740, 24, 222
# Beyond this many changes the points would merge into a smear (676 px wide) and weigh down the
# page: the step line still draws every change, and the table under the chart gives the figures.
MARKED_POINTS = 150
OPPOSED_LINE_GAP = 30  # between a quantity's widest distance and its "opposed" line
# Between the axis, where days with too few positions to compare are marked, and the line of no
# gap ("agreed", 0) above it: an unknown gap is not drawn as an agreement.
UNKNOWN_LANE = 16


@dataclass(frozen=True)
class HistoryPoint:
    x: float
    y: float
    state: str
    label: str


def label_anchor_at(x: float) -> str:
    """A label in the chart's right half runs leftwards from `x`, so that it stays inside."""
    return "end" if x > (H_LEFT + H_RIGHT) / 2 else "start"


@dataclass(frozen=True)
class DayMarker:
    """A vertical line at one day: the date of the gap table the reader came from."""

    x: float
    label: str

    @property
    def label_anchor(self) -> str:
        return label_anchor_at(self.x)

    @property
    def label_x(self) -> float:
        return round(self.x - 4, 1) if self.label_anchor == "end" else round(self.x + 4, 1)


@dataclass(frozen=True)
class RoundBand:
    x: float
    width: float
    label: str

    @property
    def label_anchor(self) -> str:
        """A band in the right half is labelled leftwards from its end."""
        return label_anchor_at(self.x)

    @property
    def label_x(self) -> float:
        return round(self.x + self.width, 1) if self.label_anchor == "end" else self.x


@dataclass(frozen=True)
class HistoryChart:
    width: int
    height: int
    title: str
    description: str
    path: str
    points: tuple[HistoryPoint, ...]
    """A marker with a tooltip per change; none when there are more than MARKED_POINTS."""
    x_ticks: tuple[Tick, ...]
    y_ticks: tuple[tuple[float, str], ...]
    rounds: tuple[RoundBand, ...]
    marker: DayMarker | None = None
    agreed_path: str = ""
    """The stretches of the line where the gap is agreed, drawn over it in their own colour."""
    baseline: float = H_BOTTOM
    left: int = H_LEFT
    right: int = H_RIGHT
    top: int = H_TOP


def history_chart(
    issue: gaps.IssueFacts,
    points: Sequence[gaps.DailyGap],
    rounds: Sequence[tuple[dt.date, dt.date | None, str]],
    marked_day: dt.date | None = None,
    today: dt.date | None = None,
    whole_numbers: bool = False,
) -> HistoryChart | None:
    """The gap on each change day as a step line (a gap holds until the next change); with
    `marked_day`, a line at that day, the chart widened to take it in. With `today`, the time
    axis does not run past it by more than a day. With `whole_numbers` (a quantity counted in
    whole numbers), the distance axis is labelled in whole numbers only."""
    if not points:
        return None
    marked = [marked_day] if marked_day is not None else []
    first = min([points[0].day, *(start for start, _, _ in rounds), *marked])
    latest = max([points[-1].day, *(end or start for start, end, _ in rounds), *marked])
    # A margin after the last change, so that the last step is visible; a day at least.
    last = latest + dt.timedelta(days=max(1, (latest - first).days // 20))
    if today is not None:
        last = max(min(last, today), latest + dt.timedelta(days=1))
    until = last
    span_days = max((last - first).days, 1)

    def x(day: dt.date) -> float:
        return round(H_LEFT + (day - first).days / span_days * (H_RIGHT - H_LEFT), 1)

    values = [point.chart_value for point in points]
    quantity = issue.kind == gaps.Kind.QUANTITY and any(point.in_unit for point in points)
    # On a quantity's axis, an outright opposition has no distance in the unit: it gets a line
    # of its own above the widest distance, not its normalised 1 read as "1 hostage apart".
    opposed_apart = [
        quantity and value is not None and not point.in_unit
        for point, value in zip(points, values, strict=True)
    ]
    any_opposed = any(opposed_apart)
    distances = [v for v, opposed in zip(values, opposed_apart, strict=True) if not opposed]
    top_value = max([v for v in distances if v is not None] + [1.0])
    scale_top = H_TOP + OPPOSED_LINE_GAP if any_opposed else H_TOP
    marked = len(points) <= MARKED_POINTS
    unknown_lane = marked and any(value is None for value in values)
    zero = H_BOTTOM - UNKNOWN_LANE if unknown_lane else H_BOTTOM

    def y(value: float) -> float:
        return round(zero - value / top_value * (zero - scale_top), 1)

    chart_points = []
    segments: list[str] = []
    agreed_runs: list[str] = []  # drawn over the line in the colour of agreement
    drawing = False
    ends = [x(point.day) for point in points[1:]] + [x(last)]
    for point, value, opposed, end in zip(points, values, opposed_apart, ends, strict=True):
        px = x(point.day)
        label = f"{point.day:%-d %b %Y}: {point.description}"
        if value is None:
            if marked:
                chart_points.append(HistoryPoint(px, H_BOTTOM, "unknown", label))
            if drawing:  # the gap before held until this day
                segments.append(f"H{px}")
            drawing = False
            continue
        py = float(H_TOP) if opposed else y(value)
        segments.append(f"H{px}V{py}" if drawing else f"M{px},{py}")
        drawing = True
        state = "agreed" if point.state == gaps.GapState.AGREED else "apart"
        if state == "agreed":
            agreed_runs.append(f"M{px},{py}H{end}")
        if marked:
            chart_points.append(HistoryPoint(px, py, state, label))
    if drawing:
        segments.append(f"H{x(last)}")

    if quantity:
        middle = float(int(top_value / 2)) if whole_numbers else top_value / 2
        labelled = [0.0, middle, top_value] if 0 < middle < top_value else [0.0, top_value]
        y_ticks: tuple[tuple[float, str], ...] = tuple(
            (y(value), gaps.format_number(Decimal(str(round(value, 2))))) for value in labelled
        )
        if any_opposed:
            y_ticks += ((float(H_TOP), "opposed"),)
    elif issue.kind == gaps.Kind.YES_NO:  # agreed or opposed, nothing between
        y_ticks = ((y(0.0), "agreed"), (y(1.0), "opposed"))
    else:
        y_ticks = ((y(0.0), "agreed"), (y(0.5), "halfway"), (y(1.0), "opposed"))
    if unknown_lane:
        y_ticks = ((float(H_BOTTOM), "unknown"), *y_ticks)
    x_ticks = _date_ticks(first, last, x)
    # A round covers its last day too: it ends where the next day begins.
    bands = tuple(
        RoundBand(
            x(start),
            round(max(x(end + dt.timedelta(days=1) if end else until) - x(start), 4.0), 1),
            label,
        )
        for start, end, label in rounds
    )
    marker = None
    if marked_day is not None:
        marker = DayMarker(x(marked_day), f"{marked_day:%-d %b %Y}: the table’s date")
    unit = f" ({issue.unit} apart)" if quantity and issue.unit else ""
    return HistoryChart(
        HISTORY_WIDTH,
        HISTORY_HEIGHT,
        f"{issue.title}: the gap over time{unit}",
        f"{len(points)} changes from {points[0].day:%-d %B %Y} to {points[-1].day:%-d %B %Y}; "
        f"latest: {points[-1].description}.",
        "".join(segments),
        tuple(chart_points),
        x_ticks,
        y_ticks,
        bands,
        marker,
        "".join(agreed_runs),
    )


def _date_ticks(first: dt.date, last: dt.date, x) -> tuple[Tick, ...]:
    span = (last - first).days
    if span <= 10:
        days = [first + dt.timedelta(days=offset) for offset in range(span + 1)]
        return tuple(Tick(x(day), f"{day:%-d %b}") for day in days)
    count = 6
    days = [first + dt.timedelta(days=round(span * index / (count - 1))) for index in range(count)]
    label = "%b %Y" if span > 120 else "%-d %b"
    return tuple(Tick(x(day), format(day, label)) for day in days)
