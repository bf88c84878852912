"""The admin side of background jobs (conflictdb.jobs): the list of one's jobs, each job's progress
page (reloaded by a meta refresh while it runs: no script under the strict CSP), the confirmation
of a finished preview and the download of a finished export.

The admin's import and export pages hand files and lists above settings.CSV_JOB_THRESHOLD_BYTES /
CSV_JOB_THRESHOLD_ROWS to start_import_job / start_export_job here, which redirect to the job's page.
"""

from __future__ import annotations

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse

from conflictdb import jobs, malformed
from conflictdb.models import Job

REFRESH_SECONDS = 2


def job_url(job: Job) -> str:
    return reverse("admin:conflictdb_job_change", args=[job.pk])


def start_import_job(request, uploaded, target: str, *, layout: bool = False, options: dict | None = None):
    """Queue the preview (dry run) of an uploaded file and show its page; the page offers the
    confirmation once the preview found no errors."""
    job = jobs.start_import(uploaded, target, user=request.user, file_name=uploaded.name, layout=layout,
                            options=options, dry_run=True)
    messages.info(request, f"{uploaded.name} is large: its preview runs as background job #{job.pk}.")
    return HttpResponseRedirect(job_url(job))


def start_export_job(request, target: str, queryset, file_format: str):
    job = jobs.start_export(target, queryset, user=request.user, file_format=file_format)
    messages.info(request, f"The export is large: it runs as background job #{job.pk}; download it here when done.")
    return HttpResponseRedirect(job_url(job))


class JobAdmin(admin.ModelAdmin):
    """Registered by conflictdb.admin. Written by the jobs only: nobody adds, changes or deletes one."""

    list_display = ("pk", "kind", "target", "file_name", "status", "user", "created_at", "rows_done")
    list_filter = ("kind", "status")
    list_select_related = ("user",)
    ordering = ("-created_at", "-pk")

    show_full_result_count = False

    @property
    def urls(self):  # malformed input gets a message, never a server error (as MalformedInputAdminMixin)
        return [URLPattern(entry.pattern, malformed.guarded(self, entry.callback), entry.default_args, entry.name)
                if isinstance(entry, URLPattern) else entry for entry in self.get_urls()]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        return queryset if request.user.is_superuser else queryset.filter(user=request.user)

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path("<int:job_id>/confirm/", view(self.confirm_view), name="conflictdb_job_confirm"),
            path("<int:job_id>/download/", view(self.download_view), name="conflictdb_job_download"),
            *super().get_urls(),
        ]

    def _job(self, request, job_id) -> Job:
        if not self.has_view_permission(request):
            raise PermissionDenied
        return get_object_or_404(self.get_queryset(request), pk=job_id)  # someone else's job: not found

    def change_view(self, request, object_id, form_url="", extra_context=None):
        if not str(object_id).isdigit():
            raise Http404
        job = self._job(request, int(object_id))
        progress = jobs.progress_of(job)
        context = {
            **self.admin_site.each_context(request),
            "title": str(job), "opts": self.model._meta, "job": job, "progress": progress,
            "percent": round(100 * progress["share"]) if progress["share"] is not None else None,
            "rate": f"{progress['rate']:,.0f}" if progress["rate"] else "",
            "eta": f"{progress['eta']:,.0f}" if progress["eta"] is not None else "",
            "elapsed": f"{progress['elapsed']:,.0f}" if progress["elapsed"] else "",
            "stalled": f"{progress['updated_ago']:,.0f}" if progress["updated_ago"] else "",
            "more_errors": max(0, job.result.get("error_count", 0) - len(job.result.get("errors", []))),
            "can_confirm": job.kind == Job.Kind.PREVIEW and job.status == Job.Status.DONE,
            "download": jobs.output_path(job) is not None,
            "refresh_seconds": REFRESH_SECONDS,
        }
        return TemplateResponse(request, "admin/conflictdb/job/progress.html", context)

    def confirm_view(self, request, job_id):
        job = self._job(request, job_id)
        if request.method != "POST":
            return HttpResponseRedirect(job_url(job))
        try:
            imported = jobs.confirm_preview(job, request.user)
        except PermissionError as refusal:
            raise PermissionDenied(str(refusal)) from None
        except ValueError as problem:
            messages.error(request, str(problem))
            return HttpResponseRedirect(job_url(job))
        messages.success(request, f"Import of {job.file_name} queued as background job #{imported.pk}.")
        return HttpResponseRedirect(job_url(imported))

    def download_view(self, request, job_id):
        job = self._job(request, job_id)
        if job.user_id != request.user.pk:  # an export is as its own user may see it: theirs alone
            raise PermissionDenied("Only the user who asked for an export may download it.")
        output = jobs.output_path(job)
        if output is None:
            raise Http404("This export is not ready.")
        return FileResponse(open(output, "rb"), as_attachment=True, filename=job.file_name)
