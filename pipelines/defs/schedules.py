"""The daily schedules of the HTTP sources, and the refresh that follows them.

How a failing source does not stop the others:
  * each source is its own asset (its own step): in a Dagster run a failed step
    skips only the steps downstream of it, its siblings still run;
  * each source also has its own schedule and its own run (`http_sources` job,
    one asset selected per run request), so a source that hangs or fails never
    holds the others back;
  * the HTTP job selects the source assets only. Were events/log in it, one
    failed source would skip the log, projections and snapshot for everyone
    (Dagster skips a step when any upstream step failed). Instead the
    `refresh_after_http_sources` sensors start `warehouse_refresh` (the log's
    chain check, projections, marts, snapshot) after every HTTP run, whether it
    succeeded or failed, so what did land is always published.
"""

from __future__ import annotations

import dagster as dg

# (schedule_default_status is defined with the schedules it sets, in the factory; definitions.py
# and the lake schedule read it from here)
from pipelines.defs.sources.factory import SCHEDULES_ENV, schedule_default_status, source_schedules  # noqa: F401
from pipelines.defs.sources.factory import http_sources_job as http_sources_job_of
from pipelines.defs.warehouse.assets import EVENT_LOG
from pipelines.sources.registry import graph_registry

REFRESH_JOB_NAME = "warehouse_refresh"
# What follows the log on every build: the chain check, projections, marts, the snapshot.
# Restricted to those groups so that partitioned assets elsewhere downstream (e.g. the
# daily lake export, which has its own schedule) stay out of this unpartitioned job.
AFTER_THE_LOG = dg.AssetSelection.assets(EVENT_LOG).downstream() & dg.AssetSelection.groups(
    "log", "core", "marts", "publish"
)

http_sources_job = http_sources_job_of(graph_registry())

warehouse_refresh_job = dg.define_asset_job(
    REFRESH_JOB_NAME,
    selection=AFTER_THE_LOG,
    description="Verify the log, rebuild projections and marts, publish the snapshot (no source is read).",
)

def _refresh_request(context: dg.RunStatusSensorContext) -> dg.RunRequest:
    return dg.RunRequest(run_key=f"refresh-after:{context.dagster_run.run_id}")

@dg.run_status_sensor(
    run_status=dg.DagsterRunStatus.SUCCESS,
    name="refresh_after_http_sources",
    monitored_jobs=[http_sources_job],
    request_job=warehouse_refresh_job,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="After an HTTP source run succeeds: verify the log, rebuild, publish.",
)
def refresh_after_http_sources(context: dg.RunStatusSensorContext):
    return _refresh_request(context)

@dg.run_failure_sensor(
    name="refresh_after_failed_http_sources",
    monitored_jobs=[http_sources_job],
    request_job=warehouse_refresh_job,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="After an HTTP source run fails (some or all sources): publish what did land.",
)
def refresh_after_failed_http_sources(context: dg.RunFailureSensorContext):
    return _refresh_request(context)

@dg.definitions
def defs() -> dg.Definitions:
    schedules = source_schedules(graph_registry())
    # With a @dg.definitions function in the module, the defs loader takes only what it returns.
    return dg.Definitions(
        jobs=[http_sources_job, warehouse_refresh_job],
        schedules=schedules,
        sensors=[refresh_after_http_sources, refresh_after_failed_http_sources],
    )
