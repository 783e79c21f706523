"""Edge cases of the workspace found in review: each once failed, and must not again."""

import csv
import io
import re

import pytest
from django.contrib.auth.models import Group
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from negotiations import importer
from negotiations.models import Negotiation, Participant, Position, Round, Source
from negotiations.spreadsheets import POSITION_HEADER
from tests import builders
from tests.conftest import SEED_SLUG
from tests.test_public import text_of
from tests.test_workspace import edit_data, hamas_nine, report_data, three_rows

pytestmark = pytest.mark.django_db


@pytest.fixture
def analyst(seeded, django_user_model):
    user = django_user_model.objects.create_user("ana", password="a-long-test-password-9")
    user.groups.add(Group.objects.get(name="Analyst"))
    return user


@pytest.fixture
def analyst_client(analyst):
    client = Client()
    client.force_login(analyst)
    return client


def exported(client) -> str:
    response = client.get(reverse("negotiations:positions_csv", args=[SEED_SLUG]))
    return b"".join(response.streaming_content).decode()


def test_confirming_an_import_refuses_when_a_position_changed_since_the_preview(analyst_client):
    url = reverse("negotiations:import", args=[SEED_SLUG])
    content = exported(analyst_client).replace(
        "Eight living hostages", "Eight living hostages at first"
    )
    preview = analyst_client.post(url, {"file": SimpleUploadedFile("p.csv", content.encode())})
    payload = re.search(r'name="payload" value="([^"]+)"', preview.content.decode()).group(1)
    position = hamas_nine()
    position.summary = "Someone else's correction"
    position.save()
    response = analyst_client.post(url, {"payload": payload})
    assert response.status_code == 409
    assert "changed since the preview" in response.content.decode()
    position.refresh_from_db()
    assert position.summary == "Someone else's correction"


def test_confirming_an_import_refuses_when_a_new_row_was_recorded_since_the_preview(
    analyst_client,
):
    """Another analyst imports part of the same file between the preview and the confirmation:
    the file would no longer go in as previewed, so none of it does."""
    url = reverse("negotiations:import", args=[SEED_SLUG])
    rows = list(csv.DictReader(io.StringIO(exported(analyst_client))))
    new_rows = [
        rows[1] | {"id": "", "summary": summary, "value_min": n, "value_max": n}
        for summary, n in (("Ten now", "10"), ("Twelve now", "12"))
    ]

    def file_of(chosen) -> SimpleUploadedFile:
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, fieldnames=POSITION_HEADER, lineterminator="\n")
        writer.writeheader()
        writer.writerows(chosen)
        return SimpleUploadedFile("p.csv", buffer.getvalue().encode())

    preview = analyst_client.post(url, {"file": file_of(new_rows)})
    payload = re.search(r'name="payload" value="([^"]+)"', preview.text).group(1)
    other = analyst_client.post(url, {"file": file_of(new_rows[:1])})  # someone else, first
    other_payload = re.search(r'name="payload" value="([^"]+)"', other.text).group(1)
    assert analyst_client.post(url, {"payload": other_payload}).status_code == 302
    response = analyst_client.post(url, {"payload": payload})
    assert response.status_code == 409
    assert "1 position in the file changed since the preview" in text_of(response)
    assert not Position.objects.filter(summary="Twelve now").exists()
    assert Position.objects.filter(summary="Ten now").count() == 1


def test_a_forged_confirmation_is_refused(analyst_client):
    response = analyst_client.post(
        reverse("negotiations:import", args=[SEED_SLUG]), {"payload": "forged:data"}
    )
    assert response.status_code == 422
    assert "expired or was damaged" in response.content.decode()


def test_a_confirmation_from_another_negotiation_s_import_page_is_refused(analyst_client):
    from negotiations.models import Negotiation

    other = builders.negotiation("other-talks")
    mine = Negotiation.objects.get(slug=SEED_SLUG)
    content = exported(analyst_client).replace(
        "Eight living hostages", "Eight living hostages at first"
    )
    preview = analyst_client.post(
        reverse("negotiations:import", args=[SEED_SLUG]),
        {"file": SimpleUploadedFile("p.csv", content.encode())},
    )
    payload = re.search(r'name="payload" value="([^"]+)"', preview.text).group(1)
    before = Position.objects.count()
    response = analyst_client.post(
        reverse("negotiations:import", args=[other.slug]), {"payload": payload}
    )
    assert response.status_code == 422
    assert "comes from the import page of another negotiation" in text_of(response)
    assert Position.objects.count() == before
    assert mine.data_changed_at == Negotiation.objects.get(pk=mine.pk).data_changed_at
    assert not Position.objects.filter(summary__endswith="hostages at first").exists()


def test_a_restored_deleted_record_is_not_overwritten_by_a_stale_form(analyst_client):
    position = hamas_nine()
    stale_form = edit_data(position, summary="Stale edit")
    analyst_client.post(
        reverse("negotiations:edit_position", args=[position.uid]),
        edit_data(position, summary="Fresh edit"),
    )
    position.refresh_from_db()
    analyst_client.post(
        reverse("negotiations:delete_position", args=[position.uid]),
        {"version": position.version},
    )
    fresh = position.history.get(summary="Fresh edit", history_type="~")
    history = reverse("negotiations:history", args=["position", position.pk])
    assert analyst_client.post(history, {"history_id": fresh.history_id}).status_code == 302
    restored = Position.objects.get(uid=position.uid)
    assert restored.version > 2
    response = analyst_client.post(
        reverse("negotiations:edit_position", args=[position.uid]), stale_form
    )
    assert response.status_code == 409
    assert Position.objects.get(uid=position.uid).summary == "Fresh edit"


def test_restoring_a_deleted_position_recorded_again_since_is_refused(analyst_client):
    position = hamas_nine()
    analyst_client.post(
        reverse("negotiations:delete_position", args=[position.uid]),
        {"version": position.version},
    )
    # Recorded again, by someone who did not look among the deleted.
    builders.copy_of(position)
    created = position.history.get(history_type="+")
    history = reverse("negotiations:history", args=["position", position.pk])
    response = analyst_client.post(history, {"history_id": created.history_id}, follow=True)
    assert (
        "That version is the same as a position on record now (the same stance, value, date, "
        "source and summary); restoring it would record it twice."
    ) in text_of(response)
    assert not Position.objects.filter(uid=position.uid).exists()
    assert Position.objects.filter(summary=position.summary).count() == 1


def test_back_to_reported_with_a_new_source_typed_in_is_refused(analyst_client):
    position = Position.objects.get(status="denied")
    response = analyst_client.post(
        reverse("negotiations:change_status", args=[position.uid]),
        {
            "status": "reported",
            "version": position.version,
            "new-source-outlet": "Leftover",
            "new-source-headline": "x",
            "new-source-published_on": "2025-04-14",
            "new-source-grade": "C",
        },
    )
    assert response.status_code == 422
    assert not Source.objects.filter(outlet="Leftover").exists()


def test_back_to_reported_clears_the_denial(analyst_client):
    position = Position.objects.get(status="denied")
    response = analyst_client.post(
        reverse("negotiations:change_status", args=[position.uid]),
        {"status": "reported", "version": position.version},
    )
    assert response.status_code == 302
    position.refresh_from_db()
    assert (position.status, position.status_source, position.status_changed_on) == (
        "reported",
        None,
        None,
    )


def test_a_rule_about_a_field_the_form_lacks_is_shown_not_crashed(analyst_client):
    egypt = Position.objects.get(summary="Eight living hostages")
    egypt.status, egypt.status_changed_on = "confirmed", egypt.stated_on
    egypt.status_source = egypt.source
    egypt.save()
    data = edit_data(
        egypt, summary=egypt.summary, amount="8", stated_on="2025-04-14", credibility="2"
    )
    response = analyst_client.post(reverse("negotiations:edit_position", args=[egypt.uid]), data)
    assert response.status_code == 422
    assert (
        "When it was confirmed, denied or retracted: A status cannot change before"
        in (response.content.decode())
        or "Status changed on: A status cannot change before" in response.content.decode()
    )


def test_a_source_cannot_be_dated_before_what_it_reports(analyst_client):
    source = Source.objects.get(slug="araby-2025-04-14")
    response = analyst_client.post(
        reverse("negotiations:edit_source", args=[source.slug]),
        {
            "outlet": source.outlet,
            "headline": source.headline,
            "published_on": "2025-04-01",
            "grade": source.grade,
            "version": source.version,
        },
    )
    assert response.status_code == 422
    assert "cannot have been published before that" in response.content.decode()


@pytest.mark.parametrize("published_on", ["", "2999-01-01"])
def test_a_report_with_a_bad_source_date_is_refused_with_a_message(analyst_client, published_on):
    data = report_data(three_rows())
    data["source-published_on"] = published_on
    response = analyst_client.post(reverse("negotiations:new_report", args=[SEED_SLUG]), data)
    assert response.status_code == 422


def test_history_survives_records_deleted_since(analyst_client):
    position = hamas_nine()
    typo = Source.objects.create(
        slug="typo", outlet="Typo Wire", headline="x", published_on=position.stated_on, grade="C"
    )
    first = analyst_client.post(
        reverse("negotiations:edit_position", args=[position.uid]),
        edit_data(position, source=str(typo.pk)),
    )
    assert first.status_code == 302, first.content.decode()[-3000:]
    position.refresh_from_db()
    analyst_client.post(
        reverse("negotiations:edit_position", args=[position.uid]),
        edit_data(position, source=str(Source.objects.get(slug="araby-2025-04-14").pk)),
    )
    typo_pk = typo.pk
    assert position.history.filter(source_id=typo_pk).exists()
    typo.delete()
    history = reverse("negotiations:history", args=["position", position.pk])
    page = analyst_client.get(history)
    assert page.status_code == 200
    assert "(deleted source #" in page.content.decode()
    with_typo = position.history.filter(source_id=typo_pk).first()
    response = analyst_client.post(
        history,
        {
            "history_id": with_typo.history_id,
            "version": Position.objects.get(pk=position.pk).version,
        },
        follow=True,
    )
    assert "points at a record deleted since" in response.content.decode()


def test_a_reimported_position_is_not_listed_as_deleted(analyst_client):
    content = exported(analyst_client)
    position = hamas_nine()
    position.delete()
    importer.apply_import(importer.plan_import(content.encode()))
    deleted = analyst_client.get(reverse("negotiations:deleted", args=[SEED_SLUG]))
    assert "Raised the number it would free to nine" not in deleted.content.decode()


def test_superscript_digits_are_not_a_credibility(analyst_client):
    rows = list(csv.DictReader(io.StringIO(exported(analyst_client))))
    rows[0].update(id="", credibility="²")
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=POSITION_HEADER)
    writer.writeheader()
    writer.writerows(rows[:1])
    problems = importer.plan_import(buffer.getvalue().encode()).messages()
    assert problems == ["line 2: credibility: '²' is not a whole number from 1 to 6"]


def test_an_import_cannot_move_a_position_to_another_actor(analyst_client):
    rows = list(csv.DictReader(io.StringIO(exported(analyst_client))))
    nine = next(r for r in rows if r["summary"] == "Raised the number it would free to nine")
    nine["actor"], nine["actor_name"], nine["role"] = "israel", "", ""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=POSITION_HEADER)
    writer.writeheader()
    writer.writerow(nine)
    (problem,) = importer.plan_import(buffer.getvalue().encode()).messages()
    assert "an import cannot move it to another actor or issue" in problem


def test_readers_do_not_see_private_negotiations_in_the_workspace(seeded, django_user_model):
    Negotiation.objects.create(slug="back-channel", title="Secret back-channel talks")
    reader = django_user_model.objects.create_user("reader", password="a-long-test-password-9")
    client = Client()
    client.force_login(reader)
    page = client.get(reverse("negotiations:workspace")).content.decode()
    assert "Secret back-channel talks" not in page
    assert "Recent changes" in page and "Raised the number" not in page


def test_an_untouched_extra_row_does_not_block_a_report(analyst_client):
    rows = [*three_rows(), {}]
    response = analyst_client.post(
        reverse("negotiations:new_report", args=[SEED_SLUG]), report_data(rows)
    )
    assert response.status_code == 302


def test_rows_beyond_the_limit_are_refused_with_a_message(analyst_client):
    from negotiations.forms import REPORT_ROWS

    url = reverse("negotiations:new_report", args=[SEED_SLUG])
    for row in ("-5", str(REPORT_ROWS), "abc"):
        response = analyst_client.get(
            url, {"positions-TOTAL_FORMS": row}, headers={"HX-Request": "true"}
        )
        assert response.status_code == 400
    last = analyst_client.get(
        url, {"positions-TOTAL_FORMS": str(REPORT_ROWS - 1)}, headers={"HX-Request": "true"}
    )
    assert "as many positions as one report takes" in last.content.decode()


@pytest.mark.parametrize("version", [None, "abc", "0"])
def test_a_missing_or_bad_version_says_to_reload(analyst_client, version):
    position = hamas_nine()
    data = edit_data(position)
    data.pop("version")
    if version is not None:
        data["version"] = version
    response = analyst_client.post(reverse("negotiations:edit_position", args=[position.uid]), data)
    assert response.status_code == 422
    assert "reload the page and try again" in response.content.decode()


def test_restoring_a_round_restores_its_attendees(analyst_client):
    cairo = Round.objects.get()
    original = set(cairo.attendees.values_list("pk", flat=True))
    first = cairo.history.order_by("-history_date").first()  # the round as it stands
    qatar = Participant.objects.get(actor__slug="qatar")
    response = analyst_client.post(
        reverse("negotiations:edit_round", args=[SEED_SLUG, cairo.pk]),
        {
            "title": "Cairo round (renamed)",
            "location": cairo.location,
            "started_on": "2025-04-13",
            "ended_on": "2025-04-14",
            "attendees": [qatar.pk],
            "version": cairo.version,
        },
    )
    assert response.status_code == 302
    history = reverse("negotiations:history", args=["round", cairo.pk])
    page = analyst_client.get(history).content.decode()
    assert "Attendees" in page
    cairo.refresh_from_db()
    analyst_client.post(history, {"history_id": first.history_id, "version": cairo.version})
    cairo.refresh_from_db()
    assert cairo.title == "Cairo round"
    assert set(cairo.attendees.values_list("pk", flat=True)) == original


def test_sources_and_rounds_can_be_reached_for_editing(analyst_client, client):
    sources = reverse("negotiations:sources", args=[SEED_SLUG])
    html = analyst_client.get(sources).content.decode()
    edit = reverse("negotiations:edit_source", args=["araby-2025-04-14"])
    assert f'href="{edit}?next=/n/{SEED_SLUG}/sources/%23source-araby-2025-04-14"' in html
    assert "Edit this source" not in client.get(sources).content.decode()  # readers
    issue = reverse("negotiations:issue_history", args=[SEED_SLUG, "living-hostages"])
    assert "Edit this round" in analyst_client.get(issue).content.decode()
    assert "Edit this round" not in client.get(issue).content.decode()


def test_a_source_cannot_be_corrected_into_another_one_on_record(analyst_client):
    araby = Source.objects.get(slug="araby-2025-04-14")
    kan = Source.objects.get(slug="kan-2025-04-14")
    data = {
        "outlet": kan.outlet,
        "headline": kan.headline,
        "published_on": "2025-04-14",
        "grade": araby.grade,
        "version": araby.version,
    }
    url = reverse("negotiations:edit_source", args=[araby.slug])
    response = analyst_client.post(url, data)
    assert response.status_code == 422
    assert "Another report is on record with this outlet, date and headline: Kan 11, 14 Apr" in (
        text_of(response)
    )
    araby.refresh_from_db()
    assert araby.outlet == "Al-Araby Al-Jadeed"
    # A twin recorded before this rule can still be regraded, as long as it stays what it is.
    twin = Source.objects.create(
        slug="kan-twin",
        outlet="KAN 11",
        headline=kan.headline.upper(),
        published_on=kan.published_on,
        grade="C",
    )
    regraded = {
        "outlet": twin.outlet,
        "headline": twin.headline,
        "published_on": "2025-04-14",
        "grade": "D",
        "version": twin.version,
    }
    twin_url = reverse("negotiations:edit_source", args=[twin.slug])
    assert analyst_client.post(twin_url, regraded).status_code == 302


def test_a_report_typed_in_again_is_known_whatever_the_case_of_its_letters(analyst_client):
    Source.objects.create(
        slug="aerzte",
        outlet="Ärzte Zeitung",
        headline="Über die Geiseln",
        published_on="2025-04-14",
        grade="B",
    )
    data = report_data(three_rows()) | {
        "source-outlet": "ärzte zeitung",
        "source-headline": "über die geiseln",
        "source-published_on": "2025-04-14",
    }
    response = analyst_client.post(reverse("negotiations:new_report", args=[SEED_SLUG]), data)
    assert response.status_code == 422
    assert "This report is already on record: Ärzte Zeitung, 14 Apr 2025" in text_of(response)


def test_saving_a_source_goes_back_where_the_analyst_came_from(analyst_client):
    source = Source.objects.get(slug="araby-2025-04-14")
    back = f"/n/{SEED_SLUG}/sources/#source-{source.slug}"
    data = {
        "outlet": source.outlet,
        "headline": "A clearer headline",
        "published_on": "2025-04-14",
        "grade": source.grade,
        "version": source.version,
    }
    url = reverse("negotiations:edit_source", args=[source.slug])
    page = analyst_client.get(url, {"next": back}).content.decode()
    assert f'href="{back}">Cancel</a>' in page
    response = analyst_client.post(f"{url}?next={back.replace('#', '%23')}", data)
    assert response["Location"] == back
    # Only an address of this site: anything else stays on the source's own page.
    source.refresh_from_db()
    data["version"] = source.version
    response = analyst_client.post(f"{url}?next=https://elsewhere.example/", data)
    assert response["Location"] == url


def test_every_deleted_position_can_be_found_page_by_page(analyst_client):
    """Not only the newest 200: the list has pages, each record once at its latest deletion."""
    nine = hamas_nine()
    for n in range(54):
        builders.copy_of(nine, summary=f"Mistaken row {n}").delete()
    twice = builders.copy_of(nine, summary="Deleted twice")
    fields = {f.attname: getattr(twice, f.attname) for f in Position._meta.concrete_fields}
    twice.delete()
    Position.objects.create(**fields).delete()  # restored with its id, then deleted again
    back = builders.copy_of(nine, summary="Deleted, then restored")
    back.delete()
    back.save()  # restored: no longer deleted
    url = reverse("negotiations:deleted", args=[SEED_SLUG])
    first, second = text_of(analyst_client.get(url)), text_of(analyst_client.get(url, {"page": 2}))
    assert "Page 1 of 2" in first and "Page 2 of 2" in second
    listed = re.findall(r"(Mistaken row \d+|Deleted twice|Deleted, then restored)", first + second)
    assert sorted(listed) == sorted([f"Mistaken row {n}" for n in range(54)] + ["Deleted twice"])
    assert first.index("Deleted twice") < first.index("Mistaken row 53")  # newest first
