"""Machine-readable siblings of the gap table: gaps.csv, gaps.json and positions.csv.

positions.csv is streamed straight from the database: on PostgreSQL as the output of
`COPY (SELECT …) TO STDOUT WITH CSV`, regrouped into 64 KiB chunks; on SQLite from a cursor,
SQLite quoting each position's own cells and Python joining them with the cells of the rows
positions point at, looked up rather than joined. Both produce the same bytes: SQL shapes every
cell (dates, numbers, booleans, formula neutralising) with the same expressions on either
database, and both quote as RFC 4180 does.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from decimal import Decimal
from itertools import groupby

from django.db import connection, transaction
from django.db.models import Max, Min
from django.http import HttpRequest, HttpResponse, JsonResponse, StreamingHttpResponse
from django.template.response import TemplateResponse
from django.utils import timezone
from django.views.decorators.http import require_safe

from negotiations import gaps, snapshot
from negotiations.forms import GapExportForm
from negotiations.models import Issue, Negotiation, Position
from negotiations.spreadsheets import (
    FORMULA_STARTS,
    POSITION_HEADER,
    POSITION_TEXT_COLUMNS,
    QUOTE,
    neutralise,
)
from negotiations.views.conditional import (
    conditional_on_negotiation,
    conditional_uncached,
    readable_negotiation,
)

CHUNK = 64 * 1024
CSV_TYPE = "text/csv; charset=utf-8"


def attachment(response: HttpResponse, negotiation: Negotiation, what: str, day, ext: str):
    response["Content-Disposition"] = (
        f'attachment; filename="{negotiation.slug}_{what}_{day.isoformat()}.{ext}"'
    )
    return response


def bad_query(request: HttpRequest, negotiation: Negotiation, form) -> HttpResponse:
    return TemplateResponse(
        request,
        "negotiations/bad_query.html",
        {"negotiation": negotiation, "form": form},
        status=400,
    )


# ---------------------------------------------------------------------------------------------
# The gap table


GAP_HEADER = (
    "as_of",
    "known_by",
    "negotiation",
    "issue",
    "issue_title",
    "issue_kind",
    "unit",
    "actor",
    "actor_name",
    "role",
    "stance",
    "value_min",
    "value_max",
    "value_bool",
    "value_option",
    "summary",
    "stated_on",
    "source",
    "source_outlet",
    "source_grade",
    "credibility",
    "package",
    "conditions",
    "gap",
    "gap_state",
    "gap_distance",
    "gap_normalised",
    "gap_between",
    "gap_unanswered",
    "gap_proposals",
)
# As in positions.csv, every column of words or slugs a person typed (spreadsheets.py), and the
# gap's own words.
GAP_TEXT_COLUMNS = (POSITION_TEXT_COLUMNS & set(GAP_HEADER)) | {
    "gap",
    "gap_between",
    "gap_unanswered",
    "gap_proposals",
}


def _number(value) -> str:
    return "" if value is None else gaps.format_number(Decimal(value))


def _flag(value: bool | None) -> str:
    return "" if value is None else ("true" if value else "false")


def gap_rows(table: snapshot.NegotiationTable, sort: str) -> Iterator[dict[str, str]]:
    """One row per issue and actor, with the issue's gap on each row; issues in `sort` order."""
    for row in table.rows_in(sort):
        gap = row.gap
        between = " vs ".join(actor.name for actor in gap.between) if gap.between else ""
        common = {
            "as_of": table.as_of.isoformat(),
            "known_by": table.engine.known_by.isoformat() if table.engine.known_by else "",
            "negotiation": table.negotiation.slug,
            "issue": row.issue.slug,
            "issue_title": row.issue.title,
            "issue_kind": row.issue.kind,
            "unit": row.issue.unit,
            "gap": gap.describe(),
            "gap_state": gap.state.value,
            "gap_distance": "" if gap.distance is None else _number(gap.distance),
            "gap_normalised": "" if gap.normalised is None else f"{gap.normalised:.4f}",
            "gap_between": between,
            # As the table's gap column words them: several proposals apart by " | ".
            "gap_unanswered": ", ".join(demand.actor.name for demand in gap.unanswered),
            "gap_proposals": " | ".join(
                map(str, snapshot.proposal_views(gap.issue, row.proposals))
            ),
        }
        for cell in row.cells:
            position = cell.position
            yield common | {
                "actor": cell.participant.actor.slug,
                "actor_name": cell.participant.actor.name,
                "role": cell.participant.role,
                "stance": position.stance if position else "",
                "value_min": _number(position.value_min) if position else "",
                "value_max": _number(position.value_max) if position else "",
                "value_bool": _flag(position.value_bool) if position else "",
                "value_option": position.value_option.key
                if position and position.value_option
                else "",
                "summary": position.summary if position else "",
                "stated_on": position.stated_on.isoformat() if position else "",
                "source": position.source.slug if position else "",
                "source_outlet": position.source.outlet if position else "",
                "source_grade": position.source.grade if position else "",
                "credibility": str(position.credibility) if position else "",
                "package": position.package.slug if position and position.package else "",
                "conditions": position.conditions if position else "",
            }


@require_safe
@conditional_on_negotiation
def gaps_csv(request: HttpRequest, slug: str) -> HttpResponse:
    negotiation = readable_negotiation(request, slug)
    form = GapExportForm(request.GET)
    if not form.is_valid():
        return bad_query(request, negotiation, form)
    query = form.resolved()
    table = snapshot.load_table(negotiation, query.as_of, query.known_by)
    lines = [",".join(GAP_HEADER)]
    for row in gap_rows(table, query.sort):
        cells = (
            neutralise(row[key]) if key in GAP_TEXT_COLUMNS else row[key] for key in GAP_HEADER
        )
        lines.append(",".join(map(csv_field, cells)))
    response = HttpResponse("\n".join(lines) + "\n", content_type=CSV_TYPE)
    return attachment(response, negotiation, "gaps", query.as_of, "csv")


def _comparison_json(issue: gaps.IssueFacts, comparison: gaps.Comparison) -> dict:
    return {
        "state": comparison.state.value,
        "words": gaps.describe_comparison(issue, comparison),
        "distance": None if comparison.distance is None else float(comparison.distance),
        "normalised": comparison.normalised,
        "opposed": comparison.opposed,
    }


def _position_json(position: Position | None) -> dict | None:
    if position is None:
        return None
    return {
        "id": str(position.uid),
        "stance": position.stance,
        "value": position.value_display,
        "value_min": None if position.value_min is None else float(position.value_min),
        "value_max": None if position.value_max is None else float(position.value_max),
        "value_bool": position.value_bool,
        "value_option": position.value_option.key if position.value_option else None,
        "summary": position.summary,
        "stated_on": position.stated_on.isoformat(),
        "status": position.status,
        "conditions": position.conditions,
        "vague": position.is_vague,
        "package": position.package.slug if position.package else None,
        "source": {
            "slug": position.source.slug,
            "outlet": position.source.outlet,
            "headline": position.source.headline,
            "url": position.source.url,
            "published_on": position.source.published_on.isoformat(),
            "grade": position.source.grade,
        },
        "attribution": position.attribution,
        "credibility": position.credibility,
    }


@require_safe
@conditional_on_negotiation
def gaps_json(request: HttpRequest, slug: str) -> HttpResponse:
    negotiation = readable_negotiation(request, slug)
    form = GapExportForm(request.GET)
    if not form.is_valid():
        return JsonResponse(
            {"errors": form.errors.get_json_data()},
            status=400,
            json_dumps_params={"ensure_ascii": False},  # as the document itself
        )
    query = form.resolved()
    table = snapshot.load_table(negotiation, query.as_of, query.known_by)
    # Actors are named by slug throughout, as in "actors" and "positions", so that programs can
    # join them; "actors" gives their names.
    slug_of = {p.pk: p.actor.slug for p in table.participants}
    document = {
        "negotiation": {
            "slug": negotiation.slug,
            "title": negotiation.title,
            "status": negotiation.status,
            "url": request.build_absolute_uri(negotiation.get_absolute_url()),
        },
        "as_of": query.as_of.isoformat(),
        "known_by": query.known_by.isoformat() if query.known_by else None,
        "summary": {
            "agreed": table.engine.agreed,
            "apart": table.engine.apart,
            "unknown": table.engine.unknown,
        },
        "actors": [
            {
                "slug": p.actor.slug,
                "name": p.actor.name,
                "short_name": p.actor.short_name,
                "role": p.role,
                "kind": p.actor.kind,
                "wikidata_qid": p.actor.wikidata_qid or None,
            }
            for p in table.participants
        ],
        "issues": [
            {
                "slug": row.issue.slug,
                "title": row.issue.title,
                "kind": row.issue.kind,
                "unit": row.issue.unit or None,
                "gap": {
                    "state": row.gap.state.value,
                    "words": row.gap.describe(),
                    "distance": None if row.gap.distance is None else float(row.gap.distance),
                    "normalised": row.gap.normalised,
                    "between": [slug_of[a.id] for a in row.gap.between or ()],
                    "unanswered": [slug_of[demand.actor.id] for demand in row.gap.unanswered],
                    "overlap": (
                        None
                        if row.gap.overlap is None
                        else row.gap.overlap.describe(row.issue.unit, row.issue.unit_singular)
                    ),
                },
                "positions": {
                    cell.participant.actor.slug: _position_json(cell.position) for cell in row.cells
                },
                "proposals": [
                    {
                        "proposer": slug_of[distance.term.actor.id],
                        "party": slug_of[distance.party.id],
                        **_comparison_json(row.gap.issue, distance.comparison),
                        "words": distance.describe(row.gap.issue),
                    }
                    for distance in row.proposals
                ],
            }
            for row in table.rows_in(query.sort)
        ],
    }
    response = HttpResponse(
        json.dumps(document, ensure_ascii=False, indent=2), content_type="application/json"
    )
    return attachment(response, negotiation, "gaps", query.as_of, "json")


# ---------------------------------------------------------------------------------------------
# Every position


def sql_neutralised_starts() -> str:
    """The first characters (after any quotes) before which `neutralise` adds a quote, as an
    SQL list for this database: the exports neutralise in SQL by the very rule the Python code
    follows."""
    char = "chr" if connection.vendor == "postgresql" else "char"
    return ", ".join(
        sql_quote(start) if start.isprintable() else f"{char}({ord(start)})"
        for start in FORMULA_STARTS
    )


def sql_needs_neutralising(expression: str) -> str:
    """SQL that is true where `neutralise` adds a quote to the text. (The leading quotes are
    trimmed only from text that starts with one: most cells cost one substr(), as before.)"""
    starts = sql_neutralised_starts()
    quote = sql_quote(QUOTE)
    return (
        f"(substr({expression}, 1, 1) IN ({starts}) OR (substr({expression}, 1, 1) = {quote} "
        f"AND substr(ltrim({expression}, {quote}), 1, 1) IN ({starts})))"
    )


def _text(column: str, expression: str) -> str:
    """A text cell: empty as NULL (so both databases write it unquoted), formulas neutralised."""
    return (
        f"CASE WHEN {expression} = '' THEN NULL "
        f"WHEN {sql_needs_neutralising(expression)} "
        f"THEN '''' || {expression} "
        f"ELSE {expression} END AS {column}"
    )


def sql_quote(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _decimal(column: str, expression: str) -> str:
    if connection.vendor == "postgresql":
        return f"trim_scale({expression}) AS {column}"
    # SQLite keeps decimals as numbers (integers when whole): as text they read the same.
    return f"CAST({expression} AS TEXT) AS {column}"


def _boolean(column: str, expression: str) -> str:
    return (
        f"CASE WHEN {expression} IS NULL THEN NULL WHEN {expression} THEN 'true' "
        f"ELSE 'false' END AS {column}"
    )


def _timestamp(column: str, expression: str) -> str:
    if connection.vendor == "postgresql":
        return (
            f"to_char({expression} AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"') "
            f"AS {column}"
        )
    # Django keeps SQLite timestamps as UTC text, "2025-04-15 09:30:00[.123456]".
    return (
        f"replace({expression}, ' ', 'T') || CASE WHEN instr({expression}, '.') = 0 "
        f"THEN '.000000' ELSE '' END || 'Z' AS {column}"
    )


def _plain(column: str, expression: str) -> str:
    if connection.vendor == "postgresql":
        return f"{expression} AS {column}"
    # As text, so that the driver hands back strings without converting dates and numbers.
    return f"CAST({expression} AS TEXT) AS {column}"


# Where each cell of positions.csv comes from, by table alias (see the joins in positions_select).
POSITION_CELLS = {
    "id": "p.uid",
    "negotiation": "n.slug",
    "actor": "a.slug",
    "actor_name": "a.name",
    "role": "pt.role",
    "issue": "i.slug",
    "issue_title": "i.title",
    "issue_kind": "i.kind",
    "unit": "i.unit",
    "stance": "p.stance",
    "value_min": "p.value_min",
    "value_max": "p.value_max",
    "value_bool": "p.value_bool",
    "value_option": "o.key",
    "summary": "p.summary",
    "stated_on": "p.stated_on",
    "source": "s.slug",
    "source_outlet": "s.outlet",
    "source_headline": "s.headline",
    "source_url": "s.url",
    "source_published_on": "s.published_on",
    "source_grade": "s.grade",
    "attribution": "p.attribution",
    "credibility": "p.credibility",
    "status": "p.status",
    "status_source": "ss.slug",
    "status_attribution": "p.status_attribution",
    "status_changed_on": "p.status_changed_on",
    "conditions": "p.conditions",
    "vague": "p.is_vague",
    "package": "pk.slug",
    "recorded_at": "p.recorded_at",
}
POSITION_ORDER = "p.issue_id, p.participant_id, p.stated_on DESC, p.recorded_at DESC, p.id DESC"


def _shaped(name: str, as_of: str) -> str:
    """The SELECT expression of one cell of positions.csv, shaped as the file writes it."""
    if name == "as_of":
        return f"'{as_of}' AS as_of"
    if name == "id" and connection.vendor != "postgresql":
        raise ValueError("On SQLite the id is hyphenated in Python: see _hyphenated().")
    expression = POSITION_CELLS[name]
    if name in POSITION_TEXT_COLUMNS:
        return _text(name, expression)
    if name in ("value_min", "value_max"):
        return _decimal(name, expression)
    if name in ("value_bool", "vague"):
        return _boolean(name, expression)
    if name == "recorded_at":
        return _timestamp(name, expression)
    return _plain(name, expression)


def positions_select(negotiation_id: int, as_of: str) -> str:
    """The SELECT behind positions.csv on PostgreSQL; its columns are POSITION_HEADER, in order."""
    selected = [_shaped(name, as_of) for name in POSITION_HEADER]
    table = Position._meta.db_table
    negotiation = int(negotiation_id)
    issue_ids = Issue.objects.filter(negotiation_id=negotiation).aggregate(
        first=Min("id", default=0), last=Max("id", default=0)
    )
    return (
        f"SELECT {', '.join(selected)} "
        f"FROM {table} p "
        "JOIN negotiations_issue i ON i.id = p.issue_id "
        "JOIN negotiations_negotiation n ON n.id = i.negotiation_id "
        "JOIN negotiations_participant pt ON pt.id = p.participant_id "
        "JOIN negotiations_actor a ON a.id = pt.actor_id "
        "JOIN negotiations_source s ON s.id = p.source_id "
        "LEFT JOIN negotiations_source ss ON ss.id = p.status_source_id "
        "LEFT JOIN negotiations_scaleoption o ON o.id = p.value_option_id "
        "LEFT JOIN negotiations_package pk ON pk.id = p.package_id "
        f"WHERE i.negotiation_id = {negotiation} "
        # The same bounds on the position index itself: the scan starts at this negotiation's
        # first issue instead of walking past every other negotiation's positions.
        f"AND p.issue_id BETWEEN {int(issue_ids['first'])} AND {int(issue_ids['last'])} "
        # The order of the index behind "latest position per actor and issue": grouped by
        # issue and actor, newest first, and readable straight off the index without a sort.
        f"ORDER BY {POSITION_ORDER}"
    )


def stream_positions_csv(negotiation_id: int, as_of: str) -> Iterator[bytes]:
    """positions.csv in chunks of about 64 KiB, never the whole file in memory."""
    if connection.vendor == "postgresql":
        yield from _copy_chunks(positions_select(negotiation_id, as_of))
    else:
        yield from _sqlite_chunks(int(negotiation_id), as_of)


# For this one statement: read rows in index order instead of sorting a million of them first
# (the first byte then leaves in milliseconds, not seconds), and skip JIT compilation, which
# costs more than it saves on a plan of simple joins.
# set_config(…, true) is SET LOCAL: it ends with the transaction.
EXPORT_PLANNER_SETTINGS = (
    "SELECT set_config('enable_sort', 'off', true), "
    "set_config('enable_incremental_sort', 'off', true), set_config('jit', 'off', true)"
)


def _copy_chunks(select: str) -> Iterator[bytes]:
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(EXPORT_PLANNER_SETTINGS)
        copy_sql = f"COPY ({select}) TO STDOUT WITH (FORMAT csv, HEADER true)"
        with cursor.cursor.copy(copy_sql) as copy:  # psycopg's own cursor, for COPY
            pending: list[bytes] = []
            size = 0
            for block in copy:
                pending.append(bytes(block))
                size += len(block)
                if size >= CHUNK:
                    yield b"".join(pending)
                    pending, size = [], 0
            if pending:
                yield b"".join(pending)


# On SQLite, the cells a position takes from the rows it points at (its actor, issue, sources,
# option, package) are shaped once per such row and looked up per position, instead of joined:
# SQLite's joins and the driver's strings cost more per row than a dictionary lookup. Each
# lookup: the position's column holding the key, the aliases it serves, the rows to read.
_NEGOTIATION_ISSUES = "SELECT id FROM negotiations_issue WHERE negotiation_id = {n}"


def _cited(column: str, alias: str) -> str:
    """Sources cited by some position of the negotiation (one index probe per source)."""
    return (
        f"negotiations_source {alias} WHERE EXISTS (SELECT 1 FROM negotiations_position p "
        f"WHERE p.{column} = {alias}.id AND p.issue_id IN ({_NEGOTIATION_ISSUES}))"
    )


SQLITE_LOOKUPS = (
    (
        "participant_id",
        ("pt", "a"),
        "negotiations_participant pt JOIN negotiations_actor a ON a.id = pt.actor_id "
        "WHERE pt.negotiation_id = {n}",
    ),
    (
        "issue_id",
        ("i", "n"),
        "negotiations_issue i JOIN negotiations_negotiation n ON n.id = i.negotiation_id "
        "WHERE i.negotiation_id = {n}",
    ),
    ("source_id", ("s",), _cited("source_id", "s")),
    ("status_source_id", ("ss",), _cited("status_source_id", "ss")),
    (
        "value_option_id",
        ("o",),
        f"negotiations_scaleoption o WHERE o.issue_id IN ({_NEGOTIATION_ISSUES})",
    ),
    ("package_id", ("pk",), "negotiations_package pk WHERE pk.negotiation_id = {n}"),
)


def _alias(name: str) -> str:
    return POSITION_CELLS[name].split(".")[0] if name in POSITION_CELLS else ""


def csv_field(value: str | None) -> str:
    """One cell as RFC 4180 and PostgreSQL's COPY write it: quoted only when it holds a comma, a
    quote, LF or CR (Python's csv module would leave a lone CR unquoted with LF line ends)."""
    if value is None:
        return ""
    if not isinstance(value, str):
        value = str(value)
    if any(special in value for special in CSV_SPECIALS):
        return '"' + value.replace('"', '""') + '"'
    return value


CSV_SPECIALS = (",", '"', "\n", "\r")


def _csv_ready(name: str, as_of: str) -> str:
    """A position's own cell on SQLite, shaped and written as a CSV field by SQLite itself: only
    text can need quotes; NULL is the empty field. Both decided in SQL, which costs less per cell
    than the csv module."""
    if name not in POSITION_TEXT_COLUMNS:
        return f"ifnull({_shaped(name, as_of).rsplit(' AS ', 1)[0]}, '')"
    # Decided on the stored text: the quote that neutralises a formula never needs quoting.
    text = POSITION_CELLS[name]
    needs_quotes = f"{text} GLOB '*[,\"\n\r]*'"
    doubled = f"replace({text}, '\"', '\"\"')"
    return (
        f"CASE WHEN {text} IS NULL OR {text} = '' THEN '' "
        f"WHEN {sql_needs_neutralising(text)} THEN "
        f"CASE WHEN {needs_quotes} THEN '\"''' || {doubled} || '\"' ELSE '''' || {text} END "
        f"WHEN {needs_quotes} THEN '\"' || {doubled} || '\"' ELSE {text} END"
    )


def _origin(name: str) -> str | int:
    """Where a cell of positions.csv comes from on SQLite: the position's own row ("own"), its
    id ("id", hyphenated in Python: five substr() calls a row cost SQLite far more), or the
    index of the lookup in SQLITE_LOOKUPS that serves it."""
    alias = _alias(name)
    if name == "id":
        return "id"
    if alias in ("p", ""):
        return "own"
    return next(index for index, (_, aliases, _) in enumerate(SQLITE_LOOKUPS) if alias in aliases)


def _hyphenated(uid: str) -> str:
    """Django keeps SQLite UUIDs as 32 hex digits; the file writes them the usual way (as
    PostgreSQL, which stores them as UUIDs, writes them itself)."""
    return f"{uid[:8]}-{uid[8:12]}-{uid[12:16]}-{uid[16:20]}-{uid[20:]}"


def _sqlite_chunks(negotiation_id: int, as_of: str) -> Iterator[bytes]:
    # A line is a few runs of neighbouring cells from one origin, selected in header order: for
    # the position's own cells SQLite joins the run into one string; for a looked-up run the key
    # is selected and replaced by the run, joined once per row it comes from. So a line costs a
    # dozen values fetched and joined rather than thirty-three.
    runs = [(origin, list(names)) for origin, names in groupby(POSITION_HEADER, key=_origin)]
    selected = []
    for origin, names in runs:
        if origin == "id":
            selected.append("p.uid")
        elif origin == "own":
            cells = (f"'{as_of}'" if name == "as_of" else _csv_ready(name, as_of) for name in names)
            selected.append(" || ',' || ".join(cells))
        else:
            selected.append(f"p.{SQLITE_LOOKUPS[origin][0]}")
    id_column = next(column for column, (origin, _) in enumerate(runs) if origin == "id")
    with connection.cursor() as positions, connection.cursor() as cursor:
        # The positions' SELECT first: while it is open, SQLite keeps the connection reading one
        # snapshot, so the lookups below see exactly the rows these positions point at, whatever
        # analysts save meanwhile (without taking the write lock, as a transaction would here).
        positions.execute(
            f"SELECT {', '.join(selected)} FROM negotiations_position p "
            f"WHERE p.issue_id IN ({_NEGOTIATION_ISSUES.format(n=negotiation_id)}) "
            f"ORDER BY {POSITION_ORDER}"
        )
        looked_up = []  # (a run's column in the row, {key: the run's cells as CSV})
        for index, (_key, aliases, rows) in enumerate(SQLITE_LOOKUPS):
            served = [
                (column, names) for column, (origin, names) in enumerate(runs) if origin == index
            ]
            shaped = ", ".join(_shaped(name, as_of) for _, names in served for name in names)
            cursor.execute(f"SELECT {aliases[0]}.id, {shaped} FROM {rows.format(n=negotiation_id)}")
            fetched = cursor.fetchall()
            first = 1  # after the row's id
            for column, names in served:
                end = first + len(names)
                run = {row[0]: ",".join(map(csv_field, row[first:end])) for row in fetched}
                run[None] = "," * (len(names) - 1)  # no such row (only for an empty key)
                looked_up.append((column, run))
                first = end

        def line_of(row: tuple) -> str:
            cells = list(row)
            cells[id_column] = _hyphenated(cells[id_column])
            for column, run in looked_up:
                cells[column] = run[cells[column]]
            return ",".join(cells)

        pending = [",".join(POSITION_HEADER)]
        size = 0
        while rows := positions.fetchmany(2000):
            lines = "\n".join(map(line_of, rows))
            pending.append(lines)
            size += len(lines)
            if size >= CHUNK:
                yield ("\n".join(pending) + "\n").encode()
                pending, size = [], 0
    if pending:
        yield ("\n".join(pending) + "\n").encode()


@require_safe
@conditional_uncached
def positions_csv(request: HttpRequest, slug: str) -> StreamingHttpResponse:
    negotiation = readable_negotiation(request, slug)
    today = timezone.localdate()
    response = StreamingHttpResponse(
        stream_positions_csv(negotiation.pk, today.isoformat()), content_type=CSV_TYPE
    )
    return attachment(response, negotiation, "positions", today, "csv")
