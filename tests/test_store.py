import datetime as dt

import duckdb
import pytest

from tests.conftest import launch
from warehouse import RawRecord
from warehouse.errors import StoreError
from warehouse.log.chain import GENESIS_HASH
from warehouse.log.store import read_events

T0 = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)


def _log(store, query="select position, event_id, prev_hash, hash from events.log order by position"):
    with store.reader() as con:
        return con.execute(query).fetchall()


def test_append_counts_dedupes_and_chains(store, append):
    batch = [
        launch("A", "2024-01-01", ref="a"),
        launch("B", "2024-02-01", ref="b"),
        launch("A", "2024-01-01", ref="a"),  # duplicate inside the batch
        "{broken",
    ]
    first = append(batch)
    assert (first.read, first.appended, first.duplicate, first.quarantined) == (4, 2, 1, 1)
    second = append(batch + [launch("C", "2024-03-01", ref="c")])
    assert (second.read, second.appended, second.duplicate, second.quarantined) == (5, 1, 3, 1)

    rows = _log(store)
    assert [r[0] for r in rows] == [1, 2, 3]
    assert rows[0][2] == GENESIS_HASH
    assert all(rows[i][2] == rows[i - 1][3] for i in range(1, len(rows)))
    report = store.verify()
    assert report.ok and report.events == 3 and report.head_hash == rows[-1][3]


def test_quarantine_keeps_raw_payload_and_reason(store, append):
    result = append([launch("A", "2024-13-01")])
    with store.reader() as con:
        ((ref, reason, raw, run_id),) = con.execute(
            "select record_ref, reason, raw_payload, run_id from events.quarantine"
        ).fetchall()
    assert ref == "record 0" and "occurred_at" in reason and '"2024-13-01"' in raw
    assert run_id == result.run_id


def test_tampering_is_found_at_its_position(store, append):
    append([launch(f"M{i}", "2024-01-01", ref=str(i)) for i in range(5)])
    con = duckdb.connect(str(store.home.live_db))
    con.execute("update events.log set payload = '{\"model\":\"forged\"}' where position = 3")
    con.close()
    report = store.verify()
    assert not report.ok
    assert report.first_bad_position == 3
    assert "contents" in report.problem


def test_a_deleted_row_breaks_the_chain(store, append):
    append([launch(f"M{i}", "2024-01-01", ref=str(i)) for i in range(5)])
    con = duckdb.connect(str(store.home.live_db))
    con.execute("delete from events.log where position = 2")
    con.close()
    report = store.verify()
    assert not report.ok and report.first_bad_position == 3


def test_accounting_mismatch_is_reported(store, append):
    append([launch("A", "2024-01-01")])
    con = duckdb.connect(str(store.home.live_db))
    con.execute("update events.ingest_runs set appended = 2, records_read = 2")
    con.close()
    report = store.verify()
    assert not report.ok and "appended 2 but the log holds 1" in report.problem


def test_a_failing_source_leaves_nothing_behind(store, append):
    append([launch("A", "2024-01-01")])
    before = _log(store)

    def records():
        yield RawRecord("1", launch("B", "2024-01-01"))
        raise OSError("connection reset while reading the source")

    with pytest.raises(OSError):
        store.append(records(), source="flaky")
    assert _log(store) == before
    with store.reader() as con:
        assert con.execute("select count(*) from events.ingest_runs").fetchall() == [(1,)]
    assert store.verify().ok


def test_record_time_never_goes_backwards(store, append):
    append([launch("A", "2024-01-01")], at=T0)
    with pytest.raises(StoreError, match="earlier than the log's last record time"):
        append([launch("B", "2024-01-01")], at=T0 - dt.timedelta(days=1))


def test_read_events_upcasts_stored_old_versions(store, append):
    append([launch("A", "2024-01-01")])
    # A row stored by an older writer, at schema_version 1 (forged here through a side
    # door only to have an old row to read).
    con = duckdb.connect(str(store.home.live_db))
    con.execute(
        """update events.log set schema_version = 1,
           payload = '{"model":"A","organization":"OpenAI","country":"US"}'"""
    )
    con.close()
    with store.reader() as con:
        (event,) = list(read_events(con))
    assert event["payload"] == {"model": "A", "organizations": ["OpenAI"], "countries": ["US"]}


def test_readers_cannot_write(store, append):
    append([launch("A", "2024-01-01")])
    with store.reader() as con, pytest.raises(duckdb.Error, match="read-only"):
        con.execute("delete from events.log")
