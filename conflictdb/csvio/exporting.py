"""Streaming export of any model's CSV columns (conflictdb.csvio.columns) and of the dataset layouts
the apps register (registry["export_layouts"]: ACLED, UCDP GED and HXL in events/csv/exports.py).

Memory stays flat however many rows: rows are read a chunk at a time through one cursor
(server-side on PostgreSQL, `fetchmany` on SQLite) and written as they come; no model instance
is built. Each column becomes one expression over the fetched tuple, decided once per export:
what to fetch for a natural key (small reference tables — places, actors, equipment types — are
read once and looked up by foreign key), whether the user may see a protected source or a
casualty's personal data (asked of conflictdb.protection, once), and how the cell is made
formula-safe (conflictdb.csvio.safety). The expressions are compiled into one row function.

On PostgreSQL a CSV export whose every cell can be said in SQL is written by the database
instead (`ModelExport.csv_text`: `COPY (SELECT …) TO STDOUT`, the same keys, safety rule and
protection filter; byte for byte the same file, see tests/conflictdb/csvio/test_exporting_copy.py); masks for the
user, date-times and floats keep the Python rows.

Doors: `manage.py export_csv` (events/management/commands/export_csv.py) and the admin's
"Export" on every changelist (conflictdb/admin.py); both check `protection.EXPORT_DATA` first
through `check_may_export`.
"""

from __future__ import annotations

import csv
import datetime
import io
from collections.abc import Iterable, Iterator
from typing import Protocol

from django.core.exceptions import PermissionDenied
from django.db import connections, models

from conflictdb import bulk, protection, readlog
from conflictdb.csvio import columns as cols
from conflictdb.registry import registry
from conflictdb.csvio.safety import FORMULA_START, NEUTRALISER, RISKY_FIRST, SAFE_FROM, neutralise

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
    return value if value >= SAFE_FROM or value[:1] not in RISKY_FIRST else neutralise(value)


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
    is asked (`protection.guard_of_path`) and, when the user may not see it, the mask's extra columns (the
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
        # Whoever may see protected identities and exports them is logged (conflictdb.readlog).
        readlog.note(user, spec.model, self.queryset.values("pk"), readlog.Door.EXPORT, f"export {spec.name}")
        self.header = spec.header
        self.header_rows = []
        self._paths: list[str] = []
        self._helpers: list = []
        self._references: dict = {}  # reference model → its rows by pk (None: too big to hold)
        self._reference_cells: dict = {}  # (reference model, key kind) → {pk: finished cell}
        self._row = None  # compiled when the rows are first read (it may read reference tables)

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
        found = protection.guard_of_path(self.spec.model, path)
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
        if (table := self._reference_table(key, path)) is not None:
            self._helpers.append(table)
            return f"h[{len(self._helpers) - 1}][r[{self._index(path)}]]"
        if key in (cols.LOCATION, cols.ACTOR, cols.EQUIPMENT_TYPE, cols.SOURCE):
            return self._read(f"{path}__name", "text")  # a source's name is masked by protection
        if key in (cols.EVENT, cols.CLAIM, cols.DISPLACEMENT):
            return self._read(f"{path}__external_id", "text")
        if key == cols.LOCATION_REF:
            pcode, geonames = self._index(f"{path}__pcode"), self._index(f"{path}__geonames_id")
            return _EXPRESSIONS["text"].format(f"(r[{pcode}] or (f'geonames:{{r[{geonames}]}}' if r[{geonames}] else ''))")
        if key == cols.DOCUMENT:
            url = self._read(f"{path}__url", "url")  # hidden when its publisher is protected
            external_id, title = self._index(f"{path}__external_id"), self._index(f"{path}__title")
            return f"t(({url}) or r[{external_id}] or r[{title}])"
        raise ValueError(f"Unknown natural-key kind “{key}” in column {path}.")

    def _reference_table(self, key: str, path: str) -> dict | None:
        """The finished cells of a small reference table (places, actors, equipment types), by
        primary key, read once: the row then fetches the foreign key instead of joining for the
        name, and its cell needs no formula check per row (≈ 15 % of a figure export on SQLite).
        None (join as usual) for a path through another table, a key protection may mask (a
        source's name), or a table of more than REFERENCE_TABLE_MAX rows (memory stays flat)."""
        if key not in REFERENCE_KEYS or "__" in path:
            return None
        if any(protection.guard_of_path(self.spec.model, f"{path}__{name}") for name in REFERENCE_KEYS[key]):
            return None
        model = self.spec.model._meta.get_field(path).related_model
        if (rows := self._reference_rows(model)) is None:
            return None
        if (model, key) not in self._reference_cells:
            fields = REFERENCE_KEYS[key]

            def fetch(pk):  # a row added after the table was read (a concurrent edit)
                return _reference_cell(key, model._base_manager.filter(pk=pk).values(*fields).get())

            cells = _Cells({pk: _reference_cell(key, values) for pk, values in rows.items()}, fetch)
            cells[None] = ""  # an empty foreign key
            self._reference_cells[model, key] = cells
        return self._reference_cells[model, key]

    def _reference_rows(self, model) -> dict | None:
        """One query per reference table, for every key kind the export needs from it."""
        if model not in self._references:
            fields = sorted({name for key, names in REFERENCE_KEYS.items() for name in names
                             if key in self._keys_on(model)})
            # The base manager: a join sees every row, whatever a default manager would leave out.
            rows = model._base_manager.order_by().values_list("pk", *fields)[:REFERENCE_TABLE_MAX + 1]
            rows = {pk: dict(zip(fields, values, strict=True)) for pk, *values in rows}
            self._references[model] = rows if len(rows) <= REFERENCE_TABLE_MAX else None
        return self._references[model]

    def _keys_on(self, model) -> set[str]:
        return {column.key for column in self.spec.columns if column.key in REFERENCE_KEYS
                and "__" not in column.path and self.spec.model._meta.get_field(column.path).related_model is model}

    def _compile(self, expressions):
        """One function for the whole row: a list display of the cells' expressions, so that a row
        costs one call instead of one per cell (the export's hot loop)."""
        source = "def row(r):\n    return [" + ", ".join(expressions) + "]\n"
        namespace = {"h": self._helpers, "B": _BOOLEANS, "t": _text, "dt": _datetime, "u": _url_or_none,
                     "n": neutralise}
        exec(compile(source, f"<export {self.name}>", "exec"), namespace)  # noqa: S102 — our own expressions
        return namespace["row"]

    def rows(self) -> Iterator[list]:
        for chunk in self.chunks():
            yield from chunk

    # --- PostgreSQL: the database writes the CSV ----------------------------------------------

    def csv_text(self, rows_per_piece: int) -> Iterator[tuple[str, int]] | None:
        """The data rows as CSV text written by PostgreSQL (`COPY (SELECT …) TO STDOUT`), in pieces
        of `rows_per_piece` rows and a last, shorter one: (text, rows). None when the export needs
        Python: another database, a cell protection masks for this user, or a column whose text
        PostgreSQL would write differently (date-times, floats). The SELECT applies the same
        formula safety, natural keys and protection filter as `row()`; tests/conflictdb/csvio/test_exporting_copy.py
        checks the file is byte for byte the Python one."""
        connection = connections[self.queryset.db]
        # DISTINCT would add the ORDER BY columns to the SELECT, and so cells to every line.
        if connection.vendor != "postgresql" or not COPY_ENABLED or self.queryset.query.distinct:
            return None
        cells = [_SqlCells(self).cell(column) for column in self.spec.columns]
        if None in cells:
            return None
        return self._copied(connection, cells, rows_per_piece)

    def _copied(self, connection, cells, rows_per_piece):
        queryset = self.queryset.values_list(*cells)  # all expressions: the SELECT keeps their order
        if (compiled := bulk.sql_of(queryset)) is None:
            yield "", 0
            return
        sql, params = compiled
        statement = f"COPY ({connection.ops.compose_sql(sql, params)}) TO STDOUT WITH (FORMAT csv)"
        with connection.cursor() as cursor, cursor.copy(statement) as copy:
            batch = []
            for row in copy:  # one row per item, ending "\n" (libpq); ours end "\r\n"
                batch.append(row[:-1])
                if len(batch) == rows_per_piece:
                    yield (b"\r\n".join(batch) + b"\r\n").decode(), len(batch)
                    batch = []
            yield (b"\r\n".join(batch) + b"\r\n" if batch else b"").decode(), len(batch)

    def chunks(self) -> Iterator[list[list]]:
        """The rows a fetched chunk at a time, read through the database's chunked (server-side on
        PostgreSQL) cursor. Writers take whole chunks: a generator step per row costs as much as
        a cell."""
        if self._row is None:
            self._row = self._compile([self._cell(column) for column in self.spec.columns])
        queryset = self.queryset.values_list(*self._paths)
        if (compiled := bulk.sql_of(queryset)) is None:
            return
        row = self._row
        with connections[queryset.db].chunked_cursor() as cursor:
            cursor.execute(*compiled)
            while chunk := cursor.fetchmany(self.chunk_size):
                yield list(map(row, chunk))


COPY_ENABLED = True  # tests turn it off to compare with the Python rows


class _SqlText(models.Func):
    """Text SQL over columns: `template` with {0}, {1}, … for the compiled columns. Templates hold
    literals only, so a column may appear twice without its parameters going out of step."""

    output_field = models.TextField()

    def __init__(self, template: str, *expressions):
        super().__init__(*expressions)
        self.sql_template = template

    def as_sql(self, compiler, connection, **extra_context):
        parts = []
        for expression in self.source_expressions:
            sql, params = compiler.compile(expression)
            if params:
                raise ValueError("Cell SQL takes columns, not parameters.")
            parts.append(sql)
        return self.sql_template.format(*parts), []


# Formula safety in SQL, from safety.FORMULA_START; NULLIF: COPY quotes an empty string, csv does not.
# As safety.neutralise: a formula start, also behind leading apostrophes, gets one apostrophe more.
_SQL_RISKY = ", ".join(f"chr({ord(start[0])})" for start in FORMULA_START)
_SQL_SAFE = ("NULLIF(CASE WHEN left(ltrim({0}, chr(%d)), 1) IN (%s) THEN chr(%d) || {0} ELSE {0} END, '')"
             % (ord(NEUTRALISER), _SQL_RISKY, ord(NEUTRALISER)))
_SQL_PLACEHOLDER = protection.PLACEHOLDER.replace("'", "''")


class _SqlCells:
    """Each CSV cell of a ModelExport as a PostgreSQL expression giving exactly the text Python's
    csv writer gives for `row()`'s cell; None when only Python can (a mask for this user, a type
    whose text differs)."""

    def __init__(self, export: ModelExport):
        self.model, self.seen = export.spec.model, export.seen

    def visible(self, *paths: str) -> bool:
        return all((found := protection.guard_of_path(self.model, path)) is None or found.mask.sees(self.seen)
                   for path in paths)

    def text(self, expression_sql: str, *paths: str):
        if not self.visible(*paths):
            return None
        return _SqlText(_SQL_SAFE.replace("{0}", expression_sql), *(models.F(path) for path in paths))

    def cell(self, column: cols.Column):
        path, key = column.path, column.key
        if key in (cols.LOCATION, cols.ACTOR, cols.EQUIPMENT_TYPE, cols.SOURCE):
            return self.text("{0}", f"{path}__name")
        if key in (cols.EVENT, cols.CLAIM, cols.DISPLACEMENT):
            return self.text("{0}", f"{path}__external_id")
        if key == cols.LOCATION_REF:
            return self.text("COALESCE(NULLIF({0}, ''), 'geonames:' || NULLIF({1}, 0)::text)",
                             f"{path}__pcode", f"{path}__geonames_id")
        if key == cols.DOCUMENT:  # as `t(u(url) or external_id or title)`
            return self.text(f"COALESCE(NULLIF(NULLIF({{0}}, '{_SQL_PLACEHOLDER}'), ''), NULLIF({{1}}, ''), {{2}})",
                             f"{path}__url", f"{path}__external_id", f"{path}__title")
        if key:
            return None
        field = cols.model_field(self.model, path)
        if not self.visible(path):
            return None
        if isinstance(field, models.BooleanField):
            return _SqlText("CASE WHEN {0} THEN 'true' WHEN NOT {0} THEN 'false' END", models.F(path))
        if isinstance(field, models.DateTimeField):
            return None  # Python writes the ISO form with its offset; not worth mimicking
        if isinstance(field, models.DateField):
            return _SqlText("to_char({0}, 'YYYY-MM-DD')", models.F(path))
        if isinstance(field, models.IntegerField):
            return _SqlText("{0}::text", models.F(path))
        if isinstance(field, models.DecimalField) and field.decimal_places <= 6:
            return _SqlText("{0}::text", models.F(path))  # str(Decimal) is plain up to 6 places
        if isinstance(field, (models.CharField, models.TextField)):
            return self.text("{0}", path)
        return None


# Natural keys read from a small table once (`ModelExport._reference_table`): the fields each needs.
REFERENCE_KEYS = {cols.LOCATION: ("name",), cols.LOCATION_REF: ("pcode", "geonames_id"), cols.ACTOR: ("name",),
                  cols.EQUIPMENT_TYPE: ("name",)}
REFERENCE_TABLE_MAX = 50_000


def _reference_cell(key: str, values: dict) -> str:
    """A reference table row's natural-key cell: what the joined row's cell expression gives."""
    if key == cols.LOCATION_REF:
        return _text(values["pcode"] or (f"geonames:{values['geonames_id']}" if values["geonames_id"] else ""))
    return _text(values["name"])


class _Cells(dict):
    """Finished cells by primary key; a key not read with the table is fetched when first met."""

    def __init__(self, cells, fetch):
        super().__init__(cells)
        self.fetch = fetch

    def __missing__(self, pk):
        self[pk] = cell = self.fetch(pk)
        return cell


_BOOLEANS = {None: "", True: "true", False: "false"}  # 1 and 0 (SQLite) hash as True and False
# Cell expressions over one fetched value `{0}`. Without Django's per-value converters, SQLite
# gives dates as ISO text and booleans as 0/1; PostgreSQL gives dates and booleans.
_EXPRESSIONS = {
    # safety.SAFE_FROM: one comparison clears most cells (names, words, Arabic) without indexing.
    # The set and the bound are literals, so the compiled row holds them as constants.
    "text": "(v if not (v := {0}) or v >= %r or v[0] not in {{%s}} else n(v))" % (
        SAFE_FROM, ", ".join(map(repr, sorted(RISKY_FIRST)))),
    "value": "{0}",
    "bool": "B[{0}]",
    "datetime": "dt({0})",
    "url": "u({0})",
}
_CONVERTERS = {"text": lambda value: _text(value), "value": lambda value: "" if value is None else value,
               "bool": lambda value: _BOOLEANS[value], "datetime": lambda value: _datetime(value),
               "url": lambda value: _url_or_none(value)}


def _url_or_none(value):
    return None if value == protection.PLACEHOLDER else value


def register_layout(layout) -> None:
    """Make an export layout (a class `layout(user, queryset=, chunk_size=, limit=)` giving an Export,
    named by its `name`) known to export_for and `export_csv`; from an app's ready()."""
    registry["export_layouts"][layout.name] = layout


def export_for(name: str, user, queryset=None, chunk_size: int = CHUNK_SIZE, limit: int | None = None) -> Export:
    """A model (by name) or a registered dataset layout (acled, ucdp-ged, hxl), ready to write;
    `limit`: the first rows only (a sample)."""
    layouts = registry["export_layouts"]
    if name in layouts:
        return layouts[name](user, queryset=queryset, chunk_size=chunk_size, limit=limit)
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
    direct = export.csv_text(rows_per_chunk) if hasattr(export, "csv_text") else None
    if direct is not None:
        for text, rows in direct:
            buffer.write(text)
            written += rows
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
            if progress:
                progress(written)
        return
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
