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
# Compounds ("twenty-seven", "one hundred and fifty", "three thousand") are read by _number().
UNIT_WORDS = {
    "zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9,
    "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15, "sixteen": 16,
    "seventeen": 17, "eighteen": 18, "nineteen": 19,
}
TENS_WORDS = {"twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80,
              "ninety": 90}
NUMBER_WORDS = {
    **UNIT_WORDS, **TENS_WORDS, "a dozen": 12, "dozen": 12, "hundred": 100, "a hundred": 100, "one hundred": 100,
    "thousand": 1000, "a thousand": 1000,
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

_ARABIC_DIGITS = str.maketrans("٠١٢٣٤٥٦٧٨٩۰۱۲۳۴۵۶۷۸۹٬", "01234567890123456789,")  # one char each: offsets hold
_THOUSANDS = re.compile(r"\d{1,3}(?:,\d{3})+")


def _alternatives(words) -> str:
    return "|".join(sorted(map(re.escape, words), key=len, reverse=True))


# A number in words: below a hundred ("twenty-seven", "eleven"), then hundreds and thousands
# ("one hundred and fifty", "three thousand"). "and" joins only after hundred/thousand, so
# "between two and four" stays two numbers.
_UNDER_100 = (rf"(?:(?:{_alternatives(TENS_WORDS)})(?:[\s-]+(?:{_alternatives(w for w in UNIT_WORDS if UNIT_WORDS[w] < 10)}))?"
              rf"|{_alternatives(UNIT_WORDS)})")
_HUNDREDS = rf"(?:(?:{_UNDER_100}|a)\s+hundred(?:\s+(?:and\s+)?{_UNDER_100})?|{_UNDER_100})"
NUMBER_IN_WORDS = (rf"(?:(?:{_HUNDREDS}|a)\s+thousand(?:\s+(?:and\s+)?{_HUNDREDS})?|{_HUNDREDS}"
                   rf"|a\s+dozen|dozen|hundred|thousand)")
_DIGITS = r"\d{1,3}(?:,\d{3})+(?!\d)|\d+"


# --- the whole text ----------------------------------------------------------------------------

_N = rf"(\d[\d,]*|{NUMBER_IN_WORDS})"
_BOUNDED = [(re.compile(rf"(?:{_alternatives(words)})\s*{_N}\+?", re.I), qualifier) for qualifier, words in BOUND_WORDS]
_RANGE = re.compile(rf"(?:between\s+)?{_N}\s*(?:-|–|—|to|and|or|/)\s*{_N}", re.I)
_PLUS = re.compile(rf"{_N}\s*\+", re.I)
_EXACT = re.compile(_N, re.I)

QUANTITY_EXPECTATION = ('a number as reported: 12, "10-12", ">35", "more than 35", "at least 4", '
                        '"about 50", "dozens", "several" or "unknown"')


def _number(text: str) -> int:
    """A number in digits ("4,500"), in words ("twenty-seven", "a dozen") or an article ("a")."""
    text = " ".join(text.lower().split())
    if text in NUMBER_WORDS:
        return NUMBER_WORDS[text]
    if text in ARTICLES:
        return ARTICLES[text]
    if text[:1].isdigit():
        return int(text.replace(",", ""))
    total = current = 0
    for word in re.split(r"[\s-]+", text):
        if word == "and":
            continue
        if word == "hundred":
            current = (current or 1) * 100
        elif word == "thousand":
            total, current = total + (current or 1) * 1000, 0
        elif word != "a":
            current += NUMBER_WORDS[word]
    return total + current


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


# --- counts in running text ----------------------------------------------------------------------

# Where a number is not a count of anything: the words and marks around it say it is a date, a
# year, a time, an age, a percentage, a phone number, a designation (T-72, BM-21, ZU-23-2, Su-24,
# Mi-8), an ordinal, a decimal, a measure, or the number of a resolution, article or unit.
MONTHS = ("january", "february", "march", "april", "may", "june", "july", "august", "september", "october",
          "november", "december", "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec")
NUMBERED_THINGS = ("resolution", "resolutions", "article", "articles", "decree", "law", "no", "no.", "nos", "number",
                   "#", "route", "highway", "road", "brigade", "division", "regiment", "battalion", "corps", "unit",
                   "chapter", "page", "section", "paragraph", "item", "room", "building", "block", "sector",
                   "point", "kilometre", "kilometer", "km", "m", "flight", "case", "file", "version", "grade", "level",
                   "phase", "stage", "sura", "verse", "channel", "code", "ext", "tel", "tel.", "phone", "fax")
MEASURES = ("%", "٪", "percent", "per cent", "percentage", "km", "kms", "kilometres", "kilometers", "kilometre",
            "kilometer", "metres", "meters", "metre", "meter", "miles", "mile", "mm", "cm", "kg", "kilograms",
            "tonnes", "tons", "am", "pm", "a.m.", "p.m.", "o'clock", "hrs", "hours", "hour", "minutes", "minute",
            "seconds", "days", "day", "weeks", "week", "months", "month", "years", "year", "decades", "degrees",
            "dollars", "usd", "euros", "pounds", "lira", "liras", "syp", "million", "millions", "billion", "billions")
YEAR_WORDS = ("in", "since", "of", "until", "till", "by", "during", "from", "before", "after", "year", "early",
              "late", "mid", "spring", "summer", "autumn", "fall", "winter", "between", "and", "to", "through")

_WORD_COUNTS = {  # a word that is the whole count, as in QUANTITY_WORDS
    "several": Qualifier.SEVERAL, "a few": Qualifier.A_FEW, "few": Qualifier.A_FEW, "many": Qualifier.MULTIPLE,
    "multiple": Qualifier.MULTIPLE, "numerous": Qualifier.MULTIPLE, "dozens": Qualifier.DOZENS,
    "scores": Qualifier.DOZENS, "hundreds": Qualifier.HUNDREDS, "عشرات": Qualifier.DOZENS,
    "مئات": Qualifier.HUNDREDS, "عدة": Qualifier.SEVERAL,
}
_NUMBER = rf"(?:{_DIGITS}|{NUMBER_IN_WORDS})"
_BOUND_ALTERNATIVES = [(qualifier, _alternatives(word for word in words if word[0].isalpha() or word[0] in "أل"))
                       for qualifier, words in BOUND_WORDS]
_COUNT = re.compile(
    rf"(?<![\w+$€£.,:/-])(?:"
    rf"(?P<bound>{'|'.join(alternatives for _qualifier, alternatives in _BOUND_ALTERNATIVES)})\s+(?P<bounded>{_NUMBER})"
    rf"|between\s+(?P<between_low>{_NUMBER})\s+and\s+(?P<between_high>{_NUMBER})"
    rf"|(?P<range_low>{_DIGITS})\s*[-–—]\s*(?P<range_high>{_DIGITS})(?![\w-])"
    rf"|(?P<words_low>{_NUMBER})\s+(?:to|or)\s+(?P<words_high>{_NUMBER})(?![\w-])"
    rf"|(?P<plus>{_DIGITS})\+"
    rf"|(?P<number>{_NUMBER})"
    rf"|(?P<word>{_alternatives(_WORD_COUNTS)})"
    rf"|(?P<article>an?|single|a\s+single)(?=\s+(?:\d+-[^\W\d_][\w-]*\s+)?[^\W\d_])"
    rf")(?![\w,.]\d|[\w])",
    re.IGNORECASE)
_MONTH = rf"(?:{_alternatives(MONTHS)})\.?"
_DESIGNATION_BEFORE = re.compile(r"[A-Za-z][\w]*-(?:\d+-)*$")  # "T-", "ZU-23-", "BM-"
_NOT_A_COUNT_AFTER = re.compile(
    rf"(?:-(?:[^\W\d_]|\d)"  # 12-year-old, 23-caliber, ZU-23-2's "23-2" seen from its first number
    rf"|\s*(?:{_alternatives(MEASURES)})(?![^\W\d_])"
    rf"|\s+(?:{_MONTH})(?![^\W\d_])"  # 13 March
    rf"|\s+years?\s+(?:old|of\s+age)"
    rf"|[:/.]\d)", re.IGNORECASE)
_NOT_A_COUNT_BEFORE = re.compile(
    rf"(?:(?<![^\W\d_])(?:{_alternatives(NUMBERED_THINGS)})\s*"
    rf"|(?<![^\W\d_])(?:{_MONTH})\s+"  # March 13, March 2024
    rf"|(?<![^\W\d_])aged?\s+"
    rf"|\d[\s-]|\+|\d[:/.])$", re.IGNORECASE)
_AGE_AFTER_NAME = re.compile(r"[A-Z][\w'’-]+,\s*$")  # "Omar Hassan, 8," or "Omar (8)"
_YEAR_BEFORE = re.compile(rf"(?<![^\W\d_])(?:{_alternatives(YEAR_WORDS)}|{_MONTH})\s+$|[,(]\s*$", re.IGNORECASE)


def _is_year(value: str, text: str, start: int, end: int) -> bool:
    """1900–2099 in four digits is a year when a date word is before it or no word follows it."""
    if not re.fullmatch(r"(?:19|20)\d\d", value):
        return False
    return bool(_YEAR_BEFORE.search(text[max(0, start - 12):start])) or not re.match(r"\s+[a-z]", text[end:])


def _not_a_count(text: str, match) -> bool:
    """Whether the number matched is not a count (see MONTHS, NUMBERED_THINGS, MEASURES)."""
    start, end = match.span()
    before, after = text[max(0, start - 30):start], text[end:end + 20]
    if match.group("article"):
        return False
    if _DESIGNATION_BEFORE.search(before) or _NOT_A_COUNT_BEFORE.search(before) or _NOT_A_COUNT_AFTER.match(after):
        return True
    if re.fullmatch(r"\d+", match.group(0)) and (_is_year(match.group(0), text, start, end)
                                                 or len(match.group(0)) >= 7):  # a phone number, an id
        return True
    # An age after a name: "Omar Hassan, 8," / "Omar Hassan (8)".
    return bool(match.group("number") and (_AGE_AFTER_NAME.search(before) and re.match(r"\s*[,;.)]", after)
                                           or re.search(r"[A-Z][\w'’-]+\s*\($", before) and after.startswith(")")))


def find_counts(text: str) -> list[dict]:
    """Every count stated in a running text, in order: {start, end, low, high, qualifier, wording,
    article}. start/end are offsets in `text` (the wording is text[start:end]); article is True
    for "a"/"an" before a word (a count only if what follows is a thing counted: the caller says).

    "two destroyed BMP-1 vehicles" → 2 (BMP-1 is a designation); "about 4,500 families" → about
    4,500; "between 12 and 15", "12-15", "two or three" → ranges; "more than 300" → low 301, as
    read_quantity; "dozens", "several" → the qualifier alone. Not counts: years ("in 2024"), dates
    ("13 March"), times ("10:30", "10 am"), ages ("a 12-year-old", "aged 12", "Omar, 8,"),
    percentages, phone-like numbers, ordinals ("46th"), decimals, measures ("5 km"),
    designations ("T-72", "ZU-23-2", "Su-24") and numbered things ("Resolution 2254").
    """
    folded = (text or "").translate(_ARABIC_DIGITS)
    counts = []
    for match in _COUNT.finditer(folded):
        if _not_a_count(folded, match):
            continue
        groups = match.groupdict()
        wording = text[match.start():match.end()]
        if groups["bound"]:
            bound = groups["bound"].lower()
            qualifier = next(qualifier for qualifier, words in BOUND_WORDS if bound in words or " ".join(bound.split()) in words)
            value = _bounded(qualifier, _number(groups["bounded"]), wording)
        elif groups["between_low"] or groups["range_low"] or groups["words_low"]:
            low, high = next((groups[f"{kind}_low"], groups[f"{kind}_high"]) for kind in ("between", "range", "words")
                             if groups[f"{kind}_low"])
            low, high = sorted((_number(low), _number(high)))
            value = {"low": low, "high": high, "qualifier": Qualifier.RANGE.value, "wording": wording}
        elif groups["plus"]:
            value = {"low": _number(groups["plus"]), "high": None, "qualifier": Qualifier.AT_LEAST.value,
                     "wording": wording}
        elif groups["word"]:
            value = {"low": None, "high": None, "qualifier": _WORD_COUNTS[groups["word"].lower()].value,
                     "wording": wording}
        else:
            number = _number(groups["number"] or groups["article"].split()[-1])
            value = {"low": number, "high": number, "qualifier": Qualifier.EXACT.value, "wording": wording}
        counts.append({**value, "start": match.start(), "end": match.end(), "article": bool(groups["article"])})
    return counts


def best_estimate(low, high, qualifier) -> int | None:
    """The single best figure of a number as reported (events.consensus's "best"): exact, about, at
    least and more than → low; a range → its midpoint (rounded down); at most and words → None."""
    if qualifier == Qualifier.EXACT:
        return low
    if qualifier == Qualifier.RANGE and low is not None and high is not None:
        return (low + high) // 2
    if qualifier in (Qualifier.ABOUT, Qualifier.AT_LEAST, Qualifier.MORE_THAN):
        return low
    return None


# --- a number inside a phrase -------------------------------------------------------------------

_PHRASE_WORDS = [(re.compile(rf"\b{re.escape(word)}\b"), qualifier) for word, qualifier in PHRASE_WORDS]

PHRASE_EXPECTATION = ('a number as written: "10", "ten", "a tank", "more than 35", "at least 2", "3-5", '
                      '"about 20", "up to 40", "dozens", "several", "unknown"')

# How a count may be written before what it counts ("more than 35 soldiers", "a tank"), for
# readers that look for counts in a sentence with a pattern of their own.
COUNT_PATTERN = (r"(?:(?:" + _alternatives(word for _qualifier, words in PHRASE_BOUND_WORDS for word in words)
                 + r")\s+)?(?:\d+|dozens|hundreds|several|a few|many|multiple|numerous|"
                 + _alternatives([*NUMBER_WORDS, *ARTICLES]) + r")\b")


def find_quantity(phrase: str) -> dict:
    """{low, high, qualifier, wording} for the number a phrase states.

    The whole phrase is read by read_quantity first ("under 10", "1,200", "35+"); otherwise the
    first count find_counts finds in it ("more than 35 soldiers", "between two and four", "two
    destroyed BMP-1 vehicles", "dozens of fighters"), then a quantity word ("a large
    displacement": unknown), then an article ("a tank"). The wording is the phrase as written.
    QuantityError when it states none (an empty phrase included).
    """
    wording = (phrase or "").strip()
    if not wording:
        raise QuantityError(f"a number is required: {PHRASE_EXPECTATION}")
    try:
        return read_quantity(wording)
    except QuantityError:
        pass
    counts = find_counts(wording)
    stated = [count for count in counts if not count["article"]]
    if stated:
        return {**{part: stated[0][part] for part in ("low", "high", "qualifier")}, "wording": wording}
    text = " " + re.sub(r"\s+", " ", wording.casefold()) + " "
    for pattern, qualifier in _PHRASE_WORDS:
        if pattern.search(text):
            return {"low": None, "high": None, "qualifier": qualifier.value, "wording": wording}
    if counts:
        return {"low": 1, "high": 1, "qualifier": Qualifier.EXACT.value, "wording": wording}
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
