"""Grading: the one home of how a source's reliability (Admiralty A–F) and a claim's
credibility (1–6) change after they were first set.

A grade is set freely when the record is created. Any later change goes through `regrade()`:
it needs the `conflictdb.grade_record` permission (verifiers) and a reason, and is kept as a
GradeChange (who, when, from, to, why) besides the record's own history. The admin and the API
offer a "change grade" door that calls it; everywhere else the grade fields are read-only once
the record exists, and `refuse_ungraded_change()` (called from the models' prepare_write) refuses a save that
changes a grade behind this module's back, whatever door it came through.
"""

from dataclasses import dataclass

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import transaction

from conflictdb import provenance
from conflictdb.models import GradeChange
from conflictdb.registry import registry
from conflictdb.verification import TransitionRefused

GRADE = "conflictdb.grade_record"

@dataclass(frozen=True)
class Grade:
    """A model's graded field, declared as its GRADED_FIELD and registered by its app
    (conflictdb.registry.register_domain_app): the field, its allowed values, what it is called."""

    field: str
    allowed: tuple
    label: str


def grade_of(model) -> Grade | None:
    return registry["graded_fields"].get(model)


def graded_field(model) -> str | None:
    grade = grade_of(model)
    return grade.field if grade else None


def _normalise(model, value):
    grade = grade_of(model)
    field, allowed, label = grade.field, grade.allowed, grade.label
    if isinstance(allowed[0], int):
        try:
            value = int(value)
        except (TypeError, ValueError):
            value = None
    else:
        value = str(value or "").strip().upper()
    if value not in allowed:
        raise ValidationError({field: f"Unknown {label} {value!r}; expected one of "
                                      f"{', '.join(str(a) for a in allowed)}."})
    return value


def remember_loaded_grade(record):
    """Called when a record is loaded, so refuse_ungraded_change() can tell whether the grade was changed."""
    field = graded_field(type(record))
    if field and field in record.__dict__:  # a deferred grade is not fetched just for this
        record._loaded_grade = record.__dict__[field]


def refuse_ungraded_change(record):
    """Refuse a save that changes a grade without going through regrade()."""
    field = graded_field(type(record))
    if field is None or record._state.adding or getattr(record, "_regrading", False):
        return
    loaded = getattr(record, "_loaded_grade", None)
    if loaded is None:
        return  # not loaded from the database (built by hand with a pk): nothing to compare
    if str(getattr(record, field)) != str(loaded):
        raise ValidationError({field: f"The {grade_of(type(record)).label} cannot be edited here: "
                                      f"use “Change grade” with a reason (it stays {loaded})."})


def regrade(record, value, *, user, reason):
    """Change the record's grade to `value`, keeping who, when and why. Returns the GradeChange."""
    grade = grade_of(type(record))
    field, label = grade.field, grade.label
    value = _normalise(type(record), value)
    if not (reason or "").strip():
        raise ValidationError({"reason": f"Give a reason for the change of {label}."})
    if not user.has_perm(GRADE):
        raise TransitionRefused(f"Only verifiers may change a {label}.")
    old = getattr(record, field)
    if str(old) == str(value):
        raise ValidationError({field: f"The {label} is already {value}."})
    with transaction.atomic():
        with provenance.acting(user=user, reason=f"{label}: {old} → {value}: {reason.strip()}"):
            setattr(record, field, value)
            record._regrading = True
            try:
                record.save(update_fields=[field])
            finally:
                record._regrading = False
        record._loaded_grade = value
        return GradeChange.objects.create(
            content_type=ContentType.objects.get_for_model(record), object_id=record.pk, field=field,
            from_value=str(old), to_value=str(value), user=user, reason=reason.strip(),
            channel=provenance.current().channel,
        )


def regrade_many(records, value, *, user, reason):
    """All or nothing: regrade every record not already at `value`; if one is refused, none changes."""
    changes = []
    with transaction.atomic():
        for record in records:
            if str(getattr(record, graded_field(type(record)))) != str(_normalise(type(record), value)):
                changes.append(regrade(record, value, user=user, reason=reason))
    return changes


def grade_changes_of(record):
    return GradeChange.objects.filter(
        content_type=ContentType.objects.get_for_model(record), object_id=record.pk
    ).select_related("user")
