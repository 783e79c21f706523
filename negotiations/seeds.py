"""The seed file format: one TOML file per negotiation (see docs/formats.md).

`load_files` reads and checks every file first, then saves all of them in one transaction or none
of them; every error names the file, the entry and the field. Loading the same file twice changes
nothing; an edited file updates what changed. Nothing in the database is deleted by a load.
`export_negotiation` writes the same format back, so that export → load → export is identical.
"""

from __future__ import annotations

import datetime as dt
import re
import tomllib
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import tomli_w
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import IntegrityError, models, transaction
from django.utils import timezone

from negotiations import gap_days
from negotiations.models import (
    EARLIEST_DATE,
    Actor,
    Issue,
    IssueKind,
    Negotiation,
    Package,
    Participant,
    Position,
    Round,
    ScaleOption,
    Source,
    moment_on_record,
    report_key,
)

FORMAT_VERSION = 1
POSITION_NAMESPACE = uuid.UUID("6f1d3c56-2f4e-4d0e-9a57-6d3a8f0b1c21")


class SeedError(Exception):
    """Raised with every problem found; nothing has been saved."""

    def __init__(self, problems: Sequence[str]):
        self.problems = list(problems)
        super().__init__("\n".join(self.problems))


# ---------------------------------------------------------------------------------------------
# Field checks


@dataclass(frozen=True)
class Key:
    """One key of a seed table: its type, whether it must be there, and its default."""

    kind: str  # "text", "bool", "int", "number", "date", "list"
    required: bool = False
    default: Any = None


TEXT_OPTIONAL = Key("text", default="")

TABLES: dict[str, dict[str, Key]] = {
    "negotiation": {
        "slug": Key("text", True),
        "title": Key("text", True),
        "summary": TEXT_OPTIONAL,
        "status": Key("text", default="active"),
        "public": Key("bool", default=False),
    },
    "actors": {
        "slug": Key("text", True),
        "name": Key("text", True),
        "short_name": Key("text", True),
        "kind": Key("text", True),
        "role": Key("text", True),
        "colour": Key("text", default="#5b6770"),
        "other_names": Key("names", default=()),
        "wikidata_qid": TEXT_OPTIONAL,
        "ucdp_actor_id": Key("int"),
        "acled_name": TEXT_OPTIONAL,
    },
    "sources": {
        "slug": Key("text", True),
        "outlet": Key("text", True),
        "headline": Key("text", True),
        "url": TEXT_OPTIONAL,
        "published_on": Key("date", True),
        "grade": Key("text", True),
        "grade_note": TEXT_OPTIONAL,
    },
    "issues": {
        "slug": Key("text", True),
        "title": Key("text", True),
        "kind": Key("text", True),
        "unit": TEXT_OPTIONAL,
        "unit_singular": TEXT_OPTIONAL,
        "whole_numbers": Key("bool", default=False),
        "description": TEXT_OPTIONAL,
        "options": Key("list", default=()),
    },
    "options": {
        "key": Key("text", True),
        "label": Key("text", True),
        "meaning": TEXT_OPTIONAL,
    },
    "rounds": {
        "slug": Key("text", True),
        "title": Key("text", True),
        "location": Key("text", True),
        "started_on": Key("date", True),
        "ended_on": Key("date"),
        "attendees": Key("names", default=()),
        "attendance": TEXT_OPTIONAL,
        "outcome": TEXT_OPTIONAL,
        "source": TEXT_OPTIONAL,
    },
    "packages": {
        "slug": Key("text", True),
        "title": Key("text", True),
        "proposer": Key("text", True),
        "conditional": Key("bool", default=False),
        "stated_on": Key("date", True),
        "source": Key("text", True),
        "summary": TEXT_OPTIONAL,
    },
    "positions": {
        "id": TEXT_OPTIONAL,
        "actor": Key("text", True),
        "issue": Key("text", True),
        "stance": Key("text", True),
        "value": Key("any"),
        "min": Key("number"),
        "max": Key("number"),
        "summary": Key("text", True),
        "stated_on": Key("date", True),
        "source": Key("text", True),
        "attribution": TEXT_OPTIONAL,
        "credibility": Key("int", True),
        "status": Key("text", default="reported"),
        "status_source": TEXT_OPTIONAL,
        "status_attribution": TEXT_OPTIONAL,
        "status_changed_on": Key("date"),
        "conditions": TEXT_OPTIONAL,
        "vague": Key("bool", default=False),
        "package": TEXT_OPTIONAL,
        "recorded_at": Key("datetime"),
    },
}

LISTS = ("actors", "sources", "issues", "rounds", "packages", "positions")

# Model field → seed key, for turning a model's validation errors into the file's words.
FIELD_NAMES = {
    "is_public": "public",
    "participant": "actor",
    "value_min": "min",
    "value_max": "max",
    "value_bool": "value",
    "value_option": "value",
    "is_vague": "vague",
    "is_conditional": "conditional",
    "proposer": "proposer",
    "actor": "actor",
}


CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
LARGEST_NUMBER = Decimal("999999999999.99")  # what the database's numeric(14, 2) holds


def _check_text(value: Any) -> tuple[Any, str | None]:
    if not isinstance(value, str):
        return None, f"expected text in quotes, got {value!r}"
    if CONTROL_CHARACTERS.search(value):
        return None, "contains a control character (only tabs and line breaks are allowed)"
    return value.strip(), None


def _check_number(value: Any) -> tuple[Any, str | None]:
    if isinstance(value, bool) or not isinstance(value, int | Decimal):
        return None, f"expected a number, got {value!r}"
    number = Decimal(value)
    if not number.is_finite():
        return None, f"expected a finite number, got {value!r}"
    if abs(number) > LARGEST_NUMBER:
        return None, f"{value} is too large (at most {LARGEST_NUMBER})"
    rounded = number.quantize(Decimal("0.01"))
    if rounded != number:
        return None, f"{value} has more than two decimal places"
    return rounded.normalize() if rounded == rounded.to_integral_value() else rounded, None


def _check_value(kind: str, value: Any) -> tuple[Any, str | None]:
    """The value converted to its Python type, or an error message."""
    if kind == "any":
        return value, None
    if kind == "text":
        return _check_text(value)
    if kind == "bool":
        if isinstance(value, bool):
            return value, None
        return None, f"expected true or false, got {value!r}"
    if kind == "int":
        if isinstance(value, int) and not isinstance(value, bool):
            return value, None
        return None, f"expected a whole number, got {value!r}"
    if kind == "number":
        return _check_number(value)
    if kind == "datetime":
        if isinstance(value, dt.datetime):
            if value.tzinfo is None:
                return None, "give the time zone, e.g. 2025-04-15T09:30:00Z"
            try:
                return moment_on_record(value), None
            except ValueError as problem:
                return None, str(problem)
        return None, f"expected a time written like 2025-04-15T09:30:00Z, got {value!r}"
    if kind == "date":
        if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
            if value < EARLIEST_DATE:
                return None, f"{value.isoformat()} is before 1 January 1900"
            return value, None
        return None, f"expected a date written like 2025-04-14 (no quotes), got {value!r}"
    if kind == "list":
        if isinstance(value, list):
            return value, None
        return None, f"expected a list in square brackets, got {value!r}"
    if kind == "names":
        if not isinstance(value, list):
            return None, f"expected a list of text in square brackets, got {value!r}"
        checked = []
        for item in value:
            text, error = _check_text(item)
            if error:
                return None, f"{item!r}: {error}"
            if "\n" in text or "\r" in text:
                return None, f"{item!r}: one name per item, without line breaks"
            checked.append(text)
        return checked, None
    raise AssertionError(kind)


def _check_table(raw: Any, table: str, where: str, problems: list[str]) -> dict[str, Any] | None:
    if not isinstance(raw, dict):
        problems.append(f"{where}: expected a table of keys and values")
        return None
    spec = TABLES[table]
    checked: dict[str, Any] = {}
    for key in raw:
        if key not in spec:
            known = ", ".join(spec)
            problems.append(f"{where}: unknown key {key!r} (known keys: {known})")
    for key, rule in spec.items():
        if key not in raw:
            if rule.required:
                problems.append(f"{where}.{key}: missing (required)")
            checked[key] = rule.default
            continue
        value, error = _check_value(rule.kind, raw[key])
        if not error and rule.required and value == "":
            error = "cannot be blank"
        if error:
            problems.append(f"{where}.{key}: {error}")
        checked[key] = value
    return checked


# ---------------------------------------------------------------------------------------------
# Reading


@dataclass
class SeedFile:
    path: Path
    negotiation: dict[str, Any]
    tables: dict[str, list[dict[str, Any]]]
    where: dict[int, str] = field(default_factory=dict)
    """id(entry) → "file: positions[3] (hamas / living-hostages)", for messages."""

    def describe(self, entry: dict[str, Any]) -> str:
        return self.where[id(entry)]


def _label(table: str, index: int, entry: dict[str, Any]) -> str:
    if table == "positions":
        return f"positions[{index}] ({entry.get('actor', '?')} / {entry.get('issue', '?')})"
    if table == "negotiation":
        return "negotiation"
    return f"{table}[{index}] ({entry.get('slug') or entry.get('key') or '?'})"


def read_file(path: Path) -> SeedFile:
    """Parse and check the structure of one seed file; raise SeedError with every problem."""
    name = str(path)
    try:
        # A byte-order mark, which some editors on Windows write, is not part of the TOML.
        data = tomllib.loads(path.read_text(encoding="utf-8-sig"), parse_float=Decimal)
    except FileNotFoundError:
        raise SeedError([f"{name}: no such file"]) from None
    except IsADirectoryError:
        raise SeedError([f"{name}: a folder, not a seed file"]) from None
    except OSError as error:
        raise SeedError([f"{name}: cannot be read ({error.strerror})"]) from None
    except RecursionError:
        raise SeedError([f"{name}: nested too deeply to be a seed file"]) from None
    except UnicodeDecodeError as error:
        raise SeedError(
            [f"{name}: not UTF-8 text ({error.reason} at byte {error.start})"]
        ) from None
    except tomllib.TOMLDecodeError as error:
        raise SeedError([f"{name}: not valid TOML: {error}"]) from None
    except ValueError as error:  # a number TOML reads but Python will not hold (4,300+ digits)
        problem = (
            "a number has more than 4,300 digits; no value here is that large"
            if "digits" in str(error)
            else f"a value cannot be read: {error}"
        )
        raise SeedError([f"{name}: {problem}"]) from None

    problems: list[str] = []
    version = data.get("gapwatch_seed")
    if type(version) is not int or version != FORMAT_VERSION:
        problems.append(
            f"{name}: gapwatch_seed: expected {FORMAT_VERSION} (the format version), "
            f"got {version!r}"
        )
    for key in data:
        if key not in ("gapwatch_seed", "negotiation", *LISTS):
            problems.append(f"{name}: unknown top-level key {key!r}")

    seed = SeedFile(path, {}, {table: [] for table in LISTS})
    negotiation = _check_table(
        data.get("negotiation"), "negotiation", f"{name}: negotiation", problems
    )
    seed.negotiation = negotiation or {}
    seed.where[id(seed.negotiation)] = f"{name}: negotiation"

    for table in LISTS:
        raw_entries = data.get(table, [])
        if not isinstance(raw_entries, list):
            problems.append(f"{name}: {table}: expected a list of [[{table}]] tables")
            continue
        for index, raw in enumerate(raw_entries):
            where = f"{name}: {_label(table, index, raw if isinstance(raw, dict) else {})}"
            entry = _check_table(raw, table, where, problems)
            if entry is None:
                continue
            seed.where[id(entry)] = where
            if table == "issues":
                entry["options"] = _check_options(entry["options"], where, problems, seed)
            seed.tables[table].append(entry)

    _check_references(seed, problems)
    if problems:
        raise SeedError(problems)
    return seed


def _check_options(raw_options: Any, where: str, problems: list[str], seed: SeedFile) -> list:
    options = []
    for index, raw in enumerate(raw_options or []):
        option_where = f"{where}.options[{index}]"
        option = _check_table(raw, "options", option_where, problems)
        if option is not None:
            seed.where[id(option)] = option_where
            options.append(option)
    return options


def _duplicates(values: Iterable[str]) -> set[str]:
    seen: set[str] = set()
    repeated: set[str] = set()
    for value in values:
        (repeated if value in seen else seen).add(value)
    return repeated


def _check_references(seed: SeedFile, problems: list[str]) -> None:
    """Every slug named must be defined in the file; slugs and identifiers must not repeat."""
    defined = {}
    for table in ("actors", "sources", "issues", "rounds", "packages"):
        slugs = [entry["slug"] for entry in seed.tables[table] if entry.get("slug")]
        for slug in _duplicates(slugs):
            problems.append(f"{seed.path}: {table}: {slug!r} is defined more than once")
        defined[table] = set(slugs)

    def refer(entry: dict, key: str, table: str) -> None:
        value = entry.get(key)
        if value and value not in defined[table]:
            problems.append(
                f"{seed.describe(entry)}.{key}: {value!r} is not one of the {table} in this file"
            )

    for entry in seed.tables["rounds"]:
        refer(entry, "source", "sources")
        for attendee in entry["attendees"] or []:
            if attendee not in defined["actors"]:
                problems.append(
                    f"{seed.describe(entry)}.attendees: {attendee!r} is not one of the actors "
                    "in this file"
                )
    for entry in seed.tables["packages"]:
        refer(entry, "proposer", "actors")
        refer(entry, "source", "sources")
    for entry in seed.tables["positions"]:
        for key, table in (
            ("actor", "actors"),
            ("issue", "issues"),
            ("source", "sources"),
            ("status_source", "sources"),
            ("package", "packages"),
        ):
            refer(entry, key, table)
    for entry in seed.tables["issues"]:
        keys = [option["key"] for option in entry["options"] if option.get("key")]
        for key in _duplicates(keys):
            problems.append(f"{seed.describe(entry)}.options: {key!r} is defined more than once")

    uids: dict[uuid.UUID, dict] = {}
    negotiation_slug = seed.negotiation.get("slug") or ""
    for entry in seed.tables["positions"]:
        identity = (entry.get(key) for key in ("actor", "issue", "stance", "source"))
        if not entry["id"] and not (
            all(isinstance(part, str) and part for part in identity)
            and isinstance(entry.get("stated_on"), dt.date)
        ):
            continue  # the missing or malformed key is reported already
        try:
            uid = position_uid(negotiation_slug, entry)
        except (ValueError, AttributeError, TypeError):
            problems.append(f"{seed.describe(entry)}.id: not a UUID: {entry['id']!r}")
            continue
        if uid in uids:
            if entry["id"]:
                problems.append(f"{seed.describe(entry)}.id: {entry['id']} is used twice")
            else:
                problems.append(
                    f"{seed.describe(entry)}: same actor, issue, stance, date, source and "
                    f"package as {seed.describe(uids[uid])}; give one of them an id"
                )
        uids[uid] = entry
        entry["uid"] = uid


def position_uid(negotiation_slug: str, entry: dict[str, Any]) -> uuid.UUID:
    """A position's identifier: its `id` if the file gives one, else derived from what it is,
    so that a hand-written file loads the same positions every time."""
    if entry.get("id"):
        return uuid.UUID(entry["id"])
    return derived_uid(
        negotiation_slug,
        entry["actor"],
        entry["issue"],
        entry["stance"],
        entry["stated_on"],
        entry["source"],
        entry.get("package") or "",
    )


def derived_uid(
    negotiation: str,
    actor: str,
    issue: str,
    stance: str,
    stated_on: Any,
    source: str,
    package: str,
) -> uuid.UUID:
    name = "|".join([negotiation, actor, issue, stance, str(stated_on), source, package])
    return uuid.uuid5(POSITION_NAMESPACE, name)


# ---------------------------------------------------------------------------------------------
# Loading


@dataclass
class LoadReport:
    path: Path
    slug: str
    created: dict[str, int] = field(default_factory=dict)
    updated: dict[str, int] = field(default_factory=dict)
    unchanged: dict[str, int] = field(default_factory=dict)
    kept_as_corrected: dict[str, int] = field(default_factory=dict)
    """Records corrected in the app that differ from the file, left as they are
    (`keep_existing`)."""
    kept_deleted: dict[str, int] = field(default_factory=dict)
    """Records someone deleted in the app, not brought back (`keep_existing`)."""
    kept: int = 0
    """Positions of this negotiation in the database that the file does not list."""

    singular: dict[str, str] = field(default_factory=dict)

    def count(self, model: type[models.Model], outcome: str) -> None:
        bucket = getattr(self, outcome)
        name = str(model._meta.verbose_name_plural)
        bucket[name] = bucket.get(name, 0) + 1
        self.singular[name] = str(model._meta.verbose_name)

    def counted(self, model: type[models.Model], outcome: str) -> int:
        return getattr(self, outcome).get(str(model._meta.verbose_name_plural), 0)

    @property
    def changed(self) -> bool:
        return bool(self.created or self.updated)

    def summary(self) -> str:
        def join(counts: dict[str, int]) -> str:
            return (
                ", ".join(
                    f"{n} {self.singular[name] if n == 1 else name}" for name, n in counts.items()
                )
                or "nothing"
            )

        text = (
            f"{self.path}: {self.slug}: created {join(self.created)}; "
            f"updated {join(self.updated)}; unchanged {join(self.unchanged)}"
        )
        if self.kept_as_corrected:
            text += (
                f"; kept as corrected since {join(self.kept_as_corrected)} (the database differs"
                " from the file, and --keep-existing leaves it so)"
            )
        if self.kept_deleted:
            text += (
                f"; kept deleted {join(self.kept_deleted)} (deleted in the app since;"
                " --keep-existing does not bring it back)"
            )
        if self.kept:
            many = self.kept != 1
            text += (
                f"; kept {self.kept} position{'s' if many else ''} that {'are' if many else 'is'}"
                " in the database but not in the file"
            )
        return text


class _Refused(Exception):
    """Unwinds the loading transaction once problems have been recorded."""


def corrected_in_app(instance: models.Model) -> bool:
    """Whether someone changed the record in the app (its history names a user): then it is
    theirs to keep. A record only the loader ever wrote follows the file."""
    return hasattr(instance, "history") and instance.history.exclude(history_user=None).exists()


def deleted_in_app(model: type[models.Model], lookup: dict[str, Any]) -> bool:
    """Whether the record `lookup` finds was last deleted by someone in the app."""
    if not hasattr(model, "history"):
        return False
    last = model.history.filter(**lookup).order_by("-history_date", "-history_id").first()
    return last is not None and last.history_type == "-" and last.history_user_id is not None


class Loader:
    """Saves checked seed entries, validating each object with the models' own rules
    (`full_clean`), and collects problems instead of stopping at the first."""

    def __init__(self, keep_existing: bool = False) -> None:
        self.problems: list[str] = []
        self.deletions: dict[type[models.Model], bool] = {}
        self.keep_existing = keep_existing
        """Create what is missing; of what exists, leave what was corrected in the app as it
        is (however the file differs), and bring the rest up to the file."""

    def anyone_deleted(self, model: type[models.Model]) -> bool:
        """Whether anyone deleted a record of `model` in the app: one query per model, so
        that a first load, which creates everything, asks no more for each record."""
        if model not in self.deletions:
            self.deletions[model] = hasattr(model, "history") and (
                model.history.filter(history_type="-").exclude(history_user=None).exists()
            )
        return self.deletions[model]

    def save(
        self,
        seed: SeedFile,
        entry: dict,
        report: LoadReport,
        model: type[models.Model],
        lookup: dict[str, Any],
        values: dict[str, Any],
        on_create: dict[str, Any] | None = None,
        related_sets: dict[str, list[models.Model]] | None = None,
    ) -> Any:
        """Create or update one object; None when it was refused.

        `related_sets` are many-to-many fields, compared and replaced as sets.
        """
        related_sets = related_sets or {}
        instance = model.objects.filter(**lookup).first()
        if (
            instance is None
            and self.keep_existing
            and self.anyone_deleted(model)
            and deleted_in_app(model, lookup)
        ):
            report.count(model, "kept_deleted")  # the deletion stands
            return None
        if instance is None:
            outcome = "created"
            instance = model(**lookup, **values, **(on_create or {}))
            changed_sets = related_sets
        else:
            changed = {
                name: value for name, value in values.items() if _differs(instance, name, value)
            }
            changed_sets = {
                name: related
                for name, related in related_sets.items()
                if {obj.pk for obj in getattr(instance, name).all()} != {obj.pk for obj in related}
            }
            if not changed and not changed_sets:
                report.count(model, "unchanged")
                return instance
            if self.keep_existing and corrected_in_app(instance):  # the correction stands
                report.count(model, "kept_as_corrected")
                return instance
            for name, value in changed.items():
                setattr(instance, name, value)
            outcome = "updated"
        try:
            # Check constraints are mirrored in clean() and enforced by the database; Django
            # would spend a query on each. Unique ones are checked here for their messages.
            instance.full_clean(validate_constraints=False)
            validate_unique_constraints(instance)
        except ValidationError as error:
            self._record(seed, entry, model, error)
            return None
        try:
            with transaction.atomic():
                instance.save()
                for name, related in changed_sets.items():
                    getattr(instance, name).set(related)
        except IntegrityError as error:
            self.problems.append(f"{seed.describe(entry)}: refused by the database: {error}")
            return None
        report.count(model, outcome)
        return instance

    def _record(
        self, seed: SeedFile, entry: dict, model: type[models.Model], error: ValidationError
    ) -> None:
        for model_field, errors in error.error_dict.items():
            where = seed.describe(entry)
            if model_field != "__all__":
                where += "." + FIELD_NAMES.get(model_field, model_field)
            for problem in errors:
                message = " ".join(problem.messages)
                if problem.code == "invalid_choice":
                    choices = model._meta.get_field(model_field).choices
                    message += f" Choose one of: {', '.join(str(c[0]) for c in choices)}."
                self.problems.append(f"{where}: {message}")


def validate_unique_constraints(instance: models.Model) -> None:
    for model, constraints in instance.get_constraints():
        for constraint in constraints:
            if isinstance(constraint, models.UniqueConstraint):
                try:
                    constraint.validate(model, instance)
                except ValidationError as error:
                    if hasattr(error, "error_dict"):
                        raise
                    # One over expressions, not fields, names no field: the entry's own fault.
                    raise ValidationError({NON_FIELD_ERRORS: error.error_list}) from None


def _differs(instance: models.Model, name: str, value: Any) -> bool:
    current = getattr(instance, name)
    if isinstance(current, models.Model) or isinstance(value, models.Model):
        current_pk = current.pk if isinstance(current, models.Model) else current
        value_pk = value.pk if isinstance(value, models.Model) else value
        return current_pk != value_pk
    if isinstance(current, Decimal) or isinstance(value, Decimal):
        if current is None or value is None:
            return current is not value
        return Decimal(current) != Decimal(value)
    return current != value


def load_files(paths: Sequence[Path], keep_existing: bool = False) -> list[LoadReport]:
    """Check every file, then load them all in one transaction; raise SeedError on any problem,
    having saved nothing. With `keep_existing`, records corrected in the app are left as they
    are (so that the corrections survive a reload); the others follow the file."""
    problems: list[str] = []
    seeds = []
    for path in paths:
        try:
            seeds.append(read_file(path))
        except SeedError as error:
            problems.extend(error.problems)
    slugs = [seed.negotiation.get("slug") for seed in seeds]
    for slug in _duplicates(s for s in slugs if s):
        problems.append(f"negotiation {slug!r} is defined by more than one file")
    if problems:
        raise SeedError(problems)

    loader = Loader(keep_existing=keep_existing)
    try:
        with transaction.atomic(), gap_days.bulk_changes():
            reports = [_load(loader, seed) for seed in seeds]
            if loader.problems:
                raise _Refused
    except _Refused:
        raise SeedError(loader.problems) from None
    if any(report.changed for report in reports):
        Negotiation.objects.filter(slug__in=[r.slug for r in reports if r.changed]).update(
            data_changed_at=timezone.now()
        )
    return reports


def _load(loader: Loader, seed: SeedFile) -> LoadReport:
    data = seed.negotiation
    report = LoadReport(seed.path, data["slug"])
    negotiation = loader.save(
        seed,
        data,
        report,
        Negotiation,
        {"slug": data["slug"]},
        {
            "title": data["title"],
            "summary": data["summary"],
            "status": data["status"],
            "is_public": data["public"],
        },
    )
    if negotiation is None:
        return report

    participants: dict[str, Participant] = {}
    for order, entry in enumerate(seed.tables["actors"]):
        actor = loader.save(
            seed,
            entry,
            report,
            Actor,
            {"slug": entry["slug"]},
            {
                "name": entry["name"],
                "short_name": entry["short_name"],
                "kind": entry["kind"],
                "colour": entry["colour"],
                "other_names": "\n".join(str(name) for name in entry["other_names"]),
                "wikidata_qid": entry["wikidata_qid"],
                "ucdp_actor_id": entry["ucdp_actor_id"],
                "acled_name": entry["acled_name"],
            },
        )
        if actor is None:
            continue
        participant = loader.save(
            seed,
            entry,
            report,
            Participant,
            {"negotiation": negotiation, "actor": actor},
            {"role": entry["role"], "order": order},
        )
        if participant is not None:
            participants[entry["slug"]] = participant

    sources: dict[str, Source] = {}
    # One report is one source, as the workspace and the importer hold: the reports on record
    # on the file's dates, read once, and kept up to date as the file's sources are saved.
    reported = {
        report_key(source): source.slug
        for source in Source.objects.filter(
            published_on__in={entry["published_on"] for entry in seed.tables["sources"]}
        )
    }
    for entry in seed.tables["sources"]:
        key = report_key(
            Source(
                outlet=entry["outlet"],
                headline=entry["headline"],
                published_on=entry["published_on"],
            )
        )
        same = reported.get(key)
        if same is not None and same != entry["slug"]:
            loader.problems.append(
                f"{seed.describe(entry)}: the same report (outlet, headline and date) is on "
                f"record as {same!r}; cite that slug"
            )
            continue
        source = loader.save(
            seed,
            entry,
            report,
            Source,
            {"slug": entry["slug"]},
            {
                key: entry[key]
                for key in ("outlet", "headline", "url", "published_on", "grade", "grade_note")
            },
        )
        if source is not None:
            sources[entry["slug"]] = source
            reported[key] = source.slug

    issues: dict[str, Issue] = {}
    options: dict[tuple[str, str], ScaleOption] = {}
    for order, entry in enumerate(seed.tables["issues"]):
        issue = loader.save(
            seed,
            entry,
            report,
            Issue,
            {"negotiation": negotiation, "slug": entry["slug"]},
            {
                "title": entry["title"],
                "kind": entry["kind"],
                "unit": entry["unit"],
                "unit_singular": entry["unit_singular"],
                "whole_numbers": entry["whole_numbers"],
                "description": entry["description"],
                "order": order,
            },
        )
        if issue is None:
            continue
        issues[entry["slug"]] = issue
        if entry["options"] and issue.kind != IssueKind.SCALE:
            loader.problems.append(f"{seed.describe(entry)}.options: only a scale has options")
        if issue.kind == IssueKind.SCALE and len(entry["options"]) < 2:
            loader.problems.append(f"{seed.describe(entry)}.options: a scale needs two or more")
        if loader.keep_existing and scale_corrected_in_app(issue):
            # Options an editor added, changed or deleted in the app stay as they are.
            for option in issue.options.all():
                options[(entry["slug"], option.key)] = option
                report.count(ScaleOption, "kept_as_corrected")
            continue
        if not _reconcile_options(issue, [option["key"] for option in entry["options"]]):
            loader.problems.append(
                f"{seed.describe(entry)}.options: the options "
                f"{', '.join(_used_options_missing(issue, entry['options']))} are used by "
                "positions; keep them in the file"
            )
            continue
        for rank, option_entry in enumerate(entry["options"]):
            option = loader.save(
                seed,
                option_entry,
                report,
                ScaleOption,
                {"issue": issue, "key": option_entry["key"]},
                {"rank": rank, "label": option_entry["label"], "meaning": option_entry["meaning"]},
            )
            if option is not None:
                options[(entry["slug"], option_entry["key"])] = option

    # An entry whose references were refused is left out: its problem is reported already, and
    # "cannot be null" under every entry that names it would only repeat it.
    def refused(names: dict, slug: str) -> bool:
        return bool(slug) and slug not in names

    for entry in seed.tables["rounds"]:
        if refused(sources, entry["source"]):
            continue
        loader.save(
            seed,
            entry,
            report,
            Round,
            {"negotiation": negotiation, "slug": entry["slug"]},
            {
                "title": entry["title"],
                "location": entry["location"],
                "started_on": entry["started_on"],
                "ended_on": entry["ended_on"],
                "attendance": entry["attendance"],
                "outcome": entry["outcome"],
                "source": sources.get(entry["source"]),
            },
            related_sets={
                "attendees": [participants[s] for s in entry["attendees"] if s in participants]
            },
        )

    packages: dict[str, Package] = {}
    for entry in seed.tables["packages"]:
        if refused(participants, entry["proposer"]) or refused(sources, entry["source"]):
            continue
        package = loader.save(
            seed,
            entry,
            report,
            Package,
            {"negotiation": negotiation, "slug": entry["slug"]},
            {
                "title": entry["title"],
                "proposer": participants.get(entry["proposer"]),
                "is_conditional": entry["conditional"],
                "stated_on": entry["stated_on"],
                "source": sources.get(entry["source"]),
                "summary": entry["summary"],
            },
        )
        if package is not None:
            packages[entry["slug"]] = package

    stored = _stored_positions([entry["uid"] for entry in seed.tables["positions"]])
    elsewhere = {uid: slug for uid, (slug, _, _) in stored.items() if slug != negotiation.slug}
    loaded_at = timezone.now()
    listed = []
    for index, entry in enumerate(seed.tables["positions"]):
        if entry.get("uid") in elsewhere:
            loader.problems.append(
                f"{seed.describe(entry)}.id: {entry['uid']} is a position of another "
                f"negotiation ({elsewhere[entry['uid']]}); remove the id to make a new one"
            )
            continue
        issue = issues.get(entry["issue"])
        participant = participants.get(entry["actor"])
        source = sources.get(entry["source"])
        if issue is None or participant is None or source is None:
            continue  # the problem with its issue, actor or source is reported already
        if refused(sources, entry["status_source"]) or refused(packages, entry["package"]):
            continue
        on_record = stored.get(entry["uid"])
        if on_record is not None and on_record[1:] != (issue.pk, participant.pk):
            loader.problems.append(
                f"{seed.describe(entry)}.id: {entry['uid']} is on record as another actor's "
                "position or one on another issue; a seed cannot move it (remove the id to "
                "make a new one)"
            )
            continue
        value = _position_value(seed, entry, issue, options, loader.problems)
        if value is None:
            continue
        listed.append(entry["uid"])
        loader.save(
            seed,
            entry,
            report,
            Position,
            {"uid": entry["uid"]},
            {
                "issue": issue,
                "participant": participant,
                "stance": entry["stance"],
                **value,
                "summary": entry["summary"],
                "stated_on": entry["stated_on"],
                "source": source,
                "attribution": entry["attribution"],
                "credibility": entry["credibility"],
                "status": entry["status"],
                "status_source": sources.get(entry["status_source"]),
                "status_attribution": entry["status_attribution"],
                "status_changed_on": entry["status_changed_on"],
                "conditions": entry["conditions"],
                "is_vague": entry["vague"],
                "package": packages.get(entry["package"]),
            },
            # File order breaks ties between positions stated on the same day.
            on_create={
                "recorded_at": entry["recorded_at"] or loaded_at + dt.timedelta(microseconds=index)
            },
        )
    if not loader.problems:  # a position refused leaves a tie to order without it
        _keep_file_order_of_ties(seed, report)
    on_record = len(listed) - report.counted(Position, "kept_deleted")
    report.kept = Position.objects.for_negotiation(negotiation).count() - on_record
    return report


def _stored_positions(uids: list) -> dict:
    """{uid: (negotiation slug, issue id, participant id)} of the positions on record among
    `uids`."""
    found = {}
    for start in range(0, len(uids), 500):  # stay under SQLite's limit on query parameters
        found.update(
            (uid, tuple(rest))
            for uid, *rest in Position.objects.filter(
                uid__in=uids[start : start + 500]
            ).values_list("uid", "issue__negotiation__slug", "issue_id", "participant_id")
        )
    return found


def _keep_file_order_of_ties(seed: SeedFile, report: LoadReport) -> None:
    """Positions of one actor on one issue stated the same day rank by when they were recorded;
    for the file's positions that must be the file's order, whatever was loaded before."""
    groups: dict[tuple, list[uuid.UUID]] = {}
    for entry in seed.tables["positions"]:
        if "uid" in entry and not entry["recorded_at"]:  # explicit times order themselves
            key = (entry["actor"], entry["issue"], entry["stated_on"])
            groups.setdefault(key, []).append(entry["uid"])
    for uids in (group for group in groups.values() if len(group) > 1):
        stored = {
            uid: (recorded_at, pk)
            for uid, recorded_at, pk in Position.objects.filter(uid__in=uids).values_list(
                "uid", "recorded_at", "id"
            )
        }
        uids = [uid for uid in uids if uid in stored]  # one deleted in the app is not ordered
        if [stored[uid] for uid in uids] == sorted(stored[uid] for uid in uids):
            continue
        stamps = sorted(recorded_at for recorded_at, _ in stored.values())
        if len(set(stamps)) < len(stamps):  # equal times cannot order anything
            stamps = [stamps[0] + dt.timedelta(microseconds=step) for step in range(len(uids))]
        for uid, stamp in zip(uids, stamps, strict=True):
            position = Position.objects.get(uid=uid)
            position.recorded_at = stamp
            position.save(update_fields=["recorded_at"])  # through save(): kept in history
        report.count(Position, "updated")


def _position_value(
    seed: SeedFile,
    entry: dict,
    issue: Issue,
    options: dict[tuple[str, str], ScaleOption],
    problems: list[str],
) -> dict[str, Any] | None:
    """The value columns for a position, read the way its issue's kind asks."""
    where = seed.describe(entry)
    value, low, high = entry["value"], entry["min"], entry["max"]
    columns: dict[str, Any] = {
        "value_min": None,
        "value_max": None,
        "value_bool": None,
        "value_option": None,
    }
    if issue.kind == IssueKind.QUANTITY:
        if value is not None:
            if low is not None or high is not None:
                problems.append(f"{where}: give either value or min/max, not both")
                return None
            number, error = _check_value("number", value)
            if error:
                problems.append(f"{where}.value: {error} ({issue.slug} is a quantity)")
                return None
            low = high = number
        if low is None and high is None:
            problems.append(f"{where}: give value (a number) or min and/or max for a quantity")
            return None
        columns.update(value_min=low, value_max=high)
        return columns
    if low is not None or high is not None:
        problems.append(f"{where}: min and max are for quantities; {issue.slug} is {issue.kind}")
        return None
    if issue.kind == IssueKind.YES_NO:
        if not isinstance(value, bool):
            problems.append(
                f"{where}.value: expected true or false for a yes/no issue, got {value!r}"
            )
            return None
        columns["value_bool"] = value
        return columns
    if issue.kind == IssueKind.SCALE:
        option = options.get((issue.slug, value)) if isinstance(value, str) else None
        if option is None:
            keys = ", ".join(key for (slug, key) in options if slug == issue.slug)
            problems.append(
                f"{where}.value: expected one of the scale's options ({keys}), got {value!r}"
            )
            return None
        columns["value_option"] = option
        return columns
    if value is not None:
        problems.append(f"{where}.value: a text issue takes no value; write it in the summary")
        return None
    return columns


def _used_options_missing(issue: Issue, options: list[dict]) -> list[str]:
    keys = {option["key"] for option in options}
    return sorted(
        issue.options.exclude(key__in=keys)
        .filter(positions__isnull=False)
        .values_list("key", flat=True)
        .distinct()
    )


def scale_corrected_in_app(issue: Issue) -> bool:
    """Whether someone added, changed or deleted one of the issue's options in the app."""
    return ScaleOption.history.filter(issue_id=issue.pk).exclude(history_user=None).exists()


def _reconcile_options(issue: Issue, keys: list[str]) -> bool:
    """Make the stored scale match the file's list of option keys, before saving the options.

    Options the file no longer lists are deleted when no position uses them (False when one
    does). When the order changes, stored options first move to temporary ranks, so that
    re-ranking them one by one never trips the unique (issue, rank) constraint.
    """
    stale = issue.options.exclude(key__in=keys)
    if stale.filter(positions__isnull=False).exists():
        return False
    stale.delete()
    stored = dict(issue.options.values_list("key", "rank"))
    if any(stored.get(key, rank) != rank for rank, key in enumerate(keys)):
        issue.options.set_aside()
    return True


# ---------------------------------------------------------------------------------------------
# Exporting

HEADER = """\
# Gapwatch seed file: one negotiation, its actors, sources, issues, rounds, packages and positions.
# The format is described, field by field, in docs/formats.md.
"""


def _number(value: Decimal) -> int | Decimal:
    value = value.normalize()
    return int(value) if value == value.to_integral_value() else value


def _without_defaults(table: str, values: dict[str, Any]) -> dict[str, Any]:
    spec = TABLES[table]
    return {
        key: value
        for key, value in values.items()
        if value is not None
        and not (key in spec and value == spec[key].default)
        and value not in ("", [], ())
    }


def export_negotiation(negotiation: Negotiation) -> str:
    """The negotiation in the seed format; loading it into an empty database and exporting again
    gives the same text."""
    participants = list(
        Participant.objects.filter(negotiation=negotiation)
        .select_related("actor")
        .order_by("order", "id")
    )
    slug_of = {participant.pk: participant.actor.slug for participant in participants}
    issues = list(
        Issue.objects.filter(negotiation=negotiation)
        .prefetch_related("options")
        .order_by("order", "id")
    )
    rounds = list(
        Round.objects.filter(negotiation=negotiation)
        .prefetch_related("attendees")
        .select_related("source")
        .order_by("started_on", "slug")
    )
    packages = list(
        Package.objects.filter(negotiation=negotiation)
        .select_related("source")
        .order_by("stated_on", "slug")
    )
    positions = list(
        Position.objects.for_negotiation(negotiation)
        .select_related("issue", "source", "status_source", "package", "value_option")
        .order_by("issue__order", "issue_id", "stated_on", "recorded_at", "id")
    )
    source_ids = (
        {p.source_id for p in positions}
        | {p.status_source_id for p in positions if p.status_source_id}
        | {r.source_id for r in rounds if r.source_id}
        | {p.source_id for p in packages}
    )
    sources = Source.objects.filter(pk__in=source_ids).order_by("published_on", "slug")

    document: dict[str, Any] = {
        "gapwatch_seed": FORMAT_VERSION,
        "negotiation": _without_defaults(
            "negotiation",
            {
                "slug": negotiation.slug,
                "title": negotiation.title,
                "summary": negotiation.summary,
                "status": negotiation.status,
                "public": negotiation.is_public,
            },
        ),
        "actors": [
            _without_defaults(
                "actors",
                {
                    "slug": p.actor.slug,
                    "name": p.actor.name,
                    "short_name": p.actor.short_name,
                    "kind": p.actor.kind,
                    "role": p.role,
                    "colour": p.actor.colour,
                    "other_names": p.actor.other_names_list,
                    "wikidata_qid": p.actor.wikidata_qid,
                    "ucdp_actor_id": p.actor.ucdp_actor_id,
                    "acled_name": p.actor.acled_name,
                },
            )
            for p in participants
        ],
        "sources": [
            _without_defaults(
                "sources",
                {
                    "slug": s.slug,
                    "outlet": s.outlet,
                    "headline": s.headline,
                    "url": s.url,
                    "published_on": s.published_on,
                    "grade": s.grade,
                    "grade_note": s.grade_note,
                },
            )
            for s in sources
        ],
        "issues": [_export_issue(issue) for issue in issues],
        "rounds": [
            _without_defaults(
                "rounds",
                {
                    "slug": r.slug,
                    "title": r.title,
                    "location": r.location,
                    "started_on": r.started_on,
                    "ended_on": r.ended_on,
                    "attendees": sorted(
                        (slug_of[a.pk] for a in r.attendees.all()),
                        key=list(slug_of.values()).index,
                    ),
                    "attendance": r.attendance,
                    "outcome": r.outcome,
                    "source": r.source.slug if r.source else "",
                },
            )
            for r in rounds
        ],
        "packages": [
            _without_defaults(
                "packages",
                {
                    "slug": p.slug,
                    "title": p.title,
                    "proposer": slug_of[p.proposer_id],
                    "conditional": p.is_conditional,
                    "stated_on": p.stated_on,
                    "source": p.source.slug,
                    "summary": p.summary,
                },
            )
            for p in packages
        ],
        "positions": [_export_position(negotiation, p, slug_of) for p in positions],
    }
    document = {key: value for key, value in document.items() if value != []}
    return HEADER + tomli_w.dumps(document, multiline_strings=True)


def _export_issue(issue: Issue) -> dict[str, Any]:
    exported = _without_defaults(
        "issues",
        {
            "slug": issue.slug,
            "title": issue.title,
            "kind": issue.kind,
            "unit": issue.unit,
            "unit_singular": issue.unit_singular,
            "whole_numbers": issue.whole_numbers,
            "description": issue.description,
        },
    )
    options = [
        _without_defaults(
            "options", {"key": option.key, "label": option.label, "meaning": option.meaning}
        )
        for option in sorted(issue.options.all(), key=lambda option: option.rank)
    ]
    if options:
        exported["options"] = options
    return exported


def _export_position(
    negotiation: Negotiation, position: Position, slug_of: dict[int, str]
) -> dict[str, Any]:
    actor = slug_of[position.participant_id]
    package = position.package.slug if position.package else ""
    value: dict[str, Any] = {}
    if position.value_min is not None and position.value_min == position.value_max:
        value["value"] = _number(position.value_min)
    elif position.value_min is not None or position.value_max is not None:
        if position.value_min is not None:
            value["min"] = _number(position.value_min)
        if position.value_max is not None:
            value["max"] = _number(position.value_max)
    elif position.value_bool is not None:
        value["value"] = position.value_bool
    elif position.value_option is not None:
        value["value"] = position.value_option.key
    derived = derived_uid(
        negotiation.slug,
        actor,
        position.issue.slug,
        position.stance,
        position.stated_on,
        position.source.slug,
        package,
    )
    return _without_defaults(
        "positions",
        {
            "id": "" if position.uid == derived else str(position.uid),
            "actor": actor,
            "issue": position.issue.slug,
            "stance": position.stance,
            **value,
            "summary": position.summary,
            "stated_on": position.stated_on,
            "source": position.source.slug,
            "attribution": position.attribution,
            "credibility": position.credibility,
            "status": position.status,
            "status_source": position.status_source.slug if position.status_source else "",
            "status_attribution": position.status_attribution,
            "status_changed_on": position.status_changed_on,
            "conditions": position.conditions,
            "vague": position.is_vague,
            "package": package,
            "recorded_at": position.recorded_at.astimezone(dt.UTC),
        },
    )
