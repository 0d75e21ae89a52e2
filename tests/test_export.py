"""`airace export DIR`: the Parquet lake round-trips, reads only the snapshot, and swaps in atomically."""

from __future__ import annotations

import datetime as dt
import json
import shutil

import duckdb
import polars as pl
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from pipelines.cli import app
from tests.conftest import launch
from warehouse import EventStore, RawRecord, WarehouseHome
from warehouse.build import refresh_and_publish
from warehouse.errors import StoreError
from warehouse.log.chain import ROW_DIGEST_SQL, VERIFY_SQL
from warehouse.publishing.export import MANIFEST, export_parquet
from warehouse.publishing.timetravel import open_snapshot

runner = CliRunner()


def _events(n: int, start: dt.date, prefix: str) -> list[dict]:
    # Spread over months (several partitions), with nulls and non-ASCII payloads.
    return [
        launch(
            f"{prefix}-{i} 模型 ☃",
            (start + dt.timedelta(days=17 * i)).isoformat(),
            orgs=("Zhipu AI",) if i % 3 else ("OpenAI", "Microsoft"),
            ref=None if i % 4 == 0 else f"{prefix}-{i}",
        )
        for i in range(n)
    ]


@pytest.fixture(scope="module")
def template(tmp_path_factory) -> WarehouseHome:
    """One published warehouse per module (a rebuild takes seconds); tests copy its closed files."""
    home = WarehouseHome.resolve(tmp_path_factory.mktemp("template")).ensure()
    store = EventStore(home, lock_timeout_s=10)
    for source, records in (("test", _events(30, dt.date(2024, 11, 20), "alpha")), ("second", _events(12, dt.date(2025, 6, 1), "beta"))):
        store.append([RawRecord(f"record {i}", r) for i, r in enumerate(records)], source=source)
    refresh_and_publish(store)
    return home


@pytest.fixture
def published(store, template):
    for name in (template.live_db.name, template.snapshot_db.name, template.witness_file.name):
        shutil.copyfile(template.root / name, store.home.root / name)
    return store


def _snapshot_log() -> str:
    return "select * replace (payload::varchar as payload) from events.log order by position"


def test_export_round_trips_through_polars(published, tmp_path):
    result = export_parquet(published.home, tmp_path / "lake")
    with open_snapshot(published.home) as con:
        expected = con.sql(_snapshot_log()).pl()
        months = con.execute("select count(distinct strftime(occurred_at, '%Y-%m')) from events.log").fetchall()[0][0]
        mart_rows = con.execute("select count(*) from marts.releases_monthly").fetchall()[0][0]
        models = con.sql("select * from core.models order by all").pl()

    log_dir = tmp_path / "lake" / "events" / "log"
    partitions = sorted(p.name for p in log_dir.iterdir())
    assert len(partitions) == months == result.months > 1
    assert all(p.startswith("event_month=") and len(p) == len("event_month=2025-01") for p in partitions)

    back = pl.scan_parquet(log_dir, hive_partitioning=True).collect().sort("position")
    assert back["event_month"].to_list() == [d.strftime("%Y-%m") for d in back["occurred_at"].to_list()]
    back = back.drop("event_month")
    assert back.columns == expected.columns
    assert back.equals(expected), "every row and column comes back as it is in events.log"
    assert back["hash"].to_list() == expected["hash"].to_list()
    assert result.events == back.height == 42 and result.head_hash == expected["hash"][-1]

    # The chain verifies from the Parquet files alone, with the warehouse's own SQL.
    with duckdb.connect() as con:
        con.execute("set TimeZone = 'UTC'")
        con.execute("create schema events")
        con.execute(
            f"create view events.log as select * exclude (event_month) from read_parquet('{log_dir}/*/*.parquet', hive_partitioning = true)"
        )
        assert con.execute(VERIFY_SQL).fetchall() == []
        assert con.execute(f"select count(*) from events.log where {ROW_DIGEST_SQL} is null").fetchall() == [(0,)]

    # Every core.* and marts.* table, zstd everywhere.
    manifest = json.loads((tmp_path / "lake" / MANIFEST).read_text())
    assert manifest["head_hash"] == result.head_hash and manifest["tables"]["events.log"] == 42
    assert {"core.models", "core.organizations", "marts.releases_monthly", "events.ingest_runs"} <= set(manifest["tables"])
    assert pl.read_parquet(tmp_path / "lake" / "marts" / "releases_monthly").height == mart_rows
    assert pl.read_parquet(tmp_path / "lake" / "core" / "models").sort(models.columns).equals(models.sort(models.columns))
    for path in (tmp_path / "lake").rglob("*.parquet"):
        meta = pq.ParquetFile(path).metadata
        codecs = {meta.row_group(g).column(c).compression for g in range(meta.num_row_groups) for c in range(meta.num_columns)}
        assert codecs <= {"ZSTD"}, path


def test_export_reads_the_published_snapshot_not_the_live_file(published, append, tmp_path):
    # Appended but not published: the export must not see it.
    append(_events(5, dt.date(2026, 1, 1), "unpublished"))
    # And a writer holding the live database open does not block an export.
    with published.writer(purpose="a long build") as con:
        con.execute("select count(*) from events.log").fetchall()
        result = export_parquet(published.home, tmp_path / "lake")
    assert result.events == 42
    assert pl.scan_parquet(tmp_path / "lake" / "events" / "log", hive_partitioning=True).collect().height == 42


def test_reexport_swaps_in_place_and_a_failed_one_changes_nothing(published, append, tmp_path, monkeypatch):
    lake = tmp_path / "lake"
    export_parquet(published.home, lake)
    append(_events(6, dt.date(2026, 2, 1), "gamma"))
    refresh_and_publish(published)
    assert export_parquet(published.home, lake).events == 48
    assert pl.scan_parquet(lake / "events" / "log", hive_partitioning=True).collect().height == 48
    assert sorted(p.name for p in tmp_path.iterdir()) == ["lake", "warehouse"], "no temp or old folders left behind"

    import warehouse.publishing.export as export_module

    real_copy = export_module._copy
    calls = []

    def failing_copy(con, query, target, partition_by=None):
        calls.append(target)
        if len(calls) == 3:
            raise duckdb.IOException("disk full (simulated)")
        return real_copy(con, query, target, partition_by)

    monkeypatch.setattr(export_module, "_copy", failing_copy)
    before = {p.relative_to(lake): p.read_bytes() for p in lake.rglob("*") if p.is_file()}
    with pytest.raises(duckdb.IOException):
        export_parquet(published.home, lake)
    assert {p.relative_to(lake): p.read_bytes() for p in lake.rglob("*") if p.is_file()} == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["lake", "warehouse"]


def test_export_refuses_to_replace_a_folder_that_is_not_an_export(home, tmp_path):
    precious = tmp_path / "precious"
    precious.mkdir()
    (precious / "thesis.tex").write_text("do not delete")
    with pytest.raises(StoreError, match="not an airace export"):
        export_parquet(home, precious)
    assert (precious / "thesis.tex").read_text() == "do not delete"


def test_cli_export(published, tmp_path):
    result = runner.invoke(app, ["export", str(tmp_path / "out"), "--home", str(published.home.root)])
    assert result.exit_code == 0, result.output
    assert "events.log" in result.output and "marts.releases_monthly" in result.output
    assert (tmp_path / "out" / "events" / "log").is_dir()

    missing = runner.invoke(app, ["export", str(tmp_path / "x"), "--home", str(tmp_path / "nowhere")])
    assert missing.exit_code == 2 and "no published snapshot" in missing.output

    foreign = tmp_path / "notes"
    foreign.mkdir()
    (foreign / "todo.txt").write_text("keep me")
    refused = runner.invoke(app, ["export", str(foreign), "--home", str(published.home.root)])
    assert refused.exit_code == 2 and "not an airace export" in " ".join(refused.output.split())
    assert [p.name for p in foreign.iterdir()] == ["todo.txt"]

