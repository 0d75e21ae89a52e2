"""Which tables each projection and mart reads, derived from its SQL definition.

A table's definition is its macro `<table>_of(as_of, src)` (warehouse/sql/). What it
reads is found by following the macros it calls, file by file, until the names met are
tables the warehouse materializes (`core.*`, `marts.*`: read directly, or through their
reader `<table>_in`) or the log itself (`events.log`). Intermediate macros and tables of
the incremental refresh (`core.effective_events`, `projection_state.*`, dirty keys) are
followed or skipped, never reported: they are how a table is refreshed, not what it is
made from. Reference tables loaded from CSV (core.organization_registry) are not built
from the log and are not reported either.

Nothing here is listed by hand: a new `.sql` file is read like the others, so the
Dagster graph draws each mart from the tables its SQL actually reads.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import cache
from pathlib import Path

from warehouse.projections.catalog import CORE_TABLES, MART_TABLES, SQL_DIR, Projection

EVENT_LOG = "events.log"
_COMMENT = re.compile(r"--[^\n]*")
_MACRO = re.compile(r"create\s+(?:or\s+replace\s+)?(?:temp\s+|temporary\s+)?macro\s+([a-z_][\w]*\.[a-z_]\w*)", re.I)
_NAME = re.compile(r"\b((?:core|marts|events|projection_state)\.[a-z_]\w*)\b", re.I)


def macro_bodies(files: Iterable[Path]) -> dict[str, str]:
    """Macro name -> its text (to the next `create` of a macro), comments removed.
    Overloads of a name are joined: a reader may take either."""
    bodies: dict[str, str] = {}
    for sql_file in files:
        text = _COMMENT.sub("", sql_file.read_text())
        starts = list(_MACRO.finditer(text))
        for match, following in zip(starts, [*starts[1:], None], strict=True):
            end = following.start() if following else len(text)
            name = match.group(1).lower()
            bodies[name] = bodies.get(name, "") + text[match.end() : end]
    return bodies


def tables_read(
    table: str, tables: frozenset[str], bodies: dict[str, str]
) -> frozenset[str]:
    """The materialized tables (and events.log) that `table`'s definition reads."""
    found: set[str] = set()
    seen: set[str] = set()
    pending = [f"{table}_of"]
    while pending:
        macro = pending.pop()
        if macro in seen:
            continue
        seen.add(macro)
        for name in (n.lower() for n in _NAME.findall(bodies.get(macro, ""))):
            reader_of = name.removesuffix("_in")
            if name == EVENT_LOG:
                found.add(EVENT_LOG)
            elif name in tables or (name.endswith("_in") and reader_of in tables):
                found.add(name if name in tables else reader_of)
            elif name.endswith("_in"):
                # A reader over an intermediate (refresh.INTERMEDIATES), or a macro
                # named so: rendered as the intermediate's log side `<name>_of` or its
                # stored side `<name>_stored` (warehouse/projections/rendering.py).
                pending += [name, f"{reader_of}_of", f"{reader_of}_stored"]
            elif name in bodies:
                pending.append(name)
    found.discard(table)
    return frozenset(found)


@cache
def upstream_tables() -> dict[str, frozenset[str]]:
    """Every core and mart table -> the tables its definition reads."""
    projections: tuple[Projection, ...] = CORE_TABLES + MART_TABLES
    tables = frozenset(p.table for p in projections)
    bodies = macro_bodies(sorted(SQL_DIR.glob("core/*.sql")) + sorted(SQL_DIR.glob("marts/*.sql")))
    return {p.table: tables_read(p.table, tables, bodies) for p in projections}
