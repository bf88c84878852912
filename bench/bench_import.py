"""Benchmark: importing casualty figures, the engine against django-import-export's default path.

    CONFLICTDB_DEV=1 .venv/bin/python bench/bench_import.py --rows 100000

Runs on a throw-away database made the way the test runner makes one (a temporary SQLite file,
or a `test_<name>` database on the DATABASE_URL server, dropped afterwards). It loads the
gazetteer, makes 40 actors and one claim (with its event and document) per 20 rows, and writes a
CSV of N casualty-figure rows in the columns of conflictdb.csvio.columns, foreign keys by name:
the claim by external id, the affiliation and perpetrator by actor name, the place by its
gazetteer name (only names the place matcher resolves to one place).

Measured in the same run, on the same file, from an empty figures table each time:
1. the engine through the command line: `manage.py import_csv FILE --model casualtyfigure`
   (header check, every cell parsed and validated, natural keys resolved, the models'
   prepare_write, database constraints, provenance with batch and row, history; the touched
   events' consensus marked stale), then, timed apart, the consensus refresh the import enqueues
   (events.tasks.refresh_consensus, run here as the worker runs it, after the import committed);
2. django-import-export's default import path: `resource.import_data(dataset)` with the
   natural-key ModelResource (conflictdb.csvio.resources.resource_for), inside the same
   provenance context, so each save is stamped and historised too. `--baseline-rows` limits it
   to the first rows of the same file (its rate is reported on what it imported);
3. the database floor: the rows the import wrote in its transaction (figures, their history, the
   stale marks) inserted again in raw SQL, in one transaction — the part of the work no engine
   can avoid; and the consensus rows the refresh wrote, inserted again the same way.

Prints rows/s for each and the ratio; writes bench/results/import-<rows>-<db>-<date>.json and .md.
"""

from __future__ import annotations

import argparse
import csv
import datetime
import itertools
import json
import os
import platform
import resource
import tempfile
import time
from pathlib import Path

import datagen  # bench/ is on sys.path when the script runs

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
FIGURES_PER_CLAIM = 20
OUTCOMES = ("killed", "injured", "captured", "missing", "abducted")
SUBGROUPS = ("", "child", "woman", "man", "officer")


def make_world(rows: int):
    """Actors, resolvable place names and the claims the rows point at (bulk, not measured)."""
    from django.contrib.auth.models import Group, User

    from conflictdb.provenance import Channel, acting
    from conflictdb.roles import DATA_MANAGERS
    from events.gazetteer import load_gazetteer
    from events.models import Actor, Claim, Event, Location
    from events.places import place_index
    from sources.models import Document, Source

    load_gazetteer()
    user = User.objects.create_user("bench_datamanager", is_staff=True)
    user.groups.add(Group.objects.get(name=DATA_MANAGERS))
    index = place_index()
    places = []
    for pk, name in Location.objects.filter(kind=Location.Kind.COMMUNITY).values_list("pk", "name"):
        match = index.resolve(name).match
        if match is not None and match.location_id == pk:
            places.append(name)
    claims = max(1, -(-rows // FIGURES_PER_CLAIM))
    with acting(user=user, channel=Channel.SYSTEM):
        actors = Actor.objects.bulk_create(
            [Actor(name=f"Bench faction {i:02d}", kind=Actor.Kind.REBEL_GROUP) for i in range(40)])
        source = Source.objects.create(name="Bench monitor", kind=Source.Kind.MONITOR)
        documents = Document.objects.bulk_create(
            [Document(publisher=source, title=f"Bench report {i}", external_id=f"bench-doc-{i}", text=f"Report {i}.")
             for i in range(max(1, claims // 10))])
        day = datetime.date(2024, 1, 1)
        events = Event.objects.bulk_create(
            [Event(title=f"Bench clash {i}", event_type="battles", sub_event_type="armed_clash",
                   date_start=day + datetime.timedelta(days=i % 365), date_end=day + datetime.timedelta(days=i % 365),
                   external_id=f"bench-event-{i}") for i in range(max(1, claims // 4))])
        Claim.objects.bulk_create(
            [Claim(external_id=f"bench-claim-{i}", document=documents[i % len(documents)], claimant=source,
                   event=events[i % len(events)], statement=f"Bench claim {i}", date_start=day)
             for i in range(claims)], batch_size=2000)
    return user, [actor.name for actor in actors], places


def write_csv(path: Path, rows: int, actors: list[str], places: list[str]):
    from conflictdb.csvio.columns import spec_for

    header = [column.name for column in spec_for("casualtyfigure").columns if column.importable]
    with open(path, "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        for i in range(rows):
            claim, within = divmod(i, FIGURES_PER_CLAIM)
            low = (i * 7) % 40
            high = low + (i % 3)
            qualifier = "exact" if high == low else "range"
            values = {
                "claim": f"bench-claim-{claim}",
                "affiliation": actors[(claim + within) % len(actors)],
                "category": "combatant",
                "subgroup": SUBGROUPS[within % len(SUBGROUPS)],
                "outcome": OUTCOMES[within // len(SUBGROUPS) % len(OUTCOMES)],
                "low": low, "high": high, "qualifier": qualifier,
                "wording": f"{low}" if qualifier == "exact" else f"{low}-{high}",
                "perpetrator": actors[(claim + 7) % len(actors)],
                "place": places[(claim * 31 + within) % len(places)],
                "place_ref": "",
                "date": "2024-01-01",
                "note": "",
            }
            writer.writerow([values.get(name, "") for name in header])


def clear_figures():
    from django.db import connection

    from events.models import CasualtyFigure, ConsensusFigure

    ConsensusFigure.objects.all().delete()
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {CasualtyFigure.history.model._meta.db_table}")
        cursor.execute(f"DELETE FROM {CasualtyFigure._meta.db_table}")


def run_refresh() -> dict:
    """The background job the import enqueued, run as the worker runs it (its task function)."""
    from events.models import ConsensusFigure, StaleConsensus
    from events.tasks import refresh_consensus

    stale = StaleConsensus.objects.count()
    started = time.perf_counter()
    refreshed = refresh_consensus.call()
    return {"seconds": time.perf_counter() - started, "stale_events": stale, "refreshed_events": refreshed,
            "consensus_rows": ConsensusFigure.objects.count()}


def run_engine(path: Path, user) -> dict:
    from django.core.management import call_command

    from events.management.commands.import_csv import Command
    from events.models import CasualtyFigure
    from conflictdb.models import ImportBatch

    command = Command()
    started = time.perf_counter()
    call_command(command, str(path), model="casualtyfigure", user=user.username, no_progress=True,
                 stdout=open(os.devnull, "w"))
    seconds = time.perf_counter() - started
    batch = ImportBatch.objects.latest("started_at")
    phases = {phase: round(value, 2) for phase, value in command.outcome.seconds.items()}
    return {"seconds": seconds, "rows": batch.created_count, "batch_status": batch.status, "phases": phases,
            "figures": CasualtyFigure.objects.count(), "history_rows": CasualtyFigure.history.count(),
            "rows_with_batch_and_row": CasualtyFigure.objects.filter(import_batch=batch, import_row__isnull=False)
            .count()}


def run_database_floor() -> dict:
    """The database's own share of the engine's work, in raw SQL: the rows the import wrote in its
    transaction (figures, their history, the stale marks), deleted and inserted again with
    executemany (COPY on PostgreSQL) and one INSERT … SELECT, in one transaction. No engine can
    import faster than this."""
    from django.db import connection, transaction

    from events.models import CasualtyFigure, StaleConsensus

    tables = {}
    with connection.cursor() as cursor:
        for model in (CasualtyFigure, StaleConsensus):
            table = model._meta.db_table
            cursor.execute(f"SELECT * FROM {table}")
            names = [column[0] for column in cursor.description]
            tables[model] = (table, names, cursor.fetchall())
        history = CasualtyFigure.history.model._meta.db_table
        tracked = [field.column for field in CasualtyFigure.history.model.tracked_fields]
        cursor.execute(f"DELETE FROM {history}")
        for table, _names, _rows in tables.values():
            cursor.execute(f"DELETE FROM {table}")

    def insert(cursor, table, names, rows):
        _insert(connection, cursor, table, names, rows)

    started = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cursor:
        insert(cursor, *tables[CasualtyFigure])
        table = tables[CasualtyFigure][0]
        cursor.execute(f"INSERT INTO {history} ({', '.join(tracked)}, history_date, history_change_reason, "
                       f"history_type) SELECT {', '.join(tracked)}, updated_at, 'bench', '+' FROM {table}")
        insert(cursor, *tables[StaleConsensus])
    seconds = time.perf_counter() - started
    return {"seconds": seconds, "rows": len(tables[CasualtyFigure][2]), "stale_marks": len(tables[StaleConsensus][2])}


def run_consensus_floor() -> dict:
    """The refresh job's own database share: its consensus rows deleted and inserted again in raw SQL."""
    from django.db import connection, transaction

    from events.models import ConsensusFigure

    table = ConsensusFigure._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT * FROM {table}")
        names = [column[0] for column in cursor.description]
        rows = cursor.fetchall()
        cursor.execute(f"DELETE FROM {table}")
    started = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cursor:
        _insert(connection, cursor, table, names, rows)
    return {"seconds": time.perf_counter() - started, "consensus_rows": len(rows)}


def _insert(connection, cursor, table, names, rows):
    if not rows:
        return
    if connection.vendor == "postgresql":  # COPY, as the engine writes on PostgreSQL
        with cursor.cursor.copy(f"COPY {table} ({', '.join(names)}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
    else:
        cursor.executemany(f"INSERT INTO {table} ({', '.join(names)}) VALUES ({', '.join(['%s'] * len(names))})",
                           rows)


def run_baseline(path: Path, user, limit: int | None) -> dict:
    import tablib

    from conflictdb.csvio.resources import resource_for
    from conflictdb.provenance import Channel, acting
    from events.models import CasualtyFigure

    started = time.perf_counter()
    with open(path, encoding="utf-8", newline="") as handle:
        reader = csv.reader(handle)
        header = next(reader)
        data = list(itertools.islice(reader, limit))
    dataset = tablib.Dataset(*data, headers=header)
    with acting(user=user, channel=Channel.IMPORT):
        result = resource_for("casualtyfigure")().import_data(dataset, dry_run=False, raise_errors=False)
    seconds = time.perf_counter() - started
    return {"seconds": seconds, "rows": len(data), "errors": result.has_errors() or result.has_validation_errors(),
            "totals": dict(result.totals), "figures": CasualtyFigure.objects.count(),
            "history_rows": CasualtyFigure.history.count()}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--baseline-rows", type=int, default=None,
                        help="Import only the first N rows through django-import-export (default: all).")
    parser.add_argument("--skip-baseline", action="store_true")
    args = parser.parse_args()
    connection, database, given = datagen.throwaway_database("import")
    try:
        user, actors, places = make_world(args.rows)
        path = Path(tempfile.gettempdir()) / f"bench-import-{os.getpid()}.csv"
        write_csv(path, args.rows, actors, places)
        engine = run_engine(path, user)
        engine_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024  # before the floor loads rows
        floor = run_database_floor()  # with the import's stale marks, before the refresh clears them
        refresh = run_refresh()
        floor["consensus_seconds"] = run_consensus_floor()["seconds"]
        baseline = None
        if not args.skip_baseline:
            clear_figures()
            baseline = run_baseline(path, user, args.baseline_rows)
        result = {
            "date": datetime.date.today().isoformat(),
            "database": connection.vendor,
            "database_note": f"throw-away test database {database}" + (" on the DATABASE_URL server" if given else ""),
            "python": platform.python_version(), "machine": platform.machine(), "cpus": os.cpu_count(),
            "rows": args.rows, "file_bytes": path.stat().st_size, "places_named": len(places), "actors": len(actors),
            "engine": {**engine, "rows_per_second": round(engine["rows"] / engine["seconds"])},
            "consensus_refresh_job": refresh,
            "database_floor": {**floor, "rows_per_second": round(floor["rows"] / floor["seconds"])},
            "baseline": baseline and {**baseline, "rows_per_second": round(baseline["rows"] / baseline["seconds"])},
            "peak_rss_mb": engine_rss,
        }
        if baseline:
            result["ratio"] = round(result["engine"]["rows_per_second"] / result["baseline"]["rows_per_second"], 1)
        path.unlink()
    finally:
        connection.creation.destroy_test_db(database, verbosity=0)
    RESULTS.mkdir(exist_ok=True)
    stem = f"import-{args.rows // 1000}k-{result['database']}-{result['date']}"
    (RESULTS / f"{stem}.json").write_text(json.dumps(result, indent=2) + "\n")
    (RESULTS / f"{stem}.md").write_text(markdown(result))
    print(markdown(result))


def markdown(result: dict) -> str:
    engine, baseline = result["engine"], result["baseline"]
    lines = [
        f"# Import benchmark, {result['date']}",
        "",
        (f"{result['rows']:,} casualty-figure rows ({result['file_bytes'] / 1e6:.1f} MB; claims by external id, "
         f"{result['actors']} actors and {result['places_named']} places by name); {result['database']} "
         f"({result['database_note']}), Python {result['python']}, {result['cpus']} CPUs shared."),
        "",
        "| path | rows | seconds | rows/s |",
        "| --- | ---: | ---: | ---: |",
        (f"| engine: `manage.py import_csv` (validation, natural keys, batch + row provenance, history) | "
         f"{engine['rows']:,} | {engine['seconds']:.1f} | {engine['rows_per_second']:,} |"),
    ]
    floor = result.get("database_floor")
    if floor:
        lines.append(f"| database floor: the same rows, their history and {floor['stale_marks']:,} stale marks "
                     f"inserted in raw SQL in one transaction (no reading, no rules) | {floor['rows']:,} | "
                     f"{floor['seconds']:.1f} | {floor['rows_per_second']:,} |")
    refresh = result.get("consensus_refresh_job")
    if refresh:
        lines.append(f"| after the commit, the background job: consensus of {refresh['refreshed_events']:,} stale "
                     f"events ({refresh['consensus_rows']:,} consensus rows; their raw-SQL floor "
                     f"{floor['consensus_seconds']:.1f} s) | | {refresh['seconds']:.1f} | |")
    if baseline:
        lines.append(f"| django-import-export default `import_data` (same file, same provenance context) | "
                     f"{baseline['rows']:,} | {baseline['seconds']:.1f} | {baseline['rows_per_second']:,} |")
        lines += ["", f"**Ratio: {result['ratio']}x** (goal ≥ 20x; engine goal ≥ 25,000 rows/s on SQLite, end to "
                      f"end, with the consensus refresh out of the import's transaction)."]
    if floor:
        lines += ["", f"The engine takes {engine['seconds'] / floor['seconds']:.1f}x the database floor's time: "
                      f"{floor['seconds']:.1f} s of its {engine['seconds']:.1f} s is inserting rows and index entries."]
    lines += ["", "Engine phases (s): " + ", ".join(f"{k} {v}" for k, v in engine["phases"].items())
              + f"; the rest of {engine['seconds']:.1f} s is reading the CSV, the batch and the command."]
    lines += ["", f"History rows written by the engine: {engine['history_rows']:,}; records carrying batch and row: "
                  f"{engine['rows_with_batch_and_row']:,}. Peak RSS after the engine's import {result['peak_rss_mb']} MB.", ""]
    return "\n".join(lines)


if __name__ == "__main__":
    main()
