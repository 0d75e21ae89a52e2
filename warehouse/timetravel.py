"""Read-only access for analysts: the published snapshot, now or as of a past moment.

"As of" means record time: the log as it stood at `as_of`, with the projections
and marts rebuilt from it by the same SQL that builds them today, so a past
report can be reproduced exactly even after later corrections.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager

import duckdb

from schemas.events import EARLIEST_RETRIEVED_AT, LATEST_RETRIEVED_AT
from warehouse.home import WarehouseHome
from warehouse.projections import CORE_TABLES, MART_TABLES, define_macros, materialize
from warehouse.store import EVENTS_DDL, StoreError


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
    # Analysts' SQL may read, never reach files, the network or extensions.
    con.execute("set enable_external_access = false")
    con.execute("set lock_configuration = true")


def _require_snapshot(home: WarehouseHome) -> None:
    if not home.snapshot_db.exists():
        raise StoreError(f"no published snapshot at {home.snapshot_db}: run `airace run` first")


@contextmanager
def open_snapshot(home: WarehouseHome) -> Iterator[duckdb.DuckDBPyConnection]:
    _require_snapshot(home)
    con = duckdb.connect(str(home.snapshot_db), read_only=True)
    try:
        con.execute("set TimeZone = 'UTC'")
        _lock_down(con)
        yield con
    finally:
        con.close()


@contextmanager
def open_as_of(home: WarehouseHome, as_of: dt.datetime) -> Iterator[duckdb.DuckDBPyConnection]:
    """An in-memory warehouse holding the log as recorded up to `as_of`, rebuilt."""
    _require_snapshot(home)
    con = duckdb.connect(":memory:")
    try:
        con.execute("set TimeZone = 'UTC'")
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
        _lock_down(con)
        yield con
    finally:
        con.close()
