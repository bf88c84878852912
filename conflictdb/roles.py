"""The working roles as Django groups, kept in step with the models after every migrate.

Editors add and change; verifiers do what editors do and also grade and verify; researchers only
view (protected sources and personal data as placeholders) and may download; data managers import
and export whole files. Nobody in these groups may delete: removal is a retraction, never a hard
delete.
"""

from django.apps import apps
from django.contrib.auth import get_permission_codename
from django.contrib.auth.management import create_permissions

from conflictdb.registry import registry

EDITORS = "editors"
VERIFIERS = "verifiers"
RESEARCHERS = "researchers"
DATA_MANAGERS = "data managers"
# The base's own audit tables (import batches, verification transitions, grade changes) carry
# the workflow permissions; they are given out like the domain apps' (registry "domain_apps").
BASE_APP = "conflictdb"

ROLE_ACTIONS = {
    EDITORS: ("add", "change", "view"),
    VERIFIERS: ("add", "change", "view"),
    RESEARCHERS: ("view",),
    DATA_MANAGERS: ("add", "change", "view"),
}
# Verification workflow permissions (conflictdb.verification), beyond the model actions above.
# Editors and verifiers work with protected sources and personal data; researchers see
# placeholders. Export of files is its own permission (conflictdb.protection, issue 6).
ROLE_EXTRA = {
    EDITORS: ("retract_record", "view_protected_source", "view_personal_data"),
    VERIFIERS: ("retract_record", "verify_record", "grade_record", "view_protected_source", "view_personal_data"),
    RESEARCHERS: ("export_data",),
    DATA_MANAGERS: ("retract_record", "import_data", "export_data", "view_protected_source", "view_personal_data"),
}


EXTRA_CODENAMES = {codename for extra in ROLE_EXTRA.values() for codename in extra}
# For administrators only, never a working role: the log of who was shown a protected identity
# (conflictdb.readlog) must not tell an editor or researcher which records are protected and who
# looks at them.
ADMINISTRATORS_ONLY = {"view_protectedread"}


def permission(model, action: str) -> str:
    """The full name of a model's permission, e.g. permission(Claim, "change") → "events.change_claim"."""
    return f"{model._meta.app_label}.{get_permission_codename(action, model._meta)}"


def role_apps() -> list[str]:
    """The app labels whose permissions the roles give out: the base's and every domain app's."""
    return [BASE_APP, *registry["domain_apps"]]


def ensure_groups(using="default"):
    from django.contrib.auth.models import Group, Permission

    labels = role_apps()
    for label in labels:
        create_permissions(apps.get_app_config(label), verbosity=0, using=using)
    domain_perms = Permission.objects.using(using).filter(content_type__app_label__in=labels)
    for name, actions in ROLE_ACTIONS.items():
        group, _ = Group.objects.using(using).get_or_create(name=name)
        wanted = [p for p in domain_perms
                  if p.codename not in ADMINISTRATORS_ONLY
                  and (p.codename.split("_", 1)[0] in actions and p.codename not in EXTRA_CODENAMES
                       or p.codename in ROLE_EXTRA[name])]
        group.permissions.set(wanted)


def ensure_groups_after_migrate(sender, using="default", **kwargs):
    # Once, after the last domain app: by then every app's permissions exist.
    if sender.label == registry["domain_apps"][-1]:
        ensure_groups(using=using)
