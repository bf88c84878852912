"""Natural keys → records, for imports: the names people use, never database ids.

One KeyResolver per import. Each distinct cell value is resolved once (memoised), and each kind
loads what it needs in one query the first time it is asked, so a 100,000-row file naming 300
places and 20 actors costs a few hundred look-ups, not 100,000. An unknown or ambiguous value
raises CellError naming the closest candidates.

The base knows no model: the apps register, in their ready(), how each key kind is resolved
(registry["csv_key_resolvers"]: events/csv/keys.py, sources/csv.py) and which kinds are plain
external ids of one model, loaded many at a time (registry["csv_external_id_models"]). This
module holds the memo, the loaded tables and the shared name matcher (`named`, `match_name`).
"""

from __future__ import annotations

from collections import defaultdict

from rapidfuzz import fuzz, process

from conflictdb.csvio import columns as c
from conflictdb.csvio.values import CellError
from conflictdb.names import normalise_name
from conflictdb.registry import registry

_CHUNK = 500


class KeyResolver:
    def __init__(self, user=None):
        self.user = user
        self._memo: dict[tuple, int] = {}
        # What the kinds' resolvers loaded (name tables, the place index), by kind; dropped by forget().
        self.tables: dict[str, object] = {}
        self.memos: list[dict] = []  # callers' own memos, cleared by forget()
        self.volatile = False  # True while keys may change under the caller (nothing is memoised)

    # --- public ---------------------------------------------------------------------------------

    def resolve(self, kind: str, value: str, *, ref: str = "", within=None) -> int | None:
        """The id `value` names, None for an empty cell; CellError when unknown or ambiguous."""
        value = (value or "").strip()
        ref = (ref or "").strip()
        if not value and not ref:
            return None
        memo_key = (kind, value, ref, within)
        if memo_key in self._memo:
            return self._memo[memo_key]
        if kind in registry["csv_external_id_models"]:
            found = self.by_external_id(kind, value)
        elif kind in (c.LOCATION, c.LOCATION_REF):
            found = registry["csv_key_resolvers"][kind](self, value, ref, within)
        else:
            found = registry["csv_key_resolvers"][kind](self, value)
        self._memo[memo_key] = found
        return found

    def prefetch(self, kind: str, values) -> None:
        """Load many external ids (events, claims) in a few queries before resolving."""
        model = registry["csv_external_id_models"].get(kind)
        if model is None:
            return
        table = self.tables.setdefault(kind, {})
        wanted = sorted({v.strip() for v in values if v and v.strip()} - table.keys())
        for start in range(0, len(wanted), _CHUNK):
            chunk = wanted[start : start + _CHUNK]
            found = dict(model.objects.filter(external_id__in=chunk).values_list("external_id", "pk"))
            for key in chunk:
                table[key] = found.get(key)

    def forget(self) -> None:
        """Drop what was loaded (records created by an earlier chunk of the same file)."""
        self._memo.clear()
        self.tables.clear()
        for memo in self.memos:
            memo.clear()

    # --- helpers for the kinds' resolvers ---------------------------------------------------------

    def by_external_id(self, kind, value):
        table = self.tables.setdefault(kind, {})
        if value not in table:
            self.prefetch(kind, [value])
        found = table.get(value)
        if found is None:
            meta = registry["csv_external_id_models"][kind]._meta
            raise CellError(f"no {meta.verbose_name} has the external id {value!r} (import the "
                            f"{meta.verbose_name_plural} first, or check the id)")
        return found

    def named(self, kind, rows, label, display=lambda pk, name: name):
        """A table normalised spelling → {ids}, plus display names for candidates."""
        if kind not in self.tables:
            spellings, names = defaultdict(set), {}
            for pk, name, *alternatives in rows():
                names[pk] = display(pk, name)
                for text in (name, *alternatives):
                    key = normalise_name(text or "")
                    if key:
                        spellings[key].add(pk)
            self.tables[kind] = {"spellings": spellings, "names": names}
        return self.tables[kind]

    def match_name(self, kind, value, table, label):
        ids = table["spellings"].get(normalise_name(value), set())
        if len(ids) == 1:
            return next(iter(ids))
        names = table["names"]
        if len(ids) > 1:
            listed = "; ".join(sorted(names[pk] for pk in ids))
            raise CellError(f"{value!r} names several {label}s ({listed}); use the full name")
        close = process.extract(value, names, scorer=fuzz.WRatio, limit=3, score_cutoff=60)
        hint = f"; closest: {'; '.join(repr(name) for name, _score, _pk in close)}" if close else ""
        raise CellError(f"no {label} is called {value!r}{hint}")


def register_resolvers(resolvers: dict) -> None:
    """Add an app's key resolvers (kind → function(resolver, value); the location kinds take
    (resolver, name, ref, within)). Called from the app's ready()."""
    unknown = set(resolvers) - set(c.KEY_KINDS)
    if unknown:
        raise ValueError(f"Unknown key kinds {sorted(unknown)}; the kinds are {', '.join(c.KEY_KINDS)}.")
    registry["csv_key_resolvers"].update(resolvers)


def register_external_ids(models: dict) -> None:
    """Add key kinds named by the external_id of one model (kind → model), loaded many at a time."""
    registry["csv_external_id_models"].update(models)
