"""The staging area of one append batch: the `staging` table's rows and the quarantine.

Both ingest paths fill it (the record path in warehouse/log/store.py, the bulk JSON Lines
path in warehouse/log/bulk_ingest.py), then the store appends what was staged. A module
below both, so the bulk path does not import the store that calls it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import duckdb
import pyarrow as pa

from schemas import NewEvent, Rejection
from schemas.events import AMENDMENT_TYPES, raw_record_text

_STAGING_SCHEMA = pa.schema(
    [
        ("seq", pa.int64()),
        ("event_id", pa.string()),
        ("event_type", pa.string()),
        ("schema_version", pa.int32()),
        ("subject", pa.string()),
        ("occurred_at", pa.date32()),
        ("occurred_precision", pa.string()),
        ("source", pa.string()),
        ("source_url", pa.string()),
        ("source_ref", pa.string()),
        ("retrieved_at", pa.timestamp("us", tz="UTC")),
        ("payload", pa.string()),
        ("amendment_ref", pa.string()),
        ("amendment_raw", pa.string()),
    ]
)
_QUARANTINE_SCHEMA = pa.schema([("record_ref", pa.string()), ("reason", pa.string()), ("raw_payload", pa.string())])


# (record reference, raw record) of an amendment, kept in staging: its target may still
# refuse it (warehouse/log/amendments.py), and the quarantine then needs both.
AmendmentRecord = tuple[str, str]


def amendment_record(event: NewEvent, ref: str, raw: Any) -> AmendmentRecord | None:
    return (ref, raw_record_text(raw)) if event.event_type in AMENDMENT_TYPES else None


def _staging_table(
    events: list[NewEvent], seqs: Sequence[int], amendments: Sequence[AmendmentRecord | None] | None = None
) -> pa.Table:
    amendments = amendments if amendments is not None else [None] * len(events)
    return pa.Table.from_pydict(
        {
            "seq": seqs,
            "event_id": [e.event_id for e in events],
            "event_type": [e.event_type for e in events],
            "schema_version": [e.schema_version for e in events],
            "subject": [e.subject for e in events],
            "occurred_at": [e.occurred_at for e in events],
            "occurred_precision": [e.occurred_precision for e in events],
            "source": [e.source for e in events],
            "source_url": [e.source_url for e in events],
            "source_ref": [e.source_ref for e in events],
            "retrieved_at": [e.retrieved_at for e in events],
            "payload": [e.payload_json for e in events],
            "amendment_ref": [a[0] if a else None for a in amendments],
            "amendment_raw": [a[1] if a else None for a in amendments],
        },
        schema=_STAGING_SCHEMA,
    )


def insert_from_arrow(con: duckdb.DuckDBPyConnection, rows: pa.Table, name: str, statement: str) -> None:
    """Run `statement`, which reads the Arrow `rows` as the table `name`, and let them go.

    (A table given to `con.register` stays referenced by the open transaction until it
    commits, even once unregistered: an append of a million lines held every chunk it had
    staged, and every slice of hashes, to the end. Read through a relation, it does not.)
    """
    con.from_arrow(rows).query(name, statement)


@dataclass(frozen=True)
class Batch:
    """What a stager needs to fill `staging` and `events.quarantine` for one append batch."""

    con: duckdb.DuckDBPyConnection
    run_id: str
    source: str
    recorded_at: dt.datetime

    def stage_events(
        self,
        events: list[NewEvent],
        seqs: Sequence[int],
        amendments: Sequence[AmendmentRecord | None] | None = None,
    ) -> None:
        """Validated events into `staging`; `seqs` order them (first occurrence wins);
        `amendments`: each event's `amendment_record` (None for the others)."""
        insert_from_arrow(
            self.con, _staging_table(events, seqs, amendments), "_chunk", "insert into staging by name select * from _chunk"
        )

    def quarantine(self, rejections: list[Rejection]) -> None:
        bad = pa.Table.from_pylist([r.model_dump() for r in rejections]).rename_columns(
            ["record_ref", "reason", "raw_payload"]
        ).cast(_QUARANTINE_SCHEMA)
        count = len(rejections)
        bad = bad.append_column("run_id", pa.repeat(pa.scalar(self.run_id, pa.string()), count))
        bad = bad.append_column("source", pa.repeat(pa.scalar(self.source, pa.string()), count))
        bad = bad.append_column(
            "quarantined_at", pa.repeat(pa.scalar(self.recorded_at, pa.timestamp("us", tz="UTC")), count)
        )
        insert_from_arrow(self.con, bad, "_bad", "insert into events.quarantine by name select * from _bad")


@dataclass(frozen=True)
class Staged:
    read: int
    quarantined: int
    # Of `read`, how many the bulk path's SQL validated (the rest went through pydantic).
    fast: int = 0


# A stager fills `staging` (and the quarantine) and says how many records it read.
Stager = Callable[[Batch], Staged]
