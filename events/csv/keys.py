"""How an import finds the events app's records by the names people use (registered by
events.csv.register into conflictdb.csvio.keys):

- location: `geonames:<id>` or a P-code decide; otherwise the place matcher
  (events.places.place_index().resolve) — exact names and aliases, transliteration variants,
  homonyms reported as ambiguous with their admin areas, never a silent guess;
- actor: name, short name or alias (events.selectors.find_actors's rule, loaded at once);
- equipment type: name, alias or an Oryx system name listed on the type;
- event, claim: external_id (conflictdb.csvio.keys loads them many at a time);
- displacement: the external_id of its claim (which must have exactly one displacement).
"""

from __future__ import annotations

from collections import defaultdict

from conflictdb.csvio.columns import ACTOR, CLAIM, EQUIPMENT_TYPE
from conflictdb.csvio.values import CellError
from events.models import Actor, ActorAlias, Displacement, EquipmentType, EquipmentTypeAlias, Location
from events.places import place_index

_PLACE_INDEX = "location:index"  # the resolver's table holding the place matcher


def displacement(resolver, value):
    claim_id = resolver.resolve(CLAIM, value)
    ids = list(Displacement.objects.filter(claim_id=claim_id).values_list("pk", flat=True)[:2])
    if len(ids) != 1:
        raise CellError(f"claim {value!r} has {len(ids) or 'no'} displacements; expected exactly one")
    return ids[0]


def actor(resolver, value):
    def rows():
        aliases = defaultdict(list)
        for actor_id, name in ActorAlias.objects.values_list("actor_id", "name"):
            aliases[actor_id].append(name)
        for pk, name, short in Actor.objects.values_list("pk", "name", "short_name"):
            yield (pk, name, short, *aliases[pk])

    return resolver.match_name(ACTOR, value, resolver.named(ACTOR, rows, "actor"), "actor")


def equipment_type(resolver, value):
    def rows():
        aliases = defaultdict(list)
        for type_id, name in EquipmentTypeAlias.objects.values_list("equipment_type_id", "name"):
            aliases[type_id].append(name)
        for pk, name, systems in EquipmentType.objects.values_list("pk", "name", "tracker_system_names"):
            yield (pk, name, *aliases[pk], *[s for s in (systems or "").split(",") if s.strip()])

    table = resolver.named(EQUIPMENT_TYPE, rows, "equipment type")
    return resolver.match_name(EQUIPMENT_TYPE, value, table, "equipment type")


def location(resolver, name, ref, within):
    if ref:
        if ref.lower().startswith("geonames:"):
            found = list(Location.objects.filter(geonames_id=ref.split(":", 1)[1].strip() or 0)
                         .values_list("pk", flat=True)) if ref.split(":", 1)[1].strip().isdigit() else []
        else:
            found = list(Location.objects.filter(pcode__iexact=ref).values_list("pk", flat=True))
        if not found:
            raise CellError(f"no place has the reference {ref!r} (a P-code such as SY0200, or geonames:<id>)")
        return found[0]
    by_code = list(Location.objects.filter(pcode__iexact=name).values_list("pk", flat=True)[:1])
    if by_code:
        return by_code[0]
    if _PLACE_INDEX not in resolver.tables:
        resolver.tables[_PLACE_INDEX] = place_index()
    resolution = resolver.tables[_PLACE_INDEX].resolve(name, within=within)
    if resolution.match is None:
        raise CellError(resolution.message)
    return resolution.match.location_id
