import functools

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from conflictdb import protection
from conflictdb.api import fast
from conflictdb.api.fields import MaskedCharField, MaskedURLField, NestedRelatedField, sight_of
from conflictdb.api.serializers import BriefSerializer, TrackedSerializer
from sources.models import Document, Excerpt, PersonalSpan, Source, SourceAlias

# Personal passages are masked in text for readers who may not see personal data (conflictdb.protection).
PERSONAL_TEXT_HELP = ("Personal passages (names, ages) are masked character for character (█) unless you may see "
                      "personal data; offsets stay valid.")


class SourceBriefSerializer(BriefSerializer):
    name = MaskedCharField(max_length=200, mask=protection.SOURCE_NAME,
                           help_text="The public label for a protected source, unless you may see its identity.")

    class Meta:
        model = Source
        fields = ("id", "name", "kind", "reliability")


class SourceSerializer(TrackedSerializer):
    # A protected source's identity is masked for readers without permission (conflictdb.protection).
    name = MaskedCharField(max_length=200, mask=protection.SOURCE_NAME,
                           help_text="The public label for a protected source, unless you may see its identity.")
    description = MaskedCharField(required=False, allow_blank=True, mask=protection.SOURCE_DETAIL)
    url = MaskedURLField(max_length=500, required=False, allow_blank=True, mask=protection.SOURCE_DETAIL)
    aliases = serializers.SerializerMethodField(help_text="Spellings of the name; none shown for a protected source "
                                                          "unless you may see its identity.")

    class Meta(TrackedSerializer.Meta):
        model = Source
        fields = ("id", "name", "kind", "description", "url", "country", "languages", "reliability", "protected",
                  "public_label", "aliases", "verification_status", "provenance")
        brief_fields = ("id", "name", "kind", "reliability")

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_aliases(self, source) -> list[str]:
        if source.protected and not sight_of(self.context).sources:
            return []
        return [alias.name for alias in source.aliases.all()]


class SourceAliasSerializer(TrackedSerializer):
    source = NestedRelatedField(SourceBriefSerializer, queryset=Source.objects.all())

    class Meta(TrackedSerializer.Meta):
        model = SourceAlias
        fields = ("id", "source", "name", "normalised", "verification_status", "provenance")
        read_only_fields = ("normalised", "verification_status")
        brief_fields = ("id", "name")


class DocumentOriginSerializer(serializers.ModelSerializer):
    """One link of a derivation chain."""

    publisher = MaskedCharField(source="publisher.name", mask=protection.SOURCE_NAME)
    url = MaskedURLField(mask=protection.PUBLISHER_DETAIL)

    class Meta:
        model = Document
        fields = ("id", "title", "url", "publisher", "language", "published_on", "derivation")


def derived_from_chain(serializer, document) -> list[dict]:
    """The document's origins, nearest first (one DocumentOriginSerializer reused for every row)."""
    chain = document.provenance_chain()[1:]
    if not chain:
        return []
    origin = serializer.__dict__.get("_origin_serializer")
    if origin is None:
        origin = serializer._origin_serializer = DocumentOriginSerializer(context=serializer.context)
    return [origin.to_representation(link) for link in chain]


class DocumentBriefSerializer(BriefSerializer):
    publisher = MaskedCharField(source="publisher.name", mask=protection.SOURCE_NAME)
    url = MaskedURLField(mask=protection.PUBLISHER_DETAIL)
    derived_from_chain = serializers.SerializerMethodField(
        help_text="What this document translates or republishes, nearest first, to the original."
    )

    class Meta:
        model = Document
        fields = ("id", "title", "url", "publisher", "published_on", "language", "derivation", "derived_from_chain")

    def get_derived_from_chain(self, document) -> list[dict]:
        return derived_from_chain(self, document)


class DocumentSerializer(TrackedSerializer):
    publisher = NestedRelatedField(SourceBriefSerializer, queryset=Source.objects.all())
    # A protected publisher's documents: address and by-line name it (conflictdb.protection).
    author = MaskedCharField(max_length=200, required=False, allow_blank=True, mask=protection.PUBLISHER_DETAIL)
    url = MaskedURLField(max_length=1000, required=False, allow_blank=True, mask=protection.PUBLISHER_DETAIL)
    archive_url = MaskedURLField(max_length=1000, required=False, allow_blank=True, mask=protection.PUBLISHER_DETAIL)
    text = MaskedCharField(required=False, allow_blank=True, trim_whitespace=False, mask=Document.PROTECTED_FIELDS["text"],
                           help_text="The full body. " + PERSONAL_TEXT_HELP)
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
        return derived_from_chain(self, document)


@fast.register_method(DocumentBriefSerializer.get_derived_from_chain)
@fast.register_method(DocumentSerializer.get_derived_from_chain)
def _derived_from_chain_columns(compiler, serializer, model, prefix):
    """derived_from_chain for the fast list path: two levels from columns (the depth the list
    querysets select), anything deeper walked as Document.provenance_chain does."""
    origin = DocumentOriginSerializer(context=serializer.context)
    ids = [compiler.column(prefix + "id")]
    bodies, link = [], prefix
    for _ in range(2):
        link += "derived_from__"
        ids.append(compiler.column(link + "id"))
        bodies.append(compiler.serializer(origin, Document, link))
    beyond = compiler.constant(functools.partial(_chain_beyond, sight=compiler.sight), "chain")
    expression = f"{beyond}({compiler.column(link + 'derived_from')}, ({', '.join(ids)}))"
    for level in (2, 1):  # innermost first: each level only when its document exists and is new
        seen = ", ".join(ids[:level])
        expression = f"([] if {ids[level]} is None or {ids[level]} in ({seen},) else [{bodies[level - 1]}] + {expression})"
    return expression


def _chain_beyond(pk, seen, sight=protection.NOBODY):
    """The rest of a derivation chain deeper than two levels (rare), walked like provenance_chain."""
    if pk is None or pk in seen:
        return []
    seen, result = set(seen), []
    node = Document.objects.select_related("publisher", "derived_from").get(pk=pk)
    while node is not None and node.pk not in seen:
        result.append(DocumentOriginSerializer(node, context={"sight": sight}).data)
        seen.add(node.pk)
        node = node.derived_from
    return result


def quote_text_field(**kwargs):
    """An excerpt's text, masked like its document's (conflictdb.protection)."""
    return MaskedCharField(trim_whitespace=False, mask=Excerpt.PROTECTED_FIELDS["text"],
                           help_text="Must equal document.text[start:end]. " + PERSONAL_TEXT_HELP, **kwargs)


class ExcerptBriefSerializer(BriefSerializer):
    text = quote_text_field(read_only=True)

    class Meta:
        model = Excerpt
        fields = ("id", "document", "start", "end", "text")


class ExcerptSerializer(TrackedSerializer):
    document = NestedRelatedField(DocumentBriefSerializer, queryset=Document.objects.all())
    text = quote_text_field()
    prefix = MaskedCharField(read_only=True, mask=Excerpt.PROTECTED_FIELDS["prefix"])
    suffix = MaskedCharField(read_only=True, mask=Excerpt.PROTECTED_FIELDS["suffix"])

    class Meta(TrackedSerializer.Meta):
        model = Excerpt
        fields = ("id", "document", "start", "end", "text", "prefix", "suffix", "verification_status", "provenance")
        read_only_fields = ("prefix", "suffix", "verification_status")
        brief_fields = ("id", "start", "end", "text")


class PersonalSpanSerializer(TrackedSerializer):
    """A passage of a document marked as personal data (readable and writable by those who may
    see personal data only: the view refuses everybody else)."""

    text = MaskedCharField(max_length=500, trim_whitespace=False, mask=protection.PERSONAL,
                           help_text="The passage; with start and end left out, its first unmarked occurrence is found.")
    start = serializers.IntegerField(min_value=0, required=False, allow_null=True)
    end = serializers.IntegerField(min_value=0, required=False, allow_null=True)

    class Meta(TrackedSerializer.Meta):
        model = PersonalSpan
        fields = ("id", "document", "start", "end", "text", "state", "suggested_by", "verification_status",
                  "provenance")
        read_only_fields = ("suggested_by", "verification_status")
        brief_fields = ("id", "document", "start", "end", "state")
        # Unique (document, start, end) is checked by the model's validation once the passage is found.
        validators = []
