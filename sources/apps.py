from django.apps import AppConfig


class SourcesConfig(AppConfig):
    name = "sources"
    verbose_name = "Sources and documents"

    def ready(self):
        from sources.csv import register

        register()  # columns and natural keys for the CSV engines (conflictdb.csvio)
