from django.apps import AppConfig


class SourcesConfig(AppConfig):
    name = "sources"
    verbose_name = "Sources and documents"

    def ready(self):
        from conflictdb.registry import register_domain_app

        register_domain_app(self)  # what its models declare for the base: protection, grading
