"""`manage.py import_csv FILE --model casualtyfigure --user dana`: a CSV/XLSX file applied all or
nothing as one import batch, with a progress bar and a summary.

Lives in `events` because an import reaches every model and only `events` may import both apps
(`sources` never imports `events`).
"""

import os
import time

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from conflictdb import jobs
from conflictdb.csvio import columns
from conflictdb.csvio.headers import parse_mapping
from conflictdb.csvio.importing import import_file, importable
from conflictdb.csvio.layouts import import_layout
from conflictdb.registry import registry


class Progress:
    """A one-line progress bar on stderr: share of the file read, rows, rows per second."""

    def __init__(self, stream, handle, size):
        self.stream, self.handle, self.size = stream, handle, max(size, 1)
        self.started = time.perf_counter()

    def __call__(self, rows):
        share = min(self.handle.tell() / self.size, 1.0)
        elapsed = max(time.perf_counter() - self.started, 1e-6)
        bar = "#" * int(share * 30)
        self.stream.write(f"\r[{bar:<30}] {share:5.0%}  {rows:,} rows  {rows / elapsed:,.0f} rows/s", ending="")
        self.stream.flush()

    def done(self):
        self.stream.write("")


class Command(BaseCommand):
    help = ("Import a CSV or XLSX file all or nothing: one model's columns (see docs/csv-import.md) or a "
            "dataset layout (ucdp-ged, oryx, acled, and the flat casualty-figures and equipment-losses, whose "
            "columns may be mapped with --map). A file with any bad row changes nothing and every error is "
            "listed; importing the same file again changes nothing.")

    def add_arguments(self, parser):
        parser.add_argument("file")
        what = parser.add_mutually_exclusive_group(required=True)
        what.add_argument("--model", help="Model of the rows: " + ", ".join(
            sorted(name for name, spec in registry["csv_models"].items() if importable(spec))) + ".")
        what.add_argument("--layout", choices=sorted(registry["import_layouts"]), help="A dataset layout.")
        parser.add_argument("--map", action="append", default=[], metavar="FIELD=COLUMN",
                            help="A flat layout's field read from a column of the file, e.g. --map party=Affiliation "
                                 "(repeatable; --map -=COLUMN leaves a column unread).")
        parser.add_argument("--user", required=True, help="Username the batch is attributed to (needs import rights).")
        parser.add_argument("--encoding", help="Declare the encoding (default: detected; e.g. windows-1256, utf-16).")
        parser.add_argument("--delimiter", help="comma, semicolon or tab (default: detected).")
        parser.add_argument("--dayfirst", action="store_true", help="Read 03/04/2024 as 3 April 2024.")
        parser.add_argument("--dry-run", action="store_true", help="Validate and count, change nothing.")
        parser.add_argument("--no-progress", action="store_true")
        parser.add_argument("--background", action="store_true",
                            help="Queue the import as a background job (manage.py db_worker runs it) and print its "
                                 "number; follow it with manage.py jobs ID --follow.")
        parser.add_argument("--max-errors", type=int, default=200, help="Errors to print (all are kept on the batch).")

    def handle(self, *args, **options):
        user = get_user_model().objects.filter(username=options["user"]).first()
        if user is None:
            raise CommandError(f"No user {options['user']!r}.")
        path = options["file"]
        if not os.path.isfile(path):
            raise CommandError(f"No file {path!r}.")
        try:
            mapping = parse_mapping(options["map"])
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        if mapping and not options["layout"]:
            raise CommandError("--map maps the columns of a flat layout: use it with --layout.")
        if options["background"]:
            return self._queue(path, user, options, mapping)
        show = not options["no_progress"] and options["verbosity"] > 0
        with open(path, "rb") as handle:
            progress = Progress(self.stderr, handle, os.path.getsize(path)) if show else None
            kwargs = dict(user=user, file_name=os.path.basename(path), encoding=options["encoding"],
                          delimiter=options["delimiter"], dayfirst=options["dayfirst"], dry_run=options["dry_run"],
                          progress=progress)
            try:
                if options["layout"]:
                    outcome = import_layout(handle, options["layout"], mapping=mapping, **kwargs)
                else:
                    try:
                        columns.spec_for(options["model"])
                    except KeyError as exc:
                        raise CommandError(exc.args[0]) from exc
                    outcome = import_file(handle, options["model"], **kwargs)
            except (PermissionError, ValueError) as exc:
                raise CommandError(str(exc)) from exc
            if progress:
                progress.done()
        self.outcome = outcome  # for callers that run the command in-process (bench/bench_import.py)
        for error in outcome.errors[: options["max_errors"]]:
            self.stderr.write(f"  {error}")
        if outcome.error_count > options["max_errors"]:
            self.stderr.write(f"  … and {outcome.error_count - options['max_errors']} more errors "
                              f"(all kept on the import batch).")
        batch = f" Import batch #{outcome.batch.pk}." if outcome.batch else ""
        if outcome.refused:
            raise CommandError(f"Refused, nothing was changed: {outcome.error_count} errors in "
                               f"{outcome.counts['refused']} of {outcome.rows} rows.{batch}")
        self.stdout.write(outcome.summary() + batch)

    def _queue(self, path, user, options, mapping):
        target = options["layout"] or options["model"]
        if not options["layout"]:
            try:
                target = columns.spec_for(target).name
            except KeyError as exc:
                raise CommandError(exc.args[0]) from exc
        try:
            job = jobs.start_import(path, target, user=user, file_name=os.path.basename(path),
                                    layout=bool(options["layout"]), dry_run=options["dry_run"],
                                    options={**{name: options[name] for name in ("encoding", "delimiter", "dayfirst")},
                                             "mapping": mapping})
        except PermissionError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(f"Queued as background job #{job.pk}: manage.py jobs {job.pk} --follow")
