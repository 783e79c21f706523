"""Cross-table rules the database enforces with triggers, on PostgreSQL and SQLite alike.

A CHECK constraint sees one row only, so the rules that compare a row with rows of other tables
(a position's actor must take part in its issue's negotiation, its value must fit the issue's
kind…) are triggers. Each rule is one SQL condition over NEW, written once and compiled for both
databases. They are (re)installed after every `migrate`, because SQLite drops a table's triggers
when Django rebuilds the table to alter it; and on SQLite they are dropped before it, because a
trigger on one table that names another stops SQLite renaming the rebuilt copy of that other.
"""

from dataclasses import dataclass, replace

from django.db import connections


@dataclass(frozen=True)
class Rule:
    name: str
    message: str
    condition: str
    """SQL that must hold for NEW; written to run on both PostgreSQL and SQLite."""
    events: tuple[str, ...] = ("INSERT", "UPDATE")
    """Which of its table's events the rule checks (OLD exists on UPDATE only)."""
    needs: tuple[str, ...] = ()
    """Columns ("table.column") a migration added after the rules were first installed: a
    database migrated back to before them gets the other rules, without this one."""

    def __post_init__(self) -> None:
        if "'" in self.name + self.message:
            raise ValueError(f"Rule {self.name}: no quote marks in names or messages.")


@dataclass(frozen=True)
class TableRules:
    table: str
    events: tuple[str, ...]
    rules: tuple[Rule, ...]


ISSUE_KIND = "(SELECT kind FROM negotiations_issue WHERE id = NEW.issue_id)"
NO_NUMBER = "NEW.value_min IS NULL AND NEW.value_max IS NULL"
# A number with no fraction: equal to itself as a whole number (BIGINT: the column holds up to
# 10^12; PostgreSQL rounds when casting, SQLite truncates, and either differs from a fraction).
WHOLE = "({column} IS NULL OR {column} = CAST({column} AS BIGINT))"

TABLES = (
    TableRules(
        "negotiations_position",
        ("INSERT", "UPDATE"),
        (
            Rule(
                "position_actor_takes_part",
                "the actor of a position must take part in the negotiation of its issue",
                "(SELECT negotiation_id FROM negotiations_issue WHERE id = NEW.issue_id)"
                " = (SELECT negotiation_id FROM negotiations_participant"
                " WHERE id = NEW.participant_id)",
            ),
            Rule(
                "position_value_fits_issue",
                "the value of a position must fit the kind of its issue",
                f"({ISSUE_KIND} = 'quantity' AND NOT ({NO_NUMBER})"
                " AND NEW.value_bool IS NULL AND NEW.value_option_id IS NULL)"
                f" OR ({ISSUE_KIND} = 'yes_no' AND NEW.value_bool IS NOT NULL AND {NO_NUMBER}"
                " AND NEW.value_option_id IS NULL)"
                f" OR ({ISSUE_KIND} = 'scale' AND NEW.value_option_id IS NOT NULL AND {NO_NUMBER}"
                " AND NEW.value_bool IS NULL)"
                f" OR ({ISSUE_KIND} = 'text' AND {NO_NUMBER} AND NEW.value_bool IS NULL"
                " AND NEW.value_option_id IS NULL)",
            ),
            Rule(
                "position_whole_number_where_counted",
                "a position on an issue counted in whole numbers gives whole numbers",
                "NOT (SELECT whole_numbers FROM negotiations_issue WHERE id = NEW.issue_id)"
                f" OR ({WHOLE.format(column='NEW.value_min')}"
                f" AND {WHOLE.format(column='NEW.value_max')})",
                needs=("negotiations_issue.whole_numbers",),
            ),
            Rule(
                "position_option_of_its_issue",
                "the scale option of a position must belong to its issue",
                "NEW.value_option_id IS NULL OR EXISTS (SELECT 1 FROM negotiations_scaleoption"
                " WHERE id = NEW.value_option_id AND issue_id = NEW.issue_id)",
            ),
            Rule(
                "position_package_of_its_actor",
                "only the proposer of a package holds positions in it",
                "NEW.package_id IS NULL OR EXISTS (SELECT 1 FROM negotiations_package"
                " WHERE id = NEW.package_id AND proposer_id = NEW.participant_id)",
            ),
            Rule(
                "position_dated_by_its_sources",
                "a source cannot report a position stated, or a status changed, after it was"
                " published",
                "NEW.stated_on <= (SELECT published_on FROM negotiations_source"
                " WHERE id = NEW.source_id)"
                " AND (NEW.status_source_id IS NULL OR NEW.status_changed_on IS NULL"
                " OR NEW.status_changed_on <= (SELECT published_on FROM negotiations_source"
                " WHERE id = NEW.status_source_id))",
            ),
        ),
    ),
    TableRules(
        "negotiations_source",
        ("UPDATE",),
        (
            Rule(
                "source_published_by_what_it_reports",
                "a source cannot be dated before the positions, status changes and packages it"
                " reports",
                "NOT EXISTS (SELECT 1 FROM negotiations_position WHERE source_id = NEW.id"
                " AND stated_on > NEW.published_on)"
                " AND NOT EXISTS (SELECT 1 FROM negotiations_position"
                " WHERE status_source_id = NEW.id AND status_changed_on > NEW.published_on)"
                " AND NOT EXISTS (SELECT 1 FROM negotiations_package WHERE source_id = NEW.id"
                " AND stated_on > NEW.published_on)",
            ),
        ),
    ),
    TableRules(
        "negotiations_issue",
        ("UPDATE",),
        (
            Rule(
                "issue_kind_fixed_once_used",
                "an issue with positions cannot change its kind or negotiation",
                "(NEW.kind = OLD.kind AND NEW.negotiation_id = OLD.negotiation_id)"
                " OR NOT EXISTS (SELECT 1 FROM negotiations_position WHERE issue_id = NEW.id)",
            ),
            Rule(
                "issue_whole_numbers_only_where_positions_are",
                "an issue counted in whole numbers cannot have positions with fractions",
                "NOT NEW.whole_numbers OR NOT EXISTS (SELECT 1 FROM negotiations_position"
                f" WHERE issue_id = NEW.id AND NOT ({WHOLE.format(column='value_min')}"
                f" AND {WHOLE.format(column='value_max')}))",
                needs=("negotiations_issue.whole_numbers",),
            ),
            Rule(
                "issue_with_options_stays_a_scale",
                "an issue with scale options must stay a scale",
                "NEW.kind = 'scale' OR NOT EXISTS (SELECT 1 FROM negotiations_scaleoption"
                " WHERE issue_id = NEW.id)",
            ),
        ),
    ),
    TableRules(
        "negotiations_participant",
        ("UPDATE",),
        (
            Rule(
                "participant_negotiation_fixed_once_used",
                "a participant with positions, packages or rounds cannot move to another "
                "negotiation",
                "NEW.negotiation_id = OLD.negotiation_id"
                " OR (NOT EXISTS (SELECT 1 FROM negotiations_position"
                " WHERE participant_id = NEW.id)"
                " AND NOT EXISTS (SELECT 1 FROM negotiations_package"
                " WHERE proposer_id = NEW.id)"
                " AND NOT EXISTS (SELECT 1 FROM negotiations_round_attendees"
                " WHERE participant_id = NEW.id))",
            ),
        ),
    ),
    TableRules(
        "negotiations_package",
        ("INSERT", "UPDATE"),
        (
            Rule(
                "package_proposer_takes_part",
                "the proposer of a package must take part in its negotiation",
                "EXISTS (SELECT 1 FROM negotiations_participant WHERE id = NEW.proposer_id"
                " AND negotiation_id = NEW.negotiation_id)",
            ),
            Rule(
                "package_terms_keep_their_proposer",
                "a package with terms cannot change its proposer",
                "NOT EXISTS (SELECT 1 FROM negotiations_position WHERE package_id = NEW.id"
                " AND participant_id <> NEW.proposer_id)",
            ),
            Rule(
                "package_dated_by_its_source",
                "a source cannot report a package put forward after it was published",
                "NEW.stated_on <= (SELECT published_on FROM negotiations_source"
                " WHERE id = NEW.source_id)",
            ),
        ),
    ),
    TableRules(
        "negotiations_scaleoption",
        ("INSERT", "UPDATE"),
        (
            Rule(
                "scale_option_on_a_scale",
                "only a scale issue has options",
                "(SELECT kind FROM negotiations_issue WHERE id = NEW.issue_id) = 'scale'",
            ),
            Rule(
                "scale_option_stays_on_its_issue",
                "a scale option in use cannot move to another issue",
                "NEW.issue_id = OLD.issue_id OR NOT EXISTS (SELECT 1 FROM negotiations_position"
                " WHERE value_option_id = NEW.id)",
                events=("UPDATE",),
            ),
        ),
    ),
    TableRules(
        "negotiations_round",
        ("UPDATE",),
        (
            Rule(
                "round_negotiation_fixed_once_attended",
                "a round with attendees cannot move to another negotiation",
                "NEW.negotiation_id = OLD.negotiation_id OR NOT EXISTS (SELECT 1 FROM"
                " negotiations_round_attendees WHERE round_id = NEW.id)",
            ),
        ),
    ),
    TableRules(
        "negotiations_round_attendees",
        ("INSERT", "UPDATE"),
        (
            Rule(
                "round_attendee_takes_part",
                "the attendees of a round must take part in its negotiation",
                "(SELECT negotiation_id FROM negotiations_round WHERE id = NEW.round_id)"
                " = (SELECT negotiation_id FROM negotiations_participant"
                " WHERE id = NEW.participant_id)",
            ),
        ),
    ),
)


def postgresql_statements(table: TableRules) -> list[str]:
    function = f"{table.table}_rules"
    checks = "\n".join(_pg_check(rule, table) for rule in table.rules)
    events = " OR ".join(table.events)
    return [
        f"CREATE OR REPLACE FUNCTION {function}() RETURNS trigger LANGUAGE plpgsql AS $$\n"
        f"BEGIN\n{checks}\n  RETURN NEW;\nEND;\n$$",
        f"DROP TRIGGER IF EXISTS {function} ON {table.table}",
        f"CREATE TRIGGER {function} BEFORE {events} ON {table.table}"
        f" FOR EACH ROW EXECUTE FUNCTION {function}()",
    ]


def _pg_check(rule: Rule, table: TableRules) -> str:
    check = (
        f"  IF NOT ({rule.condition}) THEN\n"
        f"    RAISE EXCEPTION '%: %', '{rule.name}', '{rule.message}' USING ERRCODE = '23514';\n"
        "  END IF;"
    )
    events = [event for event in table.events if event in rule.events]
    if events == list(table.events):
        return check
    # Nested, not AND-ed: SQL does not promise to skip a condition that reads OLD on INSERT.
    guard = " OR ".join(f"TG_OP = '{event}'" for event in events)
    return f"  IF {guard} THEN\n{check}\n  END IF;"


def sqlite_statements(table: TableRules) -> list[str]:
    statements = []
    for event in table.events:
        trigger = f"{table.table}_rules_{event.lower()}"
        checks = "\n".join(
            f"  SELECT RAISE(ABORT, '{rule.name}: {rule.message}') WHERE NOT ({rule.condition});"
            for rule in table.rules
            if event in rule.events
        )
        statements += [
            f"DROP TRIGGER IF EXISTS {trigger}",
            f"CREATE TRIGGER {trigger} BEFORE {event} ON {table.table}\nBEGIN\n{checks}\nEND",
        ]
    return statements


def uninstall_for_migrating(using: str = "default", **kwargs) -> None:
    """Before `migrate` on SQLite (pre_migrate): install() puts them back after it."""
    connection = connections[using]
    if connection.vendor != "sqlite":
        return  # PostgreSQL alters tables in place
    with connection.cursor() as cursor:
        for table in TABLES:
            for event in table.events:
                cursor.execute(f"DROP TRIGGER IF EXISTS {table.table}_rules_{event.lower()}")


def install(using: str = "default", **kwargs) -> None:
    connection = connections[using]
    compile_table = {
        "postgresql": postgresql_statements,
        "sqlite": sqlite_statements,
    }.get(connection.vendor)
    if compile_table is None:
        raise RuntimeError(f"Gapwatch's database rules have no dialect for {connection.vendor}.")
    existing = set(connection.introspection.table_names())
    with connection.cursor() as cursor:
        columns = {
            f"{name}.{column.name}"
            for name in {need.split(".")[0] for t in TABLES for r in t.rules for need in r.needs}
            if name in existing
            for column in connection.introspection.get_table_description(cursor, name)
        }
        for table in TABLES:
            if table.table not in existing:
                continue
            rules = tuple(rule for rule in table.rules if set(rule.needs) <= columns)
            for statement in compile_table(replace(table, rules=rules)):
                cursor.execute(statement)
