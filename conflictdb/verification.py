"""The verification workflow: the one home of who may move a record's status where, and why.

    unverified → corroborated → verified        (verifiers)
    any        → disputed, retracted            (editors and verifiers)
    any        → false                          (verifiers)
    disputed / retracted / false → unverified   (verifiers: the way back, itself recorded)

Every transition needs a reason and is kept as a VerificationTransition (who, when, from, to,
why) besides the record's own history. Four eyes: nobody verifies a record they created or last
changed. Evidence: an app may register, per model, why a record refuses a status on its own
evidence (`register_evidence`; a claim is corroborated only with two independent sources,
events.consensus). Admin actions, API endpoints and commands call `transition` /
`transition_many`; the verification status is read-only everywhere else.
"""

from dataclasses import dataclass

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from conflictdb import provenance
from conflictdb.models import VerificationTransition
from conflictdb.models import VerificationStatus as S
from conflictdb.registry import registry

VERIFY = "conflictdb.verify_record"
RETRACT = "conflictdb.retract_record"

# (from, to) → the permission it needs.
RULES: dict[tuple[str, str], str] = {
    (S.UNVERIFIED, S.CORROBORATED): VERIFY,
    (S.CORROBORATED, S.VERIFIED): VERIFY,
    (S.UNVERIFIED, S.VERIFIED): VERIFY,
    **{(origin, S.DISPUTED): RETRACT for origin in (S.UNVERIFIED, S.CORROBORATED, S.VERIFIED)},
    **{(origin, S.RETRACTED): RETRACT for origin in (S.UNVERIFIED, S.CORROBORATED, S.VERIFIED, S.DISPUTED)},
    **{(origin, S.FALSE): VERIFY for origin in (S.UNVERIFIED, S.CORROBORATED, S.VERIFIED, S.DISPUTED, S.RETRACTED)},
    **{(origin, S.UNVERIFIED): VERIFY for origin in (S.DISPUTED, S.RETRACTED, S.FALSE)},
}


class TransitionRefused(PermissionDenied):
    """The user may not make this transition (role or four-eyes)."""


@dataclass(frozen=True)
class Refusal:
    record: object
    message: str


def register_evidence(model, refusal) -> None:
    """Let `refusal(record, to_status)` say why a record of `model` may not take a status on its
    evidence (None when it may). Called from the app's ready()."""
    registry["verification_evidence"][model] = refusal


def _label(status):
    return S(status).label.lower()


def check(record, to_status, user, reason="") -> None:
    """Raise ValidationError or TransitionRefused with a message a person can act on."""
    name = f"{record._meta.verbose_name} #{record.pk}"
    if to_status not in S.values:
        raise ValidationError({"to": f"Unknown status {to_status!r}; expected one of {', '.join(S.values)}."})
    origin = record.verification_status
    permission = RULES.get((origin, to_status))
    if permission is None:
        targets = sorted(_label(to) for (frm, to) in RULES if frm == origin)
        raise ValidationError({"to": f"{name} is {_label(origin)}; it cannot become {_label(to_status)}. "
                                     f"From {_label(origin)} it can become: {', '.join(targets)}."})
    if not (reason or "").strip():
        raise ValidationError({"reason": "Give a reason for the change of verification status."})
    if not user.has_perm(permission):
        role = "verifiers" if permission == VERIFY else "editors and verifiers"
        raise TransitionRefused(f"Only {role} may mark a record {_label(to_status)}.")
    evidence = registry["verification_evidence"].get(type(record)._meta.concrete_model)
    refusal = evidence(record, to_status) if evidence else None
    if refusal:
        raise ValidationError({"to": f"{name} cannot be marked {_label(to_status)}: {refusal}"})
    if to_status == S.VERIFIED and user.pk in (record.created_by_id, record.updated_by_id):
        raise TransitionRefused(
            f"Four-eyes rule: you created or last changed {name}, so another verifier must verify it."
        )


def allowed_targets(record, user) -> list[str]:
    """The statuses this user may move the record to now (reason assumed given)."""
    result = []
    for (origin, to), _permission in RULES.items():
        if origin != record.verification_status:
            continue
        try:
            check(record, to, user, reason="-")
        except (ValidationError, TransitionRefused):
            continue
        result.append(to)
    return result


def _apply(record, to_status, user, reason):
    origin = record.verification_status
    channel = provenance.current().channel
    with provenance.acting(user=user, reason=f"verification: {origin} → {to_status}: {reason}"):
        record.verification_status = to_status
        record.save(update_fields=["verification_status"])
    return VerificationTransition.objects.create(
        content_type=ContentType.objects.get_for_model(record), object_id=record.pk, from_status=origin,
        to_status=to_status, user=user, reason=reason.strip(), channel=channel,
    )


def transition(record, to_status, *, user, reason):
    """Move one record to `to_status`, or raise with the reason it is refused."""
    check(record, to_status, user, reason)
    with transaction.atomic():
        return _apply(record, to_status, user, reason)


def transition_many(records, to_status, *, user, reason):
    """All or nothing: if any record is refused, none changes. Returns (transitions, refusals)."""
    records = list(records)
    refusals = []
    for record in records:
        try:
            check(record, to_status, user, reason)
        except ValidationError as error:
            refusals.append(Refusal(record, " ".join(m for msgs in error.message_dict.values() for m in msgs)))
        except TransitionRefused as error:
            refusals.append(Refusal(record, str(error)))
    if refusals:
        return [], refusals
    with transaction.atomic():
        return [_apply(record, to_status, user, reason) for record in records], []


def transitions_of(record):
    return VerificationTransition.objects.filter(
        content_type=ContentType.objects.get_for_model(record), object_id=record.pk
    ).select_related("user")
