"""The CSV columns (conflictdb.csvio.columns): every domain model has them, natural keys only, no ids."""

import pytest
from django.contrib import admin
from django.db import models

from conflictdb.csvio import columns as cols
from conflictdb.registry import registry
from events.models import CasualtyFigure, Event, Location
from conflictdb.models import GradeChange, ImportBatch, VerificationTransition
from tests.paths import ROOT

# Provenance logs, not data: written by the importer and the workflow, never moved as files.
NOT_EXPORTED = {ImportBatch, VerificationTransition, GradeChange}


def domain_admin_models():
    return [model for model in admin.site._registry
            if model._meta.app_label in ("sources", "events") and model not in NOT_EXPORTED]


def test_every_model_in_the_admin_has_columns():
    missing = [model.__name__ for model in domain_admin_models() if model._meta.model_name not in registry["csv_models"]]
    assert missing == []


@pytest.mark.parametrize("spec", registry["csv_models"].values(), ids=lambda spec: spec.name)
def test_columns_resolve_and_foreign_keys_are_natural_keys(spec):
    assert len(set(spec.header)) == len(spec.header)
    assert set(spec.natural_key) <= set(spec.header)
    for column in spec.columns:
        field = cols.model_field(spec.model, column.path)
        assert not column.name.endswith("_id") or column.name in ("external_id", "geonames_id", "acled_id", "ucdp_id")
        assert column.name not in ("id", "pk", "import_batch", "import_row")
        if isinstance(field, models.ForeignKey):
            assert column.key in cols.KEY_KINDS, f"{spec.name}.{column.name} would write a database id"
        else:
            assert column.key is None


def test_every_editable_field_is_exported_or_documented():
    """Nothing a person typed is silently left out of a file (derived and provenance fields are)."""
    for spec in registry["csv_models"].values():
        exported = {column.field_name for column in spec.columns}
        for field in spec.model._meta.concrete_fields:
            if not field.editable or field.primary_key or field.name in exported:
                continue
            assert any(field.name in note for note in spec.notes), f"{spec.name}.{field.name} is not exported"


def test_allowed_values_come_from_the_model():
    figure = cols.spec_for("casualty-figures")
    assert cols.allowed_values(CasualtyFigure, figure.column("outcome")) == list(CasualtyFigure.Outcome.values)
    assert "" in cols.allowed_values(CasualtyFigure, figure.column("subgroup"))
    assert cols.allowed_values(CasualtyFigure, figure.column("wording")) is None
    assert cols.allowed_values(CasualtyFigure, figure.column("affiliation")) is None  # a natural key
    event = cols.spec_for(Event)
    assert cols.allowed_values(Event, event.column("civilian_targeting")) == ["true", "false"]


def test_names_and_numeric_columns():
    assert cols.spec_for("events.casualtyfigure") is cols.spec_for(CasualtyFigure) is cols.spec_for("casualty_figures")
    with pytest.raises(KeyError, match="No CSV columns"):
        cols.spec_for("nothing")
    location = cols.spec_for(Location)
    assert cols.is_numeric(Location, location.column("longitude"))
    assert not cols.is_numeric(Location, location.column("parent_ref"))
    assert location.column("parent_ref").key == cols.LOCATION_REF


def test_the_docs_list_every_column():

    docs = (ROOT / "docs" / "csv-export.md").read_text(encoding="utf-8")
    for spec in registry["csv_models"].values():
        section = docs.split(f"### `{spec.name}`", 1)
        assert len(section) == 2, f"docs/csv-export.md has no section for {spec.name}"
        body = section[1].split("\n### ", 1)[0]
        missing = [column.name for column in spec.columns if f"| `{column.name}` |" not in body]
        assert missing == [], f"{spec.name}: {missing}"
