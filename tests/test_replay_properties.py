"""Determinism and idempotency of the log and everything built from it.

* Any chunking: the same records appended in batches of any sizes, into fresh
  warehouses, give the same log (event ids, order, payloads) and, after
  `rebuild_projections`, the same rows in every core.* and marts.* table (record-time
  columns and run ids aside: they say when, not what).
* Twice is once: appending the same records again appends nothing and changes no
  table.
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
import random
from pathlib import Path
from typing import Any

import duckdb
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from tests.tools.bench import EventGenerator
from warehouse import EventStore, RawRecord, WarehouseHome
from warehouse.projections.refresh import rebuild_projections

# Columns that record when something was appended, by which run: they differ between
# replays by design. Anything else differing is a determinism bug.
RECORD_TIME_COLUMNS = {
    "recorded_at", "first_recorded_at", "last_recorded_at", "corrected_at", "run_id", "quarantined_at",
    "started_at", "finished_at",
}
N_RECORDS = 300
# Each example builds a warehouse and every projection (seconds): a failure is reported
# as found, not shrunk, to keep the run bounded.
NO_SHRINK = (Phase.explicit, Phase.reuse, Phase.generate)


def _records(seed: int = 3, n: int = N_RECORDS) -> list[Any]:
    """Realistic records of every type (corrections and retractions of earlier ones),
    with exact duplicates and bad rows mixed in, some as JSON text."""
    gen = EventGenerator(seed)
    rng = random.Random(seed)
    records: list[Any] = []
    for _ in range(n):
        roll = rng.random()
        if roll < 0.05:
            records.append(gen.bad_line())
        elif roll < 0.12 and records:
            records.append(rng.choice(records))
        elif roll < 0.2:
            records.append(json.dumps(gen.record()))
        else:
            records.append(gen.record())
    return records


RECORDS = _records()


RAW = [RawRecord(f"record {i}", value) for i, value in enumerate(RECORDS)]


def _chunks(raw: list[RawRecord], sizes: list[int]) -> list[list[RawRecord]]:
    """Consecutive batches of the given sizes, the rest as one last batch."""
    batches, start = [], 0
    for size in sizes:
        if start >= len(raw):
            break
        batches.append(raw[start : start + size])
        start += size
    if start < len(raw):
        batches.append(raw[start:])
    return batches


def _append_all(store: EventStore, batches: list[list[RawRecord]], *, start: dt.datetime | None = None) -> list:
    results = []
    moment = start or dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    for i, batch in enumerate(batches):
        results.append(store.append(batch, source="replay", recorded_at=moment + dt.timedelta(seconds=i)))
    return results


def _state(store: EventStore) -> dict[str, Any]:
    """The log's content and every core.* / marts.* table, record-time columns aside."""
    with store.writer() as con:
        rebuild_projections(con)
        return _tables(con)


def _tables(con: duckdb.DuckDBPyConnection) -> dict[str, Any]:
    state: dict[str, Any] = {
        "log": con.execute(
            "select position, event_id, event_type, schema_version, subject, occurred_at, occurred_precision, "
            "source, source_url, source_ref, retrieved_at, payload from events.log order by position"
        ).fetchall(),
        "quarantine": con.execute(
            "select record_ref, reason, raw_payload from events.quarantine order by all"
        ).fetchall(),
    }
    tables = con.execute(
        """select schema_name, table_name from duckdb_tables()
           where database_name = current_database() and schema_name in ('core', 'marts') order by all"""
    ).fetchall()
    assert len(tables) >= 10
    for schema, table in tables:
        columns = [
            name for (name,) in con.execute(
                "select column_name from duckdb_columns() where database_name = current_database() "
                "and schema_name = ? and table_name = ? order by column_index",
                [schema, table],
            ).fetchall()
            if name not in RECORD_TIME_COLUMNS
        ]
        select = ", ".join(f'"{c}"' for c in columns)
        # Sorted on every column, so the row order of a table is not part of the comparison.
        state[f"{schema}.{table}"] = con.execute(f'select {select} from "{schema}"."{table}" order by all').fetchall()
    return state


def _diff(expected: dict[str, Any], actual: dict[str, Any]) -> list[str]:
    problems = []
    for name in sorted(set(expected) | set(actual)):
        if expected.get(name) != actual.get(name):
            want, got = expected.get(name) or [], actual.get(name) or []
            first = next((i for i, (a, b) in enumerate(zip(want, got, strict=False)) if a != b), min(len(want), len(got)))
            problems.append(
                f"{name}: {len(want)} vs {len(got)} rows; first difference at row {first}: "
                f"{want[first] if first < len(want) else None!r} vs {got[first] if first < len(got) else None!r}"
            )
    return problems


def _home(root: Path, name: str) -> EventStore:
    return EventStore(WarehouseHome.resolve(root / name).ensure(), lock_timeout_s=10)


def test_the_reference_replay_holds_every_kind_of_event(tmp_path):
    store = _home(tmp_path, "one-batch")
    (result,) = _append_all(store, _chunks(RAW, []))
    assert result.quarantined > 0 and result.duplicate > 0 and result.appended > 200
    with store.reader() as con:
        types = {t for (t,) in con.execute("select distinct event_type from events.log").fetchall()}
    assert types == {
        "model.launched", "product.released", "allegation.made", "allegation.updated", "policy.changed",
        "event.corrected", "event.retracted",
    }


def test_any_chunking_gives_the_same_log_and_projections(tmp_path):
    reference = _home(tmp_path, "reference")
    _append_all(reference, _chunks(RAW, []))
    expected = _state(reference)
    examples = itertools.count()

    @settings(max_examples=4, deadline=None, phases=NO_SHRINK, suppress_health_check=[HealthCheck.too_slow])
    @given(sizes=st.lists(st.integers(min_value=1, max_value=len(RECORDS)), min_size=1, max_size=12))
    def replay(sizes):
        store = _home(tmp_path, f"replay-{next(examples)}")
        results = _append_all(store, _chunks(RAW, sizes))
        assert sum(r.read for r in results) == len(RECORDS)
        assert store.verify().ok
        problems = _diff(expected, _state(store))
        assert not problems, "chunking " + repr(sizes[:10]) + " changed:\n" + "\n".join(problems)

    replay()


def test_rebuilding_the_same_log_gives_the_same_tables(tmp_path):
    # No chunking at all: the same warehouse rebuilt again must not change a value.
    store = _home(tmp_path, "again")
    _append_all(store, _chunks(RAW, []))
    first = _state(store)
    for _ in range(2):
        problems = _diff(first, _state(store))
        assert not problems, "\n".join(problems)


def test_one_event_per_batch_gives_the_same_projections(tmp_path):
    # The extreme chunking, explicitly: the first 40 records one per batch.
    reference = _home(tmp_path, "reference")
    _append_all(reference, _chunks(RAW, []))
    single = _home(tmp_path, "single")
    _append_all(single, _chunks(RAW, [1] * 40))
    assert single.verify().ok
    problems = _diff(_state(reference), _state(single))
    assert not problems, "\n".join(problems)


def test_appending_the_same_events_twice_changes_nothing(tmp_path):
    store = _home(tmp_path, "twice")
    _append_all(store, _chunks(RAW, [97, 97, 97]))
    before = _state(store)
    with store.reader() as con:
        hashes = con.execute("select position, hash from events.log order by position").fetchall()

    @settings(max_examples=2, deadline=None, phases=NO_SHRINK, suppress_health_check=[HealthCheck.too_slow])
    @given(sizes=st.lists(st.integers(min_value=1, max_value=len(RECORDS)), min_size=1, max_size=6))
    def again(sizes):
        results = _append_all(store, _chunks(RAW, sizes), start=dt.datetime(2026, 2, 1, tzinfo=dt.UTC))
        assert sum(r.appended for r in results) == 0
        assert sum(r.read for r in results) == len(RECORDS)
        with store.reader() as con:
            assert con.execute("select position, hash from events.log order by position").fetchall() == hashes
        after = _state(store)
        # The quarantine keeps one row per bad record per run: it grows, by design.
        problems = _diff({**before, "quarantine": None}, {**after, "quarantine": None})
        assert not problems, "\n".join(problems)
        assert store.verify().ok

    again()
