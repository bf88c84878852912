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
from events.quantities import find_counts
from events.models import Location
from events.naming import named_by_alias_keys
from events.places import begins_longer_name
from sources.naming import sources_named

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


def homonym_parents(found: list[dict]) -> dict:
    """The parents of the places that share a spelling, by id (to tell them apart on a chip)."""
    return Location.objects.in_bulk({record.parent_id for name in found if len(name["records"]) > 1
                                     for record in name["records"] if getattr(record, "parent_id", None)})


def names_in_passage(text: str, found: list[dict] | None = None, parents: dict | None = None) -> dict:
    """The places, actors and equipment types whose recorded spellings occur in the passage (chips)."""
    result = {"places": [], "actors": [], "equipment_types": []}
    seen = set()
    found = found if found is not None else _found_names(text)
    # One spelling, several places (the two Neirabs): each is offered, named with its parent.
    parents = parents if parents is not None else homonym_parents(found)
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

# What happened to the people counted, as the passage says it.
OUTCOMES = {"killed": "killed", "dead": "killed", "died": "killed", "deaths": "killed", "executed": "killed",
            "lost their lives": "killed", "death toll": "killed", "wounded": "injured", "injured": "injured",
            "hurt": "injured", "captured": "captured", "detained": "captured", "arrested": "captured",
            "taken prisoner": "captured", "abducted": "abducted", "kidnapped": "abducted", "missing": "missing"}
_OUTCOME = re.compile(rf"\b(?:{'|'.join(sorted(map(re.escape, OUTCOMES), key=len, reverse=True))})\b", re.IGNORECASE)
SUBGROUPS = {"child": "child", "children": "child", "boy": "child", "boys": "child", "girl": "child",
             "girls": "child", "minor": "child", "minors": "child", "woman": "woman", "women": "woman",
             "man": "man", "men": "man", "officer": "officer", "officers": "officer", "family": "family",
             "families": "family", "journalist": "journalist", "journalists": "journalist", "medic": "medical",
             "medics": "medical", "paramedic": "medical", "paramedics": "medical", "doctor": "medical",
             "doctors": "medical", "nurse": "medical", "nurses": "medical", "elderly": "elderly"}
CIVILIAN_WORDS = {"civilian", "civilians", "child", "children", "boy", "boys", "girl", "girls", "woman", "women",
                  "minor", "minors", "resident", "residents", "farmer", "farmers", "worker", "workers", "student",
                  "students", "journalist", "journalists", "medic", "medics", "paramedic", "paramedics", "doctor",
                  "doctors", "nurse", "nurses", "volunteer", "volunteers", "passenger", "passengers", "shepherd",
                  "shepherds", "worshippers", "teacher", "teachers", "elderly", "family", "families"}
COMBATANT_WORDS = {"fighter", "fighters", "soldier", "soldiers", "troops", "militant", "militants", "gunman",
                   "gunmen", "rebel", "rebels", "officer", "officers", "personnel", "conscript", "conscripts",
                   "recruit", "recruits", "insurgent", "insurgents", "jihadist", "jihadists", "combatant",
                   "combatants", "militiaman", "militiamen", "member", "members", "elements", "guard", "guards",
                   "policeman", "policemen", "commander", "commanders", "servicemen", "terrorist", "terrorists",
                   "mercenaries", "extremists", "paratroopers", "forces"}
# People counted whose side the words do not say.
PEOPLE_WORDS = {"people", "persons", "person", "individuals", "victims", "others", "bodies", "man", "men"}
COUNTED_PEOPLE = CIVILIAN_WORDS | COMBATANT_WORDS | PEOPLE_WORDS
# What starts a breakdown of the figure before it ("27 people: 14 civilians, among them 5 children").
BREAKDOWN = re.compile(r"^\s*(?:(?P<colon>:)|(?P<paren>\()|,?\s*(?:including|among\s+(?:them|whom|those|the\s+\w+)"
                       r"|of\s+(?:whom|them)|namely)\b:?)", re.IGNORECASE)
BREAKDOWN_BEFORE_COUNT = re.compile(
    r"(?:(?P<colon>:)|(?P<paren>\()|,?\s*(?:including|among\s+(?:them|whom|those)|of\s+(?:whom|them)|namely)\b:?)"
    r"\s*$", re.IGNORECASE)
# Where a group of parts ends: a colon's at the clause end, "including …"'s at the next comma.
GROUP_ENDS = {"colon": r"[;.]\s", "paren": r"\)", "list": r"[,;)]|\.\s"}
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
    """The count written just before a name, with the name ("three tanks", "two destroyed BMP-1
    vehicles", "a tank"); else "1". Up to two words may stand between (what happened to them), never
    "and", "or" or a comma (those start another thing: "a tank and BMB vehicle")."""
    offset = max(0, start - 80)
    for count in reversed([count for count in find_counts(text[offset:end]) if count["end"] <= start - offset]):
        between = text[offset + count["end"]:start]
        if (len(between.split()) <= 2 and not re.search(r"[,;:.()]|\b(?:and|or|with|of)\b", between, re.IGNORECASE)
                and (count["end"] + offset == start or between[:1].isspace())):
            return text[offset + count["start"]:end]
        break
    return "1"


class Passage:
    """The passage's names in text order, with homonyms settled by the other places named with them."""

    def __init__(self, text, within: Passage | None = None, offset: int = 0):
        """The passage `text`; a passage `within` a larger one (a sentence of the document at
        `offset`) takes its names and hierarchy from it rather than asking the database again."""
        self.text = text
        if within is not None:
            self.names = [{**name, "start": name["start"] - offset, "end": name["end"] - offset} for name in within.names
                          if offset <= name["start"] and name["end"] <= offset + len(text)]
            self._parent = within._parent
            return
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


def _head(text: str, end: int, passage, limit: int = 6):
    """What a count counts: the words after it up to the noun of the people counted ("ten
    opposition fighters", "14 civilians", "four others"), as (end of the noun, its words); None
    when it counts no people (days, homes, tanks, a source)."""
    words = list(re.finditer(r"[^\W\d_][\w’'-]*", text[end:end + 80]))
    gap_end = end
    for index, word in enumerate(words[:limit]):
        if re.search(r"[,;:.()!?]", text[gap_end:end + word.start()]):
            return None
        lowered = word.group(0).lower()
        if lowered in COUNTED_PEOPLE and not (lowered in ("man", "men") and index and
                                              words[index - 1].group(0).lower() in ("armed",)):
            following = words[index + 1].group(0).lower() if index + 1 < len(words) else ""
            if following in COUNTED_PEOPLE and lowered not in ("others",):  # "family members", "civilian residents"
                continue
            noun_end = end + word.end()
            # "government forces and opposition fighters": both sides in one figure (no count between)
            for extra in range(3):
                joined = re.match(rf"\s+and\s+(?:[^\W\d_][\w’'-]*\s+){{{extra}}}([^\W\d_][\w’'-]*)", text[noun_end:])
                if joined and joined.group(1).lower() in COUNTED_PEOPLE and not find_counts(joined.group(0)):
                    return noun_end + joined.end(), [w.group(0).lower() for w in words[:index + 1]] + \
                        [w.lower() for w in joined.group(0).split()[1:]]
            return noun_end, [w.group(0).lower() for w in words[:index + 1]]
        following = words[index + 1].group(0).lower() if index + 1 < len(words) else ""
        if lowered == "more" and (following in ("were", "was", "have", "had") or following in OUTCOMES):
            return end + word.end(), [w.group(0).lower() for w in words[:index]] + ["others"]  # "four more were"
        if lowered in ("of", "were", "was", "have", "has", "had", "are", "is", "and", "in", "on", "at", "by",
                       "from", "after", "when", "who", "while", "that", "than", "including", "among"):
            if lowered == "of" and index == 0:  # "dozens of fighters"
                gap_end = end + word.end()
                continue
            return None
        if passage.of_kind("equipment_types", end + word.start(), end + word.end() + 1):
            return None
        gap_end = end + word.end()
    return None


def _outcome(text: str, count_start: int, head_end: int, clause_end: int):
    """The outcome of a count: a verb just before it ("killed 12 civilians"), else the first one
    after it in its clause ("… were killed", "40 wounded"), else the last one before it."""
    before = list(_OUTCOME.finditer(text, max(0, count_start - 40), count_start))
    if before and len(text[before[-1].end():count_start].split()) <= 2 and not re.search(
            r"[,;:.()]", text[before[-1].end():count_start]):
        return OUTCOMES[before[-1].group(0).lower()]
    after = _OUTCOME.search(text, head_end, clause_end)
    if after:
        return OUTCOMES[after.group(0).lower()]
    before = list(_OUTCOME.finditer(text, 0, count_start))
    return OUTCOMES[before[-1].group(0).lower()] if before else None


def _clause_end(text: str, position: int) -> int:
    found = re.compile(r"[;!?]|\.(?:\s|$)").search(text, position)
    return found.start() if found else len(text)


def _figures(passage, figure_spans):
    """Casualty figures: each count of people with an outcome, as a whole with its parts when the
    passage breaks it down ("27 people: 14 civilians, among them 5 children and 3 women, and 13
    fighters"). A count that counts no people (days, tanks, families displaced) or has no outcome
    is no figure; a part "including officers" without a count is at least 2 (one if singular)."""
    text = passage.text
    rows, groups = [], []  # groups: open breakdowns, (row index, what ends it, where it opened)
    said_by = attribution(text)  # "said a doctor at the hospital": who speaks is not counted
    counts = [count for count in find_counts(text)
              if said_by is None or not said_by["start"] <= count["start"] < said_by["end"]]
    entries = []
    for count in counts:
        head = _head(text, count["end"], passage)
        if head is None and not count["article"]:
            after = re.match(r"\s*(?:others?\s+)?(wounded|injured|killed|dead|missing)\b", text[count["end"]:], re.I)
            toll = re.search(r"\btoll\b[^.;]{0,40}$", text[:count["start"]], re.I)
            if after or toll:  # "and 40 wounded", "the death toll rose to 27"
                head = (count["end"], [])
        if head is not None:
            entries.append((count, head))
    for position, (count, (head_end, words)) in enumerate(entries):
        # Close the breakdowns this count is beyond.
        while groups and re.search(groups[-1][1], text[max(groups[-1][2], entries[position - 1][1][0]):count["start"]]):
            groups.pop()
        clause_end = _clause_end(text, head_end)
        outcome = _outcome(text, count["start"], head_end, clause_end)
        whole = rows[groups[-1][0]] if groups else None
        if outcome is None and whole is None:
            continue
        row = _figure_row(passage, text[count["start"]:head_end], words, count["start"], head_end,
                          whole["outcome"] if whole else outcome, rows, whole)
        if whole is not None:
            row["part_of"] = groups[-1][0]
        rows.append(row)
        figure_spans.append((count["start"], clause_end))
        # The breakdown opens right after the figure's noun, or just before the next count
        # ("27 people on Tuesday: 14 civilians"), never across the end of the clause.
        next_start = entries[position + 1][0]["start"] if position + 1 < len(entries) else clause_end
        opened = BREAKDOWN.match(text[head_end:])
        at = head_end
        if not opened and next_start <= clause_end:
            opened = BREAKDOWN_BEFORE_COUNT.search(text[head_end:next_start])
        if opened:
            kind = "colon" if opened.group("colon") else "paren" if opened.group("paren") else "list"
            groups.append((len(rows) - 1, GROUP_ENDS[kind], at + opened.end()))
            if kind == "list" and opened.start() == 0:
                rows.extend(_uncounted_part(passage, text, at + opened.end(), rows))
    for row in rows:
        row["affiliation"], row["place"] = _ref(row["affiliation"]), _ref(row["place"])
    return rows


def _figure_row(passage, wording, words, start, end, outcome, rows, whole):
    actors = passage.actors(start, end)
    if set(words) & CIVILIAN_WORDS:
        category, affiliation = "civilian", None
    elif len(actors) == 1:
        category, affiliation = "combatant", actors[0]
    elif actors or set(words) & COMBATANT_WORDS:
        category, affiliation = "combatant", None
    elif words and words[-1] == "others" and rows:  # "four others": the group of the figure before
        category, affiliation = rows[-1]["category"], rows[-1]["affiliation"]
    elif whole is not None:
        category, affiliation = whole["category"], whole["affiliation"]
    else:
        category, affiliation = "unknown", None
    if whole is not None and category == "combatant" and affiliation is None and whole["category"] == "combatant":
        affiliation = whole["affiliation"]
    places = passage.places()
    return {"quantity": wording.strip(), "outcome": outcome, "category": category,
            "subgroup": next((SUBGROUPS[word] for word in reversed(words) if word in SUBGROUPS), ""),
            "affiliation": affiliation, "place": places[0] if len(places) == 1 else None}


def _uncounted_part(passage, text, start, rows):
    """", including officers,": a part named without a count, right after the opener."""
    match = re.match(r"\s*((?:[^\W\d_][\w’'-]*\s+){0,2}?([^\W\d_][\w’'-]*))\s*[,;)]", text[start:])
    if not match or match.group(2).lower() not in COUNTED_PEOPLE or find_counts(match.group(1)):
        return []
    whole = rows[-1]
    words = [word.lower() for word in match.group(1).split()]
    plural = words[-1].endswith("s") or words[-1] in ("women", "children", "men", "personnel")
    row = _figure_row(passage, "", words, start, start + match.end(1), whole["outcome"], rows, whole)
    return [{**row, "quantity": "at least 2" if plural else "1", "part_of": len(rows) - 1}]


# A weapon's designation ("T-72", "BM-21", "ZU-23-2", "Su-24", "Mi-8", "BMP-1"): letters, a
# hyphen, digits. One the equipment types do not know yet is drafted by its designation for the
# editor to pick or add (the row names no record until then).
DESIGNATION = re.compile(r"(?<![\w-])[A-Z][A-Za-z]{0,4}-\d+[A-Za-z]*(?:-\d+[A-Za-z]*)?(?![\w-])")


def _designations(passage) -> list[dict]:
    known = [(name["start"], name["end"]) for name in passage.of_kind("equipment_types")]
    return [{"kind": "equipment_types", "start": match.start(), "end": match.end(), "spelling": match.group(0),
             "records": []}
            for match in DESIGNATION.finditer(passage.text)
            if not any(start < match.end() and match.start() < end for start, end in known)
            # "a T-72 tank": the designation qualifies the type named after it
            and not any(re.fullmatch(r"\s+", passage.text[match.end():start]) for start, _end in known)]


def _equipment(passage):
    names = sorted(passage.of_kind("equipment_types") + _designations(passage), key=lambda name: name["start"])
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
        row = {"equipment_type": _ref(name["records"][0]) if name["records"] else {"id": None, "text": name["spelling"]},
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


def _designated(text, start, weapon):
    """"Su-24 warplanes": the weapon with the designation written before it."""
    before = re.search(rf"({DESIGNATION.pattern})\s+$", text[:start])
    return f"{before.group(1)} {weapon}" if before else weapon


def _attacks(passage):
    found = [(match.start(), kind) for pattern, kind in ATTACK_KINDS
             for match in [re.search(pattern, passage.text, re.IGNORECASE)] if match]
    if not found:
        return []
    weapons = sorted((match.start(), _designated(passage.text, match.start(), weapon)) for pattern, weapon in WEAPONS
                     for match in [re.search(rf"\b{pattern}\b", passage.text, re.IGNORECASE)] if match)
    actors = passage.actors()
    return [{"kind": min(found)[1], "perpetrator": _ref(actors[0]) if len(actors) == 1 else None,
             "places": [_ref(place) for place in passage.places(areas=False)], "target": "",
             "weapon": " and ".join(weapon for _at, weapon in weapons), "quantity": AT_LEAST_ONCE}]


# What a displacement is counted in, by the noun after its count.
DISPLACEMENT_UNITS = {"families": "families", "family": "families", "households": "households",
                      "household": "households", "people": "people", "persons": "people", "individuals": "people",
                      "residents": "people", "civilians": "people", "idps": "people", "inhabitants": "people"}


def _displacements(passage):
    """A displacement: the count of people, families or households displaced ("about 4,500
    families fled"), nearest before the verb, else the verb's own phrase ("a large displacement of
    civilians": unknown); origins before "towards", destinations after."""
    match = DISPLACEMENT.search(passage.text)
    if not match:
        return []
    towards = TOWARDS.search(passage.text, match.start())
    split = towards.start() if towards else len(passage.text)
    quantity, unit = None, "people"
    for count in find_counts(passage.text):
        noun = re.match(r"\s+(?:of\s+)?(?:(?:[^\W\d_][\w-]*)\s+){0,2}?([^\W\d_]+)", passage.text[count["end"]:])
        if noun and noun.group(1).lower() in DISPLACEMENT_UNITS and not count["article"]:
            quantity, unit = passage.text[count["start"]:count["end"] + noun.end()], DISPLACEMENT_UNITS[noun.group(1).lower()]
            if count["start"] > match.start():
                break
    if quantity is None:
        quantity = match.group(0) if re.search(r"displacement", match.group(0), re.I) else "unknown"
    return [{"quantity": quantity, "unit": unit,
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




# --- who says it: the attribution ---------------------------------------------------------------

SAYING = (r"told|said|says|reported|reports|stated|states|announced|announces|claimed|claims|confirmed|"
          r"confirms|added|denied|denies|documented|recorded|noted|wrote|published|accused|warned")
DENYING = re.compile(r"\b(?:denied|denies|deny|denying|refuted|rejected|dismissed)\b", re.IGNORECASE)
# The words that may make a claimant's name: capitalised words with their joiners, or a described
# source ("a local source", "a military source from the opposition factions").
_NAME = r"(?:[A-Z+][\w+’'&.-]*|al-[\w-]+|\(\w+\))(?:\s+(?:of|for|on|and|the|al-[\w-]+|[A-Z+(][\w+’'&.)-]*))*"
_DESCRIBED = r"(?i:an?|the)\s+(?:[\w-]+\s+){0,3}?(?:source|sources|spokesman|spokeswoman|spokesperson|official|officials|" \
             r"commander|monitor|activist|activists|witness|witnesses|resident|residents|correspondent|doctor|" \
             r"council|ministry|agency|media|authorities|command|office|defence|defense|group|observatory)\b" \
             r"(?:\s+(?:from|of|in|at|with|for)\s+(?:the\s+)?(?:" + _NAME + r"|[a-z]+))?"
_CLAIMANT = rf"(?P<who>{_DESCRIBED}|(?i:state|official|local)\s+(?:media|television|news\s+agency)(?:\s+[A-Z][\w-]*)?|(?:(?i:the)\s+)?{_NAME})"
ATTRIBUTIONS = [
    re.compile(rf"\b(?i:according\s+to)\s+{_CLAIMANT}"),
    re.compile(rf"\b(?:said|told|reported|stated|announced|claimed|added)\s+{_CLAIMANT}(?=\s*[,.;]|$)"),
    re.compile(rf"(?:^|(?<=[,;:“\"(])\s*|\b(?:that|and|but|while|as)\s+|(?<=\s))(?<![\w-]){_CLAIMANT}"
               rf"(?:,\s+[^,]{{1,60}},)?\s+(?:also\s+|later\s+|has\s+|had\s+)?(?P<verb>{SAYING})\b"),
]
_LEADING = re.compile(r"^(?:the|a|an)\s+", re.IGNORECASE)
_NOT_A_CLAIMANT = {"it", "he", "she", "they", "we", "i", "this", "that", "which", "who", "there", "sources"}


def attribution(text: str) -> dict | None:
    """Who the passage says makes the claim: {start, end, text} of the name as written ("according
    to the Syrian Civil Defence", "a local source told …", "… said the ministry"), or None."""
    found = []
    for pattern in ATTRIBUTIONS:
        for match in pattern.finditer(text):
            who = match.group("who").strip().rstrip(".,")
            if who.lower() in _NOT_A_CLAIMANT or not re.search(r"[A-Za-z]", who):
                continue
            start = match.start("who")
            found.append((start, start + len(who), who))
        if found:
            break
    if not found:
        return None
    start, end, who = found[0]
    return {"start": start, "end": end, "text": who}


def claimant_named(spelling: str) -> dict:
    """The source a claimant's name as written names: {"id", "text"} when exactly one source has
    that name or alias (with or without its article, or its bracketed acronym), else the spelling
    with id None for the editor to pick or add, never a guess among several."""
    tries = [spelling, _LEADING.sub("", spelling)]
    tries += re.findall(r"\((\w+)\)", spelling) + [re.sub(r"\s*\(\w+\)", "", spelling)]
    for name in dict.fromkeys(part.strip() for part in tries if part.strip()):
        found = list(sources_named(name)[:2])
        if len(found) == 1:
            return {"id": found[0].pk, "text": str(found[0])}
        if found:
            break
    return {"id": None, "text": spelling}


# --- the whole document -------------------------------------------------------------------------

# A sentence ends at . ! ? before a capital, a digit or a quote (not after "No." or an initial), or
# at a line break. A sentence that starts by referring back ("Among them …") continues the one before.
_SENTENCE_END = re.compile(r"(?<!\bNo)(?<!\bMr)(?<!\bDr)(?<!\b[A-Z])[.!?][\"”’)]*\s+(?=[A-Z0-9\"“(\u0600-\u06ff])|\n\s*")
_CONTINUES = re.compile(r"^(?:among\s+(?:them|the)|of\s+(?:them|those|these)|they\s+(?:included|include|were)|"
                        r"these\s+included|including)\b", re.IGNORECASE)


def sentences(text: str) -> list[tuple[int, int]]:
    """The document's sentences as (start, end) offsets, surrounding spaces left out."""
    spans, start = [], 0
    for match in _SENTENCE_END.finditer(text):
        end = match.start() + len(match.group(0).rstrip())
        spans.append((start, end))
        start = match.end()
    spans.append((start, len(text)))
    result = []
    for start, end in spans:
        while start < end and text[start].isspace():
            start += 1
        while end > start and text[end - 1].isspace():
            end -= 1
        if end <= start:
            continue
        if result and _CONTINUES.match(text[start:end]) and "\n" not in text[result[-1][1]:start]:
            result[-1] = (result[-1][0], end)
        else:
            result.append((start, end))
    return result


def draft_document(text: str) -> list[dict]:
    """Draft claims for the whole document: one per passage (a sentence, with the ones that
    continue it) that states a figure, a place, equipment, an attack, territory or displacement.

    Each draft: start, end and text (the passage verbatim, the quote), claimant ({"id", "text"}
    from the attribution, "as_written" the spelling and "carried" True when it comes from an
    earlier sentence of the paragraph), stance ("denies" for a denial), rows (draft_rows, the
    form's shape, figures with their part_of links) and places (the names found). Nothing is
    written; the editor reviews each draft at the desk, edits it and saves it, or drops it.
    """
    drafts, said_by, paragraph_end, claimants = [], None, -1, {}
    document = Passage(text)  # the names of the whole text at once, not per sentence
    parents = homonym_parents(document.names)
    for start, end in sentences(text):
        passage_text = text[start:end]
        if start > paragraph_end:  # a new paragraph: nobody has spoken yet
            said_by = None
            following = text.find("\n", end)
            paragraph_end = following if following >= 0 else len(text)
        attributed = attribution(passage_text)
        passage = Passage(passage_text, within=document, offset=start)
        rows = draft_rows(passage)
        places = names_in_passage(passage_text, passage.names, parents)["places"]
        carried = attributed is None and said_by is not None
        if attributed is not None:
            if attributed["text"] not in claimants:  # a claimant named again is looked up once
                claimants[attributed["text"]] = claimant_named(attributed["text"])
            said_by = {**claimants[attributed["text"]], "as_written": attributed["text"]}
        denies = bool(DENYING.search(passage_text))
        if not any(rows.values()) and not places and not denies:
            continue
        drafts.append({
            "start": start, "end": end, "text": passage_text,
            "claimant": {**said_by, "carried": carried} if said_by else None,
            "stance": "denies" if denies else "asserts",
            "rows": rows, "places": places,
        })
    return drafts
