"""The CSV columns of every domain model: one home for what a file says and how it maps to the model.

Both sides read this: exporting (conflictdb.csvio.exporting) writes exactly these columns in this
order; importing reads them back. Foreign keys are natural keys, never database ids:

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

from dataclasses import dataclass, field

from django.db import models

from events.models import (
    Actor,
    ActorAlias,
    ActorMembership,
    Attack,
    Casualty,
    CasualtyFigure,
    Claim,
    ClaimExcerpt,
    ConsensusFigure,
    Displacement,
    DisplacementPlace,
    EquipmentLoss,
    EquipmentType,
    EquipmentTypeAlias,
    Event,
    EventActor,
    EventLocation,
    Location,
    LocationAlias,
    SourceAffiliation,
    TerritorialChange,
)
from sources.models import Document, Excerpt, Source, SourceAlias

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

    @property
    def name(self) -> str:
        return self.model._meta.model_name

    @property
    def header(self) -> list[str]:
        return [column.name for column in self.columns]

    def column(self, name: str) -> Column:
        return next(column for column in self.columns if column.name == name)


def place_columns(path: str, name: str | None = None, help: str = "") -> tuple[Column, Column]:
    """A location foreign key as two cells: the name for people, the reference for machines."""
    name = name or path
    return (
        Column(name, path, LOCATION, help or "Place name, alias or P-code."),
        Column(f"{name}_ref", path, LOCATION_REF,
               "P-code or geonames:<id> of the same place; when given it decides (names repeat)."),
    )


def figure_columns(path: str, what: str) -> tuple[Column, ...]:
    """A casualty figure of the row's own claim, named by its party, category, subgroup and outcome
    (and, when two figures of the claim share those, by its place and date)."""
    return (
        Column(f"{path}_affiliation", f"{path}__affiliation", ACTOR,
               f"With the next three columns: {what}; all four empty for none."),
        Column(f"{path}_category", f"{path}__category", help="That figure's category."),
        Column(f"{path}_subgroup", f"{path}__subgroup", help="That figure's subgroup (empty for none)."),
        Column(f"{path}_outcome", f"{path}__outcome", help="That figure's outcome."),
        Column(f"{path}_place_ref", f"{path}__place", LOCATION_REF, narrows=True,
               help="That figure's place (P-code or geonames:<id>); optional, tells two such figures apart."),
        Column(f"{path}_date", f"{path}__date", narrows=True,
               help="That figure's date; optional, tells two such figures apart."),
    )


FIGURE_NOTE = ("A figure is named by its party, category, subgroup and outcome within the row's own claim, and by "
               "its place and date when the claim has two such figures; a reference that still names two is "
               "refused as ambiguous.")


def quantity_columns() -> tuple[Column, ...]:
    return (
        Column("low", "low", help="Lowest figure stated; empty when unknown."),
        Column("high", "high", help="Highest figure; empty when open-ended or unknown."),
        Column("qualifier", "qualifier", help="How the number was stated."),
        Column("wording", "wording", help='As written, e.g. "more than 35".'),
    )


STATUS = Column("verification_status", "verification_status", importable=False,
                help="Read only: changes only through the verification workflow.")


def _spec(model, columns, natural_key, **extra) -> ModelSpec:
    return ModelSpec(model=model, columns=(*columns, STATUS), natural_key=tuple(natural_key), **extra)


SPECS: dict[str, ModelSpec] = {spec.name: spec for spec in (
    # --- sources ---
    _spec(Source, (
        Column("name", "name"),
        Column("kind", "kind"),
        Column("reliability", "reliability", help="Admiralty grade A–F."),
        Column("protected", "protected", help="true/false: the identity is shown only to permitted users."),
        Column("public_label", "public_label", help="Shown instead of the name when protected."),
        Column("url", "url"),
        Column("country", "country", help="ISO 3166-1 alpha-2."),
        Column("languages", "languages", help="BCP 47 tags, comma separated."),
        Column("description", "description"),
    ), ("name",)),
    _spec(SourceAlias, (
        Column("source", "source", SOURCE),
        Column("name", "name"),
    ), ("source", "name")),
    _spec(Document, (
        Column("external_id", "external_id"),
        Column("url", "url"),
        Column("title", "title"),
        Column("publisher", "publisher", SOURCE),
        Column("author", "author"),
        Column("published_on", "published_on", help="ISO date."),
        Column("published_precision", "published_precision"),
        Column("retrieved_at", "retrieved_at", help="ISO date-time."),
        Column("language", "language", help="BCP 47 tag."),
        Column("archive_url", "archive_url"),
        Column("derived_from", "derived_from", DOCUMENT, "The document this one translates or republishes."),
        Column("derivation", "derivation"),
        Column("notes", "notes"),
        Column("text", "text", help="The full body; fixed once excerpts point into it."),
    ), ("url", "external_id")),
    _spec(Excerpt, (
        Column("document", "document", DOCUMENT),
        Column("start", "start", help="Offset of the first character (0-based)."),
        Column("end", "end", help="Offset after the last character."),
        Column("text", "text", help="Must equal the document text between start and end."),
    ), ("document", "start", "end")),
    # --- actors ---
    _spec(Actor, (
        Column("name", "name"),
        Column("short_name", "short_name"),
        Column("kind", "kind"),
        Column("inter_code", "inter_code", help="ACLED interaction code 1–8."),
        Column("country", "country", help="ISO 3166-1 alpha-2."),
        Column("description", "description"),
    ), ("name",)),
    _spec(ActorAlias, (
        Column("actor", "actor", ACTOR),
        Column("name", "name"),
    ), ("name",)),
    _spec(ActorMembership, (
        Column("member", "member", ACTOR),
        Column("coalition", "coalition", ACTOR),
        Column("start", "start"),
        Column("end", "end"),
    ), ("member", "coalition")),
    _spec(SourceAffiliation, (
        Column("source", "source", SOURCE),
        Column("actor", "actor", ACTOR),
        Column("note", "note"),
    ), ("source", "actor")),
    # --- places ---
    _spec(Location, (
        Column("name", "name", help="Canonical English name."),
        Column("name_ar", "name_ar"),
        Column("kind", "kind"),
        Column("pcode", "pcode", help="OCHA P-code."),
        Column("geonames_id", "geonames_id"),
        Column("external_id", "external_id"),
        *place_columns("parent", help="The containing admin area (or site)."),
        Column("latitude", "latitude"),
        Column("longitude", "longitude"),
        Column("coordinate_precision", "coordinate_precision"),
        Column("attribution", "attribution"),
    ), ("pcode", "geonames_id", "external_id")),
    _spec(LocationAlias, (
        *place_columns("location"),
        Column("name", "name", help="The spelling."),
        Column("language", "language", help="BCP 47 tag with script, e.g. ar, ar-Latn."),
        Column("origin", "origin"),
    ), ("location_ref", "location", "name")),
    # --- equipment ---
    _spec(EquipmentType, (
        Column("name", "name"),
        Column("category", "category"),
        Column("tracker_system_names", "tracker_system_names", help="Oryx system names, comma separated."),
        Column("description", "description"),
    ), ("name",)),
    _spec(EquipmentTypeAlias, (
        Column("equipment_type", "equipment_type", EQUIPMENT_TYPE),
        Column("name", "name"),
    ), ("name",)),
    # --- events and claims ---
    _spec(Event, (
        Column("external_id", "external_id", help="Stable id; required for a round trip."),
        Column("title", "title"),
        Column("summary", "summary"),
        Column("event_type", "event_type"),
        Column("sub_event_type", "sub_event_type", help="Must belong to event_type (ACLED hierarchy)."),
        Column("date_start", "date_start", help="Earliest possible date."),
        Column("date_end", "date_end", help="Latest possible date."),
        Column("date_precision", "date_precision"),
        Column("civilian_targeting", "civilian_targeting", help="true/false."),
        Column("acled_id", "acled_id"),
        Column("ucdp_id", "ucdp_id"),
    ), ("external_id",)),
    _spec(EventLocation, (
        Column("event", "event", EVENT),
        *place_columns("location"),
        Column("role", "role"),
        Column("precision", "precision"),
    ), ("event", "location_ref", "location", "role")),
    _spec(EventActor, (
        Column("event", "event", EVENT),
        Column("actor", "actor", ACTOR),
        Column("role", "role"),
    ), ("event", "actor", "role")),
    _spec(Claim, (
        Column("external_id", "external_id", help="Stable id; required for a round trip."),
        Column("event", "event", EVENT),
        Column("document", "document", DOCUMENT),
        Column("claimant", "claimant", SOURCE, "Who asserts it; may differ from the publisher."),
        Column("stance", "stance"),
        Column("statement", "statement"),
        Column("date_start", "date_start"),
        Column("date_end", "date_end"),
        Column("date_precision", "date_precision"),
        Column("credibility", "credibility", help="Admiralty credibility 1–6."),
    ), ("external_id",)),
    _spec(ClaimExcerpt, (
        Column("claim", "claim", CLAIM),
        Column("excerpt_document", "excerpt__document", DOCUMENT),
        Column("excerpt_start", "excerpt__start"),
        Column("excerpt_end", "excerpt__end"),
    ), ("claim", "excerpt_document", "excerpt_start", "excerpt_end"),
        notes=("The quote is identified by its document and offsets; it must come from the claim's document.",)),
    _spec(CasualtyFigure, (
        Column("claim", "claim", CLAIM),
        Column("affiliation", "affiliation", ACTOR, "Whose people; empty for civilians."),
        Column("category", "category"),
        Column("subgroup", "subgroup"),
        Column("outcome", "outcome"),
        *quantity_columns(),
        Column("perpetrator", "perpetrator", ACTOR),
        *place_columns("place"),
        Column("date", "date"),
        Column("note", "note"),
        *figure_columns("part_of", "the larger figure of the same claim that includes this one (officers "
                                   "among the soldiers killed)"),
    ), ("claim", "affiliation", "category", "subgroup", "outcome", "place_ref", "place", "date"),
        notes=(FIGURE_NOTE,)),
    _spec(Casualty, (
        Column("claim", "claim", CLAIM),
        Column("name", "name"),
        Column("name_ar", "name_ar"),
        Column("age", "age"),
        Column("age_group", "age_group"),
        Column("sex", "sex"),
        Column("category", "category"),
        Column("outcome", "outcome"),
        Column("occupation", "occupation"),
        Column("date", "date"),
        *place_columns("place"),
        *figure_columns("figure", "the casualty figure of the same claim this person is counted in"),
    ), ("claim", "name", "name_ar", "age", "date"),
        notes=("name, name_ar, age and sex are personal data: exported as [protected] to users without "
               "permission to see them.", FIGURE_NOTE)),
    _spec(EquipmentLoss, (
        Column("claim", "claim", CLAIM),
        Column("equipment_type", "equipment_type", EQUIPMENT_TYPE),
        Column("status", "status"),
        *quantity_columns(),
        Column("owner", "owner", ACTOR, "Who lost it."),
        Column("captor", "captor", ACTOR, "Who captured it (status captured only)."),
        *place_columns("place"),
        Column("date", "date"),
        Column("evidence_url", "evidence_url"),
        Column("evidence_sha256", "evidence_sha256"),
    ), ("claim", "equipment_type", "status", "owner", "place_ref", "place", "date", "evidence_url")),
    _spec(TerritorialChange, (
        Column("claim", "claim", CLAIM),
        *place_columns("place"),
        Column("kind", "kind"),
        Column("gaining", "gaining", ACTOR),
        Column("losing", "losing", ACTOR),
        Column("date", "date"),
    ), ("claim", "place_ref", "place", "kind")),
    _spec(Attack, (
        Column("claim", "claim", CLAIM),
        Column("kind", "kind"),
        Column("perpetrator", "perpetrator", ACTOR),
        *place_columns("place"),
        Column("target", "target"),
        Column("weapon", "weapon"),
        *quantity_columns(),
        Column("date", "date"),
    ), ("claim", "kind", "place_ref", "place", "target")),
    _spec(Displacement, (
        Column("claim", "claim", CLAIM),
        Column("unit", "unit"),
        *quantity_columns(),
        Column("date_start", "date_start"),
        Column("date_end", "date_end"),
    ), ("claim", "unit", "wording")),
    # Derived by events.consensus, never imported: exported for researchers.
    ModelSpec(ConsensusFigure, (
        Column("event", "event", EVENT, importable=False),
        Column("affiliation", "affiliation", ACTOR, importable=False),
        Column("category", "category", importable=False),
        Column("subgroup", "subgroup", importable=False),
        Column("outcome", "outcome", importable=False),
        Column("low", "low", importable=False),
        Column("best", "best", importable=False),
        Column("high", "high", importable=False),
        Column("claims_used", "claims_used", importable=False),
        Column("independent_sources", "independent_sources", importable=False),
        Column("conflicting", "conflicting", importable=False),
    ), ("event", "affiliation", "category", "subgroup", "outcome"),
        help="Derived by events.consensus; export only.",
        notes=("basis (per claim: used or excluded, and why) is in the API, not in files.",)),
    _spec(DisplacementPlace, (
        Column("displacement", "displacement__claim", DISPLACEMENT,
               "External id of the displacement's claim (the claim must have one displacement)."),
        *place_columns("location"),
        Column("role", "role"),
    ), ("displacement", "location_ref", "location", "role")),
)}


def spec_for(model_or_name) -> ModelSpec:
    """The spec of a model class, instance, `app_label.model` label or model name (case-insensitive)."""
    if isinstance(model_or_name, str):
        name = model_or_name.lower().rsplit(".", 1)[-1].replace("-", "").replace("_", "")
        for spec in SPECS.values():
            if name in (spec.name, spec.model._meta.verbose_name_plural.replace(" ", "").lower()):
                return spec
        raise KeyError(f"No CSV columns for “{model_or_name}”. Known: {', '.join(sorted(SPECS))}.")
    model = model_or_name if isinstance(model_or_name, type) else type(model_or_name)
    return SPECS[model._meta.model_name]


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
