"""Drafting at the desk: the names a passage holds (chips) and the rows it seems to state.

The desk proposes rows for what a passage states so that the editor confirms or corrects rather
than types. Drafts are only shown in the form: nothing is written until the editor saves, and
each draft row is dropped with its × (or all with "Drop drafts"). The rules are deliberately
plain reading of the sentence (a count before a name, the verb after it, the places after the
things); names come from the alias tables (events.naming.named_by_alias_keys), numbers from
events.quantities. A field a draft leaves out keeps what the form would carry (the row
above, the last claim).
"""

from __future__ import annotations

import re

from conflictdb.names import normalise_name
from events.quantities import COUNT_PATTERN, QuantityError, find_quantity
from events.models import Location
from events.naming import named_by_alias_keys
from events.places import begins_longer_name

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
    found = []
    for kind, records in named_by_alias_keys(keys).items():
        kept = []
        for start, end, phrase, key in sorted(spans, key=lambda span: span[0] - span[1]):
            if key not in records and kind == "equipment_types" and key.endswith("s"):
                key = key[:-1]
            if key not in records or any(start < other_end and other_start < end for other_start, other_end in kept):
                continue
            if kind == "places" and begins_longer_name(text, start, end):
                continue  # "Khan" of "Khan al-Asal" is not that name: the editor is asked (events.places)
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


# --- drafting rows from the passage -----------------------------------------------------------

FIGURE_PATTERN = re.compile(
    rf"(?<![+\w])(?P<quantity>{COUNT_PATTERN})(?P<who>(?:\s+[\w’'-]+){{0,6}}?)"
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
    match = re.search(rf"(?<![+\w])({COUNT_PATTERN})\s+$", text[:start], re.IGNORECASE)
    return text[match.start(1):end] if match else "1"


class Passage:
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
            counted = re.match(rf"({COUNT_PATTERN})", part.strip(), re.IGNORECASE)
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
        quantity = find_quantity(match.group(0))["wording"]
    except QuantityError:
        quantity = "unknown"
    return [{"quantity": quantity, "unit": "people",
             "origins": [_ref(place) for place in passage.places(0, split)],
             "destinations": [_ref(place) for place in passage.places(split)]}]


def draft_rows(text: str | Passage) -> dict:
    """Rows the passage seems to state, per form section, for the editor to check before saving."""
    passage = text if isinstance(text, Passage) else Passage(text)
    figure_spans: list = []
    return {
        "casualty_figures": _figures(passage, figure_spans),
        "equipment_losses": _equipment(passage),
        "territorial_changes": _territory(passage, figure_spans),
        "attacks": _attacks(passage),
        "displacements": _displacements(passage),
    }


