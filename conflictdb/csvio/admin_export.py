"""The admin door of exporting: "Export CSV" / "Export XLSX" of the current filtered changelist,
and the action "Export selected as CSV".

django-import-export's own export (ExportMixin) builds the whole file in memory as a tablib
Dataset, one model instance per row; a changelist of a million casualty figures would not fit.
So the changelist's own queryset (filters, search and ordering as shown, protection included)
goes through the streaming exporter (conflictdb.csvio.exporting) instead. Where the library's
export path is still used, `SAFE_EXPORT_FORMATS` replace its formats: its own formula setting
strips only a leading "=".
"""

from __future__ import annotations

import datetime
import tempfile

from django.conf import settings
from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, StreamingHttpResponse
from django.urls import path
from import_export.formats import base_formats

from conflictdb import malformed, protection
from conflictdb.csvio import exporting
from conflictdb.csvio.safety import safe_cell
from conflictdb.jobs_admin import start_export_job
from conflictdb.registry import registry


class _SafeFormatMixin:
    """A django-import-export format whose exports neutralise every formula start (=, +, -, @,
    tab, CR) in text cells and keep numbers as numbers."""

    def export_data(self, dataset, **kwargs):
        for _ in range(dataset.height):
            row = dataset.lpop()
            dataset.append([safe_cell(cell) for cell in row])
        return dataset.export(self.get_title(), **kwargs)


class SafeCSV(_SafeFormatMixin, base_formats.CSV):
    pass


class SafeXLSX(_SafeFormatMixin, base_formats.XLSX):
    pass


SAFE_EXPORT_FORMATS = [SafeCSV, SafeXLSX]


def _file_name(export, extension):
    return f"{export.name}-{datetime.date.today():%Y-%m-%d}.{extension}"


def export_response(export, file_format="csv"):
    """A streamed CSV, or an XLSX written to a temporary file (openpyxl cannot stream to a socket)."""
    if file_format == "xlsx":
        spool = tempfile.TemporaryFile()
        exporting.write_xlsx(export, spool)
        spool.seek(0)
        return FileResponse(spool, as_attachment=True, filename=_file_name(export, "xlsx"))
    response = StreamingHttpResponse(exporting.csv_chunks(export), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{_file_name(export, "csv")}"'
    return response


@admin.action(description="Export selected as CSV", permissions=["export"])
def export_selected(modeladmin, request, queryset):
    return export_response(exporting.export_for(modeladmin.model._meta.model_name, request.user, queryset=queryset))


class CsvExportAdminMixin:
    """Adds the export URLs, the action and the "Export" buttons (templates/admin/change_list_object_tools.html)."""

    export_formats = SAFE_EXPORT_FORMATS  # only if the library's ExportMixin is ever mixed in

    def has_export_permission(self, request):
        return self.model._meta.model_name in registry["csv_models"] and request.user.has_perm(protection.EXPORT_DATA)

    def get_actions(self, request):
        actions = super().get_actions(request)
        if self.has_export_permission(request):
            actions["export_selected"] = self.get_action(export_selected)
        return actions

    def get_urls(self):
        info = self.model._meta.app_label, self.model._meta.model_name
        view = self.admin_site.admin_view(self.export_view)
        return [
            path("export/", view, {"file_format": "csv"}, name="%s_%s_export" % info),
            path("export/xlsx/", view, {"file_format": "xlsx"}, name="%s_%s_export_xlsx" % info),
            *super().get_urls(),
        ]

    def export_view(self, request, file_format="csv"):
        """The changelist as shown (filters, search, ordering), every page of it, streamed."""
        if not (self.has_view_permission(request) and self.has_export_permission(request)):
            raise PermissionDenied(f"Exporting needs the permission “{protection.EXPORT_DATA}”.")
        # The changelist's own queryset, checked: a filter the list refuses is refused here the
        # same way (conflictdb.malformed), before a byte is streamed.
        queryset = malformed.changelist_queryset(self, request)
        export = exporting.export_for(self.model._meta.model_name, request.user, queryset=queryset)
        if (export.count() or 0) > settings.CSV_JOB_THRESHOLD_ROWS:  # too long for a request: a background job
            return start_export_job(request, self.model._meta.model_name, queryset, file_format)
        return export_response(export, file_format)

    def changelist_view(self, request, extra_context=None):
        extra_context = {**(extra_context or {}), "can_export": self.has_export_permission(request)}
        return super().changelist_view(request, extra_context)
