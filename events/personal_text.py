"""Personal data in text, the events side: claims' masked statements follow their document's
personal passages, and the names of recorded victims are suggested as passages.

The rule is conflictdb.protection.mask_personal_text; the passages and the shadows of documents
and quotes are sources.personal's. A claim's statement is a paraphrase of its document, so it is
masked with the same words (`Claim.masked_statement`, computed in Claim.prepare_write and here
when the passages change).
"""

from __future__ import annotations

from conflictdb import protection, signals
from sources import personal


def refresh_statements(document_ids) -> None:
    """Recompute the masked statements of these documents' claims and of their history rows."""
    from events.models import Claim

    document_ids = set(document_ids) - {None}
    if not document_ids:
        return
    phrases = personal.phrases_by_document(document_ids)
    for model in (Claim, Claim.history.model):
        rows = list(personal._plain(model).filter(document_id__in=document_ids).only("pk", "document_id", "statement"))
        for row in rows:
            row.masked_statement = protection.mask_personal_text(row.statement, phrases.get(row.document_id, []))
        personal._plain(model).bulk_update(rows, ["masked_statement"], batch_size=500)


def _follow_spans(sender, records, **kwargs):
    refresh_statements({record.document_id for record in records})


def suggest_from_casualties(sender, records, **kwargs):
    """Each recorded victim's names, where the claim's document has them, become suggested passages."""
    from events.models import Claim

    named = [record for record in records if record.name or record.name_ar]
    if not named:
        return
    documents = dict(Claim._base_manager.filter(pk__in={r.claim_id for r in named}).values_list("pk", "document_id"))
    for record in named:
        document_id = documents.get(record.claim_id)
        if document_id is not None:
            phrases = [*personal.name_phrases(record.name), *personal.name_phrases(record.name_ar)]
            personal.suggest(document_id, phrases, f"casualty record #{record.pk}")


def connect():
    from events.models import Casualty
    from sources.models import PersonalSpan

    signals.records_written.connect(_follow_spans, sender=PersonalSpan, dispatch_uid="personal_text_claims")
    signals.records_written.connect(suggest_from_casualties, sender=Casualty, dispatch_uid="personal_text_suggest")
