"""Request-wide behaviour: an absolute limit on how long a sign-in lasts, what a form sent after
the session ended keeps, and what a failed htmx request shows. (A lost database connection is
answered by the 500 handler, negotiations.views.errors.)"""

import time
from urllib.parse import urlencode, urlsplit

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.views import redirect_to_login
from django.http import HttpResponse
from django.shortcuts import resolve_url
from django.template.response import TemplateResponse
from django.utils.cache import patch_cache_control

from negotiations import drafts
from negotiations.views.conditional import wants_fragment

SIGNED_IN_AT = "gapwatch_signed_in_at"  # set at sign-in by negotiations.signals


class AbsoluteSessionTimeoutMiddleware:
    """Signs a user out a fixed time after signing in, however active (the idle time-out is
    SESSION_COOKIE_AGE, which slides with every request)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            signed_in_at = request.session.get(SIGNED_IN_AT)
            limit = settings.GAPWATCH_SESSION_ABSOLUTE_SECONDS
            if signed_in_at is None or time.time() - signed_in_at > limit:
                logout(request)
                messages.info(request, "You were signed out after a long session; sign in again.")
                return redirect_to_login(request.get_full_path())
        return self.get_response(request)


def redirects_to_sign_in(response: HttpResponse) -> bool:
    return response.status_code in (301, 302, 303) and (
        urlsplit(response.get("Location", "")).path == resolve_url(settings.LOGIN_URL)
    )


class PrivateToTheSignedInMiddleware:
    """A response made for someone signed in (edit controls, a negotiation readers cannot see,
    an analyst's export) is marked private, so that no shared cache in front of the site (a
    proxy, a CDN) keeps it for others, whatever Vary says."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            patch_cache_control(response, private=True)
        return response


class KeepSentFormMiddleware:
    """A form sent after the session ended (signed out elsewhere, timed out) is answered with
    the sign-in page: what it sent is kept for after signing in again, and the page says so
    (negotiations.drafts). An htmx request is answered in its own page instead, where the form
    stays (HtmxFailureMiddleware). Inside the session and messages middleware, which store the
    two; around the absolute time-out, whose redirect it sees too. Notes who is signed in on the
    browser, so that a kept form goes back to that account alone."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if (
            request.method == "POST"
            and not wants_fragment(request)
            and redirects_to_sign_in(response)
        ):
            drafts.keep(request)
        drafts.remember_analyst(request, response)
        return response


# What a failed htmx request says, for a request that saves (True) or only reads (False).
SIGNED_OUT = {
    True: "Your session has ended, so this was not saved. What you typed is still in the form: "
    "copy it before you leave this page.",
    False: "Your session has ended.",
}
WHY_REFUSED = (
    ": this page may be out of date (for example after signing in again elsewhere), or you may "
    "no longer be allowed to do this. Reload the page and try again."
)
REFUSED = {
    True: "This was refused and nothing was saved" + WHY_REFUSED,
    False: "This was refused" + WHY_REFUSED,
}
FAILED = {
    True: "Something went wrong on our side, and this may not have been saved. Reload the page to "
    "check, then try again.",
    False: "Something went wrong on our side. Reload the page, then try again.",
}


class HtmxFailureMiddleware:
    """What an htmx request that failed shows: a message at the top of the page, not the sign-in
    page or an error page swapped into a table row, and not nothing.

    htmx swaps what a request returns into its target, following redirects first: an ended
    session sent the whole sign-in page into the gap table, and the form and what was typed
    with it were gone. A 403 (a stale page's CSRF token, a permission withdrawn) or a 5xx was
    not swapped at all, so nothing told the analyst the save had failed. Such answers go to
    #page-alert instead (base.html; static/js/gapwatch.js lets only these failures swap, and
    says something itself about any other, such as a proxy's 502), keeping their status,
    cookies and caching headers; the page, its forms and what was typed in them stay as they
    were. Outermost but for the headers' middleware, so that it also sees the session
    time-out's redirect and the readers' fast path.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if not wants_fragment(request):
            return response
        saving = request.method not in ("GET", "HEAD")
        status = response.status_code
        if redirects_to_sign_in(response):
            login = resolve_url(settings.LOGIN_URL)
            sign_in = f"{login}?{urlencode({'next': self.back_to(request)})}"
            return self.alert(request, response, 401, SIGNED_OUT[saving], sign_in=sign_in)
        if status == 403:
            return self.alert(request, response, 403, REFUSED[saving])
        if status >= 500:
            return self.alert(request, response, status, FAILED[saving])
        return response

    @staticmethod
    def back_to(request) -> str:
        """The page the request came from (htmx says which), to return to after signing in."""
        try:
            page = urlsplit(request.headers.get("HX-Current-URL") or "/")
        except ValueError:  # a malformed header: start from the home page
            return "/"
        return page.path + (f"?{page.query}" if page.query else "")

    @staticmethod
    def alert(request, original, status: int, message: str, sign_in: str = "") -> HttpResponse:
        response = TemplateResponse(
            request, "base.html#page-alert", {"alert": message, "sign_in": sign_in}, status=status
        ).render()
        response["HX-Retarget"] = "#page-alert"
        response["HX-Reswap"] = "innerHTML"
        response["HX-Push-Url"] = "false"  # the page did not change: neither does its address
        # What the original answer did besides its body still happens (a session ended by the
        # time-out deletes its cookie).
        response.cookies = original.cookies
        for header in ("Vary", "Cache-Control"):
            if header in original:
                response[header] = original[header]
        return response
