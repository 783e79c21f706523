"""Backup and restore through the seed format: every negotiation exported, loaded into an empty
database, gives identical gap tables and CSV exports."""

import io

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from negotiations.models import (
    Actor,
    Issue,
    Negotiation,
    Package,
    Participant,
    Position,
    Round,
    ScaleOption,
    Source,
)
from negotiations.synthetic import Shape, build

pytestmark = pytest.mark.django_db

DATES = ["2025-04-13", "2025-04-14", "2025-01-10"]


def snapshot_of_exports(client: Client) -> dict[str, bytes]:
    exports = {}
    for negotiation in Negotiation.objects.order_by("slug"):
        positions = client.get(reverse("negotiations:positions_csv", args=[negotiation.slug]))
        exports[f"{negotiation.slug}/positions.csv"] = b"".join(positions.streaming_content)
        for day in DATES:
            for name in ("gaps_csv", "gaps_json"):
                response = client.get(
                    reverse(f"negotiations:{name}", args=[negotiation.slug]), {"as_of": day}
                )
                exports[f"{negotiation.slug}/{name}/{day}"] = response.content
    return exports


def empty_the_database() -> None:
    for model in (
        Position,
        Package,
        Round,
        ScaleOption,
        Issue,
        Participant,
        Negotiation,
        Source,
        Actor,
    ):
        model.objects.all().delete()


def test_exporting_every_negotiation_and_loading_it_back_reproduces_everything(seeded, tmp_path):
    build("synthetic-talks", Shape(issues=6, actors=5, positions=400, days=120), seed=4)
    client = Client()
    before = snapshot_of_exports(client)
    call_command("exportseed", "--all", "--directory", str(tmp_path), stdout=io.StringIO())
    assert sorted(path.name for path in tmp_path.iterdir()) == [
        "gaza-hostages-ceasefire-2025.toml",
        "synthetic-talks.toml",
    ]
    empty_the_database()
    call_command("loadseeds", str(tmp_path), stdout=io.StringIO())
    after = snapshot_of_exports(client)
    assert after.keys() == before.keys()
    for key in before:
        assert after[key] == before[key], key
