"""A number as reported: how a count was stated (exact, at least, more than, a range, "dozens"),
and the one reader every door uses to turn what was written into low / high / qualifier / wording.

Figures, losses, attacks and displacements store a quantity in the vocabulary of
events.vocabularies.Qualifier; the CSV import (events/csv), the desk and the seed loader read one
here. Three ways in:

- `read_quantity(text)`: the whole text is a number as reported ("12", "10-12", ">35", "more than
  35", "35+", "up to 20", "about 50", "dozens", "عشرات"). The CSV import's cell reader.
- `find_quantity(phrase)`: the number inside a phrase an editor types or a passage holds ("a
  tank", "three tanks", "ten fighters", "a large displacement"): the whole text first, then a
  number found in it. The desk's reader.
- `quantity_from_parts(low=, high=, qualifier=, wording=)`: the four parts stated separately (a
  file's columns, a seed's fields), with the qualifier inferred when it is left out.

Each returns {low, high, qualifier, wording} with the qualifier as its stored value, or raises
QuantityError saying what was expected (and which part, for quantity_from_parts). The wording is
always kept, and a word alone ("dozens") keeps low and high empty (WORD_QUANTITY_CONVENTION turns
it into a number only for sums and exports). "More than 35" is stored as low 36 (whole people).
"""

from __future__ import annotations

import re

from events.vocabularies import Qualifier

QUANTITY_PARTS = ("low", "high", "qualifier", "wording")


class QuantityError(ValueError):
    """A number that cannot be read. `part` names the part at fault (quantity_from_parts) and
    `text` what it held; the message says what was expected."""

    def __init__(self, message: str, part: str = "", text: str = ""):
        super().__init__(message)
        self.part, self.text = part, text


# --- vocabulary -------------------------------------------------------------------------------

# Numbers written in words. Articles count one only before a noun ("a tank"), never alone.
NUMBER_WORDS = {
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9,
    "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15, "sixteen": 16,
    "seventeen": 17, "eighteen": 18, "nineteen": 19, "twenty": 20, "thirty": 30, "forty": 40, "fifty": 50,
    "a dozen": 12, "hundred": 100, "a hundred": 100, "one hundred": 100,
}
ARTICLES = {"a": 1, "an": 1, "single": 1}

# A word (or phrase) that is the whole quantity, with the qualifier it means.
QUANTITY_WORDS = {
    "a few": Qualifier.A_FEW, "few": Qualifier.A_FEW, "several": Qualifier.SEVERAL, "some": Qualifier.SEVERAL,
    "many": Qualifier.MULTIPLE, "multiple": Qualifier.MULTIPLE, "numerous": Qualifier.MULTIPLE,
    "dozens": Qualifier.DOZENS, "dozens of": Qualifier.DOZENS, "scores": Qualifier.DOZENS,
    "hundreds": Qualifier.HUNDREDS, "hundreds of": Qualifier.HUNDREDS,
    "unknown": Qualifier.UNKNOWN, "unclear": Qualifier.UNKNOWN, "?": Qualifier.UNKNOWN, "n/a": Qualifier.UNKNOWN,
    "عشرات": Qualifier.DOZENS, "مئات": Qualifier.HUNDREDS, "عدة": Qualifier.SEVERAL, "عدد من": Qualifier.SEVERAL,
}
# Words that give a phrase its qualifier when no number is found in it, first match wins ("a large
# displacement" is a count nobody gave). "some" is not among them: "some 20" is about 20.
PHRASE_WORDS = (
    ("dozens", Qualifier.DOZENS), ("hundreds", Qualifier.HUNDREDS), ("several", Qualifier.SEVERAL),
    ("few", Qualifier.A_FEW), ("many", Qualifier.MULTIPLE), ("multiple", Qualifier.MULTIPLE),
    ("numerous", Qualifier.MULTIPLE), ("unknown", Qualifier.UNKNOWN), ("large", Qualifier.UNKNOWN),
)

# Words before a number, with the qualifier they give it; checked in this order.
BOUND_WORDS = (
    (Qualifier.MORE_THAN, (">", "more than", "over", "above", "upwards of", "in excess of", "أكثر من")),
    (Qualifier.AT_LEAST, (">=", "≥", "at least", "no fewer than", "no less than", "not less than", "a minimum of",
                          "minimum", "لا يقل عن")),
    (Qualifier.AT_MOST, ("<=", "≤", "<", "at most", "up to", "no more than", "fewer than", "less than", "under",
                         "as many as")),
    (Qualifier.ABOUT, ("~", "≈", "about", "around", "approximately", "approx.", "approx", "roughly", "some",
                       "nearly", "almost", "حوالي", "نحو")),
)
# The bounds a phrase is searched for: the plain-word ones the desk has always read in a sentence.
PHRASE_BOUND_WORDS = (
    (Qualifier.MORE_THAN, ("more than", "over", "above")),
    (Qualifier.AT_LEAST, ("at least",)),
    (Qualifier.AT_MOST, ("at most", "up to", "fewer than", "less than")),
    (Qualifier.ABOUT, ("about", "around", "approximately", "some", "nearly")),
)

_ARABIC_DIGITS = str.maketrans("٠١٢٣٤٥٦٧٨٩۰۱۲۳۴۵۶۷۸۹", "01234567890123456789")
_THOUSANDS = re.compile(r"\d{1,3}(?:,\d{3})+")


def _alternatives(words) -> str:
    return "|".join(sorted(map(re.escape, words), key=len, reverse=True))


# --- the whole text ----------------------------------------------------------------------------

_N = rf"(\d[\d,]*|{_alternatives(NUMBER_WORDS)})"
_BOUNDED = [(re.compile(rf"(?:{_alternatives(words)})\s*{_N}\+?", re.I), qualifier) for qualifier, words in BOUND_WORDS]
_RANGE = re.compile(rf"(?:between\s+)?{_N}\s*(?:-|–|—|to|and|or|/)\s*{_N}", re.I)
_PLUS = re.compile(rf"{_N}\s*\+", re.I)
_EXACT = re.compile(_N, re.I)

QUANTITY_EXPECTATION = ('a number as reported: 12, "10-12", ">35", "more than 35", "at least 4", '
                        '"about 50", "dozens", "several" or "unknown"')


def _number(text: str) -> int:
    text = text.lower()
    if text in NUMBER_WORDS:
        return NUMBER_WORDS[text]
    if text in ARTICLES:
        return ARTICLES[text]
    return int(text.replace(",", ""))


def _bounded(qualifier: Qualifier, value: int, wording: str) -> dict:
    """A number with the word before it: "more than 35" is at least 36 whole people."""
    if qualifier == Qualifier.MORE_THAN:
        return {"low": value + 1, "high": None, "qualifier": qualifier.value, "wording": wording}
    if qualifier == Qualifier.AT_LEAST:
        return {"low": value, "high": None, "qualifier": qualifier.value, "wording": wording}
    if qualifier == Qualifier.AT_MOST:
        return {"low": None, "high": value, "qualifier": qualifier.value, "wording": wording}
    return {"low": value, "high": value, "qualifier": qualifier.value, "wording": wording}


def read_quantity(text: str) -> dict | None:
    """{low, high, qualifier, wording} for a text that is a number as reported; None when empty.

    "12" → exact 12; "10-12" → range 10–12; ">35" / "more than 35" → low 36, open-ended;
    "35+" / "at least 35" → low 35; "up to 20" → high 20; "about 50" → low = high = 50, qualifier
    about; "dozens" → qualifier only. Anything else raises QuantityError.
    """
    wording = text.strip()
    if not wording:
        return None
    folded = " ".join(wording.translate(_ARABIC_DIGITS).lower().split())
    folded = folded.rstrip(".").removesuffix(" people").removesuffix(" persons")
    if folded in QUANTITY_WORDS:
        return {"low": None, "high": None, "qualifier": QUANTITY_WORDS[folded].value, "wording": wording}
    if _EXACT.fullmatch(folded):
        value = _number(folded)
        return {"low": value, "high": value, "qualifier": Qualifier.EXACT.value, "wording": wording}
    match = _RANGE.fullmatch(folded)
    if match:
        low, high = sorted((_number(match.group(1)), _number(match.group(2))))
        return {"low": low, "high": high, "qualifier": Qualifier.RANGE.value, "wording": wording}
    match = _PLUS.fullmatch(folded)
    if match:
        return {"low": _number(match.group(1)), "high": None, "qualifier": Qualifier.AT_LEAST.value,
                "wording": wording}
    for pattern, qualifier in _BOUNDED:
        match = pattern.fullmatch(folded)
        if match:
            return _bounded(qualifier, _number(match.group(1)), wording)
    raise QuantityError(f"expected {QUANTITY_EXPECTATION}", text=wording)


# --- a number inside a phrase -------------------------------------------------------------------

# In a phrase a number is a word of its own: spaces either side (the phrase is padded with one).
_PHRASE_N = rf"(\d+|{_alternatives([*NUMBER_WORDS, *ARTICLES])})"
_PHRASE_RANGE = re.compile(rf" (?:between )?{_PHRASE_N} ?(?:-|–|to|and) ?{_PHRASE_N} ")
_PHRASE_BOUNDED = [(re.compile(rf" (?:{_alternatives(words)}) {_PHRASE_N} "), qualifier)
                   for qualifier, words in PHRASE_BOUND_WORDS]
_PHRASE_WORDS = [(re.compile(rf"\b{re.escape(word)}\b"), qualifier) for word, qualifier in PHRASE_WORDS]
_PHRASE_NUMBER = re.compile(rf" {_PHRASE_N} ")

PHRASE_EXPECTATION = ('a number as written: "10", "ten", "a tank", "more than 35", "at least 2", "3-5", '
                      '"about 20", "up to 40", "dozens", "several", "unknown"')

# How a count may be written before what it counts ("more than 35 soldiers", "a tank"), for
# readers that look for counts in a sentence (the desk's drafting).
COUNT_PATTERN = (r"(?:(?:" + _alternatives(word for _qualifier, words in PHRASE_BOUND_WORDS for word in words)
                 + r")\s+)?(?:\d+|dozens|hundreds|several|a few|many|multiple|numerous|"
                 + _alternatives([*NUMBER_WORDS, *ARTICLES]) + r")\b")


def find_quantity(phrase: str) -> dict:
    """{low, high, qualifier, wording} for the number a phrase states.

    The whole phrase is read by read_quantity first ("under 10", "1,200", "35+"); otherwise the
    number is found in it: a range ("between two and four"), a bound ("more than 35 soldiers"), a
    quantity word ("dozens of fighters", "a large displacement": unknown), then a number alone
    ("a tank", "three tanks"). The wording is the phrase as written. QuantityError when it
    states none (an empty phrase included).
    """
    wording = (phrase or "").strip()
    if not wording:
        raise QuantityError(f"a number is required: {PHRASE_EXPECTATION}")
    try:
        return read_quantity(wording)
    except QuantityError:
        pass
    text = " " + re.sub(r"\s+", " ", wording.translate(_ARABIC_DIGITS).casefold()) + " "
    match = _PHRASE_RANGE.search(text)
    if match:
        return {"low": _number(match.group(1)), "high": _number(match.group(2)),
                "qualifier": Qualifier.RANGE.value, "wording": wording}
    for pattern, qualifier in _PHRASE_BOUNDED:
        match = pattern.search(text)
        if match:
            return _bounded(qualifier, _number(match.group(1)), wording)
    for pattern, qualifier in _PHRASE_WORDS:
        if pattern.search(text):
            return {"low": None, "high": None, "qualifier": qualifier.value, "wording": wording}
    match = _PHRASE_NUMBER.search(text)
    if match:
        number = _number(match.group(1))
        return {"low": number, "high": number, "qualifier": Qualifier.EXACT.value, "wording": wording}
    raise QuantityError(f"expected {PHRASE_EXPECTATION}", text=wording)


# --- the parts stated separately ----------------------------------------------------------------

def _qualifier(text: str) -> str:
    """A qualifier by its value or label, in any case."""
    if text in Qualifier.values:
        return text
    folded = text.lower()
    for value, label in Qualifier.choices:
        if folded in (value.lower(), str(label).lower()):
            return value
    raise QuantityError(f"not an allowed value; allowed: {', '.join(Qualifier.values)}", "qualifier", text)


def _whole(part: str, value) -> int | None:
    """A low or high stated on its own: a whole number (a cell's text, or a number already read)."""
    if value is None:
        return None
    if not isinstance(value, str):
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise QuantityError("expected a whole number, 0 or more", part, value)
        return value
    text = value.strip()
    if not text:
        return None
    try:
        return int(text.replace(",", "") if _THOUSANDS.fullmatch(text) else text)
    except ValueError:
        raise QuantityError("expected a whole number", part, text) from None


def quantity_from_parts(*, low=None, high=None, qualifier=None, wording=None, labels=None) -> dict:
    """{low, high, qualifier, wording} from the parts stated separately; None means not stated.

    low and high are whole numbers (or their text, "1,200"). A low written as reported ("more
    than 35"), alone without a high or a qualifier, is read by read_quantity. A qualifier (value or
    label) is taken as stated; without one it is inferred: low alone is exact (high = low) unless a
    high was stated empty (at least), low and high a range (exact when equal), high alone at most,
    and neither: the wording read by read_quantity, else unknown. wording is returned only when
    stated. `labels` names the parts in messages (a file's column names).
    """
    labels = labels or {}
    low_text = low.strip() if isinstance(low, str) else ""
    high_text = high.strip() if isinstance(high, str) else ""
    qualifier_text = (qualifier or "").strip()
    wording_text = wording or ""
    for part, cell in (("low", low_text), ("high", high_text)):
        if cell and not cell.replace(",", "").isdigit():
            if part == "low" and not high_text and not qualifier_text:
                try:
                    parsed = read_quantity(cell)
                except QuantityError as error:
                    raise QuantityError(str(error), "low", cell) from error
                return {**parsed, "wording": wording_text or parsed["wording"]}
            raise QuantityError(f"expected a whole number, or the number as reported in {labels.get('low', 'low')} "
                                "alone", part, cell)
    values = {"low": _whole("low", low), "high": _whole("high", high)}
    if wording is not None:
        values["wording"] = wording_text
    if qualifier_text:
        values["qualifier"] = _qualifier(qualifier_text)
        return values
    if values["low"] is None and values["high"] is None and wording_text.strip():
        try:
            return {**read_quantity(wording_text), "wording": wording_text}
        except QuantityError as error:
            raise QuantityError(str(error), "wording", wording_text) from error
    if values["low"] is not None:
        if values["high"] is None and high is None:
            values["high"] = values["low"]
        values["qualifier"] = Qualifier.EXACT.value if values["low"] == values["high"] else (
            Qualifier.RANGE.value if values["high"] is not None else Qualifier.AT_LEAST.value)
    elif values["high"] is not None:
        values["qualifier"] = Qualifier.AT_MOST.value
    else:
        values["qualifier"] = Qualifier.UNKNOWN.value
    return values
