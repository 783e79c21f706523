"""The access matrix: every URL × {anonymous, reader, analyst, editor} × {GET, POST}.

The matrix is checked against the whole URL configuration, so a new URL without an entry here
fails the test. POSTs here carry a valid CSRF token (the test client skips the check); a second
test sends every POST without one, and every one must be refused.
"""

import pytest
from django.contrib import admin
from django.contrib.auth.models import Group
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from negotiations.models import Negotiation, Position, Round, Source
from tests.conftest import SEED_SLUG

pytestmark = pytest.mark.django_db

ROLES = ("anonymous", "reader", "analyst", "editor")


def expect(get: int, post: int) -> dict[str, int]:
    return {"GET": get, "POST": post}


PUBLIC = dict.fromkeys(ROLES, expect(200, 405))
# Workspace forms: sign in first, then a role; an empty POST is a form with errors (422).
WORKSPACE_FORM = {
    "anonymous": expect(302, 302),
    "reader": expect(403, 403),
    "analyst": expect(200, 422),
    "editor": expect(200, 422),
}
WORKSPACE_PAGE = {
    "anonymous": expect(302, 405),
    "reader": expect(403, 405),
    "analyst": expect(200, 405),
    "editor": expect(200, 405),
}


def position() -> Position:
    return Position.objects.get(summary="Raised the number it would free to nine")


MATRIX = {
    "negotiations:home": (lambda: [], PUBLIC),
    "negotiations:gap_table": (lambda: [SEED_SLUG], PUBLIC),
    "negotiations:gaps_csv": (lambda: [SEED_SLUG], PUBLIC),
    "negotiations:gaps_json": (lambda: [SEED_SLUG], PUBLIC),
    "negotiations:positions_csv": (lambda: [SEED_SLUG], PUBLIC),
    "negotiations:package": (lambda: [SEED_SLUG, "egyptian-proposal"], PUBLIC),
    "negotiations:issue_history": (lambda: [SEED_SLUG, "living-hostages"], PUBLIC),
    "negotiations:actor": (lambda: [SEED_SLUG, "hamas"], PUBLIC),
    "negotiations:position": (
        lambda: [SEED_SLUG, position().uid],
        dict.fromkeys(ROLES, expect(302, 405)),  # to the position on its issue's page
    ),
    "negotiations:sources": (lambda: [SEED_SLUG], PUBLIC),
    "negotiations:changes": (lambda: [SEED_SLUG], PUBLIC),
    "negotiations:feed": (lambda: [SEED_SLUG], PUBLIC),
    "negotiations:workspace": (
        lambda: [],
        {
            "anonymous": expect(302, 405),
            "reader": expect(200, 405),
            "analyst": expect(200, 405),
            "editor": expect(200, 405),
        },
    ),
    "negotiations:record": (lambda: [SEED_SLUG, "living-hostages", "hamas"], WORKSPACE_FORM),
    "negotiations:new_report": (lambda: [SEED_SLUG], WORKSPACE_FORM),
    "negotiations:import": (lambda: [SEED_SLUG], WORKSPACE_FORM),
    "negotiations:new_round": (lambda: [SEED_SLUG], WORKSPACE_FORM),
    "negotiations:edit_round": (lambda: [SEED_SLUG, Round.objects.get().pk], WORKSPACE_FORM),
    "negotiations:edit_position": (lambda: [position().uid], WORKSPACE_FORM),
    "negotiations:change_status": (lambda: [position().uid], WORKSPACE_FORM),
    "negotiations:delete_position": (lambda: [position().uid], WORKSPACE_FORM),
    "negotiations:edit_source": (
        lambda: [Source.objects.get(slug="araby-2025-04-14").slug],
        WORKSPACE_FORM,
    ),
    "negotiations:history": (
        lambda: ["position", position().pk],
        # An empty POST names no version to restore: back to the page with a message.
        {
            "anonymous": expect(302, 302),
            "reader": expect(403, 403),
            "analyst": expect(200, 302),
            "editor": expect(200, 302),
        },
    ),
    "negotiations:deleted": (lambda: [SEED_SLUG], WORKSPACE_PAGE),
    "login": (
        lambda: [],
        {
            "anonymous": expect(200, 200),
            "reader": expect(302, 302),
            "analyst": expect(302, 302),
            "editor": expect(302, 302),
        },
    ),
    "logout": (lambda: [], dict.fromkeys(ROLES, expect(405, 302))),
}


def named_urls(patterns=None, namespace: str = "") -> list[str]:
    names = []
    for pattern in patterns if patterns is not None else get_resolver().url_patterns:
        if isinstance(pattern, URLResolver):
            inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            names += named_urls(pattern.url_patterns, inner)
        elif isinstance(pattern, URLPattern) and pattern.name:
            names.append(f"{namespace}{pattern.name}")
    return names


def client_for(role: str, django_user_model, enforce_csrf: bool = False) -> Client:
    client = Client(enforce_csrf_checks=enforce_csrf)
    if role != "anonymous":
        user = django_user_model.objects.create_user(
            role, password="a-long-password-for-tests", is_staff=role == "editor"
        )
        if role in ("analyst", "editor"):
            user.groups.add(Group.objects.get(name=role.title()))
        client.force_login(user)
    return client


def state() -> tuple:
    return (
        list(Position.objects.order_by("pk").values_list("pk", "version")),
        Source.objects.count(),
        Round.objects.count(),
        list(Negotiation.objects.values_list("pk", "title", "is_public")),
    )


def test_every_url_has_an_entry_in_the_matrix():
    ours = {name for name in named_urls() if not name.startswith("admin:")}
    assert ours == set(MATRIX), (
        f"missing from the matrix: {ours - set(MATRIX)}; stale: {set(MATRIX) - ours}"
    )


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("name", list(MATRIX))
def test_access_matrix(seeded, django_user_model, name, role):
    args, expected = MATRIX[name]
    url = reverse(name, args=args())
    client = client_for(role, django_user_model)
    assert client.get(url).status_code == expected[role]["GET"], f"GET {url} as {role}"
    before = state()
    assert client.post(url, {}).status_code == expected[role]["POST"], f"POST {url} as {role}"
    assert state() == before, f"POST {url} as {role} changed data"


@pytest.mark.parametrize("role", ROLES)
def test_every_post_without_a_csrf_token_is_refused(seeded, django_user_model, role):
    client = client_for(role, django_user_model, enforce_csrf=True)
    before = state()
    for name, (args, _) in MATRIX.items():
        url = reverse(name, args=args())
        assert client.post(url, {}).status_code == 403, f"POST {url} as {role}"
    for url in admin_urls():
        assert client.post(url, {}).status_code == 403, f"POST {url} as {role}"
    assert state() == before


def admin_urls() -> list[str]:
    urls = [reverse("admin:index"), reverse("admin:password_change")]
    for model in admin.site._registry:
        opts = model._meta
        urls += [
            reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist"),
            reverse(f"admin:{opts.app_label}_{opts.model_name}_add"),
        ]
        instance = model._default_manager.first()
        if instance is not None:
            urls += [
                reverse(f"admin:{opts.app_label}_{opts.model_name}_{action}", args=[instance.pk])
                for action in ("change", "delete", "history")
            ]
    return urls


@pytest.mark.parametrize("role", ROLES)
def test_the_back_office_is_for_editors_only(seeded, django_user_model, role):
    client = client_for(role, django_user_model)
    before = state()
    for url in admin_urls():
        response = client.get(url)
        if role == "editor":
            ours = "/admin/negotiations/" in url or url in (
                reverse("admin:index"),
                reverse("admin:password_change"),
            )
            assert response.status_code == (200 if ours else 403), url
        else:
            assert response.status_code == 302, url
            assert response["Location"].startswith(reverse("admin:login")), url
        if role != "editor":
            assert client.post(url, {}).status_code == 302, url
    assert state() == before
