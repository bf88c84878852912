"""The CSV columns and natural keys of the events app's models (actors, places, equipment, events,
claims and what claims state), declared with conflictdb.csvio.columns and registered by
events.csv.register(). Key kinds, what each writes and accepts: conflictdb/csvio/columns.py.
"""

from __future__ import annotations

from conflictdb.csvio.columns import (
    ACTOR,
    CLAIM,
    DISPLACEMENT,
    DOCUMENT,
    EQUIPMENT_TYPE,
    EVENT,
    LOCATION_REF,
    SOURCE,
    Column,
    ModelSpec,
    place_columns,
    tracked_spec,
)
from events.models import (
    Actor,
    ActorAlias,
    ActorMembership,
    Attack,
    Casualty,
    CasualtyFigure,
    Claim,
    ClaimExcerpt,
    ClaimInclusion,
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


def claim_weight_columns() -> tuple[Column, ...]:
    """What a reader needs to weigh the row's claim: whether it asserts or denies it, and its
    grade (so a denial never reads as a second source confirming). Last, so files keep their
    layout."""
    return (
        Column("claim_stance", "claim__stance", importable=False,
               help="Whether the claim asserts, denies or explains otherwise (export only)."),
        Column("claim_source_reliability", "claim__claimant__reliability", importable=False,
               help="The claimant's reliability A–F; with the next column the claim's grade, e.g. B2 (export only)."),
        Column("claim_credibility", "claim__credibility", importable=False,
               help="The claim's credibility 1–6 (export only)."),
    )


SPECS = (
    # --- actors ---
    tracked_spec(Actor, (
        Column("name", "name"),
        Column("short_name", "short_name"),
        Column("kind", "kind"),
        Column("inter_code", "inter_code", help="ACLED interaction code 1–8."),
        Column("country", "country", help="ISO 3166-1 alpha-2."),
        Column("description", "description"),
    ), ("name",), names_records=True),
    tracked_spec(ActorAlias, (
        Column("actor", "actor", ACTOR),
        Column("name", "name"),
    ), ("name",), names_records=True),
    tracked_spec(ActorMembership, (
        Column("member", "member", ACTOR),
        Column("coalition", "coalition", ACTOR),
        Column("start", "start"),
        Column("end", "end"),
    ), ("member", "coalition")),
    tracked_spec(SourceAffiliation, (
        Column("source", "source", SOURCE),
        Column("actor", "actor", ACTOR),
        Column("note", "note"),
    ), ("source", "actor")),
    # --- places ---
    tracked_spec(Location, (
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
    ), ("pcode", "geonames_id", "external_id"), names_records=True, fallback_key=("name", "kind", "parent")),
    tracked_spec(LocationAlias, (
        *place_columns("location"),
        Column("name", "name", help="The spelling."),
        Column("language", "language", help="BCP 47 tag with script, e.g. ar, ar-Latn."),
        Column("origin", "origin"),
    ), ("location_ref", "location", "name"), names_records=True),
    # --- equipment ---
    tracked_spec(EquipmentType, (
        Column("name", "name"),
        Column("category", "category"),
        Column("tracker_system_names", "tracker_system_names", help="Oryx system names, comma separated."),
        Column("description", "description"),
    ), ("name",), names_records=True),
    tracked_spec(EquipmentTypeAlias, (
        Column("equipment_type", "equipment_type", EQUIPMENT_TYPE),
        Column("name", "name"),
    ), ("name",), names_records=True),
    # --- events and claims ---
    tracked_spec(Event, (
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
    ), ("external_id",), names_records=True),
    tracked_spec(EventLocation, (
        Column("event", "event", EVENT),
        *place_columns("location"),
        Column("role", "role"),
        Column("precision", "precision"),
    ), ("event", "location_ref", "location", "role")),
    tracked_spec(EventActor, (
        Column("event", "event", EVENT),
        Column("actor", "actor", ACTOR),
        Column("role", "role"),
    ), ("event", "actor", "role")),
    tracked_spec(Claim, (
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
    ), ("external_id",), names_records=True),
    tracked_spec(ClaimExcerpt, (
        Column("claim", "claim", CLAIM),
        Column("excerpt_document", "excerpt__document", DOCUMENT),
        Column("excerpt_start", "excerpt__start"),
        Column("excerpt_end", "excerpt__end"),
    ), ("claim", "excerpt_document", "excerpt_start", "excerpt_end"),
        notes=("The quote is identified by its document and offsets; it must come from the claim's document.",)),
    tracked_spec(ClaimInclusion, (
        Column("claim", "claim", CLAIM, "The claim whose figures contain the other event's (a daily toll)."),
        Column("event", "event", EVENT, "The included event: consensus totals do not count its figures again."),
    ), ("claim", "event")),
    tracked_spec(CasualtyFigure, (
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
        *claim_weight_columns(),
    ), ("claim", "affiliation", "category", "subgroup", "outcome", "place_ref", "place", "date"),
        notes=(FIGURE_NOTE,)),
    tracked_spec(Casualty, (
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
        *claim_weight_columns(),
    ), ("claim", "name", "name_ar", "age", "date"),
        notes=("name, name_ar, age and sex are personal data: exported as [protected] to users without "
               "permission to see them.", FIGURE_NOTE)),
    tracked_spec(EquipmentLoss, (
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
        *claim_weight_columns(),
    ), ("claim", "equipment_type", "status", "owner", "place_ref", "place", "date", "evidence_url")),
    tracked_spec(TerritorialChange, (
        Column("claim", "claim", CLAIM),
        *place_columns("place"),
        Column("kind", "kind"),
        Column("gaining", "gaining", ACTOR),
        Column("losing", "losing", ACTOR),
        Column("date", "date"),
        *claim_weight_columns(),
    ), ("claim", "place_ref", "place", "kind")),
    tracked_spec(Attack, (
        Column("claim", "claim", CLAIM),
        Column("kind", "kind"),
        Column("perpetrator", "perpetrator", ACTOR),
        *place_columns("place"),
        Column("target", "target"),
        Column("weapon", "weapon"),
        *quantity_columns(),
        Column("date", "date"),
        *claim_weight_columns(),
    ), ("claim", "kind", "place_ref", "place", "target")),
    tracked_spec(Displacement, (
        Column("claim", "claim", CLAIM),
        Column("unit", "unit"),
        *quantity_columns(),
        Column("date_start", "date_start"),
        Column("date_end", "date_end"),
        *claim_weight_columns(),
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
        Column("contested", "contested", importable=False,
               help="Some claim denies the event, explains it otherwise or names another perpetrator."),
    ), ("event", "affiliation", "category", "subgroup", "outcome"),
        help="Derived by events.consensus; export only.",
        notes=("basis (per claim: used or excluded, and why) and dissent (the claims that contest the event, "
               "with their claimants) are in the API (`/api/v1/events/<id>/consensus/`), not in files.",)),
    tracked_spec(DisplacementPlace, (
        Column("displacement", "displacement__claim", DISPLACEMENT,
               "External id of the displacement's claim (the claim must have one displacement)."),
        *place_columns("location"),
        Column("role", "role"),
    ), ("displacement", "location_ref", "location", "role")),
)
