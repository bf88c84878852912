"""Numbers as reports state them ("more than 35", ">35", "dozens", "10-12"), read into a quantity
(low, high, qualifier, wording) following events.vocabularies.Qualifier: the wording is always
kept, and a word alone ("dozens") keeps low and high empty (the word-quantity convention turns it
into a number only for sums and exports).

`read_quantity` is how the import engine reads the low / high / qualifier / wording cells of a
row together (one number can fill several fields); events.csv.register gives it to the engine as
the "quantity" cell group (registry["csv_cell_groups"]).
"""

from __future__ import annotations

import re

from conflictdb.csvio.values import CellError, parse_int
from events.vocabularies import Qualifier

QUANTITY_FIELDS = ("low", "high", "qualifier", "wording")
_QUALIFIERS = frozenset(Qualifier.values)

_WORDS = {  # a word alone, with the qualifier it means
    "a few": Qualifier.A_FEW, "few": Qualifier.A_FEW, "several": Qualifier.SEVERAL, "some": Qualifier.SEVERAL,
    "many": Qualifier.MULTIPLE, "multiple": Qualifier.MULTIPLE, "numerous": Qualifier.MULTIPLE,
    "dozens": Qualifier.DOZENS, "dozens of": Qualifier.DOZENS, "scores": Qualifier.DOZENS,
    "hundreds": Qualifier.HUNDREDS, "hundreds of": Qualifier.HUNDREDS,
    "unknown": Qualifier.UNKNOWN, "unclear": Qualifier.UNKNOWN, "?": Qualifier.UNKNOWN, "n/a": Qualifier.UNKNOWN,
    "عشرات": Qualifier.DOZENS, "مئات": Qualifier.HUNDREDS, "عدة": Qualifier.SEVERAL, "عدد من": Qualifier.SEVERAL,
}
_NUMBER_WORDS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
                 "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "fifteen": 15, "twenty": 20, "a dozen": 12,
                 "thirty": 30, "forty": 40, "fifty": 50, "a hundred": 100, "one hundred": 100}
_ARABIC_DIGITS = str.maketrans("٠١٢٣٤٥٦٧٨٩۰۱۲۳۴۵۶۷۸۹", "01234567890123456789")
_N = r"(\d[\d,]*|" + "|".join(sorted(map(re.escape, _NUMBER_WORDS), key=len, reverse=True)) + r")"
_PREFIXES = (  # (pattern before a number, qualifier)
    (r"(?:>|more than|over|above|upwards of|in excess of|أكثر من)", Qualifier.MORE_THAN),
    (r"(?:>=|≥|at least|no fewer than|no less than|not less than|a minimum of|minimum|لا يقل عن)",
     Qualifier.AT_LEAST),
    (r"(?:<=|≤|<|at most|up to|no more than|fewer than|less than|under|as many as)", Qualifier.AT_MOST),
    (r"(?:~|≈|about|around|approximately|approx\.?|roughly|some|nearly|almost|some|حوالي|نحو)", Qualifier.ABOUT),
)
_PREFIX_PATTERNS = [(re.compile(rf"{prefix}\s*{_N}\+?", re.I), qualifier) for prefix, qualifier in _PREFIXES]
_RANGE = re.compile(rf"(?:between\s+)?{_N}\s*(?:-|–|—|to|and|or|/)\s*{_N}", re.I)
_PLUS = re.compile(rf"{_N}\s*\+", re.I)
_EXACT = re.compile(_N, re.I)

QUANTITY_EXPECTATION = ('a number as reported: 12, "10-12", ">35", "more than 35", "at least 4", '
                        '"about 50", "dozens", "several" or "unknown"')


def _number(text: str) -> int:
    text = text.lower()
    return _NUMBER_WORDS[text] if text in _NUMBER_WORDS else int(text.replace(",", ""))


def parse_quantity(text: str) -> dict | None:
    """{low, high, qualifier, wording} for a number as written, or None for an empty cell.

    "12" → exact 12; "10-12" → range 10–12; ">35" / "more than 35" → low 36, open-ended
    (more than 35 means at least 36 whole people); "35+" / "at least 35" → low 35; "up to 20" →
    high 20; "about 50" → low = high = 50, qualifier about; "dozens" → qualifier only.
    """
    wording = text.strip()
    if not wording:
        return None
    folded = " ".join(wording.translate(_ARABIC_DIGITS).lower().split())
    folded = folded.rstrip(".").removesuffix(" people").removesuffix(" persons")
    if folded in _WORDS:
        return {"low": None, "high": None, "qualifier": _WORDS[folded].value, "wording": wording}
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
    for pattern, qualifier in _PREFIX_PATTERNS:
        match = pattern.fullmatch(folded)
        if match is None:
            continue
        value = _number(match.group(1))
        if qualifier == Qualifier.MORE_THAN:
            return {"low": value + 1, "high": None, "qualifier": qualifier.value, "wording": wording}
        if qualifier == Qualifier.AT_LEAST:
            return {"low": value, "high": None, "qualifier": qualifier.value, "wording": wording}
        if qualifier == Qualifier.AT_MOST:
            return {"low": None, "high": value, "qualifier": qualifier.value, "wording": wording}
        return {"low": value, "high": value, "qualifier": qualifier.value, "wording": wording}
    raise CellError(f"expected {QUANTITY_EXPECTATION}")


def read_quantity(text: dict, columns: dict, choice) -> dict:
    """low / high / qualifier / wording, with numbers as people write them ("more than 35").

    `text` and `columns`: field name → cell text and → header column, for the fields the file
    states; `choice(field name, text)` reads a choice cell as the importer does. Raises
    CellError(message, (column, cell)).
    """
    low, high = text.get("low", "").strip(), text.get("high", "").strip()
    qualifier_text, wording = text.get("qualifier", "").strip(), text.get("wording", "")
    for name, cell in (("low", low), ("high", high)):
        if cell and not cell.replace(",", "").isdigit():
            if name == "low" and not high and not qualifier_text:
                try:
                    parsed = parse_quantity(cell)
                except CellError as error:
                    raise CellError(str(error), (columns["low"], cell)) from error
                return {**parsed, "wording": wording or parsed["wording"]}
            raise CellError(f"expected a whole number, or the number as reported in {columns.get('low', 'low')} "
                              "alone", (columns[name], cell))
    values = {}
    try:
        values["low"] = parse_int(low) if "low" in text else None
        values["high"] = parse_int(high) if "high" in text else None
    except CellError as error:
        raise CellError(str(error), (columns["low"], low)) from error
    if "wording" in text:
        values["wording"] = wording
    if qualifier_text:
        try:
            values["qualifier"] = qualifier_text if qualifier_text in _QUALIFIERS else choice("qualifier", qualifier_text)
        except CellError as error:
            raise CellError(str(error), (columns["qualifier"], qualifier_text)) from error
        return values
    if values.get("low") is None and values.get("high") is None and wording.strip():
        try:
            return {**parse_quantity(wording), "wording": wording}
        except CellError as error:
            raise CellError(str(error), (columns["wording"], wording)) from error
    if values.get("low") is not None:
        if values.get("high") is None and "high" not in text:
            values["high"] = values["low"]
        values["qualifier"] = "exact" if values["low"] == values.get("high") else (
            "range" if values.get("high") is not None else "at_least")
    elif values.get("high") is not None:
        values["qualifier"] = "at_most"
    else:
        values["qualifier"] = "unknown"
    return values
