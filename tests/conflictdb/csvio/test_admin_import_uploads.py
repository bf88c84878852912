"""The files the admin import keeps between its preview and its confirmation: abandoned ones are
swept after the retention, an expired preview cannot be confirmed, tokens name no path, and the
files are private (they may hold protected data)."""

import os
import stat
import tempfile
import time
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from conflictdb.csvio import admin_import
from events.models import Actor
from conflictdb.models import ImportBatch
from tests.paths import FIXTURES

FIXTURES = FIXTURES / "import"
IMPORT_URL = "admin:events_actor_import"
STALE = time.time() - admin_import.UPLOAD_RETENTION - 60


@pytest.fixture
def uploads_dir(tmp_path, monkeypatch):
    """The kept uploads go under tmp_path, never the real temporary directory."""
    monkeypatch.setattr(tempfile, "gettempdir", lambda: str(tmp_path))
    return tmp_path / "conflictdb-imports"


@pytest.fixture
def manager_client(client, data_manager):
    client.force_login(data_manager)
    return client


def _preview(client, name="actors_utf8.csv"):
    content = (FIXTURES / name).read_bytes()
    response = client.post(reverse(IMPORT_URL), {"file": SimpleUploadedFile(name, content)})
    assert response.status_code == 200 and response.context["token"]
    return response.context["token"]


def _kept(client, token):
    return Path(client.session[admin_import._SESSION_KEY][token]["path"])


def _confirm(client, token):
    return client.post(reverse(IMPORT_URL), {"token": token, "confirm": "1"}, follow=True)


def _age(path, mtime=STALE):
    os.utime(path, (mtime, mtime))


def assert_expired(response):
    assert response.redirect_chain == [(reverse(IMPORT_URL), 302)]  # back to the upload form
    assert "This preview has expired (or was already confirmed): nothing was imported." in response.content.decode()
    assert not Actor.objects.exists() and not ImportBatch.objects.exists()


def test_the_next_upload_sweeps_stale_files_and_keeps_fresh_ones(uploads_dir, manager_client):
    abandoned, fresh = _preview(manager_client), _preview(manager_client)
    abandoned_path, fresh_path = _kept(manager_client, abandoned), _kept(manager_client, fresh)
    _age(abandoned_path)
    _age(fresh_path, time.time() - admin_import.UPLOAD_RETENTION + 3600)  # an hour left: still a preview
    other = uploads_dir / "notes.txt"  # not one of ours: left alone whatever its age
    other.write_text("x")
    _age(other)

    latest = _preview(manager_client)
    assert not abandoned_path.exists()
    assert fresh_path.exists() and _kept(manager_client, latest).exists() and other.exists()
    assert abandoned not in manager_client.session[admin_import._SESSION_KEY]  # its session entry went too
    assert_expired(_confirm(manager_client, abandoned))
    assert _confirm(manager_client, fresh).status_code == 200
    assert Actor.objects.count() == 3 and ImportBatch.objects.count() == 1  # the fresh one still confirms


def test_a_preview_past_the_retention_cannot_be_confirmed_even_before_a_sweep(uploads_dir, manager_client):
    token = _preview(manager_client)
    path = _kept(manager_client, token)
    _age(path)
    assert_expired(_confirm(manager_client, token))
    assert not path.exists() and token not in manager_client.session[admin_import._SESSION_KEY]


def test_a_missing_file_or_unknown_token_changes_nothing(uploads_dir, manager_client):
    token = _preview(manager_client)
    _kept(manager_client, token).unlink()  # e.g. the temporary directory was cleaned
    assert_expired(_confirm(manager_client, token))
    assert_expired(_confirm(manager_client, "no-such-token"))
    assert_expired(_confirm(manager_client, ""))


@pytest.mark.parametrize("forged", ["../outside.csv", "{outside}", "{kept_name}", "{kept}"])
def test_a_token_is_no_path(uploads_dir, manager_client, forged):
    token = _preview(manager_client)
    kept = _kept(manager_client, token)
    outside = uploads_dir.parent / "outside.csv"
    outside.write_bytes((FIXTURES / "actors_utf8.csv").read_bytes())
    forged = forged.format(outside=outside, kept_name=kept.name, kept=kept)
    assert_expired(_confirm(manager_client, forged))
    assert outside.exists() and kept.exists()  # nothing read as an import, nothing deleted


def test_the_kept_files_are_private(uploads_dir, manager_client):
    path = _kept(manager_client, _preview(manager_client))
    assert path.parent == uploads_dir
    assert stat.S_IMODE(uploads_dir.stat().st_mode) == 0o700
    assert stat.S_IMODE(path.stat().st_mode) & 0o077 == 0  # no access for group or others


def test_a_loose_existing_directory_is_made_private(uploads_dir, manager_client):
    uploads_dir.mkdir(mode=0o777)
    uploads_dir.chmod(0o777)  # mkdir's mode is cut by the umask
    _preview(manager_client)
    assert stat.S_IMODE(uploads_dir.stat().st_mode) == 0o700


def test_a_directory_taken_by_a_symlink_is_refused(uploads_dir, manager_client, tmp_path):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    uploads_dir.symlink_to(elsewhere)
    with pytest.raises(PermissionError, match="not a directory of this user"):
        manager_client.post(reverse(IMPORT_URL),
                            {"file": SimpleUploadedFile("a.csv", (FIXTURES / "actors_utf8.csv").read_bytes())})
    assert list(elsewhere.iterdir()) == []


def test_opening_the_import_page_sweeps_abandoned_previews_too(uploads_dir, manager_client):
    stale = _kept(manager_client, _preview(manager_client))
    fresh = _kept(manager_client, _preview(manager_client, "actors_utf8_bom_semicolon.csv"))
    _age(stale)
    assert manager_client.get(reverse(IMPORT_URL)).status_code == 200
    assert not stale.exists() and fresh.exists()


def test_a_preview_that_fails_keeps_no_file(uploads_dir, manager_client, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("the engine failed")

    monkeypatch.setattr(admin_import, "import_file", broken)
    content = (FIXTURES / "actors_utf8.csv").read_bytes()
    with pytest.raises(RuntimeError):
        manager_client.post(reverse(IMPORT_URL), {"file": SimpleUploadedFile("actors.csv", content)})
    assert list(uploads_dir.iterdir()) == []
