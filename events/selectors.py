"""Read-side domain queries shared by the API, the admin and exports (names → records: events.naming)."""

from events.models import ActorMembership, Location


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
