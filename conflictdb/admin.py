"""The shared admin base every ConflictDB model admin uses.

Why a base: provenance fields are read-only everywhere, every changelist has a fixed query
budget (list_select_related, no second full COUNT, an estimated count on huge unfiltered
tables), and the change history (django-simple-history) is one click away.
"""

from dataclasses import replace

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.contenttypes.admin import GenericTabularInline
from django.contrib.admin.utils import flatten_fieldsets, unquote
from django.contrib.admin.views.main import ChangeList
from django.core.exceptions import FieldDoesNotExist, PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db import connections
from django.db.models import Q
from django.http import Http404, StreamingHttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils.functional import cached_property
from django.utils.html import format_html
from simple_history.admin import SimpleHistoryAdmin

from conflictdb import concurrency, grading, malformed, protection, readlog, verification
from conflictdb import restore as restoring
from conflictdb.autocomplete import RankedAutocompleteMixin
from conflictdb.csvio.admin_export import CsvExportAdminMixin
from conflictdb.csvio.admin_import import CsvImportAdminMixin
from conflictdb.csvio.importing import reap_stale_batches
from conflictdb.models import (GradeChange, ImportBatch, Job, ProtectedRead, TrackedModel, VerificationStatus,
                               VerificationTransition)
from conflictdb.csvio.rollback import RollbackRefused, rollback
from conflictdb.jobs_admin import JobAdmin

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


class LogInline(GenericTabularInline):
    """A record's log rows (verification or grade changes): read-only, visible to whoever sees
    the record, since they say how its status or grade came about."""

    ct_field, ct_fk_field = "content_type", "object_id"
    extra = 0
    can_delete = False

    def get_readonly_fields(self, request, obj=None):
        return self.fields

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_view_permission(self, request, obj=None):
        return True


class TransitionInline(LogInline):
    model = VerificationTransition
    fields = ("at", "user", "from_status", "to_status", "reason", "channel")
    verbose_name_plural = "verification changes"


class GradeChangeInline(LogInline):
    model = GradeChange
    fields = ("at", "user", "field", "from_value", "to_value", "reason", "channel")
    verbose_name_plural = "grade changes"


class MalformedInputAdminMixin:
    """Malformed input in any of this admin's URLs gets the changelist's answer, never a server
    error (rules: conflictdb.malformed): every URL of the model admin, its subclasses' own pages
    included, runs guarded; regular-expression lookups are refused; an action's selection that
    names no record changes nothing."""

    @property
    def urls(self):
        return [URLPattern(entry.pattern, malformed.guarded(self, entry.callback), entry.default_args, entry.name)
                if isinstance(entry, URLPattern) else entry for entry in self.get_urls()]

    def lookup_allowed(self, lookup, value, request=None):
        return not malformed.refuses_lookup(lookup) and super().lookup_allowed(lookup, value, request)

    def response_action(self, request, queryset):
        selected = request.POST.getlist(ACTION_CHECKBOX_NAME)
        across = forms.BooleanField(required=False).clean(request.POST.get("select_across"))
        if not across and any(not malformed.valid_pk(self.model, value) for value in selected):
            self.message_user(request, "The selection names records that do not exist: nothing was changed.",
                              messages.ERROR)
            return None
        return super().response_action(request, queryset)


class ReadOnlyAdmin(MalformedInputAdminMixin, admin.ModelAdmin):
    """For records only the domain layer writes (logs, derived figures): nobody adds, changes or
    deletes them here."""

    show_full_result_count = False

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class GradeForm(forms.Form):
    value = forms.ChoiceField()
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 3, "cols": 80}),
                             help_text="Why: the track record, the corroboration, the error found.")

    def __init__(self, *args, choices=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["value"].choices = choices


def change_grade(modeladmin, request, queryset):
    return modeladmin.grade_view(request, queryset)


change_grade.short_description = "Change grade of selected…"
change_grade.allowed_permissions = ("grade",)


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


class ProtectedChangeList(ChangeList):
    """Orders a protected source by the name the reader sees, and drops orderings that would
    reveal a hidden value (conflictdb.protection)."""

    def __init__(self, request, *args, **kwargs):
        self.reader = request.user
        super().__init__(request, *args, **kwargs)

    def get_ordering_field(self, field_name):
        order_field = super().get_ordering_field(field_name)
        if isinstance(order_field, str):
            seen = protection.order_by_public(self.reader, self.model, order_field.lstrip("-"))
            if seen is None:
                return None
            return order_field if isinstance(seen, str) else seen
        return order_field

    def get_ordering(self, request, queryset):
        ordering = []
        for term in super().get_ordering(request, queryset):
            if isinstance(term, str) and term.lstrip("-") not in ("pk", "id"):
                seen = protection.order_by_public(request.user, self.model, term.lstrip("-"))
                if seen is None:
                    continue
                if not isinstance(seen, str):
                    term = seen.desc() if term.startswith("-") else seen.asc()
            ordering.append(term)
        return ordering


class ProtectedAdminMixin:
    """Protected sources and personal data in the admin, as each reader may see them: masked in
    lists, forms and history, never searched, filtered or ordered by, never overwritten with the
    placeholder (rules: conflictdb.protection; __str__ of a source follows the same rule)."""

    def get_queryset(self, request):
        return protection.visible(request.user, super().get_queryset(request))

    def get_changelist(self, request, **kwargs):
        return type("ProtectedChangeList", (ProtectedChangeList, super().get_changelist(request, **kwargs)), {})

    def lookup_allowed(self, lookup, value, request=None):
        if request is not None and protection.refuses_lookup(request.user, self.model, lookup):
            return False
        return super().lookup_allowed(lookup, value, request)

    def get_list_filter(self, request):
        return [item for item in super().get_list_filter(request)
                if not (isinstance(item, str) and protection.refuses_lookup(request.user, self.model, item))]

    def get_list_display(self, request):
        masks = protection.masks_of(self.model)
        return [_masked_column(name, self.model) if isinstance(name, str) and name in masks else name
                for name in super().get_list_display(request)]

    def get_search_results(self, request, queryset, search_term):
        fields = self.get_search_fields(request)
        if not search_term or not any(protection.refuses_lookup(request.user, self.model, f) for f in fields):
            return super().get_search_results(request, queryset, search_term)
        # A reader who may not see a protected value must not find a record by it either.
        for term in search_term.split():
            matches = Q()
            for field in fields:
                matches |= protection.search_q(request.user, self.model, field.lstrip("^=@"), term)
            queryset = queryset.filter(matches)
        return queryset, any("__" in f for f in fields)

    def get_readonly_fields(self, request, obj=None):
        readonly = tuple(super().get_readonly_fields(request, obj))
        if obj is None:
            return readonly
        protection.mask_instance(request.user, obj)  # shown masked, and never in the form
        return readonly + tuple(name for name in obj.__dict__.get("_protection_originals", {}) if name not in readonly)

    def save_model(self, request, obj, form, change):
        protection.unmask(obj)
        super().save_model(request, obj, form, change)

    def save_formset(self, request, form, formset, change):
        for inline_form in formset.forms:
            protection.unmask(inline_form.instance)
        super().save_formset(request, form, formset, change)

    def history_view(self, request, object_id, extra_context=None):
        # simple-history falls back to a record's last version when the queryset lacks it.
        if not self.get_queryset(request).filter(pk=unquote(object_id)).exists():
            raise Http404
        return super().history_view(request, object_id, extra_context)

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        if not self.get_queryset(request).filter(pk=unquote(object_id)).exists():
            raise Http404
        return super().history_form_view(request, object_id, version_id, extra_context)

    def set_history_delta_changes(self, request, historical_records, foreign_keys_are_objs=True):
        records = list(historical_records)  # newest first: each change is newer against older
        for newer, older in zip(records, records[1:], strict=False):
            newer.older_version = older
        super().set_history_delta_changes(request, historical_records, foreign_keys_are_objs)
        # The list names each version by its record's __str__: built from the version, masked as
        # the record's protection stands now (a source protected later was not protected then).
        for record in historical_records:
            record.history_object = protection.past_version(request.user, record)

    # --- the read log (rules: conflictdb.readlog): every page that shows a record -------------

    def changelist_view(self, request, extra_context=None):
        # Here, not in the changelist: exports and actions build one too, and show nothing from it.
        response = super().changelist_view(request, extra_context)
        shown = getattr(response, "context_data", None) or {}
        if "cl" in shown:
            readlog.note_request(request, self.model, [record.pk for record in shown["cl"].result_list])
        return response

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        if obj is not None and obj.pk is not None:
            readlog.note_request(request, self.model, [obj.pk])
        for inline in context.get("inline_admin_formsets", ()):
            formset = inline.formset
            readlog.note_request(request, formset.model, [form.instance.pk for form in formset.forms])
        return super().render_change_form(request, context, add=add, change=change, form_url=form_url, obj=obj)

    def render_history_view(self, request, template, context, **kwargs):
        shown = context.get("object") or context.get("original")
        if shown is not None and getattr(shown, "pk", None) is not None:
            readlog.note_request(request, self.model, [shown.pk])
        return super().render_history_view(request, template, context, **kwargs)

    def get_historical_record_context_helper(self, request, historical_record):
        helper = super().get_historical_record_context_helper(request, historical_record)
        # Judged by the record's protection now, never by the versions' own flags; hidden if hidden
        # on either side of the change (a document moved off a protected publisher).
        hidden = protection.hidden_fields(request.user, historical_record.instance)
        older = getattr(historical_record, "older_version", None)
        if older is not None:
            hidden |= protection.hidden_fields(request.user, older.instance)
        if hidden:
            helper.format_delta_change = _masking_delta(helper.format_delta_change, hidden)
        return helper


def _masked_column(name, model):
    def column(obj):
        return protection.masked_fields(protection.viewer(), obj).get(name, getattr(obj, name))

    column.short_description = model._meta.get_field(name).verbose_name
    column.admin_order_field = name  # ProtectedChangeList orders by what the reader sees
    column.__name__ = name
    return column


def _masking_delta(format_delta_change, hidden):
    def masked(change):
        formatted = format_delta_change(change)
        if change.field in hidden:
            formatted = replace(formatted, old=protection.PLACEHOLDER, new=protection.PLACEHOLDER)
        return formatted

    return masked


class TrackedAdmin(MalformedInputAdminMixin, CsvImportAdminMixin, CsvExportAdminMixin, ProtectedAdminMixin,
                   RankedAutocompleteMixin, SimpleHistoryAdmin):
    """Base admin for TrackedModel subclasses."""

    class Media:
        # select2 pre-selects a result only when it is the matcher's match (conflictdb.autocomplete).
        js = ("admin/js/vendor/jquery/jquery.js", "admin/js/jquery.init.js", "conflictdb/admin/autocomplete.js")

    show_full_result_count = False
    paginator = EstimatedCountPaginator
    list_per_page = 50
    list_max_show_all = 500
    save_on_top = True
    actions = [_transition_action(status) for status in VerificationStatus.values]

    def get_readonly_fields(self, request, obj=None):
        # The status moves only through the verification workflow (actions below), and a grade,
        # once set, only through "Change grade" (conflictdb.grading).
        graded = grading.graded_field(self.model)
        return tuple(super().get_readonly_fields(request, obj)) + TrackedModel.PROVENANCE_FIELDS + (
            "verification_status",) + ((graded,) if graded and obj is not None else ())

    def get_actions(self, request):
        actions = super().get_actions(request)
        if grading.graded_field(self.model) and request.user.has_perm(grading.GRADE):
            actions["change_grade"] = self.get_action(change_grade)
        return actions

    def has_grade_permission(self, request):
        return request.user.has_perm(grading.GRADE)

    def grade_view(self, request, queryset):
        """Ask for the new grade and a reason, then regrade every selected record, or none."""
        field = grading.graded_field(self.model)
        model_field = self.model._meta.get_field(field)
        form = GradeForm(request.POST if "apply" in request.POST else None, choices=model_field.choices)
        records = list(queryset)
        if form.is_bound and form.is_valid():
            try:
                grading.regrade_many(records, form.cleaned_data["value"], user=request.user,
                                     reason=form.cleaned_data["reason"])
            except (ValidationError, PermissionDenied) as error:
                message = " ".join(error.messages) if isinstance(error, ValidationError) else str(error)
                self.message_user(request, f"Nothing was changed: {message}", messages.ERROR)
            else:
                self.message_user(request, f"{model_field.verbose_name.capitalize()} of {len(records)} record(s) "
                                           f"is now {form.cleaned_data['value']}.", messages.SUCCESS)
            return None
        for record in records:
            record.current_grade = getattr(record, field)
        return self._action_page(request, "admin/grade_change.html", records, form,
                                 title=f"Change {model_field.verbose_name}", label=model_field.verbose_name)

    def _action_page(self, request, template, records, form, **extra):
        """The confirmation page of a bulk action that asks for a reason (it re-posts the selection)."""
        context = {
            **self.admin_site.each_context(request),
            "records": records,
            "form": form,
            "action": request.POST.get("action"),
            "selected": request.POST.getlist(ACTION_CHECKBOX_NAME),
            "select_across": request.POST.get("select_across", "0"),
            "opts": self.model._meta,
            "action_checkbox_name": ACTION_CHECKBOX_NAME,
            **extra,
        }
        return TemplateResponse(request, template, context)

    def get_inlines(self, request, obj):
        inlines = list(super().get_inlines(request, obj))
        if obj is None:
            return inlines
        extra = [GradeChangeInline] if grading.graded_field(self.model) else []
        return [*inlines, TransitionInline, *extra]

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
        return self._action_page(request, "admin/verification_transition.html", queryset, form,
                                 title=f"Mark as {VerificationStatus(to_status).label.lower()}", to_status=to_status)

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        if self.fieldsets is None:
            # Default single fieldset: drop provenance fields Django appended from readonly_fields.
            names = [f for f in fieldsets[0][1]["fields"] if f not in TrackedModel.PROVENANCE_FIELDS + (VERSION_FIELD,)]
            fieldsets = [(None, {"fields": names})]
        if obj is not None and self.has_change_permission(request, obj):
            return [*fieldsets, PROVENANCE_FIELDSET, VERSION_FIELDSET]
        return [*fieldsets, PROVENANCE_FIELDSET]

    # --- optimistic concurrency (rules: conflictdb.concurrency) --------------------------------

    def get_form(self, request, obj=None, change=False, **kwargs):
        wanted = kwargs["fields"] if "fields" in kwargs else flatten_fieldsets(self.get_fieldsets(request, obj))
        # fields=None: the form Django builds to list a model's fields, not a change form.
        if obj is None or wanted is None or VERSION_FIELD not in wanted:
            return super().get_form(request, obj, change=change, **kwargs)
        kwargs["fields"] = [f for f in wanted if f != VERSION_FIELD]
        return _version_checked(super().get_form(request, obj, change=change, **kwargs))

    # --- history and restore (rules: conflictdb.restore) ---------------------------------------

    object_history_list_template = "admin/conflictdb/object_history_list.html"

    def get_urls(self):
        info = self.model._meta.app_label, self.model._meta.model_name
        restore_url = path("<path:object_id>/history/<int:history_id>/restore/",
                           self.admin_site.admin_view(self.restore_view), name="%s_%s_restore" % info)
        # First: Django's catch-all "<object_id>/" redirect would take the restore path otherwise.
        return [restore_url, *super().get_urls()]

    def history_view(self, request, object_id, extra_context=None):
        obj = self.get_object(request, unquote(object_id))
        extra_context = {**(extra_context or {}),
                         "can_restore": obj is not None and self.has_change_permission(request, obj)}
        return super().history_view(request, object_id, extra_context)

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        # simple-history's page for one version saves the old values on POST, past the
        # verification and concurrency rules; restoring goes through restore_view instead.
        if request.method == "POST":
            raise PermissionDenied("Restore a version from the history page (“Restore this version”).")
        return super().history_form_view(request, object_id, version_id, extra_context)

    def restore_view(self, request, object_id, history_id):
        """Show what restoring a version would change, ask for a reason, then restore it."""
        obj = self.get_object(request, unquote(object_id))
        if obj is None:
            raise Http404
        if not self.has_change_permission(request, obj):
            raise PermissionDenied
        try:
            row, differences = restoring.preview(obj, history_id)
        except ValidationError:
            raise Http404 from None
        form = RestoreForm(request.POST if request.method == "POST" else None, initial={VERSION_FIELD: obj.version})
        if form.is_bound and form.is_valid():
            try:
                restored = restoring.restore(obj, history_id, user=request.user, reason=form.cleaned_data["reason"],
                                             expected_version=form.cleaned_data[VERSION_FIELD])
            except ValidationError as error:
                _add_model_errors(form, error, self.model)
            else:
                self.message_user(request, f"Version {row.version} restored as version {restored.version}.",
                                  messages.SUCCESS)
                info = self.model._meta.app_label, self.model._meta.model_name
                return redirect(reverse(f"admin:{info[0]}_{info[1]}_change", args=[obj.pk],
                                        current_app=self.admin_site.name))
        # Hidden if hidden now or in the version (a document once under a protected publisher).
        hidden = protection.hidden_fields(request.user, obj) | protection.hidden_fields(request.user, row.instance)
        context = {
            **self.admin_site.each_context(request),
            "title": f"Restore version {row.version} of {obj}",
            "object": obj,
            "version": row,
            "differences": [
                (d.label,
                 protection.PLACEHOLDER if d.field in hidden else _display(self.model, d.field, d.current),
                 protection.PLACEHOLDER if d.field in hidden else _display(self.model, d.field, d.restored))
                for d in differences
            ],
            "form": form,
            "opts": self.model._meta,
        }
        return TemplateResponse(request, "admin/conflictdb/restore_version.html", context)


VERSION_FIELD = "expected_version"
# The version the form was opened at travels with it (hidden), so a stale save is refused.
VERSION_FIELDSET = (None, {"fields": (VERSION_FIELD,), "classes": ("hidden",)})


def _version_checked(form_class):
    """The change form, carrying the version it was opened at and refusing a stale save."""

    def __init__(self, *args, **kwargs):
        form_class.__init__(self, *args, **kwargs)
        self.fields[VERSION_FIELD].initial = self.instance.version

    def clean(self):
        cleaned = form_class.clean(self)
        expected = self.cleaned_data.get(VERSION_FIELD)
        if expected is not None and self.instance.pk is not None:
            # The admin saves in the transaction this runs in: the row stays locked until the
            # save, so nobody's change can slip in between the check and the write.
            concurrency.claim(self.instance, expected)
        return cleaned

    attrs = {
        VERSION_FIELD: forms.IntegerField(widget=forms.HiddenInput, required=False),
        "__init__": __init__,
        "clean": clean,
    }
    return type(form_class.__name__, (form_class,), attrs)


class RestoreForm(forms.Form):
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 3, "cols": 80}),
                             help_text="Why: the mistake this undoes. Kept in the history.")
    expected_version = forms.IntegerField(widget=forms.HiddenInput)


def _add_model_errors(form, error, model):
    """Show a model's validation error on a form that lacks the model's fields."""
    for field, messages_ in error.message_dict.items():
        if field in form.fields:
            form.add_error(field, messages_)
            continue
        label = "" if field == "__all__" else f"{_verbose_name(model, field)}: "
        form.add_error(None, [f"{label}{message}" for message in messages_])


def _verbose_name(model, name):
    try:
        return model._meta.get_field(name).verbose_name
    except FieldDoesNotExist:
        return name.replace("_", " ")


def _display(model, name, value):
    """A stored value as a person reads it (choice labels, related records by name)."""
    field = model._meta.get_field(name)
    if value in (None, ""):
        return "—"
    if field.choices:
        return dict(field.flatchoices).get(value, value)
    if field.is_relation:
        return field.related_model._base_manager.filter(pk=value).first() or f"#{value} (no longer exists)"
    return value


class TrackedInline:
    """Mixin for inlines of tracked models: provenance is never typed into an inline form.
    Protected values are shown masked and kept out of the form (conflictdb.protection)."""

    extra = 0
    show_change_link = True

    def get_queryset(self, request):
        return protection.visible(request.user, super().get_queryset(request))

    def get_readonly_fields(self, request, obj=None):
        readonly = tuple(super().get_readonly_fields(request, obj))
        seen = protection.sight(request.user)
        hidden = tuple(name for name, mask in protection.masks_of(self.model).items()
                       if not mask.sees(seen) and name not in readonly)
        return readonly + hidden

    def get_formset(self, request, obj=None, **kwargs):
        formset = super().get_formset(request, obj, **kwargs)
        user = request.user

        class MaskedFormSet(formset):
            def _construct_form(self, i, **form_kwargs):
                form = super()._construct_form(i, **form_kwargs)
                protection.mask_instance(user, form.instance)
                return form

        MaskedFormSet.__name__ = formset.__name__
        return MaskedFormSet


class TrackedTabularInline(TrackedInline, admin.TabularInline):
    pass


class TrackedStackedInline(TrackedInline, admin.StackedInline):
    pass


# --- the base's own tables: the audit trail ----------------------------------------------------


class RollbackForm(forms.Form):
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 3, "cols": 80}),
                             help_text="Why the whole batch is undone: the wrong file, a bad source, a duplicate.")


@admin.register(ImportBatch)
class ImportBatchAdmin(MalformedInputAdminMixin, admin.ModelAdmin):
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

    def changelist_view(self, request, extra_context=None):
        reap_stale_batches()  # a batch whose process was killed shows failed, not running forever
        return super().changelist_view(request, extra_context)

    def has_rollback_permission(self, request):
        return request.user.has_perm(protection.IMPORT_DATA)

    @admin.action(description="Roll back the selected batch…", permissions=["rollback"])
    def roll_back(self, request, queryset):
        """Ask for the reason, then retract what the batch created and revert what it changed
        (conflictdb.csvio.rollback: all or nothing, history kept)."""
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
            "selected": request.POST.getlist(ACTION_CHECKBOX_NAME),
            "action_checkbox_name": ACTION_CHECKBOX_NAME,
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


@admin.register(ProtectedRead)
class ProtectedReadAdmin(ReadOnlyAdmin):
    """Who was shown which protected identity (written by conflictdb.readlog only). For
    administrators: no working role holds its view permission (conflictdb.roles)."""

    list_display = ("at", "user", "door", "kind", "content_type", "object_id", "record_link", "path")
    list_select_related = ("content_type", "user")
    list_filter = ("door", "kind", "content_type", "at")
    search_fields = ("user__username", "path", "=object_id")
    date_hierarchy = "at"
    show_full_result_count = False
    actions = ["export_csv"]

    @admin.display(description="record")
    def record_link(self, read):
        model = read.content_type.model_class()
        if model is None or model not in self.admin_site._registry:
            return "-"
        url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_change", args=[read.object_id])
        return format_html('<a href="{}">{} #{}</a>', url, model._meta.verbose_name, read.object_id)

    @admin.action(description="Export the selected reads as CSV")
    def export_csv(self, request, queryset):
        return protected_reads_csv(queryset, "protected-reads.csv")


def protected_reads_csv(queryset, file_name):
    """The read log as a CSV download (conflictdb.readlog.csv_lines), oldest first."""
    response = StreamingHttpResponse(readlog.csv_lines(queryset), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{file_name}"'
    return response


admin.site.register(Job, JobAdmin)  # conflictdb.jobs_admin: the background jobs' list and progress pages
