"""`airace sql`: running analysts' statements, showing their results, and the prompt.

Only what the command needs is imported, and only when it needs it (`airace sql "select 1"`
should answer at once): duckdb and the standard library up front; rich when a table is drawn,
pyarrow when Parquet is written, prompt_toolkit when the prompt opens, the data dictionary
for `.schema`.
"""

from __future__ import annotations

import contextlib
import csv
import enum
import itertools
import json
import os
import re
import sys
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, TYPE_CHECKING, TextIO

import duckdb

from warehouse.publishing.timetravel import QueryLimits, QueryTimeout, explain_limit, time_limit

if TYPE_CHECKING:
    from warehouse.publishing.timetravel import PastWarehouse

# As the DuckDB shell does: a table longer than this is cut, saying how many rows were left out.
DEFAULT_TABLE_ROWS = 40
FETCH_ROWS = 10_000
HISTORY_ENV = "AIRACE_HISTORY"
QUIT_WORDS = {".quit", ".exit", "quit", "exit"}
HELP = """\
Statements end with ; (an input runs once it ends with one, so a query may span lines).
  .tables            the tables and views
  .schema TABLE      its columns, types and meanings (also: describe TABLE)
  .help              this text
  .quit              leave (or Ctrl-D)
Tab completes table and column names; history is kept in ~/.airace_history ($AIRACE_HISTORY)."""


class OutputFormat(enum.StrEnum):
    table = "table"
    csv = "csv"
    json = "json"
    parquet = "parquet"


@dataclass(frozen=True)
class Display:
    """How results are shown: the format, at most `limit` rows (None: all), and where."""

    format: OutputFormat = OutputFormat.table
    limit: int | None = DEFAULT_TABLE_ROWS
    output: Path | None = None


@dataclass(frozen=True)
class Session:
    """One analyst connection: the snapshot's, or a past warehouse's (whose tables are built
    when a statement names them)."""

    con: duckdb.DuckDBPyConnection
    limits: QueryLimits
    past: PastWarehouse | None = None


def say_error(message: str) -> None:
    # (plain text: rich is not imported to say an error)
    print(f"error: {message}", file=sys.stderr, flush=True)


# --------------------------------------------------------------------------- input


def statement_complete(text: str) -> bool:
    """True when `text` ends with a `;` that is outside quotes and comments (the end of a
    statement), so a query typed over several lines runs once it is finished."""
    ends_with_semicolon = False
    i, n = 0, len(text)
    while i < n:
        char = text[i]
        if char in "'\"":
            close = text.find(char, i + 1)
            # ('' and "" inside a literal are two literals back to back: same result)
            if close < 0:
                return False
            i = close + 1
            ends_with_semicolon = False
            continue
        if text.startswith("--", i):
            newline = text.find("\n", i)
            i = n if newline < 0 else newline
            continue
        if text.startswith("/*", i):
            close = text.find("*/", i + 2)
            if close < 0:
                return False
            i = close + 2
            continue
        if not char.isspace():
            ends_with_semicolon = char == ";"
        i += 1
    return ends_with_semicolon


def input_complete(text: str) -> bool:
    """Whether the prompt should run what was typed (else Enter starts a new line)."""
    stripped = text.strip()
    return not stripped or stripped.startswith(".") or stripped.lower() in QUIT_WORDS or statement_complete(text)


# --------------------------------------------------------------------------- output


@dataclass(frozen=True)
class Result:
    """Rows to show: their column names and where the next ones come from."""

    columns: list[str]
    fetch: Callable[[int], list[tuple]]  # up to n more rows; [] once there are none

    @classmethod
    def of_cursor(cls, con: duckdb.DuckDBPyConnection) -> Result:
        # (fetchmany streams: the first rows come before the whole result is computed)
        return cls([column[0] for column in con.description], con.fetchmany)

    @classmethod
    def of_rows(cls, columns: list[str], rows: list[tuple]) -> Result:
        remaining = iter(rows)
        return cls(columns, lambda n: list(itertools.islice(remaining, n)))

    def chunks(self, limit: int | None) -> Iterator[list[tuple]]:
        """The rows in chunks, at most `limit` of them."""
        left = limit
        while left is None or left > 0:
            chunk = self.fetch(FETCH_ROWS if left is None else min(FETCH_ROWS, left))
            if not chunk:
                return
            if left is not None:
                left -= len(chunk)
            yield chunk


@contextlib.contextmanager
def _destination(output: Path | None, *, binary: bool = False) -> Iterator[IO]:
    """stdout, or `output` written under a temporary name and renamed once complete (a
    failed query leaves no half-written file)."""
    if output is None:
        yield sys.stdout.buffer if binary else sys.stdout
        return
    partial = output.with_name(output.name + ".partial")
    try:
        with open(partial, "wb") if binary else open(partial, "w", newline="", encoding="utf-8") as stream:
            yield stream
        os.replace(partial, output)
    finally:
        partial.unlink(missing_ok=True)


def _csv_cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, (list, dict)):
        # CSV has no nesting: lists and structs are written as JSON.
        return json.dumps(value, default=str, ensure_ascii=False)
    return str(value)


def _write_table(result: Result, limit: int | None, stream: TextIO) -> None:
    from rich.console import Console
    from rich.table import Table

    shown = [row for chunk in result.chunks(limit) for row in chunk]
    table = Table(show_lines=False)
    for column in result.columns:
        table.add_column(column)
    for row in shown:
        table.add_row(*("NULL" if value is None else str(value) for value in row))
    # A terminal gets its width; elsewhere (pipes, files, CI logs) results are not squeezed to 80 columns.
    console = Console(file=stream) if stream.isatty() else Console(file=stream, width=240)
    console.print(table)
    if limit is not None and len(shown) == limit:
        # The first screen is out; only now are the rows left out counted.
        more = sum(len(chunk) for chunk in result.chunks(None))
        if more:
            console.print(f"… {more:,} more rows ({len(shown):,} shown; --limit N shows N, 0 all; --format csv for every row)")


def _write_csv(result: Result, limit: int | None, stream: TextIO) -> None:
    writer = csv.writer(stream, lineterminator="\n")
    writer.writerow(result.columns)
    for chunk in result.chunks(limit):
        writer.writerows([_csv_cell(value) for value in row] for row in chunk)


def _write_json(result: Result, limit: int | None, stream: TextIO) -> None:
    for chunk in result.chunks(limit):
        for row in chunk:
            stream.write(json.dumps(dict(zip(result.columns, row, strict=True)), default=str, ensure_ascii=False) + "\n")


def _write_parquet(con: duckdb.DuckDBPyConnection, sql: str, display: Display) -> None:
    """The statement's result as one Parquet file (zstd), streamed batch by batch."""
    import pyarrow.parquet as pq

    relation = con.sql(sql)
    if relation is None:
        raise ValueError("this statement returns no rows to write as Parquet")
    if display.limit is not None:
        relation = relation.limit(display.limit)
    reader = relation.to_arrow_reader(FETCH_ROWS * 10)
    with _destination(display.output, binary=True) as stream, pq.ParquetWriter(stream, reader.schema, compression="zstd") as out:
        for batch in reader:
            out.write_batch(batch)


TEXT_WRITERS: dict[OutputFormat, Callable[[Result, int | None, TextIO], None]] = {
    OutputFormat.table: _write_table,
    OutputFormat.csv: _write_csv,
    OutputFormat.json: _write_json,
}


def show(result: Result, display: Display, stream: TextIO) -> None:
    # (Parquet is written from a statement; what the prompt itself shows is drawn as a table)
    writer = TEXT_WRITERS.get(display.format, _write_table)
    writer(result, display.limit, stream)
    stream.flush()


# --------------------------------------------------------------------------- running


def split_statements(con: duckdb.DuckDBPyConnection, text: str) -> list[str]:
    return [statement.query for statement in con.extract_statements(text)]


def run_statements(session: Session, text: str, display: Display) -> bool:
    """Run each statement of `text`, showing the rows of each; False (the error said) at the
    first that fails, and then nothing is written to --output. Building a past warehouse's
    tables, running and fetching are all within the time limit. With Parquet, the last
    statement's rows are the file."""
    parquet = display.format is OutputFormat.parquet
    try:
        statements = split_statements(session.con, text)
        with contextlib.nullcontext(None) if parquet else _destination(display.output) as out:
            for index, statement in enumerate(statements):
                with time_limit(session.con, session.limits):
                    if session.past is not None:
                        session.past.build_for(statement)
                    if parquet and index == len(statements) - 1:
                        _write_parquet(session.con, statement, display)
                        continue
                    session.con.execute(statement)
                    if out is not None and session.con.description is not None:
                        show(Result.of_cursor(session.con), display, out)
    except QueryTimeout as exc:
        say_error(str(exc))
        return False
    except duckdb.Error as exc:
        say_error(explain_limit(exc, session.limits))
        return False
    except (ValueError, OSError) as exc:
        say_error(str(exc))
        return False
    return True


# --------------------------------------------------------------------------- dot commands

# The refresh's own bookkeeping, not for analysis.
_HIDDEN_SCHEMAS = "('projection_state', 'valid_time')"


def _user_tables(con: duckdb.DuckDBPyConnection) -> list[tuple[str, str]]:
    """(schema.name, kind) of what analysts query: the tables and views of this database."""
    return con.execute(
        f"""select schema_name || '.' || table_name, 'table' from duckdb_tables()
            where database_name = current_database() and schema_name not in {_HIDDEN_SCHEMAS}
            union all
            select schema_name || '.' || view_name, 'view' from duckdb_views()
            where database_name = current_database() and not internal and schema_name not in {_HIDDEN_SCHEMAS}
            order by 1"""
    ).fetchall()


def _schema(session: Session, table: str, display: Display) -> bool:
    """The columns of `table` with their types and, from the data dictionary, their meanings."""
    from warehouse.projections.catalog import find_projection

    try:
        columns = session.con.execute(f"describe {table}").fetchall()
    except duckdb.Error as exc:
        say_error(str(exc))
        return False
    name = table.replace('"', "").lower()
    documented = find_projection(name)
    meanings = documented.meanings() if documented else {}
    if documented:
        print(f"{name}: {documented.description}")
    rows = [(column, kind, meanings.get(column, "")) for column, kind, *_ in columns]
    show(Result.of_rows(["column", "type", "meaning"], rows), Display(display.format, None), sys.stdout)
    return True


def run_dot_command(session: Session, command: str, display: Display) -> bool:
    """`.tables`, `.schema TABLE`, `.help`; False for an unknown one (said on stderr)."""
    word, _, argument = command.strip().rstrip(";").partition(" ")
    if word == ".tables":
        show(Result.of_rows(["name", "kind"], _user_tables(session.con)), Display(display.format, None), sys.stdout)
        return True
    if word == ".schema" and argument.strip():
        return _schema(session, argument.strip(), display)
    if word == ".help":
        print(HELP)
        return True
    say_error(f"unknown command {command.strip()!r}; .help lists them")
    return False


def run_input(session: Session, text: str, display: Display) -> bool:
    """One input from the prompt: a dot command or statements."""
    if text.strip().startswith("."):
        return run_dot_command(session, text, display)
    return run_statements(session, text, display)


def run_script(session: Session, lines: Iterable[str], display: Display) -> bool:
    """Statements (each ended by ;, over any number of lines) and dot commands (one a line)
    read from a pipe; False if any failed."""
    ok = True
    pending = ""
    for line in lines:
        if not pending.strip() and line.strip().startswith("."):
            if line.strip().lower().rstrip(";") in QUIT_WORDS:
                break
            ok = run_dot_command(session, line, display) and ok
            continue
        pending += line
        if statement_complete(pending):
            ok = run_statements(session, pending, display) and ok
            pending = ""
    if pending.strip():
        ok = run_statements(session, pending, display) and ok
    return ok


# --------------------------------------------------------------------------- the prompt


def history_path() -> Path:
    return Path(os.environ.get(HISTORY_ENV) or Path.home() / ".airace_history")


def completion_words(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Table, view and column names (qualified and not), the time-travel macros (`*_as_of`)
    and SQL keywords."""
    names = con.execute(
        f"""select distinct unnest([schema_name || '.' || table_name, table_name, column_name])
            from duckdb_columns() where database_name = current_database() and schema_name not in {_HIDDEN_SCHEMAS}
            union
            select distinct schema_name || '.' || function_name from duckdb_functions()
            where database_name = current_database() and function_name like '%\\_as\\_of' escape '\\'
              and schema_name not in {_HIDDEN_SCHEMAS}
            union
            select lower(keyword_name) from duckdb_keywords() where keyword_category = 'reserved'"""
    ).fetchall()
    return sorted(name for (name,) in names if name)


_WORD_BEFORE_CURSOR = re.compile(r"[\w.]+$")


def make_completer(words: list[str]):  # -> prompt_toolkit Completer
    from prompt_toolkit.completion import Completer, Completion

    class NameCompleter(Completer):
        """Completes the name before the cursor, dots included (`marts.rel` -> `marts.releases_monthly`)."""

        def get_completions(self, document, complete_event):
            match = _WORD_BEFORE_CURSOR.search(document.text_before_cursor)
            if match is None:
                return
            typed = match.group(0).lower()
            for word in words:
                if word.lower().startswith(typed) and word.lower() != typed:
                    yield Completion(word, start_position=-len(typed))

    return NameCompleter()


def interactive(session: Session, display: Display, banner: str) -> None:
    """The prompt: history, Tab completion, statements over several lines (run at `;`)."""
    from prompt_toolkit import PromptSession
    from prompt_toolkit.history import FileHistory, InMemoryHistory
    from prompt_toolkit.key_binding import KeyBindings

    bindings = KeyBindings()

    @bindings.add("enter")
    def _enter(event) -> None:
        buffer = event.current_buffer
        if buffer.complete_state is not None and buffer.complete_state.current_completion is not None:
            buffer.complete_state = None  # Enter on a completion takes it
        elif input_complete(buffer.text):
            buffer.validate_and_handle()
        else:
            buffer.insert_text("\n")

    path = history_path()
    try:
        path.touch()
        history = FileHistory(str(path))
    except OSError as exc:
        say_error(f"history not kept: cannot write {path} ({exc.strerror}); set ${HISTORY_ENV} to a writable file")
        history = InMemoryHistory()
    prompt = PromptSession(
        history=history,
        completer=make_completer(completion_words(session.con)),
        complete_while_typing=False,
        key_bindings=bindings,
        multiline=True,
        prompt_continuation="   ...> ",
    )
    print(banner)
    while True:
        try:
            text = prompt.prompt("airace> ")
        except KeyboardInterrupt:
            continue  # Ctrl-C drops what was typed, as in a shell
        except EOFError:
            break
        if text.strip().lower().rstrip(";") in QUIT_WORDS:
            break
        if text.strip():
            run_input(session, text, display)
