"""Natural keys → records, for imports: the names people use, never database ids.

One KeyResolver per import. Each distinct cell value is resolved once (memoised), and each kind
loads what it needs in one query the first time it is asked, so a 100,000-row file naming 300
places and 20 actors costs a few hundred look-ups, not 100,000. An unknown or ambiguous value
raises CellError naming the closest candidates:

- location: `geonames:<id>` or a P-code decide; otherwise the place matcher
  (events.places.place_index().resolve) — exact names and aliases, transliteration variants,
  homonyms reported as ambiguous with their admin areas, never a silent guess;
- actor: name, short name or alias (events.selectors.find_actors's rule, loaded at once);
- source: name or alias; protected sources are named in messages only to users allowed to
  see them (conflictdb.protection);
- document: URL, external_id or a unique title;
- equipment type: name, alias or an Oryx system name listed on the type;
- event, claim: external_id;
- displacement: the external_id of its claim (which must have exactly one displacement).
"""

from __future__ import annotations

from collections import defaultdict

from rapidfuzz import fuzz, process

from conflictdb import protection
from conflictdb.csvio import columns as c
from conflictdb.csvio.values import CellError
from conflictdb.names import normalise_name

_CHUNK = 500


class KeyResolver:
    def __init__(self, user=None):
        self.user = user
        self._memo: dict[tuple, int] = {}
        self._tables: dict[str, dict] = {}
        self._place_index = None
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
        if kind in (c.LOCATION, c.LOCATION_REF):
            found = self._location(value, ref, within)
        else:
            found = getattr(self, f"_{kind}")(value)
        self._memo[memo_key] = found
        return found

    def prefetch(self, kind: str, values) -> None:
        """Load many external ids (events, claims, documents) in a few queries before resolving."""
        if kind not in (c.EVENT, c.CLAIM):
            return
        table = self._tables.setdefault(kind, {})
        wanted = sorted({v.strip() for v in values if v and v.strip()} - table.keys())
        model = self._model(kind)
        for start in range(0, len(wanted), _CHUNK):
            chunk = wanted[start : start + _CHUNK]
            found = dict(model.objects.filter(external_id__in=chunk).values_list("external_id", "pk"))
            for key in chunk:
                table[key] = found.get(key)

    def forget(self) -> None:
        """Drop what was loaded (records created by an earlier chunk of the same file)."""
        self._memo.clear()
        self._tables.clear()
        self._place_index = None
        for memo in self.memos:
            memo.clear()

    # --- kinds ------------------------------------------------------------------------------------

    @staticmethod
    def _model(kind):
        from events.models import Claim, Event

        return {c.EVENT: Event, c.CLAIM: Claim}[kind]

    def _by_external_id(self, kind, value):
        table = self._tables.setdefault(kind, {})
        if value not in table:
            self.prefetch(kind, [value])
        found = table.get(value)
        if found is None:
            label = {c.EVENT: "event", c.CLAIM: "claim"}[kind]
            raise CellError(f"no {label} has the external id {value!r} (import the {label}s first, or "
                            f"check the id)")
        return found

    def _event(self, value):
        return self._by_external_id(c.EVENT, value)

    def _claim(self, value):
        return self._by_external_id(c.CLAIM, value)

    def _displacement(self, value):
        from events.models import Displacement

        claim_id = self._claim(value)
        ids = list(Displacement.objects.filter(claim_id=claim_id).values_list("pk", flat=True)[:2])
        if len(ids) != 1:
            raise CellError(f"claim {value!r} has {len(ids) or 'no'} displacements; expected exactly one")
        return ids[0]

    def _named(self, kind, rows, label, display=lambda pk, name: name):
        """A table normalised spelling → {ids}, plus display names for candidates."""
        if kind not in self._tables:
            spellings, names = defaultdict(set), {}
            for pk, name, *alternatives in rows():
                names[pk] = display(pk, name)
                for text in (name, *alternatives):
                    key = normalise_name(text or "")
                    if key:
                        spellings[key].add(pk)
            self._tables[kind] = {"spellings": spellings, "names": names}
        return self._tables[kind]

    def _match_name(self, kind, value, table, label):
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

    def _actor(self, value):
        from events.models import Actor, ActorAlias

        def rows():
            aliases = defaultdict(list)
            for actor_id, name in ActorAlias.objects.values_list("actor_id", "name"):
                aliases[actor_id].append(name)
            for pk, name, short in Actor.objects.values_list("pk", "name", "short_name"):
                yield (pk, name, short, *aliases[pk])

        return self._match_name(c.ACTOR, value, self._named(c.ACTOR, rows, "actor"), "actor")

    def _source(self, value):
        from sources.models import Source, SourceAlias

        shown = {}

        def rows():
            aliases = defaultdict(list)
            for source_id, name in SourceAlias.objects.values_list("source_id", "name"):
                aliases[source_id].append(name)
            for pk, name, is_protected, label in Source.objects.values_list("pk", "name", "protected", "public_label"):
                shown[pk] = protection.source_name(self.user, name, is_protected, label)
                yield (pk, name, *aliases[pk])

        table = self._named(c.SOURCE, rows, "source", display=lambda pk, name: shown.get(pk, name))
        return self._match_name(c.SOURCE, value, table, "source")

    def _equipment_type(self, value):
        from events.models import EquipmentType, EquipmentTypeAlias

        def rows():
            aliases = defaultdict(list)
            for type_id, name in EquipmentTypeAlias.objects.values_list("equipment_type_id", "name"):
                aliases[type_id].append(name)
            for pk, name, systems in EquipmentType.objects.values_list("pk", "name", "tracker_system_names"):
                yield (pk, name, *aliases[pk], *[s for s in (systems or "").split(",") if s.strip()])

        table = self._named(c.EQUIPMENT_TYPE, rows, "equipment type")
        return self._match_name(c.EQUIPMENT_TYPE, value, table, "equipment type")

    def _document(self, value):
        from sources.models import Document

        found = list(Document.objects.filter(url=value).values_list("pk", flat=True)[:1]) if "://" in value else []
        found = found or list(Document.objects.filter(external_id=value).values_list("pk", flat=True)[:1])
        if found:
            return found[0]
        by_title = list(Document.objects.filter(title=value).values_list("pk", flat=True)[:2])
        if len(by_title) == 1:
            return by_title[0]
        if by_title:
            raise CellError(f"several documents are titled {value!r}; use the URL or external id")
        raise CellError(f"no document has the URL, external id or title {value!r}")

    def _location(self, name, ref, within):
        from events.models import Location
        from events.places import place_index

        if ref:
            if ref.lower().startswith("geonames:"):
                found = list(Location.objects.filter(geonames_id=ref.split(":", 1)[1].strip() or 0)
                             .values_list("pk", flat=True)) if ref.split(":", 1)[1].strip().isdigit() else []
            else:
                found = list(Location.objects.filter(pcode__iexact=ref).values_list("pk", flat=True))
            if not found:
                raise CellError(f"no place has the reference {ref!r} (a P-code such as SY0200, or geonames:<id>)")
            return found[0]
        by_code = list(Location.objects.filter(pcode__iexact=name).values_list("pk", flat=True)[:1])
        if by_code:
            return by_code[0]
        if self._place_index is None:
            self._place_index = place_index()
        resolution = self._place_index.resolve(name, within=within)
        if resolution.match is None:
            raise CellError(resolution.message)
        return resolution.match.location_id
