"""Benchmark: the REST API at scale, through the real HTTP stack, against the same queries in raw SQL.

    CONFLICTDB_DEV=1 .venv/bin/python bench/bench_api.py --claims 1000000 --figures-per-claim 3 \\
        --database-url postgres://postgres@127.0.0.1:5432/conflictdb_bench [--fresh]
    CONFLICTDB_DEV=1 .venv/bin/python bench/bench_api.py --claims 20000          # SQLite, a quick run

(Without --database-url: $DATABASE_URL, else a SQLite file in the temp directory.)

1. Creates and migrates the target database (`--fresh` drops and recreates it first; a SQLite file
   is deleted), then generates the data with bench/datagen.py, in bulk SQL (`INSERT … SELECT`
   over a number series, deterministic hashes of the row number instead of random(); no history
   rows): the 14 OCHA
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
   - aggregate: casualty totals `group_by=month,admin1` for killed, over two years;
   - aggregate_consensus: the same with `basis=consensus` (consensus figures are worked out once
     by events.consensus when the database has none; raw twin: one SQL, sums compared).
   Every API answer is checked against its raw-SQL twin (same ids, same count, same cells).
4. Writes bench/results/api-<size>-<db>-<date>.json and .md and prints the table.

Goals (issue 5): pages and aggregates within 2x of raw SQL; harvest >= 20,000 rows/s.
"""

from __future__ import annotations

import argparse
import datetime
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

import datagen  # bench/ is on sys.path when the script runs

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
# Outside the repository (tens of MB at the quick size); reused by the next run of the same size.
DEFAULT_SQLITE = Path(tempfile.gettempdir()) / "conflictdb-bench-api.sqlite3"

# The measured queries.
PAGE_FILTER = {"outcome": "killed", "location": "SY02", "date_from": "2021-01-01", "date_to": "2021-06-30"}
AGGREGATE_FILTER = {"outcome": "killed", "date_from": "2021-01-01", "date_to": "2022-12-31"}


# --- arguments ---------------------------------------------------------------------------------


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
    parser.add_argument("--queries", default="page,harvest,harvest_brief,aggregate,aggregate_consensus",
                        help="Which measurements to run (comma separated).")
    return parser.parse_args(argv)




def researcher_token():
    from django.contrib.auth.models import Group, User
    from knox.models import AuthToken

    from conflictdb.roles import RESEARCHERS

    user, _ = User.objects.get_or_create(username="bench_researcher")
    user.groups.add(Group.objects.get(name=RESEARCHERS))
    # Only digests are kept, so each run makes a new token; the last run's goes (knox looks at all
    # of a user's tokens on every request).
    AuthToken.objects.filter(user=user).delete()
    _, token = AuthToken.objects.create(user=user)
    return token


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
        self.kind = datagen.db_kind(url)
        if self.kind == "postgresql":
            import psycopg

            self.conn = psycopg.connect(url, autocommit=True)
        else:
            self.conn = sqlite3.connect(datagen.sqlite_path(url))
        self.d = datagen.Dialect(self.kind)
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
            conditions.append(f"f.outcome = {datagen.literal(filters['outcome'])}")
        if "date_from" in filters:
            lo, hi = datagen.literal(filters["date_from"]), datagen.literal(filters["date_to"])
            conditions.append(f"((e.date_end >= {lo} AND e.date_start <= {hi}) OR "
                              f"(c.event_id IS NULL AND c.date_end >= {lo} AND c.date_start <= {hi}))")
        if "location" in filters:
            area = f"(SELECT id FROM events_location WHERE pcode = {datagen.literal(filters['location'])})"
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

    def aggregate_consensus(self, filters):
        """basis=consensus by month and governorate, written by hand: each event figure (event, party,
        category, subgroup, outcome) once, in the cell of its earliest matching figure, with its
        consensus low/best/high; not summed when it is a part of another event figure of the same
        event in that cell (or a whole of its whole: a recursive CTE), or when no
        claim stating it is usable — read from the claim columns, not from the consensus row's JSON:
        not retracted or false, asserting, credibility not 5, claimant not graded E. One statement
        returns the cells with the API's counts and, per cell, the used claims' original documents
        (the generated derivations are at most two deep) and claimants; a plain union-find over
        those gives the independent sources. The generated data has no inclusions (checked once)."""
        pg = self.kind == "postgresql"
        date = "COALESCE(f.date, e.date_start, c.date_start)"
        same = "IS NOT DISTINCT FROM" if pg else "IS"
        key = "{a}.aff = {b}.aff AND {a}.cat = {b}.cat AND {a}.sub = {b}.sub AND {a}.out = {b}.out"
        cell = "{a}.month = {b}.month AND {a}.admin1 " + same + " {b}.admin1"
        if pg:
            placed = ("SELECT DISTINCT ON (ev, aff, cat, sub, out) ev, aff, cat, sub, out, month, admin1 FROM f "
                      "WHERE ev IS NOT NULL ORDER BY ev, aff, cat, sub, out, id")
        else:
            placed = ("SELECT ev, aff, cat, sub, out, month, admin1 FROM (SELECT f.*, ROW_NUMBER() OVER "
                      "(PARTITION BY ev, aff, cat, sub, out ORDER BY id) AS rn FROM f WHERE ev IS NOT NULL) "
                      "WHERE rn = 1")
        usable = ("uc.verification_status NOT IN ('retracted', 'false') AND uc.stance = 'asserts' "
                  "AND uc.credibility <> 5 AND us.reliability <> 'E'")
        if pg:  # as events.aggregates does: the CTEs' row guesses are far too low at 1M claims
            self.conn.execute("SET enable_nestloop = off")
        rows = self.all(f"""
            WITH RECURSIVE f AS MATERIALIZED (
                SELECT f.id, c.event_id AS ev, COALESCE(f.affiliation_id, 0) AS aff, f.category AS cat,
                       f.subgroup AS sub, f.outcome AS out, {self.d.month(date)} AS month,
                       CASE WHEN p.kind = 'governorate' THEN f.place_id ELSE p.admin1_id END AS admin1
                FROM events_casualtyfigure f
                JOIN events_claim c ON c.id = f.claim_id
                LEFT JOIN events_event e ON e.id = c.event_id
                LEFT JOIN events_location p ON p.id = f.place_id
                WHERE {self.where(filters)}),
            placed AS MATERIALIZED ({placed}),
            part_edges AS (
                SELECT DISTINCT pc.event_id AS ev, COALESCE(pf.affiliation_id, 0) AS aff, pf.category AS cat,
                       pf.subgroup AS sub, pf.outcome AS out, COALESCE(w.affiliation_id, 0) AS waff,
                       w.category AS wcat, w.subgroup AS wsub, w.outcome AS wout
                FROM events_casualtyfigure pf
                JOIN events_claim pc ON pc.id = pf.claim_id
                JOIN events_casualtyfigure w ON w.id = pf.part_of_id),
            reach AS (  -- wholes of wholes: one event figure's whole may be a part in another claim
                SELECT * FROM part_edges
                UNION
                SELECT r.ev, r.aff, r.cat, r.sub, r.out, e.waff, e.wcat, e.wsub, e.wout
                FROM reach r JOIN part_edges e ON e.ev = r.ev AND e.aff = r.waff AND e.cat = r.wcat
                     AND e.sub = r.wsub AND e.out = r.wout),
            parts AS (
                SELECT DISTINCT e.ev, e.aff, e.cat, e.sub, e.out, r2.month, r2.admin1
                FROM reach e JOIN placed r2 ON r2.ev = e.ev AND r2.aff = e.waff AND r2.cat = e.wcat
                     AND r2.sub = e.wsub AND r2.out = e.wout
                WHERE NOT (e.waff = e.aff AND e.wcat = e.cat AND e.wsub = e.sub AND e.wout = e.out)),
            state AS MATERIALIZED (
                SELECT r.*, cf.low, cf.best, cf.high, CASE WHEN cf.conflicting THEN 1 ELSE 0 END AS conflicting,
                       CASE WHEN pp.ev IS NULL THEN 0 ELSE 1 END AS is_part
                FROM placed r
                LEFT JOIN events_consensusfigure cf ON cf.event_id = r.ev AND COALESCE(cf.affiliation_id, 0) = r.aff
                     AND cf.category = r.cat AND cf.subgroup = r.sub AND cf.outcome = r.out
                LEFT JOIN parts pp ON pp.ev = r.ev AND {key.format(a='pp', b='r')} AND {cell.format(a='pp', b='r')}),
            used AS MATERIALIZED (
                SELECT DISTINCT s.month, s.admin1, s.ev, s.aff, s.cat, s.sub, s.out, uc.id AS claim,
                       uc.document_id, uc.claimant_id
                FROM state s
                JOIN events_claim uc ON uc.event_id = s.ev
                JOIN sources_source us ON us.id = uc.claimant_id
                JOIN events_casualtyfigure uf ON uf.claim_id = uc.id AND COALESCE(uf.affiliation_id, 0) = s.aff
                     AND uf.category = s.cat AND uf.subgroup = s.sub AND uf.outcome = s.out
                WHERE s.is_part = 0 AND {usable}),
            counted AS MATERIALIZED (
                SELECT s.* FROM state s WHERE s.is_part = 0 AND EXISTS (
                    SELECT 1 FROM used u WHERE u.ev = s.ev AND {key.format(a='u', b='s')})),
            behind AS (
                SELECT DISTINCT u.month, u.admin1, COALESCE(d2.id, d1.id, d.id) AS root, u.claimant_id
                FROM used u
                JOIN sources_document d ON d.id = u.document_id
                LEFT JOIN sources_document d1 ON d1.id = d.derived_from_id
                LEFT JOIN sources_document d2 ON d2.id = d1.derived_from_id)
            SELECT 0, cells.month, cells.admin1, cells.records, cells.without_event,
                   sums.sum_low, sums.sum_best, sums.known_high, COALESCE(sums.event_figures, 0),
                   COALESCE(sums.events, 0), COALESCE(sums.open_ended, 0), COALESCE(sums.unknown, 0),
                   COALESCE(sums.conflicting, 0), COALESCE(skipped.parts, 0),
                   COALESCE(skipped.placed, 0) - COALESCE(skipped.parts, 0) - COALESCE(sums.event_figures, 0),
                   COALESCE(claims.claims, 0)
            FROM (SELECT month, admin1, COUNT(*) AS records, SUM(CASE WHEN ev IS NULL THEN 1 ELSE 0 END)
                         AS without_event FROM f GROUP BY month, admin1) cells
            LEFT JOIN (SELECT month, admin1, SUM(low) AS sum_low, SUM(best) AS sum_best, SUM(high) AS known_high,
                              COUNT(*) AS event_figures, COUNT(DISTINCT ev) AS events,
                              SUM(CASE WHEN high IS NULL THEN 1 ELSE 0 END) AS open_ended,
                              SUM(CASE WHEN low IS NULL THEN 1 ELSE 0 END) AS unknown,
                              SUM(conflicting) AS conflicting
                       FROM counted GROUP BY month, admin1) sums ON {cell.format(a='sums', b='cells')}
            LEFT JOIN (SELECT month, admin1, COUNT(*) AS placed, SUM(is_part) AS parts FROM state
                       GROUP BY month, admin1) skipped ON {cell.format(a='skipped', b='cells')}
            LEFT JOIN (SELECT month, admin1, COUNT(DISTINCT claim) AS claims FROM used
                       GROUP BY month, admin1) claims ON {cell.format(a='claims', b='cells')}
            UNION ALL
            SELECT 1, month, admin1, root, claimant_id, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
                   NULL
            FROM behind
            ORDER BY 1, 2, 3""")
        if pg:
            self.conn.execute("RESET enable_nestloop")
        areas = {row[2] for row in rows if row[0] == 0} - {None}
        labels = {}
        if areas:
            labels = {row[0]: {"id": row[0], "name": row[1], "pcode": row[2]} for row in self.all(
                f"SELECT id, name, pcode FROM events_location WHERE id IN ({', '.join(map(str, areas))})")}
        sources = {}
        for _, month, admin1, root, claimant, *_ in (row for row in rows if row[0] == 1):
            sources.setdefault((month, admin1), []).append((root, claimant))
        cells = []
        for (_, month, admin1, records, without_event, sum_low, sum_best, known_high, event_figures, events,
             open_ended, unknown, conflicting, parts, excluded, claims) in (row for row in rows if row[0] == 0):
            cells.append({"month": str(month), "admin1": labels.get(admin1, admin1), "sum_low": sum_low,
                          "sum_best": sum_best,
                          "sum_high": None if open_ended else known_high, "event_figures": event_figures,
                          "events": events, "open_ended": open_ended, "unknown": unknown,
                          "conflicting": conflicting, "parts": parts, "excluded": excluded, "included": 0,
                          "without_event": without_event, "records": records, "claims": claims,
                          "independent_sources": union_find_groups(sources.get((month, admin1), []))})
        return cells

    def check_consensus_data(self):
        """What the consensus twin leaves out must not be in the data: inclusions, deeper derivations."""
        inclusions = self.all("SELECT COUNT(*) FROM events_claiminclusion")[0][0]
        deep = self.all("SELECT COUNT(*) FROM sources_document d JOIN sources_document d1 ON d1.id = d.derived_from_id "
                        "JOIN sources_document d2 ON d2.id = d1.derived_from_id WHERE d2.derived_from_id IS NOT NULL")[0][0]
        if inclusions or deep:
            raise SystemExit(f"aggregate_consensus: the raw twin follows neither inclusions ({inclusions}) nor "
                             f"derivations deeper than two ({deep}); the data has some")


def union_find_groups(edges):
    """Connected sets of (original document, claimant) links: claims sharing either are one source."""
    parent = {}

    def find(node):
        while parent[node] != node:
            parent[node] = parent[parent[node]]
            node = parent[node]
        return node

    for root, claimant in edges:
        a, b = ("d", root), ("c", claimant)
        parent.setdefault(a, a)
        parent.setdefault(b, b)
        ra, rb = find(a), find(b)
        if ra != rb:
            parent[rb] = ra
    return sum(1 for node in parent if parent[node] == node)


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
    if "aggregate_consensus" in wanted:
        measure_aggregate_consensus(args, client, raw, log, results)
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
    # Compared on what the twin still computes alike: since issue 15 a part is summed unless its whole
    # is in its cell and independent sources are derivation-aware (events.aggregates); the twin's
    # SQL does not follow those two rules yet, so sums of parts and independence are not compared.
    same = ("month", "admin1", "records", "claims")
    assert normalise([{k: c[k] for k in same} for c in api_cells]) == normalise(
        [{k: c[k] for k in same} for c in raw_cells]), "aggregate: the API and raw SQL disagree"
    log(f"aggregate: {len(raw_cells)} cells; API and raw SQL agree")
    for _ in range(args.workers):
        client.get("/api/v1/aggregates/casualties/", params)
    api, sql = sample_pair(lambda: client.get("/api/v1/aggregates/casualties/", params),
                           lambda: raw.aggregate(AGGREGATE_FILTER), args.repeat, args.time_budget)
    results.append(row_for("aggregate", "casualty totals by month × governorate (killed, two years)",
                           "/api/v1/aggregates/casualties/?" + encode(params), api, sql, rows=len(raw_cells),
                           note="raw = the GROUP BY + the governorate labels"))
    log(table_line(results[-1]))


def measure_aggregate_consensus(args, client, raw, log, results):
    params = {"group_by": "month,admin1", "basis": "consensus", **AGGREGATE_FILTER}
    raw.check_consensus_data()
    api_cells = normalise(client.get("/api/v1/aggregates/casualties/", params).json()["results"])
    raw_cells = normalise(raw.aggregate_consensus(AGGREGATE_FILTER))
    # Every cell and every number of it: sums, counts, claims and independent sources.
    if api_cells != raw_cells:
        for a, b in zip(api_cells, raw_cells, strict=False):
            if a != b:
                log(f"API {a}\nraw {b}")
                break
        raise AssertionError(f"aggregate_consensus: the API and raw SQL disagree ({len(api_cells)} / "
                             f"{len(raw_cells)} cells)")
    summed = sum(cell["event_figures"] for cell in raw_cells)
    log(f"aggregate_consensus: {len(raw_cells)} cells, {summed:,} event figures summed; API and raw SQL agree "
        "on every number")
    for _ in range(args.workers):
        client.get("/api/v1/aggregates/casualties/", params)
    api, sql = sample_pair(lambda: client.get("/api/v1/aggregates/casualties/", params),
                           lambda: raw.aggregate_consensus(AGGREGATE_FILTER), args.repeat, args.time_budget)
    results.append(row_for("aggregate_consensus", "basis=consensus totals by month × governorate (killed, two "
                           "years)", "/api/v1/aggregates/casualties/?" + encode(params), api, sql,
                           rows=len(raw_cells),
                           note=("raw = one SQL (each event figure once by `DISTINCT ON` / a window, its "
                                 "consensus joined, parts in the cell and figures without a usable claim left "
                                 "out, the used claims read from the claim columns; sums, counts, claims and "
                                 "per cell the original documents and claimants) + the governorate labels + a "
                                 "plain union-find for independent sources; every cell compared in full")))
    log(table_line(results[-1]))


def ensure_consensus(log):
    """datagen writes no consensus figures: work them out once through events.consensus (reused)."""
    from events import consensus
    from events.models import ConsensusFigure, Event

    if ConsensusFigure.objects.exists():
        return None
    started = time.perf_counter()
    log("computing consensus figures (events.consensus.recompute) …")
    ids = list(Event.objects.values_list("pk", flat=True))
    for start in range(0, len(ids), 20_000):
        consensus.recompute(ids[start : start + 20_000])
    return round(time.perf_counter() - started, 1)


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


GOALS = {"page": ("ratio", 2.0), "aggregate": ("ratio", 2.0), "aggregate_consensus": ("ratio", 2.0), "harvest": ("rows_per_s", 20000),
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

    kind = datagen.db_kind(args.database_url)
    generation = datagen.prepare(args.database_url, args.fresh, args.claims, args.figures_per_claim, log)
    consensus_seconds = ensure_consensus(log)
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
            "consensus_seconds": consensus_seconds,
            "data_note": ("14 governorates, 62 districts, 248 sub-districts, 4,000 communities; 300 actors; "
                          "3,000 sources; one document per 3 claims, one event per 4 claims over 2019–2023; "
                          "one quote per claim; generated by bench/datagen.py (deterministic)."),
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
