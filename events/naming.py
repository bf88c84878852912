"""Names → records, for every door: the desk, the API's filters and place look-ups, the seed
loader (sources are named in sources.naming). One rule per kind:

- place: an id, a P-code (any case), an exact spelling (a name or an alias key: every homonym),
  else the one place the matcher (events.places.resolve_place) resolves the name to; a name it
  cannot settle raises PlaceNotResolved with its candidates. One place only (a file's cell): a
  P-code, else the matcher's single match (one_place_id). By reference: a P-code or
  `geonames:<id>`.
- actor: an id, its name or short name (any case), or an alias key.
- equipment type: its name (any case) or an alias key.
- event: its title (any case), or the label it is shown by (date and title).
- every spelling of every actor / equipment type as rows (actor_spellings,
  equipment_type_spellings), for doors that match many names against one table (CSV keys);
- any of places, actors and equipment types by exact alias keys at once (the names found in a
  passage): what the database already knows, never a guessed spelling.

Alias keys are conflictdb.names.normalise_name, the key every alias table stores.
"""

from __future__ import annotations

import re
from collections import defaultdict

from django.db.models import Q

from conflictdb.names import normalise_name
from events.models import (
    Actor,
    ActorAlias,
    EquipmentType,
    EquipmentTypeAlias,
    Event,
    Location,
    LocationAlias,
)
from events.places import resolve_place


class PlaceNotResolved(LookupError):
    """A name that does not clearly mean one place; `resolution` says what it could be."""

    def __init__(self, resolution):
        super().__init__(resolution.message)
        self.resolution = resolution


def places_named(value: str):
    """Locations a value names: an id, a P-code, an exact spelling (every homonym), or else the
    one place the matcher resolves the name to. Raises PlaceNotResolved with the candidates."""
    value = value.strip()
    if value.isdigit():
        return Location.objects.filter(pk=int(value))
    by_code = Location.objects.filter(pcode__iexact=value)
    if by_code.exists():
        return by_code
    key = normalise_name(value)
    exact = Location.objects.filter(Q(aliases__normalised=key) | Q(name__iexact=value)).distinct()
    if exact.exists():
        return exact
    resolution = resolve_place(value)
    if resolution.match is None:
        raise PlaceNotResolved(resolution)
    return Location.objects.filter(pk=resolution.match.location_id)


def one_place_id(name: str, *, index=None, **scope) -> int:
    """The id of the one place a name means, for doors that take no homonyms (a file's cell): a
    P-code decides, else the matcher (`index`, a PlaceIndex kept for a whole file, or the shared
    one) with resolve_place's scope (within, near, radius_km, kinds); PlaceNotResolved otherwise."""
    by_code = place_by_pcode(name.strip())
    if by_code is not None:
        return by_code.pk
    resolution = index.resolve(name, **scope) if index is not None else resolve_place(name, **scope)
    if resolution.match is None:
        raise PlaceNotResolved(resolution)
    return resolution.match.location_id


def place_by_pcode(pcode: str) -> Location | None:
    return Location.objects.filter(pcode__iexact=pcode).first() if pcode else None


def place_by_reference(reference: str) -> Location | None:
    """The place a reference decides: `geonames:<id>` or a P-code (None when none has it)."""
    reference = reference.strip()
    if reference.lower().startswith("geonames:"):
        geonames_id = reference.split(":", 1)[1].strip()
        return Location.objects.filter(geonames_id=geonames_id).first() if geonames_id.isdigit() else None
    return place_by_pcode(reference)


def actors_named(value: str):
    """Actors a value names: an id, the name or short name in any case, or an alias key."""
    value = value.strip()
    if value.isdigit():
        return Actor.objects.filter(pk=int(value))
    key = normalise_name(value)
    return Actor.objects.filter(
        Q(name__iexact=value) | Q(short_name__iexact=value) | Q(aliases__normalised=key)
    ).distinct()


def equipment_types_named(name: str):
    """Equipment types a name names: the name in any case, or an alias key."""
    name = name.strip()
    return EquipmentType.objects.filter(Q(name__iexact=name) | Q(aliases__normalised=normalise_name(name))).distinct()


def events_named(text: str):
    """Events a text names: the title in any case, or the label an event is shown by ("2024-11-27 title")."""
    return Event.objects.filter(title__iexact=re.sub(r"^\d{4}-\d\d-\d\d ", "", text.strip()))


def actor_spellings():
    """(id, name, short name, *aliases) for every actor: the spellings that name it, for doors
    that match many names at once against one table (a file's cells)."""
    aliases = defaultdict(list)
    for actor_id, name in ActorAlias.objects.values_list("actor_id", "name"):
        aliases[actor_id].append(name)
    for pk, name, short in Actor.objects.values_list("pk", "name", "short_name"):
        yield (pk, name, short, *aliases[pk])


def equipment_type_spellings():
    """(id, name, *aliases, *tracker system names) for every equipment type (a file's cells may
    also name a type by an Oryx system name listed on it)."""
    aliases = defaultdict(list)
    for type_id, name in EquipmentTypeAlias.objects.values_list("equipment_type_id", "name"):
        aliases[type_id].append(name)
    for pk, name, systems in EquipmentType.objects.values_list("pk", "name", "tracker_system_names"):
        yield (pk, name, *aliases[pk], *[s for s in (systems or "").split(",") if s.strip()])


# Which alias table names each kind of record, and the alias's field pointing at the record.
ALIAS_TABLES = {
    "places": (LocationAlias, "location"),
    "actors": (ActorAlias, "actor"),
    "equipment_types": (EquipmentTypeAlias, "equipment_type"),
}


def named_by_alias_keys(keys) -> dict[str, dict[str, list]]:
    """{kind: {alias key: [records it names, oldest alias first]}} for the keys any alias stores
    (one query per kind; a key several records share names each of them)."""
    found = {}
    for kind, (alias_model, target) in ALIAS_TABLES.items():
        records: dict[str, list] = {}
        for alias in alias_model.objects.filter(normalised__in=keys).select_related(target).order_by("pk"):
            records.setdefault(alias.normalised, []).append(getattr(alias, target))
        found[kind] = records
    return found


def register_name_resolvers():
    """How a filter on a foreign key to these models reads a name (conflictdb.filtersets.NamedFilter)."""
    from conflictdb.registry import registry
    from events.models import Claim

    def events_called(value, user):
        return Event.objects.filter(Q(pk__in=events_named(value).values("pk")) | Q(external_id=value.strip()))

    registry["name_resolvers"].update({
        Actor: (lambda value, user: actors_named(value), "its name, short name or an alias"),
        Location: (lambda value, user: places_named(value), "a P-code or a spelling"),
        EquipmentType: (lambda value, user: equipment_types_named(value), "its name or an alias"),
        Event: (events_called, "its title, its label (date and title) or its external id"),
        Claim: (lambda value, user: Claim.objects.filter(external_id=value.strip()), "its external id"),
    })
