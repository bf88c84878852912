"""`manage.py restore_backup DIRECTORY [--database-url URL] [--force]`: load a backup made by
`manage.py backup` and check the result against its manifest (conflictdb.backups; docs/backup.md)."""

import dj_database_url
from django.core.management.base import BaseCommand, CommandError
from django.db import DEFAULT_DB_ALIAS, connections

from conflictdb.backups import BackupError, restore


class Command(BaseCommand):
    help = (
        "Restore a backup directory into the configured database, or into the one --database-url names "
        "(to test a restore, a new empty database). The target must be empty unless --force. After "
        "loading, every table's row count and checksum and the migrations are compared with the manifest."
    )

    def add_arguments(self, parser):
        parser.add_argument("directory", help="A directory made by `manage.py backup`.")
        parser.add_argument("--database-url", help="Restore into this database instead (e.g. sqlite:////tmp/x.sqlite3, "
                                                   "postgres://user@host/conflictdb_restored; it must exist on PostgreSQL).")
        parser.add_argument("--force", action="store_true",
                            help="Replace the content of a target that is not empty.")

    def handle(self, *args, directory, database_url, force, **options):
        if database_url:
            settings_dict = dj_database_url.parse(database_url)
        else:
            connections[DEFAULT_DB_ALIAS].close()  # no open connection of ours to the database being replaced
            settings_dict = connections[DEFAULT_DB_ALIAS].settings_dict
        try:
            restored = restore(directory, settings_dict, force=force)
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(f"Restored {directory} into {settings_dict['NAME']}: {restored.tables} tables, "
                          f"{restored.rows} rows, every table checked against the manifest.")
