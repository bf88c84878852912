"""Small builders for test records: one valid instance of every model, and many at once.

`build(model, i, world)` returns an unsaved, valid instance number i of `model`, resting on the
shared `world` (one source, document, excerpt, actor, place, event, claim...). Used by the model
tests and by the query-budget tests that fill every changelist with N rows.
"""

import datetime
import itertools
from decimal import Decimal

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
    Displacement,
    DisplacementPlace,
    EquipmentLoss,
    EquipmentType,
    EquipmentTypeAlias,
    Event,
    ClaimInclusion,
    EventActor,
    EventLocation,
    Location,
    LocationAlias,
    SourceAffiliation,
    TerritorialChange,
)
from events.vocabularies import EventType, Qualifier, SubEventType
from django.contrib.contenttypes.models import ContentType

from conflictdb import provenance
from conflictdb.models import GradeChange, ImportBatch, Job, ProtectedRead, VerificationTransition
from sources.models import Document, Excerpt, PersonalSpan, Source, SourceAlias

DAY = datetime.date(2024, 11, 27)
_counter = itertools.count()


def unique(prefix):
    return f"{prefix} {next(_counter)}"


def make_world():
    """One of each parent record, saved."""
    w = {}
    w["source"] = Source.objects.create(name=unique("Outlet"), kind=Source.Kind.NEWS_OUTLET)
    w["document"] = Document.objects.create(
        publisher=w["source"], title=unique("Report"), text="Ten fighters were killed in Hoor. " * 100
    )
    w["excerpt"] = Excerpt.objects.create(document=w["document"], start=0, end=33, text="Ten fighters were killed in Hoor.")
    w["actor"] = Actor.objects.create(name=unique("Faction"), kind=Actor.Kind.REBEL_GROUP)
    w["actor2"] = Actor.objects.create(name=unique("Army"), kind=Actor.Kind.STATE_FORCES)
    w["governorate"] = Location.objects.create(name=unique("Governorate"), kind=Location.Kind.GOVERNORATE)
    w["location"] = Location.objects.create(name=unique("Village"), kind=Location.Kind.COMMUNITY, parent=w["governorate"])
    w["equipment_type"] = EquipmentType.objects.create(name=unique("Tank"), category=EquipmentType.Category.TANK)
    w["event"] = Event.objects.create(
        title=unique("Clash"), event_type=EventType.BATTLES, sub_event_type=SubEventType.ARMED_CLASH,
        date_start=DAY, date_end=DAY,
    )
    w["claim"] = Claim.objects.create(
        document=w["document"], claimant=w["source"], event=w["event"], statement="Ten fighters killed", date_start=DAY,
    )
    w["displacement"] = Displacement.objects.create(claim=w["claim"], qualifier=Qualifier.UNKNOWN, wording="a large displacement")
    w["figure"] = CasualtyFigure.objects.create(
        claim=w["claim"], category="combatant", outcome="killed", low=10, high=10, affiliation=w["actor"]
    )
    return w


def build(model, i, w):
    """An unsaved valid instance number i of `model` in world `w`."""
    n = next(_counter)
    builders = {
        Source: lambda: Source(name=f"Source {n}", kind=Source.Kind.MONITOR, reliability="C"),
        SourceAlias: lambda: SourceAlias(source=w["source"], name=f"Alias {n}"),
        Document: lambda: Document(publisher=w["source"], title=f"Document {n}", text=f"Text {n}",
                                   published_on=DAY),
        Excerpt: lambda: Excerpt(document=w["document"], start=i, end=i + 5, text=w["document"].text[i : i + 5]),
        PersonalSpan: lambda: PersonalSpan(document=w["document"], start=(s := 34 * (i % 100) + (i // 100) % 30),
                                           end=s + 4, text=w["document"].text[s:s + 4]),
        Actor: lambda: Actor(name=f"Actor {n}", kind=Actor.Kind.MILITIA),
        ActorAlias: lambda: ActorAlias(actor=w["actor"], name=f"Actor alias {n}"),
        ActorMembership: lambda: ActorMembership(member=Actor.objects.create(name=f"Member {n}", kind="militia"),
                                                 coalition=w["actor"]),
        SourceAffiliation: lambda: SourceAffiliation(source=Source.objects.create(name=f"Speaker {n}", kind="official"),
                                                     actor=w["actor"]),
        Location: lambda: Location(name=f"Place {n}", kind=Location.Kind.COMMUNITY, parent=w["governorate"],
                                   latitude=Decimal("36.1"), longitude=Decimal("36.9"), coordinate_precision="approximate"),
        LocationAlias: lambda: LocationAlias(location=w["location"], name=f"Spelling {n}"),
        EquipmentType: lambda: EquipmentType(name=f"Type {n}", category=EquipmentType.Category.OTHER),
        EquipmentTypeAlias: lambda: EquipmentTypeAlias(equipment_type=w["equipment_type"], name=f"Eq alias {n}"),
        Event: lambda: Event(title=f"Event {n}", event_type=EventType.EXPLOSIONS, sub_event_type=SubEventType.SHELLING,
                             date_start=DAY, date_end=DAY),
        EventLocation: lambda: EventLocation(event=w["event"], location=Location.objects.create(name=f"Site {n}", kind="community")),
        EventActor: lambda: EventActor(event=w["event"], actor=Actor.objects.create(name=f"Side {n}", kind="militia"), role="side_a"),
        Claim: lambda: Claim(document=w["document"], claimant=w["source"], event=w["event"], statement=f"Claim {n}",
                             date_start=DAY),
        ClaimExcerpt: lambda: ClaimExcerpt(claim=w["claim"], excerpt=Excerpt.objects.create(
            document=w["document"], start=i + 1500, end=i + 1504, text=w["document"].text[i + 1500 : i + 1504])),
        ClaimInclusion: lambda: ClaimInclusion(claim=w["claim"], event=Event.objects.create(
            title=f"Included {n}", event_type=EventType.EXPLOSIONS, sub_event_type=SubEventType.SHELLING,
            date_start=DAY, date_end=DAY)),
        CasualtyFigure: lambda: CasualtyFigure(claim=w["claim"], affiliation=w["actor"], category="combatant",
                                               outcome="killed", low=i, high=i + 2, qualifier=Qualifier.RANGE,
                                               place=w["location"]),
        Casualty: lambda: Casualty(claim=w["claim"], category="civilian", outcome="injured", place=w["location"]),
        EquipmentLoss: lambda: EquipmentLoss(claim=w["claim"], equipment_type=w["equipment_type"], status="captured",
                                             low=1, high=1, owner=w["actor2"], captor=w["actor"], place=w["location"]),
        TerritorialChange: lambda: TerritorialChange(claim=w["claim"], place=w["location"], gaining=w["actor"],
                                                     losing=w["actor2"]),
        Attack: lambda: Attack(claim=w["claim"], kind="air_strike", perpetrator=w["actor2"], place=w["location"],
                               qualifier=Qualifier.MULTIPLE),
        Displacement: lambda: Displacement(claim=w["claim"], qualifier=Qualifier.UNKNOWN),
        DisplacementPlace: lambda: DisplacementPlace(displacement=w["displacement"], location=Location.objects.create(
            name=f"Camp {n}", kind="camp"), role="destination"),
        ImportBatch: lambda: ImportBatch(file_name=f"file{n}.csv", sha256="0" * 64, layout="claims"),
        Job: lambda: Job(kind=Job.Kind.IMPORT, target="claim", directory=f"factory-job-{n}", file_name=f"file{n}.csv",
                         user=provenance.current().user),
        VerificationTransition: lambda: VerificationTransition(
            content_type=ContentType.objects.get_for_model(Claim), object_id=w["claim"].pk, from_status="unverified",
            to_status="disputed", user=provenance.current().user, reason=f"reason {n}", channel="admin"),
        GradeChange: lambda: GradeChange(
            content_type=ContentType.objects.get_for_model(Claim), object_id=w["claim"].pk, field="credibility",
            from_value="6", to_value="3", user=provenance.current().user, reason=f"reason {n}", channel="admin"),
        ProtectedRead: lambda: ProtectedRead(
            user=provenance.current().user, door="admin", path=f"/admin/{n}/", kind="source",
            content_type=ContentType.objects.get_for_model(Source), object_id=w["source"].pk),
        ConsensusFigure: lambda: ConsensusFigure(
            event=w["event"], category="civilian", outcome="killed", low=n, best=n, high=n + 1, claims_used=1,
            independent_sources=1, basis=[{"claim": w["claim"].pk, "figure": None, "grade": "F6", "low": n,
                                           "high": n + 1, "qualifier": "range", "used": True, "reason": "used"}]),
    }
    return builders[model]()


def fill(model, count, world):
    """Save `count` rows of `model` (bulk where the model allows it)."""
    first = world.setdefault("_next_index", {}).get(model, 0)
    world["_next_index"][model] = first + count
    objs = [build(model, i, world) for i in range(first, first + count)]
    return model.objects.bulk_create(objs)
