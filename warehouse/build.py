"""What follows every append: refresh the projections, then publish the analysts' snapshot.

The words, each for one thing: *refresh* brings core.* and marts.* up to the log
(incrementally when the checkpoint can be trusted); *publish* writes the analysts'
snapshot (warehouse.publishing.snapshot.publish_snapshot); *rebuild* recomputes every table from
scratch (warehouse.projections.refresh.rebuild_projections).
"""

from __future__ import annotations

from warehouse.log.store import EventStore
from warehouse.projections.refresh import RefreshReport, rebuild_projections, refresh_projections
from warehouse.publishing.snapshot import PublishedSnapshot, publish_snapshot


def refresh(store: EventStore, *, full: bool = False) -> RefreshReport:
    """Bring core.* and marts.* up to the log: incrementally from the checkpoint when it
    can be trusted, else in full (see warehouse.projections.refresh.refresh_projections). `full`
    forces a full refresh whatever the checkpoint says (`airace run --full-refresh`): the
    way out should an incremental refresh ever be doubted."""
    with store.writer(purpose="refresh projections") as con:
        return rebuild_projections(con) if full else refresh_projections(con)


def refresh_and_publish(store: EventStore, *, full: bool = False) -> tuple[dict[str, int], PublishedSnapshot]:
    """Refresh core.* and marts.* from the log (see `refresh`), then publish the analysts' snapshot."""
    report = refresh(store, full=full)
    return report.counts, publish_snapshot(store.home, lock_timeout_s=store.lock_timeout_s)
