"""What an analyst does in the workspace, in a real browser."""

import pytest
from django.contrib.auth.models import Group
from playwright.sync_api import expect

from negotiations.models import Position, Source
from tests.conftest import SEED_SLUG

pytestmark = pytest.mark.browser

PASSWORD = "a-long-test-password-9"


@pytest.fixture
def analyst(live_seeded, django_user_model):
    user = django_user_model.objects.create_user("ana", password=PASSWORD)
    user.groups.add(Group.objects.get(name="Analyst"))
    return user


def sign_in(page, live_server, username: str = "ana"):
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Workspace")).to_be_visible()


def test_record_hamas_moving_to_ten_and_watch_the_gap_shrink_without_reload(
    watched_page, live_server, analyst
):
    page = watched_page
    sign_in(page, live_server)
    page.goto(f"{live_server.url}/n/{SEED_SLUG}/?as_of=2025-04-14")
    page.evaluate("window.__notReloaded = true")
    row = page.locator("#issue-living-hostages")
    expect(row.locator(".gap__words")).to_have_text("2 hostages apart")
    row.get_by_label("Record a new position of Hamas on Living hostages released").click()
    form = page.locator(".record-row form")
    expect(form).to_be_visible()
    form.get_by_label("Offer").check()
    form.get_by_label("Exactly (hostages)").fill("10")
    form.get_by_label("Stated on").fill("2025-04-14")
    form.get_by_label("Summary").fill("Would free ten")
    araby = Source.objects.get(slug="araby-2025-04-14")
    form.get_by_label("Source", exact=True).select_option(str(araby.pk))
    form.get_by_label("Credibility").select_option("3")
    form.get_by_role("button", name="Save position").click()
    expect(row.locator(".gap__words")).to_have_text("1 hostage apart")
    expect(page.locator(".record-row")).to_have_count(0)
    expect(page.locator("#summary")).to_contain_text("Widest gap")
    assert page.evaluate("window.__notReloaded") is True
    saved = Position.objects.get(summary="Would free ten")
    assert (saved.value_min, saved.recorded_by) == (10, analyst)


def test_a_bad_entry_comes_back_in_place_with_the_message(watched_page, live_server, analyst):
    page = watched_page
    sign_in(page, live_server)
    page.goto(f"{live_server.url}/n/{SEED_SLUG}/")
    row = page.locator("#issue-living-hostages")
    row.get_by_label("Record a new position of Hamas on Living hostages released").click()
    form = page.locator(".record-row form")
    form.get_by_label("Offer").check()
    form.get_by_label("Exactly (hostages)").fill("10")
    form.get_by_label("Summary").fill("No source given")
    form.get_by_label("Credibility").select_option("3")
    form.get_by_role("button", name="Save position").click()
    expect(page.locator(".record-row .field-error")).to_contain_text(
        "Pick the report this position comes from"
    )
    expect(page.locator(".record-row form").get_by_label("Summary")).to_have_value(
        "No source given"
    )
    assert not Position.objects.filter(summary="No source given").exists()
