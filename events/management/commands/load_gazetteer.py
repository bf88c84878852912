"""`manage.py load_gazetteer`: OCHA P-codes and GeoNames places with their spellings, idempotently."""

from django.core.management.base import BaseCommand, CommandError

from events.gazetteer import GEONAMES_JSON, OCHA_CSV, GazetteerError, load_gazetteer


class Command(BaseCommand):
    help = "Load (or refresh) the gazetteer: OCHA admin 1/2 P-codes, then GeoNames populated places. " \
           "Running it again changes nothing."

    def add_arguments(self, parser):
        parser.add_argument("--ocha", default=str(OCHA_CSV), help="OCHA COD-AB P-code CSV (admin 1 and 2).")
        parser.add_argument("--geonames", default=str(GEONAMES_JSON), help="GeoNames cities JSON for Syria.")

    def handle(self, *args, ocha, geonames, **options):
        try:
            counts = load_gazetteer(ocha_path=ocha, geonames_path=geonames)
        except GazetteerError as exc:
            raise CommandError(f"Nothing was loaded: {exc}") from exc
        for label, count in counts.items():
            self.stdout.write(f"  {label:<45} {count:>6}")
        self.stdout.write("Gazetteer loaded.")
