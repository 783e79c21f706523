"""Every model in the back office: list, search, filters, add and change forms render."""

import pytest
from django.contrib import admin
from django.urls import reverse

from negotiations.models import Issue, Negotiation, Position, StoredGapHistory
from tests import builders


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


def test_issue_page_lists_its_latest_positions_and_links_to_all(editor_client):
    issue = Issue.objects.get(slug="living-hostages")
    response = editor_client.get(reverse("admin:negotiations_issue_change", args=[issue.pk]))
    html = response.content.decode()
    assert "Raised the number it would free to nine" in html
    every = reverse("admin:negotiations_position_changelist") + f"?issue__id__exact={issue.pk}"
    assert f'<a href="{every}">All {issue.positions.count()} positions on this issue</a>' in html
    assert 'name="positions-TOTAL_FORMS"' not in html  # not a form: issues gather thousands
    listed = editor_client.get(every)
    assert listed.status_code == 200
    assert len(listed.context["cl"].result_list) == issue.positions.count()


def changed(editor_client, instance, meanwhile=None, **changes):
    """Post the change form of `instance` with `changes`: the response. `meanwhile` runs
    between opening the form and saving it."""
    opts = instance._meta
    url = reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[instance.pk])
    page = editor_client.get(url)
    data = {}
    for bound in page.context["adminform"].form:
        value = bound.value()
        if isinstance(value, list):
            data[bound.name] = [getattr(v, "pk", v) for v in value]
        elif value is not None:
            data[bound.name] = getattr(value, "pk", value)
    for formset in page.context["inline_admin_formsets"]:
        management = formset.formset.management_form
        data.update({f.html_name: f.value() for f in management})
        for form in formset.formset.forms:
            data.update({f.html_name: ("" if f.value() is None else f.value()) for f in form})
    data.update(changes)
    if meanwhile is not None:
        meanwhile()
    return editor_client.post(url, {**data, "_save": "Save"})


def other_talks(seeded):
    other = builders.negotiation("other-talks")
    return other, builders.participant(other, "hamas")


@pytest.mark.parametrize(
    ("model", "lookup", "field", "message"),
    [
        (
            "participant",
            {"actor__slug": "hamas", "negotiation__slug": "gaza-hostages-ceasefire-2025"},
            "negotiation",
            "This participant already has positions, packages or rounds",
        ),
        ("issue", {"slug": "living-hostages"}, "negotiation", "This issue already has positions"),
        ("round", {}, "negotiation", "This round has attendees"),
    ],
)
def test_moving_what_others_depend_on_is_explained_not_a_500(
    editor_client, seeded, model, lookup, field, message
):
    from django.apps import apps

    other, _ = other_talks(seeded)
    instance = apps.get_model("negotiations", model).objects.filter(**lookup).first()
    response = changed(editor_client, instance, **{field: other.pk})
    assert response.status_code == 200
    assert message in response.content.decode()
    instance.refresh_from_db()
    assert getattr(instance, f"{field}_id") == seeded.pk


def test_a_package_with_terms_keeps_its_proposer(editor_client, seeded):
    from negotiations.models import Package, Participant

    package = Package.objects.filter(positions__isnull=False).first()
    someone_else = Participant.objects.filter(negotiation=seeded).exclude(pk=package.proposer_id)
    response = changed(editor_client, package, proposer=someone_else.first().pk)
    assert "This package already has terms; its proposer cannot change." in (
        response.content.decode()
    )


def test_a_round_takes_only_its_negotiations_participants(editor_client, seeded):
    from negotiations.models import Round

    _, stranger = other_talks(seeded)
    round_ = Round.objects.filter(attendees__isnull=False).first()
    attendees = [p.pk for p in round_.attendees.all()] + [stranger.pk]
    response = changed(editor_client, round_, attendees=attendees)
    assert response.status_code == 200
    assert "Only participants in this round&#x27;s negotiation can attend it" in (
        response.content.decode()
    )
    assert stranger not in round_.attendees.all()


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


def test_admin_refuses_a_change_that_makes_a_position_repeat_another(editor_client):
    nine = Position.objects.get(summary="Raised the number it would free to nine")
    copy = builders.copy_of(nine, summary="Nine, in other words")
    response = changed(editor_client, copy, summary=nine.summary)
    assert response.status_code == 200
    assert (
        "This position is already on record, with the same stance, value, date, source and summary."
    ) in response.content.decode()
    copy.refresh_from_db()
    assert copy.summary == "Nine, in other words"


@pytest.mark.parametrize("model", ["position", "source", "issue"])
def test_a_save_from_a_page_opened_before_someone_else_s_is_refused(
    editor_client, django_user_model, model
):
    from django.apps import apps

    record = apps.get_model("negotiations", model).objects.order_by("pk").first()
    analyst = django_user_model.objects.create_user("ana")

    def analyst_corrects_it():
        theirs = type(record).objects.get(pk=record.pk)
        field = "summary" if model == "position" else "headline" if model == "source" else "title"
        setattr(theirs, field, "Corrected by the analyst")
        theirs._history_user = analyst
        theirs.save()

    field = "summary" if model == "position" else "headline" if model == "source" else "title"
    response = changed(editor_client, record, meanwhile=analyst_corrects_it, **{field: "Mine"})
    assert response.status_code == 200
    page = response.content.decode()
    assert "This record was saved by ana on " in page
    assert f"after you opened this page, changing {field}. Nothing was saved" in page
    record.refresh_from_db()
    assert getattr(record, field) == "Corrected by the analyst"
    # Opened again, the page saves.
    assert changed(editor_client, record, **{field: "Mine"}).status_code == 302
    record.refresh_from_db()
    assert getattr(record, field) == "Mine"


@pytest.mark.parametrize(
    ("parent", "inline", "field", "named"),
    [
        ("negotiation", "issues", "title", "The issue “"),
        ("negotiation", "participants", "order", "The participant “"),
        ("issue", "options", "label", "The scale option “"),
    ],
)
def test_an_inline_row_changed_after_the_page_was_opened_is_refused_by_name(
    editor_client, django_user_model, seeded, parent, inline, field, named
):
    record = seeded if parent == "negotiation" else Issue.objects.get(slug="withdrawal")
    row = getattr(record, inline).order_by("pk").first()
    analyst = django_user_model.objects.create_user("ana")
    theirs = {"title": "Corrected by the analyst", "order": 41, "label": "Corrected"}[field]
    mine = {"title": "Mine", "order": 42, "label": "Mine"}[field]

    def analyst_corrects_it():
        stored = type(row).objects.get(pk=row.pk)
        setattr(stored, field, theirs)
        stored._history_user = analyst
        stored.save()

    def row_prefix():  # rows are listed in their order, which the analyst may change
        page = editor_client.get(reverse(f"admin:negotiations_{parent}_change", args=[record.pk]))
        return next(
            form.prefix
            for formset in page.context["inline_admin_formsets"]
            for form in formset.formset.forms
            if form.instance.pk == row.pk and type(form.instance) is type(row)
        )

    response = changed(
        editor_client, record, meanwhile=analyst_corrects_it, **{f"{row_prefix()}-{field}": mine}
    )
    assert response.status_code == 200
    text = response.content.decode()
    assert named in text
    assert "was saved by ana on " in text
    assert f"changing {field}. Nothing was saved" in text
    row.refresh_from_db()
    assert getattr(row, field) == theirs
    # Opened again, the page saves.
    assert changed(editor_client, record, **{f"{row_prefix()}-{field}": mine}).status_code == 302
    row.refresh_from_db()
    assert getattr(row, field) == mine


def test_reverting_to_an_earlier_version_still_saves(editor_client):
    position = Position.objects.get(summary="Raised the number it would free to nine")
    assert changed(editor_client, position, summary="Edited").status_code == 302
    first = position.history.order_by("history_date").first()
    url = reverse(
        "admin:negotiations_position_simple_history", args=[position.pk, first.history_id]
    )
    page = editor_client.get(url)
    data = {}
    for bound in page.context["adminform"].form:
        value = bound.value()
        if value is not None:
            data[bound.name] = getattr(value, "pk", value)
    assert data["loaded_version"] == Position.objects.get(pk=position.pk).version  # the stored one
    assert editor_client.post(url, {**data, "_save": "Save"}).status_code == 302
    position.refresh_from_db()
    assert position.summary == "Raised the number it would free to nine"


def test_an_issue_s_scale_options_can_swap_ranks_in_one_save(editor_client):
    withdrawal = Issue.objects.get(slug="withdrawal")
    ranks = dict(withdrawal.options.values_list("key", "rank"))
    page = editor_client.get(reverse("admin:negotiations_issue_change", args=[withdrawal.pk]))
    forms = page.context["inline_admin_formsets"][0].formset.forms
    swapped = {
        f"{form.prefix}-rank": ranks["partial"] if form.instance.key == "none" else ranks["none"]
        for form in forms
        if form.instance.key in ("none", "partial")
    }
    response = changed(editor_client, withdrawal, **swapped)
    assert response.status_code == 302, response.content.decode()[:3000]
    assert dict(withdrawal.options.values_list("key", "rank")) == ranks | {
        "none": ranks["partial"],
        "partial": ranks["none"],
    }
    # Two options at one rank on the page are still refused.
    clash = {f"{forms[0].prefix}-rank": ranks["full"], f"{forms[2].prefix}-rank": ranks["full"]}
    assert changed(editor_client, withdrawal, **clash).status_code == 200


def test_position_list_filters_by_negotiation_and_stance(editor_client, seeded):
    response = editor_client.get(
        reverse("admin:negotiations_position_changelist"),
        {"issue__negotiation__id__exact": seeded.pk, "stance__exact": "rejection"},
    )
    assert response.status_code == 200
    assert response.context["cl"].result_count == 5


def test_admin_is_closed_to_anonymous_users(client, db):
    response = client.get(reverse("admin:negotiations_negotiation_changelist"))
    assert response.status_code == 302
    assert Negotiation.objects.count() == 0


def test_scale_options_in_use_and_issues_with_options_are_explained_not_a_500(
    editor_client, seeded
):
    from negotiations.models import ScaleOption

    used = ScaleOption.objects.filter(positions__isnull=False).first()
    other = builders.issue(seeded, "another-scale", kind="scale", options=("low", "high"))
    response = changed(editor_client, used, issue=other.pk)
    assert "Positions hold this option; it cannot move to another issue." in (
        response.content.decode()
    )
    response = changed(editor_client, other, kind="text", unit="")
    assert "This issue has scale options; delete them before changing its kind." in (
        response.content.decode()
    )
    other.refresh_from_db()
    assert other.kind == "scale"
