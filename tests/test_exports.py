"""The CSV and JSON exports: exact text, streaming, neutralised formulas, citable as-of dates."""

import csv
import datetime as dt
import io
import json
import re
import threading

import pytest
from django.db import connection, transaction
from django.http import StreamingHttpResponse
from django.urls import reverse
from django.utils import timezone

from negotiations.models import LINE_BREAKS, Position, Source
from negotiations.spreadsheets import POSITION_HEADER, neutralise
from tests import builders
from tests.conftest import SEED_SLUG

pytestmark = pytest.mark.django_db

RECORDED = dt.datetime(2025, 4, 15, 9, 30, 0, 123456, tzinfo=dt.UTC)


@pytest.fixture
def small(db):
    """A small negotiation with a formula-like text, a range, a scale and a denial."""
    talks = builders.negotiation("talks", title="Talks")
    north = builders.participant(talks, "north", name="North")
    south = builders.participant(talks, "south", name="South", role="mediator")
    prisoners = builders.issue(talks, "prisoners", unit="prisoners", unit_singular="prisoner")
    pullback = builders.issue(talks, "pullback", kind="scale", options=("none", "full"))
    wire = builders.source("wire", outlet="Wire", headline="Terms, stated", grade="B")
    denial = builders.source(
        "denial", outlet="=Radio", headline="Denial", grade="E", url="https://example.org/d"
    )
    builders.position(
        north,
        prisoners,
        wire,
        "demand",
        amount=100,
        summary="Wants 100",
        attribution="@spokesman",
        recorded_at=RECORDED,
    )
    builders.position(
        south,
        prisoners,
        wire,
        "proposal",
        low=40,
        high=60,
        summary="=SUM(A1:A9)",
        conditions='Says "maybe"',
        recorded_at=RECORDED,
    )
    builders.position(
        north,
        pullback,
        wire,
        "offer",
        option="full",
        summary="-Full, then none",
        status="denied",
        status_source=denial,
        status_changed_on=builders.DAY,
        status_attribution="Its spokesman",
        recorded_at=RECORDED,
    )
    return talks


def positions_csv(client, slug: str = "talks") -> tuple[StreamingHttpResponse, str]:
    response = client.get(reverse("negotiations:positions_csv", args=[slug]))
    return response, b"".join(response.streaming_content).decode("utf-8")


def test_positions_csv_is_exactly_this(client, small):
    today = timezone.localdate().isoformat()
    response, text = positions_csv(client)
    uids = dict(Position.objects.values_list("summary", "uid"))
    assert text == (
        ",".join(POSITION_HEADER) + "\n"
        f"{uids['Wants 100']},talks,north,North,party,prisoners,Prisoners,quantity,prisoners,"
        'demand,100,100,,,Wants 100,2025-04-14,wire,Wire,"Terms, stated",,2025-04-14,B,'
        f"'@spokesman,2,reported,,,,,false,,2025-04-15T09:30:00.123456Z,{today}\n"
        f"{uids['=SUM(A1:A9)']},talks,south,South,mediator,prisoners,Prisoners,quantity,"
        'prisoners,proposal,40,60,,,\'=SUM(A1:A9),2025-04-14,wire,Wire,"Terms, stated",,'
        '2025-04-14,B,,2,reported,,,,"Says ""maybe""",false,,2025-04-15T09:30:00.123456Z,'
        f"{today}\n"
        f"{uids['-Full, then none']},talks,north,North,party,pullback,Pullback,scale,,offer,,,,"
        'full,"\'-Full, then none",2025-04-14,wire,Wire,"Terms, stated",,2025-04-14,B,,2,'
        "denied,denial,Its spokesman,2025-04-14,,false,,2025-04-15T09:30:00.123456Z,"
        f"{today}\n"
    )
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == (
        f'attachment; filename="talks_positions_{today}.csv"'
    )


def test_positions_csv_is_streamed(client, small):
    response, _ = positions_csv(client)
    assert isinstance(response, StreamingHttpResponse)


def test_positions_csv_holds_only_its_negotiations_rows_when_issues_interleave(client, small):
    # Another negotiation's issue created between this one's: its id falls inside the range
    # of ids the export's index scan is bounded by, and must still be left out.
    other = builders.negotiation("other", title="Other")
    west = builders.participant(other, "west", name="West")
    between = builders.issue(other, "between", unit="days")
    builders.position(west, between, builders.source("other-wire"), "demand", amount=5)
    last = builders.issue(small, "last", kind="yes_no")
    builders.position(
        small.participants.get(actor__slug="north"),
        last,
        builders.source("late"),
        "offer",
        yes=True,
    )
    _, text = positions_csv(client)
    rows = list(csv.DictReader(io.StringIO(text)))
    assert {row["issue"] for row in rows} == {"prisoners", "pullback", "last"}
    assert {row["negotiation"] for row in rows} == {"talks"}
    _, other_text = positions_csv(client, "other")
    assert [row["issue"] for row in csv.DictReader(io.StringIO(other_text))] == ["between"]


def test_positions_csv_of_the_seed_parses_with_one_row_per_position(client, seeded):
    _, text = positions_csv(client, SEED_SLUG)
    rows = list(csv.DictReader(io.StringIO(text)))
    assert len(rows) == Position.objects.count() == 25
    assert {row["as_of"] for row in rows} == {timezone.localdate().isoformat()}
    denied = next(row for row in rows if row["status"] == "denied")
    assert denied["status_source"] == "hamas-senior-source-2025-04-14"
    nine = next(row for row in rows if row["summary"] == "Raised the number it would free to nine")
    assert (nine["value_min"], nine["value_max"], nine["source_grade"]) == ("9", "9", "C")


def test_positions_csv_groups_rows_by_issue_and_actor_newest_first(client, seeded):
    _, text = positions_csv(client, SEED_SLUG)
    rows = list(csv.DictReader(io.StringIO(text)))
    positions = Position.objects.order_by(
        "issue_id", "participant_id", "-stated_on", "-recorded_at", "-id"
    ).values_list("uid", flat=True)
    assert [row["id"] for row in rows] == [str(uid) for uid in positions]
    hamas_on_hostages = [
        row["stated_on"]
        for row in rows
        if (row["issue"], row["actor"]) == ("living-hostages", "hamas")
    ]
    assert len(hamas_on_hostages) > 1
    assert hamas_on_hostages == sorted(hamas_on_hostages, reverse=True)


def test_gaps_csv_has_one_row_per_issue_and_actor_with_the_gap(client, seeded):
    url = reverse("negotiations:gaps_csv", args=[SEED_SLUG])
    response = client.get(url, {"as_of": "2025-04-14"})
    assert response["Content-Disposition"] == (
        f'attachment; filename="{SEED_SLUG}_gaps_2025-04-14.csv"'
    )
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert len(rows) == 11 * 7
    assert {row["as_of"] for row in rows} == {"2025-04-14"}
    hamas = next(r for r in rows if r["issue"] == "living-hostages" and r["actor"] == "hamas")
    assert hamas["value_min"] == "9"
    assert hamas["gap"] == "2 hostages apart"
    assert hamas["gap_distance"] == "2"
    assert hamas["gap_normalised"] == "0.1818"
    assert hamas["gap_between"] == "US vs Hamas"
    # What the table's gap column says besides, in its words.
    assert hamas["gap_proposals"] == (
        "Egypt proposes 8 hostages: Israel no position; Hamas 1 hostage apart"
    )
    withdrawal = next(r for r in rows if r["issue"] == "withdrawal")
    assert (withdrawal["gap"], withdrawal["gap_unanswered"]) == ("not enough positions", "Hamas")
    # The conditions themselves, not only whether there are any.
    assert hamas["conditions"].startswith("In exchange for Palestinian prisoners.")
    qatar = next(r for r in rows if r["issue"] == "living-hostages" and r["actor"] == "qatar")
    assert (qatar["stance"], qatar["gap"]) == ("", "2 hostages apart")


def test_gaps_csv_neutralises_formulas(client, small):
    rows = list(
        csv.DictReader(
            io.StringIO(client.get(reverse("negotiations:gaps_csv", args=["talks"])).text)
        )
    )
    assert {row["summary"] for row in rows if row["actor"] == "south"} >= {"'=SUM(A1:A9)"}


def test_gaps_json_describes_the_table_for_machines(client, seeded):
    response = client.get(
        reverse("negotiations:gaps_json", args=[SEED_SLUG]), {"as_of": "2025-04-14"}
    )
    data = json.loads(response.content)
    assert data["as_of"] == "2025-04-14"
    assert data["summary"] == {"agreed": 0, "apart": 4, "unknown": 7}
    hostages = data["issues"][0]
    assert hostages["slug"] == "living-hostages"
    assert hostages["gap"] == {
        "state": "apart",
        "words": "2 hostages apart",
        "distance": 2.0,
        "normalised": pytest.approx(2 / 11),
        "between": ["united-states", "hamas"],
        "unanswered": [],
        "overlap": None,
    }
    withdrawal = next(issue for issue in data["issues"] if issue["slug"] == "withdrawal")
    assert withdrawal["gap"]["state"] == "not_enough"
    assert withdrawal["gap"]["unanswered"] == ["hamas"]
    assert hostages["positions"]["hamas"]["value"] == "9 hostages"
    assert hostages["positions"]["israel"] is None
    assert hostages["positions"]["hamas"]["source"]["grade"] == "C"
    assert {(p["proposer"], p["party"]): p["words"] for p in hostages["proposals"]} == {
        ("egypt", "israel"): "no position",
        ("egypt", "hamas"): "1 hostage apart",
    }
    # Every actor named anywhere in the file is one of "actors", by slug.
    slugs = {actor["slug"] for actor in data["actors"]}
    named = {
        slug
        for issue in data["issues"]
        for slug in [
            *issue["gap"]["between"],
            *issue["gap"]["unanswered"],
            *[p["proposer"] for p in issue["proposals"]],
            *[p["party"] for p in issue["proposals"]],
            *issue["positions"],
        ]
    }
    assert named <= slugs and "hamas" in named


@pytest.mark.parametrize("name", ["gaps_csv", "gaps_json"])
def test_exports_refuse_a_bad_date_with_a_message(client, seeded, name):
    response = client.get(reverse(f"negotiations:{name}", args=[SEED_SLUG]), {"as_of": "soon"})
    assert response.status_code == 400
    assert "Enter the date as YYYY-MM-DD" in response.content.decode()


def test_a_table_control_these_pages_do_not_take_leaves_their_date_alone(client, seeded):
    """A link copied from the table can carry its filters; one the exports (or the package
    page) do not take, good or bad, must not turn them into today's."""
    table = f"/n/{SEED_SLUG}/"
    query = {"as_of": "2025-04-14", "known": "on", "withdrawn": "bogus"}
    rows = csv.DictReader(io.StringIO(client.get(f"{table}gaps.csv", query).content.decode()))
    assert {(row["as_of"], row["known_by"]) for row in rows} == {("2025-04-14", "2025-04-14")}
    assert client.get(f"{table}gaps.json", query).json()["as_of"] == "2025-04-14"
    package = client.get(f"{table}packages/egyptian-proposal/", query | {"sort": "bogus"})
    assert "each party’s position as of 14 April 2025" in package.content.decode()


@pytest.mark.parametrize("name", ["gaps_csv", "gaps_json"])
def test_exports_list_the_issues_in_the_table_s_order(client, seeded, name):
    url = reverse(f"negotiations:{name}", args=[SEED_SLUG])

    def issues(**query) -> list[str]:
        response = client.get(url, {"as_of": "2025-04-14", **query})
        if name == "gaps_json":
            return [issue["slug"] for issue in response.json()["issues"]]
        rows = csv.DictReader(io.StringIO(response.content.decode()))
        return list(dict.fromkeys(row["issue"] for row in rows))

    table = client.get(reverse("negotiations:gap_table", args=[SEED_SLUG]), {"sort": "gap"})
    widest_first = re.findall(r'<tr id="issue-([a-z-]+)">', table.content.decode())
    assert issues(sort="gap") == widest_first
    assert issues() == issues(sort="order") != widest_first
    assert issues()[0] == "living-hostages"


@pytest.mark.parametrize("name", ["gaps_csv", "gaps_json"])
def test_exports_refuse_an_order_they_do_not_know(client, seeded, name):
    response = client.get(reverse(f"negotiations:{name}", args=[SEED_SLUG]), {"sort": "newest"})
    assert response.status_code == 400
    assert (
        "Order by “Issue order” (sort=order) or “Widest gap first” (sort=gap)."
        in response.content.decode()
    )


def test_a_cited_export_says_which_state_of_the_data_it_shows(client, seeded):
    response = client.get(
        reverse("negotiations:gaps_csv", args=[SEED_SLUG]), {"as_of": "2025-04-13", "known": "on"}
    )
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert {(row["as_of"], row["known_by"]) for row in rows} == {("2025-04-13", "2025-04-13")}


TRICKY = [
    "Line one\nline two",
    "Carriage\rreturn",
    "\rStarts with a carriage return",
    '=HYPERLINK("http://x", "y")',
    '-1, said "no"',
    "'already quoted",
    'Quote " in the middle',
    "Tab\tinside",
    "\tStarts with a tab",
    "+972 said yes",
    "@mediator",
    "Plain",
]


def rfc_4180(value: str) -> str:
    """A field as RFC 4180 writes it: quoted when it holds a comma, a quote, CR or LF. (Python's
    csv module leaves a lone CR unquoted when lines end in LF; COPY and our SQLite path quote
    it.)"""
    if any(special in value for special in ',"\r\n'):
        return '"' + value.replace('"', '""') + '"'
    return value


@pytest.mark.parametrize("text", TRICKY)
def test_positions_csv_quotes_any_text_as_rfc_4180_does(client, small, text):
    """Cells are shaped and quoted in SQL on both databases (and joined in Python on SQLite): the
    file must hold each one quoted as RFC 4180 says and read back to the neutralised text."""
    position = Position.objects.get(summary="Wants 100")
    position.conditions = text  # text of many lines
    # Text of one line holds no line break or tab: the database refuses them there.
    one_line = not any(character in text for character in LINE_BREAKS)
    if one_line:
        position.summary = position.attribution = text
        position.participant.actor.name = text
        position.participant.actor.save()
        position.source.headline = text
        position.source.save()
    position.save()
    _, body = positions_csv(client)
    expected = rfc_4180(neutralise(text))
    # Its conditions; and, of one line: its summary and attribution, the actor's name in its
    # two rows, the headline in all three rows.
    assert body.count(f",{expected},") == 1 + (2 + 2 + 3 if one_line else 0)
    rows = list(csv.reader(io.StringIO(body, newline="")))
    assert len(rows) == 4
    row = dict(zip(rows[0], next(r for r in rows if r[0] == str(position.uid)), strict=True))
    columns = ("summary", "attribution", "actor_name", "source_headline") if one_line else ()
    for column in ("conditions", *columns):
        assert row[column] == neutralise(text), column
    gaps = client.get(reverse("negotiations:gaps_csv", args=["talks"])).content.decode()
    assert f",{expected}," in gaps  # the position's conditions, as the current one
    assert neutralise(text) in {
        cell for line in csv.reader(io.StringIO(gaps, newline="")) for cell in line
    }


@pytest.mark.skipif("connection.vendor != 'sqlite'", reason="PostgreSQL: one COPY statement")
def test_positions_csv_shows_one_state_of_the_data_while_an_analyst_saves(transactional_db, client):
    """On SQLite the export reads positions and the rows they point at in separate statements: an
    analyst re-citing a position and deleting its old source in between must not leave the file
    with blank cells (or fail it); the file shows the data as it was when the export began."""
    talks = builders.negotiation("talks")
    north = builders.participant(talks, "north", name="North")
    prisoners = builders.issue(talks, "prisoners")
    old = builders.source("old-wire", outlet="Old Wire")
    position = builders.position(north, prisoners, old, "demand", amount=5, summary="Five")
    saved = []

    def analyst_recites_and_deletes_the_old_source():
        try:
            with transaction.atomic():
                moved = Position.objects.get(pk=position.pk)
                moved.source = builders.source("new-wire", outlet="New Wire")
                moved.save()
                Source.objects.filter(pk=old.pk).delete()
            saved.append(True)
        finally:
            connection.close()

    def between_positions_and_lookups(execute, sql, params, many, context):
        if not saved and "FROM negotiations_participant pt" in sql:
            thread = threading.Thread(target=analyst_recites_and_deletes_the_old_source)
            thread.start()
            thread.join(timeout=60)
            assert not thread.is_alive(), "the analyst's save never finished"
        return execute(sql, params, many, context)

    with connection.execute_wrapper(between_positions_and_lookups):
        _, body = positions_csv(client)
    assert saved  # the analyst's save went through meanwhile
    (row,) = list(csv.DictReader(io.StringIO(body, newline="")))
    assert (row["source"], row["source_outlet"], row["actor"]) == ("old-wire", "Old Wire", "north")
    assert not Source.objects.filter(slug="old-wire").exists()


@pytest.mark.skipif("connection.vendor != 'sqlite'", reason="PostgreSQL writes its own UUIDs")
def test_the_sqlite_export_hyphenates_ids_in_python_and_refuses_to_shape_them_in_sql():
    from negotiations.views.exports import _hyphenated, _shaped

    assert _hyphenated("0123456789abcdef0123456789abcdef") == "01234567-89ab-cdef-0123-456789abcdef"
    with pytest.raises(ValueError, match="hyphenated in Python"):
        _shaped("id", "2025-04-14")
