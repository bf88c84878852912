"""The CSV side of the sources app: the columns and natural keys of sources, their aliases,
documents and excerpts (declared with conflictdb.csvio.columns), and how an import finds a source
or a document by the names people use. Registered by register(), called from SourcesConfig.ready().

- source: name or alias; protected sources are named in messages only to users allowed to see
  them (conflictdb.protection);
- document: URL, external_id or a unique title.
"""

from __future__ import annotations

from collections import defaultdict

from conflictdb import protection
from conflictdb.csvio import columns, keys
from conflictdb.csvio.columns import DOCUMENT, SOURCE, Column, tracked_spec
from conflictdb.csvio.values import CellError
from sources.models import Document, Excerpt, PersonalSpan, Source, SourceAlias

SPECS = (
    tracked_spec(Source, (
        Column("name", "name"),
        Column("kind", "kind"),
        Column("reliability", "reliability", help="Admiralty grade A–F."),
        Column("protected", "protected", help="true/false: the identity is shown only to permitted users."),
        Column("public_label", "public_label", help="Shown instead of the name when protected."),
        Column("url", "url"),
        Column("country", "country", help="ISO 3166-1 alpha-2."),
        Column("languages", "languages", help="BCP 47 tags, comma separated."),
        Column("description", "description"),
    ), ("name",), names_records=True),
    tracked_spec(SourceAlias, (
        Column("source", "source", SOURCE),
        Column("name", "name"),
    ), ("source", "name"), names_records=True),
    tracked_spec(Document, (
        Column("external_id", "external_id"),
        Column("url", "url"),
        Column("title", "title"),
        Column("publisher", "publisher", SOURCE),
        Column("author", "author"),
        Column("published_on", "published_on", help="ISO date."),
        Column("published_precision", "published_precision"),
        Column("retrieved_at", "retrieved_at", help="ISO date-time."),
        Column("language", "language", help="BCP 47 tag."),
        Column("archive_url", "archive_url"),
        Column("derived_from", "derived_from", DOCUMENT, "The document this one translates or republishes."),
        Column("derivation", "derivation"),
        Column("notes", "notes"),
        Column("text", "text", help="The full body; fixed once excerpts point into it."),
    ), ("url", "external_id"), names_records=True),
    tracked_spec(Excerpt, (
        Column("document", "document", DOCUMENT),
        Column("start", "start", help="Offset of the first character (0-based)."),
        Column("end", "end", help="Offset after the last character."),
        Column("text", "text", help="Must equal the document text between start and end."),
    ), ("document", "start", "end"), names_records=True),
    tracked_spec(PersonalSpan, (
        Column("document", "document", DOCUMENT),
        Column("start", "start", help="Offset of the first character (0-based)."),
        Column("end", "end", help="Offset after the last character."),
        Column("text", "text", help="The personal passage; must equal the document text between start and end."),
        Column("state", "state", help="suggested, confirmed or dropped (dropped: not masked)."),
    ), ("document", "start", "end"), names_records=True),
)


def source(resolver, value):
    shown = {}

    def rows():
        aliases = defaultdict(list)
        for source_id, name in SourceAlias.objects.values_list("source_id", "name"):
            aliases[source_id].append(name)
        for pk, name, is_protected, label in Source.objects.values_list("pk", "name", "protected", "public_label"):
            shown[pk] = protection.source_name(resolver.user, name, is_protected, label)
            yield (pk, name, *aliases[pk])

    table = resolver.named(SOURCE, rows, "source", display=lambda pk, name: shown.get(pk, name))
    return resolver.match_name(SOURCE, value, table, "source")


def document(resolver, value):
    found = list(Document.objects.filter(url=value).values_list("pk", flat=True)[:1]) if "://" in value else []
    found = found or list(Document.objects.filter(external_id=value).values_list("pk", flat=True)[:1])
    if found:
        return found[0]
    by_title = list(Document.objects.filter(title=value).values_list("pk", flat=True)[:2])
    if len(by_title) == 1:
        return by_title[0]
    if by_title:
        raise CellError(f"several documents are titled {value!r}; use the URL or external id")
    raise CellError(f"no document has the URL, external id or title {value!r}")


def register():
    """Tell the CSV engines about the sources app's models (from SourcesConfig.ready())."""
    columns.register(*SPECS)
    keys.register_resolvers({SOURCE: source, DOCUMENT: document})
