from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.core.exceptions import ValidationError
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.html import format_html

from conflictdb import protection
from conflictdb.admin import ReadOnlyAdmin, TrackedAdmin, TrackedTabularInline
from conflictdb.models import GradeChange, ImportBatch, VerificationTransition
from sources.models import Document, Excerpt, Source, SourceAlias


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
    list_display = ("title", "publisher", "published_on", "language", "derived_from", "verification_status",
                    "desk_link")
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
    change_form_template = "admin/desk/document_change_form.html"  # adds the "Desk" button

    def get_list_display(self, request):
        shown = super().get_list_display(request)
        return shown if request.user.has_perm("events.add_claim") else tuple(f for f in shown if f != "desk_link")

    @admin.display(description="Desk")
    def desk_link(self, obj):
        # By URL name: sources never imports events, whose ClaimAdmin serves the desk.
        return format_html('<a class="desk-link" href="{}">Desk</a>', reverse("admin:events_claim_desk", args=[obj.pk]))

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


class RollbackForm(forms.Form):
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 3, "cols": 80}),
                             help_text="Why the whole batch is undone: the wrong file, a bad source, a duplicate.")


@admin.register(ImportBatch)
class ImportBatchAdmin(admin.ModelAdmin):
    list_display = ("file_name", "layout", "status", "user", "started_at", "created_count", "updated_count",
                    "unchanged_count", "refused_count")
    list_select_related = ("user",)
    list_filter = ("status", "layout")
    search_fields = ("file_name", "sha256")
    date_hierarchy = "started_at"
    show_full_result_count = False
    actions = ["roll_back"]

    def has_add_permission(self, request):
        return False  # batches are written by the importer, never typed

    def has_rollback_permission(self, request):
        return request.user.has_perm(protection.IMPORT_DATA)

    @admin.action(description="Roll back the selected batch…", permissions=["rollback"])
    def roll_back(self, request, queryset):
        """Ask for the reason, then retract what the batch created and revert what it changed
        (conflictdb.csvio.rollback: all or nothing, history kept)."""
        from conflictdb.csvio.rollback import RollbackRefused, rollback

        if queryset.count() != 1:
            self.message_user(request, "Select exactly one batch to roll back.", messages.ERROR)
            return None
        batch = queryset.get()
        form = RollbackForm(request.POST if "apply" in request.POST else None)
        if form.is_bound and form.is_valid():
            try:
                result = rollback(batch, user=request.user, reason=form.cleaned_data["reason"])
            except (RollbackRefused, ValidationError) as refused:
                self.message_user(request, " ".join(getattr(refused, "messages", [str(refused)])), messages.ERROR)
            else:
                self.message_user(request, f"Batch #{batch.pk} rolled back: {result.summary()}", messages.SUCCESS)
            return None
        return TemplateResponse(request, "admin/rollback_batch.html", {
            **self.admin_site.each_context(request), "title": f"Roll back import batch #{batch.pk}",
            "opts": self.model._meta, "batch": batch, "form": form,
            "selected": request.POST.getlist(helpers.ACTION_CHECKBOX_NAME),
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
        })

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in self.model._meta.fields]


@admin.register(VerificationTransition)
class VerificationTransitionAdmin(ReadOnlyAdmin):
    """Read-only log of every verification change (written by conflictdb.verification only)."""

    list_display = ("at", "content_type", "object_id", "from_status", "to_status", "user", "channel", "reason")
    list_select_related = ("content_type", "user")
    list_filter = ("to_status", "from_status", "channel", "content_type")
    search_fields = ("reason", "user__username")
    date_hierarchy = "at"


@admin.register(GradeChange)
class GradeChangeAdmin(ReadOnlyAdmin):
    """Read-only log of every change of reliability or credibility (written by conflictdb.grading only)."""

    list_display = ("at", "content_type", "object_id", "field", "from_value", "to_value", "user", "channel", "reason")
    list_select_related = ("content_type", "user")
    list_filter = ("field", "to_value", "channel", "content_type")
    search_fields = ("reason", "user__username")
    date_hierarchy = "at"
