"""Place endpoints beyond plain records: name resolution and control over time."""

import datetime

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from conflictdb.api.permissions import read_permission_on
from events import naming, territory
from events.api.serializers import ActorBriefSerializer, LocationBriefSerializer
from events.models import Location, TerritorialChange
from events.places import resolve_place


class CandidateSerializer(serializers.Serializer):
    location_id = serializers.IntegerField()
    name = serializers.CharField()
    kind = serializers.CharField()
    governorate = serializers.CharField()
    district = serializers.CharField(help_text="The district it lies in, where the gazetteer says.")
    label = serializers.CharField(help_text="Name, kind, district and governorate: homonyms told apart.")
    score = serializers.IntegerField(help_text="0–100; 100 = an exact known spelling.")
    reason = serializers.CharField(help_text="Why this place is a candidate.")
    alias = serializers.CharField(help_text="The known spelling that matched.")
    distance_km = serializers.FloatField(allow_null=True)


class SuggestionSerializer(serializers.Serializer):
    action = serializers.ChoiceField(choices=["create_place", "add_alias"])
    name = serializers.CharField()
    location_id = serializers.IntegerField(allow_null=True)
    parent_id = serializers.IntegerField(allow_null=True)
    text = serializers.CharField()


class ResolutionSerializer(serializers.Serializer):
    query = serializers.CharField()
    status = serializers.ChoiceField(choices=["matched", "ambiguous", "unknown"])
    message = serializers.CharField()
    match = CandidateSerializer(allow_null=True)
    candidates = CandidateSerializer(many=True)
    suggestions = SuggestionSerializer(many=True)


def _area(value, field):
    if not value:
        return None
    try:
        areas = list(naming.places_named(value))
    except naming.PlaceNotResolved as unresolved:
        raise ValidationError({field: unresolved.resolution.message}) from None
    if len(areas) != 1:
        raise ValidationError({field: f"{value!r} names {len(areas)} places; give an id or a P-code."})
    return areas[0]


def _date(value, field):
    try:
        return datetime.date.fromisoformat(value)
    except (TypeError, ValueError):
        raise ValidationError({field: "Expected a date as YYYY-MM-DD."}) from None


class ResolveView(APIView):
    """Which place does a name mean? Ranked candidates with scores and reasons, never a silent guess."""

    permission_classes = [read_permission_on(Location)]

    @extend_schema(
        parameters=[
            OpenApiParameter("name", str, required=True, description="The name as written, any script."),
            OpenApiParameter("within", str, description="Only places inside this area (id, P-code or spelling)."),
            OpenApiParameter("near", str, description="lat,lon: only located places within radius_km of it."),
            OpenApiParameter("radius_km", float, description="Radius for `near` (default 25)."),
            OpenApiParameter("kind", str, description="Only places of this kind (e.g. community, governorate)."),
        ],
        responses=ResolutionSerializer,
    )
    def get(self, request):
        params = request.query_params
        name = params.get("name", "").strip()
        if not name:
            raise ValidationError({"name": "Give the name to resolve."})
        near = None
        if params.get("near"):
            try:
                lat, lon = (float(part) for part in params["near"].split(","))
            except ValueError:
                raise ValidationError({"near": "Expected lat,lon as two numbers."}) from None
            if not (-90 <= lat <= 90 and -180 <= lon <= 180):
                raise ValidationError({"near": "Latitude must lie within ±90 and longitude within ±180."})
            near = (lat, lon)
        try:
            radius = float(params.get("radius_km", 25))
        except ValueError:
            raise ValidationError({"radius_km": "Expected a number of kilometres."}) from None
        if not 0 < radius <= 20000:
            raise ValidationError({"radius_km": "Expected a radius between 0 and 20,000 km."})
        kinds = None
        if params.get("kind"):
            if params["kind"] not in Location.Kind.values:
                raise ValidationError({"kind": f"Expected one of {', '.join(Location.Kind.values)}."})
            kinds = [params["kind"]]
        resolution = resolve_place(name, within=_area(params.get("within"), "within"), near=near, radius_km=radius,
                                   kinds=kinds, limit=8)
        return Response(ResolutionSerializer({
            "query": resolution.query, "status": resolution.status, "message": resolution.message,
            "match": resolution.match, "candidates": resolution.candidates, "suggestions": resolution.suggestions,
        }).data)


class ChangeSerializer(serializers.ModelSerializer):
    effective_date = serializers.DateField(help_text="The date the rule gives the change (see events.territory).")
    gaining = ActorBriefSerializer(allow_null=True)
    losing = ActorBriefSerializer(allow_null=True)
    place = LocationBriefSerializer()
    claimant = serializers.SerializerMethodField()
    quote = serializers.SerializerMethodField()

    class Meta:
        model = TerritorialChange
        fields = ("id", "place", "kind", "gaining", "losing", "effective_date", "claim", "claimant", "quote",
                  "verification_status")

    def get_claimant(self, change) -> str:
        source = change.claim.claimant
        return source.public_label if source.protected else source.name

    def get_quote(self, change) -> str | None:
        excerpt = next(iter(change.claim.excerpts.all()), None)
        return excerpt.text if excerpt else None


class ControlSerializer(serializers.Serializer):
    place = LocationBriefSerializer()
    date = serializers.DateField()
    status = serializers.ChoiceField(choices=["controlled", "disputed", "contested", "unknown"])
    controller = ActorBriefSerializer(allow_null=True)
    summary = serializers.CharField()
    deciding = ChangeSerializer(many=True, help_text="The claims of the latest dated change on or before the date.")
    earlier = ChangeSerializer(many=True)


class ControlView(APIView):
    """Who controlled a place on a date, according to which territorial-change claims."""

    permission_classes = [read_permission_on(TerritorialChange)]

    @extend_schema(parameters=[OpenApiParameter("date", str, required=True, description="YYYY-MM-DD")],
                   responses=ControlSerializer)
    def get(self, request, pk):
        place = Location.objects.filter(pk=pk).first()
        if place is None:
            raise NotFound("No such place.")
        answer = territory.control_of(place, _date(request.query_params.get("date"), "date"))
        return Response(ControlSerializer(answer).data)


class ChangedHandsView(APIView):
    """Places that changed hands between two dates, with the claims for each change."""

    permission_classes = [read_permission_on(TerritorialChange)]

    @extend_schema(
        parameters=[
            OpenApiParameter("date_from", str, required=True, description="YYYY-MM-DD"),
            OpenApiParameter("date_to", str, required=True, description="YYYY-MM-DD"),
            OpenApiParameter("within", str, description="Only places inside this area (id, P-code or spelling)."),
        ],
        responses=ChangeSerializer(many=True),
    )
    def get(self, request):
        date_from = _date(request.query_params.get("date_from"), "date_from")
        date_to = _date(request.query_params.get("date_to"), "date_to")
        if date_from > date_to:
            raise ValidationError({"date_to": "date_to must not be before date_from."})
        by_place = territory.changes_between(date_from, date_to, within=_area(request.query_params.get("within"),
                                                                               "within"))
        changes = [change for group in by_place.values() for change in group]
        return Response(ChangeSerializer(changes, many=True).data)
