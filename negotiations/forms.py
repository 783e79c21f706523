"""Every input goes through a form, query strings included: a bad value is a message, not a 500."""

import datetime as dt

from django import forms
from django.utils import timezone

EARLIEST = dt.date(1900, 1, 1)


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%d", **kwargs)


def check_not_future(day: dt.date) -> None:
    today = timezone.localdate()
    if day > today:
        raise forms.ValidationError(
            f"{day:%-d %B %Y} is in the future; pick a date up to today ({today:%-d %B %Y}).",
            code="future",
        )
    if day < EARLIEST:
        raise forms.ValidationError("Pick a date after 1900.", code="too_early")


class TableQueryForm(forms.Form):
    """The gap table's controls: the as-of date, what to show, how to sort."""

    SORTS = (("order", "Issue order"), ("gap", "Widest gap first"))

    as_of = forms.DateField(
        label="As of",
        required=False,
        widget=DateInput(),
        input_formats=["%Y-%m-%d"],
        validators=[check_not_future],
        error_messages={"invalid": "Enter the date as YYYY-MM-DD, e.g. 2025-04-14."},
        help_text="Positions held on this date (blank: today).",
    )
    known = forms.BooleanField(
        label="Only what had been reported by then",
        required=False,
        help_text="Leave out positions whose source was published after the as-of date.",
    )
    withdrawn = forms.BooleanField(label="Show denied and retracted claims", required=False)
    sort = forms.ChoiceField(label="Order", choices=SORTS, required=False)

    def resolved(self) -> "TableQuery":
        """The query to run: the form's values when valid, else today's default table."""
        today = timezone.localdate()
        data = self.cleaned_data if self.is_valid() else {}
        as_of = data.get("as_of") or today
        return TableQuery(
            as_of=as_of,
            known_by=as_of if data.get("known") else None,
            show_withdrawn=bool(data.get("withdrawn")),
            sort=data.get("sort") or "order",
            is_today=as_of == today,
        )


class TableQuery:
    def __init__(self, as_of, known_by, show_withdrawn, sort, is_today):
        self.as_of = as_of
        self.known_by = known_by
        self.show_withdrawn = show_withdrawn
        self.sort = sort
        self.is_today = is_today


class AsOfForm(forms.Form):
    """An as-of date alone, for exports and package views."""

    as_of = TableQueryForm.base_fields["as_of"]
    known = TableQueryForm.base_fields["known"]


class PageForm(forms.Form):
    page = forms.IntegerField(
        min_value=1,
        max_value=1_000_000,
        required=False,
        error_messages={"invalid": "The page must be a whole number."},
    )
