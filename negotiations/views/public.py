"""What readers see. Plain function views: read the input, ask the domain, render."""

from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.utils import timezone
from django.views.decorators.http import require_safe

from negotiations import snapshot
from negotiations.models import Negotiation


@require_safe
def home(request: HttpRequest) -> HttpResponse:
    today = timezone.localdate()
    negotiations = [
        {"negotiation": negotiation, "table": snapshot.load_table(negotiation, today)}
        for negotiation in Negotiation.objects.public().order_by("-data_changed_at", "title")
    ]
    return TemplateResponse(request, "negotiations/home.html", {"negotiations": negotiations})


@require_safe
def gap_table(request: HttpRequest, slug: str) -> HttpResponse:
    return HttpResponse("table")


@require_safe
def issue_history(request: HttpRequest, slug: str, issue: str) -> HttpResponse:
    return HttpResponse("issue")
