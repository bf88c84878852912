"""Benchmark: the REST API at scale, through the real HTTP stack, against the same queries in raw SQL.

    CONFLICTDB_DEV=1 .venv/bin/python bench/bench_api.py --claims 1000000 --figures-per-claim 3 \\
        --database-url postgres://postgres@127.0.0.1:5432/conflictdb_bench [--fresh]
    CONFLICTDB_DEV=1 .venv/bin/python bench/bench_api.py --claims 20000          # SQLite, a quick run

(Without --database-url: $DATABASE_URL, else a SQLite file in the temp directory.)

1. Creates and migrates the target database (`--fresh` drops and recreates it first; a SQLite file
   is deleted), then generates the data in bulk SQL (`INSERT … SELECT` over a number series,
   deterministic hashes of the row number instead of random(); no history rows): the 14 OCHA
   governorates and 62 districts, 248 sub-districts and 4,000 communities under them (skewed
   towards Aleppo and Idleb), 300 actors (10 coalitions with members), 3,000 sources graded A–F,
   one document per three claims (~2 kB text; 10 % translations, 1 % two levels deep), one quote
   per claim, one event per four claims over five years (ACLED types and sub-types, one or two
   places, one or two actors), claims (8 % without an event), and `--figures-per-claim` casualty
   figures per claim (categories, outcomes, qualifiers with lows/highs, places, perpetrators, 5 %
   part of another figure). Then ANALYZE (PostgreSQL: VACUUM ANALYZE). A database that already
   holds exactly the requested size is reused, so re-running only measures.
2. Starts gunicorn (`conflictdb.wsgi`, DEBUG off, production settings from the environment) in a
   subprocess and talks to it with `requests` as a researcher with a DRF token.
3. Measures, each API call next to the same query in raw SQL (psycopg / sqlite3, the rows or cells
   the response holds, COUNT included where the response has a count), alternating the two:
   - page: a filtered page of casualty figures (outcome, governorate, six months), 50 rows;
   - harvest: 100,000 casualty figures with `?paginate=cursor&limit=5000` following `next` (full
     records, and `brief=1`); raw SQL pages through the same rows by id (keyset) with their
     quotes. Its time is the HTTP time (request sent → body received); rows/s with the client's
     `response.json()` included is reported next to it;
   - aggregate: casualty totals `group_by=month,admin1` for killed, over two years.
   Every API answer is checked against its raw-SQL twin (same ids, same count, same cells).
4. Writes bench/results/api-<size>-<db>-<date>.json and .md and prints the table.

Goals (issue 5): pages and aggregates within 2x of raw SQL; harvest >= 20,000 rows/s.
"""

from __future__ import annotations

import argparse
import csv
import datetime
import hashlib
import json
import os
import platform
import secrets
import signal
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
# Outside the repository (tens of MB at the quick size); reused by the next run of the same size.
DEFAULT_SQLITE = Path(tempfile.gettempdir()) / "conflictdb-bench-api.sqlite3"
sys.path.insert(0, str(ROOT))

START_DAY = datetime.date(2019, 1, 1)
DAYS = 1826  # five years
CLAIMS_PER_DOCUMENT = 3
CLAIMS_PER_EVENT = 4
N_SUBDISTRICTS_PER_DISTRICT = 4
N_COMMUNITIES = 4000
N_ACTORS = 300
N_COALITIONS = 10
N_SOURCES = 3000
N_EDITORS = 5
SLOT = 64  # each claim's sentence occupies 64 characters of its document's text
FILLER = (
    "Local sources said the shelling continued into the evening and that rescue teams were still "
    "searching the rubble. Medical staff at the field hospital reported shortages of blood and "
    "fuel, while residents fled towards the northern camps. The report could not be independently "
    "verified. "
) * 6  # ~1,700 characters: documents are articles, not one-liners

# Governorate weights (share of incidents), by OCHA P-code.
GOVERNORATE_WEIGHT = {
    "SY01": 3, "SY02": 20, "SY03": 12, "SY04": 7, "SY05": 8, "SY06": 3, "SY07": 18,
    "SY08": 4, "SY09": 9, "SY10": 1, "SY11": 6, "SY12": 7, "SY13": 1.5, "SY14": 1.5,
}

# The measured queries.
PAGE_FILTER = {"outcome": "killed", "location": "SY02", "date_from": "2021-01-01", "date_to": "2021-06-30"}
AGGREGATE_FILTER = {"outcome": "killed", "date_from": "2021-01-01", "date_to": "2022-12-31"}


# --- arguments and database ---------------------------------------------------------------------


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--claims", type=int, default=1_000_000)
    parser.add_argument("--figures-per-claim", type=int, default=3)
    parser.add_argument("--database-url", default=os.environ.get("DATABASE_URL") or f"sqlite:///{DEFAULT_SQLITE}")
    parser.add_argument("--fresh", action="store_true", help="Drop and recreate the database first.")
    parser.add_argument("--repeat", type=int, default=30, help="Samples per page/aggregate query (API and raw each).")
    parser.add_argument("--time-budget", type=float, default=120.0,
                        help="Seconds per query after which sampling stops (at least 10 samples).")
    parser.add_argument("--harvest-rows", type=int, default=100_000)
    parser.add_argument("--harvest-limit", type=int, default=5000, help="Page size of the cursor harvest.")
    parser.add_argument("--harvest-repeat", type=int, default=3)
    parser.add_argument("--workers", type=int, default=2, help="gunicorn sync workers.")
    parser.add_argument("--conn-max-age", type=int, default=60, help="DATABASE_CONN_MAX_AGE of the server.")
    parser.add_argument("--generate-only", action="store_true")
    parser.add_argument("--queries", default="page,harvest,harvest_brief,aggregate",
                        help="Which measurements to run (comma separated).")
    return parser.parse_args(argv)


def db_kind(url: str) -> str:
    scheme = urlparse(url).scheme
    if scheme.startswith("postgres"):
        return "postgresql"
    if scheme == "sqlite":
        return "sqlite"
    raise SystemExit(f"Unsupported database URL {url!r}: use postgres://… or sqlite:///…")


def sqlite_path(url: str) -> Path:
    import dj_database_url

    return Path(dj_database_url.parse(url)["NAME"])


def create_database(url: str, fresh: bool):
    if db_kind(url) == "sqlite":
        path = sqlite_path(url)
        if fresh:
            for suffix in ("", "-wal", "-shm", "-journal"):
                Path(f"{path}{suffix}").unlink(missing_ok=True)
        path.parent.mkdir(parents=True, exist_ok=True)
        return
    import psycopg

    name = urlparse(url).path.lstrip("/")
    admin_url = urlparse(url)._replace(path="/postgres").geturl()
    with psycopg.connect(admin_url, autocommit=True) as conn:
        if fresh:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{name}"')


def setup_django(url: str):
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "conflictdb.settings")
    os.environ.setdefault("CONFLICTDB_DEV", "1")
    import django

    django.setup()
    from django.conf import settings

    settings.DEBUG = False  # no query log while generating


# --- SQL dialects ----------------------------------------------------------------------------------


def _mix64(x: int, salt: int) -> int:
    """splitmix64 of (x, salt): the SQLite stand-in for PostgreSQL's hashint8."""
    mask = (1 << 64) - 1
    z = (x * 1000003 + salt + 0x9E3779B97F4A7C15) & mask
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & mask
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & mask
    return (z ^ (z >> 31)) >> 1


class Dialect:
    """The few SQL spellings that differ between PostgreSQL and SQLite."""

    def __init__(self, vendor):
        self.vendor = vendor
        self.pg = vendor == "postgresql"

    def series(self, n):
        """(prefix, FROM clause) producing rows g.i = 1..n."""
        if self.pg:
            return "", f"FROM generate_series(1::bigint, {int(n)}::bigint) AS g(i)"
        return f"WITH RECURSIVE g(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM g WHERE i < {int(n)}) ", "FROM g"

    def h(self, expr, salt, mod):
        """A deterministic pseudo-random integer in [0, mod) from an integer expression."""
        if self.pg:
            return f"(abs(hashint8(({expr})::bigint * 1000003 + {int(salt)})::bigint) % {int(mod)})"
        return f"(bench_h({expr}, {int(salt)}) % {int(mod)})"

    def day(self, days_expr):
        if self.pg:
            return f"(DATE '{START_DAY}' + ({days_expr})::int)"
        return f"date('{START_DAY}', '+' || ({days_expr}) || ' days')"

    def timestamp(self, seconds_expr):
        if self.pg:
            return f"(TIMESTAMPTZ '{START_DAY} 00:00:00+00' + ({seconds_expr}) * INTERVAL '1 second')"
        return f"strftime('%Y-%m-%d %H:%M:%f', '{START_DAY}', '+' || ({seconds_expr}) || ' seconds')"

    def text(self, expr):
        return f"CAST(({expr}) AS TEXT)" if not self.pg else f"(({expr})::text)"

    def sha256(self, expr):
        if self.pg:
            return f"encode(sha256(convert_to({expr}, 'UTF8')), 'hex')"
        return f"bench_sha256({expr})"

    def integer(self, expr):
        return f"(({expr})::int)" if self.pg else f"({expr})"

    def boolean(self, value):
        return ("true" if value else "false") if self.pg else ("1" if value else "0")

    def month(self, expr):
        return f"date_trunc('month', {expr})::date" if self.pg else f"strftime('%Y-%m-01', {expr})"


def literal(value):
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, (int, float)):
        return repr(value)
    return "'" + str(value).replace("'", "''") + "'"


def pad(expr, width):
    """expr right-padded with spaces to `width` characters (portable: no rpad in SQLite)."""
    return f"substr(({expr}) || '{' ' * width}', 1, {width})"


def case(expr_threshold, choices):
    """CASE over a value in [0, total): choices are (weight, sql) pairs, cumulative thresholds."""
    total, parts = 0, []
    for weight, sql in choices[:-1]:
        total += weight
        parts.append(f"WHEN {expr_threshold} < {total} THEN {sql}")
    return f"(CASE {' '.join(parts)} ELSE {choices[-1][1]} END)"


# --- data generation --------------------------------------------------------------------------------


class Generator:
    def __init__(self, claims, figures_per_claim, log=print):
        from django.db import connection

        self.connection = connection
        self.d = Dialect(connection.vendor)
        self.claims = claims
        self.fpc = figures_per_claim
        self.events = max(1, claims // CLAIMS_PER_EVENT)
        self.documents = -(-claims // CLAIMS_PER_DOCUMENT)
        self.figures = claims * figures_per_claim
        self.log = log
        self.timings = {}

    # helpers ---------------------------------------------------------------------------------------

    def execute(self, sql, params=None):
        with self.connection.cursor() as cursor:
            cursor.execute(sql, params)
            return cursor.rowcount

    def insert_rows(self, model, rows):
        """Small tables: explicit rows through executemany (columns by field name)."""
        if not rows:
            return
        fields = [f for f in model._meta.concrete_fields]
        rows = [{**self._python_defaults(model, row), **row} for row in rows]
        quoted = ", ".join(self.connection.ops.quote_name(f.column) for f in fields)
        placeholders = ", ".join(["%s"] * len(fields))
        sql = f"INSERT INTO {model._meta.db_table} ({quoted}) VALUES ({placeholders})"
        with self.connection.cursor() as cursor:
            cursor.executemany(sql, [tuple(row[f.name] for f in fields) for row in rows])
        self.log(f"  {model._meta.db_table}: {len(rows):,} rows")

    def _python_defaults(self, model, row):
        """Values for the fields a small-table row does not give (provenance: imported, verified)."""
        from django.db.models import NOT_PROVIDED, CharField, TextField

        salt = sum(model._meta.db_table.encode()) * 101
        created = datetime.datetime(2019, 1, 1, tzinfo=datetime.UTC) + datetime.timedelta(
            seconds=_mix64(row["id"], salt) % (DAYS * 86400))
        provenance = {"created_at": created, "updated_at": created, "created_by": None, "updated_by": None,
                      "channel": "import", "last_channel": "import", "verification_status": "verified",
                      "version": 1}
        values = {}
        for field in model._meta.concrete_fields:
            if field.name in row:
                continue
            if field.name in provenance:
                values[field.name] = provenance[field.name]
            elif field.null:
                values[field.name] = None
            elif field.default is not NOT_PROVIDED and not callable(field.default):
                values[field.name] = field.get_default()
            elif isinstance(field, (CharField, TextField)):
                values[field.name] = ""
            else:
                raise RuntimeError(f"No value for {model.__name__}.{field.name}: give one in the generator.")
        return values

    def insert_select(self, model, n, values, where=None):
        """Large tables: INSERT … SELECT over g.i = 1..n; `values` maps field names to SQL."""
        fields = {f.name: f for f in model._meta.concrete_fields}
        defaults = self._defaults(model, set(values))
        columns = [fields[name].column for name in values] + [column for column, _ in defaults]
        exprs = list(values.values()) + [expr for _, expr in defaults]
        prefix, source = self.d.series(n)
        quoted = ", ".join(self.connection.ops.quote_name(c) for c in columns)
        sql = (f"{prefix}INSERT INTO {model._meta.db_table} ({quoted}) SELECT {', '.join(exprs)} {source}"
               + (f" WHERE {where}" if where else ""))
        started = time.perf_counter()
        with self._fast_load(model):
            self.execute(sql)
        with self.connection.cursor() as cursor:
            cursor.execute(f"SELECT COUNT(*) FROM {model._meta.db_table}")
            count = cursor.fetchone()[0]
        self.log(f"  {model._meta.db_table}: {count:,} rows in {time.perf_counter() - started:.1f} s")
        return count

    def _defaults(self, model, given):
        """SQL for every column not given: provenance spread over five years, else NULL/default/''."""
        from django.db.models import NOT_PROVIDED, CharField, TextField

        d, i = self.d, "g.i"
        salt = sum(model._meta.db_table.encode()) * 101
        seconds = d.h(i, salt + 1, DAYS * 86400)
        editor = "(CASE " + " ".join(
            f"WHEN {d.h(i, salt + 2, N_EDITORS)} = {k} THEN {pk}" for k, pk in enumerate(self.editor_ids)
        ) + " END)"
        by_editor = f"{d.h(i, salt + 3, 10)} < 4"
        provenance = {
            "created_at": d.timestamp(seconds),
            "updated_at": d.timestamp(f"{seconds} + {d.h(i, salt + 4, 30 * 86400)}"),
            "created_by": f"(CASE WHEN {by_editor} THEN {editor} END)",
            "updated_by": f"(CASE WHEN {by_editor} THEN {editor} END)",
            "channel": f"(CASE WHEN {by_editor} THEN 'admin' ELSE 'import' END)",
            "last_channel": f"(CASE WHEN {by_editor} THEN 'admin' ELSE 'import' END)",
            "verification_status": case(d.h(i, salt + 5, 100), [
                (60, "'unverified'"), (20, "'corroborated'"), (12, "'verified'"), (5, "'disputed'"), (3, "'retracted'"),
            ]),
            "version": "1",
        }
        result = []
        for field in model._meta.concrete_fields:
            if field.name in given or field.primary_key and "id" in given:
                continue
            if field.name in provenance:
                result.append((field.column, provenance[field.name]))
            elif field.null:
                result.append((field.column, "NULL"))
            elif field.default is not NOT_PROVIDED and not callable(field.default):
                value = field.get_default()
                result.append((field.column, d.boolean(value) if isinstance(value, bool) else literal(value)))
            elif isinstance(field, (CharField, TextField)):
                result.append((field.column, "''"))
            elif field.primary_key:
                continue
            else:
                raise RuntimeError(f"No value for {model.__name__}.{field.name}: give one in the generator.")
        return result

    class _NoOp:
        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return False

    def _fast_load(self, model):
        """PostgreSQL: load without FK triggers and secondary indexes, then rebuild the indexes."""
        if not self.d.pg:
            return self._NoOp()
        generator = self

        class Load:
            def __enter__(self):
                table = model._meta.db_table
                with generator.connection.cursor() as cursor:
                    cursor.execute(
                        "SELECT i.indexname, i.indexdef FROM pg_indexes i WHERE i.tablename = %s AND NOT EXISTS "
                        "(SELECT 1 FROM pg_constraint c WHERE c.conindid = (quote_ident(i.schemaname) || '.' || "
                        "quote_ident(i.indexname))::regclass)", [table])
                    self.indexes = cursor.fetchall()
                    for name, _ in self.indexes:
                        cursor.execute(f'DROP INDEX "{name}"')
                return self

            def __exit__(self, exc_type, *exc):
                if exc_type is not None:
                    return False  # the transaction rolls back, indexes included
                with generator.connection.cursor() as cursor:
                    for _, definition in self.indexes:
                        cursor.execute(definition)
                return False

        return Load()

    # the data --------------------------------------------------------------------------------------

    def run(self):
        from django.db import transaction

        from conflictdb.roles import EDITORS

        started = time.perf_counter()
        self._users(EDITORS)
        if not self.d.pg:
            raw = self.connection.connection
            raw.create_function("bench_h", 2, _mix64, deterministic=True)
            raw.create_function("bench_sha256", 1, lambda s: hashlib.sha256(s.encode()).hexdigest(),
                                deterministic=True)
        with transaction.atomic():
            if self.d.pg:
                self.execute("SET LOCAL session_replication_role = replica")  # no FK triggers while loading
                self.execute("SET LOCAL maintenance_work_mem = '1GB'")
                self.execute("SET LOCAL synchronous_commit = off")
            self._step("locations", self._locations)
            self._step("actors", self._actors)
            self._step("sources", self._sources)
            self._step("documents", self._documents)
            self._step("events", self._events)
            self._step("claims", self._claims)
            self._step("casualty figures", self._figures)
            self._reset_sequences()
        self._step("analyze", self._analyze)
        self.timings["total"] = round(time.perf_counter() - started, 1)
        return self.timings

    def _step(self, name, function):
        started = time.perf_counter()
        self.log(f"generating {name} …")
        function()
        self.timings[name] = round(time.perf_counter() - started, 1)

    def _users(self, editors_group):
        from django.contrib.auth.models import Group, User

        group = Group.objects.get(name=editors_group)
        self.editor_ids = []
        for k in range(N_EDITORS):
            user, _ = User.objects.get_or_create(username=f"bench_editor_{k + 1}", defaults={"is_staff": True})
            user.groups.add(group)
            self.editor_ids.append(user.pk)

    def _locations(self):
        from events.models import Location

        rows, next_id = [], iter(range(1, 10**7))
        governorates, districts = {}, {}
        with open(ROOT / "seeds" / "gazetteer" / "ocha_cod_pcodes_syria_adm1_adm2.csv", encoding="utf-8") as f:
            ocha = list(csv.DictReader(f))
        geonames = json.loads((ROOT / "seeds" / "gazetteer" / "geonames_cities500_syria.json").read_text("utf-8"))
        village_names = sorted({place["name"] for place in geonames.values()})

        def row(name, kind, parent, pcode, admin1=None, admin2=None, lat=None, lon=None):
            pk = next(next_id)
            rows.append({
                "id": pk, "name": name, "kind": kind, "parent": parent, "pcode": pcode, "admin1": admin1,
                "admin2": admin2, "latitude": lat, "longitude": lon,
                "coordinate_precision": "unknown" if lat is None else "exact",
                "attribution": "bench_api.py (generated)",
            })
            return pk

        country = row("Syria", "country", None, "SY")
        for entry in ocha:
            if entry["Admin Level"] == "1":
                governorates[entry["P-Code"]] = row(entry["Name"], "governorate", country, entry["P-Code"])
        for entry in ocha:
            if entry["Admin Level"] == "2":
                gov = governorates[entry["Parent P-Code"]]
                districts[entry["P-Code"]] = (row(entry["Name"], "district", gov, entry["P-Code"], admin1=gov),
                                              gov, entry["Parent P-Code"])
        subdistricts = {}
        for pcode, (district, gov, _) in districts.items():
            subdistricts[district] = [
                row(f"{name} sub-district {k + 1}", "subdistrict", district, f"{pcode}{k:02d}", admin1=gov,
                    admin2=district)
                for k, name in enumerate([rows[district - 1]["name"]] * N_SUBDISTRICTS_PER_DISTRICT)
            ]
        # Communities per district in proportion to the governorate's weight.
        per_gov = {g: sum(1 for _, _, p in districts.values() if p == g) for g in governorates}
        weight = {d: GOVERNORATE_WEIGHT[p] / per_gov[p] for d, (_, _, p) in districts.items()}
        total = sum(weight.values())
        self.community_first = len(rows) + 1
        number = 0
        for pcode, (district, gov, _) in districts.items():
            for k in range(round(N_COMMUNITIES * weight[pcode] / total)):
                number += 1
                name = village_names[number % len(village_names)]
                if number >= len(village_names):
                    name = f"{name} {number // len(village_names) + 1}"
                sub = subdistricts[district][k % N_SUBDISTRICTS_PER_DISTRICT]
                lat = round(32.5 + (number * 7919 % 4000) / 1000, 5)
                lon = round(35.8 + (number * 104729 % 6300) / 1000, 5)
                row(name, "community", sub, f"C{10000 + number}", admin1=gov, admin2=district, lat=lat, lon=lon)
        self.communities = len(rows) - self.community_first + 1
        self.district_first, self.districts = min(d for d, _, _ in districts.values()), len(districts)
        self.governorate_first, self.governorates = min(governorates.values()), len(governorates)
        self.insert_rows(Location, rows)

    def _actors(self):
        from events.models import Actor, ActorMembership

        kinds = ["state_forces", "foreign_state_forces", "rebel_group", "militia", "rebel_group", "militia",
                 "civilians", "unknown"]
        words = ["Northern", "Southern", "Free", "Islamic", "National", "Revolutionary", "Popular", "Syrian",
                 "Eastern", "Western", "Unified", "Liberation"]
        nouns = ["Army", "Front", "Brigade", "Legion", "Battalion", "Forces", "Movement", "Guard", "Division",
                 "Regiment", "Shield", "Hawks"]
        rows = []
        for k in range(1, N_ACTORS + 1):
            coalition = k <= N_COALITIONS
            name = (f"Operations Room {k}" if coalition
                    else f"{words[k % len(words)]} {nouns[(k // len(words)) % len(nouns)]} {k}")
            rows.append({"id": k, "name": name, "short_name": f"A{k}",
                         "kind": "coalition" if coalition else kinds[k % len(kinds)],
                         "inter_code": None if coalition else 1 + k % 8, "country": "SY"})
        self.insert_rows(Actor, rows)
        memberships, pk = [], 0
        for coalition in range(1, N_COALITIONS + 1):
            for m in range(6):
                pk += 1
                memberships.append({"id": pk, "member": N_COALITIONS + 1 + (coalition * 17 + m * 29) % 200,
                                    "coalition": coalition})
        seen, unique_rows = set(), []
        for row in memberships:
            if (row["member"], row["coalition"]) not in seen:
                seen.add((row["member"], row["coalition"]))
                unique_rows.append(row)
        self.insert_rows(ActorMembership, unique_rows)

    def _sources(self):
        from sources.models import Source

        reliability = "A" * 5 + "B" * 20 + "C" * 30 + "D" * 20 + "E" * 10 + "F" * 15
        kinds = ["news_outlet"] * 5 + ["monitor"] * 2 + ["official", "state_media", "armed_group", "social_media",
                                                           "individual", "international_org", "anonymous"]
        rows = []
        for k in range(1, N_SOURCES + 1):
            protected = k % 50 == 0
            rows.append({"id": k, "name": f"Source {k:04d}", "kind": kinds[k * 7 % len(kinds)],
                         "reliability": reliability[k * 37 % 100], "protected": protected,
                         "public_label": "Anonymous local source" if protected else "",
                         "url": f"https://source{k}.example.org/", "country": "SY", "languages": "ar,en"})
        self.insert_rows(Source, rows)

    # Closed-form attributes: the same expression gives the same value in every table that needs it.

    def skewed(self, expr, salt, n):
        """[0, n) skewed towards 0 (a product of two uniforms): a few actors and sources dominate."""
        return f"(({self.d.h(expr, salt, n)} * {self.d.h(expr, salt + 1, n)}) / {n})"

    def publisher(self, doc):
        return f"(1 + {self.skewed(doc, 21, N_SOURCES)})"

    def event_day(self, event):
        return self.d.h(event, 11, DAYS)

    def event_length(self, event):
        return f"(CASE WHEN {self.d.h(event, 12, 10)} < 8 THEN 0 ELSE 1 + {self.d.h(event, 13, 3)} END)"

    def event_site(self, event):
        d = self.d
        return case(d.h(event, 14, 100), [
            (2, f"({self.governorate_first} + {d.h(event, 15, self.governorates)})"),
            (5, f"({self.district_first} + {d.h(event, 16, self.districts)})"),
            (93, f"({self.community_first} + {d.h(event, 17, self.communities)})"),
        ])

    def claim_event(self, claim):
        return f"(CASE WHEN {self.d.h(claim, 31, 100)} < 8 THEN NULL ELSE ({claim} - 1) / {CLAIMS_PER_EVENT} + 1 END)"

    def claim_document(self, claim):
        return f"(({claim} - 1) / {CLAIMS_PER_DOCUMENT} + 1)"

    def claim_sentence(self, claim):
        return f"'Source reports casualties in incident ' || {self.d.text(claim)} || '.'"

    def document_text(self, doc):
        first = f"(({doc}) - 1) * {CLAIMS_PER_DOCUMENT}"
        slots = " || ".join(pad(self.claim_sentence(f"{first} + {k + 1}"), SLOT) for k in range(CLAIMS_PER_DOCUMENT))
        return f"{slots} || {literal(FILLER)}"

    def _documents(self):
        from sources.models import Document, Excerpt

        d, i = self.d, "g.i"
        first_event = f"((({i}) - 1) * {CLAIMS_PER_DOCUMENT}) / {CLAIMS_PER_EVENT} + 1"
        derived = f"({i} > 1 AND ({i} % 10 = 0 OR {i} % 100 = 1))"
        self.insert_select(Document, self.documents, {
            "id": i,
            "publisher": self.publisher(i),
            "title": f"'Daily report ' || {d.text(i)}",
            "url": f"'https://news.example.org/reports/' || {d.text(i)}",
            "published_on": d.day(f"{self.event_day(first_event)} + {d.h(i, 22, 3)}"),
            "language": case(d.h(i, 23, 100), [(45, "'ar'"), (50, "'en'"), (5, "'fr'")]),
            "text": self.document_text(i),
            "text_sha256": d.sha256(self.document_text(i)),
            "derived_from": f"(CASE WHEN {derived} THEN {i} - 1 END)",
            "derivation": f"(CASE WHEN {derived} THEN 'translation' ELSE '' END)",
        })
        # One quote per claim: claim c's sentence in slot (c - 1) % 3 of its document.
        slot = f"(({i} - 1) % {CLAIMS_PER_DOCUMENT})"
        start = f"({slot} * {SLOT})"
        text = self.document_text(self.claim_document(i))
        self.insert_select(Excerpt, self.claims, {
            "id": i,
            "document": self.claim_document(i),
            "start": start,
            "end": f"{start} + length({self.claim_sentence(i)})",
            "text": self.claim_sentence(i),
            "prefix": f"(CASE WHEN {slot} = 0 THEN '' ELSE substr({text}, {d.integer(f'{start} - 31')}, 32) END)",
            "suffix": f"substr({text}, {d.integer(f'{start} + length({self.claim_sentence(i)}) + 1')}, 32)",
        })

    def _events(self):
        from events.models import Event, EventActor, EventLocation
        from events.vocabularies import SUB_EVENT_TYPES, EventType

        d, i = self.d, "g.i"
        type_weight = {EventType.BATTLES: 35, EventType.EXPLOSIONS: 40, EventType.VIOLENCE_AGAINST_CIVILIANS: 15,
                       EventType.PROTESTS: 4, EventType.RIOTS: 1, EventType.STRATEGIC: 5}
        choices = []  # (weight per mille, type, sub-type)
        for event_type, weight in type_weight.items():
            subs = SUB_EVENT_TYPES[event_type]
            for sub in subs:
                choices.append((weight * 10 / len(subs), event_type.value, sub.value))
        r = d.h(i, 18, 1000)
        self.insert_select(Event, self.events, {
            "id": i,
            "title": case(r, [(w, literal(f"{s.replace('_', ' ').capitalize()} ")) for w, _, s in choices])
            + f" || 'incident ' || {d.text(i)}",
            "event_type": case(r, [(w, literal(t)) for w, t, _ in choices]),
            "sub_event_type": case(r, [(w, literal(s)) for w, _, s in choices]),
            "date_start": d.day(self.event_day(i)),
            "date_end": d.day(f"{self.event_day(i)} + {self.event_length(i)}"),
            "civilian_targeting": case(r, [(w, d.boolean(t == "violence_against_civilians")) for w, t, _ in choices]),
        })
        self.insert_select(EventLocation, self.events, {"id": i, "event": i, "location": self.event_site(i),
                                                        "role": "'site'"})
        self.insert_select(EventLocation, self.events, {
            "id": f"{self.events} + {i}", "event": i,
            "location": f"({self.community_first} + {d.h(i, 19, self.communities)})", "role": "'target'",
        }, where=f"{d.h(i, 20, 100)} < 20")
        actor_a = f"(1 + {N_COALITIONS} + {self.skewed(i, 24, N_ACTORS - N_COALITIONS)})"
        self.insert_select(EventActor, self.events, {"id": i, "event": i, "actor": actor_a, "role": "'side_a'"})
        self.insert_select(EventActor, self.events, {
            "id": f"{self.events} + {i}", "event": i,
            "actor": f"(1 + {d.h(i, 26, N_ACTORS)})", "role": "'side_b'",
        }, where=f"{d.h(i, 27, 100)} < 70")

    def _claims(self):
        from events.models import Claim, ClaimExcerpt

        d, i = self.d, "g.i"
        event = self.claim_event(i)
        own_day = d.h(i, 33, DAYS)
        event_number = f"(({i} - 1) / {CLAIMS_PER_EVENT} + 1)"
        self.insert_select(Claim, self.claims, {
            "id": i,
            "event": event,
            "document": self.claim_document(i),
            "claimant": f"(CASE WHEN {d.h(i, 32, 100)} < 70 THEN {self.publisher(self.claim_document(i))} "
                        f"ELSE 1 + {self.skewed(i, 34, N_SOURCES)} END)",
            "statement": self.claim_sentence(i),
            "stance": f"(CASE WHEN {d.h(i, 35, 100)} < 95 THEN 'asserts' ELSE 'denies' END)",
            "date_start": (f"(CASE WHEN {event} IS NULL THEN {d.day(own_day)} "
                           f"ELSE {d.day(self.event_day(event_number))} END)"),
            "date_end": (f"(CASE WHEN {event} IS NULL THEN {d.day(f'{own_day} + {d.h(i, 36, 2)}')} "
                         f"ELSE {d.day(f'{self.event_day(event_number)} + {self.event_length(event_number)}')} END)"),
            "credibility": case(d.h(i, 37, 100), [(5, "1"), (25, "2"), (30, "3"), (15, "4"), (5, "5"), (20, "6")]),
        })
        self.insert_select(ClaimExcerpt, self.claims, {"id": i, "claim": i, "excerpt": i})

    def _figures(self):
        from events.models import CasualtyFigure

        d, i = self.d, "g.i"
        claim = f"(({i} - 1) / {self.fpc} + 1)"
        j = f"(({i} - 1) % {self.fpc})"
        event = self.claim_event(claim)
        event_number = f"(({claim} - 1) / {CLAIMS_PER_EVENT} + 1)"
        r_cat = d.h(i, 41, 100)
        combatant = f"{r_cat} < 45"
        n = f"(1 + {d.h(i, 42, 8)} + CASE WHEN {d.h(i, 43, 10)} = 0 THEN {d.h(i, 44, 120)} ELSE 0 END)"
        r_q = d.h(i, 45, 100)
        qualifiers = [(70, "exact"), (8, "about"), (7, "at_least"), (4, "more_than"), (5, "range"), (2, "dozens"),
                      (2, "few"), (2, "unknown")]
        qualifier = case(r_q, [(w, literal(q)) for w, q in qualifiers])

        def by_qualifier(mapping):
            return case(r_q, [(w, mapping[q]) for w, q in qualifiers])

        spread = f"(1 + {d.h(i, 46, 5)})"
        values = {
            "id": i,
            "claim": claim,
            "category": f"(CASE WHEN {combatant} THEN 'combatant' WHEN {r_cat} < 90 THEN 'civilian' ELSE 'unknown' END)",
            "affiliation": f"(CASE WHEN {combatant} THEN 1 + {N_COALITIONS} + "
                           f"{self.skewed(i, 47, N_ACTORS - N_COALITIONS)} END)",
            "perpetrator": f"(CASE WHEN {d.h(i, 49, 100)} < 60 THEN 1 + {self.skewed(i, 50, N_ACTORS)} END)",
            "subgroup": (f"(CASE WHEN {d.h(i, 52, 100)} < 75 THEN '' WHEN {combatant} THEN 'officer' ELSE "
                         + case(d.h(i, 53, 6), [(1, "'child'"), (1, "'woman'"), (1, "'man'"), (1, "'elderly'"),
                                                (1, "'family'"), (1, "'medical'")]) + " END)"),
            "outcome": case(d.h(i, 54, 100), [(55, "'killed'"), (30, "'injured'"), (8, "'captured'"),
                                              (4, "'missing'"), (3, "'abducted'")]),
            "qualifier": qualifier,
            "low": by_qualifier({"exact": n, "about": n, "at_least": n, "more_than": n, "range": n,
                                 "dozens": "NULL", "few": "NULL", "unknown": "NULL"}),
            "high": by_qualifier({"exact": n, "about": n, "at_least": "NULL", "more_than": "NULL",
                                  "range": f"{n} + {spread}", "dozens": "NULL", "few": "NULL", "unknown": "NULL"}),
            "wording": by_qualifier({
                "exact": d.text(n), "about": f"'about ' || {d.text(n)}", "at_least": f"'at least ' || {d.text(n)}",
                "more_than": f"'more than ' || {d.text(n)}",
                "range": f"{d.text(n)} || '-' || {d.text(f'{n} + {spread}')}",
                "dozens": "'dozens'", "few": "'a few'", "unknown": "''"}),
            "place": (f"(CASE WHEN {d.h(i, 55, 100)} < 15 THEN NULL WHEN {event} IS NULL THEN "
                      f"{self.community_first} + {d.h(claim, 56, self.communities)} "
                      f"ELSE {self.event_site(event_number)} END)"),
            "date": (f"(CASE WHEN {event} IS NOT NULL AND {d.h(i, 57, 100)} < 40 THEN "
                     f"{d.day(f'{self.event_day(event_number)} + {d.h(i, 58, 2)}')} END)"),
        }
        if "part_of" in {f.name for f in CasualtyFigure._meta.concrete_fields}:
            values["part_of"] = f"(CASE WHEN {j} > 0 AND {d.h(i, 59, 100)} < 5 THEN {i} - {j} END)"
        self.insert_select(CasualtyFigure, self.figures, values)

    def _reset_sequences(self):
        if not self.d.pg:
            return
        from django.apps import apps
        from django.core.management.color import no_style

        models = [m for m in apps.get_models() if m._meta.app_label in ("sources", "events")]
        for sql in self.connection.ops.sequence_reset_sql(no_style(), models):
            self.execute(sql)

    def _analyze(self):
        if self.d.pg:
            with self.connection.cursor() as cursor:  # outside a transaction: autocommit
                cursor.execute("VACUUM (ANALYZE)")
        else:
            self.execute("ANALYZE")


def existing_size():
    from events.models import CasualtyFigure, Claim

    return Claim.objects.count(), CasualtyFigure.objects.count()


def researcher_token():
    from django.contrib.auth.models import Group, User
    from rest_framework.authtoken.models import Token

    from conflictdb.roles import RESEARCHERS

    user, _ = User.objects.get_or_create(username="bench_researcher")
    user.groups.add(Group.objects.get(name=RESEARCHERS))
    token, _ = Token.objects.get_or_create(user=user)
    return token.key


# --- the server ----------------------------------------------------------------------------------------


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """gunicorn serving conflictdb.wsgi with production settings (DEBUG off)."""

    def __init__(self, url, workers, conn_max_age):
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        env = {k: v for k, v in os.environ.items() if k not in ("CONFLICTDB_DEV", "DEBUG", "DJANGO_SETTINGS_MODULE")}
        env.update(
            SECRET_KEY=secrets.token_urlsafe(50), ALLOWED_HOSTS="127.0.0.1", SECURE_SSL_REDIRECT="0",
            DATABASE_URL=url, DATABASE_CONN_MAX_AGE=str(conn_max_age), LOG_LEVEL="WARNING",
        )
        self.log_path = Path(os.environ.get("TMPDIR", "/tmp")) / f"bench-api-gunicorn-{self.port}.log"
        self.command = [sys.executable, "-m", "gunicorn", "conflictdb.wsgi:application", "--bind",
                        f"127.0.0.1:{self.port}", "--workers", str(workers), "--timeout", "600",
                        "--error-logfile", str(self.log_path)]
        self.workers = workers
        self.conn_max_age = conn_max_age
        self.process = subprocess.Popen(self.command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                                        stderr=subprocess.DEVNULL, start_new_session=True)

    def wait(self, session, timeout=60):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited ({self.process.returncode}); see {self.log_path}")
            try:
                if session.get(f"{self.base}/api/v1/", timeout=5).status_code == 200:
                    return
            except OSError:  # requests' ConnectionError: not listening yet
                time.sleep(0.3)
                continue
            time.sleep(0.3)
        raise RuntimeError(f"gunicorn did not answer in {timeout} s; see {self.log_path}")

    def stop(self):
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()


def gunicorn_version():
    import gunicorn

    return gunicorn.__version__


# --- raw SQL -----------------------------------------------------------------------------------------


class Raw:
    """The same queries, written by hand, on a plain DB-API connection."""

    def __init__(self, url):
        self.kind = db_kind(url)
        if self.kind == "postgresql":
            import psycopg

            self.conn = psycopg.connect(url, autocommit=True)
        else:
            self.conn = sqlite3.connect(sqlite_path(url))
        self.d = Dialect(self.kind)
        from events.models import CasualtyFigure

        self.has_part_of = "part_of" in {f.name for f in CasualtyFigure._meta.concrete_fields}

    def all(self, sql):
        cursor = self.conn.cursor()
        cursor.execute(sql)
        rows = cursor.fetchall()
        cursor.close()
        return rows

    # What a figure record shows: the figure, its claim with claimant, document (and what the
    # document derives from, two levels), the actors, the place and the provenance usernames.
    FIGURE_COLUMNS = """
        f.id, f.low, f.high, f.qualifier, f.wording, f.category, f.subgroup, f.outcome, f.date, f.note,
        {part_of} f.verification_status, f.created_at, cu.username, f.channel, f.updated_at, uu.username,
        f.last_channel, f.import_batch_id, f.import_row, f.version,
        c.id, c.statement, c.event_id, c.credibility, c.verification_status,
        s.id, s.name, s.kind, s.reliability,
        d.id, d.title, d.url, d.published_on, d.language, d.derivation, dp.name,
        d1.id, d1.title, d1.url, d1p.name, d1.language, d1.published_on, d1.derivation,
        d2.id, d2.title, d2.url, d2p.name, d2.language, d2.published_on, d2.derivation,
        a.id, a.name, a.short_name, a.kind, pa.id, pa.name, pa.short_name, pa.kind,
        p.id, p.name, p.kind, p.pcode, p.latitude, p.longitude"""
    FIGURE_JOINS = """
        FROM events_casualtyfigure f
        JOIN events_claim c ON c.id = f.claim_id
        LEFT JOIN events_event e ON e.id = c.event_id
        JOIN sources_source s ON s.id = c.claimant_id
        JOIN sources_document d ON d.id = c.document_id
        JOIN sources_source dp ON dp.id = d.publisher_id
        LEFT JOIN sources_document d1 ON d1.id = d.derived_from_id
        LEFT JOIN sources_source d1p ON d1p.id = d1.publisher_id
        LEFT JOIN sources_document d2 ON d2.id = d1.derived_from_id
        LEFT JOIN sources_source d2p ON d2p.id = d2.publisher_id
        LEFT JOIN events_actor a ON a.id = f.affiliation_id
        LEFT JOIN events_actor pa ON pa.id = f.perpetrator_id
        LEFT JOIN events_location p ON p.id = f.place_id
        LEFT JOIN auth_user cu ON cu.id = f.created_by_id
        LEFT JOIN auth_user uu ON uu.id = f.updated_by_id"""
    BRIEF_COLUMNS = "f.id, f.category, f.subgroup, f.outcome, f.low, f.high, f.qualifier"

    def _columns(self):
        return self.FIGURE_COLUMNS.format(part_of="f.part_of_id," if self.has_part_of else "")

    @staticmethod
    def where(filters):
        """The API's casualty-figure filters, by hand: overlap of the event's (or, without an event,
        the claim's) dates; an area: the figure's place lies in it (derived admin1/admin2), or the
        figure has no place and one of its event's places lies in it."""
        conditions = []
        if "outcome" in filters:
            conditions.append(f"f.outcome = {literal(filters['outcome'])}")
        if "date_from" in filters:
            lo, hi = literal(filters["date_from"]), literal(filters["date_to"])
            conditions.append(f"((e.date_end >= {lo} AND e.date_start <= {hi}) OR "
                              f"(c.event_id IS NULL AND c.date_end >= {lo} AND c.date_start <= {hi}))")
        if "location" in filters:
            area = f"(SELECT id FROM events_location WHERE pcode = {literal(filters['location'])})"
            inside = f"SELECT id FROM events_location WHERE id = {area} OR admin1_id = {area} OR admin2_id = {area}"
            conditions.append(f"(f.place_id IN ({inside}) OR (f.place_id IS NULL AND c.event_id IN ("
                              f"SELECT el.event_id FROM events_eventlocation el WHERE el.location_id IN ({inside}))))")
        return " AND ".join(conditions) or "TRUE"

    def quotes(self, claim_ids):
        if not claim_ids:
            return []
        ids = ", ".join(str(i) for i in sorted(set(claim_ids)))
        return self.all(f'SELECT ce.claim_id, x.id, x.start, x."end", x.text FROM events_claimexcerpt ce '
                        f"JOIN sources_excerpt x ON x.id = ce.excerpt_id WHERE ce.claim_id IN ({ids})")

    def page(self, filters, limit):
        where = self.where(filters)
        count = self.all(f"SELECT COUNT(*) FROM events_casualtyfigure f JOIN events_claim c ON c.id = f.claim_id "
                         f"LEFT JOIN events_event e ON e.id = c.event_id WHERE {where}")[0][0]
        # The page's ids first (only the tables the filter needs), then their records: joining the
        # detail tables into the filtered, sorted query is ~50 % slower on PostgreSQL.
        page = (f"SELECT f.id FROM events_casualtyfigure f JOIN events_claim c ON c.id = f.claim_id "
                f"LEFT JOIN events_event e ON e.id = c.event_id WHERE {where} ORDER BY f.id LIMIT {limit}")
        details = self.FIGURE_JOINS.replace("FROM events_casualtyfigure f", f"FROM ({page}) page JOIN "
                                            "events_casualtyfigure f ON f.id = page.id", 1)
        rows = self.all(f"SELECT {self._columns()} {details} ORDER BY f.id")
        claim_column = 21 if self.has_part_of else 20
        self.quotes([row[claim_column] for row in rows])
        return count, [row[0] for row in rows]

    def harvest(self, total, limit, brief=False):
        ids, last = [], 0
        while len(ids) < total:
            if brief:
                rows = self.all(f"SELECT {self.BRIEF_COLUMNS} FROM events_casualtyfigure f WHERE f.id > {last} "
                                f"ORDER BY f.id LIMIT {limit}")
            else:
                rows = self.all(f"SELECT {self._columns()} {self.FIGURE_JOINS} WHERE f.id > {last} "
                                f"ORDER BY f.id LIMIT {limit}")
                claim_column = 21 if self.has_part_of else 20
                self.quotes([row[claim_column] for row in rows])
            if not rows:
                break
            ids += [row[0] for row in rows]
            last = rows[-1][0]
        return ids

    def aggregate(self, filters):
        """Casualty totals by month and governorate, with the aggregate rules of events.aggregates."""
        whole = "f.part_of_id IS NULL" if self.has_part_of else "TRUE"
        date = "COALESCE(f.date, e.date_start, c.date_start)"
        rows = self.all(f"""
            SELECT {self.d.month(date)} AS month,
                   CASE WHEN p.kind = 'governorate' THEN f.place_id ELSE p.admin1_id END AS admin1,
                   SUM(CASE WHEN {whole} THEN f.low END), SUM(CASE WHEN {whole} THEN f.high END), COUNT(*),
                   COUNT(CASE WHEN NOT ({whole}) THEN 1 END),
                   COUNT(CASE WHEN {whole} AND f.high IS NULL THEN 1 END),
                   COUNT(CASE WHEN {whole} AND f.low IS NULL THEN 1 END),
                   COUNT(DISTINCT f.claim_id), COUNT(DISTINCT c.claimant_id)
            FROM events_casualtyfigure f
            JOIN events_claim c ON c.id = f.claim_id
            LEFT JOIN events_event e ON e.id = c.event_id
            LEFT JOIN events_location p ON p.id = f.place_id
            WHERE {self.where(filters)}
            GROUP BY 1, 2 ORDER BY 1, 2""")
        areas = {row[1] for row in rows} - {None}
        labels = {}
        if areas:
            labels = {row[0]: {"id": row[0], "name": row[1], "pcode": row[2]} for row in self.all(
                f"SELECT id, name, pcode FROM events_location WHERE id IN ({', '.join(map(str, areas))})")}
        cells = []
        for month, admin1, sum_low, known_high, records, parts, open_ended, unknown, claims, sources in rows:
            cell = {"month": str(month), "admin1": labels.get(admin1, admin1), "sum_low": sum_low,
                    "sum_high": None if open_ended else known_high, "records": records}
            if self.has_part_of:
                cell["parts"] = parts
            cell.update(open_ended=open_ended, unknown=unknown, claims=claims, independent_sources=sources)
            cells.append(cell)
        return cells


# --- measuring --------------------------------------------------------------------------------------


def percentile(samples, q):
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


def summary(samples):
    return {"n": len(samples), "p50_ms": round(statistics.median(samples) * 1000, 1),
            "p95_ms": round(percentile(samples, 0.95) * 1000, 1), "min_ms": round(min(samples) * 1000, 1)}


def sample_pair(api_call, raw_call, repeat, budget):
    """Alternate API and raw calls; stop at `repeat` samples each, or at the budget (>= 10 samples)."""
    api, raw, started = [], [], time.perf_counter()
    for k in range(repeat):
        for call, samples in ((api_call, api), (raw_call, raw)) if k % 2 == 0 else ((raw_call, raw), (api_call, api)):
            t0 = time.perf_counter()
            call()
            samples.append(time.perf_counter() - t0)
        if k + 1 >= 10 and time.perf_counter() - started > budget:
            break
    return api, raw


class Client:
    def __init__(self, base, token):
        import requests

        self.base = base
        self.session = requests.Session()
        self.session.headers["Authorization"] = f"Token {token}"

    def get(self, path, params=None):
        response = self.session.get(path if path.startswith("http") else self.base + path, params=params,
                                    timeout=600)
        if response.status_code != 200:
            raise RuntimeError(f"{response.url} → {response.status_code}: {response.text[:500]}")
        return response


def measure(args, client, raw, log):
    results, wanted = [], set(args.queries.split(","))
    if "page" in wanted:
        measure_page(args, client, raw, log, results)
    harvests = [brief for brief, name in ((False, "harvest"), (True, "harvest_brief")) if name in wanted]
    measure_harvests(args, client, raw, log, harvests, results)
    if "aggregate" in wanted:
        measure_aggregate(args, client, raw, log, results)
    return results


def measure_page(args, client, raw, log, results):
    params = {**PAGE_FILTER, "limit": 50}
    api_page = client.get("/api/v1/casualty-figures/", params).json()
    raw_count, raw_ids = raw.page(PAGE_FILTER, 50)
    api_ids = [row["id"] for row in api_page["results"]]
    assert api_page["count"] == raw_count and api_ids == raw_ids, (api_page["count"], raw_count, api_ids[:5], raw_ids[:5])
    log(f"page: {raw_count:,} matching figures, 50 shown; API and raw SQL agree")
    for _ in range(2 * args.workers):
        client.get("/api/v1/casualty-figures/", params)
    api, sql = sample_pair(lambda: client.get("/api/v1/casualty-figures/", params),
                           lambda: raw.page(PAGE_FILTER, 50), args.repeat, args.time_budget)
    results.append(row_for("page", "filtered page, 50 rows (with count)",
                           "/api/v1/casualty-figures/?" + encode(params), api, sql, rows=50,
                           note=f"count {raw_count:,}; raw = COUNT, the page's ids joined to their records, quotes"))
    log(table_line(results[-1]))


def measure_harvests(args, client, raw, log, harvests, results):
    for brief in harvests:
        name = "harvest_brief" if brief else "harvest"
        params = {"paginate": "cursor", "limit": args.harvest_limit, **({"brief": 1} if brief else {})}

        def api_harvest(params=params):
            """Follows `next` like a researcher; returns the ids, the time spent in HTTP requests
            (sent → body received) and the wall time including the client's JSON parsing."""
            ids, url, query, http = [], "/api/v1/casualty-figures/", params, 0.0
            started = time.perf_counter()
            while len(ids) < args.harvest_rows and url:
                t0 = time.perf_counter()
                response = client.get(url, query)
                http += time.perf_counter() - t0
                page = response.json()
                ids += [row["id"] for row in page["results"]]
                url, query = page["next"], None
            return ids, http, time.perf_counter() - started

        first_api, _, _ = api_harvest()
        first_raw = raw.harvest(args.harvest_rows, args.harvest_limit, brief=brief)
        assert first_api == first_raw[: len(first_api)], "harvest: the API and raw SQL returned different rows"
        rows = len(first_api)
        http_times, wall_times, raw_times = [], [], []
        for k in range(args.harvest_repeat):
            for step in ("api", "raw") if k % 2 == 0 else ("raw", "api"):
                if step == "api":
                    _, http, wall = api_harvest()
                    http_times.append(http)
                    wall_times.append(wall)
                else:
                    t0 = time.perf_counter()
                    raw.harvest(args.harvest_rows, args.harvest_limit, brief=brief)
                    raw_times.append(time.perf_counter() - t0)
        what = "brief records (`brief=1`)" if brief else "full records (claim, source, document chain, quotes, provenance)"
        results.append(row_for(name, f"cursor harvest of {rows:,} rows, {what}",
                               "/api/v1/casualty-figures/?" + encode(params) + " → follow next",
                               http_times, raw_times, rows=rows,
                               note=f"{args.harvest_limit:,} per page; times = HTTP requests, sent to body "
                                    f"received; raw = keyset pages by id"
                                    + ("" if brief else " with the same joins + quotes")))
        results[-1]["client_rows_per_s"] = round(rows / statistics.median(wall_times))
        log(table_line(results[-1]))


def measure_aggregate(args, client, raw, log, results):
    params = {"group_by": "month,admin1", **AGGREGATE_FILTER}
    api_cells = client.get("/api/v1/aggregates/casualties/", params).json()["results"]
    raw_cells = raw.aggregate(AGGREGATE_FILTER)
    assert normalise(api_cells) == normalise(raw_cells), "aggregate: the API and raw SQL disagree"
    log(f"aggregate: {len(raw_cells)} cells; API and raw SQL agree")
    for _ in range(args.workers):
        client.get("/api/v1/aggregates/casualties/", params)
    api, sql = sample_pair(lambda: client.get("/api/v1/aggregates/casualties/", params),
                           lambda: raw.aggregate(AGGREGATE_FILTER), args.repeat, args.time_budget)
    results.append(row_for("aggregate", "casualty totals by month × governorate (killed, two years)",
                           "/api/v1/aggregates/casualties/?" + encode(params), api, sql, rows=len(raw_cells),
                           note="raw = the GROUP BY + the governorate labels"))
    log(table_line(results[-1]))


def normalise(cells):
    return json.loads(json.dumps(cells, default=str, sort_keys=True))


def encode(params):
    from urllib.parse import urlencode

    return urlencode(params)


def row_for(name, title, url, api, sql, rows, note=""):
    api_s, raw_s = summary(api), summary(sql)
    row = {"query": name, "title": title, "request": url, "api": api_s, "raw": raw_s,
           "ratio": round(statistics.median(api) / statistics.median(sql), 2), "rows": rows, "note": note}
    if name.startswith("harvest"):
        row["api_rows_per_s"] = round(rows / statistics.median(api))
        row["raw_rows_per_s"] = round(rows / statistics.median(sql))
    return row


GOALS = {"page": ("ratio", 2.0), "aggregate": ("ratio", 2.0), "harvest": ("rows_per_s", 20000),
         "harvest_brief": ("rows_per_s", 20000)}


def verdict(row):
    kind, target = GOALS[row["query"]]
    if kind == "ratio":
        return ("met" if row["ratio"] <= target else "missed") + f" (≤ {target:g}x)"
    return ("met" if row["api_rows_per_s"] >= target else "missed") + f" (≥ {target:,} rows/s)"


def table_line(row):
    rate = f"{row['api_rows_per_s']:,}" if "api_rows_per_s" in row else "—"
    client = f"{row['client_rows_per_s']:,}" if "client_rows_per_s" in row else "—"
    return (f"| {row['query']} | {row['api']['p50_ms']:,} | {row['api']['p95_ms']:,} | {row['raw']['p50_ms']:,} | "
            f"{row['ratio']} | {rate} | {client} | {verdict(row)} |")


def markdown(result):
    meta = result["meta"]
    lines = [
        (f"# API benchmark, {meta['date']}: {meta['claims']:,} claims / {meta['figures']:,} casualty figures "
         f"on {meta['database']}"),
        "",
        (f"{meta['server']}; client `requests`, one researcher token, sequential requests. "
         f"{meta['machine']}. Python {meta['python']}, {meta['database_version']}."),
        f"Data: {meta['data_note']}",
        *([f"Generated in {meta['generation_seconds']['total']} s (PostgreSQL: then VACUUM ANALYZE)."]
          if meta.get("generation_seconds") else []),
        "",
        ("Times in ms (p50/p95 over the samples; the raw SQL runs alternate with the API calls). "
         "Ratio = API p50 / raw p50. rows/s = rows / API p50 (HTTP: request sent → body received); "
         "with parse = the researcher's loop including `response.json()` on this machine."),
        "",
        "| query | p50 | p95 | raw p50 | ratio | rows/s | rows/s with parse | goal |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |",
        *[table_line(row) for row in result["results"]],
        "",
    ]
    for row in result["results"]:
        rate = (f"; raw SQL {row['raw_rows_per_s']:,} rows/s" if "raw_rows_per_s" in row else "")
        lines.append(f"- **{row['query']}** — {row['title']}: `{row['request']}` ({row['api']['n']} samples"
                     f"{rate}; {row['note']}).")
    lines += ["", "Every API answer was checked against its raw-SQL twin (same count and ids; same cells).", ""]
    return "\n".join(lines)


def redact(url):
    parts = urlparse(url)
    return parts._replace(netloc=(parts.hostname or "") + (f":{parts.port}" if parts.port else "")).geturl()


def database_version(raw):
    if raw.kind == "postgresql":
        return raw.all("SHOW server_version")[0][0].split()[0].join(["PostgreSQL ", ""])
    return f"SQLite {sqlite3.sqlite_version}"


def main(argv=None):
    args = parse_args(argv)
    def log(message):
        print(message, flush=True)

    kind = db_kind(args.database_url)
    create_database(args.database_url, args.fresh)
    setup_django(args.database_url)
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)
    claims, figures = existing_size()
    generation = None
    if (claims, figures) == (0, 0):
        log(f"generating {args.claims:,} claims and {args.claims * args.figures_per_claim:,} casualty figures "
            f"on {kind} …")
        generation = Generator(args.claims, args.figures_per_claim, log).run()
        log(f"generated in {generation['total']} s")
    elif (claims, figures) != (args.claims, args.claims * args.figures_per_claim):
        raise SystemExit(f"The database holds {claims:,} claims and {figures:,} figures, not the size asked for: "
                         f"run with --fresh (drops it).")
    else:
        log(f"reusing the database: {claims:,} claims, {figures:,} figures")
    if args.generate_only:
        return
    token = researcher_token()
    from django.db import connections

    connections.close_all()

    server = Server(args.database_url, args.workers, args.conn_max_age)
    try:
        client = Client(server.base, token)
        server.wait(client.session)
        raw = Raw(args.database_url)
        results = measure(args, client, raw, log)
        db_version = database_version(raw)
    finally:
        server.stop()
    size = f"{args.claims // 1000}k" if args.claims < 1_000_000 else f"{args.claims / 1_000_000:g}M"
    today = datetime.date.today().isoformat()
    result = {
        "meta": {
            "date": today, "claims": args.claims, "figures": args.claims * args.figures_per_claim,
            "database": kind, "database_version": db_version,
            "database_url": redact(args.database_url),
            "server": f"gunicorn {gunicorn_version()} ({args.workers} sync workers, DEBUG off, "
                      f"DATABASE_CONN_MAX_AGE={args.conn_max_age})",
            "machine": f"{os.cpu_count()} CPUs, {platform.machine()}, {platform.system()} {platform.release()}",
            "python": platform.python_version(),
            "generation_seconds": generation,
            "data_note": ("14 governorates, 62 districts, 248 sub-districts, 4,000 communities; 300 actors; "
                          "3,000 sources; one document per 3 claims, one event per 4 claims over 2019–2023; "
                          "one quote per claim; generated by bench/bench_api.py (deterministic)."),
            "harvest_limit": args.harvest_limit,
        },
        "results": results,
        "goals": {row["query"]: verdict(row) for row in results},
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    stem = RESULTS / f"api-{size}-{kind}-{today}"
    stem.with_suffix(".json").write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    stem.with_suffix(".md").write_text(markdown(result), encoding="utf-8")
    print()
    print(markdown(result))
    print(f"written: {stem}.json, {stem}.md")


if __name__ == "__main__":
    main()
