"""An injection corpus through every text field shown publicly: escaped in HTML, SVG, Atom and
JSON, neutralised in CSV."""

import csv
import io
import json
import xml.etree.ElementTree as ET

import pytest
from django.db import IntegrityError, transaction
from django.urls import reverse

from negotiations.models import (
    Actor,
    Issue,
    Negotiation,
    Package,
    Position,
    Round,
    ScaleOption,
    Source,
)
from negotiations.signals import touch
from tests.conftest import SEED_SLUG

pytestmark = pytest.mark.django_db

SCRIPT = '<script>alert("x")</script>'
ATTRIBUTE = '"><img src=x onerror=alert(1)>'
SVG = "</title><svg onload=alert(1)>"
FORMULA = '=HYPERLINK("http://evil.example","click")'
RTL = "\u202eevil\u202c\u200f"
CONTROL = "bell\x07tab\tend"
RAW_MARKUP = ("<script>alert", "<img src=x", "<svg onload")


def poison(seeded) -> None:
    """Write the corpus straight into the database, as a compromised import might."""
    Negotiation.objects.filter(pk=seeded.pk).update(title=f"Talks {SCRIPT}", summary=ATTRIBUTE)
    Actor.objects.filter(slug="hamas").update(
        name=f"Hamas {SVG}", short_name="H<b>", other_names=f"{SCRIPT}\n{RTL}"
    )
    Issue.objects.filter(slug="living-hostages").update(
        title=f"Hostages {ATTRIBUTE}", description=SCRIPT, unit="<i>h</i>", unit_singular="<i>h"
    )
    ScaleOption.objects.filter(key="full").update(label=f"full {SVG}", meaning=SCRIPT)
    Source.objects.filter(slug="araby-2025-04-14").update(
        outlet=f"Outlet {SCRIPT}", headline=FORMULA, grade_note=ATTRIBUTE
    )
    Position.objects.filter(summary="Raised the number it would free to nine").update(
        summary=FORMULA,
        attribution=f"{RTL} {SCRIPT}",
        conditions=f"{CONTROL} {SVG}",
    )
    Position.objects.filter(status="denied").update(status_attribution=SCRIPT)
    Package.objects.filter(slug="egyptian-proposal").update(title=f"Deal {SVG}", summary=SCRIPT)
    Round.objects.update(title=f"Round {SCRIPT}", attendance=ATTRIBUTE, outcome=SVG)
    touch([seeded.pk])  # bulk updates bypass the signals that note a change


def body(client, name: str, *args, **query) -> str:
    response = client.get(reverse(name, args=[SEED_SLUG, *args]), query)
    assert response.status_code == 200, name
    if response.streaming:
        return b"".join(response.streaming_content).decode()
    return response.content.decode()


HTML_PAGES = [
    ("negotiations:gap_table", [], {"as_of": "2025-04-14", "withdrawn": "on"}),
    ("negotiations:package", ["egyptian-proposal"], {}),
    ("negotiations:issue_history", ["living-hostages"], {}),
    ("negotiations:issue_history", ["withdrawal"], {}),
    ("negotiations:actor", ["hamas"], {}),
    ("negotiations:sources", [], {}),
    ("negotiations:changes", [], {}),
]


@pytest.mark.parametrize(("name", "args", "query"), HTML_PAGES)
def test_html_and_svg_escape_everything(client, seeded, name, args, query):
    poison(seeded)
    html = body(client, name, *args, **query)
    for raw in RAW_MARKUP:
        assert raw not in html, (name, raw)
    assert "&lt;script&gt;" in html or "&lt;/title&gt;" in html or "&quot;&gt;&lt;img" in html


def test_home_escapes_everything(client, seeded):
    poison(seeded)
    html = client.get("/").content.decode()
    assert not any(raw in html for raw in RAW_MARKUP)
    assert "Talks &lt;script&gt;" in html


def test_the_atom_feed_escapes_everything(client, seeded):
    poison(seeded)
    text = body(client, "negotiations:feed")
    for raw in RAW_MARKUP:
        assert raw not in text
    feed = ET.fromstring(text)  # well-formed XML, whatever the payloads
    ns = {"atom": "http://www.w3.org/2005/Atom"}
    assert feed.find("atom:title", ns).text.startswith(f"Talks {SCRIPT}")
    summaries = " ".join(
        entry.find("atom:summary", ns).text for entry in feed.findall("atom:entry", ns)
    )
    # Summaries are HTML in Atom: the markup arrives escaped once more, as text.
    assert "&lt;script&gt;" in summaries and "<script>" not in summaries


def test_json_carries_the_text_as_data(client, seeded):
    poison(seeded)
    response = client.get(
        reverse("negotiations:gaps_json", args=[SEED_SLUG]), {"as_of": "2025-04-14"}
    )
    assert response["Content-Type"] == "application/json"
    assert response["X-Content-Type-Options"] == "nosniff"
    data = json.loads(response.content)
    assert data["negotiation"]["title"] == f"Talks {SCRIPT}"
    hostages = data["issues"][0]
    assert hostages["positions"]["hamas"]["summary"] == FORMULA
    assert hostages["positions"]["hamas"]["attribution"] == f"{RTL} {SCRIPT}"


@pytest.mark.parametrize("name", ["negotiations:gaps_csv", "negotiations:positions_csv"])
def test_csv_neutralises_formulas_and_keeps_the_rest(client, seeded, name):
    poison(seeded)
    rows = list(csv.DictReader(io.StringIO(body(client, name, as_of="2025-04-14"))))
    summaries = {row["summary"] for row in rows}
    assert f"'{FORMULA}" in summaries
    assert FORMULA not in summaries
    for row in rows:
        for value in row.values():
            assert not value.startswith(("=", "+", "-", "@", "\t", "\r")), value
    if name == "negotiations:positions_csv":
        conditions = {row["conditions"] for row in rows}
        assert f"{CONTROL} {SVG}" in conditions  # other text is kept exactly
        assert f"'{FORMULA}" in {row["source_headline"] for row in rows}


def test_a_javascript_address_cannot_be_stored_for_a_source(seeded):
    for address in ("javascript:alert(1)", "data:text/html,<script>", "JaVaScRiPt:alert(1)"):
        with pytest.raises(IntegrityError), transaction.atomic():
            Source.objects.filter(slug="araby-2025-04-14").update(url=address)


def test_very_long_text_is_refused_by_forms_and_shown_whole_when_stored(client, seeded):
    long = "x" * 20_000
    Position.objects.filter(summary="Raised the number it would free to nine").update(
        conditions=long
    )
    html = body(client, "negotiations:issue_history", "living-hostages")
    assert long in html
