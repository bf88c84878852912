"""ACLED's own export (`--layout acled`): an ACLED download imports as is (event_id_cnty,
event_date, year, time_precision, disorder_type, event_type, sub_event_type, actor1,
assoc_actor_1, inter1, actor2, assoc_actor_2, inter2, interaction, civilian_targeting, iso, region,
country, admin1, admin2, admin3, location, latitude, longitude, geo_precision, source,
source_scale, notes, fatalities, tags, timestamp). Headers are matched case- and
underscore-insensitively (conflictdb.csvio.headers); columns the layout does not read are left.

Each row becomes:
- an Event (external id `acled:<event_id_cnty>`, acled_id): event_type and sub_event_type by
  ACLED's labels (events.vocabularies), event_date, time_precision 1 → day, 2 → week, 3 → month,
  civilian_targeting;
- its place: geo_precision 1 (exact) and 2 (near) → the place named in `location`, matched by
  the place matcher inside the admin1 governorate (and admin2 district when the gazetteer knows
  it) near ACLED's coordinates; geo_precision 3 → the admin2 district (else admin1), ACLED's
  "a larger region". A place the gazetteer does not know is created under its district (else
  governorate) with ACLED's coordinates and attribution (external id `acled-place:…`) — the rule
  the UCDP GED layout already follows; an ambiguous name is a row error naming the candidates;
- its actors: actor1 side A, actor2 side B, assoc_actor_1/2 (";"-separated) associated; found by
  name, short name or alias, else created with the kind and ACLED interaction code read from
  inter1/inter2 (a code 1–8 or its label);
- a claim (external id `acled:<event_id_cnty>`) by the claimant "ACLED", carried by a document
  (`acled:<event_id_cnty>`) whose text is the row's notes, source and source_scale; fatalities
  above 0 become one casualty figure, killed, exact (civilians when civilian_targeting is set,
  else unknown); ACLED's 0 (none reported) writes no figure and the statement says so (a figure
  an earlier import wrote is set to 0 by a corrected file, never deleted).
"""

from __future__ import annotations

from decimal import Decimal

from conflictdb.csvio import columns as c
from conflictdb.csvio.headers import HeaderField
from conflictdb.csvio.keys import KeyResolver
from conflictdb.csvio.layouts import ADD, CHANGE, FlatRow, apply_flat, permissions
from conflictdb.csvio.values import CellError, parse_date, parse_decimal, parse_int
from conflictdb.names import normalise_name
from conflictdb.upsert import upsert
from events import naming
from events.models import Actor, CasualtyFigure, Claim, Event, EventActor, EventLocation, Location
from events.places import PlaceIndex
from events.vocabularies import DatePrecision, EventType, PlacePrecision, Qualifier, SubEventType
from sources.models import Document, Source

NAME = "acled"
CLAIMANT = "ACLED"
ATTRIBUTION = "Armed Conflict Location & Event Data Project (ACLED), acleddata.com"
NEAR_KM = 30
F = HeaderField
_REQUIRED = ("event_id_cnty", "event_date", "event_type", "sub_event_type", "actor1", "admin1", "location",
             "latitude", "longitude", "geo_precision", "fatalities")
_ALL = ("event_id_cnty", "event_date", "year", "time_precision", "disorder_type", "event_type", "sub_event_type",
        "actor1", "assoc_actor_1", "inter1", "actor2", "assoc_actor_2", "inter2", "interaction",
        "civilian_targeting", "iso", "region", "country", "admin1", "admin2", "admin3", "location", "latitude",
        "longitude", "geo_precision", "source", "source_scale", "notes", "fatalities", "tags", "timestamp")
FIELDS = tuple(F(name, required=name in _REQUIRED) for name in _ALL)
WRITES = {
    Source: (ADD, CHANGE),  # the claimant "ACLED"
    Actor: (ADD,),
    Location: (ADD, CHANGE),  # a place the gazetteer lacks, kept by its external id
    Document: (ADD, CHANGE),
    Event: (ADD, CHANGE),
    EventLocation: (ADD, CHANGE),
    EventActor: (ADD,),
    Claim: (ADD, CHANGE),
    CasualtyFigure: (ADD, CHANGE),
}
PERMISSIONS = permissions(WRITES)
TIME_PRECISION = {"1": DatePrecision.DAY, "2": DatePrecision.WEEK, "3": DatePrecision.MONTH}
INTER = {  # ACLED interaction codes and labels → our actor kinds
    1: ("state forces", Actor.Kind.STATE_FORCES), 2: ("rebel groups", Actor.Kind.REBEL_GROUP),
    3: ("political militias", Actor.Kind.MILITIA), 4: ("identity militias", Actor.Kind.MILITIA),
    5: ("rioters", Actor.Kind.UNKNOWN), 6: ("protesters", Actor.Kind.CIVILIANS),
    7: ("civilians", Actor.Kind.CIVILIANS), 8: ("external/other forces", Actor.Kind.FOREIGN_STATE_FORCES),
}
SOURCE_FIELDS = ("notes", "source", "source_scale", "tags")


def _label(choices, text, column, row):
    folded = " ".join(text.lower().split())
    for value, label in choices:
        if folded in (str(label).lower(), value.replace("_", " "), value):
            return value
    raise row.error(column, f"expected one of ACLED's labels: {', '.join(str(label) for _v, label in choices)}")


class _Acled:
    def __init__(self, user, dayfirst):
        self.dayfirst = dayfirst
        self.resolver = KeyResolver(user)
        self.acled, _ = upsert(Source, {"name": CLAIMANT}, {"kind": Source.Kind.MONITOR,
                                                           "url": "https://acleddata.com/"})
        self.actors: dict[str, Actor] = {}
        self.areas: dict = {}
        self.index = None

    def forget(self):
        self.actors.clear()
        self.areas.clear()
        self.index = None
        self.resolver.forget()

    def row(self, writer, row):
        try:
            self._row(writer, row)
        except Exception:
            self.forget()
            raise

    def _row(self, writer, row: FlatRow):
        ident = row.value("event_id_cnty")
        if not ident:
            raise row.error("event_id_cnty", "this field is required (ACLED's stable event id)", "")
        try:
            day = parse_date(row.value("event_date"), dayfirst=self.dayfirst)
        except CellError as error:
            raise row.error("event_date", str(error)) from error
        if day is None:
            raise row.error("event_date", "this field is required", "")
        event_type = _label(EventType.choices, row.value("event_type"), "event_type", row)
        sub_type = _label(SubEventType.choices, row.value("sub_event_type"), "sub_event_type", row)
        precision_code = row.value("time_precision") or "1"
        if precision_code not in TIME_PRECISION:
            raise row.error("time_precision", "expected 1 (day), 2 (week) or 3 (month)")
        try:
            fatalities = parse_int(row.value("fatalities"), minimum=0)
        except CellError as error:
            raise row.error("fatalities", str(error)) from error
        if fatalities is None:
            raise row.error("fatalities", "this field is required (0 when none were reported)", "")
        place, place_precision = self.place(writer, row)
        targeting = bool(row.value("civilian_targeting"))
        side_a = self.actor(row, "actor1", "inter1")
        side_b = self.actor(row, "actor2", "inter2") if row.value("actor2") else None
        title = f"{row.value('sub_event_type')}: {place.name}"
        event, status = upsert(Event, {"external_id": f"acled:{ident}"}, {
            "acled_id": ident[:30], "title": title[:300], "summary": row.value("notes"),
            "event_type": event_type, "sub_event_type": sub_type, "date_start": day, "date_end": day,
            "date_precision": TIME_PRECISION[precision_code], "civilian_targeting": targeting})
        writer.note(status)
        writer.note(upsert(EventLocation, {"event": event, "location": place, "role": EventLocation.Role.SITE},
                           {"precision": place_precision})[1])
        links = [(side_a, EventActor.Role.SIDE_A)] + ([(side_b, EventActor.Role.SIDE_B)] if side_b else [])
        for column in ("assoc_actor_1", "assoc_actor_2"):
            for name in filter(None, (part.strip() for part in row.value(column).split(";"))):
                links.append((self.actor_named(row, column, name, None), EventActor.Role.ASSOCIATED))
        for actor, role in links:
            writer.note(upsert(EventActor, {"event": event, "actor": actor, "role": role}, {})[1])
        document, status = upsert(Document, {"external_id": f"acled:{ident}"}, {
            "publisher": self.acled, "title": f"ACLED event {ident}"[:500], "published_on": day, "language": "en",
            "text": "\n".join(f"{name}: {row.value(name)}" for name in SOURCE_FIELDS if row.value(name)),
            "notes": ATTRIBUTION})
        writer.note(status)
        told = f"{fatalities} fatalities" if fatalities else "no fatalities reported"
        claim, status = upsert(Claim, {"external_id": f"acled:{ident}"}, {
            "event": event, "document": document, "claimant": self.acled,
            "statement": f"ACLED: {row.value('sub_event_type')} at {place.name}, {told}."[:2000],
            "date_start": day, "date_end": day, "date_precision": TIME_PRECISION[precision_code]})
        writer.note(status)
        identity = {"claim": claim, "affiliation": None, "subgroup": "", "outcome": CasualtyFigure.Outcome.KILLED,
                    "place": place}
        category = CasualtyFigure.Category.CIVILIAN if targeting else CasualtyFigure.Category.UNKNOWN
        # ACLED's 0 is "none reported": no figure, unless an earlier import wrote one (a corrected
        # file then sets it to 0; nothing is deleted).
        if fatalities or CasualtyFigure.objects.filter(**identity).exists():
            writer.note(upsert(CasualtyFigure, identity, {
                "category": category, "low": fatalities, "high": fatalities, "qualifier": Qualifier.EXACT,
                "wording": f"{fatalities} (ACLED fatalities)", "date": day})[1])

    # --- places -------------------------------------------------------------------------------

    def resolve(self, name, **scope):
        if self.index is None:
            self.index = PlaceIndex.build()
        return naming.one_place_id(name, index=self.index, **scope)

    def governorate(self, row):
        name = row.value("admin1")
        if not name:
            raise row.error("admin1", "the governorate is needed to place the event", "")
        if name not in self.areas:
            try:
                found = Location.objects.get(pk=self.resolve(name, kinds=[Location.Kind.GOVERNORATE]))
            except naming.PlaceNotResolved as error:
                raise row.error("admin1", error.resolution.message) from error
            self.areas[name] = found
        return self.areas[name]

    def district(self, row, governorate):
        name = row.value("admin2")
        if not name:
            return None
        if (name, governorate.pk) not in self.areas:
            try:
                found = Location.objects.get(pk=self.resolve(name, within=governorate,
                                                             kinds=[Location.Kind.DISTRICT]))
            except naming.PlaceNotResolved:
                found = None  # a district the gazetteer lacks: the governorate will do
            self.areas[(name, governorate.pk)] = found
        return self.areas[(name, governorate.pk)]

    def place(self, writer, row):
        code = row.value("geo_precision")
        if code not in ("1", "2", "3"):
            raise row.error("geo_precision", "expected 1 (exact), 2 (near) or 3 (a larger region)")
        governorate = self.governorate(row)
        district = self.district(row, governorate)
        if code == "3":
            return (district, PlacePrecision.ADMIN2) if district else (governorate, PlacePrecision.ADMIN1)
        try:
            latitude, longitude = parse_decimal(row.value("latitude")), parse_decimal(row.value("longitude"))
        except CellError as error:
            raise row.error("latitude", str(error)) from error
        if latitude is None or longitude is None:
            raise row.error("latitude", "ACLED gives coordinates for every event", "")
        name = " ".join(row.value("location").split())
        if not name:
            raise row.error("location", "this field is required", "")
        external_id = f"acled-place:{normalise_name(name)}:{governorate.pcode}"[:100]
        created_before = Location.objects.filter(external_id=external_id).first()
        precision = PlacePrecision.EXACT if code == "1" else PlacePrecision.NEAR
        if created_before is not None:
            return created_before, precision
        near = (float(latitude), float(longitude))
        try:
            return Location.objects.get(pk=self.resolve(name, within=governorate, near=near,
                                                        radius_km=NEAR_KM)), precision
        except naming.PlaceNotResolved as error:
            resolution = error.resolution
        if resolution.status == "ambiguous":
            raise row.error("location", resolution.message)
        place, status = upsert(Location, {"external_id": external_id}, {
            "name": name[:200], "kind": Location.Kind.COMMUNITY, "parent": district or governorate,
            "latitude": latitude.quantize(Decimal("0.00001")), "longitude": longitude.quantize(Decimal("0.00001")),
            "coordinate_precision": Location.CoordinatePrecision.EXACT if code == "1"
            else Location.CoordinatePrecision.APPROXIMATE,
            "attribution": ATTRIBUTION[:300]})
        writer.note(status)
        self.index = None  # the new place is matched by later rows
        return place, precision

    # --- actors -------------------------------------------------------------------------------

    def actor(self, row, column, inter_column):
        name = " ".join(row.value(column).split())
        if not name:
            raise row.error(column, "this field is required", "")
        return self.actor_named(row, column, name, self.inter(row, inter_column))

    def inter(self, row, column):
        text = row.value(column).lower()
        if not text:
            return None
        if text.isdigit() and int(text) in INTER:
            return int(text)
        for code, (label, _kind) in INTER.items():
            if text in (label, label.rstrip("s")):
                return code
        raise row.error(column, "expected an ACLED interaction code 1–8 or its label (State forces, Rebel "
                                "groups, Political militias, Identity militias, Rioters, Protesters, Civilians, "
                                "External/Other forces)")

    def actor_named(self, row, column, name, inter):
        if name in self.actors:
            return self.actors[name]
        table = self.resolver.named(c.ACTOR, naming.actor_spellings, "actor")
        if table["spellings"].get(normalise_name(name)):
            try:
                actor = Actor.objects.get(pk=self.resolver.resolve(c.ACTOR, name))
            except CellError as error:
                raise row.error(column, str(error), name) from error
        else:
            kind = INTER[inter][1] if inter else Actor.Kind.UNKNOWN
            actor = Actor.objects.create(name=name[:200], kind=kind, inter_code=inter)
            self.resolver.forget()
        self.actors[name] = actor
        return actor


def apply(table, outcome, *, user, dayfirst=False, progress=None, mapping=None):
    acled = _Acled(user, dayfirst)
    apply_flat(table, outcome, FIELDS, mapping=mapping, progress=progress, write_row=lambda writer, _number, row: acled.row(writer, row))
