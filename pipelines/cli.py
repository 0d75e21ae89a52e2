"""The `airace` command line: run, ingest, sql and verify here; export, extract, review and
report in pipelines/commands/, registered at the end of this module.

Commands import what they use when they run: `airace sql` must start at once, without
Dagster, the event schemas (pydantic), polars or altair (tests/test_sql_cli.py checks).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import errno
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import duckdb
import typer

from pipelines.cli_shared import HomeOption, as_of_option, console, errors, resolve_home, until_option
from pipelines.commands import export as export_commands
from pipelines.commands import extract as extract_commands
from pipelines.commands import report as report_commands
from pipelines.sql_shell import DEFAULT_TABLE_ROWS, OutputFormat
from warehouse.errors import StoreError
from warehouse.publishing.timetravel import DEFAULT_SQL_MEMORY_LIMIT, DEFAULT_SQL_TIMEOUT_S

if TYPE_CHECKING:
    from rich.table import Table

    from warehouse import EventStore, IngestResult

app = typer.Typer(add_completion=False, no_args_is_help=True, help="airace: an event-sourced database of the AI race.")


COUNT_COLUMNS = ("source", "read", "appended", "duplicate", "quarantined")
CountsRow = tuple[str, int, int, int, int]


def _counts_row(label: str, result: IngestResult) -> CountsRow:
    return (label, result.read, result.appended, result.duplicate, result.quarantined)


def _counts_table(title: str, rows: list[CountsRow]) -> Table:
    from rich.table import Table

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
    full_refresh: Annotated[bool, typer.Option(
        "--full-refresh", help="Recompute every core and mart table from the whole log, not only what is new.")] = False,
) -> None:
    """Ingest every configured source and materialize everything, through the same Dagster graph as the UI."""
    import dagster as dg

    from pipelines.definitions import defs
    from pipelines.defs.jobs import BUILD_JOB_NAME
    from warehouse.home import dagster_home
    from warehouse.publishing.timetravel import open_snapshot

    resolved = resolve_home(home).ensure()
    job = defs().resolve_job_def(BUILD_JOB_NAME)
    log_level = "DEBUG" if verbose else "WARNING"
    # Recorded in the instance the UI reads (warehouse.home.dagster_home), so `make ui`
    # after `airace run` shows this run and its materializations.
    with dg.DagsterInstance.from_config(str(dagster_home())) as instance:
        result = job.execute_in_process(
            instance=instance,
            raise_on_error=False,
            run_config={
                "loggers": {"console": {"config": {"log_level": log_level}}},
                "ops": {"projections_and_marts": {"config": {"full": full_refresh}}},
            },
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
    console.print(f"run recorded in the Dagster instance {dagster_home()} (`make ui` shows it)")


def _ingest_with_source(store: EventStore, source: str, inputs: list[str]) -> tuple[list[CountsRow], int]:
    """A registry source through the one runner, as its Dagster asset runs it, but live (unless
    AIRACE_OFFLINE=1): its registry locations, or each input (a file or URL in the source's own
    layout, for a kind that takes one: the Epoch tables) as its own batch, so the ones before a
    failing input stay committed (and are published)."""
    from pipelines.sources.kind import OwnLocationsOnly, SourceError, kind_of
    from pipelines.sources.registry import RegistryError, load_registry
    from pipelines.sources.runner import run_source
    from warehouse.log.reconcile import ReconcileError

    try:
        entry = load_registry(store.home).get(source)
    except RegistryError as exc:
        raise typer.BadParameter(str(exc)) from None
    kind = kind_of(entry)
    if kind is None:
        raise typer.BadParameter(f"source {source!r} (kind {entry.kind}) has no runner; drop its files in the inbox "
                                 "or give them without --source")
    batches: list[str | None] = [*inputs] or [None]
    rows: list[CountsRow] = []
    exit_code = 0
    for given in batches:
        try:
            locations = [kind.given_location(entry, given)] if given is not None else None
        except OwnLocationsOnly as exc:
            raise typer.BadParameter(str(exc)) from None
        except SourceError as exc:
            errors.print(f"[red]error:[/red] {source}: {exc}; nothing from {given} was appended")
            exit_code = EXIT_UNREADABLE
            continue
        try:
            report = run_source(store, entry, live=True, locations=locations)
        except ReconcileError as exc:
            errors.print(f"[red]error:[/red] {exc}")
            exit_code = EXIT_UNREADABLE
            continue
        for outcome in report.outcomes:
            if outcome.status == "error":
                errors.print(f"[red]error:[/red] {source}: {outcome.error}; nothing from {outcome.location} was appended")
            elif outcome.status == "skipped":
                # An input named by hand that cannot be read is an error; a registry location, a note.
                (errors if given else console).print(
                    f"{outcome.location}: skipped: AIRACE_OFFLINE=1 forbids fetching it and it has no offline copy"
                    + (f"; nothing from {given} was appended" if given else ""))
                if given:
                    exit_code = EXIT_UNREADABLE
            elif outcome.status == "304":
                console.print(f"{outcome.location}: 304, unchanged since the last fetch; nothing to ingest")
            else:
                console.print(f"{outcome.location}: {outcome.status} ({outcome.bytes} bytes)")
        if report.ingest_run_id:
            rows.append(_counts_row(given or f"{source} ({report.mode})", report))
        if report.failures:
            exit_code = EXIT_UNREADABLE
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
    from warehouse.log.readers import UnreadableInput

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
    inputs: Annotated[
        list[str] | None,
        typer.Argument(help="JSONL or CSV event files (with --source epoch-ai/epoch-eci: files or URLs; "
                            "with another registry source: none, its registry locations are fetched)."),
    ] = None,
    home: HomeOption = None,
    source: Annotated[
        str | None, typer.Option("--source", help="A registry source, run through the source runner: epoch-ai / "
                                 "epoch-eci read the inputs in their layout; any other (lab-feeds, hf-hub, …) "
                                 "fetches its registry locations.")
    ] = None,
    no_refresh: Annotated[bool, typer.Option("--no-refresh", help="Append only; skip projections and snapshot.")] = False,
) -> None:
    """Append events from JSONL/CSV files (or a registered source's layout); prints read / appended /
    duplicate / quarantined per input. Exit 0 even when records were quarantined; 2 when an input
    cannot be read at all (nothing from it is appended; the others are, and are published); 4 when
    the disk is full."""
    from warehouse import EventStore
    from warehouse.build import refresh_and_publish

    store = EventStore(resolve_home(home))
    if source is None:
        if not inputs:
            raise typer.BadParameter("give one or more event files (or --source NAME)")
        rows, exit_code = _ingest_files(store, [Path(p) for p in inputs])
    else:
        rows, exit_code = _ingest_with_source(store, source, inputs or [])
    # Nothing to show or publish only when every input failed.
    something = bool(rows) or exit_code == 0
    if something:
        console.print(_counts_table("airace ingest" + (f" --source {source}" if source else ""), rows))
    if something and not no_refresh:
        # Whatever was committed is published, even when a later input failed.
        try:
            _, published = refresh_and_publish(store)
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


def _warn_before_records(text: str, first_recorded_at: dt.datetime) -> None:
    errors.print(
        f"[yellow]warning:[/yellow] --as-of {text} is before anything was recorded here (the first event was "
        f"recorded at {first_recorded_at.isoformat(timespec='seconds')}): the warehouse was empty then. "
        f"For the race as it had happened by a date, with what is known today, use --until {text[:10]}."
    )


@app.command()
def sql(
    query: Annotated[
        str | None,
        typer.Argument(help="SQL to run (statements end with ;); omit for the prompt, or pipe a script on stdin."),
    ] = None,
    home: HomeOption = None,
    as_of: Annotated[
        str | None,
        typer.Option("--as-of", help="Record time: answer as this warehouse had recorded it at this date/time."),
    ] = None,
    until: Annotated[
        str | None,
        typer.Option("--until", help="Valid time: the race as it had happened by this date, with what is known today."),
    ] = None,
    output_format: Annotated[
        OutputFormat, typer.Option("--format", help="table, csv, json (one object a line) or parquet (needs --output).")
    ] = OutputFormat.table,
    limit: Annotated[
        int | None,
        typer.Option("--limit", min=0, help=f"Rows shown at most (default {DEFAULT_TABLE_ROWS} for a table, else all; 0 = all)."),
    ] = None,
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Write the result to this file.")] = None,
    timeout: Annotated[
        float | None, typer.Option("--timeout", help=f"Seconds a statement may run (default $AIRACE_SQL_TIMEOUT_S, else {DEFAULT_SQL_TIMEOUT_S:g}).")
    ] = None,
    memory_limit: Annotated[
        str | None, typer.Option("--memory-limit", help=f"DuckDB memory cap, e.g. 2GB (default $AIRACE_SQL_MEMORY_LIMIT, else {DEFAULT_SQL_MEMORY_LIMIT}).")
    ] = None,
) -> None:
    """Query the published snapshot (read-only), within a time and a memory limit."""
    from pipelines import sql_shell
    from warehouse.publishing.timetravel import (
        QueryLimits,
        QueryTimeout,
        RecordTime,
        ValidTime,
        explain_limit,
        open_past,
        open_snapshot,
    )

    if as_of is not None and until is not None:
        raise typer.BadParameter("--as-of (record time) and --until (valid time) are two different clocks: give one")
    if output_format is OutputFormat.parquet and output is None:
        raise typer.BadParameter("--format parquet writes a file: give it with --output FILE")
    if output is not None and query is None:
        raise typer.BadParameter("--output writes the result of a QUERY: give one")
    if limit is None:
        limit = DEFAULT_TABLE_ROWS if output_format is OutputFormat.table and output is None else 0
    display = sql_shell.Display(output_format, limit or None, output)
    moment = RecordTime(as_of_option(as_of)) if as_of else ValidTime(until_option(until)) if until else None
    resolved = resolve_home(home)
    try:
        limits = QueryLimits.resolve(timeout, memory_limit)
        with contextlib.ExitStack() as stack:
            if moment is None:
                session = sql_shell.Session(stack.enter_context(open_snapshot(resolved, limits)), limits)
            else:
                past = stack.enter_context(open_past(resolved, moment, limits))
                session = sql_shell.Session(past.con, limits, past)
                if past.before_records():
                    _warn_before_records(as_of, past.first_recorded_at)
            if query is not None:
                ok = sql_shell.run_statements(session, query, display)
            elif not sys.stdin.isatty():
                ok = sql_shell.run_script(session, sys.stdin, display)
            else:
                where = "the published snapshot" if moment is None else f"the warehouse {moment}"
                sql_shell.interactive(session, display, f"airace sql: {where}, read-only. .help for help; Ctrl-D or .quit to leave")
                ok = True
    except QueryTimeout as exc:  # building the warehouse at a past moment took too long
        errors.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(1) from None
    except StoreError as exc:
        errors.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(2) from None
    except duckdb.Error as exc:  # e.g. that building ran out of the memory cap
        errors.print(f"[red]error:[/red] {explain_limit(exc, limits)}")
        raise typer.Exit(1) from None
    if not ok:
        raise typer.Exit(1)


@app.command()
def verify(home: HomeOption = None) -> None:
    """Check the hash chain and the ingest accounting of the live log; non-zero exit on any break."""
    from warehouse import EventStore

    store = EventStore(resolve_home(home))
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


# The command modules' commands, registered here, in one place: the modules add nothing
# to `app` by being imported. (Their heavy imports wait until a command runs.)
app.command()(export_commands.export)
app.command("extract")(extract_commands.extract_command)
app.add_typer(extract_commands.review_app, name="review")
app.command()(report_commands.report)


def main() -> None:
    """The console script: a busy warehouse is a message, not a traceback."""
    from warehouse.log.lock import WarehouseBusy

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
