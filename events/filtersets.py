"""One FilterSet per model, shared by the API (and the admin where it fits).

Claims and everything a claim states share the claim-level filters (dates, event type, actor,
place, source, grades, document) through `claim_filters(prefix)`.
"""

import django_filters
from django.db.models import Q
from rest_framework.exceptions import ValidationError

from conflictdb.filtersets import NamedFilter, NamedFilterSet, TrackedFilterSet, overlapping
from events import consensus, naming, selectors
from events.models import (
    Actor,
    ActorAlias,
    ActorMembership,
    Attack,
    Casualty,
    CasualtyFigure,
    ConsensusFigure,
    Claim,
    ClaimExcerpt,
    ClaimInclusion,
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
from events.vocabularies import EventType, SubEventType
from sources.models import Document, Reliability, Source


def parse_bbox(value):
    try:
        min_lon, min_lat, max_lon, max_lat = (float(part) for part in value.split(","))
    except ValueError:
        raise ValidationError({"bbox": "Expected min_lon,min_lat,max_lon,max_lat as four numbers."}) from None
    if not (-180 <= min_lon <= max_lon <= 180 and -90 <= min_lat <= max_lat <= 90):
        raise ValidationError({"bbox": "Expected min_lon ≤ max_lon within ±180 and min_lat ≤ max_lat within ±90."})
    return min_lon, min_lat, max_lon, max_lat


def location_ids_for(value, *, field="location"):
    try:
        locations = list(naming.places_named(value).values_list("id", flat=True))
    except naming.PlaceNotResolved as unresolved:
        raise ValidationError({field: unresolved.resolution.message}) from None
    if not locations:
        raise ValidationError({field: f"No place is called {value!r} (give an id, a P-code or a known spelling)."})
    return selectors.area_and_descendants(locations)


def actor_ids_for(value, *, field="actor"):
    actors = list(naming.actors_named(value).values_list("id", flat=True))
    if not actors:
        raise ValidationError({field: f"No actor is called {value!r} (give an id, a name or an alias)."})
    return selectors.actor_and_members(actors)


class ClaimScopedFilterSet(TrackedFilterSet):
    """Filters on the claim a record belongs to. `claim_prefix` is "" for claims themselves."""

    claim_prefix = "claim__"
    # Fields on the record itself that name a place / an actor, matched as well as the event's.
    # A record naming its own place/actor is matched by those; one naming none, by its event's.
    own_place_fields: tuple[str, ...] = ()
    own_actor_fields: tuple[str, ...] = ()

    date_from = django_filters.DateFilter(method="filter_dates", help_text="Event (or claim) dates overlap from this day.")
    date_to = django_filters.DateFilter(method="filter_dates", help_text="Event (or claim) dates overlap up to this day.")
    event = NamedFilter(field_name="event", model=Event)
    event_type = django_filters.MultipleChoiceFilter(choices=EventType.choices, method="filter_event_type")
    sub_event_type = django_filters.MultipleChoiceFilter(choices=SubEventType.choices, method="filter_sub_event_type")
    actor = django_filters.CharFilter(
        method="filter_actor",
        help_text="Actor id, name or alias; a coalition includes its members. Matches the record's own actor "
                  "fields, or its event's actors when it names none.",
    )
    location = django_filters.CharFilter(
        method="filter_location",
        help_text="Place id, P-code or spelling; everything inside that area matches (e.g. SY02 = Aleppo "
                  "governorate). Matches the record's own place, or its event's places when it has none.",
    )
    pcode = django_filters.CharFilter(method="filter_location", help_text="P-code of a place or admin area.")
    bbox = django_filters.CharFilter(method="filter_bbox", help_text="min_lon,min_lat,max_lon,max_lat")
    source = NamedFilter(field_name="claimant", model=Source)
    source_reliability = django_filters.MultipleChoiceFilter(
        choices=Reliability.choices, method="filter_source_reliability", help_text="Claimant's Admiralty grade."
    )
    credibility = django_filters.MultipleChoiceFilter(
        choices=Claim.Credibility.choices, method="filter_credibility", help_text="Claim credibility 1–6."
    )
    document = NamedFilter(field_name="document", model=Document)
    contested = django_filters.BooleanFilter(
        method="filter_contested",
        help_text="Records of events some claim denies, explains otherwise or gives another perpetrator "
                  "(docs/methodology.md, Denials and contradictions).")
    conflicting = django_filters.BooleanFilter(
        method="filter_conflicting", help_text="Records of events with a consensus figure whose credible claims "
                                               "do not agree.")

    # NamedFilters on the claim's own foreign keys: their paths start at the claim.
    claim_named_filters = ("event", "source", "document")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in self.claim_named_filters:
            self.filters[name].field_name = self._p(self.filters[name].field_name)

    def _p(self, path):
        return f"{self.claim_prefix}{path}"

    def filter_dates(self, queryset, name, value):
        data = self.form.cleaned_data
        date_from, date_to = data.get("date_from"), data.get("date_to")
        if name == "date_to" and date_from:
            return queryset  # both bounds are applied once, by date_from
        by_event = overlapping(self._p("event__"), date_from, date_to)
        by_claim = Q(**{self._p("event__isnull"): True}) & overlapping(self.claim_prefix, date_from, date_to)
        return queryset.filter(by_event | by_claim)

    def filter_event_type(self, queryset, name, value):
        return queryset.filter(**{self._p("event__event_type__in"): value}) if value else queryset

    def filter_sub_event_type(self, queryset, name, value):
        return queryset.filter(**{self._p("event__sub_event_type__in"): value}) if value else queryset

    def _events_with(self, link_model, **lookup):
        # Event ids straight from the link table (EventLocation/EventActor), not joined through
        # events: SQLite otherwise probed every event for every id, and PostgreSQL scanned the
        # whole link index.
        return link_model.objects.filter(**lookup).values("event_id")

    def _own_or_event(self, own_fields, ids, event_lookup):
        """Records that name their own place/actor are matched by it; the others by their event's."""
        link_model, link_lookup = event_lookup
        by_event = Q(**{self._p("event__in"): self._events_with(link_model, **{link_lookup: ids})})
        if not own_fields:
            return by_event
        own = Q()
        none_named = Q()
        for field in own_fields:
            own |= Q(**{f"{field}__in": ids})
            none_named &= Q(**{f"{field}__isnull": True})
        return own | (none_named & by_event)

    def filter_actor(self, queryset, name, value):
        ids = actor_ids_for(value, field=name)
        return queryset.filter(self._own_or_event(self.own_actor_fields, ids, (EventActor, "actor__in")))

    def _filter_places(self, queryset, ids):
        return queryset.filter(self._own_or_event(self.own_place_fields, ids, (EventLocation, "location__in")))

    def filter_location(self, queryset, name, value):
        return self._filter_places(queryset, location_ids_for(value, field=name))

    def filter_bbox(self, queryset, name, value):
        inside = selectors.locations_in_bbox(*parse_bbox(value)).values("id")
        return self._filter_places(queryset, inside)

    def filter_source_reliability(self, queryset, name, value):
        return queryset.filter(**{self._p("claimant__reliability__in"): value}) if value else queryset

    def filter_credibility(self, queryset, name, value):
        return queryset.filter(**{self._p("credibility__in"): value}) if value else queryset

    def filter_contested(self, queryset, name, value):
        return by_events(queryset, self._p("event_id"), consensus.contested_events(), value)

    def filter_conflicting(self, queryset, name, value):
        return by_events(queryset, self._p("event_id"), consensus.conflicting_events(), value)


def by_events(queryset, path, events, wanted):
    """Records whose event is (wanted=True) or is not (False) among `events` (a subquery of ids)."""
    if wanted is None:
        return queryset
    lookup = {f"{path}__in": events}
    return queryset.filter(**lookup) if wanted else queryset.exclude(**lookup)


class ClaimFilterSet(ClaimScopedFilterSet):
    claim_prefix = ""
    external_id = django_filters.CharFilter()

    class Meta:
        model = Claim
        fields = ["stance"]


class CasualtyFigureFilterSet(ClaimScopedFilterSet):
    own_place_fields = ("place",)
    own_actor_fields = ("affiliation", "perpetrator")
    claim = NamedFilter(field_name="claim", model=Claim)
    party = django_filters.CharFilter(method="filter_party", help_text="Whose casualties: actor id, name or alias.")
    # distinct=False: one row per figure whatever the value (django-filter adds a DISTINCT over
    # every selected column by default, which made a filtered page sort the whole match).
    category = django_filters.MultipleChoiceFilter(choices=CasualtyFigure.Category.choices, distinct=False)
    subgroup = django_filters.MultipleChoiceFilter(choices=CasualtyFigure.Subgroup.choices, distinct=False)
    outcome = django_filters.MultipleChoiceFilter(choices=CasualtyFigure.Outcome.choices, distinct=False)

    class Meta:
        model = CasualtyFigure
        fields = ["qualifier"]

    def filter_party(self, queryset, name, value):
        return queryset.filter(affiliation__in=actor_ids_for(value, field=name))


class CasualtyFilterSet(ClaimScopedFilterSet):
    own_place_fields = ("place",)
    claim = NamedFilter(field_name="claim", model=Claim)

    class Meta:
        model = Casualty
        fields = ["category", "outcome", "figure"]


class EquipmentLossFilterSet(ClaimScopedFilterSet):
    own_place_fields = ("place",)
    own_actor_fields = ("owner", "captor")
    claim = NamedFilter(field_name="claim", model=Claim)
    status = django_filters.MultipleChoiceFilter(choices=EquipmentLoss.Status.choices, distinct=False)
    category = django_filters.MultipleChoiceFilter(field_name="equipment_type__category",
                                                   choices=EquipmentType.Category.choices, distinct=False)

    class Meta:
        model = EquipmentLoss
        fields = ["equipment_type", "owner", "captor"]


class TerritorialChangeFilterSet(ClaimScopedFilterSet):
    own_place_fields = ("place",)
    own_actor_fields = ("gaining", "losing")
    claim = NamedFilter(field_name="claim", model=Claim)

    class Meta:
        model = TerritorialChange
        fields = ["kind", "gaining", "losing"]


class AttackFilterSet(ClaimScopedFilterSet):
    own_place_fields = ("place",)
    own_actor_fields = ("perpetrator",)
    claim = NamedFilter(field_name="claim", model=Claim)

    class Meta:
        model = Attack
        fields = ["kind"]


class DisplacementFilterSet(ClaimScopedFilterSet):
    claim = NamedFilter(field_name="claim", model=Claim)

    class Meta:
        model = Displacement
        fields = ["unit"]


class ClaimExcerptFilterSet(TrackedFilterSet):
    class Meta:
        model = ClaimExcerpt
        fields = ["claim", "excerpt"]


class EventFilterSet(TrackedFilterSet):
    date_from = django_filters.DateFilter(method="filter_dates", help_text="Event dates overlap from this day.")
    date_to = django_filters.DateFilter(method="filter_dates", help_text="Event dates overlap up to this day.")
    event_type = django_filters.MultipleChoiceFilter(choices=EventType.choices, distinct=False)
    sub_event_type = django_filters.MultipleChoiceFilter(choices=SubEventType.choices, distinct=False)
    actor = django_filters.CharFilter(method="filter_actor", help_text="Actor id, name or alias; coalitions include members.")
    location = django_filters.CharFilter(method="filter_location", help_text="Place id, P-code or spelling, with everything inside.")
    pcode = django_filters.CharFilter(method="filter_location", help_text="P-code of a place or admin area.")
    bbox = django_filters.CharFilter(method="filter_bbox", help_text="min_lon,min_lat,max_lon,max_lat")
    external_id = django_filters.CharFilter()
    contested = django_filters.BooleanFilter(
        method="filter_contested", help_text="Events some claim denies, explains otherwise or gives another "
                                             "perpetrator (their dissent: …/consensus/).")
    conflicting = django_filters.BooleanFilter(
        method="filter_conflicting", help_text="Events with a consensus figure whose credible claims do not agree.")

    class Meta:
        model = Event
        fields = ["date_precision", "civilian_targeting", "acled_id", "ucdp_id"]

    def filter_contested(self, queryset, name, value):
        return by_events(queryset, "id", consensus.contested_events(), value)

    def filter_conflicting(self, queryset, name, value):
        return by_events(queryset, "id", consensus.conflicting_events(), value)

    def filter_dates(self, queryset, name, value):
        data = self.form.cleaned_data
        if name == "date_to" and data.get("date_from"):
            return queryset
        return queryset.filter(overlapping("", data.get("date_from"), data.get("date_to")))

    def filter_actor(self, queryset, name, value):
        return queryset.filter(id__in=EventActor.objects.filter(actor__in=actor_ids_for(value, field=name)).values("event_id"))

    def filter_location(self, queryset, name, value):
        ids = location_ids_for(value, field=name)
        return queryset.filter(id__in=EventLocation.objects.filter(location__in=ids).values("event_id"))

    def filter_bbox(self, queryset, name, value):
        inside = selectors.locations_in_bbox(*parse_bbox(value)).values("id")
        return queryset.filter(id__in=EventLocation.objects.filter(location__in=inside).values("event_id"))


class ActorFilterSet(TrackedFilterSet):
    name = django_filters.CharFilter(method="filter_name", help_text="Name, short name or alias (exact spelling).")
    member_of = NamedFilter(field_name="memberships__coalition", model=Actor, distinct=True,
                            help_text="Coalition: actor id, name or alias.")

    class Meta:
        model = Actor
        fields = ["kind", "inter_code", "country"]

    def filter_name(self, queryset, name, value):
        return queryset.filter(id__in=naming.actors_named(value).values("id"))


class LocationFilterSet(TrackedFilterSet):
    within = django_filters.CharFilter(method="filter_within", help_text="Everything inside this area (id, P-code or spelling), the area included.")
    name = django_filters.CharFilter(method="filter_name", help_text="A spelling: any alias, or the one place the "
                                                                    "matcher resolves it to.")
    pcode = django_filters.CharFilter(lookup_expr="iexact")
    bbox = django_filters.CharFilter(method="filter_bbox", help_text="min_lon,min_lat,max_lon,max_lat")
    kind = django_filters.MultipleChoiceFilter(choices=Location.Kind.choices, distinct=False)

    class Meta:
        model = Location
        fields = ["parent", "geonames_id", "coordinate_precision"]

    def filter_within(self, queryset, name, value):
        return queryset.filter(id__in=location_ids_for(value, field=name))

    def filter_name(self, queryset, name, value):
        try:
            return queryset.filter(id__in=naming.places_named(value).values("id"))
        except naming.PlaceNotResolved:
            return queryset.none()  # a search that finds nothing; /locations/resolve/ explains why

    def filter_bbox(self, queryset, name, value):
        return queryset.filter(id__in=selectors.locations_in_bbox(*parse_bbox(value)).values("id"))


class EquipmentTypeFilterSet(TrackedFilterSet):
    class Meta:
        model = EquipmentType
        fields = ["category"]


def simple_filterset(model, fields):
    """A FilterSet with the shared filters plus exact filters on `fields`."""
    meta = type("Meta", (), {"model": model, "fields": fields})
    return type(f"{model.__name__}FilterSet", (TrackedFilterSet,), {"Meta": meta})


ActorAliasFilterSet = simple_filterset(ActorAlias, ["actor"])
ActorMembershipFilterSet = simple_filterset(ActorMembership, ["member", "coalition"])
SourceAffiliationFilterSet = simple_filterset(SourceAffiliation, ["source", "actor"])
LocationAliasFilterSet = simple_filterset(LocationAlias, ["location", "origin", "language"])
EquipmentTypeAliasFilterSet = simple_filterset(EquipmentTypeAlias, ["equipment_type"])
EventLocationFilterSet = simple_filterset(EventLocation, ["event", "location", "role", "precision"])
EventActorFilterSet = simple_filterset(EventActor, ["event", "actor", "role"])
ClaimInclusionFilterSet = simple_filterset(ClaimInclusion, ["claim", "event"])
DisplacementPlaceFilterSet = simple_filterset(DisplacementPlace, ["displacement", "location", "role"])


class ConsensusFigureFilterSet(NamedFilterSet):
    """Consensus figures: by event, party, figure and whether credible claims conflict."""

    conflicting = django_filters.BooleanFilter(help_text="Only figures whose credible claims do not agree.")
    contested = django_filters.BooleanFilter(help_text="Only figures of events some claim denies, explains "
                                                       "otherwise or gives another perpetrator.")

    class Meta:
        model = ConsensusFigure
        fields = {"event": ["exact"], "affiliation": ["exact"], "category": ["exact"], "outcome": ["exact"],
                  "subgroup": ["exact"]}
