"""The markup of one position in a table cell (the `position_summary` tag), exactly."""

import datetime as dt

import pytest

from negotiations.templatetags.gapwatch import position_summary
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
        '<span class="cell__value" title="Nine &quot;living&quot; hostages">9 hostages</span>\n'
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
    assert '<span class="cell__summary">Five</span>' in html
    assert (
        '<span class="cell__meta"><a class="badge badge--package" href="/n/talks/packages/truce/" '
        'title="Part of a package: stands only as a whole">conditional package</a> '
        '<span class="badge badge--package" title="&lt;b&gt;if&lt;/b&gt; the crossings open">'
        "conditional</span> "
        '<span class="badge badge--status" title="The wording was left deliberately vague">'
        "vague</span></span>"
    ) in html


def test_a_position_without_a_value_shows_its_summary_even_when_compact(talks):
    negotiation, hamas, _, report = talks
    guarantees = builders.issue(negotiation, "guarantees", kind="text")
    vague = builders.position(hamas, guarantees, report, summary="Open to talks")
    html = position_summary(vague, negotiation, compact=True)
    assert '<span class="cell__summary">Open to talks</span>' in html
    assert "cell__value" not in html
