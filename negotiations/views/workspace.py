"""The analysts' workspace: record, correct, deny, delete and restore, import.

Every view checks its permission on the server, whatever the page showed. With htmx, forms are
swapped in place (a failed form comes back with 422, a stale one with 409); without JavaScript
the same views serve whole pages and redirect after a successful POST.
"""

from __future__ import annotations

from collections.abc import Callable

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.db.models import OuterRef, Subquery
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.defaultfilters import pluralize
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods, require_safe
from django_htmx.http import retarget, trigger_client_event

from negotiations import drafts, editing, snapshot
from negotiations.forms import (
    REPORT_ROWS,
    ImportConfirmForm,
    ImportUploadForm,
    NewSourceForm,
    PositionForm,
    RefusesRepeats,
    ReportSourceForm,
    RoundForm,
    SourceEditForm,
    StatusForm,
    TableQueryForm,
    report_formset_class,
    source_label,
)
from negotiations.importer import ImportRefused, apply_import, plan_import
from negotiations.models import Issue, Negotiation, Participant, Position, Round, Source
from negotiations.spreadsheets import POSITION_COLUMNS
from negotiations.views.conditional import readable_negotiation
from negotiations.views.public import paginate, status_for

POSITIONS_CHANGED = "positions-changed"
DELETED_PER_PAGE = 50
HISTORY_MODELS = {"position": Position, "source": Source, "round": Round}


def analyst_view(*permissions: str):
    """Signed in, with every permission named, or no entry (checked on every request)."""

    def decorate(view):
        return login_required(permission_required(permissions, raise_exception=True)(view))

    return decorate


def table_url(negotiation: Negotiation, query: str = "", anchor: str = "") -> str:
    url = reverse("negotiations:gap_table", args=[negotiation.slug])
    return f"{url}{query}{'#' + anchor if anchor else ''}"


@require_safe
@login_required
def workspace_home(request: HttpRequest) -> HttpResponse:
    negotiations = Negotiation.objects.order_by("-data_changed_at")
    if not request.user.has_perm("negotiations.view_negotiation"):
        negotiations = negotiations.public()
    recent = (
        Position.history.select_related("history_user").order_by("-history_date")[:20]
        if request.user.has_perm("negotiations.view_position")
        else []
    )
    return TemplateResponse(
        request,
        "negotiations/workspace.html",
        {"negotiations": negotiations, "recent": recent},
    )


# ---------------------------------------------------------------------------------------------
# Recording a new position in place


@require_http_methods(["GET", "POST"])
@analyst_view("negotiations.add_position", "negotiations.add_source")
@drafts.brings_back
def record_position(request: HttpRequest, slug: str, issue: str, actor: str) -> HttpResponse:
    negotiation = readable_negotiation(request, slug)
    found_issue = get_object_or_404(Issue, negotiation=negotiation, slug=issue)
    participant = get_object_or_404(
        Participant.objects.select_related("actor"), negotiation=negotiation, actor__slug=actor
    )
    if request.htmx and request.GET.get("cancel"):
        return HttpResponse("")
    table_form = TableQueryForm(request.GET)
    query = table_form.resolved()
    # Back to the table as asked for, less any value it would refuse.
    table_query = table_form.query_string(*TableQueryForm.LINKS["table_query"])
    position = Position(issue=found_issue, participant=participant, recorded_by=request.user)
    data = drafts.sent(request)
    # Forms for several cells can be open in the table at once: ids of their own, so that a
    # label never reaches into another cell's form.
    auto_id = f"id_{found_issue.slug}_{participant.actor.slug}_%s"
    new_source = NewSourceForm(data, prefix="new-source", auto_id=auto_id)
    form = PositionForm(
        data,
        instance=position,
        issue=found_issue,
        participant=participant,
        new_source=new_source,
        # Opened from the table as of a date: most likely the day the analyst is reading about.
        # From today's table, blank: the day the report was published.
        initial={"stated_on": None if query.is_today else query.as_of},
        auto_id=auto_id,
    )
    if request.method == "POST" and form.is_valid() and new_source.is_valid_or_empty():
        try:
            with transaction.atomic():
                if new_source.is_filled():
                    position.source = new_source.save()
                form.save()
        except IntegrityError as error:
            form.refuse_repeat(error)
        else:
            if request.htmx:
                return updated_row(request, negotiation, position, table_form)
            messages.success(request, f"Recorded: {position}.")
            return redirect(table_url(negotiation, table_query, f"issue-{found_issue.slug}"))
    if new_source.recorded is not None:  # the report typed in again: in the menu, to be picked
        form.fields["source"].offer(form.cleaned_data.get("source"), new_source.recorded)
    context = {
        "negotiation": negotiation,
        "issue": found_issue,
        "participant": participant,
        "form": form,
        "new_source": new_source,
        "query": query,
        "table_query": table_query,
        "columns": negotiation.participants.count() + 3,
    }
    status = 422 if request.method == "POST" else 200
    if request.htmx:
        # The form row replaces itself: a fresh form, or the same one with its errors.
        return TemplateResponse(
            request, "negotiations/record.html#record-row", context, status=status
        )
    return TemplateResponse(request, "negotiations/record.html", context, status=status)


def updated_row(request, negotiation, saved: Position, table_form) -> HttpResponse:
    """The issue's refreshed row in place of the form, and a word on what was saved (and why
    the row does not show it, when it does not); other fragments refresh on the event."""
    issue, participant = saved.issue, saved.participant
    query = table_form.resolved()
    table = snapshot.load_table(negotiation, query.as_of, query.known_by, only=issue)
    (row,) = table.rows
    withdrawn = (
        snapshot.load_withdrawn(negotiation, query.as_of, query.known_by, only=issue)
        if query.show_withdrawn
        else {}
    )
    shown = next(cell.position for cell in row.cells if cell.participant.pk == participant.pk)
    response = TemplateResponse(
        request,
        "negotiations/record.html#saved",
        {
            "negotiation": negotiation,
            "row": snapshot.row_view(table, row, withdrawn),
            "participant": participant,
            "query": query,
            "can_record": True,
            **table_form.link_queries(),
            "saved": saved,
            "not_shown": snapshot.why_not_shown(saved, shown, query.as_of, query.known_by),
        },
    )
    response = retarget(response, f"#issue-{issue.slug}")
    response["HX-Reswap"] = "outerHTML"
    return trigger_client_event(response, POSITIONS_CHANGED, {"issue": issue.slug})


# ---------------------------------------------------------------------------------------------
# Correcting, confirming or denying, deleting


def position_for_change(request: HttpRequest, uid) -> Position:
    position = get_object_or_404(
        Position.objects.select_related(
            "issue__negotiation",
            "participant__actor",
            "source",
            "status_source",
            "package",
            "value_option",
        ),
        uid=uid,
    )
    readable_negotiation(request, position.issue.negotiation.slug)
    return position


def back_to(position: Position) -> str:
    return position.get_absolute_url()


def conflict_response(request, template: str, context: dict, stale: editing.StaleEdit):
    """409, showing what the other analyst changed. The form (if any) now carries the current
    version, so that saving it again is a deliberate overwrite."""
    form = context.get("form")
    if form is not None:
        form.data = form.data.copy()
        form.data["version"] = stale.current.version
    context["stale"] = stale
    return TemplateResponse(request, template, context, status=409)


@require_http_methods(["GET", "POST"])
@analyst_view("negotiations.change_position")
@drafts.brings_back
def edit_position(request: HttpRequest, uid) -> HttpResponse:
    position = position_for_change(request, uid)
    data = drafts.sent(request)
    new_source = NewSourceForm(data, prefix="new-source")
    form = PositionForm(
        data,
        instance=position,
        issue=position.issue,
        participant=position.participant,
        new_source=new_source,
        may_add_source=request.user.has_perm("negotiations.add_source"),
    )
    return save_position_change(
        request,
        form,
        new_source,
        source_field="source",
        template="negotiations/edit_position.html",
        done=lambda: "Correction saved. The earlier version is kept in its history.",
    )


@require_http_methods(["GET", "POST"])
@analyst_view("negotiations.change_position", "negotiations.add_source")
@drafts.brings_back
def change_status(request: HttpRequest, uid) -> HttpResponse:
    position = position_for_change(request, uid)
    data = drafts.sent(request)
    new_source = NewSourceForm(data, prefix="new-source")
    form = StatusForm(data, instance=position, new_source=new_source)
    return save_position_change(
        request,
        form,
        new_source,
        source_field="status_source",
        template="negotiations/status.html",
        done=lambda: f"Marked {position.get_status_display().lower()}.",
    )


def save_position_change(
    request: HttpRequest,
    form,
    new_source: NewSourceForm,
    *,
    source_field: str,
    template: str,
    done: Callable[[], str],
) -> HttpResponse:
    """Save an edit of an existing position, with the report it cites typed in beside it if
    need be, unless someone saved the position in between (409, showing their change)."""
    position = form.instance
    context = {
        "position": position,
        "form": form,
        "new_source": new_source,
        "negotiation": position.issue.negotiation,
    }
    if request.method == "POST" and form.is_valid() and new_source.is_valid_or_empty():
        try:
            with transaction.atomic():
                if new_source.is_filled():
                    setattr(position, source_field, new_source.save())
                editing.save_if_current(form.save(commit=False), form.cleaned_data["version"])
        except editing.StaleEdit as stale:
            return conflict_response(request, template, context, stale)
        except IntegrityError as error:
            if not isinstance(form, RefusesRepeats):
                raise
            form.refuse_repeat(error)
        else:
            messages.success(request, done())
            return redirect(back_to(position))
    status = 422 if request.method == "POST" else 200
    return TemplateResponse(request, template, context, status=status)


@require_http_methods(["GET", "POST"])
@analyst_view("negotiations.delete_position")
def delete_position(request: HttpRequest, uid) -> HttpResponse:
    position = position_for_change(request, uid)
    negotiation = position.issue.negotiation
    context = {"position": position, "negotiation": negotiation}
    if request.method == "POST":
        try:
            version = int(request.POST.get("version", ""))
        except ValueError:
            return TemplateResponse(
                request,
                "negotiations/delete_position.html",
                {**context, "error": "The form is incomplete; reload it."},
                status=422,
            )
        try:
            editing.delete_if_current(position, version)
        except editing.StaleEdit as stale:
            return conflict_response(request, "negotiations/delete_position.html", context, stale)
        messages.success(request, "Deleted. It can be restored from the deleted records.")
        return redirect(reverse("negotiations:deleted", args=[negotiation.slug]))
    return TemplateResponse(request, "negotiations/delete_position.html", context)


# ---------------------------------------------------------------------------------------------
# History and restoring


@require_http_methods(["GET", "POST"])
@login_required
def record_history(request: HttpRequest, kind: str, pk: int) -> HttpResponse:
    model = HISTORY_MODELS.get(kind)
    if model is None:
        raise Http404("No history for that kind of record.")
    if not request.user.has_perm(f"negotiations.view_{kind}"):
        raise PermissionDenied
    versions = list(
        model.history.filter(id=pk)
        .select_related("history_user")
        .order_by("-history_date", "-history_id")  # a save's records: its newest first
    )
    if not versions:
        raise Http404("No such record.")
    saves = editing.saves(versions)
    current = model.objects.filter(pk=pk).first()
    may_restore = request.user.has_perms(
        [f"negotiations.change_{kind}", f"negotiations.add_{kind}"]
    )
    if request.method == "POST":
        if not may_restore:
            raise PermissionDenied
        # A save's state is its newest record (a round's attendees come in a second one).
        chosen = next(
            (
                save[0]
                for save in saves
                for v in save
                if str(v.history_id) == request.POST.get("history_id")
            ),
            None,
        )
        if chosen is None or chosen.history_type == "-":
            messages.error(request, "Choose one of the versions listed to restore.")
            return redirect(request.path)
        try:
            expected = int(request.POST.get("version") or 0) or None
        except ValueError:
            expected = -1
        if current is not None and expected is None:
            # Without the version it replaces, a restore could undo changes never seen.
            messages.error(request, "Choose the version to restore from the list again.")
            return redirect(request.path)
        try:
            editing.restore(chosen, current, expected)
        except editing.StaleEdit as stale:
            messages.error(
                request,
                f"This record was changed by {stale.who} while you were looking at it; "
                "check the list again before restoring.",
            )
            return redirect(request.path)
        except editing.RestoreRefused as refused:
            messages.error(request, str(refused))
            return redirect(request.path)
        messages.success(
            request, f"Restored the version of {chosen.history_date:%-d %B %Y, %H:%M}."
        )
        return redirect(request.path)
    entries = [
        {
            "version": newer[0],
            "saved_as": newer[-1],  # created, changed, restored: what began the save
            "changes": editing.version_changes(older[0], newer[0]) if older else [],
            "is_current": current is not None and newer is saves[0],
        }
        for newer, older in zip(saves, [*saves[1:], None], strict=True)
    ]
    return TemplateResponse(
        request,
        "negotiations/history.html",
        {
            "kind": kind,
            "entries": entries,
            "current": current,
            "label": editing.label(versions[0]),
            "may_restore": may_restore,
            "negotiation": negotiation_of(kind, versions[0]) if current is None else None,
        },
    )


def negotiation_of(kind: str, version) -> Negotiation | None:
    """The negotiation a deleted record belonged to, if it still exists (a source can serve
    several: none)."""
    if kind == "position":
        return Negotiation.objects.filter(issues__pk=version.issue_id).first()
    if kind == "round":
        return Negotiation.objects.filter(pk=version.negotiation_id).first()
    return None


@require_safe
@analyst_view("negotiations.view_position")
def deleted_positions(request: HttpRequest, slug: str) -> HttpResponse:
    negotiation = readable_negotiation(request, slug)
    # A record deleted, restored and deleted again is listed once, at its latest deletion.
    latest_deletion = (
        Position.history.filter(id=OuterRef("id"), history_type="-")
        .order_by("-history_date", "-history_id")
        .values("history_id")[:1]
    )
    deleted = (
        Position.history.filter(history_type="-", issue__negotiation=negotiation)
        .exclude(uid__in=Position.objects.for_negotiation(negotiation).values("uid"))
        .filter(history_id=Subquery(latest_deletion))
        .select_related("history_user", "participant__actor", "issue")
        .order_by("-history_date", "-history_id")
    )
    page, page_form = paginate(request, deleted, DELETED_PER_PAGE)
    return TemplateResponse(
        request,
        "negotiations/deleted.html",
        {"negotiation": negotiation, "page": page},
        status=status_for(page_form),
    )


# ---------------------------------------------------------------------------------------------
# Importing a CSV file


@require_http_methods(["GET", "POST"])
@analyst_view(
    "negotiations.add_position", "negotiations.change_position", "negotiations.add_source"
)
def import_positions(request: HttpRequest, slug: str) -> HttpResponse:
    negotiation = readable_negotiation(request, slug)
    context: dict = {
        "negotiation": negotiation,
        "upload": ImportUploadForm(),
        "columns": POSITION_COLUMNS,
    }
    if request.method == "GET":
        return TemplateResponse(request, "negotiations/import.html", context)
    if "payload" in request.POST:
        previewed = ImportConfirmForm(request.POST).previewed()
        if previewed is None:
            context["problems"] = [
                "The confirmation expired or was damaged; upload the file again."
            ]
            return TemplateResponse(request, "negotiations/import.html", context, status=422)
        previewed_for, content, versions, actions = previewed
        if previewed_for != negotiation.pk:
            context["problems"] = [
                "This confirmation comes from the import page of another negotiation; "
                "upload the file here again."
            ]
            return TemplateResponse(request, "negotiations/import.html", context, status=422)
        plan = plan_import(content, negotiation)
        changed = plan.changed_since(versions, actions)
        if changed:
            context["problems"] = [
                f"{changed} position{pluralize(changed)} in the file changed since the preview "
                "(someone saved or recorded them, or this file was imported already); check "
                "the file again before importing it."
            ]
            return TemplateResponse(request, "negotiations/import.html", context, status=409)
        try:
            result = apply_import(plan, user=request.user)
        except ImportRefused as refused:
            context.update(plan=plan, problems=refused.messages)
            return TemplateResponse(request, "negotiations/import.html", context, status=422)
        messages.success(
            request,
            f"Imported {result.created} new and {result.updated} updated "
            f"position{pluralize(result.created + result.updated)} ({result.unchanged} "
            f"unchanged, {result.already_recorded} already on record, {result.sources} new "
            f"source{pluralize(result.sources)}).",
        )
        return redirect(table_url(negotiation))
    upload = ImportUploadForm(request.POST, request.FILES)
    context["upload"] = upload
    if not upload.is_valid():
        return TemplateResponse(request, "negotiations/import.html", context, status=422)
    content = upload.cleaned_data["file"]
    plan = plan_import(content, negotiation)
    context["plan"] = plan
    if plan.ok:
        payload = ImportConfirmForm.sign(negotiation.pk, content, plan.versions(), plan.actions())
        if len(payload) > ImportConfirmForm.LIMIT:
            context["too_large"] = True
        else:
            context["confirm"] = ImportConfirmForm(initial={"payload": payload})
    status = 200 if plan.ok else 422
    return TemplateResponse(request, "negotiations/import.html", context, status=status)


# ---------------------------------------------------------------------------------------------
# Source-first entry: a report and every position it carries, saved together


@require_http_methods(["GET", "POST"])
@analyst_view("negotiations.add_position", "negotiations.add_source")
@drafts.brings_back
def new_report(request: HttpRequest, slug: str) -> HttpResponse:
    negotiation = readable_negotiation(request, slug)
    ReportFormSet = report_formset_class()
    if request.method == "GET" and request.htmx and "positions-TOTAL_FORMS" in request.GET:
        return add_report_row(request, negotiation, ReportFormSet)
    data = drafts.sent(request)
    picker = ReportSourceForm(data, prefix="report")
    picked = picker.picked
    # Required unless a report is picked, which the page can change: so no `required` in the
    # page, where it would stop a form with a picked report from being sent.
    source_form = NewSourceForm(
        data, prefix="source", required=picked is None, use_required_attribute=False
    )
    formset = ReportFormSet(data, prefix="positions", negotiation=negotiation)
    if request.method == "POST":
        if picked is not None and source_form.is_filled():
            picker.add_error("source", "Pick a report on record or type in a new one, not both.")
        typed_ok = picked is not None or source_form.is_valid()  # checked even if the pick is not
        source_ok = not picker.errors and typed_ok
        for form in formset.forms:
            form.instance.source = picked or source_form.instance
            form.instance.recorded_by = request.user
        rows_ok = formset.is_valid()  # checked even when the report is not: every problem at once
        if source_ok and rows_ok:
            try:
                with transaction.atomic():
                    source = picked or source_form.save()
                    saved = 0
                    for form in formset.forms:
                        if form.has_changed():
                            position = form.save(commit=False)
                            position.source = source
                            position.save()
                            saved += 1
            except IntegrityError as error:
                formset.refuse_repeats(error)
            else:
                positions = f"{saved} position{pluralize(saved)}"
                messages.success(
                    request,
                    f"Added {positions} to the report on record: {source_label(source)}."
                    if picked
                    else f"Saved the report from {source.outlet} with {positions}.",
                )
                return redirect(table_url(negotiation))
    if source_form.recorded is not None:  # the report typed in again: in the menu, to be picked
        picker.fields["source"].offer(picked, source_form.recorded)
    context = {
        "negotiation": negotiation,
        "picker": picker,
        "source_form": source_form,
        "formset": formset,
    }
    if request.method == "POST":
        # Where the problems are, said at the top: one in row 40 is easy to miss.
        context["to_check"] = [
            *(
                [("report-source", "the report")]
                if picker.errors or (picked is None and source_form.errors)
                else []
            ),
            *(
                (f"row-{form.prefix}", f"position {number}")
                for number, form in enumerate(formset.forms, start=1)
                if form.errors
            ),
            *([("report-rows", "the positions")] if formset.non_form_errors() else []),
        ]
    status = 422 if request.method == "POST" else 200
    return TemplateResponse(request, "negotiations/report.html", context, status=status)


def add_report_row(request, negotiation, ReportFormSet) -> HttpResponse:
    """One more empty row, and the formset's new row count (out of band)."""
    try:
        index = int(request.GET["positions-TOTAL_FORMS"])  # the next row's number
    except ValueError:
        index = -1
    if not 0 <= index < REPORT_ROWS:
        return HttpResponse(
            f"A report takes 1 to {REPORT_ROWS} positions; save this one and start another.",
            status=400,
        )
    formset = ReportFormSet(prefix="positions", negotiation=negotiation)
    form = formset._construct_form(index, negotiation=negotiation)
    return TemplateResponse(
        request,
        "negotiations/report.html#new-row",
        {
            "form": form,
            "formset": formset,
            "next_row": index + 1,
            "full": index + 1 >= REPORT_ROWS,
            "negotiation": negotiation,
        },
    )


# ---------------------------------------------------------------------------------------------
# Sources and rounds


@require_http_methods(["GET", "POST"])
@analyst_view("negotiations.change_source")
@drafts.brings_back
def edit_source(request: HttpRequest, slug: str) -> HttpResponse:
    source = get_object_or_404(Source, slug=slug)
    form = SourceEditForm(drafts.sent(request), instance=source)
    # Where the analyst came from (the sources page of a negotiation), if it is one of ours.
    back = request.GET.get("next", "")
    if not url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}):
        back = ""
    context = {"source": source, "form": form, "back": back}
    if request.method == "POST" and form.is_valid():
        try:
            editing.save_if_current(form.save(commit=False), form.cleaned_data["version"])
        except editing.StaleEdit as stale:
            return conflict_response(request, "negotiations/edit_source.html", context, stale)
        messages.success(request, "Source saved. The earlier version is kept in its history.")
        return redirect(back or reverse("negotiations:edit_source", args=[source.slug]))
    status = 422 if request.method == "POST" else 200
    return TemplateResponse(request, "negotiations/edit_source.html", context, status=status)


@require_http_methods(["GET", "POST"])
@analyst_view("negotiations.add_round")
@drafts.brings_back
def new_round(request: HttpRequest, slug: str) -> HttpResponse:
    return round_form(request, readable_negotiation(request, slug), None)


@require_http_methods(["GET", "POST"])
@analyst_view("negotiations.change_round")
@drafts.brings_back
def edit_round(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    negotiation = readable_negotiation(request, slug)
    return round_form(
        request, negotiation, get_object_or_404(Round, negotiation=negotiation, pk=pk)
    )


def round_form(request, negotiation, round_) -> HttpResponse:
    form = RoundForm(drafts.sent(request), instance=round_, negotiation=negotiation)
    context = {"negotiation": negotiation, "form": form, "round": round_}
    if request.method == "POST" and form.is_valid():
        try:
            with transaction.atomic():
                saved = form.save(commit=False)
                if round_ is None:
                    saved.save()
                else:
                    editing.save_if_current(saved, form.cleaned_data["version"])
                form.save_m2m()
        except editing.StaleEdit as stale:
            return conflict_response(request, "negotiations/round.html", context, stale)
        messages.success(request, f"Saved the round “{saved.title}”.")
        return redirect(table_url(negotiation))
    status = 422 if request.method == "POST" else 200
    return TemplateResponse(request, "negotiations/round.html", context, status=status)
