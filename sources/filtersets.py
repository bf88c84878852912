import django_filters

from conflictdb.filtersets import TrackedFilterSet
from sources.models import Document, Excerpt, Reliability, Source, SourceAlias


class SourceFilterSet(TrackedFilterSet):
    kind = django_filters.MultipleChoiceFilter(choices=Source.Kind.choices, distinct=False)
    reliability = django_filters.MultipleChoiceFilter(choices=Reliability.choices, distinct=False,
                                                      help_text="Admiralty grade A–F.")
    name = django_filters.CharFilter(lookup_expr="icontains")

    class Meta:
        model = Source
        fields = ["kind", "reliability", "country", "protected"]


class SourceAliasFilterSet(TrackedFilterSet):
    class Meta:
        model = SourceAlias
        fields = ["source"]


class DocumentFilterSet(TrackedFilterSet):
    published_after = django_filters.DateFilter(field_name="published_on", lookup_expr="gte")
    published_before = django_filters.DateFilter(field_name="published_on", lookup_expr="lte")
    text_sha256 = django_filters.CharFilter()
    url = django_filters.CharFilter()

    class Meta:
        model = Document
        fields = ["publisher", "language", "derived_from", "derivation"]


class ExcerptFilterSet(TrackedFilterSet):
    class Meta:
        model = Excerpt
        fields = ["document"]
