from django.db.models import Prefetch
from rest_framework import serializers

from conflictdb import protection
from conflictdb.api import fast
from conflictdb.api.fields import MaskedCharField, MaskedChoiceField, MaskedIntegerField, NestedRelatedField
from conflictdb.api.serializers import BriefSerializer, TrackedSerializer
from events.models import (
    Actor,
    ActorAlias,
    ActorMembership,
    Attack,
    Casualty,
    CasualtyFigure,
    ConsensusFigure,
    Claim,
    Dissent,
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
from sources.api.serializers import (
    DocumentBriefSerializer,
    ExcerptBriefSerializer,
    SourceBriefSerializer,
    quote_text_field,
)
from sources.models import Document, Excerpt, Source

QUANTITY_FIELDS = ("low", "high", "qualifier", "wording")

# --- brief (nested) representations -----------------------------------------------------------


class ActorBriefSerializer(BriefSerializer):
    class Meta:
        model = Actor
        fields = ("id", "name", "short_name", "kind")


class LocationBriefSerializer(BriefSerializer):
    class Meta:
        model = Location
        fields = ("id", "name", "kind", "pcode", "latitude", "longitude")


class EventBriefSerializer(BriefSerializer):
    class Meta:
        model = Event
        fields = ("id", "title", "event_type", "sub_event_type", "date_start", "date_end")


class EquipmentTypeBriefSerializer(BriefSerializer):
    class Meta:
        model = EquipmentType
        fields = ("id", "name", "category")


def statement_field(**kwargs):
    """A claim's statement, with its document's personal passages masked (conflictdb.protection)."""
    return MaskedCharField(mask=Claim.PROTECTED_FIELDS["statement"], **kwargs)


class QuoteSerializer(serializers.ModelSerializer):
    text = quote_text_field(read_only=True)

    class Meta:
        model = Excerpt
        fields = ("id", "start", "end", "text")


CONSENSUS_STALE_HELP = ("An import wrote claims of this event and its consensus figures are being recomputed "
                        "by a background job: until then they may be out of date.")
# Event.consensus_stale for the fast list path: whether the event has a StaleConsensus row.
fast.register_property(Event, "consensus_stale", ("consensus_stale_mark__marked_at",),
                       lambda marked_at: marked_at is not None)
# Claim.grade for the fast list path: the claimant's reliability, then the claim's credibility.
fast.register_property(Claim, "grade", ("claimant__reliability", "credibility"),
                       lambda reliability, credibility: f"{reliability}{credibility}")


class ClaimContextSerializer(serializers.ModelSerializer):
    """The claim behind a figure: who says it, where, in which words, whether it asserts or
    denies it (`stance`: a denial must never read as a second source confirming), and how it is
    graded."""

    claimant = SourceBriefSerializer()
    document = DocumentBriefSerializer()
    quotes = QuoteSerializer(source="excerpts", many=True)
    statement = statement_field(read_only=True)
    grade = serializers.CharField(help_text="Source reliability and claim credibility, e.g. B2.")
    source_reliability = serializers.CharField(source="claimant.reliability")

    class Meta:
        model = Claim
        fields = ("id", "statement", "stance", "event", "claimant", "document", "quotes", "credibility",
                  "source_reliability", "grade", "verification_status")


# --- actors -----------------------------------------------------------------------------------


class ActorSerializer(TrackedSerializer):
    aliases = serializers.SlugRelatedField(many=True, read_only=True, slug_field="name")
    coalitions = serializers.SerializerMethodField(help_text="Coalitions this actor is a member of.")

    class Meta(TrackedSerializer.Meta):
        model = Actor
        fields = ("id", "name", "short_name", "kind", "inter_code", "country", "description", "aliases", "coalitions",
                  "verification_status", "provenance")
        brief_fields = ("id", "name", "short_name", "kind")

    def get_coalitions(self, actor) -> list[dict]:
        brief = self.__dict__.get("_coalition_serializer")
        if brief is None:
            brief = self._coalition_serializer = ActorBriefSerializer(context=self.context)
        return [brief.to_representation(m.coalition) for m in actor.memberships.all()]


class ActorAliasSerializer(TrackedSerializer):
    actor = NestedRelatedField(ActorBriefSerializer, queryset=Actor.objects.all())

    class Meta(TrackedSerializer.Meta):
        model = ActorAlias
        fields = ("id", "actor", "name", "normalised", "verification_status", "provenance")
        read_only_fields = ("normalised", "verification_status")
        brief_fields = ("id", "name")


class ActorMembershipSerializer(TrackedSerializer):
    member = NestedRelatedField(ActorBriefSerializer, queryset=Actor.objects.all())
    coalition = NestedRelatedField(ActorBriefSerializer, queryset=Actor.objects.all())

    class Meta(TrackedSerializer.Meta):
        model = ActorMembership
        fields = ("id", "member", "coalition", "start", "end", "verification_status", "provenance")
        brief_fields = ("id", "member", "coalition")


class SourceAffiliationSerializer(TrackedSerializer):
    source = NestedRelatedField(SourceBriefSerializer, queryset=Source.objects.all())
    actor = NestedRelatedField(ActorBriefSerializer, queryset=Actor.objects.all())

    class Meta(TrackedSerializer.Meta):
        model = SourceAffiliation
        fields = ("id", "source", "actor", "note", "verification_status", "provenance")
        brief_fields = ("id", "source", "actor")


# --- places -----------------------------------------------------------------------------------


class LocationSerializer(TrackedSerializer):
    parent = NestedRelatedField(LocationBriefSerializer, queryset=Location.objects.all(), allow_null=True,
                                required=False)
    aliases = serializers.SlugRelatedField(many=True, read_only=True, slug_field="name")

    class Meta(TrackedSerializer.Meta):
        model = Location
        fields = ("id", "name", "name_ar", "kind", "parent", "pcode", "geonames_id", "latitude", "longitude",
                  "coordinate_precision", "attribution", "external_id", "aliases", "verification_status", "provenance")
        brief_fields = ("id", "name", "kind", "pcode", "latitude", "longitude")


class LocationAliasSerializer(TrackedSerializer):
    location = NestedRelatedField(LocationBriefSerializer, queryset=Location.objects.all())

    class Meta(TrackedSerializer.Meta):
        model = LocationAlias
        fields = ("id", "location", "name", "normalised", "language", "origin", "verification_status", "provenance")
        read_only_fields = ("normalised", "verification_status")
        brief_fields = ("id", "name", "location")


# --- equipment --------------------------------------------------------------------------------


class EquipmentTypeSerializer(TrackedSerializer):
    aliases = serializers.SlugRelatedField(many=True, read_only=True, slug_field="name")

    class Meta(TrackedSerializer.Meta):
        model = EquipmentType
        fields = ("id", "name", "category", "description", "tracker_system_names", "aliases", "verification_status",
                  "provenance")
        brief_fields = ("id", "name", "category")


class EquipmentTypeAliasSerializer(TrackedSerializer):
    equipment_type = NestedRelatedField(EquipmentTypeBriefSerializer, queryset=EquipmentType.objects.all())

    class Meta(TrackedSerializer.Meta):
        model = EquipmentTypeAlias
        fields = ("id", "equipment_type", "name", "normalised", "verification_status", "provenance")
        read_only_fields = ("normalised", "verification_status")
        brief_fields = ("id", "name")


# --- events and claims ------------------------------------------------------------------------


class EventPlaceSerializer(serializers.ModelSerializer):
    location = LocationBriefSerializer()

    class Meta:
        model = EventLocation
        fields = ("location", "role", "precision")


class EventActorRoleSerializer(serializers.ModelSerializer):
    actor = ActorBriefSerializer()

    class Meta:
        model = EventActor
        fields = ("actor", "role")


class EventSerializer(TrackedSerializer):
    places = EventPlaceSerializer(source="event_places", many=True, read_only=True)
    actors = EventActorRoleSerializer(source="event_actors", many=True, read_only=True)
    geometry = serializers.SerializerMethodField(help_text="GeoJSON point of the first located site, if any.")
    consensus_stale = serializers.BooleanField(read_only=True, help_text=CONSENSUS_STALE_HELP)

    class Meta(TrackedSerializer.Meta):
        model = Event
        fields = ("id", "title", "summary", "event_type", "sub_event_type", "date_start", "date_end",
                  "date_precision", "civilian_targeting", "external_id", "acled_id", "ucdp_id", "places", "actors",
                  "geometry", "consensus_stale", "verification_status", "provenance")
        brief_fields = ("id", "title", "event_type", "sub_event_type", "date_start", "date_end")

    def get_geometry(self, event) -> dict | None:
        for link in event.event_places.all():
            location = link.location
            if location.latitude is not None:
                return {"type": "Point", "coordinates": [float(location.longitude), float(location.latitude)]}
        return None


class EventLocationSerializer(TrackedSerializer):
    event = NestedRelatedField(EventBriefSerializer, queryset=Event.objects.all())
    location = NestedRelatedField(LocationBriefSerializer, queryset=Location.objects.all())

    class Meta(TrackedSerializer.Meta):
        model = EventLocation
        fields = ("id", "event", "location", "role", "precision", "verification_status", "provenance")
        brief_fields = ("id", "event", "location", "role")


class EventActorSerializer(TrackedSerializer):
    event = NestedRelatedField(EventBriefSerializer, queryset=Event.objects.all())
    actor = NestedRelatedField(ActorBriefSerializer, queryset=Actor.objects.all())

    class Meta(TrackedSerializer.Meta):
        model = EventActor
        fields = ("id", "event", "actor", "role", "verification_status", "provenance")
        brief_fields = ("id", "event", "actor", "role")


class ClaimSerializer(TrackedSerializer):
    event = NestedRelatedField(EventBriefSerializer, queryset=Event.objects.all(), allow_null=True, required=False)
    document = NestedRelatedField(DocumentBriefSerializer, queryset=Document.objects.all())
    claimant = NestedRelatedField(SourceBriefSerializer, queryset=Source.objects.all())
    quotes = QuoteSerializer(source="excerpts", many=True, read_only=True)
    statement = statement_field(help_text="A short paraphrase of what is claimed (personal passages masked unless you "
                                          "may see personal data).")
    source_reliability = serializers.CharField(source="claimant.reliability", read_only=True)
    grade = serializers.CharField(read_only=True, help_text="Source reliability and claim credibility, e.g. B2.")
    includes_events = serializers.PrimaryKeyRelatedField(
        many=True, read_only=True,
        help_text="Events whose figures this claim's figures contain (written through claim-inclusions/).")

    class Meta(TrackedSerializer.Meta):
        model = Claim
        fields = ("id", "external_id", "event", "document", "claimant", "quotes", "stance", "statement", "date_start",
                  "date_end", "date_precision", "credibility", "source_reliability", "grade", "includes_events",
                  "verification_status", "provenance")
        brief_fields = ("id", "statement", "stance", "grade", "verification_status")


class ClaimInclusionSerializer(TrackedSerializer):
    event = NestedRelatedField(EventBriefSerializer, queryset=Event.objects.all())

    class Meta(TrackedSerializer.Meta):
        model = ClaimInclusion
        fields = ("id", "claim", "event", "verification_status", "provenance")
        brief_fields = ("id", "claim", "event")


class ClaimExcerptSerializer(TrackedSerializer):
    claim = serializers.PrimaryKeyRelatedField(queryset=Claim.objects.all())
    excerpt = NestedRelatedField(ExcerptBriefSerializer, queryset=Excerpt.objects.all())

    class Meta(TrackedSerializer.Meta):
        model = ClaimExcerpt
        fields = ("id", "claim", "excerpt", "verification_status", "provenance")
        brief_fields = ("id", "claim", "excerpt")


class ClaimChildSerializer(TrackedSerializer):
    """Records a claim states: written with a claim id, read with the claim's full context (its
    stance and grade included, in the brief form too)."""

    claim = NestedRelatedField(ClaimContextSerializer, queryset=Claim.objects.all())


class CasualtyFigureSerializer(ClaimChildSerializer):
    affiliation = NestedRelatedField(ActorBriefSerializer, queryset=Actor.objects.all(), allow_null=True, required=False)
    perpetrator = NestedRelatedField(ActorBriefSerializer, queryset=Actor.objects.all(), allow_null=True, required=False)
    place = NestedRelatedField(LocationBriefSerializer, queryset=Location.objects.all(), allow_null=True, required=False)

    class Meta(TrackedSerializer.Meta):
        model = CasualtyFigure
        fields = ("id", "claim", "affiliation", "category", "subgroup", "outcome", *QUANTITY_FIELDS, "perpetrator",
                  "place", "date", "note", "part_of", "verification_status", "provenance")
        brief_fields = ("id", "claim", "category", "subgroup", "outcome", "low", "high", "qualifier")


class CasualtySerializer(ClaimChildSerializer):
    place = NestedRelatedField(LocationBriefSerializer, queryset=Location.objects.all(), allow_null=True, required=False)
    # Personal data: a placeholder for readers without permission (conflictdb.protection).
    name = MaskedCharField(max_length=200, required=False, allow_blank=True, mask=protection.PERSONAL)
    name_ar = MaskedCharField(max_length=200, required=False, allow_blank=True, mask=protection.PERSONAL)
    age = MaskedIntegerField(min_value=0, max_value=32767, required=False, allow_null=True, mask=protection.PERSONAL)
    sex = MaskedChoiceField(choices=Casualty.Sex.choices, required=False, mask=protection.PERSONAL)

    class Meta(TrackedSerializer.Meta):
        model = Casualty
        fields = ("id", "claim", "figure", "name", "name_ar", "age", "age_group", "sex", "category", "outcome",
                  "occupation", "date", "place", "verification_status", "provenance")
        brief_fields = ("id", "claim", "category", "outcome")


class EquipmentLossSerializer(ClaimChildSerializer):
    equipment_type = NestedRelatedField(EquipmentTypeBriefSerializer, queryset=EquipmentType.objects.all())
    owner = NestedRelatedField(ActorBriefSerializer, queryset=Actor.objects.all(), allow_null=True, required=False)
    captor = NestedRelatedField(ActorBriefSerializer, queryset=Actor.objects.all(), allow_null=True, required=False)
    place = NestedRelatedField(LocationBriefSerializer, queryset=Location.objects.all(), allow_null=True, required=False)

    class Meta(TrackedSerializer.Meta):
        model = EquipmentLoss
        fields = ("id", "claim", "equipment_type", "status", *QUANTITY_FIELDS, "owner", "captor", "place", "date",
                  "evidence_url", "evidence_sha256", "verification_status", "provenance")
        brief_fields = ("id", "claim", "equipment_type", "status", "low", "high", "qualifier")


class TerritorialChangeSerializer(ClaimChildSerializer):
    place = NestedRelatedField(LocationBriefSerializer, queryset=Location.objects.all())
    gaining = NestedRelatedField(ActorBriefSerializer, queryset=Actor.objects.all(), allow_null=True, required=False)
    losing = NestedRelatedField(ActorBriefSerializer, queryset=Actor.objects.all(), allow_null=True, required=False)

    class Meta(TrackedSerializer.Meta):
        model = TerritorialChange
        fields = ("id", "claim", "place", "kind", "gaining", "losing", "date", "verification_status", "provenance")
        brief_fields = ("id", "claim", "place", "kind", "date")


class AttackSerializer(ClaimChildSerializer):
    perpetrator = NestedRelatedField(ActorBriefSerializer, queryset=Actor.objects.all(), allow_null=True, required=False)
    place = NestedRelatedField(LocationBriefSerializer, queryset=Location.objects.all(), allow_null=True, required=False)

    class Meta(TrackedSerializer.Meta):
        model = Attack
        fields = ("id", "claim", "kind", "perpetrator", "place", "target", "weapon", *QUANTITY_FIELDS, "date",
                  "verification_status", "provenance")
        brief_fields = ("id", "claim", "kind", "place")


class DisplacementPlaceRoleSerializer(serializers.ModelSerializer):
    location = LocationBriefSerializer()

    class Meta:
        model = DisplacementPlace
        fields = ("location", "role")


class DisplacementSerializer(ClaimChildSerializer):
    places = DisplacementPlaceRoleSerializer(many=True, read_only=True)

    class Meta(TrackedSerializer.Meta):
        model = Displacement
        fields = ("id", "claim", *QUANTITY_FIELDS, "unit", "date_start", "date_end", "places", "verification_status",
                  "provenance")
        brief_fields = ("id", "claim", "low", "high", "qualifier", "unit")


class DisplacementPlaceSerializer(TrackedSerializer):
    displacement = serializers.PrimaryKeyRelatedField(queryset=Displacement.objects.all())
    location = NestedRelatedField(LocationBriefSerializer, queryset=Location.objects.all())

    class Meta(TrackedSerializer.Meta):
        model = DisplacementPlace
        fields = ("id", "displacement", "location", "role", "verification_status", "provenance")
        brief_fields = ("id", "displacement", "location", "role")


class AggregateCellSerializer(serializers.Serializer):
    """One cell: the group_by keys (ids shown as {id, name, ...}), then the totals (events.aggregates).
    basis=claims has records and parts; basis=consensus has sum_best and the event-figure counts."""

    sum_low = serializers.IntegerField(allow_null=True, help_text="Sum of known lows; null when none is known.")
    sum_best = serializers.IntegerField(allow_null=True, required=False,
                                        help_text="basis=consensus: sum of the event figures' best estimates.")
    sum_high = serializers.IntegerField(allow_null=True, help_text="Sum of highs; null when any figure is open-ended.")
    records = serializers.IntegerField(help_text="Figures matching the filters in the cell.")
    parts = serializers.IntegerField(required=False, help_text="Parts (consensus: event figures) not summed because a figure "
                                                               "they are part of is in the cell.")
    event_figures = serializers.IntegerField(required=False, help_text="basis=consensus: event figures summed.")
    events = serializers.IntegerField(required=False, help_text="basis=consensus: events summed.")
    open_ended = serializers.IntegerField(help_text="Summed figures without a high (more than …, dozens, unknown).")
    unknown = serializers.IntegerField(help_text="Summed figures without a low.")
    conflicting = serializers.IntegerField(required=False, help_text="basis=consensus: summed event figures whose "
                                                                     "credible claims disagree.")
    excluded = serializers.IntegerField(required=False, help_text="basis=consensus: event figures with no claim "
                                                                  "the consensus could use (not summed).")
    included = serializers.IntegerField(required=False, help_text="basis=consensus: event figures already in an "
                                                                  "including event's figure of the cell.")
    without_event = serializers.IntegerField(required=False, help_text="basis=consensus: figures of claims without "
                                                                       "an event (no consensus; not summed).")
    claims = serializers.IntegerField(help_text="Distinct claims behind the cell (consensus: those it used).")
    independent_sources = serializers.IntegerField(help_text="Source groups behind the cell: derivation-aware "
                                                             "(events.consensus's independence rule).")
    explain = serializers.JSONField(required=False, help_text="With explain=1: claims, claimants (as you may see "
                                                              "them) and, for consensus, the event figures.")


class AggregateResponseSerializer(serializers.Serializer):
    basis = serializers.ChoiceField(choices=("claims", "consensus"))
    group_by = serializers.ListField(child=serializers.CharField())
    results = AggregateCellSerializer(many=True)


class DissentSerializer(serializers.ModelSerializer):
    """A claim that denies or contradicts others about the event: who says what (the claimant as
    this reader may see it), its stance and grade, and the claims it contradicts."""

    claimant = SourceBriefSerializer(source="claim.claimant")
    stance = serializers.CharField(source="claim.stance")
    grade = serializers.CharField(source="claim.grade", help_text="Source reliability and claim credibility, e.g. B2.")
    statement = statement_field(source="claim.statement", help_text="What the dissenting claim says.")
    verification_status = serializers.CharField(source="claim.verification_status")
    perpetrator = ActorBriefSerializer(allow_null=True, help_text="For another perpetrator: whom this claim names.")
    against = serializers.ListField(child=serializers.IntegerField(), help_text="Ids of the claims it contradicts.")

    class Meta:
        model = Dissent
        fields = ("claim", "claimant", "kind", "stance", "grade", "statement", "perpetrator", "against",
                  "verification_status")


def dissent_prefetch(path="dissents"):
    """What DissentSerializer reads, in one query per page."""
    return Prefetch(path, queryset=Dissent.objects.select_related("claim__claimant", "perpetrator")
                    .order_by("claim_id", "kind", "pk"))


class ConsensusFigureSerializer(serializers.ModelSerializer):
    """An event's consensus low / best / high for one figure, with the claims it rests on and why,
    and the event's dissenting claims beside it."""

    affiliation_name = serializers.CharField(source="affiliation.name", allow_null=True, default=None)
    basis = serializers.JSONField(help_text="Per claim: grade, figure, whether it was used and why "
                                            "(rule: docs/methodology.md).")
    dissent = DissentSerializer(source="event.dissents", many=True,
                                help_text="The event's claims that deny it, explain it otherwise or name another "
                                          "perpetrator (contested).")

    consensus_stale = serializers.BooleanField(source="event.consensus_stale", read_only=True,
                                               help_text=CONSENSUS_STALE_HELP)

    class Meta:
        model = ConsensusFigure
        fields = ("id", "event", "affiliation", "affiliation_name", "category", "subgroup", "outcome", "low", "best",
                  "high", "claims_used", "independent_sources", "conflicting", "contested", "consensus_stale",
                  "dissent", "basis", "computed_at")


class EventFigureSerializer(ConsensusFigureSerializer):
    """A consensus figure inside its event's consensus (the event's dissent and staleness are
    given once, beside)."""

    class Meta(ConsensusFigureSerializer.Meta):
        fields = tuple(name for name in ConsensusFigureSerializer.Meta.fields
                       if name not in ("dissent", "consensus_stale"))


class EventConsensusSerializer(serializers.Serializer):
    """An event's consensus (events.consensus.of_event): whether it is contested or conflicting,
    who dissents and what they say, and its figures."""

    event = serializers.IntegerField()
    contested = serializers.BooleanField(help_text="Some claim denies the event, explains it otherwise or names "
                                                   "another perpetrator (listed in dissent).")
    conflicting = serializers.BooleanField(help_text="Some figure's credible claims' ranges do not overlap.")
    consensus_stale = serializers.BooleanField(help_text=CONSENSUS_STALE_HELP)
    dissent = DissentSerializer(many=True)
    figures = EventFigureSerializer(many=True)


class CorroborationSerializer(serializers.Serializer):
    claim = serializers.IntegerField()
    supporting_claims = serializers.ListField(child=serializers.IntegerField(),
                                              help_text="Claims of the same event stating an agreeing figure.")
    independent_sources = serializers.IntegerField(help_text="Source groups among this claim and its supporters.")
    not_independent = serializers.ListField(child=serializers.CharField(),
                                            help_text="Why some of them count as one source.")
    can_be_corroborated = serializers.BooleanField()
    reason = serializers.CharField(help_text="Why not, when it cannot.")
