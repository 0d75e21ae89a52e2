"""Publishing the analysts' snapshot.

DuckDB allows one read-write process or many read-only ones, never both, so
analysts never open the live file: they read a copy that is replaced atomically
after each successful build. The copy is made only while we hold the writer
lock and no connection to the live file is open, because copying a DuckDB file
that is open for writing corrupts the copy.

What a reader sees: `os.replace` swaps the directory entry, so a connection
already open keeps reading the old file (its inode lives until the last handle
closes) and sees the new data when it reconnects. What a failed publish leaves:
the previous snapshot, untouched. The copy is checked (chain, head, every
table's row count, every macro) before it may replace anything.

The copy is written by DuckDB in an older storage format (SNAPSHOT_STORAGE_VERSION), not
copied byte for byte: the live file is in DuckDB 2.0's own format, which the DuckDB CLI and
the tools analysts run on DuckDB 1.x refuse to open; in the older format every DuckDB from
1.4 on opens it, macros included (tests/test_snapshot_clients.py opens it with 1.4 and 1.5).
"""

from __future__ import annotations

import os
import uuid
from dataclasses import dataclass
from pathlib import Path

import duckdb

from warehouse.errors import StoreError
from warehouse.home import WarehouseHome
from warehouse.log.chain import GENESIS_HASH, connect, verify
from warehouse.log.lock import DEFAULT_TIMEOUT_S, writer_lock
from warehouse.log.witness import WitnessedHead, WitnessError, check_log, file_sha256, read_witness, record_head

STAGING_SUFFIX = ".publishing"
# Readable by DuckDB 1.4 and every later release.
SNAPSHOT_STORAGE_VERSION = "v1.4.0"


@dataclass(frozen=True)
class PublishedSnapshot:
    path: Path
    events: int
    head_hash: str
    bytes: int
    # The head as written to the witness (warehouse/log/witness.py).
    witnessed: WitnessedHead | None = None


def fsync_path(path: Path) -> None:
    """Flush a file's (or a folder's entries') data to disk before it is relied upon."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


Fingerprint = tuple[int, str, dict[str, int], tuple[str, ...]]


def _fingerprint(con: duckdb.DuckDBPyConnection) -> Fingerprint:
    """The log's size and head hash, the exact row count of every table, and the macros."""
    count, head = con.execute("select count(*), coalesce(arg_max(hash, position), '') from events.log").fetchall()[0]
    tables = con.execute(
        "select schema_name, table_name from duckdb_tables() where database_name = current_database() order by all"
    ).fetchall()
    rows = {
        f"{schema}.{table}": con.execute(f'select count(*) from "{schema}"."{table}"').fetchall()[0][0]
        for schema, table in tables
    }
    macros = con.execute(
        """select distinct schema_name || '.' || function_name from duckdb_functions()
           where database_name = current_database() and function_type in ('macro', 'table_macro') order by 1"""
    ).fetchall()
    return count, head, rows, tuple(name for (name,) in macros)


def _fingerprint_of(path: Path) -> Fingerprint:
    con = connect(path, read_only=True)
    try:
        return _fingerprint(con)
    finally:
        con.close()


def _copy_for_every_client(live: Path, staging: Path) -> None:
    """The live database rewritten at `staging` in SNAPSHOT_STORAGE_VERSION: every schema,
    table, macro and constraint (DuckDB's COPY FROM DATABASE)."""
    con = duckdb.connect(":memory:")
    try:
        con.execute("attach ? as live (read_only)", [str(live)])
        con.execute(f"attach ? as snapshot (storage_version '{SNAPSHOT_STORAGE_VERSION}')", [str(staging)])
        con.execute("copy from database live to snapshot")
        # (detaching checkpoints: the file alone then holds everything, with no WAL beside it)
        con.execute("detach snapshot")
    finally:
        con.close()


def _check_copy(staging: Path, expected: Fingerprint) -> None:
    try:
        con = connect(staging, read_only=True)
        try:
            copied = _fingerprint(con)
            report = verify(con)
        finally:
            con.close()
    except duckdb.Error as exc:
        raise StoreError(f"snapshot copy is unreadable, not publishing it: {exc}") from exc
    if copied != expected:
        raise StoreError(
            f"snapshot copy does not match the live database: log {copied[:2]} vs {expected[:2]}, "
            f"tables differ: {sorted(set(copied[2].items()) ^ set(expected[2].items()))}, "
            f"macros differ: {sorted(set(copied[3]) ^ set(expected[3]))}"
        )
    if not report.ok:
        # A broken chain or accounting must never reach analysts, whoever asked to publish.
        where = f"position {report.first_bad_position}" if report.first_bad_position is not None else "the accounting"
        raise StoreError(f"not publishing: the log does not verify at {where}: {report.problem}")


def _check_witness(staging: Path, home: WarehouseHome) -> None:
    """A log that no longer holds every witnessed head was rewritten or cut: never publish it
    (publishing would also witness the rewritten head and so launder it)."""
    try:
        heads = read_witness(home)
    except WitnessError as exc:
        raise StoreError(f"not publishing: {exc}") from None
    con = connect(staging, read_only=True)
    try:
        broken = check_log(con, heads)
    finally:
        con.close()
    if broken is not None:
        raise StoreError(f"not publishing: the log disagrees with the witness at position {broken[0]}: {broken[1]}")


def publish_snapshot(home: WarehouseHome, *, lock_timeout_s: float = DEFAULT_TIMEOUT_S) -> PublishedSnapshot:
    """Copy the live database to the snapshot path (in a format DuckDB 1.4+ reads): temp
    name, check, fsync, rename."""
    if not home.live_db.exists():
        raise StoreError(f"no warehouse at {home.live_db} to publish")
    # Unique per attempt, so a crashed publisher's leftovers never meet a live one.
    staging = home.snapshot_db.with_name(f"{home.snapshot_db.name}{STAGING_SUFFIX}-{os.getpid()}-{uuid.uuid4().hex[:8]}")
    # Everything, the rename included, happens under the writer lock: two publishers
    # then replace the snapshot in the order of the log, never an older over a newer.
    with writer_lock(home.lock_file, timeout_s=lock_timeout_s, purpose="publish snapshot"):
        for leftover in home.snapshot_db.parent.glob(f"{home.snapshot_db.name}{STAGING_SUFFIX}*"):
            leftover.unlink(missing_ok=True)
        # A checkpoint folds the WAL into the file, so the file alone is the database.
        con = connect(home.live_db, read_only=False)
        try:
            con.execute("checkpoint")
        finally:
            con.close()
        expected = _fingerprint_of(home.live_db)
        try:
            _copy_for_every_client(home.live_db, staging)
            _check_copy(staging, expected)
            _check_witness(staging, home)
            fsync_path(staging)
            # Witnessed before the rename: a crash in between leaves a witnessed head that the
            # log still holds (harmless), never a published snapshot nobody vouches for.
            witnessed = record_head(home, _head_position(staging), expected[1] or GENESIS_HASH, file_sha256(staging))
            # A WAL beside the snapshot (someone opened it read-write) belongs to the old
            # file; DuckDB would replay it into the new one.
            home.snapshot_db.with_name(home.snapshot_db.name + ".wal").unlink(missing_ok=True)
            os.replace(staging, home.snapshot_db)
            # The rename itself is durable only once the directory entry is on disk.
            fsync_path(home.snapshot_db.parent)
        finally:
            staging.unlink(missing_ok=True)
            staging.with_name(staging.name + ".wal").unlink(missing_ok=True)
    return PublishedSnapshot(home.snapshot_db, expected[0], expected[1], home.snapshot_db.stat().st_size, witnessed)


def _head_position(path: Path) -> int:
    con = connect(path, read_only=True)
    try:
        return con.execute("select coalesce(max(position), 0) from events.log").fetchall()[0][0]
    finally:
        con.close()
