from decimal import Decimal

from django import template
from django.urls import reverse
from django.utils.html import format_html
from django.utils.safestring import mark_safe

from negotiations import gaps

register = template.Library()


@register.filter
def number(value) -> str:
    """A quantity without trailing zeros: 2.00 → 2, 40.50 → 40.5."""
    if value is None or value == "":
        return ""
    return gaps.format_number(Decimal(str(value)))


PACKAGE_TITLE = {True: "Part of a package: stands only as a whole", False: "Part of a package"}


@register.simple_tag
def position_summary(position, negotiation, compact: bool = False) -> str:
    """One position as table cells and lists show it: stance, value, date, source with grade and
    credibility ("C2"), and markers for packages, conditions and vague wording.

    Written in Python rather than as an included template: the gap table shows up to a hundred
    of these, and Django's include costs several times more than this function.
    """
    source = position.source
    value = position.value_display
    parts = [
        format_html(
            '<span class="stance stance--{}">{}</span>',
            position.stance,
            position.get_stance_display(),
        )
    ]
    if value:
        parts.append(
            format_html('<span class="cell__value" title="{}">{}</span>', position.summary, value)
        )
    if not compact or not value:
        parts.append(format_html('<span class="cell__summary">{}</span>', position.summary))
    parts.append(
        format_html(
            '<span class="cell__meta"><time datetime="{}">{}</time> · {} '
            '<abbr class="badge badge--grade" title="Source reliability {}; information '
            'credibility {}">{}{}</abbr></span>',
            position.stated_on.isoformat(),
            f"{position.stated_on:%-d %b %Y}",
            source.outlet,
            source.get_grade_display(),
            position.get_credibility_display(),
            source.grade,
            position.credibility,
        )
    )
    markers = []
    if position.package_id:
        package = position.package
        markers.append(
            format_html(
                '<a class="badge badge--package" href="{}" title="{}">{}</a>',
                reverse("negotiations:package", args=[negotiation.slug, package.slug]),
                PACKAGE_TITLE[package.is_conditional],
                "conditional package" if package.is_conditional else "package",
            )
        )
    if position.conditions:
        markers.append(
            format_html(
                '<span class="badge badge--package" title="{}">conditional</span>',
                position.conditions,
            )
        )
    if position.is_vague:
        markers.append(
            mark_safe(
                '<span class="badge badge--status" title="The wording was left deliberately '
                'vague">vague</span>'
            )
        )
    if markers:
        parts.append(
            format_html('<span class="cell__meta">{}</span>', mark_safe(" ".join(markers)))
        )
    return mark_safe("\n".join(parts))
