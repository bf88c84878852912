"""Background jobs (conflictdb.jobs) and the consensus refresh after an import (events.consensus),
through the real django-tasks database backend and its worker (`db_worker`, run in this process
after each commit, or as a subprocess for start and stop): a large admin import runs as a preview
job then an import job with advancing progress, a failing job is marked failed, a large export is
downloaded when ready, the consensus is stale after an import and fresh after the refresh task,
in the API and the admin; `make run` starts the worker beside the server."""

import csv
import io
import os
import re
import signal
import subprocess
import sys
import time

import pytest
from django.core.management import call_command
from django.urls import reverse
from django_tasks_db.models import DBTaskResult
from rest_framework.test import APIClient

from conflictdb import jobs
from conflictdb.models import ImportBatch, Job
from conflictdb.provenance import Channel, acting
from events import consensus
from events.models import CasualtyFigure, Claim, Dissent, Event, StaleConsensus
from sources.models import Document, Source
from tests.paths import ROOT

pytestmark = pytest.mark.django_db(transaction=True)  # on_commit must run: the queue is written after commits

CLAIMS = 120


@pytest.fixture
def worker():
    """Run the real worker command in this process until the queue is empty (or `max_tasks`),
    keeping the test runner's signal handlers (the worker installs its own)."""
    saved = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGQUIT)}

    def run(**options):
        try:
            call_command("db_worker", batch=True, reload=False, startup_delay=False, interval=0, verbosity=0,
                         **options)
        finally:
            for sig, handler in saved.items():
                signal.signal(sig, handler)

    return run


@pytest.fixture
def world(editor):
    """An event with one claim stating a figure (its consensus computed at once, as every single save)."""
    with acting(user=editor, channel=Channel.ADMIN):
        event = Event.objects.create(title="Clash at Hoor", event_type="battles", sub_event_type="armed_clash",
                                     date_start="2024-11-27", date_end="2024-11-27", external_id="job:clash")
        source = Source.objects.create(name="Job Monitor", kind="monitor", reliability="B")
        document = Document.objects.create(publisher=source, title="Report", url="https://example.org/job-report",
                                           text="Ten fighters were killed.")
        claim = Claim.objects.create(document=document, claimant=source, event=event, statement="ten killed")
        CasualtyFigure.objects.create(claim=claim, category="combatant", outcome="killed", low=10, high=10,
                                      qualifier="exact")
    return event


def claims_csv(rows=CLAIMS) -> bytes:
    """Claims of the event, every third one denying it (the refresh will make the event contested)."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["external_id", "event", "document", "claimant", "stance", "statement", "date_start", "date_end"])
    for i in range(rows):
        writer.writerow([f"job:claim-{i}", "job:clash", "https://example.org/job-report", "Job Monitor",
                         "denies" if i % 3 == 0 else "asserts", f"statement {i}", "2024-11-27", "2024-11-27"])
    return out.getvalue().encode()


def upload(client, content, name="claims.csv"):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return client.post(reverse("admin:events_claim_import"), {"file": SimpleUploadedFile(name, content)})


def test_a_large_admin_import_runs_as_jobs_with_advancing_progress(world, data_manager, client, settings, worker,
                                                                 monkeypatch):
    settings.CSV_JOB_THRESHOLD_BYTES = 1000
    seen = []
    monkeypatch.setattr(jobs, "IMPORT_CHUNK_ROWS", 25)
    monkeypatch.setattr(jobs, "_WRITE_EVERY", 0)
    original_write = jobs.Progress.write
    monkeypatch.setattr(jobs.Progress, "write", lambda self: (seen.append(self.rows), original_write(self)))
    client.force_login(data_manager)

    response = upload(client, claims_csv())
    preview = Job.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("admin:conflictdb_job_change",
                                                                            args=[preview.pk])
    assert (preview.kind, preview.status, preview.user) == (Job.Kind.PREVIEW, Job.Status.QUEUED, data_manager)
    assert DBTaskResult.objects.get().task_path == "conflictdb.jobs.run_job"  # queued through the DB backend
    page = client.get(response["Location"])
    assert b"Waiting for a worker" in page.content and b'http-equiv="refresh"' in page.content

    worker()
    preview.refresh_from_db()
    assert preview.status == Job.Status.DONE and preview.result["counts"]["created"] == CLAIMS
    assert Claim.objects.count() == 1  # a preview changes nothing
    page = client.get(response["Location"])
    assert b"Confirm import" in page.content and b'http-equiv="refresh"' not in page.content

    seen.clear()
    confirmed = client.post(reverse("admin:conflictdb_job_confirm", args=[preview.pk]))
    job = Job.objects.exclude(pk=preview.pk).get()
    assert confirmed["Location"] == reverse("admin:conflictdb_job_change", args=[job.pk])
    worker(max_tasks=1)  # the import only: the consensus refresh it enqueued waits
    job.refresh_from_db()
    assert job.status == Job.Status.DONE and job.rows_done == CLAIMS, job.result
    assert job.batch.status == ImportBatch.Status.APPLIED and job.batch.created_count == CLAIMS
    assert seen == sorted(seen) and len(set(seen)) > 3 and seen[-1] == CLAIMS  # progress advanced chunk by chunk
    assert jobs.progress_of(job)["share"] == 1.0 and jobs.progress_of(job)["rate"] > 0
    assert Claim.objects.count() == CLAIMS + 1

    # Stale until the refresh task runs: in the API and in the admin.
    assert StaleConsensus.objects.filter(event=world).exists() and not Dissent.objects.exists()
    api = APIClient()
    api.force_authenticate(data_manager)
    assert api.get(f"/api/v1/events/{world.pk}/").json()["consensus_stale"] is True
    assert api.get(f"/api/v1/events/{world.pk}/consensus/").json()["consensus_stale"] is True
    assert api.get("/api/v1/consensus-figures/", {"event": world.pk}).json()["results"][0]["consensus_stale"] is True
    assert [e["consensus_stale"] for e in api.get("/api/v1/events/").json()["results"]] == [True]
    changelist = reverse("admin:events_event_changelist")
    assert world.title in client.get(changelist, {"consensus_stale": "yes"}).content.decode()
    assert world.title not in client.get(changelist, {"consensus_stale": "no"}).content.decode()
    assert DBTaskResult.objects.filter(task_path="events.tasks.refresh_consensus", status="READY").exists()

    worker()  # the refresh
    assert not StaleConsensus.objects.exists()
    assert Dissent.objects.filter(event=world).count() == CLAIMS // 3  # recomputed with the imported claims
    assert api.get(f"/api/v1/events/{world.pk}/").json()["consensus_stale"] is False
    assert api.get(f"/api/v1/events/{world.pk}/consensus/").json()["contested"] is True
    assert world.title in client.get(changelist, {"consensus_stale": "no"}).content.decode()


def test_a_small_admin_import_stays_in_the_request(world, data_manager, client):
    client.force_login(data_manager)
    response = upload(client, claims_csv(3))
    assert response.status_code == 200 and b"Confirm import" in response.content
    assert not Job.objects.exists()


def test_a_failing_job_is_marked_failed_and_changes_nothing(world, data_manager, worker):
    job = jobs.start_import(io.BytesIO(claims_csv()), "claim", user=data_manager, file_name="claims.csv")
    (jobs.folder(job) / jobs.INPUT).write_bytes(b"tampered")  # after it was queued: the job must refuse it
    worker()
    job.refresh_from_db()
    assert job.status == Job.Status.FAILED and "changed after it was queued" in job.error
    assert DBTaskResult.objects.get().status == "FAILED"
    assert Claim.objects.count() == 1 and not ImportBatch.objects.exists()
    with pytest.raises(Exception, match="failed"):
        call_command("jobs", job.pk, stdout=io.StringIO(), stderr=io.StringIO())


def test_a_refused_file_is_refused_with_its_errors(world, data_manager, worker):
    content = claims_csv(5).replace(b"job:clash", b"job:no-such-event")
    job = jobs.start_import(io.BytesIO(content), "claim", user=data_manager, file_name="claims.csv")
    worker()
    job.refresh_from_db()
    assert job.status == Job.Status.REFUSED and job.result["error_count"] == 5
    assert job.batch.status == ImportBatch.Status.REFUSED and Claim.objects.count() == 1


def test_an_import_job_needs_the_import_permission(world, researcher):
    with pytest.raises(PermissionError):
        jobs.start_import(io.BytesIO(claims_csv(2)), "claim", user=researcher, file_name="claims.csv")
    assert not Job.objects.exists()


def test_a_large_admin_export_is_a_job_downloaded_by_its_user(world, data_manager, researcher, client, settings,
                                                              worker):
    settings.CSV_JOB_THRESHOLD_ROWS = 0
    client.force_login(data_manager)
    response = client.get(reverse("admin:sources_source_export"))
    job = Job.objects.get()
    assert response["Location"] == reverse("admin:conflictdb_job_change", args=[job.pk])
    download = reverse("admin:conflictdb_job_download", args=[job.pk])
    assert client.get(download).status_code == 404  # not ready
    worker()
    job.refresh_from_db()
    assert job.status == Job.Status.DONE and job.rows_total == job.rows_done == Source.objects.count()
    assert b"Download" in client.get(reverse("admin:conflictdb_job_change", args=[job.pk])).content
    body = b"".join(client.get(download).streaming_content).decode("utf-8-sig")
    assert "Job Monitor" in body and len(list(csv.reader(io.StringIO(body)))) == Source.objects.count() + 1
    client.force_login(researcher)  # someone else's job is not even found
    assert client.get(download).status_code == 404


def test_export_csv_in_the_background_and_jobs_follow(world, data_manager, worker, tmp_path):
    out = io.StringIO()
    call_command("export_csv", "source", "--background", "--user", data_manager.username, stdout=out)
    number = int(re.search(r"#(\d+)", out.getvalue()).group(1))
    worker()
    followed = io.StringIO()
    call_command("jobs", number, "--follow", stdout=followed)
    assert "Done" in followed.getvalue() and "File: " in followed.getvalue()
    listing = io.StringIO()
    call_command("jobs", stdout=listing)
    assert f"#{number} export source" in listing.getvalue()


def test_import_csv_in_the_background(world, data_manager, worker, tmp_path):
    path = tmp_path / "claims.csv"
    path.write_bytes(claims_csv(4))
    out = io.StringIO()
    call_command("import_csv", str(path), "--model", "claim", "--user", data_manager.username, "--background",
                 stdout=out)
    assert "Queued as background job" in out.getvalue()
    worker()
    assert Job.objects.get().status == Job.Status.DONE and Claim.objects.count() == 5
    assert not StaleConsensus.objects.exists()  # the worker ran the refresh the import enqueued


def test_refresh_consensus_command_and_marks(world):
    consensus.mark_stale([world.pk])
    assert Event.objects.get(pk=world.pk).consensus_stale
    out = io.StringIO()
    call_command("refresh_consensus", stdout=out)
    assert "1 stale events; 0 left" in out.getvalue() and not Event.objects.get(pk=world.pk).consensus_stale
    consensus.mark_stale([world.pk])
    call_command("refresh_consensus", "--all", stdout=io.StringIO())
    assert not StaleConsensus.objects.exists()


def test_make_run_starts_the_worker_beside_the_server():
    makefile = (ROOT / "Makefile").read_text()
    recipe = makefile.split("\nrun:", 1)[1].split("\n\n", 1)[0]
    assert "$(WORKER) &" in recipe and "trap 'kill $$worker" in recipe and "runserver" in recipe
    assert re.search(r"^WORKER := \$\(PY\) manage.py db_worker", makefile, re.M)


@pytest.mark.django_db(transaction=False)
def test_the_worker_command_starts_and_stops(tmp_path):
    """`manage.py db_worker` as `make run` starts it: it polls the queue, and SIGTERM stops it cleanly."""
    env = {**os.environ, "CONFLICTDB_DEV": "1", "DATABASE_URL": f"sqlite:///{tmp_path / 'queue.sqlite3'}",
           "DJANGO_SETTINGS_MODULE": "conflictdb.settings"}
    manage = [sys.executable, str(ROOT / "manage.py")]
    # Only the queue's table (a full migrate takes a minute and more here).
    subprocess.run([sys.executable, "-c", "import django; django.setup(); from django.db import connection; "
                    "from django_tasks_db.models import DBTaskResult\n"
                    "with connection.schema_editor() as editor: editor.create_model(DBTaskResult)"],
                   env=env, check=True, cwd=ROOT, timeout=300)
    process = subprocess.Popen([*manage, "db_worker", "--no-reload", "--queue-name", "*", "--interval", "0.2",
                                "--no-startup-delay"], env=env, cwd=ROOT, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True)
    try:
        started = process.stdout.readline()
        assert "Starting worker" in started, started
        time.sleep(1)  # let it poll the empty queue a few times: it must still be running, not crashed
        assert process.poll() is None, process.stdout.read()
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=60) == 0
    finally:
        if process.poll() is None:
            process.kill()
