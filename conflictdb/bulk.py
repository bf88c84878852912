"""Writing many rows at import speed, with the same stamping, rules and history as a save.

Django's bulk_create spends most of its time compiling SQL value by value and building model
instances (≈ 2,000 tracked records/s, ≈ 20,000 plain rows/s on a shared 2-CPU machine). These
paths keep every rule and change only the mechanics:
- `Builder` makes unsaved instances without Model.__init__ (fields straight into __dict__,
  defaults included), so the models' own prepare_write() still runs on each (by the caller);
- `insert()` writes plain rows (untracked: derived rows, logs; announced by no one, since they
  are no records derived data follows) with one executemany (COPY on PostgreSQL), values adapted once
  per column type, and the same value adapted once when every row shares it;
- `create_tracked()` stamps records with conflictdb.models.stamp_values() — computed once per
  call, since every record of one bulk write shares who, when and which door — inserts them,
  and writes their history with one INSERT … SELECT from the rows just inserted (identified by
  batch, row number and version 1): the historical rows simple-history's bulk_history_create
  would write, with the history user and reason of the provenance context; then announces the
  records (conflictdb.signals.written), as a save would.
Used by the CSV import engine (conflictdb.csvio.importing) and the consensus refresh
(events.consensus); `sql_of()` serves the paths that read rows on a raw cursor.
"""

from __future__ import annotations

import itertools
import operator
from collections.abc import Iterable, Sequence

from django.core.exceptions import EmptyResultSet
from django.db import connections, router
from django.db.models import DateField, DateTimeField, DecimalField, JSONField
from django.db.models.base import ModelState
from django.utils import timezone

from conflictdb import provenance, signals
from conflictdb.models import stamp_values

_CHUNK = 2000  # rows per executemany call


class Builder:
    """Makes unsaved instances of one model from {attname: value}, defaults filled in."""

    def __init__(self, model):
        self.model = model
        self.static, self.dynamic = {}, []
        stamped = {"created_at", "updated_at"}  # set by the stamp on every record anyway
        for field in model._meta.concrete_fields:
            if field.primary_key or field.name in stamped:
                self.static[field.attname] = None
            elif field.has_default() and callable(field.default):
                self.dynamic.append(field)
            else:
                self.static[field.attname] = field.get_default()

    def __call__(self, values: dict):
        record = self.model.__new__(self.model)
        record.__dict__.update(self.static)
        for field in self.dynamic:
            record.__dict__[field.attname] = field.get_default()
        record.__dict__.update(values)
        record._state = ModelState()
        return record


def _adapter(field, connection):
    """Python value → what the driver takes, for the column types Django adapts itself."""
    ops = connection.ops
    if isinstance(field, DateTimeField):
        return ops.adapt_datetimefield_value
    if isinstance(field, DateField):
        return ops.adapt_datefield_value
    if isinstance(field, DecimalField):
        return lambda value: ops.adapt_decimalfield_value(value, field.max_digits, field.decimal_places)
    if isinstance(field, JSONField):
        return lambda value: ops.adapt_json_value(value, field.encoder)
    return None


def columns(model, exclude=("id",)) -> list:
    """The concrete fields an insert writes: all but the auto primary key."""
    return [field for field in model._meta.concrete_fields if not field.primary_key and field.attname not in exclude]


def insert(model, fields: Sequence, rows: Iterable[Sequence], *, shared: dict | None = None) -> int:
    """Insert rows (values in the order of `fields`) and the `shared` values (attname → value,
    the same on every row, adapted once). Returns the number of rows written."""
    connection = connections[router.db_for_write(model)]
    shared = shared or {}
    shared_fields = [field for field in model._meta.concrete_fields if field.attname in shared]
    shared_values = []
    for field in shared_fields:
        value, adapt = shared[field.attname], _adapter(field, connection)
        shared_values.append(adapt(value) if adapt is not None and value is not None else value)
    adapted = [(index, adapt) for index, field in enumerate(fields)
               if (adapt := _adapter(field, connection)) is not None]
    quote = connection.ops.quote_name
    table = quote(model._meta.db_table)
    names = ", ".join(quote(field.column) for field in [*fields, *shared_fields])

    def ready(rows):  # each row as the driver takes it
        for row in rows:
            row = list(row)
            for index, adapt in adapted:
                if row[index] is not None:
                    row[index] = adapt(row[index])
            row += shared_values
            yield row

    count = 0
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":  # COPY: several times executemany's speed
            with cursor.cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
                for row in ready(rows):
                    copy.write_row(row)
                    count += 1
            return count
        statement = f"INSERT INTO {table} ({names}) VALUES ({', '.join(['%s'] * (len(fields) + len(shared_fields)))})"
        rows = ready(rows)
        while pending := list(itertools.islice(rows, _CHUNK)):
            cursor.executemany(statement, pending)
            count += len(pending)
    return count


def sql_of(queryset) -> tuple[str, list] | None:
    """The SQL and parameters of a queryset, for the paths that run it on a raw cursor (exports,
    the consensus refresh); None when Django already knows it has no rows (`pk__in=[]`)."""
    try:
        return queryset.query.get_compiler(using=queryset.db).as_sql()
    except EmptyResultSet:
        return None


def create_tracked(model, records: list, *, batch) -> None:
    """Insert prepared, unsaved tracked `records` (each with `_import_row`) and their history."""
    if not records:
        return
    ctx = provenance.current()
    shared = stamp_values(adding=True)
    per_row = "import_row" in shared and ctx.row is None  # each record brings its own row number
    if per_row:
        del shared["import_row"]
    fields = columns(model, exclude=("id", *shared))
    attnames = [field.attname for field in fields]
    # The instances reflect what was written, as after a save. Straight into __dict__ (100,000
    # records): fresh from Builder, they have read no provenance relation that could be stale.
    for record in records:
        record.__dict__.update(shared)
        if per_row:
            record.import_row = record._import_row
        if ctx.reason:
            record._change_reason = ctx.reason
    connection = connections[router.db_for_write(model)]
    quote = connection.ops.quote_name
    table, pk = quote(model._meta.db_table), quote(model._meta.pk.column)
    with connection.cursor() as cursor:
        # Ids only grow, so the new rows lie above the current maximum: the history query below
        # reads them by primary-key range instead of scanning the whole batch again.
        cursor.execute(f"SELECT MAX({pk}) FROM {table}")
        floor = cursor.fetchone()[0] or 0
    row_of = operator.itemgetter(*attnames) if len(attnames) > 1 else (lambda values: (values[attnames[0]],))
    insert(model, fields, (row_of(record.__dict__) for record in records), shared=shared)
    rows = [record.import_row for record in records]
    _history_from_rows(model, connection, batch, min(rows), max(rows), floor)
    signals.written(model, records)


def _history_from_rows(model, connection, batch, first_row, last_row, floor):
    history = model.history.model
    quote = connection.ops.quote_name
    tracked = [field.column for field in history.tracked_fields]
    ctx = provenance.current()
    user = provenance.history_user()
    statement = (
        f"INSERT INTO {quote(history._meta.db_table)} ({', '.join(quote(c) for c in tracked)}, history_date, "
        f"history_change_reason, history_type, history_user_id) "
        f"SELECT {', '.join(quote(c) for c in tracked)}, %s, %s, %s, %s FROM {quote(model._meta.db_table)} "
        f"WHERE {quote(model._meta.pk.column)} > %s AND import_batch_id = %s AND import_row BETWEEN %s AND %s "
        f"AND version = 1"
    )
    with connection.cursor() as cursor:
        cursor.execute(statement, [connection.ops.adapt_datetimefield_value(timezone.now()),
                                   ctx.reason or "bulk create", "+", user.pk if user is not None else None, floor,
                                   batch.pk, first_row, last_row])
