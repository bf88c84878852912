"""Place names: transliteration-tolerant matching against the gazetteer, and learning new spellings.

Every door (admin autocomplete, CSV import, API, seed loader) resolves a written place name here,
so the rules live in one place:

- `normalise_place_name(name)` folds a spelling to its *place key*. It builds on the exact-match
  key of conflictdb.names (case, diacritics, punctuation, Arabic letter variants) and also folds
  the ways one Arabic name is written in Latin letters (al-/ash-/ad- articles, Aqeel/Aqil,
  Urum/Orm, -iyah/-iya, Kafr/Kfar, Tal/Tell, Deir/Dayr, q/k, ou/u …) and in Arabic script (the
  article ال, final taa marbuta/alef, Persian letter forms).
- `skeleton(key)` drops the vowels (and w/y glides) of a place key: transliterations disagree
  mostly about vowels, rarely about consonants, so spellings with the same skeleton are always
  among the candidates scored.
- `resolve_place(name, within=…, near=…)` ranks gazetteer places (rapidfuzz over the place keys
  of every alias), and says "matched" only for a clear winner; otherwise "ambiguous" (say which
  one with `within`/`near`) or "unknown" (with suggestions to add a place or a spelling). It never
  guesses silently.
- District/town homonyms: a bare name that is both an admin area (OCHA governorate or district)
  and a populated place inside it ("Idleb", "Duma", "Tadmor", "Ariha", "Aleppo") means the
  populated place, as ACLED codes it; of nested admin areas of one name ("Rural Damascus") the
  outer one. A qualifier chooses explicitly: "X city"/"town of X" (the populated place),
  "X district", "X governorate"/"province", "X sub-district", "X countryside"/"rural X"/"reef X"
  (the governorate "Rural X" where there is one, else the governorate or district X) — unless
  the whole phrase is itself a recorded spelling ("Idlib countryside" as an informal area).
- A name is matched whole: a one-word spelling ("Khan", "Tal") never stands for a longer name
  ("Khan al-Asal", "Tal Rifaat"), which is scored as written and otherwise asks.
- `learn_alias(location, name)` keeps a confirmed spelling, so the next resolve is exact.
"""

from __future__ import annotations

import math
import re
import threading
import time
from dataclasses import dataclass, replace
from functools import cached_property

from django.db import IntegrityError, connection, models, transaction
from django.db.models.signals import post_delete
from rapidfuzz import fuzz, process

from conflictdb import signals
from conflictdb.models import VerificationStatus
from conflictdb.names import normalise_name
from conflictdb.provenance import acting
from conflictdb.upsert import WriteStatus
from events.models import Location, LocationAlias

# --- tuning -----------------------------------------------------------------------------------

MATCH_THRESHOLD = 85  # below this nothing is offered as a match
WINNER_MARGIN = 5  # a match must lead the next place by this much, else the name is ambiguous
SUGGESTION_FLOOR = 60  # weaker candidates are not even suggested as "add this spelling to …"
DEFAULT_RADIUS_KM = 25.0

# Score tiers: an exact spelling beats a transliteration variant beats anything fuzzy.
EXACT_SCORE = 100
VARIANT_SCORE = 95
FUZZY_CAP = 94
# A different generic word ("Kafr Basin" against "Qabbasin", "Urum al-Kubra" against "Urum
# al-Sughra") means a different place, however alike the letters are.
GENERIC_MISMATCH_PENALTY = 25
# Retrieval: rapidfuzz keeps only keys at least this similar before the rules above rescore them.
_RETRIEVAL_CUTOFF = 55


# --- Latin transliteration --------------------------------------------------------------------

# The Arabic article and its assimilated forms as separate words (hyphens are already spaces).
_ARTICLES = frozenset({
    "al", "el", "il", "ul", "ad", "ed", "adh", "edh", "an", "en", "enn", "ar", "er", "as", "es", "ess",
    "ash", "esh", "ech", "at", "et", "ett", "ath", "eth", "az", "ez", "ezz", "ej",
})

# Letters normalise_name leaves alone because Unicode gives them no decomposition.
_LATIN_LETTERS = str.maketrans({"ı": "i", "ł": "l", "ø": "o", "đ": "d", "ħ": "h", "ß": "ss", "æ": "ae"})

# Whole words written differently in other transliteration traditions, before letters are folded.
_RAW_WORDS = {
    "der": "dayr", "dier": "dayr", "dyr": "dayr",
    "bet": "bayt", "beth": "bayt", "byt": "bayt",
    "kheurbet": "khirbat", "kherbet": "khirbat", "khirbeh": "khirbat", "khrbt": "khirbat",
    "mount": "jabal", "mt": "jabal", "jbl": "jabal",
    "camp": "mukhayam",
    "tl": "tal", "kfr": "kafr", "jsr": "jisr",
}

# Letter groups: German/French/English spellings of one Arabic sound, most specific first.
_CONSONANTS = [
    ("dsch", "j"), ("tsch", "sh"), ("dzh", "j"), ("dz", "j"), ("dj", "j"),
    ("sch", "sh"), ("tch", "sh"), ("ch", "sh"),
    ("ph", "f"), ("rh", "gh"), ("th", "t"), ("dh", "d"), ("ck", "k"), ("q", "k"), ("v", "w"), ("p", "b"),
]
_QAF_AS_G = re.compile(r"g(?!h)")  # Sloug/Suluq: qaf spoken g; gh (ghayn) stays
_VOWEL_GROUPS = [("ou", "u"), ("oo", "u"), ("ee", "i"), ("ea", "i")]
_DIPHTHONG_AY = re.compile(r"[ae][iy]")  # ei, ey, ai, ay: Sheikh/Shaykh, Deir/Dayr, Ein/Ayn
_DIPHTHONG_AW = re.compile(r"a[uo](?![aeiou])")  # au, ao: Saouda → Sawda
_INITIAL_GLIDE_W = re.compile(r"^u(?=[aeio])")  # French Ou-: Ouadi → Wadi
_GLIDE_W = re.compile(r"(?<=[^aeiou])u(?=[aeio])")  # Douair → Duwair
_GLIDE_Y = re.compile(r"(?<=[^aeiou])i(?=[aeou])")  # Hamidie → Hamidiye
_NISBA_ENDING = re.compile(r"iy+(?:ah|eh|a|e)$")  # -iyah/-iya/-iyeh/-iye/-iyyah
_FRENCH_MUTE_E = re.compile(r"(?<=[aiu])ne$")  # Sarmine, Afrine, Rastane
_TAA_MARBUTA = re.compile(r"(?:ah|eh|ih|e)$")  # -ah/-eh/-e → -a
_DOUBLED = re.compile(r"(.)\1+")
_LATIN_VOWELS_AND_GLIDES = re.compile(r"[aeiouwy]")
_LATIN_VOWEL_RUN = re.compile(r"[aeiou]+")
_GLIDE = re.compile(r"(?<=[aeiou])[wy]|[wy](?=[aeiou])")

# Folded spellings of generic words, and the one form each takes in a key.
_GENERIC_FORMS = {
    "kafr": ("kafr", "kfar", "kafar", "kufr", "kufar", "kfr"),
    "tal": ("tal", "til"),
    "dayr": ("dayr", "dyr"),
    "jabal": ("jabal", "jbal"),
    "shaykh": ("shaykh", "shayk", "shakh", "shak", "shikh"),
    "ayn": ("ayn",),
    "khirbat": ("khirbat", "khirba", "khurbat", "kharbat", "khurba"),
    "bir": ("bir",),
    "umm": ("um",),
    "abu": ("abu",),
    "bayt": ("bayt",),
    "ras": ("ras",),
    "kasr": ("kasr",),
    "wadi": ("wadi",),
    "jisr": ("jisr",),
    "khan": ("khan",),
    "kalat": ("kalat", "kala"),
    "hamam": ("hamam",),
    "mukhayam": ("mukhayam", "mukhaym"),
    "burj": ("burj", "burij"),
    # qualifiers: Urum al-Sughra and Urum al-Kubra are two villages
    "saghir": ("saghir", "saghira", "sughra", "sughr", "sghir", "sghira", "zghir", "zghira", "skir"),
    "kabir": ("kabir", "kabira", "kubra", "kbir", "kbira"),
    "sharki": ("sharki", "sharkiya", "shark"),
    "gharbi": ("gharbi", "gharbiya", "karbi"),
    "shamali": ("shamali", "shamaliya", "shimali", "shimaliya", "shmali"),
    "janubi": ("janubi", "janubiya", "jnubi"),
    "fawkani": ("fawkani", "fukani", "fawka", "fuka"),
    "tahtani": ("tahtani", "tahta", "tahtaniya"),
}
_GENERIC = {form: canonical for canonical, forms in _GENERIC_FORMS.items() for form in forms}
# Generic words written together with the name: Kafranbel, Tallkalakh, Kaferzita.
_GLUED_GENERIC = re.compile(r"^(kafr|kfar|kafar|kufr)([a-z]{3,})$|^(tal)([^aeiouy][a-z]{2,})$")


def _fold_latin_word(word: str) -> list[str]:
    if any(char.isdigit() for char in word):
        return [word]  # "46th" names a regiment by number: nothing to transliterate
    word = _RAW_WORDS.get(word, word)
    for old, new in _CONSONANTS:
        word = word.replace(old, new)
    word = _QAF_AS_G.sub("k", word)
    for old, new in _VOWEL_GROUPS:
        word = word.replace(old, new)
    word = _DIPHTHONG_AY.sub("ay", word)
    word = _DIPHTHONG_AW.sub("aw", word)
    word = _INITIAL_GLIDE_W.sub("w", word)
    word = _GLIDE_W.sub("uw", word)
    word = _GLIDE_Y.sub("iy", word)
    if len(word) > 3:
        word = _NISBA_ENDING.sub("iya", word)
        word = _FRENCH_MUTE_E.sub("n", word)
        word = _TAA_MARBUTA.sub("a", word)
    word = word.replace("e", "a").replace("o", "u")
    word = _DOUBLED.sub(r"\1", word)
    word = _GENERIC.get(word, word)
    glued = _GLUED_GENERIC.match(word)
    if glued:
        generic, rest = (glued.group(1), glued.group(2)) if glued.group(1) else (glued.group(3), glued.group(4))
        return [_GENERIC.get(generic, generic), rest]
    return [word]


# --- Arabic script ----------------------------------------------------------------------------

_ARABIC_LETTER = re.compile("[\u0600-\u06ff\u0750-\u077f\ufb50-\ufdff\ufe70-\ufeff]")
# Persian and Kurdish letter forms met in GeoNames' Arabic-script names; hamza on its own line.
_ARABIC_FORMS = str.maketrans(
    {"ک": "ك", "گ": "ك", "ی": "ي", "ێ": "ي", "ە": "ه", "ۀ": "ه", "ۆ": "و", "چ": "ج", "پ": "ب", "ڤ": "ف",
     "ڕ": "ر", "ڵ": "ل", "ء": None}
)
_ARABIC_GENERIC_FORMS = {
    "كفر": ("كفر",), "تل": ("تل",), "دير": ("دير",), "جبل": ("جبل",), "شيخ": ("شيخ",), "عين": ("عين",),
    "خربا": ("خربا",), "بير": ("بير",), "ام": ("ام",), "ابو": ("ابو",), "بيت": ("بيت",), "راس": ("راس",),
    "قصر": ("قصر",), "وادي": ("وادي",), "جسر": ("جسر",), "خان": ("خان",), "قلعا": ("قلعا",),
    "حمام": ("حمام",), "مخيم": ("مخيم",), "برج": ("برج",),
    "صغير": ("صغير", "صغيرا", "صغري"), "كبير": ("كبير", "كبيرا", "كبري"),
    "شرقي": ("شرقي", "شرقيا"), "غربي": ("غربي", "غربيا"), "شمالي": ("شمالي", "شماليا"),
    "جنوبي": ("جنوبي", "جنوبيا"), "فوقاني": ("فوقاني",), "تحتاني": ("تحتاني",),
}
_ARABIC_GENERIC = {form: canonical for canonical, forms in _ARABIC_GENERIC_FORMS.items() for form in forms}
_ARABIC_GLUED = re.compile("^(كفر|تل)(.{3,})$")
_ARABIC_LONG_VOWELS = re.compile("(?<=.)[اوي]")


def _fold_arabic_word(word: str) -> list[str]:
    if word.startswith("ال") and len(word) > 3:
        word = word[2:]
    if word.endswith("ه"):  # taa marbuta (already ه) and final alef are written for one another
        word = word[:-1] + "ا"
    word = _DOUBLED.sub(r"\1", word)
    word = _ARABIC_GENERIC.get(word, word)
    glued = _ARABIC_GLUED.match(word)
    return [glued.group(1), glued.group(2)] if glued else [word]


def is_arabic(text: str) -> bool:
    """True when the name is written in Arabic script (any Arabic letter decides)."""
    return bool(_ARABIC_LETTER.search(text or ""))


# --- keys -------------------------------------------------------------------------------------


def _place_words(name: str) -> list[str]:
    exact = normalise_name(name)
    if is_arabic(exact):
        words = exact.translate(_ARABIC_FORMS).split()
        folded = [part for word in words for part in _fold_arabic_word(word)]
    else:
        words = exact.translate(_LATIN_LETTERS).split()
        # The article is dropped wherever it stands (al-Qasimiyah, Jisr ash-Shughur), unless it
        # is all there is.
        words = [word for word in words if word not in _ARTICLES] or words
        folded = [part for word in words for part in _fold_latin_word(word)]
    return [word for word in folded if word]


def normalise_place_name(name: str) -> str:
    """The place key: conflictdb.names.normalise_name plus transliteration folding.

    "al-Qasimiyah", "Al Qasimiya" → "kasimiya"; "Urum al-Sughra", "Orm as-Sughra" → "urum saghir"
    (the qualifier takes one canonical form); "Kfar Nabl", "Kafr Nabel" → "kafr nabal";
    "القاسمية", "قاسميه" → "قاسميا". Arabic and Latin spellings keep their own script.
    """
    return " ".join(_place_words(name))


def _skeleton_word(word: str) -> str:
    if is_arabic(word):
        return _DOUBLED.sub(r"\1", _ARABIC_LONG_VOWELS.sub("", word))
    # w and y are glides between vowels (Duwayr/Douair/Dwair) except where they open the word.
    return _DOUBLED.sub(r"\1", word[0] * (word[0] in "wy") + _LATIN_VOWELS_AND_GLIDES.sub("", word))


def _shape(text: str, arabic: bool) -> str:
    if arabic:
        return _DOUBLED.sub(r"\1", _ARABIC_LONG_VOWELS.sub("ا", text))
    return _DOUBLED.sub(r"\1", _LATIN_VOWEL_RUN.sub("a", _GLIDE.sub("", text)))


def skeleton(key: str) -> str:
    """The consonant skeleton of a place key: "urum saghir" → "rm sghr"; Arabic drops ا و ي."""
    return " ".join(filter(None, (_skeleton_word(word) for word in key.split())))


# Consonant values for reading an Arabic spelling in Latin letters (choosing an Arabic name
# that agrees with the Latin one; long vowels are written as their glide consonants).
_ARABIC_TO_LATIN = str.maketrans({
    "ا": "a", "ب": "b", "ت": "t", "ث": "t", "ج": "j", "ح": "h", "خ": "kh", "د": "d", "ذ": "d", "ر": "r",
    "ز": "z", "س": "s", "ش": "sh", "ص": "s", "ض": "d", "ط": "t", "ظ": "z", "ع": "", "غ": "gh", "ف": "f",
    "ق": "k", "ك": "k", "ل": "l", "م": "m", "ن": "n", "ه": "h", "و": "w", "ي": "y",
})


def latin_skeleton_of_arabic(name: str) -> str:
    """A rough Latin consonant skeleton of an Arabic spelling ("الصورة الصغرى" → "sr sghr")."""
    return skeleton(" ".join(_place_words(name)).translate(_ARABIC_TO_LATIN))


# Generic words a place name begins with; alone they are rarely the whole name (see below).
_NAME_HEADS = frozenset(set(_GENERIC_FORMS) - {"saghir", "kabir", "sharki", "gharbi", "shamali", "janubi",
                                                "fawkani", "tahtani"})
_ARABIC_NAME_HEADS = frozenset(set(_ARABIC_GENERIC_FORMS) - {"صغير", "كبير", "شرقي", "غربي", "شمالي", "جنوبي",
                                                             "فوقاني", "تحتاني"})
_NEXT_WORD = re.compile(r"[\s\-‐]+([^\W\d_][\w’'‘ʿʾ-]*)")


def begins_longer_name(text: str, start: int, end: int) -> bool:
    """Whether text[start:end], a one-word spelling that is a generic head of place names ("Khan",
    "Tal", "Kafr", "Deir", "خان"), is only the first word of a longer name written there ("Khan
    al-Asal", "Tal Rifaat"): the next word is capitalised, an article-prefixed word or Arabic.
    A name is matched whole, so such a spelling must not stand for the longer name: it asks."""
    words = _place_words(text[start:end])
    heads = _ARABIC_NAME_HEADS if is_arabic(text[start:end]) else _NAME_HEADS
    if len(words) != 1 or words[0] not in heads:
        return False
    following = _NEXT_WORD.match(text, end)
    if following is None:
        return False
    word = following.group(1)
    return word[0].isupper() or is_arabic(word) or word.split("-")[0].lower() in _ARTICLES


# --- the index --------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Spelling:
    """One indexed spelling of a place: an alias, or the place's own name."""

    location_id: int
    text: str
    is_alias: bool
    exact: str  # conflictdb.names key
    compact: str  # place key without spaces (glued and split spellings compare alike)
    specific: str  # compact key without its generic words
    shape: str  # `specific` without glides, every run of vowels one "a": Aqeel/Aqil → akal, Orm/Urum → arum
    skeleton: str  # consonant skeleton of the key, for retrieving candidates the letters alone would miss
    generics: frozenset
    arabic: bool


def _spelling(location_id: int, text: str, is_alias: bool) -> _Spelling | None:
    words = _place_words(text)
    if not words:
        return None
    arabic = is_arabic(text)
    generic_table = _ARABIC_GENERIC_FORMS if arabic else _GENERIC_FORMS
    # Generic words and numbers name *which* place: Kafr Basin is not Basin, the 47th is not the 46th.
    generics = frozenset(word for word in words if word in generic_table or any(ch.isdigit() for ch in word))
    key = " ".join(words)
    specific = [word for word in words if word not in generics]
    return _Spelling(
        location_id=location_id, text=text, is_alias=is_alias, exact=normalise_name(text),
        compact=key.replace(" ", ""), specific="".join(specific), shape=_shape("".join(specific), arabic),
        skeleton=skeleton(key), generics=generics, arabic=arabic,
    )


@dataclass(frozen=True)
class _Place:
    id: int
    name: str
    kind: str
    ancestors: frozenset
    governorate: str
    district: str
    latitude: float | None
    longitude: float | None


class _Script:
    """The spellings of one script, with the lookup tables resolve needs."""

    def __init__(self, spellings: list[_Spelling]):
        self.spellings = spellings
        self.compacts = [spelling.compact for spelling in spellings]
        self.by_exact: dict[str, list[int]] = {}
        self.by_key: dict[str, list[int]] = {}
        self.by_skeleton: dict[str, list[int]] = {}
        for position, spelling in enumerate(spellings):
            self.by_exact.setdefault(spelling.exact, []).append(position)
            self.by_key.setdefault(spelling.compact, []).append(position)
            self.by_skeleton.setdefault(spelling.skeleton, []).append(position)

    def candidates(self, query: _Spelling) -> set[int]:
        """Positions of every spelling worth scoring: same keys, same consonants, or similar letters."""
        found = {*self.by_exact.get(query.exact, ()), *self.by_key.get(query.compact, ()),
                 *self.by_skeleton.get(query.skeleton, ())}
        found.update(position for _key, _similarity, position in process.extract(
            query.compact, self.compacts, scorer=fuzz.ratio, score_cutoff=_RETRIEVAL_CUTOFF, limit=None))
        return found


def distance_km(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Great-circle distance between two (latitude, longitude) points."""
    lat1, lon1, lat2, lon2 = (math.radians(float(value)) for value in (*a, *b))
    h = math.sin((lat2 - lat1) / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    return 6371.0 * 2 * math.asin(math.sqrt(h))


class MatchStatus(models.TextChoices):
    MATCHED = "matched", "Matched"
    AMBIGUOUS = "ambiguous", "Ambiguous"
    UNKNOWN = "unknown", "Unknown"


def place_label(name: str, kind: str, district: str = "", governorate: str = "") -> str:
    """"Sarmīn (community, Idleb district, Idleb)": a place's name with its kind and the district
    and governorate it lies in, enough to tell homonyms apart on screen."""
    where = [kind.replace("_", " ")]
    if district and kind != Location.Kind.DISTRICT:
        where.append(f"{district} district")
    if governorate and kind != Location.Kind.GOVERNORATE:
        where.append(governorate)
    return f"{name} ({', '.join(where)})"


# The kinds of admin area a bare name may also be the town of (see the homonym rule above).
ADMIN_KINDS = frozenset({Location.Kind.COUNTRY, Location.Kind.GOVERNORATE, Location.Kind.DISTRICT,
                         Location.Kind.SUBDISTRICT})
POPULATED_KINDS = frozenset({Location.Kind.COMMUNITY})

# A word that says which kind of place a name means: (pattern on the normalise_name key, kinds).
# "countryside" is the governorate ("Damascus countryside" is Rural Damascus, Rif Dimashq).
_COUNTRYSIDE = "the governorate (or district) around it"
_QUALIFIERS = [
    (re.compile(r"^(?:the )?(?:city|town|village) of (?P<core>.+)$|^(?P<core2>.+?) (?:city|town|village)$"
                "|^(?:مدينه|بلده|قريه) (?P<core3>.+)$"), POPULATED_KINDS, "the populated place"),
    (re.compile(r"^(?:the )?(?:district|mintaqa|mantiqa) of (?P<core>.+)$|^(?P<core2>.+?) (?:district|mintaqa)$"
                "|^منطقه (?P<core3>.+)$"), frozenset({Location.Kind.DISTRICT}), "the district"),
    (re.compile(r"^(?:the )?(?:sub ?district|nahiya|nahia|nahiyah) of (?P<core>.+)$"
                r"|^(?P<core2>.+?) (?:sub ?district|nahiya|nahia|nahiyah)$|^ناحيه (?P<core3>.+)$"),
     frozenset({Location.Kind.SUBDISTRICT}), "the sub-district"),
    (re.compile(r"^(?:the )?(?:governorate|province|muhafaza|muhafazat) of (?P<core>.+)$"
                r"|^(?P<core2>.+?) (?:governorate|province|muhafaza)$|^محافظه (?P<core3>.+)$"),
     frozenset({Location.Kind.GOVERNORATE}), "the governorate"),
    (re.compile(r"^(?:the )?countryside of (?P<core>.+)$|^(?P<core2>.+?) (?:countryside|rural area)$"
                r"|^(?:rural|reef|rif|reif) (?P<core3>.+)$|^ريف (?P<core4>.+)$"),
     frozenset({Location.Kind.GOVERNORATE, Location.Kind.DISTRICT}), _COUNTRYSIDE),
]


def qualified_name(name: str) -> tuple[str, frozenset, str] | None:
    """(the name without its qualifier, the kinds the qualifier allows, what it says) for a name
    with a qualifier word ("Idleb city" → ("idleb", {community}, "the populated place")), else None."""
    key = normalise_name(name)
    for pattern, kinds, says in _QUALIFIERS:
        match = pattern.match(key)
        if match:
            core = next(value for value in match.groups() if value)
            return core, kinds, says
    return None


@dataclass(frozen=True)
class Candidate:
    location_id: int
    name: str
    kind: str
    governorate: str  # for telling homonyms apart on screen
    score: int  # 0–100
    reason: str
    alias: str  # the spelling that matched
    distance_km: float | None = None
    district: str = ""

    @cached_property
    def location(self) -> Location:
        return Location.objects.get(pk=self.location_id)

    @property
    def label(self) -> str:
        """"Dūmā (community, Duma district, Rural Damascus)": enough to tell homonyms apart."""
        return place_label(self.name, self.kind, self.district, self.governorate)


@dataclass(frozen=True)
class Suggestion:
    action: str  # "create_place" or "add_alias"
    name: str
    location_id: int | None = None  # add_alias: the place the spelling would be added to
    parent_id: int | None = None  # create_place: the admin area the resolve was scoped to
    text: str = ""


@dataclass(frozen=True)
class Resolution:
    query: str
    status: str
    candidates: tuple[Candidate, ...]
    suggestions: tuple[Suggestion, ...] = ()

    @property
    def match(self) -> Candidate | None:
        """The winning candidate, only when the status is "matched"."""
        return self.candidates[0] if self.status == MatchStatus.MATCHED else None

    @property
    def message(self) -> str:
        """One line for a row error or a form: what was found and why."""
        if self.status == MatchStatus.MATCHED:
            return f"{self.query!r} is {self.match.label}: {self.match.reason}."
        if self.status == MatchStatus.AMBIGUOUS:
            close = "; ".join(f"{c.label} — {c.reason}" for c in self.candidates if c.score >= MATCH_THRESHOLD)
            return f"{self.query!r} could be several places ({close}). Narrow it to an admin area or a point."
        offers = " or ".join(s.text for s in self.suggestions)
        return f"{self.query!r} is not a known place." + (f" {offers}." if offers else "")


class PlaceIndex:
    """Every spelling of every place, keyed for matching; built from two queries."""

    def __init__(self, places: dict[int, _Place], spellings: list[_Spelling]):
        self.places = places
        self.latin = _Script([s for s in spellings if not s.arabic])
        self.arabic = _Script([s for s in spellings if s.arabic])

    @classmethod
    def build(cls) -> PlaceIndex:
        retracted = VerificationStatus.RETRACTED  # a retracted place or spelling is never offered
        rows = list(Location.objects.values_list(
            "pk", "name", "name_ar", "kind", "parent_id", "latitude", "longitude", "verification_status"
        ))
        info = {row[0]: row for row in rows}
        places = {}
        for pk, name, _name_ar, kind, parent, lat, lon, status in rows:
            if status == retracted:
                continue
            ancestors, node = [], parent
            while node is not None and node in info and node not in ancestors and node != pk:
                ancestors.append(node)
                node = info[node][4]
            governorate = next((info[a][1] for a in [pk, *ancestors] if info[a][3] == Location.Kind.GOVERNORATE), "")
            district = next((info[a][1] for a in [pk, *ancestors] if info[a][3] == Location.Kind.DISTRICT), "")
            places[pk] = _Place(
                pk, name, kind, frozenset(ancestors), governorate, district,
                float(lat) if lat is not None else None, float(lon) if lon is not None else None,
            )
        texts = [(pk, info[pk][1], False) for pk in places] + [(pk, info[pk][2], False) for pk in places]
        aliases = LocationAlias.objects.exclude(verification_status=retracted).exclude(
            location__verification_status=retracted
        ).values_list("location_id", "name")
        texts += [(location_id, name, True) for location_id, name in aliases]
        spellings, seen = [], set()
        # Aliases first, so an alias identical to the place's name is reported as the alias.
        for location_id, text, is_alias in sorted(texts, key=lambda item: not item[2]):
            spelling = _spelling(location_id, text, is_alias) if text else None
            if spelling is not None and (location_id, spelling.exact) not in seen:
                seen.add((location_id, spelling.exact))
                spellings.append(spelling)
        return cls(places, spellings)

    def resolve(self, name: str, *, within=None, near=None, radius_km: float = DEFAULT_RADIUS_KM,
                kinds=None, limit: int = 5) -> Resolution:
        """Rank the places `name` may mean; see resolve_place."""
        scope = {"within": within, "near": near, "radius_km": radius_km, "limit": limit}
        whole = self._resolve(name, kinds=kinds, **scope)
        qualified = qualified_name(name)
        if qualified is None or (whole.candidates and whole.candidates[0].score >= VARIANT_SCORE):
            return whole  # the whole phrase is a recorded spelling ("Idlib countryside" the area)
        core, allowed, says = qualified
        kinds = [kind for kind in allowed if not kinds or kind in kinds]
        if not kinds:
            return whole
        tries = [(core, kinds)]
        if says == _COUNTRYSIDE:  # the governorate named "Rural X" where there is one: Rif Dimashq
            tries.insert(0, (f"rural {core}", kinds))
        town = self._resolve(core, kinds=None, **scope).match
        if town is not None and town.kind in POPULATED_KINDS:
            if says == _COUNTRYSIDE and town.governorate:  # "Reef Dimashq": Dimashq is Damascus
                tries.append((f"rural {town.governorate}", kinds))
            # Named by a spelling only the town has ("محافظة إدلب", "Jisr al-Shughur district"): the
            # admin area above it that bears the town's name (the one it is the chief town of).
            for area, kind in ((town.district, Location.Kind.DISTRICT), (town.governorate, Location.Kind.GOVERNORATE)):
                if area and kind in kinds and self._bears_name(town.location_id, area):
                    tries.append((area, [kind]))
        for attempt, attempt_kinds in tries:
            inner = self._resolve(attempt, kinds=attempt_kinds, **scope)
            if inner.status != MatchStatus.UNKNOWN:
                candidates = tuple(
                    replace(c, reason=f"{c.reason}; {name.strip()!r} names {says}") for c in inner.candidates)
                return Resolution(name, inner.status, candidates, inner.suggestions)
        return whole

    def _bears_name(self, location_id: int, name: str) -> bool:
        """Whether one of the place's Latin spellings spells `name` (as the gazetteer finds a
        district's seat: the same place key, or within MATCH_THRESHOLD of it)."""
        wanted = _spelling(0, name, False)
        return wanted is not None and any(
            fuzz.ratio(wanted.compact, spelling.compact) >= MATCH_THRESHOLD or wanted.skeleton == spelling.skeleton
            for spelling in self._latin_of(location_id))

    def _latin_of(self, location_id: int) -> list:
        if not hasattr(self, "_latin_by_place"):
            self._latin_by_place = {}
            for spelling in self.latin.spellings:
                self._latin_by_place.setdefault(spelling.location_id, []).append(spelling)
        return self._latin_by_place.get(location_id, [])

    def _resolve(self, name, *, within, near, radius_km, kinds, limit) -> Resolution:
        query = _spelling(0, name, True)
        if query is None:
            return Resolution(name, MatchStatus.UNKNOWN, ())
        allowed = self._scope(within, near, radius_km, kinds)
        script = self.arabic if query.arabic else self.latin
        best: dict[int, tuple[int, str, str]] = {}
        for position in script.candidates(query):
            spelling = script.spellings[position]
            if allowed is not None and spelling.location_id not in allowed:
                continue
            score, reason = _score(query, spelling)
            if score > best.get(spelling.location_id, (-1,))[0]:
                best[spelling.location_id] = (score, reason, spelling.text)
        ranked = sorted(best.items(), key=lambda item: (-item[1][0], self.places[item[0]].name))
        ranked, yielded = self._settle_homonyms(ranked)
        candidates = tuple(self._candidate(pk, *found, near) for pk, found in ranked[:limit])
        return Resolution(name, *self._verdict(name, candidates, within, yielded))

    def _settle_homonyms(self, ranked):
        """The district/town homonym rule (module docstring): among the places as close to the
        name as the best, an admin area that contains a populated place of that name yields to
        it, and of nested admin areas the inner yields to the outer. Returns the ranking with the
        yielding places right after the first of the others, and their ids (they do not compete
        for the match)."""
        if not ranked or ranked[0][1][0] < MATCH_THRESHOLD:
            return ranked, set()
        floor = max(MATCH_THRESHOLD, ranked[0][1][0] - WINNER_MARGIN + 1)
        areas = [pk for pk, (score, *_rest) in ranked if score >= floor and self.places[pk].kind in ADMIN_KINDS]
        # The town an area is named after may be spelt a little differently ("Dreikish" district,
        # "Ad Duraykīsh" town): any populated place inside the area that matched the name and
        # bears the area's name (the gazetteer's district-seat test) counts.
        towns = [pk for pk, (score, *_rest) in ranked if score >= MATCH_THRESHOLD
                 and self.places[pk].kind in POPULATED_KINDS]
        yielded = {}
        for area in areas:
            town = next((town for town in towns if area in self.places[town].ancestors
                         and self._bears_name(town, self.places[area].name)), None)
            if town is not None:
                yielded[area] = f"the {self.places[area].kind} named after {self.places[town].name}: " \
                                f"say '{self.places[area].name} {self.places[area].kind}' for it"
        if not yielded:
            for area in areas:
                outer = next((other for other in areas if other in self.places[area].ancestors), None)
                if outer is not None:
                    yielded[area] = f"inside the {self.places[outer].kind} of the same name: " \
                                    f"say '{self.places[area].name} {self.places[area].kind}' for it"
        if not yielded:
            return ranked, set()
        ranked = [(pk, (score, f"{reason}; {yielded[pk]}" if pk in yielded else reason, text))
                  for pk, (score, reason, text) in ranked]
        # The yielding areas right after the place they yield to: the next choice on screen.
        kept = [item for item in ranked if item[0] not in yielded]
        return kept[:1] + [item for item in ranked if item[0] in yielded] + kept[1:], set(yielded)

    def _scope(self, within, near, radius_km, kinds) -> set[int] | None:
        if within is None and near is None and not kinds:
            return None
        area = getattr(within, "pk", within)
        allowed = set()
        for place in self.places.values():
            if area is not None and area not in place.ancestors:
                continue
            if kinds and place.kind not in kinds:
                continue
            if near is not None and (
                place.latitude is None or distance_km(near, (place.latitude, place.longitude)) > radius_km
            ):
                continue  # a place without coordinates cannot be said to be near anything
            allowed.add(place.id)
        return allowed

    def _candidate(self, pk, score, reason, text, near) -> Candidate:
        place = self.places[pk]
        distance = None
        if near is not None and place.latitude is not None:
            distance = round(distance_km(near, (place.latitude, place.longitude)), 1)
        return Candidate(pk, place.name, place.kind, place.governorate, score, reason, text, distance, place.district)

    @staticmethod
    def _verdict(name, candidates, within, yielded=frozenset()):
        if candidates and candidates[0].score >= MATCH_THRESHOLD and candidates[0].location_id not in yielded:
            top = candidates[0].score
            runner_up = max((c.score for c in candidates[1:] if c.location_id not in yielded), default=0)
            # An exact spelling or a transliteration variant outranks any fuzzy resemblance.
            clear = top - runner_up >= WINNER_MARGIN or top >= VARIANT_SCORE > runner_up
            return (MatchStatus.MATCHED if clear else MatchStatus.AMBIGUOUS), candidates, ()
        parent = getattr(within, "pk", within)
        suggestions = [Suggestion("create_place", name, parent_id=parent, text=f"Create a new place {name!r}")]
        suggestions += [
            Suggestion("add_alias", name, location_id=c.location_id,
                       text=f"add {name!r} as a spelling of {c.label} (score {c.score})")
            for c in candidates
            if c.score >= SUGGESTION_FLOOR
        ]
        return MatchStatus.UNKNOWN, candidates, tuple(suggestions)


def _score(query: _Spelling, spelling: _Spelling) -> tuple[int, str]:
    script = "Arabic spelling" if query.arabic else "transliteration"
    what = "alias" if spelling.is_alias else "name"
    if query.exact == spelling.exact:
        return EXACT_SCORE, f"exact {what} {spelling.text!r}"
    if query.compact == spelling.compact:
        return VARIANT_SCORE, f"{script} variant of {what} {spelling.text!r}"
    if query.generics != spelling.generics:
        differing = ", ".join(sorted(query.generics ^ spelling.generics))
        score = round(fuzz.ratio(query.compact, spelling.compact)) - GENERIC_MISMATCH_PENALTY
        return max(score, 0), f"resembles {what} {spelling.text!r} but {differing!r} differs (score {max(score, 0)})"
    letters = fuzz.ratio(query.specific, spelling.specific) if query.specific or spelling.specific else 100
    shape = fuzz.ratio(query.shape, spelling.shape) if query.shape or spelling.shape else 100
    # Vowels are what transliterations disagree on most (Aqeel/Aqil, Orm/Urum): a vowel-blind
    # agreement lifts the letter score halfway, never past what the letters themselves allow twice over.
    score = round(min(max(letters, (letters + shape) / 2), FUZZY_CAP))
    return score, f"{script} variant of {what} {spelling.text!r} (score {score})"


# --- the per-process cache --------------------------------------------------------------------
#
# The index is built once per process and rebuilt when places or spellings change. A save() or
# delete() in this process invalidates it at once (signals). Anything else — bulk writes, other
# processes — is caught by a fingerprint of both tables, checked before a resolve at most every
# FRESHNESS_SECONDS; inside a transaction, or for an index built inside one (its rows may yet be
# rolled back), it is checked before every resolve.

FRESHNESS_SECONDS = 1.0


@dataclass
class _Cached:
    fingerprint: tuple
    index: PlaceIndex
    checked_at: float
    provisional: bool  # built inside a transaction


_lock = threading.Lock()
_cached: _Cached | None = None


def _fingerprint() -> tuple:
    """Changes whenever a place or a spelling is added, changed or deleted: counts, last ids and
    last update times of both tables, in one round trip (the maxima come from indexes)."""
    parts = []
    for model in (Location, LocationAlias):
        table = connection.ops.quote_name(model._meta.db_table)
        pk = connection.ops.quote_name(model._meta.pk.column)
        parts += [f"(SELECT COUNT(*) FROM {table})", f"(SELECT MAX({pk}) FROM {table})",
                  f"(SELECT MAX(updated_at) FROM {table})"]
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {', '.join(parts)}")
        return cursor.fetchone()


def _in_transaction() -> bool:
    return connection.in_atomic_block


def place_index() -> PlaceIndex:
    """The index for the database as it is now (see the cache notes above).

    Callers resolving many names at once (an import) take it once and call `.resolve` on it.
    """
    global _cached
    cached, now, in_transaction = _cached, time.monotonic(), _in_transaction()
    if (cached is not None and not cached.provisional and not in_transaction
            and now - cached.checked_at < FRESHNESS_SECONDS):
        return cached.index
    fingerprint = _fingerprint()
    if cached is not None and cached.fingerprint == fingerprint:
        cached.checked_at, cached.provisional = now, cached.provisional and in_transaction
        return cached.index
    with _lock:
        _cached = _Cached(fingerprint, PlaceIndex.build(), now, in_transaction)
        return _cached.index


def invalidate_place_index(**_kwargs) -> None:
    global _cached
    _cached = None


def connect():
    """The index follows every write of places and their aliases (conflictdb.signals: single
    saves, bulk writes and imports alike) and every delete."""
    for model in (Location, LocationAlias):
        signals.records_written.connect(invalidate_place_index, sender=model,
                                        dispatch_uid=f"places-index-write-{model.__name__}")
        post_delete.connect(invalidate_place_index, sender=model, dispatch_uid=f"places-index-delete-{model.__name__}")


# --- public API -------------------------------------------------------------------------------


def resolve_place(name: str, *, within=None, near=None, radius_km: float = DEFAULT_RADIUS_KM, kinds=None,
                  limit: int = 5) -> Resolution:
    """Which gazetteer place does `name` mean?

    within: a Location (or its pk); only places inside it (it is among their ancestors) count.
    near: (latitude, longitude); only places with coordinates within `radius_km` count.
    kinds: Location.Kind values to consider (e.g. only admin areas, or only communities).
    Returns a Resolution: status "matched" (one place at or above MATCH_THRESHOLD and WINNER_MARGIN
    ahead of the next), "ambiguous" (more than one place that close: scope it) or "unknown"
    (suggestions: create a place, or add the spelling to a near miss), with up to `limit` ranked
    candidates, each with a score (0–100) and the reason for it.
    """
    return place_index().resolve(name, within=within, near=near, radius_km=radius_km, kinds=kinds, limit=limit)


def learn_alias(location: Location, name: str, *, language: str = "", user=None) -> tuple[LocationAlias, str]:
    """Keep a spelling an editor has confirmed for `location`; the next resolve of it is exact.

    Written in the current provenance context (as `user` when given), with origin "editor".
    Idempotent: a spelling the place already has (same normalised key) is returned unchanged.
    An Arabic-script spelling without a language is recorded as "ar".
    """
    key = normalise_name(name)
    if not key:
        raise ValueError("A spelling needs at least one letter or digit.")
    existing = LocationAlias.objects.filter(location=location, normalised=key).first()
    if existing is not None:
        return existing, WriteStatus.UNCHANGED
    alias = LocationAlias(
        location=location, name=name.strip(), language=language or ("ar" if is_arabic(name) else ""),
        origin=LocationAlias.Origin.EDITOR,
    )
    with acting(**({"user": user} if user is not None else {})):
        try:
            with transaction.atomic():
                alias.save()
        except IntegrityError:  # learnt at the same moment by another request
            return LocationAlias.objects.get(location=location, normalised=key), WriteStatus.UNCHANGED
    return alias, WriteStatus.CREATED
