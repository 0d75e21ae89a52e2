"""Operations: analysts read while pipelines write, one writer at a time, failed builds publish nothing.

The concurrency tests use real processes (the lock and DuckDB's own file locks
are per process; threads would prove nothing).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import shutil
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import dagster as dg
import duckdb
import polars as pl
import pytest
import yaml

from tests.conftest import launch, write_jsonl
from warehouse import EventStore, RawRecord, WarehouseHome
from warehouse.build import refresh_and_publish
from warehouse.log.lock import WarehouseBusy, describe_holder, writer_lock
from warehouse.log.store import StoreError
from warehouse.publishing.snapshot import publish_snapshot
from warehouse.publishing.timetravel import open_snapshot

REPO = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def _env(home) -> dict[str, str]:
    # (DAGSTER_HOME stays: conftest gives each test its own instance)
    return {**os.environ, "AIRACE_HOME": str(home.root), "PYTHONPATH": str(REPO), "DAGSTER_DISABLE_TELEMETRY": "1"}


def _python(script: str, *args, env) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(script), *map(str, args)],
        cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )


def _wait_for(predicate, timeout_s: float, what: str, procs=()) -> None:
    deadline = time.monotonic() + timeout_s
    while not predicate():
        for proc in procs:
            if proc.poll() is not None:
                raise AssertionError(f"{what}: process exited early: {proc.communicate()}")
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout_s}s waiting for {what}")
        time.sleep(0.02)


def _batch(prefix: str, n: int) -> list[dict]:
    return [launch(f"{prefix}-{i}", f"2025-{1 + i % 12:02d}-15", ref=f"{prefix}-{i}") for i in range(n)]


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def template(tmp_path_factory) -> WarehouseHome:
    """A built and published warehouse of 30 events, once per module (a rebuild takes seconds)."""
    home = WarehouseHome.resolve(tmp_path_factory.mktemp("template")).ensure()
    store = EventStore(home, lock_timeout_s=10)
    store.append([RawRecord(str(i), r) for i, r in enumerate(_batch("good", 30))], source="test")
    refresh_and_publish(store)
    return home


@pytest.fixture
def good_snapshot(store, template) -> str:
    """The template's closed files copied into this test's home; returns the snapshot's sha256."""
    for path in (template.live_db, template.snapshot_db, template.witness_file):
        shutil.copyfile(path, store.home.root / path.name)
    return _sha(store.home.snapshot_db)


# --- analysts read while pipelines write ---------------------------------------------------------

READER = """
    import json, sys, time, pathlib
    from warehouse import WarehouseHome
    from warehouse.publishing.timetravel import open_snapshot
    home, mode = WarehouseHome.resolve(sys.argv[1]), sys.argv[2]
    ready, stop = pathlib.Path(sys.argv[3]), pathlib.Path(sys.argv[4])
    seen, errors, queries = [], [], 0

    def look(con):
        events, head = con.execute(
            "select count(*), arg_max(hash, position) from events.log").fetchall()[0]
        models = con.execute("select count(*) from core.models").fetchall()[0][0]
        return [events, models, head]

    def loop(con=None):
        global queries
        deadline = time.monotonic() + 60
        while not stop.exists() and time.monotonic() < deadline:
            try:
                if con is None:
                    # Reconnecting every time: must always find a whole snapshot, old or new.
                    with open_snapshot(home) as fresh:
                        seen.append(look(fresh))
                else:
                    seen.append(look(con))
                queries += 1
            except Exception as exc:
                errors.append(repr(exc))
            ready.touch()
            time.sleep(0.01)  # an analyst, not a busy loop: leave the CPU to the writer

    if mode == "hold":
        with open_snapshot(home) as con:
            loop(con)
    else:
        loop()
    with open_snapshot(home) as con:
        after = look(con)
    print(json.dumps({"seen": seen, "errors": errors, "queries": queries, "after": after}))
"""

REPUBLISHER = """
    import json, sys
    from tests.conftest import launch
    from warehouse import EventStore, RawRecord, WarehouseHome
    from warehouse.publishing.snapshot import publish_snapshot
    store = EventStore(WarehouseHome.resolve(sys.argv[1]), lock_timeout_s=30)
    published = []
    for round in range(4):
        records = [launch(f"round{round}-{i}", "2025-03-01", ref=f"round{round}-{i}") for i in range(25)]
        store.append([RawRecord(str(i), r) for i, r in enumerate(records)], source=f"round{round}")
        # Republish only: the projections' rebuild takes seconds and is not what readers race with.
        published.append(publish_snapshot(store.home, lock_timeout_s=30).events)
    print(json.dumps(published))
"""


def test_snapshot_readers_keep_their_snapshot_while_another_process_republishes(store, good_snapshot, tmp_path):
    with open_snapshot(store.home) as con:
        before = [*con.execute("select count(*), arg_max(hash, position) from events.log").fetchall()[0]]
    env = _env(store.home)
    stop = tmp_path / "stop"
    readers = {
        mode: _python(READER, store.home.root, mode, tmp_path / f"ready-{mode}", stop, env=env)
        for mode in ("hold", "reconnect")
    }
    _wait_for(lambda: all((tmp_path / f"ready-{m}").exists() for m in readers), 60, "the readers", readers.values())

    writer = _python(REPUBLISHER, store.home.root, env=env)
    out, err = writer.communicate(timeout=90)
    assert writer.returncode == 0, err
    assert json.loads(out) == [55, 80, 105, 130], "four appends, four republished snapshots"
    time.sleep(0.3)  # let the reconnecting reader take a look at the last snapshot
    stop.touch()
    reports = {}
    for mode, proc in readers.items():
        out, err = proc.communicate(timeout=60)
        assert proc.returncode == 0, err
        reports[mode] = json.loads(out)

    held = reports["hold"]
    assert held["errors"] == [] and held["queries"] > 5
    # The open connection kept reading the snapshot it opened, through four replacements...
    assert {(events, head) for events, _, head in held["seen"]} == {tuple(before)}
    # ...and sees the new data once it reconnects.
    assert held["after"][0] == 130

    fresh = reports["reconnect"]
    assert fresh["errors"] == [] and fresh["queries"] > 5
    counts = [events for events, _, _ in fresh["seen"]]
    assert counts == sorted(counts), "a reconnecting reader never goes back in time"
    assert counts[0] == 30 and counts[-1] == 130
    assert set(counts) <= {30, 55, 80, 105, 130}, "only whole, published snapshots are ever seen"


# --- a failed build never replaces a good snapshot -------------------------------------------------


def _build_without_sources():
    """The airace_build job, minus the bundled sources (they only slow these tests down)."""
    from pipelines.definitions import defs
    from pipelines.defs.jobs import BUILD_JOB_NAME

    job = defs().resolve_job_def(BUILD_JOB_NAME)
    keys = [k for k in job.asset_layer.executable_asset_keys if k not in {dg.AssetKey("curated_events"), dg.AssetKey("epoch_models")}]
    return job.execute_in_process(instance=dg.DagsterInstance.ephemeral(), asset_selection=keys, raise_on_error=False)


def _tamper(home) -> None:
    with duckdb.connect(str(home.live_db)) as con:
        con.execute("update events.log set occurred_at = occurred_at + 1 where position = 7")


def _leftovers(home) -> list[str]:
    return sorted(p.name for p in home.root.iterdir() if ".publishing" in p.name)


def test_a_broken_chain_stops_the_build_before_the_snapshot(store, good_snapshot):
    _tamper(store.home)
    result = _build_without_sources()
    assert not result.success
    checks = [e.asset_check_evaluation_data for e in result.all_events if e.event_type_value == "ASSET_CHECK_EVALUATION"]
    # (the sources' freshness checks read only Dagster's records, not the log: they may run)
    warehouse_checks = [(c.check_name, c.passed) for c in checks if c.check_name != "freshness_check"]
    assert warehouse_checks == [("hash_chain_verifies", False)]
    materialized = {e.asset_key for e in result.all_events if e.event_type_value == "ASSET_MATERIALIZATION"}
    assert dg.AssetKey("snapshot") not in materialized and dg.AssetKey(["core", "models"]) not in materialized
    assert _sha(store.home.snapshot_db) == good_snapshot

    # Publishing by hand (as `airace ingest` does after appending) refuses too.
    with pytest.raises(StoreError, match="does not verify at position 7"):
        publish_snapshot(store.home, lock_timeout_s=5)
    assert _sha(store.home.snapshot_db) == good_snapshot and _leftovers(store.home) == []


def test_failing_projections_publish_nothing(store, good_snapshot, append, monkeypatch):
    import pipelines.defs.warehouse.assets as warehouse_assets

    append(_batch("later", 5))

    def broken_refresh(_store):
        raise RuntimeError("a mart's SQL is broken")

    monkeypatch.setattr(warehouse_assets, "refresh", broken_refresh)
    result = _build_without_sources()
    assert not result.success
    assert _sha(store.home.snapshot_db) == good_snapshot
    with open_snapshot(store.home) as con:
        assert con.execute("select count(*) from events.log").fetchall() == [(30,)]


def test_a_bad_copy_never_replaces_the_snapshot(store, good_snapshot, append, monkeypatch):
    from warehouse.publishing import snapshot

    real_copy = snapshot._copy_for_every_client
    append(_batch("newer", 3))

    def garbled_copy(live, staging):
        real_copy(live, staging)
        with open(staging, "r+b") as f:  # everything after DuckDB's headers lost, as by a failing disk
            f.seek(3 * 4096)
            f.write(b"\0" * (os.path.getsize(staging) - 3 * 4096))

    def stale_copy(live, staging):
        real_copy(store.home.snapshot_db, staging)  # a whole database, but not the live one

    for bad_copy, problem in ((garbled_copy, "unreadable"), (stale_copy, "does not match")):
        monkeypatch.setattr(snapshot, "_copy_for_every_client", bad_copy)
        with pytest.raises(StoreError, match=problem):
            publish_snapshot(store.home, lock_timeout_s=5)
        assert _sha(store.home.snapshot_db) == good_snapshot and _leftovers(store.home) == []
    monkeypatch.undo()
    assert publish_snapshot(store.home, lock_timeout_s=5).events == 33


# --- one writer at a time ----------------------------------------------------------------------------

HOLDER = """
    import pathlib, sys, time
    from warehouse import EventStore, WarehouseHome
    store = EventStore(WarehouseHome.resolve(sys.argv[1]))
    ready, stop = pathlib.Path(sys.argv[2]), pathlib.Path(sys.argv[3])
    with store.writer(purpose="test: a long build"):
        ready.touch()
        deadline = time.monotonic() + 60
        while not stop.exists() and time.monotonic() < deadline:
            time.sleep(0.02)
"""


def test_a_second_writer_waits_then_fails_naming_the_holder(store, tmp_path):
    ready, stop = tmp_path / "ready", tmp_path / "stop"
    holder = _python(HOLDER, store.home.root, ready, stop, env=_env(store.home))
    try:
        _wait_for(ready.exists, 60, "the lock holder", [holder])
        impatient = EventStore(store.home, lock_timeout_s=0.5)
        started = time.monotonic()
        with pytest.raises(WarehouseBusy) as busy:
            impatient.append([RawRecord("r", launch("Blocked", "2025-01-01"))], source="second writer")
        assert 0.5 <= time.monotonic() - started < 5, "waits the bounded time, no longer"
        message = str(busy.value)
        assert f"pid {holder.pid}" in message and "test: a long build" in message and "waited 0.5s" in message
        assert str(store.home.root) in message
    finally:
        stop.touch()
        holder.communicate(timeout=30)
    # Once the holder is gone the same writer goes through, and the record says nobody holds it.
    assert impatient.append([RawRecord("r", launch("Unblocked", "2025-01-01"))], source="second writer").appended == 1
    assert "pid" not in describe_holder(store.home.lock_file)


def test_the_lock_is_reentrant_within_a_process(store):
    # A helper that takes the lock, called by code that already holds it, must not wait for itself.
    with writer_lock(store.home.lock_file, timeout_s=1, purpose="outer"):
        with writer_lock(store.home.lock_file, timeout_s=1, purpose="inner"):
            assert "outer" in describe_holder(store.home.lock_file)
        assert "outer" in describe_holder(store.home.lock_file)
        with store.writer(purpose="nested writer") as con:
            assert con.execute("select count(*) from events.log").fetchall() == [(0,)]


def _dagster_home(tmp_path: Path) -> Path:
    dagster_home = tmp_path / "dagster_home"
    dagster_home.mkdir()
    shutil.copy(REPO / ".dagster_home" / "dagster.yaml", dagster_home / "dagster.yaml")
    return dagster_home


def test_cli_ingest_and_a_dagster_materialization_at_once(home, tmp_path):
    extra = write_jsonl(tmp_path / "extra.jsonl", _batch("extra", 60))
    env = {**_env(home), "DAGSTER_HOME": str(_dagster_home(tmp_path))}
    run_config = tmp_path / "in_process.yaml"
    run_config.write_text("execution:\n  config:\n    in_process: {}\n")
    dagster = subprocess.Popen(
        [BIN / "dagster", "job", "execute", "-m", "pipelines.definitions", "-j", "airace_build", "-c", run_config],
        cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    holder_file = home.lock_file.with_name(home.lock_file.name + ".holder")

    def dagster_is_writing() -> bool:
        try:
            return json.loads(holder_file.read_text()).get("pid") == dagster.pid
        except (OSError, ValueError):
            return False

    try:
        _wait_for(dagster_is_writing, 60, "the Dagster run to start writing", [dagster])
        ingest = subprocess.run(
            [BIN / "airace", "ingest", extra, "--home", home.root],
            cwd=REPO, env=env, capture_output=True, text=True, timeout=120, check=False,
        )
        dagster_log, _ = dagster.communicate(timeout=120)
    finally:
        if dagster.poll() is None:
            dagster.kill()
    assert ingest.returncode == 0, ingest.stderr + ingest.stdout
    assert dagster.returncode == 0, dagster_log[-3000:]
    assert "RUN_SUCCESS" in dagster_log

    with duckdb.connect(str(home.live_db), read_only=True) as con:
        total, distinct_ids = con.execute("select count(*), count(distinct event_id) from events.log").fetchall()[0]
        runs = con.execute(
            "select source, records_read, appended, duplicate, quarantined from events.ingest_runs order by source"
        ).fetchall()
        extra_in_log = con.execute("select count(*) from events.log where source_ref like 'extra-%'").fetchall()[0][0]
    by_source = {source: rest for source, *rest in runs}
    assert by_source["file:extra.jsonl"] == [60, 60, 0, 0]
    assert extra_in_log == 60
    assert {"curated", "epoch-ai"} <= set(by_source)
    # Nothing lost, nothing twice: every record read was appended exactly once.
    assert all(dup == 0 for _, _, dup, _ in by_source.values())
    assert total == distinct_ids == sum(appended for _, appended, _, _ in by_source.values())

    verify = subprocess.run(
        [BIN / "airace", "verify", "--home", home.root], cwd=REPO, env=env, capture_output=True, text=True, timeout=60, check=False
    )
    assert verify.returncode == 0 and f"OK: {total} events" in verify.stdout, verify.stdout + verify.stderr
    # Whoever published last published everything.
    with open_snapshot(home) as con:
        assert con.execute("select count(*) from events.log").fetchall() == [(total,)]


# --- Dagster instance configuration and the graph -----------------------------------------------------


def test_repo_dagster_yaml_sets_telemetry_off_and_one_writer(tmp_path, monkeypatch):
    from pipelines.definitions import defs
    from pipelines.defs.resources import WRITER_POOL

    settings = yaml.safe_load((REPO / ".dagster_home" / "dagster.yaml").read_text())
    assert settings["telemetry"] == {"enabled": False}
    monkeypatch.setenv("DAGSTER_HOME", str(_dagster_home(tmp_path)))
    with dg.DagsterInstance.get() as instance:
        pools = instance.get_concurrency_config().pool_config
        assert pools.default_pool_limit == 1 and pools.pool_granularity.value == "op"
        assert Path(instance.storage_directory()).is_relative_to(tmp_path / "dagster_home")

    graph = defs().resolve_asset_graph()
    pools_by_key = {key: graph.get(key).pools for key in graph.materializable_asset_keys}
    writers = [dg.AssetKey("curated_events"), dg.AssetKey("epoch_models"), dg.AssetKey("snapshot"), dg.AssetKey(["core", "models"]), dg.AssetKey(["marts", "releases_monthly"])]
    assert all(pools_by_key[key] == {WRITER_POOL} for key in writers), pools_by_key
    sources = [key for key in graph.materializable_asset_keys if graph.get(key).group_name == "sources"]
    assert all(pools_by_key[key] == {WRITER_POOL} for key in sources), "every source appends, so every source is a writer"


def test_dagster_state_stays_out_of_git():
    if shutil.which("git") is None or not (REPO / ".git").exists():
        pytest.skip("not a git checkout")

    def ignored(path: str) -> bool:
        return subprocess.run(["git", "check-ignore", "-q", "--no-index", path], cwd=REPO, check=False).returncode == 0

    assert not ignored(".dagster_home/dagster.yaml")
    for state in (".dagster_home/storage/runs.db", ".dagster_home/history/runs.db", ".dagster_home/schedules/schedules.db", ".dagster_home/logs/event.log", ".dagster_home/.nux/nux.yaml", ".dagster_home/.telemetry/id.yaml"):
        assert ignored(state), state


def test_airace_run_executes_the_graph_the_ui_shows_minus_partitioned_assets():
    from pipelines.definitions import defs
    from pipelines.defs.jobs import BUILD_JOB_NAME, LAKE_DAILY_JOB_NAME
    from pipelines.defs.operations.assets import LOG_BY_RECORD_DAY

    definitions = defs()
    graph = definitions.resolve_asset_graph()
    job = definitions.resolve_job_def(BUILD_JOB_NAME)
    unpartitioned = {key for key in graph.materializable_asset_keys if not graph.get(key).is_partitioned}
    assert set(job.asset_layer.executable_asset_keys) == unpartitioned
    assert {dg.AssetKey(["events", "log"]), dg.AssetKey(["core", "models"]), dg.AssetKey(["marts", "releases_monthly"]), dg.AssetKey("snapshot")} <= unpartitioned
    assert LOG_BY_RECORD_DAY in graph.materializable_asset_keys and LOG_BY_RECORD_DAY not in unpartitioned
    assert dg.AssetCheckKey(dg.AssetKey(["events", "log"]), "hash_chain_verifies") in job.asset_layer.asset_graph.asset_check_keys
    lake = definitions.resolve_job_def(LAKE_DAILY_JOB_NAME)
    assert set(lake.asset_layer.executable_asset_keys) == {LOG_BY_RECORD_DAY} and lake.partitions_def is not None
    assert "airace_lake_daily_schedule" in {s.name for s in definitions.schedules}


def test_daily_lake_partitions_backfill(store, append, tmp_path):
    from pipelines.definitions import defs
    from pipelines.defs.jobs import LAKE_DAILY_JOB_NAME

    utc = dt.UTC
    append(_batch("day1", 3), at=dt.datetime(2025, 3, 1, 0, 0, tzinfo=utc))
    append(_batch("day1b", 2), at=dt.datetime(2025, 3, 1, 23, 59, 59, tzinfo=utc))
    append(_batch("day2", 4), at=dt.datetime(2025, 3, 2, 12, tzinfo=utc))
    append(_batch("day4", 1), at=dt.datetime(2025, 3, 4, 0, 0, tzinfo=utc))
    refresh_and_publish(store)
    lake = tmp_path / "lake"
    job = defs().resolve_job_def(LAKE_DAILY_JOB_NAME)
    config = {"ops": {"lake__log_by_record_day": {"config": {"lake_dir": str(lake)}}}}

    # A backfill of four days as Dagster runs it for a single-run backfill policy: one run, a range.
    result = job.execute_in_process(
        run_config=config,
        instance=dg.DagsterInstance.ephemeral(),
        tags={"dagster/asset_partition_range_start": "2025-03-01", "dagster/asset_partition_range_end": "2025-03-04"},
    )
    assert result.success
    days = lake / "events" / "log_by_record_day"
    assert sorted(p.name for p in days.iterdir()) == ["record_day=2025-03-01", "record_day=2025-03-02", "record_day=2025-03-04"]
    back = pl.scan_parquet(days, hive_partitioning=True).collect().sort("position")
    assert back.group_by("record_day").len().sort("record_day")["len"].to_list() == [5, 4, 1]
    with open_snapshot(store.home) as con:
        log = con.sql("select * replace (payload::varchar as payload) from events.log order by position").pl()
    assert back.drop("record_day").equals(log)

    # One partition again (as the daily schedule runs it): same file, same rows.
    before = pl.read_parquet(days / "record_day=2025-03-02")
    again = job.execute_in_process(run_config=config, partition_key="2025-03-02", instance=dg.DagsterInstance.ephemeral())
    assert again.success
    assert pl.read_parquet(days / "record_day=2025-03-02").equals(before) and before.height == 4
