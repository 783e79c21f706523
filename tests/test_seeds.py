"""The seed format: validation messages, all-or-nothing, idempotence, round trip."""

import datetime as dt
import io
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from negotiations.models import (
    Actor,
    Issue,
    Negotiation,
    Package,
    Participant,
    Position,
    Round,
    ScaleOption,
    Source,
)
from negotiations.seeds import SeedError, export_negotiation, load_files
from tests.conftest import SEED_FILE, SEED_SLUG

pytestmark = pytest.mark.django_db

ALL_MODELS = (Actor, Negotiation, Participant, Source, Issue, ScaleOption, Round, Package, Position)

MINIMAL = """\
gapwatch_seed = 1

[negotiation]
slug = "talks"
title = "Talks"
public = true

[[actors]]
slug = "north"
name = "North"
short_name = "N"
kind = "state"
role = "party"

[[actors]]
slug = "south"
name = "South"
short_name = "S"
kind = "state"
role = "party"

[[sources]]
slug = "wire"
outlet = "Wire"
headline = "Both sides state terms"
published_on = 2025-04-14
grade = "B"

[[issues]]
slug = "prisoners"
title = "Prisoners released"
kind = "quantity"
unit = "prisoners"

[[positions]]
actor = "north"
issue = "prisoners"
stance = "demand"
value = 100
summary = "Wants a hundred"
stated_on = 2025-04-14
source = "wire"
credibility = 2

[[positions]]
actor = "south"
issue = "prisoners"
stance = "offer"
min = 40
max = 60
summary = "Offers forty to sixty"
stated_on = 2025-04-14
source = "wire"
credibility = 3
"""


def database_state() -> dict[str, list[tuple]]:
    """Every row of every model, for checking that nothing changed."""
    return {model.__name__: sorted(map(repr, model.objects.values_list())) for model in ALL_MODELS}


NOTHING = {model.__name__: [] for model in ALL_MODELS}


def write(tmp_path: Path, text: str, name: str = "talks.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def problems_of(*paths: Path) -> list[str]:
    with pytest.raises(SeedError) as error:
        load_files(list(paths))
    return error.value.problems


def problems_within(*paths: Path) -> list[str]:
    """The problems, each without the path of its file."""
    return [problem.split(": ", 1)[1] for problem in problems_of(*paths)]


# ---------------------------------------------------------------------------------------------
# Loading


def test_the_cairo_seed_loads_every_fact(seeded):
    assert seeded.is_public
    assert Participant.objects.filter(negotiation=seeded).count() == 7
    assert {p.actor.slug: p.role for p in seeded.participants.select_related("actor")} == {
        "israel": "party",
        "hamas": "party",
        "egypt": "mediator",
        "qatar": "mediator",
        "united-states": "mediator",
        "palestinian-factions": "stakeholder",
        "hostage-families": "stakeholder",
    }
    assert Source.objects.count() == 5
    assert seeded.issues.count() == 11
    assert seeded.packages.count() == 3
    assert Position.objects.for_negotiation(seeded).count() == 25
    cairo = seeded.rounds.get()
    assert (cairo.location, str(cairo.ended_on)) == ("Cairo", "2025-04-14")
    assert {a.actor.slug for a in cairo.attendees.select_related("actor")} == {
        "hamas",
        "egypt",
        "qatar",
    }
    denied = Position.objects.get(status="denied")
    assert denied.status_source.slug == "hamas-senior-source-2025-04-14"


def test_loading_the_same_file_twice_changes_nothing(seeded):
    before = database_state()
    (report,) = load_files([SEED_FILE])
    assert not report.created and not report.updated
    assert database_state() == before


def test_an_edited_file_updates_what_changed_and_nothing_else(tmp_path, db):
    path = write(tmp_path, MINIMAL)
    load_files([path])
    offer = Position.objects.get(summary="Offers forty to sixty")
    write(
        tmp_path,
        MINIMAL.replace("min = 40", "min = 45").replace(
            'headline = "Both sides state terms"', 'headline = "Terms stated"'
        ),
    )
    (report,) = load_files([path])
    assert report.updated == {"sources": 1, "positions": 1}
    assert not report.created
    offer.refresh_from_db()
    assert offer.value_min == 45
    assert Position.objects.count() == 2


def test_a_load_keeps_positions_recorded_in_the_app(tmp_path, db):
    path = write(tmp_path, MINIMAL)
    load_files([path])
    extra = Position.objects.first()
    extra.pk = None
    extra.uid = None
    extra.summary = "Recorded by an analyst"
    import uuid

    extra.uid = uuid.uuid4()
    extra.save()
    (report,) = load_files([path])
    assert report.kept == 1
    assert "; kept 1 position that is in the database but not in the file" in report.summary()
    assert Position.objects.filter(summary="Recorded by an analyst").exists()


def test_loadseeds_loads_every_file_in_seeds_by_default(db):
    out = io.StringIO()
    call_command("loadseeds", stdout=out)
    assert "created 1 negotiation" in out.getvalue()
    assert Negotiation.objects.filter(slug=SEED_SLUG).exists()


# ---------------------------------------------------------------------------------------------
# Round trip


def test_export_then_load_into_an_empty_database_then_export_is_identical(seeded, tmp_path):
    first = export_negotiation(seeded)
    for model in (
        Position,
        Package,
        Round,
        ScaleOption,
        Issue,
        Participant,
        Negotiation,
        Source,
        Actor,
    ):
        model.objects.all().delete()
    load_files([write(tmp_path, first, "exported.toml")])
    second = export_negotiation(Negotiation.objects.get(slug=SEED_SLUG))
    assert second == first
    # Keys at their default are left out; one that is not is kept.
    assert first.count("whole_numbers = true") == 2 and "whole_numbers = false" not in first
    assert list(
        Issue.objects.filter(whole_numbers=True).order_by("order").values_list("slug", flat=True)
    ) == ["living-hostages", "deceased-hostages"]


def test_export_keeps_every_field_of_a_position(seeded):
    text = export_negotiation(seeded)
    assert 'status = "denied"' in text
    assert 'status_source = "hamas-senior-source-2025-04-14"' in text
    assert "min = 40\nmax = 70" in text
    assert 'package = "all-hostages-for-end-of-war"' in text
    assert "conditional = true" in text


def test_exportseed_prints_the_seed_format(seeded):
    out = io.StringIO()
    call_command("exportseed", SEED_SLUG, stdout=out)
    assert out.getvalue() == export_negotiation(seeded)


def test_exportseed_names_the_known_slugs_when_the_slug_is_unknown(seeded):
    with pytest.raises(CommandError, match=f"No negotiation with the slug 'nope' .*{SEED_SLUG}"):
        call_command("exportseed", "nope")


def test_positions_keep_their_identifier_across_a_round_trip(tmp_path, db):
    load_files([write(tmp_path, MINIMAL)])
    uids = set(Position.objects.values_list("uid", flat=True))
    exported = export_negotiation(Negotiation.objects.get(slug="talks"))
    Position.objects.all().delete()
    load_files([write(tmp_path, exported, "again.toml")])
    assert set(Position.objects.values_list("uid", flat=True)) == uids


# ---------------------------------------------------------------------------------------------
# Validation: every problem named with file, entry and field; nothing saved


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (
            ("credibility = 2", "credibility = 9"),
            "positions[0] (north / prisoners).credibility: Value 9 is not a valid choice. Choose "
            "one of: 1, 2, 3, 4, 5, 6.",
        ),
        (
            ("credibility = 2", 'credibility = "high"'),
            "positions[0] (north / prisoners).credibility: expected a whole number, got 'high'",
        ),
        (
            ('stance = "demand"', 'stance = "threat"'),
            "positions[0] (north / prisoners).stance: Value 'threat' is not a valid choice. "
            "Choose one of: demand, offer, proposal, rejection.",
        ),
        (
            ("value = 100", "value = -5"),
            "positions[0] (north / prisoners).min: Ensure this value is greater than or equal "
            "to 0.",
        ),
        (
            ("min = 40\nmax = 60", "min = 60\nmax = 40"),
            "positions[1] (south / prisoners).max: The upper end of a range cannot be below the "
            "lower end.",
        ),
        (
            ("value = 100", "value = true"),
            "positions[0] (north / prisoners).value: expected a number, got True (prisoners is a "
            "quantity)",
        ),
        (
            ('source = "wire"\ncredibility = 2', 'source = "radio"\ncredibility = 2'),
            "positions[0] (north / prisoners).source: 'radio' is not one of the sources in this "
            "file",
        ),
        (
            ('actor = "north"', 'actor = "east"'),
            "positions[0] (east / prisoners).actor: 'east' is not one of the actors in this file",
        ),
        (
            ("published_on = 2025-04-14", 'published_on = "14 April"'),
            "sources[0] (wire).published_on: expected a date written like 2025-04-14 (no quotes), "
            "got '14 April'",
        ),
        (
            ("published_on = 2025-04-14", "published_on = 2999-01-01"),
            "sources[0] (wire).published_on: This date is in the future.",
        ),
        (
            ("published_on = 2025-04-14", "published_on = 0025-04-14"),
            "sources[0] (wire).published_on: 0025-04-14 is before 1 January 1900",
        ),
        (
            ("credibility = 2", "credibility = 2\nrecorded_at = 0001-01-01T00:00:00+01:00"),
            "positions[0] (north / prisoners).recorded_at: 0001-01-01T00:00:00+01:00 is before "
            "1 January 1900",
        ),
        (
            ("credibility = 2", "credibility = 2\nrecorded_at = 9999-12-31T23:59:59Z"),
            "positions[0] (north / prisoners).recorded_at: 9999-12-31T23:59:59+00:00 is in the "
            "future",
        ),
        (
            ('unit = "prisoners"', 'unit = ""'),
            "issues[0] (prisoners).unit: A quantity needs a unit (hostages, days, %…).",
        ),
        (
            (
                'kind = "state"\nrole = "party"\n\n[[actors]]\nslug = "south"',
                'kind = "state"\nrole = "umpire"\n\n[[actors]]\nslug = "south"',
            ),
            "actors[0] (north).role: Value 'umpire' is not a valid choice. Choose one of: "
            "party, mediator, guarantor, stakeholder.",
        ),
        (
            ('summary = "Wants a hundred"', 'summary = "Wants a hundred"\nmood = "angry"'),
            "positions[0] (north / prisoners): unknown key 'mood' (known keys: id, actor, issue, "
            "stance, value, min, max, summary, stated_on, source, attribution, credibility, "
            "status, status_source, status_attribution, status_changed_on, conditions, vague, "
            "package, recorded_at)",
        ),
        (
            ('summary = "Wants a hundred"\n', ""),
            "positions[0] (north / prisoners).summary: missing (required)",
        ),
        (
            ("gapwatch_seed = 1", "gapwatch_seed = 2"),
            "gapwatch_seed: expected 1 (the format version), got 2",
        ),
        (
            (
                'title = "Prisoners released"',
                'title = "Prisoners released"\noptions = [{key = "a", label = "A"}]',
            ),
            "issues[0] (prisoners).options: only a scale has options",
        ),
    ],
)
def test_bad_seed_files_get_a_message_naming_file_entry_and_field(tmp_path, db, change, expected):
    old, new = change
    assert old in MINIMAL
    path = write(tmp_path, MINIMAL.replace(old, new, 1))
    before = database_state()
    problems = problems_of(path)
    assert f"{path}: {expected}" in problems, problems
    assert database_state() == before


def test_a_stated_date_after_the_source_date_is_refused(tmp_path, db):
    path = write(tmp_path, MINIMAL.replace("stated_on = 2025-04-14", "stated_on = 2025-04-20", 1))
    (problem,) = problems_of(path)
    assert problem == (
        f"{path}: positions[0] (north / prisoners).stated_on: The source was published on "
        "14 April 2025; it cannot report a position stated after that."
    )


def test_invalid_toml_names_the_line(tmp_path, db):
    path = write(tmp_path, MINIMAL.replace('title = "Talks"', "title = Talks"))
    (problem,) = problems_of(path)
    assert problem.startswith(f"{path}: not valid TOML: ")
    assert "line 5" in problem


def test_a_number_too_long_for_python_is_refused_with_a_message(tmp_path, db):
    path = write(tmp_path, MINIMAL.replace("credibility = 2", "credibility = " + "9" * 5000))
    (problem,) = problems_of(path)
    assert problem == f"{path}: a number has more than 4,300 digits; no value here is that large"


def test_a_byte_order_mark_is_read_past(tmp_path, db):
    path = tmp_path / "bom.toml"
    path.write_bytes(MINIMAL.encode("utf-8-sig"))
    load_files([path])
    assert Negotiation.objects.get(slug="talks").title == "Talks"


def test_a_file_that_is_not_utf8_is_refused(tmp_path, db):
    path = tmp_path / "latin1.toml"
    path.write_bytes(MINIMAL.replace("Talks", "Négociations").encode("latin-1"))
    (problem,) = problems_of(path)
    assert problem.startswith(f"{path}: not UTF-8 text")


def test_a_folder_or_a_file_nested_too_deep_is_refused_in_words(tmp_path, db):
    folder = tmp_path / "talks.toml"
    folder.mkdir()
    assert problems_of(folder) == [f"{folder}: a folder, not a seed file"]
    deep = tmp_path / "deep.toml"
    deep.write_text("gapwatch_seed = 1\nx = " + "[" * 3000 + "]" * 3000 + "\n")
    assert problems_of(deep) == [f"{deep}: nested too deeply to be a seed file"]


def test_two_identical_positions_need_an_id_to_tell_them_apart(tmp_path, db):
    first = MINIMAL.index("[[positions]]")
    copy = MINIMAL[first : MINIMAL.index("[[positions]]", first + 1)]
    path = write(tmp_path, MINIMAL + "\n" + copy)
    problems = problems_of(path)
    assert any("give one of them an id" in problem for problem in problems), problems


def test_two_identical_positions_with_ids_of_their_own_are_refused(tmp_path, db):
    """Ids tell them apart in the file, but they are the same statement on record twice."""
    first = MINIMAL.index("[[positions]]")
    copy = MINIMAL[first : MINIMAL.index("[[positions]]", first + 1)]
    ids = [f'id = "00000000-0000-4000-8000-00000000000{n}"\n' for n in (1, 2)]
    text = MINIMAL.replace(copy, copy + ids[0], 1) + "\n" + copy + ids[1]
    problems = problems_of(write(tmp_path, text))
    assert problems == [
        f"{tmp_path / 'talks.toml'}: positions[2] (north / prisoners): This position is "
        "already on record, with the same stance, value, date, source and summary."
    ]
    assert database_state() == NOTHING


def test_every_problem_is_reported_at_once(tmp_path, db):
    text = (
        MINIMAL.replace("credibility = 2", "credibility = 9")
        .replace('stance = "offer"', 'stance = "gift"')
        .replace('short_name = "S"', 'short_name = "S"\ncolour = "blue"')
    )
    problems = problems_of(write(tmp_path, text))
    assert [problem.split(": ")[1] for problem in problems] == [
        "actors[1] (south).colour",
        "positions[0] (north / prisoners).credibility",
    ]


def test_an_entry_refused_is_not_reported_again_under_every_entry_that_names_it(tmp_path, db):
    later = """
[[sources]]
slug = "denial"
outlet = "Wire"
headline = "South denies it"
published_on = 2099-04-15
grade = "B"

[[packages]]
slug = "deal"
title = "A deal"
proposer = "north"
stated_on = 2025-04-14
source = "denial"

[[rounds]]
slug = "first"
title = "First round"
location = "Cairo"
started_on = 2025-04-14
source = "denial"

[[positions]]
actor = "south"
issue = "prisoners"
stance = "offer"
value = 50
summary = "Offers fifty"
stated_on = 2025-04-13
source = "wire"
credibility = 3
status = "denied"
status_source = "denial"
status_changed_on = 2025-04-15
"""
    assert problems_within(write(tmp_path, MINIMAL + later)) == [
        "sources[1] (denial).published_on: This date is in the future."
    ]
    assert database_state() == NOTHING


def test_one_report_under_two_slugs_is_refused(tmp_path, db):
    twice = MINIMAL.replace(
        "[[issues]]",
        """[[sources]]
slug = "wire-again"
outlet = "WIRE "
headline = "both sides state terms"
published_on = 2025-04-14
grade = "C"

[[issues]]""",
    )
    assert problems_within(write(tmp_path, twice)) == [
        "sources[1] (wire-again): the same report (outlet, headline and date) is on record as "
        "'wire'; cite that slug"
    ]
    assert database_state() == NOTHING
    # Nor in a later load, against the one on record.
    load_files([write(tmp_path, MINIMAL)])
    again = MINIMAL.replace('slug = "wire"', 'slug = "wire-2"').replace(
        'source = "wire"', 'source = "wire-2"'
    )
    assert "is on record as 'wire'" in problems_of(write(tmp_path, again, "again.toml"))[0]


def test_a_seed_id_cannot_move_a_position_to_another_actor_or_issue(tmp_path, db):
    first = MINIMAL.replace(
        'summary = "Wants a hundred"',
        'summary = "Wants a hundred"\nid = "00000000-0000-4000-8000-000000000001"',
    )
    load_files([write(tmp_path, first)])
    moved = first.replace('actor = "north"', 'actor = "south"', 1).replace(
        'stance = "demand"', 'stance = "rejection"', 1
    )
    before = database_state()
    assert problems_within(write(tmp_path, moved)) == [
        "positions[0] (south / prisoners).id: 00000000-0000-4000-8000-000000000001 is on record "
        "as another actor's position or one on another issue; a seed cannot move it (remove "
        "the id to make a new one)"
    ]
    assert database_state() == before


def test_one_bad_file_stops_every_file_from_loading(tmp_path, db):
    good = write(tmp_path, MINIMAL, "good.toml")
    bad = write(
        tmp_path,
        MINIMAL.replace('slug = "talks"', 'slug = "other"').replace(
            "credibility = 2", "credibility = 0"
        ),
        "bad.toml",
    )
    problems_of(good, bad)
    assert not Negotiation.objects.exists()
    assert not Actor.objects.exists()


def test_a_problem_found_while_saving_rolls_back_everything_saved_before_it(tmp_path, db):
    # The range check happens late, after the negotiation, actors and sources were saved.
    path = write(tmp_path, MINIMAL.replace("min = 40\nmax = 60", "min = 60\nmax = 40"))
    problems_of(path)
    assert database_state() == NOTHING


def test_loadseeds_reports_problems_and_loads_nothing(tmp_path, db):
    path = write(tmp_path, MINIMAL.replace("credibility = 2", "credibility = 9"))
    with pytest.raises(CommandError) as error:
        call_command("loadseeds", str(path))
    assert str(error.value).startswith("Nothing was loaded: 1 problem:")
    assert "credibility" in str(error.value)
    assert not Negotiation.objects.exists()


def test_loadseeds_says_so_when_there_is_no_file(tmp_path, db):
    with pytest.raises(CommandError, match="No seed files"):
        call_command("loadseeds", str(tmp_path))


def test_loadseeds_names_a_missing_file(tmp_path, db):
    with pytest.raises(CommandError, match="no such file"):
        call_command("loadseeds", str(tmp_path / "missing.toml"))


# ---------------------------------------------------------------------------------------------
# Malformed entries get messages, never tracebacks


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (('actor = "north"\n', ""), "positions[0] (? / prisoners).actor: missing (required)"),
        (('actor = "north"', "actor = 7"), "positions[0] (7 / prisoners).actor: expected text"),
        (('actor = "north"', 'actor = ""'), "positions[0] ( / prisoners).actor: cannot be blank"),
        (
            ('title = "Talks"', 'title = "Ta\\u0000lks"'),
            "negotiation.title: contains a control character",
        ),
        (
            ('short_name = "N"', 'short_name = "N"\nother_names = [1, "x"]'),
            "actors[0] (north).other_names: 1: expected text in quotes, got 1",
        ),
        (
            ('short_name = "N"', 'short_name = "N"\nother_names = ["a\\nb"]'),
            "actors[0] (north).other_names: 'a\\nb': one name per item, without line breaks",
        ),
        (("gapwatch_seed = 1", "gapwatch_seed = true"), "gapwatch_seed: expected 1"),
        (
            ("value = 100", "value = 1e-30"),
            "positions[0] (north / prisoners).value: 1E-30 has more than two decimal places",
        ),
        (
            ("value = 100", "value = 1e20"),
            "positions[0] (north / prisoners).value: 1E+20 is too large",
        ),
    ],
)
def test_malformed_entries_get_messages_not_tracebacks(tmp_path, db, change, expected):
    old, new = change
    assert old in MINIMAL
    path = write(tmp_path, MINIMAL.replace(old, new, 1))
    problems = problems_of(path)
    assert any(problem.startswith(f"{path}: {expected}") for problem in problems), problems


def test_attendees_must_be_a_list_of_actor_slugs(tmp_path, db):
    round_ = (
        '\n[[rounds]]\nslug = "r"\ntitle = "R"\nlocation = "Cairo"\nstarted_on = 2025-04-13\n'
        'attendees = "north"\n'
    )
    (problem,) = problems_of(write(tmp_path, MINIMAL + round_))
    assert "rounds[0] (r).attendees: expected a list of text in square brackets" in problem


def test_numbers_with_harmless_extra_zeros_are_accepted(tmp_path, db):
    load_files([write(tmp_path, MINIMAL.replace("value = 100", "value = 100.000"))])
    assert Position.objects.get(stance="demand").value_min == 100


def test_an_id_from_another_negotiation_is_refused(tmp_path, db):
    load_files([write(tmp_path, MINIMAL)])
    uid = Position.objects.get(stance="demand").uid
    copy = MINIMAL.replace('slug = "talks"', 'slug = "copy"').replace(
        'actor = "north"', f'id = "{uid}"\nactor = "north"'
    )
    problems = problems_of(write(tmp_path, copy, "copy.toml"))
    assert any("is a position of another negotiation (talks)" in p for p in problems)
    assert Position.objects.get(uid=uid).issue.negotiation.slug == "talks"


SCALE = """
[[issues]]
slug = "pullback"
title = "Pullback"
kind = "scale"
{options}
"""


def scale_file(keys: list[str], position_key: str | None = None) -> str:
    options = "".join(f'\n[[issues.options]]\nkey = "{k}"\nlabel = "{k}"\n' for k in keys)
    text = MINIMAL.replace("[[positions]]", SCALE.format(options=options) + "\n[[positions]]", 1)
    if position_key:
        text += (
            '\n[[positions]]\nactor = "north"\nissue = "pullback"\nstance = "demand"\n'
            f'value = "{position_key}"\nsummary = "x"\nstated_on = 2025-04-14\n'
            'source = "wire"\ncredibility = 2\n'
        )
    return text


def test_scale_options_follow_the_file(tmp_path, db):
    path = write(tmp_path, scale_file(["a", "b", "c"]))
    load_files([path])
    for _ in range(40):  # reordering again and again never overflows the ranks
        write(tmp_path, scale_file(["c", "b", "a"]))
        load_files([path])
        write(tmp_path, scale_file(["a", "b", "c"]))
        load_files([path])
    write(tmp_path, scale_file(["a", "b"]))
    load_files([path])
    assert list(ScaleOption.objects.order_by("rank").values_list("key", "rank")) == [
        ("a", 0),
        ("b", 1),
    ]


def test_an_option_in_use_cannot_be_dropped_from_the_file(tmp_path, db):
    path = write(tmp_path, scale_file(["a", "b", "c"], position_key="c"))
    load_files([path])
    write(tmp_path, scale_file(["a", "b"]))
    (problem,) = [p for p in problems_of(path) if "options" in p]
    assert "the options c are used by positions; keep them in the file" in problem


def test_same_day_ties_follow_the_file_order_whatever_was_loaded_before(tmp_path, db):
    from negotiations import snapshot
    from negotiations.models import Negotiation as N

    base = MINIMAL + (
        '\n[[positions]]\nactor = "south"\nissue = "prisoners"\nstance = "demand"\nvalue = 70\n'
        'summary = "Seventy"\nstated_on = 2025-04-14\nsource = "wire"\ncredibility = 3\n'
    )
    path = write(tmp_path, base)
    load_files([path])
    # The file now puts "Seventy" first: "Offers forty to sixty" must win the tie.
    first, second = base.index('[[positions]]\nactor = "south"'), base.rindex("[[positions]]")
    reordered = base[:first] + base[second:] + "\n" + base[first:second]
    write(tmp_path, reordered)
    load_files([path])
    table = snapshot.load_table(N.objects.get(slug="talks"), dt.date(2025, 4, 14))
    south = next(c.position for c in table.rows[0].cells if c.participant.actor.slug == "south")
    assert south.summary == "Offers forty to sixty"


def test_keep_existing_creates_what_is_missing_and_keeps_corrections(seeded, django_user_model):
    position = Position.objects.get(summary="Raised the number it would free to nine")
    position.summary = "Corrected in the app"
    position._history_user = django_user_model.objects.create_user("ana")  # as the app does
    position.save()
    Position.objects.get(summary="Eight bodies handed over").delete()
    (report,) = load_files([SEED_FILE], keep_existing=True)
    assert report.created == {"positions": 1}
    assert not report.updated
    assert Position.objects.filter(summary="Corrected in the app").exists()
    assert Position.objects.filter(summary="Eight bodies handed over").exists()
    # The report tells the correction from what the file has as it is.
    assert report.kept_as_corrected == {"positions": 1}
    assert report.unchanged["positions"] == 23
    assert "; kept as corrected since 1 position (the database differs from the file" in (
        report.summary()
    )


def test_keep_existing_brings_what_only_the_loader_wrote_up_to_the_file(seeded):
    """A database loaded from an earlier seed file follows the newer one (make run), except
    where someone corrected a record in the app."""
    Issue.objects.filter(slug="living-hostages").update(whole_numbers=False, title="Old title")
    Issue.objects.get(slug="living-hostages").save()  # a loader's save: no user in its history
    (report,) = load_files([SEED_FILE], keep_existing=True)
    issue = Issue.objects.get(slug="living-hostages")
    assert (issue.title, issue.whole_numbers) == ("Living hostages released", True)
    assert report.updated == {"issues": 1} and not report.kept_as_corrected


def test_keep_existing_leaves_deleted_in_the_app_deleted(seeded, django_user_model):
    """make run loads with --keep-existing: a position an analyst deleted stays deleted
    (restorable from its history), while one gone without anyone deleting it comes back."""
    analyst = django_user_model.objects.create_user("ana")
    deleted = Position.objects.get(summary="Raised the number it would free to nine")
    deleted._history_user = analyst  # as the workspace's delete does
    deleted.delete()
    Position.objects.get(summary="Eight bodies handed over").delete()  # no one's: a loader's
    (report,) = load_files([SEED_FILE], keep_existing=True)
    assert not Position.objects.filter(uid=deleted.uid).exists()
    assert Position.objects.filter(summary="Eight bodies handed over").exists()
    assert (report.kept_deleted, report.created, report.kept) == (
        {"positions": 1},
        {"positions": 1},
        0,
    )
    assert "; kept deleted 1 position (deleted in the app since;" in report.summary()
    # Without --keep-existing, the file is the truth: it comes back.
    (report,) = load_files([SEED_FILE])
    assert Position.objects.filter(uid=deleted.uid).exists()


def test_keep_existing_leaves_a_scale_changed_in_the_app_as_it_is(seeded, django_user_model):
    withdrawal = Issue.objects.get(slug="withdrawal")
    editor = django_user_model.objects.create_user("editor")
    most = ScaleOption(issue=withdrawal, key="most", label="most", rank=3)
    most._history_user = editor  # as the admin does
    most.save()
    hamas = Position.objects.filter(issue=withdrawal).first()
    hamas.value_option, hamas._history_user = most, editor  # and an analyst's correction
    hamas.save()
    (report,) = load_files([SEED_FILE], keep_existing=True)
    assert list(withdrawal.options.order_by("rank").values_list("key", flat=True)) == [
        "none",
        "partial",
        "full",
        "most",
    ]
    assert report.kept_as_corrected == {"scale options": 4, "positions": 1}
    assert Position.objects.get(pk=hamas.pk).value_option == most
