"""The three working roles as Django groups, kept in step with the models after every migrate.

Editors add and change; verifiers do what editors do (grading and verification rules come with
the verification workflow); researchers only view. Nobody in these groups may delete: removal is
a retraction, never a hard delete.
"""

from django.apps import apps
from django.contrib.auth.management import create_permissions

EDITORS = "editors"
VERIFIERS = "verifiers"
RESEARCHERS = "researchers"
DOMAIN_APPS = ("sources", "events")

ROLE_ACTIONS = {
    EDITORS: ("add", "change", "view"),
    VERIFIERS: ("add", "change", "view"),
    RESEARCHERS: ("view",),
}
# Verification workflow permissions (conflictdb.verification), beyond the model actions above.
ROLE_EXTRA = {
    EDITORS: ("retract_record",),
    VERIFIERS: ("retract_record", "verify_record"),
    RESEARCHERS: (),
}


def ensure_groups(using="default"):
    from django.contrib.auth.models import Group, Permission

    for label in DOMAIN_APPS:
        create_permissions(apps.get_app_config(label), verbosity=0, using=using)
    domain_perms = Permission.objects.using(using).filter(content_type__app_label__in=DOMAIN_APPS)
    for name, actions in ROLE_ACTIONS.items():
        group, _ = Group.objects.using(using).get_or_create(name=name)
        wanted = [p for p in domain_perms
                  if p.codename.split("_", 1)[0] in actions and not p.codename.endswith("_record")
                  or p.codename in ROLE_EXTRA[name]]
        group.permissions.set(wanted)


def ensure_groups_after_migrate(sender, using="default", **kwargs):
    if sender.label == "events":
        ensure_groups(using=using)
