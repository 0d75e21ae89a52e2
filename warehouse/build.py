"""What follows every append: refresh the projections, then publish the analysts' snapshot.

The words, each for one thing: *refresh* brings core.* and marts.* up to the log
(incrementally when the checkpoint can be trusted); *publish* writes the analysts'
snapshot (warehouse.publishing.snapshot.publish_snapshot); *rebuild* recomputes every table from
scratch (warehouse.projections.refresh.rebuild_projections).
"""

from __future__ import annotations

from warehouse.log.store import EventStore
from warehouse.projections.refresh import RefreshReport, refresh_projections
from warehouse.publishing.snapshot import PublishedSnapshot, publish_snapshot


def refresh(store: EventStore) -> RefreshReport:
    """Bring core.* and marts.* up to the log: incrementally from the checkpoint when it
    can be trusted, else in full (see warehouse.projections.refresh.refresh_projections)."""
    with store.writer(purpose="refresh projections") as con:
        return refresh_projections(con)


def refresh_and_publish(store: EventStore) -> tuple[dict[str, int], PublishedSnapshot]:
    """Refresh core.* and marts.* from the log, then publish the analysts' snapshot."""
    report = refresh(store)
    return report.counts, publish_snapshot(store.home, lock_timeout_s=store.lock_timeout_s)
