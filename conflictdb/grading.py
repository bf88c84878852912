"""Grading: the one home of how a source's reliability (Admiralty A–F) and a claim's
credibility (1–6) change after they were first set.

A grade is set freely when the record is created. Any later change goes through `regrade()`:
it needs the `sources.grade_record` permission (verifiers) and a reason, and is kept as a
GradeChange (who, when, from, to, why) besides the record's own history. The admin and the API
offer a "change grade" door that calls it; everywhere else the grade fields are read-only once
the record exists, and `refuse_ungraded_change()` (called from the models' prepare_write) refuses a save that
changes a grade behind this module's back, whatever door it came through.
"""

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import transaction

from conflictdb import provenance
from conflictdb.verification import TransitionRefused

GRADE = "sources.grade_record"

# model label → (graded field, allowed values, what it is called)
GRADED = {
    "sources.source": ("reliability", tuple("ABCDEF"), "reliability"),
    "events.claim": ("credibility", tuple(range(1, 7)), "credibility"),
}


def graded_field(model) -> str | None:
    spec = GRADED.get(model._meta.label_lower)
    return spec[0] if spec else None


def _normalise(model, value):
    field, allowed, label = GRADED[model._meta.label_lower]
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
        raise ValidationError({field: f"The {GRADED[record._meta.label_lower][2]} cannot be edited here: "
                                      f"use “Change grade” with a reason (it stays {loaded})."})


def regrade(record, value, *, user, reason):
    """Change the record's grade to `value`, keeping who, when and why. Returns the GradeChange."""
    from sources.models import GradeChange

    field, _allowed, label = GRADED[record._meta.label_lower]
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
    from sources.models import GradeChange

    return GradeChange.objects.filter(
        content_type=ContentType.objects.get_for_model(record), object_id=record.pk
    ).select_related("user")
