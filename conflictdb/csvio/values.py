"""Reading cell values as people write them: dates, whole numbers, decimals, booleans, and numbers
stated in words ("more than 35", ">35", "dozens", "10-12").

Every parser returns the value or raises CellError with the expectation, so the importer can
report row, column, value and reason. A number in words becomes a quantity (low, high,
qualifier, wording) following events.vocabularies.Qualifier: the wording is always kept, and a
word alone ("dozens") keeps low and high empty (the word-quantity convention turns it into a
number only for sums and exports).
"""

from __future__ import annotations

import datetime
import re
from decimal import Decimal, InvalidOperation

from events.vocabularies import Qualifier


class CellError(ValueError):
    """A cell that cannot be read; the message says what was expected."""


# --- dates ----------------------------------------------------------------------------------------

_MONTHS = {name: number for number, names in enumerate((
    ("january", "jan"), ("february", "feb"), ("march", "mar"), ("april", "apr"), ("may",), ("june", "jun"),
    ("july", "jul"), ("august", "aug"), ("september", "sep", "sept"), ("october", "oct"),
    ("november", "nov"), ("december", "dec")), start=1) for name in names}
_ISO_DATE = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})")
# UCDP's official CSV writes "2011-10-02 00:00:00.000"; spreadsheets add a time to dates too.
_ISO_MIDNIGHT = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})[ T]00:00(?::00(?:\.0+)?)?Z?")
_DAY_MONTH_YEAR = re.compile(r"(\d{1,2})(?:st|nd|rd|th)?\s+([A-Za-z]+)\.?,?\s+(\d{4})")
_MONTH_DAY_YEAR = re.compile(r"([A-Za-z]+)\.?\s+(\d{1,2})(?:st|nd|rd|th)?,?\s+(\d{4})")
_NUMERIC_DAY_FIRST = re.compile(r"(\d{1,2})[/.](\d{1,2})[/.](\d{4})")

DATE_EXPECTATION = ("a date such as 2024-11-27, 2024-11-27 00:00:00.000 or 27 November 2024 "
                    "(27/11/2024 only when the file is declared day-first)")


def parse_date(text: str, *, dayfirst: bool = False) -> datetime.date | None:
    """A date, or None for an empty cell. Numeric day/month dates are read only when declared
    day-first: 03/04/2024 means 3 April in Syria and 4 March in the US, and we never guess."""
    text = text.strip()
    if not text:
        return None
    for pattern, order in ((_ISO_DATE, "ymd"), (_ISO_MIDNIGHT, "ymd"), (_DAY_MONTH_YEAR, "dMy"),
                           (_MONTH_DAY_YEAR, "Mdy"), *(((_NUMERIC_DAY_FIRST, "dmy"),) if dayfirst else ())):
        match = pattern.fullmatch(text)
        if match is None:
            continue
        parts = dict(zip(order, match.groups(), strict=True))
        month = parts.get("m") or _MONTHS.get(parts.get("M", "").lower())
        if month is None:
            break
        try:
            return datetime.date(int(parts["y"]), int(month), int(parts["d"]))
        except ValueError as exc:
            raise CellError(f"not a real date ({exc})") from exc
    if _NUMERIC_DAY_FIRST.fullmatch(text) and not dayfirst:
        raise CellError("a numeric day/month date is ambiguous; write 2024-11-27, or declare the file "
                        "day-first (--dayfirst)")
    raise CellError(f"expected {DATE_EXPECTATION}")


def parse_datetime(text: str, *, dayfirst: bool = False) -> datetime.datetime | None:
    text = text.strip()
    if not text:
        return None
    try:
        value = datetime.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        day = parse_date(text, dayfirst=dayfirst)
        value = datetime.datetime(day.year, day.month, day.day)
    if value.tzinfo is None:
        value = value.replace(tzinfo=datetime.UTC)
    return value


# --- plain numbers --------------------------------------------------------------------------------

_THOUSANDS = re.compile(r"\d{1,3}(?:[, ]\d{3})+")


def parse_int(text: str, *, minimum: int | None = 0) -> int | None:
    text = text.strip()
    if not text:
        return None
    cleaned = text.replace(",", "").replace(" ", "") if _THOUSANDS.fullmatch(text) else text
    if cleaned.endswith(".0"):  # spreadsheets write whole numbers as 12.0
        cleaned = cleaned[:-2]
    try:
        value = int(cleaned)
    except ValueError as exc:
        raise CellError("expected a whole number") from exc
    if minimum is not None and value < minimum:
        raise CellError(f"expected a whole number, {minimum} or more")
    return value


def parse_decimal(text: str) -> Decimal | None:
    text = text.strip()
    if not text:
        return None
    try:
        value = Decimal(text)
    except InvalidOperation as exc:
        raise CellError("expected a number such as 36.20175") from exc
    if not value.is_finite():
        raise CellError("expected a finite number")
    return value


_TRUE, _FALSE = {"true", "yes", "y", "1", "t"}, {"false", "no", "n", "0", "f"}


def parse_bool(text: str) -> bool | None:
    text = text.strip().lower()
    if not text:
        return None
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise CellError("expected true or false")


# --- quantities: numbers as reported --------------------------------------------------------------

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
