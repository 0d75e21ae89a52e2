"""Each source's coverage is checked for recency where operators look: one warning check
per source on core.source_coverage, in a real Dagster run of the graph."""

import datetime as dt

import dagster as dg

from pipelines.definitions import defs
from pipelines.defs.jobs import BUILD_JOB_NAME
from pipelines.defs.warehouse.coverage import SOURCE_COVERAGE, coverage_age_days, coverage_check_name
from pipelines.sources.registry import graph_registry
from tests.conftest import launch


def _days_ago(days: int) -> str:
    return (dt.datetime.now(dt.UTC).date() - dt.timedelta(days=days)).isoformat()


def _coverage_checks(result: dg.ExecuteInProcessResult) -> dict[str, dg.AssetCheckEvaluation]:
    evaluations = [e.event_specific_data for e in result.all_events if e.event_type_value == "ASSET_CHECK_EVALUATION"]
    return {e.check_name: e for e in evaluations if e.asset_key == SOURCE_COVERAGE}


def test_every_source_that_sets_a_maximum_age_has_a_coverage_check():
    checked = {s.name for s in graph_registry().sources if s.coverage_max_age_days is not None}
    assert {"curated", "epoch-ai", "epoch-eci", "lab-feeds"} <= checked
    keys = defs().resolve_asset_graph().asset_check_keys
    assert {dg.AssetCheckKey(SOURCE_COVERAGE, coverage_check_name(s)) for s in checked} <= keys


def test_a_source_whose_newest_event_is_too_old_warns_and_a_recent_one_passes(append):
    # curated: 90 days allowed, newest event 10 days old; lab-feeds: 30 allowed, newest 45 days old;
    # epoch-ai: nothing in the log at all.
    append([launch("Recent", _days_ago(200), source="curated"), launch("Newest", _days_ago(10), source="curated")],
           source="curated")
    append([launch("Quiet", _days_ago(45), source="lab-feeds")], source="lab-feeds")
    job = defs().resolve_job_def(BUILD_JOB_NAME)
    keys = [k for k in job.asset_layer.executable_asset_keys if k.path[0] in {"events", "core", "marts"}]
    result = job.execute_in_process(instance=dg.DagsterInstance.ephemeral(), asset_selection=keys)
    assert result.success, "a stale source warns; it does not fail the build"

    checks = _coverage_checks(result)
    curated, feeds, epoch = checks["coverage_fresh_curated"], checks["coverage_fresh_lab_feeds"], checks["coverage_fresh_epoch_ai"]
    assert curated.passed and curated.metadata["age_days"].value == 10
    assert not feeds.passed and feeds.metadata["age_days"].value == 45 and feeds.metadata["max_age_days"].value == 30
    assert feeds.severity == dg.AssetCheckSeverity.WARN
    assert not epoch.passed and epoch.metadata["newest_event_date"].value.startswith("none")


def test_coverage_age_counts_days_to_today_and_knows_no_event():
    assert coverage_age_days(dt.date(2026, 1, 1), dt.date(2026, 3, 2)) == 60
    assert coverage_age_days(None, dt.date(2026, 3, 2)) is None
