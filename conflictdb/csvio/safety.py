"""Formula safety: the one home of how a cell is made safe to open in a spreadsheet.

A spreadsheet runs a cell that starts with `=`, `+`, `-` or `@` as a formula (and a leading tab or
carriage return hides one), so text cells starting so get a leading apostrophe, which the
spreadsheet shows as plain text (OWASP "CSV injection"). Numbers in numeric columns are written
as numbers: a negative longitude must stay a number. The API CSV renderer, the file exporter and
the admin export (django-import-export) all call here.
"""

import datetime
from decimal import Decimal

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
NEUTRALISER = "'"
# First characters of the cells neutralise() may change: the formula starts, and the apostrophe
# (a value that itself begins with apostrophes before a formula start gets one more, so that the
# import, dropping one, gives it back exactly).
RISKY_FIRST = frozenset({*(start[0] for start in FORMULA_START), NEUTRALISER})
# Text that sorts at or after this cannot need neutralising (every risky first character sorts
# before it): one string comparison clears most cells in the exporter's hot loop.
SAFE_FROM = chr(max(map(ord, RISKY_FIRST)) + 1)


def neutralise(text: str) -> str:
    """Text as it may be written into a cell: a formula start — also one behind apostrophes — gets
    a leading apostrophe."""
    return NEUTRALISER + text if text.lstrip(NEUTRALISER).startswith(FORMULA_START) else text


def unneutralise(text: str) -> str:
    """The exact inverse, for importing our own exports: that apostrophe is dropped."""
    if text.startswith(NEUTRALISER) and text.lstrip(NEUTRALISER).startswith(FORMULA_START):
        return text[1:]
    return text


def safe_cell(value):
    """A value typed by Python: numbers stay numbers, everything else is neutralised text."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float, Decimal)):
        return value
    if isinstance(value, (datetime.date, datetime.datetime)):
        return value.isoformat()
    return neutralise(str(value))


def safe_text_cell(value) -> str:
    """A value of a text column: whatever its Python type, it is neutralised (a "-5" name is text)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return neutralise(str(value))
