"""An append's memory does not grow with what it has already staged: amendments are
checked a chunk of linked groups at a time with the same outcome as all at once.

Real warehouses in tmp_path, the real append paths (record and bulk JSON Lines).
"""

from __future__ import annotations

import duckdb

import warehouse.log.amendments
from tests.conftest import launch, write_jsonl
from tests.test_amendments import GPT4, _event_id, correction, retraction
from warehouse import EventStore, WarehouseHome
from warehouse.log.records import RawRecord

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
