"""Event layouts researchers already use: ACLED-style rows, UCDP-GED-style rows and HXL-tagged CSV
(export layouts, registered by events.csv.register; written by conflictdb.csvio.exporting).

One row per event. Its numbers come from the consensus figures (events.consensus: per event and
figure key, low / best / high across the event's claims, retracted and improbable claims left out),
never from summing claims, and follow three rules:

- a consensus figure all of whose figures are part of a larger one (officers among the soldiers
  killed, a woman among the wounded) is not added again — the rule of events.aggregates;
- unknown is not zero: a total is empty when no figure behind it has a number ("dozens",
  "the families of six others"); `high` is empty when any figure behind it is open-ended;
- ACLED's `fatalities` is the sum of the consensus *low* figures (ACLED records the lowest figure
  when reports conflict); UCDP's deaths_* and `best` sum the consensus *best* figures.

Sides come from the event's actors: side A (or the perpetrator) is ACLED actor1 / UCDP side_a,
side B (or the target) is actor2 / side_b. The place is the event's first "site" place (else its
first place); admin areas are its derived governorate and district. Sources are the claimants, as
conflictdb.protection lets the user see them; URLs of documents whose publisher is protected are
left out for users who may not see it.

Rows are built a chunk of events at a time: one query for the events and one per related table
per chunk, so memory and the number of queries per row stay flat.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator

from conflictdb import protection
from conflictdb.csvio.exporting import CHUNK_SIZE, _text
from events.models import CasualtyFigure, Claim, ConsensusFigure, Event, EventActor, EventLocation, Location
from events.vocabularies import EventType, SubEventType

ACLED_TIME_PRECISION = {"day": 1, "week": 2, "month": 3, "year": 3}
ACLED_GEO_PRECISION = {"exact": 1, "near": 2, "admin2": 2, "admin1": 3, "country": 3}
ACLED_DISORDER = {
    EventType.BATTLES: "Political violence",
    EventType.EXPLOSIONS: "Political violence",
    EventType.VIOLENCE_AGAINST_CIVILIANS: "Political violence",
    EventType.PROTESTS: "Demonstrations",
    EventType.RIOTS: "Demonstrations",
    EventType.STRATEGIC: "Strategic developments",
}
UCDP_DATE_PRECISION = {"day": 1, "week": 2, "month": 3, "year": 5}
UCDP_WHERE_PRECISION = {"exact": 1, "near": 2, "admin2": 3, "admin1": 4, "country": 6}
STATE_KINDS = {"state_forces", "foreign_state_forces"}
EVENT_TYPE_LABEL = dict(EventType.choices)
SUB_EVENT_TYPE_LABEL = dict(SubEventType.choices)

EVENT_FIELDS = ("pk", "external_id", "acled_id", "ucdp_id", "title", "summary", "event_type", "sub_event_type",
                "date_start", "date_end", "date_precision", "civilian_targeting")
PLACE_FIELDS = ("event_id", "role", "precision", "location__name", "location__pcode", "location__geonames_id",
                "location__kind", "location__latitude", "location__longitude", "location__parent__name",
                "location__admin1__name", "location__admin1__pcode", "location__admin1__parent__name",
                "location__admin2__name", "location__admin2__pcode")


class EventLayout:
    """The shared part: chunks of events with their actors, place, sources and consensus totals."""

    name = ""
    columns: tuple[tuple[str, str], ...] = ()  # (header, HXL hashtag)

    def __init__(self, user, queryset=None, chunk_size: int = CHUNK_SIZE, limit: int | None = None):
        self.user = user
        self.chunk_size = chunk_size
        queryset = Event.objects.all() if queryset is None else queryset
        queryset = queryset if queryset.query.order_by else queryset.order_by("date_start", "pk")
        self.queryset = queryset if limit is None else queryset[:limit]
        self.seen = protection.sight(user)
        self.header = [header for header, _tag in self.columns]
        self.header_rows = []

    def count(self) -> int | None:
        return self.queryset.count()

    def rows(self) -> Iterator[list]:
        chunk = []
        for event in self.queryset.values(*EVENT_FIELDS).iterator(chunk_size=self.chunk_size):
            chunk.append(event)
            if len(chunk) >= self.chunk_size:
                yield from self._rows(chunk)
                chunk = []
        if chunk:
            yield from self._rows(chunk)

    def _rows(self, events) -> Iterator[list]:
        ids = [event["pk"] for event in events]
        actors, places, sources, totals = self._actors(ids), self._places(ids), self._sources(ids), self._totals(ids)
        for event in events:
            pk = event["pk"]
            cells = self.cells(event, actors[pk], places.get(pk), sources[pk], totals[pk])
            yield [_text(value) if isinstance(value, str) else ("" if value is None else value) for value in cells]

    def cells(self, event, actors, place, sources, totals) -> list:
        raise NotImplementedError

    # --- related data, one query each per chunk ---

    def _actors(self, ids):
        actors = defaultdict(lambda: defaultdict(list))
        for event_id, role, actor_id, name, inter_code, kind in EventActor.objects.filter(event_id__in=ids).order_by(
                "pk").values_list("event_id", "role", "actor_id", "actor__name", "actor__inter_code", "actor__kind"):
            actors[event_id][role].append({"id": actor_id, "name": name, "inter": inter_code, "kind": kind})
        return actors

    def _places(self, ids):
        places = {}
        rows = EventLocation.objects.filter(event_id__in=ids).order_by("pk").values_list(*PLACE_FIELDS)
        for row in rows:
            place = dict(zip(PLACE_FIELDS, row, strict=True))
            current = places.get(place["event_id"])
            if current is None or (current["role"] != "site" and place["role"] == "site"):
                places[place["event_id"]] = _with_admin_areas(place)
        return places

    def _sources(self, ids):
        sources = defaultdict(lambda: {"names": [], "urls": []})
        for event_id, name, protected, label, url, publisher_protected in Claim.objects.filter(
                event_id__in=ids).order_by("pk").values_list(
                "event_id", "claimant__name", "claimant__protected", "claimant__public_label", "document__url",
                "document__publisher__protected"):
            entry = sources[event_id]
            shown = protection.source_name(self.user, name, protected, label)
            if shown not in entry["names"]:
                entry["names"].append(shown)
            url = protection.PUBLISHER_DETAIL.apply(self.seen, url, publisher_protected)
            if url and url != protection.PLACEHOLDER and url not in entry["urls"]:
                entry["urls"].append(url)
        return sources

    def _totals(self, ids):
        """Per event, the consensus figures that count (parts of larger figures left out)."""
        parts = set(CasualtyFigure.objects.filter(claim__event_id__in=ids, part_of__isnull=False)
                    .values_list("pk", flat=True))
        totals = defaultdict(list)
        for event_id, affiliation_id, category, outcome, low, best, high, basis in ConsensusFigure.objects.filter(
                event_id__in=ids).values_list("event_id", "affiliation_id", "category", "outcome", "low", "best",
                                              "high", "basis"):
            figures = {entry.get("figure") for entry in basis if entry.get("used")}
            if figures and figures <= parts:
                continue
            totals[event_id].append({"affiliation": affiliation_id, "category": category, "outcome": outcome,
                                     "low": low, "best": best, "high": high})
        return totals


def _with_admin_areas(place):
    kind = place["location__kind"]
    admin1 = (place["location__name"], place["location__pcode"]) if kind == Location.Kind.GOVERNORATE else \
        (place["location__admin1__name"], place["location__admin1__pcode"])
    admin2 = (place["location__name"], place["location__pcode"]) if kind == Location.Kind.DISTRICT else \
        (place["location__admin2__name"], place["location__admin2__pcode"])
    if kind == Location.Kind.COUNTRY:
        country = place["location__name"]
    elif kind == Location.Kind.GOVERNORATE:
        country = place["location__parent__name"]
    else:
        country = place["location__admin1__parent__name"]
    place.update(admin1=admin1, admin2=admin2, country=country or "",
                 ref=place["location__pcode"] or (f"geonames:{place['location__geonames_id']}"
                                                  if place["location__geonames_id"] else ""))
    return place


def total(figures, measure, outcome, match=lambda figure: True):
    """Sum of one measure over matching figures; None (unknown) when none of them has a number,
    and for "high" also when any of them is open-ended."""
    values = [figure[measure] for figure in figures if figure["outcome"] == outcome and match(figure)]
    if not values or all(value is None for value in values):
        return None
    if measure == "high" and any(value is None for value in values):
        return None
    return sum(value for value in values if value is not None)


def _names(actors):
    return "; ".join(actor["name"] for actor in actors)


def _place_cells(place):
    if place is None:
        return {"admin1": "", "admin1_pcode": "", "admin2": "", "admin2_pcode": "", "location": "",
                "location_ref": "", "latitude": None, "longitude": None, "precision": None, "country": ""}
    return {"admin1": place["admin1"][0] or "", "admin1_pcode": place["admin1"][1] or "",
            "admin2": place["admin2"][0] or "", "admin2_pcode": place["admin2"][1] or "",
            "location": place["location__name"], "location_ref": place["ref"],
            "latitude": place["location__latitude"], "longitude": place["location__longitude"],
            "precision": place["precision"], "country": place["country"]}


def _sides(actors):
    side_a = actors.get("side_a") or actors.get("perpetrator") or []
    side_b = actors.get("side_b") or actors.get("target") or []
    return side_a, side_b


class AcledLayout(EventLayout):
    name = "acled"
    columns = tuple((name, "") for name in (
        "event_id_cnty", "event_date", "year", "time_precision", "disorder_type", "event_type", "sub_event_type",
        "actor1", "assoc_actor_1", "inter1", "actor2", "assoc_actor_2", "inter2", "interaction",
        "civilian_targeting", "country", "admin1", "admin2", "location", "latitude", "longitude",
        "geo_precision", "source", "notes", "fatalities"))

    def cells(self, event, actors, place, sources, totals):
        side_a, side_b = _sides(actors)
        inter1 = side_a[0]["inter"] if side_a else None
        inter2 = side_b[0]["inter"] if side_b else None
        where = _place_cells(place)
        return [
            event["acled_id"] or event["external_id"], event["date_start"], event["date_start"].year,
            ACLED_TIME_PRECISION.get(event["date_precision"]), ACLED_DISORDER.get(event["event_type"], ""),
            EVENT_TYPE_LABEL.get(event["event_type"], ""), SUB_EVENT_TYPE_LABEL.get(event["sub_event_type"], ""),
            side_a[0]["name"] if side_a else "", _names(side_a[1:] + actors.get("associated", [])), inter1,
            side_b[0]["name"] if side_b else "", _names(side_b[1:]), inter2,
            int("".join(str(code) for code in sorted(c for c in (inter1, inter2) if c))) if inter1 or inter2 else None,
            "Civilian targeting" if event["civilian_targeting"] else "",
            where["country"], where["admin1"], where["admin2"], where["location"], where["latitude"],
            where["longitude"], ACLED_GEO_PRECISION.get(where["precision"]), "; ".join(sources["names"]),
            event["summary"] or event["title"], total(totals, "low", "killed"),
        ]


class UcdpGedLayout(EventLayout):
    name = "ucdp-ged"
    columns = tuple((name, "") for name in (
        "id", "relid", "year", "type_of_violence", "dyad_name", "side_a", "side_b", "source_article",
        "source_original", "where_prec", "where_coordinates", "adm_1", "adm_2", "latitude", "longitude",
        "country", "date_prec", "date_start", "date_end", "deaths_a", "deaths_b", "deaths_civilians",
        "deaths_unknown", "best", "high", "low"))

    def cells(self, event, actors, place, sources, totals):
        side_a, side_b = _sides(actors)
        a_ids, b_ids = {actor["id"] for actor in side_a}, {actor["id"] for actor in side_b}
        kinds = {actor["kind"] for role in actors.values() for actor in role}
        if event["event_type"] == EventType.VIOLENCE_AGAINST_CIVILIANS or event["civilian_targeting"]:
            violence = 3  # one-sided
        else:
            violence = 1 if kinds & STATE_KINDS else 2  # state-based, else non-state
        where = _place_cells(place)

        def is_unknown(figure):
            return figure["category"] != "civilian" and figure["affiliation"] not in a_ids | b_ids

        return [
            event["ucdp_id"] or event["external_id"], event["external_id"], event["date_start"].year, violence,
            " - ".join(part for part in (_names(side_a), _names(side_b)) if part), _names(side_a), _names(side_b),
            "; ".join(sources["urls"]), "; ".join(sources["names"]), UCDP_WHERE_PRECISION.get(where["precision"]),
            where["location"], where["admin1"], where["admin2"], where["latitude"], where["longitude"],
            where["country"], UCDP_DATE_PRECISION.get(event["date_precision"]), event["date_start"], event["date_end"],
            total(totals, "best", "killed", lambda f: f["affiliation"] in a_ids and f["category"] != "civilian"),
            total(totals, "best", "killed", lambda f: f["affiliation"] in b_ids and f["category"] != "civilian"),
            total(totals, "best", "killed", lambda f: f["category"] == "civilian"),
            total(totals, "best", "killed", is_unknown),
            total(totals, "best", "killed"), total(totals, "high", "killed"), total(totals, "low", "killed"),
        ]


class HxlLayout(EventLayout):
    """Events with an HXL hashtag row under the header (https://hxlstandard.org)."""

    name = "hxl"
    columns = (
        ("event_id", "#event+id"), ("date_start", "#date+start"), ("date_end", "#date+end"),
        ("event_type", "#event+type"), ("sub_event_type", "#event+type+sub"), ("title", "#description+title"),
        ("country", "#country+name"), ("admin1", "#adm1+name"), ("admin1_pcode", "#adm1+code"),
        ("admin2", "#adm2+name"), ("admin2_pcode", "#adm2+code"), ("location", "#loc+name"),
        ("location_ref", "#loc+code"), ("latitude", "#geo+lat"), ("longitude", "#geo+lon"),
        ("actors_side_a", "#group+name+side_a"), ("actors_side_b", "#group+name+side_b"),
        ("killed", "#affected+killed"), ("injured", "#affected+injured"), ("captured", "#affected+captured"),
        ("sources", "#meta+source"), ("urls", "#meta+url"),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.header_rows = [[tag for _header, tag in self.columns]]

    def cells(self, event, actors, place, sources, totals):
        side_a, side_b = _sides(actors)
        where = _place_cells(place)
        return [
            event["external_id"], event["date_start"], event["date_end"], EVENT_TYPE_LABEL.get(event["event_type"], ""),
            SUB_EVENT_TYPE_LABEL.get(event["sub_event_type"], ""), event["title"], where["country"],
            where["admin1"], where["admin1_pcode"], where["admin2"], where["admin2_pcode"], where["location"],
            where["location_ref"], where["latitude"], where["longitude"], _names(side_a), _names(side_b),
            total(totals, "best", "killed"), total(totals, "best", "injured"), total(totals, "best", "captured"),
            "; ".join(sources["names"]), "; ".join(sources["urls"]),
        ]


LAYOUTS = (AcledLayout, UcdpGedLayout, HxlLayout)  # registered in this order by events.csv.register
