"""warehouse/DATA_DICTIONARY.md documents every core and mart table with exactly the columns
(and types) the SQL gives it, so the dictionary cannot drift from the definitions."""

import re
from pathlib import Path

import duckdb
import pytest

from warehouse.log.store import EVENTS_DDL
from warehouse.projections.refresh import CORE_TABLES, MART_TABLES, load_reference, rebuild_projections

DICTIONARY = Path(__file__).resolve().parents[1] / "warehouse" / "DATA_DICTIONARY.md"
TABLES = CORE_TABLES + MART_TABLES


def _sections() -> dict[str, str]:
    text = DICTIONARY.read_text()
    parts = re.split(r"^### (\S+)\s*$", text, flags=re.M)
    return dict(zip(parts[1::2], parts[2::2]))


@pytest.fixture(scope="module")
def con():
    # The tables' shapes come from the SQL alone: an empty log is enough.
    with duckdb.connect(":memory:") as connection:
        connection.execute("set TimeZone = 'UTC'")
        connection.execute(EVENTS_DDL)
        load_reference(connection)
        rebuild_projections(connection)
        yield connection


def test_every_table_is_documented():
    documented = set(_sections())
    assert {p.table for p in TABLES} <= documented, {p.table for p in TABLES} - documented


@pytest.mark.parametrize("table", [p.table for p in TABLES])
def test_columns_and_types_match_the_sql(con, table):
    section = _sections()[table]
    documented = dict(re.findall(r"^\| `([^`]+)` \| `([^`]+)` \| .+\|$", section, flags=re.M))
    actual = {name: kind for name, kind, *_ in con.execute(f"describe {table}").fetchall()}
    assert documented == actual


@pytest.mark.parametrize("table", [p.table for p in TABLES])
def test_each_table_has_a_definition_and_an_example_query_that_runs(con, table):
    section = _sections()[table]
    examples = re.findall(r"```sql\n(.+?)\n```", section, flags=re.S)
    assert examples, f"{table}: no example query"
    assert table in examples[0]
    con.sql(examples[0]).fetchall()
    assert "Output on the bundled build:" in section
