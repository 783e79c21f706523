"""The Cairo-round dataset computes the gaps docs/gaps.md promises, through the database."""

import datetime as dt

import pytest

from negotiations import gap_days, gaps, snapshot
from negotiations.models import Issue, Position
from negotiations.synthetic import Shape, build

APRIL_13 = dt.date(2025, 4, 13)
APRIL_14 = dt.date(2025, 4, 14)


def row_for(table: snapshot.NegotiationTable, slug: str) -> snapshot.Row:
    return next(row for row in table.rows if row.issue.slug == slug)


def cell_values(row: snapshot.Row) -> dict[str, str]:
    return {
        cell.participant.actor.slug: cell.position.value_display
        for cell in row.cells
        if cell.position is not None
    }


def test_default_table_hostages_two_apart_between_the_us_and_hamas(seeded):
    table = snapshot.load_table(seeded, APRIL_14)
    hostages = row_for(table, "living-hostages")
    assert hostages.gap.describe() == "2 hostages apart"
    assert [actor.name for actor in hostages.gap.between] == ["US", "Hamas"]
    assert cell_values(hostages) == {
        "hamas": "9 hostages",
        "egypt": "8 hostages",
        "united-states": "11 hostages",
    }


def test_egypts_eight_is_the_mediators_reference_one_from_hamas(seeded):
    hostages = row_for(snapshot.load_table(seeded, APRIL_14), "living-hostages")
    by_party = {d.party.name: d.describe(hostages.gap.issue) for d in hostages.proposals}
    assert by_party == {"Israel": "no position", "Hamas": "1 hostage apart"}


def test_conditional_packages_leave_standing_positions_in_place(seeded):
    table = snapshot.load_table(seeded, APRIL_14)
    hostages = row_for(table, "living-hostages")
    # Hamas's "all hostages" and Egypt's "eleven in two phases" are conditional.
    assert cell_values(hostages)["hamas"] == "9 hostages"
    assert cell_values(hostages)["egypt"] == "8 hostages"


@pytest.mark.parametrize(
    ("issue", "gap"),
    [
        ("living-hostages", "2 hostages apart"),
        ("deceased-hostages", "not enough positions"),
        ("pause-length", "not enough positions"),
        ("end-of-war", "opposed"),
        ("withdrawal", "not enough positions"),
        ("humanitarian-aid", "not enough positions"),
        ("crossings", "not enough positions"),
        ("halt-to-attacks", "not enough positions"),
        ("disarmament", "opposed"),
        ("leadership-conditions", "opposed"),
        ("hostage-report", "not enough positions"),
    ],
)
def test_every_issue_of_the_seed_has_its_expected_gap(seeded, issue, gap):
    assert row_for(snapshot.load_table(seeded, APRIL_14), issue).gap.describe() == gap


def test_summary_counts_of_the_seed(seeded):
    table = snapshot.load_table(seeded, APRIL_14)
    assert (table.engine.agreed, table.engine.apart, table.engine.unknown) == (0, 4, 7)
    assert table.engine.widest.issue.title == "Commitment to end the war"


def test_the_denied_disarmament_claim_is_not_hamass_current_position(seeded):
    disarmament = row_for(snapshot.load_table(seeded, APRIL_14), "disarmament")
    hamas_cell = next(c for c in disarmament.cells if c.participant.actor.slug == "hamas")
    assert hamas_cell.position.stance == "rejection"
    assert Position.objects.filter(issue=disarmament.issue, status="denied").exists()


def test_the_denied_claim_is_found_for_its_issue_alone_as_for_the_whole_table(seeded):
    disarmament = Issue.objects.get(negotiation=seeded, slug="disarmament")
    everywhere = snapshot.load_withdrawn(seeded, APRIL_14)
    alone = snapshot.load_withdrawn(seeded, APRIL_14, only=disarmament)
    assert alone  # the denied claim of Hamas
    assert alone == {key: p for key, p in everywhere.items() if key[0] == disarmament.pk}
    hostages = Issue.objects.get(negotiation=seeded, slug="living-hostages")
    assert snapshot.load_withdrawn(seeded, APRIL_14, only=hostages) == {}


def test_as_of_april_13_only_the_egyptian_proposal_stands(seeded):
    table = snapshot.load_table(seeded, APRIL_13)
    assert cell_values(row_for(table, "living-hostages")) == {"egypt": "8 hostages"}
    assert row_for(table, "living-hostages").gap.describe() == "not enough positions"


def test_as_known_on_april_13_nothing_had_been_reported(seeded):
    table = snapshot.load_table(seeded, APRIL_13, known_by=APRIL_13)
    assert all(cell.position is None for row in table.rows for cell in row.cells)


def test_columns_put_parties_first_then_mediators_then_stakeholders(seeded):
    table = snapshot.load_table(seeded, APRIL_14)
    assert [p.actor.slug for p in table.participants] == [
        "israel",
        "hamas",
        "egypt",
        "qatar",
        "united-states",
        "palestinian-factions",
        "hostage-families",
    ]


def test_egyptian_proposal_compared_whole_against_each_party(seeded):
    table = snapshot.load_table(seeded, APRIL_14)
    packages = {package.slug: compared for package, compared in snapshot.load_packages(table)}
    israel, hamas = packages["egyptian-proposal"]
    assert (israel.party.name, israel.agreed, israel.apart, israel.unknown) == ("Israel", 0, 0, 5)
    assert (hamas.party.name, hamas.agreed, hamas.apart, hamas.unknown) == ("Hamas", 0, 1, 4)


def test_gap_history_of_the_hostage_issue(seeded):
    issue = Issue.objects.get(negotiation=seeded, slug="living-hostages")
    history = gap_days.load_issue_history(issue)
    assert [(day.day, day.description) for day in history.days] == [
        (APRIL_13, "not enough positions"),
        (APRIL_14, "2 hostages apart"),
    ]


# ---------------------------------------------------------------------------------------------
# The database's "current position" agrees with the engine's rule, on random histories


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_database_current_positions_match_the_engines_rule(db, seed):
    negotiation = build(
        f"random-{seed}", Shape(issues=6, actors=5, positions=600, days=60), seed=seed
    )
    participants = snapshot.load_participants(negotiation)
    issues = snapshot.load_issues(negotiation)
    actors = {p.pk: snapshot.actor_ref(p) for p in participants}
    ranks = snapshot.scale_ranks(issues)
    history = [
        snapshot.position_fact(position, actors, ranks)
        for position in Position.objects.for_negotiation(negotiation).select_related(
            *snapshot.POSITION_RELATIONS
        )
    ]
    for as_of in (dt.date(2025, 2, 20), dt.date(2025, 3, 15), APRIL_14):
        for known_by in (None, as_of - dt.timedelta(days=5)):
            expected = {
                key: fact.id
                for key, fact in gaps.current_positions(history, as_of, known_by).items()
            }
            from_database = {
                (p.issue_id, p.participant_id): p.pk
                for p in Position.objects.current_as_of(negotiation, as_of, known_by)
            }
            assert from_database == expected, (as_of, known_by)


@pytest.mark.parametrize("seed", [5, 6])
def test_the_reduced_history_gives_the_same_gap_history_as_every_position(db, seed):
    negotiation = build(
        f"history-{seed}", Shape(issues=6, actors=4, positions=1500, days=40), seed=seed
    )
    participants = snapshot.load_participants(negotiation)
    actors = {p.pk: snapshot.actor_ref(p) for p in participants}
    for issue in snapshot.load_issues(negotiation):
        issue.negotiation = negotiation
        ranks = snapshot.scale_ranks([issue])
        facts = snapshot.issue_facts(issue)
        every = [
            snapshot.position_fact(p, actors, ranks)
            for p in Position.objects.filter(issue=issue).select_related(
                *snapshot.POSITION_RELATIONS
            )
        ]
        full = tuple(gaps.daily_gap(point) for point in gaps.gap_history(facts, every))
        assert gap_days.load_issue_history(issue).days == full  # computed, then stored
        assert gap_days.load_issue_history(issue).days == full  # read back
        assert len(Position.objects.history_rows(issue, ["id"])) <= len(every)
