"""Optimistic concurrency: the one home of "save only if nobody saved in between".

Every tracked record carries a `version` (TrackedModel.stamp bumps it on each save,
TrackedQuerySet.update on each bulk change). A person or a script starts from a version; their
save goes through only if the stored record is still at that version. Otherwise it is refused
with `StaleVersion`, whose message says who saved in between, when, and which fields they
changed (read from the history), e.g.

    Saved meanwhile by eric_editor at 2024-11-27 14:02 UTC: statement, credibility.
    Reload to see their version.

How the check is atomic: `claim()` runs `UPDATE … SET version = version WHERE pk = … AND
version = <expected>` inside the caller's transaction. If no row matches, somebody saved first;
if one does, the row stays locked (PostgreSQL row lock; SQLite's database write lock) until the
transaction ends, so nobody can slip a save in between the check and the write.

Doors: the admin change form carries the version in a hidden field (conflictdb.admin), the API
uses ETag / If-Match (conflictdb.api.views), restore (conflictdb.restore) checks the version the
person previewed, and every partial save (a verification transition, a regrade) checks the
in-memory version (TrackedModel.save), so a version number never goes backwards.
"""

from __future__ import annotations

import re
from contextlib import contextmanager
from dataclasses import dataclass

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import models, router, transaction
from django.utils import timezone

# Provenance bookkeeping is not "what changed" for a person: leave it out of the message.
_NOT_CONTENT = (
    "created_at", "created_by", "channel", "updated_at", "updated_by", "last_channel", "import_batch", "import_row",
    "version",
)

_ETAG = re.compile(r'^(?:W/)?"(?P<model>[a-z0-9_]+)-(?P<pk>\d+)-v(?P<version>\d+)"$')


@dataclass(frozen=True)
class Save:
    """One save made after the version a person started from."""

    user: str
    at: object  # datetime
    version: int


class StaleVersion(ValidationError):
    """The record was saved by someone else since `expected`; nothing was written.

    A ValidationError (non-field), so forms show it and every door that already reports
    validation errors reports this one too; `summary` is the sentence to show.
    """

    def __init__(self, record, expected, current, fields, saves, summary):
        super().__init__({NON_FIELD_ERRORS: [summary]}, code="stale")
        self.record = record
        self.expected = expected
        self.current = current
        self.fields = fields  # model field names changed in between
        self.saves = saves  # [Save], oldest first
        self.summary = summary

    def __str__(self):
        return self.summary


def etag(record, version: int | None = None) -> str:
    """A weak entity tag naming the record and its version, e.g. W/"claim-12-v3"."""
    return f'W/"{record._meta.model_name}-{record.pk}-v{record.version if version is None else version}"'


def version_from_if_match(header: str, record) -> int | None:
    """The version an `If-Match` header starts from; None for `*` (any version).

    Raises ValueError with a message when the header names no version of this record.
    """
    tags = [tag.strip() for tag in header.split(",") if tag.strip()]
    if "*" in tags:
        return None
    versions = []
    for tag in tags:
        match = _ETAG.match(tag)
        if match and match["model"] == record._meta.model_name and int(match["pk"]) == record.pk:
            versions.append(int(match["version"]))
    if not versions:
        raise ValueError(
            f"If-Match names no version of this record; send the ETag of the version you started from, "
            f"e.g. {etag(record)}."
        )
    # Several tags: the precondition holds if any of them is current.
    return record.version if record.version in versions else max(versions)


def _who(history_row) -> str:
    user = history_row.history_user
    return user.get_username() if user is not None else "the system (seed, import or command)"


def _when(moment) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M %Z")


def changes_since(record, expected: int) -> tuple[list[str], list[Save], int]:
    """(field names changed since version `expected`, the saves in between, the current version)."""
    history = record.history.select_related("history_user").order_by("history_date", "history_id")
    later = [row for row in history.filter(version__gt=expected)]
    current = type(record)._base_manager.filter(pk=record.pk).values_list("version", flat=True).first()
    base = history.filter(version=expected).last()
    fields: list[str] = []
    if later and base is not None:
        delta = later[-1].diff_against(base, excluded_fields=list(_NOT_CONTENT))
        changed = {change.field for change in delta.changes}
        fields = [f.name for f in record._meta.concrete_fields if f.name in changed]  # in the model's order
    saves = [Save(_who(row), row.history_date, row.version) for row in later]
    return fields, saves, current if current is not None else (later[-1].version if later else expected)


def describe(record, expected: int) -> StaleVersion:
    """The refusal for a save that started from version `expected` of `record`."""
    fields, saves, current = changes_since(record, expected)
    labels = [str(record._meta.get_field(name).verbose_name) for name in fields]
    if saves:
        # One mention per person, at their latest save.
        latest: dict[str, Save] = {}
        for save in saves:
            latest[save.user] = save
        who = " and ".join(f"{save.user} at {_when(save.at)}" for save in latest.values())
        what = ", ".join(labels) if labels else "no field values (only its bookkeeping)"
        summary = (f"Saved meanwhile by {who}: {what}. Reload to see their version "
                   f"(you started from version {expected}; it is now version {current}).")
    elif current is not None and expected > current:
        summary = f"Version {expected} of this record does not exist (it is at version {current}). Reload it."
    else:
        summary = (f"This record changed since you opened it (version {expected}; it is now version {current}). "
                   f"Reload to see the current version.")
    return StaleVersion(record, expected, current, fields, saves, summary)


def claim(record, expected: int) -> None:
    """Lock the record's row if it is still at version `expected`, else raise StaleVersion.

    Must run inside a transaction (the lock lasts until it ends): use `editing()` unless the
    caller's transaction already spans the write (the admin change form does).
    """
    model = type(record)
    using = router.db_for_write(model, instance=record)
    if not transaction.get_connection(using).in_atomic_block:
        raise RuntimeError("concurrency.claim() needs a transaction: the row lock would end at once.")
    rows = model._base_manager.using(using).filter(pk=record.pk, version=expected)
    # A plain UPDATE (not TrackedQuerySet.update): it only takes the lock, stamping and history
    # belong to the save that follows.
    matched = models.QuerySet.update(rows, version=expected)
    if not matched or record.version != expected:
        raise describe(record, expected)


@contextmanager
def editing(record, expected: int):
    """A transaction in which `record` is known to be at version `expected` and locked."""
    with transaction.atomic(using=router.db_for_write(type(record), instance=record)):
        claim(record, expected)
        yield record


def save_if_current(record, expected: int, **save_kwargs):
    """Save `record` only if the stored record is still at version `expected`."""
    with editing(record, expected):
        record.save(**save_kwargs)
    return record
