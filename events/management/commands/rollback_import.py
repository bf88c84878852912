"""`manage.py rollback_import BATCH_ID --user dana --reason "…"`: undo an import batch as a whole.

Records the batch created are retracted, records it changed get their earlier values back; the
history keeps both (conflictdb.csvio.rollback). Lives beside import_csv in `events`.
"""

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from conflictdb.csvio.rollback import RollbackRefused, rollback
from conflictdb.provenance import Channel, acting
from conflictdb.models import ImportBatch


class Command(BaseCommand):
    help = "Roll back an applied import batch: retract what it created, revert what it changed, keep the history."

    def add_arguments(self, parser):
        parser.add_argument("batch", type=int, help="The import batch id (shown by import_csv and in the admin).")
        parser.add_argument("--user", required=True, help="Username the rollback is attributed to.")
        parser.add_argument("--reason", required=True, help="Why the batch is rolled back (kept on every change).")

    def handle(self, *args, batch, user, reason, **options):
        account = get_user_model().objects.filter(username=user).first()
        if account is None:
            raise CommandError(f"No user {user!r}.")
        record = ImportBatch.objects.filter(pk=batch).first()
        if record is None:
            raise CommandError(f"No import batch #{batch}.")
        try:
            with acting(user=account, channel=Channel.IMPORT):
                result = rollback(record, user=account, reason=reason)
        except RollbackRefused as refused:
            raise CommandError(str(refused)) from refused
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from error
        self.stdout.write(f"Import batch #{record.pk} ({record.file_name}) rolled back: {result.summary()}")
