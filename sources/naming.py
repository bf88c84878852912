"""Names → sources, for every door: a source is named by its name (any case) or an alias (the
exact comparison key of conflictdb.names, the key SourceAlias stores)."""

from django.db.models import Q

from conflictdb import protection
from conflictdb.names import normalise_name
from sources.models import Document, Source


def sources_named(name: str):
    """Every source `name` names: its name in any case, or an alias's key."""
    name = name.strip()
    return Source.objects.filter(Q(name__iexact=name) | Q(aliases__normalised=normalise_name(name))).distinct()


def sources_a_reader_names(name: str, user):
    """The sources `name` names as `user` may name them: a protected source they may not
    identify is named by its public label only, never by its real name or an alias."""
    name = name.strip()
    by_name = protection.search_q(user, Source, "name", name, lookup="iexact")
    by_alias = protection.search_q(user, Source, "aliases__normalised", normalise_name(name), lookup="exact")
    by_label = Q(protected=True, public_label__iexact=name)  # public: whoever sees a report can name it so
    return Source.objects.filter(pk__in=Source.objects.filter(by_name | by_alias | by_label).values("pk"))


def documents_a_reader_names(value: str, user):
    """Documents by exact URL (never one whose URL is hidden from `user`) or external id."""
    value = value.strip()
    return Document.objects.filter(protection.search_q(user, Document, "url", value, lookup="exact")
                                   | Q(external_id=value))


def register_name_resolvers():
    """How a filter on a foreign key to these models reads a name (conflictdb.filtersets.NamedFilter)."""
    from conflictdb.registry import registry

    registry["name_resolvers"].update({
        Source: (sources_a_reader_names, "its name, an alias, or the public label of a protected source"),
        Document: (documents_a_reader_names, "its exact URL or its external id"),
    })
