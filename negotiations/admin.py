"""The back office, for editors. Every form here runs the models' own `clean()`, like the workspace
and the seed loader, and the database refuses what the constraints forbid. Every model keeps its
history: the "History" button lists each version with who changed what, and reverts to one."""

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.db.models import Count, QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from simple_history.admin import SimpleHistoryAdmin

from negotiations import editing
from negotiations.forms import VersionField
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

LATEST_POSITIONS = 20

admin.site.site_header = "Gapwatch back office"
admin.site.site_title = "Gapwatch"
admin.site.index_title = "Negotiations, actors, sources and positions"


class VersionCheckedForm(forms.ModelForm):
    """A form that refuses a save from a page opened before someone else saved the record, as
    the workspace does (negotiations/editing.py): nobody silently overwrites anybody."""

    # Not "version": the model's own field of that name is not editable.
    loaded_version = VersionField(required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["loaded_version"].required = True
            # An inline's rows (with a prefix) are read fresh from the database; the page's own
            # record may be an old version that "Revert" fills the form from: read its stored
            # version, one query rather than one per row.
            self.fields["loaded_version"].initial = (
                self.instance.version
                if self.prefix is not None
                else type(self.instance)
                .objects.filter(pk=self.instance.pk)
                .values("version")
                .first()["version"]
            )

    def clean(self):
        cleaned = super().clean()
        loaded = cleaned.get("loaded_version")
        if self.instance.pk and loaded is not None:
            # Locked until the admin's transaction ends, after the save: none slips between.
            current = type(self.instance).objects.select_for_update().get(pk=self.instance.pk)
            if current.version != loaded:
                stale = editing.stale(current, loaded)
                changed = ", ".join(change.label for change in stale.changes) or "it"
                when = f" on {stale.when:%-d %B %Y, %H:%M} UTC" if stale.when else ""
                # A row of an inline (a negotiation's issues, say) has a prefix: name the row.
                record = (
                    "This record"
                    if self.prefix is None
                    else f"The {self.instance._meta.verbose_name} “{current}”"
                )
                raise forms.ValidationError(
                    f"{record} was saved by {stale.who}{when}, after you opened this page, "
                    f"changing {changed}. Nothing was saved: reload the page to see their "
                    "version, then make your change again.",
                    code="stale",
                )
        return cleaned


class GapwatchAdmin(SimpleHistoryAdmin):
    form = VersionCheckedForm


class ParticipantInline(admin.TabularInline):
    model = Participant
    form = VersionCheckedForm
    extra = 0
    autocomplete_fields = ["actor"]
    fields = ["actor", "role", "order", "loaded_version"]


class IssueInline(admin.TabularInline):
    model = Issue
    form = VersionCheckedForm
    extra = 0
    fields = ["title", "slug", "kind", "unit", "whole_numbers", "order", "loaded_version"]
    show_change_link = True
    prepopulated_fields = {"slug": ["title"]}


@admin.register(Negotiation)
class NegotiationAdmin(GapwatchAdmin):
    list_display = ["title", "slug", "status", "is_public", "issue_count", "data_changed_at"]
    list_filter = ["status", "is_public"]
    search_fields = ["title", "slug", "summary"]
    prepopulated_fields = {"slug": ["title"]}
    readonly_fields = ["created_at", "data_changed_at"]
    inlines = [ParticipantInline, IssueInline]

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return super().get_queryset(request).annotate(issue_total=Count("issues"))

    @admin.display(description="issues", ordering="issue_total")
    def issue_count(self, negotiation: Negotiation) -> int:
        return negotiation.issue_total


@admin.register(Actor)
class ActorAdmin(GapwatchAdmin):
    list_display = ["name", "short_name", "kind", "wikidata_qid", "ucdp_actor_id", "acled_name"]
    list_filter = ["kind"]
    search_fields = ["name", "short_name", "slug", "other_names", "wikidata_qid", "acled_name"]
    prepopulated_fields = {"slug": ["name"]}


@admin.register(Participant)
class ParticipantAdmin(GapwatchAdmin):
    list_display = ["actor", "negotiation", "role", "order"]
    list_filter = ["role", "negotiation"]
    search_fields = ["actor__name", "actor__short_name", "negotiation__title"]
    autocomplete_fields = ["actor", "negotiation"]
    list_select_related = ["actor", "negotiation"]


class ScaleOptionForm(VersionCheckedForm):
    def validate_constraints(self):
        """A rank is checked among the options on the page (the formset does), not against
        the stored ranks it may be swapping with."""
        try:
            self.instance.validate_constraints(exclude={*self._get_validation_exclusions(), "rank"})
        except ValidationError as error:
            self._update_errors(error)


class ScaleOptionFormSet(forms.BaseInlineFormSet):
    def save_existing_objects(self, commit=True):
        """Options changing rank first move to ranks no option has, so that the database's
        unique (issue, rank), checked row by row, never sees two options at one rank."""
        moving = [
            form.instance.pk
            for form in self.initial_forms
            if "rank" in form.changed_data and form not in self.deleted_forms
        ]
        ScaleOption.objects.filter(pk__in=moving).set_aside()
        return super().save_existing_objects(commit)


class ScaleOptionInline(admin.TabularInline):
    model = ScaleOption
    form = ScaleOptionForm
    formset = ScaleOptionFormSet
    extra = 0
    fields = ["rank", "key", "label", "meaning", "loaded_version"]


@admin.register(Issue)
class IssueAdmin(GapwatchAdmin):
    list_display = ["title", "negotiation", "kind", "unit", "order", "position_count"]
    list_filter = ["kind", "negotiation"]
    search_fields = ["title", "slug", "description"]
    prepopulated_fields = {"slug": ["title"]}
    list_select_related = ["negotiation"]
    inlines = [ScaleOptionInline]
    # Positions are listed, not edited inline: an issue gathers thousands of them, far more than
    # one form can carry, and each is edited on its own page.
    readonly_fields = ["latest_positions"]

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return super().get_queryset(request).annotate(position_total=Count("positions"))

    @admin.display(description="positions", ordering="position_total")
    def position_count(self, issue: Issue) -> int:
        return issue.position_total

    @admin.display(description="latest positions")
    def latest_positions(self, issue: Issue) -> str:
        if issue.pk is None:
            return "None yet."
        latest = issue.positions.select_related("participant__actor").order_by(
            "-stated_on", "-recorded_at", "-id"
        )[:LATEST_POSITIONS]
        every = reverse("admin:negotiations_position_changelist") + f"?issue__id__exact={issue.pk}"
        return format_html(
            '<ul>{}</ul><p><a href="{}">All {} positions on this issue</a></p>',
            format_html_join(
                "",
                '<li><a href="{}">{}</a> ({}, {})</li>',
                (
                    (
                        reverse("admin:negotiations_position_change", args=[position.pk]),
                        position.summary,
                        position.participant.actor.short_name,
                        f"{position.stated_on:%-d %b %Y}",
                    )
                    for position in latest
                ),
            ),
            every,
            issue.position_total,
        )


@admin.register(ScaleOption)
class ScaleOptionAdmin(GapwatchAdmin):
    list_display = ["label", "issue", "rank", "key"]
    list_filter = ["issue__negotiation"]
    search_fields = ["label", "key", "meaning", "issue__title"]
    list_select_related = ["issue"]


@admin.register(Source)
class SourceAdmin(GapwatchAdmin):
    list_display = ["outlet", "headline", "published_on", "grade"]
    list_filter = ["grade", "outlet"]
    search_fields = ["outlet", "headline", "url", "slug"]
    date_hierarchy = "published_on"
    prepopulated_fields = {"slug": ["outlet", "published_on"]}


@admin.register(Package)
class PackageAdmin(GapwatchAdmin):
    list_display = ["title", "negotiation", "proposer", "is_conditional", "stated_on", "source"]
    list_filter = ["is_conditional", "negotiation"]
    search_fields = ["title", "summary"]
    autocomplete_fields = ["source"]
    list_select_related = ["negotiation", "proposer__actor", "source"]
    prepopulated_fields = {"slug": ["title"]}


class RoundAdminForm(VersionCheckedForm):
    def clean(self):
        cleaned = super().clean()
        negotiation = cleaned.get("negotiation")
        strangers = [
            str(attendee)
            for attendee in cleaned.get("attendees") or []
            if negotiation is not None and attendee.negotiation_id != negotiation.pk
        ]
        if strangers:
            self.add_error(
                "attendees",
                "Only participants in this round's negotiation can attend it: "
                + "; ".join(strangers),
            )
        return cleaned


@admin.register(Round)
class RoundAdmin(GapwatchAdmin):
    form = RoundAdminForm
    list_display = ["title", "negotiation", "location", "started_on", "ended_on", "outcome"]
    list_filter = ["negotiation"]
    search_fields = ["title", "location", "attendance", "outcome"]
    autocomplete_fields = ["source"]
    filter_horizontal = ["attendees"]
    list_select_related = ["negotiation"]
    prepopulated_fields = {"slug": ["title"]}


@admin.register(Position)
class PositionAdmin(GapwatchAdmin):
    list_display = [
        "summary",
        "actor_name",
        "issue",
        "stance",
        "value",
        "stated_on",
        "source_grade",
        "status",
    ]
    list_filter = ["stance", "status", "issue__negotiation", "participant__role", "credibility"]
    search_fields = [
        "summary",
        "attribution",
        "conditions",
        "participant__actor__name",
        "issue__title",
        "source__outlet",
    ]
    date_hierarchy = "stated_on"
    autocomplete_fields = ["source", "status_source"]
    readonly_fields = ["uid", "recorded_by", "recorded_at"]
    list_select_related = [
        "participant__actor",
        "issue",
        "source",
        "value_option",
    ]
    fieldsets = [
        (None, {"fields": ["issue", "participant", "stance", "summary", "stated_on"]}),
        (
            "Value",
            {
                "fields": ["value_min", "value_max", "value_bool", "value_option"],
                "description": "Fill in what the issue's kind takes: a number or a range (from/to) "
                "for a quantity, yes/no, a scale option, or nothing for a text issue.",
            },
        ),
        ("Source", {"fields": ["source", "attribution", "credibility"]}),
        (
            "Status",
            {"fields": ["status", "status_source", "status_attribution", "status_changed_on"]},
        ),
        ("More", {"fields": ["conditions", "is_vague", "package"]}),
        ("Record", {"fields": ["uid", "recorded_by", "recorded_at", "loaded_version"]}),
    ]

    @admin.display(description="actor", ordering="participant__actor__name")
    def actor_name(self, position: Position) -> str:
        return position.participant.actor.short_name

    @admin.display(description="value")
    def value(self, position: Position) -> str:
        return position.value_display

    @admin.display(description="grade", ordering="source__grade")
    def source_grade(self, position: Position) -> str:
        return f"{position.source.grade}{position.credibility}"

    def save_model(self, request, obj, form, change):
        if not change:
            obj.recorded_by = request.user
        super().save_model(request, obj, form, change)
