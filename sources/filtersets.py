import django_filters

from conflictdb import protection
from conflictdb.filtersets import TrackedFilterSet
from sources.models import Document, Excerpt, PersonalSpan, Reliability, Source, SourceAlias


class SourceFilterSet(TrackedFilterSet):
    kind = django_filters.MultipleChoiceFilter(choices=Source.Kind.choices, distinct=False)
    reliability = django_filters.MultipleChoiceFilter(choices=Reliability.choices, distinct=False,
                                                      help_text="Admiralty grade A–F.")
    name = django_filters.CharFilter(method="filter_name", help_text="Part of the name (of the public label, for a "
                                                                    "protected source you may not identify).")

    class Meta:
        model = Source
        fields = ["kind", "reliability", "country", "protected"]

    def filter_name(self, queryset, name, value):
        return queryset.filter(protection.search_q(getattr(self.request, "user", None), Source, "name", value))


class SourceAliasFilterSet(TrackedFilterSet):
    class Meta:
        model = SourceAlias
        fields = ["source"]


class DocumentFilterSet(TrackedFilterSet):
    published_after = django_filters.DateFilter(field_name="published_on", lookup_expr="gte")
    published_before = django_filters.DateFilter(field_name="published_on", lookup_expr="lte")
    text_sha256 = django_filters.CharFilter()
    url = django_filters.CharFilter(method="filter_url", help_text="Exact URL (never matches a protected "
                                                                   "publisher's document you may not identify).")

    class Meta:
        model = Document
        fields = ["publisher", "language", "derived_from", "derivation"]

    def filter_url(self, queryset, name, value):
        return queryset.filter(protection.search_q(getattr(self.request, "user", None), Document, "url", value,
                                                   lookup="exact"))


class ExcerptFilterSet(TrackedFilterSet):
    class Meta:
        model = Excerpt
        fields = ["document"]


class PersonalSpanFilterSet(TrackedFilterSet):
    state = django_filters.MultipleChoiceFilter(choices=PersonalSpan.State.choices, distinct=False)

    class Meta:
        model = PersonalSpan
        fields = ["document"]
