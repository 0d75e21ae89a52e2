"""The whole Dagster definitions object: its shape, and real runs of the graph."""

import os
import subprocess
import sys
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from pipelines.definitions import defs
from pipelines.defs.jobs import BUILD_JOB_NAME
from pipelines.defs.operations.assets import LOG_BY_RECORD_DAY
from pipelines.defs.resources import WRITER_POOL
from pipelines.defs.warehouse.assets import CHAIN_CHECK, EVENT_LOG

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def definitions() -> dg.Definitions:
    return defs()


def _graph(definitions):
    graph = definitions.resolve_asset_graph()
    return {
        key.to_user_string(): sorted(parent.to_user_string() for parent in graph.get(key).parent_keys)
        for key in graph.get_all_asset_keys()
    }


EXPECTED_ASSETS = {
    "curated_events", "epoch_models", "epoch_capabilities", "inbox_files", "lab_feeds", "news_feeds", "hf_hub",
    "events/log", "extract/feed_candidates",
    "core/allegations", "core/model_conflicts", "core/model_identity", "core/models", "core/organizations", "core/policies", "core/products",
    "core/source_coverage", "core/capability_scores", "core/capability_unlinked", "core/model_capability",
    "marts/allegations_network", "marts/catch_up_lag", "marts/catch_up_lag_yearly", "marts/concentration",
    "marts/frontier_timeline", "marts/policy_velocity", "marts/release_cadence", "marts/release_cadence_yearly",
    "marts/releases_monthly", "marts/releases_monthly_by_country", "marts/releases_yearly_by_group",
    "marts/capability_frontier", "marts/capability_gap", "marts/capability_gap_yearly",
    "snapshot", "lake/log_by_record_day",
}  # fmt: skip


def test_the_definitions_are_exactly_what_we_meant(definitions):
    """Catches accidental graph changes: update these lists deliberately when the graph changes."""
    assert set(_graph(definitions)) == EXPECTED_ASSETS
    assert {j.name for j in definitions.resolve_all_job_defs()} - {"__ASSET_JOB"} == {
        "airace_build", "airace_lake_daily", "http_sources", "inbox_ingest", "warehouse_refresh",
    }  # fmt: skip
    assert {s.name for s in definitions.schedules} == {
        "airace_lake_daily_schedule", "epoch_ai_daily", "epoch_eci_daily", "hf_hub_daily", "lab_feeds_daily", "news_feeds_daily",
    }  # fmt: skip
    assert {s.name for s in definitions.sensors} == {
        "inbox_sensor", "refresh_after_failed_http_sources", "refresh_after_http_sources", "source_freshness_sensor",
    }  # fmt: skip


def test_the_asset_graph_is_what_we_meant(definitions):
    """The edges that matter: sources -> log -> core -> marts -> snapshot; each table drawn
    from the tables its SQL reads (warehouse.projections.lineage), so lineage says something."""
    graph = _graph(definitions)
    core = ["core/allegations", "core/model_conflicts", "core/model_identity", "core/models", "core/organizations", "core/policies", "core/products",
            "core/source_coverage", "core/capability_scores", "core/capability_unlinked", "core/model_capability"]
    # (each core table's own upstream is checked in tests/test_lineage.py; here: the log feeds them)
    for table in core:
        assert "events/log" in graph[table] or set(graph[table]) & set(core), table
    assert graph["core/model_conflicts"] == ["core/models", "events/log"]
    assert set(graph["events/log"]) == {
        "curated_events", "epoch_models", "epoch_capabilities", "inbox_files", "lab_feeds", "news_feeds", "hf_hub",
    }  # fmt: skip
    assert graph["marts/releases_monthly"] == ["core/models", "core/organizations", "core/source_coverage"]
    assert graph["marts/policy_velocity"] == ["core/policies"]
    assert graph["marts/catch_up_lag_yearly"] == ["core/models", "marts/catch_up_lag"]
    assert set(graph["snapshot"]) >= set(core) | {"marts/releases_monthly"}
    checks = {(k.asset_key.to_user_string(), k.name) for k in definitions.resolve_asset_graph().asset_check_keys}
    assert ("events/log", CHAIN_CHECK) in checks
    # Every mart is checked non-empty, the lag marts for negative lags, every source for freshness.
    marts = {key for key in graph if key.startswith("marts/")}
    assert {(mart, "non_empty") for mart in marts} <= checks
    assert {("marts/catch_up_lag", "no_negative_lag"), ("marts/catch_up_lag_yearly", "no_negative_lag")} <= checks
    assert {(source, "freshness_check") for source in graph["events/log"]} <= checks


def test_assets_have_owners_and_kinds(definitions):
    graph = definitions.resolve_asset_graph()
    for key in graph.get_all_asset_keys():
        node = graph.get(key)
        assert node.owners, f"{key.to_user_string()} has no owner"
        assert node.kinds, f"{key.to_user_string()} has no kind"


def test_every_writing_asset_is_in_the_writer_pool(definitions):
    graph = definitions.resolve_asset_graph()
    # The chain check reads the live log; the daily lake partitions read the snapshot.
    readers_only = {EVENT_LOG, LOG_BY_RECORD_DAY}
    for key in graph.get_all_asset_keys():
        node = graph.get(key)
        if key in readers_only or node.is_external:
            continue
        assert node.pools == {WRITER_POOL} or WRITER_POOL in (node.pools or set()), f"{key} is not in {WRITER_POOL}"


def test_the_build_job_runs_the_graph_and_is_idempotent(home, definitions):
    job = definitions.resolve_job_def(BUILD_JOB_NAME)
    first = job.execute_in_process(instance=dg.DagsterInstance.ephemeral())
    assert first.success
    with duckdb.connect(str(home.snapshot_db), read_only=True) as con:
        events = con.execute("select count(*) from events.log").fetchall()[0][0]
        assert events >= 1200
        assert con.execute("select count(*) from core.models").fetchall()[0][0] >= 900
    second = job.execute_in_process(instance=dg.DagsterInstance.ephemeral())
    assert second.success
    with duckdb.connect(str(home.snapshot_db), read_only=True) as con:
        assert con.execute("select count(*) from events.log").fetchall()[0][0] == events
        runs = con.execute(
            "select sum(appended) from events.ingest_runs where run_id like ? || ':%'", [second.run_id]
        ).fetchall()
    assert runs == [(0,)]
    log_materialization = first.asset_materializations_for_node("events__log")[0]
    assert log_materialization.metadata["head_hash"].value


def test_a_tampered_log_fails_the_blocking_check_and_stops_downstream(home, definitions):
    job = definitions.resolve_job_def(BUILD_JOB_NAME)
    assert job.execute_in_process(instance=dg.DagsterInstance.ephemeral()).success
    snapshot_before = home.snapshot_db.read_bytes()
    with duckdb.connect(str(home.live_db)) as con:
        con.execute("update events.log set payload = json_object('model', 'forged') where position = 7")
    result = job.execute_in_process(instance=dg.DagsterInstance.ephemeral(), raise_on_error=False)
    evaluations = [
        e.event_specific_data
        for e in result.all_events
        if e.event_type_value == "ASSET_CHECK_EVALUATION"
    ]
    chain = [e for e in evaluations if e.check_name == CHAIN_CHECK]
    assert chain and not chain[0].passed
    assert chain[0].metadata["first_bad_position"].value == 7
    assert not result.success
    # The snapshot analysts read was not replaced by a build from a broken log.
    assert home.snapshot_db.read_bytes() == snapshot_before


def test_dg_check_defs_passes():
    env = {k: v for k, v in os.environ.items() if k != "VIRTUAL_ENV"}
    completed = subprocess.run(
        [str(Path(sys.executable).parent / "dg"), "check", "defs"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
    )
    assert completed.returncode == 0, completed.stdout + completed.stderr
    assert "All definitions loaded successfully" in completed.stdout + completed.stderr
