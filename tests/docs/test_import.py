"""docs/csv-import.md and docs/samples/: every importable model is documented with its columns,
and every sample file imports cleanly into the seed data (dry run)."""

from pathlib import Path

import pytest
from django.conf import settings

from conflictdb.csvio.importing import import_file, importable
from conflictdb.registry import registry
from events.seeding import load_seeds

DOCS = Path(settings.BASE_DIR) / "docs"
IMPORTABLE = sorted(name for name, spec in registry["csv_models"].items() if importable(spec))


def test_every_importable_model_is_documented_with_its_columns_and_a_sample():
    text = (DOCS / "csv-import.md").read_text(encoding="utf-8")
    for name in IMPORTABLE:
        spec = registry["csv_models"][name]
        assert f"### `{name}`" in text, name
        section = text.split(f"### `{name}`", 1)[1].split("\n### ", 1)[0]
        for column in spec.columns:
            if column.importable:
                assert f"`{column.name}`" in section, (name, column.name)
        assert (DOCS / "samples" / f"{name}.csv").exists(), name


@pytest.fixture
def seeded(db):
    load_seeds()


def test_every_sample_imports_into_the_seed_data(seeded, data_manager):
    for name in IMPORTABLE:
        outcome = import_file(DOCS / "samples" / f"{name}.csv", name, user=data_manager, dry_run=True)
        assert outcome.errors == [], (name, outcome.errors[:3])
