"""Export → import of the seed data changes nothing: every model's file reads back as unchanged
(natural keys resolve, neutralised cells come back as they were)."""

import io

import pytest
from django.core.management import call_command

from conflictdb.csvio.exporting import export_for, write_csv
from conflictdb.registry import registry

IMPORTABLE = [spec for spec in registry["csv_models"].values() if any(column.importable for column in spec.columns)]


@pytest.mark.parametrize("spec", IMPORTABLE, ids=lambda spec: spec.name)
def test_export_then_import_changes_nothing(seeded, data_manager, spec, tmp_path):
    if not spec.model._default_manager.exists():
        pytest.skip(f"the seeds have no {spec.model._meta.verbose_name_plural}")
    target = tmp_path / f"{spec.name}.csv"
    with open(target, "w", encoding="utf-8", newline="") as stream:
        rows = write_csv(export_for(spec.name, data_manager), stream)
    out = io.StringIO()
    call_command("import_csv", str(target), "--model", spec.name, "--user", data_manager.username, "--dry-run",
                 "--no-progress", stdout=out, stderr=out)
    assert f"{rows} rows: 0 created, 0 updated, {rows} unchanged, 0 refused" in out.getvalue(), out.getvalue()
