"""warehouse/DATA_DICTIONARY.md documents every core and mart table with exactly the columns
(and types) the SQL gives it, so the dictionary cannot drift from the definitions; the docs
come from the header of each table's SQL file, which must document every column it outputs."""

import re
from pathlib import Path

import duckdb
import pytest

from warehouse.log.store import EVENTS_DDL
from warehouse.projections.catalog import (
    CORE_TABLES,
    MART_TABLES,
    WHOLE_MART,
    HeaderError,
    KeyedMart,
    find_projection,
    read_projection,
)
from warehouse.projections.refresh import load_reference, rebuild_projections

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


# --------------------------------------------------------------------------- the SQL headers


@pytest.mark.parametrize("table", [p.table for p in TABLES])
def test_each_sql_header_documents_exactly_the_columns_its_table_outputs(con, table):
    projection = find_projection(table)
    actual = [name for name, *_ in con.execute(f"describe {table}").fetchall()]
    documented = [column.name for column in projection.columns]
    assert set(documented) == set(actual), (
        f"{projection.sql_file.name}: undocumented {sorted(set(actual) - set(documented))}, "
        f"documented but not output {sorted(set(documented) - set(actual))}"
    )
    assert all(column.meaning for column in projection.columns)


HEADER = """\
-- table: marts.toy
-- doc:
--   A toy mart: one row per
--   thing.
--
--   * **First**: an item
--     continued.
--   * Second.
-- column thing: The thing.
-- column day: Its day
--   (UTC).
-- example: select * from marts.toy
-- refresh kind: toy_day
-- refresh columns: day
-- refresh touched: marts.toy_touched()
-- refresh scope: marts.toy_last_day()

-- Notes for maintainers, not part of the header.
create or replace macro marts.toy_of(as_of, src) as table select 1 as thing, current_date as day;
"""


def _toy(tmp_path: Path, text: str) -> Path:
    sql_file = tmp_path / "toy.sql"
    sql_file.write_text(text)
    return sql_file


def test_a_header_gives_the_docs_and_the_refresh_spec(tmp_path):
    toy = read_projection("marts", _toy(tmp_path, HEADER), "marts.toy")
    assert toy.description == "A toy mart: one row per thing.\n\n* **First**: an item continued.\n* Second."
    assert toy.meanings() == {"thing": "The thing.", "day": "Its day (UTC)."}
    assert toy.example == "select * from marts.toy"
    assert toy.refresh == KeyedMart(kind="toy_day", columns=("day",), touched="marts.toy_touched()", scope="marts.toy_last_day()")


def test_a_mart_with_a_scope_alone_is_one_group(tmp_path):
    text = HEADER.replace("-- refresh kind: toy_day\n-- refresh columns: day\n-- refresh touched: marts.toy_touched()\n", "")
    toy = read_projection("marts", _toy(tmp_path, text), "marts.toy")
    assert toy.refresh == KeyedMart(kind=WHOLE_MART, columns=(), touched="", scope="marts.toy_last_day()")


@pytest.mark.parametrize(
    ("edit", "error"),
    [
        (("-- doc:\n", "-- docs:\n"), "toy.sql:2: not a header entry"),
        (("-- example: select * from marts.toy\n", ""), r"lacks \['example'\]"),
        (("-- table: marts.toy", "-- table: marts.other"), "names 'marts.other'"),
        (("-- column day: Its day\n--   (UTC).\n", "-- column day:\n"), "`column day` is empty"),
        (("-- column day: Its day\n", "-- column day: Its day\n-- no entry\n"), "toy.sql:11: not a header entry"),
        (("-- column thing: The thing.\n", "-- column thing: The thing.\n-- column thing: Again.\n"), "`column thing` appears twice"),
        (("-- refresh columns: day", "-- refresh columns: month"), r"refresh columns \['month'\] are not columns"),
        (("-- refresh touched: marts.toy_touched()\n", ""), "refresh spec is"),
        (("-- refresh scope: marts.toy_last_day()\n", "-- refresh stored: toy\n"), "refresh spec is"),
    ],
)
def test_a_header_that_breaks_the_rules_is_refused_naming_the_file(tmp_path, edit, error):
    sql_file = _toy(tmp_path, HEADER.replace(*edit))
    with pytest.raises(HeaderError, match=error):
        read_projection("marts", sql_file, "marts.toy")
