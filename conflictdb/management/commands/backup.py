"""`manage.py backup [DIRECTORY]`: a consistent copy of the database with its manifest
(conflictdb.backups; docs/backup.md)."""

from datetime import UTC, datetime
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import DEFAULT_DB_ALIAS, connections

from conflictdb.backups import BackupError, create_backup, engine_of


class Command(BaseCommand):
    help = (
        "Back the database up into a new directory: SQLite through its online backup API, PostgreSQL "
        "with pg_dump -Fc; beside the copy, manifest.json records the engine, the time, the applied "
        "migrations and every table's row count and checksum, which restore_backup checks."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "directory", nargs="?",
            help="A new directory for this backup (default: backups/conflictdb-<engine>-<UTC time>/).")

    def handle(self, *args, directory, **options):
        settings_dict = connections[DEFAULT_DB_ALIAS].settings_dict
        try:
            if not directory:
                stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
                directory = Path(settings.BASE_DIR) / "backups" / f"conflictdb-{engine_of(settings_dict)}-{stamp}"
            manifest = create_backup(settings_dict, directory)
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        tables = manifest["tables"]
        self.stdout.write(
            f"Backed up {manifest['engine']} database {manifest['database']}: {len(tables)} tables, "
            f"{sum(t['rows'] for t in tables.values())} rows, {len(manifest['migrations'])} migrations "
            f"→ {directory}")
