"""Write the read log of protected identities as CSV (conflictdb.readlog), for an administrator's
audit or a scheduled export: `manage.py protected_reads --since 2026-11-01 --record sources.source:12`."""

import datetime
import sys

from django.contrib.contenttypes.models import ContentType
from django.core.management.base import BaseCommand, CommandError

from conflictdb import readlog
from conflictdb.models import ProtectedRead


class Command(BaseCommand):
    help = "Write who was shown which protected identity, as CSV (oldest first), to a file or standard output."

    def add_arguments(self, parser):
        parser.add_argument("--since", help="Only reads on or after this day (YYYY-MM-DD, UTC).")
        parser.add_argument("--until", help="Only reads before the end of this day (YYYY-MM-DD, UTC).")
        parser.add_argument("--user", help="Only this reader (username).")
        parser.add_argument("--record", help="Only reads of one record: app_label.model:id, e.g. sources.source:12.")
        parser.add_argument("--output", "-o", help="Write to this file instead of standard output.")

    def handle(self, *args, **options):
        reads = ProtectedRead.objects.all()
        if options["since"]:
            reads = reads.filter(at__gte=self._day(options["since"], "--since"))
        if options["until"]:
            reads = reads.filter(at__lt=self._day(options["until"], "--until") + datetime.timedelta(days=1))
        if options["user"]:
            reads = reads.filter(user__username=options["user"])
        if options["record"]:
            reads = reads.filter(**self._record(options["record"]))
        stream = open(options["output"], "w", encoding="utf-8", newline="") if options["output"] else sys.stdout
        try:
            for line in readlog.csv_lines(reads):
                stream.write(line)
        finally:
            if options["output"]:
                stream.close()

    @staticmethod
    def _day(text, option):
        try:
            day = datetime.date.fromisoformat(text)
        except ValueError:
            raise CommandError(f"{option}: “{text[:40]}” is not a day; expected YYYY-MM-DD.") from None
        return datetime.datetime.combine(day, datetime.time.min, tzinfo=datetime.timezone.utc)

    @staticmethod
    def _record(text):
        label, _, pk = text.partition(":")
        app_label, _, model = label.partition(".")
        try:
            content_type = ContentType.objects.get_by_natural_key(app_label, model.lower())
        except ContentType.DoesNotExist:
            raise CommandError(f"--record: no model “{label[:60]}”; expected app_label.model:id, "
                               "e.g. sources.source:12.") from None
        if not pk.isdigit():
            raise CommandError(f"--record: “{pk[:40]}” is not a record id; expected app_label.model:id.")
        return {"content_type": content_type, "object_id": int(pk)}
