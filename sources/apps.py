from django.apps import AppConfig


class SourcesConfig(AppConfig):
    name = "sources"
    verbose_name = "Sources and documents"

    def ready(self):
        from conflictdb.registry import register_domain_app
        from sources import csv, naming, personal

        register_domain_app(self)  # what its models declare for the base: protection, grading
        naming.register_name_resolvers()  # names a foreign-key filter reads (conflictdb.filtersets)
        csv.register()  # columns and natural keys for the CSV engines (conflictdb.csvio)
        personal.connect()  # a document's masked shadows follow its personal passages
