import datetime
from urllib.parse import urlencode

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.db.models import Prefetch, Q
from django.shortcuts import redirect
from django.template.loader import render_to_string
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join

from conflictdb import protection
from conflictdb.admin import ReadOnlyAdmin, TrackedAdmin, TrackedStackedInline, TrackedTabularInline
from events import consensus, territory
from events import naming
from events.places import learn_alias, place_index, place_label, resolve_place
from events.filtersets import by_events
from events.models import (
    ConsensusFigure,
    Dissent,
    Actor,
    ActorAlias,
    ActorMembership,
    Attack,
    Casualty,
    CasualtyFigure,
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
from events.desk.views import desk_urls

QUANTITY_FIELDS = ("low", "high", "qualifier", "wording")


class DistinctSearchMixin:
    """Search through alias tables without repeating a row per matching alias."""

    def get_search_results(self, request, queryset, search_term):
        queryset, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        return (queryset.distinct() if may_have_duplicates else queryset), False


# --- actors -----------------------------------------------------------------------------------


class ActorAliasInline(TrackedTabularInline):
    model = ActorAlias
    fields = ("name",)


class MembershipInline(TrackedTabularInline):
    model = ActorMembership
    fk_name = "member"
    fields = ("coalition", "start", "end")
    autocomplete_fields = ("coalition",)
    verbose_name = "membership of a coalition"


class AffiliationInline(TrackedTabularInline):
    model = SourceAffiliation
    fields = ("source", "note")
    autocomplete_fields = ("source",)
    verbose_name = "source speaking for this actor"


@admin.register(Actor)
class ActorAdmin(DistinctSearchMixin, TrackedAdmin):
    list_display = ("name", "short_name", "kind", "inter_code", "country", "verification_status")
    list_filter = ("kind", "inter_code", "verification_status")
    search_fields = ("name", "short_name", "aliases__name", "aliases__normalised")
    fields = ("name", "short_name", "kind", "inter_code", "country", "description", "verification_status")
    inlines = [ActorAliasInline, MembershipInline, AffiliationInline]

    def autocomplete_exact(self, request, term):
        return naming.actors_named(term)

    def autocomplete_spellings(self, request, records):
        spellings = {record.pk: [record.name, record.short_name] for record in records}
        for actor_id, name in ActorAlias.objects.filter(actor__in=records).values_list("actor_id", "name"):
            spellings[actor_id].append(name)
        return spellings

    def autocomplete_label(self, record):
        return f"{record} ({record.get_kind_display().lower()})"


@admin.register(ActorAlias)
class ActorAliasAdmin(TrackedAdmin):
    list_display = ("name", "actor", "normalised")
    list_select_related = ("actor",)
    search_fields = ("name", "normalised", "actor__name")
    autocomplete_fields = ("actor",)


@admin.register(ActorMembership)
class ActorMembershipAdmin(TrackedAdmin):
    list_display = ("member", "coalition", "start", "end")
    list_select_related = ("member", "coalition")
    search_fields = ("member__name", "coalition__name")
    autocomplete_fields = ("member", "coalition")


@admin.register(SourceAffiliation)
class SourceAffiliationAdmin(TrackedAdmin):
    list_display = ("source", "actor", "note")
    list_select_related = ("source", "actor")
    search_fields = ("source__name", "actor__name")
    autocomplete_fields = ("source", "actor")


# --- places -----------------------------------------------------------------------------------


class LocationAliasInline(TrackedTabularInline):
    model = LocationAlias
    fields = ("name", "language", "origin")


MAP_LIMIT = 500  # points drawn on a changelist map


def render_map(map_id, features, note):
    return render_to_string("admin/events/map.html", {
        "map_id": map_id, "map_geojson": {"type": "FeatureCollection", "features": features},
        "map_tiles": settings.MAP_TILE_URL, "map_tiles_attribution": settings.MAP_TILE_ATTRIBUTION, "map_note": note,
    })


def point(location, label, url):
    return {"type": "Feature", "properties": {"label": label, "url": url},
            "geometry": {"type": "Point", "coordinates": [float(location.longitude), float(location.latitude)]}}


class ResolveForm(forms.Form):
    name = forms.CharField(label="Name as written", max_length=200)
    within = forms.ModelChoiceField(Location.objects.filter(kind__in=["country", "governorate", "district"]),
                                    required=False, help_text="Only places inside this admin area.")


class LearnForm(forms.Form):
    """"This name means that place": posted from the resolve page's candidates."""

    learn = forms.ModelChoiceField(Location.objects.all())
    name = forms.CharField(max_length=200)


class ChangedHandsForm(forms.Form):
    date_from = forms.DateField(label="From", widget=forms.DateInput(attrs={"type": "date"}))
    date_to = forms.DateField(label="To", widget=forms.DateInput(attrs={"type": "date"}))
    within = forms.ModelChoiceField(Location.objects.filter(kind__in=["country", "governorate", "district"]),
                                    required=False)


@admin.register(Location)
class LocationAdmin(DistinctSearchMixin, TrackedAdmin):
    list_display = ("name", "name_ar", "kind", "parent", "pcode", "latitude", "longitude", "coordinate_precision")
    list_select_related = ("parent",)
    list_filter = ("kind", "coordinate_precision", "verification_status")
    search_fields = ("name", "name_ar", "pcode", "aliases__name", "aliases__normalised")
    autocomplete_fields = ("parent",)
    readonly_fields = ("map_display", "control_display")
    fieldsets = (
        (None, {"fields": ("name", "name_ar", "kind", "parent", "pcode", "geonames_id", ("latitude", "longitude"),
                           "coordinate_precision", "attribution", "external_id", "verification_status")}),
        ("Map", {"fields": ("map_display",)}),
        ("Control over time", {"fields": ("control_display",)}),
    )
    inlines = [LocationAliasInline]
    change_list_template = "admin/events/location/change_list.html"

    def get_search_results(self, request, queryset, search_term):
        """Names as written in reports find their place: "Orm al Sughra" finds Urum al-Sughra."""
        searched, _ = super().get_search_results(request, queryset, search_term)
        if len(search_term.strip()) < 3:
            return searched, False
        resolution = resolve_place(search_term, limit=10)
        ids = [candidate.location_id for candidate in resolution.candidates if candidate.score >= 70]
        return queryset.filter(Q(pk__in=searched.values("pk")) | Q(pk__in=ids)), False

    def rank_autocomplete(self, request, base, searched, term):
        """The place matcher's ranking (as locations/resolve): its candidates first, its match the
        match; an ambiguous or unknown name has none."""
        if len(term.strip()) < 2:
            return [], None
        resolution = resolve_place(term, limit=20)
        visible = set(base.filter(pk__in=[c.location_id for c in resolution.candidates]).values_list("pk", flat=True))
        ranked = [c.location_id for c in resolution.candidates if c.location_id in visible]
        match = resolution.match.location_id if resolution.match and resolution.match.location_id in visible else None
        return ranked, match

    def autocomplete_labels(self, request, records):
        index = place_index()  # once per page: it has every place's district and governorate
        labels = {}
        for record in records:
            known = index.places.get(record.pk)
            labels[record.pk] = (place_label(known.name, known.kind, known.district, known.governorate)
                                 if known is not None else place_label(record.name, record.kind))  # retracted
        return labels

    @admin.display(description="Map")
    def map_display(self, obj):
        if obj is None or obj.pk is None or obj.latitude is None:
            return "No coordinates: this place is not drawn (coordinates are never invented)."
        return render_map(f"location-map-{obj.pk}", [point(obj, obj.name, "")],
                          f"{obj.get_coordinate_precision_display()} coordinates.")

    @admin.display(description="Who held it")
    def control_display(self, obj):
        if obj is None or obj.pk is None:
            return "—"
        answer = territory.control_of(obj, datetime.date.today())
        changes = [*answer.deciding, *answer.earlier]
        if not changes:
            return answer.summary
        rows = format_html_join(
            "", "<li>{}: {} {} (claim <a href=\"{}\">#{}</a>, {})</li>",
            ((c.effective_date, c.get_kind_display(), f"by {c.gaining}" if c.gaining_id else "",
              reverse("admin:events_claim_change", args=[c.claim_id]), c.claim_id, c.claim.get_verification_status_display())
             for c in changes),
        )
        return format_html("<p>{}</p><ul>{}</ul>", answer.summary, rows)

    def get_urls(self):
        return [
            path("resolve/", self.admin_site.admin_view(self.resolve_view), name="events_location_resolve"),
            path("changed-hands/", self.admin_site.admin_view(self.changed_hands_view),
                 name="events_location_changed_hands"),
            *super().get_urls(),
        ]

    def resolve_view(self, request):
        """Which place does a name mean? Candidates with scores and reasons; confirm to learn it."""
        if not self.has_view_permission(request):
            return TemplateResponse(request, "admin/events/location/resolve.html", {}, status=403)
        if request.method == "POST" and "learn" in request.POST:
            learning = LearnForm(request.POST)
            if not request.user.has_perm("events.add_locationalias"):
                messages.error(request, "Only editors may add spellings.")
            elif not learning.is_valid():
                messages.error(request, "Nothing was learnt: " + " ".join(
                    f"{name}: {' '.join(errors)}" for name, errors in learning.errors.items()))
            else:
                location, name = learning.cleaned_data["learn"], learning.cleaned_data["name"]
                alias, status = learn_alias(location, name, user=request.user)
                messages.success(request, f"“{alias.name}” is now a spelling of {location} ({status}).")
            query = urlencode({"name": request.POST.get("name", "")})
            return redirect(f"{reverse('admin:events_location_resolve')}?{query}")
        form = ResolveForm(request.GET or None)
        resolution = None
        if form.is_valid():
            resolution = resolve_place(form.cleaned_data["name"], within=form.cleaned_data["within"], limit=8)
        context = {**self.admin_site.each_context(request), "title": "Resolve a place name", "form": form,
                   "resolution": resolution, "opts": self.model._meta,
                   "can_learn": request.user.has_perm("events.add_locationalias")}
        return TemplateResponse(request, "admin/events/location/resolve.html", context)

    def changed_hands_view(self, request):
        """Which places changed hands between two dates, according to which claims."""
        if not self.has_view_permission(request):
            return TemplateResponse(request, "admin/events/location/changed_hands.html", {}, status=403)
        form = ChangedHandsForm(request.GET or None)
        by_place = None
        if form.is_valid():
            by_place = territory.changes_between(form.cleaned_data["date_from"], form.cleaned_data["date_to"],
                                                 within=form.cleaned_data["within"])
        context = {**self.admin_site.each_context(request), "title": "Places that changed hands", "form": form,
                   "by_place": list(by_place.values()) if by_place is not None else None, "opts": self.model._meta}
        return TemplateResponse(request, "admin/events/location/changed_hands.html", context)


@admin.register(LocationAlias)
class LocationAliasAdmin(TrackedAdmin):
    list_display = ("name", "location", "language", "origin", "normalised")
    list_select_related = ("location",)
    list_filter = ("origin", "language")
    search_fields = ("name", "normalised", "location__name")
    autocomplete_fields = ("location",)


# --- equipment --------------------------------------------------------------------------------


class EquipmentTypeAliasInline(TrackedTabularInline):
    model = EquipmentTypeAlias
    fields = ("name",)


@admin.register(EquipmentType)
class EquipmentTypeAdmin(DistinctSearchMixin, TrackedAdmin):
    list_display = ("name", "category", "tracker_system_names", "verification_status")
    list_filter = ("category",)
    search_fields = ("name", "aliases__name", "aliases__normalised", "tracker_system_names")
    inlines = [EquipmentTypeAliasInline]

    def autocomplete_exact(self, request, term):
        return naming.equipment_types_named(term)

    def autocomplete_spellings(self, request, records):
        spellings = {record.pk: [record.name] for record in records}
        for type_id, name in EquipmentTypeAlias.objects.filter(equipment_type__in=records).values_list(
                "equipment_type_id", "name"):
            spellings[type_id].append(name)
        return spellings

    def autocomplete_label(self, record):
        return f"{record} ({record.get_category_display().lower()})" if record.category else str(record)


@admin.register(EquipmentTypeAlias)
class EquipmentTypeAliasAdmin(TrackedAdmin):
    list_display = ("name", "equipment_type", "normalised")
    list_select_related = ("equipment_type",)
    search_fields = ("name", "normalised", "equipment_type__name")
    autocomplete_fields = ("equipment_type",)


# --- events -----------------------------------------------------------------------------------


class EventLocationInline(TrackedTabularInline):
    model = EventLocation
    fields = ("location", "role", "precision")
    autocomplete_fields = ("location",)
    verbose_name_plural = "places"


class EventActorInline(TrackedTabularInline):
    model = EventActor
    fields = ("actor", "role")
    autocomplete_fields = ("actor",)
    verbose_name_plural = "actors"


class EventClaimInline(TrackedTabularInline):
    model = Claim
    fields = ("statement", "claimant", "document", "credibility", "verification_status")
    readonly_fields = fields
    can_delete = False
    verbose_name_plural = "claims about this event"

    def has_add_permission(self, request, obj=None):
        return False  # claims are entered from their document, with their quotes

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("claimant", "document")


def render_basis(basis):
    """A consensus row's per-claim basis as a small table: which claims were used and why."""
    if not basis:
        return "—"
    rows = format_html_join(
        "", "<tr><td><a href=\"{}\">#{}</a></td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
        ((reverse("admin:events_claim_change", args=[b["claim"]]), b["claim"], b["grade"],
          _range(b), "yes" if b["used"] else "no", b["reason"] + (" — conflicts" if b.get("conflict") else ""))
         for b in basis),
    )
    return format_html("<table><tr><th>Claim</th><th>Grade</th><th>Figure</th><th>Used</th><th>Why</th></tr>{}"
                       "</table>", rows)


def _range(entry):
    low, high = entry["low"], entry["high"]
    if low is None and high is None:
        return entry["qualifier"]
    if low == high:
        return str(low)
    return f"{low if low is not None else '?'}–{high if high is not None else '…'}"


def render_dissent(dissents):
    """An event's dissenting claims as a small table: who says what (the claimant as this reader
    may see it: Source.__str__ asks conflictdb.protection), stance, grade."""
    if not dissents:
        return "—"
    rows = format_html_join(
        "", "<tr><td><a href=\"{}\">#{}</a></td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
        ((reverse("admin:events_claim_change", args=[d.claim_id]), d.claim_id, d.claim.claimant, d.claim.grade,
          d.get_kind_display() + (f": {d.perpetrator}" if d.perpetrator_id else ""),
          protection.personal_text_of(protection.viewer(), d.claim, "statement"),
          ", ".join(f"#{pk}" for pk in d.against) or "—")
         for d in dissents),
    )
    return format_html("<table><tr><th>Claim</th><th>Claimant</th><th>Grade</th><th>Dissent</th><th>Says</th>"
                       "<th>Against</th></tr>{}</table>", rows)


class DissentInline(admin.TabularInline):
    """The event's dissenting claims (derived, read-only; rule in events/consensus.py)."""

    model = Dissent
    fk_name = "event"
    fields = ("claim_link", "claimant", "stance", "grade", "kind", "perpetrator", "statement", "against")
    readonly_fields = fields
    extra = 0
    can_delete = False
    verbose_name_plural = ("contested: claims that deny the event, explain it otherwise or name another "
                           "perpetrator (see docs/methodology.md)")

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("claim__claimant", "perpetrator")

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    @admin.display(description="Claim")
    def claim_link(self, obj):
        return format_html("<a href=\"{}\">#{}</a>", reverse("admin:events_claim_change", args=[obj.claim_id]),
                           obj.claim_id)

    @admin.display(description="Claimant")
    def claimant(self, obj):
        return str(obj.claim.claimant)

    @admin.display(description="Stance")
    def stance(self, obj):
        return obj.claim.get_stance_display()

    @admin.display(description="Grade")
    def grade(self, obj):
        return obj.claim.grade

    @admin.display(description="Says")
    def statement(self, obj):
        return protection.personal_text_of(protection.viewer(), obj.claim, "statement")


class ContestedEventFilter(admin.SimpleListFilter):
    """Events some claim denies, explains otherwise or gives another perpetrator (events.consensus)."""

    title = "contested"
    parameter_name = "contested"

    def lookups(self, request, model_admin):
        return [("yes", "Yes"), ("no", "No")]

    events = staticmethod(consensus.contested_events)  # the events' ids, as a subquery

    def queryset(self, request, queryset):
        if self.value() in ("yes", "no"):
            return by_events(queryset, "pk", self.events(), self.value() == "yes")
        return queryset


class ConflictingEventFilter(ContestedEventFilter):
    """Events with a consensus figure whose credible claims' ranges do not overlap."""

    title = "conflicting figures"
    parameter_name = "conflicting"
    events = staticmethod(consensus.conflicting_events)


class StaleConsensusFilter(admin.SimpleListFilter):
    """Events whose consensus an import marked out of date, waiting for the background refresh."""

    title = "consensus being recomputed"
    parameter_name = "consensus_stale"

    def lookups(self, request, model_admin):
        return [("yes", "Yes"), ("no", "No")]

    def queryset(self, request, queryset):
        if self.value() in ("yes", "no"):
            return queryset.filter(consensus_stale_mark__isnull=self.value() == "no")
        return queryset


class ConsensusInline(admin.TabularInline):
    """The event's consensus figures (derived, read-only; rule in events/consensus.py)."""

    model = ConsensusFigure
    fields = ("affiliation", "category", "subgroup", "outcome", "low", "best", "high", "independent_sources",
              "conflicting", "contested", "basis_table")
    readonly_fields = fields
    extra = 0
    can_delete = False
    verbose_name_plural = "consensus figures (low / best / high from the claims below; see docs/methodology.md)"

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    @admin.display(description="Basis")
    def basis_table(self, obj):
        return render_basis(obj.basis)


@admin.register(ConsensusFigure)
class ConsensusFigureAdmin(ReadOnlyAdmin):
    """Every event's consensus figures; filter on "conflicting" for the verifiers' worklist."""

    list_display = ("event", "affiliation", "category", "subgroup", "outcome", "low", "best", "high",
                    "claims_used", "independent_sources", "conflicting", "contested")
    list_select_related = ("event", "affiliation")
    list_filter = ("conflicting", "contested", "category", "outcome")
    search_fields = ("event__title", "affiliation__name")
    readonly_fields = ("basis_table", "dissent_table")
    exclude = ("basis",)

    @admin.display(description="Basis")
    def basis_table(self, obj):
        return render_basis(obj.basis)

    @admin.display(description="Dissenting claims (the event's)")
    def dissent_table(self, obj):
        return render_dissent(list(obj.event.dissents.select_related("claim__claimant", "perpetrator")))


class InConflictFilter(admin.SimpleListFilter):
    """Claims whose figure contradicts another credible claim about the same event."""

    title = "figure in conflict"
    parameter_name = "in_conflict"

    def lookups(self, request, model_admin):
        return [("yes", "Yes — to be reviewed")]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(pk__in=consensus.conflicting_claim_ids())
        return queryset


@admin.register(Event)
class EventAdmin(TrackedAdmin):
    list_display = ("title", "event_type", "sub_event_type", "date_start", "date_end", "date_precision",
                    "consensus_stale", "verification_status")
    list_filter = ("event_type", "sub_event_type", "date_precision", "civilian_targeting", ContestedEventFilter,
                   ConflictingEventFilter, StaleConsensusFilter, "verification_status")
    search_fields = ("title", "summary", "external_id", "acled_id", "ucdp_id")
    date_hierarchy = "date_start"
    fields = ("title", "summary", ("event_type", "sub_event_type"), ("date_start", "date_end", "date_precision"),
              "civilian_targeting", ("external_id", "acled_id", "ucdp_id"), "verification_status")
    inlines = [ConsensusInline, DissentInline, EventLocationInline, EventActorInline, EventClaimInline]
    change_list_template = "admin/events/event/change_list.html"

    @admin.display(boolean=True, description="consensus being recomputed")
    def consensus_stale(self, event):
        return event.consensus_stale

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("consensus_stale_mark")

    def autocomplete_exact(self, request, term):
        return naming.events_named(term)

    def changelist_view(self, request, extra_context=None):
        response = super().changelist_view(request, extra_context)
        changelist = getattr(response, "context_data", {}).get("cl")
        if changelist is not None:
            response.context_data["events_map"] = self._events_map(changelist.queryset)
        return response

    def _events_map(self, queryset):
        """The filtered events on a map: one point per located site of the first MAP_LIMIT events."""
        events = queryset.prefetch_related(
            Prefetch("event_places", queryset=EventLocation.objects.select_related("location"))
        )[:MAP_LIMIT]
        features = [
            point(link.location, f"{event.date_start:%Y-%m-%d} {event.title} — {link.location}",
                  reverse("admin:events_event_change", args=[event.pk]))
            for event in events for link in event.event_places.all() if link.location.latitude is not None
        ]
        return render_map("events-map", features,
                          f"The filtered events' located sites (first {MAP_LIMIT} events); places without "
                          "coordinates are not drawn.")


# --- claims and what they state ---------------------------------------------------------------


class ClaimExcerptInline(TrackedTabularInline):
    model = ClaimExcerpt
    fields = ("excerpt",)
    autocomplete_fields = ("excerpt",)
    verbose_name_plural = "quotes"


class ClaimInclusionInline(TrackedTabularInline):
    model = ClaimInclusion
    fields = ("event",)
    autocomplete_fields = ("event",)
    verbose_name_plural = "included events (their figures are already in this claim's; totals do not add them again)"


class CasualtyFigureInline(TrackedTabularInline):
    model = CasualtyFigure
    fields = ("affiliation", "category", "subgroup", "outcome", *QUANTITY_FIELDS, "perpetrator", "place", "date",
              "part_of")
    autocomplete_fields = ("affiliation", "perpetrator", "place")
    raw_id_fields = ("part_of",)


class EquipmentLossInline(TrackedTabularInline):
    model = EquipmentLoss
    fields = ("equipment_type", "status", *QUANTITY_FIELDS, "owner", "captor", "place", "evidence_url")
    autocomplete_fields = ("equipment_type", "owner", "captor", "place")


class TerritorialChangeInline(TrackedTabularInline):
    model = TerritorialChange
    fields = ("place", "kind", "gaining", "losing", "date")
    autocomplete_fields = ("place", "gaining", "losing")


class AttackInline(TrackedTabularInline):
    model = Attack
    fields = ("kind", "perpetrator", "place", "target", "weapon", *QUANTITY_FIELDS, "date")
    autocomplete_fields = ("perpetrator", "place")


class DisplacementInline(TrackedStackedInline):
    model = Displacement
    fields = (QUANTITY_FIELDS, ("unit", "date_start", "date_end"))


class CasualtyInline(TrackedStackedInline):
    model = Casualty
    fields = (("name", "name_ar"), ("age", "age_group", "sex"), ("category", "outcome", "occupation"),
              ("date", "place"), "figure")
    autocomplete_fields = ("place",)
    raw_id_fields = ("figure",)
    verbose_name_plural = "individual casualty records (personal data)"


@admin.register(Claim)
class ClaimAdmin(TrackedAdmin):
    list_display = ("__str__", "claimant", "grade", "document", "event", "date_start", "verification_status")
    list_select_related = ("claimant", "document", "event")
    list_filter = ("verification_status", InConflictFilter, "credibility", "claimant__reliability", "claimant__kind",
                   "stance")
    search_fields = ("statement", "external_id", "claimant__name", "document__title", "event__title")
    autocomplete_fields = ("event", "document", "claimant")
    date_hierarchy = "date_start"
    fields = ("document", "claimant", "event", "statement", "stance", ("date_start", "date_end", "date_precision"),
              "credibility", "external_id", "verification_status", "corroboration")
    inlines = [ClaimExcerptInline, ClaimInclusionInline, CasualtyFigureInline, EquipmentLossInline, TerritorialChangeInline,
               AttackInline, DisplacementInline, CasualtyInline]
    change_form_template = "admin/desk/claim_change_form.html"  # its quotes highlighted in their text

    def get_urls(self):
        return [*desk_urls(self), *super().get_urls()]

    @admin.display(description="Grade", ordering="claimant__reliability")
    def grade(self, obj):
        return obj.grade

    def get_readonly_fields(self, request, obj=None):
        return (*super().get_readonly_fields(request, obj), "corroboration")

    @admin.display(description="Corroboration")
    def corroboration(self, obj):
        """Which claims of the same event agree, and whether they are independent (events.consensus)."""
        if obj is None or obj.pk is None:
            return "—"
        result = consensus.corroboration(obj)
        supporting = format_html_join(", ", "<a href=\"{}\">#{}</a>", (
            (reverse("admin:events_claim_change", args=[pk]), pk) for pk in result.supporting)) or "none"
        verdict = "can be marked corroborated" if result.refusal is None else f"not yet: {result.refusal}"
        return format_html("Agreeing claims: {}. Independent sources: {}. {}", supporting,
                           result.independent_sources, verdict)


class ClaimChildAdmin(TrackedAdmin):
    """Shared shape of the admins of records that hang off a claim."""

    search_fields = ("claim__statement", "claim__external_id")
    date_hierarchy = "created_at"


@admin.register(CasualtyFigure)
class CasualtyFigureAdmin(ClaimChildAdmin):
    list_display = ("__str__", "claim", "affiliation", "category", "subgroup", "outcome", "low", "high", "qualifier",
                    "place", "verification_status")
    list_select_related = ("claim", "affiliation", "place")
    list_filter = ("category", "subgroup", "outcome", "qualifier", "verification_status")
    search_fields = ClaimChildAdmin.search_fields + ("wording", "affiliation__name")
    autocomplete_fields = ("claim", "affiliation", "perpetrator", "place")
    raw_id_fields = ("part_of",)


@admin.register(Casualty)
class CasualtyAdmin(ClaimChildAdmin):
    list_display = ("__str__", "claim", "category", "outcome", "sex", "age_group", "date", "place")
    list_select_related = ("claim", "place")
    list_filter = ("category", "outcome", "sex")
    autocomplete_fields = ("claim", "place")
    raw_id_fields = ("figure",)


@admin.register(EquipmentLoss)
class EquipmentLossAdmin(ClaimChildAdmin):
    list_display = ("__str__", "claim", "equipment_type", "status", "low", "high", "owner", "captor", "place",
                    "verification_status")
    list_select_related = ("claim", "equipment_type", "owner", "captor", "place")
    list_filter = ("status", "equipment_type__category", "verification_status")
    search_fields = ClaimChildAdmin.search_fields + ("wording", "equipment_type__name", "place__name")
    autocomplete_fields = ("claim", "equipment_type", "owner", "captor", "place")


@admin.register(TerritorialChange)
class TerritorialChangeAdmin(ClaimChildAdmin):
    list_display = ("__str__", "claim", "place", "kind", "gaining", "losing", "date", "verification_status")
    list_select_related = ("claim", "place", "gaining", "losing")
    list_filter = ("kind", "verification_status")
    search_fields = ClaimChildAdmin.search_fields + ("place__name", "place__aliases__name")
    autocomplete_fields = ("claim", "place", "gaining", "losing")

    def get_search_results(self, request, queryset, search_term):
        queryset, dup = super().get_search_results(request, queryset, search_term)
        return (queryset.distinct() if dup else queryset), False


@admin.register(Attack)
class AttackAdmin(ClaimChildAdmin):
    list_display = ("__str__", "claim", "kind", "perpetrator", "place", "target", "qualifier", "verification_status")
    list_select_related = ("claim", "perpetrator", "place")
    list_filter = ("kind", "verification_status")
    search_fields = ClaimChildAdmin.search_fields + ("place__name", "target", "weapon")
    autocomplete_fields = ("claim", "perpetrator", "place")


class DisplacementPlaceInline(TrackedTabularInline):
    model = DisplacementPlace
    fields = ("location", "role")
    autocomplete_fields = ("location",)


@admin.register(Displacement)
class DisplacementAdmin(ClaimChildAdmin):
    list_display = ("__str__", "claim", "unit", "qualifier", "low", "high", "date_start", "verification_status")
    list_select_related = ("claim",)
    list_filter = ("unit", "qualifier", "verification_status")
    autocomplete_fields = ("claim",)
    inlines = [DisplacementPlaceInline]
    ordering = ("-pk",)  # the model has no ordering: its autocomplete (from displacement places) pages stably


@admin.register(ClaimExcerpt)
class ClaimExcerptAdmin(ClaimChildAdmin):
    list_display = ("excerpt", "claim", "verification_status")
    list_select_related = ("claim", "excerpt")
    autocomplete_fields = ("claim", "excerpt")


@admin.register(EventLocation)
class EventLocationAdmin(TrackedAdmin):
    list_display = ("location", "event", "role", "precision")
    list_select_related = ("location", "event")
    list_filter = ("role", "precision")
    search_fields = ("location__name", "event__title")
    autocomplete_fields = ("event", "location")


@admin.register(ClaimInclusion)
class ClaimInclusionAdmin(TrackedAdmin):
    list_display = ("claim", "event")
    list_select_related = ("claim", "event")
    search_fields = ("claim__statement", "event__title")
    autocomplete_fields = ("claim", "event")


@admin.register(EventActor)
class EventActorAdmin(TrackedAdmin):
    list_display = ("actor", "event", "role")
    list_select_related = ("actor", "event")
    list_filter = ("role",)
    search_fields = ("actor__name", "event__title")
    autocomplete_fields = ("event", "actor")


@admin.register(DisplacementPlace)
class DisplacementPlaceAdmin(TrackedAdmin):
    list_display = ("location", "displacement", "role")
    list_select_related = ("location", "displacement")
    list_filter = ("role",)
    search_fields = ("location__name",)
    autocomplete_fields = ("displacement", "location")
