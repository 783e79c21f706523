"""The gap engine's rules, on plain data: no database, no HTTP."""

import datetime as dt
from decimal import Decimal

import pytest

from negotiations import gaps
from negotiations.gaps import (
    ActorRef,
    GapState,
    IssueFacts,
    Kind,
    PositionFact,
    Range,
    Stance,
    Status,
)

APRIL_13 = dt.date(2025, 4, 13)
APRIL_14 = dt.date(2025, 4, 14)

ISRAEL = ActorRef(1, "Israel", "party")
HAMAS = ActorRef(2, "Hamas", "party")
EGYPT = ActorRef(3, "Egypt", "mediator")
US = ActorRef(4, "US", "mediator")
FACTIONS = ActorRef(5, "Factions", "stakeholder")

HOSTAGES = IssueFacts(1, "Living hostages released", Kind.QUANTITY, "hostages", "hostage")
PAUSE = IssueFacts(2, "Length of the pause", Kind.QUANTITY, "days", "day")
END_OF_WAR = IssueFacts(3, "Commitment to end the war", Kind.YES_NO)
WITHDRAWAL = IssueFacts(4, "Withdrawal", Kind.SCALE, scale=("none", "partial", "full"))
NOTES = IssueFacts(5, "Atmosphere", Kind.TEXT)

_ids = iter(range(1, 10_000))


def position(
    actor: ActorRef,
    issue: IssueFacts,
    stance: Stance,
    value: gaps.Value,
    stated_on: dt.date = APRIL_14,
    **extra,
) -> PositionFact:
    recorded_at = extra.pop("recorded_at", dt.datetime(2025, 4, 15, 12, 0))
    return PositionFact(next(_ids), issue.id, actor, stance, value, stated_on, recorded_at, **extra)


def exactly(amount: int) -> Range:
    return Range.exactly(amount)


def between(low: int | None, high: int | None) -> Range:
    return Range(
        Decimal(low) if low is not None else None, Decimal(high) if high is not None else None
    )


# ---------------------------------------------------------------------------------------------
# Ranges


def test_distance_between_exact_numbers_is_their_difference():
    assert exactly(9).distance_to(exactly(11)) == 2
    assert exactly(11).distance_to(exactly(9)) == 2


def test_overlapping_ranges_have_zero_distance_and_report_the_overlap():
    assert between(40, 70).distance_to(between(20, 60)) == 0
    assert between(40, 70).overlap(between(20, 60)) == between(40, 60)


def test_open_ended_range_meets_anything_beyond_its_bound():
    at_least_11 = between(11, None)
    assert at_least_11.distance_to(exactly(9)) == 2
    assert at_least_11.distance_to(exactly(50)) == 0
    assert at_least_11.overlap(exactly(50)) == exactly(50)


def test_range_needs_an_end_and_its_ends_in_order():
    with pytest.raises(ValueError, match="at least one end"):
        Range(None, None)
    with pytest.raises(ValueError, match="above the upper end"):
        between(70, 40)


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (exactly(9), "9 hostages"),
        (exactly(1), "1 hostage"),
        (between(40, 70), "40–70 hostages"),
        (between(0, 1), "0–1 hostages"),
        (between(None, 1), "at most 1 hostage"),
        (between(11, None), "at least 11 hostages"),
        (between(None, 5), "at most 5 hostages"),
        (Range.exactly("2.50"), "2.5 hostages"),
    ],
)
def test_ranges_read_as_words_with_the_unit(value, text):
    assert value.describe("hostages", "hostage") == text


def test_percent_sticks_to_its_number():
    assert exactly(30).describe("%") == "30%"


# ---------------------------------------------------------------------------------------------
# Current positions


def test_current_position_is_the_latest_stated():
    old = position(HAMAS, HOSTAGES, Stance.OFFER, exactly(5), dt.date(2025, 3, 1))
    new = position(HAMAS, HOSTAGES, Stance.OFFER, exactly(9), APRIL_14)
    current = gaps.current_positions([new, old], as_of=APRIL_14)
    assert current[(HOSTAGES.id, HAMAS.id)] is new


def test_as_of_an_earlier_date_the_earlier_position_is_current():
    old = position(HAMAS, HOSTAGES, Stance.OFFER, exactly(5), dt.date(2025, 3, 1))
    new = position(HAMAS, HOSTAGES, Stance.OFFER, exactly(9), APRIL_14)
    current = gaps.current_positions([old, new], as_of=APRIL_13)
    assert current[(HOSTAGES.id, HAMAS.id)] is old


def test_same_day_ties_go_to_the_latest_recorded():
    first = position(
        HAMAS, HOSTAGES, Stance.OFFER, exactly(8), recorded_at=dt.datetime(2025, 4, 14, 9)
    )
    corrected = position(
        HAMAS, HOSTAGES, Stance.OFFER, exactly(9), recorded_at=dt.datetime(2025, 4, 14, 17)
    )
    for given in ([corrected, first], [first, corrected]):  # whatever order they come in
        assert gaps.current_positions(given, APRIL_14)[(1, HAMAS.id)] is corrected


def test_denied_position_is_not_current_and_the_previous_one_stands():
    rejection = position(HAMAS, END_OF_WAR, Stance.REJECTION, True, APRIL_13)
    denied = position(
        HAMAS,
        END_OF_WAR,
        Stance.OFFER,
        True,
        APRIL_14,
        status=Status.DENIED,
        status_changed_on=APRIL_14,
    )
    current = gaps.current_positions([rejection, denied], as_of=APRIL_14)
    assert current[(END_OF_WAR.id, HAMAS.id)] is rejection


def test_denied_position_stood_until_the_day_it_was_denied():
    claim = position(
        HAMAS,
        END_OF_WAR,
        Stance.OFFER,
        True,
        APRIL_13,
        status=Status.DENIED,
        status_changed_on=APRIL_14,
    )
    assert gaps.current_positions([claim], as_of=APRIL_13) == {(END_OF_WAR.id, HAMAS.id): claim}
    assert gaps.current_positions([claim], as_of=APRIL_14) == {}


def test_retracted_position_is_not_current():
    retracted = position(
        ISRAEL,
        PAUSE,
        Stance.OFFER,
        exactly(42),
        status=Status.RETRACTED,
        status_changed_on=APRIL_14,
    )
    assert gaps.current_positions([retracted], as_of=APRIL_14) == {}


def test_confirmed_position_stays_current():
    confirmed = position(
        ISRAEL,
        PAUSE,
        Stance.OFFER,
        exactly(42),
        status=Status.CONFIRMED,
        status_changed_on=APRIL_14,
    )
    assert gaps.current_positions([confirmed], as_of=APRIL_14)


def test_term_of_a_conditional_package_does_not_replace_the_standing_position():
    standing = position(HAMAS, HOSTAGES, Stance.OFFER, exactly(9), APRIL_13)
    all_hostages = position(
        HAMAS,
        HOSTAGES,
        Stance.OFFER,
        between(11, None),
        APRIL_14,
        package_id=7,
        in_conditional_package=True,
    )
    current = gaps.current_positions([standing, all_hostages], as_of=APRIL_14)
    assert current[(HOSTAGES.id, HAMAS.id)] is standing


def test_term_of_an_unconditional_package_is_a_standing_position():
    proposal = position(EGYPT, HOSTAGES, Stance.PROPOSAL, exactly(8), APRIL_13, package_id=3)
    assert gaps.current_positions([proposal], APRIL_14)[(HOSTAGES.id, EGYPT.id)] is proposal


def test_known_by_leaves_out_what_was_not_yet_reported():
    reported_later = position(
        EGYPT, HOSTAGES, Stance.PROPOSAL, exactly(8), APRIL_13, reported_on=APRIL_14
    )
    assert gaps.current_positions([reported_later], as_of=APRIL_13) != {}
    assert gaps.current_positions([reported_later], as_of=APRIL_13, known_by=APRIL_13) == {}
    assert gaps.current_positions([reported_later], as_of=APRIL_14, known_by=APRIL_14) != {}


# ---------------------------------------------------------------------------------------------
# The gap on an issue


def test_quantity_gap_is_the_distance_between_demand_and_offer_naming_both():
    gap = gaps.issue_gap(
        HOSTAGES,
        [
            position(US, HOSTAGES, Stance.DEMAND, exactly(11)),
            position(HAMAS, HOSTAGES, Stance.OFFER, exactly(9)),
            position(EGYPT, HOSTAGES, Stance.PROPOSAL, exactly(8)),
        ],
    )
    assert gap.state == GapState.APART
    assert gap.distance == 2
    assert gap.describe() == "2 hostages apart"
    assert gap.between == (US, HAMAS)
    assert gap.normalised == pytest.approx(2 / 11)


def test_one_unit_apart_reads_in_the_singular():
    gap = gaps.issue_gap(
        HOSTAGES,
        [
            position(US, HOSTAGES, Stance.DEMAND, exactly(11)),
            position(HAMAS, HOSTAGES, Stance.OFFER, exactly(10)),
        ],
    )
    assert gap.describe() == "1 hostage apart"


def test_overlapping_demand_and_offer_show_the_zone_of_agreement():
    gap = gaps.issue_gap(
        PAUSE,
        [
            position(HAMAS, PAUSE, Stance.DEMAND, between(40, 70)),
            position(ISRAEL, PAUSE, Stance.OFFER, between(20, 60)),
        ],
    )
    assert gap.state == GapState.AGREED
    assert gap.distance == 0
    assert gap.overlap == between(40, 60)
    assert gap.describe() == "overlap: 40–60 days"
    assert gap.normalised == 0


def test_an_offer_meeting_a_demand_exactly_is_agreed_on_that_number():
    gap = gaps.issue_gap(
        HOSTAGES,
        [
            position(US, HOSTAGES, Stance.DEMAND, exactly(11)),
            position(HAMAS, HOSTAGES, Stance.OFFER, between(11, None)),
        ],
    )
    assert gap.describe() == "agreed: 11 hostages"


def test_widest_pairing_is_the_issue_gap():
    gap = gaps.issue_gap(
        HOSTAGES,
        [
            position(US, HOSTAGES, Stance.DEMAND, exactly(11)),
            position(ISRAEL, HOSTAGES, Stance.DEMAND, exactly(20)),
            position(HAMAS, HOSTAGES, Stance.OFFER, exactly(9)),
        ],
    )
    assert gap.distance == 11
    assert gap.between == (ISRAEL, HAMAS)
    assert len(gap.pairings) == 2


def test_yes_no_demand_against_rejection_is_opposed():
    gap = gaps.issue_gap(
        END_OF_WAR,
        [
            position(HAMAS, END_OF_WAR, Stance.DEMAND, True),
            position(ISRAEL, END_OF_WAR, Stance.REJECTION, True),
        ],
    )
    assert gap.state == GapState.APART
    assert gap.describe() == "opposed"
    assert gap.normalised == 1.0


def test_yes_no_demand_met_by_an_offer_is_agreed():
    gap = gaps.issue_gap(
        END_OF_WAR,
        [
            position(HAMAS, END_OF_WAR, Stance.DEMAND, True),
            position(ISRAEL, END_OF_WAR, Stance.OFFER, True),
        ],
    )
    assert gap.describe() == "agreed"
    assert gap.normalised == 0.0


def test_rejecting_the_opposite_of_a_demand_answers_nothing():
    gap = gaps.issue_gap(
        END_OF_WAR,
        [
            position(HAMAS, END_OF_WAR, Stance.DEMAND, True),
            position(ISRAEL, END_OF_WAR, Stance.REJECTION, False),
        ],
    )
    assert gap.state == GapState.NOT_ENOUGH


def test_scale_gap_counts_steps():
    gap = gaps.issue_gap(
        WITHDRAWAL,
        [
            position(HAMAS, WITHDRAWAL, Stance.DEMAND, 2),
            position(ISRAEL, WITHDRAWAL, Stance.OFFER, 1),
        ],
    )
    assert gap.describe() == "1 step apart"
    assert gap.normalised == 0.5


def test_scale_two_steps_apart_is_as_far_as_it_goes():
    gap = gaps.issue_gap(
        WITHDRAWAL,
        [
            position(HAMAS, WITHDRAWAL, Stance.DEMAND, 2),
            position(ISRAEL, WITHDRAWAL, Stance.OFFER, 0),
        ],
    )
    assert gap.describe() == "2 steps apart"
    assert gap.normalised == 1.0


def test_rejecting_a_demanded_scale_step_is_opposed():
    gap = gaps.issue_gap(
        WITHDRAWAL,
        [
            position(HAMAS, WITHDRAWAL, Stance.DEMAND, 2),
            position(ISRAEL, WITHDRAWAL, Stance.REJECTION, 2),
        ],
    )
    assert gap.describe() == "opposed"


def test_rejected_quantity_range_that_covers_the_demand_is_opposed():
    gap = gaps.issue_gap(
        PAUSE,
        [
            position(HAMAS, PAUSE, Stance.DEMAND, exactly(70)),
            position(ISRAEL, PAUSE, Stance.REJECTION, between(60, None)),
        ],
    )
    assert gap.describe() == "opposed"


def test_text_issue_has_no_computed_gap():
    gap = gaps.issue_gap(NOTES, [position(HAMAS, NOTES, Stance.DEMAND, None)])
    assert gap.state == GapState.NOT_COMPUTED
    assert gap.describe() == "no gap computed"
    assert gap.normalised is None


def test_a_demand_without_answer_is_not_enough():
    gap = gaps.issue_gap(WITHDRAWAL, [position(HAMAS, WITHDRAWAL, Stance.DEMAND, 2)])
    assert gap.state == GapState.NOT_ENOUGH
    assert gap.describe() == "not enough positions"
    assert [p.actor for p in gap.unanswered] == [HAMAS]


def test_nobody_demanding_anything_is_not_enough():
    gap = gaps.issue_gap(HOSTAGES, [position(EGYPT, HOSTAGES, Stance.PROPOSAL, exactly(8))])
    assert gap.state == GapState.NOT_ENOUGH


def test_an_actor_does_not_answer_its_own_demand():
    gap = gaps.issue_gap(
        HOSTAGES,
        [
            position(HAMAS, HOSTAGES, Stance.DEMAND, exactly(11)),
            position(HAMAS, HOSTAGES, Stance.OFFER, exactly(9)),
        ],
    )
    assert gap.state == GapState.NOT_ENOUGH


def test_a_mediator_pressing_a_demand_counts():
    gap = gaps.issue_gap(
        HOSTAGES,
        [
            position(US, HOSTAGES, Stance.DEMAND, exactly(11)),
            position(HAMAS, HOSTAGES, Stance.OFFER, exactly(9)),
        ],
    )
    assert gap.between == (US, HAMAS)


def test_a_stakeholder_rejection_answers_a_demand():
    gap = gaps.issue_gap(
        END_OF_WAR,
        [
            position(ISRAEL, END_OF_WAR, Stance.DEMAND, True),
            position(FACTIONS, END_OF_WAR, Stance.REJECTION, True),
        ],
    )
    assert gap.between == (ISRAEL, FACTIONS)


# ---------------------------------------------------------------------------------------------
# Proposals and packages


def test_each_party_distance_from_a_proposal():
    current = [
        position(EGYPT, HOSTAGES, Stance.PROPOSAL, exactly(8)),
        position(HAMAS, HOSTAGES, Stance.OFFER, exactly(9)),
    ]
    distances = gaps.proposal_distances(HOSTAGES, current, [ISRAEL, HAMAS])
    by_party = {d.party: d for d in distances}
    assert by_party[HAMAS].comparison.distance == 1
    assert by_party[HAMAS].describe(HOSTAGES) == "1 hostage apart"
    assert by_party[ISRAEL].held is None
    assert by_party[ISRAEL].describe(HOSTAGES) == "no position"


def test_a_party_rejecting_a_proposed_term_is_opposed_to_it():
    current = [
        position(EGYPT, END_OF_WAR, Stance.PROPOSAL, True),
        position(ISRAEL, END_OF_WAR, Stance.REJECTION, True),
    ]
    (distance,) = gaps.proposal_distances(END_OF_WAR, current, [ISRAEL])
    assert distance.describe(END_OF_WAR) == "opposed"


def test_package_is_compared_whole_against_each_party_but_its_proposer():
    terms = (
        position(EGYPT, HOSTAGES, Stance.PROPOSAL, exactly(8), package_id=1),
        position(EGYPT, PAUSE, Stance.PROPOSAL, between(40, 70), package_id=1),
        position(EGYPT, END_OF_WAR, Stance.PROPOSAL, True, package_id=1),
    )
    package = gaps.PackageFacts(1, "Egyptian proposal", EGYPT, False, terms)
    current = {
        (HOSTAGES.id, HAMAS.id): position(HAMAS, HOSTAGES, Stance.OFFER, exactly(9)),
        (END_OF_WAR.id, HAMAS.id): position(HAMAS, END_OF_WAR, Stance.DEMAND, True),
        (END_OF_WAR.id, ISRAEL.id): position(ISRAEL, END_OF_WAR, Stance.REJECTION, True),
    }
    issues = {issue.id: issue for issue in (HOSTAGES, PAUSE, END_OF_WAR)}
    hamas, israel = gaps.compare_package(package, issues, current, [HAMAS, ISRAEL, EGYPT])
    assert (hamas.party, hamas.agreed, hamas.apart, hamas.unknown) == (HAMAS, 1, 1, 1)
    assert (israel.party, israel.agreed, israel.apart, israel.unknown) == (ISRAEL, 0, 1, 2)
    assert israel.mean_normalised == 1.0


# ---------------------------------------------------------------------------------------------
# History and the whole table


def test_gap_history_has_a_point_on_every_day_a_position_changed():
    positions = [
        position(US, HOSTAGES, Stance.DEMAND, exactly(11), dt.date(2025, 4, 10)),
        position(HAMAS, HOSTAGES, Stance.OFFER, exactly(5), dt.date(2025, 4, 12)),
        position(HAMAS, HOSTAGES, Stance.OFFER, exactly(9), APRIL_14),
        position(
            HAMAS,
            HOSTAGES,
            Stance.OFFER,
            exactly(40),
            dt.date(2025, 4, 16),
            package_id=2,
            in_conditional_package=True,
        ),
    ]
    history = gaps.gap_history(HOSTAGES, positions)
    assert [(point.day, point.gap.describe()) for point in history] == [
        (dt.date(2025, 4, 10), "not enough positions"),
        (dt.date(2025, 4, 12), "6 hostages apart"),
        (APRIL_14, "2 hostages apart"),
    ]


def test_gap_history_marks_the_day_a_claim_was_denied():
    positions = [
        position(HAMAS, END_OF_WAR, Stance.DEMAND, True, dt.date(2025, 4, 1)),
        position(
            ISRAEL,
            END_OF_WAR,
            Stance.OFFER,
            True,
            dt.date(2025, 4, 2),
            status=Status.DENIED,
            status_changed_on=dt.date(2025, 4, 5),
        ),
    ]
    history = gaps.gap_history(END_OF_WAR, positions)
    assert [(p.day.day, p.gap.describe()) for p in history] == [
        (1, "not enough positions"),
        (2, "agreed"),
        (5, "not enough positions"),
    ]


def test_gap_history_agrees_with_the_gap_computed_afresh_on_each_day():
    positions = [
        position(US, HOSTAGES, Stance.DEMAND, exactly(11), dt.date(2025, 4, 1)),
        position(HAMAS, HOSTAGES, Stance.OFFER, exactly(3), dt.date(2025, 4, 3)),
        position(
            HAMAS,
            HOSTAGES,
            Stance.OFFER,
            exactly(7),
            dt.date(2025, 4, 6),
            status=Status.RETRACTED,
            status_changed_on=dt.date(2025, 4, 8),
        ),
        position(US, HOSTAGES, Stance.DEMAND, exactly(10), dt.date(2025, 4, 9)),
    ]
    for point in gaps.gap_history(HOSTAGES, positions):
        fresh = gaps.issue_gap(
            HOSTAGES, gaps.current_positions(positions, as_of=point.day).values()
        )
        assert point.gap.describe() == fresh.describe(), point.day


def test_gap_history_compares_each_pair_of_positions_once(monkeypatch):
    """A long history compares the same standing pairs day after day: each pair is compared
    once, and every day's gap still matches the gap computed afresh."""
    positions = [
        position(US, HOSTAGES, Stance.DEMAND, exactly(11), dt.date(2025, 1, 1)),
        position(HAMAS, HOSTAGES, Stance.OFFER, exactly(9), dt.date(2025, 1, 2)),
    ]
    positions += [
        position(ISRAEL, HOSTAGES, Stance.OFFER, exactly(day % 12), dt.date(2025, 1, day))
        for day in range(3, 32)
    ]
    calls = []
    real_compare = gaps.compare
    monkeypatch.setattr(gaps, "compare", lambda *args: calls.append(args) or real_compare(*args))
    history = gaps.gap_history(HOSTAGES, positions)
    assert len(history) == 31
    # The US demand against Hamas's offer once, then against each of Israel's 29 offers: 30
    # comparisons, where comparing afresh every day would take 59.
    assert len(calls) == 1 + 29
    monkeypatch.setattr(gaps, "compare", real_compare)
    for point in history:
        fresh = gaps.issue_gap(
            HOSTAGES, gaps.current_positions(positions, as_of=point.day).values()
        )
        assert point.gap.describe() == fresh.describe(), point.day
        assert point.gap.between == fresh.between, point.day


def test_table_counts_and_sorts_issues_by_normalised_gap():
    current_list = [
        position(US, HOSTAGES, Stance.DEMAND, exactly(11)),
        position(HAMAS, HOSTAGES, Stance.OFFER, exactly(9)),
        position(HAMAS, END_OF_WAR, Stance.DEMAND, True),
        position(ISRAEL, END_OF_WAR, Stance.REJECTION, True),
        position(HAMAS, PAUSE, Stance.DEMAND, between(40, 70)),
        position(ISRAEL, PAUSE, Stance.OFFER, between(20, 60)),
    ]
    current = {(p.issue_id, p.actor.id): p for p in current_list}
    table = gaps.gap_table(
        [HOSTAGES, PAUSE, END_OF_WAR, WITHDRAWAL, NOTES],
        [ISRAEL, HAMAS, EGYPT, US],
        current,
        APRIL_14,
    )
    assert (table.agreed, table.apart, table.unknown) == (1, 2, 2)
    assert [row.issue.title for row in table.sorted_by_gap()] == [
        "Commitment to end the war",
        "Living hostages released",
        "Length of the pause",
        "Withdrawal",
        "Atmosphere",
    ]
    assert table.widest.issue == END_OF_WAR
    hostages_row = table.rows[0]
    assert [cell.value if cell else None for cell in hostages_row.cells] == [
        None,
        exactly(9),
        None,
        exactly(11),
    ]


def test_the_engine_docstring_examples_hold():
    import doctest

    result = doctest.testmod(gaps)
    assert result.attempted > 0
    assert result.failed == 0


def test_the_engine_knows_nothing_of_django():
    import ast
    import inspect

    tree = ast.parse(inspect.getsource(gaps))
    imported = {
        alias.name.split(".")[0]
        for node in ast.walk(tree)
        if isinstance(node, ast.Import)
        for alias in node.names
    } | {node.module.split(".")[0] for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
    assert "django" not in imported


def test_ties_name_the_same_pair_whatever_the_input_order():
    positions = [
        position(US, HOSTAGES, Stance.DEMAND, exactly(11)),
        position(ISRAEL, HOSTAGES, Stance.DEMAND, exactly(11)),
        position(HAMAS, HOSTAGES, Stance.OFFER, exactly(9)),
    ]
    forwards = gaps.issue_gap(HOSTAGES, positions)
    backwards = gaps.issue_gap(HOSTAGES, list(reversed(positions)))
    assert forwards.between == backwards.between == (ISRAEL, HAMAS)


def test_with_known_by_a_denial_counts_only_once_reported():
    claim = position(
        HAMAS,
        END_OF_WAR,
        Stance.OFFER,
        True,
        APRIL_13,
        reported_on=APRIL_13,
        status=Status.DENIED,
        status_changed_on=APRIL_13,
        status_reported_on=APRIL_14,
    )
    assert gaps.current_positions([claim], as_of=APRIL_13, known_by=APRIL_13)
    assert not gaps.current_positions([claim], as_of=APRIL_13)
    assert not gaps.current_positions([claim], as_of=APRIL_14, known_by=APRIL_14)


def test_a_party_rejecting_another_term_is_not_comparable_to_a_proposal():
    current = [
        position(EGYPT, END_OF_WAR, Stance.PROPOSAL, True),
        position(ISRAEL, END_OF_WAR, Stance.REJECTION, False),
    ]
    (distance,) = gaps.proposal_distances(END_OF_WAR, current, [ISRAEL])
    assert distance.describe(END_OF_WAR) == "not comparable"


# ---------------------------------------------------------------------------------------------
# Rules of docs/gaps.md not pinned above


def test_positions_recorded_in_the_same_instant_go_to_the_one_entered_last():
    same_instant = dt.datetime(2025, 4, 14, 9)
    first = position(HAMAS, HOSTAGES, Stance.OFFER, exactly(8), recorded_at=same_instant)
    second = position(HAMAS, HOSTAGES, Stance.OFFER, exactly(9), recorded_at=same_instant)
    assert second.id > first.id
    for given in ([second, first], [first, second]):  # whatever order they come in
        assert gaps.current_positions(given, APRIL_14)[(1, HAMAS.id)] is second


def test_issues_with_no_gap_sort_after_agreed_ones_not_with_them():
    """No computable gap is not a gap of 0: an agreed issue still comes first."""
    pause = [
        position(HAMAS, PAUSE, Stance.DEMAND, between(40, 70)),
        position(ISRAEL, PAUSE, Stance.OFFER, between(20, 60)),
    ]
    table = gaps.gap_table(
        [WITHDRAWAL, NOTES, PAUSE],
        [ISRAEL, HAMAS],
        {(p.issue_id, p.actor.id): p for p in pause},
        APRIL_14,
    )
    assert [row.issue for row in table.sorted_by_gap()] == [PAUSE, WITHDRAWAL, NOTES]
    assert table.widest is None  # agreed is not a gap


def test_a_party_s_own_proposal_is_not_measured_against_itself():
    current = [
        position(ISRAEL, HOSTAGES, Stance.PROPOSAL, exactly(8)),
        position(HAMAS, HOSTAGES, Stance.OFFER, exactly(9)),
    ]
    distances = gaps.proposal_distances(HOSTAGES, current, [ISRAEL, HAMAS])
    assert [(d.party, d.describe(HOSTAGES)) for d in distances] == [(HAMAS, "1 hostage apart")]


def test_two_rejections_say_nothing_about_each_other():
    """Refusing the same term does not make two actors agree on any term."""
    assert (
        gaps.compare(
            END_OF_WAR,
            position(ISRAEL, END_OF_WAR, Stance.REJECTION, True),
            position(HAMAS, END_OF_WAR, Stance.REJECTION, True),
        ).state
        == GapState.NOT_ENOUGH
    )


def test_yes_no_offer_of_the_other_answer_is_opposed():
    gap = gaps.issue_gap(
        END_OF_WAR,
        [
            position(HAMAS, END_OF_WAR, Stance.DEMAND, True),
            position(ISRAEL, END_OF_WAR, Stance.OFFER, False),
        ],
    )
    assert (gap.state, gap.describe(), gap.normalised) == (GapState.APART, "opposed", 1.0)


@pytest.mark.parametrize(
    "issue, demanded, rejected",
    [(HOSTAGES, exactly(11), between(20, 30)), (WITHDRAWAL, 2, 1)],
    ids=["quantity", "scale"],
)
def test_rejecting_a_term_nobody_demands_answers_nothing(issue, demanded, rejected):
    gap = gaps.issue_gap(
        issue,
        [
            position(HAMAS, issue, Stance.DEMAND, demanded),
            position(ISRAEL, issue, Stance.REJECTION, rejected),
        ],
    )
    assert gap.state == GapState.NOT_ENOUGH
    assert [p.actor for p in gap.unanswered] == [HAMAS]


def test_demands_still_waiting_for_an_answer_are_listed_beside_a_computed_gap():
    gap = gaps.issue_gap(
        END_OF_WAR,
        [
            position(HAMAS, END_OF_WAR, Stance.DEMAND, True),
            position(ISRAEL, END_OF_WAR, Stance.REJECTION, True),
            # Israel refuses an end to the war; nobody has answered the factions' demand.
            position(FACTIONS, END_OF_WAR, Stance.DEMAND, False),
        ],
    )
    assert (gap.describe(), gap.between) == ("opposed", (HAMAS, ISRAEL))
    assert [p.actor for p in gap.unanswered] == [FACTIONS]


def test_open_ends_facing_each_other_overlap_or_stand_apart():
    def gap(offered: Range) -> gaps.IssueGap:
        return gaps.issue_gap(
            HOSTAGES,
            [
                position(US, HOSTAGES, Stance.DEMAND, between(11, None)),
                position(HAMAS, HOSTAGES, Stance.OFFER, offered),
            ],
        )

    assert gap(between(None, 20)).describe() == "overlap: 11–20 hostages"
    assert gap(between(15, None)).describe() == "overlap: at least 15 hostages"
    assert (gap(between(None, 9)).describe(), round(gap(between(None, 9)).normalised, 2)) == (
        "2 hostages apart",
        0.18,
    )


def test_zero_is_a_number_like_any_other():
    def gap(demanded: int, offered: int) -> gaps.IssueGap:
        return gaps.issue_gap(
            HOSTAGES,
            [
                position(US, HOSTAGES, Stance.DEMAND, exactly(demanded)),
                position(HAMAS, HOSTAGES, Stance.OFFER, exactly(offered)),
            ],
        )

    assert (gap(0, 0).describe(), gap(0, 0).normalised) == ("agreed: 0 hostages", 0.0)
    assert (gap(5, 0).describe(), gap(5, 0).normalised) == ("5 hostages apart", 1.0)


def test_widest_means_the_largest_normalised_gap_not_the_largest_distance():
    gap = gaps.issue_gap(
        HOSTAGES,
        [
            position(US, HOSTAGES, Stance.DEMAND, exactly(100)),
            position(HAMAS, HOSTAGES, Stance.OFFER, exactly(95)),  # 5 ÷ 100 = 0.05
            position(FACTIONS, HOSTAGES, Stance.OFFER, between(200, 10_000)),  # 100 ÷ 10,000
        ],
    )
    assert (gap.describe(), gap.between) == ("5 hostages apart", (US, HAMAS))


def test_between_pairs_normalised_alike_the_farther_apart_in_the_unit_is_the_gap():
    gap = gaps.issue_gap(
        HOSTAGES,
        [
            position(US, HOSTAGES, Stance.DEMAND, exactly(5)),
            position(ISRAEL, HOSTAGES, Stance.REJECTION, exactly(5)),  # opposed: 1
            position(HAMAS, HOSTAGES, Stance.OFFER, exactly(0)),  # 5 ÷ 5 = 1
        ],
    )
    assert (gap.describe(), gap.between) == ("5 hostages apart", (US, HAMAS))


def test_between_equally_wide_pairs_the_first_added_demander_then_answerer_is_named():
    # Added to the negotiation in this order (a participant's id is the order it was added).
    first, second, third, fourth = (
        ActorRef(id, name, "party") for id, name in [(1, "A"), (2, "B"), (3, "C"), (4, "M")]
    )
    gap = gaps.issue_gap(
        END_OF_WAR,
        [
            position(second, END_OF_WAR, Stance.DEMAND, True),
            position(third, END_OF_WAR, Stance.DEMAND, False),
            position(first, END_OF_WAR, Stance.OFFER, True),
            position(fourth, END_OF_WAR, Stance.OFFER, False),
        ],
    )
    # B–M and C–A are both opposed; B demands and was added before C.
    assert (gap.describe(), gap.between) == ("opposed", (second, fourth))


def test_the_table_sets_proposals_against_parties_only():
    table = gaps.gap_table(
        [HOSTAGES],
        [ISRAEL, HAMAS, EGYPT, US, FACTIONS],
        {
            (HOSTAGES.id, EGYPT.id): position(EGYPT, HOSTAGES, Stance.PROPOSAL, exactly(8)),
            (HOSTAGES.id, US.id): position(US, HOSTAGES, Stance.DEMAND, exactly(11)),
            (HOSTAGES.id, FACTIONS.id): position(FACTIONS, HOSTAGES, Stance.OFFER, exactly(9)),
        },
        APRIL_14,
    )
    (row,) = table.rows
    assert [distance.party for distance in row.proposals] == [ISRAEL, HAMAS]
