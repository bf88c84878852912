"""`manage.py jobs [ID] [--follow]`: the background jobs (conflictdb.jobs) — the latest ones, or one
job's progress; with --follow, one line a second until it ends (exit status 1 if it failed or
its file was refused)."""

import time

from django.core.management.base import BaseCommand, CommandError

from conflictdb import jobs
from conflictdb.models import Job


class Command(BaseCommand):
    help = ("List the latest background jobs (imports, previews, exports), or show one job's progress: rows done, "
            "rate and ETA. --follow prints it every second until the job ends.")

    def add_arguments(self, parser):
        parser.add_argument("job", nargs="?", type=int, help="A job's number.")
        parser.add_argument("--follow", action="store_true", help="Print the job's progress until it ends.")
        parser.add_argument("--interval", type=float, default=1.0, help="Seconds between lines with --follow.")
        parser.add_argument("--limit", type=int, default=20, help="Jobs to list.")

    def handle(self, *args, job, follow, interval, limit, **options):
        if job is None:
            if follow:
                raise CommandError("--follow needs a job number.")
            for each in Job.objects.select_related("user").order_by("-created_at", "-pk")[:limit]:
                self.stdout.write(f"{jobs.describe(each)} ({each.user or 'no user'}, {each.created_at:%Y-%m-%d %H:%M})")
            return
        try:
            record = Job.objects.get(pk=job)
        except Job.DoesNotExist:
            raise CommandError(f"No background job #{job}.") from None
        self.stdout.write(jobs.describe(record))
        while follow and not record.finished:
            time.sleep(interval)
            record.refresh_from_db()
            self.stdout.write(jobs.describe(record))
        if record.finished:
            self._ending(record)

    def _ending(self, record):
        if record.error:
            self.stderr.write(f"  {record.error}")
        for error in record.result.get("errors", [])[:20]:
            self.stderr.write(f"  row {error['row']}, {error['column'] or 'file'}: {error['reason']}")
        if record.batch_id:
            self.stdout.write(f"Import batch #{record.batch_id}.")
        output = jobs.output_path(record)
        if output:
            self.stdout.write(f"File: {output}")
        if record.status in (Job.Status.FAILED, Job.Status.REFUSED):
            raise CommandError(f"Job #{record.pk} {record.get_status_display().lower()}.")
