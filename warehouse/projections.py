"""Projections (core.*) and marts (marts.*), rebuilt from the log by SQL.

Each table is defined once, as a table macro `<table>_as_of(as_of)` in a `.sql`
file under warehouse/sql/, so the same definition answers "now" (materialized
here as a table) and "as known at ts" (call the macro, or `airace sql --as-of`).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import duckdb

SQL_DIR = Path(__file__).resolve().parent / "sql"
REFERENCE_DIR = Path(__file__).resolve().parent / "reference"
ORGANIZATIONS_CSV = REFERENCE_DIR / "organizations.csv"
MODEL_ALIASES_CSV = REFERENCE_DIR / "model_aliases.csv"
END_OF_TIME = "infinity"


@dataclass(frozen=True)
class Projection:
    table: str
    macro: str
    description: str
    sql_file: Path


def _description(sql_file: Path, table: str) -> str:
    """The comment lines at the top of the table's .sql file: its definition, shown in the UI."""
    lines = []
    for line in sql_file.read_text().splitlines():
        if not line.startswith("--"):
            break
        lines.append(line.removeprefix("--").strip())
    text = " ".join(lines)
    return text.removeprefix(f"{table}:").strip() or table


def _discover(layer: str, order: tuple[str, ...] = ()) -> tuple[Projection, ...]:
    """Tables of a layer: each `<layer>/<name>.sql` defining `<layer>.<name>_as_of`.

    Adding a mart is adding a file; the Dagster graph and time travel pick it up.
    """
    projections = []
    for sql_file in sorted((SQL_DIR / layer).glob("*.sql")):
        name = sql_file.stem.split("_", 1)[1] if sql_file.stem[:2].isdigit() else sql_file.stem
        table = f"{layer}.{name}"
        if f"macro {table}_as_of(" not in sql_file.read_text():
            continue
        projections.append(Projection(table, f"{table}_as_of", _description(sql_file, table), sql_file))
    return tuple(projections)


CORE_TABLES: tuple[Projection, ...] = _discover("core")
MART_TABLES: tuple[Projection, ...] = _discover("marts")


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
           select alias_id, model_id, note from read_csv(?, header = true, all_varchar = true)""",
        [str(MODEL_ALIASES_CSV)],
    )


def define_macros(con: duckdb.DuckDBPyConnection) -> None:
    con.execute("create schema if not exists core; create schema if not exists marts")
    for sql_file in sorted(SQL_DIR.glob("core/*.sql")) + sorted(SQL_DIR.glob("marts/*.sql")):
        con.execute(sql_file.read_text())


def materialize(
    con: duckdb.DuckDBPyConnection, projections: tuple[Projection, ...], as_of: dt.datetime | str = END_OF_TIME
) -> dict[str, int]:
    """(Re)create each table from its macro in one transaction; returns row counts."""
    counts: dict[str, int] = {}
    con.execute("begin transaction")
    try:
        for projection in projections:
            con.execute(
                f"create or replace table {projection.table} as select * from {projection.macro}(?::timestamptz)",
                [as_of],
            )
            counts[projection.table] = con.execute(f"select count(*) from {projection.table}").fetchall()[0][0]
        con.execute("commit")
    except BaseException:
        con.execute("rollback")
        raise
    return counts


def rebuild_all(con: duckdb.DuckDBPyConnection, as_of: dt.datetime | str = END_OF_TIME) -> dict[str, int]:
    load_reference(con)
    define_macros(con)
    return materialize(con, CORE_TABLES + MART_TABLES, as_of)
