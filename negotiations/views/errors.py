"""Django's 500 handler: a lost database connection gets a short apology (503), not the error page.

As `handler500` it sees every uncaught exception, whether raised by a view or by middleware
that queries before the view (the readers' fast path, the session check), which a middleware's
`process_exception` would not. With DEBUG on, Django shows its own error page instead.
"""

import sys

from django.db import DatabaseError, InterfaceError, OperationalError, connections
from django.http import HttpRequest, HttpResponse
from django.template.loader import render_to_string
from django.views import defaults


def server_error(request: HttpRequest) -> HttpResponse:
    error = sys.exc_info()[1]
    if not isinstance(error, OperationalError | InterfaceError) or not is_connection_error(error):
        return defaults.server_error(request)
    # Drop the broken connection, so that the next request starts on a fresh one.
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
