from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Prefetch
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.exceptions import ValidationError
from rest_framework.decorators import action
from rest_framework.generics import GenericAPIView, ListAPIView
from rest_framework.renderers import BrowsableAPIRenderer, JSONRenderer
from rest_framework.response import Response

from conflictdb.api.fast import FastListMixin
from conflictdb.api.filters import SearchFilter
from conflictdb.api.permissions import read_permission_on
from conflictdb.api.renderers import CSVRenderer, GeoJSONRenderer
from conflictdb.api.views import PROVENANCE_RELATED, GradedMixin, TrackedViewSet
from events import aggregates, consensus, filtersets
from events.api import serializers
from events.api.serializers import AggregateResponseSerializer
from events.models import (
    Actor,
    ActorAlias,
    ActorMembership,
    Attack,
    Casualty,
    CasualtyFigure,
    Claim,
    ConsensusFigure,
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
from sources.api.views import DOCUMENT_CHAIN

CLAIM_RELATED = ("event", "claimant", *(f"document__{p}" for p in DOCUMENT_CHAIN))
CLAIM_CONTEXT = tuple(f"claim__{p}" for p in CLAIM_RELATED)
CLAIM_FIELDS_ORDERING = ("id", "created_at", "updated_at")


class ActorViewSet(FastListMixin, TrackedViewSet):
    queryset = Actor.objects.select_related(*PROVENANCE_RELATED).prefetch_related(
        "aliases", Prefetch("memberships", queryset=ActorMembership.objects.select_related("coalition"))
    )
    serializer_class = serializers.ActorSerializer
    filterset_class = filtersets.ActorFilterSet
    search_fields = ("name", "short_name", "aliases__name")
    ordering_fields = ("id", "name", "kind")


class ActorAliasViewSet(FastListMixin, TrackedViewSet):
    queryset = ActorAlias.objects.select_related("actor", *PROVENANCE_RELATED)
    serializer_class = serializers.ActorAliasSerializer
    filterset_class = filtersets.ActorAliasFilterSet
    search_fields = ("name",)
    ordering_fields = ("id", "name")


class ActorMembershipViewSet(FastListMixin, TrackedViewSet):
    queryset = ActorMembership.objects.select_related("member", "coalition", *PROVENANCE_RELATED)
    serializer_class = serializers.ActorMembershipSerializer
    filterset_class = filtersets.ActorMembershipFilterSet
    ordering_fields = ("id", "start")


class SourceAffiliationViewSet(FastListMixin, TrackedViewSet):
    queryset = SourceAffiliation.objects.select_related("source", "actor", *PROVENANCE_RELATED)
    serializer_class = serializers.SourceAffiliationSerializer
    filterset_class = filtersets.SourceAffiliationFilterSet
    ordering_fields = ("id",)


class GeoJSONMixin:
    """Adds `?format=geojson` (a FeatureCollection) to a list or detail endpoint."""

    def get_renderers(self):
        return [*super().get_renderers(), GeoJSONRenderer()]


class LocationViewSet(GeoJSONMixin, FastListMixin, TrackedViewSet):
    queryset = Location.objects.select_related("parent", *PROVENANCE_RELATED).prefetch_related("aliases")
    serializer_class = serializers.LocationSerializer
    filterset_class = filtersets.LocationFilterSet
    search_fields = ("name", "name_ar", "pcode", "aliases__name")
    ordering_fields = ("id", "name", "pcode", "kind")


class LocationAliasViewSet(FastListMixin, TrackedViewSet):
    queryset = LocationAlias.objects.select_related("location", *PROVENANCE_RELATED)
    serializer_class = serializers.LocationAliasSerializer
    filterset_class = filtersets.LocationAliasFilterSet
    search_fields = ("name",)
    ordering_fields = ("id", "name")


class EquipmentTypeViewSet(FastListMixin, TrackedViewSet):
    queryset = EquipmentType.objects.select_related(*PROVENANCE_RELATED).prefetch_related("aliases")
    serializer_class = serializers.EquipmentTypeSerializer
    filterset_class = filtersets.EquipmentTypeFilterSet
    search_fields = ("name", "aliases__name", "tracker_system_names")
    ordering_fields = ("id", "name", "category")


class EquipmentTypeAliasViewSet(FastListMixin, TrackedViewSet):
    queryset = EquipmentTypeAlias.objects.select_related("equipment_type", *PROVENANCE_RELATED)
    serializer_class = serializers.EquipmentTypeAliasSerializer
    filterset_class = filtersets.EquipmentTypeAliasFilterSet
    search_fields = ("name",)
    ordering_fields = ("id", "name")


class EventViewSet(GeoJSONMixin, FastListMixin, TrackedViewSet):
    queryset = Event.objects.select_related("consensus_stale_mark", *PROVENANCE_RELATED).prefetch_related(
        Prefetch("event_places", queryset=EventLocation.objects.select_related("location").order_by("id")),
        Prefetch("event_actors", queryset=EventActor.objects.select_related("actor").order_by("id")),
    )
    serializer_class = serializers.EventSerializer
    filterset_class = filtersets.EventFilterSet
    search_fields = ("title", "summary")
    ordering_fields = ("id", "date_start", "date_end", "event_type", "created_at", "updated_at")

    @extend_schema(responses=serializers.EventConsensusSerializer,
                   description="The event's consensus: its figures (low / best / high) with the claims they rest "
                               "on, whether it is contested or conflicting, and the claims that deny it, explain "
                               "it otherwise or name another perpetrator, with their claimants.")
    @action(detail=True, methods=["get"], filter_backends=[], pagination_class=None)
    def consensus(self, request, pk=None):
        event = self.get_object()
        dissents = serializers.dissent_prefetch().queryset.filter(event=event)
        view = consensus.of_event(event, dissents, event.consensus_figures.select_related("affiliation"))
        return Response(serializers.EventConsensusSerializer(view, context=self.get_serializer_context()).data)


class EventLocationViewSet(FastListMixin, TrackedViewSet):
    queryset = EventLocation.objects.select_related("event", "location", *PROVENANCE_RELATED)
    serializer_class = serializers.EventLocationSerializer
    filterset_class = filtersets.EventLocationFilterSet
    ordering_fields = ("id",)


class EventActorViewSet(FastListMixin, TrackedViewSet):
    queryset = EventActor.objects.select_related("event", "actor", *PROVENANCE_RELATED)
    serializer_class = serializers.EventActorSerializer
    filterset_class = filtersets.EventActorFilterSet
    ordering_fields = ("id",)


class ClaimViewSet(GradedMixin, FastListMixin, TrackedViewSet):
    queryset = Claim.objects.select_related(*CLAIM_RELATED, *PROVENANCE_RELATED).prefetch_related("excerpts", "includes_events")
    serializer_class = serializers.ClaimSerializer
    filterset_class = filtersets.ClaimFilterSet
    search_fields = ("statement", "excerpts__text")
    ordering_fields = ("id", "date_start", "credibility", "created_at", "updated_at")

    @extend_schema(responses=serializers.CorroborationSerializer,
                   description="Which claims of the same event agree with this one and how many independent "
                               "sources they make (it can be marked corroborated with two).")
    @action(detail=True, methods=["get"], filter_backends=[], pagination_class=None)
    def corroboration(self, request, pk=None):
        return Response(consensus.corroboration(self.get_object()).as_dict())


class ClaimInclusionViewSet(FastListMixin, TrackedViewSet):
    queryset = ClaimInclusion.objects.select_related("event", *PROVENANCE_RELATED)
    serializer_class = serializers.ClaimInclusionSerializer
    filterset_class = filtersets.ClaimInclusionFilterSet
    ordering_fields = ("id",)


class ClaimExcerptViewSet(FastListMixin, TrackedViewSet):
    queryset = ClaimExcerpt.objects.select_related("excerpt", *PROVENANCE_RELATED)
    serializer_class = serializers.ClaimExcerptSerializer
    filterset_class = filtersets.ClaimExcerptFilterSet
    search_fields = ("excerpt__text",)
    ordering_fields = ("id",)


class ClaimChildViewSet(GeoJSONMixin, FastListMixin, TrackedViewSet):
    """Endpoints for what claims state; each row carries its claim's full context (stance and
    grade included) in JSON, CSV and GeoJSON (the point: the record's place)."""

    child_related: tuple[str, ...] = ()

    def get_queryset(self):
        return (
            self.queryset.model.objects.select_related(*CLAIM_CONTEXT, *self.child_related, *PROVENANCE_RELATED)
            .prefetch_related("claim__excerpts")
        )


class CasualtyFigureViewSet(ClaimChildViewSet):
    queryset = CasualtyFigure.objects.all()
    child_related = ("affiliation", "perpetrator", "place")
    serializer_class = serializers.CasualtyFigureSerializer
    filterset_class = filtersets.CasualtyFigureFilterSet
    search_fields = ("wording", "note", "claim__statement")
    ordering_fields = ("id", "low", "high", "date", "created_at")


class CasualtyViewSet(ClaimChildViewSet):
    queryset = Casualty.objects.all()
    child_related = ("place",)
    serializer_class = serializers.CasualtySerializer
    filterset_class = filtersets.CasualtyFilterSet
    # Personal data is searched only by readers who may see it (conflictdb.protection.search_q).
    search_fields = ("name", "name_ar", "occupation", "claim__statement")
    ordering_fields = ("id", "date")


class EquipmentLossViewSet(ClaimChildViewSet):
    queryset = EquipmentLoss.objects.all()
    child_related = ("equipment_type", "owner", "captor", "place")
    serializer_class = serializers.EquipmentLossSerializer
    filterset_class = filtersets.EquipmentLossFilterSet
    search_fields = ("wording", "equipment_type__name")
    ordering_fields = ("id", "low", "date", "created_at")


class TerritorialChangeViewSet(ClaimChildViewSet):
    queryset = TerritorialChange.objects.all()
    child_related = ("place", "gaining", "losing")
    serializer_class = serializers.TerritorialChangeSerializer
    filterset_class = filtersets.TerritorialChangeFilterSet
    search_fields = ("place__name",)
    ordering_fields = ("id", "date", "created_at")


class AttackViewSet(ClaimChildViewSet):
    queryset = Attack.objects.all()
    child_related = ("perpetrator", "place")
    serializer_class = serializers.AttackSerializer
    filterset_class = filtersets.AttackFilterSet
    search_fields = ("target", "weapon", "place__name")
    ordering_fields = ("id", "date", "created_at")


class DisplacementViewSet(ClaimChildViewSet):
    queryset = Displacement.objects.all()
    serializer_class = serializers.DisplacementSerializer
    filterset_class = filtersets.DisplacementFilterSet
    search_fields = ("claim__statement",)
    ordering_fields = ("id", "date_start", "created_at")

    def get_queryset(self):
        return super().get_queryset().prefetch_related(
            Prefetch("places", queryset=DisplacementPlace.objects.select_related("location").order_by("id"))
        )


class DisplacementPlaceViewSet(FastListMixin, TrackedViewSet):
    queryset = DisplacementPlace.objects.select_related("location", *PROVENANCE_RELATED)
    serializer_class = serializers.DisplacementPlaceSerializer
    filterset_class = filtersets.DisplacementPlaceFilterSet
    ordering_fields = ("id",)


class AggregateView(GenericAPIView):
    """Grouped totals with the same filters as the model's list endpoint (see events.aggregates)."""

    filter_backends = [DjangoFilterBackend, SearchFilter]
    pagination_class = None
    renderer_classes = [JSONRenderer, BrowsableAPIRenderer, CSVRenderer]
    dimensions: dict = {}
    bases: tuple = ()
    totals = None

    def get(self, request):
        params = request.query_params
        try:
            group_by = aggregates.parse_group_by(params.get("group_by", ""), self.dimensions)
        except DjangoValidationError as error:
            raise ValidationError({"group_by": error.messages}) from None
        try:
            basis = aggregates.parse_basis(params.get("basis"), self.bases)
        except DjangoValidationError as error:
            raise ValidationError({"basis": error.messages}) from None
        explain = params.get("explain", "").lower() in ("1", "true", "yes")
        queryset = self.filter_queryset(self.get_queryset())
        results = type(self).totals(queryset, group_by, basis=basis, explain=explain, user=request.user)
        return Response({"basis": basis, "group_by": group_by, "results": results})


def _aggregate_schema(model_name, dimensions, bases):
    return extend_schema(
        parameters=[
            OpenApiParameter("group_by", str, required=True,
                             description=f"Comma-separated dimensions: {', '.join(dimensions)}."),
            OpenApiParameter("basis", str, enum=bases,
                             description=f"What a cell sums (default {aggregates.DEFAULT_BASIS}): claims = every "
                                         "claim's figure; consensus = each event figure's consensus once."),
            OpenApiParameter("explain", bool, description="List the claims and claimants behind each cell."),
        ],
        responses=AggregateResponseSerializer,
        description=(aggregates.__doc__ or "").strip() + f"\n\nFilters: those of the {model_name} list.",
    )


@_aggregate_schema("casualty-figures", aggregates.CASUALTY_DIMENSIONS, aggregates.CASUALTY_BASES)
class CasualtyAggregateView(AggregateView):
    queryset = CasualtyFigure.objects.all()
    filterset_class = filtersets.CasualtyFigureFilterSet
    permission_classes = [read_permission_on(CasualtyFigure)]
    dimensions = aggregates.CASUALTY_DIMENSIONS
    bases = aggregates.CASUALTY_BASES
    search_fields = CasualtyFigureViewSet.search_fields
    totals = staticmethod(aggregates.casualty_totals)


@_aggregate_schema("equipment-losses", aggregates.EQUIPMENT_DIMENSIONS, aggregates.EQUIPMENT_BASES)
class EquipmentAggregateView(AggregateView):
    queryset = EquipmentLoss.objects.all()
    filterset_class = filtersets.EquipmentLossFilterSet
    permission_classes = [read_permission_on(EquipmentLoss)]
    dimensions = aggregates.EQUIPMENT_DIMENSIONS
    bases = aggregates.EQUIPMENT_BASES
    search_fields = EquipmentLossViewSet.search_fields
    totals = staticmethod(aggregates.equipment_totals)


class ConsensusFigureListView(ListAPIView):
    """Consensus figures of every event, each with its event's dissenting claims;
    `?conflicting=true` is the verifiers' worklist, `?contested=true` the disputed events."""

    queryset = (ConsensusFigure.objects.select_related("affiliation", "event", "event__consensus_stale_mark")
                .prefetch_related(serializers.dissent_prefetch("event__dissents")).order_by("event_id", "id"))
    serializer_class = serializers.ConsensusFigureSerializer
    filterset_class = filtersets.ConsensusFigureFilterSet
    filter_backends = [DjangoFilterBackend, SearchFilter]  # no search fields: a `q` is refused
    permission_classes = [read_permission_on(ConsensusFigure)]
    renderer_classes = [JSONRenderer, BrowsableAPIRenderer, CSVRenderer]
