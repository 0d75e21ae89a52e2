"""The hand-curated bundle: events Epoch AI's table does not hold (allegations,
policies, releases, launches after its cut-off), each with its source URL."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import warehouse
from warehouse.readers import read_jsonl
from warehouse.store import RawRecord

SOURCE_NAME = "curated"
CURATED_EVENTS = Path(warehouse.__file__).resolve().parent / "bundled" / "curated_events.jsonl"


def curated_records(path: Path = CURATED_EVENTS) -> Iterator[RawRecord]:
    return read_jsonl(path)
