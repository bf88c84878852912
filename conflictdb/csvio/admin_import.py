"""The admin door of importing: "Import CSV" on every changelist, with a preview and a confirmation.

1. Upload: a CSV or XLSX file of the model's columns (encoding, delimiter and day-first dates can
   be declared; otherwise they are detected).
2. Preview: the file is applied as a dry run by the same engine as the command line
   (conflictdb.csvio.importing, rolled back): what would be created, updated, left unchanged,
   and every row error (row, column, value, reason). A file with errors cannot be confirmed.
3. Confirm: the same file (checked by its SHA-256) is imported for real, as one import batch.

A dataset layout (UCDP GED, Oryx, ACLED, the flat casualty-figures and equipment-losses) may be
chosen instead of the model's columns; the list offers those whose permissions the user holds
(conflictdb.csvio.layouts.layout_permissions). For a flat layout the preview shows how each
column of the header was read (conflictdb.csvio.headers: by name, synonym, or not at all) with a
choice per column: choosing and previewing again maps the columns (as `--map` does), and the
confirmation imports with that mapping.

Between 2 and 3 the file waits in a private temporary directory, named only in the user's
session; files of previews never confirmed are swept once past UPLOAD_RETENTION.

django-import-export's ImportMixin would apply rows one by one through its own resource, with
no import batch, no row provenance and its own rules on errors; so, as for exports
(admin_export), the admin hands the file to the engine every other door uses.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import secrets
import stat
import tempfile
import time

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse

from conflictdb.csvio.headers import IGNORE
from conflictdb.csvio.importing import check_permission, import_file, importable, model_permissions
from conflictdb.csvio.layouts import import_layout, layout_permissions
from conflictdb.jobs_admin import start_import_job
from conflictdb.registry import registry

PREVIEW_ERRORS = 500  # shown on the page; the batch keeps them all
_SESSION_KEY = "csv_import_uploads"
_SUFFIX = ".upload"
# How long an uploaded file waits for its confirmation (seconds). A day leaves time to read a long
# preview and confirm it after a break; past it, copies of files that may hold protected data
# should not linger, so the preview expires and its file is swept at the next upload.
UPLOAD_RETENTION = 24 * 60 * 60


class ImportForm(forms.Form):
    file = forms.FileField(help_text="CSV (UTF-8, UTF-16, Windows-1256; comma, semicolon or tab) or XLSX.")
    encoding = forms.ChoiceField(required=False, choices=[("", "detect"), ("utf-8", "UTF-8"), ("utf-16", "UTF-16"),
                                                          ("windows-1256", "Windows-1256 (Arabic)")])
    delimiter = forms.ChoiceField(required=False, choices=[("", "detect"), ("comma", "comma"),
                                                           ("semicolon", "semicolon"), ("tab", "tab")])
    dayfirst = forms.BooleanField(required=False, label="Numeric dates are day first (27/11/2024)")
    layout = forms.ChoiceField(required=False, label="Layout", help_text="A dataset layout instead of this list's "
                               "own columns: one row = one claimed item, everything it names found or created.")

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["layout"].choices = [("", "this list's own columns")] + layout_choices(user)


def layout_choices(user) -> list[tuple[str, str]]:
    """The dataset layouts `user` may import (every permission of what the layout writes)."""
    return [(name, name) for name in sorted(registry["import_layouts"])
            if user is not None and check_permission(user, layout_permissions(name)) is None]


def _mapping_from(post, header, fields) -> dict:
    """{field: column} from the preview's choices (map-<index> per column of `header`), the columns
    left unread under IGNORE; a column left "as read" is not in the mapping."""
    known = {field.name for field in fields}
    mapping = {}
    for index, column in enumerate(header):
        chosen = post.get(f"map-{index}", "")
        if chosen == IGNORE:
            mapping.setdefault(IGNORE, []).append(column)
        elif chosen in known:
            mapping[chosen] = column
    return mapping


def _upload_dir():
    """The directory of kept uploads, private to this user: uploads may hold protected data."""
    directory = os.path.join(tempfile.gettempdir(), "conflictdb-imports")
    os.makedirs(directory, mode=0o700, exist_ok=True)
    info = os.lstat(directory)
    # In a shared /tmp someone else may have taken the name first (their directory, or a symlink
    # to one): refuse it rather than write uploads where others can read them.
    if not stat.S_ISDIR(info.st_mode) or info.st_uid != os.getuid():
        raise PermissionError(f"{directory} is not a directory of this user: uploads are not kept there.")
    if stat.S_IMODE(info.st_mode) != 0o700:  # makedirs leaves an existing directory's mode alone
        os.chmod(directory, 0o700)
    return directory


def _stale(mtime):
    return time.time() - mtime > UPLOAD_RETENTION


def _sweep(directory):
    """Remove the kept files of previews past the retention (abandoned, never confirmed)."""
    with os.scandir(directory) as entries:
        for entry in entries:
            if entry.name.endswith(_SUFFIX) and entry.is_file(follow_symlinks=False):
                with contextlib.suppress(FileNotFoundError):  # another request swept it first
                    if _stale(entry.stat(follow_symlinks=False).st_mtime):
                        os.unlink(entry.path)


def _open_fresh(path):
    """The kept file opened, or None when it is gone or past the retention. The confirmation
    hashes and imports this one handle, so a sweep cannot remove the file in between."""
    try:
        handle = open(path, "rb")
    except FileNotFoundError:
        return None
    if _stale(os.fstat(handle.fileno()).st_mtime):
        handle.close()
        return None
    return handle


class CsvImportAdminMixin:
    """Adds the import URL and the "Import CSV" button (templates/admin/change_list_object_tools.html)."""

    def has_import_permission(self, request):
        spec = registry["csv_models"].get(self.model._meta.model_name)
        return bool(spec and importable(spec)
                    and check_permission(request.user, model_permissions(self.model)) is None)

    def get_urls(self):
        info = self.model._meta.app_label, self.model._meta.model_name
        return [path("import/", self.admin_site.admin_view(self.import_view), name="%s_%s_import" % info),
                *super().get_urls()]

    def changelist_view(self, request, extra_context=None):
        extra_context = {**(extra_context or {}), "can_import": self.has_import_permission(request)}
        return super().changelist_view(request, extra_context)

    def import_view(self, request):
        if not self.has_import_permission(request):
            raise PermissionDenied("Importing needs the data managers' permission (conflictdb.import_data) and the "
                                   "right to add and change these records.")
        _sweep(_upload_dir())  # every visit, not only uploads: abandoned previews must not outlive the retention
        if request.method == "POST" and "confirm" in request.POST:
            return self._confirm(request)
        if request.method == "POST" and "remap" in request.POST:
            return self._remap(request)
        form = ImportForm(request.POST or None, request.FILES or None, user=request.user)
        outcome = token = upload = None
        if request.method == "POST" and form.is_valid():
            if form.cleaned_data["file"].size > settings.CSV_JOB_THRESHOLD_BYTES:  # too long for a request
                return self._as_job(request, form)
            token, upload = self._keep(request, form)
            try:
                outcome = self._apply(request, upload, upload["path"], dry_run=True)
            except PermissionError as refusal:
                self._discard(request, token)
                form.add_error("layout", str(refusal))
                return self._page(request, form, None, None)
            except BaseException:
                self._discard(request, token)  # no preview to confirm: do not keep the file
                raise
            token = self._after_preview(request, token, upload, outcome)
        return self._page(request, form, outcome, token, upload=upload if outcome else None)

    def _after_preview(self, request, token, upload, outcome):
        """The token to confirm with, or None. A flat layout's refused preview keeps its file, so
        that the columns can be mapped and the file previewed again without a new upload."""
        if outcome.refused and not (upload.get("layout") and outcome.readings):
            self._discard(request, token)
            return None
        upload["header"] = [reading.header for reading in outcome.readings]
        request.session.modified = True
        return token

    def _remap(self, request):
        token = request.POST.get("token", "")
        upload = request.session.get(_SESSION_KEY, {}).get(token)
        if upload is None or upload["model"] != self.model._meta.model_name or not upload.get("layout"):
            return self._expired(request)
        handle = _open_fresh(upload["path"])
        if handle is None:
            self._discard(request, token)
            return self._expired(request)
        fields = registry["import_layouts"][upload["layout"]].fields
        upload["mapping"] = _mapping_from(request.POST, upload.get("header", []), fields)
        request.session.modified = True
        with handle:
            outcome = self._apply(request, upload, handle, dry_run=True)
        token = self._after_preview(request, token, upload, outcome)
        return self._page(request, ImportForm(user=request.user), outcome, token, upload=upload)

    def _as_job(self, request, form):
        """A large file: its preview, then its import, run as background jobs (conflictdb.jobs)."""
        data = form.cleaned_data
        layout = data["layout"] or ""
        return start_import_job(request, data["file"], layout or self.model._meta.model_name, layout=bool(layout),
                                options={"encoding": data["encoding"] or None, "delimiter": data["delimiter"] or None,
                                         "dayfirst": data["dayfirst"]})

    def _keep(self, request, form):
        """Keep the uploaded file until it is confirmed (a private temporary file, named in the session)."""
        uploaded = form.cleaned_data["file"]
        directory = _upload_dir()
        uploads = request.session.setdefault(_SESSION_KEY, {})
        for gone in [token for token, kept in uploads.items() if not os.path.exists(kept["path"])]:
            del uploads[gone]
        digest = hashlib.sha256()
        # Created with mode 0o600 (mkstemp), under an unpredictable name.
        handle = tempfile.NamedTemporaryFile(dir=directory, delete=False, suffix=_SUFFIX)
        with handle:
            for chunk in uploaded.chunks():
                digest.update(chunk)
                handle.write(chunk)
        token = secrets.token_urlsafe(16)
        upload = {"path": handle.name, "name": os.path.basename(uploaded.name), "sha256": digest.hexdigest(),
                  "model": self.model._meta.model_name, "encoding": form.cleaned_data["encoding"] or None,
                  "delimiter": form.cleaned_data["delimiter"] or None, "dayfirst": form.cleaned_data["dayfirst"],
                  "layout": form.cleaned_data["layout"] or None, "mapping": {}}
        uploads[token] = upload
        request.session.modified = True
        return token, upload

    def _discard(self, request, token):
        upload = request.session.get(_SESSION_KEY, {}).pop(token, None)
        request.session.modified = True
        if upload:
            with contextlib.suppress(FileNotFoundError):  # already swept
                os.unlink(upload["path"])

    def _apply(self, request, upload, source, dry_run):
        options = dict(user=request.user, file_name=upload["name"], encoding=upload["encoding"],
                       delimiter=upload["delimiter"], dayfirst=upload["dayfirst"], dry_run=dry_run)
        if upload.get("layout"):
            if hasattr(source, "read"):
                return import_layout(source, upload["layout"], mapping=upload.get("mapping") or None, **options)
            with open(source, "rb") as handle:
                return import_layout(handle, upload["layout"], mapping=upload.get("mapping") or None, **options)
        return import_file(source, upload["model"], **options)

    def _expired(self, request):
        messages.error(request, "This preview has expired (or was already confirmed): nothing was imported. "
                                "Upload the file again.")
        return HttpResponseRedirect(request.path)

    def _confirm(self, request):
        # The token only looks up this user's session, never a path: a forged token finds nothing.
        token = request.POST.get("token", "")
        upload = request.session.get(_SESSION_KEY, {}).get(token)
        changelist = reverse(f"admin:{self.model._meta.app_label}_{self.model._meta.model_name}_changelist")
        if upload is None or upload["model"] != self.model._meta.model_name:
            return self._expired(request)
        handle = _open_fresh(upload["path"])
        if handle is None:
            self._discard(request, token)  # forget it, and remove its file if not swept yet
            return self._expired(request)
        with handle:
            if hashlib.file_digest(handle, "sha256").hexdigest() != upload["sha256"]:
                self._discard(request, token)
                raise PermissionDenied("The uploaded file changed after its preview.")
            handle.seek(0)
            try:
                outcome = self._apply(request, upload, handle, dry_run=False)
            finally:  # applied, refused or failed: this preview is used up
                self._discard(request, token)
        if outcome.refused:  # the database changed since the preview
            messages.error(request, f"Refused, nothing was changed: {outcome.error_count} errors.")
            return self._page(request, ImportForm(user=request.user), outcome, None)
        batch_url = reverse("admin:conflictdb_importbatch_change", args=[outcome.batch.pk])
        messages.success(request, f"{upload['name']}: {outcome.summary()} Import batch #{outcome.batch.pk} "
                                  f"({batch_url}).")
        return HttpResponseRedirect(changelist)

    def _page(self, request, form, outcome, token, upload=None):
        opts = self.model._meta
        spec = registry["csv_models"][opts.model_name]
        layout = registry["import_layouts"].get((upload or {}).get("layout") or "")
        fields = layout.fields if layout else ()
        mapping = (upload or {}).get("mapping") or {}
        ignored = set(mapping.get(IGNORE, []))
        readings = [{"index": r.index, "header": r.header, "field": r.field, "how": r.explanation,
                     "chosen": (IGNORE if r.header in ignored else r.field or "") if r.how != "not read" else ""}
                    for r in (outcome.readings if outcome else [])]
        context = {
            **self.admin_site.each_context(request),
            "title": f"Import {opts.verbose_name_plural}",
            "opts": opts,
            "form": form,
            "outcome": outcome,
            "errors": outcome.errors[:PREVIEW_ERRORS] if outcome else [],
            "more_errors": max(0, outcome.error_count - PREVIEW_ERRORS) if outcome else 0,
            "token": token,
            "columns": [column for column in spec.columns if column.importable],
            "natural_key": spec.natural_key,
            "layout": layout.name if layout else "",
            "readings": readings if fields else [],
            "layout_fields": fields,
            "ignore": IGNORE,
        }
        return TemplateResponse(request, "admin/csv_import.html", context)
