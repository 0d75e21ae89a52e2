"""`airace sql` runs analysts' SQL within a time limit and a memory cap, and no directory
is writable from it (not even DuckDB's own temporary directories)."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner

from pipelines.cli import app
from tests.conftest import launch
from warehouse import EventStore, RawRecord
from warehouse.build import refresh_and_publish
from warehouse.publishing.timetravel import QueryLimits, open_as_of, open_snapshot

REPO = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
runner = CliRunner()
# Minutes of work for DuckDB: only the timeout can end it within the test's budget.
RUNAWAY = "select count(*) from range(10000000000) a, range(10) b where a.range + b.range = -1"


@pytest.fixture
def published(store: EventStore) -> EventStore:
    store.append([RawRecord(str(i), launch(f"m-{i}", "2025-03-01", ref=f"m-{i}")) for i in range(5)], source="test")
    refresh_and_publish(store)
    return store


def _sql(*args: str, home, cwd: Path | None = None) -> subprocess.CompletedProcess:
    # A subprocess with its own deadline: a broken timeout fails the test instead of hanging it.
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    return subprocess.run(
        [BIN / "airace", "sql", "--home", str(home.root), *args],
        cwd=cwd or REPO, env=env, capture_output=True, text=True, timeout=120, check=False,
    )


def test_a_runaway_query_is_stopped_by_the_timeout(published):
    result = _sql("--timeout", "1", RUNAWAY, home=published.home)
    assert result.returncode == 1
    assert "the query was stopped after 1s" in result.stderr and "AIRACE_SQL_TIMEOUT_S" in result.stderr


def test_the_timeout_comes_from_the_environment_too(published, monkeypatch):
    monkeypatch.setenv("AIRACE_SQL_TIMEOUT_S", "0.5")
    result = runner.invoke(app, ["sql", "--home", str(published.home.root), RUNAWAY])
    assert result.exit_code == 1
    assert "stopped after 0.5s" in result.output
    # The connection is usable again after an interrupt: the next statement answers.
    ok = runner.invoke(app, ["sql", "--home", str(published.home.root), "--format", "csv", "select 42 as n"])
    assert ok.exit_code == 0 and ok.output.splitlines() == ["n", "42"]


def test_rebuilding_as_of_a_date_is_under_the_timeout_too(published):
    result = _sql("--as-of", "2100-01-01", "--timeout", "0.01", "select 1", home=published.home)
    assert result.returncode == 1
    assert "the query was stopped after 0.01s" in result.stderr


def test_a_query_over_the_memory_cap_fails_saying_so(published):
    result = runner.invoke(
        app, ["sql", "--home", str(published.home.root), "--memory-limit", "64MB", "select list(range) from range(100000000)"]
    )
    assert result.exit_code == 1
    assert "needs more than the memory cap of 64MB" in " ".join(result.output.split())


@pytest.mark.parametrize("as_of", [False, True], ids=["snapshot", "as-of"])
def test_the_analyst_connection_cannot_write_to_duckdbs_temporary_directories(published, tmp_path, monkeypatch, as_of):
    # The two directories DuckDB lets a connection write to by default, when they exist.
    beside_snapshot = published.home.snapshot_db.with_name(published.home.snapshot_db.name + ".tmp")
    in_cwd = tmp_path / "cwd" / ".tmp"
    for folder in (beside_snapshot, in_cwd):
        folder.mkdir(parents=True)
    monkeypatch.chdir(in_cwd.parent)
    opener = open_as_of(published.home, dt.datetime(2100, 1, 1, tzinfo=dt.UTC)) if as_of else open_snapshot(published.home)
    with opener as con:
        for target in (beside_snapshot / "out.csv", in_cwd / "out.csv", Path(".tmp/out.csv")):
            with pytest.raises(duckdb.PermissionException):
                con.execute(f"copy (select 1) to '{target}'")
        for change in ("set temp_directory = '/tmp'", "set memory_limit = '100GB'", "set enable_external_access = true"):
            with pytest.raises(duckdb.InvalidInputException, match="Cannot change configuration"):
                con.execute(change)
        assert con.execute("select current_setting('temp_directory')").fetchall() == [("",)]
    assert list(beside_snapshot.iterdir()) == [] and list(in_cwd.iterdir()) == []


def test_limits_resolve_flags_over_environment(monkeypatch):
    monkeypatch.setenv("AIRACE_SQL_TIMEOUT_S", "7")
    monkeypatch.setenv("AIRACE_SQL_MEMORY_LIMIT", "1GB")
    assert QueryLimits.resolve() == QueryLimits(7.0, "1GB")
    assert QueryLimits.resolve(2.5, "3GB") == QueryLimits(2.5, "3GB")
