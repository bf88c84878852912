from django.apps import AppConfig


class EventsConfig(AppConfig):
    name = "events"
    verbose_name = "Events and claims"

    def ready(self):
        from events import consensus

        consensus.connect()  # consensus figures follow every save of what feeds them

        from events.csv import register

        register()  # columns, natural keys and layouts for the CSV engines (conflictdb.csvio)
