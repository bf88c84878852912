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
is being rolled back; so does a block whose collection was discarded (an import refused or
previewed, rolled back without an exception).

`collecting(deferred=True)` (an import) delivers with `deferred=True`: a receiver whose work is
heavy (the consensus) may mark what is out of date in the same transaction and do the work
after the commit, as a background job; receivers that ignore the flag work as before.
"""

from __future__ import annotations

import contextlib
import threading

from django.dispatch import Signal

records_written = Signal()  # sender: the model; records: list of the written instances; deferred: bool

_local = threading.local()


def written(model, records) -> None:
    """Announce that `records` of `model` were written (now, or at the end of `collecting()`)."""
    records = list(records)
    if not records:
        return
    pending = getattr(_local, "pending", None)
    if pending is None:
        records_written.send(sender=model, records=records, deferred=False)
    else:
        pending.setdefault(model, []).extend(records)


class Collection:
    """What one `collecting()` block gathered: `discard()` drops it (the block's write is being
    rolled back), leaving what an enclosing block gathered before it."""

    def __init__(self, pending, marks=None):
        self.pending = pending
        self.marks = marks  # a nested block: how much the enclosing one had gathered at its start
        self.discarded = False

    def discard(self):
        self.discarded = True
        if self.marks is None:
            return
        for model in list(self.pending):
            if model in self.marks:
                del self.pending[model][self.marks[model]:]
            else:
                del self.pending[model]


@contextlib.contextmanager
def collecting(deferred: bool = False):
    """Gather every `written()` inside the block and deliver them once per model at the end of
    the outermost block (with `deferred`: receivers may finish their work after the commit)."""
    pending = getattr(_local, "pending", None)
    if pending is not None:  # nested: the outermost block delivers
        yield Collection(pending, marks={model: len(records) for model, records in pending.items()})
        return
    collection = Collection(pending={})
    _local.pending = collection.pending
    try:
        yield collection
    finally:
        _local.pending = None
    if not collection.discarded:
        for model, records in collection.pending.items():
            records_written.send(sender=model, records=records, deferred=deferred)
