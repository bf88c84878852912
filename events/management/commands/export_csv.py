"""`manage.py export_csv <model|layout>`: the command-line door of conflictdb.csvio.exporting.

Lives in `events` because the layouts (acled, ucdp-ged, hxl) read events, claims and places, and
`sources` never imports `events`.
"""

import os
import sys
from types import SimpleNamespace
import time

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied
from django.core.management.base import BaseCommand, CommandError
from django.http import QueryDict
from rest_framework.exceptions import ValidationError

from conflictdb import jobs
from conflictdb.csvio import columns as cols
from conflictdb.csvio import exporting
from conflictdb.registry import registry
from events import filtersets as event_filters
from sources import filtersets as source_filters
from events.models import Event


def filterset_for(model):
    """The model's FilterSet, the one the API uses (filters are declared once)."""
    from django_filters import FilterSet


    for module in (event_filters, source_filters):
        for value in vars(module).values():
            if isinstance(value, type) and issubclass(value, FilterSet) and value._meta.model is model:
                return value
    return None


def filtered_queryset(model, filters: list[str], user=None):
    """The model's rows narrowed by `name=value` filters, as the API would narrow them."""
    queryset = model._default_manager.all()
    if not filters:
        return queryset
    data = QueryDict(mutable=True)
    for item in filters:
        name, sep, value = item.partition("=")
        if not sep or not name:
            raise CommandError(f"--filter “{item}”: write it as name=value, e.g. --filter outcome=killed.")
        data.appendlist(name.strip(), value.strip())
    filterset_class = filterset_for(model)
    if filterset_class is None:
        raise CommandError(f"{model._meta.verbose_name_plural} cannot be filtered.")
    unknown = sorted(set(data) - set(filterset_class.base_filters))
    if unknown:
        raise CommandError(f"Unknown filter(s) {', '.join(unknown)} for {model._meta.verbose_name_plural}; "
                           f"known: {', '.join(sorted(filterset_class.base_filters))}.")
    # The filters read names as this user may (a protected source only by its public label).
    filterset = filterset_class(data=data, queryset=queryset, request=SimpleNamespace(user=user))
    if not filterset.is_valid():
        problems = "; ".join(f"{name}: {' '.join(errors)}" for name, errors in filterset.errors.items())
        raise CommandError(f"Invalid filter: {problems}")
    try:
        return filterset.qs
    except ValidationError as refused:  # a name that names nothing (conflictdb.filtersets.NamedFilter)
        problems = "; ".join(f"{name}: {error}" for name, error in refused.detail.items())
        raise CommandError(f"Invalid filter: {problems}") from None


class Progress:
    """One line on stderr, rewritten in place: rows written, of how many, and the rate."""

    def __init__(self, stream, total):
        self.stream, self.total, self.started = stream, total, time.perf_counter()

    def __call__(self, rows):
        elapsed = max(time.perf_counter() - self.started, 1e-9)
        of = f" / {self.total:,} ({rows / self.total:.0%})" if self.total else ""
        self.stream.write(f"\r  {rows:,}{of} rows, {rows / elapsed:,.0f} rows/s")
        self.stream.flush()


class Command(BaseCommand):
    help = ("Export a model's rows (natural keys, formula-safe) or an event layout (acled, ucdp-ged, hxl) "
            "as CSV or XLSX, as a given user may see them.")

    def add_arguments(self, parser):
        parser.add_argument("what", help=f"A model ({', '.join(sorted(registry['csv_models']))}) or a layout "
                                         f"({', '.join(registry['export_layouts'])}).")
        parser.add_argument("--filter", action="append", default=[], metavar="NAME=VALUE",
                            help="The API's filters for this model (layouts: the events filters); repeatable.")
        parser.add_argument("--output", "-o", help="File to write (default: standard output, CSV only).")
        parser.add_argument("--format", choices=exporting.FORMATS, default=None,
                            help="csv or xlsx (default: from the --output suffix, else csv).")
        parser.add_argument("--user", help="Export as this user: needs the export permission; protected sources "
                                           "and personal data appear only if the user may see them. Without it, "
                                           "nothing protected is written (placeholders and public labels).")
        parser.add_argument("--limit", type=int, help="Only the first N rows (a sample).")
        parser.add_argument("--no-bom", action="store_true", help="Leave out the UTF-8 byte-order mark.")
        parser.add_argument("--background", action="store_true",
                            help="Queue the export as a background job (manage.py db_worker runs it); the file is "
                                 "kept with the job: manage.py jobs ID --follow prints where.")

    def handle(self, *args, what, filter, output, format, user, no_bom, limit, **options):
        account = self._user(user)
        name = what.lower()
        layouts = registry["export_layouts"]
        if name in layouts:
            model = Event
        else:
            try:
                model = cols.spec_for(name).model
                name = cols.spec_for(name).name
            except KeyError as error:
                raise CommandError(f"{error.args[0]} Layouts: {', '.join(layouts)}.") from None
        queryset = filtered_queryset(model, filter, account)
        format = format or ("xlsx" if output and output.lower().endswith(".xlsx") else "csv")
        if options["background"]:
            job = jobs.start_export(name, queryset, user=account, file_format=format, limit=limit,
                                    file_name=os.path.basename(output) if output else "")
            self.stdout.write(f"Queued as background job #{job.pk}: manage.py jobs {job.pk} --follow")
            return
        export = exporting.export_for(name, account, queryset=queryset, limit=limit)
        if format == "xlsx" and not output:
            raise CommandError("XLSX needs --output FILE.")
        show_progress = options["verbosity"] > 0
        progress = Progress(sys.stderr, export.count()) if show_progress else None
        started = time.perf_counter()
        if format == "xlsx":
            rows = exporting.write_xlsx(export, output, progress=progress)
        elif output:
            with open(output, "w", encoding="utf-8", newline="") as stream:
                rows = exporting.write_csv(export, stream, progress=progress, bom=not no_bom)
        else:
            rows = exporting.write_csv(export, self.stdout._out, progress=progress, bom=False)
        if show_progress:
            elapsed = time.perf_counter() - started
            sys.stderr.write("\n")
            self.stderr.write(f"Exported {rows:,} {name} rows{f' to {output}' if output else ''} "
                              f"in {elapsed:.1f} s ({rows / max(elapsed, 1e-9):,.0f} rows/s).",
                              style_func=lambda text: text)

    def _user(self, username):
        if not username:
            return AnonymousUser()  # sees only what an account without permissions sees
        User = get_user_model()
        try:
            account = User.objects.get(**{User.USERNAME_FIELD: username})
        except User.DoesNotExist:
            raise CommandError(f"No user “{username}”.") from None
        try:
            exporting.check_may_export(account)
        except PermissionDenied as error:
            raise CommandError(str(error)) from None
        return account
