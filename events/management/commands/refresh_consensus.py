"""`manage.py refresh_consensus [--all]`: recompute the consensus of the events marked stale (what
the background job events.tasks.refresh_consensus does after every import), or of every event."""

from django.core.management.base import BaseCommand

from events import consensus


class Command(BaseCommand):
    help = ("Recompute the consensus figures and dissent of every event an import marked stale (the background "
            "job does it after each import; this runs it now). --all recomputes every event.")

    def add_arguments(self, parser):
        parser.add_argument("--all", action="store_true", help="Recompute every event, stale or not.")

    def handle(self, *args, **options):
        if options["all"]:
            count = consensus.recompute_all()
            self.stdout.write(f"Consensus recomputed for all {count} events.")
        else:
            count = consensus.refresh_stale()
            self.stdout.write(f"Consensus recomputed for {count} stale events; {consensus.stale_count()} left stale.")
