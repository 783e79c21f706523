from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from negotiations.importer import ImportRefused, apply_import, plan_import


class Command(BaseCommand):
    help = (
        "Import positions from a CSV file in the columns of positions.csv (docs/formats.md). "
        "Every row is checked first; then all rows are saved, or none."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)
        parser.add_argument(
            "--dry-run", action="store_true", help="Check the file and report; save nothing."
        )

    def handle(self, *args, file: Path, dry_run: bool, **options):
        try:
            content = file.read_bytes()
        except OSError as error:
            raise CommandError(f"Cannot read {file}: {error.strerror}.") from None

        def progress(done: int, total: int) -> None:
            if total >= 1000:  # worth a progress line
                ending = "\n" if done == total else "\r"
                self.stderr.write(f"checked {done:,} of {total:,} rows", ending=ending)

        plan = plan_import(content, progress=progress)
        if not plan.ok:
            messages = plan.messages() or ["nothing to import"]
            raise CommandError(
                f"Nothing was imported: {len(messages)} problem{'s' * (len(messages) != 1)}:\n"
                + "\n".join(f"  {file}: {message}" for message in messages)
            )
        recorded = plan.count("recorded")
        summary = (
            f"{plan.count('new')} new, {plan.count('update')} updated, "
            f"{plan.count('unchanged')} unchanged positions"
            + (f" ({recorded} already on record, skipped)" if recorded else "")
            + f"; {len(plan.new_sources)} new sources"
        )
        if dry_run:
            self.stdout.write(f"{file}: the file is valid and would give {summary}.")
            return
        try:
            apply_import(plan)
        except ImportRefused as refused:
            raise CommandError("Nothing was imported: " + "; ".join(refused.messages)) from None
        self.stdout.write(f"{file}: imported {summary}.")
