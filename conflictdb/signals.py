"""Domain signals: one trigger for what is derived from written records.

`records_written` is sent after tracked records are written, whatever the door and whatever the
path: a single save (TrackedModel.save), a bulk create (conflictdb.bulk, TrackedQuerySet.bulk_create)
or a queryset update (TrackedQuerySet.update). Derived data — an app's consensus figures, the
place index — subscribe to it once and so follow single saves and bulk writes alike; no door
triggers derived data by hand.

    records_written.send(sender=Model, records=[instances as written])

Inside `collecting()` (an import writing many chunks in one transaction), sends are gathered and
delivered once per model when the outermost block ends, so derived data is computed once for the
whole write instead of once per chunk. A block left by an exception delivers nothing: the write
is being rolled back.
"""

from __future__ import annotations

import contextlib
import threading

from django.dispatch import Signal

records_written = Signal()  # sender: the model; records: list of the written instances

_local = threading.local()


def written(model, records) -> None:
    """Announce that `records` of `model` were written (now, or at the end of `collecting()`)."""
    records = list(records)
    if not records:
        return
    pending = getattr(_local, "pending", None)
    if pending is None:
        records_written.send(sender=model, records=records)
    else:
        pending.setdefault(model, []).extend(records)


@contextlib.contextmanager
def collecting():
    """Gather every `written()` inside the block and deliver them once per model at its end."""
    if getattr(_local, "pending", None) is not None:  # nested: the outermost block delivers
        yield
        return
    _local.pending = {}
    try:
        yield
        pending = _local.pending
    finally:
        _local.pending = None
    for model, records in pending.items():
        records_written.send(sender=model, records=records)
