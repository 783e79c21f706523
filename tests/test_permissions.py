"""Every write is checked on the server: anonymous users and readers are refused everywhere."""

import pytest
from django.contrib.auth.models import Group
from django.test import Client
from django.urls import reverse

from negotiations import drafts
from negotiations.models import Position, Round, Source
from tests.conftest import SEED_SLUG

pytestmark = pytest.mark.django_db


def write_urls() -> list[str]:
    position = Position.objects.get(summary="Raised the number it would free to nine")
    source = Source.objects.get(slug="araby-2025-04-14")
    round_ = Round.objects.get()
    return [
        reverse("negotiations:record", args=[SEED_SLUG, "living-hostages", "hamas"]),
        reverse("negotiations:new_report", args=[SEED_SLUG]),
        reverse("negotiations:import", args=[SEED_SLUG]),
        reverse("negotiations:new_round", args=[SEED_SLUG]),
        reverse("negotiations:edit_round", args=[SEED_SLUG, round_.pk]),
        reverse("negotiations:edit_position", args=[position.uid]),
        reverse("negotiations:change_status", args=[position.uid]),
        reverse("negotiations:delete_position", args=[position.uid]),
        reverse("negotiations:edit_source", args=[source.slug]),
        reverse("negotiations:history", args=["position", position.pk]),
    ]


def unchanged_state():
    return (
        list(Position.objects.order_by("pk").values_list("pk", "version", "summary")),
        Source.objects.count(),
        Round.objects.count(),
    )


def test_anonymous_users_are_sent_to_sign_in_and_nothing_changes(client, seeded):
    before = unchanged_state()
    for url in write_urls():
        for method in (client.get, client.post):
            response = method(url)
            assert response.status_code == 302, url
            assert response["Location"].startswith(reverse("login")), url
    assert unchanged_state() == before


REPORT_TYPED = {
    "source-outlet": "Wire",
    "source-headline": "Typed before the session ended",
    "positions-TOTAL_FORMS": "2",
    "positions-INITIAL_FORMS": "0",
    "positions-0-summary": "First row",
    "positions-1-summary": "Second row",
}


def analyst_named(django_user_model, name: str):
    analyst = django_user_model.objects.create_user(name, password="x-long-password-1")
    analyst.groups.add(Group.objects.get(name="Analyst"))
    return analyst


def signed_out_after_working(client, analyst) -> None:
    """Signed in on this browser, then the session ended (here or elsewhere)."""
    client.force_login(analyst)
    client.get(reverse("negotiations:workspace"))
    client.session.delete()  # as signing out in another tab, or the time-out, does


def test_a_form_sent_after_signing_out_is_said_not_saved_on_the_sign_in_page(
    client, seeded, django_user_model
):
    signed_out_after_working(client, analyst_named(django_user_model, "ana"))
    said = "You were signed out, so what you sent was not saved."
    comes_back = "Sign in again: the form comes back with what you typed"
    # Delete, restore and import have no typed form to bring back (an import's file is not kept).
    buttons_only = ("/delete/", "/history/", "/import/")
    for url in write_urls():
        sent = client.post(url, {"summary": "Typed before the session ended"}, follow=True)
        assert sent.request["PATH_INFO"] == reverse("login"), url
        page = sent.content.decode()
        assert said in page, url
        if any(part in url for part in buttons_only):
            assert comes_back not in page and "Sign in again, then try again." in page, url
            assert client.session.get(drafts.DRAFT, {}).get("path") != url, url
        else:
            assert comes_back in page, url
            assert client.session[drafts.DRAFT]["path"] == url, url
    opened = client.get(write_urls()[0], follow=True)
    assert said not in opened.content.decode()  # only a form that was sent


def test_a_form_sent_after_signing_out_comes_back_filled_in_after_signing_in(
    client, seeded, django_user_model
):
    signed_out_after_working(client, analyst_named(django_user_model, "ana"))
    url = reverse("negotiations:new_report", args=[SEED_SLUG])
    typed = REPORT_TYPED
    before = unchanged_state()
    sign_in_page = client.post(url, typed, follow=True)
    assert "Sign in again: the form comes back with what you typed" in (
        sign_in_page.content.decode()
    )
    back = client.post(
        reverse("login") + f"?next={url}",
        {"username": "ana", "password": "x-long-password-1"},
        follow=True,
    )
    page = back.content.decode()
    assert back.request["PATH_INFO"] == url
    assert "This is what you sent before signing in again; nothing of it is saved yet." in page
    assert 'value="Typed before the session ended"' in page
    assert 'value="First row"' in page and 'value="Second row"' in page  # both rows
    assert unchanged_state() == before
    # Once: the next visit is an empty form again.
    assert "Typed before the session ended" not in client.get(url).content.decode()


def test_a_kept_form_goes_back_to_its_own_analyst_alone(client, seeded, django_user_model):
    ana, bob = analyst_named(django_user_model, "ana"), analyst_named(django_user_model, "bob")
    url = reverse("negotiations:new_report", args=[SEED_SLUG])
    signed_out_after_working(client, ana)
    client.post(url, {**REPORT_TYPED, "source-headline": "Unfinished report by Ana"})
    assert client.session[drafts.DRAFT]["path"] == url
    # Bob signs in next on the same browser, within the hour: not his to see.
    signed_in = client.post(
        reverse("login") + f"?next={url}",
        {"username": bob.username, "password": "x-long-password-1"},
        follow=True,
    )
    assert signed_in.request["PATH_INFO"] == url
    assert "Unfinished report by Ana" not in signed_in.content.decode()
    assert drafts.DRAFT not in client.session  # dropped, not left for later


def test_a_form_sent_on_a_browser_nobody_signed_in_on_is_not_kept(client, seeded):
    url = reverse("negotiations:new_report", args=[SEED_SLUG])
    sent = client.post(url, {"source-headline": "From nowhere"}, follow=True)
    assert "Sign in again, then try again." in sent.content.decode()
    assert drafts.DRAFT not in client.session


def test_a_form_kept_over_an_hour_ago_is_not_brought_back(client, seeded, django_user_model):
    analyst = analyst_named(django_user_model, "ana")
    signed_out_after_working(client, analyst)
    url = reverse("negotiations:new_report", args=[SEED_SLUG])
    client.post(url, {"source-headline": "Typed long ago"})
    session = client.session
    session[drafts.DRAFT]["at"] -= drafts.KEPT_SECONDS + 1
    session.save()
    client.force_login(analyst)
    assert "Typed long ago" not in client.get(url).content.decode()


def test_readers_without_a_role_are_refused_and_nothing_changes(seeded, django_user_model):
    reader = django_user_model.objects.create_user("reader", password="x-long-password-1")
    client = Client()
    client.force_login(reader)
    before = unchanged_state()
    for url in write_urls():
        for method in (client.get, client.post):
            assert method(url).status_code in (403, 404), url
    assert unchanged_state() == before


def test_workspace_reading_pages_need_a_role(client, seeded, django_user_model):
    deleted = reverse("negotiations:deleted", args=[SEED_SLUG])
    assert client.get(deleted).status_code == 302
    assert client.get(reverse("negotiations:workspace")).status_code == 302
    client.force_login(django_user_model.objects.create_user("reader", password="x-long-pw-1"))
    assert client.get(deleted).status_code == 403


def test_editors_can_do_what_analysts_can(seeded, django_user_model):
    editor = django_user_model.objects.create_user("ed", password="x-long-password-1")
    editor.groups.add(Group.objects.get(name="Editor"))
    client = Client()
    client.force_login(editor)
    for url in write_urls():
        assert client.get(url).status_code == 200, url


def test_htmx_posts_need_the_csrf_token(seeded, django_user_model):
    analyst = django_user_model.objects.create_user("ana", password="x-long-password-1")
    analyst.groups.add(Group.objects.get(name="Analyst"))
    client = Client(enforce_csrf_checks=True)
    client.force_login(analyst)
    url = reverse("negotiations:record", args=[SEED_SLUG, "living-hostages", "hamas"])
    refused = client.post(url, {"stance": "offer"}, headers={"HX-Request": "true"})
    assert refused.status_code == 403
    # The page hands the token to htmx through hx-headers on <body>.
    page = client.get(reverse("negotiations:gap_table", args=[SEED_SLUG])).content.decode()
    token = page.split('"X-CSRFToken": "', 1)[1].split('"', 1)[0]
    accepted = client.post(
        url, {"stance": "offer"}, headers={"HX-Request": "true", "X-CSRFToken": token}
    )
    assert accepted.status_code == 422  # past CSRF, into the form's own validation


def test_the_admin_is_for_editors_only(seeded, django_user_model):
    analyst = django_user_model.objects.create_user("ana", password="x-long-password-1")
    analyst.groups.add(Group.objects.get(name="Analyst"))
    client = Client()
    client.force_login(analyst)
    assert client.get(reverse("admin:index")).status_code == 302


def test_giving_the_editor_role_opens_the_back_office(seeded, django_user_model):
    user = django_user_model.objects.create_user("ed", password="x-long-password-1")
    assert not user.is_staff
    user.groups.add(Group.objects.get(name="Editor"))
    user.refresh_from_db()
    assert user.is_staff
    user.groups.remove(Group.objects.get(name="Editor"))
    user.refresh_from_db()
    assert not user.is_staff
    Group.objects.get(name="Editor").user_set.add(user)
    user.refresh_from_db()
    assert user.is_staff
