"""The public site, as a reader meets it."""

import datetime as dt
import re
import xml.etree.ElementTree as ET

import pytest
from django.core.cache import cache
from django.urls import reverse
from django.utils import timezone

from negotiations.models import Negotiation, Position
from negotiations.views import conditional
from tests import builders
from tests.conftest import SEED_SLUG

pytestmark = pytest.mark.django_db

TABLE = reverse("negotiations:gap_table", args=[SEED_SLUG])


def text_of(response) -> str:
    """The page's visible text, tags stripped and white space folded."""
    return text_of_html(response.content.decode())


def text_of_html(html: str) -> str:
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S)
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)).strip()
    return re.sub(r" ([,.;:)’])", r"\1", text)


# ---------------------------------------------------------------------------------------------
# Home


def test_home_lists_public_negotiations_with_their_state(client, seeded):
    builders.negotiation("secret-talks", public=False, title="Secret talks")
    response = client.get("/")
    page = text_of(response)
    assert response.status_code == 200
    assert "Gaza hostage and ceasefire talks, 2025" in page
    assert "Secret talks" not in page
    assert "0 agreed · 4 apart · 7 unknown, of 11 issues" in page
    assert "Widest gap: Commitment to end the war, opposed (Hamas and Israel)." in page
    assert f'href="{TABLE}"' in response.content.decode()


def test_home_says_so_when_nothing_is_public(client, db):
    assert "No negotiation is public yet." in text_of(client.get("/"))


# ---------------------------------------------------------------------------------------------
# The gap table


def test_gap_table_shows_positions_gaps_and_sources(client, seeded):
    page = text_of(client.get(TABLE, {"as_of": "2025-04-14"}))
    assert "Positions as of 14 April 2025" in page
    assert "2 hostages apart US vs Hamas" in page
    assert "Egypt proposes 8 hostages: Israel no position; Hamas 1 hostage apart" in page
    # A yes or no proposed is given in the term's own words, not as "proposes yes".
    assert "Egypt proposes “Israel stops its attacks once the deal starts”: Israel" in page
    assert "proposes yes" not in page
    # The summary a cell leaves out for room is read after the value by a screen reader.
    assert (
        "Offer 9 hostages: Raised the number it would free to nine 14 Apr 2025 · Al-Araby "
        "Al-Jadeed C2 with conditions Conditions In exchange for Palestinian prisoners."
    ) in page
    assert "opposed Hamas vs Israel" in page
    assert "not enough positions Unanswered: Hamas" in page
    # The chart's marks are explained in words.
    assert "a hollow dot is a rejection. A red dashed band marks the widest gap" in page


def test_demands_nobody_has_answered_are_listed_beside_a_computed_gap(client, db):
    talks = builders.negotiation("talks")
    hamas = builders.participant(talks, "hamas")
    israel = builders.participant(talks, "israel")
    factions = builders.participant(talks, "factions", role="stakeholder")
    end_of_war = builders.issue(talks, "end-of-war", kind="yes_no")
    report = builders.source()
    builders.position(hamas, end_of_war, report, "demand", yes=True)
    builders.position(israel, end_of_war, report, "rejection", yes=True)
    builders.position(factions, end_of_war, report, "demand", yes=False)
    page = text_of(client.get("/n/talks/", {"as_of": "2025-04-14"}))
    assert "opposed Hamas vs Israel Unanswered: Factions" in page


def test_gap_table_columns_are_parties_then_mediators_then_stakeholders(client, seeded):
    html = client.get(TABLE).content.decode()
    headers = re.findall(r'<th scope="col"><a href="[^"]+/actors/([^/]+)/\??[^"]*"', html)
    assert headers == [
        "israel",
        "hamas",
        "egypt",
        "qatar",
        "united-states",
        "palestinian-factions",
        "hostage-families",
    ]


def test_gap_table_has_a_summary_above_it(client, seeded):
    page = text_of(client.get(TABLE))
    assert "0 agreed 4 apart 7 unknown Widest gap: Commitment to end the war, opposed" in page


def test_each_row_has_an_accessible_range_chart(client, seeded):
    html = client.get(TABLE).content.decode()
    chart = re.search(r'<tr id="issue-living-hostages">.*?</tr>', html, re.S).group(0)
    assert 'role="img"' in chart
    assert '<title id="chart-title-living-hostages">Living hostages released: every actor' in chart
    assert (
        "Hamas offer: 9 hostages; Egypt proposal: 8 hostages; US demand: 11 hostages. "
        "Gap: 2 hostages apart." in chart
    )
    assert 'class="gap-band"' in chart


def test_cells_mark_packages_and_conditions(client, seeded):
    html = client.get(TABLE).content.decode()
    egypt_hostages = re.search(r'<tr id="issue-living-hostages">.*?</tr>', html, re.S).group(0)
    # Each package link names its package for screen readers, not only "package".
    assert 'package<span class="visually-hidden">: Egyptian proposal</span></a>' in egypt_hostages
    # Conditions open from a button, by click, tap or keyboard, not only on a pointer's hover.
    hamas_offer = Position.objects.get(summary="Raised the number it would free to nine")
    assert (
        f'<button type="button" class="badge badge--conditions" '
        f'popovertarget="conditions-{hamas_offer.uid}">with conditions</button>'
        f'<span class="conditions-popover" id="conditions-{hamas_offer.uid}" popover>'
        f"<strong>Conditions</strong> {hamas_offer.conditions}</span>"
    ) in egypt_hostages


def test_as_of_an_earlier_date_shows_the_table_as_it_was(client, seeded):
    page = text_of(client.get(TABLE, {"as_of": "2025-04-13"}))
    assert "Positions as of 13 April 2025" in page
    assert "0 agreed 0 apart 11 unknown" in page
    assert "9 hostages" not in page


def test_only_what_had_been_reported_by_then(client, seeded):
    page = text_of(client.get(TABLE, {"as_of": "2025-04-13", "known": "on"}))
    assert "as reported by then" in page
    assert "8 hostages" not in page  # the Egyptian proposal was reported on the 14th


@pytest.mark.parametrize("word", ["on", "true", "1", "yes", "ON"])
def test_a_switch_written_on_is_on(client, seeded, word):
    response = client.get(TABLE, {"as_of": "2025-04-13", "known": word, "withdrawn": word})
    assert response.status_code == 200
    assert "as reported by then" in text_of(response)
    html = response.content.decode()
    assert re.search(r'<input type="checkbox" name="known"[^>]* checked', html)
    assert re.search(r'<input type="checkbox" name="withdrawn"[^>]* checked', html)


@pytest.mark.parametrize("word", ["off", "false", "0", "no", ""])
def test_a_switch_written_off_is_off(client, seeded, word):
    # A checkbox sends "on" or nothing; an address written by hand may say "off" or "0".
    response = client.get(TABLE, {"as_of": "2025-04-13", "known": word, "withdrawn": word})
    assert response.status_code == 200
    assert "as reported by then" not in text_of(response)
    html = response.content.decode()
    assert " checked" not in html
    # Ticked again, a box sends "on", not the word the address held.
    boxes = re.findall(r'<input type="checkbox" name="(?:known|withdrawn)"[^>]*>', html)
    assert len(boxes) == 2 and not any("value=" in box for box in boxes)


def test_a_switch_neither_on_nor_off_is_refused_with_what_is_shown_instead(client, seeded):
    response = client.get(TABLE, {"as_of": "2025-04-13", "known": "maybe"})
    assert response.status_code == 400
    page = text_of(response)
    assert "Write “on” or “off”. Showing every position, reported by then or not." in page
    assert "Positions as of 13 April 2025" in page and "as reported by then" not in page
    export = client.get(reverse("negotiations:gaps_csv", args=[SEED_SLUG]), {"known": "maybe"})
    assert export.status_code == 400
    assert "Only what had been reported by then: Write “on” or “off”." in text_of(export)


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("14-04-2025", "Enter the date as YYYY-MM-DD, e.g. 2025-04-14."),
        ("2025-02-29", "2025-02-29 is written right, but there is no such day."),
        ("2025-13-01", "2025-13-01 is written right, but there is no such day."),
        ("2025/04/01", "Enter the date as YYYY-MM-DD, e.g. 2025-04-14."),
        ("<script>", "Enter the date as YYYY-MM-DD, e.g. 2025-04-14."),
        ("2999-01-01", "1 January 2999 is in the future; pick a date up to today"),
        ("1899-12-31", "Pick a date from 1 January 1900 on."),
    ],
)
def test_a_bad_date_gets_a_clear_message_and_todays_table(client, seeded, value, message):
    response = client.get(TABLE, {"as_of": value})
    assert response.status_code == 400
    page = text_of(response)
    assert message in page
    assert "Showing today’s table instead." in page
    assert f"Positions as of {timezone.localdate():%-d %B %Y} (today)" in page


def test_a_date_with_control_characters_is_refused_and_not_shown_back(client, seeded):
    response = client.get(TABLE, {"as_of": "2025-04-14\x00"})
    assert response.status_code == 400
    assert "\x00" not in response.text
    assert 'name="as_of" id="id_as_of" value=""' in response.text


def test_htmx_request_gets_only_the_table_region(client, seeded):
    response = client.get(TABLE, {"as_of": "2025-04-13"}, headers={"HX-Request": "true"})
    html = response.content.decode()
    assert response.status_code == 200
    # The page's new title first (htmx puts it on the page), then the region.
    title = "<title>Gaza hostage and ceasefire talks, 2025, as of 13 April 2025 · Gapwatch</title>"
    assert html.lstrip().startswith(title + '\n<div id="table-region"')
    assert "<html" not in html
    assert "Positions as of 13 April 2025" in text_of(response)
    assert "HX-Request" in response["Vary"]
    # Back and Forward ask htmx for the whole page: one title, in its head, and so for the
    # readers who get the same page from the cache after it.
    cache.clear()
    restored = client.get(
        TABLE,
        {"as_of": "2025-04-13"},
        headers={"HX-Request": "true", "HX-History-Restore-Request": "true"},
    ).content.decode()
    assert restored.count("· Gapwatch</title>") == 1
    page = client.get(TABLE, {"as_of": "2025-04-13"}).content.decode()
    assert page.count("· Gapwatch</title>") == 1 and title in page
    assert "<title>Gaza hostage and ceasefire talks, 2025 · Gapwatch</title>" in (
        client.get(TABLE).content.decode()
    )


def test_the_same_address_loaded_directly_renders_the_same_table(client, seeded):
    fragment = client.get(TABLE, {"as_of": "2025-04-13"}, headers={"HX-Request": "true"})
    page = client.get(TABLE, {"as_of": "2025-04-13"})
    region = fragment.content.decode().split("</title>", 1)[1].strip()
    assert region in page.content.decode()


def test_withdrawn_claims_are_shown_struck_through_with_who_denied_them(client, seeded):
    hidden = text_of(client.get(TABLE))
    assert "Reportedly willing to give up its weapons" not in hidden
    assert "with denied and retracted claims" not in hidden
    shown = client.get(TABLE, {"withdrawn": "on"}).content.decode()
    assert "(today); with denied and retracted claims, struck through" in text_of_html(shown)
    assert (
        '<span class="withdrawn">Offer yes: Reportedly willing to give up its weapons</span>'
        in shown
    )
    assert "denied on 14 Apr 2025 · Unnamed senior Hamas source · Hamas (unnamed" in text_of(
        client.get(TABLE, {"withdrawn": "on"})
    )


def test_struck_claims_follow_what_had_been_reported_by_the_table_s_date(client, db):
    """As known on a date, a claim whose denial was reported later still stands, and is not
    also listed as denied; a claim reported later is not listed at all."""
    talks = builders.negotiation("talks")
    israel, hamas = builders.participant(talks, "israel"), builders.participant(talks, "hamas")
    end = builders.issue(talks, "end", kind="yes_no")
    april = {day: builders.source(f"s{day}", dt.date(2025, 4, day)) for day in (10, 12, 13)}
    builders.position(israel, end, april[10], "demand", stated_on=dt.date(2025, 4, 10), yes=True)
    for summary, reported, denial_reported in (
        ("Offered it, then denied", 10, 12),
        ("Offered it late", 13, 13),
    ):
        builders.position(
            hamas, end, april[reported], "offer", stated_on=dt.date(2025, 4, 10), yes=True,
            summary=summary, status="denied", status_changed_on=dt.date(2025, 4, 11),
            status_source=april[denial_reported],
        )  # fmt: skip
    url = reverse("negotiations:gap_table", args=["talks"])
    struck = '<span class="withdrawn">Offer yes: {}</span>'
    known_on_11 = client.get(url, {"as_of": "2025-04-11", "known": "on", "withdrawn": "on"}).text
    assert "Offered it, then denied" in known_on_11  # the current offer
    assert struck.format("Offered it, then denied") not in known_on_11
    assert "Offered it late" not in known_on_11
    known_on_12 = client.get(url, {"as_of": "2025-04-12", "known": "on", "withdrawn": "on"}).text
    assert struck.format("Offered it, then denied") in known_on_12
    assert "Offered it late" not in known_on_12
    as_reported_since = client.get(url, {"as_of": "2025-04-12", "withdrawn": "on"}).text
    assert struck.format("Offered it late") in as_reported_since


def test_sorting_by_gap_puts_the_widest_first(client, seeded):
    html = client.get(TABLE, {"sort": "gap"}).content.decode()
    rows = re.findall(r'<tr id="issue-([a-z-]+)">', html)
    assert rows[:4] == ["end-of-war", "disarmament", "leadership-conditions", "living-hostages"]


def test_the_download_links_carry_the_table_s_date_and_order_but_not_its_struck_claims(
    client, seeded
):
    html = client.get(
        TABLE, {"as_of": "2025-04-13", "known": "on", "sort": "gap", "withdrawn": "on"}
    ).content.decode()
    for name in ("gaps.csv", "gaps.json"):
        assert f'href="{TABLE}{name}?as_of=2025-04-13&amp;known=on&amp;sort=gap"' in html
    # A value the table refused is not passed on: the files' links still work.
    refused = client.get(TABLE, {"as_of": "2025-04-13", "sort": "bogus", "known": "maybe"}).text
    for name in ("gaps.csv", "gaps.json"):
        assert f'href="{TABLE}{name}?as_of=2025-04-13"' in refused
        assert client.get(f"{TABLE}{name}?as_of=2025-04-13").status_code == 200
    # Nor do the parts that refresh themselves: they ask for the table that is shown.
    assert "bogus" not in refused.split("</form>", 1)[1] and "maybe" not in refused
    today = client.get(TABLE).text
    assert f'href="{TABLE}gaps.csv" download' in today  # no lone "?"


@pytest.mark.parametrize(
    ("linked_from", "links_to"),
    [
        (("actor", "egypt"), ("issues/living-hostages/", "packages/egyptian-proposal/")),
        (("package", "egyptian-proposal"), ("actors/egypt/", "issues/living-hostages/")),
        (("issue_history", "living-hostages"), ("actors/hamas/",)),
    ],
    ids=["actor", "package", "issue"],
)
def test_the_pages_a_table_leads_to_carry_its_date_on_to_each_other(
    client, seeded, linked_from, links_to
):
    """From an actor to an issue to a package and back: the date the reader chose stays."""
    name, slug = linked_from
    url = reverse(f"negotiations:{name}", args=[SEED_SLUG, slug])
    html = client.get(url, {"as_of": "2025-04-14", "known": "on"}).text
    for target in links_to:
        assert f'href="{TABLE}{target}?as_of=2025-04-14&amp;known=on' in html, target
    # A date refused is not passed on; without one, none is.
    refused = client.get(url, {"as_of": "someday", "known": "on"}).text
    today = client.get(url).text
    assert f'href="{TABLE}?known=on' in refused  # back to the table, without the refused date
    for target in links_to:
        assert f'href="{TABLE}{target}?known=on' in refused, target
        assert f'href="{TABLE}{target}"' in today or f'href="{TABLE}{target}#' in today, target


def test_bad_sort_value_is_refused_with_a_message_and_the_good_date_kept(client, seeded):
    response = client.get(TABLE, {"sort": "sideways", "as_of": "2025-04-13", "known": "on"})
    assert response.status_code == 400
    page = text_of(response)
    assert (
        "Order by “Issue order” (sort=order) or “Widest gap first” (sort=gap). "
        "Showing the issues in their usual order." in page
    )
    # The table is the one the date box and the checkbox still show.
    assert "Positions as of 13 April 2025, as reported by then" in page
    assert "today’s table" not in page
    # Each refused value on its own line, named after its control, with the id its control's
    # aria-describedby names.
    every = client.get(
        TABLE, {"sort": "sideways", "as_of": "someday", "known": "x", "withdrawn": "q"}
    )
    items = re.findall(r'<li id="(id_\w+_error)">(.*?)</li>', every.text)
    assert [(id_, text_of_html(text)) for id_, text in items] == [
        (
            "id_as_of_error",
            "As of: Enter the date as YYYY-MM-DD, e.g. 2025-04-14. Showing today’s table instead.",
        ),
        (
            "id_known_error",
            "Only what had been reported by then: Write “on” or “off”. "
            "Showing every position, reported by then or not.",
        ),
        (
            "id_withdrawn_error",
            "Show denied and retracted claims: Write “on” or “off”. "
            "Leaving out denied and retracted claims.",
        ),
        (
            "id_sort_error",
            "Order: Order by “Issue order” (sort=order) or “Widest gap first” (sort=gap). "
            "Showing the issues in their usual order.",
        ),
    ]
    described = {
        i for value in re.findall(r'aria-describedby="([^"]+)"', every.text) for i in value.split()
    }
    assert {id_ for id_, _ in items} <= described <= set(re.findall(r' id="([^"]+)"', every.text))


def test_the_date_control_offers_only_dates_the_table_takes(client, seeded):
    html = client.get(TABLE).content.decode()
    today = timezone.localdate().isoformat()
    assert f'type="date" name="as_of" id="id_as_of" value="" min="1900-01-01" max="{today}"' in html


def test_packages_are_listed_under_the_table(client, seeded):
    page = text_of(client.get(TABLE))
    assert "Egyptian proposal" in page
    assert "Israel: 0 agreed, 0 apart, 5 unknown · Hamas: 0 agreed, 1 apart, 4 unknown" in page


def test_a_private_negotiation_is_a_404_everywhere(client, db):
    secret = builders.negotiation("secret", public=False)
    issue = builders.issue(secret, "hostages")
    party = builders.participant(secret, "north")
    builders.position(party, issue, builders.source(), amount=5)
    for url in [
        reverse("negotiations:gap_table", args=["secret"]),
        reverse("negotiations:issue_history", args=["secret", "hostages"]),
        reverse("negotiations:actor", args=["secret", "north"]),
        reverse("negotiations:sources", args=["secret"]),
        reverse("negotiations:changes", args=["secret"]),
        reverse("negotiations:feed", args=["secret"]),
        reverse("negotiations:gaps_csv", args=["secret"]),
        reverse("negotiations:gaps_json", args=["secret"]),
        reverse("negotiations:positions_csv", args=["secret"]),
    ]:
        assert client.get(url).status_code == 404, url


def test_unknown_negotiation_issue_actor_and_package_are_404(client, seeded):
    assert client.get(reverse("negotiations:gap_table", args=["nope"])).status_code == 404
    for name, extra in [("issue_history", "nope"), ("actor", "nope"), ("package", "nope")]:
        assert (
            client.get(reverse(f"negotiations:{name}", args=[SEED_SLUG, extra])).status_code == 404
        )


def test_pages_only_answer_get_and_head(client, seeded):
    assert client.head(TABLE).status_code == 200
    assert client.post(TABLE).status_code in (403, 405)


# ---------------------------------------------------------------------------------------------
# Package, issue, actor, sources, changes, feed


def test_a_package_asked_for_before_its_date_says_from_when_it_is_on_the_table(client, seeded):
    url = reverse("negotiations:package", args=[SEED_SLUG, "egyptian-proposal"])
    early = client.get(url, {"as_of": "2025-04-10", "sort": "gap"})
    assert early.status_code == 404
    page = text_of(early)
    assert "Not on the table as of 10 April 2025" in page
    assert "Egypt put this package forward on 13 April 2025: after 10 April 2025." in page
    html = early.content.decode()
    assert f'href="{url}?as_of=2025-04-13&amp;sort=gap">See the package as of 13 April 2025' in html
    # Keeping to what had been reported, it is on the table from its report's day.
    reported = text_of(client.get(url, {"as_of": "2025-04-13", "known": "on"}))
    assert "and Kan 11 reported it on 14 April 2025: after 13 April 2025." in reported
    assert "See the package as of 14 April 2025" in reported
    assert client.get(url, {"as_of": "2025-04-14", "known": "on"}).status_code == 200


# Not "page": that is Playwright's fixture, and would make this a browser test, run with them.
@pytest.mark.parametrize(
    "address", [("actor", "hamas"), ("package", "egyptian-proposal")], ids=["actor", "package"]
)
def test_actor_and_package_pages_have_a_date_control_of_their_own(client, seeded, address):
    name, slug = address
    html = client.get(
        reverse(f"negotiations:{name}", args=[SEED_SLUG, slug]),
        {"as_of": "2025-04-14", "known": "on"},
    ).text
    control = re.search(
        r'<form class="controls" method="get" aria-label="Date shown">.*?</form>', html, re.S
    ).group(0)
    assert 'name="as_of" id="id_as_of" value="2025-04-14"' in control
    assert re.search(r'<input type="checkbox" name="known"[^>]* checked', control)
    ids = set(re.findall(r' id="([^"]+)"', html))
    described = {
        i for value in re.findall(r'aria-describedby="([^"]+)"', html) for i in value.split()
    }
    assert described <= ids


def test_a_package_page_given_a_bad_date_or_switch_says_so(client, seeded):
    url = reverse("negotiations:package", args=[SEED_SLUG, "egyptian-proposal"])
    response = client.get(url, {"as_of": "bad", "known": "maybe"})
    assert response.status_code == 400
    page = text_of(response)
    assert (
        "As of: Enter the date as YYYY-MM-DD, e.g. 2025-04-14. Showing today’s positions instead. "
        "Only what had been reported by then: Write “on” or “off”. Showing every position, "
        "reported by then or not."
    ) in page
    early = text_of(client.get(url, {"as_of": "2025-04-10", "known": "maybe"}))
    assert "Write “on” or “off”." in early and "Not on the table as of 10 April 2025" in early


def test_package_view_sets_the_package_against_each_party(client, seeded):
    url = reverse("negotiations:package", args=[SEED_SLUG, "egyptian-proposal"])
    page = text_of(client.get(url, {"as_of": "2025-04-14"}))
    assert "Put forward by Egypt on 13 April 2025" in page
    assert "Living hostages released Proposal 8 hostages" in page
    assert "9 hostages Raised the number it would free to nine 1 hostage apart" in page
    assert "Overall 0 agreed, 0 apart, 5 unknown 0 agreed, 1 apart, 4 unknown" in page


def test_issue_page_has_the_gap_over_time_and_every_position(client, seeded):
    url = reverse("negotiations:issue_history", args=[SEED_SLUG, "living-hostages"])
    response = client.get(url)
    page = text_of(response)
    html = response.content.decode()
    assert '<svg class="history-chart"' in html
    assert (
        '<title id="history-title">Living hostages released: the gap over time '
        "(hostages apart)</title>" in html
    )
    assert "14 Apr 2025 2 hostages apart 2 0.18 US vs Hamas" in page
    assert "13 Apr 2025 not enough positions" in page
    assert "at least 11 hostages All the hostages it holds" in page  # conditional term, kept
    assert "is never an actor's position in the gap table" in page  # and why it is not current
    assert "Cairo round" in page
    # Each position's conditions are given once, with its summary.
    conditions = "Conditions: In exchange for Palestinian prisoners."
    assert page.count(conditions) == 1


def test_an_issue_chart_of_whole_numbers_is_labelled_in_them_and_agreement_drawn_apart(client, db):
    talks = builders.negotiation("talks")
    israel, hamas = builders.participant(talks, "israel"), builders.participant(talks, "hamas")
    hostages = builders.issue(talks, "hostages", whole_numbers=True)
    report = builders.source("report", dt.date(2025, 4, 20))
    builders.position(israel, hostages, report, "demand", stated_on=dt.date(2025, 4, 10), amount=10)
    builders.position(hamas, hostages, report, "offer", stated_on=dt.date(2025, 4, 10), amount=1)
    builders.position(hamas, hostages, report, "offer", stated_on=dt.date(2025, 4, 12), amount=10)
    html = client.get(reverse("negotiations:issue_history", args=["talks", "hostages"])).text
    ticks = re.findall(
        r'<text class="tick" x="58" y="[\d.]+" dy="4" text-anchor="end">([^<]+)<', html
    )
    assert ticks == ["0", "4", "9"]
    assert '<path class="gap-line gap-line--agreed" d="M' in html


def test_a_round_still_going_on_says_so_in_the_list_and_on_the_chart(client, seeded):

    builders.round_of(
        seeded, "doha", title="Doha round", location="Doha", started_on=dt.date(2025, 4, 20)
    )
    response = client.get(
        reverse("negotiations:issue_history", args=[SEED_SLUG, "living-hostages"])
    )
    assert "20 April 2025 – ongoing Doha round, Doha" in text_of(response)
    assert "<title>Doha round (ongoing)</title>" in response.text
    assert "<title>Cairo round</title>" in response.text  # one that ended says nothing more


def test_an_issue_page_reached_from_a_table_of_another_date_gives_that_day_and_leads_back(
    client, seeded
):
    html = client.get(TABLE, {"as_of": "2025-04-13", "known": "on", "sort": "gap"}).text
    url = reverse("negotiations:issue_history", args=[SEED_SLUG, "living-hostages"])
    assert f'<a href="{url}?as_of=2025-04-13&amp;known=on">Living hostages released</a>' in html

    for day, known in [("2025-04-13", "on"), ("2025-04-14", "on"), ("2025-04-14", "off")]:
        query = {"as_of": day, "known": known}
        response = client.get(url, query)
        gap = client.get(TABLE + "gaps.json", query).json()["issues"][0]["gap"]
        page = text_of(response)
        # The day's gap is the table's, with "as reported by then" where the table kept to it.
        as_reported = ", as reported by then" if known == "on" else ""
        assert f"as of {dt.date.fromisoformat(day):%-d %B %Y}{as_reported}: {gap['words']}" in page
        back = f"?as_of={day}&amp;known=on" if known == "on" else f"?as_of={day}"
        assert f'href="{TABLE}{back}#issue-living-hostages">← Gap' in response.text
    assert "as of 14 April 2025: 2 hostages apart (US vs Hamas). The chart marks the date." in page
    assert '<line class="table-day"' in response.text
    assert "14 Apr 2025: the table’s date" in response.text

    plain = client.get(url)
    assert 'id="table-day"' not in plain.text and 'class="table-day"' not in plain.text
    assert f'href="{TABLE}#issue-living-hostages">← Gap table' in plain.text  # no lone "?"


def test_an_issue_page_given_a_bad_date_says_so_and_shows_the_history(client, seeded):
    url = reverse("negotiations:issue_history", args=[SEED_SLUG, "living-hostages"])
    response = client.get(url, {"as_of": "13/04/2025"})
    assert response.status_code == 400
    page = text_of(response)
    assert (
        "Enter the date as YYYY-MM-DD, e.g. 2025-04-14. Showing the history without a date marked."
        in page
    )
    assert "14 Apr 2025 2 hostages apart 2 0.18 US vs Hamas" in page
    assert 'id="table-day"' not in response.text


def test_issue_page_keeps_denied_claims_struck_through(client, seeded):
    url = reverse("negotiations:issue_history", args=[SEED_SLUG, "disarmament"])
    html = client.get(url).content.decode()
    assert re.search(r'<p class="withdrawn">\s*<span class="stance stance--offer">', html)
    assert (
        "Denied</strong> on 14 April 2025 · Unnamed senior Hamas source · Hamas (unnamed senior"
        in html
    )
    # The same line on the actor page and the changes page.
    for page in [
        reverse("negotiations:actor", args=[SEED_SLUG, "hamas"]),
        reverse("negotiations:changes", args=[SEED_SLUG]),
    ]:
        assert "Denied</strong> on 14 April 2025 · Unnamed senior Hamas source · Hamas" in (
            client.get(page).content.decode()
        )


def test_actor_page_lists_current_and_past_positions(client, seeded):
    page = text_of(client.get(reverse("negotiations:actor", args=[SEED_SLUG, "hamas"])))
    assert "Hamas: party in these talks; armed group." in page
    assert "Living hostages released Offer 9 hostages" in page
    assert "Wikidata Q38799" in page
    assert "Reportedly willing to give up its weapons" in page  # past, denied


def test_actor_page_shows_the_positions_as_of_the_table_s_date(client, seeded):
    url = reverse("negotiations:actor", args=[SEED_SLUG, "hamas"])

    def positions_table(response) -> str:
        html = response.content.decode()
        return text_of_html(re.search(r"<table class=\"data-table\">.*?</table>", html, re.S)[0])

    today = positions_table(client.get(url))
    assert "Position of Hamas on each issue today" in today and "Offer 9 hostages" in today
    earlier = client.get(url, {"as_of": "2025-04-13", "known": "on"})
    assert earlier.status_code == 200
    assert "Positions as of 13 April 2025" in text_of(earlier)
    table = positions_table(earlier)
    assert "Position of Hamas on each issue as of 13 April 2025, as reported by then" in table
    assert "9 hostages" not in table and "No position" in table
    assert "Raised the number it would free to nine" in text_of(earlier)  # the history is whole
    back = f'href="{TABLE}?as_of=2025-04-13&amp;known=on">← Gap table'
    assert back in earlier.content.decode()
    bad = client.get(url, {"as_of": "soon"})
    assert bad.status_code == 400
    assert "Enter the date as YYYY-MM-DD" in text_of(bad) and "today" in positions_table(bad)
    # The gap table's column headings lead to the actor as of the table's date.
    html = client.get(TABLE, {"as_of": "2025-04-13", "sort": "gap"}).content.decode()
    assert f'href="{url}?as_of=2025-04-13"><svg' in html


def test_sources_page_lists_each_source_with_grade_and_positions(client, seeded):
    page = text_of(client.get(reverse("negotiations:sources", args=[SEED_SLUG])))
    assert "Al-Araby Al-Jadeed · 14 April 2025 · C fairly reliable" in page
    assert "Pro-Qatari newspaper." in page
    assert "Living hostages released: Hamas offer 9 hostages (C2)" in page
    # A source that reported a denial lists it, too.
    assert (
        "1 confirmation, denial or retraction reported here: Disarmament of Hamas: Hamas offer "
        "yes, denied on 14 April 2025 (Unnamed senior Hamas source)"
    ) in page


def test_changes_page_lists_newest_first(client, seeded):
    latest = Position.objects.get(summary="Eight bodies handed over")
    latest.summary = "Eight bodies handed over (corrected)"
    latest.save()
    page = text_of(client.get(reverse("negotiations:changes", args=[SEED_SLUG])))
    first_entry = page.split("Newest first.")[1]
    assert first_entry.index("Eight bodies handed over (corrected)") < first_entry.index("Raised")
    assert "changed" in first_entry[:200]
    assert f"{latest.updated_at:%-d %B %Y, %H:%M} UTC" in first_entry[:200]  # says which clock


def test_atom_feed_lists_changes_and_escapes_text(client, seeded):
    position = Position.objects.get(summary="Eight bodies handed over")
    position.summary = "<script>alert(1)</script> & more"
    position.save()
    response = client.get(reverse("negotiations:feed", args=[SEED_SLUG]))
    assert response["Content-Type"].startswith("application/atom+xml")
    feed = ET.fromstring(response.content)
    ns = {"atom": "http://www.w3.org/2005/Atom"}
    entries = feed.findall("atom:entry", ns)
    assert len(entries) == 25
    first = entries[0]
    assert (
        first.find("atom:title", ns).text
        == "Egypt proposal on Bodies of deceased hostages returned (8 bodies)"
    )
    summary = first.find("atom:summary", ns).text
    assert "&lt;script&gt;" in summary and "<script>" not in summary
    # An attribution that only repeats the outlet is not said twice.
    report = next(
        entry.find("atom:summary", ns).text
        for entry in entries
        if "detailed account of every hostage" in entry.find("atom:summary", ns).text
    )
    assert "Source: Al-Arabiya (C3)." in report
    # What RFC 4287 asks for: an author, and ids that are URIs, one per entry.
    assert feed.find("atom:author/atom:name", ns).text == "Gapwatch"
    ids = [entry.find("atom:id", ns).text for entry in entries]
    assert feed.find("atom:id", ns).text.startswith("urn:uuid:")
    assert all(i.startswith("urn:uuid:") for i in ids) and len(set(ids)) == len(ids)


def test_a_position_s_address_leads_to_its_page_of_the_issue_s_list(client, db):
    negotiation = builders.negotiation("long")
    issue = builders.issue(negotiation, "hostages")
    party = builders.participant(negotiation, "north")
    source = builders.source()
    positions = [builders.position(party, issue, source, amount=n) for n in range(120)]
    issue_page = reverse("negotiations:issue_history", args=["long", "hostages"])
    # Newest first, 50 to a page: the first recorded is the 120th in the list, on page 3.
    for position, page in [
        (positions[-1], ""),
        (positions[60], "?page=2"),
        (positions[0], "?page=3"),
    ]:
        response = client.get(position.get_absolute_url())
        assert response.status_code == 302
        assert response["Location"] == f"{issue_page}{page}#position-{position.uid}"
        assert f'id="position-{position.uid}"' in client.get(response["Location"]).content.decode()
    # The changes page and the feed link to that address, not to the issue's first page.
    changes = client.get(reverse("negotiations:changes", args=["long"])).content.decode()
    assert f'href="{positions[-1].get_absolute_url()}"' in changes
    feed = client.get(reverse("negotiations:feed", args=["long"])).content.decode()
    assert f"{positions[-1].get_absolute_url()}" in feed
    # Only a readable negotiation's positions, under their own negotiation's address.
    private = builders.negotiation("closed", public=False)
    hidden = builders.position(
        builders.participant(private, "south"), builders.issue(private, "x"), source, amount=1
    )
    assert client.get(hidden.get_absolute_url()).status_code == 404
    builders.negotiation("other")  # public, but not the position's
    elsewhere = reverse("negotiations:position", args=["other", positions[0].uid])
    assert client.get(elsewhere).status_code == 404


def test_pagination_of_long_lists(client, db):
    negotiation = builders.negotiation("long")
    issue = builders.issue(negotiation, "hostages")
    party = builders.participant(negotiation, "north")
    source = builders.source()
    for amount in range(60):
        builders.position(party, issue, source, amount=amount, summary=f"offer {amount}")
    url = reverse("negotiations:issue_history", args=["long", "hostages"])
    first = text_of(client.get(url))
    assert "Page 1 of 2" in first and "offer 59" in first and "offer 5 " not in first
    second = text_of(client.get(url, {"page": 2}))
    assert "offer 5 " in second
    bad = client.get(url, {"page": "x"})
    assert bad.status_code == 400
    assert "The page must be a whole number. Showing the first page." in text_of(bad)
    assert "Page 1 of 2" in text_of(bad)
    assert "Pages are numbered from 1." in text_of(client.get(url, {"page": 0}))
    for far in (99, 10**12, 10**40):  # past the end, however far: the last page
        past = client.get(url, {"page": far})
        assert past.status_code == 200
        assert "Page 2 of 2" in text_of(past)
        assert "There are only 2 pages here: showing the last." in text_of(past)
    assert "There are only" not in text_of(client.get(url, {"page": 2}))


# ---------------------------------------------------------------------------------------------
# Conditional requests


@pytest.mark.parametrize(
    "name", ["gap_table", "sources", "changes", "feed", "gaps_csv", "gaps_json", "positions_csv"]
)
def test_public_pages_answer_conditional_requests(client, seeded, name):
    url = reverse(f"negotiations:{name}", args=[SEED_SLUG])
    first = client.get(url)
    assert first.status_code == 200
    etag, modified = first["ETag"], first["Last-Modified"]
    assert client.get(url, headers={"If-None-Match": etag}).status_code == 304
    assert client.get(url, headers={"If-Modified-Since": modified}).status_code == 304
    Position.objects.filter(summary="Eight bodies handed over").first().save()
    changed = client.get(url, headers={"If-None-Match": etag})
    assert changed.status_code == 200
    assert changed["ETag"] != etag


def test_etag_differs_between_page_and_fragment_and_dates(client, seeded):
    page = client.get(TABLE)["ETag"]
    fragment = client.get(TABLE, headers={"HX-Request": "true"})["ETag"]
    dated = client.get(TABLE, {"as_of": "2025-04-13"})["ETag"]
    assert len({page, fragment, dated}) == 3


def test_home_answers_conditional_requests(client, seeded):
    first = client.get("/")
    assert client.get("/", headers={"If-None-Match": first["ETag"]}).status_code == 304
    Negotiation.objects.get(slug=SEED_SLUG).save()
    assert client.get("/", headers={"If-None-Match": first["ETag"]}).status_code == 200


def test_data_changed_at_follows_every_kind_of_change(seeded):
    def changed_by(action) -> bool:
        before = Negotiation.objects.get(pk=seeded.pk).data_changed_at
        action()
        return Negotiation.objects.get(pk=seeded.pk).data_changed_at > before

    position = Position.objects.for_negotiation(seeded).first()
    assert changed_by(position.save)
    assert changed_by(position.source.save)
    assert changed_by(position.participant.actor.save)
    assert changed_by(position.issue.save)
    assert changed_by(lambda: seeded.rounds.first().attendees.clear())
    assert changed_by(seeded.packages.first().save)
    assert changed_by(lambda: position.issue.options.exists() or position.participant.save())


def test_dates_do_not_go_past_today(client, seeded):
    tomorrow = timezone.localdate() + dt.timedelta(days=1)
    assert client.get(TABLE, {"as_of": tomorrow.isoformat()}).status_code == 400


def test_home_says_when_the_latest_position_was_stated(client, seeded):
    assert "Latest position stated 14 April 2025" in text_of(client.get("/"))


def test_readers_get_a_cached_page_until_the_data_changes(
    client, seeded, django_assert_num_queries
):
    first = client.get(TABLE, {"as_of": "2025-04-14"})
    with django_assert_num_queries(1):  # the negotiation's change stamp, for the key
        again = client.get(TABLE, {"as_of": "2025-04-14"})
    assert again.content == first.content
    position = Position.objects.get(summary="Raised the number it would free to nine")
    position.summary = "Raised it to nine"
    position.save()
    assert "Raised it to nine" in client.get(TABLE, {"as_of": "2025-04-14"}).content.decode()


def test_only_addresses_and_targets_the_pages_make_themselves_fill_the_cache(client, seeded):
    """Made-up values and htmx targets are answered, but kept once at most: else anyone could
    fill the server's memory with copies of one page."""
    cache.clear()
    kept = lambda: len(cache._cache)  # noqa: E731 (the per-process cache of the tests)
    client.get(TABLE, {"as_of": "2025-04-14", "sort": "gap"})
    assert kept() == 1
    for made_up in (
        {"as_of": "2025-4-14"},
        {"known": "true"},
        {"sort": "widest"},
        {"page": "77777"},
        {"page": "0"},
    ):
        assert client.get(TABLE, made_up).status_code in (200, 400)
    assert client.get(f"{TABLE}?sort=gap&sort=gap").status_code == 200
    assert kept() == 1
    for target in ("t1", "t2", "table-region"):  # unknown targets get the table region
        response = client.get(TABLE, headers={"HX-Request": "true", "HX-Target": target})
        assert response.status_code == 200
    assert kept() == 2


def test_a_page_naming_its_own_address_is_kept_per_host_and_a_foreign_host_refused(
    client, seeded, settings
):
    settings.ALLOWED_HOSTS = ["testserver", "gapwatch.example.org"]
    url = reverse("negotiations:gaps_json", args=[SEED_SLUG])
    other = client.get(url, headers={"Host": "gapwatch.example.org"}).json()
    assert other["negotiation"]["url"].startswith("http://gapwatch.example.org/")
    assert client.get(url).json()["negotiation"]["url"].startswith("http://testserver/")
    assert client.get(url, headers={"Host": "evil.example"}).status_code == 400  # cached or not


def test_what_is_made_for_someone_signed_in_is_marked_private(client, seeded, django_user_model):
    positions = reverse("negotiations:positions_csv", args=[SEED_SLUG])
    for url in (TABLE, positions):
        assert "private" not in client.get(url).get("Cache-Control", "")  # readers' pages
    client.force_login(django_user_model.objects.create_user("ana"))
    for url in (TABLE, positions, "/workspace/"):
        assert "private" in client.get(url)["Cache-Control"], url


def test_signed_in_users_are_never_served_from_the_cache(client, seeded, django_user_model):
    client.get(TABLE)
    user = django_user_model.objects.create_user("ana", password="a-long-password-1")
    client.force_login(user)
    html = client.get(TABLE).content.decode()
    assert f"Sign out ({user.username})" in html


@pytest.mark.parametrize(
    "url",
    [TABLE, f"{TABLE}issues/living-hostages/", f"{TABLE}gaps.json"],
    ids=["table", "issue", "export"],
)
def test_readers_fast_path_answers_before_sessions_and_keeps_every_header(
    client, seeded, django_assert_num_queries, url
):
    first = client.get(url)
    with django_assert_num_queries(1):
        cached = client.get(url)
    with django_assert_num_queries(1):
        not_modified = client.get(url, headers={"If-None-Match": first["ETag"]})
    assert cached.content == first.content
    assert not_modified.status_code == 304
    for response in (cached, not_modified):
        assert response["ETag"] == first["ETag"]
        assert response["Last-Modified"] == first["Last-Modified"]
        assert response["Vary"] == first["Vary"]
        assert "default-src 'self'" in response["Content-Security-Policy"]
        assert response["X-Frame-Options"] == "DENY"
        assert "sessionid" not in response.cookies


def test_the_fast_path_leaves_fragments_and_private_pages_alone(client, seeded):
    page = client.get(TABLE)
    fragment = client.get(TABLE, headers={"HX-Request": "true"})
    assert client.get(TABLE, headers={"HX-Request": "true"}).content == fragment.content
    assert fragment.content != page.content
    Negotiation.objects.filter(slug=SEED_SLUG).update(is_public=False)
    from negotiations.signals import touch

    touch([Negotiation.objects.get(slug=SEED_SLUG).pk])
    assert client.get(TABLE).status_code == 404


def test_a_cell_s_package_link_keeps_the_table_s_date(client, seeded):
    html = client.get(TABLE, {"as_of": "2025-04-13", "sort": "gap"}).content.decode()
    assert (
        f'<a class="badge badge--package" href="{TABLE}packages/egyptian-proposal/'
        '?as_of=2025-04-13"' in html
    )


def test_the_gap_table_markup_gives_assistive_technology_what_it_needs(client, seeded):
    html = client.get(TABLE, {"as_of": "2025-04-13"}).content.decode()
    # A scroll area a keyboard can reach, named for screen readers.
    assert '<div class="table-scroll" tabindex="0" role="region" aria-label="Gap table' in html
    # "No position" as text (an aria-label on a plain span is ignored).
    assert '<span class="visually-hidden">No position</span>' in html
    assert 'aria-label="No position"' not in html
    # Every aria-describedby names an element that exists.
    ids = set(re.findall(r' id="([^"]+)"', html))
    described = {
        i for value in re.findall(r'aria-describedby="([^"]+)"', html) for i in value.split()
    }
    assert described <= ids


def test_a_deploy_that_changes_the_code_changes_every_etag(client, seeded, monkeypatch, tmp_path):
    template = tmp_path / "templates" / "page.html"
    template.parent.mkdir()
    template.write_text("old markup")
    (tmp_path / "pyproject.toml").write_text('[project]\ndependencies = ["Django>=6.1,<6.2"]\n')
    before = conditional.code_version(tmp_path)
    template.write_text("new markup")
    assert conditional.code_version(tmp_path) != before
    # A deploy that only upgrades a dependency changes it too.
    before = conditional.code_version(tmp_path)
    upgraded = {"Django": "6.1.99"}
    monkeypatch.setattr(conditional.metadata, "version", lambda name: upgraded[name])
    assert conditional.code_version(tmp_path) != before
    # A reader's copy from before the deploy is neither confirmed (304) nor served from the cache.
    etag = client.get(TABLE)["ETag"]
    monkeypatch.setattr(conditional, "CODE_VERSION", "the next release")
    response = client.get(TABLE, headers={"If-None-Match": etag})
    assert response.status_code == 200
    assert response["ETag"] != etag
