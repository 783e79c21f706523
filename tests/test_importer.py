"""The CSV importer: every problem named with its line, all rows or none, stable round trips."""

import csv
import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse

from negotiations.importer import ImportRefused, apply_import, plan_import
from negotiations.models import Negotiation, Position, Source
from negotiations.spreadsheets import POSITION_HEADER
from tests.conftest import SEED_SLUG

pytestmark = pytest.mark.django_db


def exported(client) -> str:
    response = client.get(reverse("negotiations:positions_csv", args=[SEED_SLUG]))
    return b"".join(response.streaming_content).decode()


def rows_of(text: str) -> list[dict]:
    return list(csv.DictReader(io.StringIO(text)))


def to_csv(rows: list[dict]) -> bytes:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=POSITION_HEADER, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue().encode()


def new_row(client, **changes) -> dict:
    row = rows_of(exported(client))[1] | {"id": ""}
    row.update(changes)
    return row


def citing_a_new_source(client, slug: str, **changes) -> dict:
    """A new row citing a source the file creates (by Axios, on 15 April 2025)."""
    defaults = {
        "source_outlet": "Axios",
        "source_headline": slug,
        "source_published_on": "2025-04-15",
        "stated_on": "2025-04-15",
    }
    return new_row(client, source=slug, **(defaults | changes))


def messages_for(content: bytes) -> list[str]:
    return plan_import(content).messages()


def test_an_unchanged_export_imports_as_all_unchanged(client, seeded):
    plan = plan_import(exported(client).encode())
    assert plan.ok
    assert (plan.new_count, plan.update_count, plan.unchanged_count) == (0, 0, 25)


def test_export_import_export_round_trip_is_stable_and_never_doubles_a_prefix(client, seeded):
    hamas = Position.objects.get(summary="Raised the number it would free to nine")
    hamas.summary = '=HYPERLINK("http://evil")'
    hamas.attribution = "'quoted already"
    hamas.conditions = "'=1+1' is what they wrote"
    hamas.save()
    first = exported(client)
    assert "'=HYPERLINK" in first and "''=1+1' is" in first
    assert ",'quoted already," in first  # a quote before plain text is left alone
    Position.objects.all().delete()
    result = apply_import(plan_import(first.encode()))
    assert result.created == 25
    restored = Position.objects.get(uid=hamas.uid)
    assert restored.summary == '=HYPERLINK("http://evil")'
    assert restored.attribution == "'quoted already"
    assert restored.conditions == "'=1+1' is what they wrote"
    assert exported(client) == first


def test_new_rows_and_a_new_source_are_created(client, seeded):
    row = citing_a_new_source(
        client,
        "axios-1",
        summary="Ten now",
        value_min="10",
        value_max="10",
        source_headline="Ten",
        source_url="https://example.org/a",
    )
    result = apply_import(plan_import(to_csv([row])))
    assert (result.created, result.sources) == (1, 1)
    assert Position.objects.get(summary="Ten now").source == Source.objects.get(slug="axios-1")


def test_a_new_source_given_two_ways_in_one_file_is_refused(client, seeded):
    first = new_row(
        client,
        summary="Ten now",
        source="twice",
        source_outlet="First",
        source_headline="Ten",
        source_published_on="2025-04-14",
        source_grade="A",
    )
    second = first | {"summary": "Eleven now", "source_outlet": "Second", "source_grade": "F"}
    same_again = first | {"summary": "Twelve now", "source_outlet": "", "source_headline": ""}
    problems = messages_for(to_csv([first, second, same_again]))
    assert problems == [
        "line 3: source_outlet: 'Second' differs from new source 'twice' as an earlier line "
        "gives it ('First'); give a source the same details on every line",
        "line 3: source_grade: 'F' differs from new source 'twice' as an earlier line gives it "
        "('A'); give a source the same details on every line",
    ], problems  # blank details on a later line take the earlier line's


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"actor": "mars"}, "actor: 'mars' does not take part in gaza-hostages-ceasefire-2025"),
        ({"issue": "weather"}, "issue: gaza-hostages-ceasefire-2025 has no issue 'weather'"),
        ({"negotiation": "nowhere"}, "negotiation: no negotiation 'nowhere'"),
        ({"value_min": "ten"}, "value_min: 'ten' is not a number"),
        ({"stated_on": "14/04/2025"}, "stated_on: '14/04/2025' is not a date written YYYY-MM-DD"),
        ({"vague": "maybe"}, "vague: 'maybe' is not true or false"),
        ({"credibility": "7"}, "credibility: '7' is not a whole number from 1 to 6"),
        ({"credibility": "9" * 5000}, "credibility: '9999"),
        ({"stated_on": "0025-04-14"}, "stated_on: Pick a date from 1 January 1900 on."),
        (
            {"recorded_at": "0001-01-01T00:00:00+01:00"},
            "recorded_at: 0001-01-01T00:00:00+01:00 is before 1 January 1900",
        ),
        (
            {"recorded_at": "9999-12-31T23:59:59Z"},
            "recorded_at: 9999-12-31T23:59:59+00:00 is in the future",
        ),
        ({"credibility": "high"}, "credibility: 'high' is not a whole number from 1 to 6"),
        ({"stance": "threat"}, "stance: Value 'threat' is not a valid choice."),
        (
            {"value_min": "12", "value_max": "10"},
            "value_max: The upper end of a range cannot be below the lower end.",
        ),
        ({"value_option": "full"}, "value_option: 'full' is not an option of living-hostages"),
        ({"issue_title": "Renamed"}, "issue_title: 'Renamed' does not match"),
        ({"source_outlet": "Someone else"}, "source_outlet: 'Someone else' differs from source"),
        (
            {"source": "brand-new", "source_outlet": ""},
            "source_outlet (new source 'brand-new'): This field cannot be blank.",
        ),
        ({"status": "denied"}, "status_source: Name the source that reports it denied."),
        (
            {"status": "reported", "status_attribution": "A spokesman"},
            "status_attribution: Only a confirmed, denied or retracted position has this; "
            "leave it blank.",
        ),
        (
            {"summary": "Two\nlines"},
            "summary: Write it in one line, without line breaks or control characters.",
        ),
        (
            {"attribution": "A spokesman\u2028and another"},
            "attribution: Write it in one line, without line breaks or control characters.",
        ),
        (
            {"summary": "A bell\x07"},
            "summary: Write it in one line, without line breaks or control characters.",
        ),
        (
            {"summary": "\u200b"},
            "summary: Write it in visible characters: this holds only spaces or invisible ones.",
        ),
        ({"attribution": "\u00a0\u202e"}, "attribution: Write it in visible characters"),
        ({"package": "no-such-deal"}, "package: gaza-hostages-ceasefire-2025 has no package"),
        ({"id": "not-a-uuid"}, "id: 'not-a-uuid' is not a UUID"),
        ({"stated_on": "2025-05-01"}, "stated_on: The source was published on 14 April 2025"),
    ],
)
def test_bad_values_get_a_message_with_the_line(client, seeded, changes, message):
    content = to_csv([new_row(client), new_row(client, **changes)])
    problems = messages_for(content)
    assert any(problem.startswith(f"line 3: {message}") for problem in problems), problems
    with pytest.raises(ImportRefused):
        apply_import(plan_import(content))


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "The file is empty"),
        (",".join(POSITION_HEADER).encode() + b"\n", "The file has a header but no positions."),
        (b"id,actor\n1,2\n", "The columns are not those of positions.csv (missing columns: "),
        ("id,négociation\n".encode("latin-1"), "The file is not UTF-8 text (byte 0xe9"),
        (b"id\x00,x\n", "The file contains NUL bytes"),
        (
            ";".join(POSITION_HEADER).encode() + b"\n" + b";" * 20 + b"\n",
            "The columns are separated by semicolons (;), not commas. Save the file as “CSV "
            "UTF-8 (comma delimited)”",
        ),
        (  # as LibreOffice writes it with "quote all text cells"
            ";".join(f'"{name}"' for name in POSITION_HEADER).encode() + b"\n",
            "The columns are separated by semicolons (;), not commas.",
        ),
        (
            ",".join([*POSITION_HEADER, "extra"]).encode() + b"\n",
            "The columns are not those of positions.csv (unknown columns: extra)",
        ),
        (  # a comma at the end of every line, as spreadsheets sometimes write
            ",".join([*POSITION_HEADER, ""]).encode() + b"\n" + b"," * len(POSITION_HEADER) + b"\n",
            "The columns are not those of positions.csv (unknown columns: a column without a "
            f"name (column {len(POSITION_HEADER) + 1}))",
        ),
    ],
)
def test_bad_files_get_a_clear_message(seeded, content, message):
    (problem,) = messages_for(content)
    assert problem.startswith(message), problem


def test_a_row_with_too_many_cells_is_named(client, seeded):
    content = to_csv([new_row(client)]) + b"a,b,c" + b",x" * 40 + b"\n"
    assert any(
        "line 3: the row has 43 cells where the header has 33" in p for p in messages_for(content)
    )


def test_a_bad_new_source_slug_is_named_by_its_column(client, seeded):
    row = citing_a_new_source(client, "not a slug!", source_grade="B")
    (problem,) = messages_for(to_csv([row]))
    assert problem.startswith("line 2: source (new source 'not a slug!'): "), problem


def test_one_bad_row_means_nothing_is_saved(client, seeded):
    before = Position.objects.count()
    rows = [new_row(client, summary=f"Row {n}") for n in range(5)]
    rows[3]["credibility"] = "0"
    with pytest.raises(ImportRefused):
        apply_import(plan_import(to_csv(rows)))
    assert Position.objects.count() == before


def test_the_same_id_twice_is_refused(client, seeded):
    row = rows_of(exported(client))[0]
    problems = messages_for(to_csv([row, row]))
    assert any("id: the same id is on line 2" in p for p in problems)


def test_an_import_into_the_wrong_negotiation_is_refused(client, seeded):
    other = Negotiation.objects.create(slug="other", title="Other")
    plan = plan_import(exported(client).encode(), negotiation=other)
    assert plan.messages()[0].startswith(
        "line 2: negotiation: this row belongs to 'gaza-hostages-ceasefire-2025'; import it there"
    )


def test_importpositions_command(client, seeded, tmp_path, capsys):
    path = tmp_path / "positions.csv"
    path.write_bytes(to_csv([new_row(client, summary="From the command line")]))
    call_command("importpositions", str(path), "--dry-run")
    assert "the file is valid and would give 1 new" in capsys.readouterr().out
    assert not Position.objects.filter(summary="From the command line").exists()
    call_command("importpositions", str(path))
    assert "imported 1 new" in capsys.readouterr().out
    assert Position.objects.filter(summary="From the command line").exists()


def test_importpositions_reports_problems_and_imports_nothing(client, seeded, tmp_path):
    path = tmp_path / "positions.csv"
    path.write_bytes(to_csv([new_row(client, actor="mars")]))
    with pytest.raises(CommandError, match=r"Nothing was imported: 1 problem:\n.*line 2: actor"):
        call_command("importpositions", str(path))


def test_importpositions_shows_progress_on_large_files(client, seeded, tmp_path, capsys):
    rows = [new_row(client, summary=f"Bulk {n}") for n in range(1200)]
    path = tmp_path / "positions.csv"
    path.write_bytes(to_csv(rows))
    call_command("importpositions", str(path))
    assert "checked 1,200 of 1,200 rows" in capsys.readouterr().err
    assert Position.objects.filter(summary__startswith="Bulk ").count() == 1200
    assert Position.history.filter(summary__startswith="Bulk ", history_type="+").count() == 1200


def test_importpositions_names_a_missing_file(tmp_path, db):
    with pytest.raises(CommandError, match="Cannot read"):
        call_command("importpositions", str(tmp_path / "nope.csv"))


def test_a_new_row_repeating_a_position_on_record_is_not_recorded_twice(client, seeded):
    """The same rows imported twice (blank ids: new positions) are recorded once."""
    rows = [
        new_row(client, summary="Ten now", value_min="10", value_max="10"),
        new_row(client, summary="Eleven now", value_min="11", value_max="11"),
    ]
    first = apply_import(plan_import(to_csv(rows)))
    assert (first.created, first.already_recorded) == (2, 0)
    again = plan_import(to_csv(rows))
    assert again.ok
    assert (again.new_count, again.recorded_count) == (0, 2)
    second = apply_import(again)
    assert (second.created, second.already_recorded) == (0, 2)
    assert Position.objects.filter(summary__in=["Ten now", "Eleven now"]).count() == 2
    # A row that differs in anything (here the value) is a new position after all.
    changed = plan_import(to_csv([rows[0] | {"value_min": "12", "value_max": "12"}]))
    assert (changed.new_count, changed.recorded_count) == (1, 0)


def test_the_same_new_row_twice_in_one_file_is_recorded_once(client, seeded):
    row = new_row(client, summary="Ten now", value_min="10", value_max="10")
    plan = plan_import(to_csv([row, row]))
    assert [planned.action for planned in plan.rows] == ["new", "recorded"]
    assert apply_import(plan).created == 1


def test_rows_citing_different_new_sources_are_different_positions(client, seeded):
    rows = [
        citing_a_new_source(client, slug, summary="Ten now", value_min="10", value_max="10")
        for slug in ("axios-1", "axios-2")
    ]
    plan = plan_import(to_csv(rows))
    assert [row.action for row in plan.rows] == ["new", "new"]
    assert apply_import(plan).created == 2


def test_a_change_that_would_make_a_position_repeat_another_is_refused(client, seeded):
    original = new_row(client)
    apply_import(plan_import(to_csv([original | {"summary": "Another wording"}])))
    reworded = next(r for r in rows_of(exported(client)) if r["summary"] == "Another wording")
    made_the_same = reworded | {"summary": original["summary"]}
    plan = plan_import(to_csv([made_the_same]))
    assert plan.messages() == [
        "line 2: this change would make the position the same as another one, on record or "
        "earlier in the file (the same stance, value, date, source and summary)"
    ]
    # A change to anything else of it is an update like any other.
    assert plan_import(to_csv([reworded | {"credibility": "6"}])).update_count == 1


@pytest.mark.parametrize("correction_first", [True, False])
def test_a_statement_the_file_corrects_a_position_away_from_can_be_recorded_anew(
    client, seeded, correction_first
):
    """One row rewords a stored position; another, without an id, gives its old words: after
    the import both statements are on record, so neither row is skipped."""
    stored = rows_of(exported(client))[1]
    corrected = stored | {"summary": "Reworded by the file"}
    restated = stored | {"id": ""}
    rows = [corrected, restated] if correction_first else [restated, corrected]
    plan = plan_import(to_csv(rows))
    assert sorted(row.action for row in plan.rows) == ["new", "update"], plan.messages()
    result = apply_import(plan)
    assert (result.created, result.updated) == (1, 1)
    summaries = set(
        Position.objects.filter(stated_on=stored["stated_on"]).values_list("summary", flat=True)
    )
    assert {stored["summary"], "Reworded by the file"} <= summaries
    # And a new row that repeats what a position is corrected to is on record already.
    again = plan_import(to_csv([corrected | {"id": "", "summary": "Once more"}, restated]))
    assert [row.action for row in again.rows] == ["new", "recorded"]


def test_a_position_recorded_by_someone_else_since_the_preview_refuses_the_import(client, seeded):
    rows = [new_row(client, summary="Ten now", value_min="10", value_max="10")]
    plan = plan_import(to_csv(rows))
    apply_import(plan_import(to_csv(rows)))  # another analyst, the same file, first
    before = Position.objects.count()
    with pytest.raises(ImportRefused) as refused:
        apply_import(plan)
    assert refused.value.messages == [
        "A position of the file was recorded by someone else since the preview; check the "
        "file again."
    ]
    assert Position.objects.count() == before


def test_a_report_on_record_given_a_new_slug_is_refused(client, seeded):
    """Under another slug, the same outlet, headline and date are the same report: a second
    record of it would split its positions between the two."""
    kan = Source.objects.get(slug="kan-2025-04-14")
    row = new_row(
        client,
        summary="Ten now",
        source="kan-11-report",
        source_outlet=kan.outlet.upper(),
        source_headline=f" {kan.headline} ",
        source_published_on=kan.published_on.isoformat(),
        source_grade=kan.grade,
        source_url="",
    )
    assert plan_import(to_csv([row])).messages() == [
        "line 2: source: new source 'kan-11-report' is the report 'kan-2025-04-14' (the same "
        "outlet, headline and date); give that slug"
    ]
    # Two new slugs for one new report in one file: the same.
    first = row | {"source": "axios-1", "source_outlet": "Axios", "source_headline": "Ten"}
    second = first | {"source": "axios-2", "summary": "Eleven now"}
    assert plan_import(to_csv([first, second])).messages() == [
        "line 3: source: new source 'axios-2' is the report 'axios-1' (the same outlet, "
        "headline and date, earlier in the file); give that slug"
    ]
