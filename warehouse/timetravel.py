"""Read-only access for analysts: the published snapshot, now or as of a past moment.

"As of" means record time: the log as it stood at `as_of`, with the projections
and marts rebuilt from it by the same SQL that builds them today, so a past
report can be reproduced exactly even after later corrections.
"""

from __future__ import annotations

import datetime as dt
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import duckdb

from schemas.events import EARLIEST_RETRIEVED_AT, LATEST_RETRIEVED_AT
from warehouse.home import WarehouseHome
from warehouse.projections import CORE_TABLES, MART_TABLES, define_macros, materialize
from warehouse.store import EVENTS_DDL, StoreError

DEFAULT_SQL_TIMEOUT_S = 120.0
DEFAULT_SQL_MEMORY_LIMIT = "4GB"


@dataclass(frozen=True)
class QueryLimits:
    """What one analyst connection may use: wall time per statement and DuckDB memory.

    DuckDB has no statement timeout, so `time_limit` interrupts the connection from a
    timer thread. The memory cap is hard: with no temporary directory (see `_settings`)
    nothing spills, so a query that needs more fails instead of filling a disk.
    """

    timeout_s: float = DEFAULT_SQL_TIMEOUT_S
    memory_limit: str = DEFAULT_SQL_MEMORY_LIMIT

    @classmethod
    def resolve(cls, timeout_s: float | None = None, memory_limit: str | None = None) -> QueryLimits:
        """Flags win, then AIRACE_SQL_TIMEOUT_S / AIRACE_SQL_MEMORY_LIMIT, then the defaults."""
        timeout = timeout_s if timeout_s is not None else float(os.environ.get("AIRACE_SQL_TIMEOUT_S", DEFAULT_SQL_TIMEOUT_S))
        if timeout <= 0:
            raise StoreError(f"the SQL timeout must be positive, got {timeout:g}s")
        return cls(timeout, memory_limit or os.environ.get("AIRACE_SQL_MEMORY_LIMIT", DEFAULT_SQL_MEMORY_LIMIT))


class QueryTimeout(StoreError):
    """A statement ran past the limit and was interrupted."""


@contextmanager
def time_limit(con: duckdb.DuckDBPyConnection, limits: QueryLimits) -> Iterator[None]:
    """Interrupt whatever `con` runs inside this block once `limits.timeout_s` have passed."""
    done = threading.Event()

    def watchdog() -> None:
        if done.wait(limits.timeout_s):
            return
        # Again and again until the block ends: an interrupt that lands between two
        # statements, or before a slow-starting one begins executing, is lost.
        while not done.is_set():
            con.interrupt()
            done.wait(0.1)

    thread = threading.Thread(target=watchdog, name="airace-sql-timeout", daemon=True)
    thread.start()
    try:
        yield
    except duckdb.InterruptException:
        raise QueryTimeout(
            f"the query was stopped after {limits.timeout_s:g}s (the limit: --timeout or AIRACE_SQL_TIMEOUT_S)"
        ) from None
    finally:
        done.set()
        thread.join()


def explain_limit(exc: duckdb.Error, limits: QueryLimits) -> str:
    """DuckDB's message, plus which of our limits it hit and how to raise it."""
    if isinstance(exc, duckdb.OutOfMemoryException):
        return (
            f"the query needs more than the memory cap of {limits.memory_limit} "
            f"(raise it with --memory-limit or AIRACE_SQL_MEMORY_LIMIT): {str(exc).splitlines()[0]}"
        )
    return str(exc)


def _settings(limits: QueryLimits) -> dict[str, str]:
    # Set when the connection opens, before any SQL: DuckDB allows writing under its
    # temporary directory even with external access off (by default `<db>.tmp/`
    # beside the snapshot, or `./.tmp/` for an in-memory database), so there is none.
    return {"temp_directory": "", "memory_limit": limits.memory_limit}


def _connect(database: str, limits: QueryLimits, *, read_only: bool) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect(database, read_only=read_only, config=_settings(limits))
    # (TimeZone needs the icu extension, which is loaded only once a connection exists.)
    con.execute("set TimeZone = 'UTC'")
    return con


# "As of" is a record time: within the range every stored time keeps (see schemas.events),
# so the moment is always one DuckDB and Python can both hold.
EARLIEST_AS_OF = EARLIEST_RETRIEVED_AT
LATEST_AS_OF = LATEST_RETRIEVED_AT


def parse_as_of(text: str) -> dt.datetime:
    """An ISO date ("by the end of that day") or date-time (UTC unless it says otherwise) in
    EARLIEST_AS_OF..LATEST_AS_OF; ValueError with the reason otherwise."""
    try:
        moment = dt.datetime.fromisoformat(text)
    except ValueError:
        raise ValueError(f"{text!r} is not an ISO date or date-time") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    if not EARLIEST_AS_OF <= moment <= LATEST_AS_OF:
        raise ValueError(f"{text!r} is outside {EARLIEST_AS_OF.date()}..{LATEST_AS_OF.date()} (UTC)")
    if len(text) == 10:
        moment = min(moment + dt.timedelta(days=1) - dt.timedelta(microseconds=1), LATEST_AS_OF)
    return moment


def _lock_down(con: duckdb.DuckDBPyConnection) -> None:
    # Analysts' SQL may read, never reach files, the network or extensions, nor change
    # the limits above.
    con.execute("set enable_external_access = false")
    con.execute("set lock_configuration = true")


def _require_snapshot(home: WarehouseHome) -> None:
    if not home.snapshot_db.exists():
        raise StoreError(f"no published snapshot at {home.snapshot_db}: run `airace run` first")


@contextmanager
def open_snapshot(home: WarehouseHome, limits: QueryLimits | None = None) -> Iterator[duckdb.DuckDBPyConnection]:
    _require_snapshot(home)
    con = _connect(str(home.snapshot_db), limits or QueryLimits.resolve(), read_only=True)
    try:
        _lock_down(con)
        yield con
    finally:
        con.close()


@contextmanager
def open_as_of(
    home: WarehouseHome, as_of: dt.datetime, limits: QueryLimits | None = None
) -> Iterator[duckdb.DuckDBPyConnection]:
    """An in-memory warehouse holding the log as recorded up to `as_of`, rebuilt (within
    the same time and memory limits as the queries that follow)."""
    _require_snapshot(home)
    limits = limits or QueryLimits.resolve()
    con = _connect(":memory:", limits, read_only=False)
    try:
        with time_limit(con, limits):
            _rebuild_as_of(con, home, as_of)
        _lock_down(con)
        yield con
    finally:
        con.close()


def _rebuild_as_of(con: duckdb.DuckDBPyConnection, home: WarehouseHome, as_of: dt.datetime) -> None:
    con.execute("attach ? as snapshot (read_only)", [str(home.snapshot_db)])
    con.execute("create schema core; create schema marts")
    con.execute(EVENTS_DDL)
    con.execute("insert into events.log select * from snapshot.events.log where recorded_at <= ?", [as_of])
    con.execute(
        """insert into events.ingest_runs select * from snapshot.events.ingest_runs
           where run_id in (select run_id from events.log) or finished_at <= ?""",
        [as_of],
    )
    con.execute(
        "insert into events.quarantine select * from snapshot.events.quarantine where quarantined_at <= ?", [as_of]
    )
    for table in ("core.organization_registry", "core.organization_parents", "core.model_alias_registry"):
        con.execute(f"create table {table} as select * from snapshot.{table}")
    con.execute("detach snapshot")
    define_macros(con)
    materialize(con, CORE_TABLES + MART_TABLES)
