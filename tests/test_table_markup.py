"""The markup the gap table builds in Python (`position_summary`, `range_chart_svg`), exactly."""

import datetime as dt

import pytest

from negotiations import charts
from negotiations.templatetags.gapwatch import position_summary, range_chart_svg
from tests import builders

pytestmark = pytest.mark.django_db


@pytest.fixture
def talks():
    negotiation = builders.negotiation("talks")
    hamas = builders.participant(negotiation, "hamas")
    hostages = builders.issue(negotiation, "hostages")
    report = builders.source("wire", outlet="Wire & Co", grade="C")
    return negotiation, hamas, hostages, report


def test_a_cell_shows_stance_value_date_source_grade_and_credibility(talks):
    negotiation, hamas, hostages, report = talks
    offer = builders.position(
        hamas,
        hostages,
        report,
        amount=9,
        stated_on=dt.date(2025, 4, 3),
        summary='Nine "living" hostages',
    )
    assert position_summary(offer, negotiation, compact=True) == (
        '<span class="stance stance--offer">Offer</span>\n'
        '<span class="cell__value" title="Nine &quot;living&quot; hostages">9 hostages'
        '<span class="visually-hidden">: Nine &quot;living&quot; hostages</span></span>\n'
        '<span class="cell__meta"><time datetime="2025-04-03">3 Apr 2025</time> · Wire &amp; Co '
        '<abbr class="badge badge--grade" title="Source reliability C: fairly reliable; '
        'information credibility 2: probably true">C2</abbr></span>'
    )


def test_the_full_form_adds_the_summary_and_markers_escape_their_text(talks):
    negotiation, hamas, hostages, report = talks
    deal = builders.package(negotiation, hamas, report, slug="truce", is_conditional=True)
    offer = builders.position(
        hamas,
        hostages,
        report,
        "demand",
        amount=5,
        package=deal,
        is_vague=True,
        conditions="<b>if</b> the crossings open",
        summary="Five",
    )
    html = position_summary(offer, negotiation)
    assert '<span class="stance stance--demand">Demand</span>' in html
    assert (
        '<span class="cell__value">5 hostages</span>\n<span class="cell__summary">Five</span>'
        in html
    )
    assert (
        '<span class="cell__conditions">Conditions: &lt;b&gt;if&lt;/b&gt; the crossings open</span>'
    ) in html
    assert (
        '<span class="cell__meta"><a class="badge badge--package" href="/n/talks/packages/truce/" '
        'title="Part of a package: stands only as a whole">conditional package'
        '<span class="visually-hidden">: Deal</span></a> '
        '<span class="badge badge--status" title="The wording was left deliberately vague">'
        "vague</span></span>"
    ) in html


def test_in_a_table_s_cell_conditions_open_from_a_button_and_are_escaped(talks):
    negotiation, hamas, hostages, report = talks
    offer = builders.position(
        hamas, hostages, report, amount=5, conditions="<b>if</b> the crossings open"
    )
    html = position_summary(offer, negotiation, compact=True)
    assert (
        '<span class="cell__meta"><button type="button" class="badge badge--conditions" '
        f'popovertarget="conditions-{offer.uid}">with conditions</button>'
        f'<span class="conditions-popover" id="conditions-{offer.uid}" popover>'
        "<strong>Conditions</strong> &lt;b&gt;if&lt;/b&gt; the crossings open</span></span>"
    ) in html
    assert "cell__conditions" not in html


def test_a_position_without_a_value_shows_its_summary_even_when_compact(talks):
    negotiation, hamas, _, report = talks
    guarantees = builders.issue(negotiation, "guarantees", kind="text")
    vague = builders.position(hamas, guarantees, report, summary="Open to talks")
    html = position_summary(vague, negotiation, compact=True)
    assert '<span class="cell__summary">Open to talks</span>' in html
    assert "cell__value" not in html


def test_a_range_chart_draws_bands_ticks_bars_points_and_labels_escaped():
    chart = charts.RangeChart(
        width=250,
        height=46,
        title="Hostages & more: every actor",
        description="<b>A</b> 5; B at least 7",
        ticks=(charts.Tick(10.0, "0"), charts.Tick(176.0, "12")),
        marks=(
            charts.Mark(26.0, 93.0, 93.0, "#c00", "A", "A offer: 5", hollow=True),
            charts.Mark(39.0, 126.2, 176.0, '"><x', "B", "B demand: at least 7", open_high=True),
        ),
        bands=(charts.Band(93.0, 33.2, "gap-band"),),
    )
    assert range_chart_svg(chart, "hostages").split("\n") == [
        '<svg class="range-chart" viewBox="0 0 250 46" width="250" height="46" role="img" '
        'aria-labelledby="chart-title-hostages chart-desc-hostages">',
        '<title id="chart-title-hostages">Hostages &amp; more: every actor</title>',
        '<desc id="chart-desc-hostages">&lt;b&gt;A&lt;/b&gt; 5; B at least 7</desc>',
        '<rect class="gap-band" x="93.0" y="14" width="33.2" height="32"/>',
        '<line class="axis" x1="10" x2="176" y1="14" y2="14"/>',
        '<text class="tick" x="10.0" y="10" text-anchor="middle">0</text>',
        '<text class="tick" x="176.0" y="10" text-anchor="middle">12</text>',
        '<circle class="dot dot--hollow" cx="93.0" cy="26.0" r="4.5" fill="#fff" stroke="#c00">'
        "<title>A offer: 5</title></circle>",
        '<text class="label" x="184" y="26.0" dy="3">A</text>',
        '<line class="mark" x1="126.2" x2="176.0" y1="39.0" y2="39.0" '
        'stroke="&quot;&gt;&lt;x" stroke-dasharray="6 2">'
        "<title>B demand: at least 7</title></line>",
        '<text class="label" x="184" y="39.0" dy="3">B</text>',
        "</svg>",
    ]
