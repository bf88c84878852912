"""`manage.py load_seeds [paths...]`: the gazetteer and the article seed files, idempotently."""

from django.core.management.base import BaseCommand, CommandError

from events.seeding import SeedError, load_seeds


class Command(BaseCommand):
    help = (
        "Load the OCHA gazetteer and seed article files (default: every seeds/article_*.yaml). "
        "Running it again changes nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument("paths", nargs="*", help="Seed files to load (default: seeds/article_*.yaml).")

    def handle(self, *args, paths, **options):
        try:
            summary = load_seeds(paths or None)
        except SeedError as exc:
            raise CommandError(f"Nothing was loaded: {exc}") from exc
        if options["verbosity"] > 1:
            for label, counts in sorted(summary.by_model.items()):
                self.stdout.write(
                    f"  {label:<28} created {counts['created']:>4}  updated {counts['updated']:>4}  "
                    f"unchanged {counts['unchanged']:>4}"
                )
        totals = summary.totals
        self.stdout.write(
            f"Seeds loaded: created {totals['created']}, updated {totals['updated']}, "
            f"unchanged {totals['unchanged']}."
        )
