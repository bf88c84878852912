"""Long imports and exports as background jobs, on Django's Tasks framework (the `django-tasks`
backport with the `django-tasks-db` database backend: the queue is a table of our own database,
worked by `manage.py db_worker`; `make run` starts one beside the server).

A door (admin import/export above settings.CSV_JOB_THRESHOLD_BYTES / _ROWS, `import_csv
--background`, `export_csv --background`) calls start_import() / start_export(): the input file is
copied into the job's private folder under settings.JOBS_DIR, a `Job` row is written and the task
`run_job` is enqueued once that row is committed. The worker runs the same engine every door uses
(conflictdb.csvio.importing / layouts / exporting), as the job's user, all or nothing.

Progress. An import writes in one transaction, so nothing it writes to the database is visible
before it commits (and on SQLite that transaction holds the only write lock): live progress
(rows done, bytes read) goes to a small JSON file in the job's folder, rewritten at most once a
second; the Job row gets the final figures when the job ends. progress_of() reads either and
derives the rate and the ETA (imports: from the share of the file read; exports: from the row
count). The admin's job page (conflictdb.jobs_admin) and `manage.py jobs ID --follow` show it.

A job that raises is marked failed with the error (and the task is failed in django-tasks); a
refused file (row errors) is `refused`, with its errors kept, and changes nothing.
"""

from __future__ import annotations

import hashlib
import json
import os
import pickle
import secrets
import shutil
import time
from pathlib import Path

from django.apps import apps
from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.db import transaction
from django.utils import timezone
from django_tasks import task

from conflictdb.models import Job

INPUT = "input"
PROGRESS = "progress.json"
KEPT_ERRORS = 500  # row errors kept on the job (an import's batch keeps them all)
_WRITE_EVERY = 1.0  # seconds between progress writes
IMPORT_CHUNK_ROWS = None  # rows per chunk of a model import (None: the engine's own; tests make it small)


def folder(job: Job) -> Path:
    """The job's private folder (uploads and exports may hold protected data)."""
    path = Path(settings.JOBS_DIR) / job.directory
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    return path


def _new_job(**fields) -> Job:
    return Job.objects.create(directory=secrets.token_hex(16), **fields)


def _enqueue_on_commit(job: Job) -> None:
    def enqueue():
        result = run_job.enqueue(job.pk)
        Job.objects.filter(pk=job.pk).update(task_id=str(result.id))

    transaction.on_commit(enqueue)


# --- starting jobs ------------------------------------------------------------------------------------

def import_refusal(user, target: str, layout: bool) -> str | None:
    """Why `user` may not import into `target` (None when they may): the engine's own rule, asked
    before the job is queued so the door can say it at once."""
    from conflictdb.csvio import columns, importing, layouts

    permissions = (layouts.layout_permissions(target) if layout
                   else importing.model_permissions(columns.spec_for(target).model))
    return importing.check_permission(user, permissions)


def start_import(source, target: str, *, user, file_name: str, layout: bool = False, options: dict | None = None,
                 dry_run: bool = False) -> Job:
    """Queue an import (or, with dry_run, an import preview) of `source` — a path, an open binary
    file or an uploaded file — into the model or layout `target`. Raises PermissionError at once
    when the user may not import it."""
    refusal = import_refusal(user, target, layout)
    if refusal:
        raise PermissionError(refusal)
    with transaction.atomic():
        job = _new_job(kind=Job.Kind.PREVIEW if dry_run else Job.Kind.IMPORT, user=user, target=target,
                       layout=layout, options={k: v for k, v in (options or {}).items() if v not in (None, "", False)},
                       file_name=os.path.basename(file_name)[:500])
        digest = hashlib.sha256()
        destination = folder(job) / INPUT
        with open(os.open(destination, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "wb") as out:
            for block in _blocks(source):
                digest.update(block)
                out.write(block)
        job.sha256, job.bytes_total = digest.hexdigest(), destination.stat().st_size
        job.save(update_fields=["sha256", "bytes_total"])
        _enqueue_on_commit(job)
    return job


def confirm_preview(preview: Job, user) -> Job:
    """Queue the real import of a preview that found no errors (the same file, checked by its hash)."""
    if preview.kind != Job.Kind.PREVIEW or preview.status != Job.Status.DONE:
        raise ValueError("Only a finished preview without errors can be confirmed.")
    path = folder(preview) / INPUT
    with open(path, "rb") as handle:
        if hashlib.file_digest(handle, "sha256").hexdigest() != preview.sha256:
            raise ValueError("The previewed file changed since its preview.")
        handle.seek(0)
        return start_import(handle, preview.target, user=user, file_name=preview.file_name, layout=preview.layout,
                            options=preview.options)


def _blocks(source):
    if hasattr(source, "chunks"):  # an uploaded file
        yield from source.chunks()
        return
    handle = open(source, "rb") if isinstance(source, (str, Path)) else source
    try:
        yield from iter(lambda: handle.read(1 << 20), b"")
    finally:
        if handle is not source:
            handle.close()


def start_export(target: str, queryset, *, user, file_format: str = "csv", file_name: str = "",
                 limit: int | None = None) -> Job:
    """Queue an export of `queryset` (filtered where it was asked: the admin changelist, the
    command's --filter) as `target` (a model or an export layout) for `user`."""
    from conflictdb.csvio import exporting

    if getattr(user, "is_authenticated", False):  # the command line without --user exports nothing protected
        exporting.check_may_export(user)  # PermissionDenied, at once
    name = file_name or f"{target}-{timezone.now():%Y-%m-%d}.{file_format}"
    with transaction.atomic():
        job = _new_job(kind=Job.Kind.EXPORT, user=user if getattr(user, "pk", None) else None, target=target,
                       options={"format": file_format, "model": queryset.model._meta.label, "limit": limit},
                       query=pickle.dumps(queryset.query), file_name=os.path.basename(name)[:500])
        _enqueue_on_commit(job)
    return job


# --- running them (the worker) --------------------------------------------------------------------------

class Progress:
    """Called by the engines with the rows done so far; writes the job's progress file now and then."""

    def __init__(self, job: Job, handle=None):
        self.path = folder(job) / PROGRESS
        self.handle, self.rows, self.bytes = handle, 0, 0
        self.started, self._written = time.time(), 0.0

    def __call__(self, rows: int) -> None:
        self.rows = rows
        if self.handle is not None and not self.handle.closed:
            self.bytes = self.handle.tell()
        if time.monotonic() - self._written >= _WRITE_EVERY:
            self.write()

    def write(self) -> None:
        self._written = time.monotonic()
        temporary = self.path.with_suffix(".tmp")
        temporary.write_text(json.dumps({"rows": self.rows, "bytes": self.bytes, "started": self.started,
                                         "at": time.time()}))
        os.replace(temporary, self.path)  # readers never see half a file


@task()
def run_job(job_id: int) -> str:
    """The one task of every import and export job."""
    job = Job.objects.get(pk=job_id)
    if job.status != Job.Status.QUEUED:  # run already (a task enqueued twice)
        return job.status
    job.status, job.started_at = Job.Status.RUNNING, timezone.now()
    job.save(update_fields=["status", "started_at"])
    progress = Progress(job)
    progress.write()
    try:
        if job.kind == Job.Kind.EXPORT:
            _export(job, progress)
        else:
            _import(job, progress)
    except BaseException as error:
        job.status, job.error = Job.Status.FAILED, f"{type(error).__name__}: {error}"[:5000]
        _finish(job, progress)
        raise  # django-tasks records the task as failed too
    _finish(job, progress)
    return job.status


def _finish(job: Job, progress: Progress) -> None:
    job.rows_done, job.finished_at = progress.rows, timezone.now()
    progress.write()
    job.save()


def _import(job: Job, progress: Progress) -> None:
    from conflictdb.csvio.importing import import_file
    from conflictdb.csvio.layouts import import_layout

    options = job.options
    with open(folder(job) / INPUT, "rb") as handle:
        if hashlib.file_digest(handle, "sha256").hexdigest() != job.sha256:
            raise ValueError("The job's input file changed after it was queued.")
        handle.seek(0)
        progress.handle = handle
        kwargs = dict(user=job.user, file_name=job.file_name, encoding=options.get("encoding"),
                      delimiter=options.get("delimiter"), dayfirst=bool(options.get("dayfirst")),
                      dry_run=job.kind == Job.Kind.PREVIEW, progress=progress)
        if job.layout:
            outcome = import_layout(handle, job.target, mapping=options.get("mapping") or None, **kwargs)
        else:
            outcome = import_file(handle, job.target, **kwargs,
                                  **({"chunk_size": IMPORT_CHUNK_ROWS} if IMPORT_CHUNK_ROWS else {}))
    progress.rows, progress.bytes = outcome.rows, job.bytes_total
    job.batch = outcome.batch
    job.result = {"rows": outcome.rows, "counts": dict(outcome.counts), "error_count": outcome.error_count,
                  "errors": [error.as_dict() for error in outcome.errors[:KEPT_ERRORS]], "summary": outcome.summary()}
    job.status = Job.Status.REFUSED if outcome.refused else Job.Status.DONE


def _export(job: Job, progress: Progress) -> None:
    from conflictdb.csvio import exporting

    model = apps.get_model(job.options["model"])
    queryset = model._default_manager.all()
    queryset.query = pickle.loads(job.query)  # written by start_export, never by a user  # noqa: S301
    user = job.user or AnonymousUser()
    export = exporting.export_for(job.target, user, queryset=queryset, limit=job.options.get("limit"))
    job.rows_total = export.count()
    job.save(update_fields=["rows_total"])
    path = folder(job) / job.file_name
    if job.options.get("format") == "xlsx":
        rows = exporting.write_xlsx(export, path, progress=progress)
    else:
        with open(path, "w", encoding="utf-8", newline="") as stream:
            rows = exporting.write_csv(export, stream, progress=progress)
    os.chmod(path, 0o600)
    progress.rows = rows
    job.result = {"rows": rows, "summary": f"{rows:,} rows exported."}
    job.status = Job.Status.DONE


# --- reading them ------------------------------------------------------------------------------------

def progress_of(job: Job) -> dict:
    """Rows done, the rate (rows/s), the share done and the ETA (seconds), as far as known."""
    rows, done_bytes, elapsed, updated = job.rows_done, job.bytes_total, None, None
    if job.started_at and job.finished_at:
        elapsed = (job.finished_at - job.started_at).total_seconds()
    elif job.status == Job.Status.RUNNING:
        try:
            live = json.loads((Path(settings.JOBS_DIR) / job.directory / PROGRESS).read_text())
        except (FileNotFoundError, ValueError):
            live = None
        if live:
            rows, done_bytes = live["rows"], live["bytes"]
            elapsed, updated = time.time() - live["started"], time.time() - live["at"]
    rate = rows / elapsed if elapsed and rows else None
    share = None
    if job.finished:
        share = 1.0
    elif job.kind == Job.Kind.EXPORT and job.rows_total:
        share = min(rows / job.rows_total, 1.0)
    elif job.kind != Job.Kind.EXPORT and job.bytes_total and job.status == Job.Status.RUNNING \
            and not job.file_name.lower().endswith(".xlsx"):  # a workbook is not read front to back
        share = min(done_bytes / job.bytes_total, 1.0)
    eta = elapsed * (1 - share) / share if share and elapsed and not job.finished else None
    return {"status": job.status, "rows": rows, "rows_total": job.rows_total, "rate": rate, "share": share,
            "eta": eta, "elapsed": elapsed, "updated_ago": updated}


def describe(job: Job) -> str:
    """One line: status, rows, rate, share and ETA (for `manage.py jobs`)."""
    p = progress_of(job)
    parts = [f"#{job.pk} {job.get_kind_display().lower()} {job.target} {job.file_name}: {job.get_status_display()}",
             f"{p['rows']:,} rows" + (f" of {p['rows_total']:,}" if p["rows_total"] else "")]
    if p["rate"]:
        parts.append(f"{p['rate']:,.0f} rows/s")
    if p["share"] is not None and not job.finished:
        parts.append(f"{p['share']:.0%}")
    if p["eta"] is not None:
        parts.append(f"ETA {p['eta']:,.0f} s")
    return ", ".join(parts)


def output_path(job: Job) -> Path | None:
    """The exported file, once the job is done."""
    if job.kind != Job.Kind.EXPORT or job.status != Job.Status.DONE:
        return None
    path = Path(settings.JOBS_DIR) / job.directory / job.file_name
    return path if path.is_file() else None


def discard_files(job: Job) -> None:
    shutil.rmtree(Path(settings.JOBS_DIR) / job.directory, ignore_errors=True)
