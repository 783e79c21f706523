"""Every model in the back office: list, search, filters, add and change forms render."""

import pytest
from django.contrib import admin
from django.urls import reverse

from negotiations.models import Issue, Negotiation, Position, StoredGapHistory


@pytest.fixture
def editor_client(client, seeded, django_user_model):
    from django.contrib.auth.models import Group

    user = django_user_model.objects.create_user("ed", password="pw-for-tests-only", is_staff=True)
    user.groups.add(Group.objects.get(name="Editor"))
    client.force_login(user)
    return client


def registered_models():
    return [model for model in admin.site._registry if model._meta.app_label == "negotiations"]


def test_every_negotiations_model_is_in_the_admin():
    from django.apps import apps

    app_models = {
        model
        for model in apps.get_app_config("negotiations").get_models()
        if not model.__name__.startswith("Historical")  # shown through each model's History
        and model is not StoredGapHistory  # derived from positions, never edited
    }
    assert app_models <= set(admin.site._registry)
    assert StoredGapHistory not in admin.site._registry


@pytest.mark.parametrize("model", registered_models(), ids=lambda m: m.__name__)
def test_changelist_search_and_add_pages_render(editor_client, model):
    opts = model._meta
    changelist = reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist")
    assert editor_client.get(changelist).status_code == 200
    assert editor_client.get(changelist, {"q": "Hamas"}).status_code == 200
    add = reverse(f"admin:{opts.app_label}_{opts.model_name}_add")
    assert editor_client.get(add).status_code == 200


@pytest.mark.parametrize("model", registered_models(), ids=lambda m: m.__name__)
def test_change_page_renders_for_a_seeded_object(editor_client, model):
    instance = model.objects.first()
    opts = model._meta
    response = editor_client.get(
        reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[instance.pk])
    )
    assert response.status_code == 200


def test_issue_page_lists_its_positions_inline(editor_client):
    issue = Issue.objects.get(slug="living-hostages")
    response = editor_client.get(reverse("admin:negotiations_issue_change", args=[issue.pk]))
    assert b"Raised the number it would free to nine" in response.content


def test_negotiation_page_lists_its_participants_inline(editor_client, seeded):
    response = editor_client.get(reverse("admin:negotiations_negotiation_change", args=[seeded.pk]))
    assert response.content.count(b'name="participants-') > 7


def test_admin_form_shows_the_models_validation(editor_client):
    position = Position.objects.get(summary="Raised the number it would free to nine")
    url = reverse("admin:negotiations_position_change", args=[position.pk])
    form = editor_client.get(url).context["adminform"].form
    data = {**form.initial, "value_min": "12", "value_max": "10", "_save": "Save"}
    data = {k: ("" if v is None else getattr(v, "pk", v)) for k, v in data.items()}
    response = editor_client.post(url, data)
    assert response.status_code == 200
    assert b"The upper end of a range cannot be below the lower end." in response.content
    position.refresh_from_db()
    assert position.value_max == 9


def test_position_list_filters_by_negotiation_and_stance(editor_client, seeded):
    response = editor_client.get(
        reverse("admin:negotiations_position_changelist"),
        {"issue__negotiation__id__exact": seeded.pk, "stance__exact": "rejection"},
    )
    assert response.status_code == 200
    assert response.context["cl"].result_count == 4


def test_admin_is_closed_to_anonymous_users(client, db):
    response = client.get(reverse("admin:negotiations_negotiation_changelist"))
    assert response.status_code == 302
    assert Negotiation.objects.count() == 0
