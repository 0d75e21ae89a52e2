"""Each definition rendered, in Python, for the mode it runs in, before DuckDB binds it.

A table is defined once (warehouse/sql/), as `<table>_of(as_of, src)`, reading other
tables through `<table>_in(as_of, src)`; `src` is the mode:

* 'log'   recomputed from events.log as recorded up to `as_of` (time travel);
* 'state' from the materialized tables (a full refresh);
* 'dirty' from the materialized tables, for the keys in projection_state.dirty (an
          incremental refresh).

DuckDB binds every branch of a macro, the ones a constant `src` prunes included, so a
macro that picked its inputs by `src` at run time would bind the whole log-side tree
of everything it reads on every refresh statement. Instead each macro that takes `src`
is created once per mode, as `<name>__<mode>` without the `src` parameter, and every
`src` in it is the mode's literal:

* a reader `<table>_in(as_of, src)` becomes what that mode reads: the table's own
  definition `<table>_of__log(as_of)` ('log'); the materialized table ('state',
  'dirty'), or for an intermediate table (core.effective_events, ...) its
  `<name>_stored__<mode>()`; `core.all_rows_of(src)` as a reader's mode names 'state'
  for 'dirty' (every materialized row, not only the dirty keys);
* a call of a macro that takes `src` names the rendering of the mode it passes (`src`:
  the caller's; a literal `'state'`, as in `core.complete_through('infinity', 'state',
  ...)`: that one), without the argument.

So a refresh statement binds only tables and the few macros of its own mode, and the
SQL stays plain SQL: the renderer only renames calls and substitutes a literal. The
statements of a file are split by DuckDB's own parser (duckdb.extract_statements).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal, cast

import duckdb

Mode = Literal["log", "state", "dirty"]
MODES: tuple[Mode, ...] = ("log", "state", "dirty")
# The mode whose rows a reader given `core.all_rows_of(src)` reads: every materialized
# row when refreshing dirty keys (a model's developers are looked up among all mentions).
_ALL_ROWS: dict[Mode, Mode] = {"log": "log", "state": "state", "dirty": "state"}

_COMMENT = r"--[^\n]*"
_MODE_LITERAL = re.compile(r"'(log|state|dirty)'")
_DEFINITION = re.compile(r"create\s+or\s+replace\s+macro\s+((?:core|marts)\.\w+)\s*\(([^)]*)\)", re.IGNORECASE)
_READER = re.compile(
    rf"({_COMMENT})|\b((?:core|marts)\.\w+)_in\(\s*([^(),]+?)\s*,\s*(src|core\.all_rows_of\(src\)|'\w+')\s*\)"
)
_CALL = re.compile(rf"({_COMMENT})|\b((?:core|marts)\.\w+)\(([^()]*)\)")
_SRC = re.compile(rf"({_COMMENT})|\bsrc\b")


@dataclass(frozen=True)
class Catalog:
    """What rendering needs to know of the definitions."""

    # Each macro that takes `src`, with the position of that parameter.
    src_position: dict[str, int]
    # The tables a reader `<table>_in` reads whole outside 'log' (core.*, marts.*).
    tables: frozenset[str]
    # The intermediate tables, read through `<name>_stored__<mode>()` outside 'log'.
    intermediates: frozenset[str]

    @classmethod
    def of(cls, texts: Iterable[str], tables: Iterable[str], intermediates: Iterable[str]) -> Catalog:
        src_position = {}
        for text in texts:
            for match in _DEFINITION.finditer(re.sub(_COMMENT, "", text)):
                names = [p.split(":=")[0].strip() for p in match.group(2).split(",")]
                if "src" in names:
                    src_position[match.group(1)] = names.index("src")
        return cls(src_position, frozenset(tables), frozenset(intermediates))


def rendered_name(macro: str, mode: Mode) -> str:
    """The name of `macro` (one that takes `src`) as created for `mode`."""
    return f"{macro}__{mode}"


def statements(text: str) -> list[str]:
    """The statements of a .sql file, as DuckDB's parser splits them."""
    return [statement.query for statement in duckdb.extract_statements(text)]


def defined_macro(statement: str, catalog: Catalog) -> str | None:
    """The macro taking `src` that `statement` creates, if it creates one."""
    match = _DEFINITION.search(re.sub(_COMMENT, "", statement))
    return match.group(1) if match and match.group(1) in catalog.src_position else None


def render(statement: str, mode: Mode | None, catalog: Catalog) -> str:
    """`statement` as DuckDB should bind it in `mode` (None: a statement outside any
    mode, whose calls name theirs with a literal, such as the refresh scripts')."""
    text = _render_definition(statement, mode, catalog)
    text = _READER.sub(lambda m: m.group(1) or _reader(m.group(2), m.group(3), _mode_of(m.group(4), mode, statement), catalog), text)
    text = _CALL.sub(lambda m: m.group(1) or _call(m.group(2), m.group(3), mode, catalog, statement), text)
    if mode is None:
        if _SRC.sub(lambda m: m.group(1) or "\0", text).count("\0"):
            raise ValueError(f"`src` outside a macro that takes it: {statement.strip()[:200]}")
        return text
    return _SRC.sub(lambda m: m.group(1) or f"'{mode}'", text)


def log_stand_in(statement: str, catalog: Catalog) -> str:
    """A stand-in for the 'log' rendering of the macro `statement` creates: the same name
    and parameters, the shape of its 'state' rendering (what it returns, bound against
    tables). A macro is bound when created, against the macros it calls as they are
    then: created against stand-ins, a 'log' definition binds in microseconds rather
    than binding the whole log-side tree below it (see refresh.define_macros)."""
    macro = defined_macro(statement, catalog)
    match = _DEFINITION.search(re.sub(_COMMENT, "", statement))
    if macro is None or match is None:
        raise ValueError(f"not a macro that takes `src`: {statement.strip()[:200]}")
    parameters = [p.strip() for p in match.group(2).split(",") if p.split(":=")[0].strip() != "src"]
    call = f"{rendered_name(macro, 'state')}({', '.join(p.split(':=')[0].strip() for p in parameters)})"
    is_table = re.match(r"\s*as\s+table\b", re.sub(_COMMENT, "", statement)[match.end():], re.IGNORECASE)
    body = f"table select * from {call} limit 0" if is_table else call
    return f"create or replace macro {rendered_name(macro, 'log')}({', '.join(parameters)}) as {body}"


def _render_definition(statement: str, mode: Mode | None, catalog: Catalog) -> str:
    macro = defined_macro(statement, catalog)
    if macro is None:
        return statement
    if mode is None:
        raise ValueError(f"{macro} takes `src`: it is rendered once per mode")

    def header(match: re.Match[str]) -> str:
        kept = [p.strip() for p in match.group(2).split(",") if p.split(":=")[0].strip() != "src"]
        return f"create or replace macro {rendered_name(macro, mode)}({', '.join(kept)})"

    return _DEFINITION.sub(header, statement, count=1)


def _mode_of(argument: str, mode: Mode | None, statement: str) -> Mode:
    """The mode a `src` argument passes."""
    literal = _MODE_LITERAL.fullmatch(argument.strip())
    if literal:
        return cast(Mode, literal.group(1))
    if mode is None:
        raise ValueError(f"`{argument}` names no mode outside a macro that takes `src`: {statement.strip()[:200]}")
    if argument == "src":
        return mode
    if argument == "core.all_rows_of(src)":
        return _ALL_ROWS[mode]
    raise ValueError(f"`{argument}` is not a mode: {statement.strip()[:200]}")


def _reader(table: str, as_of: str, mode: Mode, catalog: Catalog) -> str:
    if table not in catalog.tables and table not in catalog.intermediates:
        # (an ordinary macro whose name ends in `_in`, such as core.subject_events_in)
        call = f"{table}_in"
        return f"{rendered_name(call, mode)}({as_of})" if call in catalog.src_position else f"{call}({as_of}, '{mode}')"
    if mode == "log":
        return f"{rendered_name(f'{table}_of', mode)}({as_of})"
    if table in catalog.intermediates:
        return f"{rendered_name(f'{table}_stored', mode)}()"
    return table


def _call(macro: str, arguments: str, mode: Mode | None, catalog: Catalog, statement: str) -> str:
    position = catalog.src_position.get(macro)
    if position is None:
        return f"{macro}({arguments})"
    args = [a.strip() for a in arguments.split(",")] if arguments.strip() else []
    named = [i for i, a in enumerate(args) if re.match(r"src\s*:=", a)]
    index = named[0] if named else position
    if index >= len(args):
        raise ValueError(f"{macro} is called without its `src`: {statement.strip()[:200]}")
    passed = args[index].split(":=")[-1].strip()
    del args[index]
    return f"{rendered_name(macro, _mode_of(passed, mode, statement))}({', '.join(args)})"
