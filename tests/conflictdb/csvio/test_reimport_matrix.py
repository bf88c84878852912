"""Re-importing never duplicates, whatever the header: an absent optional column means the same as an
empty one. Driven by the registries, so a model spec or layout added later is covered by itself:

- every importable model spec × (no column dropped, then each optional natural-key column dropped):
  the seed data's own export, without that column, imported twice — the second import creates
  nothing and no table or history grows;
- every registered layout × each optional column of its sample file (tests/fixtures/**/
  <layout name with _>*.csv: a layout added later ships one): the same.
"""

import csv
import importlib
import io
from pathlib import Path

import pytest
from django.apps import apps
from django.core.management import call_command
from django.db import transaction

from conflictdb.csvio.exporting import export_for, write_csv
from conflictdb.csvio import columns as c
from conflictdb.csvio.importing import _Plan, import_file
from conflictdb.csvio.layouts import import_layout
from conflictdb.registry import registry
from tests.paths import FIXTURES

IMPORTABLE = [spec for spec in registry["csv_models"].values() if any(column.importable for column in spec.columns)]


@pytest.fixture(scope="module")
def seeded(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock(), transaction.atomic():
        call_command("load_seeds", verbosity=0)
        yield
        transaction.set_rollback(True)


def _optional_key_columns(spec) -> list[tuple[str, ...]]:
    """The columns of each natural-key field a file may leave out: a part of a compound key whose
    field may be empty (blank, null or a default). A place is one field of two columns (name and
    _ref), left out together. A key of one field, or of alternatives each unique by itself (a
    document by URL or external id), has no optional part: without it a row names nothing."""
    plan = _Plan(spec, spec.header)
    if len(plan.key_fields) < 2 or plan.alternatives:
        return []
    by_field = {}
    for name in spec.natural_key:
        field = spec.model._meta.get_field(spec.column(name).field_name)
        if field.blank or field.null or field.has_default():
            by_field.setdefault(field.name, []).extend(
                column.name for column in spec.columns if column.importable and column.path == field.name
                or column.path.partition("__")[0] == field.name and column.key in (c.LOCATION, c.LOCATION_REF))
    return [tuple(dict.fromkeys(names)) for names in by_field.values()]


MODEL_CASES = [(spec, None) for spec in IMPORTABLE] + [
    (spec, name) for spec in IMPORTABLE for name in _optional_key_columns(spec)]


def _table_counts() -> dict:
    """Rows of every table, history tables included."""
    return {model._meta.label: model._base_manager.count() for model in apps.get_models()}


def _without(text: str, dropped, keep_first_of: list[str] | None = None) -> str:
    """The CSV without the column(s) `dropped`; rows that then share their remaining key with an earlier row
    are left out (they would be one record now, and a file may name a record once)."""
    dropped = {dropped} if isinstance(dropped, str) else set(dropped or ())
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    header, body = rows[0], rows[1:]
    keep = [index for index, name in enumerate(header) if name not in dropped]
    key_indexes = [header.index(name) for name in keep_first_of or [] if name in header and name not in dropped]
    seen, kept = set(), []
    for row in body:
        key = tuple(row[index] for index in key_indexes)
        if key_indexes and key in seen:
            continue
        seen.add(key)
        kept.append([row[index] for index in keep])
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows([[header[index] for index in keep], *kept])
    return out.getvalue()


@pytest.mark.parametrize(("spec", "dropped"), MODEL_CASES,
                         ids=lambda value: getattr(value, "name", None) or "+".join(value or ("all-columns",)))
def test_a_model_file_imported_twice_creates_nothing_the_second_time(seeded, data_manager, spec, dropped, tmp_path):
    if not spec.model._default_manager.exists():
        pytest.skip(f"the seeds have no {spec.model._meta.verbose_name_plural}")
    exported = io.StringIO()
    write_csv(export_for(spec.name, data_manager), exported, bom=False)
    target = tmp_path / f"{spec.name}.csv"
    target.write_text(_without(exported.getvalue(), dropped, list(spec.natural_key)), encoding="utf-8")
    first = import_file(target, spec.name, user=data_manager)
    assert not first.refused, [str(error) for error in first.errors[:5]]
    if dropped is None:  # the export itself: every row finds its record
        assert first.counts["created"] == 0 and first.counts["updated"] == 0, first.counts
    after_first = _table_counts()
    second = import_file(target, spec.name, user=data_manager)
    assert not second.refused, [str(error) for error in second.errors[:5]]
    assert second.counts["created"] == 0 and second.counts["updated"] == 0, second.counts
    assert second.counts["unchanged"] == first.rows
    after_second = _table_counts()
    after_second.pop("conflictdb.ImportBatch"), after_first.pop("conflictdb.ImportBatch")
    assert after_second == after_first


def _layout_cases():
    cases = []
    for name, layout in sorted(registry["import_layouts"].items()):
        samples = sorted(Path(FIXTURES).rglob(f"{name.replace('-', '_')}*.csv"), key=lambda path: path.stat().st_size)
        sample = samples[0] if samples else None
        header = next(csv.reader(io.StringIO(sample.read_text(encoding="utf-8-sig")))) if sample else []
        required = set(getattr(importlib.import_module(layout.apply.__module__), "REQUIRED", ()))
        cases.append((name, sample, None))
        cases += [(name, sample, column) for column in header if column not in required]
    return cases


@pytest.mark.parametrize(("layout", "sample", "dropped"), _layout_cases(),
                         ids=lambda value: value if isinstance(value, str) else ("sample" if value else "all-columns"))
def test_a_layout_file_imported_twice_creates_nothing_the_second_time(seeded, data_manager, layout, sample, dropped,
                                                                      tmp_path):
    assert sample is not None, (f"layout {layout!r} has no sample file tests/fixtures/…/"
                                f"{layout.replace('-', '_')}*.csv for the re-import matrix")
    target = tmp_path / sample.name
    target.write_text(_without(sample.read_text(encoding="utf-8-sig"), dropped), encoding="utf-8")
    before = _table_counts()
    with open(target, "rb") as handle:
        first = import_layout(handle, layout, user=data_manager, file_name=target.name)
    after_first = _table_counts()
    with open(target, "rb") as handle:
        second = import_layout(handle, layout, user=data_manager, file_name=target.name)
    assert second.refused == first.refused
    if first.refused:
        # Without the column the sample may no longer be a valid file (two rows become the same
        # figure, a row names no document): refused both times, and nothing written either time.
        assert [str(e) for e in second.errors] == [str(e) for e in first.errors]
        before.pop("conflictdb.ImportBatch"), after_first.pop("conflictdb.ImportBatch")
        assert after_first == before
        after_first["conflictdb.ImportBatch"] = 0
    else:
        assert second.counts["created"] == 0, second.counts
        assert second.counts["updated"] == 0 and second.counts["unchanged"] == first.rows, second.counts
    after_second = _table_counts()
    after_second.pop("conflictdb.ImportBatch"), after_first.pop("conflictdb.ImportBatch")
    assert after_second == after_first
