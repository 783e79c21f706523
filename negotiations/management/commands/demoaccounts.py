import os
import secrets
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand, CommandError

from negotiations.roles import ANALYST, EDITOR

ACCOUNTS = (
    ("analyst", ANALYST, False, "records positions in the workspace"),
    ("editor", EDITOR, True, "also edits negotiations and issues, and can use /admin/"),
)


def shown(path: Path) -> Path:
    """The path from the project's folder where it lies inside it."""
    return path.relative_to(settings.BASE_DIR) if path.is_relative_to(settings.BASE_DIR) else path


class Command(BaseCommand):
    help = (
        "Make sure the demo accounts 'analyst' and 'editor' exist (for a local first run only). "
        "Their password comes from GAPWATCH_DEMO_PASSWORD, or is generated once, printed, and "
        "kept in var/demo-accounts.txt."
    )

    def handle(self, *args, **options):
        if not settings.DEBUG:
            raise CommandError("Demo accounts are for local development (DJANGO_DEBUG on) only.")
        credentials = Path(settings.VAR_DIR) / "demo-accounts.txt"
        User = get_user_model()
        created = []
        for username, group_name, is_staff, purpose in ACCOUNTS:
            if User.objects.filter(username=username).exists():
                continue
            password = os.environ.get("GAPWATCH_DEMO_PASSWORD") or secrets.token_urlsafe(12)
            user = User.objects.create_user(username, password=password, is_staff=is_staff)
            user.groups.add(Group.objects.get(name=group_name))
            created.append(f"{username} / {password}  ({group_name}: {purpose})")
        if created:
            credentials.parent.mkdir(exist_ok=True)
            # A database started afresh makes the accounts again: their old passwords go.
            kept = [
                line
                for line in (credentials.read_text().splitlines() if credentials.exists() else [])
                if line.split(" / ", 1)[0] not in {entry.split(" / ", 1)[0] for entry in created}
            ]
            credentials.write_text("\n".join([*kept, *created]) + "\n")
            credentials.chmod(0o600)
            self.stdout.write(
                f"Demo accounts created (user / password), also kept in {shown(credentials)}:"
            )
            for line in created:
                self.stdout.write(f"  {line}")
        else:
            where = (
                f"see {shown(credentials)}"
                if credentials.exists()
                else "set with GAPWATCH_DEMO_PASSWORD when they were created"
            )
            self.stdout.write(f"Demo accounts 'analyst' and 'editor' exist ({where}).")
