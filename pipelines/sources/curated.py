"""The hand-curated bundle: events Epoch AI's table does not hold (allegations,
policies, releases, launches after its cut-off), each with its source URL."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path

import warehouse
from warehouse.readers import read_jsonl
from warehouse.store import EventStore, IngestResult, RawRecord

SOURCE_NAME = "curated"
CURATED_EVENTS = Path(warehouse.__file__).resolve().parent / "bundled" / "curated_events.jsonl"


def curated_records(path: Path = CURATED_EVENTS) -> Iterator[RawRecord]:
    return read_jsonl(path)


def ingest_curated(store: EventStore, path: Path = CURATED_EVENTS, *, run_id: str | None = None) -> IngestResult:
    """Ingest the bundle as the source's full snapshot. Every line carries a stable
    `source_ref`, so an edited line (a better source, a truer date) becomes an
    `event.corrected` of the event a warehouse already holds, and a line left out
    becomes its `event.retracted` - instead of being skipped as a duplicate of the
    old version and staying wrong."""
    return store.append_snapshot(
        curated_records(path),
        source=SOURCE_NAME,
        input_sha256=hashlib.sha256(path.read_bytes()).hexdigest(),
        run_id=run_id,
    )
