"""The filters every tracked record shares, declared once (API now; admin where it fits)."""

import datetime

import django_filters
from django.db.models import Q

from conflictdb.models import VerificationStatus
from conflictdb.provenance import Channel

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


class TrackedFilterSet(django_filters.FilterSet):
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
    import_batch = django_filters.NumberFilter(field_name="import_batch_id", help_text="Import batch id.")
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
