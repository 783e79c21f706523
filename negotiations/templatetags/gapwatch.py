from decimal import Decimal

from django import template

from negotiations import gaps

register = template.Library()


@register.filter
def number(value) -> str:
    """A quantity without trailing zeros: 2.00 → 2, 40.50 → 40.5."""
    if value is None or value == "":
        return ""
    return gaps.format_number(Decimal(str(value)))
