"""Restore a record to an earlier version from its history: the one home of the rules.

A restore is a new change, never a rewind: the field values of the chosen version are written
as the next version (history kept, version bumped, provenance stamped, the reason kept as the
history's change reason). It obeys what every save obeys — the model's validation and
cross-record rules (full_clean, prepare_write: a document's text stays fixed once quoted),
the constraints — and it leaves alone what moves only through its own workflow:

- the verification status (conflictdb.verification: transitions with reasons and four eyes);
- the grade, a source's reliability or a claim's credibility (conflictdb.grading.regrade);
- provenance (who created it, the door it came through, import batch and row);
- protection it has now and the version lacked (a source's protected flag and public label, the
  protected publisher of a document): a restore never lifts protection
  (conflictdb.protection.kept_by_restore), and a user who may not see protected values may not
  restore them either (conflictdb.protection.refuse_hidden_restore).

Related records (a claim's quotes and figures, a document's excerpts) have their own history
and are restored one by one. The version the person looked at is checked like any edit
(conflictdb.concurrency): if someone saved since, the restore is refused with what changed.

The admin history page ("Restore this version") and the API (`POST …/<id>/restore/`) call
`restore()`; `preview()` shows what a restore would change.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import router, transaction
from django.utils import timezone

from conflictdb import concurrency, grading, protection, provenance
from conflictdb.models import TrackedModel
from conflictdb.roles import permission


class RestoreRefused(PermissionDenied):
    """The user may not change this kind of record, so may not restore it either."""


@dataclass(frozen=True)
class Difference:
    field: str  # model field name
    label: str  # what a person calls it
    current: object
    restored: object


def restorable_fields(model) -> list:
    """The fields a restore writes back: the record's content, nothing workflow-owned."""
    kept = {*TrackedModel.PROVENANCE_FIELDS, "verification_status", grading.graded_field(model)}
    return [f for f in model._meta.concrete_fields if f.editable and not f.primary_key and f.name not in kept]


def _name(record) -> str:
    return f"{record._meta.verbose_name} #{record.pk}"


def version_of(record, history_id_or_date):
    """The history row of `record` for a history id, or the version current at a date/time."""
    history = record.history.select_related("history_user")
    if isinstance(history_id_or_date, datetime.datetime | datetime.date):
        moment = history_id_or_date
        if not isinstance(moment, datetime.datetime):  # a day: the version at its end
            moment = datetime.datetime.combine(moment, datetime.time.max)
        if timezone.is_naive(moment):
            moment = timezone.make_aware(moment)
        row = history.filter(history_date__lte=moment).order_by("-history_date", "-history_id").first()
        if row is None:
            raise ValidationError({"history_id": f"{_name(record)} did not exist yet at {moment:%Y-%m-%d %H:%M}."})
        return row
    try:
        history_id = int(history_id_or_date)
    except (TypeError, ValueError):
        raise ValidationError({"history_id": f"Expected a history id (a number) or a date, not {history_id_or_date!r}."}) \
            from None
    row = history.filter(history_id=history_id).first()
    if row is None:
        raise ValidationError({"history_id": f"History entry {history_id} is not a version of {_name(record)}; "
                                             f"see its history for the versions it has."})
    return row


def _differences(current, row) -> list[Difference]:
    kept = protection.kept_by_restore(current, row.instance)
    return [
        Difference(f.name, str(f.verbose_name), getattr(current, f.attname), getattr(row, f.attname))
        for f in restorable_fields(type(current))
        if f.name not in kept and getattr(current, f.attname) != getattr(row, f.attname)
    ]


def preview(record, history_id_or_date) -> tuple[object, list[Difference]]:
    """(the history row, the fields a restore would change) — nothing is written."""
    row = version_of(record, history_id_or_date)
    current = type(record)._base_manager.get(pk=record.pk)
    return row, _differences(current, row)


def restore(record, history_id_or_date, *, user, reason, expected_version=None):
    """Write the content of an earlier version of `record` as its next version.

    `expected_version` is the version the person started from (defaults to `record.version`);
    if the record was saved since, concurrency.StaleVersion is raised and nothing is written.
    Returns the record as saved.
    """
    model = type(record)
    if not user.has_perm(permission(model, "change")):
        raise RestoreRefused(f"Only those who may change {model._meta.verbose_name_plural} may restore one.")
    if not (reason or "").strip():
        raise ValidationError({"reason": "Give a reason for restoring an earlier version."})
    row = version_of(record, history_id_or_date)
    expected = record.version if expected_version is None else expected_version
    with transaction.atomic(using=router.db_for_write(model, instance=record)):
        current = model._base_manager.get(pk=record.pk)
        concurrency.claim(current, expected)
        differences = _differences(current, row)
        protection.refuse_hidden_restore(user, current, row.instance, [difference.field for difference in differences])
        if not differences:
            raise ValidationError({"history_id": f"Version {row.version} of {_name(record)} has the same content "
                                                 f"as the current version {current.version}: nothing to restore."})
        for difference in differences:
            setattr(current, model._meta.get_field(difference.field).attname, difference.restored)
        # The same validation as any form or serializer: field checks, constraints with their
        # messages, the model's clean() and cross-record rules (prepare_write).
        try:
            current.full_clean(exclude=TrackedModel.PROVENANCE_FIELDS)
        except ValidationError as error:
            # clean() and prepare_write() may both state the same rule: say it once.
            raise ValidationError({field: list(dict.fromkeys(messages))
                                   for field, messages in error.message_dict.items()}) from None
        why = f"restored version {row.version} (history #{row.history_id}): {reason.strip()}"
        with provenance.acting(user=user, reason=why):
            current.save()
    record.refresh_from_db()
    return current
