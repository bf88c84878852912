"""Names → sources, for every door: a source is named by its name (any case) or an alias (the
exact comparison key of conflictdb.names, the key SourceAlias stores)."""

from django.db.models import Q

from conflictdb.names import normalise_name
from sources.models import Source


def sources_named(name: str):
    """Every source `name` names: its name in any case, or an alias's key."""
    name = name.strip()
    return Source.objects.filter(Q(name__iexact=name) | Q(aliases__normalised=normalise_name(name))).distinct()
