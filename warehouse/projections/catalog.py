"""The catalog of core.* and marts.*: each table, its docs and its refresh spec, read from
the header of the one SQL file that defines it (dbt style: the docs sit beside the SQL).

A table is a file `warehouse/sql/<layer>/[NN_]<name>.sql` defining the table macro
`<layer>.<name>_as_of`. Its header is the file's leading `--` lines, up to the first line
that is not a comment; every one of them is an entry or the continuation of one:

    -- table: marts.frontier_timeline
    -- doc:
    --   What the table holds, in Markdown (DATA_DICTIONARY.md and the Dagster UI show it).
    --   Lines are joined with a space; a line of `--` alone is a paragraph break and a
    --   line starting with `* ` a list item:
    --
    --   * an item (continued lines may be indented further,
    --     for the eye).
    -- column launched_on: What the column means (continuation lines are joined with a space).
    -- example: select ... from marts.frontier_timeline order by ...
    -- refresh kind: frontier_day

`table`, `doc`, `example` and a `column` for every column the table outputs are required
(tests/test_data_dictionary.py checks the columns against the SQL). The `refresh` entries,
all optional, say how an incremental refresh keeps the table (warehouse.projections.refresh;
without them the table is recomputed whole from the materialized inputs on every refresh:
correct, only slower):

* a core table keyed by one column: `refresh kind` (the kind of key in
  projection_state.dirty), `refresh columns` (the key column), `refresh stored` (the kind
  of those keys the table may already hold rows for), and `refresh touched` (a script
  under warehouse/sql/ that marks the table's keys just before it is refreshed, when
  its rows move with more than their own events). Only a model core.models held before
  the refresh ('stored_model', incremental.sql) has rows in core.models and
  core.model_conflicts, and only a subject with materialized events ('stored_subject')
  has one in the tables keyed by subject; so a refresh deletes the rows of those keys
  alone, and none when there are none (a batch of new models and subjects: no statement).
  Every registry organization has a row in core.organizations: deleted by 'org'.
* a mart whose rows fall into independent groups: `refresh kind` (a JSON list of the
  group's columns is the key), `refresh columns` (the mart's columns that make a group),
  `refresh touched` (a table macro: the groups of the touched core rows, as they stand)
  and `refresh scope` (a scalar SQL expression; when it changes, the whole mart is
  recomputed). A mart with only a `refresh scope` is one group: recomputed whole when
  the scope (a checksum of everything it reads) changes, left alone otherwise.

A header that breaks these rules fails when the catalog is read, naming the file and line.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

SQL_DIR = Path(__file__).resolve().parents[1] / "sql"

# The kind of key of a mart that is one group: no key of it is ever marked.
WHOLE_MART = "(whole mart)"


class HeaderError(ValueError):
    """A table's SQL header is missing an entry or has one it should not."""


@dataclass(frozen=True)
class Column:
    name: str
    meaning: str


@dataclass(frozen=True)
class KeyedCore:
    """A core table refreshed by key: the rows of the keys a batch touches are recomputed."""

    kind: str  # the kind of key in projection_state.dirty
    column: str  # the table's key column
    stored: str  # the kind of those keys the table may already hold rows for
    touched: Path | None  # a script that marks the table's keys first (None: the batch's own keys)


@dataclass(frozen=True)
class KeyedMart:
    """A mart whose rows fall into independent groups: an incremental refresh recomputes
    the groups of the core rows it touches (as they were, and as they are), unless
    something every group depends on (`scope`) changed."""

    kind: str  # the kind of key in projection_state.dirty: a JSON list of the group's columns
    columns: tuple[str, ...]  # the mart's columns that make a group
    touched: str  # a table macro: the groups of the touched core rows, as they stand (one per kind)
    scope: str  # a scalar SQL expression; when it changes, the whole mart is recomputed


@dataclass(frozen=True)
class Projection:
    table: str
    macro: str
    description: str  # the header's doc (Markdown)
    sql_file: Path
    columns: tuple[Column, ...]
    example: str
    refresh: KeyedCore | KeyedMart | None = None

    def meanings(self) -> dict[str, str]:
        return {column.name: column.meaning for column in self.columns}


_ENTRY = re.compile(r"-- (table|doc|example|column (\w+)|refresh (kind|columns|stored|touched|scope)):(?: (.*))?")
_CONTINUATION = re.compile(r"--   +(\S.*)")


def _unwrap_markdown(lines: list[str]) -> str:
    """The doc's lines as Markdown: joined with a space, but a blank line is a paragraph
    break and a line starting with `* ` a new list item."""
    text = ""
    for line in lines:
        if not line:
            text += "\n\n"
        elif line.startswith("* ") or not text or text.endswith("\n"):
            text += ("\n" if text and not text.endswith("\n") else "") + line
        else:
            text += " " + line
    return text


def read_header(sql_file: Path) -> dict[str, str]:
    """The header's entries (`table`, `doc`, `example`, `column NAME`, `refresh FIELD`) and
    their text; HeaderError on a line that is neither an entry nor a continuation, a
    repeated entry or an empty one."""
    entries: dict[str, list[str]] = {}
    current: list[str] | None = None
    for number, line in enumerate(sql_file.read_text().splitlines(), start=1):
        if not line.startswith("--"):
            break
        where = f"{sql_file.name}:{number}"
        entry, continuation = _ENTRY.fullmatch(line), _CONTINUATION.fullmatch(line)
        if entry:
            key = entry.group(1)
            if key in entries:
                raise HeaderError(f"{where}: `{key}` appears twice")
            current = entries[key] = [entry.group(4).strip()] if entry.group(4) else []
        elif current is not None and (continuation or line == "--"):
            current.append(continuation.group(1).rstrip() if continuation else "")
        else:
            raise HeaderError(
                f"{where}: not a header entry (`-- table:`, `-- doc:`, `-- column NAME:`, `-- example:`, "
                f"`-- refresh FIELD:`) nor its continuation (`--   text`): {line!r}"
            )
    text = {}
    for key, lines in entries.items():
        if key != "doc" and "" in lines:
            raise HeaderError(f"{sql_file.name}: `{key}` has a blank line (only the doc has paragraphs)")
        text[key] = _unwrap_markdown(lines) if key == "doc" else " ".join(lines)
        if not text[key]:
            raise HeaderError(f"{sql_file.name}: `{key}` is empty")
    return text


def _refresh_spec(layer: str, sql_file: Path, fields: dict[str, str]) -> KeyedCore | KeyedMart | None:
    if not fields:
        return None
    required = {"core": {"kind", "columns", "stored"}, "marts": {"kind", "columns", "touched", "scope"}}[layer]
    allowed = required | {"core": {"touched"}, "marts": set()}[layer]
    whole_mart = layer == "marts" and set(fields) == {"scope"}
    if not whole_mart and (set(fields) - allowed or required - set(fields)):
        raise HeaderError(
            f"{sql_file.name}: a {layer} table's refresh spec is {sorted(required)}"
            + (" and optionally 'touched'" if layer == "core" else " (or 'scope' alone: one group)")
            + f"; it has {sorted(fields)}"
        )
    if layer == "core":
        if " " in fields["columns"]:
            raise HeaderError(f"{sql_file.name}: a core table is keyed by one column, not {fields['columns']!r}")
        touched = SQL_DIR / fields["touched"] if "touched" in fields else None
        if touched is not None and not touched.is_file():
            raise HeaderError(f"{sql_file.name}: refresh touched: no script {touched}")
        return KeyedCore(kind=fields["kind"], column=fields["columns"], stored=fields["stored"], touched=touched)
    if whole_mart:
        return KeyedMart(kind=WHOLE_MART, columns=(), touched="", scope=fields["scope"])
    return KeyedMart(
        kind=fields["kind"], columns=tuple(fields["columns"].split()), touched=fields["touched"], scope=fields["scope"]
    )


def read_projection(layer: str, sql_file: Path, table: str) -> Projection:
    """The table defined in `sql_file`, with the docs and refresh spec of its header."""
    header = read_header(sql_file)
    missing = [key for key in ("table", "doc", "example") if key not in header]
    if missing or not any(key.startswith("column ") for key in header):
        raise HeaderError(f"{sql_file.name}: the header lacks {missing or ['a `column NAME:` entry']}")
    if header["table"] != table:
        raise HeaderError(f"{sql_file.name}: the header names {header['table']!r}, the file defines {table!r}")
    columns = tuple(Column(key.removeprefix("column "), text) for key, text in header.items() if key.startswith("column "))
    refresh = _refresh_spec(
        layer, sql_file, {key.removeprefix("refresh "): text for key, text in header.items() if key.startswith("refresh ")}
    )
    if isinstance(refresh, KeyedMart | KeyedCore):
        keyed = refresh.columns if isinstance(refresh, KeyedMart) else (refresh.column,)
        unknown = set(keyed) - {column.name for column in columns}
        if unknown:
            raise HeaderError(f"{sql_file.name}: refresh columns {sorted(unknown)} are not columns of {table}")
    return Projection(table, f"{table}_as_of", header["doc"], sql_file, columns, header["example"], refresh)


def _discover(layer: str) -> tuple[Projection, ...]:
    """Tables of a layer, in file order: each `<layer>/<name>.sql` defining `<layer>.<name>_as_of`.

    Adding a mart is adding a file; the Dagster graph, time travel and the data dictionary
    pick it up.
    """
    projections = []
    for sql_file in sorted((SQL_DIR / layer).glob("*.sql")):
        name = sql_file.stem.split("_", 1)[1] if sql_file.stem[:2].isdigit() else sql_file.stem
        table = f"{layer}.{name}"
        if f"macro {table}_as_of(" not in sql_file.read_text():
            continue
        projections.append(read_projection(layer, sql_file, table))
    return tuple(projections)


CORE_TABLES: tuple[Projection, ...] = _discover("core")
MART_TABLES: tuple[Projection, ...] = _discover("marts")


def find_projection(table: str) -> Projection | None:
    """The core or mart table of that name (`core.models`), or None for any other."""
    return next((p for p in CORE_TABLES + MART_TABLES if p.table == table), None)
