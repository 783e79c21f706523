"""The negotiation domain: who holds which position on which issue, since when, per which source.

Rules that must never be broken are enforced by the database: row-level ones as
`Meta.constraints` below, cross-table ones as triggers (`negotiations/db_rules.py`). The rules a
person should be told about before the database refuses (future dates, a scale option of another
issue, a position stated after its source was published) live in `clean()`, which the admin, the
forms and the seed loader all run.
"""

from __future__ import annotations

import datetime as dt
import unicodedata
import uuid
from collections.abc import Iterable, Sequence
from decimal import Decimal

from django.conf import settings
from django.contrib.postgres.expressions import ArraySubquery
from django.core.exceptions import ObjectDoesNotExist, ValidationError
from django.core.validators import (
    MaxValueValidator,
    MinValueValidator,
    RegexValidator,
    URLValidator,
)
from django.db import IntegrityError, connection, models
from django.db.models import F, Q, Value
from django.db.models.functions import Cast, Coalesce, Length, RowNumber
from django.db.models.lookups import Exact, Lookup
from django.urls import reverse
from django.utils import timezone
from simple_history.models import HistoricalRecords

from negotiations import gaps

hex_colour = RegexValidator(
    r"^#[0-9a-fA-F]{6}$", "Enter a colour as # and six hex digits, e.g. #1f5fa8."
)
wikidata_qid = RegexValidator(
    r"^Q[1-9][0-9]*$", "A Wikidata QID is Q followed by digits, e.g. Q801."
)
http_url = URLValidator(schemes=["http", "https"], message="Enter an http:// or https:// address.")


def not_in_future(value: dt.date) -> None:
    if value > timezone.localdate():
        raise ValidationError("This date is in the future.", code="future_date")


# No record of these talks goes back further; an earlier date is a typo (0025 for 2025).
EARLIEST_DATE = dt.date(1900, 1, 1)


TOO_EARLY = "Pick a date from 1 January 1900 on."


def not_before_1900(value: dt.date) -> None:
    if value < EARLIEST_DATE:
        raise ValidationError(TOO_EARLY, code="too_early")


def moment_on_record(moment: dt.datetime) -> dt.datetime:
    """A recorded time given in a file (the importer, the seed loader): from 1900 on and not in
    the future, give or take a minute of clock difference. Raises ValueError otherwise."""
    if moment < dt.datetime.combine(EARLIEST_DATE, dt.time(), dt.UTC):
        raise ValueError(f"{moment.isoformat()} is before 1 January 1900")
    if moment > timezone.now() + dt.timedelta(minutes=1):
        raise ValueError(f"{moment.isoformat()} is in the future")
    return moment


# Two positions with these alike record the same statement twice (an import run again, a row
# repeated in a report).
SAME_RECORD = (
    "issue_id",
    "participant_id",
    "stance",
    "value_min",
    "value_max",
    "value_bool",
    "value_option_id",
    "stated_on",
    "source_id",
    "summary",
)


def refused_as_repeat(error: IntegrityError) -> bool:
    """Whether the database refused a save because the position is already on record
    (Position's constraint position_recorded_once)."""
    return "position_recorded_once" in str(error)


def is_whole(number) -> bool:
    """No fraction (or no number at all): what an issue counted in whole numbers takes."""
    return number is None or Decimal(number) == Decimal(number).to_integral_value()


LINE_BREAKS = ("\n", "\r", "\t", "\u2028", "\u2029")


def one_line(value: str) -> None:
    # Control characters (C0 and C1, with tab, CR, LF and NEL) and the Unicode line and
    # paragraph separators.
    if any(unicodedata.category(character) in ("Cc", "Zl", "Zp") for character in value):
        raise ValidationError(
            "Write it in one line, without line breaks or control characters.", code="one_line"
        )
    # Spaces and invisible format characters alone (a zero-width space) only look blank.
    # Within words those characters are kept: Persian writing needs the zero-width non-joiner.
    if value and all(unicodedata.category(character) in ("Zs", "Cf") for character in value):
        raise ValidationError(
            "Write it in visible characters: this holds only spaces or invisible ones.",
            code="invisible",
        )


def moved_away(record: models.Model, field: str) -> bool:
    """Whether a stored record's `field` is about to change: what the database's triggers
    (negotiations/db_rules.py) refuse once other records depend on it, explained first."""
    if record.pk is None:
        return False
    stored = type(record).objects.filter(pk=record.pk).values_list(field, flat=True).first()
    return stored is not None and stored != getattr(record, field)


def one_line_check(model: str, *fields: str) -> models.CheckConstraint:
    """The database's side of one_line for a model's one-line text `fields`: no line feed,
    carriage return, tab, or Unicode line or paragraph separator. (A CHECK cannot read Unicode
    categories, and SQLite has no regular expressions: the other control characters are left
    to one_line, which every form, the importer and the seed loader run.) One constraint per
    model, so that a form checking it spends one query, not one per field."""
    condition = Q()
    for field in fields:
        for character in LINE_BREAKS:
            condition &= ~Q(**{f"{field}__contains": character})
    return models.CheckConstraint(
        condition=condition,
        name=f"{model}_text_in_one_line",
        violation_error_message="Write it in one line, without line breaks or control characters.",
    )


class SlugCharacters(Lookup):
    """`field__slug_characters=True`: letters, digits, hyphens and underscores, at least one
    (Django's validate_slug), in each database's own words: SQLite has no regular expressions,
    its GLOB does the same."""

    lookup_name = "slug_characters"
    prepare_rhs = False

    def as_sql(self, compiler, connection):
        lhs, params = self.process_lhs(compiler, connection)
        if connection.vendor == "postgresql":
            return f"{lhs} ~ '^[-a-zA-Z0-9_]+$'", params
        return f"({lhs} <> '' AND NOT ({lhs} GLOB '*[^-a-zA-Z0-9_]*'))", (*params, *params)


models.CharField.register_lookup(SlugCharacters)


class CheckedByTheFields(models.CheckConstraint):
    """A CHECK that says in the database what the fields' own validation says already, with
    its own messages, on every path but raw SQL and `QuerySet.update()`. Not checked again when
    a form or full_clean() validates the record: Django would spend a query on it."""

    def validate(self, *args, **kwargs) -> None:
        return None


class SlugConstraint(CheckedByTheFields):
    """The database's side of validate_slug."""


def filled_check(model: str, *fields: str) -> CheckedByTheFields:
    """The database's side of a required text field: not empty."""
    condition = Q()
    for field in fields:
        condition &= ~Q(**{field: ""})
    return CheckedByTheFields(
        condition=condition,
        name=f"{model}_text_filled_in",
        violation_error_message="This field cannot be blank.",
    )


def slug_check(model: str, field: str = "slug") -> SlugConstraint:
    """Addresses and files are made of slugs: one of other characters (a slash) breaks every
    page that links to its record, whatever path stored it."""
    return SlugConstraint(
        condition=Q(**{f"{field}__slug_characters": True}),
        name=f"{model}_{field}_is_a_slug",
        violation_error_message="Use only letters, digits, hyphens and underscores.",
    )


def from_1900(field: str, name: str) -> models.CheckConstraint:
    """The database's side of not_before_1900 (the future moves: it is checked in forms)."""
    return models.CheckConstraint(
        condition=Q(**{f"{field}__isnull": True}) | Q(**{f"{field}__gte": EARLIEST_DATE}),
        name=name,
        violation_error_message=TOO_EARLY,
    )


class Versioned(models.Model):
    """A record that carries a version, so that a save from a stale form can be refused.

    Every save bumps the version; `negotiations.editing.save_if_current` compares it under a row
    lock before writing. Every change is also kept in the record's history (django-simple-history).
    """

    version = models.PositiveIntegerField(default=1, editable=False)

    class Meta:
        abstract = True

    def save(self, *args, **kwargs) -> None:
        if not self._state.adding:
            self.version += 1
            if kwargs.get("update_fields") is not None:
                kwargs["update_fields"] = {*kwargs["update_fields"], "version"}
        super().save(*args, **kwargs)


class NegotiationStatus(models.TextChoices):
    ACTIVE = "active", "Active"
    SUSPENDED = "suspended", "Suspended"
    CONCLUDED = "concluded", "Concluded"
    COLLAPSED = "collapsed", "Collapsed"


class NegotiationQuerySet(models.QuerySet):
    def public(self) -> NegotiationQuerySet:
        return self.filter(is_public=True)


class Negotiation(Versioned):
    slug = models.SlugField(max_length=80, unique=True)
    title = models.CharField(max_length=200, validators=[one_line])
    summary = models.TextField(blank=True)
    status = models.CharField(
        max_length=12, choices=NegotiationStatus.choices, default=NegotiationStatus.ACTIVE
    )
    is_public = models.BooleanField(
        "public", default=False, help_text="Readers can see a negotiation only when it is public."
    )
    created_at = models.DateTimeField(auto_now_add=True)
    data_changed_at = models.DateTimeField(
        default=timezone.now,
        editable=False,
        help_text="When anything shown for this negotiation last changed (for caching and feeds).",
    )

    objects = NegotiationQuerySet.as_manager()
    history = HistoricalRecords(excluded_fields=["data_changed_at"])

    class Meta:
        ordering = ["title"]
        constraints = [
            slug_check("negotiation"),
            filled_check("negotiation", "title"),
            one_line_check("negotiation", "title"),
            models.CheckConstraint(
                condition=Q(status__in=NegotiationStatus.values), name="negotiation_status_valid"
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("negotiations:gap_table", args=[self.slug])


class ActorKind(models.TextChoices):
    STATE = "state", "State"
    ARMED_GROUP = "armed_group", "Armed group"
    POLITICAL_GROUP = "political_group", "Political group or coalition"
    INTERNATIONAL_ORGANISATION = "international_organisation", "International organisation"
    CIVIL_SOCIETY = "civil_society", "Civil society"
    PERSON = "person", "Person"
    OTHER = "other", "Other"


class Actor(Versioned):
    """A state, group, organisation or person; reused across negotiations."""

    name = models.CharField(max_length=200, validators=[one_line])
    short_name = models.CharField(
        max_length=40, help_text="Used in table headers and charts.", validators=[one_line]
    )
    slug = models.SlugField(max_length=80, unique=True)
    kind = models.CharField(max_length=30, choices=ActorKind.choices)
    colour = models.CharField(
        max_length=7, default="#5b6770", validators=[hex_colour], help_text="Chart colour, #rrggbb."
    )
    other_names = models.TextField(
        blank=True, help_text="Other names and spellings, one per line (helps search and matching)."
    )
    wikidata_qid = models.CharField(
        "Wikidata QID", max_length=20, blank=True, validators=[wikidata_qid]
    )
    ucdp_actor_id = models.PositiveIntegerField(
        "UCDP actor id", null=True, blank=True, validators=[MaxValueValidator(2_147_483_647)]
    )
    acled_name = models.CharField(
        "ACLED actor name", max_length=200, blank=True, validators=[one_line]
    )

    history = HistoricalRecords()

    class Meta:
        ordering = ["name"]
        constraints = [
            slug_check("actor"),
            filled_check("actor", "name", "short_name"),
            one_line_check("actor", "name", "short_name", "acled_name"),
            models.CheckConstraint(condition=Q(kind__in=ActorKind.values), name="actor_kind_valid"),
            models.CheckConstraint(
                condition=Q(colour__startswith="#") & Q(Exact(Length("colour"), 7)),
                name="actor_colour_hex",
            ),
            models.UniqueConstraint(
                fields=["wikidata_qid"],
                condition=~Q(wikidata_qid=""),
                name="actor_wikidata_qid_unique",
                violation_error_message="Another actor already has this Wikidata QID.",
            ),
            models.UniqueConstraint(
                fields=["ucdp_actor_id"],
                name="actor_ucdp_actor_id_unique",
                violation_error_message="Another actor already has this UCDP actor id.",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        # One name per line, whatever line endings the form or file used.
        self.other_names = "\n".join(self.other_names_list)

    @property
    def other_names_list(self) -> list[str]:
        return [line.strip() for line in self.other_names.splitlines() if line.strip()]


class Role(models.TextChoices):
    PARTY = "party", "Party"
    MEDIATOR = "mediator", "Mediator"
    GUARANTOR = "guarantor", "Guarantor"
    STAKEHOLDER = "stakeholder", "Stakeholder"


# The gap table's columns: parties first, then those who broker, then everyone else.
ROLE_ORDER = {Role.PARTY: 0, Role.MEDIATOR: 1, Role.GUARANTOR: 2, Role.STAKEHOLDER: 3}


class Participant(Versioned):
    """An actor's role in one negotiation. Positions point here, so only participants hold them."""

    negotiation = models.ForeignKey(
        Negotiation, on_delete=models.CASCADE, related_name="participants"
    )
    actor = models.ForeignKey(Actor, on_delete=models.PROTECT, related_name="participations")
    role = models.CharField(max_length=12, choices=Role.choices)
    order = models.PositiveSmallIntegerField(
        default=0, help_text="Column order within the role on the gap table."
    )

    history = HistoricalRecords()

    class Meta:
        ordering = ["order", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["negotiation", "actor"],
                name="participant_once_per_negotiation",
                violation_error_message="This actor already takes part in this negotiation.",
            ),
            models.CheckConstraint(
                condition=Q(role__in=Role.values), name="participant_role_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.actor} ({self.get_role_display().lower()}, {self.negotiation})"

    def clean(self) -> None:
        if moved_away(self, "negotiation_id") and (
            self.positions.exists() or self.packages.exists() or self.rounds.exists()
        ):
            raise ValidationError(
                {
                    "negotiation": "This participant already has positions, packages or rounds "
                    "in its negotiation; it cannot move to another."
                }
            )


class IssueKind(models.TextChoices):
    QUANTITY = "quantity", "Quantity"
    YES_NO = "yes_no", "Yes/no"
    SCALE = "scale", "Scale"
    TEXT = "text", "Text"


class Issue(Versioned):
    negotiation = models.ForeignKey(Negotiation, on_delete=models.CASCADE, related_name="issues")
    title = models.CharField(max_length=200, validators=[one_line])
    slug = models.SlugField(max_length=80)
    description = models.TextField(blank=True)
    order = models.PositiveSmallIntegerField(default=0)
    kind = models.CharField(
        max_length=10,
        choices=IssueKind.choices,
        help_text="Cannot be changed once the issue has positions.",
    )
    unit = models.CharField(
        max_length=40,
        blank=True,
        validators=[one_line],
        help_text="Quantities only, plural: hostages, days, %.",
    )
    unit_singular = models.CharField(
        max_length=40,
        blank=True,
        validators=[one_line],
        help_text="Quantities only, e.g. hostage, day. Blank: as plural.",
    )
    whole_numbers = models.BooleanField(
        "whole numbers only",
        default=False,
        help_text="Quantities counted one by one (hostages, bodies): a fraction is refused.",
    )

    history = HistoricalRecords()

    class Meta:
        ordering = ["order", "id"]
        constraints = [
            slug_check("issue"),
            filled_check("issue", "title"),
            one_line_check("issue", "title", "unit", "unit_singular"),
            models.UniqueConstraint(
                fields=["negotiation", "slug"],
                name="issue_slug_unique_per_negotiation",
                violation_error_message="This negotiation already has an issue with this slug.",
            ),
            models.CheckConstraint(condition=Q(kind__in=IssueKind.values), name="issue_kind_valid"),
            models.CheckConstraint(
                condition=(Q(kind=IssueKind.QUANTITY) & ~Q(unit=""))
                | (~Q(kind=IssueKind.QUANTITY) & Q(unit="") & Q(unit_singular="")),
                name="issue_unit_only_for_quantities",
                violation_error_message="A quantity needs a unit; other kinds of issue have none.",
            ),
            models.CheckConstraint(
                condition=Q(kind=IssueKind.QUANTITY) | Q(whole_numbers=False),
                name="issue_whole_numbers_only_for_quantities",
                violation_error_message="Only a quantity is counted in whole numbers.",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("negotiations:issue_history", args=[self.negotiation.slug, self.slug])

    def clean(self) -> None:
        if self.kind == IssueKind.QUANTITY and not self.unit:
            raise ValidationError({"unit": "A quantity needs a unit (hostages, days, %…)."})
        if self.kind != IssueKind.QUANTITY and (self.unit or self.unit_singular):
            raise ValidationError({"unit": "Only quantities have a unit."})
        if self.kind != IssueKind.QUANTITY and self.whole_numbers:
            raise ValidationError({"whole_numbers": "Only a quantity is counted in whole numbers."})
        if self.pk is None:
            return
        if self.whole_numbers:
            fraction = next(
                (
                    value
                    for pair in self.positions.values_list("value_min", "value_max")
                    for value in pair
                    if not is_whole(value)
                ),
                None,
            )
            if fraction is not None:
                given = f"{gaps.format_number(fraction)} {self.unit}"
                raise ValidationError(
                    {
                        "whole_numbers": f"A position on this issue gives {given}; correct it "
                        "before counting in whole numbers only."
                    }
                )
        stored = Issue.objects.filter(pk=self.pk).values("kind", "negotiation_id").first()
        if stored is None:
            return
        if stored["kind"] != self.kind and self.kind != IssueKind.SCALE and self.options.exists():
            raise ValidationError(
                {"kind": "This issue has scale options; delete them before changing its kind."}
            )
        if self.positions.exists():
            if stored["kind"] != self.kind:
                raise ValidationError(
                    {"kind": "This issue already has positions; its kind cannot change."}
                )
            if stored["negotiation_id"] != self.negotiation_id:
                raise ValidationError(
                    {
                        "negotiation": "This issue already has positions; it cannot move to "
                        "another negotiation."
                    }
                )

    def unit_for(self, amount: Decimal) -> str:
        return gaps.unit_for(amount, self.unit, self.unit_singular)


class ScaleOptionQuerySet(models.QuerySet):
    # Far above any rank a scale has.
    SET_ASIDE_RANK = 10_000

    def set_aside(self) -> None:
        """Move these options to ranks no option has, so that ranking them anew one by one
        never meets the unique (issue, rank) on the way. A step of a save that ranks them, so
        kept out of their history (update(), not save())."""
        for offset, pk in enumerate(self.order_by("rank").values_list("pk", flat=True)):
            ScaleOption.objects.filter(pk=pk).update(rank=self.SET_ASIDE_RANK + offset)


class ScaleOption(Versioned):
    """One step on a scale issue; `rank` orders the steps (0 is the lowest)."""

    issue = models.ForeignKey(Issue, on_delete=models.CASCADE, related_name="options")
    rank = models.PositiveSmallIntegerField()
    key = models.SlugField(max_length=40, help_text="Short name used in files, e.g. partial.")
    label = models.CharField(max_length=100, validators=[one_line])
    meaning = models.TextField(blank=True, help_text="What this step means, in words.")

    objects = ScaleOptionQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        ordering = ["rank"]
        constraints = [
            slug_check("scaleoption", "key"),
            filled_check("scaleoption", "label"),
            one_line_check("scaleoption", "label"),
            models.UniqueConstraint(fields=["issue", "rank"], name="scale_option_rank_unique"),
            models.UniqueConstraint(fields=["issue", "key"], name="scale_option_key_unique"),
        ]

    def __str__(self) -> str:
        return self.label

    def clean(self) -> None:
        if self.issue_id and self.issue.kind != IssueKind.SCALE:
            raise ValidationError({"issue": "Only a scale issue has options."})
        if moved_away(self, "issue_id") and self.positions.exists():
            raise ValidationError(
                {"issue": "Positions hold this option; it cannot move to another issue."}
            )


class Grade(models.TextChoices):
    """The Admiralty (NATO) scale for how reliable an outlet is."""

    A = "A", "A: completely reliable"
    B = "B", "B: usually reliable"
    C = "C", "C: fairly reliable"
    D = "D", "D: not usually reliable"
    E = "E", "E: unreliable"
    F = "F", "F: reliability cannot be judged"


class Credibility(models.IntegerChoices):
    """The Admiralty (NATO) scale for how credible one piece of information is."""

    CONFIRMED = 1, "1: confirmed by other sources"
    PROBABLY_TRUE = 2, "2: probably true"
    POSSIBLY_TRUE = 3, "3: possibly true"
    DOUBTFUL = 4, "4: doubtful"
    IMPROBABLE = 5, "5: improbable"
    CANNOT_BE_JUDGED = 6, "6: truth cannot be judged"


def report_key(source: Source) -> tuple:
    """What makes two sources the same report: outlet and headline (in any case, spaces around
    them aside) and date. Compared in Python: SQLite's case-insensitive match folds ASCII
    letters only."""
    return (
        source.outlet.strip().casefold(),
        source.headline.strip().casefold(),
        source.published_on,
    )


class SourceQuerySet(models.QuerySet):
    def same_report(self, source: Source) -> Source | None:
        """The source among these that is the same report as `source` (report_key): two
        records of one report would split its positions between them."""
        key = report_key(source)
        same_day = self.filter(published_on=source.published_on)
        return next((other for other in same_day if report_key(other) == key), None)


class Source(Versioned):
    """A report that positions are taken from. Shared across negotiations."""

    slug = models.SlugField(max_length=100, unique=True)
    outlet = models.CharField(max_length=200, validators=[one_line])
    headline = models.CharField(max_length=300, validators=[one_line])
    url = models.CharField("URL", max_length=500, blank=True, validators=[http_url])
    published_on = models.DateField(validators=[not_in_future, not_before_1900])
    grade = models.CharField(
        "reliability grade",
        max_length=1,
        choices=Grade.choices,
        help_text="The outlet's reliability on the Admiralty scale, as the editor assesses it.",
    )
    grade_note = models.TextField(blank=True, help_text="Why this grade was given.")

    objects = SourceQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        ordering = ["-published_on", "outlet"]
        constraints = [
            slug_check("source"),
            filled_check("source", "outlet", "headline"),
            one_line_check("source", "outlet", "headline"),
            models.CheckConstraint(condition=Q(grade__in=Grade.values), name="source_grade_valid"),
            from_1900("published_on", "source_published_from_1900"),
            models.CheckConstraint(
                condition=Q(url="") | Q(url__startswith="http://") | Q(url__startswith="https://"),
                name="source_url_http",
                violation_error_message="Enter an http:// or https:// address.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.outlet}, {self.published_on:%-d %b %Y}: {self.headline}"

    def latest_report_date(self) -> dt.date | None:
        """The latest date of what this source reports: positions stated, statuses changed,
        packages put forward. One query, a probe of an index for each."""

        def latest(records: models.QuerySet, field: str) -> models.Subquery:
            dated = records.filter(**{f"{field}__isnull": False}).order_by(f"-{field}")
            return models.Subquery(dated.values(field)[:1])

        here = models.OuterRef("pk")
        dates = (
            Source.objects.filter(pk=self.pk)
            .annotate(
                stated=latest(Position.objects.filter(source=here), "stated_on"),
                changed=latest(Position.objects.filter(status_source=here), "status_changed_on"),
                proposed=latest(Package.objects.filter(source=here), "stated_on"),
            )
            .values_list("stated", "changed", "proposed")
            .first()
        ) or ()
        return max((day for day in dates if day), default=None)

    def clean(self) -> None:
        latest = self.latest_report_date() if self.pk else None
        if self.published_on and latest and self.published_on < latest:
            raise ValidationError(
                {
                    "published_on": "Positions, status changes or packages citing this source "
                    "are dated "
                    f"up to {latest:%-d %B %Y}; it cannot have been published before that."
                }
            )


class PackageQuerySet(models.QuerySet):
    def conditional(self) -> PackageQuerySet:
        return self.filter(is_conditional=True)


class Package(Versioned):
    """Positions put forward together as one deal, compared as a whole against each party.

    The terms of a conditional package (an offer that stands only if the other side gives
    something) never replace the proposer's standing positions.
    """

    negotiation = models.ForeignKey(Negotiation, on_delete=models.CASCADE, related_name="packages")
    slug = models.SlugField(max_length=80)
    title = models.CharField(max_length=200, validators=[one_line])
    proposer = models.ForeignKey(Participant, on_delete=models.PROTECT, related_name="packages")
    is_conditional = models.BooleanField(
        "conditional",
        default=False,
        help_text="Its terms stand only as a whole; they do not replace the proposer's standing "
        "positions.",
    )
    stated_on = models.DateField(validators=[not_in_future, not_before_1900])
    source = models.ForeignKey(Source, on_delete=models.PROTECT, related_name="packages")
    summary = models.TextField(blank=True)

    objects = PackageQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        ordering = ["stated_on", "id"]
        constraints = [
            slug_check("package"),
            filled_check("package", "title"),
            one_line_check("package", "title"),
            models.UniqueConstraint(
                fields=["negotiation", "slug"], name="package_slug_unique_per_negotiation"
            ),
            from_1900("stated_on", "package_stated_from_1900"),
        ]

    def __str__(self) -> str:
        return self.title

    def clean(self) -> None:
        if (
            self.proposer_id
            and self.negotiation_id
            and self.proposer.negotiation_id != self.negotiation_id
        ):
            raise ValidationError({"proposer": "The proposer must take part in this negotiation."})
        published = self.source.published_on if self.source_id else None
        if published and self.stated_on and self.stated_on > published:
            raise ValidationError(
                {
                    "stated_on": f"The source was published on {published:%-d %B %Y}; it "
                    "cannot report a package put forward after that."
                }
            )
        if (
            moved_away(self, "proposer_id")
            and self.positions.exclude(participant_id=self.proposer_id).exists()
        ):
            raise ValidationError(
                {"proposer": "This package already has terms; its proposer cannot change."}
            )


class Round(Versioned):
    """A meeting or round of talks, shown on timelines."""

    negotiation = models.ForeignKey(Negotiation, on_delete=models.CASCADE, related_name="rounds")
    slug = models.SlugField(max_length=80)
    title = models.CharField(max_length=200, validators=[one_line])
    location = models.CharField(max_length=200, validators=[one_line])
    started_on = models.DateField(validators=[not_in_future, not_before_1900])
    ended_on = models.DateField(
        null=True,
        blank=True,
        validators=[not_in_future, not_before_1900],
        help_text="Blank while the round goes on.",
    )
    attendees = models.ManyToManyField(Participant, blank=True, related_name="rounds")
    attendance = models.TextField(
        blank=True, help_text="Who attended, in words: delegations, names."
    )
    outcome = models.CharField(
        max_length=300, blank=True, help_text="The outcome in a line.", validators=[one_line]
    )
    source = models.ForeignKey(
        Source, on_delete=models.PROTECT, related_name="rounds", null=True, blank=True
    )

    history = HistoricalRecords(m2m_fields=[attendees])

    class Meta:
        ordering = ["started_on", "id"]
        constraints = [
            slug_check("round"),
            filled_check("round", "title", "location"),
            one_line_check("round", "title", "location", "outcome"),
            models.UniqueConstraint(
                fields=["negotiation", "slug"], name="round_slug_unique_per_negotiation"
            ),
            models.CheckConstraint(
                condition=Q(ended_on__isnull=True) | Q(ended_on__gte=F("started_on")),
                name="round_ends_after_it_starts",
                violation_error_message="A round cannot end before it starts.",
            ),
            from_1900("started_on", "round_started_from_1900"),
        ]

    def __str__(self) -> str:
        return self.title

    def clean(self) -> None:
        if self.ended_on and self.started_on and self.ended_on < self.started_on:
            raise ValidationError({"ended_on": "A round cannot end before it starts."})
        if moved_away(self, "negotiation_id") and self.attendees.exists():
            raise ValidationError(
                {"negotiation": "This round has attendees; it cannot move to another negotiation."}
            )


class Stance(models.TextChoices):
    DEMAND = "demand", "Demand"
    OFFER = "offer", "Offer"
    PROPOSAL = "proposal", "Proposal"
    REJECTION = "rejection", "Rejection"


class PositionStatus(models.TextChoices):
    REPORTED = "reported", "Reported"
    CONFIRMED = "confirmed", "Confirmed"
    DENIED = "denied", "Denied"
    RETRACTED = "retracted", "Retracted"


WITHDRAWN_STATUSES = (PositionStatus.DENIED, PositionStatus.RETRACTED)


class EqualsAny(Lookup):
    """`lhs = ANY(rhs)`, rhs an array (PostgreSQL)."""

    lookup_name = "equals_any"

    def as_sql(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        rhs, rhs_params = self.process_rhs(compiler, connection)
        return f"{lhs} = ANY({rhs})", (*lhs_params, *rhs_params)


class PositionQuerySet(models.QuerySet):
    def for_negotiation(self, negotiation: Negotiation) -> PositionQuerySet:
        return self.filter(issue__negotiation=negotiation)

    def standing_as_of(self, as_of: dt.date, known_by: dt.date | None = None) -> PositionQuerySet:
        """Positions that could be someone's current position on `as_of`.

        Stated by then, not yet denied or retracted by then, not a term of a conditional
        package, and (with `known_by`) reported by a source published by then; with
        `known_by`, a denial counts only once the source reporting it was published.
        """
        withdrawn = Q(status__in=WITHDRAWN_STATUSES, status_changed_on__lte=as_of)
        if known_by is not None:
            withdrawn &= Q(status_source__published_on__lte=known_by)
        positions = self.filter(stated_on__lte=as_of).exclude(withdrawn)
        positions = positions.exclude(package__is_conditional=True)
        if known_by is not None:
            positions = positions.filter(source__published_on__lte=known_by)
        return positions

    def withdrawn_by(self, as_of: dt.date, known_by: dt.date | None = None) -> PositionQuerySet:
        """Claims stated by `as_of` and denied or retracted by then; with `known_by`, only
        claims and denials reported by sources published by then (as standing_as_of counts
        them)."""
        withdrawn = self.filter(
            stated_on__lte=as_of, status__in=WITHDRAWN_STATUSES, status_changed_on__lte=as_of
        )
        if known_by is not None:
            withdrawn = withdrawn.filter(
                source__published_on__lte=known_by, status_source__published_on__lte=known_by
            )
        return withdrawn

    def latest_per_pair(self, negotiation: Negotiation | int, candidates: PositionQuerySet):
        """The latest of `candidates` for each (issue, participant) pair of the negotiation, as
        one query: an indexed lookup per pair, so its cost follows the number of pairs."""
        latest_for_pair = (
            candidates.filter(
                issue=models.OuterRef("pair_issue"), participant=models.OuterRef("pk")
            )
            .order_by("-stated_on", "-recorded_at", "-id")
            .values("pk")[:1]
        )
        pairs = (
            Participant.objects.filter(negotiation=negotiation)
            .annotate(pair_issue=F("negotiation__issues__id"))
            .annotate(latest=models.Subquery(latest_for_pair))
            .order_by()
            .values("latest")
        )
        if connection.vendor == "postgresql":
            # "= ANY(ARRAY(…))" runs the probes once, before the scan; "IN (…)" made PostgreSQL
            # run each pair's probe twice (once to make the ids unique, once to fetch the row).
            return self.filter(EqualsAny(F("pk"), ArraySubquery(pairs)))
        return self.filter(pk__in=pairs)

    def first_recorded(self, records: Iterable[tuple]) -> dict[tuple, dt.datetime]:
        """Of `records` (values of SAME_RECORD's fields), those a stored position already
        holds, each with when it was first recorded: the "already on record" of the importer
        and the forms. One query, narrowed to the records' issues and dates."""
        wanted = set(records)
        if not wanted:
            return {}
        issue_at, date_at = SAME_RECORD.index("issue_id"), SAME_RECORD.index("stated_on")
        stored = (
            self.filter(
                issue_id__in={record[issue_at] for record in wanted},
                stated_on__in={record[date_at] for record in wanted},
            )
            .order_by("recorded_at")
            .values_list(*SAME_RECORD, "recorded_at")
        )
        found: dict[tuple, dt.datetime] = {}
        for *record, recorded_at in stored:
            if tuple(record) in wanted:  # Decimal("9.00") == Decimal("9"), and hashes alike
                found.setdefault(tuple(record), recorded_at)
        return found

    def history_rows(
        self, issue: Issue, columns: Sequence[str], since: dt.date | None = None
    ) -> list[tuple]:
        """The positions on `issue` that can shape its gap history, as rows of `columns`; with
        `since`, only those that can stand on a day from `since` on.

        Of the positions an actor stated on one day and never withdrew, only the latest recorded
        can ever be current (it outranks the rest for good); withdrawn ones are all kept, since
        each stood until its withdrawal; terms of conditional packages never stand. On a long
        history that is a small part of the issue's rows. One query: on PostgreSQL DISTINCT ON
        read in the order of the covering index position_latest_per_pair (no sort, no table
        access), on SQLite a window function.

        From `since` on, of the positions stated before it an actor's latest never withdrawn one
        outranks the others for good, and those withdrawn before it never stand again; so those
        two kinds are left out too.
        """
        conditional = Package.objects.filter(
            negotiation_id=issue.negotiation_id, is_conditional=True
        ).values("pk")
        # A subquery, not a join: a join would lose the index order and force a sort.
        on_issue = self.filter(issue=issue).exclude(package_id__in=conditional).order_by()
        never_withdrawn = on_issue.exclude(status__in=WITHDRAWN_STATUSES)
        withdrawn = on_issue.filter(status__in=WITHDRAWN_STATUSES)
        if since is not None:
            standing_before = self.latest_per_pair(
                issue.negotiation_id, never_withdrawn.filter(stated_on__lt=since)
            )
            never_withdrawn = never_withdrawn.filter(stated_on__gte=since)
            withdrawn = withdrawn.exclude(status_changed_on__lt=since)
        if connection.vendor == "postgresql":
            latest_of_day = (
                never_withdrawn.order_by("participant_id", "-stated_on", "-recorded_at", "-id")
                .distinct("participant_id", "stated_on")
                .values_list(*columns)
            )
            others = [withdrawn.values_list(*columns)]
            if since is not None:
                others.append(standing_before.order_by().values_list(*columns))
            return list(latest_of_day.union(*others, all=True).order_by())
        latest_of_day = (
            never_withdrawn.annotate(
                rank_in_day=models.Window(
                    RowNumber(),
                    partition_by=[F("participant_id"), F("stated_on")],
                    order_by=[F("recorded_at").desc(), F("id").desc()],
                )
            )
            .filter(rank_in_day=1)
            .values("pk")
        )
        kept = Q(pk__in=latest_of_day) | Q(pk__in=withdrawn.values("pk"))
        if since is not None:
            kept |= Q(pk__in=standing_before.values("pk"))
        return list(self.filter(kept).order_by().values_list(*columns))

    def current_as_of(
        self, negotiation: Negotiation, as_of: dt.date, known_by: dt.date | None = None
    ) -> PositionQuerySet:
        """Each participant's current position on each issue of `negotiation`, in one query.

        The latest standing position by stated date, ties broken by the latest recorded.
        """
        return self.latest_per_pair(negotiation, Position.objects.standing_as_of(as_of, known_by))


# What the current-position probes and an issue's history read, carried in their indexes on
# PostgreSQL so that they never visit the table.
HISTORY_INDEX_COLUMNS = [
    "status",
    "status_changed_on",
    "package",
    "stance",
    "value_min",
    "value_max",
    "value_bool",
    "value_option",
]


class Position(Versioned):
    """What one participant holds on one issue, from a given date, according to one source.

    Never overwritten by a new statement: a changed stance is a new Position, so the history stays
    queryable. The value columns used depend on the issue's kind: quantity → value_min/value_max
    (equal for an exact number, one of them empty for an open range); yes/no → value_bool;
    scale → value_option; text → none (the summary says it).
    """

    uid = models.UUIDField(
        "identifier",
        default=uuid.uuid4,
        unique=True,
        editable=False,
        help_text="Stable identifier, kept across exports and imports.",
    )
    issue = models.ForeignKey(Issue, on_delete=models.PROTECT, related_name="positions")
    participant = models.ForeignKey(
        Participant, on_delete=models.PROTECT, related_name="positions", verbose_name="actor"
    )
    stance = models.CharField(max_length=10, choices=Stance.choices)
    value_min = models.DecimalField(
        "from",
        max_digits=14,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal(0))],
    )
    value_max = models.DecimalField(
        "to",
        max_digits=14,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal(0))],
    )
    value_bool = models.BooleanField("yes/no", null=True, blank=True)
    value_option = models.ForeignKey(
        ScaleOption,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="positions",
        verbose_name="option",
    )
    summary = models.CharField(
        max_length=300, validators=[one_line], help_text="The position in one line."
    )
    stated_on = models.DateField(
        validators=[not_in_future, not_before_1900],
        help_text="When the actor held or stated this position.",
    )
    source = models.ForeignKey(Source, on_delete=models.PROTECT, related_name="positions")
    attribution = models.CharField(
        max_length=200,
        blank=True,
        validators=[one_line],
        help_text="Who in the source: a named person, 'unnamed senior official', "
        "'Egyptian sources'.",
    )
    credibility = models.PositiveSmallIntegerField(
        choices=Credibility.choices,
        validators=[MinValueValidator(1), MaxValueValidator(6)],
        help_text="How credible this information is, on the Admiralty scale 1–6.",
    )
    status = models.CharField(
        max_length=10, choices=PositionStatus.choices, default=PositionStatus.REPORTED
    )
    status_source = models.ForeignKey(
        Source,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="status_changes",
        help_text="The report that confirmed, denied or retracted it.",
    )
    status_attribution = models.CharField(
        max_length=200,
        blank=True,
        validators=[one_line],
        help_text="Who confirmed, denied or retracted it.",
    )
    status_changed_on = models.DateField(
        null=True,
        blank=True,
        validators=[not_in_future, not_before_1900],
        help_text="When it was confirmed, denied or retracted.",
    )
    conditions = models.TextField(blank=True, help_text="Conditions attached, in words.")
    is_vague = models.BooleanField(
        "deliberately vague", default=False, help_text="The wording was left deliberately vague."
    )
    package = models.ForeignKey(
        Package, on_delete=models.PROTECT, null=True, blank=True, related_name="positions"
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="recorded_positions",
        editable=False,
    )
    recorded_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(
        default=timezone.now,
        editable=False,
        help_text="When it was recorded, or last edited, confirmed or denied.",
    )

    objects = PositionQuerySet.as_manager()
    history = HistoricalRecords(excluded_fields=["updated_at"])

    class Meta:
        ordering = ["stated_on", "recorded_at", "id"]
        indexes = [
            # "The latest standing position of this participant on this issue as of a date".
            models.Index(
                fields=["issue", "participant", "-stated_on", "-recorded_at", "-id"],
                include=HISTORY_INDEX_COLUMNS,
                name="position_latest_per_pair",
            ),
            # Denied and retracted positions, few among many: an issue's history reads them all.
            models.Index(
                fields=["issue", "participant", "-stated_on", "-recorded_at", "-id"],
                include=HISTORY_INDEX_COLUMNS,
                condition=Q(status__in=WITHDRAWN_STATUSES),
                name="position_withdrawn",
            ),
            models.Index(fields=["-updated_at", "-id"], name="position_recent_changes"),
            # An issue's positions, newest first (the issue page, paginated).
            models.Index(
                fields=["issue", "-stated_on", "-recorded_at", "-id"],
                name="position_by_issue",
            ),
            # An actor's positions, newest first (the actor page, paginated).
            models.Index(
                fields=["participant", "-stated_on", "-recorded_at", "-id"],
                name="position_by_actor",
            ),
            # Whether a negotiation cites a source, by one short probe per source (positions.csv
            # on SQLite); the foreign keys' own indexes hold the source alone.
            models.Index(fields=["source", "issue"], name="position_by_source"),
            models.Index(fields=["status_source", "issue"], name="position_by_status_source"),
        ]
        constraints = [
            filled_check("position", "summary"),
            one_line_check("position", "summary", "attribution", "status_attribution"),
            models.CheckConstraint(
                condition=Q(stance__in=Stance.values), name="position_stance_valid"
            ),
            models.CheckConstraint(
                condition=Q(status__in=PositionStatus.values), name="position_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(credibility__gte=1) & Q(credibility__lte=6),
                name="position_credibility_1_to_6",
                violation_error_message="Credibility runs from 1 to 6.",
            ),
            from_1900("stated_on", "position_stated_from_1900"),
            from_1900("status_changed_on", "position_status_changed_from_1900"),
            models.CheckConstraint(
                condition=(Q(value_min__isnull=True) | Q(value_min__gte=0))
                & (Q(value_max__isnull=True) | Q(value_max__gte=0)),
                name="position_quantity_not_negative",
                violation_error_message="A quantity cannot be negative.",
            ),
            models.CheckConstraint(
                condition=Q(value_min__isnull=True)
                | Q(value_max__isnull=True)
                | Q(value_min__lte=F("value_max")),
                name="position_range_min_not_above_max",
                violation_error_message="The lower end of a range cannot be above the upper end.",
            ),
            models.CheckConstraint(
                condition=(
                    (Q(value_min__isnull=True) & Q(value_max__isnull=True))
                    | (Q(value_bool__isnull=True) & Q(value_option__isnull=True))
                )
                & (Q(value_bool__isnull=True) | Q(value_option__isnull=True)),
                name="position_one_kind_of_value",
                violation_error_message="A position holds one kind of value only.",
            ),
            models.CheckConstraint(
                condition=~Q(status__in=WITHDRAWN_STATUSES)
                | (Q(status_source__isnull=False) & Q(status_changed_on__isnull=False)),
                name="position_withdrawal_has_source_and_date",
                violation_error_message="A denial or retraction needs its source and date.",
            ),
            models.CheckConstraint(
                condition=~Q(status=PositionStatus.REPORTED)
                | (
                    Q(status_source__isnull=True)
                    & Q(status_changed_on__isnull=True)
                    & Q(status_attribution="")
                ),
                name="position_reported_has_no_status_details",
                violation_error_message=(
                    "Only a confirmed, denied or retracted position has a status source, date "
                    "or attribution."
                ),
            ),
            models.CheckConstraint(
                condition=Q(status_changed_on__isnull=True)
                | Q(status_changed_on__gte=F("stated_on")),
                name="position_status_changes_after_statement",
                violation_error_message="A status cannot change before the position was stated.",
            ),
            # "Already on record" (SAME_RECORD), for the requests the forms' check cannot see: two
            # saves of one report at once. A unique index counts empty values as all different,
            # so an empty value reads as one no position holds (quantities are never negative).
            models.UniqueConstraint(
                F("issue"),
                F("participant"),
                F("stance"),
                Coalesce("value_min", Value(-1), output_field=models.DecimalField()),
                Coalesce("value_max", Value(-1), output_field=models.DecimalField()),
                Coalesce(Cast("value_bool", models.IntegerField()), Value(-1)),
                Coalesce("value_option", Value(0)),
                F("stated_on"),
                F("source"),
                F("summary"),
                name="position_recorded_once",
                violation_error_message=(
                    "This position is already on record, with the same stance, value, date, "
                    "source and summary."
                ),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.participant.actor.short_name} · {self.issue}: {self.summary}"

    def save(self, *args, **kwargs) -> None:
        if self._state.adding:
            self.updated_at = self.recorded_at
        else:
            self.updated_at = timezone.now()
            if kwargs.get("update_fields") is not None:
                kwargs["update_fields"] = {*kwargs["update_fields"], "updated_at"}
        super().save(*args, **kwargs)

    def get_absolute_url(self) -> str:
        return reverse("negotiations:position", args=[self.issue.negotiation.slug, self.uid])

    @property
    def is_withdrawn(self) -> bool:
        return self.status in WITHDRAWN_STATUSES

    @property
    def was_changed(self) -> bool:
        """Edited, confirmed, denied or retracted since it was recorded."""
        return self.updated_at != self.recorded_at

    def clean(self) -> None:
        errors: dict[str, list[str]] = {}

        def add(field: str, message: str) -> None:
            errors.setdefault(field, []).append(message)

        issue = self._related("issue")
        participant = self._related("participant")
        if issue is not None:
            self._clean_value(issue, add)
            if participant is not None and participant.negotiation_id != issue.negotiation_id:
                add("participant", "This actor does not take part in this issue's negotiation.")
        if self.package_id:
            if participant is not None and self.package.proposer_id != participant.pk:
                add("package", "Only the package's proposer holds positions in it.")
            if issue is not None and self.package.negotiation_id != issue.negotiation_id:
                add("package", "This package belongs to another negotiation.")
        source = self._related("source")
        if (
            source is not None
            and source.published_on
            and self.stated_on
            and self.stated_on > source.published_on
        ):
            add(
                "stated_on",
                f"The source was published on {source.published_on:%-d %B %Y}; "
                "it cannot report a position stated after that.",
            )
        status_source = self._related("status_source")
        if self.status in WITHDRAWN_STATUSES:
            if status_source is None:
                add("status_source", f"Name the source that reports it {self.status}.")
            elif not self.status_changed_on:
                # Asked once the source is named: the workspace takes a blank date as the
                # report's own, so asking for both at once would ask for what it needs not.
                add("status_changed_on", f"Give the date it was {self.status}.")
        if self.status == PositionStatus.REPORTED:
            # Only a confirmation, denial or retraction has a source, date and words of its own.
            given = {
                "status_source": self.status_source_id,
                "status_changed_on": self.status_changed_on,
                "status_attribution": self.status_attribution,
            }
            for name, value in given.items():
                if value:
                    add(
                        name,
                        "Only a confirmed, denied or retracted position has this; leave it blank.",
                    )
        if (
            status_source is not None
            and status_source.published_on
            and self.status_changed_on
            and self.status_changed_on > status_source.published_on
        ):
            add(
                "status_changed_on",
                f"That source was published on {status_source.published_on:%-d %B %Y}; "
                "it cannot report a change after that.",
            )
        if self.status_changed_on and self.stated_on and self.status_changed_on < self.stated_on:
            add("status_changed_on", "A status cannot change before the position was stated.")
        if errors:
            raise ValidationError(errors)

    def _related(self, name: str):
        """The related object if one is set (saved or not), else None."""
        try:
            return getattr(self, name)
        except ObjectDoesNotExist:
            return None

    def _clean_value(self, issue: Issue, add) -> None:
        has_quantity = self.value_min is not None or self.value_max is not None
        if issue.kind == IssueKind.QUANTITY:
            if not has_quantity:
                add("value_min", f"Give a number of {issue.unit}, or one end of a range.")
            elif issue.whole_numbers and not all(
                is_whole(value) for value in (self.value_min, self.value_max)
            ):
                add("value_min", f"{issue.unit.capitalize()} are counted in whole numbers.")
            elif (
                self.value_min is not None
                and self.value_max is not None
                and self.value_min > self.value_max
            ):
                add("value_max", "The upper end of a range cannot be below the lower end.")
        elif has_quantity:
            add("value_min", "Only a quantity issue takes a number.")
        if issue.kind == IssueKind.YES_NO and self.value_bool is None:
            add("value_bool", "Choose yes or no.")
        elif issue.kind != IssueKind.YES_NO and self.value_bool is not None:
            add("value_bool", "Only a yes/no issue takes yes or no.")
        if issue.kind == IssueKind.SCALE:
            if not self.value_option_id:
                add("value_option", "Choose one of the scale's options.")
            elif self.value_option.issue_id != issue.pk:
                add("value_option", "This option belongs to another issue's scale.")
        elif self.value_option_id:
            add("value_option", "Only a scale issue takes an option.")

    @property
    def value_display(self) -> str:
        """The value in words: "9 hostages", "40–70 days", "at least 11 hostages", "yes"."""
        kind = self.issue.kind
        if kind == IssueKind.QUANTITY:
            return gaps.describe_range(
                self.value_min, self.value_max, self.issue.unit, self.issue.unit_singular
            )
        if kind == IssueKind.YES_NO:
            return "yes" if self.value_bool else "no"
        if kind == IssueKind.SCALE:
            return self.value_option.label
        return ""


# ---------------------------------------------------------------------------------------------
# Derived data: an issue's gap history, stored as positions change (negotiations/gap_days.py)


class StoredGapHistory(models.Model):
    """An issue's gap on every change day (gaps.DailyGap, encoded by gap_days.encode), true for one
    state of its negotiation.

    `basis` is the negotiation's `data_changed_at` the days were computed for; once the
    negotiation's stamp has moved past it, the days are not used (and are recomputed). One row
    per issue, so that reading or rewriting the history is one query however long it grows.
    """

    issue = models.OneToOneField(
        Issue, on_delete=models.CASCADE, primary_key=True, related_name="stored_gap_history"
    )
    basis = models.DateTimeField()
    days = models.JSONField(default=list)

    def __str__(self) -> str:
        return f"{self.issue}: gap history as of {self.basis:%Y-%m-%d %H:%M:%S}"
