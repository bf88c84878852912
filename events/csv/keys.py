"""How an import finds the events app's records by the names people use (registered by
events.csv.register into conflictdb.csvio.keys):

- location: `geonames:<id>` or a P-code decide; otherwise the place matcher (events.naming.one_place_id
  over one events.places.place_index() for the file) — exact names and aliases, transliteration variants,
  homonyms reported as ambiguous with their admin areas, never a silent guess;
- actor: name, short name or alias (the spellings events.naming lists, loaded at once);
- equipment type: name, alias or an Oryx system name listed on the type;
- event, claim: external_id (conflictdb.csvio.keys loads them many at a time);
- displacement: the external_id of its claim (which must have exactly one displacement).
"""

from __future__ import annotations

from conflictdb.csvio.columns import ACTOR, CLAIM, EQUIPMENT_TYPE
from conflictdb.csvio.values import CellError
from events import naming
from events.models import Displacement
from events.places import place_index

_PLACE_INDEX = "location:index"  # the resolver's table holding the place matcher


def displacement(resolver, value):
    claim_id = resolver.resolve(CLAIM, value)
    ids = list(Displacement.objects.filter(claim_id=claim_id).values_list("pk", flat=True)[:2])
    if len(ids) != 1:
        raise CellError(f"claim {value!r} has {len(ids) or 'no'} displacements; expected exactly one")
    return ids[0]


def actor(resolver, value):
    table = resolver.named(ACTOR, naming.actor_spellings, "actor")
    return resolver.match_name(ACTOR, value, table, "actor")


def equipment_type(resolver, value):
    table = resolver.named(EQUIPMENT_TYPE, naming.equipment_type_spellings, "equipment type")
    return resolver.match_name(EQUIPMENT_TYPE, value, table, "equipment type")


def location(resolver, name, ref, within):
    if ref:
        found = naming.place_by_reference(ref)
        if found is None:
            raise CellError(f"no place has the reference {ref!r} (a P-code such as SY0200, or geonames:<id>)")
        return found.pk
    if _PLACE_INDEX not in resolver.tables:  # one matcher for the whole file
        resolver.tables[_PLACE_INDEX] = place_index()
    try:
        return naming.one_place_id(name, index=resolver.tables[_PLACE_INDEX], within=within)
    except naming.PlaceNotResolved as error:
        raise CellError(error.resolution.message) from error
