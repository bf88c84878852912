from django.apps import AppConfig
from django.db.models.signals import post_migrate


class ConflictDBConfig(AppConfig):
    name = "conflictdb"
    verbose_name = "ConflictDB"

    def ready(self):
        from conflictdb.roles import ensure_groups_after_migrate

        # Runs after every app's migrate so the permissions of sources and events exist.
        post_migrate.connect(ensure_groups_after_migrate, dispatch_uid="conflictdb_ensure_groups")
