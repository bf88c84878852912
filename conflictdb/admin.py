"""The shared admin base every ConflictDB model admin uses.

Why a base: provenance fields are read-only everywhere, every changelist has a fixed query
budget (list_select_related, no second full COUNT, an estimated count on huge unfiltered
tables), and the change history (django-simple-history) is one click away.
"""

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.contenttypes.admin import GenericTabularInline
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db import connections
from django.template.response import TemplateResponse
from django.utils.functional import cached_property
from simple_history.admin import SimpleHistoryAdmin

from conflictdb import verification
from conflictdb.models import TrackedModel, VerificationStatus
from sources.models import VerificationTransition

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


class TransitionInline(GenericTabularInline):
    """The record's verification changes: who, when, from, to, why (read-only)."""

    model = VerificationTransition
    ct_field, ct_fk_field = "content_type", "object_id"
    fields = ("at", "user", "from_status", "to_status", "reason", "channel")
    readonly_fields = fields
    extra = 0
    can_delete = False
    verbose_name_plural = "verification changes"

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_view_permission(self, request, obj=None):
        return True  # whoever sees the record sees how its status came about


class TransitionForm(forms.Form):
    to = forms.ChoiceField(choices=VerificationStatus.choices, widget=forms.HiddenInput)
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 3, "cols": 80}),
                             help_text="Why: the evidence, the conflicting source, the error found.")


def _transition_action(to_status):
    label = VerificationStatus(to_status).label.lower()

    def action(modeladmin, request, queryset):
        return modeladmin.transition_view(request, queryset, to_status)

    action.__name__ = f"mark_{to_status}"
    action.short_description = f"Mark selected as {label}…" if to_status != "unverified" else \
        "Reinstate selected as unverified…"
    action.allowed_permissions = ("transition",)
    return action


class TrackedAdmin(SimpleHistoryAdmin):
    """Base admin for TrackedModel subclasses."""

    show_full_result_count = False
    paginator = EstimatedCountPaginator
    list_per_page = 50
    list_max_show_all = 500
    save_on_top = True
    actions = [_transition_action(status) for status in VerificationStatus.values]

    def get_readonly_fields(self, request, obj=None):
        # The status moves only through the verification workflow (actions below).
        return tuple(super().get_readonly_fields(request, obj)) + TrackedModel.PROVENANCE_FIELDS + (
            "verification_status",)

    def get_inlines(self, request, obj):
        inlines = list(super().get_inlines(request, obj))
        return [*inlines, TransitionInline] if obj is not None else inlines

    def has_transition_permission(self, request):
        return request.user.has_perm(verification.VERIFY) or request.user.has_perm(verification.RETRACT)

    def transition_view(self, request, queryset, to_status):
        """Ask for the reason, then apply the transition to all selected records, or to none."""
        form = TransitionForm(request.POST if "apply" in request.POST else None, initial={"to": to_status})
        if form.is_bound and form.is_valid():
            try:
                done, refusals = verification.transition_many(
                    queryset, to_status, user=request.user, reason=form.cleaned_data["reason"])
            except ValidationError as error:
                form.add_error(None, error)
            else:
                if refusals:
                    for refusal in refusals:
                        self.message_user(request, f"{refusal.record}: {refusal.message}", messages.ERROR)
                    self.message_user(request, "Nothing was changed.", messages.WARNING)
                else:
                    self.message_user(request, f"{len(done)} marked {VerificationStatus(to_status).label.lower()}.",
                                      messages.SUCCESS)
                return None
        context = {
            **self.admin_site.each_context(request),
            "title": f"Mark as {VerificationStatus(to_status).label.lower()}",
            "records": queryset,
            "form": form,
            "to_status": to_status,
            "action": request.POST.get("action"),
            "selected": request.POST.getlist(ACTION_CHECKBOX_NAME),
            "select_across": request.POST.get("select_across", "0"),
            "opts": self.model._meta,
            "action_checkbox_name": ACTION_CHECKBOX_NAME,
        }
        return TemplateResponse(request, "admin/verification_transition.html", context)

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
