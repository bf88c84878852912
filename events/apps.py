from django.apps import AppConfig


class EventsConfig(AppConfig):
    name = "events"
    verbose_name = "Events and claims"

    def ready(self):
        from conflictdb.registry import register_domain_app
        from events import consensus, csv, places

        register_domain_app(self)  # what its models declare for the base: protection, grading
        csv.register()  # columns, natural keys and layouts for the CSV engines (conflictdb.csvio)
        # Derived data follows every write of what feeds it (conflictdb.signals.records_written).
        consensus.connect()
        places.connect()
