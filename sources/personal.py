"""Personal data in text: the one service that keeps the masked shadows of a document's text and
quotes in step with its personal passages (PersonalSpan), and suggests passages from the names
of recorded victims.

The rule — which words are masked, and how — is conflictdb.protection.mask_personal_text. This
module only applies it: every shadow is the rule over the real text with the document's active
passages (suggested or confirmed, never dropped). A shadow is kept as a column beside its text
(`Document.masked_text`, `Excerpt.masked_text/_prefix/_suffix`, and `Claim.masked_statement`,
kept by events.personal_text) because readers without the permission search it (`q`, admin
search) in the database and the fast list path reads it as a column: masking at read time could
not be searched, and a LIKE over the real text with the names excluded cannot be written.

When are the shadows recomputed?
- a document, quote or claim is written: its own shadow, in its prepare_write();
- a passage is written (added, confirmed, dropped, through any door: every write path sends
  conflictdb.signals.records_written): the shadows of its document, its quotes, its claims and
  every history row of them (a past version is shown masked by today's passages).
Shadows are derived data: they are written without a new version or history row.
"""

from __future__ import annotations

from django.apps import apps
from django.db import models

from conflictdb import protection


def _model(name):
    # By name: sources.models computes shadows through this module, so it cannot be imported here.
    return apps.get_model("sources", name)


def _spans():
    PersonalSpan = _model("PersonalSpan")
    return PersonalSpan._base_manager.exclude(state=PersonalSpan.State.DROPPED)


def phrases_of(document_id) -> list[str]:
    """The words the passages of this document mask (suggested and confirmed)."""
    if document_id is None:
        return []
    return list(_spans().filter(document_id=document_id).values_list("text", flat=True).distinct())


def phrases_by_document(document_ids) -> dict[int, list[str]]:
    found: dict[int, list[str]] = {}
    for document_id, text in _spans().filter(document_id__in=set(document_ids)).values_list("document_id", "text"):
        found.setdefault(document_id, []).append(text)
    return found


def shadow(text: str, document_id, phrases=None) -> str:
    """`text` (of the document `document_id`, or a statement about it) as readers without the
    permission see it."""
    return protection.mask_personal_text(text, phrases_of(document_id) if phrases is None else phrases)


def cut_excerpt_shadows(excerpt, document_shadow: str) -> None:
    """An excerpt's shadows are the same offsets of its document's shadow (so a name cut by the
    quote's edge is masked as far as it reaches)."""
    start, end = excerpt.start, excerpt.end
    excerpt.masked_text = document_shadow[start:end]
    excerpt.masked_prefix = document_shadow[max(0, start - len(excerpt.prefix)):start]
    excerpt.masked_suffix = document_shadow[end:end + len(excerpt.suffix)]


def _plain(model):
    """A queryset that writes columns without stamping, versioning or history (derived data)."""
    return models.QuerySet(model)


def refresh(document_ids) -> None:
    """Recompute the shadows of these documents and their quotes, and of their history rows."""
    Document, Excerpt = _model("Document"), _model("Excerpt")
    document_ids = set(document_ids) - {None}
    if not document_ids:
        return
    phrases = phrases_by_document(document_ids)
    for document_id, text in Document._base_manager.filter(pk__in=document_ids).values_list("pk", "text"):
        words = phrases.get(document_id, [])
        document_shadow = protection.mask_personal_text(text, words)
        _plain(Document).filter(pk=document_id).update(masked_text=document_shadow)
        excerpts = list(Excerpt._base_manager.filter(document_id=document_id).only("pk", "start", "end", "prefix",
                                                                                    "suffix"))
        for excerpt in excerpts:
            cut_excerpt_shadows(excerpt, document_shadow)
        _plain(Excerpt).bulk_update(excerpts, ["masked_text", "masked_prefix", "masked_suffix"], batch_size=500)
        _refresh_history(Document.history.model, {"id": document_id}, words)
        _refresh_history(Excerpt.history.model, {"document_id": document_id}, words, excerpt=True)


def _refresh_history(history_model, where, words, excerpt=False) -> None:
    """Past versions are masked by today's passages (their own text, the same words)."""
    rows = list(_plain(history_model).filter(**where))
    if not rows:
        return
    Document = _model("Document")
    bodies = {}
    for row in rows:
        if excerpt:
            if row.document_id not in bodies:
                bodies[row.document_id] = Document._base_manager.filter(pk=row.document_id).values_list(
                    "text", flat=True).first() or ""
            body = bodies[row.document_id]
            if body[row.start:row.end] == row.text:  # cut from today's text, as the record is
                cut_excerpt_shadows(row, protection.mask_personal_text(body, words))
            else:
                row.masked_text = protection.mask_personal_text(row.text, words)
                row.masked_prefix = protection.mask_personal_text(row.prefix, words)
                row.masked_suffix = protection.mask_personal_text(row.suffix, words)
        else:
            row.masked_text = protection.mask_personal_text(row.text, words)
    fields = ["masked_text", "masked_prefix", "masked_suffix"] if excerpt else ["masked_text"]
    _plain(history_model).bulk_update(rows, fields, batch_size=500)


# Parts of a name too common to suggest alone ("al", "bin", "Abu"): they come with the full name.
NAME_PARTICLES = {"al", "el", "ad", "an", "ar", "as", "ash", "at", "az", "bin", "ibn", "bint", "abu", "umm", "abd",
                  "ben", "de", "la", "van", "von", "der", "ال", "بن", "ابن", "بنت", "أبو", "ابو", "أم", "عبد"}


def name_phrases(name: str) -> list[str]:
    """What to look for of a recorded victim's name: the whole name, then each part of it (a text
    often says the family name alone: "Vandermeer was shot"), but not particles or initials."""
    name = " ".join((name or "").split())
    if not name:
        return []
    parts = [part for word in name.split() for part in word.split("-")]
    return [name, *(part for part in parts if len(part) > 2 and part.lower() not in NAME_PARTICLES)]


def suggest(document_id, phrases, suggested_by: str) -> list:
    """Suggested passages for every occurrence of `phrases` (a recorded victim's names) in the
    document's text that is not marked yet, nor inside a marked passage (a dropped passage is
    never suggested again)."""
    Document, PersonalSpan = _model("Document"), _model("PersonalSpan")
    body = Document._base_manager.filter(pk=document_id).values_list("text", flat=True).first()
    if not body:
        return []
    taken = set(PersonalSpan._base_manager.filter(document_id=document_id).values_list("start", "end"))
    created = []
    for phrase in dict.fromkeys(p.strip() for p in phrases if p and p.strip()):
        for start, end in protection.phrase_occurrences(body, phrase):
            if any(start >= first and end <= last for first, last in taken):
                continue  # marked already, or part of a marked passage (the surname of a full name)
            taken.add((start, end))
            created.append(PersonalSpan.objects.create(
                document_id=document_id, start=start, end=end, text=body[start:end],
                state=PersonalSpan.State.SUGGESTED, suggested_by=suggested_by[:200]))
    return created


def _follow_spans(sender, records, **kwargs):
    refresh({record.document_id for record in records})


def connect():
    from conflictdb import signals

    signals.records_written.connect(_follow_spans, sender=_model("PersonalSpan"), dispatch_uid="personal_text_sources")
