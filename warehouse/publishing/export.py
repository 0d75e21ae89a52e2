"""The Parquet lake: the log and the tables, for engines other than DuckDB.

Everything is read from the published snapshot, never the live file: the
snapshot is a closed, verified copy, and reading it needs no writer lock, so an
export never waits for (or blocks) a pipeline run.

Layout of `airace export DIR` (Hive-style, so Spark, Trino, polars, pandas and
DuckDB discover the partitions by themselves):

    DIR/events/log/event_month=2025-01/data_0.parquet   the log, by occurred_at's month
    DIR/events/ingest_runs/data_0.parquet                the run accounting
    DIR/core/<table>/data_0.parquet                      every core.* table
    DIR/marts/<table>/data_0.parquet                     every marts.* table
    DIR/_airace_export.json                              what was exported, from which snapshot

Files are zstd-compressed. Types other engines misread are written as the
nearest portable type (JSON and UUID as strings, unsigned and 128-bit integers
as wider signed integers or decimals). The directory is built under a temporary
name beside DIR and swapped in, so a reader of DIR sees the old export or the
new one, never half of one.
"""

from __future__ import annotations

import ctypes
import datetime as dt
import json
import os
import re
import shutil
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from warehouse.errors import StoreError
from warehouse.home import WarehouseHome
from warehouse.log.witness import read_witness
from warehouse.publishing.snapshot import fsync_path

MANIFEST = "_airace_export.json"
COMPRESSION = "zstd"
# The tables exported besides the log; the log itself is partitioned by event month.
EXPORTED_SCHEMAS = ("core", "marts")
EXTRA_TABLES = ("events.ingest_runs",)
PARTITION_COLUMN = "event_month"
RECORD_DAY_COLUMN = "record_day"

# Top-level types that Parquet readers outside DuckDB do not take as they are.
_PORTABLE_CAST = {
    "JSON": "VARCHAR",
    "UUID": "VARCHAR",
    "INTERVAL": "VARCHAR",
    "TIME WITH TIME ZONE": "VARCHAR",
    "BIGNUM": "VARCHAR",
    "VARINT": "VARCHAR",
    "BIT": "VARCHAR",
    "HUGEINT": "DECIMAL(38, 0)",
    "UHUGEINT": "DECIMAL(38, 0)",
    "UBIGINT": "DECIMAL(20, 0)",
    "UINTEGER": "BIGINT",
    "USMALLINT": "INTEGER",
    "UTINYINT": "SMALLINT",
}
_NESTED_TROUBLE = re.compile(r"\b(JSON|UUID|INTERVAL|HUGEINT|UHUGEINT|UBIGINT|BIGNUM|VARINT|TIME WITH TIME ZONE)\b")


@dataclass(frozen=True)
class ExportResult:
    path: Path
    events: int
    head_hash: str
    months: int
    tables: dict[str, int] = field(default_factory=dict)


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _portable_select(con: duckdb.DuckDBPyConnection, relation: str) -> str:
    """`select` list of `relation` with every column in a type any Parquet reader understands."""
    columns = con.execute(f"describe select * from {relation}").fetchall()
    parts = []
    for name, data_type, *_ in columns:
        quoted = _quote(name)
        if data_type.startswith("ENUM("):
            parts.append(f"{quoted}::VARCHAR as {quoted}")
        elif data_type in _PORTABLE_CAST:
            parts.append(f"{quoted}::{_PORTABLE_CAST[data_type]} as {quoted}")
        elif _NESTED_TROUBLE.search(data_type):
            # A list or struct holding such a type: keep it whole, as JSON text.
            parts.append(f"to_json({quoted})::VARCHAR as {quoted}")
        else:
            parts.append(quoted)
    return ", ".join(parts)


def _snapshot_connection(home: WarehouseHome) -> duckdb.DuckDBPyConnection:
    if not home.snapshot_db.exists():
        raise StoreError(f"no published snapshot at {home.snapshot_db}: run `airace run` first")
    con = duckdb.connect(":memory:")
    con.execute("set TimeZone = 'UTC'")
    # Attached read-only: the file stays exactly as published, and a concurrent
    # republish swaps the path without disturbing this open copy.
    con.execute("attach ? as snapshot (read_only)", [str(home.snapshot_db)])
    return con


def _witnessed(home: WarehouseHome, position: int, head: str) -> dict | None:
    matching = [h for h in read_witness(home) if (h.position, h.hash) == (position, head)]
    return matching[-1].as_json() if matching else None


def _copy(con: duckdb.DuckDBPyConnection, query: str, target: Path, partition_by: str | None = None) -> None:
    options = f"format parquet, compression {COMPRESSION}"
    target.parent.mkdir(parents=True, exist_ok=True)
    if partition_by:
        options += f", partition_by ({_quote(partition_by)})"
    con.execute(f"copy ({query}) to '{_sql_string(str(target))}' ({options})")


def _sql_string(text: str) -> str:
    return text.replace("'", "''")


def _fsync_tree(root: Path) -> None:
    for path in sorted(root.rglob("*"), key=lambda p: len(p.parts), reverse=True):
        fsync_path(path)
    fsync_path(root)


_AT_FDCWD = -100
_RENAME_EXCHANGE = 2


def _exchange(a: Path, b: Path) -> bool:
    """Atomically swap two directory entries (Linux renameat2); False where unsupported."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        return False
    renameat2.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
    return renameat2(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE) == 0


def _swap_into_place(built: Path, dest: Path) -> None:
    if not dest.exists():
        os.rename(built, dest)
    elif _exchange(built, dest):
        # `built` now names the previous export.
        shutil.rmtree(built)
    else:
        # No atomic exchange here: the window without DIR is two renames long.
        aside = dest.with_name(f".{dest.name}.previous-{uuid.uuid4().hex[:8]}")
        os.rename(dest, aside)
        os.rename(built, dest)
        shutil.rmtree(aside)
    fsync_path(dest.parent)


def _check_destination(dest: Path) -> None:
    if dest.is_symlink() or (dest.exists() and not dest.is_dir()):
        raise StoreError(f"{dest} exists and is not a directory; not exporting over it")
    if dest.is_dir() and any(dest.iterdir()) and not (dest / MANIFEST).exists():
        # Replacing DIR deletes what was there: only ever a previous export.
        raise StoreError(f"{dest} is a non-empty directory that is not an airace export; choose an empty or new one")


def export_parquet(home: WarehouseHome, dest: str | os.PathLike[str]) -> ExportResult:
    """Export the published snapshot's log (by event month) and core/marts tables to `dest`."""
    dest = Path(dest).expanduser().resolve()
    _check_destination(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    built = dest.with_name(f".{dest.name}.exporting-{os.getpid()}-{uuid.uuid4().hex[:8]}")
    con = _snapshot_connection(home)
    try:
        built.mkdir()
        count, head, position, months = con.execute(
            """select count(*), coalesce(arg_max(hash, position), ''), coalesce(max(position), 0),
                      count(distinct strftime(occurred_at, '%Y-%m'))
               from snapshot.events.log"""
        ).fetchall()[0]
        tables: dict[str, int] = {"events.log": count}
        # Partitioned by the month the event happened (valid time): the usual filter
        # of analytical questions, and a partition count that grows by one a month.
        _copy(
            con,
            f"""select {_portable_select(con, 'snapshot.events.log')},
                       strftime(occurred_at, '%Y-%m') as {PARTITION_COLUMN}
                from snapshot.events.log order by position""",
            built / "events" / "log",
            partition_by=PARTITION_COLUMN,
        )
        names = [
            f"{schema}.{table}"
            for schema, table in con.execute(
                f"""select schema_name, table_name from duckdb_tables()
                    where database_name = 'snapshot' and schema_name in ({", ".join("?" for _ in EXPORTED_SCHEMAS)})
                    order by all""",
                list(EXPORTED_SCHEMAS),
            ).fetchall()
        ]
        for name in [*EXTRA_TABLES, *names]:
            schema, table = name.split(".")
            relation = f"snapshot.{_quote(schema)}.{_quote(table)}"
            target = built / schema / table
            target.mkdir(parents=True)
            _copy(con, f"select {_portable_select(con, relation)} from {relation}", target / "data_0.parquet")
            tables[name] = con.execute(f"select count(*) from {relation}").fetchall()[0][0]
        (built / MANIFEST).write_text(
            json.dumps(
                {
                    "exported_at": dt.datetime.now(dt.UTC).isoformat(),
                    "snapshot": str(home.snapshot_db),
                    "events": count,
                    "head_hash": head,
                    "head_position": position,
                    # The witness's entry for this head (warehouse/log/witness.py), when it has one:
                    # a consumer of the lake can check it against a copy of the witness.
                    "witnessed": _witnessed(home, position, head),
                    "compression": COMPRESSION,
                    "log_partitioning": f"{PARTITION_COLUMN}=YYYY-MM of occurred_at",
                    "tables": tables,
                },
                indent=2,
            )
        )
        _fsync_tree(built)
        _swap_into_place(built, dest)
    finally:
        con.close()
        if built.exists():
            shutil.rmtree(built, ignore_errors=True)
    return ExportResult(dest, count, head, months, tables)


def record_day_partition(lake_dir: Path, day: dt.date) -> Path:
    return lake_dir / "events" / "log_by_record_day" / f"{RECORD_DAY_COLUMN}={day.isoformat()}"


def export_record_day(home: WarehouseHome, lake_dir: str | os.PathLike[str], day: dt.date) -> tuple[Path, int, str]:
    """One daily partition of the lake: the events *recorded* (appended) on `day`, UTC.

    Record time only moves forward, so a past day's partition is final once the
    day is over and can be backfilled at any time with the same result. Returns
    the partition folder, its row count and the hash of its last event ('' if none).
    A day without events leaves no folder (and removes a stale one).
    """
    partition = record_day_partition(Path(lake_dir).expanduser().resolve(), day)
    start = dt.datetime.combine(day, dt.time(), tzinfo=dt.UTC)
    con = _snapshot_connection(home)
    try:
        where = "recorded_at >= ?::timestamptz and recorded_at < ?::timestamptz"
        bounds = [start, start + dt.timedelta(days=1)]
        rows, last_hash = con.execute(
            f"select count(*), coalesce(arg_max(hash, position), '') from snapshot.events.log where {where}", bounds
        ).fetchall()[0]
        if rows == 0:
            shutil.rmtree(partition, ignore_errors=True)
            return partition, 0, ""
        partition.mkdir(parents=True, exist_ok=True)
        target = partition / "data_0.parquet"
        scratch = partition / f".data_0.parquet.{os.getpid()}-{uuid.uuid4().hex[:8]}"
        try:
            con.execute(
                f"""copy (select {_portable_select(con, 'snapshot.events.log')} from snapshot.events.log
                          where {where} order by position)
                    to '{_sql_string(str(scratch))}' (format parquet, compression {COMPRESSION})""",
                bounds,
            )
            fsync_path(scratch)
            os.replace(scratch, target)
            fsync_path(partition)
        finally:
            scratch.unlink(missing_ok=True)
    finally:
        con.close()
    return partition, rows, last_hash
