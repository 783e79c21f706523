"""gunicorn settings for Gapwatch (docs/deploy.md). Every value can be overridden from the
environment; `make serve` uses this file.

Synchronous workers: the views are synchronous, and the streamed exports are synchronous
iterators, which an ASGI server would read whole into memory first. Each worker keeps its own
psycopg connection pool.
"""

import os

if os.environ.get("DJANGO_ENV") != "production":
    # Without the production profile Django runs in debug mode, which shows its settings and
    # URL patterns to anyone who asks for a page that fails.
    raise SystemExit(
        "gunicorn serves Gapwatch in production only: set DJANGO_ENV=production and the "
        "production settings (docs/deploy.md). For development, use `make run`."
    )

bind = os.environ.get("GAPWATCH_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("GAPWATCH_WORKERS", "2"))
worker_class = "sync"
timeout = int(os.environ.get("GAPWATCH_TIMEOUT", "60"))  # a million-row export takes seconds
graceful_timeout = 30
keepalive = 5
# Recycle workers now and then, so that a slow leak never grows for weeks.
max_requests = 5000
max_requests_jitter = 500
accesslog = os.environ.get("GAPWATCH_ACCESS_LOG", "-")
errorlog = "-"
# Behind a TLS-terminating proxy on the same machine, trust its X-Forwarded-* headers only.
forwarded_allow_ips = os.environ.get("GAPWATCH_FORWARDED_ALLOW_IPS", "127.0.0.1")
proc_name = "gapwatch"
