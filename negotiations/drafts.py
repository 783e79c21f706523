"""What a workspace form sent after the session ended keeps until the analyst signs in again.

The form's data waits in the (new, anonymous) session; signing in keeps the session's data, and
the first visit of the same address after it shows the form filled in as it was sent, to check
and send again. Nothing is saved on the way. Files (a CSV import) are not kept. A kept form
goes back only to the account last signed in on the browser when it was sent (a signed cookie
that outlives the session says which), and lasts an hour.
"""

import time

from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse, QueryDict
from django.urls import Resolver404, resolve

DRAFT = "gapwatch-draft"
KEPT_SECONDS = 60 * 60
ANALYST_COOKIE_SECONDS = 30 * 24 * 3600
ANALYST_SALT = "gapwatch-analyst"

NOT_SAVED_SIGNED_OUT = (
    "You were signed out, so what you sent was not saved. Sign in again: the form comes back "
    "with what you typed, to check and send again."
)
NOT_SAVED_RETRY = (
    "You were signed out, so what you sent was not saved. Sign in again, then try again."
)
NOT_SAVED_FILE = "You were signed out, so nothing was imported. Sign in again and upload the file."
RESTORED = "This is what you sent before signing in again; nothing of it is saved yet."


def brings_back(view):
    """Marks a view whose form is bound to `sent(request)`, so that a form sent to it after the
    session ended is kept. (Innermost decorator: the others copy the mark.)"""
    view.brings_back_sent_form = True
    return view


def brought_back_by(path: str) -> bool:
    try:
        return getattr(resolve(path).func, "brings_back_sent_form", False)
    except Resolver404:
        return False


def last_analyst(request: HttpRequest) -> str | None:
    return request.get_signed_cookie(
        settings.GAPWATCH_ANALYST_COOKIE_NAME, default=None, salt=ANALYST_SALT
    )


def remember_analyst(request: HttpRequest, response: HttpResponse) -> None:
    """Notes on the browser who is signed in, for `keep` to know once the session has ended."""
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated and last_analyst(request) != str(user.pk):
        response.set_signed_cookie(
            settings.GAPWATCH_ANALYST_COOKIE_NAME,
            str(user.pk),
            salt=ANALYST_SALT,
            max_age=ANALYST_COOKIE_SECONDS,
            secure=settings.SESSION_COOKIE_SECURE,
            httponly=True,
            samesite="Lax",
        )


def keep(request: HttpRequest) -> None:
    """For a form (not an htmx request) sent by someone signed out."""
    if request.FILES:
        messages.warning(request, NOT_SAVED_FILE)
        return
    owner = last_analyst(request)
    if owner is None or not brought_back_by(request.path_info):
        # A button with nothing typed (delete, restore), or nobody to give the form back to.
        messages.warning(request, NOT_SAVED_RETRY)
        return
    request.session[DRAFT] = {
        "owner": owner,
        "at": time.time(),
        "path": request.get_full_path(),
        "data": {
            name: request.POST.getlist(name)
            for name in request.POST
            if name != "csrfmiddlewaretoken"
        },
    }
    messages.warning(request, NOT_SAVED_SIGNED_OUT)


def sent(request: HttpRequest) -> QueryDict | None:
    """The data to bind the page's form to: what was posted, or, on the first visit of the
    address after signing in again, what was sent to it before; else None (an empty form)."""
    if request.method == "POST":
        return request.POST
    draft = request.session.get(DRAFT)
    if not draft or draft.get("path") != request.get_full_path():
        return None
    del request.session[DRAFT]
    if time.time() - draft.get("at", 0) > KEPT_SECONDS:
        return None
    if draft.get("owner") != str(request.user.pk):
        return None  # someone else signed in on this browser: not theirs to see
    data = QueryDict(mutable=True)
    for name, values in draft["data"].items():
        data.setlist(name, values)
    messages.info(request, RESTORED)
    return data
