"""A crash or a kill changes nothing, and its batch ends failed — never "running" or "pending" forever.

- Any exception inside an import: the batch is failed with the error, no row is written.
- `manage.py import_csv` killed (SIGKILL) mid-file, for real, in a subprocess on a real file
  database (a SQLite file in tmp; the PostgreSQL test database when DATABASE_URL is set): every
  table and every history table holds what it held before, and the batch, left running by the dead
  process, is marked failed by the reaper (`manage.py reap_imports`, the next import, the admin list).
"""

import json
import os
import signal
import subprocess
import sys
import time

import pytest
from django.conf import settings
from django.db import connection

from conflictdb.csvio.importing import import_file, reap_stale_batches
from conflictdb.models import ImportBatch
from events.models import Actor

ROOT = settings.BASE_DIR

_COUNTS = """
import json
from django.apps import apps
print(json.dumps({m._meta.label: m._base_manager.count() for m in apps.get_models()}))
"""
_BATCHES = """
import json
from conflictdb.models import ImportBatch
print(json.dumps(list(ImportBatch.objects.values("status", "worker_pid", "error_report"))))
"""
_USER = """
from django.contrib.auth.models import Group, User
from conflictdb.roles import DATA_MANAGERS
user = User.objects.create_user("killed_dana", password="pw", is_staff=True)
user.groups.add(Group.objects.get(name=DATA_MANAGERS))
"""


def _manage(url, *args, check=True, **kwargs):
    env = {**os.environ, "DATABASE_URL": url, "CONFLICTDB_DEV": "1", "DJANGO_SETTINGS_MODULE": "conflictdb.settings"}
    return subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env, check=check, text=True,
                          capture_output=True, timeout=600, **kwargs)


def _shell(url, code):
    return json.loads(_manage(url, "shell", "-c", code).stdout.strip().splitlines()[-1] or "null")


@pytest.fixture
def database_url(request, tmp_path):
    """A database another process can see: a migrated SQLite file, or PostgreSQL's test database."""
    if connection.vendor == "postgresql":
        request.getfixturevalue("transactional_db")  # committed, so the subprocess sees it
        db = connection.settings_dict
        yield f"postgres://{db['USER']}:{db['PASSWORD'] or ''}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
        return
    url = f"sqlite:///{tmp_path / 'kill.sqlite3'}"
    _manage(url, "migrate", "--noinput")
    yield url


def _big_actor_file(path, rows):
    with open(path, "w", encoding="utf-8") as out:
        out.write("name,kind,description\n")
        for number in range(rows):
            out.write(f"Generated Actor {number:07d},rebel_group,row {number} of a file killed mid-way\n")


def test_a_killed_import_changes_nothing_and_its_batch_is_reaped_as_failed(database_url, tmp_path):
    _manage(database_url, "shell", "-c", _USER)
    before = _shell(database_url, _COUNTS)
    big = tmp_path / "actors.csv"
    _big_actor_file(big, 400_000)
    progress = tmp_path / "progress.txt"
    env = {**os.environ, "DATABASE_URL": database_url, "CONFLICTDB_DEV": "1",
           "DJANGO_SETTINGS_MODULE": "conflictdb.settings"}
    with open(progress, "w") as stderr:
        process = subprocess.Popen([sys.executable, "manage.py", "import_csv", str(big), "--model", "actor", "--user",
                                    "killed_dana"], cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=stderr)
        try:
            deadline = time.monotonic() + 300
            # Wait until rows are being written (the progress bar reports a written chunk).
            while "rows" not in progress.read_text() and process.poll() is None and time.monotonic() < deadline:
                time.sleep(0.2)
            assert process.poll() is None, "the import ended before it could be killed: make the file bigger"
            running = _shell(database_url, _BATCHES)
            assert [batch["status"] for batch in running] == ["running"]
            assert running[0]["worker_pid"] == process.pid
        finally:
            process.send_signal(signal.SIGKILL)
            process.wait()  # no zombie: the pid is gone
    after = _shell(database_url, _COUNTS)
    assert after.pop("conflictdb.ImportBatch") == before.pop("conflictdb.ImportBatch") + 1
    assert after == before  # every table, history tables included
    assert "1 stale" in _manage(database_url, "reap_imports").stdout
    [batch] = _shell(database_url, _BATCHES)
    assert batch["status"] == "failed" and "nothing was written" in batch["error_report"][0]["reason"]


def test_an_exception_inside_an_import_fails_its_batch_and_writes_nothing(db, data_manager, tmp_path, monkeypatch):
    path = tmp_path / "actors.csv"
    path.write_text("name,kind\nFirst Faction,rebel_group\nSecond Faction,rebel_group\n", encoding="utf-8")

    def broken(self, *args):
        raise RuntimeError("the disk went away")

    monkeypatch.setattr("conflictdb.csvio.importing._Importer.write", broken)
    with pytest.raises(RuntimeError):
        import_file(path, "actor", user=data_manager)
    batch = ImportBatch.objects.get()
    assert batch.status == ImportBatch.Status.FAILED and batch.finished_at is not None
    assert "RuntimeError: the disk went away" in batch.error_report[-1]["reason"]
    assert not Actor.objects.filter(name__endswith="Faction").exists()
    assert Actor.history.filter(name__endswith="Faction").count() == 0


def test_a_running_batch_of_a_live_process_is_left_alone(db, data_manager):
    import socket

    alive = ImportBatch.objects.create(file_name="live.csv", sha256="0" * 64, layout="actor", user=data_manager,
                                       status=ImportBatch.Status.RUNNING, worker_host=socket.gethostname(),
                                       worker_pid=os.getpid())
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    dead = ImportBatch.objects.create(file_name="dead.csv", sha256="0" * 64, layout="actor", user=data_manager,
                                      status=ImportBatch.Status.RUNNING, worker_host=socket.gethostname(),
                                      worker_pid=gone.pid)
    assert reap_stale_batches() == 1
    alive.refresh_from_db(), dead.refresh_from_db()
    assert (alive.status, dead.status) == ("running", "failed")
