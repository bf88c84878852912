"""Shared by the flat-layout tests: import a file, rewrite a copy, count every table."""

import csv
import io
from pathlib import Path

from django.apps import apps

from conflictdb.csvio.layouts import import_layout
from tests.paths import FIXTURES

FLAT = FIXTURES / "import" / "flat"


def run(path, layout, user, **options):
    with open(path, "rb") as handle:
        return import_layout(handle, layout, user=user, file_name=Path(path).name, **options)


def rows_of(path):
    with open(path, encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        return reader.fieldnames, list(reader)


def rewrite(path, tmp_path, change, name="changed.csv", header=None):
    """A copy of a CSV file with change(index, row) applied to every row (and `header` renamed)."""
    fieldnames, rows = rows_of(path)
    out = io.StringIO()
    names = [(header or {}).get(name, name) for name in fieldnames]
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(names)
    for index, row in enumerate(rows):
        change(index, row)
        writer.writerow([row[name] for name in fieldnames])
    target = tmp_path / name
    target.write_text(out.getvalue(), encoding="utf-8")
    return target


def counts():
    return {model._meta.label: model._base_manager.count() for model in apps.get_models()}
