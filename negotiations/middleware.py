"""Request-wide behaviour: a friendly 503 when the database is unreachable, and an absolute
limit on how long a sign-in lasts."""

import logging
import time

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.views import redirect_to_login
from django.db import DatabaseError, InterfaceError, OperationalError, connections
from django.http import HttpResponse
from django.template.loader import render_to_string

logger = logging.getLogger(__name__)

SIGNED_IN_AT = "gapwatch_signed_in_at"  # set at sign-in by negotiations.signals


class DatabaseUnavailableMiddleware:
    """A dropped or unreachable database gives a short apology (503), not a traceback; the
    broken connection is closed so that the next request starts on a fresh one."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        return database_unavailable_response(request, exception)


def database_unavailable_response(request, exception: Exception) -> HttpResponse | None:
    """The 503 for a lost database connection, or None for any other error. Views reach it
    through `process_exception`; middleware that queries before the view (the readers' fast
    path) calls it itself, since Django turns a middleware's exception into a 500 first."""
    if not isinstance(exception, OperationalError | InterfaceError) or not is_connection_error(
        exception
    ):
        return None
    logger.warning("Database unavailable during %s %s: %s", request.method, request.path, exception)
    for connection in connections.all(initialized_only=True):
        connection.close_if_unusable_or_obsolete()
    response = HttpResponse(
        render_to_string("503.html", request=None), status=503, content_type="text/html"
    )
    response["Retry-After"] = "5"
    return response


def is_connection_error(exception: DatabaseError) -> bool:
    """Lost or refused connections, not a query's own errors (a bad query stays a 500)."""
    text = str(exception).lower()
    markers = (
        "terminating connection",
        "server closed the connection",
        "connection refused",
        "the connection is closed",
        "connection already closed",
        "could not connect",
        "connection timeout",
        "couldn't get a connection",
        "consuming input failed",
        "the connection is lost",
        "ssl connection has been closed",
        "database is locked",
    )
    return isinstance(exception, InterfaceError) or any(marker in text for marker in markers)


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
