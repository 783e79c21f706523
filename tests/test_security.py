"""The production profile, security headers, sign-in throttling and sessions."""

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth.models import Group
from django.contrib.sessions.models import Session
from django.db import connection
from django.test import Client, override_settings
from django.urls import reverse

from negotiations.middleware import SIGNED_IN_AT
from tests.test_access_matrix import MATRIX, admin_urls

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "a-long-password-for-tests"
PRODUCTION_ENV = {
    "DJANGO_ENV": "production",
    "DJANGO_SECRET_KEY": "x" * 20 + "a-long-random-looking-secret-for-the-production-check",
    "DJANGO_ALLOWED_HOSTS": "gapwatch.example.org",
}


def manage(*args: str, **env: str) -> subprocess.CompletedProcess:
    clean = {key: value for key, value in os.environ.items() if not key.startswith("DJANGO_")}
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**clean, "DJANGO_SETTINGS_MODULE": "config.settings", **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


# ---------------------------------------------------------------------------------------------
# The production profile


def test_check_deploy_has_no_warnings_in_production():
    result = manage("check", "--deploy", "--fail-level", "WARNING", **PRODUCTION_ENV)
    assert result.returncode == 0, result.stdout + result.stderr
    # Only W040 may be silenced, and only on SQLite: covering-index INCLUDE columns are a
    # PostgreSQL feature that SQLite leaves out.
    only_covering_indexes = ["models.W040"] if connection.vendor == "sqlite" else []
    assert only_covering_indexes == settings.SILENCED_SYSTEM_CHECKS
    assert "System check identified no issues (" in result.stdout
    if connection.vendor == "postgresql":
        assert "(0 silenced)" in result.stdout


@pytest.mark.parametrize(
    ("missing", "message"),
    [
        ("DJANGO_SECRET_KEY", "DJANGO_SECRET_KEY must be set when debugging is off"),
        ("DJANGO_ALLOWED_HOSTS", "DJANGO_ALLOWED_HOSTS must name the host names"),
    ],
)
def test_production_refuses_to_start_without_its_settings(missing, message):
    env = {key: value for key, value in PRODUCTION_ENV.items() if key != missing}
    result = manage("check", **env)
    assert result.returncode != 0
    assert message in result.stderr


def test_production_refuses_debug_and_weak_keys():
    debug = manage("check", **PRODUCTION_ENV, DJANGO_DEBUG="1")
    assert "DJANGO_DEBUG cannot be on when DJANGO_ENV=production." in debug.stderr
    weak = manage("check", **{**PRODUCTION_ENV, "DJANGO_SECRET_KEY": "short"})
    assert "DJANGO_SECRET_KEY is too short" in weak.stderr


def test_production_settings_are_strict():
    script = (
        "from django.conf import settings as s; "
        "print(s.DEBUG, s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, s.SECURE_HSTS_SECONDS, "
        "s.SECURE_SSL_REDIRECT, s.SESSION_COOKIE_NAME, s.CSRF_COOKIE_NAME, "
        "s.SESSION_COOKIE_HTTPONLY, s.GAPWATCH_ANALYST_COOKIE_NAME, s.SECURE_PROXY_SSL_HEADER)"
    )
    result = manage("shell", "-c", script, **PRODUCTION_ENV, DJANGO_BEHIND_TLS_PROXY="1")
    assert result.stdout.strip().splitlines()[-1].split() == [
        "False",
        "True",
        "True",
        "31536000",
        "True",
        "__Host-gapwatch-session",
        "__Host-gapwatch-csrf",
        "True",
        "__Host-gapwatch-analyst",
        "('HTTP_X_FORWARDED_PROTO',",
        "'https')",
    ], result.stderr


# ---------------------------------------------------------------------------------------------
# Headers on every response


CSP_REQUIRED = (
    "default-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "frame-ancestors 'none'",
)


def assert_secure_headers(response, url: str) -> None:
    csp = response.get("Content-Security-Policy", "")
    for directive in CSP_REQUIRED:
        assert directive in csp, (url, csp)
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp, url
    assert "http" not in csp, (url, csp)  # no third-party origin
    assert response["X-Content-Type-Options"] == "nosniff", url
    assert response["Referrer-Policy"] == "same-origin", url
    assert response["Cross-Origin-Opener-Policy"] == "same-origin", url
    assert response["X-Frame-Options"] == "DENY", url


def every_url() -> list[str]:
    return [reverse(name, args=args()) for name, (args, _) in MATRIX.items()] + admin_urls()


@pytest.mark.parametrize("signed_in", [False, True])
def test_every_response_carries_the_security_headers(seeded, django_user_model, signed_in):
    client = Client()
    if signed_in:
        editor = django_user_model.objects.create_user("ed", password=PASSWORD, is_staff=True)
        editor.groups.add(Group.objects.get(name="Editor"))
        client.force_login(editor)
    for url in [*every_url(), "/no/such/page/", "/static/css/gapwatch.css"]:
        for response in (client.get(url), client.post(url, {})):
            assert_secure_headers(response, url)


def test_pages_use_a_fresh_nonce_and_no_inline_script(client, seeded):
    first = client.get(reverse("negotiations:gap_table", args=["gaza-hostages-ceasefire-2025"]))
    second = client.get(reverse("negotiations:gap_table", args=["gaza-hostages-ceasefire-2025"]))
    nonce = first["Content-Security-Policy"].split("'nonce-", 1)[1].split("'", 1)[0]
    html = first.content.decode()
    assert f'nonce="{nonce}"' in html
    assert nonce not in second["Content-Security-Policy"]
    import re

    assert not re.search(r"<script(?![^>]*\bsrc=)", html), "inline script"
    assert " style=" not in html and " onclick=" not in html


@override_settings(
    SESSION_COOKIE_SECURE=True,
    CSRF_COOKIE_SECURE=True,
    SECURE_HSTS_SECONDS=31536000,
    SECURE_HSTS_INCLUDE_SUBDOMAINS=True,
    SESSION_COOKIE_NAME="__Host-gapwatch-session",
    CSRF_COOKIE_NAME="__Host-gapwatch-csrf",
    GAPWATCH_ANALYST_COOKIE_NAME="__Host-gapwatch-analyst",
)
def test_cookies_and_hsts_under_the_production_settings(seeded, django_user_model):
    client = Client()
    page = client.get(reverse("login"), secure=True)
    assert page["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"
    user = django_user_model.objects.create_user("ana", password=PASSWORD)
    response = client.post(
        reverse("login"),
        {"username": "ana", "password": PASSWORD},
        secure=True,
    )
    session = response.cookies["__Host-gapwatch-session"]
    assert session["secure"] and session["httponly"] and session["path"] == "/"
    assert not session["domain"]
    csrf = page.cookies["__Host-gapwatch-csrf"]
    assert csrf["secure"] and csrf["httponly"]
    analyst = response.cookies["__Host-gapwatch-analyst"]  # set at sign-in
    assert analyst["secure"] and analyst["httponly"] and analyst["path"] == "/"
    assert analyst["samesite"] == "Lax" and not analyst["domain"]
    assert analyst.value.startswith(f"{user.pk}:")  # signed


# ---------------------------------------------------------------------------------------------
# Sign-in throttling


def sign_in(client: Client, username: str, password: str, address: str = "10.0.0.1"):
    return client.post(
        reverse("login"), {"username": username, "password": password}, REMOTE_ADDR=address
    )


def test_repeated_failures_lock_that_user_name_from_that_address(db, django_user_model, caplog):
    django_user_model.objects.create_user("ana", password=PASSWORD)
    client = Client()
    for _ in range(4):
        assert sign_in(client, "ana", "wrong-password").status_code == 200
    assert sign_in(client, "ana", "wrong-password").status_code == 429  # the fifth locks
    locked = sign_in(client, "ana", PASSWORD)
    assert locked.status_code == 429
    assert "Too many failed sign-ins" in locked.content.decode()
    assert any("AXES" in record.getMessage() for record in caplog.records)
    # The real analyst, from her own address, is not locked out by the attacker's guesses.
    assert sign_in(Client(), "ana", PASSWORD, address="10.0.0.2").status_code == 302


def test_behind_the_proxy_the_lock_is_keyed_on_the_address_the_proxy_saw(
    db, django_user_model, settings
):
    """Every request reaches gunicorn from the proxy (127.0.0.1): keyed on that, anyone could
    lock anyone out. An address the client writes into X-Forwarded-For itself is not trusted."""
    settings.BEHIND_TLS_PROXY = True
    django_user_model.objects.create_user("ana", password=PASSWORD)

    def through_proxy(password: str, forwarded: str):
        return Client().post(
            reverse("login"),
            {"username": "ana", "password": password},
            REMOTE_ADDR="127.0.0.1",
            HTTP_X_FORWARDED_FOR=forwarded,
        )

    for attempt in range(5):  # an attacker who writes a new address each time
        through_proxy("wrong-password", f"10.9.9.{attempt}, 203.0.113.9")
    assert through_proxy(PASSWORD, "203.0.113.9").status_code == 429
    assert through_proxy(PASSWORD, "198.51.100.7").status_code == 302  # the analyst


def test_the_client_address_is_the_one_the_proxies_appended(rf, settings):
    from negotiations.forms import client_address

    def seen(forwarded: str | None, remote: str = "127.0.0.1") -> str:
        headers = {"HTTP_X_FORWARDED_FOR": forwarded} if forwarded is not None else {}
        return client_address(rf.get("/", REMOTE_ADDR=remote, **headers))

    settings.BEHIND_TLS_PROXY = False
    assert seen("203.0.113.9", remote="10.0.0.1") == "10.0.0.1"  # no proxy: not trusted
    settings.BEHIND_TLS_PROXY, settings.PROXY_COUNT = True, 1
    assert seen("203.0.113.9") == "203.0.113.9"
    assert seen("1.2.3.4, 203.0.113.9") == "203.0.113.9"
    assert seen(None) == "127.0.0.1"
    settings.PROXY_COUNT = 2  # a CDN, then our proxy
    assert seen("1.2.3.4, 203.0.113.9, 192.0.2.1") == "203.0.113.9"
    assert seen("203.0.113.9") == "127.0.0.1"  # fewer entries than proxies: not trusted


def test_the_lock_lifts_by_itself(db, django_user_model, settings):
    import datetime as dt

    from axes.models import AccessAttempt

    django_user_model.objects.create_user("ana", password=PASSWORD)
    client = Client()
    for _ in range(5):
        sign_in(client, "ana", "wrong-password")
    assert sign_in(client, "ana", PASSWORD).status_code == 429
    AccessAttempt.objects.update(attempt_time=dt.datetime(2000, 1, 1, tzinfo=dt.UTC))
    assert sign_in(client, "ana", PASSWORD).status_code == 302


def test_a_successful_sign_in_gets_a_new_session_key(db, django_user_model):
    django_user_model.objects.create_user("ana", password=PASSWORD)
    client = Client()
    client.get(reverse("login"))
    client.session["marker"] = "before"  # make the anonymous session real
    session = client.session
    session["marker"] = "before"
    session.save()
    before = session.session_key
    assert sign_in(client, "ana", PASSWORD).status_code == 302
    assert client.session.session_key != before


def test_weak_passwords_are_refused():
    from django.contrib.auth.password_validation import validate_password
    from django.core.exceptions import ValidationError

    for weak in ("short", "password1234", "123456789012"):
        with pytest.raises(ValidationError):
            validate_password(weak)


# ---------------------------------------------------------------------------------------------
# Sessions end on the server


def signed_in_client(django_user_model, **user_fields) -> tuple[Client, object]:
    user = django_user_model.objects.create_user("ana", password=PASSWORD, **user_fields)
    user.groups.add(Group.objects.get(name="Analyst"))
    client = Client()
    assert sign_in(client, "ana", PASSWORD).status_code == 302
    return client, user


def test_logout_ends_the_session_on_the_server(db, django_user_model):
    client, _ = signed_in_client(django_user_model)
    key = client.session.session_key
    client.post(reverse("logout"))
    assert not Session.objects.filter(session_key=key).exists()
    stolen = Client()
    stolen.cookies["sessionid"] = key
    assert stolen.get(reverse("negotiations:workspace")).status_code == 302


def test_a_disabled_account_is_signed_out_at_its_next_request(db, django_user_model):
    client, user = signed_in_client(django_user_model)
    assert client.get(reverse("negotiations:workspace")).status_code == 200
    user.is_active = False
    user.save()
    assert client.get(reverse("negotiations:workspace")).status_code == 302


def test_sessions_expire_when_idle(db, django_user_model, settings):
    client, _ = signed_in_client(django_user_model)
    assert settings.SESSION_SAVE_EVERY_REQUEST
    assert client.session.get_expiry_age() == settings.SESSION_COOKIE_AGE <= 3600


def test_sessions_end_a_fixed_time_after_sign_in(db, django_user_model, settings):
    client, _ = signed_in_client(django_user_model)
    session = client.session
    session[SIGNED_IN_AT] = int(time.time()) - settings.GAPWATCH_SESSION_ABSOLUTE_SECONDS - 1
    session.save()
    response = client.get(reverse("negotiations:workspace"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))
    assert client.get(reverse("negotiations:workspace")).status_code == 302


def test_a_form_sent_after_the_time_limit_is_said_not_saved(db, django_user_model, settings):
    client, _ = signed_in_client(django_user_model)
    session = client.session
    session[SIGNED_IN_AT] = int(time.time()) - settings.GAPWATCH_SESSION_ABSOLUTE_SECONDS - 1
    session.save()
    page = client.post(reverse("negotiations:workspace"), {"anything": "typed"}, follow=True)
    assert "You were signed out, so what you sent was not saved." in page.content.decode()


def test_a_session_ended_by_the_time_limit_ends_for_htmx_requests_too(
    db, django_user_model, settings
):
    client, _ = signed_in_client(django_user_model)
    session = client.session
    session[SIGNED_IN_AT] = int(time.time()) - settings.GAPWATCH_SESSION_ABSOLUTE_SECONDS - 1
    session.save()
    response = client.get(
        reverse("negotiations:workspace"),
        headers={"HX-Request": "true", "HX-Current-URL": "http://testserver/workspace/"},
    )
    # A message at the top of the page instead of the sign-in page swapped into it; the
    # session's cookie is still cleared, and the address stays.
    assert response.status_code == 401
    assert response["HX-Retarget"] == "#page-alert"
    assert response["HX-Push-Url"] == "false"
    assert response.cookies[settings.SESSION_COOKIE_NAME]["max-age"] == 0
    assert "next=%2Fworkspace%2F" in response.content.decode()


def test_a_malformed_htmx_current_url_still_gets_the_message(db, django_user_model):
    response = Client().post(
        reverse("negotiations:record", args=["any", "issue", "actor"]),
        headers={"HX-Request": "true", "HX-Current-URL": "http://[::1/x"},
    )
    assert response.status_code == 401
    assert "next=%2F" in response.content.decode()


# ---------------------------------------------------------------------------------------------
# Static files in production: hashed, compressed, cached for a year


def test_collected_static_files_are_hashed_compressed_and_cached_for_a_year(tmp_path, db):
    result = manage(
        "collectstatic", "--noinput", **PRODUCTION_ENV, DJANGO_STATIC_ROOT=str(tmp_path)
    )
    assert result.returncode == 0, result.stderr
    hashed = list((tmp_path / "css").glob("gapwatch.*.css"))
    assert len(hashed) == 1
    assert (tmp_path / "css" / f"{hashed[0].name}.gz").exists()
    assert list((tmp_path / "django_htmx").glob("htmx-2.min.*.js"))

    from django.test import override_settings

    storages = {
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
        "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
    }
    with override_settings(
        STATIC_ROOT=tmp_path,
        STORAGES=storages,
        WHITENOISE_USE_FINDERS=False,
        WHITENOISE_AUTOREFRESH=False,
        WHITENOISE_MAX_AGE=31536000,
        DEBUG=False,
    ):
        response = Client().get(
            f"/static/css/{hashed[0].name}", headers={"Accept-Encoding": "gzip"}
        )
        assert response.status_code == 200
        assert response["Cache-Control"] == "max-age=315360000, public, immutable"
        assert response["Content-Encoding"] == "gzip"


@pytest.mark.parametrize("production", [False, True], ids=["development", "production"])
def test_the_production_server_refuses_to_start_without_the_production_profile(production):
    """`make serve` checks gunicorn's configuration before it migrates anything."""
    clean = {key: value for key, value in os.environ.items() if not key.startswith("DJANGO_")}
    gunicorn = str(ROOT / ".venv" / "bin" / "gunicorn")
    checked = subprocess.run(
        [gunicorn, "--check-config", "-c", "config/gunicorn.py", "config.wsgi"],
        cwd=ROOT,
        env={**clean, **(PRODUCTION_ENV if production else {})},
        capture_output=True,
        text=True,
        timeout=120,
    )
    if production:
        assert checked.returncode == 0, checked.stderr
    else:
        assert checked.returncode != 0
        assert "gunicorn serves Gapwatch in production only" in checked.stderr
