"""The filters every tracked record shares, declared once (API now; admin where it fits)."""

import datetime

import django_filters
from django.db import models
from django.db.models import Q
from django.utils.functional import lazy
from django_filters.filterset import FILTER_FOR_DBFIELD_DEFAULTS
from rest_framework.exceptions import ValidationError

from conflictdb.models import ImportBatch, VerificationStatus
from conflictdb.provenance import Channel
from conflictdb.registry import registry

# "At least" order of verification: disputed/retracted/false are not on the ladder.
VERIFICATION_LADDER = [VerificationStatus.UNVERIFIED, VerificationStatus.CORROBORATED, VerificationStatus.VERIFIED]


def statuses_at_least(status):
    if status not in VERIFICATION_LADDER:
        return [status]
    return VERIFICATION_LADDER[VERIFICATION_LADDER.index(status):]


class UTCDateTimeFilter(django_filters.IsoDateTimeFilter):
    """ISO 8601 with any offset, compared in UTC (PostgreSQL refuses offsets beyond ±15:59)."""

    def filter(self, qs, value):
        if value is not None and value.tzinfo is not None:
            value = value.astimezone(datetime.timezone.utc)
        return super().filter(qs, value)


class NumberInFilter(django_filters.BaseInFilter, django_filters.NumberFilter):
    """Comma-separated numbers; anything else is a 400, not a database error."""


def _name_hint(model) -> str:
    resolver = registry["name_resolvers"].get(model)
    name = model._meta.verbose_name
    return f"{name.capitalize()} id, or {resolver[1]}." if resolver else f"{name.capitalize()} id."


_lazy_hint = lazy(_name_hint, str)


class NamedFilter(django_filters.CharFilter):
    """A foreign key given as the data names it: an id, or whatever the resolver its model's app
    registered reads (registry "name_resolvers": a name, an alias, a URL, an external id). Every
    record the value names matches (homonyms too); a value naming none — or naming only records
    the reader may not identify, such as a protected source by its real name — is a 400 that
    says what to give instead."""

    def __init__(self, *args, model, **kwargs):
        self.target = model  # the model the key points at (django-filter's `model` is the filtered one)
        kwargs.setdefault("help_text", _lazy_hint(model))
        super().__init__(*args, **kwargs)

    def _param(self):
        parent = getattr(self, "parent", None)
        filters = parent.filters if parent is not None else {}
        return next((name for name, candidate in filters.items() if candidate is self), self.field_name)

    def _reader(self):
        request = getattr(getattr(self, "parent", None), "request", None)
        return getattr(request, "user", None)

    def ids_for(self, value) -> list[int]:
        """The ids of the records `value` names, as this filter's reader may name them."""
        value = value.strip()
        label = self.target._meta.verbose_name
        if value.isdigit():
            if not self.target._default_manager.filter(pk=int(value)).exists():
                raise ValidationError({self._param(): f"No {label} has id {value}."})
            return [int(value)]
        resolver = registry["name_resolvers"].get(self.target)
        if resolver is None:
            raise ValidationError({self._param(): f"Give a {label} id (a {label} has no name to filter by)."})
        try:
            ids = list(resolver[0](value, self._reader()).values_list("pk", flat=True))
        except LookupError as unresolved:  # e.g. a place name the matcher cannot settle
            raise ValidationError({self._param(): str(unresolved)}) from None
        if not ids:
            raise ValidationError({self._param(): f"No {label} is called {value!r} (give an id, or {resolver[1]})."})
        return ids

    def filter(self, qs, value):
        if value in django_filters.constants.EMPTY_VALUES:
            return qs
        qs = qs.filter(**{f"{self.field_name}__in": self.ids_for(value)})
        return qs.distinct() if self.distinct else qs


def _named(field):
    return {"model": field.remote_field.model}


class NamedFilterSet(django_filters.FilterSet):
    """Every foreign key in Meta.fields is a NamedFilter: filtered by id or by name."""

    FILTER_DEFAULTS = {
        **FILTER_FOR_DBFIELD_DEFAULTS,
        models.ForeignKey: {"filter_class": NamedFilter, "extra": _named},
        models.OneToOneField: {"filter_class": NamedFilter, "extra": _named},
    }


class TrackedFilterSet(NamedFilterSet):
    id = NumberInFilter(field_name="id", help_text="One or more ids, comma separated.")
    # distinct=False: a plain column needs no SELECT DISTINCT (django-filter's default for
    # multiple choices, which makes a filtered page sort the whole match).
    verification_status = django_filters.MultipleChoiceFilter(
        choices=VerificationStatus.choices, distinct=False, help_text="Exact status; repeat for several."
    )
    verification_at_least = django_filters.ChoiceFilter(
        choices=[(s.value, s.label) for s in VERIFICATION_LADDER], method="filter_verification_at_least",
        help_text="unverified < corroborated < verified: this status or better.",
    )
    channel = django_filters.ChoiceFilter(choices=Channel.choices, help_text="The door the record came in through.")
    import_batch = NamedFilter(field_name="import_batch", model=ImportBatch)
    created_since = UTCDateTimeFilter(field_name="created_at", lookup_expr="gte",
                                      help_text="Created at or after (ISO 8601).")
    updated_since = UTCDateTimeFilter(field_name="updated_at", lookup_expr="gte",
                                      help_text="Changed at or after (ISO 8601).")

    def filter_verification_at_least(self, queryset, name, value):
        return queryset.filter(verification_status__in=statuses_at_least(value))


def overlapping(prefix, date_from, date_to):
    """Q for records whose [start, end] range overlaps [date_from, date_to] (either bound optional)."""
    condition = Q()
    if date_from:
        condition &= Q(**{f"{prefix}date_end__gte": date_from})
    if date_to:
        condition &= Q(**{f"{prefix}date_start__lte": date_to})
    return condition
