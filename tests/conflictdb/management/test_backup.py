"""`manage.py backup` and `restore_backup` (conflictdb.backups): a backup of the seeded, edited
database restored into a fresh database (SQLite: a new file; PostgreSQL: a database created for the
test and dropped after it) holds every record and every history row: the row count of every table,
and the contents of the records, history and audit tables, read here on both sides, are the same.

The data is committed (transactional tests): pg_dump reads it from its own connection."""

import hashlib
import json
from pathlib import Path
from urllib.parse import quote

import dj_database_url
import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from conflictdb import grading, verification
from conflictdb.backups import open_database
from conflictdb.models import GradeChange, ImportBatch, VerificationStatus, VerificationTransition
from conflictdb.provenance import Channel, acting
from events.models import Actor, ActorAlias, Claim
from sources.models import Source

pytestmark = pytest.mark.django_db(transaction=True)

POSTGRESQL = connection.vendor == "postgresql"


def database_url(name):
    """A URL for a database on the test's server (PostgreSQL) or a file (SQLite)."""
    if not POSTGRESQL:
        return f"sqlite:///{name}"
    s = connection.settings_dict
    credentials = quote(s["USER"] or "", safe="") + (f":{quote(s['PASSWORD'], safe='')}" if s["PASSWORD"] else "")
    return f"postgres://{credentials}@{s['HOST'] or 'localhost'}:{s['PORT'] or 5432}/{name}"


@pytest.fixture
def fresh_database(tmp_path):
    """The URL of a new, empty database; dropped afterwards."""
    if not POSTGRESQL:
        yield database_url(tmp_path / "restored.sqlite3")
        return
    name = f"{connection.settings_dict['NAME']}_restored"
    with connection.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        cursor.execute(f'CREATE DATABASE "{name}"')
    try:
        yield database_url(name)
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def rows_of(cursor, table):
    cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)} ORDER BY 1")
    return cursor.fetchall()


def checksum(cursor, table):
    return hashlib.sha256(repr(rows_of(cursor, table)).encode()).hexdigest()


def counts(cursor, tables):
    result = {}
    for table in tables:
        cursor.execute(f"SELECT COUNT(*) FROM {connection.ops.quote_name(table)}")
        result[table] = cursor.fetchone()[0]
    return result


# The records, their history and the audit tables whose every value is compared.
CHECKED = [Claim, Claim.history.model, Source, Source.history.model, ActorAlias, ActorAlias.history.model,
           VerificationTransition, GradeChange, ImportBatch]


@pytest.fixture
def edited(tmp_path, editor, verifier, data_manager):
    """The seeds, then a few edits through the doors: a changed claim, a dispute, a regrade, an import."""
    call_command("load_seeds", verbosity=0)
    claim = Claim.objects.order_by("pk").first()
    with acting(user=editor, channel=Channel.ADMIN):
        claim.statement += " (checked against the original)"
        claim.save()
    verification.transition(claim, VerificationStatus.DISPUTED, user=editor, reason="The figure is contested.")
    source = Source.objects.order_by("pk").first()
    grading.regrade(source, "C" if source.reliability != "C" else "B", user=verifier, reason="Track record reviewed.")
    actor = Actor.objects.order_by("pk").first()
    spelling = tmp_path / "aliases.csv"
    spelling.write_text(f"actor,name,verification_status\n{actor.name},Backup test spelling,unverified\n", encoding="utf-8")
    call_command("import_csv", str(spelling), model="actoralias", user=data_manager.username, no_progress=True,
                 verbosity=0)
    assert ImportBatch.objects.count() == 1 and VerificationTransition.objects.count() == 1
    return {"claim": claim.pk, "statement": claim.statement}


def test_a_backup_restores_every_record_and_history_row_into_a_fresh_database(tmp_path, edited, fresh_database):
    backup = tmp_path / "backup"
    call_command("backup", str(backup), verbosity=0)
    call_command("restore_backup", str(backup), database_url=fresh_database, verbosity=0)

    restored = open_database(dj_database_url.parse(fresh_database), "restored")
    try:
        with connection.cursor() as live, restored.cursor() as copy:
            tables = connection.introspection.table_names(live)
            assert restored.introspection.table_names(copy) == tables
            assert counts(copy, tables) == counts(live, tables)
            for model in CHECKED:
                table = model._meta.db_table
                assert rows_of(copy, table), f"{table} is empty: nothing was compared"
                assert checksum(copy, table) == checksum(live, table), table
            copy.execute(f"SELECT statement FROM {Claim._meta.db_table} WHERE id = %s", [edited["claim"]])
            assert copy.fetchone()[0] == edited["statement"]
    finally:
        restored.close()


def test_a_target_that_is_not_empty_is_refused_unless_forced(tmp_path, editor, fresh_database):
    backup = tmp_path / "backup"
    call_command("backup", str(backup), verbosity=0)
    call_command("restore_backup", str(backup), database_url=fresh_database, verbosity=0)
    with pytest.raises(CommandError, match="is not empty .* pass --force"):
        call_command("restore_backup", str(backup), database_url=fresh_database, verbosity=0)
    call_command("restore_backup", str(backup), database_url=fresh_database, force=True, verbosity=0)


def test_a_damaged_backup_is_refused_before_anything_is_written(tmp_path, editor, fresh_database):
    backup = tmp_path / "backup"
    call_command("backup", str(backup), verbosity=0)
    copy = next(path for path in backup.iterdir() if path.name != "manifest.json")
    data = bytearray(copy.read_bytes())
    data[len(data) // 2] ^= 0xFF
    copy.write_bytes(bytes(data))
    with pytest.raises(CommandError, match="is damaged"):
        call_command("restore_backup", str(backup), database_url=fresh_database, verbosity=0)


def test_a_restore_that_does_not_match_the_manifest_fails_naming_the_table(tmp_path, editor, fresh_database):
    backup = tmp_path / "backup"
    call_command("backup", str(backup), verbosity=0)
    manifest_path = backup / "manifest.json"
    table = Source._meta.db_table
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    manifest["tables"][table]["rows"] += 1  # as if a row had not come back
    manifest_path.write_text(json.dumps(manifest), encoding="utf-8")
    with pytest.raises(CommandError, match=f"{table}: 0 rows, the backup holds 1"):
        call_command("restore_backup", str(backup), database_url=fresh_database, verbosity=0)


def test_a_backup_goes_into_a_new_directory(tmp_path, editor):
    (tmp_path / "old").mkdir()
    (tmp_path / "old" / "something").write_text("x")
    with pytest.raises(CommandError, match="exists and is not empty"):
        call_command("backup", str(tmp_path / "old"), verbosity=0)


def test_a_backup_of_another_engine_is_refused(tmp_path, editor):
    backup = tmp_path / "backup"
    call_command("backup", str(backup), verbosity=0)
    other = "sqlite:///" + str(tmp_path / "x.sqlite3") if POSTGRESQL else "postgres://nobody@127.0.0.1:1/none"
    with pytest.raises(CommandError, match="The backup is of a"):
        call_command("restore_backup", str(backup), database_url=other, verbosity=0)


@pytest.mark.skipif(not POSTGRESQL, reason="SQLite needs no tool beside Python's sqlite3")
def test_missing_postgresql_tools_are_named(tmp_path, editor, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))  # no pg_dump, no pg_restore
    with pytest.raises(CommandError, match="pg_dump not found on PATH: install the PostgreSQL client tools"):
        call_command("backup", str(tmp_path / "backup"), verbosity=0)
    assert not Path(tmp_path / "backup").exists()
