from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from negotiations.models import Negotiation
from negotiations.seeds import export_negotiation


class Command(BaseCommand):
    help = (
        "Print one negotiation in the seed format (docs/formats.md), or write every negotiation "
        "to a directory, one file each (--all --directory DIR): a portable backup that "
        "`loadseeds DIR` restores."
    )

    def add_arguments(self, parser):
        parser.add_argument("slug", nargs="?", help="The negotiation's slug.")
        parser.add_argument("--all", action="store_true", help="Every negotiation.")
        parser.add_argument("--directory", type=Path, help="With --all: where to write.")

    def handle(self, *args, slug: str | None, all: bool, directory: Path | None, **options):
        if all:
            if directory is None:
                raise CommandError("--all writes one file per negotiation: give --directory.")
            directory.mkdir(parents=True, exist_ok=True)
            for negotiation in Negotiation.objects.order_by("slug"):
                path = directory / f"{negotiation.slug}.toml"
                path.write_text(export_negotiation(negotiation), encoding="utf-8")
                self.stdout.write(f"wrote {path}")
            return
        if not slug:
            raise CommandError("Name a negotiation's slug, or use --all --directory DIR.")
        negotiation = Negotiation.objects.filter(slug=slug).first()
        if negotiation is None:
            known = ", ".join(Negotiation.objects.values_list("slug", flat=True)) or "none"
            raise CommandError(f"No negotiation with the slug {slug!r} (known: {known}).")
        self.stdout.write(export_negotiation(negotiation), ending="")
