from django.apps import AppConfig
from django.contrib.admin.apps import AdminConfig
from django.db.models.signals import post_migrate


class ConflictDBConfig(AppConfig):
    name = "conflictdb"
    verbose_name = "ConflictDB"

    def ready(self):
        from conflictdb import token_admin
        from conflictdb.roles import ensure_groups_after_migrate

        token_admin.register()  # after the admin's autodiscover, in place of knox's own

        # Runs after every app's migrate so the permissions of sources and events exist.
        post_migrate.connect(ensure_groups_after_migrate, dispatch_uid="conflictdb_ensure_groups")


class ConflictDBAdminConfig(AdminConfig):
    """django.contrib.admin with ConflictDB's site: the autocomplete ranked by each model's
    matcher (conflictdb.autocomplete)."""

    default_site = "conflictdb.autocomplete.ConflictDBAdminSite"
