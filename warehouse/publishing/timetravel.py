"""Read-only access for analysts: the published snapshot, now or at a past moment.

Two clocks, named for what they answer:

* **record time** (`RecordTime`, `airace sql --as-of`): what this warehouse had
  recorded at a moment — the log as it stood then, later corrections not applied —
  so a past report can be reproduced exactly;
* **valid time** (`ValidTime`, `airace sql --until`): the race as it had happened by
  a date, with everything known today — the events whose date (after corrections) is
  on or before it, every correction and retraction known today applied.

Either is an in-memory warehouse whose `events.log` is a view over the snapshot's log
(nothing is copied), holding the same macros as the snapshot. Its tables are built
when a statement first names them (`PastWarehouse.build_for`), each with the tables it
reads and nothing else, by the statements a full refresh runs: the intermediate tables
once (warehouse/sql/refresh/full.sql), then each table from its definition rendered
for the materialized state (warehouse.projections.refresh.recompute_whole_sql).

The intermediate tables (one row per event) come from the snapshot when its tables are
current: views over its rows of the events that existed at the moment, with the few
events an amendment recorded later changed recomputed from the log as it stood; and
core.models keeps the snapshot's row of every model none of whose launches changed
(`_intermediate_tables`, `_models_from_snapshot`). So a past mart reads the snapshot's
file rather than holding a recomputation of the whole log in memory: at a million
events, 2-3 s of CPU in about 600 MB, against 12 s and 1.4 GB. A snapshot whose tables
are behind its log is answered from the log alone (warehouse/sql/refresh/full.sql).
"""

from __future__ import annotations

import datetime as dt
import os
import re
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cache

import duckdb

from warehouse.errors import StoreError
from warehouse.home import WarehouseHome
from warehouse.projections.catalog import CORE_TABLES, MART_TABLES, SQL_DIR

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


def _settings(limits: QueryLimits) -> dict[str, str | bool | int | float | list[str]]:  # (duckdb.connect's config type)
    # Set when the connection opens, before any SQL: DuckDB allows writing under its
    # temporary directory even with external access off (by default `<db>.tmp/`
    # beside the snapshot, or `./.tmp/` for an in-memory database), so there is none.
    return {"temp_directory": "", "memory_limit": limits.memory_limit}


def _connect(database: str, limits: QueryLimits, *, read_only: bool) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect(database, read_only=read_only, config=_settings(limits))
    # (TimeZone needs the icu extension, which is loaded only once a connection exists.)
    con.execute("set TimeZone = 'UTC'")
    return con


def parse_as_of(text: str) -> dt.datetime:
    """An ISO date ("by the end of that day") or date-time (UTC unless it says otherwise) in
    the range every stored time keeps (schemas.events: one DuckDB and Python can both hold);
    ValueError with the reason otherwise."""
    # (imported here: the event schemas are not needed to read the snapshot)
    from schemas.events import EARLIEST_RETRIEVED_AT as earliest
    from schemas.events import LATEST_RETRIEVED_AT as latest

    try:
        moment = dt.datetime.fromisoformat(text)
    except ValueError:
        raise ValueError(f"{text!r} is not an ISO date or date-time") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    if not earliest <= moment <= latest:
        raise ValueError(f"{text!r} is outside {earliest.date()}..{latest.date()} (UTC)")
    if len(text) == 10:
        moment = min(moment + dt.timedelta(days=1) - dt.timedelta(microseconds=1), latest)
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


# --------------------------------------------------------------------------- the two clocks


@dataclass(frozen=True)
class RecordTime:
    """What this warehouse had recorded at `at` (`--as-of`): the log rows recorded by then."""

    at: dt.datetime

    def __str__(self) -> str:
        return f"as recorded at {self.at.isoformat()}"


@dataclass(frozen=True)
class ValidTime:
    """The race as it had happened by the end of `until` (`--until`), as known today."""

    until: dt.date

    def __str__(self) -> str:
        return f"as it had happened by {self.until.isoformat()}"


PastMoment = RecordTime | ValidTime

_AMENDMENTS = "('event.corrected', 'event.retracted')"


@dataclass
class PastWarehouse:
    """An in-memory warehouse at a past moment; `build_for(sql)` before running `sql`."""

    con: duckdb.DuckDBPyConnection
    moment: PastMoment
    built: set[str] = field(default_factory=set)
    # The first moment anything was recorded (None: an empty log), for `warn_before_records`.
    first_recorded_at: dt.datetime | None = None
    # Whether the snapshot's intermediate tables are current (see _intermediate_tables).
    reuse_snapshot: bool = False
    # The query of each intermediate table made a view of the snapshot's rows.
    state_views: dict[str, str] = field(default_factory=dict)

    def build_for(self, sql: str) -> list[str]:
        """Build the tables `sql` names (and what they read) that are not built yet; returns them."""
        return self.build(tables_named(sql))

    def build(self, tables: Iterable[str]) -> list[str]:
        from warehouse.projections.refresh import recompute_whole_sql

        todo = [t for t in tables_with_inputs(tables) if t not in self.built]
        if not todo:
            return []
        self.con.execute("begin transaction")
        try:
            if "projection_state" not in self.built:
                self.state_views = _intermediate_tables(self.con, self.moment, self.reuse_snapshot)
            for table in todo:
                if table == "core.models" and self.reuse_snapshot:
                    _models_from_snapshot(self.con, self.state_views, self.moment)
                else:
                    self.con.execute(recompute_whole_sql(table))
            self.con.execute("commit")
            self.built.add("projection_state")
        except BaseException:
            self.con.execute("rollback")
            raise
        self.built.update(todo)
        return todo

    def before_records(self) -> bool:
        """True for a record time earlier than anything recorded: the warehouse was empty then."""
        return (
            isinstance(self.moment, RecordTime)
            and self.first_recorded_at is not None
            and self.moment.at < self.first_recorded_at
        )


@contextmanager
def open_past(home: WarehouseHome, moment: PastMoment, limits: QueryLimits | None = None) -> Iterator[PastWarehouse]:
    """The warehouse at `moment`, no table built yet (within the same time and memory limits
    as the queries that follow)."""
    _require_snapshot(home)
    limits = limits or QueryLimits.resolve()
    con = _connect(":memory:", limits, read_only=False)
    try:
        with time_limit(con, limits):
            con.execute("attach ? as snapshot (read_only)", [str(home.snapshot_db)])
            _log_views(con, moment)
            _define(con)
            reuse = _snapshot_state_current(con)
            if isinstance(moment, ValidTime):
                _keep_what_had_happened(con, moment.until, reuse)
            first = con.execute("select min(recorded_at) from snapshot.events.log").fetchall()[0][0]
        _lock_down(con)
        yield PastWarehouse(con, moment, first_recorded_at=first, reuse_snapshot=reuse)
    finally:
        con.close()


@contextmanager
def open_as_of(
    home: WarehouseHome, as_of: dt.datetime, limits: QueryLimits | None = None, tables: Iterable[str] | None = None
) -> Iterator[duckdb.DuckDBPyConnection]:
    """A connection holding the warehouse as recorded up to `as_of`, with `tables` built
    (default: every table)."""
    with _open_built(home, RecordTime(as_of), limits, tables) as con:
        yield con


@contextmanager
def open_until(
    home: WarehouseHome, until: dt.date, limits: QueryLimits | None = None, tables: Iterable[str] | None = None
) -> Iterator[duckdb.DuckDBPyConnection]:
    """A connection holding the race as it had happened by `until`, with `tables` built
    (default: every table)."""
    with _open_built(home, ValidTime(until), limits, tables) as con:
        yield con


@contextmanager
def _open_built(
    home: WarehouseHome, moment: PastMoment, limits: QueryLimits | None, tables: Iterable[str] | None
) -> Iterator[duckdb.DuckDBPyConnection]:
    limits = limits or QueryLimits.resolve()
    with open_past(home, moment, limits) as past:
        with time_limit(past.con, limits):
            past.build(all_tables() if tables is None else tables)
        yield past.con


def _timestamp_literal(moment: dt.datetime) -> str:
    # (a view cannot take parameters; an ISO timestamp with its offset is an exact literal)
    return f"timestamptz '{moment.isoformat()}'"


def _record_time_log(at: dt.datetime) -> str:
    """events.log as recorded by `at`."""
    return f"create or replace view events.log as select * from snapshot.events.log where recorded_at <= {_timestamp_literal(at)}"


def _log_views(con: duckdb.DuckDBPyConnection, moment: PastMoment) -> None:
    """events.* as views over the snapshot at `moment`; the reference tables as they are."""
    # (the refresh module, imported when a past is built: it loads the event schemas,
    # which reading the snapshot as it is does not need)
    from warehouse.projections.refresh import REFERENCE_TABLES, STATE_SCHEMA

    con.execute("create schema events; create schema core; create schema marts")
    if isinstance(moment, RecordTime):
        at = _timestamp_literal(moment.at)
        con.execute(_record_time_log(moment.at))
        con.execute(
            f"""create view events.ingest_runs as select * from snapshot.events.ingest_runs
                where run_id in (select run_id from events.log) or finished_at <= {at}"""
        )
        con.execute(f"create view events.quarantine as select * from snapshot.events.quarantine where quarantined_at <= {at}")
    else:
        # (narrowed to what had happened once the macros exist: _keep_what_had_happened)
        for table in ("log", "ingest_runs", "quarantine"):
            con.execute(f"create view events.{table} as select * from snapshot.events.{table}")
    # The log's own macros (events.log_as_of), as the snapshot defines them.
    for name, parameters, definition in con.execute(
        """select function_name, parameters, macro_definition from duckdb_functions()
           where database_name = 'snapshot' and schema_name = 'events' and function_type = 'table_macro'"""
    ).fetchall():
        con.execute(f"create macro events.{name}({', '.join(parameters)}) as table {definition}")
    for table in REFERENCE_TABLES:
        if not table.startswith(f"{STATE_SCHEMA}."):
            con.execute(f"create view {table} as select * from snapshot.{table}")


def _define(con: duckdb.DuckDBPyConnection) -> None:
    from warehouse.projections.refresh import define_macros

    define_macros(con)


def _keep_what_had_happened(con: duckdb.DuckDBPyConnection, until: dt.date, reuse_snapshot: bool) -> None:
    """Narrow events.log to the events that had happened by the end of `until` (their date
    after every correction known today; retracted ones gone) and every correction and
    retraction, so each table built from it applies what is known today."""
    con.execute("create schema valid_time")
    # (only event_id and occurred_at are read: DuckDB skips the payload merge)
    # (the snapshot's effective events when current: today's, as the whole log gives them)
    effective = "snapshot.projection_state.effective_events" if reuse_snapshot else "core.effective_events('infinity')"
    con.execute(f"create table valid_time.happened as select event_id from {effective} where occurred_at <= ?", [until])
    con.execute(
        f"""create or replace view events.log as select * from snapshot.events.log
            where event_type in {_AMENDMENTS} or event_id in (select event_id from valid_time.happened)"""
    )


# The intermediate tables with one row per event (an effective event, an organization it
# names, a launch it reports): each row depends on its event, the amendments targeting it
# and the reference tables only, so the snapshot's rows hold at a past moment for every
# event no later amendment changed.
_PER_EVENT_TABLES = ("effective_events", "organization_mentions", "model_launches")


def _snapshot_state_current(con: duckdb.DuckDBPyConnection) -> bool:
    """True when the snapshot's intermediate tables were refreshed through its last log row
    by today's definitions (the checkpoint a refresh writes): then they can be reused."""
    from warehouse.projections.refresh import CHECKPOINT_TABLE, definitions_fingerprint

    try:
        rows = con.execute(
            f"""select c.position = (select coalesce(max(position), 0) from snapshot.events.log)
                       and c.hash = coalesce((select hash from snapshot.events.log where position = c.position), ''),
                       c.fingerprint
                from snapshot.{CHECKPOINT_TABLE} c"""
        ).fetchall()
    except duckdb.CatalogException:  # (a snapshot published before there were checkpoints)
        return False
    return len(rows) == 1 and bool(rows[0][0]) and rows[0][1] == definitions_fingerprint()


def _intermediate_tables(con: duckdb.DuckDBPyConnection, moment: PastMoment, reuse_snapshot: bool) -> dict[str, str]:
    """projection_state.* at `moment`, which the core and mart tables are built from.

    With the snapshot's intermediate tables current (`reuse_snapshot`), they are views
    over the snapshot's rows of the events that existed at `moment` (nothing copied,
    read from its file as the tables are built, so a capped memory holds), plus, for
    record time, the rows of the few events an amendment recorded after `moment`
    changed, recomputed from the log as it stood. Otherwise each is computed from the
    whole log (warehouse/sql/refresh/full.sql), in memory. Returns the views' queries.
    """
    if not reuse_snapshot:
        con.execute(_full_refresh_sql())
        return {}
    con.execute("create schema if not exists past")
    views: dict[str, str] = {}
    if isinstance(moment, RecordTime):
        _recompute_changed_events(con, moment.at)
        kept = f"recorded_at <= {_timestamp_literal(moment.at)} and event_id not in (select event_id from past.changed)"
    else:
        kept = f"occurred_at <= date '{moment.until.isoformat()}'"
    con.execute(f"create view past.kept_events as select event_id from snapshot.projection_state.effective_events where {kept}")
    for table in _PER_EVENT_TABLES:
        # (only the effective events carry recorded_at and occurred_at as they are today)
        where = kept if table == "effective_events" else "event_id in (select event_id from past.kept_events)"
        recomputed = f" union all by name select * from past.changed_{table}" if isinstance(moment, RecordTime) else ""
        views[f"projection_state.{table}"] = f"select * from snapshot.projection_state.{table} where {where}{recomputed}"
    views["projection_state.subjects"] = (
        "select distinct subject from projection_state.effective_events where event_type <> 'model.launched'"
    )
    for name, query in views.items():
        _view_in_place(con, name, query)
    return views


def _models_from_snapshot(con: duckdb.DuckDBPyConnection, views: dict[str, str], moment: PastMoment) -> None:
    """core.models at `moment`: a model's row is computed from its launches alone (and the
    reference tables), so the snapshot's row holds for every model whose launches are all
    kept as they are (past.kept_events); the models with a launch that was not there yet,
    or was different, are recomputed from their launches then. (The JSON of ~460k launch
    payloads read again would be most of the time a past mart takes.)"""
    changed = " union select model_id from past.changed_model_launches" if isinstance(moment, RecordTime) else ""
    con.execute(
        f"""create or replace table past.touched_models as
            select distinct model_id from snapshot.projection_state.model_launches
            where event_id not in (select event_id from past.kept_events){changed}"""
    )
    launches = views["projection_state.model_launches"]
    _view_in_place(
        con, "projection_state.model_launches",
        f"select * from ({launches}) where model_id in (select model_id from past.touched_models)",
    )
    con.execute(
        f"""create or replace table core.models as
           select * from {_state_definition("core.models")}
           union all by name
           select * from snapshot.core.models where model_id not in (select model_id from past.touched_models)"""
    )
    _view_in_place(con, "projection_state.model_launches", launches)


def _view_in_place(con: duckdb.DuckDBPyConnection, name: str, query: str) -> None:
    """`name` (a table define_macros created empty, or a view) becomes a view of `query`;
    the macros that read it find the view (a macro binds the names it reads when called)."""
    schema, table = name.split(".")
    if con.execute(
        "select count(*) from duckdb_tables() where database_name = current_database() and schema_name = ? and table_name = ?",
        [schema, table],
    ).fetchall()[0][0]:
        con.execute(f"drop table {name}")
    con.execute(f"create or replace view {name} as {query}")


def _recompute_changed_events(con: duckdb.DuckDBPyConnection, at: dt.datetime) -> None:
    """past.changed: the events recorded by `at` that an amendment recorded after it
    changed (corrected, retracted, or a correction of them retracted: the snapshot's
    projection_state.amendments lists each amendment under every event it changes);
    past.changed_<table>: their rows as of `at`, each table computed by its own
    definition from the ones before it, over their log rows alone."""
    at_sql = _timestamp_literal(at)
    con.execute(
        f"""create table past.changed as
            select distinct a.target_event_id as event_id
            from snapshot.projection_state.amendments a join snapshot.events.log l using (position)
            where l.recorded_at > {at_sql}"""
    )
    # The changed events' own log rows and every amendment of them recorded by `at`: all
    # their effective rows read (the definitions read events.log by name, so it is
    # narrowed to these rows while they are computed, then put back).
    con.execute(
        f"""create or replace view events.log as select * from snapshot.events.log
            where recorded_at <= {at_sql} and (
                event_id in (select event_id from past.changed)
                or position in (select a.position from snapshot.projection_state.amendments a
                                where a.target_event_id in (select event_id from past.changed)))"""
    )
    con.execute("create table past.changed_effective_events as select * from core.effective_events('infinity')")
    # (inside PastWarehouse.build's transaction: a statement that fails rolls this back too)
    con.execute(_record_time_log(at))
    # The readers' stored side (src 'state') is projection_state.<table>: pointed at the
    # changed events' rows while the next table is computed from them.
    for table, source in (("organization_mentions", "effective_events"), ("model_launches", "organization_mentions")):
        _view_in_place(con, f"projection_state.{source}", f"select * from past.changed_{source}")
        con.execute(f"create table past.changed_{table} as select * from {_state_definition(f'core.{table}')}")


def _state_definition(table: str) -> str:
    """`table`'s definition rendered for the materialized state (its readers read
    projection_state.*), called for now."""
    from warehouse.projections.rendering import rendered_name

    return f"{rendered_name(f'{table}_of', 'state')}('infinity')"


# --------------------------------------------------------------------------- which tables


@cache
def _full_refresh_sql() -> str:
    from warehouse.projections.refresh import full_refresh_sql

    return full_refresh_sql()


def all_tables() -> tuple[str, ...]:
    """Every core.* and marts.* table, in definition order (each after what it reads)."""
    return tuple(p.table for p in CORE_TABLES + MART_TABLES)


@cache
def _inputs() -> dict[str, frozenset[str]]:
    """The tables each table's definition reads (through their `<table>_in(` readers), also
    through a macro of the other definition files it calls (core.complete_through reads
    core.source_coverage)."""
    projections = CORE_TABLES + MART_TABLES
    own = {p.sql_file for p in projections}

    def reads(text: str) -> set[str]:
        return {q.table for q in projections if f"{q.table}_in(" in text}

    helpers: dict[str, set[str]] = {}
    for path in sorted(SQL_DIR.glob("*/*.sql")):
        if path.parent.name in ("core", "marts") and path not in own:
            text = path.read_text()
            for name in re.findall(r"create or replace macro ([\w.]+)\(", text):
                helpers[name] = reads(text)
    texts = {p.table: p.sql_file.read_text() for p in projections}
    return {
        p.table: frozenset(
            (reads(texts[p.table]) | {t for name, tables in helpers.items() if f"{name}(" in texts[p.table] for t in tables})
            - {p.table}
        )
        for p in projections
    }


def tables_with_inputs(tables: Iterable[str]) -> list[str]:
    """`tables` and everything they read, transitively, in definition order."""
    inputs = _inputs()
    wanted: set[str] = set()
    pending = [t for t in tables if t in inputs]
    while pending:
        table = pending.pop()
        if table not in wanted:
            wanted.add(table)
            pending.extend(inputs[table])
    return [t for t in all_tables() if t in wanted]


def tables_named(sql: str) -> list[str]:
    """The core.* / marts.* tables a statement names (`marts.x`, `"marts"."x"`, any case),
    not their macros (`marts.x_as_of(...)` recomputes from the log by itself)."""
    named = []
    for table in all_tables():
        schema, name = table.split(".")
        if re.search(rf'(?<![\w."])"?{schema}"?\s*\.\s*"?{name}"?(?![\w"])', sql, re.IGNORECASE):
            named.append(table)
    return named
