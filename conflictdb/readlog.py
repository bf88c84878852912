"""The read log: who was shown a protected identity, when, which record, through which door.

Source protection needs to know who looked. Readers without the permission see placeholders
(conflictdb.protection), so nothing is revealed to them and nothing is logged; readers with it
are shown the real name, details or personal data, and each record so shown is logged once per
page, export or API response (`conflictdb.models.ProtectedRead`).

What counts as shown is this module's rule, from the masks the models declare (PROTECTED_FIELDS):
- a record of a masked model whose values a reader without permission would not see (a protected
  source; a document of a protected publisher; a protected source's alias; a casualty with any
  personal data filled in; a text whose personal passages its shadow masks);
- the masked records a shown record names through its foreign keys (a claim's claimant, an
  excerpt's document's publisher), up to two steps, because every door shows them beside it.

Every door calls `note()` with the records it showed: admin pages (change form and its inlines,
changelist page, history, version and restore pages), the editor's desk, the API (detail, list
page, history) and file exports. System work (seed loader, management commands without a user)
is not a reader and is not logged.
"""

from __future__ import annotations

import csv
from functools import lru_cache

from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import Q

from conflictdb import protection
from conflictdb.csvio.safety import neutralise
from conflictdb.models import ProtectedRead
from conflictdb.registry import registry

Door = ProtectedRead.Door

# How many foreign-key steps from a shown record to the masked records it names.
_DEPTH = 2
_PATH_LENGTH = ProtectedRead._meta.get_field("path").max_length


def _is_text(field) -> bool:
    return isinstance(field, (models.CharField, models.TextField))


def revealing_q(model, seen: protection.Sight) -> Q | None:
    """The records of `model` that hold a value this Sight sees and a reader without permission
    would not: what showing them to this reader reveals. None when nothing can be revealed."""
    conditions = {}  # keyed by what each asks, so three masks on one flag ask it once
    for name, mask in protection.masks_of(model).items():
        if not mask.sees(seen):
            continue  # shown as a placeholder: nothing revealed
        if protection.is_text_mask(mask):
            # a text is revealing where its shadow masks something (and the record is there at all)
            this = Q(**{f"{name}__isnull": False}) & ~Q(**{name: models.F(mask.paths[0])})
        elif mask.personal:
            field = model._meta.get_field(name)
            this = Q(**{f"{name}__isnull": False})
            if _is_text(field):
                this &= ~Q(**{name: ""})
            if field.has_default() and not callable(field.default) and field.default not in (None, ""):
                this &= ~Q(**{name: field.default})  # "sex: unknown" says nothing about anyone
        else:
            this = Q(**{mask.paths[0]: True})
        conditions.setdefault(repr(this), this)
    condition = None
    for this in conditions.values():
        condition = this if condition is None else condition | this
    return condition


def _kind(model) -> str:
    masks = protection.masks_of(model).values()
    # A document's own masks are its publisher's; its personal passages are logged as its source's read.
    return ProtectedRead.Kind.PERSONAL if masks and all(m.personal for m in masks) else ProtectedRead.Kind.SOURCE


@lru_cache(maxsize=None)
def masked_paths(model) -> tuple[tuple[str, type], ...]:
    """(path, model) for `model` itself if masked ("") and every masked model its forward foreign
    keys reach within _DEPTH steps (provenance links to users and batches are not followed)."""
    found = [("", model)] if protection.masks_of(model) else []
    frontier = [("", model)]
    for _ in range(_DEPTH):
        following = []
        for prefix, current in frontier:
            for field in current._meta.concrete_fields:
                if not (field.many_to_one or field.one_to_one) or field.related_model is None:
                    continue
                target = field.related_model
                if target._meta.app_label not in _domain_labels():
                    continue
                path = f"{prefix}{field.name}"
                if protection.masks_of(target):
                    found.append((path, target))
                following.append((path + "__", target))
        frontier = following
    return tuple(found)


def _domain_labels() -> set[str]:
    return set(registry["domain_apps"])


def _prefixed(condition: Q, prefix: str) -> Q:
    """`condition` asked of the records at `prefix` (e.g. Q(protected=True) → Q(claimant__protected=True))."""
    copy = Q()
    copy.connector, copy.negated = condition.connector, condition.negated
    copy.children = [_prefixed(child, prefix) if isinstance(child, Q) else (f"{prefix}__{child[0]}", _at(child[1], prefix))
                     for child in condition.children]
    return copy


def _at(value, prefix: str):
    """A compared column (a text's shadow) follows the path too."""
    return models.F(f"{prefix}__{value.name}") if isinstance(value, models.F) else value


def revealed(user, model, pks) -> list[tuple[type, int]]:
    """The masked records (model, pk) that showing the records `pks` of `model` (ids, or a
    queryset of them) reveals to `user`."""
    seen = protection.sight(user)
    if seen == protection.NOBODY:
        return []
    records = model._base_manager.filter(pk__in=pks).order_by()
    found = []
    for path, target in masked_paths(model):
        condition = revealing_q(target, seen)
        if condition is None:
            continue
        if not path:
            found += [(target, pk) for pk in records.filter(condition).values_list("pk", flat=True)]
        else:
            ids = records.filter(_prefixed(condition, path)).values_list(f"{path}__pk", flat=True).distinct()
            found += [(target, pk) for pk in ids]
    return found


def _reader(user):
    """The person to log, or None: system work and anonymous visitors are not logged."""
    if user is None or user is protection.SYSTEM or not getattr(user, "is_authenticated", False):
        return None
    return user if getattr(user, "pk", None) is not None else None


def note(user, model, pks, door: str, path: str = "") -> int:
    """Log that `user` was shown the records `pks` (ids or a queryset) of `model` through `door`
    (a page or endpoint `path`); returns how many reads of protected identities were logged."""
    reader = _reader(user)
    if reader is None or not masked_paths(model):
        return 0
    if not isinstance(pks, models.QuerySet):
        pks = [pk for pk in dict.fromkeys(pks) if pk is not None]
        if not pks:
            return 0
    shown = dict.fromkeys(revealed(reader, model, pks))  # once per record and response
    if not shown:
        return 0
    types = ContentType.objects.get_for_models(*{target for target, _ in shown})
    path = path.split("?", 1)[0][:_PATH_LENGTH]
    reads = [ProtectedRead(user=reader, door=door, path=path, content_type=types[target], object_id=pk,
                           kind=_kind(target)) for target, pk in shown]
    ProtectedRead.objects.bulk_create(reads, batch_size=500)
    return len(reads)


def note_request(request, model, pks, door: str | None = None) -> int:
    """`note()` for a request's reader: the door from the URL (API, the editor's desk, the admin)."""
    if door is None:
        door = _door_of(request.path)
    return note(getattr(request, "user", None), model, pks, door, request.path)


def _door_of(path: str) -> str:
    if path.startswith("/api/"):
        return Door.API
    if "/desk/" in path:
        return Door.DESK
    return Door.ADMIN


# --- reading the log -----------------------------------------------------------------------------

CSV_HEADER = ["at", "user", "door", "kind", "model", "object_id", "path"]


class _Line:
    def write(self, value):
        return value


def csv_lines(queryset):
    """The reads in `queryset` as CSV lines, oldest first (the admin's download and the
    `protected_reads` command)."""
    writer = csv.writer(_Line(), lineterminator="\r\n")
    rows = queryset.order_by("at", "id").values_list("at", "user__username", "door", "kind", "content_type__app_label",
                                                     "content_type__model", "object_id", "path")
    yield writer.writerow(CSV_HEADER)
    for at, user, door, kind, app_label, model, object_id, page in rows.iterator(chunk_size=2000):
        yield writer.writerow([at.isoformat(), neutralise(user or ""), door, kind, f"{app_label}.{model}", object_id,
                               neutralise(page)])
