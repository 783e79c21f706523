"""What a workspace form sent after the session ended keeps until the analyst signs in again.

The form's data waits in the (new, anonymous) session; signing in keeps the session's data, and
the first visit of the same address after it shows the form filled in as it was sent, to check
and send again. Nothing is saved on the way. Files (a CSV import) are not kept. A kept form
lasts an hour: on a shared browser, whoever signs in much later does not find it.
"""

import time

from django.contrib import messages
from django.http import HttpRequest, QueryDict
from django.urls import Resolver404, resolve

DRAFT = "gapwatch-draft"
KEPT_SECONDS = 60 * 60

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


def keep(request: HttpRequest) -> None:
    """For a form (not an htmx request) sent by someone signed out."""
    if request.FILES:
        messages.warning(request, NOT_SAVED_FILE)
        return
    if not brought_back_by(request.path_info):
        # A button with nothing typed (delete, restore): nothing to bring back.
        messages.warning(request, NOT_SAVED_RETRY)
        return
    request.session[DRAFT] = {
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
    data = QueryDict(mutable=True)
    for name, values in draft["data"].items():
        data.setlist(name, values)
    messages.info(request, RESTORED)
    return data
