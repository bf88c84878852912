"""Actors, places, events and claims: what sources say happened, and the analysts' grouping of it.

A Claim is the atom: one source saying something in one document, anchored by its quotes.
Figures, equipment, territorial changes, attacks and displacement hang off claims. Events group
the claims of every source about one incident.
"""

import uuid

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q

from conflictdb import grading, protection
from conflictdb.models import AliasBase, TrackedModel
from events.vocabularies import (
    SUB_EVENT_TYPES,
    WORD_QUANTITY_CONVENTION,
    DatePrecision,
    EventType,
    PlacePrecision,
    Qualifier,
    SubEventType,
)
from sources.models import Document, Excerpt, Source
from sources import personal


# --- actors -----------------------------------------------------------------------------------


class Actor(TrackedModel):
    class Kind(models.TextChoices):
        STATE_FORCES = "state_forces", "State forces"
        FOREIGN_STATE_FORCES = "foreign_state_forces", "Foreign state forces"
        REBEL_GROUP = "rebel_group", "Rebel group"
        MILITIA = "militia", "Militia"
        COALITION = "coalition", "Coalition / operations room"
        CIVILIANS = "civilians", "Civilians"
        UNKNOWN = "unknown", "Unknown"

    name = models.CharField(max_length=200, unique=True)
    short_name = models.CharField(max_length=50, blank=True)
    kind = models.CharField(max_length=25, choices=Kind.choices)
    inter_code = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="ACLED interaction code 1–8."
    )
    country = models.CharField(max_length=2, blank=True, help_text="ISO 3166-1 alpha-2 code.")
    description = models.TextField(blank=True)
    spokespeople = models.ManyToManyField(
        Source, through="SourceAffiliation", related_name="speaks_for", blank=True
    )

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(inter_code__isnull=True) | Q(inter_code__gte=1, inter_code__lte=8),
                name="actor_inter_code_1_to_8",
                violation_error_message="The ACLED interaction code runs from 1 to 8.",
            ),
        ]

    def __str__(self):
        return self.name


class ActorAlias(AliasBase):
    actor = models.ForeignKey(Actor, on_delete=models.CASCADE, related_name="aliases")

    class Meta:
        verbose_name_plural = "actor aliases"
        constraints = [
            models.UniqueConstraint(
                fields=["normalised"], name="actor_alias_one_actor",
                violation_error_message="This spelling already names an actor.",
            ),
        ]


class ActorMembership(TrackedModel):
    """An actor's membership of a coalition or operations room, with dates when known."""

    member = models.ForeignKey(Actor, on_delete=models.CASCADE, related_name="memberships")
    coalition = models.ForeignKey(Actor, on_delete=models.CASCADE, related_name="members")
    start = models.DateField(null=True, blank=True)
    end = models.DateField(null=True, blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=~Q(member=F("coalition")),
                name="membership_not_of_itself",
                violation_error_message="An actor cannot be a member of itself.",
            ),
            models.CheckConstraint(
                condition=Q(start__isnull=True) | Q(end__isnull=True) | Q(start__lte=F("end")),
                name="membership_start_before_end",
                violation_error_message="A membership must start on or before its end.",
            ),
            models.UniqueConstraint(
                fields=["member", "coalition"], name="membership_unique",
                violation_error_message="This membership is already recorded.",
            ),
        ]

    def __str__(self):
        return f"{self.member} in {self.coalition}"


class SourceAffiliation(TrackedModel):
    """A source that speaks for an actor (state media for a government, a faction's spokesman)."""

    source = models.ForeignKey(Source, on_delete=models.CASCADE, related_name="affiliations")
    actor = models.ForeignKey(Actor, on_delete=models.CASCADE, related_name="affiliated_sources")
    note = models.CharField(max_length=300, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["source", "actor"], name="affiliation_unique",
                                    violation_error_message="This affiliation is already recorded."),
        ]

    def __str__(self):
        return f"{self.source} → {self.actor}"


# --- places -----------------------------------------------------------------------------------


class Location(TrackedModel):
    class Kind(models.TextChoices):
        COUNTRY = "country", "Country"
        GOVERNORATE = "governorate", "Governorate (admin 1)"
        DISTRICT = "district", "District (admin 2)"
        SUBDISTRICT = "subdistrict", "Sub-district (admin 3)"
        COMMUNITY = "community", "Community / town / village"
        NEIGHBOURHOOD = "neighbourhood", "Neighbourhood"
        MILITARY_SITE = "military_site", "Military site"
        CAMP = "camp", "Camp"
        INDUSTRIAL_ZONE = "industrial_zone", "Industrial zone"
        NATURAL_FEATURE = "natural_feature", "Natural feature"
        FRONT_LINE = "front_line", "Route or front line"
        AREA = "area", "Informal area (e.g. a countryside)"

    class CoordinatePrecision(models.TextChoices):
        EXACT = "exact", "Exact"
        APPROXIMATE = "approximate", "Approximate"
        ADMIN_CENTROID = "admin_centroid", "Centroid of an admin area"
        UNKNOWN = "unknown", "Unknown"

    name = models.CharField(max_length=200, help_text="Canonical English name.")
    name_ar = models.CharField(max_length=200, blank=True)
    kind = models.CharField(max_length=20, choices=Kind.choices)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children",
        help_text="The admin area (or site) that contains this place.",
    )
    pcode = models.CharField(max_length=20, blank=True, help_text="OCHA P-code, e.g. SY02 or C1007.")
    geonames_id = models.PositiveIntegerField(null=True, blank=True)
    latitude = models.DecimalField(max_digits=8, decimal_places=5, null=True, blank=True)
    longitude = models.DecimalField(max_digits=8, decimal_places=5, null=True, blank=True)
    coordinate_precision = models.CharField(
        max_length=15, choices=CoordinatePrecision.choices, default=CoordinatePrecision.UNKNOWN
    )
    attribution = models.CharField(max_length=300, blank=True, help_text="Gazetteer the record comes from.")
    external_id = models.CharField(
        max_length=100, blank=True, help_text="Stable id from a seed or import file, for idempotent re-import."
    )
    # Derived from the parent chain (prepare_write) so that grouping and filtering by admin area
    # is one join, not a walk up the tree per row.
    admin1 = models.ForeignKey(
        "self", null=True, blank=True, editable=False, on_delete=models.SET_NULL, related_name="+",
        help_text="The governorate this place lies in (empty for a governorate itself).",
    )
    admin2 = models.ForeignKey(
        "self", null=True, blank=True, editable=False, on_delete=models.SET_NULL, related_name="+",
        help_text="The district this place lies in, when known (empty for a district itself).",
    )

    class Meta:
        ordering = ["name"]
        indexes = [models.Index(fields=["parent"], name="location_parent_idx")]
        constraints = [
            models.UniqueConstraint(
                fields=["pcode"], condition=~Q(pcode=""), name="location_pcode_unique",
                violation_error_message="Another place already has this P-code.",
            ),
            models.UniqueConstraint(fields=["external_id"], condition=~Q(external_id=""),
                                    name="location_external_id_unique"),
            models.UniqueConstraint(
                fields=["geonames_id"], name="location_geonames_unique",
                violation_error_message="Another place already has this GeoNames id.",
            ),
            models.CheckConstraint(
                condition=Q(latitude__isnull=True, longitude__isnull=True)
                | Q(latitude__isnull=False, longitude__isnull=False, latitude__gte=-90, latitude__lte=90,
                    longitude__gte=-180, longitude__lte=180),
                name="location_coordinates_valid",
                violation_error_message="Give both latitude (−90…90) and longitude (−180…180), or neither.",
            ),
            models.CheckConstraint(
                condition=Q(latitude__isnull=False) | Q(coordinate_precision="unknown"),
                name="location_no_precision_without_coordinates",
                violation_error_message="Without coordinates the coordinate precision is unknown.",
            ),
            models.CheckConstraint(
                condition=~Q(parent=F("pk")),
                name="location_not_own_parent",
                violation_error_message="A place cannot contain itself.",
            ),
        ]

    def __str__(self):
        return self.name

    def ancestors(self):
        """Containing areas, nearest first (cycle-safe)."""
        result, seen, node = [], {self.pk}, self.parent
        while node is not None and node.pk not in seen:
            result.append(node)
            seen.add(node.pk)
            node = node.parent
        return result

    def governorate(self):
        return self if self.kind == Location.Kind.GOVERNORATE else self._ancestor_of_kind(Location.Kind.GOVERNORATE)

    def _ancestor_of_kind(self, kind):
        return next((area for area in self.ancestors() if area.kind == kind), None)

    def prepare_write(self):
        super().prepare_write()
        self.admin1 = self._ancestor_of_kind(Location.Kind.GOVERNORATE)
        self.admin2 = self._ancestor_of_kind(Location.Kind.DISTRICT)

    def save(self, *args, **kwargs):
        moved = self.pk is not None and Location.objects.filter(pk=self.pk).exclude(parent_id=self.parent_id).exists()
        super().save(*args, **kwargs)
        if moved:  # everything below follows its new admin areas
            for child in self.children.all():
                child.save()


class LocationAlias(AliasBase):
    class Origin(models.TextChoices):
        GAZETTEER = "gazetteer", "Gazetteer"
        DOCUMENT = "document", "Document"
        EDITOR = "editor", "Editor"

    location = models.ForeignKey(Location, on_delete=models.CASCADE, related_name="aliases")
    language = models.CharField(max_length=35, blank=True, help_text="BCP 47 tag with script, e.g. en, ar, ar-Latn.")
    origin = models.CharField(max_length=10, choices=Origin.choices, default=Origin.EDITOR)

    class Meta:
        verbose_name_plural = "location aliases"
        constraints = [
            # The same spelling may name two places (homonyms), but only once per place.
            models.UniqueConstraint(
                fields=["location", "normalised"], name="location_alias_once_per_place",
                violation_error_message="This place already has this spelling.",
            ),
        ]


# --- equipment --------------------------------------------------------------------------------


class EquipmentType(TrackedModel):
    class Category(models.TextChoices):
        TANK = "tank", "Tank"
        IFV = "ifv", "Infantry fighting vehicle"
        APC = "apc", "Armoured personnel carrier"
        ARTILLERY = "artillery", "Self-propelled or towed artillery"
        MRL = "mrl", "Multiple rocket launcher"
        ATGM = "atgm", "Anti-tank missile system"
        AIR_DEFENCE = "air_defence", "Air defence"
        AIRCRAFT = "aircraft", "Aircraft"
        HELICOPTER = "helicopter", "Helicopter"
        DRONE = "drone", "Drone"
        VEHICLE = "vehicle", "Truck / vehicle"
        DEPOT = "depot", "Depot"
        OTHER = "other", "Other"

    name = models.CharField(max_length=200, unique=True)
    category = models.CharField(max_length=15, choices=Category.choices)
    description = models.TextField(blank=True)
    tracker_system_names = models.CharField(
        max_length=500, blank=True, help_text="Equipment-loss trackers' (Oryx) system names, comma separated."
    )

    class Meta:
        ordering = ["category", "name"]

    def __str__(self):
        return self.name


class EquipmentTypeAlias(AliasBase):
    equipment_type = models.ForeignKey(EquipmentType, on_delete=models.CASCADE, related_name="aliases")

    class Meta:
        verbose_name_plural = "equipment type aliases"
        constraints = [
            models.UniqueConstraint(
                fields=["normalised"], name="equipment_alias_one_type",
                violation_error_message="This spelling already names an equipment type.",
            ),
        ]


# --- events and claims ------------------------------------------------------------------------


def _sub_type_matches_type():
    condition = Q(sub_event_type="")
    for event_type, sub_types in SUB_EVENT_TYPES.items():
        condition |= Q(event_type=event_type, sub_event_type__in=[s.value for s in sub_types])
    return condition


def assign_external_id(record, kind: str) -> None:
    """A record entered by hand gets a stable external id too: CSV files name events and claims
    by it (conflictdb.csvio.columns), so an export of hand-entered records imports back."""
    if not record.external_id:
        record.external_id = f"conflictdb:{kind}:{uuid.uuid4().hex[:16]}"


class Event(TrackedModel):
    title = models.CharField(max_length=300)
    summary = models.TextField(blank=True)
    event_type = models.CharField(max_length=30, choices=EventType.choices)
    sub_event_type = models.CharField(max_length=40, choices=SubEventType.choices, blank=True)
    date_start = models.DateField()
    date_end = models.DateField()
    date_precision = models.CharField(max_length=5, choices=DatePrecision.choices, default=DatePrecision.DAY)
    civilian_targeting = models.BooleanField(default=False)
    external_id = models.CharField(
        max_length=100, blank=True,
        help_text="Stable id from a seed or import file, for idempotent re-import; assigned when left empty.",
    )
    acled_id = models.CharField(max_length=30, blank=True, help_text="ACLED event_id_cnty, for re-import.")
    ucdp_id = models.CharField(max_length=30, blank=True, help_text="UCDP GED id, for re-import.")
    places = models.ManyToManyField(Location, through="EventLocation", related_name="events", blank=True)
    actors = models.ManyToManyField(Actor, through="EventActor", related_name="events", blank=True)

    class Meta:
        ordering = ["-date_start", "title"]
        indexes = [
            models.Index(fields=["date_start", "date_end"], name="event_dates_idx"),
            models.Index(fields=["event_type", "sub_event_type"], name="event_type_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(date_start__lte=F("date_end")),
                name="event_start_before_end",
                violation_error_message="The earliest possible date must not be after the latest.",
            ),
            models.CheckConstraint(
                condition=_sub_type_matches_type(),
                name="event_sub_type_of_type",
                violation_error_message="The sub-event type does not belong to this event type (ACLED hierarchy).",
            ),
            models.UniqueConstraint(fields=["external_id"], condition=~Q(external_id=""), name="event_external_id_unique"),
            models.UniqueConstraint(fields=["acled_id"], condition=~Q(acled_id=""), name="event_acled_id_unique"),
            models.UniqueConstraint(fields=["ucdp_id"], condition=~Q(ucdp_id=""), name="event_ucdp_id_unique"),
        ]

    def prepare_write(self):
        super().prepare_write()
        assign_external_id(self, "event")

    def __str__(self):
        return f"{self.date_start:%Y-%m-%d} {self.title}"

    @property
    def consensus_stale(self) -> bool:
        """The event's consensus figures wait for a recomputation (an import wrote what feeds
        them; events.consensus.refresh_stale runs as a background job after it commits)."""
        try:
            self.consensus_stale_mark  # noqa: B018  (select_related("consensus_stale_mark") reads it with the event)
        except StaleConsensus.DoesNotExist:
            return False
        return True


class EventLocation(TrackedModel):
    class Role(models.TextChoices):
        SITE = "site", "Site"
        ORIGIN = "origin", "Origin"
        DESTINATION = "destination", "Destination"
        TARGET = "target", "Target"

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="event_places")
    location = models.ForeignKey(Location, on_delete=models.PROTECT, related_name="event_links")
    role = models.CharField(max_length=12, choices=Role.choices, default=Role.SITE)
    precision = models.CharField(max_length=8, choices=PlacePrecision.choices, default=PlacePrecision.EXACT)

    class Meta:
        verbose_name = "event place"
        constraints = [
            models.UniqueConstraint(fields=["event", "location", "role"], name="event_location_unique",
                                    violation_error_message="This place already has this role in the event."),
        ]

    def __str__(self):
        return f"{self.location} ({self.get_role_display()})"


class EventActor(TrackedModel):
    class Role(models.TextChoices):
        SIDE_A = "side_a", "Side A"
        SIDE_B = "side_b", "Side B"
        PERPETRATOR = "perpetrator", "Perpetrator"
        TARGET = "target", "Target"
        ASSOCIATED = "associated", "Associated"

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="event_actors")
    actor = models.ForeignKey(Actor, on_delete=models.PROTECT, related_name="event_links")
    role = models.CharField(max_length=12, choices=Role.choices)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["event", "actor", "role"], name="event_actor_unique",
                                    violation_error_message="This actor already has this role in the event."),
        ]

    def __str__(self):
        return f"{self.actor} ({self.get_role_display()})"


class Claim(TrackedModel):
    class Stance(models.TextChoices):
        ASSERTS = "asserts", "Asserts"
        DENIES = "denies", "Denies"
        # Another account of the same event (an accident, a different cause): it contests the
        # event like a denial does (events.consensus).
        EXPLAINS = "explains", "Explains otherwise"

    class Credibility(models.IntegerChoices):
        """Admiralty information credibility."""

        CONFIRMED = 1, "1 — confirmed by other sources"
        PROBABLY_TRUE = 2, "2 — probably true"
        POSSIBLY_TRUE = 3, "3 — possibly true"
        DOUBTFUL = 4, "4 — doubtful"
        IMPROBABLE = 5, "5 — improbable"
        CANNOT_BE_JUDGED = 6, "6 — truth cannot be judged"

    event = models.ForeignKey(Event, null=True, blank=True, on_delete=models.PROTECT, related_name="claims")
    document = models.ForeignKey(Document, on_delete=models.PROTECT, related_name="claims")
    claimant = models.ForeignKey(
        Source, on_delete=models.PROTECT, related_name="claims",
        help_text="Who asserts this; may differ from the document's publisher.",
    )
    excerpts = models.ManyToManyField(Excerpt, through="ClaimExcerpt", related_name="claims", blank=True)
    includes_events = models.ManyToManyField(
        Event, through="ClaimInclusion", related_name="included_in_claims", blank=True,
        help_text="Events whose figures this claim's figures already contain (a daily toll that includes "
                  "the day's incidents): consensus totals do not count them twice (events.aggregates).",
    )
    external_id = models.CharField(
        max_length=100, blank=True,
        help_text="Stable id from a seed or import file, for idempotent re-import; assigned when left empty.",
    )
    stance = models.CharField(max_length=8, choices=Stance.choices, default=Stance.ASSERTS)
    statement = models.TextField(help_text="A short paraphrase of what is claimed.")
    # The statement with its document's personal passages masked (events.personal_text keeps it).
    masked_statement = models.TextField(blank=True, default="", editable=False)
    date_start = models.DateField(null=True, blank=True, help_text="Earliest date the claim refers to.")
    date_end = models.DateField(null=True, blank=True)
    date_precision = models.CharField(max_length=5, choices=DatePrecision.choices, default=DatePrecision.DAY)
    credibility = models.PositiveSmallIntegerField(choices=Credibility.choices, default=Credibility.CANNOT_BE_JUDGED)

    # Changed only through conflictdb.grading.regrade once set.
    GRADED_FIELD = grading.Grade("credibility", tuple(range(1, 7)), "credibility")
    # The document's personal passages are masked in the statement too (conflictdb.protection).
    PROTECTED_FIELDS = {"statement": protection.personal_text("masked_statement")}
    derived_fields = {"masked_statement": ("statement", "document")}  # written with them (conflictdb.models.with_derived)

    class Meta:
        ordering = ["-date_start", "pk"]
        indexes = [
            models.Index(fields=["event"], name="claim_event_idx"),
            models.Index(fields=["document"], name="claim_document_idx"),
            models.Index(fields=["claimant"], name="claim_claimant_idx"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["external_id"], condition=~Q(external_id=""), name="claim_external_id_unique"),
            models.CheckConstraint(
                condition=Q(credibility__gte=1, credibility__lte=6),
                name="claim_credibility_1_to_6",
                violation_error_message="Credibility runs from 1 (confirmed) to 6 (cannot be judged).",
            ),
            models.CheckConstraint(
                condition=Q(date_start__isnull=True) | Q(date_end__isnull=True) | Q(date_start__lte=F("date_end")),
                name="claim_start_before_end",
                violation_error_message="The claim's earliest date must not be after its latest.",
            ),
        ]

    def __str__(self):
        statement = protection.personal_text_of(protection.viewer(), self, "statement")
        statement = statement if len(statement) <= 70 else statement[:67] + "…"
        return f"#{self.pk} {statement}"

    @property
    def grade(self) -> str:
        """Source reliability and information credibility together, e.g. "F6"."""
        return f"{self.claimant.reliability}{self.credibility}"

    @classmethod
    def from_db(cls, db, field_names, values):
        record = super().from_db(db, field_names, values)
        grading.remember_loaded_grade(record)
        record._loaded_event_id = record.__dict__.get("event_id")  # consensus follows a move
        return record

    def prepare_write(self):
        super().prepare_write()
        grading.refuse_ungraded_change(self)
        assign_external_id(self, "claim")
        self.masked_statement = personal.shadow(self.statement, self.document_id)


class ClaimExcerpt(TrackedModel):
    """A quote a claim rests on; the excerpt must come from the claim's own document."""

    claim = models.ForeignKey(Claim, on_delete=models.CASCADE, related_name="claim_excerpts")
    excerpt = models.ForeignKey(Excerpt, on_delete=models.PROTECT, related_name="claim_links")

    class Meta:
        verbose_name = "quote"
        constraints = [
            models.UniqueConstraint(fields=["claim", "excerpt"], name="claim_excerpt_unique",
                                    violation_error_message="This quote is already attached to the claim."),
        ]

    def __str__(self):
        return str(self.excerpt)

    def clean(self):
        super().clean()
        if self.claim_id and self.excerpt_id and self.excerpt.document_id != self.claim.document_id:
            raise ValidationError({"excerpt": "The quote must come from the claim's document."})

    def prepare_write(self):
        super().prepare_write()
        self.clean()


class ClaimInclusion(TrackedModel):
    """A claim's figures include the figures of another event (a daily or weekly toll that contains
    the incidents it sums up). Read by events.aggregates: in a consensus total, an included event's
    figure is not added again where a figure of the including claim's event that covers it is counted."""

    claim = models.ForeignKey(Claim, on_delete=models.CASCADE, related_name="inclusions")
    event = models.ForeignKey(Event, on_delete=models.PROTECT, related_name="inclusions_by_claims")

    class Meta:
        verbose_name = "included event"
        constraints = [
            models.UniqueConstraint(fields=["claim", "event"], name="claim_inclusion_unique",
                                    violation_error_message="This claim already includes this event."),
        ]

    def __str__(self):
        return f"includes {self.event}"

    def clean(self):
        super().clean()
        if self.claim_id and self.event_id and self.claim.event_id == self.event_id:
            raise ValidationError({"event": "A claim cannot include its own event."})

    def prepare_write(self):
        super().prepare_write()
        self.clean()


class Quantity(models.Model):
    """A number as reported: a range with a qualifier and the original wording."""

    low = models.PositiveIntegerField(null=True, blank=True)
    high = models.PositiveIntegerField(null=True, blank=True, help_text="Empty when open-ended or unknown.")
    qualifier = models.CharField(max_length=10, choices=Qualifier.choices, default=Qualifier.EXACT)
    wording = models.CharField(max_length=300, blank=True, help_text='As written, e.g. "more than 35".')

    class Meta:
        abstract = True
        constraints = [
            models.CheckConstraint(
                condition=Q(low__isnull=True) | Q(high__isnull=True) | Q(low__lte=F("high")),
                name="%(app_label)s_%(class)s_low_le_high",
                violation_error_message="The low figure must not exceed the high figure.",
            ),
            models.CheckConstraint(
                condition=~Q(qualifier="exact") | Q(low__isnull=False, high=F("low")),
                name="%(app_label)s_%(class)s_exact_is_one_number",
                violation_error_message="An exact figure has low = high.",
            ),
            models.CheckConstraint(
                condition=~Q(qualifier__in=["at_least", "more_than", "range"]) | Q(low__isnull=False),
                name="%(app_label)s_%(class)s_bounded_has_low",
                violation_error_message="“At least”, “more than” and ranges need a low figure.",
            ),
        ]

    def numeric_low(self):
        """The low figure for sums and exports, using the word-quantity convention; None = unknown."""
        if self.low is not None:
            return self.low
        return WORD_QUANTITY_CONVENTION.get(self.qualifier)

    def display_quantity(self):
        if self.qualifier == Qualifier.EXACT:
            return str(self.low)
        if self.low is not None and self.high is not None:
            return f"{self.low}–{self.high}"
        if self.low is not None:
            return f"≥{self.low}"
        return self.get_qualifier_display().lower()


class CasualtyFigure(Quantity, TrackedModel):
    class Category(models.TextChoices):
        COMBATANT = "combatant", "Combatant"
        CIVILIAN = "civilian", "Civilian"
        UNKNOWN = "unknown", "Unknown"

    class Subgroup(models.TextChoices):
        NONE = "", "—"
        CHILD = "child", "Child"
        WOMAN = "woman", "Woman"
        MAN = "man", "Man"
        ELDERLY = "elderly", "Elderly"
        OFFICER = "officer", "Officer"
        FAMILY = "family", "Family members"
        MEDICAL = "medical", "Medical worker"
        JOURNALIST = "journalist", "Journalist"
        AID_WORKER = "aid_worker", "Aid worker"

    class Outcome(models.TextChoices):
        KILLED = "killed", "Killed"
        INJURED = "injured", "Injured"
        CAPTURED = "captured", "Captured / detained"
        MISSING = "missing", "Missing"
        ABDUCTED = "abducted", "Abducted"

    claim = models.ForeignKey(Claim, on_delete=models.CASCADE, related_name="casualty_figures")
    affiliation = models.ForeignKey(
        Actor, null=True, blank=True, on_delete=models.PROTECT, related_name="casualty_figures", db_index=False,
        help_text="Whose people; empty for civilians.",
    )
    category = models.CharField(max_length=10, choices=Category.choices)
    subgroup = models.CharField(max_length=12, choices=Subgroup.choices, blank=True)
    outcome = models.CharField(max_length=10, choices=Outcome.choices)
    perpetrator = models.ForeignKey(
        Actor, null=True, blank=True, on_delete=models.PROTECT, related_name="inflicted_casualty_figures"
    )
    place = models.ForeignKey(Location, null=True, blank=True, on_delete=models.PROTECT, related_name="casualty_figures")
    date = models.DateField(null=True, blank=True)
    note = models.CharField(max_length=300, blank=True)
    part_of = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="parts",
        help_text="A larger figure of the same claim that includes this one (officers among the soldiers "
                  "killed, a woman among the wounded); totals do not add it again.",
    )

    class Meta(Quantity.Meta):
        # The claim's own foreign-key index serves claim lookups, and (affiliation, outcome) serves
        # affiliation lookups: a second index on either only slows every write.
        indexes = [
            models.Index(fields=["affiliation", "outcome"], name="figure_affiliation_outcome_idx"),
            models.Index(fields=["category", "outcome"], name="figure_category_outcome_idx"),
        ]

    @classmethod
    def from_db(cls, db, field_names, values):
        record = super().from_db(db, field_names, values)
        record._loaded_claim_id = record.__dict__.get("claim_id")  # consensus follows a moved figure
        return record

    def prepare_write(self):
        super().prepare_write()
        if self.part_of_id is not None and self.part_of.claim_id != self.claim_id:
            raise ValidationError({"part_of": "A figure can only be part of a figure of the same claim."})
        if self.part_of_id is not None and self.part_of_id == self.pk:
            raise ValidationError({"part_of": "A figure cannot be part of itself."})
        if self.part_of_id is not None and self.pk is not None:
            # Totals leave out every figure that is part of another: a loop would drop them all.
            seen, above = {self.pk}, self.part_of_id
            while above is not None and above not in seen:
                seen.add(above)
                above = type(self)._base_manager.filter(pk=above).values_list("part_of_id", flat=True).first()
            if above is not None:
                raise ValidationError({"part_of": "The larger figure is itself part of this one (a loop)."})
        moved = self.pk is not None and getattr(self, "_loaded_claim_id", self.claim_id) != self.claim_id
        if moved and (self.parts.exists() or self.casualties.exists()):
            raise ValidationError({"claim": "This figure has parts or casualty records of its claim: move or "
                                            "unlink them first (they must stay with a figure of their own claim)."})

    def __str__(self):
        whose = self.affiliation.short_name or self.affiliation.name if self.affiliation_id else self.get_category_display()
        return f"{self.display_quantity()} {whose} {self.get_outcome_display().lower()}"


class Casualty(TrackedModel):
    """An individual victim record. Name, age and sex are personal data (protected)."""

    class Sex(models.TextChoices):
        FEMALE = "female", "Female"
        MALE = "male", "Male"
        UNKNOWN = "unknown", "Unknown"

    claim = models.ForeignKey(Claim, on_delete=models.CASCADE, related_name="casualties")
    figure = models.ForeignKey(CasualtyFigure, null=True, blank=True, on_delete=models.SET_NULL, related_name="casualties")
    name = models.CharField(max_length=200, blank=True)
    name_ar = models.CharField(max_length=200, blank=True)
    age = models.PositiveSmallIntegerField(null=True, blank=True)
    age_group = models.CharField(max_length=20, blank=True, help_text="child, adult, elderly … when the age is unknown.")
    sex = models.CharField(max_length=7, choices=Sex.choices, default=Sex.UNKNOWN)
    category = models.CharField(max_length=10, choices=CasualtyFigure.Category.choices)
    outcome = models.CharField(max_length=10, choices=CasualtyFigure.Outcome.choices)
    occupation = models.CharField(max_length=100, blank=True)
    date = models.DateField(null=True, blank=True)
    place = models.ForeignKey(Location, null=True, blank=True, on_delete=models.PROTECT, related_name="casualties")

    PERSONAL_FIELDS = ("name", "name_ar", "age", "sex")
    PROTECTED_FIELDS = dict.fromkeys(PERSONAL_FIELDS, protection.PERSONAL)  # conflictdb.protection

    class Meta:
        verbose_name_plural = "casualties"
        permissions = [("view_personal_data", "Can see names, ages and sex of individual casualties")]
        constraints = [
            models.CheckConstraint(condition=Q(age__isnull=True) | Q(age__lte=130), name="casualty_age_plausible",
                                   violation_error_message="An age above 130 is not plausible."),
        ]

    def prepare_write(self):
        super().prepare_write()
        if self.figure_id is not None and self.figure.claim_id != self.claim_id:
            raise ValidationError({"figure": "A casualty record can only belong to a figure of the same claim."})

    def __str__(self):
        return f"Casualty #{self.pk}"


class EquipmentLoss(Quantity, TrackedModel):
    class Status(models.TextChoices):
        DESTROYED = "destroyed", "Destroyed"
        DAMAGED = "damaged", "Damaged"
        ABANDONED = "abandoned", "Abandoned"
        CAPTURED = "captured", "Captured"

    claim = models.ForeignKey(Claim, on_delete=models.CASCADE, related_name="equipment_losses")
    equipment_type = models.ForeignKey(EquipmentType, on_delete=models.PROTECT, related_name="losses")
    status = models.CharField(max_length=10, choices=Status.choices)
    owner = models.ForeignKey(
        Actor, null=True, blank=True, on_delete=models.PROTECT, related_name="equipment_lost", help_text="Who lost it."
    )
    captor = models.ForeignKey(
        Actor, null=True, blank=True, on_delete=models.PROTECT, related_name="equipment_gained",
        help_text="Who captured it (status captured).",
    )
    place = models.ForeignKey(Location, null=True, blank=True, on_delete=models.PROTECT, related_name="equipment_losses")
    date = models.DateField(null=True, blank=True)
    evidence_url = models.URLField(max_length=1000, blank=True)
    evidence_sha256 = models.CharField(max_length=64, blank=True)

    class Meta(Quantity.Meta):
        verbose_name_plural = "equipment losses"
        constraints = Quantity.Meta.constraints + [
            models.CheckConstraint(
                condition=Q(captor__isnull=True) | Q(status="captured"),
                name="equipment_captor_only_when_captured",
                violation_error_message="Only captured equipment has a captor.",
            ),
            models.CheckConstraint(
                condition=Q(owner__isnull=True) | Q(captor__isnull=True) | ~Q(owner=F("captor")),
                name="equipment_owner_is_not_captor",
                violation_error_message="The owner and the captor must differ.",
            ),
        ]

    def __str__(self):
        return f"{self.display_quantity()} × {self.equipment_type} {self.get_status_display().lower()}"


class TerritorialChange(TrackedModel):
    class Kind(models.TextChoices):
        CAPTURED = "captured", "Captured"
        RECAPTURED = "recaptured", "Recaptured"
        WITHDRAWN = "withdrawn", "Withdrawn from"
        CONTESTED = "contested", "Contested"

    claim = models.ForeignKey(Claim, on_delete=models.CASCADE, related_name="territorial_changes")
    place = models.ForeignKey(Location, on_delete=models.PROTECT, related_name="territorial_changes")
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.CAPTURED)
    gaining = models.ForeignKey(Actor, null=True, blank=True, on_delete=models.PROTECT, related_name="territory_gained")
    losing = models.ForeignKey(Actor, null=True, blank=True, on_delete=models.PROTECT, related_name="territory_lost")
    date = models.DateField(null=True, blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(gaining__isnull=True) | Q(losing__isnull=True) | ~Q(gaining=F("losing")),
                name="territory_gaining_is_not_losing",
                violation_error_message="The gaining and the losing actor must differ.",
            ),
        ]

    def __str__(self):
        return f"{self.place} {self.get_kind_display().lower()}" + (f" by {self.gaining}" if self.gaining_id else "")


class Attack(Quantity, TrackedModel):
    """A strike, shelling or rocket fire a claim reports on one target place."""

    class Kind(models.TextChoices):
        AIR_STRIKE = "air_strike", "Air strike"
        DRONE_STRIKE = "drone_strike", "Drone strike"
        MISSILE_STRIKE = "missile_strike", "Missile strike"
        ROCKET_FIRE = "rocket_fire", "Rocket fire"
        SHELLING = "shelling", "Artillery shelling"
        GROUND_ATTACK = "ground_attack", "Ground attack"

    claim = models.ForeignKey(Claim, on_delete=models.CASCADE, related_name="attacks")
    kind = models.CharField(max_length=15, choices=Kind.choices)
    perpetrator = models.ForeignKey(Actor, null=True, blank=True, on_delete=models.PROTECT, related_name="attacks")
    place = models.ForeignKey(Location, null=True, blank=True, on_delete=models.PROTECT, related_name="attacks")
    target = models.CharField(max_length=200, blank=True, help_text='What was hit, e.g. "displaced people\'s camps".')
    weapon = models.CharField(max_length=100, blank=True)
    date = models.DateField(null=True, blank=True)

    class Meta(Quantity.Meta):
        pass

    @classmethod
    def from_db(cls, db, field_names, values):
        record = super().from_db(db, field_names, values)
        record._loaded_claim_id = record.__dict__.get("claim_id")  # a moved attack leaves its event's dissent
        return record

    def __str__(self):
        return f"{self.get_kind_display()} on {self.place or self.target or '?'}"


class Displacement(Quantity, TrackedModel):
    """People displaced, per claim; the quantity counts `unit`s."""

    class Unit(models.TextChoices):
        PEOPLE = "people", "People"
        FAMILIES = "families", "Families"
        HOUSEHOLDS = "households", "Households"

    claim = models.ForeignKey(Claim, on_delete=models.CASCADE, related_name="displacements")
    unit = models.CharField(max_length=10, choices=Unit.choices, default=Unit.PEOPLE)
    date_start = models.DateField(null=True, blank=True)
    date_end = models.DateField(null=True, blank=True)

    class Meta(Quantity.Meta):
        pass

    def __str__(self):
        return f"Displacement ({self.wording or self.display_quantity()})"


class DisplacementPlace(TrackedModel):
    class Role(models.TextChoices):
        ORIGIN = "origin", "From"
        DESTINATION = "destination", "To"

    displacement = models.ForeignKey(Displacement, on_delete=models.CASCADE, related_name="places")
    location = models.ForeignKey(Location, on_delete=models.PROTECT, related_name="displacement_links")
    role = models.CharField(max_length=12, choices=Role.choices)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["displacement", "location", "role"], name="displacement_place_unique",
                                    violation_error_message="This place already has this role."),
        ]

    def __str__(self):
        return f"{self.get_role_display()} {self.location}"


class ConsensusFigure(models.Model):
    """The consensus low / best / high for one figure of one event, derived from its claims.

    Derived data, never edited: events.consensus.recompute() rewrites an event's rows whenever
    one of its claims or figures changes. `basis` keeps, per claim, whether it was used and why
    (the rule is in events/consensus.py and docs/methodology.md). Unknown stays NULL, never 0.
    """

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="consensus_figures")
    affiliation = models.ForeignKey(Actor, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    category = models.CharField(max_length=10, choices=CasualtyFigure.Category.choices)
    subgroup = models.CharField(max_length=12, choices=CasualtyFigure.Subgroup.choices, blank=True)
    outcome = models.CharField(max_length=10, choices=CasualtyFigure.Outcome.choices)
    low = models.PositiveIntegerField(null=True, blank=True)
    best = models.PositiveIntegerField(null=True, blank=True)
    high = models.PositiveIntegerField(null=True, blank=True)
    claims_used = models.PositiveIntegerField(default=0)
    independent_sources = models.PositiveIntegerField(default=0)
    conflicting = models.BooleanField(default=False, help_text="Some credible claims' ranges do not overlap.")
    contested = models.BooleanField(
        default=False,
        help_text="A claim about the event denies it, explains it otherwise or names another perpetrator "
                  "(the event's dissenting claims).",
    )
    basis = models.JSONField(default=list, help_text="Per claim: used or excluded, and why.")
    computed_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["event", "category", "outcome", "pk"]
        indexes = [  # the event's foreign-key index serves event lookups
            models.Index(fields=["conflicting"], name="consensus_conflicting_idx"),
            models.Index(fields=["contested"], name="consensus_contested_idx"),
        ]

    def __str__(self):
        whose = self.affiliation or self.get_category_display()
        return f"{whose} {self.get_outcome_display().lower()}: {self.low}/{self.best}/{self.high}"


class StaleConsensus(models.Model):
    """An event whose consensus figures and dissent are out of date: an import wrote claims or
    figures of it and the recomputation runs after the import commits, as a background job
    (events.consensus.mark_stale / refresh_stale). Derived bookkeeping, never edited; the row is
    deleted when the event's consensus is recomputed."""

    event = models.OneToOneField(Event, on_delete=models.CASCADE, primary_key=True,
                                 related_name="consensus_stale_mark")
    marked_at = models.DateTimeField()

    class Meta:
        verbose_name = "stale consensus"
        verbose_name_plural = "stale consensus marks"

    def __str__(self):
        return f"Event #{self.event_id}: consensus stale since {self.marked_at:%Y-%m-%d %H:%M:%S}"


class Dissent(models.Model):
    """A claim that denies or contradicts others about the same event: what makes the event
    *contested*. Derived data, never edited: events.consensus.recompute() rewrites an event's
    rows with its consensus figures (rule in events/consensus.py and docs/methodology.md).
    Who says it is the claim's claimant, shown to each reader as conflictdb.protection allows."""

    class Kind(models.TextChoices):
        DENIAL = "denial", "Denies it"
        EXPLANATION = "explanation", "Explains it otherwise"
        PERPETRATOR = "perpetrator", "Names another perpetrator"

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="dissents")
    claim = models.ForeignKey(Claim, on_delete=models.CASCADE, related_name="dissents")
    kind = models.CharField(max_length=12, choices=Kind.choices)
    perpetrator = models.ForeignKey(
        Actor, null=True, blank=True, on_delete=models.CASCADE, related_name="+",
        help_text="For another perpetrator: whom this claim names for the attack.",
    )
    against = models.JSONField(default=list, help_text="Ids of the claims it contradicts (every asserting claim, "
                                                      "for a denial or another explanation).")
    computed_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["event", "claim", "kind", "pk"]
        verbose_name = "dissenting claim"

    def __str__(self):
        return f"Claim #{self.claim_id}: {self.get_kind_display().lower()}"
