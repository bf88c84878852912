"""The benchmarks' shared data: creates and migrates the target database and generates a
deterministic data set of the size asked for, in bulk SQL (`INSERT … SELECT` over a number series;
hashes of the row number instead of random(); no history rows).

Used by bench_api.py (`--claims`, `--figures-per-claim`) and bench_export.py (`--rows`): the 14 OCHA
governorates and 62 districts, 248 sub-districts and 4,000 communities under them (skewed towards
Aleppo and Idleb), 300 actors (10 coalitions with members), 3,000 sources graded A–F, one document
per three claims (~2 kB text; 10 % translations, 1 % two levels deep), one quote per claim, one
event per four claims over five years (ACLED types and sub-types, one or two places, one or two
actors), claims (8 % without an event), and N casualty figures per claim (categories, outcomes,
qualifiers with lows/highs, places, perpetrators, 5 % part of another figure). Then ANALYZE
(PostgreSQL: VACUUM ANALYZE). A database that already holds exactly the requested size is reused.

The scripts run as `python bench/<script>.py`, so this folder is on sys.path and they
`import datagen`.
"""

from __future__ import annotations

import csv
import datetime
import hashlib
import json
import os
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parent.parent

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


# --- the database --------------------------------------------------------------------------------


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
    sys.path.insert(0, str(ROOT))  # the Django project
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "conflictdb.settings")
    os.environ.setdefault("CONFLICTDB_DEV", "1")
    import django

    django.setup()
    from django.conf import settings

    settings.DEBUG = False  # no query log while generating



def throwaway_database(label: str):
    """Django set up on a throw-away test database, for the benchmarks that build a small ORM
    world of their own (bench_import, bench_resolve): SQLite as a file in the temp folder (not the
    test runner's in-memory default: as in use), otherwise DATABASE_URL's server. Returns
    (connection, the database's name, whether DATABASE_URL was given)."""
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "conflictdb.settings")
    given = bool(os.environ.get("DATABASE_URL"))
    import django

    django.setup()
    from django.db import connection

    if connection.vendor == "sqlite":
        connection.settings_dict["TEST"]["NAME"] = str(
            Path(tempfile.gettempdir()) / f"conflictdb-bench-{label}-{os.getpid()}.sqlite3")
    name = connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
    return connection, name, given


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
                "attribution": "bench/datagen.py (generated)",
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


def prepare(database_url: str, fresh: bool, claims: int, figures_per_claim: int, log=print):
    """Create (or, with `fresh`, recreate) and migrate the database, then generate the data unless
    it already holds exactly this size; any other content is refused. Returns the generation's
    timings, or None when the data was reused."""
    create_database(database_url, fresh)
    setup_django(database_url)
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)
    existing = existing_size()
    if existing == (0, 0):
        log(f"generating {claims:,} claims and {claims * figures_per_claim:,} casualty figures "
            f"on {db_kind(database_url)} …")
        generation = Generator(claims, figures_per_claim, log).run()
        log(f"generated in {generation['total']} s")
        return generation
    if existing != (claims, claims * figures_per_claim):
        raise SystemExit(f"The database holds {existing[0]:,} claims and {existing[1]:,} figures, not the size "
                         f"asked for: run with --fresh (drops it).")
    log(f"reusing the database: {existing[0]:,} claims, {existing[1]:,} figures")
    return None
