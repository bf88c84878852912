from rest_framework import serializers

from conflictdb.api.fields import NestedRelatedField
from conflictdb.api.serializers import BriefSerializer, TrackedSerializer
from sources.models import Document, Excerpt, Source, SourceAlias


class SourceBriefSerializer(BriefSerializer):
    class Meta:
        model = Source
        fields = ("id", "name", "kind", "reliability")


class SourceSerializer(TrackedSerializer):
    aliases = serializers.SlugRelatedField(many=True, read_only=True, slug_field="name")

    class Meta(TrackedSerializer.Meta):
        model = Source
        fields = ("id", "name", "kind", "description", "url", "country", "languages", "reliability", "protected",
                  "public_label", "aliases", "verification_status", "provenance")
        brief_fields = ("id", "name", "kind", "reliability")


class SourceAliasSerializer(TrackedSerializer):
    source = NestedRelatedField(SourceBriefSerializer, queryset=Source.objects.all())

    class Meta(TrackedSerializer.Meta):
        model = SourceAlias
        fields = ("id", "source", "name", "normalised", "verification_status", "provenance")
        read_only_fields = ("normalised", "verification_status")
        brief_fields = ("id", "name")


class DocumentOriginSerializer(serializers.ModelSerializer):
    """One link of a derivation chain."""

    publisher = serializers.CharField(source="publisher.name")

    class Meta:
        model = Document
        fields = ("id", "title", "url", "publisher", "language", "published_on", "derivation")


class DocumentBriefSerializer(BriefSerializer):
    publisher = serializers.CharField(source="publisher.name")
    derived_from_chain = serializers.SerializerMethodField(
        help_text="What this document translates or republishes, nearest first, to the original."
    )

    class Meta:
        model = Document
        fields = ("id", "title", "url", "publisher", "published_on", "language", "derivation", "derived_from_chain")

    def get_derived_from_chain(self, document) -> list[dict]:
        return DocumentOriginSerializer(document.provenance_chain()[1:], many=True).data


class DocumentSerializer(TrackedSerializer):
    publisher = NestedRelatedField(SourceBriefSerializer, queryset=Source.objects.all())
    derived_from = serializers.PrimaryKeyRelatedField(queryset=Document.objects.all(), allow_null=True, required=False)
    derived_from_chain = serializers.SerializerMethodField(
        help_text="What this document translates or republishes, nearest first, to the original."
    )

    class Meta(TrackedSerializer.Meta):
        model = Document
        fields = ("id", "title", "publisher", "author", "url", "published_on", "published_precision", "retrieved_at",
                  "language", "text", "text_sha256", "archive_url", "derived_from", "derivation",
                  "derived_from_chain", "notes", "external_id", "verification_status", "provenance")
        read_only_fields = ("text_sha256", "verification_status")
        brief_fields = ("id", "title", "url", "published_on")

    def get_derived_from_chain(self, document) -> list[dict]:
        return DocumentOriginSerializer(document.provenance_chain()[1:], many=True).data


class ExcerptBriefSerializer(BriefSerializer):
    class Meta:
        model = Excerpt
        fields = ("id", "document", "start", "end", "text")


class ExcerptSerializer(TrackedSerializer):
    document = NestedRelatedField(DocumentBriefSerializer, queryset=Document.objects.all())

    class Meta(TrackedSerializer.Meta):
        model = Excerpt
        fields = ("id", "document", "start", "end", "text", "prefix", "suffix", "verification_status", "provenance")
        read_only_fields = ("prefix", "suffix", "verification_status")
        brief_fields = ("id", "start", "end", "text")
