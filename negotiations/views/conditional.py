"""Conditional GET and the readers' page cache, both keyed on a negotiation's change stamp.

Every public page and export carries an ETag and a Last-Modified derived from the negotiation's
`data_changed_at`, which every change to anything shown updates. An unchanged page is answered
304; a page rendered before for the same stamp is served from the cache (never stale: a change
moves the key). Signed-in users always get a freshly rendered page, with their own controls.

Readers with no session take a fast path (`ReaderFastPathMiddleware`) that answers 304s and
cached pages before sessions, CSRF and authentication run. Each process remembers a stamp for up
to GAPWATCH_STAMP_SECONDS (one second in production, none in development and tests), so a reader
may see a change up to a second late; whoever made the change sees it at once.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import threading
import time
import tomllib
from functools import wraps
from importlib import metadata
from pathlib import Path

from django.conf import settings
from django.contrib.messages import get_messages
from django.contrib.messages.storage.cookie import CookieStorage
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.urls import Resolver404, resolve
from django.utils import timezone
from django.utils.cache import add_never_cache_headers, get_conditional_response
from django.utils.http import http_date, quote_etag
from django.views.decorators.http import condition
from django.views.decorators.vary import vary_on_headers

from negotiations.models import Negotiation

# The headers the pages vary on; the fast path must send the same as the full path.
HTMX_HEADERS = ("HX-Request", "HX-Target", "HX-History-Restore-Request")
VARY = ", ".join((*HTMX_HEADERS, "Cookie"))
CACHED_HEADERS = ("Content-Type", "Content-Disposition")
# Only addresses made of the pages' own parameters, each given once in the form the pages'
# own links write it, are cached: made-up ones would fill the cache. (Other spellings the
# pages accept, "known=true", are answered, just not kept.)
QUERY_PARAMETERS = {
    "as_of": re.compile(r"\d{4}-\d{2}-\d{2}"),
    "known": re.compile("on"),
    "withdrawn": re.compile("on"),
    "sort": re.compile("gap|order"),
    "page": re.compile(r"[1-9]\d{0,3}"),
}
# The pieces of the gap table htmx asks for by target; any other target gets the table's
# region (views/public.py), and so shares its variant rather than making one of its own.
FRAGMENT_TARGETS = ("summary", "packages", "table-region")


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


# ---------------------------------------------------------------------------------------------
# Change stamps


_stamps: dict[str, tuple[float, Negotiation | None]] = {}
_stamps_lock = threading.Lock()


def public_stamp(slug: str) -> tuple[Negotiation | None, bool]:
    """The public negotiation with this slug (None if there is none), and whether it was read
    just now rather than remembered: a process remembers it for GAPWATCH_STAMP_SECONDS."""
    lifetime = settings.GAPWATCH_STAMP_SECONDS
    now = time.monotonic()
    if lifetime:
        remembered = _stamps.get(slug)
        if remembered is not None and now - remembered[0] < lifetime:
            return remembered[1], False
    negotiation = Negotiation.objects.public().filter(slug=slug).first()
    if lifetime:
        with _stamps_lock:
            if len(_stamps) > 10_000:
                _stamps.clear()
            _stamps[slug] = (now, negotiation)
    return negotiation, True


def forget_stamps() -> None:
    """Called on every change, so that this process never serves its own stale stamp."""
    with _stamps_lock:
        _stamps.clear()


# ---------------------------------------------------------------------------------------------
# ETags and Last-Modified

CODE_FILES = (".py", ".html", ".css", ".js", ".svg")


def code_version(root: Path) -> str:
    """A digest of what pages are made from (templates, static files, the app's code, and the
    installed version of each dependency pyproject.toml declares: a new Django or django-htmx
    can change the markup too). It is part of every ETag and so of every cached page's key:
    after a deploy that changes any of them, no reader is answered 304 or served a cached page
    the old code made."""
    digest = hashlib.blake2b(digest_size=8)
    for folder in ("templates", "static", "negotiations", "config"):
        for path in sorted((root / folder).rglob("*")):
            if path.suffix in CODE_FILES and path.is_file():
                digest.update(str(path.relative_to(root)).encode())
                digest.update(path.read_bytes())
    for name in _dependencies(root / "pyproject.toml"):
        digest.update(f"{name}=={_installed_version(name)}".encode())
    return digest.hexdigest()


def _dependencies(pyproject: Path) -> list[str]:
    if not pyproject.is_file():
        return []
    declared = tomllib.loads(pyproject.read_text())["project"]["dependencies"]
    return [re.match(r"[A-Za-z0-9._-]+", requirement).group() for requirement in declared]


def _installed_version(name: str) -> str:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return "not installed"


CODE_VERSION = code_version(Path(settings.BASE_DIR))


def wants_fragment(request: HttpRequest) -> bool:
    """An htmx request for a piece of a page (a history restore asks for a whole page). Read
    from the headers, so that middleware running before django-htmx agrees with the views."""
    headers = request.headers
    return (
        headers.get("HX-Request") == "true" and headers.get("HX-History-Restore-Request") != "true"
    )


def _variant(request: HttpRequest) -> str:
    """Page or fragment, so the fast path and the full path agree."""
    if not wants_fragment(request):
        return "page"
    target = request.headers.get("HX-Target")
    return f"fragment {target if target in FRAGMENT_TARGETS else 'table-region'}"


def cacheable_query(request: HttpRequest) -> bool:
    return all(
        name in QUERY_PARAMETERS
        and len(values) == 1
        and QUERY_PARAMETERS[name].fullmatch(values[0]) is not None
        for name, values in request.GET.lists()
    )


def _viewer(request: HttpRequest) -> str:
    # Signed-in users see edit controls and their own CSRF token: never share their variant.
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        return f"user {user.pk} {request.META.get('CSRF_COOKIE', '')}"
    return "reader"


def _tag(request: HttpRequest, *parts: str, viewer: str | None = None) -> str:
    key = "|".join(
        [
            CODE_VERSION,
            *parts,
            # Pages name their own address (gaps.json's "url"); get_host() also refuses, here as
            # on the full path, a host the site does not answer to.
            request.scheme,
            request.get_host(),
            request.get_full_path(),
            timezone.localdate().isoformat(),  # "today" tables change at midnight
            _variant(request),
            viewer or _viewer(request),
        ]
    )
    return hashlib.blake2b(key.encode(), digest_size=16).hexdigest()


def _start_of_today() -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(timezone.localdate(), dt.time.min))


def _negotiation_etag(request: HttpRequest, slug: str, **kwargs) -> str:
    negotiation = readable_negotiation(request, slug)
    return _tag(request, negotiation.slug, negotiation.data_changed_at.isoformat())


def _last_modified(changed_at: dt.datetime) -> dt.datetime:
    return max(changed_at, _start_of_today())


def _negotiation_last_modified(request: HttpRequest, slug: str, **kwargs) -> dt.datetime:
    return _last_modified(readable_negotiation(request, slug).data_changed_at)


_conditional = condition(etag_func=_negotiation_etag, last_modified_func=_negotiation_last_modified)


def _page_key(etag: str) -> str:
    return f"page:{etag}"


def _from_cache(cached) -> HttpResponse:
    status, headers, content = cached
    response = HttpResponse(content, status=status)
    for name, value in headers:
        response[name] = value
    return response


def _cached_for_readers(view):
    """Serve readers a page rendered before for the same state of the data; streamed exports
    are never cached, and signed-in users always get a fresh page."""

    @wraps(view)
    def wrapped(request: HttpRequest, slug: str, **kwargs):
        if request.method != "GET" or request.user.is_authenticated or not cacheable_query(request):
            return view(request, slug, **kwargs)
        key = _page_key(_negotiation_etag(request, slug))
        cached = cache.get(key)
        if cached is not None:
            return _from_cache(cached)
        response = view(request, slug, **kwargs)
        if response.status_code == 200 and not response.streaming:
            if hasattr(response, "render"):
                response.render()
            headers = [(name, response[name]) for name in CACHED_HEADERS if name in response]
            cache.set(key, (200, headers, response.content))
        return response

    return wrapped


def _fresh_while_messages_wait(view, conditional_view):
    """A page that shows one-time messages ("Recorded: …") is sent whole, neither confirmed by
    a 304 nor taken from or put in the readers' cache, and the browser keeps no copy of it: else
    the next visit, or every reader, would see the messages again."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args, **kwargs):
        if len(get_messages(request)):  # counts them without marking them shown
            response = view(request, *args, **kwargs)
            add_never_cache_headers(response)
            return response
        return conditional_view(request, *args, **kwargs)

    return wrapped


# Their ETags depend on these headers (_variant), so every page says so, as the fast path does.
_vary_as_the_fast_path = vary_on_headers(*HTMX_HEADERS)


def conditional_on_negotiation(view):
    """ETag/Last-Modified with 304s, then the readers' page cache, then the view."""
    wrapped = _vary_as_the_fast_path(
        _fresh_while_messages_wait(view, _conditional(_cached_for_readers(view)))
    )
    wrapped.reader_fast_path = "cached"
    return wrapped


def conditional_uncached(view):
    """ETag/Last-Modified with 304s, without the page cache: for streamed exports, which are
    never held whole, and the feed, which renders its own way."""
    wrapped = _vary_as_the_fast_path(_fresh_while_messages_wait(view, _conditional(view)))
    wrapped.reader_fast_path = "conditional"
    return wrapped


# ---------------------------------------------------------------------------------------------
# The readers' fast path


class ReaderFastPathMiddleware:
    """Answer a reader's conditional request, or serve a cached page, before sessions, CSRF,
    authentication and the view run. Anything it cannot answer goes on down the full path."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest):
        response = self.answer(request)
        return response if response is not None else self.get_response(request)

    def answer(self, request: HttpRequest) -> HttpResponse | None:
        if request.method != "GET" or not request.COOKIES.keys().isdisjoint(
            (settings.SESSION_COOKIE_NAME, CookieStorage.cookie_name)
        ):
            return None  # signed in, or messages wait to be shown
        try:
            match = resolve(request.path_info)
        except Resolver404:
            return None
        kind = getattr(match.func, "reader_fast_path", None)
        slug = match.kwargs.get("slug")
        if kind is None or slug is None:
            return None
        negotiation, fresh = public_stamp(slug)
        if negotiation is None:
            return None  # unknown or not public: the full path answers 404
        if fresh:
            request._readable_negotiation = negotiation  # spares the full path a query
        etag = _tag(
            request, negotiation.slug, negotiation.data_changed_at.isoformat(), viewer="reader"
        )
        last_modified = _last_modified(negotiation.data_changed_at).timestamp()
        response = get_conditional_response(
            request, etag=quote_etag(etag), last_modified=int(last_modified)
        )
        if response is None and kind == "cached":
            cached = cache.get(_page_key(etag))
            response = _from_cache(cached) if cached is not None else None
        if response is None:
            return None
        response["ETag"] = quote_etag(etag)
        response["Last-Modified"] = http_date(last_modified)
        response["Vary"] = VARY
        return response


# ---------------------------------------------------------------------------------------------
# The home page


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


_list_conditional = condition(
    etag_func=_list_etag,
    last_modified_func=lambda request, **kwargs: _latest_public_change(request),
)


def conditional_on_public_list(view):
    return _fresh_while_messages_wait(view, _list_conditional(view))
