"""What an analyst does in the workspace, in a real browser."""

import re

import pytest
from django.contrib.auth.models import Group
from playwright.sync_api import expect

from negotiations.models import Position, Source
from tests.conftest import SEED_SLUG

pytestmark = pytest.mark.browser

PASSWORD = "a-long-test-password-9"


@pytest.fixture
def analyst(live_seeded, django_user_model):
    user = django_user_model.objects.create_user("ana", password=PASSWORD)
    user.groups.add(Group.objects.get(name="Analyst"))
    return user


def sign_in(page, live_server, username: str = "ana"):
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Workspace")).to_be_visible()


def fill_offer(form, summary: str, stated_on: str | None = None) -> None:
    """Fill the record form's common fields for an offer reported by Al-Araby Al-Jadeed on
    14 April (credibility 3); the caller fills the value, which depends on the issue."""
    form.get_by_label("Offer").check()
    if stated_on:
        form.get_by_label("Stated on").fill(stated_on)
    form.get_by_label("Summary").fill(summary)
    araby = Source.objects.get(slug="araby-2025-04-14")
    form.get_by_label("Source", exact=True).select_option(str(araby.pk))
    form.get_by_label("Credibility").select_option("3")


def at_the_table(page, live_server) -> None:
    """Signed in as the analyst, at the gap table as of 14 April 2025."""
    sign_in(page, live_server)
    page.goto(f"{live_server.url}/n/{SEED_SLUG}/?as_of=2025-04-14")


def offer_in_place(page, actor: str, summary: str, hostages: str | None = None):
    """Open the record form in the actor's cell of "Living hostages released" and fill an offer
    (of `hostages`, if given); the form, not yet saved."""
    page.locator(f"#record-link-living-hostages-{actor}").click()
    form = page.locator(".record-row form")
    fill_offer(form, summary)
    if hostages is not None:
        form.get_by_label("Exactly (hostages)").fill(hostages)
    return form


def save_answered_instead(page, form, actor: str, status: int, body: str = "") -> None:
    """Save `form` while something other than the app (a proxy, a refusal) answers for the
    actor's cell with `status`; the page says so at its top."""
    page.route(
        f"**/record/living-hostages/{actor}/**",
        lambda route: route.fulfill(status=status, body=body),
    )
    form.get_by_role("button", name="Save position").click()
    expect(page.locator("#page-alert")).to_contain_text(f"the server answered {status}")


def test_record_hamas_moving_to_ten_and_watch_the_gap_shrink_without_reload(
    watched_page, live_server, analyst
):
    page = watched_page
    at_the_table(page, live_server)
    page.evaluate("window.__notReloaded = true")
    row = page.locator("#issue-living-hostages")
    expect(row.locator(".gap__words")).to_have_text("2 hostages apart")
    row.get_by_label("Record a new position of Hamas on Living hostages released").click()
    form = page.locator(".record-row form")
    expect(form).to_be_visible()
    fill_offer(form, "Would free ten", stated_on="2025-04-14")
    form.get_by_label("Exactly (hostages)").fill("10")
    form.get_by_role("button", name="Save position").click()
    expect(row.locator(".gap__words")).to_have_text("1 hostage apart")
    expect(page.locator(".record-row")).to_have_count(0)
    # The cell's link takes the focus back, and the page says what was saved.
    expect(page.locator("#record-link-living-hostages-hamas")).to_be_focused()
    status = page.locator("#record-status")
    expect(status).to_contain_text("Saved: Hamas · Living hostages released: Would free ten.")
    expect(page.locator("#summary")).to_contain_text("Widest gap")
    status.get_by_role("button", name="Dismiss this message").click()
    expect(status).to_be_empty()
    expect(status).to_be_hidden()
    # Back to the cell the analyst was working in, not lost to the top of the page.
    expect(page.locator("#record-link-living-hostages-hamas")).to_be_focused()
    assert page.evaluate("window.__notReloaded") is True
    saved = Position.objects.get(summary="Would free ten")
    assert (saved.value_min, saved.recorded_by) == (10, analyst)


def test_a_bad_entry_comes_back_in_place_with_the_message(watched_page, live_server, analyst):
    page = watched_page
    sign_in(page, live_server)
    page.goto(f"{live_server.url}/n/{SEED_SLUG}/")
    row = page.locator("#issue-living-hostages")
    row.get_by_label("Record a new position of Hamas on Living hostages released").click()
    form = page.locator(".record-row form")
    form.get_by_label("Offer").check()
    form.get_by_label("Exactly (hostages)").fill("10")
    form.get_by_label("Summary").fill("No source given")
    form.get_by_label("Credibility").select_option("3")
    form.get_by_role("button", name="Save position").click()
    expect(page.locator(".record-row .field-error")).to_contain_text(
        "Pick the report this position comes from"
    )
    expect(page.locator(".record-row form").get_by_label("Summary")).to_have_value(
        "No source given"
    )
    assert not Position.objects.filter(summary="No source given").exists()


def test_add_a_report_with_three_positions(watched_page, live_server, analyst):
    page = watched_page
    sign_in(page, live_server)
    page.goto(f"{live_server.url}/n/{SEED_SLUG}/reports/new/")
    page.get_by_label("Outlet").fill("Wire")
    page.get_by_label("Headline").fill("Three positions in one report")
    page.get_by_label("Published on").fill("2025-04-15")
    page.get_by_label("Reliability grade").select_option("B")
    page.get_by_role("button", name="+ Add a position").click()
    page.get_by_role("button", name="+ Add a position").click()
    rows = page.locator("fieldset.report-row")
    expect(rows).to_have_count(3)
    expect(rows.nth(2).get_by_label("Actor")).to_be_focused()  # the row just added
    entries = [
        ("Hamas", "Living hostages released", "offer", {"Exactly": "10"}, "Ten"),
        (
            "Israel",
            "Length of the pause in fighting",
            "offer",
            {"From": "30", "To": "45"},
            "Thirty to forty-five days",
        ),
        ("Israel", "Commitment to end the war", "rejection", {"Yes/no": "yes"}, "Still no"),
    ]
    fields_of_kind = {"quantity": ("Exactly", "From", "To"), "yes/no": ("Yes/no",)}
    value_labels = ("Exactly", "From", "To", "Yes/no", "Scale option")
    for row, (actor, issue, stance, values, summary) in zip(rows.all(), entries, strict=True):
        row.get_by_label("Actor").select_option(label=actor)
        row.get_by_label("Issue").select_option(label=issue)
        # Only the value fields of the issue's kind show.
        shown = fields_of_kind["yes/no" if "Yes/no" in values else "quantity"]
        for label in value_labels:
            expect(row.get_by_label(label, exact=True)).to_be_visible(visible=label in shown)
        row.get_by_label("Stance").select_option(stance)
        for label, value in values.items():
            field = row.get_by_label(label, exact=True)
            if label == "Yes/no":
                field.select_option(label=value)
            else:
                field.fill(value)
        row.get_by_label("Stated on").fill("2025-04-15")
        row.get_by_label("Credibility").select_option("2")
        row.get_by_label("Summary").fill(summary)
    page.get_by_role("button", name="Save the report and its positions").click()
    expect(page.locator(".messages")).to_contain_text("with 3 positions")
    source = Source.objects.get(headline="Three positions in one report")
    assert source.positions.count() == 3


def test_a_report_picked_from_the_record_needs_none_typed_in(watched_page, live_server, analyst):
    page = watched_page
    sign_in(page, live_server)
    page.goto(f"{live_server.url}/n/{SEED_SLUG}/reports/new/")
    typed_in = page.get_by_role("group", name="Or type in a report not on record yet")
    outlet = typed_in.get_by_label("Outlet")
    expect(outlet).to_be_enabled()
    picked = Source.objects.get(slug="alarabiya-2025-04-14")
    page.get_by_label("Source", exact=True).select_option(str(picked.pk))
    expect(typed_in).to_have_attribute("disabled", "")  # set aside: not sent, not required
    expect(outlet).to_be_disabled()
    row = page.locator("fieldset.report-row").first
    row.get_by_label("Actor").select_option(label="Hamas")
    row.get_by_label("Issue").select_option(label="Living hostages released")
    row.get_by_label("Stance").select_option("offer")
    row.get_by_label("Exactly", exact=True).fill("10")
    row.get_by_label("Credibility").select_option("2")
    row.get_by_label("Summary").fill("Ten, says a second official")
    page.get_by_role("button", name="Save the report and its positions").click()
    expect(page.locator(".messages")).to_contain_text(
        "Added 1 position to the report on record: Al-Arabiya"
    )
    assert picked.positions.filter(summary="Ten, says a second official").count() == 1
    # Picked back to none, the report is typed in again, and the page asks for it.
    page.goto(f"{live_server.url}/n/{SEED_SLUG}/reports/new/")
    page.get_by_label("Source", exact=True).select_option(str(picked.pk))
    page.get_by_label("Source", exact=True).select_option("")
    expect(outlet).to_be_enabled()


@pytest.mark.parametrize("height", [844, 500])
def test_on_a_phone_the_record_form_opens_without_moving_the_table_sideways(
    watched_page, live_server, analyst, height
):
    page = watched_page
    page.set_viewport_size({"width": 390, "height": height})
    at_the_table(page, live_server)
    link = page.locator("#record-link-living-hostages-hostage-families")
    link.scroll_into_view_if_needed()
    table = page.locator(".table-scroll")
    sideways = table.evaluate("box => box.scrollLeft")
    assert sideways > 500  # the Families column, far right
    link.click()
    field = page.locator(".record-row form").get_by_role("radio").first
    expect(field).to_be_focused()
    assert table.evaluate("box => box.scrollLeft") == sideways  # still at the Families column
    place = field.bounding_box()
    assert place["y"] >= 0 and place["y"] + place["height"] <= height  # and the field in sight


def test_a_conflict_is_shown_and_nothing_is_overwritten(
    watched_page, live_server, analyst, django_user_model
):
    page = watched_page
    sign_in(page, live_server)
    position = Position.objects.get(summary="Raised the number it would free to nine")
    page.goto(f"{live_server.url}/positions/{position.uid}/edit/")
    page.get_by_label("Summary").fill("My wording")
    # Meanwhile another analyst saves a correction.
    other = Position.objects.get(pk=position.pk)
    other.summary = "Their wording"
    other._history_user = django_user_model.objects.create_user("bea", password=PASSWORD)
    other.save()
    page.get_by_role("button", name="Save correction").click()
    conflict = page.locator("#conflict")
    expect(conflict).to_contain_text("This record was saved again while you were editing it")
    expect(conflict).to_contain_text("Their wording")
    expect(page.get_by_label("Summary")).to_have_value("My wording")
    position.refresh_from_db()
    assert position.summary == "Their wording"


def test_import_a_csv_file(watched_page, live_server, analyst, tmp_path):
    page = watched_page
    sign_in(page, live_server)
    exported = page.request.get(f"{live_server.url}/n/{SEED_SLUG}/positions.csv").text()
    header, *rows = exported.splitlines()
    eight = next(row for row in rows if "Eight living hostages" in row)
    new_row = "," + eight.split(",", 1)[1].replace(
        "Eight living hostages", "Imported through the browser"
    )
    path = tmp_path / "positions.csv"
    path.write_text(f"{header}\n{new_row}\n", encoding="utf-8")
    page.goto(f"{live_server.url}/n/{SEED_SLUG}/import/")
    page.get_by_label("CSV file").set_input_files(str(path))
    page.get_by_role("button", name="Check the file").click()
    expect(page.locator("#import-preview")).to_contain_text("Imported through the browser")
    page.get_by_role("button", name="Import 1 position").click()
    expect(page.locator(".messages")).to_contain_text("Imported 1 new")
    assert Position.objects.filter(summary="Imported through the browser").exists()


def test_the_record_form_is_usable_from_the_keyboard(watched_page, live_server, analyst):
    page = watched_page
    at_the_table(page, live_server)
    link = page.locator("#record-link-living-hostages-hamas")
    link.focus()
    page.keyboard.press("Enter")
    row = page.locator("#record-living-hostages-hamas")
    expect(row).to_be_visible()
    # The focus moves into the form, and Escape closes it and gives the focus back to the link.
    expect(row.locator(":focus")).to_have_count(1)
    page.keyboard.press("Escape")
    expect(row).to_have_count(0)
    expect(link).to_be_focused()
    # Opening the same cell's form twice gives one form, not two.
    link.click()
    expect(row).to_be_visible()
    link.click()
    page.wait_for_timeout(300)
    expect(page.locator(".record-row")).to_have_count(1)
    # Saving with a required field empty sends nothing: the browser points at the field.
    requests = []
    page.on("request", lambda request: requests.append(request.method))
    row.get_by_role("button", name="Save position").click()
    expect(row.get_by_label("Demand")).to_be_focused()
    assert "POST" not in requests
    # A save the server refuses puts the focus on the first field in error.
    row.get_by_label("Offer").check()
    row.get_by_label("Exactly (hostages)").fill("10")
    row.get_by_label("Summary").fill("No source given")
    row.get_by_label("Credibility").select_option("3")
    row.get_by_role("button", name="Save position").click()
    expect(row.locator(".field-error").first).to_be_visible()
    expect(row.get_by_label("Source", exact=True)).to_be_focused()
    # What was typed is not thrown away without asking: Escape and Cancel ask first.
    questions = []

    def answer(dialog, accept: bool) -> None:
        questions.append(dialog.message)
        dialog.accept() if accept else dialog.dismiss()

    page.once("dialog", lambda dialog: answer(dialog, accept=False))
    page.keyboard.press("Escape")
    page.wait_for_timeout(300)
    expect(row).to_be_visible()
    expect(row.get_by_label("Summary")).to_have_value("No source given")
    # Cancel, confirmed, closes it and gives the focus back to the link.
    page.once("dialog", lambda dialog: answer(dialog, accept=True))
    row.get_by_role("link", name="Cancel").click()
    expect(row).to_have_count(0)
    expect(link).to_be_focused()
    assert questions == ["Close the form? What you typed in it will be lost."] * 2
    # Typing alone, unsent, is enough for the question.
    link.click()
    row.get_by_label("Summary").fill("Typed, not sent")
    page.once("dialog", lambda dialog: answer(dialog, accept=False))
    row.get_by_role("link", name="Cancel").click()
    page.wait_for_timeout(300)
    expect(row).to_be_visible()
    assert len(questions) == 3


def test_saving_after_signing_out_elsewhere_keeps_what_was_typed(
    watched_page, live_server, analyst
):
    page = watched_page
    at_the_table(page, live_server)
    form = offer_in_place(page, "hamas", "Typed before the session ended", hostages="10")
    # Signed out in another tab of the same browser.
    other = page.context.new_page()
    other.goto(f"{live_server.url}/workspace/")
    other.get_by_role("button", name="Sign out (ana)").click()
    other.close()
    form.get_by_role("button", name="Save position").click()
    alert = page.locator("#page-alert")
    expect(alert).to_contain_text("Your session has ended, so this was not saved.")
    expect(alert.get_by_role("link", name="Sign in again")).to_be_visible()
    expect(form.get_by_label("Summary")).to_have_value("Typed before the session ended")
    expect(page.locator("main h1")).to_have_count(1)  # no sign-in page inside the table
    assert not Position.objects.filter(summary="Typed before the session ended").exists()


def test_the_word_on_a_save_is_in_sight_far_down_the_table(watched_page, live_server, analyst):
    page = watched_page
    page.set_viewport_size({"width": 1280, "height": 600})
    sign_in(page, live_server)
    page.goto(f"{live_server.url}/n/{SEED_SLUG}/?as_of=2025-04-13")
    page.locator("#record-link-hostage-report-israel").click()
    form = page.locator(".record-row form")
    fill_offer(form, "Will report on the hostages", stated_on="2025-04-14")
    form.get_by_label("yes").check()
    form.get_by_role("button", name="Save position").click()
    status = page.locator("#record-status")
    expect(status).to_contain_text("The table does not show it: it was stated on 14 April 2025")
    expect(status).to_be_in_viewport()


def test_a_failed_save_is_not_hidden_behind_the_word_on_an_earlier_one(
    watched_page, live_server, analyst
):
    page = watched_page
    page.set_viewport_size({"width": 375, "height": 800})
    at_the_table(page, live_server)
    form = offer_in_place(page, "hamas", "Would free ten", hostages="10")
    form.get_by_role("button", name="Save position").click()
    status = page.locator("#record-status")
    expect(status).to_contain_text("Saved: Hamas")
    # On a phone the message wraps, and its Dismiss button stays inside it.
    box, button = status.bounding_box(), status.get_by_role("button").bounding_box()
    assert button["y"] + button["height"] <= box["y"] + box["height"]
    assert page.locator(".table-scroll").bounding_box()["width"] >= box["width"] - 1
    # The next save fails: its message replaces the word on the earlier one.
    form = offer_in_place(page, "egypt", "Sent while the proxy was down", hostages="9")
    save_answered_instead(page, form, "egypt", 502)
    expect(status).to_be_empty()
    page.problems.clear()  # the browser logs the 502 and htmx its error: expected here
    # Dismissing the failure goes back to the form it was about.
    page.locator("#page-alert").get_by_role("button", name="Dismiss this message").click()
    expect(page.locator("#page-alert")).to_be_empty()
    expect(form.get_by_role("button", name="Save position")).to_be_focused()


def test_two_open_forms_keep_to_themselves_and_the_table_asks_before_dropping_them(
    watched_page, live_server, analyst
):
    page = watched_page
    at_the_table(page, live_server)
    page.locator("#record-link-living-hostages-hamas").click()
    page.locator("#record-link-living-hostages-egypt").click()
    expect(page.locator(".record-row")).to_have_count(2)
    # No id twice in the page: a label of one form never reaches into the other.
    duplicates = page.evaluate(
        "() => { const ids = [...document.querySelectorAll('[id]')].map(e => e.id);"
        " return ids.filter((id, i) => ids.indexOf(id) !== i); }"
    )
    assert duplicates == []
    hamas = page.locator("#record-living-hostages-hamas")
    egypt = page.locator("#record-living-hostages-egypt")
    hamas.locator("label", has_text=re.compile(r"^Summary")).click()
    page.keyboard.type("Typed in the Hamas form")
    expect(hamas.get_by_label("Summary")).to_have_value("Typed in the Hamas form")
    expect(egypt.get_by_label("Summary")).to_have_value("")
    # Another order would replace the table and the typing in it: it asks first.
    questions = []

    def answer(dialog, accept: bool) -> None:
        questions.append(dialog.message)
        dialog.accept() if accept else dialog.dismiss()

    page.once("dialog", lambda dialog: answer(dialog, accept=False))
    page.get_by_label("Order").select_option("gap")
    page.wait_for_timeout(500)
    expect(hamas.get_by_label("Summary")).to_have_value("Typed in the Hamas form")
    expect(page.get_by_label("Order")).to_have_value("order")  # as the table still shows
    page.once("dialog", lambda dialog: answer(dialog, accept=True))
    page.get_by_label("Order").select_option("gap")
    expect(page.locator(".record-row")).to_have_count(0)
    assert questions == ["Change the table? What you typed in the open form will be lost."] * 2


def test_in_development_a_refusal_is_said_in_the_page_not_in_place_of_it(
    watched_page, live_server, analyst, settings
):
    """With DEBUG on (make run), django-htmx's script would put a 403 answer in place of the
    whole page, losing what was typed."""
    settings.DEBUG = True
    page = watched_page
    at_the_table(page, live_server)
    assert page.locator("script[data-debug=True]").count() == 1  # django-htmx's debug script
    form = offer_in_place(page, "hamas", "Refused by the server")
    save_answered_instead(page, form, "hamas", 403, "<h1>403 Forbidden</h1>")
    expect(form.get_by_label("Summary")).to_have_value("Refused by the server")
    expect(page.get_by_role("heading", name="403 Forbidden")).to_have_count(0)
    page.problems.clear()  # the browser logs the 403: expected here


def test_a_failure_between_here_and_the_server_is_said_and_the_form_kept(
    watched_page, live_server, analyst
):
    page = watched_page
    at_the_table(page, live_server)
    form = offer_in_place(page, "hamas", "Sent while the proxy was down", hostages="10")
    # A proxy in front of the app answers instead of it (its own page, no htmx headers).
    save_answered_instead(page, form, "hamas", 502, "<html><h1>Bad gateway</h1></html>")
    expect(form.get_by_label("Summary")).to_have_value("Sent while the proxy was down")
    expect(page.get_by_role("heading", name="Bad gateway")).to_have_count(0)
    expect(
        page.locator("#page-alert").get_by_role("button", name="Dismiss this message")
    ).to_be_visible()
    page.problems.clear()  # the browser logs the 502 and htmx its error: expected here
    # The proxy is back: the same form saves, and the failure no longer stands.
    page.unroute("**/record/living-hostages/hamas/**")
    form.get_by_role("button", name="Save position").click()
    expect(page.locator("#record-status")).to_contain_text("Saved: Hamas")
    expect(page.locator("#page-alert")).to_be_empty()


@pytest.mark.parametrize("width", [375, 800])
def test_a_focused_link_in_the_table_is_never_behind_the_issue_column(
    watched_page, live_server, analyst, width
):
    page = watched_page
    page.set_viewport_size({"width": width, "height": 800})
    at_the_table(page, live_server)
    scroller = page.locator(".table-scroll")
    scroller.evaluate("box => { box.scrollLeft = box.scrollWidth }")  # read to the far right
    link = page.locator("#record-link-living-hostages-israel")  # in the first actor column
    link.focus()
    issue_column = page.locator("#issue-living-hostages th[scope=row]").bounding_box()
    box = link.bounding_box()
    assert box["x"] >= issue_column["x"] + issue_column["width"] or box["y"] >= (
        issue_column["y"] + issue_column["height"]
    )
    assert box["x"] >= 0 and box["x"] + box["width"] <= width
