"""Conditional GET for public pages and exports: ETag and Last-Modified from the negotiation's
`data_changed_at`, so an unchanged page is answered 304 after one indexed read."""

import datetime as dt
import hashlib
from functools import wraps

from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.views.decorators.http import condition

from negotiations.models import Negotiation


def readable_negotiation(request: HttpRequest, slug: str) -> Negotiation:
    """The negotiation named in the address, looked up once per request: public ones for
    everyone, the others only for signed-in staff who may view them; else 404."""
    found = getattr(request, "_readable_negotiation", None)
    if found is None or found.slug != slug:
        negotiations = Negotiation.objects.all()
        if not request.user.has_perm("negotiations.view_negotiation"):
            negotiations = negotiations.public()
        found = get_object_or_404(negotiations, slug=slug)
        request._readable_negotiation = found
    return found


def _viewer(request: HttpRequest) -> str:
    # Signed-in users see edit controls and their own CSRF token: never share their variant.
    if request.user.is_authenticated:
        return f"user {request.user.pk} {request.META.get('CSRF_COOKIE', '')}"
    return "reader"


def _tag(request: HttpRequest, *parts: str) -> str:
    key = "|".join(
        [
            *parts,
            request.get_full_path(),
            timezone.localdate().isoformat(),  # "today" tables change at midnight
            "page"
            if not getattr(request, "htmx", False) or request.htmx.history_restore_request
            else f"fragment {request.htmx.target}",
            _viewer(request),
        ]
    )
    return hashlib.blake2b(key.encode(), digest_size=16).hexdigest()


def _start_of_today() -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(timezone.localdate(), dt.time.min))


def _negotiation_etag(request: HttpRequest, slug: str, **kwargs) -> str:
    negotiation = readable_negotiation(request, slug)
    return _tag(request, negotiation.slug, negotiation.data_changed_at.isoformat())


def _negotiation_last_modified(request: HttpRequest, slug: str, **kwargs) -> dt.datetime:
    return max(readable_negotiation(request, slug).data_changed_at, _start_of_today())


_conditional = condition(etag_func=_negotiation_etag, last_modified_func=_negotiation_last_modified)

CACHED_HEADERS = ("Content-Type", "Content-Disposition")


def _cached_for_readers(view):
    """Serve readers a page rendered before for the same state of the data.

    The key is the page's ETag, which includes the negotiation's `data_changed_at`: a change
    moves the key, so an entry can never be stale, only unused. Signed-in users, whose pages
    carry their own controls and tokens, are never served from the cache; streamed exports are
    never cached.
    """

    @wraps(view)
    def wrapped(request: HttpRequest, slug: str, **kwargs):
        if request.method != "GET" or request.user.is_authenticated:
            return view(request, slug, **kwargs)
        key = "page:" + _negotiation_etag(request, slug)
        cached = cache.get(key)
        if cached is not None:
            status, headers, content = cached
            response = HttpResponse(content, status=status)
            for name, value in headers:
                response[name] = value
            return response
        response = view(request, slug, **kwargs)
        if response.status_code == 200 and not response.streaming:
            if hasattr(response, "render"):
                response.render()
            headers = [(name, response[name]) for name in CACHED_HEADERS if name in response]
            cache.set(key, (200, headers, response.content))
        return response

    return wrapped


def conditional_on_negotiation(view):
    """ETag/Last-Modified with 304s, then the readers' page cache, then the view."""
    return _conditional(_cached_for_readers(view))


def conditional_uncached(view):
    """ETag/Last-Modified with 304s, without the page cache: for streamed exports, which are
    never held whole, and the feed, which renders its own way."""
    return _conditional(view)


def _latest_public_change(request: HttpRequest) -> dt.datetime:
    cached = getattr(request, "_latest_public_change", None)
    if cached is None:
        latest = (
            Negotiation.objects.public()
            .order_by("-data_changed_at")
            .values_list("data_changed_at", flat=True)
            .first()
        )
        cached = max(latest or _start_of_today(), _start_of_today())
        request._latest_public_change = cached
    return cached


def _list_etag(request: HttpRequest, **kwargs) -> str:
    count = Negotiation.objects.public().count()
    return _tag(request, "home", _latest_public_change(request).isoformat(), str(count))


conditional_on_public_list = condition(
    etag_func=_list_etag,
    last_modified_func=lambda request, **kwargs: _latest_public_change(request),
)
