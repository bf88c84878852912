"""Dataset layouts other monitors publish, imported row by row into our records: the machinery.

The layouts themselves are the apps' (events/csv/layouts/: ucdp_ged.py, oryx.py, and the flat
layouts flat_casualties.py, flat_equipment.py, acled.py), registered in
their ready() into registry["import_layouts"] as ImportLayout; this module finds them only there.

A layout row becomes several records (a UCDP GED row: an event, its place, its actors, a claim
and its casualty figures). Each row is written under its own savepoint with the batch and row
number in the provenance context, through conflictdb.upsert.upsert (idempotent: stable external
ids), so a re-import changes nothing. Errors are collected for every row; any error rolls the
whole file back (conflictdb.csvio.importing.run_import).

Each layout declares WRITES, every model it writes with what it does to it (ADD; CHANGE as
well where an upsert may update an existing record), and PERMISSIONS built from it: besides
conflictdb.import_data, a user needs all of them (layout_permissions), so a layout never lets anyone
add or change a record they could not add or change by hand.

A flat layout (one row = one claimed item) also declares its FIELDS (conflictdb.csvio.headers):
its header is matched by names and synonyms, the user may map columns (`mapping`, {field:
column}), and read_header puts how each column was read on the outcome (the admin's preview).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction

from conflictdb.csvio.headers import HeaderMatch, match_header
from conflictdb.csvio.importing import RowError, run_import
from conflictdb.csvio.values import CellError
from conflictdb.provenance import acting
from conflictdb.registry import registry
from conflictdb.roles import permission
from conflictdb.upsert import WriteStatus


class RowFailure(Exception):
    """One or more errors of a layout row: a list of (column, value, reason)."""

    def __init__(self, problems):
        super().__init__(problems)
        self.problems = problems


def cell_error(column, value, problem):
    return RowFailure([(column, value, str(problem))])


class RowWriter:
    """Runs a layout's rows: savepoint per row, provenance row number, statuses and errors."""

    def __init__(self, outcome, progress=None, every=500):
        self.outcome, self.progress, self.every = outcome, progress, every
        self.statuses: list[WriteStatus] = []

    def note(self, status: WriteStatus):
        """Record the status of one record written for the current row."""
        self.statuses.append(status)
        return status

    def run(self, number, write):
        self.outcome.rows += 1
        self.statuses = []
        try:
            with acting(row=number), transaction.atomic():
                write()
        except RowFailure as failure:
            self._refuse(number, failure.problems)
        except CellError as error:
            self._refuse(number, [("", "", str(error))])
        except ValidationError as error:
            problems = []
            for name, messages in (error.message_dict.items() if hasattr(error, "error_dict")
                                   else [("", error.messages)]):
                problems += [("" if name == "__all__" else name, "", message) for message in messages]
            self._refuse(number, problems)
        else:
            if WriteStatus.CREATED in self.statuses[:1]:
                status = WriteStatus.CREATED
            elif any(s != WriteStatus.UNCHANGED for s in self.statuses):
                status = WriteStatus.UPDATED
            else:
                status = WriteStatus.UNCHANGED
            self.outcome.counts[status] += 1
        if self.progress and self.outcome.rows % self.every == 0:
            self.progress(self.outcome.rows)

    def _refuse(self, number, problems):
        self.outcome.counts["refused"] += 1
        for column, value, reason in problems:
            self.outcome.add_error(RowError(number, column, str(value)[:300], reason))


def check_header(header, required, outcome) -> bool:
    missing = [name for name in required if name not in header]
    if missing:
        outcome.add_error(RowError(1, ", ".join(missing), "", "required column(s) missing: this is not the "
                                                              "expected layout"))
    return not missing


def read_header(table, fields, mapping, outcome) -> HeaderMatch | None:
    """A flat layout's header read by conflictdb.csvio.headers; None (and header errors) when it
    cannot be read. How each column was read goes on the outcome either way."""
    match = match_header(table.header, fields, mapping)
    outcome.readings = match.readings
    for columns, reason in match.problems:
        outcome.add_error(RowError(1, columns, "", reason))
    return None if match.problems else match


class FlatRow:
    """One row of a flat layout: cells by field name, errors naming the file's own column."""

    def __init__(self, match: HeaderMatch, cells: list[str]):
        self.match, self.cells = match, cells

    def value(self, name) -> str:
        index = self.match.columns.get(name)
        return (self.cells[index] if index is not None and index < len(self.cells) else "").strip()

    def has(self, name) -> bool:
        return name in self.match.columns

    def error(self, name, problem, value=None):
        return cell_error(self.match.column(name), self.value(name) if value is None else value, problem)


def apply_flat(table, outcome, fields, *, mapping, progress, write_row) -> None:
    """Run a flat layout's file: its header read by `fields` (and the user's mapping), then each row
    through a RowWriter as `write_row(writer, number, row)`. The one loop of every flat layout."""
    match = read_header(table, fields, mapping, outcome)
    if match is None:
        return
    writer = RowWriter(outcome, progress)
    for number, cells in table.rows:
        row = FlatRow(match, cells)
        writer.run(number, lambda number=number, row=row: write_row(writer, number, row))
    if not outcome.rows:
        outcome.add_error(RowError(2, "", "", "the file has a header but no data rows"))
    if progress:
        progress(outcome.rows)


ADD, CHANGE = "add", "change"


def permissions(writes: dict) -> tuple[str, ...]:
    """The permission names for a layout's WRITES ({model: actions}), built from each model's _meta."""
    return tuple(permission(model, action) for model, actions in writes.items() for action in actions)


@dataclass(frozen=True)
class ImportLayout:
    """A dataset layout: `apply(table, outcome, *, user, dayfirst, progress)` writes a file's rows;
    `permissions` (from its WRITES) are what a user needs besides conflictdb.import_data."""

    name: str
    apply: Callable
    permissions: tuple[str, ...]
    fields: tuple = ()  # a flat layout's HeaderFields: its header is matched, and may be mapped


def register(layout: ImportLayout) -> None:
    """Make a layout importable (`import_csv --layout`, import_layout); from an app's ready()."""
    registry["import_layouts"][layout.name] = layout


def layout_permissions(layout) -> tuple[str, ...]:
    """What a user needs, besides conflictdb.import_data, to import `layout`: the add (and, where the
    layout may update existing records, change) permission of every model it writes. The one home
    of the rule: import_layout checks it through run_import."""
    return registry["import_layouts"][layout].permissions


def import_layout(handle, layout, *, user, file_name="", encoding=None, delimiter=None, dayfirst=False,
                  dry_run=False, progress=None, mapping=None):
    """Apply a file in a dataset layout all or nothing; returns the Outcome (see importing).

    `mapping` ({field: column}, flat layouts only) says which column fills which field.
    Raises PermissionError, before anything is read or written, when the user lacks
    conflictdb.import_data or any of layout_permissions(layout); ValueError for a mapping given
    to a layout that reads fixed columns."""
    found = registry["import_layouts"][layout]
    if mapping and not found.fields:
        raise ValueError(f"the {layout} layout reads its publisher's own columns: it takes no column mapping")
    extra = {"mapping": mapping or {}} if found.fields else {}
    return run_import(handle, layout=layout, user=user, file_name=file_name or str(getattr(handle, "name", "")),
                      options={"encoding": encoding, "delimiter": delimiter, "dayfirst": dayfirst, "mapping": mapping or None},
                      dry_run=dry_run,
                      apply=lambda table, batch, outcome: found.apply(table, outcome, user=user, dayfirst=dayfirst,
                                                                      progress=progress, **extra),
                      permissions=layout_permissions(layout))
