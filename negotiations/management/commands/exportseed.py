from django.core.management.base import BaseCommand, CommandError

from negotiations.models import Negotiation
from negotiations.seeds import export_negotiation


class Command(BaseCommand):
    help = "Print one negotiation in the seed format (docs/formats.md) to standard output."

    def add_arguments(self, parser):
        parser.add_argument("slug", help="The negotiation's slug, e.g. gaza-hostages-cairo-2025.")

    def handle(self, *args, slug: str, **options):
        negotiation = Negotiation.objects.filter(slug=slug).first()
        if negotiation is None:
            known = ", ".join(Negotiation.objects.values_list("slug", flat=True)) or "none"
            raise CommandError(f"No negotiation with the slug {slug!r} (known: {known}).")
        self.stdout.write(export_negotiation(negotiation), ending="")
