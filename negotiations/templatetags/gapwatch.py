from decimal import Decimal
from html import escape  # Django's escape() is this behind a lazy-text check: costly per call

from django import template
from django.urls import reverse
from django.utils.safestring import mark_safe

from negotiations import charts, gaps
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
def position_summary(position, negotiation, compact: bool = False, query: str = "") -> str:
    """One position as table cells and lists show it: stance, value, date, source with grade and
    credibility ("C2"), and markers for packages, conditions and vague wording. `query` (the
    table's as-of date, as a query string) goes with the link to the package.

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
    if value and compact:
        # The summary is left out of the table's cells for room: a pointer shows it on the
        # value, a screen reader reads it after the value.
        parts.append(
            f'<span class="cell__value" title="{summary}">{escape(value)}'
            f'<span class="visually-hidden">: {summary}</span></span>'
        )
    elif value:
        parts.append(f'<span class="cell__value">{escape(value)}</span>')
    if not compact or not value:
        parts.append(f'<span class="cell__summary">{summary}</span>')
    if position.conditions and not compact:
        parts.append(
            f'<span class="cell__conditions">Conditions: {escape(position.conditions)}</span>'
        )
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
            f'<a class="badge badge--package" href="{escape(url + query)}" '
            f'title="{PACKAGE_TITLE[package.is_conditional]}">'
            f"{'conditional package' if package.is_conditional else 'package'}"
            # Links that all read "package" would not say which one to a screen reader.
            f'<span class="visually-hidden">: {escape(package.title)}</span></a>'
        )
    if position.conditions and compact:
        # Opened by a click, a tap or the keyboard (the popover needs no script); a cell holds
        # one position, and a table shows a position in one cell only, so the id is unique.
        popover = f"conditions-{position.uid}"
        markers.append(
            f'<button type="button" class="badge badge--conditions" popovertarget="{popover}">'
            f"with conditions</button>"
            f'<span class="conditions-popover" id="{popover}" popover><strong>Conditions</strong> '
            f"{escape(position.conditions)}</span>"
        )
    if position.is_vague:
        markers.append(VAGUE_MARKER)
    if markers:
        parts.append(f'<span class="cell__meta">{" ".join(markers)}</span>')
    return mark_safe("\n".join(parts))


@register.simple_tag
def range_chart_svg(chart: charts.RangeChart, slug: str) -> str:
    """A gap table row's chart (charts.range_chart) as inline SVG.

    Written in Python for the same reason as position_summary: twelve charts of up to a dozen
    shapes each cost the template engine more than the rest of the table.
    """
    title_id, description_id = f"chart-title-{escape(slug)}", f"chart-desc-{escape(slug)}"
    band_height = chart.height - 14
    shapes = [
        f'<svg class="range-chart" viewBox="0 0 {chart.width} {chart.height}" '
        f'width="{chart.width}" height="{chart.height}" role="img" '
        f'aria-labelledby="{title_id} {description_id}">',
        f'<title id="{title_id}">{escape(chart.title)}</title>',
        f'<desc id="{description_id}">{escape(chart.description)}</desc>',
    ]
    shapes += [
        f'<rect class="{escape(band.kind)}" x="{band.x}" y="{chart.axis_y}" '
        f'width="{band.width}" height="{band_height}"/>'
        for band in chart.bands
    ]
    shapes.append(
        f'<line class="axis" x1="{chart.plot_left}" x2="{chart.plot_right}" '
        f'y1="{chart.axis_y}" y2="{chart.axis_y}"/>'
    )
    shapes += [
        f'<text class="tick" x="{tick.x}" y="10" text-anchor="middle">{escape(tick.label)}</text>'
        for tick in chart.ticks
    ]
    for mark in chart.marks:
        colour, description = escape(mark.colour), escape(mark.description)
        if mark.is_point:
            fill, kind = ("#fff", "dot dot--hollow") if mark.hollow else (colour, "dot")
            shapes.append(
                f'<circle class="{kind}" cx="{mark.x1}" cy="{mark.y}" r="4.5" fill="{fill}" '
                f'stroke="{colour}"><title>{description}</title></circle>'
            )
        else:
            dashes = ""
            if mark.open_low or mark.open_high:
                dashes = f' stroke-dasharray="{"6 2" if mark.open_high else "2 6"}"'
            shapes.append(
                f'<line class="mark" x1="{mark.x1}" x2="{mark.x2}" y1="{mark.y}" y2="{mark.y}" '
                f'stroke="{colour}"{dashes}><title>{description}</title></line>'
            )
        shapes.append(
            f'<text class="label" x="{chart.label_x}" y="{mark.y}" dy="3">'
            f"{escape(mark.label)}</text>"
        )
    shapes.append("</svg>")
    return mark_safe("\n".join(shapes))
