"""Publishing the analysts' snapshot.

DuckDB allows one read-write process or many read-only ones, never both, so
analysts never open the live file: they read a copy that is replaced atomically
after each successful build. The copy is made only while we hold the writer
lock and no connection to the live file is open, because copying a DuckDB file
that is open for writing corrupts the copy.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from pathlib import Path

from warehouse.home import WarehouseHome
from warehouse.lock import DEFAULT_TIMEOUT_S, writer_lock
from warehouse.store import StoreError, connect


@dataclass(frozen=True)
class PublishedSnapshot:
    path: Path
    events: int
    head_hash: str
    bytes: int


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _log_head(path: Path) -> tuple[int, str]:
    con = connect(path, read_only=True)
    try:
        count, head = con.execute("select count(*), coalesce(arg_max(hash, position), '') from events.log").fetchall()[0]
    finally:
        con.close()
    return count, head


def publish_snapshot(home: WarehouseHome, *, lock_timeout_s: float = DEFAULT_TIMEOUT_S) -> PublishedSnapshot:
    """Copy the live database to the snapshot path: temp name, check, fsync, rename."""
    if not home.live_db.exists():
        raise StoreError(f"no warehouse at {home.live_db} to publish")
    staging = home.snapshot_db.with_name(home.snapshot_db.name + ".publishing")
    with writer_lock(home.lock_file, timeout_s=lock_timeout_s, purpose="publish snapshot"):
        # A checkpoint folds the WAL into the file, so the file alone is the database.
        con = connect(home.live_db, read_only=False)
        try:
            con.execute("checkpoint")
        finally:
            con.close()
        expected = _log_head(home.live_db)
        staging.unlink(missing_ok=True)
        shutil.copyfile(home.live_db, staging)
    try:
        copied = _log_head(staging)
        if copied != expected:
            raise StoreError(f"snapshot copy does not match the live log: {copied} != {expected}")
        _fsync(staging)
        os.replace(staging, home.snapshot_db)
        _fsync(home.snapshot_db.parent)
    finally:
        staging.unlink(missing_ok=True)
    return PublishedSnapshot(home.snapshot_db, expected[0], expected[1], home.snapshot_db.stat().st_size)
