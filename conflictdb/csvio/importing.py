"""The import engine: a file of one model's rows (columns from conflictdb.csvio.columns) applied
to the database all or nothing, as one import batch.

How a file is applied:
1. The header is checked against the model's columns: an unknown, repeated or missing required
   column refuses the file before any row is read.
2. Rows are streamed in chunks. Each row is read cell by cell (conflictdb.csvio.values), its
   natural keys resolved (conflictdb.csvio.keys), matched to the record its natural key names
   (ModelSpec.natural_key) and compared with it: created, updated (only what differs),
   unchanged, or refused with every error of the row (row, column, value, reason).
3. Everything happens inside one transaction. Chunks are written as they are validated
   (TrackedQuerySet.bulk_create / bulk_update: provenance and history in bulk, each record
   stamped with the batch and its own row number); at the first refused row writing stops,
   validation goes on to the end so that every error is reported, and the transaction is rolled
   back. So memory stays bounded by the chunk size, and a refused file changes nothing.
4. The ImportBatch (file name, SHA-256, who, when, counts, errors) is kept either way; a
   refused batch holds the error report.

Rules stay in their homes: model constraints are enforced by the database (a violation in a
chunk is diagnosed row by row with the model's own messages), cross-record rules by the models'
prepare_write(), grades by conflictdb.grading, verification status is never imported, and
derived data (consensus figures, the place index) follows the write once, announced through
conflictdb.signals (the write is collected and delivered before the transaction commits).
"""

from __future__ import annotations

import functools
import hashlib
import os
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import DatabaseError, IntegrityError, connection, models, transaction
from django.utils import timezone

from conflictdb import bulk, protection, signals
from conflictdb.csvio import columns as c
from conflictdb.csvio import values as v
from conflictdb.csvio.keys import KeyResolver
from conflictdb.csvio.reading import FileProblem, Table, open_table
from conflictdb.csvio.safety import NEUTRALISER, unneutralise
from conflictdb.models import ImportBatch
from conflictdb.names import normalise_name
from conflictdb.provenance import Channel, acting
from conflictdb.registry import registry
from conflictdb.roles import permission
from conflictdb.upsert import WriteStatus

CHUNK_SIZE = 5000
MAX_STORED_ERRORS = 10_000
ECHO_LIMIT = 120  # characters of a cell or header shown in an error
_url = URLValidator()


@dataclass(frozen=True)
class RowError:
    row: int  # spreadsheet row number; 1 is the header, 0 the file as a whole
    column: str
    value: str
    reason: str

    def __post_init__(self):
        # What the file said is echoed cut to a readable length (a cell may hold megabytes, a
        # header a whole paragraph): in messages and in the batch's stored report alike.
        object.__setattr__(self, "column", _short(str(self.column), ECHO_LIMIT))
        object.__setattr__(self, "value", _short(str(self.value), ECHO_LIMIT))

    def as_dict(self) -> dict:
        return {"row": self.row, "column": self.column, "value": self.value, "reason": self.reason}

    def __str__(self):
        where = "file" if self.row == 0 else ("header" if self.row == 1 else f"row {self.row}")
        column = f", column {self.column!r}" if self.column else ""
        value = f", value {_short(self.value)!r}" if self.value else ""
        return f"{where}{column}{value}: {self.reason}"


def _blank(key: tuple) -> bool:
    """True when every part of a natural key is empty."""
    return key.count(None) + key.count("") == len(key)


def _short(text: str, limit: int = 80) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


@dataclass
class Outcome:
    batch: object | None
    counts: dict = field(default_factory=lambda: {s.value: 0 for s in WriteStatus} | {"refused": 0})
    errors: list[RowError] = field(default_factory=list)
    error_count: int = 0
    rows: int = 0
    dry_run: bool = False
    seconds: dict = field(default_factory=dict)  # phase → wall-clock seconds (for the benchmark)
    readings: list = field(default_factory=list)  # a flat layout's header, as read (conflictdb.csvio.headers)

    def timed(self, phase, started):
        self.seconds[phase] = self.seconds.get(phase, 0.0) + time.perf_counter() - started

    @property
    def applied(self) -> bool:
        return not self.error_count and not self.dry_run

    @property
    def refused(self) -> bool:
        return bool(self.error_count)

    def add_error(self, error: RowError):
        self.error_count += 1
        if len(self.errors) < MAX_STORED_ERRORS:
            self.errors.append(error)

    def summary(self) -> str:
        counts = ", ".join(f"{n} {k}" for k, n in self.counts.items())
        verdict = "refused: nothing was changed" if self.refused else ("dry run: nothing was changed"
                                                                        if self.dry_run else "applied")
        return f"{self.rows} rows: {counts} — {verdict}."


def importable(spec: c.ModelSpec) -> bool:
    return any(column.importable for column in spec.columns)


# --- the plan: what each header column does ---------------------------------------------------------


@dataclass
class _FieldPlan:
    """One model field the file states, and the header positions it is read from."""

    name: str  # model field name
    attname: str  # e.g. claim_id
    model_field: models.Field
    column: str  # the header column reported in errors
    index: int
    key: str | None = None
    ref_index: int | None = None  # location_ref column for a place field
    sub: dict = field(default_factory=dict)  # compound key: related field → (column, index, key)


class _Plan:
    def __init__(self, spec: c.ModelSpec, header: list[str]):
        self.spec, self.model = spec, spec.model
        self.errors: list[RowError] = []
        if not importable(spec):
            self.errors.append(RowError(0, "", "", f"{spec.model._meta.verbose_name_plural} are derived data: "
                                                   "exported for readers, never imported"))
        known = {column.name: column for column in spec.columns}
        seen = {}
        for index, name in enumerate(header):
            if name in seen:
                self.errors.append(RowError(1, name, "", f"the column appears twice (columns {seen[name] + 1} "
                                                          f"and {index + 1})"))
            seen.setdefault(name, index)
            if name not in known:
                expected = ", ".join(col.name for col in spec.columns if col.importable)
                self.errors.append(RowError(1, name or f"#{index + 1}", "",
                                            f"unknown column for {spec.model._meta.verbose_name_plural}; "
                                            f"expected columns: {expected}"))
        self.fields: dict[str, _FieldPlan] = {}
        compound: dict[str, _FieldPlan] = {}
        for column in spec.columns:
            if not column.importable or column.name not in seen:
                continue
            index = seen[column.name]
            first, _, rest = column.path.partition("__")
            model_field = self.model._meta.get_field(first)
            if rest and column.key != c.DISPLACEMENT:  # a cell of a reference named by several cells
                plan = compound.setdefault(first, _FieldPlan(first, model_field.attname, model_field, column.name,
                                                             index))
                plan.sub[rest] = (column.name, index, column.key)
            elif column.key == c.LOCATION_REF:
                plan = self.fields.get(first)
                if plan is None:
                    plan = self.fields[first] = _FieldPlan(first, model_field.attname, model_field, column.name,
                                                           -1, c.LOCATION)
                plan.ref_index = index
            elif column.key == c.LOCATION:
                plan = self.fields.get(first)
                if plan is None:
                    self.fields[first] = _FieldPlan(first, model_field.attname, model_field, column.name, index,
                                                    c.LOCATION)
                else:
                    plan.column, plan.index = column.name, index
            else:
                self.fields[first] = _FieldPlan(first, model_field.attname, model_field, column.name, index,
                                                column.key)
        self.fields.update(compound)
        for first, plan in compound.items():  # the cells of a reference go together (a partial one matches too much)
            needed = [column.name for column in spec.columns if column.importable and not column.narrows
                      and column.path.partition("__")[0] == first and column.path.partition("__")[2]]
            missing = [name for name in needed if name not in seen]
            if missing:
                self.errors.append(RowError(1, ", ".join(missing), "", f"these columns go with {plan.column}: a "
                                                                        "reference needs all of them"))
        self.key_fields = self._key_fields()
        self.alternatives = self._alternatives()
        self.alias_model = any(f.name == "normalised" for f in self.model._meta.fields)
        own = {f.name for f in self.model._meta.fields}
        # Fields read together (a number as reported fills low, high and qualifier): the apps' groups.
        self.group = next((group for group in registry["csv_cell_groups"].values()
                           if all(name in own for name in group.fields)), None)
        self.group_fields = self.group.fields if self.group else ()
        missing = [name for name in self._required() if name not in self.fields]
        if missing:
            self.errors.append(RowError(1, ", ".join(missing), "", "required column(s) missing from the header"))
        if not self.errors and not any(name in self.fields for name in self.key_fields):
            names = " or ".join(spec.natural_key)
            self.errors.append(RowError(1, "", "", f"the header needs the natural key ({names}) so that each row "
                                                   "finds its record again on re-import"))

    def _key_fields(self) -> list[str]:
        names = []
        for column_name in self.spec.natural_key:
            column = self.spec.column(column_name)
            name = column.field_name
            if name not in names:
                names.append(name)
        return names

    def _alternatives(self) -> bool:
        """True when each natural-key field is unique by itself (a document by URL *or* external id)."""
        unique = {f.name for f in self.model._meta.fields if f.unique}
        for constraint in self.model._meta.constraints:
            if isinstance(constraint, models.UniqueConstraint) and len(constraint.fields) == 1:
                unique.add(constraint.fields[0])
        return len(self.key_fields) > 1 and all(name in unique for name in self.key_fields)

    def _required(self) -> list[str]:
        required = []
        for f in self.model._meta.fields:
            if (f.editable and not f.primary_key and not f.blank and not f.has_default() and not f.null
                    and not isinstance(f, models.BooleanField)
                    and f.name not in ("normalised",) and not self.grouped_field(f.name)):
                spec_fields = {col.field_name for col in self.spec.columns if col.importable}
                if f.name in spec_fields:
                    required.append(f.name)
        return required

    @staticmethod
    def grouped_field(name):
        return any(name in group.fields for group in registry["csv_cell_groups"].values())


# --- reading one row ------------------------------------------------------------------------------------


_MISSING = object()
_MEMO_LIMIT = 100_000  # distinct cells remembered per column: bounded memory on any file


class _RowReader:
    """Reads a chunk of rows column by column: each column's converter sees each distinct cell
    text once (a file of 100,000 figures names a few thousand claims, forty actors, five
    outcomes), and every other occurrence is a dictionary lookup."""

    def __init__(self, plan: _Plan, resolver: KeyResolver, dayfirst: bool):
        self.plan, self.resolver, self.dayfirst = plan, resolver, dayfirst
        self.width = 0  # cells in the header
        # One converter per stated field, chosen once: rows are many, columns few. A converter that
        # reads only its own cell gets a memo (cleared with the resolver's when records change).
        self.converters = []
        for field_plan in self.plan.fields.values():
            if field_plan.name in self.plan.group_fields:
                continue
            memo = None
            if not field_plan.sub and field_plan.ref_index is None and field_plan.index >= 0:
                memo = {}
                self.resolver.memos.append(memo)
            self.converters.append((field_plan, self.converter(field_plan), memo))
        self.group_plans = [plan for plan in self.plan.fields.values() if plan.name in self.plan.group_fields]
        self.group_memo: dict = {}

    def read_chunk(self, rows: list) -> list[tuple[int, dict, list[RowError]]]:
        """[(row number, {attname: value} of the stated fields, the row's errors)] for the rows."""
        width = self.width
        errors = [[] for _ in rows]
        for position, (number, cells) in enumerate(rows):
            if len(cells) != width:
                if len(cells) > width and any(cell.strip() for cell in cells[width:]):
                    errors[position].append(RowError(
                        number, "", _short(" | ".join(cells[width:])),
                        f"the row has {len(cells)} cells but the header {width}; check the delimiter and the quotes"))
                rows[position] = (number, (cells + [""] * width)[:width])
        attnames, columns = [], []
        for plan, convert, memo in self.converters:
            attnames.append(plan.attname)
            columns.append(self.column(rows, plan, convert, memo, errors))
        if self.group_plans:
            attnames.append(None)
            columns.append(self.cell_group(rows, errors))
        result = []
        by_row = zip(*columns, strict=True) if columns else [()] * len(rows)
        for (number, _cells), row_errors, row_values in zip(rows, errors, by_row, strict=True):
            values = dict(zip(attnames, row_values, strict=True))
            if self.group_plans:
                values.update(values.pop(None) or {})
            result.append((number, values, row_errors))
        return result

    def column(self, rows, plan, convert, memo, errors) -> list:
        index = plan.index
        if memo is not None:
            get = memo.get
            values = [get(cells[index], _MISSING) for _n, cells in rows]
            missed = [position for position, value in enumerate(values) if value is _MISSING]
        elif plan.sub:  # a reference named by several cells: rows leaving them all empty name nothing
            indexes = [sub_index for _column, sub_index, _key in plan.sub.values()]
            values = [None] * len(rows)
            missed = [position for position, (_n, cells) in enumerate(rows) if any(cells[i] for i in indexes)]
        else:
            values, missed = [None] * len(rows), range(len(rows))
        keep = memo is not None and not self.resolver.volatile
        if keep and len(memo) > _MEMO_LIMIT:
            memo.clear()
        for position in missed:
            number, cells = rows[position]
            raw = cells[index] if index >= 0 else ""
            if keep and raw in memo:  # a text first seen earlier in this chunk
                values[position] = memo[raw]
                continue
            cell = unneutralise(raw) if raw[:1] == NEUTRALISER else raw
            try:
                values[position] = value = convert(cell, cells)
            except v.CellError as error:
                values[position] = None
                column, shown = plan.column, cell
                if plan.ref_index is not None and cells[plan.ref_index].strip():
                    column, shown = f"{plan.column}_ref", cells[plan.ref_index]
                errors[position].append(RowError(number, column, shown, str(error)))
                continue
            if keep:
                memo[raw] = value
        return values

    def cell_group(self, rows, errors) -> list:
        """The fields of the model's cell group read together (low / high / qualifier / wording:
        one number can fill several fields)."""
        plans = self.group_plans
        memo = self.group_memo
        read, model = self.plan.group.read, self.plan.model
        columns = {plan.name: plan.column for plan in plans}

        def choice(name, text):
            return self.choice(model._meta.get_field(name), text)

        if len(memo) > _MEMO_LIMIT:
            memo.clear()
        values = []
        for position, (number, cells) in enumerate(rows):
            texts = tuple(cells[plan.index] for plan in plans)
            found = memo.get(texts)
            if found is None:
                try:
                    found = memo[texts] = read({plan.name: text for plan, text in zip(plans, texts, strict=True)},
                                               columns, choice)
                except v.CellError as error:
                    column, cell = error.args[1] if len(error.args) > 1 else ("", "")
                    errors[position].append(RowError(number, column, cell, str(error.args[0])))
            values.append(found)
        return values

    def converter(self, plan: _FieldPlan):
        """cell text (and the row, for two-cell keys) → value, or CellError."""
        if plan.sub:
            return self.reference_converter(plan)
        if plan.key:
            memo, resolve, key, ref_index = {}, self.resolver.resolve, plan.key, plan.ref_index

            def key_value(text, cells):
                ref = cells[ref_index] if ref_index is not None else ""
                try:
                    return memo[text, ref]
                except KeyError:
                    pass
                found = resolve(key, text, ref=ref)
                if not self.resolver.volatile:
                    memo[text, ref] = found
                return found

            self.resolver.memos.append(memo)
            return key_value
        column = next((col for col in self.plan.spec.columns if col.name == plan.column), None)
        convert = self.field_converter(plan.model_field, planned=column is not None and column.planned)
        return lambda text, cells: convert(text)

    def field_converter(self, f, planned: bool = True):
        """cell text → the value of model field `f`, or CellError: for a column of its own and for a
        cell of a reference named by several cells alike."""
        if isinstance(f, models.BooleanField):
            return lambda text: self.boolean(f, text)
        if f.choices:
            lookup = {}
            for value, label in f.flatchoices:
                lookup[str(value)] = value
                lookup.setdefault(str(value).lower(), value)
                lookup.setdefault(str(label).lower(), value)

            def choice(text):
                try:
                    return lookup[text]
                except KeyError:
                    return self.choice(f, text)
            return choice
        if isinstance(f, models.IntegerField):
            minimum = 0 if isinstance(f, models.PositiveIntegerField) else None
            return lambda text: self.empty(f, v.parse_int(text, minimum=minimum))
        if isinstance(f, models.DecimalField):
            return lambda text: self.decimal(f, text)
        if isinstance(f, models.DateTimeField):
            if planned:
                return lambda text: self.empty(f, v.parse_datetime(text, dayfirst=self.dayfirst))
            return lambda text: v.not_in_future(self.empty(f, v.parse_datetime(text, dayfirst=self.dayfirst)))
        if isinstance(f, models.DateField):
            if planned:
                return lambda text: self.empty(f, v.parse_date(text, dayfirst=self.dayfirst))
            return lambda text: v.not_in_future(self.empty(f, v.parse_date(text, dayfirst=self.dayfirst)))
        return lambda text: self.text(f, text)

    def text(self, f, text):
        if f.max_length and len(text) > f.max_length:
            raise v.CellError(f"{len(text)} characters; at most {f.max_length} fit")
        if isinstance(f, models.URLField) and text:
            try:
                _url(text)
            except ValidationError as exc:
                raise v.CellError("not a valid URL (http://… or https://…)") from exc
        if self.plan.alias_model and f.name == "name" and not normalise_name(text):
            raise v.CellError("an alias needs at least one letter or digit")
        return text

    @staticmethod
    def boolean(f, text):
        parsed = v.parse_bool(text)
        return f.get_default() if parsed is None else parsed

    @staticmethod
    def empty(f, value):
        if value is None and not f.null:
            if f.has_default():
                return f.get_default()
            raise v.CellError("this field is required")
        return value

    def choice(self, f, text):
        text = text.strip()
        if not text:
            if f.blank:
                return f.get_default() if f.has_default() else ""
            if f.has_default():
                return f.get_default()
            raise v.CellError(f"this field is required; allowed: {', '.join(str(k) for k, _ in f.flatchoices)}")
        for value, label in f.flatchoices:
            if text == str(value) or text.lower() in (str(value).lower(), str(label).lower()):
                return value
        allowed = ", ".join(str(value) for value, _label in f.flatchoices if value != "")
        raise v.CellError(f"not an allowed value; allowed: {allowed}")

    @staticmethod
    def decimal(f, text):
        value = v.parse_decimal(text)
        if value is None:
            return None
        quantised = value.quantize(Decimal(1).scaleb(-f.decimal_places), rounding=ROUND_HALF_UP)
        if len(quantised.as_tuple().digits) > f.max_digits:
            raise v.CellError(f"too large: at most {f.max_digits - f.decimal_places} digits before the point")
        return quantised

    def reference_converter(self, plan: _FieldPlan):
        """A foreign key named by several cells: a quote by its document and offsets, a larger figure
        by its party, category, subgroup and outcome (place and date if needed) within the row's own
        claim. Each cell is read as its own column would be; its converter is chosen once."""
        related = plan.model_field.related_model
        cells_of = []  # (attname, column, index, narrows, convert) per cell
        for sub, (column, index, key) in plan.sub.items():
            field = related._meta.get_field(sub)
            if key == c.LOCATION_REF:  # a P-code or geonames:<id> decides, as in a place's own _ref column
                convert = self.place_by_ref
            elif key:
                convert = functools.partial(self.resolver.resolve, key)
            else:
                convert = self.field_converter(field)
            cells_of.append((field.attname, column, index, self.plan.spec.column(column).narrows, convert))
        claim = self.plan.fields.get("claim")
        # A figure within the row's own claim (a larger figure, the figure a victim is counted in):
        # the models' rules require the same claim, and the key cells are unique only there.
        scoped = claim is not None and any(f.name == "claim" for f in related._meta.fields)
        return lambda text, cells: self.reference(related, cells_of, claim if scoped else None, cells)

    def place_by_ref(self, text):
        return self.resolver.resolve(c.LOCATION, "", ref=text)

    def reference(self, related, cells_of, claim, cells):
        if not any(cells[index].strip() for _a, _c, index, _n, _f in cells_of):
            return None  # every cell empty: no reference
        lookup, named = {}, []
        for attname, column, index, narrows, convert in cells_of:
            text = cells[index].strip()
            if not text and narrows:
                continue
            named.append(f"{column} {text!r}")
            try:
                lookup[attname] = convert(text)
            except v.CellError as error:
                raise v.CellError(f"{column}: {error}") from error
        if claim is not None:
            try:
                lookup["claim_id"] = self.resolver.resolve(claim.key, cells[claim.index])
            except v.CellError:
                return None  # the claim column reports it
            named.append(f"in claim {cells[claim.index].strip()!r}")
        found = list(related._base_manager.filter(**lookup).values_list("pk", flat=True)[:2])
        described = ", ".join(named)
        if not found:
            raise v.CellError(f"no {related._meta.verbose_name} matches {described}")
        if len(found) > 1:
            raise v.CellError(f"more than one {related._meta.verbose_name} matches {described}; "
                              "the reference must name exactly one")
        return found[0]


# --- matching rows to records ------------------------------------------------------------------------


class _Matcher:
    """Finds the existing record each row's natural key names: per chunk, only the records whose
    keys the chunk names (not every record of their claims), so memory stays bounded and the cost
    per row flat however many records share a claim.

    An absent key column means the same as an empty one: its part of the key is the value a
    record created without it stores (the field's default: '' for text, None for a reference), so
    a file without `subgroup` finds again the figures it created, and those stored with ''."""

    GROUPS_PER_QUERY = 100  # OR-ed groups per query: well inside SQLite's expression depth

    def __init__(self, plan: _Plan):
        self.plan = plan
        self.model = plan.model
        fields = {f.name: f for f in self.model._meta.fields}
        self.key_attnames = []
        for name in plan.key_fields:
            if plan.alias_model and name == "name":
                self.key_attnames.append("normalised")
            else:
                self.key_attnames.append(fields[name].attname)
        # Where each key part is read from in a row's values (None: the file does not state it, so
        # the part is the field's default), and which part is an alias name compared normalised.
        self.value_attnames = [plan.fields[name].attname if name in plan.fields else None for name in plan.key_fields]
        self.absent = {position: _stored_empty(fields[name]) for position, name in enumerate(plan.key_fields)
                       if name not in plan.fields}
        self.normalised = self.key_attnames.index("normalised") if "normalised" in self.key_attnames else None

    def key_of(self, values: dict) -> tuple:
        key = [values.get(attname) if attname else None for attname in self.value_attnames]
        for position, empty in self.absent.items():
            key[position] = empty
        if self.normalised is not None:
            key[self.normalised] = normalise_name(key[self.normalised] or "")
        return tuple(key)

    def existing(self, keys: list[tuple], stated: list[str]) -> dict:
        """key → current values of the records the keys name (only those)."""
        wanted = ["pk", *{*self.key_attnames, *stated}]
        found = {}
        if self.plan.alternatives:
            for position, attname in enumerate(self.key_attnames):
                values = {key[position] for key in keys if key[position] not in (None, "")}
                for row in self._fetch(attname, values, wanted):
                    found[(position, row[attname])] = row
            return found
        if len(self.key_attnames) == 1:
            for row in self._fetch(self.key_attnames[0], {key[0] for key in keys}, wanted):
                found[(row[self.key_attnames[0]],)] = row
            return found
        # Grouped by the key's first part (a claim), each group bounded by the values its other
        # parts take in the chunk: the database seeks the first part's index and returns only
        # rows inside that box, and only the exact keys are kept.
        wanted_keys = set(keys)
        groups: dict = {}
        for key in wanted_keys:
            parts = groups.setdefault(key[0], [set() for _ in key[1:]])
            for values, part in zip(parts, key[1:], strict=True):
                values.add(part)
        first, rest = self.key_attnames[0], self.key_attnames[1:]
        items = list(groups.items())
        for start in range(0, len(items), self.GROUPS_PER_QUERY):
            condition = models.Q()
            for head, parts in items[start : start + self.GROUPS_PER_QUERY]:
                box = models.Q(**{f"{first}__isnull": True} if head is None else {first: head})
                for attname, values in zip(rest, parts, strict=True):
                    box &= _one_of(attname, values)
                condition |= box
            for row in self.model._base_manager.filter(condition).values(*wanted):
                key = tuple(row[name] for name in self.key_attnames)
                if key in wanted_keys:
                    found[key] = row
        return found

    def _fetch(self, attname, values, wanted):
        values = list(values)
        null = None in values
        values = [value for value in values if value is not None]
        for start in range(0, len(values), 500):
            yield from self.model._base_manager.filter(**{f"{attname}__in": values[start : start + 500]}).values(*wanted)
        if null:
            yield from self.model._base_manager.filter(**{f"{attname}__isnull": True}).values(*wanted)

    def find(self, key: tuple, existing: dict):
        """(the record's current values or None, an error message or None)."""
        if not self.plan.alternatives:
            return existing.get(key), None
        matches = {}
        for position, value in enumerate(key):
            if value not in (None, ""):
                row = existing.get((position, value))
                if row is not None:
                    matches[self.plan.key_fields[position]] = row
        ids = {row["pk"] for row in matches.values()}
        if len(ids) > 1:
            named = "; ".join(f"{name} → record #{row['pk']}" for name, row in matches.items())
            return None, f"the key columns name different records ({named})"
        return (next(iter(matches.values())) if matches else None), None


@functools.cache
def _constraint_fields(model) -> dict[str, list[str]]:
    """A check constraint's message → the fields its condition reads (low, high), so that an error
    across fields names every column it involves."""
    result = {}
    for constraint in model._meta.constraints:
        condition = getattr(constraint, "condition", None)
        if condition is None:
            continue
        names = []

        def walk(node, names=names):
            for child in getattr(node, "children", ()):
                if isinstance(child, tuple):
                    lookup, value = child
                    names.append(lookup.split("__")[0])
                    if isinstance(value, models.F):
                        names.append(value.name.split("__")[0])
                else:
                    walk(child)

        walk(condition)
        result[str(constraint.get_violation_error_message())] = list(dict.fromkeys(names))
    return result


def _field_text(record, name) -> str:
    value = getattr(record, record._meta.get_field(name).attname, None)
    return "empty" if value in (None, "") else str(value)


def _one_of(attname, values) -> models.Q:
    """attname takes one of `values` (None: NULL)."""
    present = [value for value in values if value is not None]
    condition = models.Q(**{f"{attname}__in": present}) if present else models.Q(pk__in=[])
    if None in values:
        condition |= models.Q(**{f"{attname}__isnull": True})
    return condition


def _stored_empty(model_field):
    """What a record created without this field stores in it: '' for text, None for a reference."""
    default = model_field.get_default()
    return None if default is None else model_field.to_python(default)


# --- the engine ----------------------------------------------------------------------------------------


class _Importer:
    def __init__(self, spec: c.ModelSpec, table: Table, *, user, batch, dayfirst, dry_run, outcome,
                 progress, chunk_size):
        self.spec, self.table, self.user, self.batch = spec, table, user, batch
        self.outcome, self.progress, self.chunk_size = outcome, progress, chunk_size
        self.dry_run = dry_run
        self.resolver = KeyResolver(user)
        self.plan = _Plan(spec, table.header)
        self.reader = _RowReader(self.plan, self.resolver, dayfirst)
        self.reader.width = len(table.header)
        self.build = bulk.Builder(spec.model)
        self.matcher = _Matcher(self.plan)
        self.seen: dict[tuple, int] = {}
        self.writing = True
        # Columns naming a record of the same model, maybe one a later chunk of this file creates:
        # their rows are retried once it exists. Names resolved through the resolver's memos
        # (a place's parent) also need those memos dropped after each write; a reference looked
        # up by its cells (a figure's larger figure) reads the database each time.
        self.self_columns = set()
        self.self_referencing = False
        for plan in self.plan.fields.values():
            if (plan.key or plan.sub) and plan.model_field.related_model is spec.model:
                self.self_columns |= {plan.column, f"{plan.name}_ref"}
                self.self_referencing = self.self_referencing or bool(plan.key)
        self.deferred, self.final_pass, self.last_deferred = [], False, -1
        self.fallback_attnames = [spec.model._meta.get_field(name).attname for name in spec.fallback_key]

    def run(self):
        for error in self.plan.errors[:1] if self.plan.errors and self.plan.errors[0].row == 0 else self.plan.errors:
            self.outcome.add_error(error)
        if self.plan.errors:
            return
        chunk = []
        for number, cells in self.table.rows:
            chunk.append((number, cells))
            if len(chunk) >= self.chunk_size:
                self.chunk(chunk)
                chunk = []
        if chunk:
            self.chunk(chunk)
        # Rows naming a record of the same file that was not written yet (a place under a new
        # district, a translation of a new document) are retried once that record exists.
        while self.deferred:
            pending, self.deferred = self.deferred, []
            self.final_pass = len(pending) == self.last_deferred
            self.last_deferred = len(pending)
            self.chunk(pending)
        self.outcome.errors.sort(key=lambda error: error.row)
        if not self.outcome.rows:
            self.outcome.add_error(RowError(2, "", "", "the file has a header but no data rows"))

    def chunk(self, rows):
        outcome = self.outcome
        started = time.perf_counter()
        for plan in self.plan.fields.values():
            if plan.key in registry["csv_external_id_models"]:
                self.resolver.prefetch(plan.key, (cells[plan.index] for _n, cells in rows if plan.index < len(cells)))
        readings = []
        read = self.reader.read_chunk(rows)  # pads short rows in place
        for (number, cells), (_number, values, errors) in zip(rows, read, strict=True):
            outcome.rows += 1
            if errors and self.may_defer(errors):
                outcome.rows -= 1
                self.deferred.append((number, cells))
                continue
            if errors:
                self.refuse(number, errors)
                continue
            key = self.matcher.key_of(values)
            if _blank(key) and not self.fallback_key(values):
                names = " / ".join(self.spec.natural_key)
                self.refuse(number, [RowError(number, names, "", "the natural key is empty: fill it so that "
                                                                  "the row can be found again on re-import")])
                continue
            if key in self.seen:
                self.refuse(number, [RowError(number, ", ".join(self.spec.natural_key), _short(" | ".join(
                    str(part) for part in key if part not in (None, ""))), f"duplicate of row {self.seen[key]} "
                    "(the same natural key twice in one file)")])
                continue
            self.seen[key] = number
            readings.append((number, values, key))
        stated = [plan.attname for plan in self.plan.fields.values()]
        if self.plan.group:
            grouped = self.plan.group_fields
            stated = [name for name in stated if name not in grouped] + [
                name for name in grouped if any(name in values for _n, values, _k in readings)]
        existing = self.matcher.existing([key for _n, _v, key in readings], stated)
        creates, updates = [], []
        for number, values, key in readings:
            current, problem = self.matcher.find(key, existing)
            if problem:
                self.refuse(number, [RowError(number, ", ".join(self.spec.natural_key), "", problem)])
                continue
            if current is None and _blank(key) and self.fallback_key(values):
                current = self.fallback_record(values)
            if current is None:
                record = self.build(values)
                record._import_row = record.import_row = number
                creates.append((number, record))
                continue
            changed = {name: value for name, value in values.items() if current.get(name, value) != value}
            if not changed:
                outcome.counts[WriteStatus.UNCHANGED] += 1
            else:
                updates.append((number, current["pk"], changed))
        records = self.prepare(creates, updates)
        outcome.timed("read and validate", started)
        started = time.perf_counter()
        if self.writing and not outcome.error_count:
            self.write(*records)
        else:  # the file is refused already: still report what the database would refuse
            self.validate(*records)
        outcome.timed("write (records, provenance, history)", started)
        if self.progress:
            self.progress(outcome.rows)

    def may_defer(self, errors) -> bool:
        return (self.self_columns and self.writing and not self.outcome.error_count and not self.final_pass
                and all(error.column in self.self_columns for error in errors))

    def fallback_key(self, values) -> bool:
        """A record whose natural key is empty may still be found by the spec's fallback key (a
        place without P-code, GeoNames id or external id: by name, kind and parent)."""
        return bool(self.fallback_attnames) and bool(values.get(self.fallback_attnames[0]))

    def fallback_record(self, values):
        if not self.fallback_key(values):
            return None
        lookup = {name: values.get(name) for name in self.fallback_attnames if name in values}
        rows = list(self.spec.model._base_manager.filter(**lookup).values("pk", *values.keys())[:2])
        return rows[0] if len(rows) == 1 else None

    def refuse(self, number, errors):
        self.outcome.counts["refused"] += 1
        for error in errors:
            self.outcome.add_error(error)

    def prepare(self, creates, updates):
        """Run the models' cross-record rules (prepare_write) on every record before writing."""
        ready_creates, ready_updates = [], []
        for number, record in creates:
            if self.check(number, record):
                ready_creates.append((number, record))
        if updates:
            instances = self.spec.model._base_manager.in_bulk([pk for _n, pk, _c in updates])
            for number, pk, changed in updates:
                record = instances[pk]
                for attname, value in changed.items():
                    setattr(record, attname, value)
                record.import_row = number
                if self.check(number, record):
                    ready_updates.append((number, record, changed))
        return ready_creates, ready_updates

    def check(self, number, record) -> bool:
        try:
            record.prepare_write()
        except ValidationError as error:
            self.refuse(number, self.validation_errors(number, record, error))
            return False
        except Exception as error:  # a rule that could not even be evaluated (a missing parent …)
            self.refuse(number, [RowError(number, "", "", f"refused by the model's rules: {error}")])
            return False
        return True

    def validation_errors(self, number, record, error: ValidationError) -> list[RowError]:
        result = []
        columns = {plan.name: plan.column for plan in self.plan.fields.values()}
        across = _constraint_fields(self.spec.model)
        for name, messages in (error.message_dict.items() if hasattr(error, "error_dict") else
                               [("", error.messages)]):
            column = columns.get(name, "" if name == "__all__" else name)
            value = getattr(record, name, "") if name and name != "__all__" else ""
            for message in messages:
                if name in ("", "__all__") and message in across:  # a rule across fields: name them all
                    names = across[message]
                    result.append(RowError(number, ", ".join(columns.get(n, n) for n in names), ", ".join(
                        f"{columns.get(n, n)}={_field_text(record, n)}" for n in names), message))
                    continue
                result.append(RowError(number, column, "" if value is None else _short(str(value)), message))
        return result

    def write(self, creates, updates):
        """One chunk, under a savepoint: a database refusal is diagnosed row by row."""
        try:
            with transaction.atomic():
                if creates:
                    bulk.create_tracked(self.spec.model, [record for _n, record in creates], batch=self.batch)
                if updates:
                    fields = sorted({self.field_name(a) for _n, _r, changed in updates for a in changed} | {"import_row"})
                    self.spec.model.objects.bulk_update([record for _n, record, _c in updates], fields,
                                                        batch_size=500)
        except (IntegrityError, DatabaseError, ValidationError, connection.Database.Error) as error:
            # (the driver's own error too: PostgreSQL's COPY raises psycopg's CheckViolation unwrapped)
            self.writing = False
            self.diagnose(creates, updates, error)
            return
        for status, items in ((WriteStatus.CREATED, creates), (WriteStatus.UPDATED, updates)):
            self.outcome.counts[status] += len(items)
        if self.self_referencing or self.spec.names_records:
            self.resolver.forget()  # what later rows refer to may have been created just now

    def field_name(self, attname):
        return next(f.name for f in self.spec.model._meta.fields if f.attname == attname)

    def validate(self, creates, updates) -> bool:
        """The model's constraints, checked record by record (slow: only for refused files)."""
        found = False
        for number, record, *_ in [*creates, *updates]:
            try:
                record.validate_constraints()
            except ValidationError as problem:
                found = True
                self.refuse(number, self.validation_errors(number, record, problem))
        return found

    def diagnose(self, creates, updates, error):
        if not self.validate(creates, updates):
            first = (creates or updates)[0][0]
            last = (creates or updates)[-1][0]
            self.outcome.add_error(RowError(first, "", "", f"the database refused rows {first}–{last}: {error}"))
            self.outcome.counts["refused"] += len(creates) + len(updates)


# --- public entry points ----------------------------------------------------------------------------


def import_file(source, model, *, user, file_name: str = "", encoding: str | None = None,
                delimiter: str | None = None, dayfirst: bool = False, dry_run: bool = False,
                progress: Callable[[int], None] | None = None, chunk_size: int = CHUNK_SIZE) -> Outcome:
    """Apply a CSV/XLSX file of `model` rows (a path or a binary file object), all or nothing.

    `model`: a model, its name or label (see conflictdb.csvio.columns.spec_for). Returns an
    Outcome with the batch (None for a dry run), counts and every row error. Needs
    conflictdb.import_data; the model's add and change permissions apply too.
    """
    spec = c.spec_for(model)
    handle = open(source, "rb") if isinstance(source, (str, Path)) else source
    try:
        file_name = file_name or os.path.basename(str(getattr(handle, "name", source)))
        return run_import(handle, layout=spec.name, user=user, file_name=file_name, dry_run=dry_run,
                          options={"encoding": encoding, "delimiter": delimiter, "dayfirst": dayfirst},
                          apply=lambda table, batch, outcome: _Importer(
                              spec, table, user=user, batch=batch, dayfirst=dayfirst, dry_run=dry_run,
                              outcome=outcome, progress=progress, chunk_size=chunk_size).run(),
                          permissions=model_permissions(spec.model))
    finally:
        if handle is not source:
            handle.close()


def model_permissions(model) -> list[str]:
    """What importing a file of `model` rows needs besides conflictdb.import_data."""
    return [permission(model, "add"), permission(model, "change")]


def check_permission(user, permissions=()) -> str | None:
    """Why this user may not import (None when they may)."""
    if user is None or not user.is_active:
        return "An import needs an active user account."
    if not user.has_perm(protection.IMPORT_DATA):
        return "Only data managers may import files (permission conflictdb.import_data)."
    missing = [name for name in permissions if not user.has_perm(name)]
    if missing:
        return f"You may not add or change these records (missing {', '.join(missing)})."
    return None


def run_import(handle, *, layout: str, user, file_name: str, apply, options: dict, dry_run: bool = False,
               permissions=()) -> Outcome:
    """The batch around any layout: hash, permission, transaction, record of the outcome.

    `apply(table, batch, outcome)` reads the table's rows and writes through the provenance context
    opened here; it records every error on the outcome. Used by the model importer and by the
    UCDP GED and Oryx layouts.
    """
    refusal = check_permission(user, permissions)
    if refusal:
        raise PermissionError(refusal)
    digest = hashlib.sha256()
    for block in iter(lambda: handle.read(1 << 20), b""):
        digest.update(block)
    handle.seek(0)
    outcome = Outcome(batch=None, dry_run=dry_run)
    stored_options = {key: value for key, value in options.items() if value not in (None, False, "")}
    named = dict(file_name=file_name[:500], sha256=digest.hexdigest(), layout=layout, options=stored_options,
                 user=user)
    reap_stale_batches()
    # A real import's batch is committed as running before any row is read, so a crash or a kill
    # leaves a trace that is then reaped as failed; a dry run's exists only inside its transaction.
    batch = None if dry_run else ImportBatch.objects.create(
        **named, status=ImportBatch.Status.RUNNING, worker_host=socket.gethostname()[:255], worker_pid=os.getpid())
    try:
        batch = _apply_all_or_nothing(handle, batch, outcome, named=named, user=user, file_name=file_name,
                                      apply=apply, options=options, dry_run=dry_run)
    except BaseException as error:  # a bug, a lost database, an interrupt: nothing was committed
        if batch is not None:
            _record_failure(batch, outcome, error)
        raise
    if dry_run:
        return outcome
    if outcome.refused:  # on record although the rows were not applied
        _finish(batch, outcome, ImportBatch.Status.REFUSED)
    outcome.batch = batch
    return outcome


def _apply_all_or_nothing(handle, batch, outcome, *, named, user, file_name, apply, options, dry_run):
    """Read and write the whole file in one transaction; rolled back when refused or a dry run."""
    with transaction.atomic():
        if batch is None:
            batch = ImportBatch.objects.create(**named)
        try:
            table = open_table(handle, file_name=file_name, encoding=options.get("encoding"),
                               delimiter=options.get("delimiter"))
            with acting(user=user, channel=Channel.IMPORT, batch=batch, row=None,
                        reason=f"import batch #{batch.pk} ({file_name})"):
                # Derived data follows the whole write once, at the end of this block and inside the
                # transaction (conflictdb.signals); deferred: the consensus is only marked stale here
                # and recomputed by a background job after the commit (events.consensus).
                with signals.collecting(deferred=True) as written:
                    apply(table, batch, outcome)
                    if outcome.refused:  # rolled back below: nothing to derive
                        written.discard()
                    started = time.perf_counter()
                outcome.timed("derived data (consensus marked stale)", started)
        except FileProblem as problem:
            outcome.add_error(RowError(0, "", "", str(problem)))
        if outcome.refused or dry_run:
            transaction.set_rollback(True)
        else:
            _finish(batch, outcome, ImportBatch.Status.APPLIED)
    return batch


def _record_failure(batch, outcome: Outcome, error: BaseException):
    """The batch of an import that broke off: failed, with the error, and nothing counted."""
    reason = f"the import failed and nothing was written: {type(error).__name__}: {_short(str(error), 300)}"
    outcome.add_error(RowError(0, "", "", reason))
    try:
        ImportBatch.objects.filter(pk=batch.pk).update(
            status=ImportBatch.Status.FAILED, finished_at=timezone.now(), created_count=0, updated_count=0,
            unchanged_count=0, refused_count=0, error_report=[error.as_dict() for error in outcome.errors[-50:]])
    except DatabaseError:  # the database itself is gone: the reaper marks it failed later
        pass


def _process_gone(pid) -> bool:
    if not pid:
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:  # alive, another user's
        return False
    return False


def reap_stale_batches() -> int:
    """Mark failed the batches left "running" by a process that is gone (killed, crashed, the
    machine restarted): their rows were never committed, since a batch's rows are one transaction.

    A batch of this host is stale when its process no longer exists; one of another host (or an
    old pid perhaps reused) when it started more than settings.IMPORT_STALE_AFTER_HOURS ago.
    Called by every import before it starts, by the admin's list of batches and by
    `manage.py import_csv --reap`. Returns how many batches it marked failed."""
    host = socket.gethostname()[:255]
    too_old = timezone.now() - timedelta(hours=settings.IMPORT_STALE_AFTER_HOURS)
    stale = [pk for pk, worker_host, pid, started in ImportBatch.objects.filter(
        status=ImportBatch.Status.RUNNING).values_list(
        "pk", "worker_host", "worker_pid", "started_at")
        if started < too_old or (worker_host == host and _process_gone(pid))]
    if not stale:
        return 0
    reason = ("the import stopped before it finished (its process was killed or crashed): nothing was written")
    return ImportBatch.objects.filter(pk__in=stale, status=ImportBatch.Status.RUNNING).update(
        status=ImportBatch.Status.FAILED, finished_at=timezone.now(),
        error_report=[{"row": 0, "column": "", "value": "", "reason": reason}])


def _finish(batch, outcome: Outcome, status):
    batch.status = status
    batch.finished_at = timezone.now()
    batch.created_count = outcome.counts[WriteStatus.CREATED]
    batch.updated_count = outcome.counts[WriteStatus.UPDATED]
    batch.unchanged_count = outcome.counts[WriteStatus.UNCHANGED]
    batch.refused_count = outcome.counts["refused"] or (outcome.rows if outcome.refused else 0)
    batch.error_report = [error.as_dict() for error in outcome.errors]
    if outcome.error_count > len(outcome.errors):
        batch.error_report.append({"row": 0, "column": "", "value": "",
                                   "reason": f"{outcome.error_count - len(outcome.errors)} more errors not kept"})
    if outcome.refused:  # nothing was written, so nothing was created, updated or left unchanged
        batch.created_count = batch.updated_count = batch.unchanged_count = 0
    batch.save()
