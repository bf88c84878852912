"""Benchmark: CSV export of casualty figures through `manage.py export_csv`, against
django-import-export's default resource export measured in the same run.

    CONFLICTDB_DEV=1 .venv/bin/python bench/bench_export.py                       # 1,000,000 figures, SQLite
    CONFLICTDB_DEV=1 .venv/bin/python bench/bench_export.py --rows 100000 --fresh
    CONFLICTDB_DEV=1 .venv/bin/python bench/bench_export.py \\
        --database-url postgres://postgres@127.0.0.1:5432/conflictdb_bench_export --repeat 3

1. Creates and migrates the database and generates the data with bench/datagen.py
   (bulk SQL: places, actors, sources, documents, events, claims, `--rows` casualty figures, three
   per claim, with places, affiliations, perpetrators and qualifiers). A database that already
   holds the requested size is reused (`--fresh` starts again).
2. Exports, each in its own process (so that each peak RSS is that export's alone), as a data
   manager (the protection checks run: the user sees everything, as a data manager does):
   - `manage.py export_csv casualtyfigure --limit <each --slices>` and the whole table, each
     `--repeat` times — the command path: on SQLite a chunked cursor, places and actors looked up
     from tables read once, a compiled row function and csv.writer; on PostgreSQL
     `COPY (SELECT …) TO STDOUT` whose SELECT writes the natural keys and formula-safe cells
     (conflictdb/csvio/exporting.py);
   - django-import-export's default path on `--library-rows` rows:
     `modelresource_factory(CasualtyFigure)().export(queryset)` then its CSV format — what the
     library's ExportMixin does (one model instance per row, the whole file in memory).
3. Prints rows/s, the ratio, each process's peak RSS and CPU seconds and the machine's load
   average before and after it (the machine is shared), and writes
   bench/results/export-<size>-<db>-<date>.json/.md.

Goals (issue 6): >= 150,000 rows/s for 1,000,000 rows, memory flat (peak RSS at 100k ≈ at 1M).
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import datagen  # bench/ is on sys.path when the script runs

ROOT = Path(__file__).resolve().parent.parent

RESULTS = ROOT / "bench" / "results"
DEFAULT_SQLITE = Path(tempfile.gettempdir()) / "conflictdb-bench-export.sqlite3"
FIGURES_PER_CLAIM = 3
USERNAME = "bench_datamanager"
GOAL_ROWS_PER_S = 150_000


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000, help="Casualty figures to generate and export.")
    parser.add_argument("--slices", default="100000", help="Smaller exports (comma separated) to show flat memory.")
    parser.add_argument("--repeat", type=int, default=1,
                        help="Run each export size this many times (the machine is shared: every run is reported).")
    parser.add_argument("--library-rows", type=int, default=20_000, help="Rows through django-import-export.")
    parser.add_argument("--database-url", default=os.environ.get("DATABASE_URL") or f"sqlite:///{DEFAULT_SQLITE}")
    parser.add_argument("--fresh", action="store_true", help="Drop and recreate the database first.")
    parser.add_argument("--child-library", type=int, help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def measured(command, env):
    """Run a process; its wall time, peak RSS (MB, through wait4: Popen.wait would reap it first), CPU
    seconds, the machine's 1-minute load average around it, and its output."""
    load_before = os.getloadavg()[0]
    started = time.perf_counter()
    process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    out_chunks, err_chunks = [], []
    # The outputs are small (the export goes to a file), so reading after exit cannot deadlock.
    _pid, status, usage = os.wait4(process.pid, 0)
    elapsed = time.perf_counter() - started
    out_chunks.append(process.stdout.read())
    err_chunks.append(process.stderr.read())
    stderr = b"".join(err_chunks).decode()
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"{' '.join(command)} failed:\n{stderr}")
    # The machine is shared: the load says how much of a core the export could have had.
    return {"wall_s": round(elapsed, 3), "peak_rss_mb": round(usage.ru_maxrss / 1024, 1),
            "cpu_s": round(usage.ru_utime + usage.ru_stime, 3),
            "load": [round(load_before, 2), round(os.getloadavg()[0], 2)],
            "stdout": b"".join(out_chunks).decode(), "stderr": stderr}


def export_through_command(env, rows, target):
    command = [sys.executable, "manage.py", "export_csv", "casualtyfigure", "--user", USERNAME, "--output",
               str(target), "--limit", str(rows)]
    result = measured(command, env)
    # The command's own report times the export alone (without Python and Django start-up).
    line = next(line for line in result["stderr"].splitlines() if line.startswith("Exported "))
    written = int(line.split()[1].replace(",", ""))
    # Its rate is unrounded (the seconds are printed to a tenth): "… in 5.0 s (201,234 rows/s)."
    rows_per_s = int(line.rsplit("(", 1)[1].split()[0].replace(",", ""))
    seconds = round(written / rows_per_s, 3)
    return {"rows": written, "export_s": seconds, "rows_per_s": rows_per_s,
            "wall_s": result["wall_s"], "cpu_s": result["cpu_s"], "load": result["load"],
            "peak_rss_mb": result["peak_rss_mb"], "file_mb": round(target.stat().st_size / 1e6, 1)}


def library_child(rows):
    """In a child process: django-import-export's default export of the first `rows` figures."""
    from import_export.formats.base_formats import CSV
    from import_export.resources import modelresource_factory

    from events.models import CasualtyFigure

    queryset = CasualtyFigure.objects.order_by("pk")[:rows]
    started = time.perf_counter()
    dataset = modelresource_factory(CasualtyFigure)().export(queryset=queryset)
    text = CSV().export_data(dataset)
    seconds = time.perf_counter() - started
    print(json.dumps({"rows": dataset.height, "export_s": round(seconds, 3), "bytes": len(text)}))


def export_through_library(env, rows, database_url):
    command = [sys.executable, str(Path(__file__)), "--database-url", database_url, "--child-library", str(rows)]
    result = measured(command, env)
    child = json.loads(result["stdout"].strip().splitlines()[-1])
    return {"rows": child["rows"], "export_s": child["export_s"],
            "rows_per_s": round(child["rows"] / child["export_s"]), "wall_s": result["wall_s"],
            "cpu_s": result["cpu_s"], "load": result["load"], "peak_rss_mb": result["peak_rss_mb"]}


def ensure_data_manager():
    from django.contrib.auth.models import Group, User

    from conflictdb.roles import DATA_MANAGERS

    user, _ = User.objects.get_or_create(username=USERNAME, defaults={"is_staff": True})
    user.groups.add(Group.objects.get(name=DATA_MANAGERS))


def markdown(result):
    meta, lines = result["meta"], []
    lines.append(f"# CSV export benchmark, {meta['date']}\n")
    lines.append(f"{meta['figures']:,} casualty figures on {meta['database']} ({meta['database_version']}); "
                 f"{meta['machine']}, Python {meta['python']}. Each export runs in its own process as a data "
                 f"manager; rows/s is the command's own export time, peak RSS the process's.\n")
    lines.append("| path | rows | export s | rows/s | process CPU s | load before → after | peak RSS MB | file MB |")
    lines.append("| --- | ---: | ---: | ---: | ---: | --- | ---: | ---: |")

    def load(run):
        return " → ".join(f"{value:.2f}" for value in run["load"])

    for run in result["command"]:
        lines.append(f"| `export_csv casualtyfigure` | {run['rows']:,} | {run['export_s']:.2f} | "
                     f"{run['rows_per_s']:,} | {run['cpu_s']} | {load(run)} | {run['peak_rss_mb']} | {run['file_mb']} |")
    library = result["library"]
    lines.append(f"| django-import-export default (resource export + CSV) | {library['rows']:,} | "
                 f"{library['export_s']:.2f} | {library['rows_per_s']:,} | {library['cpu_s']} | {load(library)} | "
                 f"{library['peak_rss_mb']} | |")
    lines.append("")
    full = result["command"][-1]["rows"]
    lines.append(f"- {full:,} rows: best {result['best_rows_per_s']:,} rows/s, median {result['median_rows_per_s']:,} "
                 f"rows/s over {sum(run['rows'] == full for run in result['command'])} run(s)")
    lines.append(f"- ratio (command's best at {full:,} rows / library): **{result['ratio']}x**")
    lines.append(f"- goal ≥ {GOAL_ROWS_PER_S:,} rows/s at {full:,} rows (best run): "
                 f"**{'met' if result['goal_met'] else 'not met'}**")
    lines.append(f"- memory: peak RSS {result['command'][0]['peak_rss_mb']} MB at {result['command'][0]['rows']:,} "
                 f"rows vs {result['command'][-1]['peak_rss_mb']} MB at {result['command'][-1]['rows']:,}")
    return "\n".join(lines) + "\n"


def main(argv=None):
    args = parse_args(argv)
    if args.child_library:
        datagen.setup_django(args.database_url)
        return library_child(args.child_library)

    def log(message):
        print(message, flush=True)

    kind = datagen.db_kind(args.database_url)
    # The generator groups claims by four per event and three per document: a multiple of 12
    # keeps every reference inside the generated tables. Exports take exactly --rows (--limit).
    claims = -(-args.rows // (FIGURES_PER_CLAIM * 12)) * 12
    datagen.prepare(args.database_url, args.fresh, claims, FIGURES_PER_CLAIM, log)
    ensure_data_manager()
    from django.db import connection, connections

    with connection.cursor() as cursor:
        cursor.execute("SELECT version()" if kind == "postgresql" else "SELECT sqlite_version()")
        db_version = cursor.fetchone()[0].split(" on ")[0]
    connections.close_all()

    env = {**os.environ, "DATABASE_URL": args.database_url, "CONFLICTDB_DEV": "1"}
    sizes = sorted({int(size) for size in args.slices.split(",") if size.strip()} | {args.rows})
    command_runs = []
    with tempfile.TemporaryDirectory() as folder:
        for size in [size for size in sizes for _ in range(args.repeat)]:
            run = export_through_command(env, size, Path(folder) / f"figures-{size}.csv")
            log(f"export_csv {run['rows']:,} rows: {run['export_s']:.2f} s, {run['rows_per_s']:,} rows/s, "
                f"peak RSS {run['peak_rss_mb']} MB, load {run['load']}")
            command_runs.append(run)
    library = export_through_library(env, args.library_rows, args.database_url)
    log(f"django-import-export {library['rows']:,} rows: {library['export_s']:.2f} s, "
        f"{library['rows_per_s']:,} rows/s, peak RSS {library['peak_rss_mb']} MB")
    full = [run for run in command_runs if run["rows"] == args.rows]
    best, median = max(run["rows_per_s"] for run in full), sorted(run["rows_per_s"] for run in full)[len(full) // 2]
    ratio = round(best / library["rows_per_s"], 1)
    size_label = f"{args.rows // 1000}k" if args.rows < 1_000_000 else f"{args.rows / 1_000_000:g}M"
    result = {
        "meta": {"date": datetime.date.today().isoformat(), "figures": args.rows, "database": kind,
                 "database_version": db_version, "machine": f"{os.cpu_count()} CPUs, {platform.machine()}",
                 "python": platform.python_version()},
        "command": command_runs, "library": library, "ratio": ratio,
        "best_rows_per_s": best, "median_rows_per_s": median, "goal_met": best >= GOAL_ROWS_PER_S,
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    stem = RESULTS / f"export-{size_label}-{kind}-{result['meta']['date']}"
    stem.with_suffix(".json").write_text(json.dumps(result, indent=2) + "\n")
    stem.with_suffix(".md").write_text(markdown(result))
    log(f"ratio {ratio}x; results in {stem}.md")


if __name__ == "__main__":
    main()
