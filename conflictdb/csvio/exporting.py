"""Streaming export of any model's CSV columns (conflictdb.csvio.columns) and of the dataset layouts.

Memory stays flat however many rows: rows are read with `values_list(...).iterator(chunk_size)`
(a server-side cursor on PostgreSQL, `fetchmany` on SQLite) and written as they come; no model
instance is built. Each column becomes one small function of the fetched tuple, decided once per
export: what to fetch for a natural key, whether the user may see a protected source or a
casualty's personal data (asked of conflictdb.protection, once), and how the cell is made
formula-safe (conflictdb.csvio.safety).

Doors: `manage.py export_csv` (events/management/commands/export_csv.py) and the admin's
"Export" on every changelist (conflictdb/admin.py); both check `protection.EXPORT_DATA` first
through `check_may_export`.
"""

from __future__ import annotations

import contextlib
import csv
import datetime
import io
import queue
import threading
from collections.abc import Iterable, Iterator
from typing import Protocol

from django.core.exceptions import PermissionDenied
from django.db import connections, models

from conflictdb import protection
from conflictdb.csvio import columns as cols
from conflictdb.csvio.safety import FORMULA_START, neutralise

CHUNK_SIZE = 2000
FORMATS = ("csv", "xlsx")


class Export(Protocol):
    """What a writer needs: a header, optional extra header rows (HXL hashtags), the rows."""

    name: str
    header: list[str]
    header_rows: list[list[str]]

    def rows(self) -> Iterator[list]: ...

    def count(self) -> int | None: ...


def check_may_export(user):
    """Exporting files is its own permission (researchers and data managers have it)."""
    if user is None or not user.is_active or not user.has_perm(protection.EXPORT_DATA):
        who = getattr(user, "username", None) or "an anonymous user"
        raise PermissionDenied(f"{who} may not export data: the permission “{protection.EXPORT_DATA}” is needed.")


# --- cells --------------------------------------------------------------------------------------


def _text(value):
    # Inline test first: nearly every cell is safe, and this runs once per cell.
    if value is None:
        return ""
    if value.__class__ is not str:
        value = str(value)
    return neutralise(value) if value and value[0] in _FORMULA_CHARS else value


_FORMULA_CHARS = frozenset(start[0] for start in FORMULA_START)


def _bool(value):
    return "" if value is None else ("true" if value else "false")


def _number(value):
    return "" if value is None else value


def _datetime(value):
    if value is None:
        return ""
    if isinstance(value, str):  # SQLite without Django's converters: naive UTC text
        value = datetime.datetime.fromisoformat(value).replace(tzinfo=datetime.UTC)
    return value.isoformat()


class ModelExport:
    """The rows of one model's spec, as the given user may see them.

    What is protected, and what is shown instead, is conflictdb.protection's: each column's path
    is asked (`protection.guard`) and, when the user may not see it, the mask's extra columns (the
    source's protected flag and public label) are fetched with the row and the mask applied.
    Rows the user may not see at all (a protected source's aliases) are left out
    (`protection.visible`).
    """

    def __init__(self, spec: cols.ModelSpec, user, queryset=None, chunk_size: int = CHUNK_SIZE, limit=None):
        self.spec = spec
        self.name = spec.name
        self.user = user
        self.chunk_size = chunk_size
        queryset = spec.model._default_manager.all() if queryset is None else queryset
        # pk order is cheap (primary-key index) and makes two exports of the same data identical;
        # a caller's explicit ordering (an admin changelist) is kept.
        queryset = queryset if queryset.query.order_by else queryset.order_by("pk")
        queryset = protection.visible(user, queryset)
        self.queryset = queryset if limit is None else queryset[:limit]
        self.seen = protection.sight(user)
        self.header = spec.header
        self.header_rows = []
        self._paths: list[str] = []
        self._helpers: list = []
        self._row = self._compile([self._cell(column) for column in spec.columns])

    def count(self) -> int | None:
        return self.queryset.count()

    def _index(self, path: str) -> int:
        if path not in self._paths:
            self._paths.append(path)
        return self._paths.index(path)

    # Each cell is an expression over the fetched tuple `r`; the row function is compiled from them
    # once per export (see `_compile`). Values that need Python (masks) go through helper functions.

    def _helper(self, function) -> str:
        self._helpers.append(function)
        return f"h[{len(self._helpers) - 1}]"

    def _read(self, path: str, kind: str) -> str:
        """The cell of `path` as an expression, masked as protection requires."""
        index = self._index(path)
        found = protection.guard(self.spec.model, path)
        if found is None or found.mask.sees(self.seen):
            return _EXPRESSIONS[kind].format(f"r[{index}]")
        extras = [self._index(found.prefix + extra) for extra in found.mask.paths]
        apply, seen, convert = found.mask.apply, self.seen, _CONVERTERS[kind]
        masked = self._helper(lambda r: convert(apply(seen, r[index], *[r[i] for i in extras])))
        return f"{masked}(r)"

    def _cell(self, column: cols.Column) -> str:
        if column.key:
            return self._key_cell(column.key, column.path)
        field = cols.model_field(self.spec.model, column.path)
        if isinstance(field, models.BooleanField):
            kind = "bool"
        elif isinstance(field, models.DateTimeField):
            kind = "datetime"
        elif isinstance(field, (*cols.NUMERIC_FIELDS, models.DateField)):
            kind = "value"  # numbers stay numbers; a date is itself (ISO in CSV, a date in XLSX)
        else:
            kind = "text"
        return self._read(column.path, kind)

    def _key_cell(self, key: str, path: str) -> str:
        if key in (cols.LOCATION, cols.ACTOR, cols.EQUIPMENT_TYPE, cols.SOURCE):
            return self._read(f"{path}__name", "text")  # a source's name is masked by protection
        if key in (cols.EVENT, cols.CLAIM, cols.DISPLACEMENT):
            return self._read(f"{path}__external_id", "text")
        if key == cols.LOCATION_REF:
            pcode, geonames = self._index(f"{path}__pcode"), self._index(f"{path}__geonames_id")
            return f"t(r[{pcode}] or (f'geonames:{{r[{geonames}]}}' if r[{geonames}] else ''))"
        if key == cols.DOCUMENT:
            url = self._read(f"{path}__url", "url")  # hidden when its publisher is protected
            external_id, title = self._index(f"{path}__external_id"), self._index(f"{path}__title")
            return f"t(({url}) or r[{external_id}] or r[{title}])"
        raise ValueError(f"Unknown natural-key kind “{key}” in column {path}.")

    def _compile(self, expressions):
        """One function for the whole row: a list display of the cells' expressions, so that a row
        costs one call instead of one per cell (the export's hot loop)."""
        source = "def row(r):\n    return [" + ", ".join(expressions) + "]\n"
        namespace = {"h": self._helpers, "F": _FORMULA_CHARS, "B": _BOOLEANS, "t": _text, "dt": _datetime,
                     "u": _url_or_none}
        exec(compile(source, f"<export {self.name}>", "exec"), namespace)  # noqa: S102 — our own expressions
        return namespace["row"]

    def rows(self) -> Iterator[list]:
        for chunk in self.chunks():
            yield from chunk

    def chunks(self) -> Iterator[list[list]]:
        """The rows a fetched chunk at a time, read through the database's chunked (server-side on
        PostgreSQL) cursor. Writers take whole chunks: a generator step per row costs as much as
        a cell."""
        queryset = self.queryset.values_list(*self._paths)
        sql, params = queryset.query.get_compiler(using=queryset.db).as_sql()
        row = self._row
        with connections[queryset.db].chunked_cursor() as cursor:
            cursor.execute(sql, params)
            for chunk in _read_ahead(cursor, self.chunk_size):
                yield list(map(row, chunk))


_BOOLEANS = {None: "", True: "true", False: "false"}  # 1 and 0 (SQLite) hash as True and False
# Cell expressions over one fetched value `{0}`. Without Django's per-value converters, SQLite
# gives dates as ISO text and booleans as 0/1; PostgreSQL gives dates and booleans.
_EXPRESSIONS = {
    "text": "({0} if not {0} or {0}[0] not in F else \"'\" + {0})",
    "value": "{0}",
    "bool": "B[{0}]",
    "datetime": "dt({0})",
    "url": "u({0})",
}
_CONVERTERS = {"text": lambda value: _text(value), "value": lambda value: "" if value is None else value,
               "bool": lambda value: _BOOLEANS[value], "datetime": lambda value: _datetime(value),
               "url": lambda value: _url_or_none(value)}


READ_AHEAD_CHUNKS = 2


def _read_ahead(cursor, size: int, depth: int = READ_AHEAD_CHUNKS) -> Iterator[list]:
    """`cursor.fetchmany(size)` chunks, read by a helper thread at most `depth` chunks ahead.

    The database drivers release the GIL while the database produces rows (sqlite3_step, the
    PostgreSQL socket), so reading the next chunk overlaps with formatting and writing this one:
    about 40 % of an export is the fetch. The bounded queue keeps memory flat; the connection is
    used by one thread at a time (this generator issues no query while the reader runs)."""
    chunks: queue.Queue = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def read():
        try:
            while not stop.is_set():
                chunk = cursor.fetchmany(size)
                chunks.put(chunk)
                if not chunk:
                    return
        except BaseException as error:  # handed to the consumer, raised there
            chunks.put(error)

    reader = threading.Thread(target=read, name="export-read-ahead", daemon=True)
    reader.start()
    try:
        while (chunk := chunks.get()) != []:
            if isinstance(chunk, BaseException):
                raise chunk
            yield chunk
    finally:
        # Stopped early (a closed download, an error): free the reader before the cursor closes.
        stop.set()
        while reader.is_alive():
            with contextlib.suppress(queue.Empty):
                chunks.get(timeout=0.05)
        reader.join()


def _url_or_none(value):
    return None if value == protection.PLACEHOLDER else value


def export_for(name: str, user, queryset=None, chunk_size: int = CHUNK_SIZE, limit: int | None = None) -> Export:
    """A model (by name) or a dataset layout (acled, ucdp-ged, hxl), ready to write; `limit`: the
    first rows only (a sample)."""
    from conflictdb.csvio import layouts_export

    if name in layouts_export.LAYOUTS:
        return layouts_export.LAYOUTS[name](user, queryset=queryset, chunk_size=chunk_size, limit=limit)
    return ModelExport(cols.spec_for(name), user, queryset=queryset, chunk_size=chunk_size, limit=limit)


# --- writers ------------------------------------------------------------------------------------


class _Echo:
    """A file-like object whose write() returns what it was given (for streaming responses)."""

    def write(self, value):
        return value


def csv_chunks(export: Export, rows_per_chunk: int = 1000, bom: bool = True, progress=None) -> Iterator[str]:
    """The CSV text in pieces of many rows (one yield per row would dominate the time).

    `progress(rows_so_far)` is called after each piece."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    # A BOM makes spreadsheets open UTF-8 (Arabic names) correctly; importers strip it.
    if bom:
        buffer.write("\ufeff")
    writer.writerow(export.header)
    writer.writerows(export.header_rows)
    written = pending = 0
    for chunk in _row_chunks(export):
        # Cut into pieces of exactly rows_per_chunk rows, whatever the fetched chunk's size.
        start = 0
        while start < len(chunk):
            take = min(rows_per_chunk - pending, len(chunk) - start)
            writer.writerows(chunk if take == len(chunk) else chunk[start:start + take])
            start += take
            pending += take
            if pending == rows_per_chunk:
                written += pending
                pending = 0
                yield buffer.getvalue()
                buffer.seek(0)
                buffer.truncate()
                if progress:
                    progress(written)
    written += pending
    yield buffer.getvalue()
    if progress:
        progress(written)


def _row_chunks(export: Export) -> Iterator[list]:
    """The export's rows in lists: its own chunks when it has them, else its rows batched."""
    if hasattr(export, "chunks"):
        yield from export.chunks()
        return
    batch = []
    for row in export.rows():
        batch.append(row)
        if len(batch) >= CHUNK_SIZE:
            yield batch
            batch = []
    yield batch


def write_csv(export: Export, stream, progress=None, bom: bool = True) -> int:
    """Write the export to a text stream; returns the number of data rows."""
    counted = [0]

    def count(rows):
        counted[0] = rows
        if progress:
            progress(rows)

    for chunk in csv_chunks(export, bom=bom, progress=count):
        stream.write(chunk)
    return counted[0]


def write_xlsx(export: Export, path_or_stream, progress=None) -> int:
    """Write the export as an XLSX workbook (openpyxl write-only mode: rows go straight to disk)."""
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=export.name[:31])
    sheet.append(export.header)
    for extra in export.header_rows:
        sheet.append(extra)
    written = 0
    for row in export.rows():
        sheet.append([_xlsx_value(value) for value in row])
        written += 1
        if progress and written % 10000 == 0:
            progress(written)
    workbook.save(path_or_stream)
    if progress:
        progress(written)
    return written


def _xlsx_value(value):
    # openpyxl treats a string starting with "=" as a formula; ours are neutralised already,
    # and dates go in as dates so the spreadsheet can sort them.
    if isinstance(value, str) and len(value) == 10 and value[4:5] == "-" and value[7:8] == "-":
        try:
            return datetime.date.fromisoformat(value)
        except ValueError:
            return value
    return value


def rows_of(export: Export) -> Iterable[list]:
    """Header, extra header rows and rows together (for tests and small callers)."""
    yield export.header
    yield from export.header_rows
    yield from export.rows()
