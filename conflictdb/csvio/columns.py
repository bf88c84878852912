"""CSV columns: what a file of one model's rows says and how each column maps to the model.

The apps declare their models' columns with these classes (events/csv/columns.py,
sources/csv.py) and register them in their ready() into registry["csv_models"]; this module knows
no model. Both engines read the registered specs: exporting (conflictdb.csvio.exporting) writes
exactly these columns in this order; importing reads them back. Foreign keys are natural keys,
never database ids, of these kinds (the apps resolve them on import, conflictdb.csvio.keys):

| key kind         | cell written on export                                | import accepts                       |
| ---------------- | ----------------------------------------------------- | ------------------------------------ |
| `location`       | the place's canonical name (for people)               | name, alias or P-code                |
| `location_ref`   | P-code, else `geonames:<id>`, else empty              | the same; when filled it wins        |
| `actor`          | name                                                  | name or alias                        |
| `source`         | name (the public label where protection requires it)  | name or alias                        |
| `document`       | URL, else external_id, else title                     | URL, external_id, or a unique title  |
| `equipment_type` | name                                                  | name or alias                        |
| `event`, `claim` | external_id                                           | external_id                          |
| `displacement`   | external_id of the displacement's claim               | the claim's only displacement        |

Location names repeat (the two Neirabs), so a place is written as two cells: its name for
people and its reference (P-code or GeoNames id) for an unambiguous round trip. Import batches,
ids and the rest of the provenance are not exported; `verification_status` is exported for
readers but never imported (it moves only through conflictdb.verification). What a user may not
see (a protected source's identity, a casualty's personal data) is decided by
conflictdb.protection when the rows are written, not here.

Allowed values of choice columns come from the model (`allowed_values`), so the docs and the
importer's messages cannot drift from the database.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from django.db import models

from conflictdb.registry import registry

# Kinds of natural key (see the module docstring for what each writes and accepts).
LOCATION, LOCATION_REF, ACTOR, SOURCE, DOCUMENT, EQUIPMENT_TYPE, EVENT, CLAIM, DISPLACEMENT = (
    "location", "location_ref", "actor", "source", "document", "equipment_type", "event", "claim", "displacement")
KEY_KINDS = (LOCATION, LOCATION_REF, ACTOR, SOURCE, DOCUMENT, EQUIPMENT_TYPE, EVENT, CLAIM, DISPLACEMENT)


@dataclass(frozen=True)
class Column:
    """One CSV column.

    `path` is the model field (or a `__` path through foreign keys) the cell comes from. With a
    `key`, the path ends at a related record and the cell is that record's natural key.
    """

    name: str
    path: str
    key: str | None = None
    help: str = ""
    importable: bool = True  # False: written for readers, ignored on import
    # In a reference named by several cells: optional, and only narrows the match when filled.
    narrows: bool = False
    # A date that may lie ahead (a planned or forecast date): without it, a date later than today
    # is refused on import (conflictdb.csvio.values.not_in_future).
    planned: bool = False

    @property
    def field_name(self) -> str:
        """The field on the exported model itself (the first step of the path)."""
        return self.path.split("__", 1)[0]


@dataclass(frozen=True)
class ModelSpec:
    model: type[models.Model]
    columns: tuple[Column, ...]
    # Columns whose values together identify a record (for idempotent re-import).
    natural_key: tuple[str, ...]
    help: str = ""
    notes: tuple[str, ...] = field(default=())
    # Written rows change what natural keys name (a new place, actor, alias …): an import drops
    # the names it has loaded after writing them, so later rows of the file find the new records.
    names_records: bool = False
    # Fields that find the record when every natural-key cell is empty (a place with no P-code,
    # GeoNames id or external id: by name, kind and parent); the first one must be filled.
    fallback_key: tuple[str, ...] = ()

    @property
    def name(self) -> str:
        return self.model._meta.model_name

    @property
    def header(self) -> list[str]:
        return [column.name for column in self.columns]

    def column(self, name: str) -> Column:
        return next(column for column in self.columns if column.name == name)


@dataclass(frozen=True)
class CellGroup:
    """Fields an import reads together because one cell can fill several (a number as reported,
    "more than 35", is low, high and qualifier at once). A model having every one of `fields` has
    them read by `read(text, columns, choice)`: field name → cell text and → header column for the
    fields the file states, `choice(field name, text)` the importer's reading of a choice cell;
    it returns the fields' values or raises CellError(message, (column, cell))."""

    fields: tuple[str, ...]
    read: Callable[[dict, dict, Callable], dict]


def place_columns(path: str, name: str | None = None, help: str = "") -> tuple[Column, Column]:
    """A location foreign key as two cells: the name for people, the reference for machines."""
    name = name or path
    return (
        Column(name, path, LOCATION, help or "Place name, alias or P-code."),
        Column(f"{name}_ref", path, LOCATION_REF,
               "P-code or geonames:<id> of the same place; when given it decides (names repeat)."),
    )


STATUS = Column("verification_status", "verification_status", importable=False,
                help="Read only: changes only through the verification workflow.")


def tracked_spec(model, columns, natural_key, **extra) -> ModelSpec:
    """The spec of a tracked model: its columns, then its read-only verification status."""
    return ModelSpec(model=model, columns=(*columns, STATUS), natural_key=tuple(natural_key), **extra)


def register(*specs: ModelSpec) -> None:
    """Make the specs known to the import and export engines (called from an app's ready())."""
    for spec in specs:
        registry["csv_models"][spec.name] = spec


def register_cell_group(name: str, group: CellGroup) -> None:
    """Make a group of fields read together known to the import engine (from an app's ready())."""
    registry["csv_cell_groups"][name] = group


def spec_for(model_or_name) -> ModelSpec:
    """The spec of a model class, instance, `app_label.model` label or model name (case-insensitive)."""
    if isinstance(model_or_name, str):
        name = model_or_name.lower().rsplit(".", 1)[-1].replace("-", "").replace("_", "")
        for spec in registry["csv_models"].values():
            if name in (spec.name, spec.model._meta.verbose_name_plural.replace(" ", "").lower()):
                return spec
        raise KeyError(f"No CSV columns for “{model_or_name}”. Known: {', '.join(sorted(registry['csv_models']))}.")
    model = model_or_name if isinstance(model_or_name, type) else type(model_or_name)
    return registry["csv_models"][model._meta.model_name]


def model_field(model, path: str) -> models.Field:
    """The field a `__` path ends at (the foreign key itself for key columns)."""
    parts = path.split("__")
    for part in parts[:-1]:
        model = model._meta.get_field(part).related_model
    return model._meta.get_field(parts[-1])


def allowed_values(model, column: Column) -> list[str] | None:
    """The stored values a choice column accepts (blank included when allowed); None when free."""
    if column.key:
        return None
    model_field_ = model_field(model, column.path)
    if isinstance(model_field_, models.BooleanField):
        return ["true", "false"]
    if not model_field_.choices:
        return None
    values = [str(value) for value, _label in model_field_.flatchoices]
    if model_field_.blank and "" not in values:
        values.append("")
    return values


NUMERIC_FIELDS = (models.IntegerField, models.DecimalField, models.FloatField)


def is_numeric(model, column: Column) -> bool:
    """Numeric columns are written as numbers (a negative longitude stays a number)."""
    return column.key is None and isinstance(model_field(model, column.path), NUMERIC_FIELDS)
