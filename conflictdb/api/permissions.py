"""Who may do what through the API: the same group permissions as the admin.

Reading needs the model's `view` permission (researchers, editors, verifiers); creating needs
`add`, changing needs `change`. Nothing is deleted through the API. Anonymous users get nothing
unless settings.API_ANONYMOUS_READ is on, and then only reads.
"""

from django.conf import settings
from rest_framework.permissions import SAFE_METHODS, DjangoModelPermissions


class RolePermission(DjangoModelPermissions):
    perms_map = {
        "GET": ["%(app_label)s.view_%(model_name)s"],
        "OPTIONS": ["%(app_label)s.view_%(model_name)s"],
        "HEAD": ["%(app_label)s.view_%(model_name)s"],
        "POST": ["%(app_label)s.add_%(model_name)s"],
        "PUT": ["%(app_label)s.change_%(model_name)s"],
        "PATCH": ["%(app_label)s.change_%(model_name)s"],
        "DELETE": [],  # refused below: removal is a retraction, never a hard delete
    }

    def has_permission(self, request, view):
        if request.method == "DELETE":
            return False
        if not (request.user and request.user.is_authenticated):
            return settings.API_ANONYMOUS_READ and request.method in SAFE_METHODS
        return super().has_permission(request, view)


class ReadPermissionOn(RolePermission):
    """For views without a queryset of their own (aggregates): read access to a given model."""

    model = None

    def has_permission(self, request, view):
        if request.method not in SAFE_METHODS:
            return False
        if not (request.user and request.user.is_authenticated):
            return settings.API_ANONYMOUS_READ
        return request.user.has_perm(f"{self.model._meta.app_label}.view_{self.model._meta.model_name}")


def read_permission_on(model):
    return type(f"Read{model.__name__}Permission", (ReadPermissionOn,), {"model": model})


class TransitionPermission(RolePermission):
    """Asking for a verification change needs only read access to the records; whether the
    change is allowed is the verification workflow's decision (conflictdb.verification)."""

    perms_map = {**RolePermission.perms_map, "POST": ["%(app_label)s.view_%(model_name)s"]}
