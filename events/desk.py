"""The editor's desk: a document's text, its claimed passages highlighted, and one form that turns
a selected passage into an excerpt, a claim and what the claim states.

The desk is an admin door. It adds no rule of its own: names are resolved by the domain's
resolvers (events.selectors.find_locations → events.places for places, find_actors for actors,
the alias tables' exact key for sources and equipment), every record is validated by the
model's own full_clean and written by save() (prepare_write anchors the quote), inside
`acting(user, Channel.ADMIN)` and one transaction: a claim is saved whole or not at all.

Errors come back keyed by the form's field paths ("equipment_losses.2.places") with the value
and what was expected, so the page shows them beside what was typed and keeps it.
"""

from __future__ import annotations

import datetime
import json
import re

from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.http import JsonResponse
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.dateparse import parse_date
from django.views.decorators.http import require_POST

from conflictdb.csvio.values import CellError
from conflictdb.names import normalise_name
from conflictdb.provenance import Channel, acting
from events.models import (
    Actor,
    ActorAlias,
    Attack,
    CasualtyFigure,
    Claim,
    ClaimExcerpt,
    Displacement,
    DisplacementPlace,
    EquipmentLoss,
    EquipmentType,
    EquipmentTypeAlias,
    Event,
    Location,
    LocationAlias,
    TerritorialChange,
)
from events.csv.quantities import parse_quantity as parse_csv_quantity
from events.selectors import PlaceNotResolved, find_actors, find_locations
from events.vocabularies import Qualifier
from sources.models import Document, Excerpt, Source

ADD_CLAIM = "events.add_claim"

# Which admin autocomplete endpoint (app, model, field) serves each kind of name in the form:
# the admin's own search, aliases and the place matcher included.
AUTOCOMPLETE = {
    "claimant": ("events", "claim", "claimant"),
    "event": ("events", "claim", "event"),
    "actor": ("events", "territorialchange", "gaining"),
    "place": ("events", "territorialchange", "place"),
    "equipment_type": ("events", "equipmentloss", "equipment_type"),
}


def desk_urls(model_admin):
    """URLs for ClaimAdmin.get_urls (claims are what the desk adds)."""
    wrap = model_admin.admin_site.admin_view
    return [
        path("desk/<int:document_id>/", wrap(lambda request, document_id: desk_view(model_admin, request, document_id)),
             name="events_claim_desk"),
        path("desk/<int:document_id>/claims/",
             wrap(lambda request, document_id: create_claim_view(request, document_id)),
             name="events_claim_desk_claims"),
        path("desk/<int:document_id>/passage/",
             wrap(lambda request, document_id: passage_names_view(request, document_id)),
             name="events_claim_desk_passage"),
    ]


def _require_desk(request):
    if not request.user.has_perm(ADD_CLAIM):
        raise PermissionDenied("The desk adds claims: it needs permission to add claims.")


# --- reading the page -------------------------------------------------------------------------


def highlights(document) -> list[dict]:
    """Every quoted passage of the document with the claims resting on it, in text order."""
    links = (ClaimExcerpt.objects.filter(excerpt__document=document)
             .select_related("excerpt", "claim").order_by("excerpt__start", "excerpt__end", "claim_id"))
    by_span: dict[int, dict] = {}
    for link in links:
        excerpt = link.excerpt
        entry = by_span.setdefault(excerpt.pk, {"excerpt": excerpt.pk, "start": excerpt.start, "end": excerpt.end,
                                                "claims": []})
        entry["claims"].append({"id": link.claim_id, "label": str(link.claim),
                                "url": reverse("admin:events_claim_change", args=[link.claim_id])})
    return list(by_span.values())


RECENT_LIMIT = 10


EVENT_WINDOW = datetime.timedelta(days=3)


def _recent(document) -> dict:
    """One-click choices: the claimants and events of this document's claims (latest first), its
    publisher and the publishers it derives from, then events dated around its publication."""
    claims = (Claim.objects.filter(document=document).select_related("claimant", "event")
              .order_by("-created_at", "-pk")[:200])
    recent = {"claimant": {}, "event": {}}

    def offer(name, record):
        if record is not None and len(recent[name]) < RECENT_LIMIT:
            recent[name].setdefault(record.pk, {"id": record.pk, "text": str(record)})

    for claim in claims:
        offer("claimant", claim.claimant)
        offer("event", claim.event)
    for origin in document.provenance_chain():
        offer("claimant", origin.publisher)
    if document.published_on:
        day = document.published_on
        around = Event.objects.filter(date_start__lte=day + EVENT_WINDOW, date_end__gte=day - EVENT_WINDOW)
        for event in around.order_by("-date_start", "title")[:RECENT_LIMIT]:
            offer("event", event)
    return {name: list(records.values()) for name, records in recent.items()}


def _defaults(document) -> dict:
    """What the form starts with: the last claim entered on this document, else its date."""
    last = (Claim.objects.filter(document=document).select_related("claimant", "event")
            .order_by("-created_at", "-pk").first())
    day = document.published_on.isoformat() if document.published_on else ""
    if last is None:
        return {"claimant": None, "event": None, "date_start": day, "date_end": day, "credibility": 6,
                "recent": _recent(document)}
    return {
        "recent": _recent(document),
        "claimant": {"id": last.claimant_id, "text": str(last.claimant)},
        "event": {"id": last.event_id, "text": str(last.event)} if last.event_id else None,
        "date_start": last.date_start.isoformat() if last.date_start else day,
        "date_end": last.date_end.isoformat() if last.date_end else day,
        "credibility": last.credibility,
    }


def _choices(model, name):
    return [[value, label] for value, label in model._meta.get_field(name).choices]


def desk_view(model_admin, request, document_id):
    _require_desk(request)
    document = get_object_or_404(Document.objects.select_related("publisher"), pk=document_id)
    config = {
        "document": {"id": document.pk, "title": document.title, "language": document.language,
                     "text": document.text},
        "urls": {
            "claims": reverse("admin:events_claim_desk_claims", args=[document.pk]),
            "passage": reverse("admin:events_claim_desk_passage", args=[document.pk]),
            "autocomplete": reverse("admin:autocomplete"),
        },
        "autocomplete": {kind: dict(zip(("app_label", "model_name", "field_name"), spec, strict=True))
                         for kind, spec in AUTOCOMPLETE.items()},
        "highlights": highlights(document),
        "defaults": _defaults(document),
        "choices": {
            "credibility": _choices(Claim, "credibility"),
            "stance": _choices(Claim, "stance"),
            "category": _choices(CasualtyFigure, "category"),
            "subgroup": _choices(CasualtyFigure, "subgroup"),
            "outcome": _choices(CasualtyFigure, "outcome"),
            "equipment_status": _choices(EquipmentLoss, "status"),
            "territory_kind": _choices(TerritorialChange, "kind"),
            "attack_kind": _choices(Attack, "kind"),
            "displacement_unit": _choices(Displacement, "unit"),
        },
    }
    context = {
        **model_admin.admin_site.each_context(request),
        "title": f"Desk: {document.title}",
        "document": document,
        "text_direction": "rtl" if document.language.split("-")[0] in RTL_LANGUAGES else "ltr",
        "desk_config": config,
        "opts": Claim._meta,
        "document_url": reverse("admin:sources_document_change", args=[document.pk]),
    }
    return TemplateResponse(request, "admin/desk/desk.html", context)


RTL_LANGUAGES = {"ar", "fa", "he", "ur", "ps", "ku", "ckb", "syr", "dv", "yi"}


# --- names found in a passage -----------------------------------------------------------------


def _word_spans(text: str, longest: int = 5):
    """Every run of 1..longest words of the text, as (start, end, phrase)."""
    words = [(m.start(), m.end()) for m in re.finditer(r"[\w’'‘-]+", text)]
    for i in range(len(words)):
        for j in range(i, min(i + longest, len(words))):
            yield words[i][0], words[j][1], text[words[i][0]:words[j][1]]


def _found_names(text: str) -> list[dict]:
    """Each recorded spelling found in the text: kind, start, end, spelling and the record(s) it names.

    Exact alias keys only (conflictdb.names.normalise_name, the key every alias table stores):
    this offers what the database already knows, it never guesses a new spelling. Where spellings
    overlap the longest wins ("western Aleppo countryside", not also "Aleppo" inside it). An
    equipment name also matches in the plural ("three tanks"): counts come before plurals.
    """
    spans = [(start, end, phrase, normalise_name(phrase)) for start, end, phrase in _word_spans(text)]
    keys = {key for *_rest, key in spans if key}
    keys |= {key[:-1] for key in keys if key.endswith("s")}
    tables = {
        "places": (LocationAlias, "location"),
        "actors": (ActorAlias, "actor"),
        "equipment_types": (EquipmentTypeAlias, "equipment_type"),
    }
    found = []
    for kind, (alias_model, target) in tables.items():
        records: dict[str, list] = {}
        for alias in alias_model.objects.filter(normalised__in=keys).select_related(target).order_by("pk"):
            records.setdefault(alias.normalised, []).append(getattr(alias, target))
        kept = []
        for start, end, phrase, key in sorted(spans, key=lambda span: span[0] - span[1]):
            if key not in records and kind == "equipment_types" and key.endswith("s"):
                key = key[:-1]
            if key not in records or any(start < other_end and other_start < end for other_start, other_end in kept):
                continue
            kept.append((start, end))
            found.append({"kind": kind, "start": start, "end": end, "spelling": phrase, "records": records[key]})
    return sorted(found, key=lambda name: (name["start"], name["kind"]))


def names_in_passage(text: str, found: list[dict] | None = None) -> dict:
    """The places, actors and equipment types whose recorded spellings occur in the passage (chips)."""
    result = {"places": [], "actors": [], "equipment_types": []}
    seen = set()
    found = found if found is not None else _found_names(text)
    # One spelling, several places (the two Neirabs): each is offered, named with its parent.
    parents = Location.objects.in_bulk({record.parent_id for name in found if len(name["records"]) > 1
                                        for record in name["records"] if getattr(record, "parent_id", None)})
    for name in found:
        homonyms = name["records"]
        for record in homonyms:
            if (name["kind"], record.pk) in seen:
                continue
            seen.add((name["kind"], record.pk))
            label = str(record)
            if len(homonyms) > 1 and getattr(record, "parent_id", None):
                label = f"{record} ({parents[record.parent_id]})"
            result[name["kind"]].append({"id": record.pk, "name": label, "spelling": name["spelling"],
                                         "at": name["start"]})
    return result


def passage_names_view(request, document_id):
    _require_desk(request)
    document = get_object_or_404(Document, pk=document_id)
    try:
        spans = list(zip(map(int, request.GET.getlist("start")), map(int, request.GET.getlist("end")), strict=True))
    except ValueError:
        spans = []
    if not spans:
        return JsonResponse({"errors": {"quote": ["Give start and end as whole numbers."]}}, status=400)
    passages = [document.text[max(0, start):max(0, end)] for start, end in spans]
    # Chips for the last passage selected; drafts from all the claim's passages together
    # ("in the areas of A, B and C" … "heavy shelling has been reported in these areas").
    passage = _Passage(" … ".join(passages))
    chips = names_in_passage(passages[-1], passage.names if len(passages) == 1 else None)
    return JsonResponse({**chips, "drafts": draft_rows(passage)})


# --- quantities as written --------------------------------------------------------------------

NUMBER_WORDS = {
    "a": 1, "an": 1, "one": 1, "single": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
    "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14,
    "fifteen": 15, "sixteen": 16, "seventeen": 17, "eighteen": 18, "nineteen": 19, "twenty": 20,
    "thirty": 30, "forty": 40, "fifty": 50, "hundred": 100,
}
WORD_QUALIFIERS = {
    "dozens": Qualifier.DOZENS, "hundreds": Qualifier.HUNDREDS, "several": Qualifier.SEVERAL,
    "few": Qualifier.A_FEW, "many": Qualifier.MULTIPLE, "multiple": Qualifier.MULTIPLE,
    "numerous": Qualifier.MULTIPLE, "unknown": Qualifier.UNKNOWN, "large": Qualifier.UNKNOWN,
}
_NUMBER = r"(\d+|" + "|".join(sorted(NUMBER_WORDS, key=len, reverse=True)) + r")"
QUANTITY_HELP = ('a number as written: "10", "ten", "a tank", "more than 35", "at least 2", "3-5", '
                 '"about 20", "up to 40", "dozens", "several", "unknown"')


def _number(word: str) -> int:
    return int(word) if word.isdigit() else NUMBER_WORDS[word]


def parse_quantity(written: str) -> dict:
    """low / high / qualifier / wording from a number as a report writes it (wording kept as typed)."""
    wording = (written or "").strip()
    text = " " + re.sub(r"\s+", " ", wording.casefold()) + " "
    if not wording:
        raise ValidationError(f"A number is required: {QUANTITY_HELP}.")
    # A number typed on its own is read by the one strict reader the CSV import uses ("under 10",
    # "as many as 40", "1,200", "35+"); the patterns below only find a number inside a phrase
    # ("a tank", "ten fighters").
    try:
        strict = parse_csv_quantity(wording)
    except CellError:
        strict = None
    if strict is not None:
        return {**strict, "qualifier": Qualifier(strict["qualifier"]), "wording": wording}
    patterns = [
        (rf" (?:between )?{_NUMBER} ?(?:-|–|to|and) ?{_NUMBER} ",
         lambda a, b: {"low": _number(a), "high": _number(b), "qualifier": Qualifier.RANGE}),
        (rf" (?:more than|over|above) {_NUMBER} ", lambda a: {"low": _number(a) + 1, "qualifier": Qualifier.MORE_THAN}),
        (rf" at least {_NUMBER} ", lambda a: {"low": _number(a), "qualifier": Qualifier.AT_LEAST}),
        (rf" (?:at most|up to|fewer than|less than) {_NUMBER} ",
         lambda a: {"high": _number(a), "qualifier": Qualifier.AT_MOST}),
        (rf" (?:about|around|approximately|some|nearly) {_NUMBER} ",
         lambda a: {"low": _number(a), "high": _number(a), "qualifier": Qualifier.ABOUT}),
    ]
    for pattern, build in patterns:
        match = re.search(pattern, text)
        if match:
            return {"low": None, "high": None, "wording": wording, **build(*match.groups())}
    for word, qualifier in WORD_QUALIFIERS.items():
        if re.search(rf"\b{word}\b", text):
            return {"low": None, "high": None, "qualifier": qualifier, "wording": wording}
    match = re.search(rf" {_NUMBER} ", text)
    if match:
        number = _number(match.group(1))
        return {"low": number, "high": number, "qualifier": Qualifier.EXACT, "wording": wording}
    raise ValidationError(f"“{wording}” is not a number the desk can read: write {QUANTITY_HELP}.")


# --- drafting rows from the passage -----------------------------------------------------------
#
# The desk proposes rows for what a passage states so that the editor confirms or corrects rather
# than types. Drafts are only shown in the form: nothing is written until the editor saves, and
# each draft row is dropped with its × (or all with "Drop drafts"). The rules are deliberately
# plain reading of the sentence (a count before a name, the verb after it, the places after the
# things); names come from the alias tables (_found_names), numbers from parse_quantity.
# A field a draft leaves out keeps what the form would carry (the row above, the last claim).

_COUNT = (r"(?:(?:more than|over|above|at least|at most|up to|fewer than|less than|about|around|approximately"
          r"|nearly|some)\s+)?(?:\d+|dozens|hundreds|several|a few|many|multiple|numerous|"
          + "|".join(sorted(NUMBER_WORDS, key=len, reverse=True)) + r")\b")
FIGURE_PATTERN = re.compile(
    rf"(?<![+\w])(?P<quantity>{_COUNT})(?P<who>(?:\s+[\w’'-]+){{0,6}}?)"
    r"(?:,\s+including\s+(?P<part>[^,]+),)?\s+(?:was|were|have been|has been|had been)\s+(?:reportedly\s+)?"
    r"(?P<outcome>killed|wounded|injured|captured|detained|arrested|abducted|kidnapped|missing)\b",
    re.IGNORECASE)
OUTCOMES = {"killed": "killed", "wounded": "injured", "injured": "injured", "captured": "captured",
            "detained": "captured", "arrested": "captured", "abducted": "abducted", "kidnapped": "abducted",
            "missing": "missing"}
SUBGROUPS = {"child": "child", "children": "child", "boy": "child", "boys": "child", "girl": "child",
             "girls": "child", "woman": "woman", "women": "woman", "officer": "officer", "officers": "officer",
             "family": "family", "families": "family", "journalist": "journalist", "journalists": "journalist"}
CIVILIAN_WORDS = {"civilian", "civilians", "child", "children", "boy", "boys", "girl", "girls", "woman", "women"}
# The first of these in the passage says what kind of attack it reports.
ATTACK_KINDS = [(r"missile (?:strike|attack)s?", "missile_strike"), (r"drone strikes?", "drone_strike"),
                (r"air ?strikes?|air raids?|warplanes", "air_strike"), (r"rockets?\b", "rocket_fire"),
                (r"shelling|shelled|bombardment", "shelling")]
WEAPONS = [(r"warplanes", "warplanes"), (r"rocket launchers", "rocket launchers"), (r"artillery", "artillery"),
           (r"missiles?", "missiles"), (r"drones?", "drones")]
TERRITORY_VERBS = re.compile(r"\b(?:captur\w*|took control|taken control|seiz\w*|liberat\w*|overr[au]n)",
                             re.IGNORECASE)
EQUIPMENT_STATUS = [(r"seiz|captur", "captured"), (r"destroy", "destroyed"), (r"neutrali[sz]|damag|disabl", "damaged"),
                    (r"abandon", "abandoned")]
DISPLACEMENT = re.compile(r"\b(?:(?:a|an)\s+)?(?:[\w-]+\s+)?displacement(?:\s+of\s+[\w-]+)?"
                          r"|\b(?:were|was|have been|has been) displaced\b|\bfled\b", re.IGNORECASE)
TOWARDS = re.compile(r"\b(?:towards?|into|to the)\b", re.IGNORECASE)
# A place attacked without a count of its own was hit at least once (the convention the seed
# article's description follows: seeds/article_000_edd5ec991ef37588.yaml).
AT_LEAST_ONCE = "at least 1"
PLACE_KIND_WORDS = {"governorate": "governorate", "province": "governorate", "district": "district",
                    "city": "community", "town": "community", "village": "community"}


def _ref(record):
    return {"id": record.pk, "text": str(record)} if record is not None else None


def _count_before(text: str, start: int, end: int) -> str:
    """The count written just before a name, with the name ("three tanks", "a tank"); else "1"."""
    match = re.search(rf"(?<![+\w])({_COUNT})\s+$", text[:start], re.IGNORECASE)
    return text[match.start(1):end] if match else "1"


class _Passage:
    """The passage's names in text order, with homonyms settled by the other places named with them."""

    def __init__(self, text):
        self.text = text
        self.names = _found_names(text)
        # The admin hierarchy above every place named, one query per level (not per place).
        self._parent = {record.pk: record.parent_id for name in self.of_kind("places") for record in name["records"]}
        frontier = set(self._parent.values()) - set(self._parent) - {None}
        while frontier:
            self._parent.update(Location.objects.filter(pk__in=frontier).values_list("pk", "parent_id"))
            frontier = set(self._parent.values()) - set(self._parent) - {None}

    def ancestors(self, place) -> set[int]:
        chain, parent_id = set(), self._parent.get(place.pk)
        while parent_id and parent_id not in chain:
            chain.add(parent_id)
            parent_id = self._parent.get(parent_id)
        return chain

    def of_kind(self, kind, start=0, end=None):
        end = len(self.text) if end is None else end
        return [name for name in self.names if name["kind"] == kind and start <= name["start"] < end]

    def places(self, start=0, end=None, areas=True) -> list:
        """Places named in [start, end), in order. A place that contains another named place is only
        context ("the northern Idlib towns of Atmeh"); so is an informal area when areas=False.
        A spelling several places share is settled by the word after it ("Aleppo governorate"),
        else the town before the district named after it, else the one in the same governorate as
        the other places named; one still unsettled is left for the editor."""
        found = self.of_kind("places", start, end)
        settled = [name["records"][0] for name in found if len(name["records"]) == 1]
        regions = {place.admin1_id for place in settled} - {None}
        places = []
        for name in found:
            records = name["records"]
            if len(records) > 1:
                following = re.match(r"\s+(\w+)", self.text[name["end"]:])
                kind = PLACE_KIND_WORDS.get(following.group(1).lower()) if following else None
                records = [record for record in records if record.kind == kind] or records
            if len(records) > 1:
                others = [other for each in found if each is not name for other in each["records"]]
                if any(record.pk in self.ancestors(other) for record in records for other in others):
                    continue
                records = [record for record in records
                           if not any(record.pk in self.ancestors(other) for other in records if other != record)]
            if len(records) > 1:
                records = [record for record in records if record.admin1_id in regions]
            if len(records) == 1 and records[0] not in places:
                places.append(records[0])
        contained = set().union(*(self.ancestors(place) for place in places)) if places else set()
        return [place for place in places if place.pk not in contained
                and (areas or place.kind != Location.Kind.AREA)]

    def actors(self, start=0, end=None) -> list:
        actors = []
        for name in self.of_kind("actors", start, end):
            for record in name["records"]:
                if record not in actors:
                    actors.append(record)
        return actors

    def actor_before(self, position):
        """The actor named last before a verb: its subject ("opposition forces seized")."""
        names = self.of_kind("actors", 0, position)
        return names[-1]["records"][0] if names else None


def _figures(passage, figure_spans):
    rows = []
    for match in FIGURE_PATTERN.finditer(passage.text):
        figure_spans.append(match.span())
        words = set(re.findall(r"[\w-]+", match.group("who").lower()))
        actors = passage.actors(*match.span("who"))
        if words & CIVILIAN_WORDS:
            category, affiliation = "civilian", None
        elif len(actors) == 1:
            category, affiliation = "combatant", actors[0]
        elif actors:
            category, affiliation = "combatant", None
        elif words == {"others"} and rows:  # "four others": the group of the figure before
            category, affiliation = rows[-1]["category"], rows[-1]["affiliation"]
        else:
            category, affiliation = "unknown", None
        places = passage.places()
        row = {"quantity": (match.group("quantity") + match.group("who")).strip(),
               "outcome": OUTCOMES[match.group("outcome").lower()], "category": category,
               "subgroup": next((SUBGROUPS[word] for word in words if word in SUBGROUPS), ""),
               "affiliation": affiliation, "place": places[0] if len(places) == 1 else None}
        rows.append(row)
        part = match.group("part")
        if part:  # ", including officers,": a part of the figure above, with its own count
            part_words = re.findall(r"[\w-]+", part.lower())
            counted = re.match(rf"({_COUNT})", part.strip(), re.IGNORECASE)
            # No count: a plural says two or more, a singular one.
            plural = part_words[-1].endswith("s") or part_words[-1] in ("women", "children")
            rows.append({**row, "quantity": part.strip() if counted else ("at least 2" if plural else "1"),
                         "subgroup": next((SUBGROUPS[word] for word in part_words if word in SUBGROUPS), ""),
                         "category": "civilian" if set(part_words) & CIVILIAN_WORDS else row["category"]})
    for row in rows:
        row["affiliation"], row["place"] = _ref(row["affiliation"]), _ref(row["place"])
    return rows


def _equipment(passage):
    names = passage.of_kind("equipment_types")
    verb = next(((pattern, status) for pattern, status in EQUIPMENT_STATUS
                 if re.search(pattern, passage.text, re.IGNORECASE)), None)
    if not names or not verb:  # "artillery shelling" names equipment but says nothing happened to it
        return []
    status = verb[1]
    captor = passage.actor_before(re.search(verb[0], passage.text, re.IGNORECASE).start()) \
        if status == "captured" else None
    rows = []
    for name in names:
        following = passage.places(name["end"], areas=False)
        row = {"equipment_type": _ref(name["records"][0]),
               "quantity": _count_before(passage.text, name["start"], name["end"]),
               "captor": _ref(captor), "places": [_ref(following[0])] if following else []}
        rows.append({**row, "status": status})
    return rows


def _territory(passage, figure_spans):
    text = list(passage.text)
    for start, end in figure_spans:  # "five soldiers were captured" is a figure, not a place taken
        text[start:end] = " " * (end - start)
    verb = TERRITORY_VERBS.search("".join(text))
    places = passage.places(areas=False)
    if not verb or not places or passage.of_kind("equipment_types"):
        return []
    row = {"places": [_ref(place) for place in places], "kind": "captured"}
    gaining = passage.actor_before(verb.start())
    if gaining is not None:
        row["gaining"] = _ref(gaining)
    return [row]


def _attacks(passage):
    found = [(match.start(), kind) for pattern, kind in ATTACK_KINDS
             for match in [re.search(pattern, passage.text, re.IGNORECASE)] if match]
    if not found:
        return []
    weapons = sorted((match.start(), weapon) for pattern, weapon in WEAPONS
                     for match in [re.search(rf"\b{pattern}\b", passage.text, re.IGNORECASE)] if match)
    actors = passage.actors()
    return [{"kind": min(found)[1], "perpetrator": _ref(actors[0]) if len(actors) == 1 else None,
             "places": [_ref(place) for place in passage.places(areas=False)], "target": "",
             "weapon": " and ".join(weapon for _at, weapon in weapons), "quantity": AT_LEAST_ONCE}]


def _displacements(passage):
    match = DISPLACEMENT.search(passage.text)
    if not match:
        return []
    towards = TOWARDS.search(passage.text, match.start())
    split = towards.start() if towards else len(passage.text)
    try:
        quantity = parse_quantity(match.group(0))["wording"]
    except ValidationError:
        quantity = "unknown"
    return [{"quantity": quantity, "unit": "people",
             "origins": [_ref(place) for place in passage.places(0, split)],
             "destinations": [_ref(place) for place in passage.places(split)]}]


def draft_rows(text: str | _Passage) -> dict:
    """Rows the passage seems to state, per form section, for the editor to check before saving."""
    passage = text if isinstance(text, _Passage) else _Passage(text)
    figure_spans: list = []
    return {
        "casualty_figures": _figures(passage, figure_spans),
        "equipment_losses": _equipment(passage),
        "territorial_changes": _territory(passage, figure_spans),
        "attacks": _attacks(passage),
        "displacements": _displacements(passage),
    }


# --- resolving names --------------------------------------------------------------------------


class Errors(dict):
    def add(self, key, message):
        self.setdefault(key, []).append(message)


def _reference(value) -> tuple[int | None, str]:
    if isinstance(value, dict):
        return value.get("id"), str(value.get("text") or "").strip()
    return None, str(value or "").strip()


def _one(queryset, what, text):
    found = list(queryset[:6])
    if len(found) == 1:
        return found[0]
    if not found:
        raise ValidationError(f"“{text}” names no {what} in the database: pick one from the list, or add it first.")
    names = "; ".join(str(record) for record in found[:5])
    raise ValidationError(f"“{text}” names {len(found)} {what}s ({names}): pick one from the list.")


def resolve_source(value):
    pk, text = _reference(value)
    if not pk and not text:
        raise ValidationError("Who makes this claim? Pick the claimant.")
    if pk:
        return _one(Source.objects.filter(pk=pk), "source", text or pk)
    return _one(Source.objects.filter(Q(name__iexact=text) | Q(aliases__normalised=normalise_name(text))).distinct(),
                "source", text)


def resolve_event(value):
    pk, text = _reference(value)
    if pk:
        return _one(Event.objects.filter(pk=pk), "event", text or pk)
    if not text:
        return None
    return _one(Event.objects.filter(title__iexact=re.sub(r"^\d{4}-\d\d-\d\d ", "", text)), "event", text)


def resolve_actor(value):
    pk, text = _reference(value)
    if pk:
        return _one(Actor.objects.filter(pk=pk), "actor", text or pk)
    if not text:
        return None
    return _one(find_actors(text), "actor", text)


def resolve_equipment_type(value):
    pk, text = _reference(value)
    if not pk and not text:
        raise ValidationError("Name the equipment type.")
    if pk:
        return _one(EquipmentType.objects.filter(pk=pk), "equipment type", text or pk)
    return _one(EquipmentType.objects.filter(
        Q(name__iexact=text) | Q(aliases__normalised=normalise_name(text))).distinct(), "equipment type", text)


def resolve_place(value):
    pk, text = _reference(value)
    if pk:
        return _one(Location.objects.filter(pk=pk), "place", text or pk)
    if not text:
        return None
    try:
        return _one(find_locations(text), "place", text)
    except PlaceNotResolved as error:
        raise ValidationError(f"“{text}”: {error.resolution.message}") from None


def resolve_places(value) -> list:
    """A list of places: [{"id", "text"}, …] or one comma-separated string of names."""
    items = value if isinstance(value, list) else [part for part in str(value or "").split(",")]
    places, problems = [], []
    for item in items:
        pk, text = _reference(item)
        if not pk and not text:
            continue
        try:
            places.append(resolve_place(item))
        except ValidationError as error:
            problems.extend(error.messages)
    if problems:
        raise ValidationError(problems)
    return places


# --- writing a claim --------------------------------------------------------------------------

QUANTITY_MODEL_FIELDS = {"low", "high", "qualifier", "wording"}


class _Builder:
    """Turns the posted form into unsaved records, collecting every error with its field path."""

    def __init__(self, document, data):
        self.document, self.data, self.errors = document, data, Errors()

    def field(self, key, resolve, value):
        try:
            return resolve(value)
        except ValidationError as error:
            for message in error.messages:
                self.errors.add(key, message)
            return None

    def choice(self, key, model, name, value, default=None):
        value = value if value not in (None, "") else default
        allowed = [str(v) for v, _label in model._meta.get_field(name).choices]
        if value is None or str(value) not in allowed:
            self.errors.add(key, f"“{value or ''}” is not one of: {', '.join(allowed)}.")
            return None
        return value

    def date(self, key, value):
        if not value:
            return None
        parsed = parse_date(str(value)) if re.fullmatch(r"\d{4}-\d\d-\d\d", str(value)) else None
        if parsed is None:
            self.errors.add(key, f"“{value}” is not a date: expected YYYY-MM-DD.")
        return parsed

    def quotes(self):
        quotes = self.data.get("quotes") or []
        if not quotes:
            self.errors.add("quote", "Select a passage of the text first: the claim rests on a quote.")
        excerpts = []
        if not isinstance(quotes, list):
            self.errors.add("quote", "Quotes must be a list of passages ({start, end, text}).")
            return []
        for index, quote in enumerate(quotes):
            key = "quote" if len(quotes) == 1 else f"quotes.{index}"
            if not isinstance(quote, dict):
                self.errors.add(key, f"A quote must be an object with start, end and text; got {quote!r:.80}.")
                continue
            try:
                start, end = int(quote["start"]), int(quote["end"])
            except (KeyError, TypeError, ValueError):
                self.errors.add(key, f"Offsets must be whole numbers: got start={quote.get('start')!r}, "
                                     f"end={quote.get('end')!r}.")
                continue
            text = quote.get("text", self.document.text[start:end] if 0 <= start < end else "")
            existing = Excerpt.objects.filter(document=self.document, start=start, end=end).first()
            excerpt = existing or Excerpt(document=self.document, start=start, end=end, text=text)
            if existing is not None and existing.text != text:
                self.errors.add(key, f"The quote does not match the document at {start}–{end}.")
            self.validate(excerpt, key, exclude=["document"], rename={"start": key, "end": key, "text": key})
            excerpts.append(excerpt)
        return excerpts

    def validate(self, record, key, exclude=(), rename=None):
        """The model's own full_clean; each message filed under the form field it concerns."""
        rename = rename or {}
        try:
            record.full_clean(exclude=list(exclude))
            if isinstance(record, Excerpt):
                errors = record.anchor_errors()
                if errors:
                    raise ValidationError(errors)
        except ValidationError as error:
            for name, messages in error.message_dict.items():
                target = rename.get(name, key if name == NON_FIELD_ERRORS else f"{key}.{name}")
                if name in QUANTITY_MODEL_FIELDS:
                    target = f"{key}.quantity"
                for message in messages:
                    if isinstance(record, Excerpt) and "already an excerpt" in message:
                        continue  # the desk reuses the existing excerpt
                    self.errors.add(target, message)

    def quantity(self, key, row, target):
        try:
            values = parse_quantity(row.get("quantity", ""))
        except ValidationError as error:
            self.errors.add(f"{key}.quantity", error.messages[0])
            values = {"low": None, "high": None, "qualifier": Qualifier.UNKNOWN, "wording": ""}
        for name, value in values.items():
            setattr(target, name, value)

    def claim(self):
        data = self.data
        claim = Claim(
            document=self.document,
            claimant=self.field("claimant", resolve_source, data.get("claimant")),
            event=self.field("event", resolve_event, data.get("event")),
            statement=(data.get("statement") or "").strip(),
            stance=self.choice("stance", Claim, "stance", data.get("stance"), Claim.Stance.ASSERTS),
            date_start=self.date("date_start", data.get("date_start")),
            date_end=self.date("date_end", data.get("date_end") or data.get("date_start")),
            credibility=self.choice("credibility", Claim, "credibility", data.get("credibility"),
                                    Claim.Credibility.CANNOT_BE_JUDGED),
        )
        exclude = [name for name in ("claimant", "event", "stance", "credibility") if f"{name}" in self.errors]
        self.validate(claim, "claim", exclude=exclude,
                      rename={name: name for name in ("statement", "date_start", "date_end", "credibility", "stance")})
        return claim

    def rows(self, section):
        rows = self.data.get(section) or []
        if not isinstance(rows, list):
            self.errors.add(section, "Expected a list of rows.")
            return []
        for index, row in enumerate(rows):
            if not isinstance(row, dict):  # refused, not dropped: nothing typed is lost silently
                self.errors.add(f"{section}.{index}", f"A row must be an object of fields; got {row!r:.80}.")
        return [(f"{section}.{index}", row) for index, row in enumerate(rows) if isinstance(row, dict)]

    def figures(self):
        records = []
        for key, row in self.rows("casualty_figures"):
            figure = CasualtyFigure(
                affiliation=self.field(f"{key}.affiliation", resolve_actor, row.get("affiliation")),
                category=self.choice(f"{key}.category", CasualtyFigure, "category", row.get("category")),
                subgroup=row.get("subgroup") or "",
                outcome=self.choice(f"{key}.outcome", CasualtyFigure, "outcome", row.get("outcome")),
                perpetrator=self.field(f"{key}.perpetrator", resolve_actor, row.get("perpetrator")),
                place=self.field(f"{key}.place", resolve_place, row.get("place")),
            )
            self.quantity(key, row, figure)
            self.validate(figure, key, exclude=["claim"])
            records.append(figure)
        return records

    def per_place(self, key, row, model, values):
        """One record per named place (a row may name several places treated alike); none named: one row."""
        places = self.field(f"{key}.places", resolve_places, row.get("places"))
        if places is None:
            return []
        return [model(place=place, **values) for place in places] or [model(place=None, **values)]

    def equipment(self):
        records = []
        for key, row in self.rows("equipment_losses"):
            equipment_type = self.field(f"{key}.equipment_type", resolve_equipment_type, row.get("equipment_type"))
            status = self.choice(f"{key}.status", EquipmentLoss, "status", row.get("status"))
            owner = self.field(f"{key}.owner", resolve_actor, row.get("owner"))
            captor = self.field(f"{key}.captor", resolve_actor, row.get("captor"))
            values = {"equipment_type": equipment_type, "status": status, "owner": owner, "captor": captor}
            for loss in self.per_place(key, row, EquipmentLoss, values):
                self.quantity(key, row, loss)
                self.validate(loss, key, exclude=["claim"] + (["equipment_type"] if equipment_type is None else []),
                              rename={"place": f"{key}.places"})
                records.append(loss)
        return records

    def territory(self):
        records = []
        for key, row in self.rows("territorial_changes"):
            kind = self.choice(f"{key}.kind", TerritorialChange, "kind", row.get("kind"), TerritorialChange.Kind.CAPTURED)
            gaining = self.field(f"{key}.gaining", resolve_actor, row.get("gaining"))
            losing = self.field(f"{key}.losing", resolve_actor, row.get("losing"))
            places = self.field(f"{key}.places", resolve_places, row.get("places"))
            if places == [] and f"{key}.places" not in self.errors:
                self.errors.add(f"{key}.places", "Name at least one place that changed hands.")
            for place in places or []:
                change = TerritorialChange(place=place, kind=kind, gaining=gaining, losing=losing)
                self.validate(change, key, exclude=["claim"], rename={"place": f"{key}.places"})
                records.append(change)
        return records

    def attacks(self):
        records = []
        for key, row in self.rows("attacks"):
            kind = self.choice(f"{key}.kind", Attack, "kind", row.get("kind"))
            perpetrator = self.field(f"{key}.perpetrator", resolve_actor, row.get("perpetrator"))
            values = {"kind": kind, "perpetrator": perpetrator, "target": (row.get("target") or "").strip(),
                      "weapon": (row.get("weapon") or "").strip()}
            for attack in self.per_place(key, row, Attack, values):
                self.quantity(key, row, attack)
                self.validate(attack, key, exclude=["claim"], rename={"place": f"{key}.places"})
                records.append(attack)
        return records


    def displacements(self):
        """Each displacement with its places of origin and destination: (record, [place links])."""
        records = []
        for key, row in self.rows("displacements"):
            displacement = Displacement(unit=self.choice(f"{key}.unit", Displacement, "unit", row.get("unit"),
                                                         Displacement.Unit.PEOPLE))
            self.quantity(key, row, displacement)
            self.validate(displacement, key, exclude=["claim"])
            links = {}
            for role, name in ((DisplacementPlace.Role.ORIGIN, "origins"),
                               (DisplacementPlace.Role.DESTINATION, "destinations")):
                for place in self.field(f"{key}.{name}", resolve_places, row.get(name)) or []:
                    links.setdefault((place.pk, role), DisplacementPlace(location=place, role=role))
            records.append((displacement, list(links.values())))
        return records


def create_claim(document, data: dict, user):
    """Validate the whole form, then write excerpt(s), claim, quote links and rows in one transaction.

    Returns (claim, None) or (None, errors by field path). Nothing is written when anything is wrong.
    """
    builder = _Builder(document, data)
    excerpts = builder.quotes()
    claim = builder.claim()
    children = [*builder.figures(), *builder.equipment(), *builder.territory(), *builder.attacks()]
    displacements = builder.displacements()
    if builder.errors:
        return None, builder.errors
    try:
        with transaction.atomic(), acting(user=user, channel=Channel.ADMIN):
            for excerpt in excerpts:
                if excerpt.pk is None:
                    excerpt.save()
            claim.save()
            for excerpt in excerpts:
                link = ClaimExcerpt(claim=claim, excerpt=excerpt)
                link.full_clean()
                link.save()
            for child in children:
                child.claim = claim
                child.save()
            for displacement, links in displacements:
                displacement.claim = claim
                displacement.save()
                for link in links:
                    link.displacement = displacement
                    link.save()
    except ValidationError as error:
        errors = Errors()
        for name, messages in error.message_dict.items():
            for message in messages:
                errors.add("claim" if name == NON_FIELD_ERRORS else name, message)
        return None, errors
    except IntegrityError as error:
        return None, Errors({"claim": [f"The database refused the claim: {error}"]})
    return claim, None


@require_POST
def create_claim_view(request, document_id):
    _require_desk(request)
    document = get_object_or_404(Document, pk=document_id)
    try:
        data = json.loads(request.body or b"{}")
    except ValueError:
        return JsonResponse({"errors": {"claim": ["The request body is not JSON."]}}, status=400)
    if not isinstance(data, dict):
        return JsonResponse({"errors": {"claim": ["Expected a JSON object."]}}, status=400)
    claim, errors = create_claim(document, data, request.user)
    if errors:
        return JsonResponse({"errors": errors}, status=400)
    return JsonResponse({
        "claim": {"id": claim.pk, "label": str(claim), "url": reverse("admin:events_claim_change", args=[claim.pk])},
        "defaults": _defaults(document),
        "highlights": highlights(document),
    }, status=201)


# --- the claim page: its quotes in their surrounding text --------------------------------------

CONTEXT_CHARS = 300


def quotes_in_context(claim) -> list[dict]:
    """Each quote of the claim with up to CONTEXT_CHARS of the document text either side."""
    body = claim.document.text
    result = []
    for link in claim.claim_excerpts.select_related("excerpt").order_by("excerpt__start"):
        excerpt = link.excerpt
        before_start = max(0, excerpt.start - CONTEXT_CHARS)
        result.append({
            "before": ("…" if before_start else "") + body[before_start:excerpt.start],
            "quote": body[excerpt.start:excerpt.end],
            "after": body[excerpt.end:excerpt.end + CONTEXT_CHARS] + ("…" if excerpt.end + CONTEXT_CHARS < len(body) else ""),
            "start": excerpt.start, "end": excerpt.end,
        })
    return result
