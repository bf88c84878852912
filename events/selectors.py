"""Read-side domain queries shared by the API, the admin and exports."""

from django.db.models import Q

from conflictdb.names import normalise_name
from events.models import Actor, ActorMembership, Location
from events.places import resolve_place


def area_and_descendants(location_ids) -> set[int]:
    """The given places and everything inside them (the admin hierarchy, walked level by level)."""
    found = set(location_ids)
    frontier = set(found)
    while frontier:
        children = set(Location.objects.filter(parent_id__in=frontier).values_list("id", flat=True)) - found
        found |= children
        frontier = children
    return found


def actor_and_members(actor_ids) -> set[int]:
    """The given actors and, for coalitions, their members (transitively)."""
    found = set(actor_ids)
    frontier = set(found)
    while frontier:
        members = set(ActorMembership.objects.filter(coalition_id__in=frontier).values_list("member_id", flat=True))
        frontier = members - found
        found |= frontier
    return found


def locations_in_bbox(min_lon, min_lat, max_lon, max_lat):
    return Location.objects.filter(
        latitude__gte=min_lat, latitude__lte=max_lat, longitude__gte=min_lon, longitude__lte=max_lon
    )


class PlaceNotResolved(LookupError):
    """A name that does not clearly mean one place; `resolution` says what it could be."""

    def __init__(self, resolution):
        super().__init__(resolution.message)
        self.resolution = resolution


def find_locations(value: str):
    """Locations a filter value names: an id, a P-code, an exact spelling (every homonym), or else
    the one place the matcher resolves the name to. Raises PlaceNotResolved with the candidates."""

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


def find_actors(value: str):
    value = value.strip()
    if value.isdigit():
        return Actor.objects.filter(pk=int(value))
    key = normalise_name(value)
    return Actor.objects.filter(
        Q(name__iexact=value) | Q(short_name__iexact=value) | Q(aliases__normalised=key)
    ).distinct()
