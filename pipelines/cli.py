"""The `airace` command line: run, ingest, sql, verify."""

from __future__ import annotations

import csv
import datetime as dt
import errno
import json
import os
import sys
from pathlib import Path
from typing import Annotated

import duckdb
import typer
from rich.console import Console
from rich.table import Table

from warehouse import EventStore, IngestResult, WarehouseHome
from warehouse.build import refresh
from warehouse.lock import WarehouseBusy
from warehouse.readers import UnreadableInput
from warehouse.store import StoreError
from warehouse.timetravel import (
    DEFAULT_SQL_MEMORY_LIMIT,
    DEFAULT_SQL_TIMEOUT_S,
    QueryLimits,
    QueryTimeout,
    explain_limit,
    open_as_of,
    open_snapshot,
    parse_as_of,
    time_limit,
)

app = typer.Typer(add_completion=False, no_args_is_help=True, help="airace: an event-sourced database of the AI race.")
console = Console()
# Query results are wide; off a terminal (pipes, CI logs) do not squeeze them to 80 columns.
results_console = console if console.is_terminal else Console(width=240)
errors = Console(stderr=True, soft_wrap=True)

HomeOption = Annotated[
    Path | None, typer.Option("--home", help="Warehouse folder (default: $AIRACE_HOME or warehouse/data).")
]


def _home(home: Path | None) -> WarehouseHome:
    resolved = WarehouseHome.resolve(home)
    # Dagster's warehouse resource resolves its home from the environment, so the
    # graph run by `airace run` writes where the CLI was told to.
    os.environ["AIRACE_HOME"] = str(resolved.root)
    return resolved


COUNT_COLUMNS = ("source", "read", "appended", "duplicate", "quarantined")
CountsRow = tuple[str, int, int, int, int]


def _counts_row(label: str, result: IngestResult) -> CountsRow:
    return (label, result.read, result.appended, result.duplicate, result.quarantined)


def _counts_table(title: str, rows: list[CountsRow]) -> Table:
    table = Table(title=title)
    for column in COUNT_COLUMNS:
        table.add_column(column, justify="left" if column == "source" else "right")
    for row in rows:
        table.add_row(*map(str, row))
    return table


@app.command()
def run(
    home: HomeOption = None,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Show Dagster's event log.")] = False,
) -> None:
    """Ingest every configured source and materialize everything, through the same Dagster graph as the UI."""
    import dagster as dg

    from pipelines.definitions import defs
    from pipelines.defs.jobs import BUILD_JOB_NAME

    resolved = _home(home).ensure()
    job = defs().resolve_job_def(BUILD_JOB_NAME)
    instance = dg.DagsterInstance.get() if os.environ.get("DAGSTER_HOME") else dg.DagsterInstance.ephemeral()
    log_level = "DEBUG" if verbose else "WARNING"
    result = job.execute_in_process(
        instance=instance,
        raise_on_error=False,
        run_config={"loggers": {"console": {"config": {"log_level": log_level}}}},
    )
    if not result.success:
        failed = [event.step_key for event in result.all_events if event.is_step_failure]
        errors.print(f"[red]airace run failed[/red] (run {result.run_id}); failed steps: {', '.join(failed) or 'see log'}")
        for event in result.all_events:
            if event.is_step_failure and event.step_failure_data.error:
                errors.print(event.step_failure_data.error.message.strip())
        raise typer.Exit(1)
    with open_snapshot(resolved) as con:
        rows = con.execute(
            """select source, records_read, appended, duplicate, quarantined from events.ingest_runs
               where run_id like ? || ':%' order by source""",
            [result.run_id],
        ).fetchall()
        total = con.execute("select count(*) from events.log").fetchall()[0][0]
    console.print(_counts_table(f"airace run {result.run_id[:8]}", rows))
    console.print(f"events.log holds {total} events; snapshot for analysts: {resolved.snapshot_db}")


def _ingest_with_source(store: EventStore, source: str, locations: list[str]) -> tuple[list[CountsRow], int]:
    """A file or URL in a registered source's own layout, through that source's mapping."""
    from pipelines.sources import epoch
    from pipelines.sources.http import FetchError
    from pipelines.sources.registry import RegistryError, load_registry
    from warehouse.reconcile import ReconcileError

    tables = epoch.epoch_tables()
    if source not in tables:
        raise typer.BadParameter(f"unknown source {source!r}; sources with their own layout: {', '.join(tables)}")
    failures = (epoch.SnapshotError, FetchError, ReconcileError)
    rows = []
    exit_code = 0
    for location in locations:
        try:
            # The source's fetch limits (timeout, attempts, size, deadline, redirects) from sources.toml.
            policy = load_registry(store.home).get(source).fetch.policy()
            result = epoch.ingest_location(store, location, policy=policy, table=tables[source])
        except (*failures, RegistryError) as exc:
            # Each location is its own batch: the ones before it stay committed (and are published).
            errors.print(f"[red]error:[/red] {source}: {exc}; nothing from {location} was appended")
            exit_code = 2
            continue
        if result is None:
            console.print(f"{location}: unchanged since the last fetch (HTTP 304); nothing to ingest")
            continue
        rows.append(_counts_row(location, result))
    return rows, exit_code


# Exit codes (README, "The CLI"): 1 a check failed, 2 an input (or the warehouse) cannot be
# read, 3 the warehouse is busy, 4 the disk is full.
EXIT_UNREADABLE = 2
EXIT_DISK_FULL = 4


def _is_disk_full(exc: BaseException) -> bool:
    """ENOSPC/EDQUOT, from Python's own writes or DuckDB's (which only say it in words)."""
    if isinstance(exc, OSError):
        return exc.errno in (errno.ENOSPC, errno.EDQUOT)
    return isinstance(exc, duckdb.Error) and ("No space left on device" in str(exc) or "Disk quota exceeded" in str(exc))


def _ingest_files(store: EventStore, paths: list[Path]) -> tuple[list[CountsRow], int]:
    """Each file is its own batch (all of it or none of it): report every file as it went,
    so what was committed before a bad file is said, kept and published. Returns the
    rows of the files appended and the exit code (0, or the worst failure)."""
    rows: list[CountsRow] = []
    exit_code = 0
    for path in paths:
        try:
            result = store.append_file(path, source=f"file:{path.name}", default_source="analyst")
        except UnreadableInput as exc:
            errors.print(f"[red]error:[/red] {exc}; nothing from {path} was appended")
            exit_code = max(exit_code, EXIT_UNREADABLE)
            continue
        except (OSError, duckdb.Error) as exc:
            if not _is_disk_full(exc):
                raise
            errors.print(f"[red]disk full:[/red] {path}: {exc}; nothing from it was appended (its batch rolled back)")
            return rows, EXIT_DISK_FULL  # every later file would fail alike
        rows.append(_counts_row(str(path), result))
        if result.quarantined:
            with store.reader() as con:
                for ref, reason in con.execute(
                    "select record_ref, reason from events.quarantine where run_id = ? order by record_ref",
                    [result.run_id],
                ).fetchall():
                    errors.print(f"[yellow]quarantined[/yellow] {ref}: {reason}")
    return rows, exit_code


@app.command()
def ingest(
    inputs: Annotated[list[str], typer.Argument(help="JSONL or CSV event files (with --source: files or URLs).")],
    home: HomeOption = None,
    source: Annotated[
        str | None, typer.Option("--source", help="Read the inputs in this source's own layout: epoch-ai or epoch-eci.")
    ] = None,
    no_refresh: Annotated[bool, typer.Option("--no-refresh", help="Append only; skip projections and snapshot.")] = False,
) -> None:
    """Append events from JSONL/CSV files (or a registered source's layout); prints read / appended /
    duplicate / quarantined per input. Exit 0 even when records were quarantined; 2 when an input
    cannot be read at all (nothing from it is appended; the others are, and are published); 4 when
    the disk is full."""
    store = EventStore(_home(home))
    if source is None:
        rows, exit_code = _ingest_files(store, [Path(p) for p in inputs])
    else:
        rows, exit_code = _ingest_with_source(store, source, inputs)
    # Nothing to show or publish only when every input failed.
    something = bool(rows) or exit_code == 0
    if something:
        console.print(_counts_table("airace ingest" + (f" --source {source}" if source else ""), rows))
    if something and not no_refresh:
        # Whatever was committed is published, even when a later input failed.
        try:
            _, published = refresh(store)
        except (OSError, duckdb.Error) as exc:
            if not _is_disk_full(exc):
                raise
            errors.print(
                f"[red]disk full:[/red] the files listed above are committed to the live log, but the snapshot "
                f"could not be republished ({exc}); run `airace run` once there is space"
            )
            raise typer.Exit(EXIT_DISK_FULL) from None
        console.print(f"snapshot republished: {published.path} ({published.events} events)")
    if exit_code:
        raise typer.Exit(exit_code)


def _csv_cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, (list, dict)):
        # CSV has no nesting: lists and structs are written as JSON.
        return json.dumps(value, default=str, ensure_ascii=False)
    return str(value)


def _print_frame(frame, output_format: str) -> None:
    if output_format == "csv":
        writer = csv.writer(sys.stdout, lineterminator="\n")
        writer.writerow(frame.columns)
        writer.writerows([_csv_cell(value) for value in row] for row in frame.iter_rows())
    elif output_format == "json":
        for row in frame.iter_rows(named=True):
            sys.stdout.write(json.dumps(row, default=str, ensure_ascii=False) + "\n")
    else:
        table = Table(show_lines=False)
        for column in frame.columns:
            table.add_column(column)
        for row in frame.iter_rows():
            table.add_row(*("NULL" if value is None else str(value) for value in row))
        results_console.print(table)


def _run_query(con: duckdb.DuckDBPyConnection, query: str, output_format: str, limits: QueryLimits) -> bool:
    try:
        # Planning and fetching both run under the time limit; printing does not.
        with time_limit(con, limits):
            relation = con.sql(query)
            frame = relation.pl() if relation is not None else None
    except QueryTimeout as exc:
        errors.print(f"[red]error:[/red] {exc}")
        return False
    except duckdb.Error as exc:
        errors.print(f"[red]error:[/red] {explain_limit(exc, limits)}")
        return False
    if frame is not None:
        _print_frame(frame, output_format)
    return True


@app.command()
def sql(
    query: Annotated[str | None, typer.Argument(help="SQL to run; omit for an interactive prompt.")] = None,
    home: HomeOption = None,
    as_of: Annotated[
        str | None, typer.Option("--as-of", help="Answer as the warehouse knew it at this date/time (record time).")
    ] = None,
    output_format: Annotated[str, typer.Option("--format", help="table, csv or json")] = "table",
    timeout: Annotated[
        float | None, typer.Option("--timeout", help=f"Seconds a statement may run (default $AIRACE_SQL_TIMEOUT_S, else {DEFAULT_SQL_TIMEOUT_S:g}).")
    ] = None,
    memory_limit: Annotated[
        str | None, typer.Option("--memory-limit", help=f"DuckDB memory cap, e.g. 2GB (default $AIRACE_SQL_MEMORY_LIMIT, else {DEFAULT_SQL_MEMORY_LIMIT}).")
    ] = None,
) -> None:
    """Query the published snapshot (read-only), within a time and a memory limit."""
    resolved = _home(home)
    try:
        limits = QueryLimits.resolve(timeout, memory_limit)
        opener = open_as_of(resolved, _parse_as_of(as_of), limits) if as_of else open_snapshot(resolved, limits)
        with opener as con:
            if query is not None:
                if not _run_query(con, query, output_format, limits):
                    raise typer.Exit(1)
                return
            console.print("airace sql: the published snapshot, read-only. End with Ctrl-D or .quit")
            while True:
                try:
                    line = input("airace> ").strip()
                except EOFError:
                    break
                if line in {".quit", ".exit", "quit", "exit"}:
                    break
                if line:
                    _run_query(con, line, output_format, limits)
    except QueryTimeout as exc:  # rebuilding the warehouse as of --as-of took too long
        errors.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(1) from None
    except StoreError as exc:
        errors.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(2) from None
    except duckdb.Error as exc:  # e.g. the --as-of rebuild ran out of the memory cap
        errors.print(f"[red]error:[/red] {explain_limit(exc, limits)}")
        raise typer.Exit(1) from None


def _parse_as_of(text: str) -> dt.datetime:
    try:
        return parse_as_of(text)
    except ValueError as exc:
        raise typer.BadParameter(f"--as-of {exc}") from None


@app.command()
def verify(home: HomeOption = None) -> None:
    """Check the hash chain and the ingest accounting of the live log; non-zero exit on any break."""
    store = EventStore(_home(home))
    try:
        report = store.verify()
    except StoreError as exc:
        errors.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(2) from None
    if report.ok:
        console.print(f"OK: {report.events} events, the chain verifies; head hash {report.head_hash}")
        witnessed = (
            f"the log holds every witnessed head (up to position {report.witnessed_position})"
            if report.witnessed_position is not None
            else "no head witnessed yet (nothing published)"
        )
        console.print(f"{witnessed}; {report.snapshot}")
        return
    where = f"at position {report.first_bad_position}" if report.first_bad_position is not None else "in the accounting"
    errors.print(f"[red]BROKEN[/red] {where}: {report.problem}")
    raise typer.Exit(1)


def _register_command_modules() -> None:
    """Import pipelines/commands/*: each module adds its commands to `app`."""
    import importlib
    import pkgutil

    from pipelines import commands

    for module in pkgutil.iter_modules(commands.__path__):
        importlib.import_module(f"{commands.__name__}.{module.name}")


_register_command_modules()


def main() -> None:
    """The console script: a busy warehouse is a message, not a traceback."""
    try:
        app()
    except WarehouseBusy as exc:
        errors.print(f"[red]busy:[/red] {exc}")
        sys.exit(3)
    except (OSError, duckdb.Error) as exc:
        if not _is_disk_full(exc):
            raise
        errors.print(
            f"[red]disk full:[/red] {exc}; what was being written was rolled back "
            "(read-only commands, verify and sql, still work)"
        )
        sys.exit(EXIT_DISK_FULL)


if __name__ == "__main__":
    main()
