from django.contrib import admin
from django.utils.html import format_html

from conflictdb.admin import TrackedAdmin, TrackedTabularInline
from sources.models import Document, Excerpt, ImportBatch, Source, SourceAlias, VerificationTransition


class SourceAliasInline(TrackedTabularInline):
    model = SourceAlias
    fields = ("name",)


@admin.register(Source)
class SourceAdmin(TrackedAdmin):
    list_display = ("name", "kind", "reliability", "protected", "country", "verification_status", "updated_at")
    list_filter = ("kind", "reliability", "protected", "verification_status")
    search_fields = ("name", "public_label", "aliases__name")
    inlines = [SourceAliasInline]

    def get_search_results(self, request, queryset, search_term):
        # Searching through aliases joins a to-many table; keep one row per source.
        queryset, _ = super().get_search_results(request, queryset, search_term)
        return queryset.distinct(), False


@admin.register(SourceAlias)
class SourceAliasAdmin(TrackedAdmin):
    list_display = ("name", "source", "normalised", "updated_at")
    list_select_related = ("source",)
    search_fields = ("name", "normalised", "source__name")
    autocomplete_fields = ("source",)


class ExcerptInline(TrackedTabularInline):
    model = Excerpt
    fields = ("start", "end", "text")


@admin.register(Document)
class DocumentAdmin(TrackedAdmin):
    list_display = ("title", "publisher", "published_on", "language", "derived_from", "verification_status")
    list_select_related = ("publisher", "derived_from")
    list_filter = ("language", "published_precision", "derivation", "verification_status")
    search_fields = ("title", "url", "author", "publisher__name", "text_sha256")
    autocomplete_fields = ("publisher", "derived_from")
    date_hierarchy = "published_on"
    readonly_fields = ("text_sha256", "provenance_chain_display")
    fieldsets = (
        (None, {"fields": ("title", "publisher", "author", "url", "archive_url", ("published_on", "published_precision"),
                           "retrieved_at", "language", "verification_status")}),
        ("Derivation", {"fields": (("derived_from", "derivation"), "provenance_chain_display", "notes", "external_id")}),
        ("Text", {"fields": ("text", "text_sha256")}),
    )
    inlines = [ExcerptInline]

    @admin.display(description="Provenance chain")
    def provenance_chain_display(self, obj):
        if obj is None or obj.pk is None:
            return "—"
        return " ← ".join(f"{d.title} ({d.publisher}, {d.get_derivation_display() or 'original'})"
                          for d in obj.provenance_chain())


@admin.register(Excerpt)
class ExcerptAdmin(TrackedAdmin):
    list_display = ("__str__", "document", "start", "end", "verification_status")
    list_select_related = ("document",)
    list_filter = ("verification_status",)
    search_fields = ("text", "document__title")
    autocomplete_fields = ("document",)
    readonly_fields = ("prefix", "suffix", "in_context")
    fields = ("document", ("start", "end"), "text", "in_context", "verification_status")

    @admin.display(description="In context")
    def in_context(self, obj):
        if obj is None or obj.pk is None:
            return "—"
        return format_html("…{}<mark>{}</mark>{}…", obj.prefix, obj.text, obj.suffix)


@admin.register(ImportBatch)
class ImportBatchAdmin(admin.ModelAdmin):
    list_display = ("file_name", "layout", "status", "user", "started_at", "created_count", "updated_count",
                    "unchanged_count", "refused_count")
    list_select_related = ("user",)
    list_filter = ("status", "layout")
    search_fields = ("file_name", "sha256")
    date_hierarchy = "started_at"
    show_full_result_count = False

    def has_add_permission(self, request):
        return False  # batches are written by the importer, never typed

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in self.model._meta.fields]


@admin.register(VerificationTransition)
class VerificationTransitionAdmin(admin.ModelAdmin):
    """Read-only log of every verification change (written by conflictdb.verification only)."""

    list_display = ("at", "content_type", "object_id", "from_status", "to_status", "user", "channel", "reason")
    list_select_related = ("content_type", "user")
    list_filter = ("to_status", "from_status", "channel", "content_type")
    search_fields = ("reason", "user__username")
    date_hierarchy = "at"
    show_full_result_count = False

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
