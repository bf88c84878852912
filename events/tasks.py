"""The events app's background jobs (Django's Tasks framework, conflictdb.jobs for the machinery).

refresh_consensus: after an import commits, recompute the consensus of the events it marked stale
(events.consensus.mark_stale / refresh_stale). Enqueued once per committed import; a run that
finds nothing stale (another run did it) returns at once.
"""

from django_tasks import task

from events import consensus


@task()
def refresh_consensus() -> int:
    return consensus.refresh_stale()


def enqueue_refresh() -> None:
    """Called on commit of a transaction that marked consensus stale (events.consensus.connect
    is given it by EventsConfig.ready)."""
    refresh_consensus.enqueue()
