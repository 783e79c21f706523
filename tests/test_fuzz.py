"""Property-based tests: arbitrary input to every form, both importers, the seed loader and every
query parameter gets a success or a clear refusal, never a server error; a refusal changes
nothing in the database."""

import contextlib
import datetime as dt
import string
from pathlib import Path

import pytest
import tomli_w
from django.contrib.auth.models import Group
from django.test import Client
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from negotiations import importer, seeds
from negotiations.models import Actor, Negotiation, Position, Round, Source
from negotiations.spreadsheets import POSITION_HEADER
from tests.conftest import SEED_SLUG

pytestmark = pytest.mark.django_db

FUZZ = settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

# Text a person or an attacker might type: anything printable, control characters, markup,
# formulas, right-to-left marks, long runs.
nasty = st.sampled_from(
    [
        "",
        " ",
        "0",
        "-1",
        "1e309",
        "NaN",
        "9" * 40,
        "2025-02-30",
        "2025-04-14",
        "14/04/2025",
        "<script>alert(1)</script>",
        "javascript:alert(1)",
        '=HYPERLINK("x")',
        "\u202e\u200f",
        "\x00",
        "\x1b[31m",
        "a" * 5000,
        "True",
        "yes",
        "🙂",
        "'; DROP TABLE x; --",
        "None",
    ]
)
any_text = st.one_of(nasty, st.text(max_size=60), st.text(alphabet=string.printable, max_size=20))


def state() -> tuple:
    return (
        list(Position.objects.order_by("pk").values_list("pk", "version", "summary", "status")),
        list(Source.objects.order_by("pk").values_list("pk", "version", "headline")),
        list(Round.objects.order_by("pk").values_list("pk", "version", "title")),
        Actor.objects.count(),
        list(Negotiation.objects.values_list("pk", "title")),
    )


@pytest.fixture
def analyst_client(seeded, django_user_model):
    user = django_user_model.objects.create_user("ana", password="a-long-password-9")
    user.groups.add(Group.objects.get(name="Analyst"))
    client = Client()
    client.force_login(user)
    return client


def post_fuzzed(client, url: str, data: dict, ok: set[int]) -> None:
    before = state()
    response = client.post(url, data)
    assert response.status_code in ok | {400, 409, 422}, (url, data, response.status_code)
    if response.status_code >= 400:
        assert state() == before, (url, data)


# ---------------------------------------------------------------------------------------------
# Query parameters


QUERY_URLS = [
    ("negotiations:gap_table", [SEED_SLUG]),
    ("negotiations:gaps_csv", [SEED_SLUG]),
    ("negotiations:gaps_json", [SEED_SLUG]),
    ("negotiations:package", [SEED_SLUG, "egyptian-proposal"]),
    ("negotiations:issue_history", [SEED_SLUG, "living-hostages"]),
    ("negotiations:actor", [SEED_SLUG, "hamas"]),
    ("negotiations:sources", [SEED_SLUG]),
    ("negotiations:changes", [SEED_SLUG]),
]


@FUZZ
@given(
    params=st.dictionaries(
        st.sampled_from(["as_of", "known", "withdrawn", "sort", "page", "x"]),
        any_text,
        max_size=4,
    ),
    which=st.sampled_from(QUERY_URLS),
)
def test_any_query_string_gets_a_page_or_a_clear_refusal(seeded, client, params, which):
    name, args = which
    response = client.get(reverse(name, args=args), params)
    assert response.status_code in (200, 400), (name, params)


@FUZZ
@given(
    path=st.text(alphabet=string.ascii_letters + string.digits + "-_.%~", min_size=1, max_size=40)
)
def test_any_address_is_found_or_not_found(seeded, client, path):
    for url in (f"/n/{path}/", f"/n/{SEED_SLUG}/issues/{path}/", f"/n/{SEED_SLUG}/actors/{path}/"):
        assert client.get(url).status_code in (200, 301, 404), url


# ---------------------------------------------------------------------------------------------
# Workspace forms


RECORD_FIELDS = [
    "stance",
    "amount",
    "value_min",
    "value_max",
    "value_bool",
    "value_option",
    "summary",
    "stated_on",
    "source",
    "attribution",
    "credibility",
    "conditions",
    "is_vague",
    "package",
    "new-source-outlet",
    "new-source-headline",
    "new-source-url",
    "new-source-published_on",
    "new-source-grade",
]


@FUZZ
@given(
    data=st.dictionaries(st.sampled_from(RECORD_FIELDS), any_text, max_size=12),
    issue=st.sampled_from(["living-hostages", "end-of-war", "withdrawal", "pause-length"]),
)
def test_the_record_form_never_fails(analyst_client, data, issue):
    url = reverse("negotiations:record", args=[SEED_SLUG, issue, "hamas"])
    post_fuzzed(analyst_client, url, data, ok={302})


@FUZZ
@given(
    data=st.dictionaries(
        st.sampled_from(
            [
                *RECORD_FIELDS,
                "version",
                "status",
                "status_source",
                "status_attribution",
                "status_changed_on",
            ]
        ),
        any_text,
        max_size=10,
    )
)
def test_edit_and_status_forms_never_fail(analyst_client, data):
    position = Position.objects.get(summary="Raised the number it would free to nine")
    for name in ("edit_position", "change_status", "delete_position"):
        post_fuzzed(
            analyst_client, reverse(f"negotiations:{name}", args=[position.uid]), data, ok={302}
        )
        if not Position.objects.filter(pk=position.pk).exists():
            return


@FUZZ
@given(
    data=st.dictionaries(
        st.sampled_from(
            [
                "source-outlet",
                "source-headline",
                "source-url",
                "source-published_on",
                "source-grade",
                "positions-TOTAL_FORMS",
                "positions-INITIAL_FORMS",
                "positions-0-participant",
                "positions-0-issue",
                "positions-0-stance",
                "positions-0-amount",
                "positions-0-summary",
                "positions-0-stated_on",
                "positions-0-credibility",
                "positions-0-value_bool",
                "positions-0-value_option",
            ]
        ),
        any_text,
        max_size=12,
    )
)
def test_the_report_form_never_fails(analyst_client, data):
    post_fuzzed(
        analyst_client, reverse("negotiations:new_report", args=[SEED_SLUG]), data, ok={302}
    )


@FUZZ
@given(
    data=st.dictionaries(
        st.sampled_from(
            [
                "title",
                "location",
                "started_on",
                "ended_on",
                "attendees",
                "attendance",
                "outcome",
                "source",
                "version",
                "outlet",
                "headline",
                "url",
                "published_on",
                "grade",
                "history_id",
                "content",
            ]
        ),
        any_text,
        max_size=8,
    )
)
def test_round_source_history_and_import_forms_never_fail(analyst_client, data):
    # The seed's round: an earlier example may have added another.
    round_ = Round.objects.order_by("pk").first()
    position = Position.objects.first()
    for url in (
        reverse("negotiations:new_round", args=[SEED_SLUG]),
        reverse("negotiations:edit_round", args=[SEED_SLUG, round_.pk]),
        reverse("negotiations:edit_source", args=["araby-2025-04-14"]),
        reverse("negotiations:history", args=["position", position.pk]),
        reverse("negotiations:import", args=[SEED_SLUG]),
    ):
        post_fuzzed(analyst_client, url, data, ok={200, 302})


@FUZZ
@given(username=any_text, password=any_text)
def test_the_sign_in_form_never_fails(db, username, password):
    response = Client().post(reverse("login"), {"username": username, "password": password})
    assert response.status_code in (200, 429)


# ---------------------------------------------------------------------------------------------
# Importers


@FUZZ
@given(content=st.binary(max_size=400))
def test_the_importer_survives_any_bytes(seeded, content):
    before = state()
    plan = importer.plan_import(content)
    if not plan.ok:
        with pytest.raises(importer.ImportRefused):
            importer.apply_import(plan)
    assert state() == before


@FUZZ
@given(rows=st.lists(st.dictionaries(st.sampled_from(POSITION_HEADER), any_text), max_size=4))
def test_the_importer_survives_any_rows(seeded, rows):
    import csv
    import io

    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=POSITION_HEADER)
    writer.writeheader()
    writer.writerows(rows)
    before = state()
    plan = importer.plan_import(buffer.getvalue().encode())
    if plan.ok:
        importer.apply_import(plan)
    else:
        with pytest.raises(importer.ImportRefused):
            importer.apply_import(plan)
        assert state() == before


@FUZZ
@given(rows=st.lists(st.dictionaries(st.sampled_from(POSITION_HEADER), any_text), max_size=3))
def test_the_import_command_survives_any_rows(seeded, tmp_path_factory, rows):
    import csv
    import io

    from django.core.management import call_command
    from django.core.management.base import CommandError

    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=POSITION_HEADER)
    writer.writeheader()
    writer.writerows(rows)
    path = tmp_path_factory.mktemp("import") / "rows.csv"
    path.write_text(buffer.getvalue(), encoding="utf-8")
    before = state()
    with contextlib.suppress(CommandError):
        call_command(
            "importpositions", str(path), "--dry-run", stdout=io.StringIO(), stderr=io.StringIO()
        )
    assert state() == before


# ---------------------------------------------------------------------------------------------
# The seed loader


values = st.one_of(
    any_text,
    st.integers(-10, 10**15),
    st.booleans(),
    st.dates(dt.date(1800, 1, 1), dt.date(2100, 1, 1)),
    st.lists(any_text, max_size=2),
)


def seed_document(draw_table) -> dict:
    return draw_table


@FUZZ
@given(
    negotiation=st.dictionaries(
        st.sampled_from(["slug", "title", "status", "public", "x"]), values, max_size=5
    ),
    tables=st.dictionaries(
        st.sampled_from(["actors", "sources", "issues", "positions", "rounds", "packages"]),
        st.lists(
            st.dictionaries(
                st.sampled_from(
                    [
                        "slug",
                        "name",
                        "short_name",
                        "kind",
                        "role",
                        "outlet",
                        "headline",
                        "published_on",
                        "grade",
                        "title",
                        "unit",
                        "actor",
                        "issue",
                        "stance",
                        "value",
                        "min",
                        "summary",
                        "stated_on",
                        "source",
                        "credibility",
                        "options",
                        "attendees",
                        "location",
                        "started_on",
                    ]
                ),
                values,
                max_size=8,
            ),
            max_size=3,
        ),
        max_size=4,
    ),
)
def test_the_seed_loader_refuses_garbage_with_messages(db, tmp_path_factory, negotiation, tables):
    document = {"gapwatch_seed": 1, "negotiation": negotiation, **tables}
    try:
        text = tomli_w.dumps(document)
    except (TypeError, ValueError):
        return  # not representable in TOML at all
    path: Path = tmp_path_factory.mktemp("seed") / "fuzz.toml"
    path.write_text(text, encoding="utf-8")
    before = state()
    try:
        seeds.load_files([path])
    except seeds.SeedError as error:
        assert error.problems and all(str(path) in problem for problem in error.problems)
        assert state() == before


@FUZZ
@given(text=st.text(max_size=300))
def test_the_seed_loader_survives_any_text(db, tmp_path_factory, text):
    path = tmp_path_factory.mktemp("seed") / "text.toml"
    path.write_text(text, encoding="utf-8")
    before = state()
    with pytest.raises(seeds.SeedError):
        seeds.load_files([path])
    assert state() == before
