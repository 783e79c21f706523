"""The gap-over-time chart's geometry, on plain data."""

import datetime as dt

from negotiations import charts, gaps
from negotiations.gaps import Stance
from tests.test_gaps import (
    END_OF_WAR,
    HAMAS,
    HOSTAGES,
    ISRAEL,
    WITHDRAWAL,
    between,
    exactly,
    position,
)

START = dt.date(2025, 1, 1)


def daily(facts) -> list[gaps.DailyGap]:
    return [gaps.daily_gap(point) for point in gaps.gap_history(HOSTAGES, facts)]


def history(days: int) -> list[gaps.DailyGap]:
    """Israel demands 10 throughout; Hamas offers 1, 2, 3… one more each day."""
    facts = [position(ISRAEL, HOSTAGES, Stance.DEMAND, exactly(10), START)]
    facts += [
        position(HAMAS, HOSTAGES, Stance.OFFER, exactly(1 + day % 9), START + dt.timedelta(day))
        for day in range(days)
    ]
    return daily(facts)


def test_the_line_steps_from_change_to_change_and_holds_after_the_last():
    points = history(3)  # gaps of 9, 8 and 7 hostages on 1, 2 and 3 January
    chart = charts.history_chart(HOSTAGES, points, [])
    # x: 1 Jan at the left edge, a day's margin after 3 January at the right edge; y: the
    # widest gap (9) at the top, a gap of 8 at 222 - 8/9 × 198 = 46.
    assert chart.path == "M64.0,24.0H289.3V46.0H514.7V68.0H740.0"
    assert [(point.x, point.y, point.state) for point in chart.points] == [
        (64.0, 24.0, "apart"),
        (289.3, 46.0, "apart"),
        (514.7, 68.0, "apart"),
    ]
    assert chart.points[0].label == "1 Jan 2025: 9 hostages apart"


def test_coordinates_are_rounded_for_the_template():
    chart = charts.history_chart(HOSTAGES, history(7), [(START, START + dt.timedelta(3), "Cairo")])
    numbers = [p.x for p in chart.points] + [p.y for p in chart.points]
    numbers += [tick.x for tick in chart.x_ticks] + [y for y, _ in chart.y_ticks]
    numbers += [chart.rounds[0].x, chart.rounds[0].width]
    assert all(number == round(number, 1) for number in numbers)


def test_every_change_is_marked_up_to_the_limit():
    chart = charts.history_chart(HOSTAGES, history(charts.MARKED_POINTS), [])
    assert len(chart.points) == charts.MARKED_POINTS


def test_a_long_history_is_drawn_as_a_line_without_markers():
    points = history(charts.MARKED_POINTS + 1)
    chart = charts.history_chart(HOSTAGES, points, [])
    assert chart.points == ()
    assert chart.path.count("V") == len(points) - 1  # the line still steps at every change
    assert f"{len(points)} changes" in chart.description


def test_days_without_a_gap_break_the_line():
    facts = [
        position(ISRAEL, HOSTAGES, Stance.DEMAND, exactly(10), START),
        position(HAMAS, HOSTAGES, Stance.OFFER, exactly(4), START + dt.timedelta(1)),
        position(HAMAS, HOSTAGES, Stance.OFFER, exactly(6), START + dt.timedelta(2)),
    ]
    chart = charts.history_chart(HOSTAGES, daily(facts), [])
    assert [point.state for point in chart.points] == ["unknown", "apart", "apart"]
    assert chart.points[0].y == charts.H_BOTTOM
    assert chart.path.startswith("M")  # the line starts at the first computed gap
    assert chart.path.count("M") == 1


def test_a_gap_holds_until_the_day_it_is_lost():
    """A gap followed by a day without one is drawn up to that day, not as a bare point."""
    facts = [
        position(ISRAEL, HOSTAGES, Stance.DEMAND, exactly(10), START),
        position(
            HAMAS, HOSTAGES, Stance.OFFER, exactly(5), START,
            status=gaps.Status.RETRACTED, status_changed_on=START + dt.timedelta(4),
        ),
        position(HAMAS, HOSTAGES, Stance.OFFER, exactly(8), START + dt.timedelta(8)),
    ]  # fmt: skip
    points = daily(facts)
    assert [point.description for point in points] == [
        "5 hostages apart",
        "not enough positions",
        "2 hostages apart",
    ]
    chart = charts.history_chart(HOSTAGES, points, [])
    lost = chart.points[1].x
    assert chart.path.startswith(f"M{charts.H_LEFT:.1f},{charts.H_TOP:.1f}H{lost}M")


def test_an_outright_opposition_on_a_quantity_is_drawn_above_every_distance():
    """Opposed has no distance in hostages: it is not drawn as one hostage apart."""
    facts = [
        position(ISRAEL, HOSTAGES, Stance.DEMAND, exactly(10), START),
        position(HAMAS, HOSTAGES, Stance.OFFER, exactly(1), START),
        position(HAMAS, HOSTAGES, Stance.OFFER, exactly(9), START + dt.timedelta(1)),
        position(HAMAS, HOSTAGES, Stance.REJECTION, exactly(10), START + dt.timedelta(2)),
    ]
    points = daily(facts)
    assert [point.description for point in points] == [
        "9 hostages apart",
        "1 hostage apart",
        "opposed",
    ]
    chart = charts.history_chart(HOSTAGES, points, [])
    nine, one, opposed = (point.y for point in chart.points)
    assert opposed == charts.H_TOP < nine < one < charts.H_BOTTOM
    assert nine == charts.H_TOP + charts.OPPOSED_LINE_GAP
    assert chart.y_ticks[-1] == (charts.H_TOP, "opposed")
    assert [label for _, label in chart.y_ticks] == ["0", "4.5", "9", "opposed"]
    # Without an opposition, the distances take the whole height.
    assert charts.history_chart(HOSTAGES, points[:2], []).points[0].y == charts.H_TOP


def test_days_with_too_few_positions_are_marked_below_the_line_of_agreement():
    facts = [
        position(ISRAEL, HOSTAGES, Stance.DEMAND, exactly(10), START),
        position(HAMAS, HOSTAGES, Stance.OFFER, exactly(10), START + dt.timedelta(1)),
    ]
    chart = charts.history_chart(HOSTAGES, daily(facts), [])
    unknown, agreed = chart.points
    assert (unknown.state, agreed.state) == ("unknown", "agreed")
    assert unknown.y == charts.H_BOTTOM
    assert agreed.y == charts.H_BOTTOM - charts.UNKNOWN_LANE
    assert chart.y_ticks[:2] == ((charts.H_BOTTOM, "unknown"), (agreed.y, "0"))
    # Without such days, no lane is kept for them.
    assert charts.history_chart(HOSTAGES, daily(facts)[1:], []).points[0].y == charts.H_BOTTOM


def test_agreement_is_drawn_in_its_own_colour_until_the_next_change():
    facts = [
        position(ISRAEL, HOSTAGES, Stance.DEMAND, between(10, None), START),
        position(HAMAS, HOSTAGES, Stance.OFFER, exactly(8), START),
        position(HAMAS, HOSTAGES, Stance.OFFER, exactly(12), START + dt.timedelta(1)),
        position(HAMAS, HOSTAGES, Stance.OFFER, exactly(9), START + dt.timedelta(2)),
    ]
    chart = charts.history_chart(HOSTAGES, daily(facts), [])
    _, agreed, apart_again = chart.points
    assert [p.state for p in chart.points] == ["apart", "agreed", "apart"]
    assert chart.agreed_path == f"M{agreed.x},{agreed.y}H{apart_again.x}"
    assert charts.history_chart(HOSTAGES, daily(facts)[:1], []).agreed_path == ""


def test_a_whole_number_axis_is_labelled_in_whole_numbers():
    points = history(3)  # 9 hostages apart at the widest
    labels = [label for _, label in charts.history_chart(HOSTAGES, points, []).y_ticks]
    assert labels == ["0", "4.5", "9"]
    whole = charts.history_chart(HOSTAGES, points, [], whole_numbers=True)
    assert [label for _, label in whole.y_ticks] == ["0", "4", "9"]
    assert whole.y_ticks[1][0] == round(
        charts.H_BOTTOM - 4 / 9 * (charts.H_BOTTOM - charts.H_TOP), 1
    )
    one_apart = [
        position(ISRAEL, HOSTAGES, Stance.DEMAND, exactly(10), START),
        position(HAMAS, HOSTAGES, Stance.OFFER, exactly(9), START),
    ]
    labels = [
        label
        for _, label in charts.history_chart(
            HOSTAGES, daily(one_apart), [], whole_numbers=True
        ).y_ticks
    ]
    assert labels == ["0", "1"]  # no half a hostage


def test_a_round_near_the_right_edge_is_labelled_leftwards_from_its_end():
    early, late = START, START + dt.timedelta(8)
    chart = charts.history_chart(
        HOSTAGES, history(10), [(early, early + dt.timedelta(1), "First"), (late, None, "Last")]
    )
    first, last = chart.rounds
    assert (first.label_anchor, first.label_x) == ("start", first.x)
    assert (last.label_anchor, last.label_x) == ("end", round(last.x + last.width, 1))
    assert last.label_x <= charts.H_RIGHT


def test_a_round_covers_the_changes_on_its_last_day():
    points = history(5)  # a change on each of 1 to 5 January
    chart = charts.history_chart(HOSTAGES, points, [(START, START + dt.timedelta(2), "Cairo")])
    (cairo,) = chart.rounds
    inside = [p for p in chart.points if cairo.x <= p.x < cairo.x + cairo.width]
    assert [p.label[:5] for p in inside] == ["1 Jan", "2 Jan", "3 Jan"]  # 3 Jan, its last day


def test_the_table_s_date_is_marked_where_it_falls_and_the_chart_widened_to_it():
    points = history(3)  # 1 to 3 January, and a day's margin: the chart ends on 4 January
    chart = charts.history_chart(HOSTAGES, points, [], marked_day=START + dt.timedelta(1))
    assert chart.marker.x == chart.points[1].x == 289.3
    assert chart.marker.label == "2 Jan 2025: the table’s date"
    assert (chart.marker.label_anchor, chart.marker.label_x) == ("start", 293.3)
    late = charts.history_chart(HOSTAGES, points, [], marked_day=START + dt.timedelta(3))
    assert late.marker.label_anchor == "end" and late.marker.x < charts.H_RIGHT
    assert late.marker.label_x < charts.H_RIGHT
    # A date after the last change: the chart runs on to it, the gap held until then.
    later = charts.history_chart(HOSTAGES, points, [], marked_day=START + dt.timedelta(30))
    assert later.marker.label == "31 Jan 2025: the table’s date"
    assert later.marker.x < charts.H_RIGHT and later.path.endswith(f"H{charts.H_RIGHT}.0")
    # Long before: the margin after the last change, a twentieth of the span (a year), stops
    # at today.
    long_before = START - dt.timedelta(days=20 * 365)
    axis = charts.history_chart(HOSTAGES, points, [], marked_day=long_before)
    capped = charts.history_chart(
        HOSTAGES, points, [], marked_day=long_before, today=START + dt.timedelta(40)
    )
    assert (axis.x_ticks[-1].label, capped.x_ticks[-1].label) == ("Jan 2026", "Feb 2025")
    # Never closer than a day after the last change, to show its step.
    today = charts.history_chart(HOSTAGES, points, [], today=START + dt.timedelta(2))
    assert today.x_ticks[-1].label == "4 Jan"
    # One before the first: the chart starts at it.
    earlier = charts.history_chart(HOSTAGES, points, [], marked_day=START - dt.timedelta(3))
    assert earlier.marker.x == charts.H_LEFT
    assert charts.history_chart(HOSTAGES, points, []).marker is None


def test_the_gap_axis_reads_in_words_where_there_is_no_unit():
    """A yes/no gap is agreed or opposed; a scale's can lie between."""
    yes_no = [
        gaps.daily_gap(point)
        for point in gaps.gap_history(
            END_OF_WAR,
            [
                position(ISRAEL, END_OF_WAR, Stance.REJECTION, True, START),
                position(HAMAS, END_OF_WAR, Stance.DEMAND, True, START + dt.timedelta(1)),
            ],
        )
    ]
    labels = [label for _, label in charts.history_chart(END_OF_WAR, yes_no, []).y_ticks]
    assert labels == ["unknown", "agreed", "opposed"]  # the first day has no demand
    scale = [
        gaps.daily_gap(point)
        for point in gaps.gap_history(
            WITHDRAWAL,
            [
                position(ISRAEL, WITHDRAWAL, Stance.OFFER, 1, START),
                position(HAMAS, WITHDRAWAL, Stance.DEMAND, 2, START + dt.timedelta(1)),
            ],
        )
    ]
    labels = [label for _, label in charts.history_chart(WITHDRAWAL, scale, []).y_ticks]
    assert labels == ["unknown", "agreed", "halfway", "opposed"]
