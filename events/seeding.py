"""Seed loader: the gazetteer and the article files under seeds/.

An article file (`seeds/article_*.yaml`, schema in seeds/README.md) describes one report as
data: its sources, documents, actors, equipment types, places, events and every claim with its
quotes and figures. Every record is found by a natural key and written through
conflictdb.upsert.upsert (a claim with its quotes and rows through events.claims.record_claim,
the claim-writing path the desk uses, found by the claim's external_id), which saves only what
differs, so loading twice changes nothing (no new rows, no version bumps, no history). A file owns the fields it states: fields it leaves out
(a source's reliability grade, a verification status) are never touched on existing records, so
a verifier's work survives a re-seed.

A bad file (an unknown reference, a quote that is not in the text, a value outside a
vocabulary, a figure that breaks a model rule) raises SeedError naming the record, the field
and the value, and the whole load rolls back.
"""

from __future__ import annotations

import datetime
import json
import re
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cache
from pathlib import Path

import yaml
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, models, transaction

from conflictdb.names import normalise_name
from conflictdb.provenance import Channel, acting
from conflictdb.upsert import WriteStatus, upsert
from events.models import (
    Actor,
    ActorAlias,
    ActorMembership,
    Attack,
    CasualtyFigure,
    Claim,
    Displacement,
    EquipmentLoss,
    EquipmentType,
    EquipmentTypeAlias,
    Event,
    EventActor,
    EventLocation,
    Location,
    LocationAlias,
    SourceAffiliation,
    TerritorialChange,
)
from events.vocabularies import (
    DatePrecision,
    EventType,
    PlacePrecision,
    SubEventType,
)
from events import claims, consensus
from events.gazetteer import GEONAMES_ADMIN1_PCODE, GEONAMES_JSON, load_gazetteer
from events.naming import place_by_pcode
from events.quantities import QUANTITY_PARTS, QuantityError, quantity_from_parts
from sources.models import Document, Excerpt, Reliability, Source, SourceAlias

SEEDS_DIR = Path(settings.BASE_DIR) / "seeds"

# Article text files open with a " date YYYY-MM-DD " header that is not part of the body.
_DATE_HEADER = re.compile(r"\A\s*date (\d{4}-\d{2}-\d{2})\s+")


class SeedError(Exception):
    """A seed that cannot be loaded; the message names the record, the field and the bad value."""


def _bad(where: str, field_name: str, value, problem: str) -> SeedError:
    return SeedError(f"{where}, {field_name}: {problem.rstrip('.')}: {value!r}")


@dataclass
class LoadSummary:
    """How many records each model had created, updated or left unchanged."""

    by_model: dict[str, Counter] = field(default_factory=dict)

    def add(self, model, status) -> None:
        self.by_model.setdefault(model._meta.label, Counter())[str(status.value)] += 1

    def merge(self, other: LoadSummary) -> LoadSummary:
        for label, counts in other.by_model.items():
            self.by_model.setdefault(label, Counter()).update(counts)
        return self

    @property
    def totals(self) -> Counter:
        total = Counter({"created": 0, "updated": 0, "unchanged": 0})
        for counts in self.by_model.values():
            total.update(counts)
        return total


# --- public entry points ----------------------------------------------------------------------


def load_seeds(paths=None) -> LoadSummary:
    """The gazetteer (events.gazetteer: OCHA admin areas and GeoNames places), then every article
    file (default: seeds/article_*.yaml), all or nothing."""
    paths = [Path(p) for p in paths] if paths else sorted(SEEDS_DIR.glob("article_*.yaml"))
    summary = LoadSummary()
    with transaction.atomic():
        gazetteer = load_gazetteer()
        summary.by_model["gazetteer"] = Counter(
            {status: gazetteer.get(f"places {status}", 0) for status in ("created", "updated", "unchanged")})
        for path in paths:
            summary.merge(load_seed_file(path))
        # Seeds are saved one by one (each recomputes its events), but an earlier import may have
        # left marks: the seeded database ends with every consensus current.
        consensus.refresh_stale()
    return summary


def load_seed_file(path) -> LoadSummary:
    """One article file; the admin areas must be loaded (the file refers to their P-codes)."""
    path = Path(path)
    summary = LoadSummary()
    with acting(channel=Channel.SEED, reason=f"seed: {path.name}"), transaction.atomic():
        _ArticleLoader(path, _Writer(summary)).load()
    return summary


# --- writing ----------------------------------------------------------------------------------


class _Writer:
    """Upserts records, counts them, and turns a refused write into an error naming the record."""

    def __init__(self, summary: LoadSummary):
        self.summary = summary

    def upsert(self, model, lookup: dict, values: dict, where: str):
        try:
            # A savepoint: after a refused write PostgreSQL can still run the queries below.
            with transaction.atomic():
                record, status = upsert(model, lookup, values)
        except ValidationError as exc:
            raise _bad(where, model.__name__, _plain({**lookup, **values}), "; ".join(exc.messages)) from exc
        except IntegrityError as exc:
            self._explain(model, {**lookup, **values}, where)
            raise _bad(where, model.__name__, _plain({**lookup, **values}), str(exc)) from exc
        self.summary.add(model, status)
        return record

    def ensure(self, model, lookup: dict, values: dict, where: str):
        """Create the record if missing; never change an existing one (e.g. a curated alias)."""
        record = model.objects.filter(**lookup).first()
        if record is None:
            return self.upsert(model, lookup, values, where)
        self.summary.add(model, WriteStatus.UNCHANGED)
        return record

    def claim(self, document, values: dict, rows: _ClaimRows, quotes: list[dict], external_id: str, where: str):
        """The claim with its quotes and rows, through the one claim-writing path (events.claims)."""
        try:
            written = claims.record_claim(document, values, rows.rows, quotes, external_id=external_id)
        except claims.ClaimRecordsRefused as refused:
            problem = refused.problems[0]
            at = {claims.CLAIM: where, claims.QUOTES: f"{where}, quotes[{problem.index}]"}.get(
                problem.part) or rows.wheres[(problem.part, problem.index)]
            fields = values if problem.part == claims.CLAIM else (
                rows.rows[problem.part][problem.index] if problem.part in rows.rows else quotes[problem.index])
            fields = {name: value for name, value in fields.items() if name not in (*claims.PLACE_ROLES, "part_of")}
            model = type(problem.record)
            if isinstance(problem.error, IntegrityError):
                self._explain(model, fields, at)
            messages = problem.error.messages if isinstance(problem.error, ValidationError) else [str(problem.error)]
            raise _bad(at, model.__name__, _plain(fields), "; ".join(messages)) from problem.error
        for model, status in written.writes:
            self.summary.add(model, status)

    @staticmethod
    def _explain(model, fields: dict, where: str):
        """Raise the model's own message for the check constraint a refused record breaks."""
        instance = model(**fields)
        for constraint in model._meta.constraints:
            if isinstance(constraint, models.CheckConstraint):
                try:
                    constraint.validate(model, instance)
                except ValidationError as exc:
                    raise _bad(where, model.__name__, _plain(fields), "; ".join(exc.messages)) from None


def _plain(fields: dict) -> dict:
    """The plain values of a record, for error messages (its place in the file names the rest)."""
    result = {}
    for name, value in fields.items():
        if isinstance(value, models.Model) or value is None:
            continue
        if isinstance(value, datetime.date):
            value = value.isoformat()
        elif isinstance(value, str):
            value = str(value) if len(value) <= 60 else value[:57] + "..."
        result[name] = value
    return result


@cache
def _geonames() -> dict:
    with GEONAMES_JSON.open(encoding="utf-8") as handle:
        return json.load(handle)


def _geonames_names(geonames_id) -> set[str]:
    """The comparison keys of every name GeoNames gives a place (empty if it is not a GeoNames place)."""
    record = _geonames().get(str(geonames_id)) if geonames_id else None
    if record is None:
        return set()
    return {normalise_name(name) for name in [record["name"], *record["alternatenames"]]}


# --- article files ----------------------------------------------------------------------------


class _ArticleLoader:
    SECTIONS = ("seed_id", "article", "sources", "documents", "actors", "equipment_types", "places", "events",
                "claims")

    def __init__(self, path: Path, writer: _Writer):
        self.path, self.w = path, writer
        self.data = self._read()
        self.seed_id = str(self.data["seed_id"])
        self.sources, self.documents, self.actors, self.equipment, self.places, self.events = {}, {}, {}, {}, {}, {}

    def _read(self) -> dict:
        try:
            data = yaml.safe_load(self.path.read_text(encoding="utf-8"))
        except OSError as exc:
            raise SeedError(f"{self.path.name}: cannot read the seed file: {exc}") from exc
        except yaml.YAMLError as exc:
            raise SeedError(f"{self.path.name}: not valid YAML: {exc}") from exc
        if not isinstance(data, dict):
            raise SeedError(f"{self.path.name}: a seed file is a mapping of sections")
        _fields(data, self.path.name, required=("seed_id", "article"), optional=self.SECTIONS)
        return data

    def load(self):
        self._entries("sources", self._source)
        self._entries("documents", self._document)
        self.article = self.ref(self.documents, "document", self.data["article"], self.path.name, "article")
        self._entries("actors", self._actor)
        self._entries("actors", self._memberships)  # a coalition may be listed after its members
        self._entries("sources", self._affiliations)
        self._entries("equipment_types", self._equipment_type)
        self._entries("places", self._place)
        self._entries("events", self._event)
        self._entries("claims", self._claim)

    def _entries(self, section: str, load_one):
        seen = set()
        for index, entry in enumerate(self.data.get(section) or []):
            key = entry.get("key") if isinstance(entry, dict) else None
            where = f"{section[:-1].replace('_', ' ')} {key!r}" if key else f"{section}[{index}]"
            if not isinstance(key, str) or not key:
                raise _bad(where, "key", key, "every entry needs a key")
            if key in seen:
                raise _bad(where, "key", key, "this key is used twice")
            seen.add(key)
            load_one(entry, where)

    def external_id(self, key: str) -> str:
        return f"seed:{self.seed_id}:{key}"

    # sources and documents

    def _source(self, entry, where):
        _fields(entry, where, required=("key", "name", "kind"),
                optional=("description", "url", "country", "languages", "reliability", "protected",
                          "public_label", "aliases", "speaks_for"))
        values = {"kind": _choice(entry, "kind", Source.Kind, where)}
        values.update(_stated(entry, "description", "url", "country", "languages", "public_label", "protected"))
        if "reliability" in entry:
            values["reliability"] = _choice(entry, "reliability", Reliability, where)
        source = self.w.upsert(Source, {"name": entry["name"]}, values, where)
        for name in _unique_names(entry.get("aliases") or []):
            self.w.upsert(SourceAlias, {"source": source, "normalised": normalise_name(name)}, {"name": name}, where)
        self.sources[entry["key"]] = source

    def _affiliations(self, entry, where):
        for actor_key in entry.get("speaks_for") or []:
            actor = self.ref(self.actors, "actor", actor_key, where, "speaks_for")
            self.w.upsert(SourceAffiliation, {"source": self.sources[entry["key"]], "actor": actor}, {}, where)

    def _document(self, entry, where):
        _fields(entry, where, required=("key", "publisher", "title", "language"),
                optional=("author", "url", "published_on", "published_precision", "text_file", "derived_from",
                          "derivation", "notes", "archive_url"))
        values = {
            "language": entry["language"],
            "text": self._document_text(entry, where),
            **_stated(entry, "author", "url", "notes", "archive_url"),
        }
        if "published_on" in entry:
            values["published_on"] = _date(entry, "published_on", where)
            values["published_precision"] = _choice(entry, "published_precision", Document.DatePrecision, where,
                                                    default=DatePrecision.DAY)
        if "derived_from" in entry:
            values["derived_from"] = self.ref(self.documents, "document", entry["derived_from"], where,
                                               "derived_from")
            values["derivation"] = _choice(entry, "derivation", Document.Derivation, where)
        values["publisher"] = self.ref(self.sources, "source", entry["publisher"], where, "publisher")
        values["title"] = entry["title"]
        lookup = {"external_id": self.external_id(entry["key"])}
        self.documents[entry["key"]] = self.w.upsert(Document, lookup, values, where)

    def _document_text(self, entry, where) -> str:
        """The body of the text file, without its date header (which must match published_on)."""
        if "text_file" not in entry:
            return ""  # e.g. an original we have not seen: known to exist, text not available
        text_path = self.path.parent / entry["text_file"]
        try:
            text = text_path.read_text(encoding="utf-8")
        except OSError as exc:
            raise _bad(where, "text_file", entry["text_file"], f"cannot read it ({exc.strerror})") from exc
        header = _DATE_HEADER.match(text)
        if header is None:
            return text
        if "published_on" in entry and header.group(1) != _date(entry, "published_on", where).isoformat():
            raise _bad(where, "published_on", entry["published_on"], f"the text file is dated {header.group(1)}")
        return text[header.end():]

    # actors and equipment

    def _actor(self, entry, where):
        _fields(entry, where, required=("key", "name", "kind"),
                optional=("short_name", "inter_code", "country", "description", "aliases", "member_of"))
        values = {"kind": _choice(entry, "kind", Actor.Kind, where)}
        values.update(_stated(entry, "short_name", "country", "description"))
        if "inter_code" in entry:
            values["inter_code"] = _int(entry, "inter_code", where)
        actor = self.w.upsert(Actor, {"name": entry["name"]}, values, where)
        names = [*(entry.get("aliases") or []), entry["name"], *([entry["short_name"]] if "short_name" in entry else [])]
        for name in _unique_names(names):
            self.w.upsert(ActorAlias, {"actor": actor, "normalised": normalise_name(name)}, {"name": name}, where)
        self.actors[entry["key"]] = actor

    def _memberships(self, entry, where):
        actor = self.actors[entry["key"]]
        for index, membership in enumerate(entry.get("member_of") or []):
            if isinstance(membership, str):
                membership = {"coalition": membership}
            at = f"member_of[{index}]"
            _fields(membership, f"{where}, {at}", required=("coalition",), optional=("start", "end"))
            coalition = self.ref(self.actors, "actor", membership["coalition"], where, at)
            dates = {name: _date(membership, name, where) for name in ("start", "end") if name in membership}
            self.w.upsert(ActorMembership, {"member": actor, "coalition": coalition}, dates, where)

    def _equipment_type(self, entry, where):
        _fields(entry, where, required=("key", "name", "category"),
                optional=("description", "tracker_system_names", "aliases"))
        values = {"category": _choice(entry, "category", EquipmentType.Category, where),
                  **_stated(entry, "description", "tracker_system_names")}
        equipment_type = self.w.upsert(EquipmentType, {"name": entry["name"]}, values, where)
        for name in _unique_names([*(entry.get("aliases") or []), entry["name"]]):
            self.w.upsert(EquipmentTypeAlias, {"equipment_type": equipment_type, "normalised": normalise_name(name)},
                          {"name": name}, where)
        self.equipment[entry["key"]] = equipment_type

    # places

    def _place(self, entry, where):
        if "name" not in entry:  # a gazetteer place: the file only adds the article's spellings
            _fields(entry, where, required=("key", "pcode"), optional=("spellings",))
            place = self._gazetteer_place(entry["pcode"], where, "pcode")
            for spelling in self._spellings(entry, where):
                # ensure, not upsert: a spelling the gazetteer already gives stays the gazetteer's.
                self.w.ensure(LocationAlias, {"location": place, "normalised": normalise_name(spelling)},
                              {"name": spelling, "language": self.article.language,
                               "origin": LocationAlias.Origin.DOCUMENT}, where)
            self.places[entry["key"]] = place
            return
        _fields(entry, where, required=("key", "name", "kind", "parent"),
                optional=("name_ar", "geonames_id", "latitude", "longitude", "coordinate_precision", "spellings"))
        values = {"kind": _choice(entry, "kind", Location.Kind, where),
                  "parent": self.place_ref(entry["parent"], where, "parent"),
                  **_stated(entry, "name_ar"), **self._coordinates(entry, where)}
        if "geonames_id" in entry:
            # The gazetteer owns GeoNames places (parent, district, attribution): the article only
            # checks that it names the right one and adds its spellings.
            lookup = {"geonames_id": self._geonames_entry(entry, values["parent"], where)}
            values["name"] = entry["name"]
            place = self.w.ensure(Location, lookup, values, where)
        else:
            # A place only the article knows: its stable key survives an editor renaming or moving it.
            lookup = {"external_id": self.external_id(entry["key"])}
            values["name"] = entry["name"]
            place = self.w.upsert(Location, lookup, values, where)
        self._place_aliases(place, entry, where)
        self.places[entry["key"]] = place

    def _coordinates(self, entry, where) -> dict:
        given = [name for name in ("latitude", "longitude", "coordinate_precision") if name in entry]
        if not given:
            return {}  # unknown: never invented
        if len(given) < 3:
            raise _bad(where, "coordinates", given, "give latitude, longitude and coordinate_precision together")
        return {
            "latitude": _decimal(entry, "latitude", where),
            "longitude": _decimal(entry, "longitude", where),
            "coordinate_precision": _choice(entry, "coordinate_precision", Location.CoordinatePrecision, where),
        }

    def _geonames_entry(self, entry, parent: Location, where) -> int:
        """Check the hand-copied GeoNames facts against the shipped GeoNames file."""
        geonames_id = _int(entry, "geonames_id", where)
        record = _geonames().get(str(geonames_id))
        if record is None:
            raise _bad(where, "geonames_id", geonames_id, "not in the shipped GeoNames file")
        governorate = parent.governorate()
        expected = GEONAMES_ADMIN1_PCODE.get(record["admin1code"])
        if governorate is None or governorate.pcode != expected:
            raise _bad(where, "parent", entry["parent"],
                       f"GeoNames {geonames_id} ({record['name']}) lies in governorate {expected}")
        for axis in ("latitude", "longitude"):
            if axis in entry and _decimal(entry, axis, where) != Decimal(str(record[axis])):
                raise _bad(where, axis, entry[axis], f"GeoNames {geonames_id} gives {record[axis]}")
        if "name_ar" in entry and entry["name_ar"] not in record["alternatenames"]:
            raise _bad(where, "name_ar", entry["name_ar"], f"not a GeoNames name of {geonames_id}")
        return geonames_id

    def _place_aliases(self, place: Location, entry, where):
        """The article's spellings, then the canonical and the Arabic name, once per comparison key."""
        from_geonames = _geonames_names(place.geonames_id)

        def origin(name):
            return LocationAlias.Origin.GAZETTEER if normalise_name(name) in from_geonames else LocationAlias.Origin.EDITOR

        names = [(spelling, self.article.language, LocationAlias.Origin.DOCUMENT)
                 for spelling in self._spellings(entry, where)]
        names.append((entry["name"], "en", origin(entry["name"])))
        if "name_ar" in entry:
            names.append((entry["name_ar"], "ar", origin(entry["name_ar"])))
        for name, language, alias_origin in _unique_names(names, name_of=lambda item: item[0]):
            self.w.upsert(LocationAlias, {"location": place, "normalised": normalise_name(name)},
                          {"name": name, "language": language, "origin": alias_origin}, where)

    def _spellings(self, entry, where) -> list[str]:
        spellings = entry.get("spellings") or []
        for spelling in spellings:
            if not isinstance(spelling, str) or spelling not in self.article.text:
                raise _bad(where, "spellings", spelling, "this spelling is not in the article text")
        return spellings

    def _gazetteer_place(self, pcode, where, field_name) -> Location:
        place = place_by_pcode(pcode) if isinstance(pcode, str) else None
        if place is None:
            raise _bad(where, field_name, pcode, "no place has this P-code (are the admin areas loaded?)")
        return place

    def place_ref(self, key, where, field_name) -> Location:
        """A place of this file by key, or a gazetteer place by P-code."""
        if key in self.places:
            return self.places[key]
        if isinstance(key, str) and re.fullmatch(r"SY\d*", key):
            return self._gazetteer_place(key, where, field_name)
        raise _bad(where, field_name, key, "unknown place (define it under places, before it is used)")

    # events and claims

    def _event(self, entry, where):
        _fields(entry, where, required=("key", "title", "event_type", "date_start"),
                optional=("summary", "sub_event_type", "date_end", "date_precision", "civilian_targeting", "places",
                          "actors"))
        date_start = _date(entry, "date_start", where)
        values = {
            "title": entry["title"],
            "event_type": _choice(entry, "event_type", EventType, where),
            "sub_event_type": _choice(entry, "sub_event_type", SubEventType, where, default=""),
            "date_start": date_start,
            "date_end": _date(entry, "date_end", where) if "date_end" in entry else date_start,
            "date_precision": _choice(entry, "date_precision", DatePrecision, where, default=DatePrecision.DAY),
            **_stated(entry, "summary", "civilian_targeting"),
        }
        event = self.w.upsert(Event, {"external_id": self.external_id(entry["key"])}, values, where)
        for index, link in enumerate(entry.get("places") or []):
            at = f"places[{index}]"
            link = {"place": link} if isinstance(link, str) else link
            _fields(link, f"{where}, {at}", required=("place",), optional=("role", "precision"))
            self.w.upsert(
                EventLocation,
                {"event": event, "location": self.place_ref(link["place"], where, at),
                 "role": _choice(link, "role", EventLocation.Role, f"{where}, {at}", default=EventLocation.Role.SITE)},
                {"precision": _choice(link, "precision", PlacePrecision, f"{where}, {at}",
                                      default=PlacePrecision.EXACT)},
                f"{where}, {at}",
            )
        for index, link in enumerate(entry.get("actors") or []):
            at = f"actors[{index}]"
            _fields(link, f"{where}, {at}", required=("actor", "role"))
            self.w.upsert(
                EventActor,
                {"event": event, "actor": self.ref(self.actors, "actor", link["actor"], where, at),
                 "role": _choice(link, "role", EventActor.Role, f"{where}, {at}")},
                {},
                f"{where}, {at}",
            )
        self.events[entry["key"]] = event

    def _claim(self, entry, where):
        _fields(entry, where, required=("key", "document", "claimant", "statement", "credibility", "quotes"),
                optional=("event", "stance", "date_start", "date_end", "date_precision", "casualty_figures",
                          "equipment_losses", "territorial_changes", "attacks", "displacements"))
        if not isinstance(entry["quotes"], list) or not entry["quotes"]:
            raise _bad(where, "quotes", entry["quotes"], "a claim rests on a list of one or more quotes")
        event = self.ref(self.events, "event", entry["event"], where, "event") if "event" in entry else None
        document = self.ref(self.documents, "document", entry["document"], where, "document")
        credibility = _int(entry, "credibility", where)
        if credibility not in Claim.Credibility.values:
            raise _bad(where, "credibility", credibility, "expected 1 (confirmed) to 6 (cannot be judged)")
        # A claim is dated like its event unless the file says otherwise.
        date_start = _date(entry, "date_start", where) if "date_start" in entry else getattr(event, "date_start", None)
        date_end = _date(entry, "date_end", where) if "date_end" in entry else getattr(event, "date_end", date_start)
        values = {
            "event": event,
            "document": document,
            "claimant": self.ref(self.sources, "source", entry["claimant"], where, "claimant"),
            "statement": entry["statement"],
            "credibility": credibility,
            "stance": _choice(entry, "stance", Claim.Stance, where, default=Claim.Stance.ASSERTS),
            "date_start": date_start,
            "date_end": date_end,
            "date_precision": _choice(entry, "date_precision", DatePrecision, where,
                                      default=getattr(event, "date_precision", DatePrecision.DAY)),
        }
        quotes = [self._quote(document, quote, where, f"quotes[{index}]") for index, quote in enumerate(entry["quotes"])]
        rows = _ClaimRows(self, where)
        for name in claims.SECTIONS:
            for index, item in enumerate(entry.get(name) or []):
                getattr(rows, name)(item, f"{name}[{index}]")
        self.w.claim(document, values, rows, quotes, self.external_id(entry["key"]), where)

    def _quote(self, document: Document, quote, where, at) -> dict:
        """A quote by its text (and occurrence) → its span in the document."""
        quote = {"text": quote} if isinstance(quote, str) else quote
        _fields(quote, f"{where}, {at}", required=("text",), optional=("occurrence",))
        occurrence = _int(quote, "occurrence", f"{where}, {at}") if "occurrence" in quote else 1
        try:
            draft = Excerpt.for_quote(document, quote["text"], occurrence)
        except ValidationError as exc:
            raise _bad(where, at, quote["text"],
                       f"quote not found in the text of “{document}” (occurrence {occurrence})") from exc
        return {"start": draft.start, "end": draft.end, "text": draft.text}

    def ref(self, table: dict, kind: str, key, where, field_name):
        try:
            return table[key]
        except (KeyError, TypeError):
            raise _bad(where, field_name, key, f"unknown {kind} (define it in this file first)") from None

    def optional_actor(self, item, name, where):
        return self.ref(self.actors, "actor", item[name], where, name) if item.get(name) else None

    def optional_place(self, item, name, where):
        return self.place_ref(item[name], where, name) if item.get(name) else None


class _ClaimRows:
    """The rows a claim carries, resolved for events.claims: each with where it is in the file.

    A row is found again by its identifying fields within the claim (events.claims.IDENTIFYING_FIELDS):
    two rows of one claim may not share them."""

    def __init__(self, loader: _ArticleLoader, where: str):
        self.loader, self.where = loader, where
        self.rows = {section: [] for section in claims.SECTIONS}
        self.wheres = {}  # (section, index) → where, for errors
        self.seen = set()

    def _add(self, section, row: dict, at: str, where: str):
        identity = {name: row.get(name) for name in claims.IDENTIFYING_FIELDS[section]}
        key = (section, tuple((name, getattr(value, "pk", value)) for name, value in identity.items()))
        if key in self.seen:
            model = claims.SECTIONS[section]
            raise _bad(self.where, at, _plain(identity),
                       f"two {model._meta.verbose_name_plural} of this claim share these identifying fields")
        self.seen.add(key)
        self.wheres[(section, len(self.rows[section]))] = where
        self.rows[section].append(row)

    def casualty_figures(self, item, at):
        where = f"{self.where}, {at}"
        _fields(item, where, required=("category", "outcome", "qualifier"),
                optional=("affiliation", "subgroup", "perpetrator", "place", "date", "note", "part_of",
                          *QUANTITY_PARTS))
        row = {
            "affiliation": self.loader.optional_actor(item, "affiliation", where),
            "category": _choice(item, "category", CasualtyFigure.Category, where),
            "subgroup": _choice(item, "subgroup", CasualtyFigure.Subgroup, where, default=""),
            "outcome": _choice(item, "outcome", CasualtyFigure.Outcome, where),
            "place": self.loader.optional_place(item, "place", where),
            **_quantity(item, where), "perpetrator": self.loader.optional_actor(item, "perpetrator", where),
            "date": _date(item, "date", where) if "date" in item else None, **_stated(item, "note"),
            "part_of": self._earlier_figure(item, where) if "part_of" in item else None,
        }
        self._add("casualty_figures", row, at, where)

    def _earlier_figure(self, item, where) -> int:
        index, figures = _int(item, "part_of", where), len(self.rows["casualty_figures"])
        if not 0 <= index < figures:
            raise _bad(where, "part_of", index, f"expected the index of an earlier figure of this claim (0–{figures - 1})")
        return index

    def equipment_losses(self, item, at):
        where = f"{self.where}, {at}"
        _fields(item, where, required=("equipment_type", "status", "qualifier"),
                optional=("owner", "captor", "place", "date", "evidence_url", "evidence_sha256", *QUANTITY_PARTS))
        row = {
            "equipment_type": self.loader.ref(self.loader.equipment, "equipment type", item["equipment_type"], where,
                                               "equipment_type"),
            "status": _choice(item, "status", EquipmentLoss.Status, where),
            "owner": self.loader.optional_actor(item, "owner", where),
            "place": self.loader.optional_place(item, "place", where),
            **_quantity(item, where), "captor": self.loader.optional_actor(item, "captor", where),
            "date": _date(item, "date", where) if "date" in item else None,
            **_stated(item, "evidence_url", "evidence_sha256"),
        }
        self._add("equipment_losses", row, at, where)

    def territorial_changes(self, group, at):
        """One group names several places changing hands alike: one row per place."""
        where = f"{self.where}, {at}"
        _fields(group, where, required=("places",), optional=("kind", "gaining", "losing", "date"))
        kind = _choice(group, "kind", TerritorialChange.Kind, where, default=TerritorialChange.Kind.CAPTURED)
        values = {"gaining": self.loader.optional_actor(group, "gaining", where),
                  "losing": self.loader.optional_actor(group, "losing", where),
                  "date": _date(group, "date", where) if "date" in group else None}
        for index, key in enumerate(_list(group, "places", where)):
            place = self.loader.place_ref(key, where, f"places[{index}]")
            self._add("territorial_changes", {"place": place, "kind": kind, **values}, f"{at}.places[{index}]",
                      f"{where}, places[{index}]")

    def attacks(self, group, at):
        """One group names several target places hit alike: one row per place."""
        where = f"{self.where}, {at}"
        _fields(group, where, required=("places", "kind", "qualifier"),
                optional=("perpetrator", "target", "weapon", "date", *QUANTITY_PARTS))
        kind = _choice(group, "kind", Attack.Kind, where)
        perpetrator = self.loader.optional_actor(group, "perpetrator", where)
        values = {**_quantity(group, where), **_stated(group, "target", "weapon"),
                  "date": _date(group, "date", where) if "date" in group else None}
        for index, key in enumerate(_list(group, "places", where)):
            place = self.loader.place_ref(key, where, f"places[{index}]")
            self._add("attacks", {"kind": kind, "place": place, "perpetrator": perpetrator, **values},
                      f"{at}.places[{index}]", f"{where}, places[{index}]")

    def displacements(self, item, at):
        where = f"{self.where}, {at}"
        _fields(item, where, required=("qualifier", "origins", "destinations"),
                optional=("unit", "date_start", "date_end", *QUANTITY_PARTS))
        row = {"unit": _choice(item, "unit", Displacement.Unit, where, default=Displacement.Unit.PEOPLE),
               **_quantity(item, where),
               **{name: _date(item, name, where) for name in ("date_start", "date_end") if name in item}}
        for name in claims.PLACE_ROLES:
            row[name] = [self.loader.place_ref(key, where, f"{name}[{index}]")
                         for index, key in enumerate(_list(item, name, where))]
        self._add("displacements", row, at, where)


# --- reading values ---------------------------------------------------------------------------


def _fields(entry, where, required=(), optional=()):
    if not isinstance(entry, dict):
        raise _bad(where, "entry", entry, "expected a mapping of fields")
    for name in entry:
        if name not in required and name not in optional:
            raise _bad(where, name, entry[name], "unknown field")
    for name in required:
        if entry.get(name) in (None, ""):
            raise _bad(where, name, entry.get(name), "this field is required")


def _stated(entry, *names) -> dict:
    """The optional fields the file states (the others stay as they are in the database)."""
    return {name: entry[name] for name in names if name in entry}


def _choice(entry, name, choices, where, default=None):
    if name not in entry:
        if default is None:
            raise _bad(where, name, None, "this field is required")
        return default
    value = entry[name]
    if value not in choices.values:
        raise _bad(where, name, value, f"not in the vocabulary ({', '.join(map(str, choices.values))})")
    return value


def _int(entry, name, where) -> int:
    value = entry[name]
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise _bad(where, name, value, "expected a whole number, 0 or more")
    return value


def _decimal(entry, name, where) -> Decimal:
    value = entry[name]
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise _bad(where, name, value, "expected a number")
    try:
        return Decimal(str(value))
    except ArithmeticError as exc:
        raise _bad(where, name, value, "expected a number") from exc


def _date(entry, name, where) -> datetime.date:
    value = entry[name]
    if isinstance(value, datetime.date) and not isinstance(value, datetime.datetime):
        return value
    try:
        return datetime.date.fromisoformat(str(value))
    except ValueError as exc:
        raise _bad(where, name, value, "expected a date (YYYY-MM-DD)") from exc


def _list(entry, name, where) -> list:
    value = entry[name]
    if not isinstance(value, list) or not value:
        raise _bad(where, name, value, "expected a non-empty list")
    return value


def _quantity(item, where) -> dict:
    """low / high / qualifier / wording as the file states them, read by the one quantity reader
    (events.quantities); the model's rules (exact is one number …) are checked on write."""
    try:
        return quantity_from_parts(low=item.get("low"), high=item.get("high"), qualifier=str(item["qualifier"]),
                                   wording=item.get("wording", ""))
    except QuantityError as error:
        raise _bad(where, error.part, error.text, str(error)) from error


def _unique_names(items, name_of=lambda item: item) -> list:
    """Items whose names have distinct comparison keys; the first spelling of a key wins."""
    seen, result = set(), []
    for item in items:
        key = normalise_name(name_of(item))
        if key and key not in seen:
            seen.add(key)
            result.append(item)
    return result
