"""ASGI entry point. Serve Gapwatch under WSGI (gunicorn) in production: its streamed exports
are synchronous iterators, which an ASGI server would read whole into memory first."""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

application = get_asgi_application()
