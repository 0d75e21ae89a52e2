"""`airace sql` as analysts expect it: formats (an unknown one is an error), a capped table that
says how many rows it left out, --limit and --output, several statements in one input, scripts
on stdin with dot commands, and a start that imports nothing the query does not need.
(The prompt itself, in a terminal: tests/test_sql_prompt.py.)"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner

from pipelines.cli import app
from pipelines.sql_shell import DEFAULT_TABLE_ROWS, input_complete, statement_complete
from tests.conftest import launch
from warehouse import EventStore, RawRecord
from warehouse.build import refresh_and_publish

REPO = Path(__file__).resolve().parent.parent
runner = CliRunner()


@pytest.fixture
def published(store: EventStore) -> EventStore:
    store.append([RawRecord(str(i), launch(f"m-{i}", "2025-03-01", ref=f"m-{i}")) for i in range(3)], source="test")
    refresh_and_publish(store)
    return store


def _sql(store: EventStore, *args: str, stdin: str | None = None):
    return runner.invoke(app, ["sql", "--home", str(store.home.root), *args], input=stdin)


def test_an_unknown_format_is_an_error_exit_2(published):
    result = _sql(published, "--format", "xml", "select 1")
    assert result.exit_code == 2
    assert "'xml' is not one of" in result.output and "'parquet'" in result.output


def test_parquet_needs_an_output_file_and_writes_the_rows(published, tmp_path):
    refused = _sql(published, "--format", "parquet", "select 1")
    assert refused.exit_code == 2 and "--output" in refused.output

    target = tmp_path / "models.parquet"
    result = _sql(published, "--format", "parquet", "--output", str(target), "select model_id from core.models order by 1")
    assert result.exit_code == 0, result.output
    assert duckdb.sql(f"select * from '{target}'").fetchall() == [("m-0",), ("m-1",), ("m-2",)]
    assert not target.with_name(target.name + ".partial").exists()


def test_a_table_is_capped_and_says_how_many_rows_it_left_out(published):
    capped = _sql(published, "select range as n from range(100)")
    assert capped.exit_code == 0
    assert f"… {100 - DEFAULT_TABLE_ROWS} more rows ({DEFAULT_TABLE_ROWS} shown" in capped.output
    assert f"│ {DEFAULT_TABLE_ROWS - 1} " in capped.output and f"│ {DEFAULT_TABLE_ROWS} " not in capped.output

    five = _sql(published, "--limit", "5", "select range as n from range(100)")
    assert "… 95 more rows (5 shown" in five.output and "│ 5 " not in five.output
    everything = _sql(published, "--limit", "0", "select range as n from range(100)")
    assert "│ 99 " in everything.output and "more rows" not in everything.output
    # Exactly the limit: nothing was left out, so nothing is said.
    exact = _sql(published, "--limit", "3", "select range as n from range(3)")
    assert "more rows" not in exact.output


def test_machine_formats_give_every_row_unless_limited(published):
    every = _sql(published, "--format", "csv", "select range as n from range(100)")
    assert every.stdout.splitlines() == ["n", *map(str, range(100))]
    limited = _sql(published, "--format", "json", "--limit", "2", "select range as n from range(100)")
    assert [json.loads(line) for line in limited.stdout.splitlines()] == [{"n": 0}, {"n": 1}]


def test_output_writes_a_file_and_a_failing_query_leaves_none(published, tmp_path):
    target = tmp_path / "out.csv"
    ok = _sql(published, "--format", "csv", "--output", str(target), "select model_id from core.models order by 1")
    assert ok.exit_code == 0 and ok.stdout == ""
    assert target.read_text() == "model_id\nm-0\nm-1\nm-2\n"

    failed = tmp_path / "failed.csv"
    result = _sql(published, "--format", "csv", "--output", str(failed), "select 1 as a; select * from no_such_table;")
    assert result.exit_code == 1 and "no_such_table" in result.stderr
    assert not failed.exists() and not failed.with_name("failed.csv.partial").exists()


def test_several_statements_run_in_order_each_with_its_rows(published):
    result = _sql(published, "--format", "csv", "select 1 as a;\nselect 'two' as b, 3 as c;")
    assert result.exit_code == 0
    assert result.stdout.splitlines() == ["a", "1", "b,c", "two,3"]


def test_a_script_on_stdin_runs_statements_over_several_lines_and_dot_commands(published):
    script = """select count(*) as models
from core.models
where model_id like 'm-%';
.tables
select 'a;b' as text; -- a ; in a literal and in a comment
.schema core.models
describe core.models;
"""
    result = _sql(published, "--format", "csv", stdin=script)
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[:2] == ["models", "3"]
    assert "marts.releases_monthly,table" in lines and "events.log,table" in lines
    assert not any(line.startswith("projection_state.") for line in lines)
    assert "text" in lines and "a;b" in lines
    # .schema: the definition and each column's meaning from the data dictionary.
    assert any(line.startswith("core.models: ") for line in lines)
    assert any(line.startswith("model_id,VARCHAR,") and len(line) > len("model_id,VARCHAR,") for line in lines)
    assert "column_name,column_type,null,key,default,extra" in lines


def test_a_failing_statement_in_a_script_is_said_and_the_exit_code_is_1(published):
    result = _sql(published, "--format", "csv", stdin="select nope;\nselect 2 as b;\n.nonsense\n")
    assert result.exit_code == 1
    assert "nope" in result.stderr and "unknown command '.nonsense'" in result.stderr
    assert result.stdout.splitlines() == ["b", "2"]


@pytest.mark.parametrize(
    ("text", "complete"),
    [
        ("select 1;", True),
        ("select 1", False),
        ("select 1;  \n", True),
        ("select ';'", False),
        ("select ';' ;", True),
        ("select 1 -- done;", False),
        ("select 1; -- a comment after", True),
        ("select /* ; */ 1", False),
        ("select 'it''s';", True),
        ('select "a;b" from t', False),
        ("select 'unterminated;", False),
        ("", False),
    ],
)
def test_a_statement_is_complete_at_a_semicolon_outside_quotes_and_comments(text, complete):
    assert statement_complete(text) is complete


def test_the_prompt_runs_dot_commands_and_empty_lines_at_once():
    assert input_complete(".tables") and input_complete("  ") and input_complete("quit")
    assert not input_complete("select 1\nfrom t")


def test_sql_imports_nothing_the_query_does_not_need(published):
    """`airace sql "select 1"` starts without Dagster, the event schemas, polars, altair, the
    HTTP client, pyarrow, prompt_toolkit, or rich when it draws no table."""
    probe = f"""
import sys
sys.argv = ["airace", "sql", "--home", {str(published.home.root)!r}, "--format", "csv", "select 41 + 1 as n"]
from pipelines.cli import main
try:
    main()
except SystemExit as exit:
    assert not exit.code, exit.code
heavy = ("dagster", "schemas", "polars", "altair", "vl_convert", "httpx", "pyarrow", "prompt_toolkit", "rich", "pandas")
print(sorted({{name.split(".")[0] for name in sys.modules}} & set(heavy)))
"""
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    result = subprocess.run([sys.executable, "-c", probe], cwd=REPO, env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == ["n", "42", "[]"]
