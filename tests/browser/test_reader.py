"""What a reader does with the gap table, in a real browser."""

import csv
import io
import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.conftest import SEED_SLUG

pytestmark = pytest.mark.browser


def open_table(page, live_server, query: str = ""):
    page.goto(f"{live_server.url}/n/{SEED_SLUG}/{query}")
    page.evaluate("window.__notReloaded = true")


def requested_urls(page) -> list[str]:
    """Every address the page requests from now on, in order (the list fills as it goes)."""
    urls: list[str] = []
    page.on("request", lambda request: urls.append(request.url))
    return urls


def test_as_of_control_swaps_the_table_and_the_address_without_reloading(
    watched_page, live_server, live_seeded
):
    page = watched_page
    open_table(page, live_server)
    expect(page.locator("#gap-table caption")).to_contain_text("(today)")
    page.fill("input[name=as_of]", "2025-04-13")
    expect(page.locator("#gap-table caption")).to_contain_text("13 April 2025")
    expect(page).to_have_url(re.compile(r"\?as_of=2025-04-13$"))  # no "&sort=order"
    page.select_option("select[name=sort]", "gap")
    expect(page).to_have_url(re.compile(r"\?as_of=2025-04-13&sort=gap$"))
    page.select_option("select[name=sort]", "order")
    expect(page).to_have_url(re.compile(r"\?as_of=2025-04-13$"))
    assert page.evaluate("window.__notReloaded") is True
    expect(page.locator("#issue-living-hostages .gap__words")).to_have_text("not enough positions")
    # The title (browser tab, history, bookmarks) says the date too, and stays out of the page.
    expect(page).to_have_title(re.compile(r", as of 13 April 2025 · Gapwatch$"))
    expect(page.locator("body title:not(svg title)")).to_have_count(0)
    # The same address, loaded directly, shows the same table.
    page.goto(page.url)
    expect(page.locator("#gap-table caption")).to_contain_text("13 April 2025")
    expect(page.locator("input[name=as_of]")).to_have_value("2025-04-13")


def test_a_refused_order_is_no_longer_marked_once_the_table_is_shown_again(
    watched_page, live_server, live_seeded
):
    page = watched_page
    open_table(page, live_server, "?as_of=2025-04-14&sort=sideways")
    sort = page.locator("select[name=sort]")
    expect(sort).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#id_sort_error")).to_contain_text("Order by")
    page.fill("input[name=as_of]", "2025-04-13")
    expect(page.locator("#gap-table caption")).to_contain_text("13 April 2025")
    expect(page.locator("#id_sort_error")).to_have_count(0)
    expect(sort).not_to_have_attribute("aria-invalid", "true")
    described = sort.get_attribute("aria-describedby") or ""
    assert "id_sort_error" not in described


def test_back_button_restores_the_earlier_table(watched_page, live_server, live_seeded):
    page = watched_page
    open_table(page, live_server, "?as_of=2025-04-14")
    page.fill("input[name=as_of]", "2025-04-13")  # fires "change" once
    expect(page.locator("#gap-table caption")).to_contain_text("13 April 2025")
    page.go_back()
    expect(page.locator("#gap-table caption")).to_contain_text("14 April 2025")


def test_denied_claims_toggle(watched_page, live_server, live_seeded):
    page = watched_page
    open_table(page, live_server)
    denied = page.locator(".withdrawn", has_text="Reportedly willing to give up its weapons")
    expect(denied).to_have_count(0)
    page.get_by_label("Show denied and retracted claims").check()
    expect(denied).to_be_visible()
    expect(page.locator("#issue-disarmament")).to_contain_text(
        "denied on 14 Apr 2025 · Unnamed senior Hamas"
    )
    expect(page).to_have_url(re.compile(r"withdrawn=on"))
    assert page.evaluate("window.__notReloaded") is True


def test_gap_table_csv_download_opens_and_parses(watched_page, live_server, live_seeded):
    page = watched_page
    open_table(page, live_server, "?as_of=2025-04-14")
    with page.expect_download() as download_info:
        page.get_by_role("link", name="CSV", exact=True).click()
    download = download_info.value
    assert download.suggested_filename == f"{SEED_SLUG}_gaps_2025-04-14.csv"
    rows = list(csv.DictReader(io.StringIO(Path(download.path()).read_text(encoding="utf-8"))))
    assert len(rows) == 77
    hamas = next(r for r in rows if r["issue"] == "living-hostages" and r["actor"] == "hamas")
    assert hamas["gap"] == "2 hostages apart"


def test_screenshots_of_the_gap_table(watched_page, live_server, live_seeded, screenshot_dir):
    page = watched_page
    page.set_viewport_size({"width": 1440, "height": 1000})
    open_table(page, live_server, "?as_of=2025-04-14")
    page.screenshot(path=str(screenshot_dir / "gap-table.png"), full_page=True)
    page.set_viewport_size({"width": 390, "height": 844})
    page.reload()
    page.screenshot(path=str(screenshot_dir / "gap-table-phone.png"), full_page=True)
    assert (screenshot_dir / "gap-table.png").stat().st_size > 10_000


def test_keyboard_reaches_the_as_of_control_and_the_table_links(
    watched_page, live_server, live_seeded
):
    page = watched_page
    open_table(page, live_server)
    page.keyboard.press("Tab")
    expect(page.locator(":focus")).to_have_text("Skip to content")
    page.keyboard.press("Enter")
    for _ in range(12):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.name") == "as_of":
            break
    assert page.evaluate("document.activeElement.name") == "as_of"


def test_issue_page_chart_renders(watched_page, live_server, live_seeded):
    page = watched_page
    page.goto(f"{live_server.url}/n/{SEED_SLUG}/issues/living-hostages/")
    expect(page.locator("svg.history-chart title").first).to_contain_text("the gap over time")
    expect(page.locator("svg.history-chart circle")).to_have_count(2)


def test_an_issue_s_history_opened_from_a_dated_table_keeps_the_date_there_and_back(
    watched_page, live_server, live_seeded
):
    page = watched_page
    open_table(page, live_server)
    page.fill("input[name=as_of]", "2025-04-14")
    expect(page.locator("#gap-table caption")).to_contain_text("14 April 2025")
    page.get_by_role("link", name="Living hostages released").click()
    expect(page.locator("#table-day")).to_have_text(
        "In the gap table as of 14 April 2025: 2 hostages apart (US vs Hamas). "
        "The chart marks the date."
    )
    expect(page.locator(".history-chart .table-day-label")).to_have_text(
        "14 Apr 2025: the table’s date"
    )
    page.get_by_role("link", name="← Gap table").click()
    expect(page.locator("#gap-table caption")).to_contain_text("Positions as of 14 April 2025")
    expect(page.locator("input[name=as_of]")).to_have_value("2025-04-14")


def test_an_actor_s_page_shows_its_positions_on_a_date_picked_there(
    watched_page, live_server, live_seeded
):
    page = watched_page
    page.goto(f"{live_server.url}/n/{SEED_SLUG}/actors/hamas/")
    expect(page.get_by_role("heading", name="Current positions")).to_be_visible()
    page.fill("input[name=as_of]", "2025-04-13")
    page.get_by_role("button", name="Show").click()
    expect(page.get_by_role("heading", name="Positions as of 13 April 2025")).to_be_visible()
    expect(page).to_have_url(re.compile(r"/actors/hamas/\?as_of=2025-04-13$"))


def test_a_rejection_shows_on_the_range_chart_in_its_actor_s_colour(
    watched_page, live_server, live_seeded
):
    page = watched_page
    open_table(page, live_server, "?as_of=2025-04-14")
    hollow = page.locator("#issue-end-of-war .dot--hollow")
    expect(hollow).to_have_count(1)
    colour = hollow.get_attribute("stroke")  # the actor's colour, "#rrggbb"
    red, green, blue = (int(colour[i : i + 2], 16) for i in (1, 3, 5))
    outline = hollow.evaluate("dot => getComputedStyle(dot).stroke")
    assert outline == f"rgb({red}, {green}, {blue})"


def test_a_date_the_control_cannot_take_is_refused_where_it_is_typed(
    watched_page, live_server, live_seeded
):
    page = watched_page
    open_table(page, live_server, "?as_of=2025-04-14")
    requests = requested_urls(page)
    date = page.locator("input[name=as_of]")
    date.focus()  # the month: a date control takes its parts in order
    page.keyboard.type("05052099")  # month, day, year, as a person types into the control
    page.wait_for_timeout(1200)  # well past the 700 ms the form waits after a date changes
    # Nothing is sent, the table stays as it was, and the control is marked as refused.
    assert not [url for url in requests if "as_of=" in url], requests
    expect(page.locator("#gap-table caption")).to_contain_text("14 April 2025")
    assert date.input_value() == "2099-05-05"
    assert date.evaluate("input => input.validity.rangeOverflow") is True
    assert date.evaluate("input => input.matches(':user-invalid')") is True
    expect(page.locator("#as-of-problem")).to_have_text(
        date.evaluate("input => input.validationMessage")
    )
    # Typing it part by part passed through dates the control takes (2025-05-14, 2025-05-05...):
    # none was sent, only the date typed once the typing stops. A date it takes goes as usual.
    date.fill("2025-04-13")
    expect(page.locator("#gap-table caption")).to_contain_text("13 April 2025")
    assert [url for url in requests if "as_of=" in url] == [
        f"{live_server.url}/n/{SEED_SLUG}/?as_of=2025-04-13"
    ], requests


@pytest.mark.parametrize(
    "path", ["", "issues/living-hostages/", "sources/", "changes/", "actors/hamas/"]
)
def test_no_page_scrolls_sideways_on_a_phone(watched_page, live_server, live_seeded, path):
    page = watched_page
    page.set_viewport_size({"width": 375, "height": 800})
    page.goto(f"{live_server.url}/n/{SEED_SLUG}/{path}")
    # Wide content (the gap table, the issue chart) scrolls inside its own box, not the page.
    assert page.evaluate("document.documentElement.scrollWidth") <= 375


def test_the_issue_chart_keeps_a_readable_size_on_a_phone(watched_page, live_server, live_seeded):
    page = watched_page
    page.set_viewport_size({"width": 375, "height": 800})
    page.goto(f"{live_server.url}/n/{SEED_SLUG}/issues/living-hostages/")
    chart = page.locator("svg.history-chart")
    # Never drawn smaller than its own size (760 units wide): its 11 px labels stay 11 px.
    assert chart.bounding_box()["width"] >= 760
    box = page.locator(".chart-scroll")
    assert box.evaluate("box => box.scrollWidth > box.clientWidth")
    # It opens on its latest days, at the right end, and uses the width of the screen.
    assert box.evaluate("box => box.scrollLeft + box.clientWidth >= box.scrollWidth - 1")
    assert box.bounding_box()["width"] >= 375 - 2 * 16
    # Its scale is in sight there too: repeated at the right end (wide screens show it once).
    scale = page.locator(".history-chart .tick--end")
    expect(scale).to_have_text(["unknown", "0", "1", "2"])
    edge = box.bounding_box()
    for label in scale.all():
        place = label.bounding_box()
        assert edge["x"] <= place["x"] and place["x"] + place["width"] <= edge["x"] + edge["width"]
    page.set_viewport_size({"width": 1280, "height": 800})
    expect(scale.first).to_be_hidden()


def test_on_a_phone_the_issue_chart_opens_on_the_table_s_date_it_marks(
    watched_page, live_server, live_seeded
):
    page = watched_page
    page.set_viewport_size({"width": 375, "height": 800})
    page.goto(f"{live_server.url}/n/{SEED_SLUG}/issues/living-hostages/?as_of=2025-01-20")
    box = page.locator(".chart-scroll").bounding_box()
    marker = page.locator(".history-chart .table-day").bounding_box()
    assert box["x"] <= marker["x"] <= box["x"] + box["width"]
    # Not at the right end, where the latest days are: the date is far from them.
    scrolled = page.locator(".chart-scroll")
    assert scrolled.evaluate("box => box.scrollLeft + box.clientWidth < box.scrollWidth - 50")


def test_on_a_phone_a_source_s_card_starts_with_its_headline(
    watched_page, live_server, live_seeded
):
    page = watched_page
    page.set_viewport_size({"width": 375, "height": 800})
    page.goto(f"{live_server.url}/n/{SEED_SLUG}/sources/")
    card = page.locator(".source-list > li").first
    headline = card.locator("h2")
    # No blank band above the headline (a page heading's top margin), and a readable size.
    assert headline.bounding_box()["y"] - card.bounding_box()["y"] < 30
    assert headline.evaluate("h => parseFloat(getComputedStyle(h).fontSize)") <= 18
    # The outlet, date and grade read as one line of text, not spread out as boxes.
    assert card.locator(".source-meta").evaluate("p => getComputedStyle(p).display") == "block"


def test_on_a_phone_a_scrolled_table_keeps_its_issue_column_and_caption(
    watched_page, live_server, live_seeded
):
    page = watched_page
    page.set_viewport_size({"width": 375, "height": 800})
    open_table(page, live_server, "?as_of=2025-04-14")
    # The actors start off-screen, and the page says where they are.
    expect(page.get_by_text("Each actor’s position is further right")).to_be_visible()
    page.locator(".table-scroll").evaluate("box => { box.scrollLeft = box.scrollWidth }")
    issue = page.locator("#issue-living-hostages th[scope=row]").bounding_box()
    assert 0 <= issue["x"] < 30 and issue["width"] <= 375 / 3  # in sight, a third at most
    # Its heading stays over it, and the actors' headings stay over their own columns.
    heading = page.locator("#gap-table thead th").first.bounding_box()
    assert (heading["x"], heading["width"]) == (issue["x"], issue["width"])
    for column in (4, 10):
        head = page.locator(f"#gap-table thead th:nth-child({column})").bounding_box()
        cell = page.locator(f"#issue-living-hostages > :nth-child({column})").bounding_box()
        assert head["x"] == cell["x"]
    caption = page.locator("#gap-table caption").bounding_box()
    assert caption["x"] >= 0 and caption["x"] + caption["width"] <= 375


@pytest.mark.parametrize("width", [1280, 375])
def test_the_actors_names_stay_over_their_columns_down_to_the_last_issue(
    watched_page, live_server, live_seeded, width
):
    page = watched_page
    page.set_viewport_size({"width": width, "height": 800})
    open_table(page, live_server, "?as_of=2025-04-14")
    hint = page.get_by_text("Each actor’s position is further right")
    expect(hint).to_be_visible(visible=width < 720)  # said only where the table is wider
    last = page.locator("#gap-table > tbody > tr:not(.record-row)").last
    hamas = page.locator("#gap-table thead th", has_text="Hamas")
    hamas.scroll_into_view_if_needed()
    # To the table, then down it with the mouse wheel, until its last issue is in sight.
    page.locator(".table-scroll").evaluate(
        "box => window.scrollBy(0, box.getBoundingClientRect().top)"
    )
    box = page.locator(".table-scroll").bounding_box()
    page.mouse.move(box["x"] + 40, box["y"] + box["height"] / 2)
    for _ in range(40):
        if last.bounding_box()["y"] + last.bounding_box()["height"] <= 800:
            break
        page.mouse.wheel(0, 150)
        page.wait_for_timeout(50)
    head, row = hamas.bounding_box(), last.bounding_box()
    assert head["y"] >= 0 and head["y"] + head["height"] <= row["y"]  # over the last row
    assert row["y"] + row["height"] <= 800 + 1  # and that row in sight below it
    covering = page.evaluate(
        "([x, y]) => document.elementFromPoint(x, y).closest('th')?.textContent",
        [head["x"] + head["width"] / 2, head["y"] + head["height"] / 2],
    )
    assert "Hamas" in covering


def test_a_position_s_conditions_open_with_a_tap_or_the_keyboard(
    watched_page, live_server, live_seeded
):
    page = watched_page
    open_table(page, live_server, "?as_of=2025-04-14")
    row = page.locator("#issue-living-hostages")
    conditions = row.locator(".conditions-popover")
    expect(conditions).to_be_hidden()
    row.get_by_role("button", name="with conditions").click()
    expect(conditions).to_be_visible()
    expect(conditions).to_contain_text("In exchange for Palestinian prisoners")
    page.keyboard.press("Escape")
    expect(conditions).to_be_hidden()
    row.get_by_role("button", name="with conditions").focus()
    page.keyboard.press("Enter")
    expect(conditions).to_be_visible()


def test_a_slow_typist_can_type_a_date(watched_page, live_server, live_seeded):
    page = watched_page
    open_table(page, live_server, "?as_of=2025-04-14")
    date = page.locator("input[name=as_of]")
    date.focus()
    # Pauses longer than the form waits: the year passes through 0002, 0020 and 0202 on its way.
    page.keyboard.type("04102024", delay=900)
    expect(date).to_have_value("2024-04-10")
    expect(page.locator("#gap-table caption")).to_contain_text("10 April 2024")
    expect(page.locator("#as-of-problem")).to_be_empty()


def test_pressing_enter_while_the_form_waits_sends_the_date_once(
    watched_page, live_server, live_seeded
):
    page = watched_page
    open_table(page, live_server, "?as_of=2025-04-14")
    requests = requested_urls(page)
    page.locator("input[name=as_of]").focus()
    page.keyboard.type("04132025")
    page.keyboard.press("Enter")  # within the 700 ms the form waits after a change
    expect(page.locator("#gap-table caption")).to_contain_text("13 April 2025")
    page.wait_for_timeout(1200)  # past the wait: the change it was waiting for went with Enter
    assert [url for url in requests if "as_of=" in url] == [
        f"{live_server.url}/n/{SEED_SLUG}/?as_of=2025-04-13"
    ], requests
    page.go_back()  # one history entry for the one request
    expect(page.locator("#gap-table caption")).to_contain_text("14 April 2025")
