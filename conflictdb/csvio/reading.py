"""Reading tables as they arrive from spreadsheets and other monitors, one row at a time.

- Encoding: a byte-order mark decides (UTF-8, UTF-16 LE/BE); otherwise a declared encoding;
  otherwise UTF-8 when the opening bytes are valid UTF-8, UTF-16 when they are full of NUL
  bytes, and Windows-1256 (Arabic Excel's "CSV") when they are neither. A file that turns out
  not to be in the encoding chosen is reported with the row where it breaks.
- Delimiter: declared, or sniffed among comma, semicolon and tab from the header line.
- Quoted fields may hold delimiters, newlines and tabs; cells may be very large (no field limit
  below the file size); rows are streamed, so memory stays flat however long the file.
- XLSX: the first sheet, read-only and streamed (openpyxl); dates come back as ISO text.
- Limits (settings IMPORT_MAX_*, docs/csv-import.md "Limits"): file size, cell size, rows, and
  for a workbook the total size its members expand to and their compression ratio, read from
  the zip directory before anything is expanded (a 1 MB workbook that would expand to 1 GiB is
  refused at once). A file of another kind (PDF, image, old .xls) is "not a text file or workbook".

Row numbers are those a spreadsheet shows: the header is row 1, the first data row is row 2.
"""

from __future__ import annotations

import codecs
import csv
import datetime
import hashlib
import io
import sys
import zipfile
from dataclasses import dataclass
from pathlib import Path

# A cell may be large (a document's full text): the csv module's limit is set from the settings
# per file (open_table); its default is 128 KiB.
csv.field_size_limit(sys.maxsize)
MIB = 1 << 20
_RATIO_CHECKED_FROM = MIB  # small members compress absurdly well (an empty sheet): not a bomb

SNIFF_BYTES = 64 * 1024
DELIMITERS = {"comma": ",", "semicolon": ";", "tab": "\t", ",": ",", ";": ";", "\t": "\t", "\\t": "\t"}
ENCODING_ALIASES = {"windows-1256": "cp1256", "arabic": "cp1256", "utf8": "utf-8", "utf16": "utf-16"}


class FileProblem(ValueError):
    """The file as a whole cannot be read (encoding, empty, not a table); the message says why."""


@dataclass(frozen=True)
class Limits:
    file_bytes: int
    cell_chars: int
    rows: int
    xlsx_bytes: int
    xlsx_ratio: int

    @classmethod
    def from_settings(cls) -> Limits:
        from django.conf import settings

        return cls(file_bytes=settings.IMPORT_MAX_FILE_MB * MIB, cell_chars=settings.IMPORT_MAX_CELL_KB * 1024,
                   rows=settings.IMPORT_MAX_ROWS, xlsx_bytes=settings.IMPORT_MAX_XLSX_UNCOMPRESSED_MB * MIB,
                   xlsx_ratio=settings.IMPORT_MAX_XLSX_RATIO)


# Signatures of files that are not tables, with what to do instead.
_NOT_TABLES = (
    (b"%PDF", "a PDF document"),
    (b"\xd0\xcf\x11\xe0", "an old Excel .xls (or other Office) file: save it as .xlsx or CSV"),
    (b"\x89PNG", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF8", "a GIF image"),
    (b"\x1f\x8b", "a gzip archive: unpack it first"),
    (b"7z\xbc\xaf", "a 7-Zip archive: unpack it first"),
    (b"Rar!", "a RAR archive: unpack it first"),
)


def not_a_table(what: str = "") -> FileProblem:
    return FileProblem("The file is not a text file or workbook" + (f" (it looks like {what})" if what else "")
                       + ": expected a CSV text file or an XLSX workbook.")


def _looks_binary(head: bytes, encoding: str) -> bool:
    """Text has no NUL bytes (outside UTF-16) and few control characters."""
    if not encoding.startswith("utf-16") and b"\x00" in head:
        return True
    text = head.decode(encoding, errors="replace")
    # (bytes invalid in the encoding are the encoding's problem, reported with their row)
    odd = sum(1 for ch in text if ch < " " and ch not in "\t\r\n\f")
    return odd > max(2, len(text) // 100)


def _size_of(handle) -> int:
    position = handle.tell()
    size = handle.seek(0, io.SEEK_END)
    handle.seek(position)
    return size


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


def open_table(source, *, file_name: str = "", encoding: str | None = None, delimiter: str | None = None,
               limits: Limits | None = None) -> Table:
    """A Table from a path or a binary file object; XLSX by its name or its zip signature."""
    limits = limits or Limits.from_settings()
    handle = open(source, "rb") if isinstance(source, (str, Path)) else source
    file_name = file_name or str(getattr(handle, "name", source))
    size = _size_of(handle)
    if size > limits.file_bytes:
        raise FileProblem(f"The file is {size / MIB:,.0f} MB; at most {limits.file_bytes / MIB:,.0f} MB may be "
                          "imported at once (setting IMPORT_MAX_FILE_MB): split it into several files.")
    head = handle.read(SNIFF_BYTES)
    handle.seek(0)
    if head.startswith(b"PK\x03\x04") or (file_name.lower().endswith(".xlsx") and not head.strip() == b""):
        return _xlsx_table(handle, limits)
    for signature, what in _NOT_TABLES:
        if head.startswith(signature):
            raise not_a_table(what)
    if not head.strip(b"\xef\xbb\xbf\xff\xfe\x00 \r\n\t"):
        raise FileProblem("The file is empty: expected a header row and at least one data row.")
    chosen = detect_encoding(head, encoding)
    if _looks_binary(head, chosen):
        raise not_a_table()
    text = io.TextIOWrapper(handle, encoding=chosen, newline="")
    try:
        first_line = text.readline()
    except UnicodeDecodeError as exc:
        raise FileProblem(f"The header is not valid {chosen}; declare the encoding (--encoding).") from exc
    text.seek(0)
    if chosen == "utf-16" or chosen.startswith("utf-16"):
        first_line = first_line.lstrip("\ufeff")
    sep = sniff_delimiter(first_line, delimiter)
    csv.field_size_limit(limits.cell_chars)  # the csv module's own check, as it reads (process-wide)
    reader = csv.reader(text, delimiter=sep)
    try:
        header = next(reader)
    except StopIteration as exc:
        raise FileProblem("The file is empty: expected a header row and at least one data row.") from exc
    except csv.Error as exc:
        if "field larger than field limit" in str(exc):
            raise _too_large_cell(1, limits) from None
        raise FileProblem(f"Row 1: {exc}.") from exc
    if header and header[0].startswith("\ufeff"):
        header[0] = header[0][1:]
    header = [name.strip() for name in header]
    return Table(header, _csv_rows(reader, chosen, text, limits), chosen, sep)


def _too_many_rows(limits: Limits) -> FileProblem:
    return FileProblem(f"The file has more than {limits.rows:,} data rows, the most one import takes (setting "
                       "IMPORT_MAX_ROWS): split it into several files.")


def _too_large_cell(number: int, limits: Limits) -> FileProblem:
    return FileProblem(f"Row {number}: a cell is longer than {limits.cell_chars:,} characters, the most a cell "
                       "may hold (setting IMPORT_MAX_CELL_KB); check the quotes, or shorten the cell.")


def _csv_rows(reader, encoding, text, limits: Limits):
    number = 1
    most = limits.rows + 1
    try:
        for cells in reader:
            number += 1
            if number > most:
                raise _too_many_rows(limits)
            if not any(cell.strip() for cell in cells):
                continue  # blank lines (a spreadsheet's trailing rows) are not records
            yield number, cells
    except UnicodeDecodeError as exc:
        raise FileProblem(f"Row {number + 1}: the file is not valid {encoding} from here on; declare its "
                          f"encoding (--encoding windows-1256, utf-16 …).") from exc
    except csv.Error as exc:
        if "field larger than field limit" in str(exc):
            raise _too_large_cell(number + 1, limits) from None
        raise FileProblem(f"Row {number + 1}: {exc}.") from exc
    finally:
        text.detach()  # the caller owns the binary file: leave it open


def _check_expansion(handle, limits: Limits) -> None:
    """Refuse a workbook whose members would expand beyond the limits, from the sizes the zip
    directory declares (zipfile never expands a member beyond its declared size)."""
    try:
        members = zipfile.ZipFile(handle).infolist()
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise not_a_table("a damaged or non-workbook zip archive") from exc
    finally:
        handle.seek(0)
    total = sum(member.file_size for member in members)
    if total > limits.xlsx_bytes:
        raise FileProblem(f"The workbook would expand to {total / MIB:,.0f} MB; at most "
                          f"{limits.xlsx_bytes / MIB:,.0f} MB may be read (setting IMPORT_MAX_XLSX_UNCOMPRESSED_MB): "
                          "save it as CSV or split it.")
    for member in members:
        ratio = member.file_size / max(member.compress_size, 1)
        if member.file_size > _RATIO_CHECKED_FROM and ratio > limits.xlsx_ratio:
            raise FileProblem(f"The workbook's part {member.filename[:80]!r} would expand {ratio:,.0f} times "
                              f"(at most {limits.xlsx_ratio} times, setting IMPORT_MAX_XLSX_RATIO): such a file is "
                              "built to exhaust memory, or holds a huge repeated cell; save it as CSV.")


def _xlsx_table(handle, limits: Limits) -> Table:
    import openpyxl  # only needed for spreadsheets

    _check_expansion(handle, limits)
    try:
        book = openpyxl.load_workbook(handle, read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError) as exc:
        raise not_a_table("a zip archive that is not an XLSX workbook") from exc
    except Exception as exc:  # noqa: BLE001 — openpyxl raises many kinds on a malformed workbook
        raise FileProblem(f"Not a readable XLSX workbook: {type(exc).__name__}: {str(exc)[:200]}.") from exc
    sheet = book.worksheets[0]
    rows = sheet.iter_rows(values_only=True)
    try:
        header = [_xlsx_text(value).strip() for value in next(rows)]
    except StopIteration as exc:
        raise FileProblem("The workbook's first sheet is empty: expected a header row.") from exc
    while header and not header[-1]:
        header.pop()

    def stream():
        most = limits.rows + 1
        for number, values in enumerate(rows, start=2):
            if number > most:
                raise _too_many_rows(limits)
            cells = [_xlsx_text(value) for value in values[: len(header)]]
            if any(len(cell) > limits.cell_chars for cell in cells):
                raise _too_large_cell(number, limits)
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
