"""Migrating a database that is in use: on SQLite with the database's triggers installed, and
with rows the new rules refuse. Each test migrates a SQLite file of its own, in a subprocess."""

import sqlite3
import uuid
from pathlib import Path

from tests.test_security import manage


def migrated_to_0007_with_the_seed(tmp_path: Path) -> tuple[dict, Path]:
    """The seed loaded, then migrated back to 0007 (the code loads into the newest schema)."""
    path = tmp_path / "old.sqlite3"
    env = {"DATABASE_URL": f"sqlite:///{path}"}
    for command in (("migrate",), ("loadseeds",), ("migrate", "negotiations", "0007")):
        result = manage(*command, **env)
        assert result.returncode == 0, result.stderr
    return env, path


def the_migration_stops(env: dict) -> str:
    """`migrate`, which must stop: what it says."""
    result = manage("migrate", **env)
    assert result.returncode != 0
    return result.stderr


def the_migration_runs(env: dict) -> None:
    result = manage("migrate", **env)
    assert result.returncode == 0, result.stderr


def test_a_database_in_use_migrates_forward_and_back_and_keeps_its_triggers(tmp_path):
    env, path = migrated_to_0007_with_the_seed(tmp_path)  # triggers installed after 0007
    with sqlite3.connect(path) as database:
        database.execute(
            "UPDATE negotiations_position SET summary = 'Two' || char(10) || 'lines'"
            " WHERE id = (SELECT min(id) FROM negotiations_position)"
        )
        database.execute(
            "UPDATE negotiations_position SET status_attribution = 'A spokesman'"
            " WHERE id = (SELECT max(id) FROM negotiations_position WHERE status = 'reported')"
        )
        database.execute(
            "UPDATE negotiations_source SET headline = 'Broken' || char(13) || char(10) || 'line'"
            " WHERE id = (SELECT min(id) FROM negotiations_source)"
        )
        database.execute("UPDATE negotiations_actor SET name = 'Tab' || char(9) || 'bed'")
    for command in (("migrate",), ("migrate", "negotiations", "0007"), ("migrate",)):
        result = manage(*command, **env)
        assert result.returncode == 0, result.stderr
    with sqlite3.connect(path) as database:
        summaries = database.execute("SELECT summary FROM negotiations_position").fetchall()
        assert ("Two lines",) in summaries
        headlines = database.execute("SELECT headline FROM negotiations_source").fetchall()
        assert ("Broken line",) in headlines
        assert database.execute("SELECT DISTINCT name FROM negotiations_actor").fetchall() == [
            ("Tab bed",)
        ]
        assert database.execute(
            "SELECT count(*) FROM negotiations_position WHERE status = 'reported'"
            " AND status_attribution <> ''"
        ).fetchone() == (0,)
        triggers = database.execute(
            "SELECT count(*) FROM sqlite_master WHERE type = 'trigger' AND name LIKE '%_rules_%'"
        ).fetchone()[0]
    assert triggers == 12


def test_dates_before_1900_stop_the_migration_with_a_list_to_correct(tmp_path):
    env, path = migrated_to_0007_with_the_seed(tmp_path)
    with sqlite3.connect(path) as database:
        # A position's date: a source's would be refused by a rule newer than the typo.
        database.execute("UPDATE negotiations_position SET stated_on = '0025-04-14' WHERE id = 1")
    stopped = the_migration_stops(env)
    assert "Correct these dates (before 1 January 1900) in the admin, then migrate again:" in (
        stopped
    )
    assert "Position 1: stated_on = 0025-04-14" in stopped


COPY_UID = uuid.UUID("00000000-0000-4000-8000-000000000001")


def test_a_position_on_record_twice_stops_the_migration_with_both_uids(tmp_path):
    env, path = migrated_to_0007_with_the_seed(tmp_path)
    with sqlite3.connect(path) as database:
        columns = [row[1] for row in database.execute("PRAGMA table_info(negotiations_position)")]
        copied = ", ".join(
            f"'{COPY_UID.hex}'" if name == "uid" else name for name in columns if name != "id"
        )
        database.execute(
            f"INSERT INTO negotiations_position ({', '.join(c for c in columns if c != 'id')})"
            f" SELECT {copied} FROM negotiations_position WHERE id = 1"
        )
        (first_uid,) = database.execute(
            "SELECT uid FROM negotiations_position WHERE id = 1"
        ).fetchone()
    stopped = the_migration_stops(env)
    assert "1 position is on record more than once" in stopped
    assert f"{uuid.UUID(first_uid)}, {COPY_UID}" in stopped
    assert "Nothing was changed." in stopped
    with sqlite3.connect(path) as database:
        assert database.execute(
            "SELECT count(*) FROM sqlite_master WHERE name = 'position_recorded_once'"
        ).fetchone() == (0,)
        database.execute("DELETE FROM negotiations_position WHERE uid = ?", (COPY_UID.hex,))
    the_migration_runs(env)
    with sqlite3.connect(path) as database:
        assert database.execute(
            "SELECT count(*) FROM sqlite_master WHERE name = 'position_recorded_once'"
        ).fetchone() == (1,)


def test_a_slug_of_other_characters_stops_the_migration_with_a_list_to_correct(tmp_path):
    env, path = migrated_to_0007_with_the_seed(tmp_path)
    with sqlite3.connect(path) as database:
        database.execute("UPDATE negotiations_actor SET slug = 'united states' WHERE id = 1")
    stopped = the_migration_stops(env)
    assert "These slugs hold characters other than letters" in stopped
    assert "Actor 1: slug 'united states'" in stopped
    assert "Nothing was changed." in stopped
    with sqlite3.connect(path) as database:
        database.execute("UPDATE negotiations_actor SET slug = 'united-states-1' WHERE id = 1")
    the_migration_runs(env)
    with sqlite3.connect(path) as database:
        refused = database.execute(
            "SELECT count(*) FROM sqlite_master WHERE sql LIKE '%actor_slug_is_a_slug%'"
        ).fetchone()
    assert refused == (1,)


def test_required_text_left_empty_stops_the_migration_with_a_list_to_fill_in(tmp_path):
    env, path = migrated_to_0007_with_the_seed(tmp_path)
    with sqlite3.connect(path) as database:
        database.execute("UPDATE negotiations_source SET headline = '' WHERE id = 1")
    stopped = the_migration_stops(env)
    assert "These records have no text where it is required:\n  Source 1: headline" in (stopped)
    assert "Nothing was changed." in stopped
    with sqlite3.connect(path) as database:
        database.execute("UPDATE negotiations_source SET headline = 'A headline' WHERE id = 1")
    the_migration_runs(env)
