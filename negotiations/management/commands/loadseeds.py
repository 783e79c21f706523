from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from negotiations.seeds import SeedError, load_files


class Command(BaseCommand):
    help = (
        "Load negotiation seed files (TOML, see docs/formats.md): all of seeds/ by default. "
        "Every file is checked first; then all are saved, or none."
    )

    def add_arguments(self, parser):
        parser.add_argument("paths", nargs="*", type=Path, help="Seed files or folders of them.")
        parser.add_argument(
            "--keep-existing",
            action="store_true",
            help="Leave records corrected in the app as they are, however the file differs "
            "(what `make run` does, so that the corrections survive); create what is missing "
            "and bring the rest up to the file.",
        )

    def handle(self, *args, paths: list[Path], keep_existing: bool, **options):
        files = seed_files(paths or [Path(settings.BASE_DIR) / "seeds"])
        if not files:
            raise CommandError("No seed files (*.toml) found.")
        try:
            reports = load_files(files, keep_existing=keep_existing)
        except SeedError as error:
            count = len(error.problems)
            raise CommandError(
                f"Nothing was loaded: {count} problem{'s' if count != 1 else ''}:\n"
                + "\n".join(f"  {problem}" for problem in error.problems)
            ) from None
        for report in reports:
            self.stdout.write(report.summary())


def seed_files(paths: list[Path]) -> list[Path]:
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            files.extend(sorted(path.glob("*.toml")))
        else:
            files.append(path)
    return files
