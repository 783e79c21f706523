"""Importing positions from CSV files in the columns of positions.csv (docs/formats.md).

`plan_import` reads and checks every row without writing anything, and says for each row what
would happen (new, update, unchanged) or what is wrong with it. `apply_import` saves a plan with
no errors, all rows or none, with history. The browser's preview and the `importpositions`
command share both, so they check rows alike, with the same messages; the browser passes its
negotiation, and refuses rows of any other, where the command imports each row into the
negotiation it names.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import uuid
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from simple_history.utils import bulk_create_with_history

from negotiations import editing, gap_days, signals
from negotiations.models import (
    SAME_RECORD,
    Issue,
    Negotiation,
    Package,
    Participant,
    Position,
    ScaleOption,
    Source,
    moment_on_record,
    refused_as_repeat,
    report_key,
)
from negotiations.spreadsheets import POSITION_HEADER, POSITION_TEXT_COLUMNS, restore

TRUE_WORDS = {"true", "yes", "1"}
FALSE_WORDS = {"false", "no", "0"}
# Descriptive columns: blank, or equal to what the database says.
DESCRIPTIVE = {
    "actor_name": lambda p, i: p.actor.name,
    "role": lambda p, i: p.role,
    "issue_title": lambda p, i: i.title,
    "issue_kind": lambda p, i: i.kind,
    "unit": lambda p, i: i.unit,
}
SOURCE_COLUMNS = {
    "source_outlet": "outlet",
    "source_headline": "headline",
    "source_url": "url",
    "source_published_on": "published_on",
    "source_grade": "grade",
}
CHUNK = 500
CSV_FIELD_LIMIT = 1_000_000


@dataclass
class RowPlan:
    line: int
    action: str = "new"  # new, update, unchanged, recorded (a new row already on record), error
    messages: list[str] = field(default_factory=list)
    position: Position | None = None
    changes: list[editing.FieldChange] = field(default_factory=list)
    loaded_version: int | None = None
    describe: str = ""

    def error(self, message: str) -> None:
        self.action = "error"
        self.messages.append(message)


@dataclass
class ImportPlan:
    rows: list[RowPlan] = field(default_factory=list)
    file_errors: list[str] = field(default_factory=list)
    new_sources: dict[str, Source] = field(default_factory=dict)

    def versions(self) -> dict[str, int]:
        """{position id: version} of every stored position the plan reads, to check at confirm
        time that nobody changed them since the preview."""
        return {
            str(row.position.uid): row.loaded_version
            for row in self.rows
            if row.loaded_version is not None
        }

    def actions(self) -> list[str]:
        """What each row would do (new, update, unchanged, recorded), in the file's order."""
        return [row.action for row in self.rows]

    def changed_since(self, versions: dict[str, int], actions: list[str]) -> int:
        """How many of the file's rows would not be imported as previewed, given the preview's
        `versions` and `actions`: their position changed, or was recorded or deleted, since."""
        if len(actions) != len(self.rows):
            return len(self.rows)
        return sum(
            1
            for row, before in zip(self.rows, actions, strict=True)
            if row.action != before
            or (
                row.loaded_version is not None
                and versions.get(str(row.position.uid)) != row.loaded_version
            )
        )

    @property
    def errors(self) -> list[RowPlan]:
        return [row for row in self.rows if row.action == "error"]

    @property
    def ok(self) -> bool:
        return not self.file_errors and not self.errors and bool(self.rows)

    def count(self, action: str) -> int:
        return sum(1 for row in self.rows if row.action == action)

    @property
    def new_count(self) -> int:
        return self.count("new")

    @property
    def update_count(self) -> int:
        return self.count("update")

    @property
    def unchanged_count(self) -> int:
        return self.count("unchanged")

    @property
    def recorded_count(self) -> int:
        return self.count("recorded")

    @property
    def to_save(self) -> int:
        """Positions the import would create or change."""
        return self.new_count + self.update_count

    def messages(self) -> list[str]:
        return self.file_errors + [
            f"line {row.line}: {message}" for row in self.errors for message in row.messages
        ]


def decode(content: bytes) -> tuple[str | None, str | None]:
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        return None, (
            f"The file is not UTF-8 text (byte 0x{content[error.start]:02x} at position "
            f"{error.start}). Save it as “CSV UTF-8” and try again."
        )
    if "\x00" in text:
        return None, "The file contains NUL bytes: it is not a CSV text file."
    return text, None


def read_rows(text: str, plan: ImportPlan) -> list[tuple[int, dict[str, str]]]:
    """The data rows with their line numbers; header problems go to plan.file_errors."""
    csv.field_size_limit(CSV_FIELD_LIMIT)
    reader = csv.DictReader(io.StringIO(text, newline=""))
    try:
        header = reader.fieldnames or []
    except csv.Error as error:
        plan.file_errors.append(f"The header row cannot be read as CSV: {error}.")
        return []
    if not header:
        plan.file_errors.append("The file is empty: expected a header row and positions.")
        return []
    first_line = text.splitlines()[0] if text else ""
    named = next(csv.reader([first_line], delimiter=";"), [])
    if len(header) == 1 and len(set(named) & set(POSITION_HEADER)) > 1:
        # What Excel writes where the decimal mark is a comma.
        plan.file_errors.append(
            "The columns are separated by semicolons (;), not commas. Save the file as "
            "“CSV UTF-8 (comma delimited)”, or export it with commas, and try again."
        )
        return []
    missing = [name for name in POSITION_HEADER if name not in header]
    unexpected = [
        name if name.strip() else f"a column without a name (column {number})"
        for number, name in enumerate(header, start=1)
        if name not in POSITION_HEADER
    ]
    repeated = sorted({name for name in header if header.count(name) > 1})
    if missing or unexpected or repeated:
        parts = []
        if missing:
            parts.append(f"missing columns: {', '.join(missing)}")
        if unexpected:
            parts.append(f"unknown columns: {', '.join(unexpected)}")
        if repeated:
            parts.append(f"repeated columns: {', '.join(repeated)}")
        plan.file_errors.append(
            "The columns are not those of positions.csv (" + "; ".join(parts) + "). "
            "Export positions.csv from any negotiation for a template."
        )
        return []
    rows = []
    line = reader.line_num + 1  # where the next record starts (a cell may span lines)
    try:
        for row in reader:
            if None in row or any(value is None for value in row.values()):
                plan.file_errors.append(
                    f"line {line}: the row has {len(header) + len(row.get(None) or [])}"
                    f" cells where the header has {len(header)}"
                    if None in row
                    else f"line {line}: the row has fewer cells than the header (an unclosed "
                    "quote can swallow the rest of the file)"
                )
            elif any(value.strip() for value in row.values()):  # else a blank line
                rows.append((line, row))
            line = reader.line_num + 1
    except csv.Error as error:
        plan.file_errors.append(f"line {line}: not valid CSV: {error}.")
    if not rows and not plan.file_errors:
        plan.file_errors.append("The file has a header but no positions.")
    return rows


# ---------------------------------------------------------------------------------------------
# Reading cells


def cell(row: dict[str, str], name: str) -> str:
    value = row[name].strip()
    return restore(value) if name in POSITION_TEXT_COLUMNS else value


NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")
CREDIBILITY = re.compile(r"^[1-6]$")
DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def parse_decimal(text: str) -> Decimal | None:
    if text == "":
        return None
    if not NUMBER.match(text):
        raise ValueError(f"{text!r} is not a number")
    try:
        number = Decimal(text)
    except InvalidOperation:
        raise ValueError(f"{text!r} is not a number") from None
    if not number.is_finite():
        raise ValueError(f"{text!r} is not a number")
    return number


def parse_bool(text: str) -> bool | None:
    if text == "":
        return None
    if text.lower() in TRUE_WORDS:
        return True
    if text.lower() in FALSE_WORDS:
        return False
    raise ValueError(f"{text!r} is not true or false")


def parse_date(text: str) -> dt.date | None:
    if text == "":
        return None
    try:
        if not DATE.match(text):
            raise ValueError
        return dt.date.fromisoformat(text)
    except ValueError:
        raise ValueError(f"{text!r} is not a date written YYYY-MM-DD") from None


def parse_timestamp(text: str) -> dt.datetime | None:
    if text == "":
        return None
    try:
        moment = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(f"{text!r} is not a timestamp like 2025-04-15T09:30:00Z") from None
    return moment_on_record(moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC))


# ---------------------------------------------------------------------------------------------
# Planning


class Lookups:
    """Everything rows refer to, fetched in a few queries up front."""

    def __init__(self, rows: list[tuple[int, dict[str, str]]]):
        negotiation_slugs = {cell(r, "negotiation") for _, r in rows}
        self.negotiations = {
            n.slug: n for n in Negotiation.objects.filter(slug__in=negotiation_slugs)
        }
        ids = list(self.negotiations.values())
        self.participants = {
            (p.negotiation_id, p.actor.slug): p
            for p in Participant.objects.filter(negotiation__in=ids).select_related("actor")
        }
        self.issues = {
            (i.negotiation_id, i.slug): i for i in Issue.objects.filter(negotiation__in=ids)
        }
        self.options = {
            (o.issue_id, o.key): o for o in ScaleOption.objects.filter(issue__negotiation__in=ids)
        }
        self.packages = {
            (p.negotiation_id, p.slug): p for p in Package.objects.filter(negotiation__in=ids)
        }
        source_slugs = {cell(r, name) for _, r in rows for name in ("source", "status_source")}
        self.sources = {
            s.slug: s for s in in_chunks(Source.objects.all(), "slug__in", source_slugs)
        }
        uids = set()
        for _, row in rows:
            try:
                if cell(row, "id"):
                    uids.add(uuid.UUID(cell(row, "id")))
            except ValueError:
                pass
        self.positions = {
            p.uid: p
            for p in in_chunks(
                Position.objects.select_related(
                    "issue__negotiation",
                    "source",
                    "status_source",
                    "package",
                    "value_option",
                    "participant__actor",
                ),
                "uid__in",
                uids,
            )
        }


def in_chunks(queryset, lookup: str, values: Iterable) -> list:
    values = list(values)
    found = []
    for start in range(0, len(values), CHUNK):  # stay under SQLite's limit on parameters
        found.extend(queryset.filter(**{lookup: values[start : start + CHUNK]}))
    return found


def plan_import(
    content: bytes,
    negotiation: Negotiation | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> ImportPlan:
    """Check a whole file and say what importing it would do; writes nothing."""
    plan = ImportPlan()
    text, error = decode(content)
    if error:
        plan.file_errors.append(error)
        return plan
    rows = read_rows(text, plan)
    if not rows:
        return plan
    lookups = Lookups(rows)
    seen_uids: dict[uuid.UUID, int] = {}
    now = timezone.now()
    for index, (line, row) in enumerate(rows):
        plan.rows.append(plan_row(line, row, lookups, plan, negotiation, seen_uids, now, index))
        if progress and (index + 1) % 1000 == 0:
            progress(index + 1, len(rows))
    if progress:
        progress(len(rows), len(rows))
    mark_already_recorded(plan)
    return plan


# What makes two positions the same record: a row without an id that repeats one of these is
# a position already on record, not a new one (say, the same file imported twice).
# The fields of SAME_RECORD as a row's changes name them (editing.differences).
SAME_RECORD_FIELDS = {name.removesuffix("_id") for name in SAME_RECORD} | {editing.RANGE_CHANGE}


def mark_already_recorded(plan: ImportPlan) -> None:
    """Plan new rows that repeat a stored position, or another row of the file, as "recorded":
    importing them would store the same statement twice. Refuse a change that would make a
    position the same as another. One query, two when the file changes what positions state.

    As `apply_import` saves the updates before it creates anything, a new row is checked against
    the database as the updates leave it: a statement the file changes a position away from is
    no longer on record, and one it changes a position to is."""
    checked = [
        row
        for row in plan.rows
        if row.action == "new"
        or (row.action == "update" and any(c.field in SAME_RECORD_FIELDS for c in row.changes))
    ]
    if not checked:
        return

    def key_of(row: RowPlan) -> tuple:
        return tuple(getattr(row.position, name) for name in SAME_RECORD)

    moving = {row.position.uid for row in checked if row.action == "update"}
    stored = set(Position.objects.first_recorded(key_of(row) for row in checked))
    staying = (
        set(Position.objects.exclude(uid__in=moving).first_recorded(map(key_of, checked)))
        if moving
        else stored
    )
    claimed: set[tuple] = set()  # by rows of the file
    for row in sorted(checked, key=lambda row: row.action != "update"):
        key = key_of(row)
        if row.position.source_id is None:  # a source new in this file: known by its slug
            key += (row.position.source.slug,)
        if row.action == "update" and (key in stored or key in claimed):
            row.error(
                "this change would make the position the same as another one, on record or "
                "earlier in the file (the same stance, value, date, source and summary)"
            )
        elif row.action == "new" and (key in staying or key in claimed):
            row.action = "recorded"
        claimed.add(key)


def plan_row(line, row, lookups, plan, target, seen_uids, now, index) -> RowPlan:
    result = RowPlan(line)
    negotiation = lookups.negotiations.get(cell(row, "negotiation"))
    if negotiation is None:
        result.error(f"negotiation: no negotiation {cell(row, 'negotiation')!r}")
        return result
    if target is not None and negotiation.pk != target.pk:
        result.error(f"negotiation: this row belongs to {negotiation.slug!r}; import it there")
        return result
    participant = lookups.participants.get((negotiation.pk, cell(row, "actor")))
    issue = lookups.issues.get((negotiation.pk, cell(row, "issue")))
    if participant is None:
        result.error(f"actor: {cell(row, 'actor')!r} does not take part in {negotiation.slug}")
    if issue is None:
        result.error(f"issue: {negotiation.slug} has no issue {cell(row, 'issue')!r}")
    if participant is None or issue is None:
        return result
    result.describe = f"{participant.actor.short_name} · {issue.title}"
    for name, expected in DESCRIPTIVE.items():
        given = cell(row, name)
        if given and given != expected(participant, issue):
            result.error(
                f"{name}: {given!r} does not match {expected(participant, issue)!r} in the "
                "database (these columns describe the row; edit actors and issues in the admin)"
            )

    values = {}
    for name, parse in (
        ("value_min", parse_decimal),
        ("value_max", parse_decimal),
        ("value_bool", parse_bool),
        ("stated_on", parse_date),
        ("status_changed_on", parse_date),
        ("vague", parse_bool),
        ("recorded_at", parse_timestamp),
    ):
        try:
            values[name] = parse(cell(row, name))
        except ValueError as problem:
            result.error(f"{name}: {problem}")
    option = None
    if cell(row, "value_option"):
        option = lookups.options.get((issue.pk, cell(row, "value_option")))
        if option is None:
            keys = ", ".join(key for (issue_id, key) in lookups.options if issue_id == issue.pk)
            result.error(
                f"value_option: {cell(row, 'value_option')!r} is not an option of "
                f"{issue.slug}" + (f" ({keys})" if keys else " (it is not a scale)")
            )
    credibility = cell(row, "credibility")
    if not CREDIBILITY.match(credibility):
        result.error(f"credibility: {credibility!r} is not a whole number from 1 to 6")
    package = None
    if cell(row, "package"):
        package = lookups.packages.get((negotiation.pk, cell(row, "package")))
        if package is None:
            result.error(f"package: {negotiation.slug} has no package {cell(row, 'package')!r}")
    source = find_or_plan_source(row, lookups, plan, result)
    status_source = None
    if cell(row, "status_source"):
        slug = cell(row, "status_source")
        status_source = lookups.sources.get(slug) or plan.new_sources.get(slug)
        if status_source is None:
            result.error(
                f"status_source: no source {slug!r} (give it its own row as a source first)"
            )
    if result.action == "error":
        return result

    uid = None
    if cell(row, "id"):
        try:
            uid = uuid.UUID(cell(row, "id"))
        except ValueError:
            result.error(f"id: {cell(row, 'id')!r} is not a UUID (leave it blank for a new one)")
            return result
        if uid in seen_uids:
            result.error(f"id: the same id is on line {seen_uids[uid]}")
            return result
        seen_uids[uid] = line
    existing = lookups.positions.get(uid) if uid else None
    if existing is not None and existing.issue.negotiation_id != negotiation.pk:
        result.error(f"id: {uid} is a position of {existing.issue.negotiation.slug}")
        return result
    if existing is not None and (existing.issue_id, existing.participant_id) != (
        issue.pk,
        participant.pk,
    ):
        result.error(
            f"id: {uid} is {existing.participant.actor.short_name}'s position on "
            f"{existing.issue.slug}; an import cannot move it to another actor or issue "
            "(leave the id blank to record a new position)"
        )
        return result

    position = Position(
        uid=uid or uuid.uuid4(),
        issue=issue,
        participant=participant,
        stance=cell(row, "stance"),
        value_min=values["value_min"],
        value_max=values["value_max"],
        value_bool=values["value_bool"],
        value_option=option,
        summary=cell(row, "summary"),
        stated_on=values["stated_on"],
        source=source,
        attribution=cell(row, "attribution"),
        credibility=int(credibility),
        status=cell(row, "status") or "reported",
        status_source=status_source,
        status_attribution=cell(row, "status_attribution"),
        status_changed_on=values["status_changed_on"],
        conditions=cell(row, "conditions"),
        is_vague=bool(values["vague"]),
        package=package,
    )
    try:
        # The references were resolved above; the rest is checked here, with messages, and
        # again by the database when the rows are saved.
        position.full_clean(
            exclude=["issue", "participant", "source", "status_source", "package", "value_option"],
            validate_unique=False,
            validate_constraints=False,
        )
    except ValidationError as problem:
        for name, messages in problem.message_dict.items():
            label = "" if name == "__all__" else f"{name}: "
            for message in messages:
                result.error(label + message)
        return result

    if existing is None:
        recorded_at = values["recorded_at"] or now + dt.timedelta(microseconds=index)
        position.recorded_at = position.updated_at = recorded_at
        result.position = position
        return result
    position.pk = existing.pk
    position._state.adding = False  # it stands for the stored row: saving it is an update
    position._state.db = existing._state.db
    position.version = existing.version
    position.recorded_at = existing.recorded_at
    position.recorded_by_id = existing.recorded_by_id
    result.changes = editing.differences(existing, position)
    result.action = "update" if result.changes else "unchanged"
    result.position = position
    result.loaded_version = existing.version
    return result


def differences_from(source: Source, given: dict[str, str]) -> Iterator[tuple[str, str, str]]:
    """(column, value given, value of the source) for each detail a row gives otherwise."""
    for column, name in SOURCE_COLUMNS.items():
        known = getattr(source, name)
        known = known.isoformat() if isinstance(known, dt.date) else known
        if given[name] and given[name] != known:
            yield column, given[name], known


def find_or_plan_source(row, lookups, plan, result: RowPlan) -> Source | None:
    slug = cell(row, "source")
    if not slug:
        result.error("source: missing (a source slug)")
        return None
    given = {name: cell(row, column) for column, name in SOURCE_COLUMNS.items()}
    source = lookups.sources.get(slug)
    if source is not None:
        for column, value, stored in differences_from(source, given):
            result.error(
                f"{column}: {value!r} differs from source {slug!r} in the database "
                f"({stored!r}); edit sources in the workspace, or use a new slug"
            )
        return source
    planned = plan.new_sources.get(slug)
    if planned is not None:
        for column, value, first in differences_from(planned, given):
            result.error(
                f"{column}: {value!r} differs from new source {slug!r} as an earlier line "
                f"gives it ({first!r}); give a source the same details on every line"
            )
        return planned
    try:
        published_on = parse_date(given["published_on"])
    except ValueError as problem:
        result.error(f"source_published_on: {problem}")
        return None
    source = Source(
        slug=slug,
        outlet=given["outlet"],
        headline=given["headline"],
        url=given["url"],
        published_on=published_on,
        grade=given["grade"],
    )
    try:
        source.full_clean(validate_constraints=False)
    except ValidationError as problem:
        for name, messages in problem.message_dict.items():
            # The slug is the `source` column's; the rest have columns of their own.
            column = next((c for c, n in SOURCE_COLUMNS.items() if n == name), "source")
            for message in messages:
                result.error(f"{column} (new source {slug!r}): {message}")
        return None
    # The same report under another slug would split its positions between two records.
    same = Source.objects.same_report(source) or next(
        (other for other in plan.new_sources.values() if report_key(other) == report_key(source)),
        None,
    )
    if same is not None:
        result.error(
            f"source: new source {slug!r} is the report {same.slug!r} (the same outlet, "
            f"headline and date{'' if same.pk else ', earlier in the file'}); give that slug"
        )
        return None
    plan.new_sources[slug] = source
    return source


# ---------------------------------------------------------------------------------------------
# Saving


@dataclass
class ImportResult:
    created: int
    updated: int
    unchanged: int
    sources: int
    already_recorded: int


class ImportRefused(Exception):
    def __init__(self, messages: list[str]):
        self.messages = messages
        super().__init__("\n".join(messages))


def apply_import(plan: ImportPlan, user=None) -> ImportResult:
    """Save every row of a checked plan, or none of them."""
    if not plan.ok:
        raise ImportRefused(plan.messages() or ["Nothing to import."])
    touched = set()
    try:
        with transaction.atomic(), gap_days.bulk_changes():
            for source in plan.new_sources.values():
                source.save()
            new_positions = []
            for row in plan.rows:
                position = row.position
                if row.action in ("unchanged", "recorded"):
                    continue
                touched.add(position.issue.negotiation_id)
                if row.action == "new":
                    position.recorded_by = user
                    new_positions.append(position)
                elif row.action == "update":
                    editing.save_if_current(position, row.loaded_version)
            bulk_create_with_history(new_positions, Position, batch_size=1000, default_user=user)
            signals.touch(touched)
    except editing.StaleEdit as stale:
        raise ImportRefused(
            [
                f"A position ({stale.current}) was changed by {stale.who} since the preview; "
                "check the file again."
            ]
        ) from None
    except IntegrityError as problem:
        if refused_as_repeat(problem):
            raise ImportRefused(
                [
                    "A position of the file was recorded by someone else since the preview; "
                    "check the file again."
                ]
            ) from None
        raise ImportRefused([f"The database refused the import: {problem}"]) from None
    return ImportResult(
        created=plan.count("new"),
        updated=plan.count("update"),
        unchanged=plan.count("unchanged"),
        sources=len(plan.new_sources),
        already_recorded=plan.count("recorded"),
    )
