"""Benchmark: resolving place names against the full gazetteer.

    CONFLICTDB_DEV=1 .venv/bin/python bench/bench_resolve.py --names 10000

Runs on a throw-away database made the way the test runner makes one: a temporary SQLite file,
or — when DATABASE_URL is set — a `test_<name>` database on that server (e.g. PostgreSQL),
dropped afterwards; the database named in DATABASE_URL itself is never touched. It migrates,
loads the gazetteer (events.gazetteer.load_gazetteer), then draws N query names from the
gazetteer's own Latin and Arabic aliases, each respelt by one or two random transliteration
changes (vowels, articles, doubled letters, endings, q/k, apostrophes, hamza and taa marbuta…).

Measured in the same run:
- `resolve_place(name)`, the call every door makes (it checks that the cached index is current
  before each resolve), per 1,000 names;
- `place_index().resolve(name)`, the index taken once as a bulk import would, per 1,000 names;
- the baseline: a plain exact-key lookup (a dict of conflictdb.names.normalise_name of every
  alias), per 1,000 names; the ratios are against it.
It also reports how often each found the place the name was drawn from (the respellings are
made by this script's own rules, so this is a sanity check, not the evaluation set).

Results go to bench/results/resolve-<date>.json and .md, and a summary is printed.
"""

from __future__ import annotations

import argparse
import datetime
import json
import platform
import random
import re
import time
from collections import Counter
from pathlib import Path

import datagen  # bench/ is on sys.path when the script runs

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"

# Latin respellings: (pattern, replacement) pairs, one applied at a random match.
_LATIN_CHANGES = [
    (r"\b[Aa]l[- ]", "el-"), (r"\b[Ee]l[- ]", "al-"), (r"\b[Aa][sdtzrn]h?[- ]", "al-"), (r"\bal-", ""),
    (r"i", "e"), (r"e", "i"), (r"u", "o"), (r"o", "ou"), (r"a", "e"), (r"i", "ee"), (r"u", "oo"),
    (r"([bdfklmnrst])", r"\1\1"), (r"([bdfklmnrst])\1", r"\1"),
    (r"iyah\b", "iya"), (r"iya\b", "iyeh"), (r"ah\b", "a"), (r"a\b", "eh"), (r"q", "k"), (r"Q", "K"),
    (r"-", " "), (r" ", "-"), (r"['`‘’ʿʾ]", ""), (r"(?<=[a-z])(?=[aiu][a-z])", "'"),
]
# Arabic respellings: hamza on alef, taa marbuta, alef maqsura, tatweel, a vowel mark, the article.
_ARABIC_CHANGES = [
    (r"ا", "أ"), (r"[أإآ]", "ا"), (r"ة\b", "ه"), (r"ه\b", "ة"), (r"ى\b", "ي"), (r"ي\b", "ى"),
    (r"(?<=[\u0621-\u064a])(?=[\u0621-\u064a])", "ـ"), (r"(?<=[\u0621-\u064a])", "\u064e"), (r"^ال", ""),
    (r"^(?!ال)", "ال"),
]


def respell(name: str, rng: random.Random) -> str:
    changes = _ARABIC_CHANGES if re.search("[\u0600-\u06ff]", name) else _LATIN_CHANGES
    for _ in range(rng.choice((1, 1, 2))):
        pattern, replacement = rng.choice(changes)
        matches = list(re.finditer(pattern, name))
        if matches:
            match = rng.choice(matches)
            name = name[: match.start()] + match.expand(replacement) + name[match.end():]
    return name


def ms_per_thousand(seconds: float, count: int) -> float:
    return seconds * 1000 / count * 1000


def run(count: int, seed: int) -> dict:
    connection, database, given = datagen.throwaway_database("resolve")
    try:
        from conflictdb.names import normalise_name
        from events.gazetteer import load_gazetteer
        from events.models import LocationAlias
        from events.places import MatchStatus, place_index, resolve_place

        started = time.perf_counter()
        load_counts = load_gazetteer()
        load_seconds = time.perf_counter() - started

        aliases = list(
            LocationAlias.objects.filter(location__kind="community").values_list("name", "location_id")
        )
        rng = random.Random(seed)
        queries = [(respell(name, rng), location_id) for name, location_id in rng.choices(aliases, k=count)]

        started = time.perf_counter()
        index = place_index()
        build_seconds = time.perf_counter() - started

        exact: dict[str, set[int]] = {}
        for name, location_id in LocationAlias.objects.values_list("name", "location_id"):
            exact.setdefault(normalise_name(name), set()).add(location_id)
        started = time.perf_counter()
        baseline = [exact.get(normalise_name(name), set()) for name, _ in queries]
        baseline_seconds = time.perf_counter() - started

        started = time.perf_counter()
        resolved = [resolve_place(name) for name, _ in queries]
        resolve_seconds = time.perf_counter() - started

        started = time.perf_counter()
        for name, _ in queries:
            index.resolve(name)
        index_seconds = time.perf_counter() - started

        outcome, wrong = Counter(), []
        for resolution, (name, location_id) in zip(resolved, queries, strict=True):
            if resolution.status != MatchStatus.MATCHED:
                outcome[str(resolution.status.value)] += 1
            elif resolution.match.location_id == location_id:
                outcome["matched, right place"] += 1
            else:
                outcome["matched, wrong place"] += 1
                drawn = index.places[location_id].name
                wrong.append({"query": name, "drawn_from": drawn, "matched": resolution.match.name,
                              "reason": resolution.match.reason})
        baseline_right = sum(found == {location_id} for found, (_, location_id) in zip(baseline, queries, strict=True))

        baseline_ms = ms_per_thousand(baseline_seconds, count)
        return {
            "date": datetime.date.today().isoformat(),
            "database": connection.vendor,
            "database_note": f"throw-away test database {database}" + (" on the DATABASE_URL server" if given else ""),
            "python": platform.python_version(),
            "machine": platform.machine(),
            "names": count,
            "seed": seed,
            "gazetteer": {
                "places": len(index.places),
                "spellings_indexed": len(index.latin.spellings) + len(index.arabic.spellings),
                "load_seconds": round(load_seconds, 2),
                "load_counts": load_counts,
                "index_build_seconds": round(build_seconds, 3),
            },
            "ms_per_1000": {
                "resolve_place": round(ms_per_thousand(resolve_seconds, count), 1),
                "PlaceIndex.resolve": round(ms_per_thousand(index_seconds, count), 1),
                "baseline_exact_key_lookup": round(baseline_ms, 1),
            },
            "ratio_to_baseline": {
                "resolve_place": round(ms_per_thousand(resolve_seconds, count) / baseline_ms, 1),
                "PlaceIndex.resolve": round(ms_per_thousand(index_seconds, count) / baseline_ms, 1),
            },
            "found_the_drawn_place": {
                "resolve_place": {key: outcome[key] for key in sorted(outcome)},
                "baseline_exact_key_lookup": baseline_right,
            },
            "wrong_matches": wrong,
            "examples": [
                {"query": name, "status": str(resolution.status.value),
                 "top": resolution.candidates[0].name if resolution.candidates else None,
                 "reason": resolution.candidates[0].reason if resolution.candidates else None}
                for resolution, (name, _) in list(zip(resolved, queries, strict=True))[:8]
            ],
        }
    finally:
        connection.creation.destroy_test_db(database, verbosity=0)


def markdown(result: dict) -> str:
    ms, ratio, found = result["ms_per_1000"], result["ratio_to_baseline"], result["found_the_drawn_place"]
    gazetteer = result["gazetteer"]
    lines = [
        f"# Place-name resolution benchmark, {result['date']}",
        "",
        (f"{result['names']:,} respelt alias names (seed {result['seed']}) against {gazetteer['places']} places / "
        f"{gazetteer['spellings_indexed']:,} indexed spellings; {result['database']} "
        f"({result['database_note']}), Python {result['python']} on {result['machine']}."),
        f"Gazetteer load {gazetteer['load_seconds']} s; index build {gazetteer['index_build_seconds']} s.",
        "",
        "| call | ms per 1,000 names | × baseline |",
        "| --- | ---: | ---: |",
        f"| `resolve_place(name)` (freshness check + rank) | {ms['resolve_place']} | {ratio['resolve_place']} |",
        (f"| `place_index().resolve(name)` (index taken once) | {ms['PlaceIndex.resolve']} | "
        f"{ratio['PlaceIndex.resolve']} |"),
        f"| baseline: exact normalised-key dict lookup | {ms['baseline_exact_key_lookup']} | 1 |",
        "",
        "Found the place the name was drawn from:",
        "",
        *[f"- resolve_place {status}: {n:,}" for status, n in found["resolve_place"].items()],
        f"- baseline (exact key, one place): {found['baseline_exact_key_lookup']:,}",
        "",
        "Matched to another place than the one the name was drawn from:",
        "",
        *([f"- `{w['query']}` (drawn from {w['drawn_from']}) → {w['matched']} ({w['reason']})"
           for w in result["wrong_matches"]] or ["- none"]),
        "",
        "Examples:",
        "",
        *[f"- `{e['query']}` → {e['status']}: {e['top']} ({e['reason']})" for e in result["examples"]],
        "",
    ]
    return "\n".join(lines)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--names", type=int, default=10_000, help="how many names to resolve (default 10,000)")
    parser.add_argument("--seed", type=int, default=1, help="random seed for drawing and respelling names")
    args = parser.parse_args()
    result = run(args.names, args.seed)
    RESULTS.mkdir(parents=True, exist_ok=True)
    stem = RESULTS / f"resolve-{result['date']}"
    stem.with_suffix(".json").write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    stem.with_suffix(".md").write_text(markdown(result), encoding="utf-8")
    ms, ratio = result["ms_per_1000"], result["ratio_to_baseline"]
    print(f"{result['names']:,} names on {result['database']}: resolve_place {ms['resolve_place']} ms per 1,000 "
          f"({ratio['resolve_place']}× the exact-key baseline of {ms['baseline_exact_key_lookup']} ms); "
          f"index taken once {ms['PlaceIndex.resolve']} ms per 1,000 ({ratio['PlaceIndex.resolve']}×).")
    print(f"Found the drawn place: {result['found_the_drawn_place']}")
    print(f"Written {stem.with_suffix('.md')} and .json")


if __name__ == "__main__":
    main()
