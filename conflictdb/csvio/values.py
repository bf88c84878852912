"""Reading cell values as people write them: dates, whole numbers, decimals and booleans.

Every parser returns the value or raises CellError with the expectation, so the importer can
report row, column, value and reason. Numbers stated in words ("more than 35", "dozens") are the
events app's vocabulary: events/quantities.py.
"""

from __future__ import annotations

import datetime
import re
from decimal import Decimal, InvalidOperation


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


def not_in_future(value, column: str = ""):
    """A reported date cannot lie ahead: a date later than today is a typo (2042 for 2024) or a
    month/day swap. A column of planned or forecast dates is declared so (Column.planned). A
    date-time may be up to a day ahead (time zones)."""
    if value is None:
        return value
    today = datetime.date.today()
    day = value.date() if isinstance(value, datetime.datetime) else value
    if day > today + (datetime.timedelta(days=1) if isinstance(value, datetime.datetime) else datetime.timedelta()):
        raise CellError(f"{day.isoformat()} is later than today ({today.isoformat()}); a reported date cannot lie "
                        "ahead (only a column declared as planned or forecast may)")
    return value


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
