"""The seeded database as plain data, for tests/events/test_seeding.py's row-for-row comparison.

tests/data/seed_snapshot.json holds every table of the base and the apps after `load_seeds` on an empty
database: each row's fields without ids and timestamps, a foreign key read as the natural key of
the row it points to (or that row's own fields), in a stable order, plus each table's history row
count. The gazetteer's large tables are kept as a count and a digest. Regenerate the file only for
a deliberate change of the seeds: `SEED_SNAPSHOT_WRITE=1 .venv/bin/python -m pytest
tests/events/test_seeding.py -k row_for_row`.
"""

import datetime
import decimal
import hashlib
import json

from django.apps import apps
from django.db import models

from tests.paths import DATA

SNAPSHOT = DATA / "seed_snapshot.json"
APPS = ("conflictdb", "events", "sources")  # the base holds the audit tables
LEFT_OUT = {"id", "created_at", "updated_at", "created_by", "updated_by", "computed_at"}
IDS_IN_JSON = {"claim", "figure"}  # a consensus basis names its claims and figures by id
NATURAL_KEYS = ("external_id", "pcode", "geonames_id", "name", "title")
DIGEST_ABOVE = 400  # rows: a table this large (the gazetteer's) is kept as count + digest


def _plain(value):
    if isinstance(value, (datetime.date, datetime.datetime)):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return str(value)
    return value


class _Tables:
    """Every row of a model as plain fields (read once per model)."""

    def __init__(self):
        self.stored, self.keys = {}, {}

    def raw(self, model) -> dict:
        if model not in self.stored:
            self.stored[model] = {record["id"]: record for record in model._base_manager.values()}
        return self.stored[model]

    def fields(self, model) -> list[dict]:
        return [self._plain_row(model, record) for record in self.raw(model).values()]

    def _plain_row(self, model, record) -> dict:
        result = {}
        for field in model._meta.concrete_fields:
            if field.name in LEFT_OUT:
                continue
            value = record[field.attname]
            if isinstance(field, models.ForeignKey) and value is not None:
                value = self.key(field.related_model, value)
            elif isinstance(field, models.JSONField) and isinstance(value, list):
                value = [{k: v for k, v in item.items() if k not in IDS_IN_JSON} if isinstance(item, dict) else item
                         for item in value]
            result[field.name] = _plain(value)
        return result

    def key(self, model, pk):
        """A row's natural key (its first non-empty natural field), else its fields."""
        if model._meta.app_label not in APPS:
            return model._meta.label
        record = self.raw(model)[pk]
        for name in NATURAL_KEYS:
            if record.get(name) not in (None, ""):
                return f"{model.__name__}:{record[name]}"
        if (model, pk) not in self.keys:
            self.keys[(model, pk)] = None  # a loop guard
            self.keys[(model, pk)] = self._plain_row(model, record)
        return self.keys[(model, pk)] or f"{model.__name__}:loop"


def snapshot() -> dict:
    tables, result = _Tables(), {}
    for model in apps.get_models():
        if model._meta.app_label not in APPS or model.__name__.startswith("Historical"):
            continue
        listed = sorted(json.dumps(row, sort_keys=True, ensure_ascii=False) for row in tables.fields(model))
        table = {"count": len(listed)}
        if hasattr(model, "history"):
            table["history"] = model.history.count()
        if len(listed) > DIGEST_ABOVE:
            table["digest"] = hashlib.sha256("\n".join(listed).encode()).hexdigest()
        else:
            table["rows"] = [json.loads(row) for row in listed]
        result[model._meta.label] = table
    return result


def write_snapshot(taken: dict) -> None:
    SNAPSHOT.write_text(json.dumps(taken, indent=1, sort_keys=True, ensure_ascii=False) + "\n", encoding="utf-8")


def expected_snapshot() -> dict:
    return json.loads(SNAPSHOT.read_text(encoding="utf-8"))
