from django.apps import AppConfig


class EventsConfig(AppConfig):
    name = "events"
    verbose_name = "Events and claims"

    def ready(self):
        from conflictdb.registry import register_domain_app
        from events import consensus

        register_domain_app(self)  # what its models declare for the base: protection, grading
        consensus.connect()  # consensus figures follow every save of what feeds them
