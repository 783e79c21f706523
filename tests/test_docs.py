"""The worked examples in docs/gaps.md hold against the seed data."""

import datetime as dt
import re
from pathlib import Path

import pytest

from negotiations import snapshot

GAPS_DOC = Path(__file__).resolve().parent.parent / "docs" / "gaps.md"


def worked_examples() -> list[tuple[str, str, str, str]]:
    text = GAPS_DOC.read_text(encoding="utf-8")
    block = re.search(
        r"<!-- worked-examples:start -->(.*?)<!-- worked-examples:end -->", text, re.S
    ).group(1)
    rows = []
    for line in block.strip().splitlines()[2:]:
        issue, as_of, gap, between = (cell.strip() for cell in line.strip().strip("|").split("|"))
        rows.append((issue, as_of, gap, between))
    return rows


def test_the_doc_has_worked_examples():
    assert len(worked_examples()) >= 8


@pytest.mark.parametrize(("issue", "as_of", "gap", "between"), worked_examples())
def test_worked_example(seeded, issue, as_of, gap, between):
    table = snapshot.load_table(seeded, dt.date.fromisoformat(as_of))
    row = next(row for row in table.rows if row.issue.slug == issue)
    assert row.gap.describe() == gap
    named = ", ".join(actor.name for actor in row.gap.between) if row.gap.between else ""
    assert named == between


def test_the_seed_example_in_formats_md_loads(db, tmp_path):
    from negotiations.models import Position
    from negotiations.seeds import load_files

    text = (GAPS_DOC.parent / "formats.md").read_text(encoding="utf-8")
    example = text.split("### Example", 1)[1].split("```toml", 1)[1].split("```", 1)[0]
    path = tmp_path / "example.toml"
    path.write_text(example, encoding="utf-8")
    (report,) = load_files([path])
    assert report.created["positions"] == 2
    assert Position.objects.count() == 2


def test_every_seed_issue_has_a_worked_example():
    import tomllib

    from tests.conftest import SEED_FILE

    seed = tomllib.loads(SEED_FILE.read_text(encoding="utf-8"))
    documented = {issue for issue, *_ in worked_examples()}
    assert documented == {issue["slug"] for issue in seed["issues"]}


@pytest.mark.django_db
def test_migrations_match_the_models():
    import io

    from django.core.management import call_command

    call_command("makemigrations", "--check", "--dry-run", stdout=io.StringIO())


def test_formats_md_lists_exactly_the_columns_of_positions_csv():
    from negotiations.spreadsheets import POSITION_HEADER

    text = (GAPS_DOC.parent / "formats.md").read_text(encoding="utf-8")
    table = text.split("### `positions.csv` columns", 1)[1]
    documented = re.findall(r"^\| `([a-z_]+)` \|", table, re.M)
    assert tuple(documented) == POSITION_HEADER
