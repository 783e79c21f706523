from decimal import Decimal

from django import template
from django.urls import reverse
from django.utils.html import escape
from django.utils.safestring import mark_safe

from negotiations import gaps
from negotiations.models import Credibility, Grade, Stance

register = template.Library()


@register.filter
def number(value) -> str:
    """A quantity without trailing zeros: 2.00 → 2, 40.50 → 40.5."""
    if value is None or value == "":
        return ""
    return gaps.format_number(Decimal(str(value)))


PACKAGE_TITLE = {True: "Part of a package: stands only as a whole", False: "Part of a package"}
# Labels looked up once: Model.get_FOO_display() rebuilds its choices mapping on every call.
STANCE_LABELS = dict(Stance.choices)
GRADE_LABELS = dict(Grade.choices)
CREDIBILITY_LABELS = dict(Credibility.choices)
VAGUE_MARKER = (
    '<span class="badge badge--status" title="The wording was left deliberately vague">vague</span>'
)


@register.simple_tag
def position_summary(position, negotiation, compact: bool = False) -> str:
    """One position as table cells and lists show it: stance, value, date, source with grade and
    credibility ("C2"), and markers for packages, conditions and vague wording.

    Written in Python rather than as an included template: the gap table shows up to a hundred
    of these, and Django's include costs several times more than this function.
    """
    source = position.source
    value = position.value_display
    summary = escape(position.summary)
    parts = [
        f'<span class="stance stance--{escape(position.stance)}">'
        f"{escape(STANCE_LABELS[position.stance])}</span>"
    ]
    if value:
        parts.append(f'<span class="cell__value" title="{summary}">{escape(value)}</span>')
    if not compact or not value:
        parts.append(f'<span class="cell__summary">{summary}</span>')
    stated_on = position.stated_on
    parts.append(
        f'<span class="cell__meta"><time datetime="{stated_on.isoformat()}">'
        f"{stated_on.day} {stated_on:%b %Y}</time> · {escape(source.outlet)} "
        f'<abbr class="badge badge--grade" title="Source reliability '
        f"{escape(GRADE_LABELS[source.grade])}; information credibility "
        f'{escape(CREDIBILITY_LABELS[position.credibility])}">'
        f"{escape(source.grade)}{position.credibility}</abbr></span>"
    )
    markers = []
    if position.package_id:
        package = position.package
        url = reverse("negotiations:package", args=[negotiation.slug, package.slug])
        markers.append(
            f'<a class="badge badge--package" href="{escape(url)}" '
            f'title="{PACKAGE_TITLE[package.is_conditional]}">'
            f"{'conditional package' if package.is_conditional else 'package'}</a>"
        )
    if position.conditions:
        markers.append(
            f'<span class="badge badge--package" title="{escape(position.conditions)}">'
            "conditional</span>"
        )
    if position.is_vague:
        markers.append(VAGUE_MARKER)
    if markers:
        parts.append(f'<span class="cell__meta">{" ".join(markers)}</span>')
    return mark_safe("\n".join(parts))
