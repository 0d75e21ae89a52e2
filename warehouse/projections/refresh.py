"""Projections (core.*) and marts (marts.*), built from the log by SQL.

Each table is defined once, as a table macro `<table>_of(as_of, src)` in a `.sql`
file under warehouse/sql/, so the same definition answers "as known at ts"
(`<table>_as_of(as_of)`, or `airace sql --as-of`: src 'log', recomputed from the log)
and "now" (materialized here as a table, from intermediate tables kept in
projection_state: src 'state' for a full refresh, 'dirty' for an incremental one
that recomputes only the keys new events touch; see sql/core/00_keys.sql). Each is
rendered per mode in Python before DuckDB binds it (warehouse/projections/rendering.py), so a
refresh binds only the materialized tables, never the log-side tree.

`refresh_projections` keeps a checkpoint (the last log position projected, its hash
and a fingerprint of the definitions) so that after an append only the new log rows
are read; anything it cannot trust (a changed definition, a missing table, a log
that no longer has the checkpointed hash) makes it rebuild everything.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Literal

import duckdb

from schemas.registry import organization_roles
from warehouse.projections.catalog import CORE_TABLES, MART_TABLES, SQL_DIR, KeyedCore, KeyedMart, Projection
from warehouse.projections.rendering import (
    MODES,
    Catalog,
    Mode,
    defined_macro,
    log_stand_in,
    render,
    rendered_name,
    statements,
)

REFERENCE_DIR = SQL_DIR.parent / "reference"
# The reference tables, and the alias keys define_macros derives from the registry.
REFERENCE_TABLES = (
    "core.organization_registry", "core.organization_parents", "core.model_alias_registry",
    "projection_state.organization_alias_keys", "projection_state.organization_lineage", "projection_state.model_alias_keys",
    "projection_state.organization_roles",
)
ORGANIZATIONS_CSV = REFERENCE_DIR / "organizations.csv"
MODEL_ALIASES_CSV = REFERENCE_DIR / "model_aliases.csv"
ORGANIZATION_PARENTS_CSV = REFERENCE_DIR / "organization_parents.csv"
REFRESH_DIR = SQL_DIR / "refresh"
# A definition file whose name ends so holds the macros that mark the keys an incremental
# refresh recomputes; it reads tables, so it is created after every definition.
TOUCHED_SUFFIX = "_touched"
STATE_SCHEMA = "projection_state"
# The intermediate tables an incremental refresh maintains row by row.
STATE_TABLES = (
    f"{STATE_SCHEMA}.amendments",
    f"{STATE_SCHEMA}.effective_events",
    f"{STATE_SCHEMA}.recomputed_effective_events",
    f"{STATE_SCHEMA}.recomputed_mentions",
    f"{STATE_SCHEMA}.recomputed_launches",
    f"{STATE_SCHEMA}.touched_subject_events",
    f"{STATE_SCHEMA}.subjects",
    f"{STATE_SCHEMA}.organization_mentions",
    f"{STATE_SCHEMA}.model_launches",
)
CHECKPOINT_TABLE = f"{STATE_SCHEMA}.checkpoint"
# Bumped when the refresh logic in this module changes what it writes: like a changed
# .sql file, it makes the next refresh a full one.
REFRESH_LOGIC_VERSION = "5"


# How each table is kept by an incremental refresh: declared in its SQL file's header
# (warehouse.projections.catalog). A core table not keyed is recomputed whole from the
# materialized inputs on every refresh, and so is a mart not keyed (correct, only slower).
CORE_KEYS: dict[str, KeyedCore] = {p.table: p.refresh for p in CORE_TABLES if isinstance(p.refresh, KeyedCore)}
KEYED_MARTS: dict[str, KeyedMart] = {p.table: p.refresh for p in MART_TABLES if isinstance(p.refresh, KeyedMart)}


def load_reference(con: duckdb.DuckDBPyConnection) -> None:
    """Reference tables that are curated by hand, not events: org registry and model aliases."""
    con.execute("create schema if not exists core")
    con.execute(
        """create or replace table core.organization_registry as
           select org_id, name, nullif(country, '') as country, kind,
                  list_filter(string_split(coalesce(aliases, ''), '|'), lambda a: trim(a) <> '') as aliases
           from read_csv(?, header = true, all_varchar = true)""",
        [str(ORGANIZATIONS_CSV)],
    )
    con.execute(
        """create or replace table core.model_alias_registry as
           select alias_id, model_id, nullif(organization, '') as organization, note
           from read_csv(?, header = true, all_varchar = true)""",
        [str(MODEL_ALIASES_CSV)],
    )
    # Which organization belonged to which, when (an empty date: since founding / still).
    con.execute(
        """create or replace table core.organization_parents as
           select org_id, parent_id, valid_from::date as valid_from, valid_to::date as valid_to,
                  relation, source_url, note
           from read_csv(?, header = true, all_varchar = true)""",
        [str(ORGANIZATION_PARENTS_CSV)],
    )


def _definition_files() -> list[Path]:
    """The definition files in the order they are created: core, then marts, each by
    name (a table's file after those of the tables it reads); then the `*_touched.sql`
    files, whose macros (the keys an incremental refresh marks) read the tables the
    definitions create, so they come once every table exists."""
    files = sorted(SQL_DIR.glob("core/*.sql")) + sorted(SQL_DIR.glob("marts/*.sql"))
    return [f for f in files if not _is_touched(f)] + [f for f in files if _is_touched(f)]


def _is_touched(sql_file: Path) -> bool:
    return sql_file.stem.endswith(TOUCHED_SUFFIX)


# The intermediate tables read through a reader `<name>_in(as_of, src)`: from the log
# by `<name>_of`, from the materialized state by `<name>_stored` (see warehouse/projections/rendering.py).
INTERMEDIATES = ("core.effective_events", "core.organization_mentions", "core.model_launches")


@cache
def _catalog() -> Catalog:
    texts = [path.read_text() for path in _definition_files()]
    return Catalog.of(texts, (p.table for p in CORE_TABLES + MART_TABLES), INTERMEDIATES)


@cache
def render_sql(sql: str) -> str:
    """A statement (or script) outside any mode, its calls of definitions rendered: each
    call names its mode with a literal (`core.models_of('infinity', 'state')`)."""
    return "\n".join(render(statement, None, _catalog()) for statement in statements(sql))


def _refresh_script(name: str) -> str:
    return render_sql((REFRESH_DIR / name).read_text())


def define_macros(con: duckdb.DuckDBPyConnection) -> None:
    """Create every macro, each that takes `src` once per mode (warehouse/projections/rendering.py).

    Macros are bound when created, so a table a later macro reads must exist first:
    after each file, its table is created empty if missing (its shape is the macro's).
    """
    con.execute("create schema if not exists core; create schema if not exists marts")
    _load_organization_roles(con)
    projections = {p.sql_file: p for p in CORE_TABLES + MART_TABLES}
    existing = _existing_tables(con)
    catalog = _catalog()
    # Each 'log' definition is created first as a stand-in (rendering.log_stand_in), so
    # that creating the definitions that call it binds against its shape alone, not the
    # whole log-side tree below it (seconds); the real ones replace the stand-ins at the
    # end, last first, each so binding against stand-ins still.
    log_definitions = []
    for sql_file in _definition_files():
        for statement in statements(sql_file.read_text()):
            if defined_macro(statement, catalog) is None:
                con.execute(render(statement, None, catalog))
                continue
            con.execute(render(statement, "state", catalog))
            con.execute(render(statement, "dirty", catalog))
            con.execute(log_stand_in(statement, catalog))
            log_definitions.append(render(statement, "log", catalog))
        projection = projections.get(sql_file)
        if projection is not None and projection.table not in existing:
            con.execute(f"create table {projection.table} as select * from {_of(projection.table, 'state')} limit 0")
    for definition in reversed(log_definitions):
        con.execute(definition)


def _of(table: str, mode: Mode) -> str:
    """The table's definition, rendered for `mode`, called for now ('infinity')."""
    return f"{rendered_name(f'{table}_of', mode)}('infinity')"


def recompute_whole_sql(table: str) -> str:
    """The statement that recomputes `table` whole from the materialized state (the
    refresh's and time travel's)."""
    return f"create or replace table {table} as select * from {_of(table, 'state')}"


def full_refresh_sql() -> str:
    """The script that fills the intermediate tables from the whole log (before the
    core and mart tables, each by recompute_whole_sql)."""
    return _refresh_script("full.sql")


def _load_organization_roles(con: duckdb.DuckDBPyConnection) -> None:
    """Which payload fields name organizations, in which role, from the event types'
    declarations (schemas/event_types.py): core.organization_mentions reads it."""
    con.execute(f"create schema if not exists {STATE_SCHEMA}")
    con.execute(
        f"create or replace table {STATE_SCHEMA}.organization_roles (event_type varchar, field varchar, role varchar)"
    )
    con.executemany(f"insert into {STATE_SCHEMA}.organization_roles values (?, ?, ?)", organization_roles())


# --------------------------------------------------------------------------- refresh


@dataclass(frozen=True)
class RefreshReport:
    mode: Literal["full", "incremental"]
    # Log rows read: the whole log for a full refresh, the rows after the checkpoint else.
    events_applied: int
    position: int
    counts: dict[str, int] = field(default_factory=dict)
    # Why a full refresh was needed (empty for an incremental one).
    reason: str = ""
    # Wall-clock seconds per step (intermediate tables, each core table, each mart).
    seconds: dict[str, float] = field(default_factory=dict)
    # The marts an incremental refresh recomputed by group (see KEYED_MARTS), not whole.
    by_key: tuple[str, ...] = ()


class _StepTimer:
    """Seconds spent per named step, to show where a refresh goes."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}

    @contextmanager
    def step(self, name: str) -> Iterator[None]:
        started = time.perf_counter()
        try:
            yield
        finally:
            self.seconds[name] = round(self.seconds.get(name, 0.0) + time.perf_counter() - started, 4)


def definitions_fingerprint() -> str:
    """sha256 over everything the tables are computed from besides the log."""
    digest = hashlib.sha256(REFRESH_LOGIC_VERSION.encode())
    files = _definition_files() + sorted(REFRESH_DIR.glob("*.sql")) + sorted(REFERENCE_DIR.glob("*.csv"))
    for path in files:
        digest.update(str(path.relative_to(SQL_DIR.parent)).encode() + b"\0")
        digest.update(path.read_bytes() + b"\0")
    digest.update(repr(organization_roles()).encode())
    return digest.hexdigest()


def _existing_tables(con: duckdb.DuckDBPyConnection) -> set[str]:
    rows = con.execute(
        "select schema_name || '.' || table_name from duckdb_tables() where database_name = current_database()"
    ).fetchall()
    return {name for (name,) in rows}


def _log_head(con: duckdb.DuckDBPyConnection) -> int:
    return con.execute("select coalesce(max(position), 0) from events.log").fetchall()[0][0]


def _hash_at(con: duckdb.DuckDBPyConnection, position: int) -> str | None:
    rows = con.execute("select hash from events.log where position = ?", [position]).fetchall()
    return rows[0][0] if rows else None


def _checkpoint(con: duckdb.DuckDBPyConnection) -> tuple[int, str, str] | None:
    rows = con.execute(f"select position, hash, fingerprint from {CHECKPOINT_TABLE}").fetchall()
    return rows[0] if rows else None


def _missing_tables(con: duckdb.DuckDBPyConnection) -> list[str]:
    required = {p.table for p in CORE_TABLES + MART_TABLES} | set(STATE_TABLES) | set(REFERENCE_TABLES) | {CHECKPOINT_TABLE}
    return sorted(required - _existing_tables(con))


def _definitions_defined(con: duckdb.DuckDBPyConnection) -> bool:
    """Whether every table's definition is there, in every mode."""
    expected = {rendered_name(f"{p.table}_of", mode).split(".")[1] for p in CORE_TABLES + MART_TABLES for mode in MODES}
    rows = con.execute(
        "select distinct function_name from duckdb_functions() where function_type = 'table_macro'"
    ).fetchall()
    return expected <= {name for (name,) in rows}


def _why_full(con: duckdb.DuckDBPyConnection, fingerprint: str) -> str:
    """Empty when the materialized state can be carried forward; else the reason it cannot."""
    missing = _missing_tables(con)
    if missing:
        return f"missing tables: {', '.join(missing[:3])}{' ...' if len(missing) > 3 else ''}"
    checkpoint = _checkpoint(con)
    if checkpoint is None:
        return "no checkpoint"
    position, hash_, checkpoint_fingerprint = checkpoint
    if checkpoint_fingerprint != fingerprint:
        return "definitions changed"
    if position > 0 and _hash_at(con, position) != hash_:
        return f"the log at position {position} is not the one projected"
    if position > _log_head(con):
        return f"the log ends before the checkpoint ({position})"
    return ""


def _same_definitions(con: duckdb.DuckDBPyConnection, fingerprint: str) -> bool:
    """Whether the tables were built by the current definitions (so keep their shapes)."""
    if CHECKPOINT_TABLE not in _existing_tables(con):
        return False
    checkpoint = _checkpoint(con)
    return checkpoint is not None and checkpoint[2] == fingerprint


def _drop_materialized(con: duckdb.DuckDBPyConnection) -> None:
    # Dropped, not replaced: a changed definition may change a table's shape, and the
    # macros of modes 'state' and 'dirty' are bound to the tables' shapes when
    # define_macros creates them.
    for table in [p.table for p in CORE_TABLES + MART_TABLES] + list(STATE_TABLES):
        con.execute(f"drop table if exists {table}")
    # Every macro of core and marts comes from the definitions: none of the replaced ones
    # (a renamed helper, an older rendering) is left behind, nor copied to the snapshot.
    macros = con.execute(
        """select distinct schema_name, function_name, function_type from duckdb_functions()
           where database_name = current_database() and schema_name in ('core', 'marts')
             and function_type in ('macro', 'table_macro')"""
    ).fetchall()
    for schema, name, kind in macros:
        con.execute(f'drop macro {"table " if kind == "table_macro" else ""}if exists {schema}."{name}"')


def _ensure_definitions(con: duckdb.DuckDBPyConnection, fingerprint: str) -> None:
    # Defining the macros binds every one of them (seconds): skipped when the
    # database already holds these definitions and every table they read.
    if not _same_definitions(con, fingerprint):
        _drop_materialized(con)
        define_macros(con)
    elif _missing_tables(con) or not _definitions_defined(con):
        define_macros(con)


def _recompute_whole(con: duckdb.DuckDBPyConnection, table: str) -> None:
    """The table recomputed whole, from the materialized state."""
    con.execute(recompute_whole_sql(table))


def _insert_dirty_rows(con: duckdb.DuckDBPyConnection, table: str) -> None:
    """The table's rows for the keys marked dirty (the rows they replace already deleted)."""
    con.execute(f"insert into {table} select * from {_of(table, 'dirty')}")


def _refresh_full(con: duckdb.DuckDBPyConnection, timer: _StepTimer) -> None:
    with timer.step(STATE_SCHEMA):
        con.execute(full_refresh_sql())
    for projection in CORE_TABLES:
        with timer.step(projection.table):
            _recompute_whole(con, projection.table)


def _refresh_incremental(con: duckdb.DuckDBPyConnection, after_position: int, timer: _StepTimer) -> dict[str, bool]:
    """Returns the keyed marts that can be refreshed by key (their scope did not move),
    each with whether any of its groups is marked."""
    with timer.step(STATE_SCHEMA):
        con.execute("set variable projected_position = ?", [after_position])
        con.execute(_refresh_script("incremental.sql"))
        # (which kinds of key the batch touched: a core table with none of its kind
        # keeps its rows, and one with no touched key it can hold rows for deletes none)
        marked = _kinds_marked(con)
    with timer.step("keyed marts"):
        scopes_before = _mark_touched_groups(con, as_they_were=True, marked=marked)
    for projection in CORE_TABLES:
        with timer.step(projection.table):
            _refresh_core_keys(con, projection, marked)
    with timer.step("keyed marts"):
        scopes_after = _mark_touched_groups(con, as_they_were=False, marked=marked)
        marked = _kinds_marked(con)
    # A keyed mart whose scope did not move is refreshed by group; with no group of its
    # kind marked (no event of the batch reaches it: a batch of policies alone leaves the
    # launch marts), there is nothing to recompute.
    return {
        table: mart.kind in marked
        for table, mart in KEYED_MARTS.items() if scopes_before[table] == scopes_after[table]
    }


def _kinds_marked(con: duckdb.DuckDBPyConnection) -> set[str]:
    """The kinds of key projection_state.dirty holds some of."""
    return set(con.execute(f"select list(distinct kind) from {STATE_SCHEMA}.dirty").fetchall()[0][0] or [])


def _mark_touched_groups(con: duckdb.DuckDBPyConnection, *, as_they_were: bool, marked: set[str]) -> dict[str, object]:
    """Mark the groups of every keyed mart that the touched core rows fall in; returns
    each mart's scope. (One statement for all of them: each costs its planning.)
    `marked`: the kinds of key projection_state.dirty holds some of.

    Before the core tables are refreshed (`as_they_were`), only touched rows that
    existed count, and a touched model or subject had a row only if it had materialized
    events (the 'stored_model' and 'stored_subject' keys of incremental.sql); the
    organizations' rows match the marts until then (release_cadence's renames). So a
    batch of new models and subjects skips that pass.
    """
    touched = {mart.kind: mart.touched for mart in KEYED_MARTS.values() if mart.touched}
    if as_they_were and not marked & {"stored_model", "stored_subject"}:
        touched = {}
    if touched:
        con.execute(
            render_sql(
                f"insert into {STATE_SCHEMA}.dirty "
                + " union all ".join(f"select ${i + 1}, * from {macro}" for i, macro in enumerate(touched.values()))
            ),
            list(touched),
        )
    # (each distinct expression once: the capability marts share theirs)
    expressions = list(dict.fromkeys(mart.scope for mart in KEYED_MARTS.values()))
    scopes = con.execute(render_sql("select " + ", ".join(expressions))).fetchall()[0]
    values = dict(zip(expressions, scopes, strict=True))
    return {table: values[mart.scope] for table, mart in KEYED_MARTS.items()}


def _refresh_core_keys(con: duckdb.DuckDBPyConnection, projection: Projection, marked: set[str]) -> None:
    """`marked`: the kinds of key projection_state.dirty holds some of."""
    keyed = CORE_KEYS.get(projection.table)
    if keyed is None:
        _recompute_whole(con, projection.table)
        return
    if keyed.touched is not None:
        con.execute(render_sql(keyed.touched.read_text()))
        marked = _kinds_marked(con)
    if keyed.kind not in marked:
        return
    # Core tables are refreshed in file order, so a table that reads another
    # (model_conflicts reads core.models) sees it already refreshed.
    if keyed.stored in marked:
        con.execute(
            f"delete from {projection.table} where {keyed.column} in (select key from core.dirty_keys(?))", [keyed.stored]
        )
    _insert_dirty_rows(con, projection.table)


def _delete_groups_sql(table: str, columns: tuple[str, ...]) -> str:
    # A join on the group's columns (NULL matching NULL), not a key computed for every row.
    match = " and ".join(f"m.{column} is not distinct from (d.key::json ->> {i})" for i, column in enumerate(columns))
    return f"delete from {table} m using (select key from core.dirty_keys(?)) d where {match}"


def _refresh_marts(con: duckdb.DuckDBPyConnection, by_key: dict[str, bool], timer: _StepTimer) -> None:
    # Most marts are small aggregates over whole core tables (a new frontier model moves
    # every later catch-up row): recomputed whole, from the materialized core tables.
    # The keyed ones in `by_key` recompute only the groups marked dirty (none when it
    # says no group is marked).
    for projection in MART_TABLES:
        with timer.step(projection.table):
            mart = KEYED_MARTS.get(projection.table)
            if projection.table in by_key and mart is not None:
                if not by_key[projection.table]:
                    continue
                con.execute(_delete_groups_sql(projection.table, mart.columns), [mart.kind])
                _insert_dirty_rows(con, projection.table)
            else:
                _recompute_whole(con, projection.table)


def _write_checkpoint(con: duckdb.DuckDBPyConnection, position: int, fingerprint: str) -> None:
    con.execute(
        f"""create or replace table {CHECKPOINT_TABLE} as
            select ?::bigint as position, ?::varchar as hash, ?::varchar as fingerprint, now() as refreshed_at""",
        [position, _hash_at(con, position) or "", fingerprint],
    )


def _counts(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    tables = [p.table for p in CORE_TABLES + MART_TABLES]
    counts = con.execute("select " + ", ".join(f"(select count(*) from {t})" for t in tables)).fetchall()[0]
    return dict(zip(tables, counts, strict=True))


def refresh_projections(con: duckdb.DuckDBPyConnection) -> RefreshReport:
    """Bring core.* and marts.* up to the head of the log, in one transaction.

    Incremental when the checkpoint can be trusted: only log rows after it are read,
    the intermediate tables change row by row, core tables recompute the keys those
    rows touch, and marts are recomputed from the core tables. Otherwise a full refresh.
    The result is the same as `rebuild_projections` (tests/test_incremental.py checks it).
    """
    return _bring_up_to_log(con, from_scratch=False)


def rebuild_projections(con: duckdb.DuckDBPyConnection) -> RefreshReport:
    """Recompute every table from the whole log, from scratch, whatever the checkpoint says."""
    return _bring_up_to_log(con, from_scratch=True)


def _bring_up_to_log(con: duckdb.DuckDBPyConnection, *, from_scratch: bool) -> RefreshReport:
    fingerprint = definitions_fingerprint()
    timer = _StepTimer()
    by_key: dict[str, bool] = {}
    con.execute("begin transaction")
    try:
        with timer.step("checkpoint"):
            reason = "rebuild from scratch" if from_scratch else _why_full(con, fingerprint)
            head = _log_head(con)
        if reason:
            applied = head
            with timer.step("define"):
                # (An incremental refresh keeps the reference tables: the checkpoint's
                # fingerprint covers the files they were loaded from.)
                load_reference(con)
                _ensure_definitions(con, fingerprint)
            _refresh_full(con, timer)
            _refresh_marts(con, {}, timer)
        else:
            checkpoint = _checkpoint(con)
            # (_why_full gives a reason when there is no checkpoint, so here there is one.)
            assert checkpoint is not None
            after_position = checkpoint[0]
            applied = head - after_position
            if applied:  # (nothing new: every table is already the log's)
                by_key = _refresh_incremental(con, after_position, timer)
                _refresh_marts(con, by_key, timer)
        with timer.step("checkpoint"):
            _write_checkpoint(con, head, fingerprint)
            counts = _counts(con)
        with timer.step("commit"):
            con.execute("commit")
    except BaseException:
        con.execute("rollback")
        raise
    return RefreshReport(
        "full" if reason else "incremental", applied, head, counts, reason, timer.seconds,
        tuple(p.table for p in MART_TABLES if p.table in by_key),
    )
