"""Create (or repair) the demo accounts, one per working role, and print their passwords.

Passwords are generated on first run, never hard-coded, and kept in `.demo-accounts`
(mode 600, git-ignored) so that `make run` can show them again.
"""

import json
import os
import secrets
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand, CommandError

from conflictdb.roles import DATA_MANAGERS, EDITORS, RESEARCHERS, VERIFIERS, ensure_groups

DEMO_ACCOUNTS = (
    ("editor", EDITORS, "enters claims from reports"),
    ("verifier", VERIFIERS, "grades sources, verifies claims"),
    ("researcher", RESEARCHERS, "reads and downloads, changes nothing"),
    ("datamanager", DATA_MANAGERS, "imports and exports whole files"),
)


class Command(BaseCommand):
    help = "Ensure the demo accounts (editor, verifier, researcher, datamanager) exist and print their passwords."

    def add_arguments(self, parser):
        parser.add_argument("--file", default=str(Path(settings.BASE_DIR) / ".demo-accounts"),
                            help="Where the generated passwords are kept.")

    def handle(self, *args, file, **options):
        if not settings.DEV_MODE:
            raise CommandError("Demo accounts are for development machines only (set CONFLICTDB_DEV=1).")
        path = Path(file)
        stored = json.loads(path.read_text()) if path.exists() else {}
        ensure_groups()
        User = get_user_model()
        for username, group_name, _ in DEMO_ACCOUNTS:
            password = stored.get(username) or secrets.token_urlsafe(12)
            user, created = User.objects.get_or_create(username=username, defaults={"is_staff": True})
            if created or not user.check_password(password):
                user.set_password(password)
            user.is_staff = True
            user.save()
            user.groups.set([Group.objects.get(name=group_name)])
            stored[username] = password
        path.write_text(json.dumps(stored, indent=2))
        os.chmod(path, 0o600)
        self.stdout.write("Demo accounts (passwords generated on first run, kept in %s):" % path.name)
        for username, group_name, what in DEMO_ACCOUNTS:
            self.stdout.write(f"  {username:<11} {stored[username]:<18} {group_name}: {what}")
