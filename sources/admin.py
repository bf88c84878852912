from django.contrib import admin, messages
from django.urls import reverse
from django.utils.html import format_html

from conflictdb.admin import TrackedAdmin, TrackedTabularInline
from sources.models import Document, Excerpt, PersonalSpan, Source, SourceAlias
from sources.naming import sources_a_reader_names


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

    def autocomplete_exact(self, request, term):
        # A protected source is named by its public label only, to a reader who may not identify it.
        return sources_a_reader_names(term, request.user)

    def autocomplete_label(self, record):
        return f"{record} ({record.get_kind_display().lower()})"


@admin.register(SourceAlias)
class SourceAliasAdmin(TrackedAdmin):
    list_display = ("name", "source", "normalised", "updated_at")
    list_select_related = ("source",)
    search_fields = ("name", "normalised", "source__name")
    autocomplete_fields = ("source",)


class ExcerptInline(TrackedTabularInline):
    model = Excerpt
    fields = ("start", "end", "text")


class PersonalSpanInline(TrackedTabularInline):
    """Passages of the text that are personal data: type the words (start and end are found) or
    give the offsets; suggestions from recorded victims' names are listed to confirm or drop."""

    model = PersonalSpan
    fields = ("text", "start", "end", "state", "suggested_by")
    readonly_fields = ("suggested_by",)
    verbose_name_plural = ("personal passages (masked for readers without permission to see personal data; "
                           "a suggestion masks until it is confirmed or dropped)")


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
    inlines = [ExcerptInline, PersonalSpanInline]
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


@admin.register(PersonalSpan)
class PersonalSpanAdmin(TrackedAdmin):
    list_display = ("text", "document", "start", "end", "state", "suggested_by", "updated_at")
    list_select_related = ("document",)
    list_filter = ("state", "verification_status")
    search_fields = ("text", "document__title")
    autocomplete_fields = ("document",)
    readonly_fields = ("suggested_by", "in_context")
    fields = ("document", "text", ("start", "end"), "state", "suggested_by", "in_context", "verification_status")
    actions = [*TrackedAdmin.actions, "confirm", "drop"]

    @admin.display(description="In context")
    def in_context(self, obj):
        if obj is None or obj.pk is None or obj.start is None:
            return "—"
        body = obj.document.text
        if "text" in obj.__dict__.get("_protection_originals", {}):  # the reader may not see it
            return "—"
        return format_html("…{}<mark>{}</mark>{}…", body[max(0, obj.start - 40):obj.start], body[obj.start:obj.end],
                           body[obj.end:obj.end + 40])

    def _set_state(self, request, queryset, state):
        changed = queryset.exclude(state=state).update(state=state)  # tracked: history, shadows follow
        self.message_user(request, f"{changed} passage(s) marked {PersonalSpan.State(state).label.split(' (')[0].lower()}.",
                          messages.SUCCESS)

    @admin.action(description="Confirm selected passages as personal data", permissions=["change"])
    def confirm(self, request, queryset):
        self._set_state(request, queryset, PersonalSpan.State.CONFIRMED)

    @admin.action(description="Drop selected passages (not personal data: unmasked)", permissions=["change"])
    def drop(self, request, queryset):
        self._set_state(request, queryset, PersonalSpan.State.DROPPED)
