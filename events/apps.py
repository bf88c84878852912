from django.apps import AppConfig


class EventsConfig(AppConfig):
    name = "events"
    verbose_name = "Events and claims"

    def ready(self):
        from conflictdb.registry import register_domain_app
        from events import consensus, csv, naming, personal_text, places, tasks

        register_domain_app(self)  # what its models declare for the base: protection, grading
        naming.register_name_resolvers()  # names a foreign-key filter reads (conflictdb.filtersets)
        csv.register()  # columns, natural keys and layouts for the CSV engines (conflictdb.csvio)
        # Derived data follows every write of what feeds it (conflictdb.signals.records_written).
        consensus.connect(refresh_later=tasks.enqueue_refresh)  # an import's refresh: a background job
        places.connect()
        personal_text.connect()  # claims' masked statements; victims' names suggested as passages
