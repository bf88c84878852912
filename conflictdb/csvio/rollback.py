"""Rolling back an import batch as a whole, keeping the history.

- Records the batch created are *retracted* through conflictdb.verification (nothing is
  hard-deleted; a retracted record stays, with who, when and why, and leaves consensus figures
  and the place matcher).
- Records the batch changed get back the values they had just before it (the importable fields of
  their columns, read from their history), as a new version: the batch's change and its undoing
  both stay in the history.
- All or nothing, and only when nothing touched those records since: a record changed after the
  batch (by a later import, an editor, a verification) makes the rollback refuse, naming it —
  roll back the later work first, or correct by hand.
- The batch is marked rolled back with who, when and why. Needs conflictdb.import_data, the change
  permission of every model whose records it reverts, and the verification workflow's own
  permission to retract (data managers have all three).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from django.apps import apps
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from conflictdb import protection, verification
from conflictdb.models import ImportBatch, TrackedModel, VerificationStatus
from conflictdb.provenance import acting
from conflictdb.roles import permission
from conflictdb.csvio import columns


class RollbackRefused(Exception):
    """The batch cannot be rolled back; the message (and `conflicts`) say why."""

    def __init__(self, message, conflicts=()):
        super().__init__(message)
        self.conflicts = list(conflicts)


@dataclass
class RollbackResult:
    retracted: dict = field(default_factory=dict)  # model label → count
    reverted: dict = field(default_factory=dict)
    already_retracted: int = 0

    def summary(self) -> str:
        def listed(counts):
            return ", ".join(f"{n} {label}" for label, n in sorted(counts.items())) or "none"
        return f"retracted: {listed(self.retracted)}; reverted: {listed(self.reverted)}."


def _tracked_models():
    return [model for model in apps.get_models() if issubclass(model, TrackedModel)]


def _restorable_fields(model) -> list[str]:
    """The fields an import may change (those its columns read), as attnames."""
    try:
        spec = columns.spec_for(model)
    except KeyError:
        return []
    names = {column.field_name for column in spec.columns if column.importable}
    return [f.attname for f in model._meta.concrete_fields if f.name in names]


def plan(batch):
    """(created, changed): per model, {record id: first history row of the batch}, and conflicts."""
    created, changed, conflicts = defaultdict(dict), defaultdict(dict), []
    for model in _tracked_models():
        history = model.history.model
        # The batch's own history rows; a record keeps pointing at the batch that last imported it
        # when an editor changes it later, so later rows are told apart by their date.
        rows = list(history.objects.filter(import_batch_id=batch.pk, history_date__lte=batch.finished_at)
                    .order_by("history_id").values_list("id", "history_id", "history_type"))
        if not rows:
            continue
        first, last = {}, {}
        for record_id, history_id, kind in rows:
            first.setdefault(record_id, (history_id, kind))
            last[record_id] = history_id
        for record_id, (history_id, kind) in first.items():
            (created if kind == "+" else changed)[model][record_id] = history_id
        ids = list(first)
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            later = (history.objects.filter(id__in=chunk, history_id__gt=min(last[i] for i in chunk))
                     .select_related("history_user").order_by("history_id"))
            for row in later:
                if row.history_id > last[row.id]:
                    who = row.history_user.username if row.history_user else "the system"
                    conflicts.append(f"{model._meta.verbose_name} #{row.id} was changed after the batch by {who} "
                                     f"on {row.history_date:%Y-%m-%d %H:%M}")
    return created, changed, conflicts


def rollback(batch, *, user, reason: str) -> RollbackResult:
    """Undo an applied batch (see the module docstring); raises RollbackRefused or ValidationError."""
    if not (reason or "").strip():
        raise ValidationError({"reason": "Give a reason for rolling back the batch."})
    if not user.has_perm(protection.IMPORT_DATA):
        raise RollbackRefused("Only data managers may roll back an import (permission conflictdb.import_data).")
    if batch.status != ImportBatch.Status.APPLIED:
        raise RollbackRefused(f"Batch #{batch.pk} is {batch.get_status_display().lower()}: only an applied batch "
                              "can be rolled back.")
    created, changed, conflicts = plan(batch)
    # Reverting is changing: the same permission as changing those records by hand (retracting the
    # created ones is asked of the verification workflow, which checks its own).
    missing = sorted({name for model in changed if not user.has_perm(name := permission(model, "change"))})
    if missing:
        raise RollbackRefused(f"Rolling back batch #{batch.pk} reverts records you may not change (missing "
                              f"{', '.join(missing)}). Nothing was changed.")
    if conflicts:
        shown = "; ".join(conflicts[:10]) + (f"; and {len(conflicts) - 10} more" if len(conflicts) > 10 else "")
        raise RollbackRefused(f"Batch #{batch.pk} cannot be rolled back: {shown}. Nothing was changed.", conflicts)
    result = RollbackResult()
    why = f"rollback of import batch #{batch.pk} ({batch.file_name}): {reason.strip()}"
    with transaction.atomic(), acting(user=user, reason=why):
        for model, records in changed.items():
            _revert(model, records, result)
        for model, records in created.items():
            _retract(model, list(records), user, why, result)
        batch.status = ImportBatch.Status.ROLLED_BACK
        batch.rolled_back_at = timezone.now()
        batch.rolled_back_by = user
        batch.rollback_reason = reason.strip()
        batch.save()
    return result


def _revert(model, records: dict, result: RollbackResult):
    """Give each record the values of its history row just before the batch's first change."""
    history = model.history.model
    fields = _restorable_fields(model)
    instances = model._base_manager.in_bulk(list(records))
    for record_id, first_history_id in records.items():
        before = (history.objects.filter(id=record_id, history_id__lt=first_history_id)
                  .order_by("-history_id").first())
        record = instances.get(record_id)
        if before is None or record is None:
            continue
        for attname in fields:
            setattr(record, attname, getattr(before, attname))
        record.save()
        result.reverted[model._meta.verbose_name_plural] = result.reverted.get(model._meta.verbose_name_plural, 0) + 1


def _retract(model, ids, user, why, result: RollbackResult):
    records = list(model._base_manager.filter(pk__in=ids))
    live = [r for r in records if r.verification_status not in (VerificationStatus.RETRACTED, VerificationStatus.FALSE)]
    result.already_retracted += len(records) - len(live)
    if not live:
        return
    done, refusals = verification.transition_many(live, VerificationStatus.RETRACTED, user=user, reason=why)
    if refusals:
        raise RollbackRefused("The verification workflow refused: " + "; ".join(
            f"{refusal.record._meta.verbose_name} #{refusal.record.pk}: {refusal.message}" for refusal in refusals[:10]))
    label = model._meta.verbose_name_plural
    result.retracted[label] = result.retracted.get(label, 0) + len(done)
