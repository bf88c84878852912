"""The UCDP Georeferenced Event Dataset (GED) CSV layout.

Each GED row becomes:
- an Event (external id `ucdp-ged:<id>`, `ucdp_id`): type_of_violence 1 and 2 (state-based,
  non-state) → Battles / armed clash, 3 (one-sided) → Violence against civilians / attack;
  date_start/date_end (`YYYY-MM-DD` or GED's `YYYY-MM-DD 00:00:00.000`), date_prec 1 → day,
  2–3 → week, 4 → month, 5 → year;
- its place: where_prec 1–2 → the place named in where_coordinates, matched inside the adm_1
  governorate near GED's coordinates (events.places); when the gazetteer does not know it, a
  place is created under its district (or governorate) with GED's coordinates, precision and
  attribution (external id `ucdp-ged-place:…`, so re-imports find it); where_prec 3 → the adm_2
  district, 4–5 → the adm_1 governorate, 6–7 → the country. An ambiguous name is a row error;
- its actors: side_a and side_b (a side that lists several groups becomes a coalition with
  them as members), as EventActors side A / side B;
- a claim (external id `ucdp-ged:<id>`) by the claimant "UCDP GED" (UCDP codes the figures from
  the sources it lists), carried by a document for the GED record whose text keeps the GED source
  fields (source_article, source_office, source_date, source_headline, source_original) as they
  are; the statement gives GED's total low / best / high;
- casualty figures, killed: side A and side B (combatants of that side), civilians, unknown —
  one per party with deaths > 0, each GED's best estimate for that party, so that they add up to
  GED's `best`. When one party has all the deaths, its figure carries GED's low–high range for
  the event and the wording says the best estimate.
"""

from __future__ import annotations

import re
from decimal import Decimal

from conflictdb.csvio.layouts import ADD, CHANGE, RowWriter, cell_error, check_header, permissions
from conflictdb.csvio.values import CellError, parse_date, parse_decimal, parse_int
from conflictdb.names import normalise_name
from conflictdb.upsert import upsert
from events import naming
from events.models import (
    Actor,
    ActorMembership,
    CasualtyFigure,
    Claim,
    Event,
    EventActor,
    EventLocation,
    Location,
)
from events.vocabularies import DatePrecision, EventType, PlacePrecision, Qualifier, SubEventType
from sources.models import Document, Source
from conflictdb.csvio.keys import KeyResolver
from events.places import PlaceIndex
from conflictdb.csvio.importing import RowError

NAME = "ucdp-ged"  # --layout ucdp-ged
REQUIRED = ("id", "type_of_violence", "side_a", "side_b", "where_prec", "where_coordinates", "adm_1", "adm_2",
            "latitude", "longitude", "date_prec", "date_start", "date_end", "deaths_a", "deaths_b",
            "deaths_civilians", "deaths_unknown", "best", "high", "low", "source_article", "source_original")
# Every model a GED import writes (conflictdb.upsert.upsert), and whether it may update an existing
# record: memberships and event actors carry nothing but their key, and a place is only created
# (named_place returns a place an earlier import created before it would upsert one).
WRITES = {
    Source: (ADD, CHANGE),  # the claimant "UCDP GED"
    Actor: (ADD, CHANGE),  # sides; a several-group side as a coalition
    ActorMembership: (ADD,),
    Location: (ADD,),
    Event: (ADD, CHANGE),
    EventLocation: (ADD, CHANGE),
    EventActor: (ADD,),
    Document: (ADD, CHANGE),
    Claim: (ADD, CHANGE),
    CasualtyFigure: (ADD, CHANGE),
}
PERMISSIONS = permissions(WRITES)
SOURCE_FIELDS = ("source_article", "source_office", "source_date", "source_headline", "source_original")
ATTRIBUTION = "UCDP GED 23.1 (CC BY 4.0): Davies, Pettersson & Öberg (2023); Sundberg & Melander (2013)"
CLAIMANT = "UCDP GED"
DATE_PRECISION = {"1": DatePrecision.DAY, "2": DatePrecision.WEEK, "3": DatePrecision.WEEK,
                  "4": DatePrecision.MONTH, "5": DatePrecision.YEAR}
_PLACE_SUFFIX = re.compile(r"\s+(town|village|city|suburb|governorate|district|province|area|camp)$", re.I)
NEAR_KM = 25  # GED where_prec 2: "within a 25 km radius"
# GED's adm_1 spellings → OCHA P-codes: a fixed crosswalk, because "Rif Dimashq" (GED) and
# "Rural Damascus" (OCHA) are translations, not spellings a matcher should equate.
GED_GOVERNORATES = {
    "damascus": "SY01", "aleppo": "SY02", "rif dimashq": "SY03", "homs": "SY04", "hamah": "SY05", "hama": "SY05",
    "latakia": "SY06", "idlib": "SY07", "al hasakah": "SY08", "deir ez zor": "SY09", "dayr az zawr": "SY09",
    "tartus": "SY10", "ar raqqah": "SY11", "daraa": "SY12", "as suwayda": "SY13", "quneitra": "SY14",
}


def _strip_suffix(name: str) -> str:
    return _PLACE_SUFFIX.sub("", " ".join(name.split()))


class _GedRow:
    def __init__(self, importer, row: dict, writer: RowWriter):
        self.i, self.row, self.w = importer, row, writer

    def value(self, name):
        return self.row.get(name, "")

    def integer(self, name, minimum=0):
        try:
            value = parse_int(self.value(name), minimum=minimum)
        except CellError as error:
            raise cell_error(name, self.value(name), error) from error
        if value is None:
            raise cell_error(name, "", "this field is required")
        return value

    def date(self, name):
        try:
            value = parse_date(self.value(name))
        except CellError as error:
            raise cell_error(name, self.value(name), error) from error
        if value is None:
            raise cell_error(name, "", "this field is required")
        return value

    def write(self):
        ged_id = self.value("id").strip()
        if not ged_id:
            raise cell_error("id", "", "this field is required (GED's stable event id)")
        violence = self.value("type_of_violence").strip()
        if violence not in ("1", "2", "3"):
            raise cell_error("type_of_violence", violence, "expected 1 (state-based), 2 (non-state) or 3 (one-sided)")
        deaths = {name: self.integer(name) for name in ("deaths_a", "deaths_b", "deaths_civilians", "deaths_unknown",
                                                         "best", "low", "high")}
        if sum(deaths[n] for n in ("deaths_a", "deaths_b", "deaths_civilians", "deaths_unknown")) != deaths["best"]:
            raise cell_error("best", deaths["best"], "the deaths of side A, side B, civilians and unknown do not add "
                                                     "up to best")
        start, end = self.date("date_start"), self.date("date_end")
        place, precision = self.place()
        side_a, side_b = self.i.side(self.value("side_a"), "side_a"), self.i.side(self.value("side_b"), "side_b")
        one_sided = violence == "3"
        event, status = upsert(Event, {"external_id": f"ucdp-ged:{ged_id}"}, {
            "ucdp_id": ged_id,
            "title": f"{self.value('dyad_name') or side_a.name + ' - ' + side_b.name}: "
                     f"{self.value('where_description') or place.name}"[:300],
            "event_type": EventType.VIOLENCE_AGAINST_CIVILIANS if one_sided else EventType.BATTLES,
            "sub_event_type": SubEventType.ATTACK if one_sided else SubEventType.ARMED_CLASH,
            "date_start": start, "date_end": end,
            "date_precision": DATE_PRECISION.get(self.value("date_prec").strip(), DatePrecision.DAY),
            "civilian_targeting": one_sided,
        })
        self.w.note(status)
        self.w.note(upsert(EventLocation, {"event": event, "location": place, "role": EventLocation.Role.SITE},
                           {"precision": precision})[1])
        for actor, role in ((side_a, EventActor.Role.SIDE_A), (side_b, EventActor.Role.SIDE_B)):
            self.w.note(upsert(EventActor, {"event": event, "actor": actor, "role": role}, {})[1])
        document, status = upsert(Document, {"external_id": f"ucdp-ged:{ged_id}"}, {
            "publisher": self.i.ucdp, "title": f"UCDP GED 23.1 event {ged_id}"[:500],
            "published_on": end, "language": "en",
            "text": "\n".join(f"{name}: {self.value(name)}" for name in SOURCE_FIELDS),
            "notes": f"Sources as listed by UCDP ({self.value('number_of_sources') or '?'} sources). {ATTRIBUTION}",
        })
        self.w.note(status)
        parties = {"side A": deaths["deaths_a"], "side B": deaths["deaths_b"],
                   "civilians": deaths["deaths_civilians"], "unknown": deaths["deaths_unknown"]}
        claim, status = upsert(Claim, {"external_id": f"ucdp-ged:{ged_id}"}, {
            "event": event, "document": document, "claimant": self.i.ucdp,
            "statement": (f"UCDP GED: {deaths['best']} deaths (low {deaths['low']}, high {deaths['high']}); "
                          + ", ".join(f"{party} {n}" for party, n in parties.items()) + ".")[:2000],
            "date_start": start, "date_end": end,
            "date_precision": DATE_PRECISION.get(self.value("date_prec").strip(), DatePrecision.DAY),
        })
        self.w.note(status)
        self.figures(claim, deaths, side_a, side_b, place, one_sided)

    def figures(self, claim, deaths, side_a, side_b, place, one_sided):
        parties = [
            ("deaths_a", side_a, CasualtyFigure.Category.COMBATANT),
            ("deaths_b", side_b, CasualtyFigure.Category.COMBATANT),
            ("deaths_civilians", None, CasualtyFigure.Category.CIVILIAN),
            ("deaths_unknown", None, CasualtyFigure.Category.UNKNOWN),
        ]
        if one_sided:  # GED's side B of one-sided violence is the civilians themselves
            parties[1] = ("deaths_b", None, CasualtyFigure.Category.CIVILIAN)
        counted = [(name, actor, category) for name, actor, category in parties if deaths[name] > 0]
        single = len(counted) == 1
        for name, actor, category in counted:
            best = deaths[name]
            if single and (deaths["low"], deaths["high"]) != (best, best):
                low, high = min(deaths["low"], best), max(deaths["high"], best)
                quantity = {"low": low, "high": high, "qualifier": Qualifier.RANGE,
                            "wording": f"best {best} (low {deaths['low']}, high {deaths['high']})"}
            else:
                quantity = {"low": best, "high": best, "qualifier": Qualifier.EXACT, "wording": f"{best} ({name})"}
            identity = {"claim": claim, "affiliation": actor, "category": category, "subgroup": "",
                        "outcome": CasualtyFigure.Outcome.KILLED, "place": place}
            self.w.note(upsert(CasualtyFigure, identity, {**quantity, "date": claim.date_start})[1])

    def place(self):
        precision_code = self.value("where_prec").strip()
        if precision_code in ("6", "7"):
            return self.i.country(), PlacePrecision.COUNTRY
        governorate = self.i.governorate(self.value("adm_1"))
        if precision_code in ("4", "5"):
            return governorate, PlacePrecision.ADMIN1
        district = self.i.district(self.value("adm_2"), governorate)
        if precision_code == "3":  # a district the gazetteer cannot name: its governorate, honestly coarser
            return (district, PlacePrecision.ADMIN2) if district else (governorate, PlacePrecision.ADMIN1)
        if precision_code not in ("1", "2"):
            raise cell_error("where_prec", precision_code, "expected 1–7 (UCDP's where_prec)")
        return self.i.named_place(self, governorate, district), (
            PlacePrecision.EXACT if precision_code == "1" else PlacePrecision.NEAR)


class _GedImporter:
    def __init__(self, user):
        self.resolver = KeyResolver(user)
        self.ucdp, _ = upsert(Source, {"name": CLAIMANT}, {"kind": Source.Kind.MONITOR,
                                                          "url": "https://ucdp.uu.se/"})
        self.actors: dict[str, Actor] = {}
        self.areas: dict = {}
        self.index = None

    def country(self):
        country = Location.objects.filter(kind=Location.Kind.COUNTRY, pcode="SY").first()
        if country is None:
            raise cell_error("country", "Syria", "the gazetteer has no country record (run load_gazetteer)")
        return country

    def governorate(self, adm_1):
        name = _strip_suffix(adm_1)
        if not name:
            raise cell_error("adm_1", adm_1, "the governorate is needed to place the event")
        if name not in self.areas:
            pcode = GED_GOVERNORATES.get(name.lower())
            found = naming.place_by_pcode(pcode)
            if found is None:
                try:
                    found = Location.objects.get(pk=self.resolve(name, kinds=[Location.Kind.GOVERNORATE]))
                except naming.PlaceNotResolved as error:
                    raise cell_error("adm_1", adm_1, error.resolution.message) from error
            self.areas[name] = found
        return self.areas[name]

    def district(self, adm_2, governorate):
        name = _strip_suffix(adm_2)
        if not name:
            return None
        if (name, governorate.pk) not in self.areas:
            try:
                found = Location.objects.get(pk=self.resolve(name, within=governorate, kinds=[Location.Kind.DISTRICT]))
            except naming.PlaceNotResolved:
                found = None  # a district GED names that the gazetteer lacks: the governorate will do
            self.areas[(name, governorate.pk)] = found
        return self.areas[(name, governorate.pk)]

    def resolve(self, name, **scope) -> int:
        """The id of the one place a GED name means (events.naming: PlaceNotResolved otherwise),
        with one place index for the whole file, rebuilt only when this import adds a place."""
        if self.index is None:
            self.index = PlaceIndex.build()
        return naming.one_place_id(name, index=self.index, **scope)

    def named_place(self, ged: _GedRow, governorate, district):
        raw = ged.value("where_coordinates")
        name = _strip_suffix(raw)
        try:
            latitude, longitude = parse_decimal(ged.value("latitude")), parse_decimal(ged.value("longitude"))
        except CellError as error:
            raise cell_error("latitude", ged.value("latitude"), error) from error
        near = (float(latitude), float(longitude)) if latitude is not None and longitude is not None else None
        external_id = f"ucdp-ged-place:{normalise_name(name)}:{governorate.pcode}"
        created_before = Location.objects.filter(external_id=external_id).first()
        if created_before is not None:  # a place an earlier GED row (or import) had to create
            return created_before
        scope = {"within": governorate, "near": near, "radius_km": NEAR_KM} if near else {"within": governorate}
        try:
            return Location.objects.get(pk=self.resolve(name, **scope))
        except naming.PlaceNotResolved as error:
            resolution = error.resolution
        if resolution.status == "ambiguous":
            raise cell_error("where_coordinates", raw, resolution.message)
        if near is None:
            raise cell_error("where_coordinates", raw, resolution.message + " GED gives no coordinates to create it.")
        parent = district or governorate
        kind = Location.Kind.MILITARY_SITE if "military" in raw.lower() or "base" in raw.lower() else \
            Location.Kind.COMMUNITY
        exact = ged.value("where_prec").strip() == "1"
        place, status = upsert(Location, {"external_id": external_id}, {
            "name": name[:200], "kind": kind, "parent": parent,
            "latitude": latitude.quantize(Decimal("0.00001")), "longitude": longitude.quantize(Decimal("0.00001")),
            "coordinate_precision": Location.CoordinatePrecision.EXACT if exact else
            Location.CoordinatePrecision.APPROXIMATE,
            "attribution": ATTRIBUTION[:300],
        })
        ged.w.note(status)
        return place

    def side(self, text, column):
        text = " ".join(text.split())
        if not text:
            raise cell_error(column, "", "this field is required")
        if text in self.actors:
            return self.actors[text]
        names = [name.strip() for name in text.split(",") if name.strip()]
        if len(names) == 1:
            actor = self.actor(names[0])
        else:
            label = f"UCDP side: {', '.join(names)}"
            label = label if len(label) <= 200 else label[:199] + "…"
            actor, _ = upsert(Actor, {"name": label}, {"kind": Actor.Kind.COALITION,
                                                       "description": f"A side in UCDP GED: {text}"})
            for name in names:
                upsert(ActorMembership, {"member": self.actor(name), "coalition": actor}, {})
        self.actors[text] = actor
        return actor

    def actor(self, name):
        try:
            return Actor.objects.get(pk=self.resolver.resolve("actor", name))
        except CellError:
            pass
        if name == "Civilians":
            kind = Actor.Kind.CIVILIANS
        elif name == "Government of Syria":
            kind = Actor.Kind.STATE_FORCES
        elif name.startswith("Government of"):
            kind = Actor.Kind.FOREIGN_STATE_FORCES
        else:
            kind = Actor.Kind.REBEL_GROUP
        actor, _ = upsert(Actor, {"name": name[:200]}, {"kind": kind})
        self.resolver.forget()
        return actor


def apply(table, outcome, *, user, dayfirst=False, progress=None):
    header = table.header
    if not check_header(header, REQUIRED, outcome):
        return
    importer = _GedImporter(user)
    writer = RowWriter(outcome, progress)
    for number, cells in table.rows:
        row = dict(zip(header, cells, strict=False))
        writer.run(number, _GedRow(importer, row, writer).write)
    if not outcome.rows:
        outcome.add_error(RowError(2, "", "", "the file has a header but no data rows"))
    if progress:
        progress(outcome.rows)
