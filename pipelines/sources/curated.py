"""The hand-curated bundle: events Epoch AI's table does not hold (allegations,
policies, releases, launches after its cut-off), each with its source URL."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path

import warehouse
from pipelines.sources.kind import Location, Parsed, SourceKind, register_kind
from pipelines.sources.registry import CuratedSource
from warehouse.log.readers import read_jsonl
from warehouse.log.store import EventStore, IngestResult, RawRecord

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


@register_kind
class CuratedKind(SourceKind):
    """The bundle as a full snapshot (see ingest_curated): read from disk in every mode."""

    name = "curated"
    entry = CuratedSource
    snapshot = True
    transport = "local"
    formats = frozenset({"jsonl"})

    def asset_key(self, entry: CuratedSource) -> list[str]:
        return ["curated_events"]

    def locations(self, entry: CuratedSource) -> list[Location]:
        path = entry.offline_path()
        return [Location(ref=str(path) if path else entry.name, offline=(path,) if path else ())]

    def parse(self, entry: CuratedSource, location: Location, content: bytes, page: int) -> Parsed:
        # The JSONL reader works on the file (its line numbers name the records); the
        # runner read the same bundled file a moment before, for the snapshot's digest.
        return Parsed(records=tuple(curated_records(location.offline[page - 1])))

    def describe(self, entry: CuratedSource) -> str:
        return (
            f"Hand-curated events shipped with airace ({entry.offline_path()}): allegations, policy "
            "changes, product releases and launches Epoch AI's table lacks, each with its source URL. "
            "Reconciled with events.log as a full snapshot: an edited line becomes a correction, a removed "
            "line a retraction; re-running adds nothing. Registry source 'curated'."
        )
