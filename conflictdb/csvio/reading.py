"""Reading tables as they arrive from spreadsheets and other monitors, one row at a time.

- Encoding: a byte-order mark decides (UTF-8, UTF-16 LE/BE); otherwise a declared encoding;
  otherwise UTF-8 when the opening bytes are valid UTF-8, UTF-16 when they are full of NUL
  bytes, and Windows-1256 (Arabic Excel's "CSV") when they are neither. A file that turns out
  not to be in the encoding chosen is reported with the row where it breaks.
- Delimiter: declared, or sniffed among comma, semicolon and tab from the header line.
- Quoted fields may hold delimiters, newlines and tabs; cells may be very large (no field limit
  below the file size); rows are streamed, so memory stays flat however long the file.
- XLSX: the first sheet, read-only and streamed (openpyxl); dates come back as ISO text.

Row numbers are those a spreadsheet shows: the header is row 1, the first data row is row 2.
"""

from __future__ import annotations

import codecs
import csv
import datetime
import hashlib
import io
import sys
from dataclasses import dataclass
from pathlib import Path

# A cell may be as large as the file (a document's full text); the csv module's default is 128 KiB.
csv.field_size_limit(sys.maxsize)

SNIFF_BYTES = 64 * 1024
DELIMITERS = {"comma": ",", "semicolon": ";", "tab": "\t", ",": ",", ";": ";", "\t": "\t", "\\t": "\t"}
ENCODING_ALIASES = {"windows-1256": "cp1256", "arabic": "cp1256", "utf8": "utf-8", "utf16": "utf-16"}


class FileProblem(ValueError):
    """The file as a whole cannot be read (encoding, empty, not a table); the message says why."""


@dataclass
class Table:
    """A header and a stream of (row number, cells)."""

    header: list[str]
    rows: object  # iterator of (int, list[str])
    encoding: str = ""
    delimiter: str = ""


def sha256_of(path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def detect_encoding(sample: bytes, declared: str | None = None) -> str:
    if sample.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if sample.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    if declared:
        name = ENCODING_ALIASES.get(declared.lower(), declared)
        try:
            return codecs.lookup(name).name
        except LookupError as exc:
            raise FileProblem(f"Unknown encoding {declared!r}; use e.g. utf-8, utf-16 or windows-1256.") from exc
    try:
        sample.decode("utf-8")
        return "utf-8"
    except UnicodeDecodeError as error:
        # A multi-byte character cut at the end of the sample is not an error.
        if error.start >= len(sample) - 3 and error.reason in ("unexpected end of data",):
            return "utf-8"
    if sample[:200].count(b"\x00") > len(sample[:200]) // 4:
        return "utf-16-le" if sample[1:2] == b"\x00" else "utf-16-be"
    return "cp1256"


def sniff_delimiter(first_line: str, declared: str | None = None) -> str:
    if declared:
        if declared not in DELIMITERS:
            raise FileProblem(f"Unknown delimiter {declared!r}; use comma, semicolon or tab.")
        return DELIMITERS[declared]
    counts = {delimiter: first_line.count(delimiter) for delimiter in (",", ";", "\t")}
    best = max(counts, key=counts.get)
    return best if counts[best] else ","


def open_table(source, *, file_name: str = "", encoding: str | None = None, delimiter: str | None = None) -> Table:
    """A Table from a path or a binary file object; XLSX by its name or its zip signature."""
    handle = open(source, "rb") if isinstance(source, (str, Path)) else source
    file_name = file_name or str(getattr(handle, "name", source))
    head = handle.read(SNIFF_BYTES)
    handle.seek(0)
    if file_name.lower().endswith(".xlsx") or head.startswith(b"PK\x03\x04"):
        return _xlsx_table(handle)
    if not head.strip(b"\xef\xbb\xbf\xff\xfe\x00 \r\n\t"):
        raise FileProblem("The file is empty: expected a header row and at least one data row.")
    chosen = detect_encoding(head, encoding)
    text = io.TextIOWrapper(handle, encoding=chosen, newline="")
    try:
        first_line = text.readline()
    except UnicodeDecodeError as exc:
        raise FileProblem(f"The header is not valid {chosen}; declare the encoding (--encoding).") from exc
    text.seek(0)
    if chosen == "utf-16" or chosen.startswith("utf-16"):
        first_line = first_line.lstrip("\ufeff")
    sep = sniff_delimiter(first_line, delimiter)
    reader = csv.reader(text, delimiter=sep)
    try:
        header = next(reader)
    except StopIteration as exc:
        raise FileProblem("The file is empty: expected a header row and at least one data row.") from exc
    if header and header[0].startswith("\ufeff"):
        header[0] = header[0][1:]
    header = [name.strip() for name in header]
    return Table(header, _csv_rows(reader, chosen, text), chosen, sep)


def _csv_rows(reader, encoding, text):
    number = 1
    try:
        for cells in reader:
            number += 1
            if not any(cell.strip() for cell in cells):
                continue  # blank lines (a spreadsheet's trailing rows) are not records
            yield number, cells
    except UnicodeDecodeError as exc:
        raise FileProblem(f"Row {number + 1}: the file is not valid {encoding} from here on; declare its "
                          f"encoding (--encoding windows-1256, utf-16 …).") from exc
    except csv.Error as exc:
        raise FileProblem(f"Row {number + 1}: {exc}.") from exc
    finally:
        text.detach()  # the caller owns the binary file: leave it open


def _xlsx_table(handle) -> Table:
    import openpyxl  # only needed for spreadsheets
    from zipfile import BadZipFile

    try:
        book = openpyxl.load_workbook(handle, read_only=True, data_only=True)
    except (BadZipFile, KeyError, OSError) as exc:
        raise FileProblem(f"Not a readable XLSX workbook: {exc}.") from exc
    sheet = book.worksheets[0]
    rows = sheet.iter_rows(values_only=True)
    try:
        header = [_xlsx_text(value).strip() for value in next(rows)]
    except StopIteration as exc:
        raise FileProblem("The workbook's first sheet is empty: expected a header row.") from exc
    while header and not header[-1]:
        header.pop()

    def stream():
        for number, values in enumerate(rows, start=2):
            cells = [_xlsx_text(value) for value in values[: len(header)]]
            if any(cell.strip() for cell in cells):
                yield number, cells
        book.close()

    return Table(header, stream(), "xlsx", "")


def _xlsx_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime.datetime):
        return value.date().isoformat() if value.time() == datetime.time() else value.isoformat()
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)
