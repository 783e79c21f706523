"""What readers see. Plain function views: read the input through a form, ask the domain, render.

Every page here answers conditional requests (ETag and Last-Modified from the negotiation's
`data_changed_at`) and runs a fixed number of queries whatever the length of the history.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Prefetch, Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.defaultfilters import pluralize
from django.template.response import TemplateResponse
from django.utils import timezone
from django.views.decorators.http import require_safe

from negotiations import charts, gap_days, snapshot
from negotiations.forms import AsOfForm, IssueDateForm, PageForm, TableQueryForm
from negotiations.models import (
    Issue,
    Negotiation,
    Package,
    Participant,
    Position,
    Round,
    Source,
)
from negotiations.views.conditional import (
    FRAGMENT_TARGETS,
    conditional_on_negotiation,
    conditional_on_public_list,
    readable_negotiation,
)

POSITIONS_PER_PAGE = 50
TABLE_POINTS = 100  # the chart draws every change; its table lists the most recent ones
RECORDING = ("negotiations.add_position", "negotiations.add_source")
SOURCES_PER_PAGE = 25


def page_number(request: HttpRequest) -> tuple[int, PageForm]:
    form = PageForm(request.GET)
    page = form.cleaned_data.get("page") if form.is_valid() else None
    return page or 1, form


def paginate(request: HttpRequest, items, per_page: int):
    """A page of `items`; a page number past the end gives the last page, a bad one the first,
    each with a message that says so."""
    number, form = page_number(request)
    paginator = Paginator(items, per_page)
    page = paginator.get_page(number)
    if form.errors:
        messages.error(request, f"{form.errors['page'][0]} Showing the first page.")
    elif number > page.number:
        pages = paginator.num_pages
        messages.info(
            request,
            f"There {'is' if pages == 1 else 'are'} only {pages} page{pluralize(pages)} here: "
            "showing the last.",
        )
    return page, form


def status_for(*forms) -> int:
    return 400 if any(form.errors for form in forms) else 200


@require_safe
@conditional_on_public_list
def home(request: HttpRequest) -> HttpResponse:
    today = timezone.localdate()
    negotiations = [
        {"negotiation": negotiation, "table": snapshot.load_table(negotiation, today)}
        for negotiation in Negotiation.objects.public().order_by("-data_changed_at", "title")
    ]
    return TemplateResponse(request, "negotiations/home.html", {"negotiations": negotiations})


@require_safe
@conditional_on_negotiation
def gap_table(request: HttpRequest, slug: str) -> HttpResponse:
    negotiation = readable_negotiation(request, slug)
    form = TableQueryForm(request.GET)
    query = form.resolved()
    table = snapshot.load_table(negotiation, query.as_of, query.known_by)
    withdrawn = (
        snapshot.load_withdrawn(negotiation, query.as_of, query.known_by)
        if query.show_withdrawn
        else {}
    )
    context = {
        "negotiation": negotiation,
        "form": form,
        "query": query,
        "table": table,
        "rows": [snapshot.row_view(table, row, withdrawn) for row in table.rows_in(query.sort)],
        "packages": snapshot.load_packages(table),
        "section": "table",
        "can_record": request.user.has_perms(RECORDING),
        **form.link_queries(),
    }
    template = "negotiations/gap_table.html"
    if request.htmx and not request.htmx.history_restore_request:
        # One view serves the page and its fragments; the target says which one.
        target = request.htmx.target
        template += "#" + (target if target in FRAGMENT_TARGETS else "table-region")
    return TemplateResponse(request, template, context, status=status_for(form))


@require_safe
@conditional_on_negotiation
def package_detail(request: HttpRequest, slug: str, package: str) -> HttpResponse:
    negotiation = readable_negotiation(request, slug)
    form = AsOfForm(request.GET)
    query = form.resolved()
    table = snapshot.load_table(negotiation, query.as_of, query.known_by)
    compared = {found.slug: (found, against) for found, against in snapshot.load_packages(table)}
    if package not in compared:
        later = (
            Package.objects.filter(negotiation=negotiation, slug=package)
            .select_related("source", "proposer__actor")
            .first()
        )
        if later is None:
            raise Http404("No such package in this negotiation.")
        return package_not_yet(request, negotiation, later, form)
    found, against = compared[package]
    rows = {row.issue.pk: row for row in table.rows}
    terms = []
    for index, term in enumerate(found.positions.all()):
        term.issue = rows[term.issue_id].issue
        facts = rows[term.issue_id].gap.issue
        terms.append(
            {
                "term": term,
                "parties": [
                    {
                        "held": party.terms[index].held,
                        "held_value": facts.describe(party.terms[index].held.value)
                        if party.terms[index].held
                        else "",
                        "words": party.terms[index].describe(facts),
                        "state": party.terms[index].comparison.state,
                    }
                    for party in against
                ],
            }
        )
    return TemplateResponse(
        request,
        "negotiations/package.html",
        {
            "negotiation": negotiation,
            "package": found,
            "against": against,
            "terms": terms,
            "form": form,
            "query": query,
            "date_query": form.date_query(),
            "section": "table",
        },
        status=status_for(form),
    )


def package_not_yet(
    request: HttpRequest, negotiation: Negotiation, package: Package, form: AsOfForm
) -> HttpResponse:
    """A package put forward (or, keeping to what was reported, reported) after the date asked
    for: not on that day's table, so a 404 that says from when it is, with a link."""
    query = form.resolved()
    on_table_from = package.stated_on
    if query.known_by is not None:
        on_table_from = max(on_table_from, package.source.published_on)
    return TemplateResponse(
        request,
        "negotiations/package_not_yet.html",
        {
            "negotiation": negotiation,
            "package": package,
            "form": form,
            "query": query,
            "on_table_from": on_table_from,
            "date_query": form.date_query(),
            "section": "table",
        },
        status=404,
    )


@require_safe
@conditional_on_negotiation
def issue_history(request: HttpRequest, slug: str, issue: str) -> HttpResponse:
    negotiation = readable_negotiation(request, slug)
    found = get_object_or_404(Issue, negotiation=negotiation, slug=issue)
    found.negotiation = negotiation
    form = IssueDateForm(request.GET)
    query = form.resolved()
    # Only a date asked for is marked: without one, the page is the whole history.
    table_day = form.cleaned_data.get("as_of")
    history = gap_days.load_issue_history(found)
    rounds = list(
        Round.objects.filter(negotiation=negotiation)
        .select_related("source")
        .order_by("started_on", "id")
    )
    chart = charts.history_chart(
        history.facts,
        history.days,
        [
            (r.started_on, r.ended_on, r.title if r.ended_on else f"{r.title} (ongoing)")
            for r in rounds
        ],
        marked_day=table_day,
        today=timezone.localdate(),
        whole_numbers=found.whole_numbers,
    )
    table_row = None
    if table_day is not None:  # the table's own row, "as reported by then" included
        table_row = snapshot.load_table(negotiation, table_day, query.known_by, only=found).rows[0]
    positions = (
        Position.objects.filter(issue=found)
        .select_related("participant__actor", "source", "status_source", "package", "value_option")
        .order_by("-stated_on", "-recorded_at", "-id")
    )
    page, page_form = paginate(request, positions, POSITIONS_PER_PAGE)
    for position in page:
        position.issue = found
    return TemplateResponse(
        request,
        "negotiations/issue_history.html",
        {
            "negotiation": negotiation,
            "issue": found,
            "history": history,
            "points": [
                {"gap": day, "between": history.between(day)}
                for day in reversed(history.days[-TABLE_POINTS:])
            ],
            "point_count": len(history.days),
            "chart": chart,
            "rounds": rounds,
            "page": page,
            "form": form,
            "query": query,
            "table_row": table_row,
            "date_query": form.date_query(),
            "section": "table",
        },
        status=status_for(form, page_form),
    )


@require_safe
def position_in_context(request: HttpRequest, slug: str, uid) -> HttpResponse:
    """A position's lasting address: to its entry on the page of its issue's list it is on."""
    negotiation = readable_negotiation(request, slug)
    position = get_object_or_404(
        Position.objects.select_related("issue"), uid=uid, issue__negotiation=negotiation
    )
    position.issue.negotiation = negotiation
    # The issue page lists the newest first: by stated date, then recorded time, then id.
    same_day = Q(stated_on=position.stated_on)
    same_moment = same_day & Q(recorded_at=position.recorded_at)
    newer = Position.objects.filter(issue=position.issue_id).filter(
        Q(stated_on__gt=position.stated_on)
        | (same_day & Q(recorded_at__gt=position.recorded_at))
        | (same_moment & Q(id__gt=position.id))
    )
    page = newer.count() // POSITIONS_PER_PAGE + 1
    query = f"?page={page}" if page > 1 else ""
    return redirect(f"{position.issue.get_absolute_url()}{query}#position-{position.uid}")


@require_safe
@conditional_on_negotiation
def actor_positions(request: HttpRequest, slug: str, actor: str) -> HttpResponse:
    negotiation = readable_negotiation(request, slug)
    participant = get_object_or_404(
        Participant.objects.select_related("actor"), negotiation=negotiation, actor__slug=actor
    )
    form = AsOfForm(request.GET)
    query = form.resolved()
    current = {
        position.issue_id: position
        for position in Position.objects.current_as_of(negotiation, query.as_of, query.known_by)
        .filter(participant=participant)
        .select_related("source", "package", "value_option")
    }
    issues = list(Issue.objects.filter(negotiation=negotiation).order_by("order", "id"))
    for position in current.values():
        position.issue = next(issue for issue in issues if issue.pk == position.issue_id)
    history = (
        Position.objects.filter(participant=participant)
        .select_related("issue", "source", "status_source", "package", "value_option")
        .order_by("-stated_on", "-recorded_at", "-id")
    )
    page, page_form = paginate(request, history, POSITIONS_PER_PAGE)
    return TemplateResponse(
        request,
        "negotiations/actor.html",
        {
            "negotiation": negotiation,
            "participant": participant,
            "current": [(issue, current.get(issue.pk)) for issue in issues],
            "form": form,
            "query": query,
            "date_query": form.date_query(),
            "page": page,
            "section": "table",
        },
        status=status_for(form, page_form),
    )


@require_safe
@conditional_on_negotiation
def sources(request: HttpRequest, slug: str) -> HttpResponse:
    negotiation = readable_negotiation(request, slug)
    cited = (
        Source.objects.filter(
            Q(positions__issue__negotiation=negotiation)
            | Q(status_changes__issue__negotiation=negotiation)
            | Q(packages__negotiation=negotiation)
            | Q(rounds__negotiation=negotiation)
        )
        .distinct()
        .order_by("-published_on", "outlet", "id")
    )
    supported = (
        Position.objects.for_negotiation(negotiation)
        .select_related("participant__actor", "issue", "value_option", "package")
        .order_by("issue__order", "stated_on", "id")
    )
    page, page_form = paginate(
        request,
        cited.prefetch_related(
            Prefetch("positions", queryset=supported, to_attr="supported_positions"),
            Prefetch("status_changes", queryset=supported, to_attr="reported_changes"),
        ),
        SOURCES_PER_PAGE,
    )
    return TemplateResponse(
        request,
        "negotiations/sources.html",
        {"negotiation": negotiation, "page": page, "section": "sources"},
        status=status_for(page_form),
    )


@require_safe
@conditional_on_negotiation
def changes(request: HttpRequest, slug: str) -> HttpResponse:
    negotiation = readable_negotiation(request, slug)
    page, page_form = paginate(request, snapshot.recent_changes(negotiation), POSITIONS_PER_PAGE)
    return TemplateResponse(
        request,
        "negotiations/changes.html",
        {"negotiation": negotiation, "page": page, "section": "changes"},
        status=status_for(page_form),
    )
