"""Rebuilding the projections and publishing the snapshot: what follows every append."""

from __future__ import annotations

from warehouse.projections import rebuild_all
from warehouse.snapshot import PublishedSnapshot, publish_snapshot
from warehouse.store import EventStore


def rebuild(store: EventStore) -> dict[str, int]:
    with store.writer(purpose="rebuild projections") as con:
        return rebuild_all(con)


def refresh(store: EventStore) -> tuple[dict[str, int], PublishedSnapshot]:
    """Rebuild core.* and marts.* from the log, then publish the analysts' snapshot."""
    counts = rebuild(store)
    return counts, publish_snapshot(store.home, lock_timeout_s=store.lock_timeout_s)
