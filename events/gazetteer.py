"""The gazetteer loader: OCHA P-coded admin areas, then GeoNames populated places with every spelling.

`load_gazetteer()` loads, idempotently and all or nothing:

1. OCHA COD-AB P-codes (CC BY-IGO): Syria (P-code "SY"), its 14 governorates (SY01…) and 62
   districts (SY0100…), each with its OCHA name as an alias. P-codes are authoritative: name,
   kind and parent of these records follow the file.
2. GeoNames populated places (CC BY 4.0), kind "community", coordinates to 5 decimals with
   precision "approximate", every Latin and Arabic alternate name as a LocationAlias (origin
   gazetteer; language "ar" for Arabic script, "" otherwise — cities500 does not say which
   language a Latin spelling is). Names in other scripts (Cyrillic, Greek, Hebrew, CJK …) and
   IATA airport codes are left out: nobody enters Syrian places that way here, and the matcher
   folds only Latin and Arabic. GeoNames admin1 codes are mapped to P-codes (09 → SY02 Aleppo,
   12 → SY07 Idleb).

Each place goes under its governorate, and under a district only where that can be said
honestly. GeoNames has no admin2 for Syria, so the district is derived:

- a district's *seat* is the populated place of the same governorate that bears the district's
  name: one of its Latin names has the district name's place key, or is within rapidfuzz ratio
  places.MATCH_THRESHOLD of it (Quamishli/Qamishli); the best and then most populous wins. For
  the central district (P-code ending in 00, e.g. SY0200 Jebel Saman) the governorate's name is
  tried too: its seat is the governorate capital (Aleppo);
- a seat lies in its own district; any other place lies in the district of the nearest seat in its
  governorate — but only in a governorate where every district has a seat (with a seat missing,
  the nearest of the others would claim that district's villages). Elsewhere the parent is the
  governorate.

The precision is recorded in `attribution` after the GeoNames line: "District: seat (by name).",
"District: by nearest district seat." or "District: not determined.".

Places already in the database are matched, never duplicated: admin areas by P-code (the country
also by its name when it has no P-code), populated places by GeoNames id, then — for a place
created earlier without one, e.g. a seeded village — by a name or alias equal (place key) to one
of the GeoNames names, inside the same governorate, when exactly one such place exists. On a
populated place that already exists the loader only fills what is empty (GeoNames id, Arabic name,
coordinates, parent, attribution) and adds missing aliases: values a source or an editor gave are
never overwritten, and a second run changes nothing.
"""

from __future__ import annotations

import csv
import json
import unicodedata
from collections import Counter
from dataclasses import dataclass
from decimal import Decimal
from functools import cached_property
from pathlib import Path

from django.conf import settings
from django.db import transaction
from rapidfuzz import fuzz

from conflictdb.names import normalise_name
from conflictdb.provenance import Channel, acting
from conflictdb.upsert import upsert
from events import places
from events.models import Location, LocationAlias

GAZETTEER_DIR = Path(settings.BASE_DIR) / "seeds" / "gazetteer"
OCHA_CSV = GAZETTEER_DIR / "ocha_cod_pcodes_syria_adm1_adm2.csv"
GEONAMES_JSON = GAZETTEER_DIR / "geonames_cities500_syria.json"

OCHA_ATTRIBUTION = "Administrative boundaries P-codes: OCHA, COD-AB Syria (2020-12-17)"
GEONAMES_ATTRIBUTION = "Contains data from GeoNames (geonames.org)"
DISTRICT_BY_NAME = "District: seat (by name)."
DISTRICT_BY_NEAREST_SEAT = "District: by nearest district seat."
DISTRICT_NOT_DETERMINED = "District: not determined."

COUNTRY_PCODE = "SY"
COUNTRY_NAME = "Syria"
# GeoNames admin1 codes are not P-codes (mapping from ../shared/data/README.md).
GEONAMES_ADMIN1_PCODE = {
    "01": "SY08", "02": "SY06", "03": "SY14", "04": "SY11", "05": "SY13", "06": "SY12", "07": "SY09",
    "08": "SY03", "09": "SY02", "10": "SY05", "11": "SY04", "12": "SY07", "13": "SY01", "14": "SY10",
}
_COORDINATE = Decimal("0.00001")
_ADMIN_KINDS = {Location.Kind.COUNTRY, Location.Kind.GOVERNORATE, Location.Kind.DISTRICT, Location.Kind.SUBDISTRICT}


class GazetteerError(Exception):
    """A gazetteer file that cannot be loaded; nothing was written."""


def load_gazetteer(ocha_path=OCHA_CSV, geonames_path=GEONAMES_JSON) -> dict[str, int]:
    """Load (or refresh) the gazetteer; returns counts of what was created, updated and kept."""
    ocha_path, geonames_path = Path(ocha_path), Path(geonames_path)
    rows, records = _read_ocha(ocha_path), _read_geonames(geonames_path)
    reason = f"gazetteer: {ocha_path.name}, {geonames_path.name}"
    with acting(channel=Channel.SEED, reason=reason), transaction.atomic():
        counts = _Loader().load(rows, records)
    places.invalidate_place_index()
    return counts


# --- reading ----------------------------------------------------------------------------------


def _read_ocha(path: Path) -> list[dict]:
    try:
        with path.open(newline="", encoding="utf-8") as handle:
            rows = list(csv.DictReader(handle))
    except OSError as exc:
        raise GazetteerError(f"{path.name}: cannot read it: {exc}") from exc
    for number, row in enumerate(rows, start=2):
        if row.get("Admin Level") not in ("1", "2") or not row.get("P-Code") or not row.get("Name"):
            raise GazetteerError(f"{path.name} row {number}: expected admin level 1 or 2 with a P-code and a name")
    return rows


def _read_geonames(path: Path) -> list[dict]:
    try:
        with path.open(encoding="utf-8") as handle:
            data = json.load(handle)
    except (OSError, ValueError) as exc:
        raise GazetteerError(f"{path.name}: cannot read it: {exc}") from exc
    records = sorted(data.values(), key=lambda record: int(record["geonameid"]))
    for record in records:
        if record.get("admin1code") not in GEONAMES_ADMIN1_PCODE:
            raise GazetteerError(f"{path.name}: GeoNames {record.get('geonameid')} has an unknown admin1 code "
                                 f"{record.get('admin1code')!r}")
    return records


def _script(name: str) -> str | None:
    """"latin", "arabic", or None for any other (or a mixed) script."""
    scripts = set()
    for char in name:
        # Modifier letters (ʿ ʾ ʻ) mark ayn and hamza in any script's transliteration.
        if char.isalpha() and unicodedata.category(char) != "Lm":
            scripts.add(unicodedata.name(char, "").split(" ")[0])
    if scripts == {"LATIN"}:
        return "latin"
    if scripts == {"ARABIC"}:
        return "arabic"
    return None


def _kept_names(record: dict) -> list[str]:
    """The main name, then the Latin and Arabic alternate names, without IATA codes."""
    names = []
    for name in [record["name"], *record["alternatenames"]]:
        name = name.strip()
        if _script(name) is None or (len(name) == 3 and name.isupper()):
            continue
        names.append(name)
    return names


# --- district seats ---------------------------------------------------------------------------


@dataclass
class _GeoPlace:
    record: dict
    governorate: Location
    names: list[str]  # Latin and Arabic, the main name first

    @property
    def id(self) -> int:
        return int(self.record["geonameid"])

    @cached_property
    def latin_keys(self) -> set[str]:
        """Place keys of the Latin names, written together (Tall Kalakh = Tallkalakh)."""
        return {places.normalise_place_name(name).replace(" ", "") for name in self.names if _script(name) == "latin"}

    @property
    def point(self) -> tuple[float, float]:
        return float(self.record["latitude"]), float(self.record["longitude"])


def _name_similarity(district_name: str, place: _GeoPlace) -> int:
    """How well one of the place's Latin names spells the district's name (0–100; 100 = same key)."""
    wanted = places.normalise_place_name(district_name).replace(" ", "")
    return max((round(fuzz.ratio(wanted, key)) for key in place.latin_keys), default=0)


def _district_seats(districts: list[Location], geo_places: list[_GeoPlace]) -> dict[int, _GeoPlace]:
    """district pk → its seat, for every district whose seat can be found by name."""
    seats = {}
    for district in districts:
        in_governorate = [p for p in geo_places if p.governorate.pk == district.parent_id]
        names = [district.name]
        if district.pcode.endswith("00") and in_governorate:
            names.append(in_governorate[0].governorate.name)
        scored = [(max(_name_similarity(name, p) for name in names), int(p.record["population"]), p)
                  for p in in_governorate]
        scored = [item for item in scored if item[0] >= places.MATCH_THRESHOLD]
        if scored:
            seats[district.pk] = max(scored, key=lambda item: (item[0], item[1]))[2]
    return seats


def _district_of(place: _GeoPlace, districts: list[Location], seats: dict[int, _GeoPlace]):
    """(district or None, precision note) for a populated place, by the rule in the module docstring."""
    own = [d for d in districts if d.parent_id == place.governorate.pk]
    for district in own:
        if seats.get(district.pk) is place:
            return district, DISTRICT_BY_NAME
    if not own or any(d.pk not in seats for d in own):
        return None, DISTRICT_NOT_DETERMINED
    nearest = min(own, key=lambda d: places.distance_km(place.point, seats[d.pk].point))
    return nearest, DISTRICT_BY_NEAREST_SEAT


def _arabic_name(place: _GeoPlace) -> str:
    """The Arabic alternate whose consonants best agree with the GeoNames (Latin) name."""
    arabic = [name for name in place.names if _script(name) == "arabic"]
    if not arabic:
        return ""
    latin = places.skeleton(places.normalise_place_name(place.record["name"]))
    return max(arabic, key=lambda name: fuzz.ratio(latin, places.latin_skeleton_of_arabic(name)))


# --- writing ----------------------------------------------------------------------------------


class _Loader:
    def __init__(self):
        self.counts = Counter()
        self.aliases: list[tuple[Location, str, str]] = []  # (place, spelling, language)

    def load(self, rows: list[dict], records: list[dict]) -> dict[str, int]:
        country = self._country()
        governorates = {
            row["P-Code"]: self._admin_area(row, Location.Kind.GOVERNORATE, country)
            for row in rows if row["Admin Level"] == "1"
        }
        districts = []
        for row in rows:
            if row["Admin Level"] == "2":
                if row["Parent P-Code"] not in governorates:
                    raise GazetteerError(f"district {row['P-Code']}: no governorate {row['Parent P-Code']}")
                districts.append(self._admin_area(row, Location.Kind.DISTRICT, governorates[row["Parent P-Code"]]))
        missing = sorted(set(GEONAMES_ADMIN1_PCODE.values()) - set(governorates))
        if missing:
            raise GazetteerError(f"the OCHA file lacks governorates {', '.join(missing)}")
        geo_places = [
            _GeoPlace(record, governorates[GEONAMES_ADMIN1_PCODE[record["admin1code"]]], _kept_names(record))
            for record in records
        ]
        seats = _district_seats(districts, geo_places)
        self.counts["district seats found"] = len(seats)
        existing = self._existing_places()
        for place in geo_places:
            self._populated_place(place, districts, seats, existing)
        self._write_aliases()
        return dict(sorted(self.counts.items()))

    # admin areas

    def _country(self) -> Location:
        country = Location.objects.filter(pcode=COUNTRY_PCODE).first()
        if country is None:  # created earlier without its P-code (e.g. by name)
            unnamed = Location.objects.filter(kind=Location.Kind.COUNTRY, pcode="", parent=None)
            country = next((c for c in unnamed if normalise_name(c.name) == normalise_name(COUNTRY_NAME)), None)
        values = {"name": COUNTRY_NAME, "kind": Location.Kind.COUNTRY, "parent": None, "attribution": OCHA_ATTRIBUTION}
        if country is None:
            return self._write({"pcode": COUNTRY_PCODE}, values, COUNTRY_NAME, "en")
        return self._write({"pk": country.pk}, {**values, "pcode": COUNTRY_PCODE}, COUNTRY_NAME, "en")

    def _admin_area(self, row: dict, kind: str, parent: Location) -> Location:
        values = {"name": row["Name"], "kind": kind, "parent": parent, "attribution": OCHA_ATTRIBUTION}
        return self._write({"pcode": row["P-Code"]}, values, row["Name"], "en")

    def _write(self, lookup: dict, values: dict, alias: str, language: str) -> Location:
        location, status = upsert(Location, lookup, values)
        self.counts[f"places {status.value}"] += 1
        self.aliases.append((location, alias, language))
        return location

    # populated places

    def _existing_places(self) -> dict:
        """Places by GeoNames id, and the place keys of places without one, with their governorate."""
        rows = list(Location.objects.values_list("pk", "parent_id", "kind", "geonames_id", "name"))
        parent_of = {pk: parent for pk, parent, *_ in rows}
        kind_of = {pk: kind for pk, _, kind, *_ in rows}

        def governorate(pk):
            seen = set()
            while pk is not None and pk not in seen:
                if kind_of.get(pk) == Location.Kind.GOVERNORATE:
                    return pk
                seen.add(pk)
                pk = parent_of.get(pk)
            return None

        unidentified = {pk: (governorate(pk), {places.normalise_place_name(name)})
                        for pk, _, kind, geonames_id, name in rows
                        if geonames_id is None and kind not in _ADMIN_KINDS}
        for location_id, name in LocationAlias.objects.filter(location_id__in=unidentified).values_list(
            "location_id", "name"
        ):
            unidentified[location_id][1].add(places.normalise_place_name(name))
        return {
            "by_geonames_id": {place.geonames_id: place for place in Location.objects.filter(geonames_id__isnull=False)},
            "unidentified": unidentified,
        }

    def _match(self, place: _GeoPlace, existing: dict) -> Location | None:
        found = existing["by_geonames_id"].get(place.id)
        if found is not None:
            return found
        keys = {places.normalise_place_name(name) for name in place.names}
        same = [pk for pk, (governorate, own_keys) in existing["unidentified"].items()
                if governorate == place.governorate.pk and own_keys & keys]
        if len(same) > 1:
            self.counts["places named alike more than once (not adopted)"] += 1
        if len(same) != 1:
            return None
        self.counts["places adopted by name"] += 1
        del existing["unidentified"][same[0]]  # it has a GeoNames id now: no second place may take it
        return Location.objects.get(pk=same[0])

    def _populated_place(self, place: _GeoPlace, districts, seats, existing):
        district, note = _district_of(place, districts, seats)
        parent = district or place.governorate
        latitude, longitude = (Decimal(str(value)).quantize(_COORDINATE) for value in place.point)
        attribution = f"{GEONAMES_ATTRIBUTION}. {note}"
        found = self._match(place, existing)
        if found is None:
            values = {
                "name": place.record["name"], "name_ar": _arabic_name(place), "kind": Location.Kind.COMMUNITY,
                "parent": parent, "latitude": latitude, "longitude": longitude,
                "coordinate_precision": Location.CoordinatePrecision.APPROXIMATE, "attribution": attribution,
            }
            location = self._write({"geonames_id": place.id}, values, place.record["name"], "")
        else:
            location = self._write({"pk": found.pk}, self._fill(found, place, parent, attribution),
                                   place.record["name"], "")
        self.counts[note if location.parent_id == parent.pk else "District: kept from the existing record."] += 1
        for name in place.names:
            self.aliases.append((location, name, "ar" if _script(name) == "arabic" else ""))

    @staticmethod
    def _fill(found: Location, place: _GeoPlace, parent: Location, attribution: str) -> dict:
        """Only what the existing record lacks: a source's or an editor's values stay."""
        values = {"geonames_id": place.id}
        if not found.name_ar:
            values["name_ar"] = _arabic_name(place)
        if found.latitude is None:
            values["latitude"], values["longitude"] = (
                Decimal(str(value)).quantize(_COORDINATE) for value in place.point)
            values["coordinate_precision"] = Location.CoordinatePrecision.APPROXIMATE
        if found.parent_id is None:
            values["parent"] = parent
        if not found.attribution:
            values["attribution"] = attribution
        elif GEONAMES_ATTRIBUTION not in found.attribution:
            values["attribution"] = f"{found.attribution}; {GEONAMES_ATTRIBUTION}"[:300]
        return values

    # aliases

    def _write_aliases(self):
        """Every missing spelling, in one bulk insert (stamped and recorded in the history)."""
        have = set(LocationAlias.objects.values_list("location_id", "normalised"))
        new = []
        for location, name, language in self.aliases:
            key = normalise_name(name)
            if key and (location.pk, key) not in have:
                have.add((location.pk, key))
                new.append(LocationAlias(location=location, name=name, language=language,
                                         origin=LocationAlias.Origin.GAZETTEER))
        LocationAlias.objects.bulk_create(new)
        self.counts["aliases created"] = len(new)
        self.counts["aliases kept"] = len(self.aliases) - len(new)
