"""The event store: the single append path, the hash chain and its verification.

Nothing else in airace writes to `events.*`. Every other reader opens the
database read-only (or reads the published snapshot).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import itertools
import json
import uuid
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from schemas import NewEvent, Rejection, parse_record, upcast_payload
from schemas.events import storable
from warehouse.errors import StoreError
from warehouse.home import WarehouseHome
from warehouse.log.amendments import rejected_amendments
from warehouse.log.bulk_ingest import stage_jsonl
from warehouse.log.chain import GENESIS_HASH, ROW_DIGEST_SQL, chain, connect
from warehouse.log.lock import DEFAULT_TIMEOUT_S, writer_lock
from warehouse.log.readers import read_event_file
from warehouse.log.reconcile import reconcile_snapshot
from warehouse.log.records import IngestResult, RawRecord, VerifyReport
from warehouse.log.staging import AmendmentRecord, Batch, Staged, Stager, amendment_record, insert_from_arrow
from warehouse.log.witness import read_witness, verify_snapshot, verify_with_witness

CHUNK_SIZE = 50_000
# DuckDB's memory during a bulk file append: a base for any file (staging spills to
# the temp directory beyond it), plus room for the log's indexes (position, event_id),
# which DuckDB holds in memory to check and extend on insert: they grow with the log.
BULK_MEMORY_BASE_MB = 200
BULK_MEMORY_PER_LOGGED_EVENT_BYTES = 160
# Past this, a retry after an out-of-memory error gives up.
BULK_MEMORY_MAX_MB = 4096


def bulk_memory_limit_mb(logged_events: int) -> int:
    return BULK_MEMORY_BASE_MB + logged_events * BULK_MEMORY_PER_LOGGED_EVENT_BYTES // (1024 * 1024)


EVENTS_DDL = """
create schema if not exists events;
create table if not exists events.log (
    position           bigint primary key,
    event_id           varchar not null unique,
    event_type         varchar not null,
    schema_version     integer not null,
    subject            varchar not null,
    occurred_at        date not null,
    occurred_precision varchar not null,
    recorded_at        timestamptz not null,
    source             varchar not null,
    source_url         varchar,
    source_ref         varchar,
    retrieved_at       timestamptz,
    payload            json not null,
    prev_hash          varchar not null,
    hash               varchar not null,
    run_id             varchar not null
);
create table if not exists events.quarantine (
    run_id          varchar not null,
    source          varchar not null,
    record_ref      varchar not null,
    reason          varchar not null,
    raw_payload     varchar not null,
    quarantined_at  timestamptz not null
);
create table if not exists events.ingest_runs (
    run_id          varchar primary key,
    source          varchar not null,
    started_at      timestamptz not null,
    finished_at     timestamptz not null,
    records_read    bigint not null,
    appended        bigint not null,
    duplicate       bigint not null,
    quarantined     bigint not null,
    first_position  bigint,
    last_position   bigint,
    head_hash       varchar not null,
    -- sha256 of the whole input, for sources that deliver snapshots (one file = one state)
    input_sha256    varchar
);
create or replace macro events.log_as_of(as_of) as table
    select * from events.log where recorded_at <= as_of::timestamptz;
"""

def ensure_schema(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(EVENTS_DDL)


class EventStore:
    """The append-only log of one warehouse home."""

    def __init__(self, home: WarehouseHome, *, lock_timeout_s: float = DEFAULT_TIMEOUT_S) -> None:
        self.home = home
        self.lock_timeout_s = lock_timeout_s

    @contextmanager
    def writer(self, purpose: str = "") -> Iterator[duckdb.DuckDBPyConnection]:
        """A read-write connection, held under the cross-process writer lock."""
        self.home.ensure()
        with writer_lock(self.home.lock_file, timeout_s=self.lock_timeout_s, purpose=purpose):
            con = connect(self.home.live_db, read_only=False)
            try:
                ensure_schema(con)
                yield con
            finally:
                con.close()

    @contextmanager
    def reader(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """A read-only connection to the live log, for the pipeline itself (verify, previews).

        DuckDB locks the file: even a read-only open excludes a writer in another
        process (and fails at once if one is open), so readers of the live file queue
        on the writer lock too. Analysts read the snapshot and never wait here.
        """
        if not self.home.live_db.exists():
            raise StoreError(f"no warehouse at {self.home.live_db}: run `airace run` or `airace ingest` first")
        with writer_lock(self.home.lock_file, timeout_s=self.lock_timeout_s, purpose="read the live log"):
            con = connect(self.home.live_db, read_only=True)
            try:
                yield con
            finally:
                con.close()

    def append(
        self,
        records: Iterable[RawRecord],
        *,
        source: str,
        run_id: str | None = None,
        recorded_at: dt.datetime | None = None,
        default_source: str | None = None,
        input_sha256: str | None = None,
    ) -> IngestResult:
        """Validate and append records as one batch: all of it lands, or none of it.

        Duplicates (by event_id, against the log and inside the batch) are
        counted, invalid records go to `events.quarantine` with their raw
        payload, and the run is written to `events.ingest_runs`.
        """
        with self.writer(purpose=f"append {source}") as con:
            return append_batch(
                con,
                records,
                source=source,
                run_id=run_id,
                recorded_at=recorded_at,
                default_source=default_source,
                input_sha256=input_sha256,
            )

    def append_file(
        self,
        path: Path,
        *,
        source: str,
        default_source: str | None = None,
        run_id: str | None = None,
        recorded_at: dt.datetime | None = None,
    ) -> IngestResult:
        """Append an event file (JSONL or CSV) as one batch, as `append(read_event_file(path))`
        would, but JSON Lines take the bulk path: DuckDB validates the lines it can in SQL
        (warehouse/log/fast_subset.py) and only the rest go through pydantic one by one.

        Raises `warehouse.log.readers.UnreadableInput` (and appends nothing) when no record
        can be read from the file.
        """
        if not path.is_file() or path.suffix.lower() == ".csv":
            return self.append(
                read_event_file(path), source=source, run_id=run_id, recorded_at=recorded_at,
                default_source=default_source,
            )
        with self.writer(purpose=f"append {source}") as con:
            logged = con.execute("select count(*) from events.log").fetchall()[0][0]
            spill = self.home.root / "tmp"
            con.execute(f"set temp_directory = '{str(spill).replace(chr(39), chr(39) * 2)}'")
            # Give memory freed between the steps back to the system, not only to DuckDB.
            con.execute("set allocator_background_threads = true")
            limit_mb = bulk_memory_limit_mb(logged)
            try:
                while True:
                    # Bounded memory for a file of any size: DuckDB spills to disk beyond this.
                    con.execute(f"set memory_limit = '{limit_mb}MB'")
                    try:
                        return append_staged(
                            con,
                            lambda batch: stage_jsonl(batch, path, default_source=default_source),
                            source=source,
                            run_id=run_id,
                            recorded_at=recorded_at,
                        )
                    except duckdb.OutOfMemoryException:
                        # The batch was rolled back; what did not fit (the log's indexes, which
                        # cannot spill) gets twice the room, up to BULK_MEMORY_MAX_MB.
                        if limit_mb >= BULK_MEMORY_MAX_MB:
                            raise
                        limit_mb *= 2
            finally:
                # Settings are the database instance's: another connection in this process
                # (a later writer) must not inherit them. (The temp directory cannot be
                # switched once used; it goes with the instance, closed right after.)
                for setting in ("memory_limit", "allocator_background_threads"):
                    con.execute(f"reset {setting}")

    def append_snapshot(
        self,
        records: Iterable[RawRecord],
        *,
        source: str,
        input_sha256: str,
        run_id: str | None = None,
        recorded_at: dt.datetime | None = None,
        undated_field: str | None = None,
    ) -> IngestResult:
        """Append a source's full snapshot: changed rows become corrections, vanished rows
        retractions (see warehouse.log.reconcile), all under one lock and one transaction."""
        with self.writer(purpose=f"append snapshot {source}") as con:
            reconciled = reconcile_snapshot(
                con, records, source=source, input_sha256=input_sha256, undated_field=undated_field
            )
            return append_batch(
                con, reconciled, source=source, run_id=run_id, recorded_at=recorded_at, input_sha256=input_sha256
            )

    def verify(self) -> VerifyReport:
        """The live log (chain, accounting, witnessed heads), then the published snapshot."""
        with self.reader() as con:
            report = verify_with_witness(con, self.home)
        if not report.ok:
            return report
        snapshot_ok, snapshot = verify_snapshot(self.home, read_witness(self.home))
        if not snapshot_ok:
            return dataclasses.replace(report, ok=False, problem=snapshot, snapshot=snapshot)
        return dataclasses.replace(report, snapshot=snapshot)


def _validated_chunks(
    records: Iterable[RawRecord], default_source: str | None
) -> Iterator[tuple[list[NewEvent], list[AmendmentRecord | None], list[Rejection], int]]:
    """Chunks of (events, each event's `amendment_record`, rejections, records read)."""
    iterator = iter(records)
    while chunk := list(itertools.islice(iterator, CHUNK_SIZE)):
        events, raws, rejections = [], [], []
        for record in chunk:
            if record.error is not None:
                rejections.append(Rejection(record_ref=record.ref, reason=record.error, raw=str(record.value)))
                continue
            parsed = parse_record(record.value, record_ref=record.ref, default_source=default_source)
            if isinstance(parsed, NewEvent):
                events.append(parsed)
                raws.append(amendment_record(parsed, record.ref, record.value))
            else:
                rejections.append(parsed)
        yield events, raws, rejections, len(chunk)


def _head(con: duckdb.DuckDBPyConnection) -> tuple[int, str, dt.datetime | None]:
    rows = con.execute(
        "select position, hash, recorded_at from events.log order by position desc limit 1"
    ).fetchall()
    if not rows:
        return 0, GENESIS_HASH, None
    return rows[0][0], rows[0][1], rows[0][2]


def stage_records(records: Iterable[RawRecord], default_source: str | None) -> Stager:
    """The record path: every record through `parse_record`, in chunks."""

    def stage(batch: Batch) -> Staged:
        read = quarantined = 0
        for events, raws, rejections, n_read in _validated_chunks(records, default_source):
            if events:
                batch.stage_events(events, range(read, read + len(events)), raws)
            if rejections:
                batch.quarantine(rejections)
            read += n_read
            quarantined += len(rejections)
        return Staged(read, quarantined)

    return stage


def append_batch(
    con: duckdb.DuckDBPyConnection,
    records: Iterable[RawRecord],
    *,
    source: str,
    run_id: str | None = None,
    recorded_at: dt.datetime | None = None,
    default_source: str | None = None,
    input_sha256: str | None = None,
) -> IngestResult:
    """The one append path. Call it through `EventStore.append` (which holds the lock)."""
    return append_staged(
        con,
        stage_records(records, default_source),
        source=source,
        run_id=run_id,
        recorded_at=recorded_at,
        input_sha256=input_sha256,
    )


def quarantine_invalid_amendments(batch: Batch, staged: Staged) -> Staged:
    """Move the staged amendments their targets refuse (warehouse/log/amendments.py) from
    `staging` to the quarantine, whichever path staged them."""
    rejected = rejected_amendments(batch.con)
    if not rejected:
        return staged
    reasons = dict(rejected)
    records = {
        seq: (ref, raw)
        for seq, ref, raw in batch.con.execute(
            "select seq, amendment_ref, amendment_raw from staging where seq in (select unnest(?::bigint[]))",
            [list(reasons)],
        ).fetchall()
    }
    batch.con.execute("delete from staging where seq in (select unnest(?::bigint[]))", [list(reasons)])
    batch.quarantine(
        [
            Rejection(record_ref=records[seq][0] or f"record {seq}", reason=reason, raw=records[seq][1] or "")
            for seq, reason in rejected
        ]
    )
    return Staged(staged.read, staged.quarantined + len(rejected), staged.fast)


# Hashes are chained and inserted this many rows at a time, so no list of a million
# Python strings is ever built.
HASH_SLICE = 100_000


def append_staged(
    con: duckdb.DuckDBPyConnection,
    stage: Stager,
    *,
    source: str,
    run_id: str | None = None,
    recorded_at: dt.datetime | None = None,
    input_sha256: str | None = None,
) -> IngestResult:
    """The core of every append: `stage` fills `staging`, then dedupe (against the log and
    inside the batch, first occurrence by seq wins), numbering, the hash chain and the
    insert, all in one transaction with the `events.ingest_runs` row."""
    run_id = run_id or uuid.uuid4().hex
    started_at = dt.datetime.now(dt.UTC)
    recorded_at = recorded_at or started_at
    if recorded_at.tzinfo is None:
        raise StoreError("recorded_at must be timezone-aware")
    con.execute("begin transaction")
    try:
        last_position, last_hash, last_recorded = _head(con)
        if last_recorded is not None and recorded_at < last_recorded:
            # Record time only moves forward, or "as of" queries would rewrite the past.
            raise StoreError(f"recorded_at {recorded_at} is earlier than the log's last record time {last_recorded}")
        con.execute(
            """create or replace temp table staging (
                seq bigint, event_id varchar, event_type varchar, schema_version integer, subject varchar,
                occurred_at date, occurred_precision varchar, source varchar, source_url varchar,
                source_ref varchar, retrieved_at timestamptz, payload json,
                -- a line the bulk path leaves to parse_record (it then leaves staging)
                raw_line varchar,
                -- an amendment's reference and raw record, for the quarantine should its target refuse it
                amendment_ref varchar, amendment_raw varchar)"""
        )
        batch = Batch(con, run_id, source, recorded_at)
        staged = quarantine_invalid_amendments(batch, stage(batch))
        if input_sha256 is None:
            # (A snapshot's changed rows are turned into corrections by warehouse.log.reconcile first.)
            staged = _quarantine_conflicts(batch, staged)
        # Narrow first (seq and position only): which staged rows become events - not in
        # the log, first occurrence in the batch - and their positions, in input order.
        con.execute(
            """create or replace temp table keep as
                select seq, ? + row_number() over (order by seq) as position
                from (select min(s.seq) as seq from staging s anti join events.log l on l.event_id = s.event_id
                      group by s.event_id)""",
            [last_position],
        )
        con.execute(
            "create or replace temp table batch_constants as select ?::timestamptz as recorded_at, ? as run_id",
            [recorded_at, run_id],
        )
        appended, head_hash = _chain_and_insert(con, last_position, last_hash)
        result = IngestResult(
            run_id=run_id,
            source=source,
            read=staged.read,
            appended=appended,
            duplicate=staged.read - appended - staged.quarantined,
            quarantined=staged.quarantined,
            head_hash=head_hash,
            first_position=last_position + 1 if appended else None,
            last_position=last_position + appended if appended else None,
            validated_in_sql=staged.fast,
        )
        con.execute(
            "insert into events.ingest_runs values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                run_id,
                source,
                started_at,
                dt.datetime.now(dt.UTC),
                result.read,
                result.appended,
                result.duplicate,
                result.quarantined,
                result.first_position,
                result.last_position,
                result.head_hash,
                input_sha256,
            ],
        )
        for table in ("staging", "keep", "batch_constants"):
            con.execute(f"drop table if exists temp.{table}")
        con.execute("commit")
    except BaseException:
        con.execute("rollback")
        raise
    return result


# Staged events whose event_id, given by their source_ref, is already taken - in the log,
# or by an earlier record of this batch - with different facts. Deduplicating them would
# drop the new facts without a word; they are conflicts.
CONFLICTS_SQL = """
with taken as (
    select s.event_id, l.position, null::bigint as first_seq,
           l.subject, l.occurred_at, l.occurred_precision, l.payload::varchar as payload
    from events.log l join (select distinct event_id from staging where source_ref is not null) s using (event_id)
    union all
    select event_id, null, seq, subject, occurred_at, occurred_precision, payload::varchar
    from (select s.*, row_number() over (partition by s.event_id order by s.seq) as nth
          from staging s
          anti join events.log l on l.event_id = s.event_id
          where s.event_id in (select event_id from staging where source_ref is not null
                               group by event_id having count(*) > 1))
    where nth = 1
)
select s.seq, s.event_id, s.event_type, s.source, s.source_ref, s.source_url,
       s.subject, s.occurred_at::varchar, s.occurred_precision, s.payload::varchar,
       t.position, t.first_seq, t.subject, t.occurred_at::varchar, t.occurred_precision, t.payload
from staging s join taken t using (event_id)
where s.source_ref is not null and s.seq is distinct from t.first_seq
  and (s.subject, s.occurred_at, s.occurred_precision, s.payload::varchar)
      is distinct from (t.subject, t.occurred_at, t.occurred_precision, t.payload)
order by s.seq
"""


def _differences(new: dict[str, Any], old: dict[str, Any]) -> list[str]:
    """`field: old -> new` for every fact that differs (payload fields one by one)."""
    changed = [f"{name}: {old[name]!r} -> {new[name]!r}" for name in ("subject", "occurred_at", "occurred_precision")
               if new[name] != old[name]]
    new_payload, old_payload = json.loads(new["payload"]), json.loads(old["payload"])
    for name in sorted(set(new_payload) | set(old_payload)):
        if new_payload.get(name) != old_payload.get(name):
            changed.append(f"payload.{name}: {old_payload.get(name)!r} -> {new_payload.get(name)!r}")
    return changed


def _quarantine_conflicts(batch: Batch, staged: Staged) -> Staged:
    """Move staged conflicts (CONFLICTS_SQL) to the quarantine, each with what differs and the
    record as validated; the batch's counts then say quarantined, not duplicate."""
    rows = batch.con.execute(CONFLICTS_SQL).fetchall()
    if not rows:
        return staged
    rejections = []
    fact_names = ("subject", "occurred_at", "occurred_precision", "payload")
    for _seq, event_id, event_type, source, source_ref, source_url, *facts in rows:
        new = dict(zip(fact_names, facts[:4], strict=True))
        position = facts[4]
        old = dict(zip(fact_names, facts[6:], strict=True))
        where = f"logged at position {position}" if position is not None else "given earlier in this batch"
        reason = (
            f"conflict: source_ref {source_ref!r} of {source} already names event {event_id} ({where}) with other "
            f"facts: {'; '.join(_differences(new, old))}. Not appended; a change to a logged event is an event.corrected"
        )
        record = {"event_type": event_type, "source": source, "source_ref": source_ref, "source_url": source_url,
                  **{k: v for k, v in new.items() if k != "payload"}, "payload": json.loads(new["payload"])}
        rejections.append(
            Rejection(record_ref=f"source_ref {source_ref!r}", reason=storable(reason)[:4000], raw=json.dumps(record))
        )
    batch.quarantine(rejections)
    batch.con.execute(
        "delete from staging where seq in (select unnest(?::bigint[]))", [[row[0] for row in rows]]
    )
    return dataclasses.replace(staged, quarantined=staged.quarantined + len(rows))


# The rows of a slice of the batch as they go into the log (without the hashes), from
# `staging`, `keep` and `batch_constants`. Positions follow seq, so the slice is a seq
# range too, and the scan of `staging` (mostly in seq order) skips the rest.
NUMBERED_SQL = """
select k.position, s.event_id, s.event_type, s.schema_version, s.subject, s.occurred_at, s.occurred_precision,
       c.recorded_at, s.source, s.source_url, s.source_ref, s.retrieved_at, s.payload, c.run_id
from (select * from staging where seq between {first_seq} and {last_seq}) s
join (select * from keep where position between {first} and {last}) k using (seq)
cross join batch_constants c
"""


def _chain_and_insert(con: duckdb.DuckDBPyConnection, last_position: int, last_hash: str) -> tuple[int, str]:
    """Hash the batch's rows in position order onto the chain and insert them into the log,
    a slice at a time; returns (rows appended, head hash)."""
    appended = con.execute("select count(*) from keep").fetchall()[0][0]
    head_hash = last_hash
    for offset in range(0, appended, HASH_SLICE):
        first = last_position + 1 + offset
        last = min(first + HASH_SLICE, last_position + 1 + appended) - 1
        ((first_seq, last_seq),) = con.execute(
            "select min(seq), max(seq) from keep where position between ? and ?", [first, last]
        ).fetchall()
        rows = NUMBERED_SQL.format(first=first, last=last, first_seq=first_seq, last_seq=last_seq)
        digests = con.sql(
            f"select digest from (select position, {ROW_DIGEST_SQL} as digest from ({rows})) order by position"
        ).to_arrow_table()
        hashes = chain(head_hash, digests.column("digest").to_pylist())
        insert_from_arrow(
            con,
            pa.table(
                {
                    "position": pa.array(range(first, last + 1), pa.int64()),
                    "prev_hash": pa.array([head_hash, *hashes[:-1]], pa.string()),
                    "hash": pa.array(hashes, pa.string()),
                }
            ),
            "_hashes",
            f"""insert into events.log
                select n.position, n.event_id, n.event_type, n.schema_version, n.subject, n.occurred_at,
                       n.occurred_precision, n.recorded_at, n.source, n.source_url, n.source_ref, n.retrieved_at,
                       n.payload, h.prev_hash, h.hash, n.run_id
                from ({rows}) n join _hashes h using (position)
                order by n.position""",
        )
        head_hash = hashes[-1]
    return appended, head_hash


def read_events(con: duckdb.DuckDBPyConnection, *, after_position: int = 0) -> Iterator[dict[str, Any]]:
    """Stored events in order, each upcast to the current schema version of its type."""
    cursor = con.execute(
        "select position, event_id, event_type, schema_version, subject, occurred_at, occurred_precision, "
        "recorded_at, source, source_url, source_ref, payload from events.log where position > ? order by position",
        [after_position],
    )
    columns = [d[0] for d in cursor.description]
    while batch := cursor.fetchmany(10_000):
        for row in batch:
            event = dict(zip(columns, row, strict=True))
            event["payload"] = upcast_payload(event["event_type"], event["schema_version"], json.loads(event["payload"]))
            yield event
