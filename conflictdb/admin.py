"""The shared admin base every ConflictDB model admin uses.

Why a base: provenance fields are read-only everywhere, every changelist has a fixed query
budget (list_select_related, no second full COUNT, an estimated count on huge unfiltered
tables), and the change history (django-simple-history) is one click away.
"""

from django.conf import settings
from django.contrib import admin
from django.core.paginator import Paginator
from django.db import connections
from django.utils.functional import cached_property
from simple_history.admin import SimpleHistoryAdmin

from conflictdb.models import TrackedModel

PROVENANCE_FIELDSET = (
    "Provenance",
    {
        "classes": ("collapse",),
        "fields": (
            ("created_at", "created_by", "channel"),
            ("updated_at", "updated_by", "last_channel"),
            ("import_batch", "import_row", "version"),
        ),
    },
)


class EstimatedCountPaginator(Paginator):
    """Uses PostgreSQL's row estimate instead of COUNT(*) for large unfiltered changelists."""

    @cached_property
    def count(self):
        queryset = self.object_list
        query = getattr(queryset, "query", None)
        if query is not None and not query.where and not query.distinct:
            estimate = _estimated_rows(queryset)
            if estimate is not None and estimate > settings.ADMIN_ESTIMATED_COUNT_THRESHOLD:
                return estimate
        return super().count


def _estimated_rows(queryset):
    connection = connections[queryset.db]
    if connection.vendor != "postgresql":
        return None
    with connection.cursor() as cursor:
        cursor.execute("SELECT reltuples::bigint FROM pg_class WHERE oid = %s::regclass", [queryset.model._meta.db_table])
        row = cursor.fetchone()
    return row[0] if row and row[0] > 0 else None


class TrackedAdmin(SimpleHistoryAdmin):
    """Base admin for TrackedModel subclasses."""

    show_full_result_count = False
    paginator = EstimatedCountPaginator
    list_per_page = 50
    list_max_show_all = 500
    save_on_top = True

    def get_readonly_fields(self, request, obj=None):
        return tuple(super().get_readonly_fields(request, obj)) + TrackedModel.PROVENANCE_FIELDS

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        if self.fieldsets is None:
            # Default single fieldset: drop provenance fields Django appended from readonly_fields.
            names = [f for f in fieldsets[0][1]["fields"] if f not in TrackedModel.PROVENANCE_FIELDS]
            fieldsets = [(None, {"fields": names})]
        return [*fieldsets, PROVENANCE_FIELDSET]


class TrackedInline:
    """Mixin for inlines of tracked models: provenance is never typed into an inline form."""

    extra = 0
    show_change_link = True


class TrackedTabularInline(TrackedInline, admin.TabularInline):
    pass


class TrackedStackedInline(TrackedInline, admin.StackedInline):
    pass
