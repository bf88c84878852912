"""Backups that restore (docs/backup.md): the database's own tools, and a manifest to check by.

A backup is a directory holding the database copy and `manifest.json`:
- SQLite: `database.sqlite3`, made with SQLite's online backup API (`sqlite3.Connection.backup`): a
  consistent copy while the app runs and writes, WAL included (the copy is one snapshot of every
  page, not a file copy that could catch a half-written page or miss the WAL).
- PostgreSQL: `database.dump`, made by `pg_dump -Fc` in a snapshot exported from a REPEATABLE READ
  transaction, and the manifest's counts are read in that same snapshot: they describe exactly
  what the dump holds, however busy the database was.

The manifest says what the copy holds: engine, time, the applied migrations, and per table its row
count and a SHA-256 of its rows in primary-key order. `restore` loads the copy into a database
(`pg_restore`, or the backup API in the other direction) and then reads the restored database the
same way and compares: a restore that lost a row or changed a value fails, naming the table.

The management commands `backup` and `restore_backup` are the doors; this module is the rule.
"""

import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import django
from django.db import connections
from django.db.utils import load_backend

MANIFEST = "manifest.json"
FORMAT = 1
FILES = {"sqlite": "database.sqlite3", "postgresql": "database.dump"}


class BackupError(Exception):
    """A backup or restore that cannot go on; the message says why and what to do."""


@dataclass
class Restored:
    tables: int
    rows: int


# --- reading a database: what the manifest records ------------------------------------------------


def open_database(settings_dict, alias="backup"):
    """A Django connection to any database (not one of settings.DATABASES): the restore target, a
    backup file, or the live database on a connection of its own."""
    full = connections.configure_settings({"default": dict(settings_dict)})["default"]
    return load_backend(full["ENGINE"]).DatabaseWrapper(full, alias)


def _plain(value):
    """A value in a form whose repr is the same wherever the row is read from."""
    if isinstance(value, memoryview):
        return bytes(value)
    if isinstance(value, (dict, list)):
        return json.dumps(value, sort_keys=True)
    return value


def table_inventory(database, cursor, table):
    """(row count, SHA-256 of the rows in primary-key order) of one table."""
    quote = database.ops.quote_name
    order = database.introspection.get_primary_key_columns(cursor, table) or [
        column.name for column in database.introspection.get_table_description(cursor, table)]
    cursor.execute(f"SELECT * FROM {quote(table)} ORDER BY {', '.join(quote(c) for c in order)}")
    digest, rows = hashlib.sha256(), 0
    while batch := cursor.fetchmany(2000):
        for row in batch:
            digest.update(repr(tuple(_plain(value) for value in row)).encode())
            digest.update(b"\n")
        rows += len(batch)
    return rows, digest.hexdigest()


def inventory(database, cursor):
    """What a database holds, as the manifest records it: migrations and every table's rows."""
    tables = {}
    for table in sorted(database.introspection.table_names(cursor)):
        rows, sha256 = table_inventory(database, cursor, table)
        tables[table] = {"rows": rows, "sha256": sha256}
    migrations = []
    if "django_migrations" in tables:
        cursor.execute("SELECT app, name FROM django_migrations ORDER BY app, name")
        migrations = [f"{app}.{name}" for app, name in cursor.fetchall()]
    return {"migrations": migrations, "tables": tables}


def differences(expected, found):
    """What a restored database lacks or holds differently from the manifest, one line each."""
    lines = []
    if expected["migrations"] != found["migrations"]:
        lines.append("the applied migrations differ")
    for table, want in expected["tables"].items():
        got = found["tables"].get(table)
        if got is None:
            lines.append(f"{table}: missing")
        elif got["rows"] != want["rows"]:
            lines.append(f"{table}: {got['rows']} rows, the backup holds {want['rows']}")
        elif got["sha256"] != want["sha256"]:
            lines.append(f"{table}: the rows' contents differ")
    lines += [f"{table}: not in the backup" for table in found["tables"].keys() - expected["tables"].keys()]
    return lines


def engine_of(settings_dict):
    vendor = settings_dict["ENGINE"].rsplit(".", 1)[-1]
    if vendor == "sqlite3":
        return "sqlite"
    if vendor == "postgresql":
        return "postgresql"
    raise BackupError(f"No backup for the {vendor} engine: only SQLite and PostgreSQL.")


def _sha256_of(path):
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


# --- PostgreSQL's tools ----------------------------------------------------------------------------


def _tool(name):
    path = shutil.which(name)
    if not path:
        raise BackupError(
            f"{name} not found on PATH: install the PostgreSQL client tools of the server's major version "
            "or newer (Debian: apt-get install postgresql-client).")
    return path


def _pg_environment(settings_dict):
    """libpq's environment for the tools: the password never appears on a command line."""
    env = dict(os.environ)
    for key, variable in (("HOST", "PGHOST"), ("PORT", "PGPORT"), ("USER", "PGUSER"),
                          ("PASSWORD", "PGPASSWORD"), ("NAME", "PGDATABASE")):
        if settings_dict.get(key):
            env[variable] = str(settings_dict[key])
    if sslmode := settings_dict.get("OPTIONS", {}).get("sslmode"):
        env["PGSSLMODE"] = sslmode
    return env


def _run(command, settings_dict):
    result = subprocess.run(command, env=_pg_environment(settings_dict), capture_output=True, text=True)
    if result.returncode != 0:
        raise BackupError(f"{Path(command[0]).name} failed: {result.stderr.strip() or result.stdout.strip()}")


# --- backup ----------------------------------------------------------------------------------------


def create_backup(settings_dict, directory):
    """Back the database up into `directory` (created; must not exist yet). Returns the manifest."""
    engine = engine_of(settings_dict)
    directory = Path(directory)
    if directory.exists() and any(directory.iterdir()):
        raise BackupError(f"{directory} exists and is not empty: a backup goes into a new directory.")
    if engine == "postgresql":
        pg_dump = _tool("pg_dump")
    created = not directory.exists()
    directory.mkdir(parents=True, exist_ok=True)
    target = directory / FILES[engine]
    database = open_database(settings_dict, "backup-source")
    try:
        database.ensure_connection()
        if engine == "sqlite":
            content = _sqlite_backup(database, target)
        else:
            content = _postgresql_backup(database, settings_dict, pg_dump, target)
    except BaseException:
        # No half backup left behind to be mistaken for one.
        shutil.rmtree(directory) if created else target.unlink(missing_ok=True)
        raise
    finally:
        database.close()
    manifest = {
        "format": FORMAT,
        "engine": engine,
        "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "database": settings_dict["NAME"] if engine == "postgresql" else Path(str(settings_dict["NAME"])).name,
        "django": django.get_version(),
        "file": target.name,
        "file_sha256": _sha256_of(target),
        **content,
    }
    (directory / MANIFEST).write_text(json.dumps(manifest, indent=1), encoding="utf-8")
    return manifest


def _sqlite_backup(database, target):
    """The online backup API from the live connection (which also reaches a test's in-memory
    database), then the inventory read from the copy: the manifest describes the copy itself."""
    copy = sqlite3.connect(target)
    try:
        database.connection.backup(copy)
    finally:
        copy.close()
    return _inventory_of_settings({"ENGINE": "django.db.backends.sqlite3", "NAME": str(target)})


def _postgresql_backup(database, settings_dict, pg_dump, target):
    with database.cursor() as cursor:
        cursor.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
        try:
            cursor.execute("SELECT pg_export_snapshot(), current_setting('server_version')")
            snapshot, server_version = cursor.fetchone()
            _run([pg_dump, "--format=custom", f"--snapshot={snapshot}", f"--file={target}"], settings_dict)
            content = inventory(database, cursor)
        finally:
            cursor.execute("COMMIT")
    return {"server_version": server_version, **content}


def _inventory_of_settings(settings_dict):
    database = open_database(settings_dict, "backup-read")
    try:
        with database.cursor() as cursor:
            return inventory(database, cursor)
    finally:
        database.close()


# --- restore ---------------------------------------------------------------------------------------


def read_manifest(directory):
    directory = Path(directory)
    try:
        manifest = json.loads((directory / MANIFEST).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise BackupError(f"{directory} holds no {MANIFEST}: not a backup made by `manage.py backup`.") from None
    if manifest.get("format") != FORMAT:
        raise BackupError(f"{directory / MANIFEST} is of format {manifest.get('format')!r}; this version reads {FORMAT}.")
    copy = directory / manifest["file"]
    if not copy.exists():
        raise BackupError(f"{copy} is missing.")
    if _sha256_of(copy) != manifest["file_sha256"]:
        raise BackupError(f"{copy} is damaged: its SHA-256 is not the one the manifest recorded.")
    return manifest


def _target_tables(settings_dict):
    engine = engine_of(settings_dict)
    if engine == "sqlite" and not Path(str(settings_dict["NAME"])).exists():
        return []
    database = open_database(settings_dict, "restore-check")
    try:
        with database.cursor() as cursor:
            return database.introspection.table_names(cursor)
    finally:
        database.close()


def restore(directory, settings_dict, *, force=False):
    """Load the backup in `directory` into the database `settings_dict` names, then check it
    against the manifest. The target must be empty (no table) unless `force`: then what the backup
    holds replaces the same tables (PostgreSQL: pg_restore --clean --if-exists; SQLite: the whole
    file's content)."""
    directory = Path(directory)
    manifest = read_manifest(directory)
    engine = engine_of(settings_dict)
    if engine != manifest["engine"]:
        raise BackupError(f"The backup is of a {manifest['engine']} database; the target is {engine}.")
    if engine == "postgresql":
        pg_restore = _tool("pg_restore")
    existing = _target_tables(settings_dict)
    if existing and not force:
        raise BackupError(
            f"The target database {settings_dict['NAME']} is not empty ({len(existing)} tables). Restore into a "
            "new database, or pass --force to replace its content with the backup's.")
    copy = directory / manifest["file"]
    if engine == "sqlite":
        source, target = sqlite3.connect(f"file:{copy}?mode=ro", uri=True), sqlite3.connect(settings_dict["NAME"])
        try:
            source.backup(target)
        finally:
            source.close()
            target.close()
    else:
        command = [pg_restore, "--no-owner", "--no-acl", "--exit-on-error", "--single-transaction",
                   f"--dbname={settings_dict['NAME']}"]
        if existing:
            command += ["--clean", "--if-exists"]
        _run([*command, str(copy)], settings_dict)
    found = _inventory_of_settings(settings_dict)
    if problems := differences(manifest, found):
        raise BackupError("The restored database differs from the backup's manifest:\n  " + "\n  ".join(problems))
    return Restored(tables=len(found["tables"]), rows=sum(t["rows"] for t in found["tables"].values()))
