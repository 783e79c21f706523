"""The analysts' workspace, through the test client."""

import datetime as dt
import re
from html import unescape

import pytest
from django.contrib.auth.models import Group
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from negotiations.forms import REPORT_ROWS
from negotiations.models import (
    Issue,
    Negotiation,
    Package,
    Position,
    Round,
    Source,
    StoredGapHistory,
)
from negotiations.snapshot import why_not_shown
from tests.conftest import SEED_SLUG

pytestmark = pytest.mark.django_db

TABLE = reverse("negotiations:gap_table", args=[SEED_SLUG])
RECORD = reverse("negotiations:record", args=[SEED_SLUG, "living-hostages", "hamas"])


def user_in(django_user_model, name: str, group: str | None):
    user = django_user_model.objects.create_user(name, password="a-long-test-password-9")
    if group:
        user.groups.add(Group.objects.get(name=group))
    return user


@pytest.fixture
def analyst(seeded, django_user_model):
    return user_in(django_user_model, "ana", "Analyst")


@pytest.fixture
def analyst_client(analyst):
    client = Client()
    client.force_login(analyst)
    return client


def new_position_data(**changes) -> dict:
    araby = Source.objects.get(slug="araby-2025-04-14")
    data = {
        "stance": "offer",
        "amount": "10",
        "summary": "Would free ten",
        "stated_on": "2025-04-14",
        "source": str(araby.pk),
        "credibility": "3",
        "attribution": "Sources quoted by Al-Araby Al-Jadeed",
    }
    data.update(changes)
    return {key: value for key, value in data.items() if value is not None}


def text_of(response) -> str:
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", response.content.decode(), flags=re.S)
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)).strip()
    return unescape(re.sub(r" ([,.;:)’])", r"\1", text))


# ---------------------------------------------------------------------------------------------
# Signing in


def test_sign_in_and_out(client, analyst):
    response = client.post(
        reverse("login"), {"username": "ana", "password": "a-long-test-password-9"}
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("negotiations:workspace")
    assert "Signed in as ana (analyst)" in text_of(client.get(response["Location"]))
    assert client.post(reverse("logout")).status_code == 302
    assert client.get(reverse("negotiations:workspace")).status_code == 302


def test_readers_see_no_edit_control(client, seeded, django_user_model):
    assert "+ Record" not in client.get(TABLE).content.decode()
    reader = user_in(django_user_model, "reader", None)
    client.force_login(reader)
    html = client.get(TABLE).content.decode()
    assert "+ Record" not in html
    assert "New report" not in html


def test_analysts_see_record_controls(analyst_client):
    html = analyst_client.get(TABLE).content.decode()
    assert html.count('class="record-link') == 11 * 7
    assert "New report…" in html
    # Each link opens the form for the table the analyst is looking at: its date and options.
    dated = analyst_client.get(f"{TABLE}?as_of=2025-04-10&sort=gap").content.decode()
    record = reverse("negotiations:record", args=[SEED_SLUG, "living-hostages", "hamas"])
    assert f'href="{record}?as_of=2025-04-10&amp;sort=gap"' in dated
    assert f'hx-get="{record}?as_of=2025-04-10&amp;sort=gap"' in dated


# ---------------------------------------------------------------------------------------------
# Recording in place


def test_record_form_starts_on_the_table_s_date(analyst_client):
    html = analyst_client.get(RECORD, {"as_of": "2025-04-13"}).content.decode()
    assert re.search(r'<input type="date" name="stated_on" value="2025-04-13"', html)
    # From today's table it starts blank: most reports read today were published before.
    html = analyst_client.get(RECORD).content.decode()
    assert re.search(r'<input type="date" name="stated_on" (?!value=)', html)
    assert "Leave it blank for the day the report was published." in html


def test_a_blank_stated_date_is_the_day_the_report_was_published(analyst_client):
    response = analyst_client.post(RECORD, new_position_data(stated_on=""))
    assert response.status_code == 302
    saved = Position.objects.get(summary="Would free ten")
    assert saved.stated_on == saved.source.published_on
    # A new report typed in the form gives its date the same way.
    data = new_position_data(stated_on="", source="", summary="Eleven, says a new report")
    data.update(
        {
            "new-source-outlet": "Axios",
            "new-source-headline": "Hamas signals eleven",
            "new-source-published_on": "2025-04-15",
            "new-source-grade": "B",
        }
    )
    assert analyst_client.post(RECORD, data).status_code == 302
    assert Position.objects.get(summary="Eleven, says a new report").stated_on == dt.date(
        2025, 4, 15
    )
    # Typed in a second time, that report is refused: it is on record, to be picked.
    again = analyst_client.post(RECORD, {**data, "summary": "Eleven, once more"})
    assert again.status_code == 422
    assert "This report is already on record: Axios, 15 Apr 2025: Hamas signals eleven" in (
        text_of(again)
    )
    assert Source.objects.filter(headline="Hamas signals eleven").count() == 1
    # With neither, the form says what it needs.
    response = analyst_client.post(
        RECORD, new_position_data(stated_on="", source=""), headers={"HX-Request": "true"}
    )
    assert response.status_code == 422
    assert "Pick the report this position comes from" in response.content.decode()


def test_a_number_that_is_not_one_gets_one_message(analyst_client):
    response = analyst_client.post(RECORD, new_position_data(amount="ten"))
    assert response.status_code == 422
    page = text_of(response)
    assert "Enter a number." in page
    assert "Give a number of hostages" not in page  # it was given, wrongly
    # Left out altogether, the rules say what is missing.
    left_out = text_of(analyst_client.post(RECORD, new_position_data(amount="")))
    assert "Give a number of hostages, or one end of a range." in left_out


def test_a_fraction_of_a_hostage_is_refused(analyst_client):
    response = analyst_client.post(RECORD, new_position_data(amount="1.5"))
    assert response.status_code == 422
    # Under the box it was typed in, which is marked, not under the empty "At least".
    amount = re.search(r'<input type="number" name="amount"[^>]*>', response.text).group(0)
    assert 'aria-invalid="true"' in amount
    assert re.search(r'_amount_error">Hostages are counted in whole numbers.<', response.text)
    low = re.search(r'<input type="number" name="value_min"[^>]*>', response.text).group(0)
    assert "aria-invalid" not in low
    assert not Position.objects.filter(summary="Would free ten").exists()


@pytest.mark.parametrize(("issue", "step"), [("living-hostages", "1"), ("pause-length", "0.01")])
def test_the_number_boxes_take_what_the_issue_takes(analyst_client, issue, step):
    """No number below 0; on an issue counted one by one, whole numbers: the browser says so
    as it is typed (the server checks all the same)."""
    url = reverse("negotiations:record", args=[SEED_SLUG, issue, "hamas"])
    html = analyst_client.get(url).text
    boxes = re.findall(r'<input type="number" name="(?:amount|value_min|value_max)"[^>]*>', html)
    assert len(boxes) == 3
    for box in boxes:
        assert 'min="0"' in box and f'step="{step}"' in box, box
    report = analyst_client.get(reverse("negotiations:new_report", args=[SEED_SLUG])).text
    boxes = re.findall(
        r'<input type="number" name="positions-0-(?:amount|value_min|value_max)"[^>]*>', report
    )
    assert len(boxes) == 3
    for box in boxes:
        assert 'min="0"' in box and 'step="0.01"' in box, box


def test_record_form_fits_the_issue_kind(analyst_client):
    quantity = analyst_client.get(RECORD).content.decode()
    assert 'name="amount"' in quantity and 'name="value_bool"' not in quantity
    yes_no = analyst_client.get(
        reverse("negotiations:record", args=[SEED_SLUG, "end-of-war", "israel"])
    ).content.decode()
    assert 'name="value_bool"' in yes_no and 'name="amount"' not in yes_no
    scale = analyst_client.get(
        reverse("negotiations:record", args=[SEED_SLUG, "withdrawal", "israel"])
    ).content.decode()
    assert 'name="value_option"' in scale and ">partial<" in scale


def test_recording_with_htmx_swaps_in_the_updated_row_and_triggers_a_refresh(
    analyst_client, analyst
):
    response = analyst_client.post(
        f"{RECORD}?as_of=2025-04-14", new_position_data(), headers={"HX-Request": "true"}
    )
    assert response.status_code == 200
    assert response["HX-Retarget"] == "#issue-living-hostages"
    assert response["HX-Reswap"] == "outerHTML"
    assert "positions-changed" in response["HX-Trigger"]
    html = response.content.decode()
    assert html.lstrip().startswith('<tr id="issue-living-hostages">')
    assert "1 hostage apart" in html
    assert 'hx-swap-oob="delete"' in html
    position = Position.objects.get(summary="Would free ten")
    assert (position.value_min, position.value_max) == (10, 10)
    assert position.recorded_by == analyst
    assert position.history.get().history_user == analyst


def saved_status(response) -> str:
    """The word on a save, without the button that dismisses it."""
    found = re.search(
        r'<p id="record-status" hx-swap-oob="innerHTML">(.*?) <button [^>]*data-dismiss[^>]*>'
        r"Dismiss</button></p>",
        response.content.decode(),
    )
    return unescape(found.group(1))


def test_saving_in_place_says_what_was_saved(analyst_client):
    response = analyst_client.post(
        f"{RECORD}?as_of=2025-04-14", new_position_data(), headers={"HX-Request": "true"}
    )
    assert saved_status(response) == "Saved: Hamas · Living hostages released: Would free ten."


@pytest.mark.parametrize(
    "query, data, reason",
    [
        (
            "as_of=2025-04-13",
            {},
            "it was stated on 14 April 2025, after the table's date",
        ),
        (
            "as_of=2025-04-14",
            {"stated_on": "2025-04-12"},
            "the position stated on 14 April 2025 is later and stays current",
        ),
    ],
)
def test_saving_in_place_says_why_the_table_does_not_show_it(analyst_client, query, data, reason):
    response = analyst_client.post(
        f"{RECORD}?{query}", new_position_data(**data), headers={"HX-Request": "true"}
    )
    assert response.status_code == 200
    assert saved_status(response).endswith(f"The table does not show it: {reason}.")
    assert Position.objects.filter(summary="Would free ten").exists()


def test_the_table_has_the_place_the_saved_message_goes(analyst_client):
    html = analyst_client.get(TABLE).content.decode()
    assert '<p class="notice no-print" id="record-status" role="status"></p>' in html


@pytest.mark.parametrize("query", ["as_of=2025-04-14", "as_of=2025-04-14&withdrawn=on"])
def test_the_refreshed_row_is_the_row_the_whole_table_shows(analyst_client, query):
    """The row sent back after recording is computed for its issue alone: it must be the very
    row of the whole table (cells, gap, proposals, range chart, package markers)."""
    response = analyst_client.post(
        f"{RECORD}?{query}", new_position_data(), headers={"HX-Request": "true"}
    )
    row = re.search(r'<tr id="issue-living-hostages">.*?</tr>', response.content.decode(), re.S)
    table = analyst_client.get(f"{TABLE}?{query}").content.decode()
    assert row.group(0) in table
    assert "gap__proposals" in row.group(0)  # distances to a proposal, from the issue's positions


def test_recording_without_javascript_redirects_back_to_the_table(analyst_client):
    response = analyst_client.post(RECORD, new_position_data())
    assert response.status_code == 302
    assert response["Location"].endswith("#issue-living-hostages")
    assert Position.objects.filter(summary="Would free ten").exists()


def test_the_record_form_leads_back_to_the_table_it_came_from_less_what_the_table_refuses(
    analyst_client,
):
    query = "?as_of=garbage&sort=gap&withdrawn=on&known=maybe"
    page = analyst_client.get(RECORD + query).text
    back = f'{TABLE}?withdrawn=on&amp;sort=gap#issue-living-hostages"'
    assert page.count(back) == 2  # the way back, and Cancel
    assert "garbage" not in page and "maybe" not in page
    response = analyst_client.post(RECORD + query, new_position_data())
    assert response["Location"] == f"{TABLE}?withdrawn=on&sort=gap#issue-living-hostages"
    assert analyst_client.get(response["Location"]).status_code == 200


@pytest.mark.parametrize("htmx", [False, True])
def test_the_same_position_sent_twice_is_recorded_once(analyst_client, htmx):
    """A second click on Save, or a form sent again, must not record the statement twice."""
    headers = {"HX-Request": "true", "HX-Target": "issue-living-hostages"} if htmx else {}
    assert analyst_client.post(RECORD, new_position_data(), headers=headers).status_code in (
        200,
        302,
    )
    again = analyst_client.post(RECORD, new_position_data(), headers=headers)
    assert again.status_code == 422
    recorded = Position.objects.get(summary="Would free ten")  # one, not two
    assert (
        "This position is already on record, with the same stance, value, date, source and "
        f"summary (recorded on {recorded.recorded_at:%-d %B %Y, %H:%M} UTC). Nothing was saved."
    ) in text_of(again)
    # Another value, or the same statement from another report, is a position of its own.
    assert analyst_client.post(RECORD, new_position_data(amount="11")).status_code == 302
    kan = Source.objects.get(slug="kan-2025-04-14")
    assert analyst_client.post(RECORD, new_position_data(source=kan.pk)).status_code == 302
    assert Position.objects.filter(summary="Would free ten").count() == 3


def test_a_correction_cannot_make_a_position_repeat_another(analyst_client):
    analyst_client.post(RECORD, new_position_data())
    analyst_client.post(RECORD, new_position_data(amount="11", summary="Would free eleven"))
    eleven = Position.objects.get(summary="Would free eleven")
    url = reverse("negotiations:edit_position", args=[eleven.uid])
    response = analyst_client.post(url, edit_data(eleven, amount="10", summary="Would free ten"))
    assert response.status_code == 422
    assert "This position is already on record" in text_of(response)
    # Saving a correction that leaves it as it was is no repeat of itself.
    assert analyst_client.post(url, edit_data(eleven, credibility="2")).status_code == 302


@pytest.fixture
def blind_next_check(monkeypatch):
    """Arms the forms' "already on record" check to see nothing the next time it looks: what
    two saves of one form at once see, each checking before the other has saved."""
    from negotiations.models import PositionQuerySet

    armed = []
    first_recorded = PositionQuerySet.first_recorded

    def blind_once(queryset, records):
        if armed and not armed[0]:
            armed[0] = True
            return {}
        return first_recorded(queryset, records)

    monkeypatch.setattr(PositionQuerySet, "first_recorded", blind_once)

    def arm() -> list[bool]:
        armed[:] = [False]
        return armed

    return arm


def already_on_record(position) -> str:
    return (
        "This position is already on record, with the same stance, value, date, source and "
        f"summary (recorded on {position.recorded_at:%-d %B %Y, %H:%M} UTC). Nothing was saved."
    )


@pytest.mark.parametrize("htmx", [False, True])
def test_a_repeat_the_check_missed_is_refused_by_the_database_with_the_same_message(
    analyst_client, blind_next_check, htmx
):
    headers = {"HX-Request": "true", "HX-Target": "issue-living-hostages"} if htmx else {}
    assert analyst_client.post(RECORD, new_position_data()).status_code == 302
    recorded = Position.objects.get(summary="Would free ten")
    fooled = blind_next_check()
    again = analyst_client.post(RECORD, new_position_data(), headers=headers)
    assert fooled == [True]  # the form's check saw nothing; the database refused
    assert again.status_code == 422
    assert already_on_record(recorded) in text_of(again)
    assert Position.objects.filter(summary="Would free ten").count() == 1


def test_a_correction_into_a_repeat_the_check_missed_is_refused(analyst_client, blind_next_check):
    analyst_client.post(RECORD, new_position_data())
    analyst_client.post(RECORD, new_position_data(amount="11", summary="Would free eleven"))
    ten = Position.objects.get(summary="Would free ten")
    eleven = Position.objects.get(summary="Would free eleven")
    url = reverse("negotiations:edit_position", args=[eleven.uid])
    fooled = blind_next_check()
    response = analyst_client.post(url, edit_data(eleven, amount="10", summary="Would free ten"))
    assert fooled == [True]
    assert response.status_code == 422
    assert already_on_record(ten) in text_of(response)
    eleven.refresh_from_db()
    assert (eleven.summary, eleven.value_min) == ("Would free eleven", 11)


def test_the_message_after_recording_is_shown_once_and_never_confirmed_by_a_304(analyst_client):
    before = analyst_client.get(TABLE)
    analyst_client.post(RECORD, new_position_data())
    shown = analyst_client.get(TABLE)
    assert "Recorded: Hamas" in shown.content.decode()
    assert "ETag" not in shown  # nothing a later request could be answered 304 against
    assert "no-store" in shown["Cache-Control"]
    again = analyst_client.get(TABLE)
    assert "Recorded: Hamas" not in again.content.decode()
    assert again.status_code == 200 and again["ETag"] != before["ETag"]  # the data changed
    assert analyst_client.get(TABLE, headers={"If-None-Match": again["ETag"]}).status_code == 304


def test_a_readers_page_with_a_message_is_not_served_to_other_readers(seeded, client):
    """A message can wait for someone signed out (a session that ran out): the public page that
    shows it must not go into the readers' cache, or every reader would be told."""
    from django.contrib.messages.storage.base import Message
    from django.contrib.messages.storage.cookie import CookieStorage
    from django.http import HttpResponse
    from django.test import RequestFactory

    storage = CookieStorage(RequestFactory().get("/"))
    stored = HttpResponse()
    storage._store([Message(20, "You were signed out after a long session")], stored)
    client.cookies[CookieStorage.cookie_name] = stored.cookies[CookieStorage.cookie_name].value
    assert "You were signed out" in client.get(TABLE).content.decode()
    for reader in (client, Client()):
        assert "You were signed out" not in reader.get(TABLE).content.decode()


def test_summary_fragment_refreshes_on_its_own(analyst_client):
    response = analyst_client.get(
        TABLE, {"as_of": "2025-04-14"}, headers={"HX-Request": "true", "HX-Target": "summary"}
    )
    assert response.content.decode().lstrip().startswith('<ul class="summary" id="summary"')


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"source": ""}, "source", "Pick the report this position comes from"),
        ({"amount": "-3"}, "amount", "Ensure this value is greater than or equal to 0."),
        ({"amount": "10", "value_min": "5"}, "amount", "Give an exact number or a range"),
        ({"stated_on": "2025-04-20"}, "stated_on", "The source was published on 14 April 2025"),
        ({"stated_on": "2999-01-01"}, "stated_on", "is in the future"),
        ({"stance": "threat"}, "stance", "Select a valid choice."),
        ({"amount": None}, "amount", "Give a number of hostages, or one end of a range."),
    ],
)
def test_bad_entries_come_back_in_the_form_with_422_and_save_nothing(
    analyst_client, changes, field, message
):
    before = Position.objects.count()
    response = analyst_client.post(
        RECORD, new_position_data(**changes), headers={"HX-Request": "true"}
    )
    assert response.status_code == 422
    html = response.content.decode()
    assert html.lstrip().startswith('<tr class="record-row"')
    assert message in html
    assert f'id="id_living-hostages_hamas_{field}_error"' in html  # ids of the cell's own
    assert Position.objects.count() == before


def test_a_new_source_can_be_added_inline(analyst_client):
    data = new_position_data(source="")
    data.update(
        {
            "new-source-outlet": "Axios",
            "new-source-headline": "Hamas signals ten",
            "new-source-url": "https://example.org/axios",
            "new-source-published_on": "2025-04-15",
            "new-source-grade": "B",
            "stated_on": "2025-04-15",
        }
    )
    assert analyst_client.post(RECORD, data).status_code == 302
    position = Position.objects.get(summary="Would free ten")
    assert position.source.outlet == "Axios"
    assert position.source.slug == "axios-2025-04-15"


def test_a_bad_inline_source_saves_nothing(analyst_client):
    data = new_position_data(source="")
    data.update({"new-source-outlet": "Axios", "new-source-url": "javascript:alert(1)"})
    response = analyst_client.post(RECORD, data)
    assert response.status_code == 422
    assert "Enter an http:// or https:// address." in response.content.decode()
    assert not Source.objects.filter(outlet="Axios").exists()


# ---------------------------------------------------------------------------------------------
# Corrections, denials, conflicts


def hamas_nine():
    return Position.objects.get(summary="Raised the number it would free to nine")


def edit_data(position, **changes) -> dict:
    data = new_position_data(
        summary=position.summary,
        amount="9",
        credibility=str(position.credibility),
        attribution=position.attribution,
        conditions=position.conditions,
        version=str(position.version),
    )
    data.update(changes)
    return data


def test_a_correction_edits_the_record_and_keeps_the_old_version(analyst_client, analyst):
    position = hamas_nine()
    url = reverse("negotiations:edit_position", args=[position.uid])
    assert "changed its stance" in text_of(analyst_client.get(url))
    response = analyst_client.post(url, edit_data(position, summary="Raised it to nine"))
    assert response.status_code == 302
    position.refresh_from_db()
    assert (position.summary, position.version) == ("Raised it to nine", 2)
    versions = list(position.history.order_by("history_date"))
    assert [v.summary for v in versions] == [
        "Raised the number it would free to nine",
        "Raised it to nine",
    ]
    assert versions[-1].history_user == analyst


def test_saving_from_a_stale_form_is_refused_showing_what_changed(
    analyst_client, django_user_model
):
    position = hamas_nine()
    url = reverse("negotiations:edit_position", args=[position.uid])
    stale = edit_data(position, summary="My version")
    other = Client()
    other.force_login(user_in(django_user_model, "bea", "Analyst"))
    assert other.post(url, edit_data(position, summary="Bea's version")).status_code == 302
    response = analyst_client.post(url, stale)
    assert response.status_code == 409
    page = text_of(response)
    saved = position.history.latest("history_date").history_date
    assert (
        "This record was saved again while you were editing it. bea saved it on "
        f"{saved:%-d %B %Y, %H:%M} UTC."
    ) in page
    assert "Summary Raised the number it would free to nine Bea's version" in page
    position.refresh_from_db()
    assert position.summary == "Bea's version"
    # The form now carries the current version: saving again is a deliberate choice.
    assert f'name="version" value="{position.version}"' in response.content.decode()


def test_a_conflict_with_ones_own_other_tab_says_so(analyst_client):
    position = hamas_nine()
    url = reverse("negotiations:edit_position", args=[position.uid])
    stale = edit_data(position, summary="Typed in the second tab")
    assert (
        analyst_client.post(url, edit_data(position, summary="Saved in the first tab")).status_code
        == 302
    )
    page = text_of(analyst_client.post(url, stale))
    assert (
        "This record was saved again while you were editing it. You saved it yourself, in "
        "another tab or window on "
    ) in page


def test_denying_a_position_removes_it_from_the_table_and_keeps_it_in_history(analyst_client):
    position = hamas_nine()
    url = reverse("negotiations:change_status", args=[position.uid])
    hamas_source = Source.objects.get(slug="hamas-al-nunu-2025-04-14")
    response = analyst_client.post(
        url,
        {
            "status": "denied",
            "status_source": hamas_source.pk,
            "status_attribution": "Taher al-Nunu",
            "status_changed_on": "2025-04-14",
            "version": position.version,
        },
    )
    assert response.status_code == 302
    table = text_of(analyst_client.get(TABLE, {"as_of": "2025-04-14"}))
    assert "2 hostages apart" not in table
    issue = analyst_client.get(
        reverse("negotiations:issue_history", args=[SEED_SLUG, "living-hostages"])
    )
    assert "· Taher al-Nunu ·" in text_of(issue)


def test_a_denial_without_a_date_is_dated_by_its_report(analyst_client):
    position = hamas_nine()
    url = reverse("negotiations:change_status", args=[position.uid])
    assert 'name="status_changed_on" value=' not in analyst_client.get(url).content.decode()
    hamas_source = Source.objects.get(slug="hamas-al-nunu-2025-04-14")
    response = analyst_client.post(
        url,
        {"status": "denied", "status_source": hamas_source.pk, "version": position.version},
    )
    assert response.status_code == 302, response.content.decode()[-2000:]
    position.refresh_from_db()
    assert (position.status, position.status_changed_on) == ("denied", hamas_source.published_on)


@pytest.mark.parametrize("date", ["2025-04-14", ""])
def test_a_denial_needs_its_source(analyst_client, date):
    position = hamas_nine()
    response = analyst_client.post(
        reverse("negotiations:change_status", args=[position.uid]),
        {"status": "denied", "status_changed_on": date, "version": position.version},
    )
    assert response.status_code == 422
    assert "Name the source that reports it denied." in response.text
    assert "Give the date it was denied." not in response.text  # a blank one is the report's


def test_deleting_from_a_stale_page_is_refused_and_says_nothing_was_deleted(analyst_client):
    position = hamas_nine()
    loaded = position.version
    position.summary = "Corrected meanwhile"
    position.save()
    response = analyst_client.post(
        reverse("negotiations:delete_position", args=[position.uid]), {"version": loaded}
    )
    assert response.status_code == 409
    page = text_of(response)
    assert "Nothing has been deleted." in page
    assert "deleting now deletes the current version" in page
    assert "still in the form" not in page
    assert Position.objects.filter(pk=position.pk).exists()


def test_delete_and_restore(analyst_client):
    position = hamas_nine()
    uid = position.uid
    response = analyst_client.post(
        reverse("negotiations:delete_position", args=[uid]), {"version": position.version}
    )
    assert response.status_code == 302
    assert not Position.objects.filter(uid=uid).exists()
    deleted = text_of(analyst_client.get(reverse("negotiations:deleted", args=[SEED_SLUG])))
    assert "Hamas on Living hostages released: Raised the number it would free to nine" in deleted
    history_url = reverse("negotiations:history", args=["position", position.pk])
    gone = analyst_client.get(history_url)
    assert "This record is deleted. Restore a version to bring it back. Back to Gaza" in text_of(
        gone
    )
    assert reverse("negotiations:deleted", args=[SEED_SLUG]) in gone.content.decode()
    created = position.history.get(history_type="+")
    assert analyst_client.post(history_url, {"history_id": created.history_id}).status_code == 302
    restored = Position.objects.get(uid=uid)
    assert restored.summary == "Raised the number it would free to nine"
    assert restored.history.first().history_type == "+"
    # The history tells a restore from the record's creation.
    entries = text_of(analyst_client.get(history_url))
    assert f"restored version {created.version} · version {restored.version} (current)" in entries
    assert f"Restored version {created.version}, as it was." in entries
    assert entries.count("· created ·") == 1
    workspace = text_of(analyst_client.get(reverse("negotiations:workspace")))
    assert f"Restored version {created.version} Raised the number" in workspace


def test_restore_an_earlier_version(analyst_client):
    position = hamas_nine()
    url = reverse("negotiations:edit_position", args=[position.uid])
    analyst_client.post(url, edit_data(position, summary="Typo here"))
    first = position.history.order_by("history_date").first()
    history_url = reverse("negotiations:history", args=["position", position.pk])
    assert "Typo here" in text_of(analyst_client.get(history_url))
    # A restore that does not say which version it replaces could undo changes never seen.
    refused = analyst_client.post(history_url, {"history_id": first.history_id}, follow=True)
    assert "Choose the version to restore from the list again." in text_of(refused)
    position.refresh_from_db()
    assert position.summary == "Typo here"
    analyst_client.post(history_url, {"history_id": first.history_id, "version": position.version})
    position.refresh_from_db()
    assert position.summary == "Raised the number it would free to nine"
    assert position.history.count() == 3
    assert f"restored version {first.version} · version {position.version} (current)" in (
        text_of(analyst_client.get(history_url))
    )


# ---------------------------------------------------------------------------------------------
# Source-first entry


def report_data(rows: list[dict]) -> dict:
    data = {
        "source-outlet": "Wire",
        "source-headline": "Three positions",
        "source-published_on": "2025-04-15",
        "source-grade": "B",
        "positions-TOTAL_FORMS": str(len(rows)),
        "positions-INITIAL_FORMS": "0",
        "positions-MIN_NUM_FORMS": "1",
        "positions-MAX_NUM_FORMS": "100",
    }
    for index, row in enumerate(rows):
        data.update({f"positions-{index}-{key}": value for key, value in row.items()})
    return data


def participant_pk(slug: str) -> str:
    from negotiations.models import Participant

    return str(Participant.objects.get(actor__slug=slug).pk)


def issue_pk(slug: str) -> str:
    from negotiations.models import Issue

    return str(Issue.objects.get(slug=slug).pk)


def three_rows() -> list[dict]:
    common = {"stated_on": "2025-04-15", "credibility": "2"}
    return [
        {
            **common,
            "participant": participant_pk("hamas"),
            "issue": issue_pk("living-hostages"),
            "stance": "offer",
            "amount": "10",
            "summary": "Ten",
        },
        {
            **common,
            "participant": participant_pk("israel"),
            "issue": issue_pk("pause-length"),
            "stance": "offer",
            "value_min": "30",
            "value_max": "45",
            "summary": "30 to 45 days",
        },
        {
            **common,
            "participant": participant_pk("israel"),
            "issue": issue_pk("end-of-war"),
            "stance": "rejection",
            "value_bool": "True",
            "summary": "Still no",
        },
    ]


def test_a_report_with_three_positions_is_saved_together(analyst_client):
    url = reverse("negotiations:new_report", args=[SEED_SLUG])
    response = analyst_client.post(url, report_data(three_rows()))
    assert response.status_code == 302, response.content.decode()[:2000]
    source = Source.objects.get(headline="Three positions")
    assert sorted(source.positions.values_list("summary", flat=True)) == [
        "30 to 45 days",
        "Still no",
        "Ten",
    ]


def test_one_bad_row_saves_nothing_of_the_report(analyst_client):
    rows = three_rows()
    rows[2]["value_bool"] = ""  # a yes/no issue without an answer
    response = analyst_client.post(
        reverse("negotiations:new_report", args=[SEED_SLUG]), report_data(rows)
    )
    assert response.status_code == 422
    assert "Choose yes or no." in response.content.decode()
    assert not Source.objects.filter(headline="Three positions").exists()
    assert not Position.objects.filter(summary="Ten").exists()


def test_a_refused_report_says_at_the_top_where_every_problem_is(analyst_client):
    rows = three_rows()
    rows[2]["value_bool"] = ""  # a yes/no issue without an answer
    data = report_data(rows) | {"source-grade": ""}
    response = analyst_client.post(reverse("negotiations:new_report", args=[SEED_SLUG]), data)
    assert response.status_code == 422
    html = response.text
    # The row's problem is found even though the report's own fields have one too.
    assert "Choose yes or no." in html
    assert (
        '<strong>Nothing was saved.</strong> Check <a href="#report-source">the report</a> '
        'and <a href="#row-positions-2">position 3</a>.'
    ) in html
    assert 'id="report-source"' in html and 'id="row-positions-2"' in html
    # A bare GET has nothing to say.
    assert (
        "Nothing was saved"
        not in analyst_client.get(reverse("negotiations:new_report", args=[SEED_SLUG])).text
    )


def test_rows_without_a_date_wait_for_the_report_s_own(analyst_client):
    rows = [{k: v for k, v in row.items() if k != "stated_on"} for row in three_rows()]
    data = report_data(rows) | {"source-published_on": "2025-02-30"}
    response = analyst_client.post(reverse("negotiations:new_report", args=[SEED_SLUG]), data)
    assert response.status_code == 422
    # One problem, the report's date, said once: not again under each position.
    assert (
        '<strong>Nothing was saved.</strong> Check <a href="#report-source">the report</a>.'
        in response.text
    )
    assert "Give the date it was stated." not in response.text
    assert "cannot be null" not in response.text
    # On + Record too: a new report typed in wrong does not add a missing date of its own.
    data = new_position_data(stated_on="", source="") | {
        "new-source-outlet": "Axios",
        "new-source-headline": "Hamas signals eleven",
        "new-source-published_on": "2025-02-30",
        "new-source-grade": "B",
    }
    response = analyst_client.post(RECORD, data)
    assert response.status_code == 422
    assert "Give the date it was stated." not in response.text
    assert "Enter a valid date." in response.text


def test_a_row_repeated_in_a_report_is_refused(analyst_client):
    rows = three_rows()
    rows.append(dict(rows[0]))
    response = analyst_client.post(
        reverse("negotiations:new_report", args=[SEED_SLUG]), report_data(rows)
    )
    assert response.status_code == 422
    assert (
        "Position 4 repeats position 1: the report would record the same statement twice."
        in unescape(response.content.decode())
    )
    assert not Position.objects.filter(summary="Ten").exists()
    # The same actor and issue with another value is a second statement, and is kept.
    rows[3]["amount"] = "11"
    rows[3]["summary"] = "Eleven"
    response = analyst_client.post(
        reverse("negotiations:new_report", args=[SEED_SLUG]), report_data(rows)
    )
    assert response.status_code == 302


def test_a_report_already_on_record_is_picked_rather_than_typed_in_again(analyst_client):
    url = reverse("negotiations:new_report", args=[SEED_SLUG])
    assert analyst_client.post(url, report_data(three_rows())).status_code == 302
    wire = Source.objects.get(headline="Three positions")
    sources = Source.objects.count()

    # Typed in again, the report is refused, with the one on record named.
    more = [{**three_rows()[0], "amount": "12", "summary": "Twelve"}]
    again = analyst_client.post(url, {**report_data(more), "source-outlet": "WIRE"})
    assert again.status_code == 422
    assert (
        "This report is already on record: Wire, 15 Apr 2025: Three positions (B). Pick it "
        "from the menu above rather than typing it again."
    ) in text_of(again)

    # Picked, it takes the new positions; its date is theirs when none is given.
    picked = {k: v for k, v in report_data(more).items() if not k.startswith("source-")}
    del picked["positions-0-stated_on"]
    response = analyst_client.post(url, {**picked, "report-source": wire.pk}, follow=True)
    assert "Added 1 position to the report on record: Wire, 15 Apr 2025: Three positions (B)." in (
        text_of(response)
    )
    twelve = Position.objects.get(summary="Twelve")
    assert (twelve.source, twelve.stated_on) == (wire, dt.date(2025, 4, 15))
    assert Source.objects.count() == sources

    # Picked and typed in: which one is meant is not guessed.
    both = analyst_client.post(url, {**report_data(more), "report-source": wire.pk})
    assert both.status_code == 422
    assert "Pick a report on record or type in a new one, not both." in text_of(both)
    # A position the picked report already gave is not recorded twice.
    repeat = analyst_client.post(url, {**picked, "report-source": wire.pk})
    assert repeat.status_code == 422
    assert "This position is already on record" in text_of(repeat)
    assert Position.objects.filter(summary="Twelve").count() == 1
    # Every row of the report is looked up in one query, not one per row.
    again = {k: v for k, v in report_data(three_rows()).items() if not k.startswith("source-")}
    with CaptureQueriesContext(connection) as captured:
        response = analyst_client.post(url, {**again, "report-source": wire.pk})
    assert text_of(response).count("This position is already on record") == 3
    lookups = [q for q in captured if '"negotiations_position"."stated_on" IN' in q["sql"]]
    assert len(lookups) == 1


def test_a_report_picked_from_the_record_is_never_held_back_by_the_boxes_for_typing_one(
    analyst_client,
):
    """Without scripts too: the page marks no box of the typed-in report required, since a
    report picked instead makes them all optional; the server asks for what is missing."""
    page = analyst_client.get(reverse("negotiations:new_report", args=[SEED_SLUG]))
    typed_in = re.findall(r"<(?:input|select|textarea)[^>]*name=\"source-[^>]*>", page.text)
    assert len(typed_in) == 6
    assert not [tag for tag in typed_in if " required" in tag]
    missing = analyst_client.post(
        reverse("negotiations:new_report", args=[SEED_SLUG]),
        {**report_data(three_rows()), "source-outlet": ""},
    )
    assert missing.status_code == 422
    assert "Nothing was saved. Check the report" in text_of(missing)


def test_a_report_sent_twice_at_once_is_saved_once(analyst_client, blind_next_check):
    url = reverse("negotiations:new_report", args=[SEED_SLUG])
    assert analyst_client.post(url, report_data(three_rows())).status_code == 302
    wire = Source.objects.get(headline="Three positions")
    again = {k: v for k, v in report_data(three_rows()).items() if not k.startswith("source-")}
    fooled = blind_next_check()
    response = analyst_client.post(url, {**again, "report-source": wire.pk})
    assert fooled == [True]
    assert response.status_code == 422
    page = text_of(response)
    ten = Position.objects.get(summary="Ten")
    assert page.count("This position is already on record") == 3
    assert already_on_record(ten) in page
    assert "Nothing was saved. Check position 1, position 2 and position 3" in page
    assert wire.positions.count() == 3


def test_the_report_on_record_named_is_in_the_menu_even_when_it_is_not_recent(
    analyst_client, monkeypatch
):
    from negotiations import forms as position_forms

    monkeypatch.setattr(position_forms, "RECENT_SOURCES", 1)  # the menu: the newest source only
    old = Source.objects.create(
        slug="old-wire",
        outlet="Wire",
        headline="An early word",
        published_on="2025-04-01",
        grade="B",
    )
    option = f'<option value="{old.pk}">Wire, 1 Apr 2025: An early word (B)</option>'
    url = reverse("negotiations:new_report", args=[SEED_SLUG])
    assert option not in analyst_client.get(url).text
    rows = [{**row, "stated_on": "2025-04-01"} for row in three_rows()]
    typed = report_data(rows) | {
        "source-headline": "An early word",
        "source-published_on": "2025-04-01",
    }
    again = analyst_client.post(url, typed)
    assert "This report is already on record: Wire, 1 Apr 2025: An early word (B)" in text_of(again)
    assert option in again.text
    # Picked, with a problem elsewhere, it stays in the menu, chosen.
    picked = {k: v for k, v in typed.items() if not k.startswith("source-")}
    bad = analyst_client.post(url, picked | {"report-source": old.pk, "positions-0-amount": "x"})
    assert bad.status_code == 422
    assert f'<option value="{old.pk}" selected>Wire, 1 Apr 2025: An early word' in bad.text
    # On + Record too.
    data = new_position_data(source="", stated_on="2025-04-01") | {
        "new-source-outlet": "wire",
        "new-source-headline": "an early word",
        "new-source-published_on": "2025-04-01",
        "new-source-grade": "B",
    }
    assert option in analyst_client.post(RECORD, data).text


def test_a_report_without_positions_is_refused_in_plain_words(analyst_client):
    empty_row = {"stated_on": "", "credibility": ""}
    response = analyst_client.post(
        reverse("negotiations:new_report", args=[SEED_SLUG]), report_data([empty_row])
    )
    assert response.status_code == 422
    assert (
        "Fill in at least one position: a report is saved together with its positions."
        in unescape(response.content.decode())
    )
    assert not Source.objects.filter(headline="Three positions").exists()


def test_a_report_claiming_more_rows_than_it_takes_is_refused_without_building_them(
    analyst_client,
):
    url = reverse("negotiations:new_report", args=[SEED_SLUG])

    rows = three_rows()
    rows[2]["value_bool"] = ""  # one bad row: the page comes back with every row shown again

    def queries(count: str):
        data = report_data(rows) | {"positions-TOTAL_FORMS": count}
        with CaptureQueriesContext(connection) as captured:
            response = analyst_client.post(url, data)
        return len(captured), response

    # The menus of the rows are read once, however many rows the page shows again…
    assert queries("4")[0] == queries(str(REPORT_ROWS))[0]
    # …and no more rows are built than a report takes, whatever count the form claims.
    count, response = queries("1000")
    assert count == queries(str(REPORT_ROWS))[0]
    assert response.status_code == 422
    assert f"A report takes 1 to {REPORT_ROWS} positions" in text_of(response)
    assert response.text.count('class="report-row"') <= REPORT_ROWS
    assert not Source.objects.filter(headline="Three positions").exists()


def test_a_row_is_added_in_place(analyst_client):
    response = analyst_client.get(
        reverse("negotiations:new_report", args=[SEED_SLUG]),
        {"positions-TOTAL_FORMS": "3"},
        headers={"HX-Request": "true"},
    )
    html = response.content.decode()
    assert 'name="positions-3-summary"' in html
    assert 'id="id_positions-TOTAL_FORMS" value="4" hx-swap-oob="true"' in html
    # A scale's options under their issue's title: a narrow box still shows "partial".
    assert re.search(
        r'<optgroup label="Withdrawal of Israeli forces from Gaza">\s*<option value="\d+">none',
        html,
    )


# ---------------------------------------------------------------------------------------------
# Import through the browser form


def exported_positions(client) -> bytes:
    response = client.get(reverse("negotiations:positions_csv", args=[SEED_SLUG]))
    return b"".join(response.streaming_content)


def test_import_previews_then_saves_all_rows(analyst_client):
    content = (
        exported_positions(analyst_client)
        .decode()
        .replace("Raised the number it would free to nine", "Raised it to nine (reportedly)")
    )
    eight = next(line for line in content.splitlines() if "Eight living hostages" in line)
    new_row = eight.split(",", 1)[1]
    content += "," + new_row.replace("Eight living hostages", "A brand new row")
    content += "\n"
    url = reverse("negotiations:import", args=[SEED_SLUG])
    # The page describes every column, rather than pointing at a file in the code.
    form = text_of(analyst_client.get(url))
    assert "The 33 columns id The position's stable identifier (UUID); blank on import" in form
    assert "status_changed_on YYYY-MM-DD conditions Conditions attached, in words" in form
    assert "docs/" not in form
    from django.core.files.uploadedfile import SimpleUploadedFile

    preview = analyst_client.post(
        url, {"file": SimpleUploadedFile("p.csv", content.encode(), "text/csv")}
    )
    page = text_of(preview)
    assert preview.status_code == 200, page[-3000:]
    assert "26 rows 1 new 1 to update 24 unchanged 0 with problems" in page
    assert "Import 2 positions" in page  # what would be saved, not every row of the file
    assert Position.objects.filter(summary="A brand new row").count() == 0
    payload = re.search(r'name="payload" value="([^"]+)"', preview.content.decode()).group(1)
    done = analyst_client.post(url, {"payload": payload}, follow=True)
    assert "Imported 1 new and 1 updated positions (24 unchanged, 0 already on record, 0 new " in (
        text_of(done)
    )
    assert "0 new sources)" in text_of(done)
    assert Position.objects.filter(summary="A brand new row").count() == 1
    assert hamas_nine_renamed().version == 2
    # The same file again: the new row is now on record, and nothing would be saved twice.
    again = analyst_client.post(
        url, {"file": SimpleUploadedFile("p.csv", content.encode(), "text/csv")}
    )
    page = text_of(again)
    assert "26 rows 0 new 0 to update 25 unchanged 1 already on record 0 with problems" in page
    assert "Nothing to import: every row is unchanged or already on record." in page
    assert 'id="confirm-import"' not in again.content.decode()
    assert "already on record (the same actor, issue, stance, value, date, source and summary)" in (
        page
    )


def hamas_nine_renamed():
    return Position.objects.get(summary="Raised it to nine (reportedly)")


def test_import_of_a_bad_file_lists_every_problem_and_saves_nothing(analyst_client):
    content = exported_positions(analyst_client).decode().replace(",C,", ",Z,", 1)
    from django.core.files.uploadedfile import SimpleUploadedFile

    response = analyst_client.post(
        reverse("negotiations:import", args=[SEED_SLUG]),
        {"file": SimpleUploadedFile("p.csv", content.encode(), "text/csv")},
    )
    assert response.status_code == 422
    assert "differs from source" in text_of(response)
    assert 'id="confirm-import"' not in response.content.decode()


def test_import_refuses_a_file_that_is_not_utf8(analyst_client):
    from django.core.files.uploadedfile import SimpleUploadedFile

    response = analyst_client.post(
        reverse("negotiations:import", args=[SEED_SLUG]),
        {"file": SimpleUploadedFile("p.csv", "id,négociation\n".encode("latin-1"))},
    )
    assert response.status_code == 422
    assert "The file is not UTF-8 text" in text_of(response)


def test_rounds_can_be_added_by_analysts(analyst_client):
    form = analyst_client.get(reverse("negotiations:new_round", args=[SEED_SLUG])).text
    # The menu does not promise a new source's fields that this form does not have.
    assert '<option value="" selected>— none —</option>' in form
    assert "add a new one below" not in form
    response = analyst_client.post(
        reverse("negotiations:new_round", args=[SEED_SLUG]),
        {
            "title": "Doha round",
            "location": "Doha",
            "started_on": "2025-04-20",
            "attendees": [participant_pk("qatar")],
            "outcome": "Talks continue",
        },
    )
    assert response.status_code == 302
    doha = Round.objects.get(title="Doha round")
    assert doha.slug == "doha-round-2025-04"
    assert doha.started_on == dt.date(2025, 4, 20)


def test_a_round_s_history_shows_each_save_once_with_its_attendees(analyst_client):
    """A round's save writes its attendees in a second historical record; the history shows
    one entry per save (created, changed, restored), not two."""
    fields = {"title": "Doha round", "location": "Doha", "started_on": "2025-04-20"}
    new = reverse("negotiations:new_round", args=[SEED_SLUG])
    analyst_client.post(new, {**fields, "attendees": [participant_pk("qatar")]})
    doha = Round.objects.get(title="Doha round")
    created = doha.history.order_by("history_date").first()
    edit = reverse("negotiations:edit_round", args=[SEED_SLUG, doha.pk])
    changed = {**fields, "title": "Doha talks", "version": doha.version}
    both = [participant_pk("qatar"), participant_pk("egypt")]
    assert analyst_client.post(edit, {**changed, "attendees": both}).status_code == 302
    assert doha.history.count() == 4  # two records per save
    history_url = reverse("negotiations:history", args=["round", doha.pk])
    doha.refresh_from_db()
    analyst_client.post(history_url, {"history_id": created.history_id, "version": doha.version})
    doha.refresh_from_db()
    assert (doha.title, {p.actor.slug for p in doha.attendees.all()}) == ("Doha round", {"qatar"})

    page = text_of(analyst_client.get(history_url))
    assert page.count(f"restored version {created.version}") == 1
    assert page.count("· created ·") == page.count("· changed ·") == 1
    assert page.count("· version ") == 3
    # The change shows the title and the attendees together, from the state before the save.
    assert "Title Doha round Doha talks Attendees Qatar Egypt, Qatar" in page


def test_a_round_naming_an_impossible_attendee_gets_a_message_not_an_error(analyst_client):
    response = analyst_client.post(
        reverse("negotiations:new_round", args=[SEED_SLUG]),
        {"title": "Doha round", "started_on": "2025-04-20", "attendees": ["9" * 40]},
    )
    assert response.status_code == 422
    assert "is not a valid value" in text_of(response)
    assert not Round.objects.filter(title="Doha round").exists()


def test_recording_refreshes_the_stored_gap_history_the_issue_page_shows(
    client, analyst_client, seeded
):
    issue = Issue.objects.get(negotiation=seeded, slug="living-hostages")
    page = reverse("negotiations:issue_history", args=[SEED_SLUG, issue.slug])
    assert "2 hostages apart" in text_of(client.get(page))  # computed and stored
    assert analyst_client.post(RECORD, new_position_data()).status_code == 302
    stored = StoredGapHistory.objects.get(issue=issue)
    # Refreshed by the write itself, for the stamp the write left: no reader recomputes it.
    assert stored.basis == Negotiation.objects.get(pk=seeded.pk).data_changed_at
    assert stored.days[-1][2] == "1 hostage apart"
    assert "14 Apr 2025 1 hostage apart 1" in text_of(analyst_client.get(page))


def test_why_a_saved_position_is_not_shown_covers_every_rule_that_hides_it():
    april_13, april_14 = dt.date(2025, 4, 13), dt.date(2025, 4, 14)
    report = Source(published_on=april_14)

    def saved(**fields) -> Position:
        return Position(pk=2, stated_on=fields.pop("stated_on", april_13), source=report, **fields)

    other = Position(pk=1, stated_on=april_14, source=report)
    assert why_not_shown(saved(), saved(), april_14, None) is None
    assert why_not_shown(saved(stated_on=april_14), None, april_13, None) == (
        "it was stated on 14 April 2025, after the table's date"
    )
    assert why_not_shown(saved(), None, april_13, april_13) == (
        "its source was published on 14 April 2025, and the table shows only what had been "
        "reported by its date"
    )
    assert why_not_shown(
        saved(package=Package(pk=5, is_conditional=True)), other, april_14, None
    ) == ("it is a term of a conditional package, which never replaces a standing position")
    assert why_not_shown(saved(), other, april_14, None) == (
        "the position stated on 14 April 2025 is later and stays current"
    )


def test_each_issue_of_a_report_row_says_its_kind(analyst_client):
    html = analyst_client.get(reverse("negotiations:new_report", args=[SEED_SLUG])).content
    end_of_war = Issue.objects.get(slug="end-of-war")
    assert (
        f'<option value="{end_of_war.pk}" data-kind="yes_no">{end_of_war.title}</option>'
        in html.decode()
    )


# ---------------------------------------------------------------------------------------------
# A failed htmx request says so at the top of the page, without touching the form


HTMX_FROM_TABLE = {"HX-Request": "true", "HX-Current-URL": f"http://testserver{TABLE}?as_of=x"}


def test_saving_in_place_after_the_session_ended_keeps_the_form_and_says_why(client, seeded):
    response = client.post(RECORD, new_position_data(), headers=HTMX_FROM_TABLE)
    assert response.status_code == 401
    assert response["HX-Retarget"] == "#page-alert"
    assert response["HX-Reswap"] == "innerHTML"
    html = response.content.decode()
    assert "Your session has ended, so this was not saved." in html
    assert f'href="/accounts/login/?next={TABLE.replace("/", "%2F")}%3Fas_of%3Dx"' in html
    assert "<html" not in html
    assert not Position.objects.filter(summary="Would free ten").exists()
    # Without htmx, the usual way: to the sign-in page and back.
    assert client.post(RECORD, new_position_data())["Location"].startswith("/accounts/login/")


def test_saving_in_place_from_a_stale_page_says_it_was_refused(analyst):
    stale = Client(enforce_csrf_checks=True)
    stale.force_login(analyst)
    response = stale.post(RECORD, new_position_data(), headers=HTMX_FROM_TABLE)
    assert response.status_code == 403
    assert response["HX-Retarget"] == "#page-alert"
    assert "This was refused and nothing was saved" in response.content.decode()
    assert not Position.objects.filter(summary="Would free ten").exists()


def test_a_server_error_in_place_is_reported_not_swallowed(analyst_client, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr("negotiations.views.workspace.updated_row", broken)
    analyst_client.raise_request_exception = False
    response = analyst_client.post(RECORD, new_position_data(), headers=HTMX_FROM_TABLE)
    assert response.status_code == 500
    assert response["HX-Retarget"] == "#page-alert"
    assert "Something went wrong on our side" in response.content.decode()


def test_every_page_has_the_place_failures_are_shown(client, seeded):
    assert '<div id="page-alert" class="page-alert" role="alert"></div>' in (
        client.get(TABLE).content.decode()
    )


def test_the_correct_form_shows_numbers_as_people_write_them(analyst_client):
    html = analyst_client.get(
        reverse("negotiations:edit_position", args=[hamas_nine().uid])
    ).content.decode()
    assert re.search(r'name="amount" value="9"', html)
    pause = Position.objects.filter(issue__slug="pause-length", value_min__isnull=False).first()
    html = analyst_client.get(
        reverse("negotiations:edit_position", args=[pause.uid])
    ).content.decode()
    assert not re.search(r'value="\d+\.00"', html)


def test_the_record_form_on_its_own_page_is_a_plain_form(analyst_client):
    page = analyst_client.get(RECORD).content.decode()
    assert 'class="record-form"' in page and "hx-post" not in page and "data-cancel" not in page
    assert "<h3>New position: Hamas" in page  # under the page's h1 and h2
    inline = analyst_client.get(RECORD, headers={"HX-Request": "true"}).content.decode()
    assert 'hx-target="closest .record-row"' in inline and "data-cancel" in inline
    assert '<h2 class="record-form__title">New position: Hamas' in inline  # under the table's h1


def test_only_the_gap_table_itself_is_marked_as_the_current_page(analyst_client):
    def current_links(url):
        html = analyst_client.get(url).content.decode()
        return re.findall(r'<a href="[^"]*" aria-current="(\w+)">([^<]+)</a>', html)

    assert current_links(TABLE) == [("page", "Gap table")]
    # A page inside the table's part of the site marks the tab as its part, not as this page.
    assert current_links(reverse("negotiations:new_report", args=[SEED_SLUG])) == [
        ("true", "Gap table")
    ]
    assert current_links(reverse("negotiations:sources", args=[SEED_SLUG])) == [("page", "Sources")]
