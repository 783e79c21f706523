"""Data rules: the database refuses bad rows itself; clean() explains the rest."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from negotiations.models import (
    SAME_RECORD,
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
from tests import builders

pytestmark = pytest.mark.django_db


@pytest.fixture
def talks():
    negotiation = builders.negotiation("talks")
    world = {
        "negotiation": negotiation,
        "israel": builders.participant(negotiation, "israel"),
        "hamas": builders.participant(negotiation, "hamas"),
        "egypt": builders.participant(negotiation, "egypt", role="mediator"),
        "hostages": builders.issue(negotiation, "hostages"),
        "end_of_war": builders.issue(negotiation, "end-of-war", kind="yes_no"),
        "withdrawal": builders.issue(
            negotiation, "withdrawal", kind="scale", options=("none", "partial", "full")
        ),
        "notes": builders.issue(negotiation, "notes", kind="text"),
        "source": builders.source(),
    }
    world["offer"] = builders.position(world["hamas"], world["hostages"], world["source"], amount=9)
    return world


def refused(action) -> str:
    """Run `action`; the database must refuse it. Returns the error text."""
    with pytest.raises(IntegrityError) as error, transaction.atomic():
        action()
    return str(error.value)


# ---------------------------------------------------------------------------------------------
# Refused by the database itself (no clean(), no forms)


def test_database_refuses_a_range_whose_lower_end_is_above_the_upper(talks):
    positions = Position.objects.filter(pk=talks["offer"].pk)
    refused(lambda: positions.update(value_min=Decimal(12), value_max=Decimal(10)))


def test_database_refuses_negative_counts(talks):
    positions = Position.objects.filter(pk=talks["offer"].pk)
    refused(lambda: positions.update(value_min=Decimal(-1)))


def test_database_refuses_dates_before_1900(talks):
    """A typed 0025 for 2025 gets a message in forms and files, and the database says no too."""
    early = dt.date(1899, 12, 31)
    positions = Position.objects.filter(pk=talks["offer"].pk)
    refused(lambda: positions.update(stated_on=early))
    refused(lambda: positions.update(status_changed_on=early))
    refused(lambda: Source.objects.filter(pk=talks["source"].pk).update(published_on=early))
    assert "position_stated_from_1900" in refused(lambda: positions.update(stated_on=early))


@pytest.mark.parametrize("credibility", [0, 7])
def test_database_refuses_credibility_off_the_scale(talks, credibility):
    positions = Position.objects.filter(pk=talks["offer"].pk)
    refused(lambda: positions.update(credibility=credibility))


def test_database_refuses_an_unknown_stance(talks):
    refused(lambda: Position.objects.filter(pk=talks["offer"].pk).update(stance="threat"))


def test_database_refuses_a_value_of_the_wrong_kind_for_its_issue(talks):
    message = refused(
        lambda: Position.objects.filter(pk=talks["offer"].pk).update(
            value_min=None, value_max=None, value_bool=True
        )
    )
    assert "position_value_fits_issue" in message


def test_database_refuses_a_fraction_where_an_issue_counts_in_whole_numbers(talks):
    hostages, offer = talks["hostages"], Position.objects.filter(pk=talks["offer"].pk)
    offer.update(value_max=Decimal("9.5"))  # counted in any number yet
    message = refused(lambda: Issue.objects.filter(pk=hostages.pk).update(whole_numbers=True))
    assert "issue_whole_numbers_only_where_positions_are" in message
    offer.update(value_max=Decimal(9))
    Issue.objects.filter(pk=hostages.pk).update(whole_numbers=True)
    for low, high in [("1.5", None), (None, "10.25"), ("0.01", "3")]:
        message = refused(
            lambda low=low, high=high: offer.update(
                value_min=low and Decimal(low), value_max=high and Decimal(high)
            )
        )
        assert "position_whole_number_where_counted" in message
    offer.update(value_min=Decimal(9), value_max=None)  # an open range of whole numbers
    # A yes/no or a scale is never counted so.
    issues = Issue.objects.filter(pk=talks["end_of_war"].pk)
    refused(lambda: issues.update(whole_numbers=True))


def test_database_refuses_a_position_on_record_twice_whatever_kind_of_value(talks):
    """The same actor, issue, stance, value, date, source and summary (SAME_RECORD), empty
    values included: a unique index alone would count empty ones as all different."""
    hamas, source = talks["hamas"], talks["source"]
    kinds = [
        (talks["hostages"], {"amount": 9}),  # the fixture's offer
        (talks["hostages"], {"low": 30}),  # an open range: no upper end
        (talks["end_of_war"], {"yes": False}),
        (talks["withdrawal"], {"option": "partial"}),
        (talks["notes"], {}),  # no value at all
    ]
    for issue, value in kinds[1:]:
        builders.position(hamas, issue, source, **value)
    for issue, value in kinds:
        message = refused(
            lambda issue=issue, value=value: builders.position(
                hamas,
                issue,
                source,
                credibility=5,
                **value,  # credibility does not count
            )
        )
        assert "position_recorded_once" in message
    assert Position.objects.count() == len(kinds)
    # 9.00 is the 9 on record.
    message = refused(
        lambda: builders.copy_of(
            talks["offer"], value_min=Decimal("9.00"), value_max=Decimal("9.00")
        )
    )
    assert "position_recorded_once" in message


@pytest.mark.parametrize(
    "change",
    [
        {"participant": "israel"},
        {"stance": "demand"},
        {"amount": 10},
        {"low": 9},  # 9 or more is not exactly 9
        {"stated_on": dt.date(2025, 4, 13)},
        {"summary": "Another wording"},
        {"source": "other"},
    ],
    ids=lambda change: next(iter(change)),
)
def test_database_takes_a_position_that_differs_in_any_of_what_makes_it_the_same(talks, change):
    fields = {"summary": talks["offer"].summary, "amount": 9}
    if "low" in change:
        del fields["amount"]
    if change.get("source") == "other":
        change = {"source": builders.source("other")}
    fields |= change
    participant = talks[fields.pop("participant", "hamas")]
    builders.position(
        participant, talks["hostages"], fields.pop("source", talks["source"]), **fields
    )
    assert Position.objects.count() == 2


def test_the_database_and_the_forms_agree_on_what_makes_a_position_the_same():
    (constraint,) = [c for c in Position._meta.constraints if c.name == "position_recorded_once"]

    def columns(expression) -> set[str]:
        if isinstance(expression, F):
            return {Position._meta.get_field(expression.name).attname}
        return set().union(*map(columns, expression.get_source_expressions()))

    assert set().union(*map(columns, constraint.expressions)) == set(SAME_RECORD)


def test_database_refuses_a_position_dated_after_its_source(talks):
    """Its statement after the report's publication, or its denial after the denying report's;
    nor can a report be dated back before what it reports."""
    offer, source = Position.objects.filter(pk=talks["offer"].pk), talks["source"]
    later = source.published_on + dt.timedelta(days=1)
    message = refused(lambda: offer.update(stated_on=later))
    assert "position_dated_by_its_sources" in message
    denial = builders.source("denial", published_on=later)
    offer.update(status="denied", status_source=denial, status_changed_on=later)
    refused(lambda: offer.update(status_changed_on=later + dt.timedelta(days=1)))
    earlier = source.published_on - dt.timedelta(days=1)
    message = refused(lambda: Source.objects.filter(pk=source.pk).update(published_on=earlier))
    assert "source_published_by_what_it_reports" in message
    refused(lambda: Source.objects.filter(pk=denial.pk).update(published_on=source.published_on))
    Source.objects.filter(pk=denial.pk).update(published_on=later + dt.timedelta(days=5))


def test_a_package_is_dated_by_its_source_in_the_database_and_in_clean(talks):
    source = talks["source"]
    later = source.published_on + dt.timedelta(days=1)
    deal = builders.package(talks["negotiation"], talks["egypt"], source)
    message = refused(lambda: Package.objects.filter(pk=deal.pk).update(stated_on=later))
    assert "package_dated_by_its_source" in message
    earlier = source.published_on - dt.timedelta(days=1)
    Position.objects.filter(source=source).update(stated_on=earlier)
    message = refused(lambda: Source.objects.filter(pk=source.pk).update(published_on=earlier))
    assert "source_published_by_what_it_reports" in message  # the package is dated later
    deal.stated_on = later
    assert errors_of(deal)["stated_on"] == [
        f"The source was published on {source.published_on:%-d %B %Y}; it cannot report a "
        "package put forward after that."
    ]
    source.published_on = earlier
    assert "packages citing this source" in errors_of(source)["published_on"][0]


def first_of_every_kind(talks, model):
    """`model`'s first record, once the talks have a record of every kind (a package and a
    round too)."""
    builders.package(talks["negotiation"], talks["egypt"], talks["source"])
    builders.round_of(talks["negotiation"])
    return model.objects.order_by("pk").first()


@pytest.mark.parametrize(
    ("model", "field"),
    [
        (Negotiation, "slug"),
        (Actor, "slug"),
        (Issue, "slug"),
        (ScaleOption, "key"),
        (Source, "slug"),
        (Package, "slug"),
        (Round, "slug"),
    ],
    ids=lambda value: getattr(value, "__name__", value),
)
def test_database_refuses_a_slug_of_other_characters(talks, model, field):
    """A slash in a negotiation's slug would break every page that links to it."""
    stored = first_of_every_kind(talks, model)
    for wrong in ("two words", "a/b", "", "café", "line\nbreak"):
        message = refused(lambda w=wrong: model.objects.filter(pk=stored.pk).update(**{field: w}))
        assert "is_a_slug" in message
    model.objects.filter(pk=stored.pk).update(**{field: "Still-a_slug-2"})


@pytest.mark.parametrize(
    ("model", "field"),
    [
        (Negotiation, "title"),
        (Actor, "short_name"),
        (Issue, "title"),
        (ScaleOption, "label"),
        (Source, "headline"),
        (Package, "title"),
        (Round, "location"),
        (Position, "summary"),
    ],
    ids=lambda value: getattr(value, "__name__", value),
)
def test_database_refuses_required_text_left_empty(talks, model, field):
    stored = first_of_every_kind(talks, model)
    message = refused(lambda: model.objects.filter(pk=stored.pk).update(**{field: ""}))
    assert "text_filled_in" in message


def test_a_slug_is_checked_by_its_field_in_python_not_again_by_a_query(
    talks, django_assert_num_queries
):
    negotiation = talks["negotiation"]
    negotiation.slug = "two words"
    constraint = next(
        c for c in Negotiation._meta.constraints if c.name == "negotiation_slug_is_a_slug"
    )
    with django_assert_num_queries(0):
        constraint.validate(Negotiation, negotiation)
    (message,) = errors_of(negotiation)["slug"]  # once, in the field's words
    assert "letters, numbers, underscores or hyphens" in message


def test_database_refuses_status_details_on_a_position_only_reported(talks):
    offer = Position.objects.filter(pk=talks["offer"].pk)
    for details in (
        {"status_source": talks["source"]},
        {"status_changed_on": talks["offer"].stated_on},
        {"status_attribution": "A spokesman"},
    ):
        message = refused(lambda details=details: offer.update(**details))
        assert "position_reported_has_no_status_details" in message
    offer.update(status="confirmed", status_attribution="A spokesman")  # a confirmation may


@pytest.mark.parametrize("character", ["\n", "\r", "\t", "\u2028"])
def test_database_refuses_a_line_break_in_text_of_one_line(talks, character):
    for records, field in (
        (Position.objects.filter(pk=talks["offer"].pk), "summary"),
        (Position.objects.filter(pk=talks["offer"].pk), "attribution"),
        (Source.objects.filter(pk=talks["source"].pk), "headline"),
        (Actor.objects.filter(pk=talks["hamas"].actor_id), "short_name"),
        (Issue.objects.filter(pk=talks["hostages"].pk), "unit"),
    ):
        message = refused(
            lambda records=records, field=field: records.update(**{field: f"a{character}b"})
        )
        assert "_text_in_one_line" in message, field
    Position.objects.filter(pk=talks["offer"].pk).update(summary="One line, with “quotes”")


def test_database_refuses_a_number_on_a_yes_no_issue(talks):
    refused(
        lambda: builders.position(talks["hamas"], talks["end_of_war"], talks["source"], amount=3)
    )


def test_database_refuses_a_quantity_position_without_a_number(talks):
    refused(
        lambda: Position.objects.filter(pk=talks["offer"].pk).update(value_min=None, value_max=None)
    )


def test_database_refuses_a_position_by_an_actor_outside_the_negotiation(talks):
    elsewhere = builders.negotiation("other-talks")
    outsider = builders.participant(elsewhere, "qatar", role="mediator")
    message = refused(
        lambda: Position.objects.filter(pk=talks["offer"].pk).update(participant=outsider)
    )
    assert "position_actor_takes_part" in message


def test_database_refuses_a_scale_option_of_another_issue(talks):
    other = builders.issue(
        talks["negotiation"], "pullback", kind="scale", options=("stay", "leave")
    )
    position = builders.position(
        talks["hamas"], talks["withdrawal"], talks["source"], stance="demand", option="full"
    )
    refused(
        lambda: Position.objects.filter(pk=position.pk).update(value_option=other.options.first())
    )


def test_database_refuses_a_package_term_held_by_another_actor(talks):
    deal = builders.package(talks["negotiation"], talks["egypt"], talks["source"])
    refused(lambda: Position.objects.filter(pk=talks["offer"].pk).update(package=deal))


def test_database_refuses_a_denial_without_its_source(talks):
    refused(
        lambda: Position.objects.filter(pk=talks["offer"].pk).update(
            status="denied", status_changed_on=builders.DAY
        )
    )


def test_database_refuses_changing_the_kind_of_an_issue_with_positions(talks):
    refused(lambda: Issue.objects.filter(pk=talks["hostages"].pk).update(kind="yes_no", unit=""))


def test_database_lets_an_unused_issue_change_kind(talks):
    Issue.objects.filter(pk=talks["notes"].pk).update(kind="yes_no")


def test_database_refuses_a_quantity_issue_without_a_unit(talks):
    refused(lambda: Issue.objects.filter(pk=talks["hostages"].pk).update(unit=""))


def test_database_refuses_a_source_address_that_is_not_http(talks):
    refused(lambda: Source.objects.filter(pk=talks["source"].pk).update(url="javascript:alert(1)"))


def test_database_refuses_a_round_that_ends_before_it_starts(talks):
    refused(
        lambda: Round.objects.create(
            negotiation=talks["negotiation"],
            slug="r",
            title="R",
            location="Cairo",
            started_on=dt.date(2025, 4, 14),
            ended_on=dt.date(2025, 4, 13),
        )
    )


def test_database_refuses_a_round_attendee_from_another_negotiation(talks):
    cairo = Round.objects.create(
        negotiation=talks["negotiation"],
        slug="r",
        title="R",
        location="Cairo",
        started_on=dt.date(2025, 4, 13),
    )
    outsider = builders.participant(builders.negotiation("other-talks"), "qatar")
    refused(lambda: cairo.attendees.add(outsider))


def test_database_refuses_an_actor_taking_part_twice(talks):
    refused(
        lambda: Participant.objects.create(
            negotiation=talks["negotiation"], actor=talks["hamas"].actor, role="mediator"
        )
    )


def test_database_refuses_a_malformed_colour(talks):
    refused(lambda: Actor.objects.filter(pk=talks["hamas"].actor_id).update(colour="red"))


def test_database_refuses_moving_a_participant_with_positions(talks):
    elsewhere = builders.negotiation("other-talks")
    refused(lambda: Participant.objects.filter(pk=talks["hamas"].pk).update(negotiation=elsewhere))


# ---------------------------------------------------------------------------------------------
# Explained by clean(), which the admin, the forms and the seed loader all run


def errors_of(instance) -> dict[str, list[str]]:
    with pytest.raises(ValidationError) as error:
        instance.full_clean()
    return error.value.message_dict


def test_clean_refuses_a_date_in_the_future(talks):
    offer = talks["offer"]
    offer.stated_on = timezone.localdate() + dt.timedelta(days=1)
    assert "This date is in the future." in errors_of(offer)["stated_on"]


def test_clean_refuses_a_position_stated_after_its_source_was_published(talks):
    offer = talks["offer"]
    offer.stated_on = dt.date(2025, 4, 20)
    (message,) = errors_of(offer)["stated_on"]
    assert "published on 14 April 2025" in message


def test_clean_refuses_a_scale_option_of_another_issue(talks):
    other = builders.issue(talks["negotiation"], "pullback", kind="scale", options=("a", "b"))
    position = Position(
        participant=talks["hamas"],
        issue=talks["withdrawal"],
        source=talks["source"],
        stance="demand",
        value_option=other.options.first(),
        summary="x",
        stated_on=builders.DAY,
        credibility=2,
    )
    assert errors_of(position)["value_option"] == ["This option belongs to another issue's scale."]


def test_clean_asks_for_a_number_on_a_quantity_issue(talks):
    offer = talks["offer"]
    offer.value_min = offer.value_max = None
    assert errors_of(offer)["value_min"] == ["Give a number of hostages, or one end of a range."]


def test_clean_refuses_a_fraction_where_an_issue_counts_in_whole_numbers(talks):
    hostages, offer = talks["hostages"], talks["offer"]
    offer.value_max = Decimal("9.5")
    offer.save()
    hostages.whole_numbers = True
    with pytest.raises(ValidationError) as error:
        hostages.full_clean()
    assert error.value.message_dict["whole_numbers"] == [
        "A position on this issue gives 9.5 hostages; correct it before counting in whole "
        "numbers only."
    ]
    offer.value_max = Decimal(10)
    offer.save()
    hostages.full_clean()
    hostages.save()
    offer.value_min = Decimal("1.5")
    assert errors_of(offer)["value_min"] == ["Hostages are counted in whole numbers."]
    offer.value_min = Decimal("9.00")
    offer.full_clean()
    talks["end_of_war"].whole_numbers = True
    with pytest.raises(ValidationError) as error:
        talks["end_of_war"].full_clean()
    assert error.value.message_dict["whole_numbers"] == [
        "Only a quantity is counted in whole numbers."
    ]


def test_clean_refuses_a_range_upside_down(talks):
    offer = talks["offer"]
    offer.value_min, offer.value_max = Decimal(12), Decimal(10)
    assert (
        "The upper end of a range cannot be below the lower end." in errors_of(offer)["value_max"]
    )


def test_clean_refuses_an_actor_outside_the_negotiation(talks):
    outsider = builders.participant(builders.negotiation("other-talks"), "qatar")
    offer = talks["offer"]
    offer.participant = outsider
    assert errors_of(offer)["participant"] == [
        "This actor does not take part in this issue's negotiation."
    ]


def test_clean_asks_for_the_source_and_then_the_date_of_a_denial(talks):
    offer = talks["offer"]
    offer.status = "denied"
    errors = errors_of(offer)
    assert errors["status_source"] == ["Name the source that reports it denied."]
    assert "status_changed_on" not in errors  # the workspace dates it by the source
    offer.status_source = offer.source
    assert errors_of(offer)["status_changed_on"] == ["Give the date it was denied."]


def test_clean_refuses_changing_the_kind_of_a_used_issue(talks):
    hostages = talks["hostages"]
    hostages.kind, hostages.unit, hostages.unit_singular = "yes_no", "", ""
    assert errors_of(hostages)["kind"] == [
        "This issue already has positions; its kind cannot change."
    ]


def test_clean_refuses_a_source_address_that_is_not_http(talks):
    source = talks["source"]
    source.url = "javascript:alert(1)"
    assert errors_of(source)["url"] == ["Enter an http:// or https:// address."]


def test_value_reads_in_words(talks):
    offer = talks["offer"]
    assert offer.value_display == "9 hostages"
    offer.value_max = None
    assert offer.value_display == "at least 9 hostages"


def test_database_refuses_moving_a_round_with_attendees(talks):
    cairo = Round.objects.create(
        negotiation=talks["negotiation"],
        slug="r",
        title="R",
        location="Cairo",
        started_on=dt.date(2025, 4, 13),
    )
    cairo.attendees.add(talks["egypt"])
    elsewhere = builders.negotiation("other-talks")
    refused(lambda: Round.objects.filter(pk=cairo.pk).update(negotiation=elsewhere))


def test_database_refuses_moving_a_participant_who_attended_a_round(talks):
    cairo = Round.objects.create(
        negotiation=talks["negotiation"],
        slug="r",
        title="R",
        location="Cairo",
        started_on=dt.date(2025, 4, 13),
    )
    cairo.attendees.add(talks["egypt"])
    elsewhere = builders.negotiation("other-talks")
    refused(lambda: Participant.objects.filter(pk=talks["egypt"].pk).update(negotiation=elsewhere))


def test_database_refuses_options_on_an_issue_that_is_not_a_scale(talks):
    from negotiations.models import ScaleOption

    refused(lambda: ScaleOption.objects.create(issue=talks["notes"], rank=0, key="a", label="A"))


def test_database_refuses_turning_a_scale_with_options_into_another_kind(talks):
    refused(lambda: Issue.objects.filter(pk=talks["withdrawal"].pk).update(kind="text"))


@pytest.mark.parametrize(
    ("model", "field"),
    [
        ("Source", "headline"),
        ("Source", "outlet"),
        ("Actor", "name"),
        ("Issue", "title"),
        ("Round", "location"),
        ("Position", "attribution"),
        ("Position", "status_attribution"),
    ],
)
def test_names_titles_and_attributions_take_one_line(model, field):
    from django.apps import apps

    validators = apps.get_model("negotiations", model)._meta.get_field(field).validators
    with pytest.raises(ValidationError, match="Write it in one line"):
        for validator in validators:
            validator("Two\nlines")
