"""An append's memory does not grow with what it has already staged: amendments are
checked a chunk of linked groups at a time with the same outcome as all at once, and the
Arrow rows handed to DuckDB are let go as soon as they are inserted.

Real warehouses in tmp_path, the real append paths (record and bulk JSON Lines).
"""

from __future__ import annotations

import duckdb
import pyarrow as pa
import pytest

import warehouse.log.amendments
import warehouse.log.store
from schemas import NewEvent, Rejection, parse_record
from tests.conftest import launch, write_jsonl
from tests.test_amendments import GPT4, _event_id, correction, retraction
from warehouse import EventStore, WarehouseHome
from warehouse.log.records import RawRecord
from warehouse.log.staging import Batch, Staged
from warehouse.log.store import append_staged

CLAUDE = launch("Claude 3", "2024-03-04", orgs=("Anthropic",), ref="claude-3", parameters=5e11)


def _outcome(store: EventStore) -> tuple[list[tuple], list[tuple]]:
    con = duckdb.connect(str(store.home.live_db), read_only=True)
    try:
        log = con.execute("select event_id, event_type from events.log order by position").fetchall()
        quarantine = con.execute("select record_ref, reason from events.quarantine order by record_ref").fetchall()
        return log, quarantine
    finally:
        con.close()


def _linked_batch() -> list[dict]:
    """Amendments that depend on each other across the batch, mixed with unrelated ones."""
    fix = correction(GPT4, {"parameters": 2e12}, "fix/1")
    logged_fix = correction(CLAUDE, {"parameters": 6e11}, "fix/logged")
    return [
        fix,                                                   # a correction of a logged fact
        correction(CLAUDE, {"countries": ["US"]}, "fix/2"),    # unrelated to the GPT-4 group
        retraction(logged_fix, "undo/logged"),                 # a retraction of a logged correction
        retraction(fix, "undo/1"),                             # needs `fix`, accepted above in this batch
        retraction(retraction(fix, "undo/1"), "undo/2"),       # a retraction of a retraction: refused
        correction(fix, {"parameters": 3e12}, "fix/3"),        # a correction of a correction: refused
        correction(GPT4, {"parameters": "many"}, "fix/4"),     # invalid once applied: refused
        fix,                                                   # the same line again: a duplicate
        retraction(launch("Ghost", "2025-01-01", ref="ghost"), "undo/ghost"),  # unknown target: refused
    ]


def _ingest_linked_batch(tmp_path, name: str) -> tuple[list[tuple], list[tuple]]:
    store = EventStore(WarehouseHome.resolve(tmp_path / name), lock_timeout_s=10)
    (tmp_path / f"{name}-batch").mkdir()
    store.append([RawRecord("setup 0", GPT4), RawRecord("setup 1", CLAUDE)], source="test")
    store.append([RawRecord("setup 2", correction(CLAUDE, {"parameters": 6e11}, "fix/logged"))], source="test")
    path = write_jsonl(tmp_path / f"{name}-batch" / "batch.jsonl", _linked_batch())
    store.append_file(path, source="file")
    return _outcome(store)


def test_amendments_checked_one_chunk_at_a_time_are_judged_as_the_whole_batch_would_be(tmp_path, monkeypatch):
    whole = _ingest_linked_batch(tmp_path, "whole")
    monkeypatch.setattr(warehouse.log.amendments, "AMENDMENT_CHUNK", 1)

    chunked = _ingest_linked_batch(tmp_path, "chunked")

    assert chunked == whole
    log, quarantine = chunked
    refused = {ref.split(":")[1]: reason for ref, reason in quarantine}
    # Lines 5, 6, 7 and 9 are refused, each for its own reason; the retraction on line 4
    # found the correction of line 1 although, in chunks of one, they are checked together.
    assert sorted(refused) == ["5", "6", "7", "9"], quarantine
    assert "cannot be retracted" in refused["5"]
    assert "only facts are corrected" in refused["6"]
    assert "parameters" in refused["7"]
    assert "not in the log nor in this batch" in refused["9"]
    appended = {event_id for event_id, _ in log}
    assert _event_id(retraction(correction(GPT4, {"parameters": 2e12}, "fix/1"), "undo/1")) in appended
    assert _event_id(retraction(correction(CLAUDE, {"parameters": 6e11}, "fix/logged"), "undo/logged")) in appended


def _launches(count: int) -> list[NewEvent]:
    return [parse_record(launch(f"Model {i}", "2024-01-01", ref=f"m{i}"), record_ref=f"r{i}") for i in range(count)]


@pytest.mark.parametrize("what", ["events", "rejections"])
def test_arrow_rows_staged_in_an_open_batch_are_released_at_once(store, what):
    """A million-line append stages hundreds of chunks inside one transaction: none may stay
    referenced until the commit (DuckDB keeps a table given to `register` alive that long)."""
    events = _launches(2_000)
    held: list[int] = []

    def stage(batch: Batch) -> Staged:
        before = pa.total_allocated_bytes()
        for start in range(0, len(events), 500):
            if what == "events":
                batch.stage_events(events[start:start + 500], range(start, start + 500))
            else:
                batch.quarantine([Rejection(record_ref=f"r{i}", reason="test", raw="x" * 1_000)
                                  for i in range(start, start + 500)])
            held.append(pa.total_allocated_bytes() - before)
        return Staged(read=len(events), quarantined=0 if what == "events" else len(events))

    with store.writer() as con:
        result = append_staged(con, stage, source="test")

    assert (result.appended, result.quarantined) == ((2_000, 0) if what == "events" else (0, 2_000))
    assert held == [0, 0, 0, 0]


def test_each_slice_of_hashes_is_released_before_the_next(store, append, monkeypatch):
    monkeypatch.setattr(warehouse.log.store, "HASH_SLICE", 100)
    held: list[int] = []
    real_chain = warehouse.log.store.chain

    def chain(prev_hash: str, digests: list[str]) -> list[str]:
        held.append(pa.total_allocated_bytes())
        return real_chain(prev_hash, digests)

    monkeypatch.setattr(warehouse.log.store, "chain", chain)

    result = append([launch(f"Model {i}", "2024-01-01", ref=f"m{i}") for i in range(1_000)])

    assert result.appended == 1_000 and len(held) == 10
    assert max(held) == held[0], held
    assert store.verify().ok
