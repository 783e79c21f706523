"""Gapwatch settings: one module, configured through the environment (docs/deploy.md).

DJANGO_ENV            "development" (default) or "production": the production profile turns
                      debugging off, requires a secret key and host names, and turns on secure
                      cookies, HSTS and the HTTPS redirect
DATABASE_URL          default: an SQLite file under var/ (zero set-up); PostgreSQL in production
DJANGO_DEBUG          on by default in development; refused in production
DJANGO_SECRET_KEY     required in production (50 characters or more)
DJANGO_ALLOWED_HOSTS  comma-separated host names; required in production
"""

import datetime as dt
import sys
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP

from config.env import env_bool, env_choice, env_int, env_list, env_str

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = BASE_DIR / "var"

ENVIRONMENT = env_choice("DJANGO_ENV", ("development", "production"), default="development")
PRODUCTION = ENVIRONMENT == "production"
TESTING = "pytest" in sys.modules

DEBUG = env_bool("DJANGO_DEBUG", default=not PRODUCTION)
if PRODUCTION and DEBUG:
    raise ImproperlyConfigured("DJANGO_DEBUG cannot be on when DJANGO_ENV=production.")

DEVELOPMENT_SECRET_KEY = "development-only-insecure-key-never-use-in-production"
SECRET_KEY = env_str("DJANGO_SECRET_KEY", default="")
if not SECRET_KEY:
    if PRODUCTION or not DEBUG:
        raise ImproperlyConfigured(
            "DJANGO_SECRET_KEY must be set when debugging is off, as in production (50 or more "
            "random characters, e.g. from "
            "`python3 -c 'import secrets; print(secrets.token_urlsafe(50))'`)."
        )
    SECRET_KEY = DEVELOPMENT_SECRET_KEY
elif PRODUCTION and (len(SECRET_KEY) < 50 or len(set(SECRET_KEY)) < 5):
    raise ImproperlyConfigured("DJANGO_SECRET_KEY is too short: use 50 or more random characters.")

ALLOWED_HOSTS = env_list(
    "DJANGO_ALLOWED_HOSTS", default=[] if PRODUCTION else ["127.0.0.1", "localhost"]
)
if PRODUCTION and not ALLOWED_HOSTS:
    raise ImproperlyConfigured(
        "DJANGO_ALLOWED_HOSTS must name the host names Gapwatch answers to in production, "
        "e.g. DJANGO_ALLOWED_HOSTS=gapwatch.example.org."
    )
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django_htmx",
    "simple_history",
    "axes",
    "negotiations",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "negotiations.middleware.HtmxFailureMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Readers' 304s and cached pages, before sessions, CSRF and authentication run.
    "negotiations.views.conditional.ReaderFastPathMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "negotiations.middleware.PrivateToTheSignedInMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "negotiations.middleware.KeepSentFormMiddleware",
    "negotiations.middleware.AbsoluteSessionTimeoutMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.csp",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# ---------------------------------------------------------------------------------------------
# Database

DATABASE_URL = env_str("DATABASE_URL", default="") or f"sqlite:///{VAR_DIR / 'gapwatch.sqlite3'}"
DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=0)}
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    from psycopg_pool import ConnectionPool

    # psycopg's own pool (Django requires CONN_MAX_AGE = 0 beside it). Checking a connection
    # before lending it out costs one round trip and keeps a restarted database, or a killed
    # backend, from failing the next request.
    DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
        "min_size": env_int("GAPWATCH_DB_POOL_MIN", default=1),
        "max_size": env_int("GAPWATCH_DB_POOL_MAX", default=8),
        "check": ConnectionPool.check_connection,
    }
elif DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    VAR_DIR.mkdir(exist_ok=True)
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            # Reads through a memory map instead of a read() call per page, and a page cache of
            # up to 32 MB instead of 2 MB (it lasts one request: connections are not kept), so
            # long reads (positions.csv visits table pages out of order) take about a tenth less
            # time. With the map, never replace the database file while the app runs: a reader
            # would die with SIGBUS instead of an error. Stop the server first.
            "init_command": (
                "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; "
                "PRAGMA mmap_size = 268435456; PRAGMA cache_size = -32000;"
            ),
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
        }
    )
    # A file, not memory: the browser tests' live server answers requests on several threads,
    # each with its own connection, as in production.
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / "test.sqlite3")}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# A covering index's INCLUDE columns are a PostgreSQL speed-up; SQLite builds the same index
# without them, which is all W040 says there (see docs/performance.md).
ON_SQLITE = DATABASES["default"]["ENGINE"].endswith("sqlite3")
SILENCED_SYSTEM_CHECKS = ["models.W040"] if ON_SQLITE else []

# ---------------------------------------------------------------------------------------------
# Cache: rendered public pages, keyed on the negotiation's last change (see
# negotiations/views/conditional.py), so an entry is never stale, only unused. Per process by
# default; GAPWATCH_REDIS_URL (redis://127.0.0.1:6379/0) shares it between servers.

# How long a process may remember a negotiation's change stamp for readers' fast path (a reader
# may see a change this much late; the person who made it sees it at once).
GAPWATCH_STAMP_SECONDS = float(
    env_str("GAPWATCH_STAMP_SECONDS", default="1" if PRODUCTION and not TESTING else "0")
)
REDIS_URL = env_str("GAPWATCH_REDIS_URL", default="")
CACHES = {
    "default": (
        {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "TIMEOUT": 24 * 3600,
        }
        if REDIS_URL
        else {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": "gapwatch-pages",
            "TIMEOUT": 24 * 3600,
            "OPTIONS": {"MAX_ENTRIES": 5000},
        }
    )
}

# ---------------------------------------------------------------------------------------------
# Accounts and sessions

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",  # refuses sign-in while locked out
    "django.contrib.auth.backends.ModelBackend",
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "negotiations:workspace"
LOGOUT_REDIRECT_URL = "negotiations:home"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Idle time-out: a session lasts this long after the last request (it slides with each one).
SESSION_COOKIE_AGE = env_int("GAPWATCH_SESSION_IDLE_MINUTES", default=60) * 60
SESSION_SAVE_EVERY_REQUEST = True
# Absolute time-out: signed out this long after signing in, however active.
GAPWATCH_SESSION_ABSOLUTE_SECONDS = env_int("GAPWATCH_SESSION_ABSOLUTE_HOURS", default=12) * 3600
SESSION_COOKIE_HTTPONLY = True
# Which account was last signed in on a browser, so that a form sent after its session ended
# goes back to that account alone (negotiations/drafts.py).
GAPWATCH_ANALYST_COOKIE_NAME = "gapwatch-analyst"
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True  # pages hand the token to htmx themselves (hx-headers)
CSRF_COOKIE_SAMESITE = "Lax"

# Sign-in throttling (django-axes): five failures for one user name from one address lock that
# pair for 15 minutes. Keyed on both, so that guessing from elsewhere never locks a real analyst
# out of their own address, and the lock lifts by itself.
AXES_FAILURE_LIMIT = env_int("GAPWATCH_LOGIN_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = dt.timedelta(minutes=env_int("GAPWATCH_LOGIN_COOLOFF_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_VERBOSE = True
AXES_USERNAME_CALLABLE = "negotiations.forms.axes_username"
AXES_ENABLE_ADMIN = True

# ---------------------------------------------------------------------------------------------
# Security headers (every environment; cookies and HTTPS only in production)

SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

# A strict Content Security Policy: our own origin only, no inline script or style, nothing
# evaluated; the only scripts (htmx, the admin's) carry the per-response nonce.
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF, CSP.NONCE],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:"],
    "font-src": [CSP.SELF],
    "connect-src": [CSP.SELF],
    "form-action": [CSP.SELF],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.NONE],
    "frame-ancestors": [CSP.NONE],
}

BEHIND_TLS_PROXY = env_bool("DJANGO_BEHIND_TLS_PROXY", default=False)
# Trust the proxy's word on the scheme and the client address, and nobody else's: the client's
# address is the X-Forwarded-For entry the proxies appended (negotiations.forms.client_address).
PROXY_COUNT = env_int("DJANGO_PROXY_COUNT", default=1)
if PROXY_COUNT < 1:
    raise ImproperlyConfigured("DJANGO_PROXY_COUNT counts the proxies in front: 1 or more.")
AXES_CLIENT_IP_CALLABLE = "negotiations.forms.client_address"
if BEHIND_TLS_PROXY:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

if PRODUCTION:
    SECURE_SSL_REDIRECT = env_bool("DJANGO_SECURE_SSL_REDIRECT", default=True)
    SECURE_HSTS_SECONDS = 365 * 24 * 3600
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("DJANGO_HSTS_INCLUDE_SUBDOMAINS", default=True)
    SECURE_HSTS_PRELOAD = env_bool("DJANGO_HSTS_PRELOAD", default=True)
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    # The __Host- prefix binds the cookies to this exact host, over HTTPS, for the whole site.
    if env_bool("GAPWATCH_HOST_COOKIE_PREFIX", default=True):
        SESSION_COOKIE_NAME = "__Host-gapwatch-session"
        CSRF_COOKIE_NAME = "__Host-gapwatch-csrf"
        GAPWATCH_ANALYST_COOKIE_NAME = "__Host-gapwatch-analyst"

# ---------------------------------------------------------------------------------------------
# Static files

LANGUAGE_CODE = "en-gb"
TIME_ZONE = "UTC"
USE_I18N = False
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(env_str("DJANGO_STATIC_ROOT", default="") or BASE_DIR / "staticfiles")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        # Hashed, compressed names with a year of caching in production; plain files while
        # developing and testing (the manifest exists only after collectstatic).
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if PRODUCTION and not TESTING
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
WHITENOISE_MAX_AGE = 365 * 24 * 3600 if PRODUCTION else 0

# ---------------------------------------------------------------------------------------------
# Logging: to standard error, where gunicorn and systemd collect it

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "{asctime} {levelname} {name}: {message}", "style": "{"}},
    "handlers": {"stderr": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["stderr"], "level": "WARNING"},
    "loggers": {
        # Django's own console handler would print every line a second time.
        "django": {"handlers": ["stderr"], "level": "INFO", "propagate": False},
        "axes": {"level": "WARNING"},  # failed sign-ins and lock-outs
        "negotiations": {"level": "INFO"},
    },
}
