"""`manage.py reap_imports`: mark failed the import batches left "running" by a process that is
gone (killed, crashed). Their rows were never committed; see docs/csv-import.md "When an import fails"."""

from django.core.management.base import BaseCommand

from conflictdb.csvio.importing import reap_stale_batches


class Command(BaseCommand):
    help = "Mark failed the import batches whose process was killed or crashed (nothing of theirs was written)."

    def handle(self, *args, **options):
        count = reap_stale_batches()
        self.stdout.write(f"{count} stale import batch(es) marked failed.")
