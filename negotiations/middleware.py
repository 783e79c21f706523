"""Request-wide behaviour: an absolute limit on how long a sign-in lasts. (A lost database
connection is answered by the 500 handler, negotiations.views.errors.)"""

import time

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.views import redirect_to_login

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
