from conflictdb import protection
from conflictdb.api.fast import FastListMixin
from conflictdb.api.views import PROVENANCE_RELATED, GradedMixin, TrackedViewSet
from sources.api import serializers
from sources.filtersets import (
    DocumentFilterSet,
    ExcerptFilterSet,
    PersonalSpanFilterSet,
    SourceAliasFilterSet,
    SourceFilterSet,
)
from sources.models import Document, Excerpt, PersonalSpan, Source, SourceAlias

DOCUMENT_CHAIN = ("publisher", "derived_from__publisher", "derived_from__derived_from__publisher")


class SourceViewSet(GradedMixin, FastListMixin, TrackedViewSet):
    queryset = Source.objects.select_related(*PROVENANCE_RELATED).prefetch_related("aliases")
    serializer_class = serializers.SourceSerializer
    filterset_class = SourceFilterSet
    search_fields = ("name", "description")
    ordering_fields = ("id", "name", "reliability", "created_at", "updated_at")


class SourceAliasViewSet(FastListMixin, TrackedViewSet):
    queryset = SourceAlias.objects.select_related("source", *PROVENANCE_RELATED)
    serializer_class = serializers.SourceAliasSerializer
    filterset_class = SourceAliasFilterSet
    search_fields = ("name",)
    ordering_fields = ("id", "name")

    def get_queryset(self):
        # A protected source's aliases are its identity: left out for readers who may not see it.
        return protection.visible(self.request.user, super().get_queryset())


class DocumentViewSet(FastListMixin, TrackedViewSet):
    queryset = Document.objects.select_related(*DOCUMENT_CHAIN, *PROVENANCE_RELATED)
    serializer_class = serializers.DocumentSerializer
    filterset_class = DocumentFilterSet
    # The text is searched as its reader may see it: personal passages masked (conflictdb.protection).
    search_fields = ("title", "author", "url", "text")
    ordering_fields = ("id", "published_on", "title", "created_at", "updated_at")


class ExcerptViewSet(FastListMixin, TrackedViewSet):
    queryset = Excerpt.objects.select_related(*(f"document__{p}" for p in DOCUMENT_CHAIN), *PROVENANCE_RELATED)
    serializer_class = serializers.ExcerptSerializer
    filterset_class = ExcerptFilterSet
    search_fields = ("text",)
    ordering_fields = ("id", "start", "created_at")


class PersonalSpanViewSet(FastListMixin, TrackedViewSet):
    """Passages of documents marked as personal data. Their text is itself personal data: shown
    and written only for users who may see personal data (others see the offsets and the state)."""

    queryset = PersonalSpan.objects.select_related("document", *PROVENANCE_RELATED)
    serializer_class = serializers.PersonalSpanSerializer
    filterset_class = PersonalSpanFilterSet
    search_fields = ("text",)
    ordering_fields = ("id", "start", "created_at")
