"""Every input goes through a form, query strings included: a bad value is a message, not a 500."""

import base64
import datetime as dt
import re
from dataclasses import dataclass
from urllib.parse import urlencode

from django import forms
from django.conf import settings
from django.contrib.auth.forms import AuthenticationForm
from django.db import IntegrityError
from django.utils import timezone
from django.utils.functional import cached_property

from negotiations.gaps import format_number
from negotiations.models import EARLIEST_DATE as EARLIEST
from negotiations.models import SAME_RECORD, not_before_1900, refused_as_repeat


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%d", **kwargs)


# How a switch in a query string may be written: a checkbox sends "on"; people and scripts
# writing addresses by hand use the others.
SWITCH_WORDS = {"on": True, "true": True, "yes": True, "1": True}
SWITCH_WORDS |= {"off": False, "false": False, "no": False, "0": False, "": False}


def switched_on(value) -> bool:
    return SWITCH_WORDS.get(value.lower(), False) if isinstance(value, str) else bool(value)


class SwitchInput(forms.CheckboxInput):
    """A checkbox that hands the field what was sent, instead of Django's "any text is on"."""

    def __init__(self, attrs=None):
        super().__init__(attrs, check_test=switched_on)

    def format_value(self, value):
        return None  # ticked, it sends "on", whatever word the address held

    def value_from_datadict(self, data, files, name):
        return data.get(name)


class QuerySwitch(forms.BooleanField):
    """An on/off choice in a query string: "off", "0" and "no" are off, and a word that is
    neither is refused, rather than taken as "on"."""

    widget = SwitchInput
    default_error_messages = {"invalid": "Write “on” or “off”."}

    def __init__(self, **kwargs):
        super().__init__(required=False, **kwargs)

    def to_python(self, value):
        if value is None or isinstance(value, bool):
            return bool(value)
        try:
            return SWITCH_WORDS[str(value).lower()]
        except KeyError:
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid") from None


def check_not_future(day: dt.date) -> None:
    today = timezone.localdate()
    if day > today:
        raise forms.ValidationError(
            f"{day:%-d %B %Y} is in the future; pick a date up to today ({today:%-d %B %Y}).",
            code="future",
        )
    not_before_1900(day)


class QueryDateField(forms.DateField):
    """A date in an address, written YYYY-MM-DD; one so written that the calendar lacks
    (2025-02-29) is told apart from one written some other way."""

    def to_python(self, value):
        try:
            return super().to_python(value)
        except forms.ValidationError:
            if re.fullmatch(r"\d{4}-\d{1,2}-\d{1,2}", str(value).strip(), flags=re.ASCII):
                raise forms.ValidationError(
                    f"{value.strip()} is written right, but there is no such day.",
                    code="no_such_day",
                ) from None
            raise

    def bound_data(self, data, initial):
        # Shown again in the box as sent, but never control characters (a NUL in an address).
        return data if data is None or str(data).isprintable() else ""


class AsOfForm(forms.Form):
    """An as-of date, and whether to keep to what had been reported by then: for exports and
    package pages, which take nothing else from the table's controls."""

    as_of = QueryDateField(
        label="As of",
        required=False,
        widget=DateInput(attrs={"min": EARLIEST.isoformat()}),
        input_formats=["%Y-%m-%d"],
        validators=[check_not_future],
        error_messages={"invalid": "Enter the date as YYYY-MM-DD, e.g. 2025-04-14."},
        help_text="Positions held on this date (blank: today).",
    )
    known = QuerySwitch(
        label="Only what had been reported by then",
        help_text="Leave out positions whose source was published after the as-of date.",
    )

    # What the table shows instead of a value it cannot take, field by field.
    FALLBACKS = {
        "as_of": "Showing today’s positions instead.",
        "known": "Showing every position, reported by then or not.",
    }

    def resolved(self) -> "TableQuery":
        """The query to run: each value the form takes, and the default for each it refuses
        (a bad order does not throw away a good date)."""
        today = timezone.localdate()
        self.is_valid()
        data = self.cleaned_data  # the fields that passed
        as_of = data.get("as_of") or today
        return TableQuery(
            as_of=as_of,
            known_by=as_of if data.get("known") else None,
            show_withdrawn=bool(data.get("withdrawn")),
            sort=data.get("sort") or "order",
            is_today=as_of == today,
        )

    DATE = ("as_of", "known")

    def date_query(self) -> str:
        """The query that carries the page's date on to the pages it links to."""
        return self.query_string(*self.DATE)

    def query_string(self, *names: str) -> str:
        """The address's query for `names`, from the values the form took ("?as_of=…&known=on";
        "" when none): a refused value, or a default, is left out rather than passed on."""
        self.is_valid()
        taken = {}
        for name in names:
            value = self.cleaned_data.get(name)
            if name == "as_of" and value:
                taken[name] = value.isoformat()
            elif name in ("known", "withdrawn") and value:
                taken[name] = "on"
            elif name == "sort" and value == "gap":
                taken[name] = value
        return "?" + urlencode(taken) if taken else ""

    def problems(self) -> list["QueryProblem"]:
        """Each refused value's field, message, and what is shown instead, in the fields'
        order. Each has the id that its control's aria-describedby names."""
        return [
            QueryProblem(
                f"{self[name].auto_id}_error",
                str(self.fields[name].label),
                " ".join([*errors, self.FALLBACKS[name]]),
            )
            for name, errors in self.errors.items()
        ]


@dataclass(frozen=True)
class QueryProblem:
    id: str
    label: str
    text: str


class IssueDateForm(AsOfForm):
    """The date of the gap table a reader came to an issue's history from: the page marks it
    and gives that day's gap, and its way back leads to that table."""

    FALLBACKS = {
        "as_of": "Showing the history without a date marked.",
        "known": "Giving that day’s gap from every position, reported by then or not.",
    }


class GapExportForm(AsOfForm):
    """What gaps.csv and gaps.json take from the table's controls: its date, whether to keep to
    what had been reported by then, and its order."""

    SORTS = (("order", "Issue order"), ("gap", "Widest gap first"))

    FALLBACKS = {
        **AsOfForm.FALLBACKS,
        "sort": "Showing the issues in their usual order.",
    }

    sort = forms.ChoiceField(
        label="Order",
        choices=SORTS,
        required=False,
        error_messages={
            "invalid_choice": (
                "Order by “Issue order” (sort=order) or “Widest gap first” (sort=gap)."
            )
        },
    )


class TableQueryForm(GapExportForm):
    """The gap table's controls: the as-of date, what to show, how to sort."""

    FALLBACKS = {
        **GapExportForm.FALLBACKS,
        "as_of": "Showing today’s table instead.",
        "withdrawn": "Leaving out denied and retracted claims.",
    }
    field_order = ["as_of", "known", "withdrawn", "sort"]

    # What the table's links carry to other pages: its date to every page, its order too to
    # its files, and everything it shows to itself (the parts that refresh, the record forms).
    LINKS = {
        "date_query": AsOfForm.DATE,
        "export_query": (*AsOfForm.DATE, "sort"),
        "table_query": (*AsOfForm.DATE, "withdrawn", "sort"),
    }

    def link_queries(self) -> dict[str, str]:
        return {link: self.query_string(*names) for link, names in self.LINKS.items()}

    withdrawn = QuerySwitch(label="Show denied and retracted claims")


class TableQuery:
    def __init__(self, as_of, known_by, show_withdrawn, sort, is_today):
        self.as_of = as_of
        self.known_by = known_by
        self.show_withdrawn = show_withdrawn
        self.sort = sort
        self.is_today = is_today


class PageForm(forms.Form):
    # A page past the end, however far, is the last page (with a word that says so).
    page = forms.IntegerField(
        min_value=1,
        required=False,
        error_messages={
            "invalid": "The page must be a whole number.",
            "min_value": "Pages are numbered from 1.",
        },
    )


# ---------------------------------------------------------------------------------------------
# The analysts' workspace


def source_label(source) -> str:
    headline = source.headline if len(source.headline) <= 70 else source.headline[:69] + "…"
    return f"{source.outlet}, {source.published_on:%-d %b %Y}: {headline} ({source.grade})"


RECENT_SOURCES = 150


class ParticipantsField(forms.ModelMultipleChoiceField):
    """Participants ticked in a list. An id no database column can hold is refused here: Django
    would pass it to an `IN (…)` query, which SQLite answers with an OverflowError."""

    LARGEST_ID = 2**63 - 1

    def clean(self, value):
        for choice in value or ():
            if str(choice).isdigit() and int(choice) > self.LARGEST_ID:
                raise forms.ValidationError(
                    self.error_messages["invalid_pk_value"],
                    code="invalid_pk_value",
                    params={"pk": choice},
                )
        return super().clean(value)


class SourcePicker(forms.ModelChoiceField):
    """Any source is accepted; the menu offers the most recent ones (and the current choice)."""

    def __init__(self, **kwargs):
        from negotiations.models import Source

        super().__init__(queryset=Source.objects.all(), **kwargs)

    def offer(self, *wanted, new_one_below: bool = True) -> None:
        """Offer the recent sources, and any `wanted` ones (the current choice, a report the
        analyst typed in again) older than those; `new_one_below` when the form has a new
        source's fields."""
        from negotiations.models import Source

        recent = list(Source.objects.order_by("-published_on", "-id")[:RECENT_SOURCES])
        for source in reversed(wanted):
            if source is not None and source not in recent:
                recent.insert(0, source)
        prompt = "— pick a source, or add a new one below —" if new_one_below else "— none —"
        self.widget.choices = [("", prompt)] + [
            (source.pk, source_label(source)) for source in recent
        ]

    def label_from_instance(self, source) -> str:
        return source_label(source)


class NewSourceForm(forms.ModelForm):
    """A report typed in next to a position: optional there, required on its own."""

    class Meta:
        from negotiations.models import Source

        model = Source
        fields = ["outlet", "headline", "url", "published_on", "grade", "grade_note"]
        widgets = {
            "published_on": DateInput(),
            "grade_note": forms.Textarea(attrs={"rows": 2}),
            "url": forms.URLInput(),
        }
        labels = {"published_on": "Published on"}

    def __init__(self, *args, required: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.required = required
        self.recorded = None
        """The source on record that this report repeats, once checked."""
        self.fields["published_on"].validators.append(check_not_future)
        if not required:
            for field in self.fields.values():
                field.required = False

    def is_filled(self) -> bool:
        if self.required:
            return True
        return any(
            (self.data.get(self.add_prefix(name)) or "").strip()
            for name in ("outlet", "headline", "url", "published_on")
        )

    def is_valid_or_empty(self) -> bool:
        """Valid, or left empty where a new source is optional."""
        return not self.is_filled() or self.is_valid()

    def clean(self):
        cleaned = super().clean()
        if not self.required and self.is_filled():
            for name in ("outlet", "headline", "published_on", "grade"):
                if not cleaned.get(name) and name not in self.errors:
                    self.add_error(name, "Needed for a new source.")
        outlet, headline = cleaned.get("outlet"), cleaned.get("headline")
        typed = {"outlet", "headline", "published_on"}
        if (
            outlet
            and headline
            and cleaned.get("published_on")
            and (self.instance.pk is None or typed & set(self.changed_data))
        ):
            recorded = self.recorded = self.recorded_as(outlet, headline, cleaned["published_on"])
            if recorded is not None and self.instance.pk is None:
                self.add_error(
                    None,
                    f"This report is already on record: {source_label(recorded)}. Pick it "
                    "from the menu above rather than typing it again.",
                )
            elif recorded is not None:
                self.add_error(
                    None,
                    f"Another report is on record with this outlet, date and headline: "
                    f"{source_label(recorded)}. Two records of one report would split its "
                    "positions between them.",
                )
        return cleaned

    def recorded_as(self, outlet: str, headline: str, published_on):
        """Another source on record that is the same report as the one typed in."""
        from negotiations.models import Source

        typed = Source(outlet=outlet, headline=headline, published_on=published_on)
        return Source.objects.exclude(pk=self.instance.pk).same_report(typed)

    def save(self, commit: bool = True):
        source = super().save(commit=False)
        if not source.slug:
            source.slug = unique_source_slug(source)
        if commit:
            source.save()
        return source


def unique_source_slug(source) -> str:
    from django.utils.text import slugify

    from negotiations.models import Source

    base = f"{slugify(source.outlet)[:60] or 'source'}-{source.published_on:%Y-%m-%d}"
    slug, counter = base, 2
    while Source.objects.filter(slug=slug).exists():
        slug, counter = f"{base}-{counter}", counter + 1
    return slug


class ModelRulesForm(forms.ModelForm):
    """A model form that shows every message of the model's clean(), including those about
    fields the form does not edit (as errors of the whole form, instead of failing)."""

    def _update_errors(self, errors):
        if hasattr(errors, "error_dict"):
            foreign = {
                field: messages
                for field, messages in errors.error_dict.items()
                if field != "__all__" and field not in self.fields
            }
            if foreign:
                for field, field_errors in foreign.items():
                    del errors.error_dict[field]
                    label = self.instance._meta.get_field(field).verbose_name
                    for error in field_errors:
                        for message in error.messages:
                            errors.error_dict.setdefault("__all__", []).append(
                                forms.ValidationError(f"{str(label).capitalize()}: {message}")
                            )
        super()._update_errors(errors)


class VersionField(forms.IntegerField):
    """The version of the record the form was loaded from (see negotiations/editing.py)."""

    widget = forms.HiddenInput

    def __init__(self, required: bool = True, **kwargs):
        stale_form = "This form is incomplete or out of date: reload the page and try again."
        super().__init__(
            min_value=1,
            required=required,
            error_messages={"required": stale_form, "invalid": stale_form, "min_value": stale_form},
            **kwargs,
        )


VALUE_FIELDS = {
    "quantity": ("amount", "value_min", "value_max"),
    "yes_no": ("value_bool",),
    "scale": ("value_option",),
    "text": (),
}
ALL_VALUE_FIELDS = ("amount", "value_min", "value_max", "value_bool", "value_option")


class RefusesRepeats:
    """A position form that refuses a position already on record (what a second click on
    Save, or a form sent again, would make): the same actor, issue, stance, value, date, source
    and summary, as the importer counts "already on record"."""

    def validate_unique(self):
        super().validate_unique()
        if not self._errors:
            self.refuse_if_on_record()

    def refuse_if_on_record(self) -> bool:
        position = self.instance
        if position.source_id is None:  # a new source: nothing cites it yet
            return False
        from negotiations.models import Position

        record = tuple(getattr(position, name) for name in SAME_RECORD)
        others = Position.objects.exclude(pk=position.pk) if position.pk else Position.objects
        recorded = others.first_recorded([record]).get(record)
        if recorded is not None:
            self.add_error(None, already_recorded(recorded))
        return recorded is not None

    def refuse_repeat(self, error: IntegrityError) -> None:
        """The database refused the save as a repeat the check could not see yet (the same
        form sent twice at once): say so as the check would have. Any other error goes on."""
        if not refused_as_repeat(error):
            raise error
        if not self.refuse_if_on_record():  # the position it repeated was deleted meanwhile
            self.add_error(None, already_recorded(None))


def already_recorded(recorded_at: dt.datetime | None) -> forms.ValidationError:
    when = f" (recorded on {recorded_at:%-d %B %Y, %H:%M} UTC)" if recorded_at else ""
    return forms.ValidationError(
        "This position is already on record, with the same stance, value, date, source and "
        f"summary{when}. Nothing was saved.",
        code="already_recorded",
    )


class DateFromReport:
    """A position form whose "Stated on", left blank, is the day its report was published."""

    def date_from_report(self, cleaned: dict, report_wrong: bool) -> None:
        """`report_wrong`: a report without a date has problems its own fields show."""
        if cleaned.get("stated_on") or "stated_on" in self.errors:
            return
        source = self.instance._related("source")
        if source is not None and source.published_on:
            cleaned["stated_on"] = source.published_on
        elif report_wrong:
            self.waits_for_report = True  # not a second message under every position
        else:
            self.add_error("stated_on", "Give the date it was stated.")

    def _update_errors(self, errors):
        if getattr(self, "waits_for_report", False) and hasattr(errors, "error_dict"):
            errors.error_dict.pop("stated_on", None)  # "cannot be null": the same, again
        super()._update_errors(errors)


class ExactAmount:
    """A position form with an "Exactly" box (`amount`) beside the range's two ends: an exact
    number is a range from it to itself."""

    def shape_number_boxes(self, whole_numbers: bool = False) -> None:
        """Boxes that take what the rules take, so that a browser refuses the rest as it is
        typed: nothing below 0, and on an issue counted one by one, whole numbers only."""
        for name in ("amount", "value_min", "value_max"):
            if name in self.fields:
                attrs = self.fields[name].widget.attrs
                attrs["min"] = "0"
                if whole_numbers:
                    attrs["step"] = "1"

    def amount_as_range(self, cleaned: dict) -> None:
        amount = cleaned.get("amount")
        if amount is not None:
            if cleaned.get("value_min") is not None or cleaned.get("value_max") is not None:
                self.add_error("amount", "Give an exact number or a range, not both.")
            else:
                cleaned["value_min"] = cleaned["value_max"] = amount

    def _update_errors(self, errors):
        if hasattr(errors, "error_dict") and "value_min" in errors.error_dict:
            if "amount" in self._errors and self.instance.value_min is None:
                # A number typed in the box but refused ("ten") is not a number left out: the
                # rules' "Give a number of hostages" would only repeat the box's own message.
                del errors.error_dict["value_min"]
            elif "amount" in self.fields and (
                self.cleaned_data.get("amount") is not None
                or all(self.cleaned_data.get(name) is None for name in ("value_min", "value_max"))
            ):
                # The number came from the box, or none was given: the rules' word on it goes
                # under the box, the first of the three ("Give a number of hostages").
                errors.error_dict["amount"] = errors.error_dict.pop("value_min")
        super()._update_errors(errors)


class PositionForm(RefusesRepeats, DateFromReport, ExactAmount, ModelRulesForm):
    """Record a new position of one actor on one issue, or correct an existing record."""

    amount = forms.DecimalField(
        label="Exactly",
        required=False,
        min_value=0,
        max_digits=14,
        decimal_places=2,
        help_text="Exactly this many…",
    )
    source = SourcePicker(required=False, label="Source")

    class Meta:
        from negotiations.models import Position

        model = Position
        fields = [
            "stance",
            "value_min",
            "value_max",
            "value_bool",
            "value_option",
            "summary",
            "stated_on",
            "attribution",
            "credibility",
            "conditions",
            "is_vague",
            "package",
        ]
        widgets = {
            "stance": forms.RadioSelect,
            "value_bool": forms.RadioSelect(choices=[(True, "yes"), (False, "no")]),
            "stated_on": DateInput(),
            "conditions": forms.Textarea(attrs={"rows": 2}),
        }
        labels = {
            "value_min": "At least / from",
            "value_max": "At most / to",
            "value_bool": "Answer",
            "value_option": "Option",
            "stated_on": "Stated on",
        }
        help_texts = {
            "value_max": "…or a range; leave one end blank for an open range (“at least 11”: "
            "the lower end only)."
        }

    version = VersionField(required=False)

    def __init__(
        self,
        *args,
        issue,
        participant,
        new_source: NewSourceForm,
        may_add_source: bool = True,
        **kwargs,
    ):
        super().__init__(*args, **kwargs)
        self.instance.issue = issue
        self.instance.participant = participant
        self.issue = issue
        self.new_source = new_source
        self.may_add_source = may_add_source
        if self.instance.pk:
            self.fields["version"].required = True
            self.fields["version"].initial = self.instance.version
        else:
            del self.fields["version"]
        for name in ALL_VALUE_FIELDS:
            if name not in VALUE_FIELDS[issue.kind]:
                del self.fields[name]
        if "value_bool" in self.fields:
            self.fields["value_bool"] = forms.TypedChoiceField(
                label="Answer",
                choices=[("True", "yes"), ("False", "no")],
                coerce=lambda value: value == "True",
                widget=forms.RadioSelect,
            )
        if "value_option" in self.fields:
            self.fields["value_option"].queryset = issue.options.order_by("rank")
            self.fields["value_option"].empty_label = "— choose an option —"
        if "amount" in self.fields and issue.unit:
            self.fields["amount"].label = f"Exactly ({issue.unit})"
        self.shape_number_boxes(whole_numbers=issue.whole_numbers)
        self.fields["package"].queryset = participant.packages.order_by("-stated_on")
        self.fields["package"].required = False
        self.fields["stance"].choices = [
            choice for choice in self.fields["stance"].choices if choice[0]
        ]
        if not self.instance.pk:
            self.fields["stated_on"].required = False
            self.fields[
                "stated_on"
            ].help_text = "Leave it blank for the day the report was published."
        else:
            self.fields["source"].initial = self.instance.source_id
            # Numbers as people write them: 9, not the column's 9.00.
            for name in ("value_min", "value_max"):
                if self.initial.get(name) is not None:
                    self.initial[name] = format_number(self.initial[name])
            if (
                self.instance.value_min is not None
                and self.instance.value_min == (self.instance.value_max)
                and "amount" in self.fields
            ):
                self.initial["amount"] = format_number(self.instance.value_min)
                self.initial["value_min"] = self.initial["value_max"] = None
        self.fields["source"].offer(self.instance.source if self.instance.source_id else None)
        self.fields["stated_on"].validators.append(check_not_future)

    @property
    def value_fields(self) -> list[forms.BoundField]:
        """The value inputs this issue's kind takes, in order."""
        return [self[name] for name in ALL_VALUE_FIELDS if name in self.fields]

    def clean(self):
        cleaned = super().clean()
        chosen = cleaned.get("source")
        if chosen is not None and self.new_source.is_filled():
            self.add_error("source", "Pick an existing source or add a new one, not both.")
        elif chosen is not None:
            self.instance.source = chosen
        elif self.new_source.is_filled() and not self.may_add_source:
            self.add_error("source", "Your account cannot add sources; pick an existing one.")
        elif self.new_source.is_filled():
            if self.new_source.is_valid():
                self.instance.source = self.new_source.instance
        elif "source" not in self.errors:
            self.add_error(
                "source", "Pick the report this position comes from, or add a new one below."
            )
        # Left blank (new positions only): the day of the report picked or typed in above.
        self.date_from_report(
            cleaned, report_wrong="source" in self.errors or self.new_source.is_filled()
        )
        self.amount_as_range(cleaned)
        return cleaned


class StatusForm(ModelRulesForm):
    """Confirm, deny or retract a position, naming the report that says so."""

    status_source = SourcePicker(required=False, label="Reported by")

    class Meta:
        from negotiations.models import Position

        model = Position
        fields = ["status", "status_attribution", "status_changed_on"]
        widgets = {"status": forms.RadioSelect, "status_changed_on": DateInput()}
        labels = {"status_attribution": "Who said so", "status_changed_on": "On"}
        help_texts = {"status_changed_on": "Leave it blank for the day the report was published."}

    version = VersionField()

    def __init__(self, *args, new_source: NewSourceForm, **kwargs):
        super().__init__(*args, **kwargs)
        self.new_source = new_source
        self.fields["version"].initial = self.instance.version
        self.fields["status_source"].offer(self.instance.status_source)
        self.fields["status_source"].initial = self.instance.status_source_id
        self.fields["status_changed_on"].validators.append(check_not_future)
        self.fields["status"].choices = [c for c in self.fields["status"].choices if c[0]]

    def clean(self):
        cleaned = super().clean()
        chosen = cleaned.get("status_source")
        if cleaned.get("status") == "reported" and (chosen or self.new_source.is_filled()):
            self.add_error(
                "status_source",
                "A position back to “reported” has no confirming or denying source: clear it.",
            )
        elif chosen is not None and self.new_source.is_filled():
            self.add_error("status_source", "Pick an existing source or add a new one, not both.")
        elif chosen is not None:
            self.instance.status_source = chosen
        elif self.new_source.is_filled() and self.new_source.is_valid():
            self.instance.status_source = self.new_source.instance
        elif not self.new_source.is_filled():
            self.instance.status_source = None
        if cleaned.get("status") == "reported":
            self.instance.status_source = None
            cleaned["status_attribution"] = ""
            cleaned["status_changed_on"] = None
        elif not cleaned.get("status_changed_on") and self.instance.status_source is not None:
            # Most reports of a denial are the day's news: blank means the report's own date
            # (a default of today was refused for any report older than today).
            cleaned["status_changed_on"] = self.instance.status_source.published_on
        return cleaned


class ImportUploadForm(forms.Form):
    file = forms.FileField(
        label="CSV file",
        help_text="In the columns of positions.csv (listed above), UTF-8.",
    )

    MAX_BYTES = 5 * 1024 * 1024

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > self.MAX_BYTES:
            raise forms.ValidationError(
                "The file is larger than 5 MB; import it with "
                "`manage.py importpositions FILE` instead."
            )
        return upload.read()


class ImportConfirmForm(forms.Form):
    """The previewed file and the versions of the positions it touches, signed, so that the
    confirmation imports exactly what was previewed, or refuses if anything changed since."""

    payload = forms.CharField(widget=forms.HiddenInput)

    SALT = "gapwatch.import-preview"
    MAX_AGE = 3600
    LIMIT = 2_400_000  # characters: Django refuses larger form fields

    @classmethod
    def sign(
        cls, negotiation_id: int, content: bytes, versions: dict[str, int], actions: list[str]
    ) -> str:
        from django.core import signing

        encoded = base64.b64encode(content).decode("ascii")
        return signing.dumps(
            {
                "negotiation": negotiation_id,
                "content": encoded,
                "versions": versions,
                "actions": actions,
            },
            salt=cls.SALT,
            compress=True,
        )

    def previewed(self) -> tuple[int, bytes, dict[str, int], list[str]] | None:
        """(the negotiation whose page previewed it, file content, versions seen at preview,
        what each row would do), or None if missing, forged or stale."""
        from django.core import signing

        if not self.is_valid():
            return None
        try:
            data = signing.loads(self.cleaned_data["payload"], salt=self.SALT, max_age=self.MAX_AGE)
            return (
                int(data["negotiation"]),
                base64.b64decode(data["content"]),
                dict(data["versions"]),
                [str(action) for action in data["actions"]],
            )
        except (signing.BadSignature, KeyError, TypeError, ValueError):
            return None


class IssueSelect(forms.Select):
    """Each issue's option says its kind (data-kind), so that the row shows the value fields of
    the chosen issue's kind alone: done in CSS (:has), with no script."""

    def create_option(self, name, value, *args, **kwargs):
        option = super().create_option(name, value, *args, **kwargs)
        if getattr(value, "instance", None) is not None:
            option["attrs"]["data-kind"] = value.instance.kind
        return option


class ReportSourceForm(forms.Form):
    """New report's choice of a report already on record, instead of typing it in again."""

    source = SourcePicker(required=False, label="Source")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["source"].offer(self.picked)

    @cached_property
    def picked(self):
        """The source the form was sent with, if it is one (offered even when not recent)."""
        return self.cleaned_data.get("source") if self.is_valid() else None


class ReportPositionForm(DateFromReport, ExactAmount, ModelRulesForm):
    """One position in a new report: any actor, any issue of the negotiation."""

    amount = forms.DecimalField(
        label="Exactly", required=False, min_value=0, max_digits=14, decimal_places=2
    )
    value_bool = forms.TypedChoiceField(
        label="Yes/no",
        required=False,
        choices=[("", "—"), ("True", "yes"), ("False", "no")],
        coerce=lambda value: value == "True",
        empty_value=None,
    )

    class Meta:
        from negotiations.models import Position

        model = Position
        fields = [
            "participant",
            "issue",
            "stance",
            "value_min",
            "value_max",
            "value_bool",
            "value_option",
            "summary",
            "stated_on",
            "attribution",
            "credibility",
            "conditions",
        ]
        widgets = {
            "stated_on": DateInput(),
            "conditions": forms.TextInput(),
            "issue": IssueSelect(),
        }
        labels = {
            "participant": "Actor",
            "value_min": "From",
            "value_max": "To",
            "value_option": "Scale option",
            "stated_on": "Stated on",
        }

    MENUS = ("participant", "issue", "value_option")

    def __init__(self, *args, negotiation, menus: dict | None = None, **kwargs):
        """`menus`: the choices of MENUS, read once for every row of a report."""
        super().__init__(*args, **kwargs)
        from negotiations.models import Issue, Participant, ScaleOption

        self.fields["participant"].queryset = Participant.objects.filter(
            negotiation=negotiation
        ).select_related("actor")
        self.fields["participant"].label_from_instance = lambda p: p.actor.name
        self.fields["issue"].queryset = Issue.objects.filter(negotiation=negotiation)
        options = self.fields["value_option"]
        options.queryset = ScaleOption.objects.filter(issue__negotiation=negotiation)
        if menus is None:
            # Grouped under their issue's title, so that a narrow box still shows the option.
            by_issue: dict = {}
            for option in options.queryset.select_related("issue").order_by(
                "issue__order", "issue_id", "rank"
            ):
                choice = (forms.models.ModelChoiceIteratorValue(option.pk, option), option.label)
                by_issue.setdefault(option.issue.title, []).append(choice)
            options.choices = [("", options.empty_label), *by_issue.items()]
        # Every choice starts blank, so that a row added and left alone is not a position.
        self.fields["stated_on"].validators.append(check_not_future)
        self.fields["stated_on"].required = False
        self.fields["stated_on"].help_text = "Blank: the day the report was published."
        for name, choices in (menus or {}).items():
            self.fields[name].choices = choices
        self.shape_number_boxes()  # whether the row's issue counts in whole numbers is open

    def clean(self):
        cleaned = super().clean()
        # The report is set by the view, picked or typed in; without a date, its own fields
        # are wrong (a date is required there) and say so.
        self.date_from_report(cleaned, report_wrong=True)
        self.amount_as_range(cleaned)
        return cleaned


# A row posts 14 fields; Django refuses a form of more than 1,000 fields.
REPORT_ROWS = 60


class BaseReportFormSet(forms.BaseModelFormSet):
    default_error_messages = {
        "too_few_forms": (
            "Fill in at least one position: a report is saved together with its positions."
        ),
        "too_many_forms": (
            f"A report takes 1 to {REPORT_ROWS} positions; save this one and start another."
        ),
    }

    def __init__(self, *args, negotiation, **kwargs):
        from negotiations.models import Position

        super().__init__(*args, queryset=Position.objects.none(), **kwargs)
        self.negotiation = negotiation

    def get_form_kwargs(self, index):
        return {
            **super().get_form_kwargs(index),
            "negotiation": self.negotiation,
            "menus": self.menus,
        }

    @cached_property
    def menus(self) -> dict:
        """The actor, issue and option menus, read once rather than once per row."""
        form = self.form(negotiation=self.negotiation)
        return {name: list(form.fields[name].choices) for name in self.form.MENUS}

    def clean(self):
        super().clean()
        seen = {}
        for number, form in enumerate(self.forms, start=1):
            if not form.has_changed() or not form.is_valid():
                continue
            key = tuple(getattr(form.instance, name) for name in SAME_RECORD if name != "source_id")
            if key in seen:
                raise forms.ValidationError(
                    f"Position {number} repeats position {seen[key]}: the report would record "
                    "the same statement twice.",
                    code="repeated",
                )
            seen[key] = number
        self.refuse_positions_on_record()

    def refuse_positions_on_record(self) -> None:
        """Rows that repeat a position already on record (a report picked from the record,
        sent again), found in one query for all rows rather than one per row."""
        from negotiations.models import Position

        rows = {
            tuple(getattr(form.instance, name) for name in SAME_RECORD): form
            for form in self.forms
            if form.has_changed() and form.is_valid() and form.instance.source_id is not None
        }
        on_record = Position.objects.first_recorded(rows)
        for record, form in rows.items():
            if record in on_record:
                form.add_error(None, already_recorded(on_record[record]))

    def refuse_repeats(self, error: IntegrityError) -> None:
        """The database refused the report because a row is already on record, recorded by
        someone else since the check (the report sent twice at once): mark the rows as the
        check would have. Any other error goes on."""
        if not refused_as_repeat(error):
            raise error
        self.refuse_positions_on_record()
        if self.is_valid():  # the position it repeated was deleted meanwhile
            self._non_form_errors.append(already_recorded(None))


def report_formset_class():
    from negotiations.models import Position

    return forms.modelformset_factory(
        Position,
        form=ReportPositionForm,
        formset=BaseReportFormSet,
        extra=0,
        min_num=1,
        validate_min=True,
        max_num=REPORT_ROWS,
        validate_max=True,
        # Never build more rows than that, whatever count the form claims (Django's default
        # allows a thousand more: seconds of work for one request).
        absolute_max=REPORT_ROWS,
    )


class SourceEditForm(NewSourceForm):
    version = VersionField()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, required=True, **kwargs)
        self.fields["version"].initial = self.instance.version


class RoundForm(ModelRulesForm):
    source = SourcePicker(required=False, label="Source")
    version = VersionField(required=False)

    class Meta:
        from negotiations.models import Round

        model = Round
        fields = [
            "title",
            "location",
            "started_on",
            "ended_on",
            "attendees",
            "attendance",
            "outcome",
        ]
        field_classes = {"attendees": ParticipantsField}
        widgets = {
            "started_on": DateInput(),
            "ended_on": DateInput(),
            "attendees": forms.CheckboxSelectMultiple,
            "attendance": forms.Textarea(attrs={"rows": 2}),
        }

    def __init__(self, *args, negotiation, **kwargs):
        super().__init__(*args, **kwargs)
        self.instance.negotiation = negotiation
        self.fields["attendees"].queryset = negotiation.participants.select_related("actor")
        self.fields["attendees"].label_from_instance = lambda p: p.actor.name
        self.fields["source"].offer(
            self.instance.source if self.instance.source_id else None, new_one_below=False
        )
        self.fields["source"].initial = self.instance.source_id
        self.fields["started_on"].validators.append(check_not_future)
        if self.instance.pk:
            self.fields["version"].required = True
            self.fields["version"].initial = self.instance.version
        else:
            del self.fields["version"]

    def save(self, commit: bool = True):
        from django.utils.text import slugify

        from negotiations.models import Round

        round_ = super().save(commit=False)
        round_.source = self.cleaned_data.get("source")
        if not round_.slug:
            base = f"{slugify(round_.title)[:60] or 'round'}-{round_.started_on:%Y-%m}"
            slug, counter = base, 2
            while Round.objects.filter(negotiation=round_.negotiation, slug=slug).exists():
                slug, counter = f"{base}-{counter}", counter + 1
            round_.slug = slug
        if commit:
            round_.save()
            self.save_m2m()
        return round_


# ---------------------------------------------------------------------------------------------
# Signing in

CONTROL_CHARACTERS = "".join(chr(code) for code in (*range(0, 32), 127))


class SignInForm(AuthenticationForm):
    """Django's sign-in form, refusing user names no account can have before asking anyone."""

    def clean_username(self) -> str:
        username = self.cleaned_data["username"]
        if len(username) > 150 or any(char in CONTROL_CHARACTERS for char in username):
            raise forms.ValidationError("Enter your user name as it was given to you.")
        return username


def client_address(request) -> str:
    """The address a sign-in came from, for django-axes. Behind our proxy (DJANGO_BEHIND_TLS_PROXY)
    every request comes from the proxy, which appends the address it saw to X-Forwarded-For:
    with DJANGO_PROXY_COUNT proxies in front, that is the entry so many places from the right.
    Entries further left are whatever the client wrote, and are not trusted."""
    direct = request.META.get("REMOTE_ADDR", "")
    if not settings.BEHIND_TLS_PROXY:
        return direct
    forwarded = [entry.strip() for entry in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
    forwarded = [entry for entry in forwarded if entry]
    count = settings.PROXY_COUNT
    # 45 characters: the longest way to write an IP address (IPv6 with an IPv4 tail).
    return forwarded[-count][:45] if len(forwarded) >= count else direct


def axes_username(request, credentials) -> str:
    """The user name django-axes records for a failed sign-in: bounded and printable."""
    raw = (credentials or {}).get("username") or request.POST.get("username", "")
    return "".join(char for char in str(raw) if char not in CONTROL_CHARACTERS)[:150]
