"""An Atom feed of new and changed positions, newest first, per negotiation."""

import uuid

from django.contrib.syndication.views import Feed
from django.utils.decorators import method_decorator
from django.utils.feedgenerator import Atom1Feed
from django.utils.html import escape

from negotiations import snapshot
from negotiations.models import Negotiation, Position
from negotiations.views.conditional import conditional_uncached, readable_negotiation

FEED_LENGTH = 50
GAPWATCH_IDS = uuid.uuid5(uuid.NAMESPACE_URL, "https://gapwatch.invalid/atom-ids")


# XML 1.0 cannot carry most control characters; a stored one must not break the feed.
NOT_IN_XML = dict.fromkeys([*range(0, 9), 11, 12, *range(14, 32), 0xFFFE, 0xFFFF])


def xml_text(text: str) -> str:
    return text.translate(NOT_IN_XML)


def entry_id(name: str) -> str:
    """A permanent id that is a standard URI (urn:uuid), the same for the same name."""
    return uuid.uuid5(GAPWATCH_IDS, name).urn


@method_decorator(conditional_uncached, name="__call__")
class ChangesFeed(Feed):
    feed_type = Atom1Feed

    def __call__(self, request, *args, **kwargs):
        response = super().__call__(request, *args, **kwargs)
        # The feed's own Last-Modified (its newest entry) misses deletions and changes to
        # actors or issues; the decorator sets the negotiation's instead.
        del response["Last-Modified"]
        return response

    def get_object(self, request, slug: str) -> Negotiation:
        return readable_negotiation(request, slug)

    def title(self, negotiation: Negotiation) -> str:
        return xml_text(f"{negotiation.title}: new and changed positions")

    def subtitle(self, negotiation: Negotiation) -> str:
        return xml_text(f"Positions recorded or changed on Gapwatch for {negotiation.title}.")

    def link(self, negotiation: Negotiation) -> str:
        return negotiation.get_absolute_url()

    # Atom asks for an author of the feed (it stands for every entry without one of its own).
    author_name = "Gapwatch"

    def feed_guid(self, negotiation: Negotiation) -> str:
        return entry_id(f"negotiation:{negotiation.slug}")

    def items(self, negotiation: Negotiation) -> list[Position]:
        return list(snapshot.recent_changes(negotiation)[:FEED_LENGTH])

    def item_title(self, position: Position) -> str:
        verb = {"denied": "denied: ", "retracted": "retracted: "}.get(position.status, "")
        value = f" ({position.value_display})" if position.value_display else ""
        return xml_text(
            f"{verb}{position.participant.actor.short_name} {position.get_stance_display().lower()}"
            f" on {position.issue.title}{value}"
        )

    def item_description(self, position: Position) -> str:
        summary = position.summary.rstrip()
        parts = [
            summary if summary.endswith((".", "!", "?")) else f"{summary}.",
            f"Stated {position.stated_on:%-d %B %Y}.",
            f"Source: {position.source.outlet} ({position.source.grade}{position.credibility})"
            + (
                f", {position.attribution}"
                if position.attribution and position.attribution != position.source.outlet
                else ""
            )
            + ".",
        ]
        if position.conditions:
            parts.append(f"Conditions: {position.conditions}")
        if position.status_source:
            by = position.status_attribution or position.status_source.outlet
            parts.append(
                f"{position.get_status_display()} by {by}"
                f" on {position.status_changed_on:%-d %B %Y}."
            )
        # Atom carries this as HTML: escape it, or a summary could inject markup into readers.
        return xml_text(escape(" ".join(parts)))

    def item_link(self, position: Position) -> str:
        return position.get_absolute_url()

    def item_guid(self, position: Position) -> str:
        # A change is a new entry: its id names the position and the moment it changed.
        return entry_id(f"position:{position.uid}:{position.updated_at.isoformat()}")

    item_guid_is_permalink = False

    def item_pubdate(self, position: Position):
        return position.recorded_at

    def item_updateddate(self, position: Position):
        return position.updated_at
