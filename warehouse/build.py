"""Refreshing the projections and publishing the snapshot: what follows every append."""

from __future__ import annotations

from warehouse.projections import RefreshReport, refresh_projections
from warehouse.snapshot import PublishedSnapshot, publish_snapshot
from warehouse.store import EventStore


def rebuild(store: EventStore) -> RefreshReport:
    """Bring core.* and marts.* up to the log: incrementally from the checkpoint when it
    can be trusted, else in full (see warehouse.projections.refresh_projections)."""
    with store.writer(purpose="rebuild projections") as con:
        return refresh_projections(con)


def refresh(store: EventStore) -> tuple[dict[str, int], PublishedSnapshot]:
    """Refresh core.* and marts.* from the log, then publish the analysts' snapshot."""
    report = rebuild(store)
    return report.counts, publish_snapshot(store.home, lock_timeout_s=store.lock_timeout_s)
