"""Who is writing, through which door, and why.

Every write to a tracked record happens inside a provenance context. Doors open one:
the admin and API through ProvenanceMiddleware, the seed loader and management commands with
`acting(...)`, imports with `acting(channel=Channel.IMPORT, batch=...)`. TrackedModel.save(),
TrackedQuerySet.update()/bulk_create() and the history library all read it from here, so no
door can forget to stamp a record.
"""

from __future__ import annotations

import contextvars
from contextlib import contextmanager
from dataclasses import dataclass, replace

from django.db import models


class Channel(models.TextChoices):
    ADMIN = "admin", "Admin"
    API = "api", "API"
    IMPORT = "import", "Import batch"
    SEED = "seed", "Seed"
    SYSTEM = "system", "System"


@dataclass(frozen=True)
class Provenance:
    user: object | None = None  # a User, or None for system work
    channel: str = Channel.SYSTEM
    batch: object | None = None  # a conflictdb.models.ImportBatch
    row: int | None = None
    reason: str = ""


# The default is a frozen dataclass: shared safely, never mutated (acting() replaces it).
_current: contextvars.ContextVar[Provenance] = contextvars.ContextVar(
    "conflictdb_provenance", default=Provenance()  # noqa: B039
)


def current() -> Provenance:
    return _current.get()


@contextmanager
def acting(**changes):
    """Run a block as a given user / channel / batch / reason; nests, restoring on exit."""
    token = _current.set(replace(_current.get(), **changes))
    try:
        yield _current.get()
    finally:
        _current.reset(token)


def history_user(instance=None, request=None, **kwargs):
    """`get_user` hook for django-simple-history: the user of the provenance context."""
    user = current().user
    if user is not None and getattr(user, "is_authenticated", False):
        return user
    return None


class ProvenanceMiddleware:
    """Attributes every write in a request to its user and to the door it came through."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        channel = Channel.API if request.path.startswith("/api/") else Channel.ADMIN
        user = request.user if request.user.is_authenticated else None
        with acting(user=user, channel=channel):
            return self.get_response(request)
