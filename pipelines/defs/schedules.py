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

import datetime as dt
import os

import dagster as dg

from pipelines.defs.epoch.assets import ASSET_KEYS as EPOCH_ASSETS
from pipelines.defs.warehouse.assets import EVENT_LOG
from pipelines.sources.registry import asset_name, graph_registry

# Schedules start stopped: on a laptop `make ui` should not begin fetching the web on its
# own. A server that should run them sets AIRACE_SCHEDULES=on for `dagster dev` / the
# daemon (or an operator switches each on in the UI; Dagster remembers that choice).
SCHEDULES_ENV = "AIRACE_SCHEDULES"


def schedule_default_status() -> dg.DefaultScheduleStatus:
    on = os.environ.get(SCHEDULES_ENV, "").strip().lower() in {"1", "on", "true", "yes"}
    return dg.DefaultScheduleStatus.RUNNING if on else dg.DefaultScheduleStatus.STOPPED


HTTP_JOB_NAME = "http_sources"
REFRESH_JOB_NAME = "warehouse_refresh"
# What follows the log on every build: the chain check, projections, marts, the snapshot.
# Restricted to those groups so that partitioned assets elsewhere downstream (e.g. the
# daily lake export, which has its own schedule) stay out of this unpartitioned job.
AFTER_THE_LOG = dg.AssetSelection.assets(EVENT_LOG).downstream() & dg.AssetSelection.groups(
    "log", "core", "marts", "publish"
)


def http_source_keys() -> dict[str, dg.AssetKey]:
    """Registry source name -> its asset, for every HTTP source of the registry."""
    keys: dict[str, dg.AssetKey] = {}
    for source in graph_registry().sources:
        if source.kind == "epoch_csv":
            keys[source.name] = EPOCH_ASSETS[source.name]
        elif source.kind == "feed":
            keys[source.name] = dg.AssetKey(asset_name(source.name))
        elif source.kind == "hf_hub":
            keys[source.name] = dg.AssetKey(asset_name(source.name))
    return keys


http_sources_job = dg.define_asset_job(
    HTTP_JOB_NAME,
    selection=dg.AssetSelection.assets(*http_source_keys().values()),
    description="Fetch the HTTP sources live (each its own step; one failing does not stop the others).",
)

warehouse_refresh_job = dg.define_asset_job(
    REFRESH_JOB_NAME,
    selection=AFTER_THE_LOG,
    description="Verify the log, rebuild projections and marts, publish the snapshot (no source is read).",
)


def live_run_request(source_name: str, key: dg.AssetKey, day: dt.date) -> dg.RunRequest:
    """One source, live, once per day: the run_key makes a re-evaluated tick a no-op."""
    return dg.RunRequest(
        run_key=f"{source_name}:{day.isoformat()}",
        asset_selection=[key],
        run_config={"ops": {key.to_python_identifier(): {"config": {"live": True}}}},
        tags={"airace/source": source_name},
    )


def _schedule(source_name: str, key: dg.AssetKey, cron: str) -> dg.ScheduleDefinition:
    @dg.schedule(
        name=f"{asset_name(source_name)}_daily",
        cron_schedule=cron,
        job=http_sources_job,
        execution_timezone="UTC",
        default_status=schedule_default_status(),
        description=f"Fetch {source_name} live ({cron} UTC); then warehouse_refresh publishes what landed.",
    )
    def _tick(context: dg.ScheduleEvaluationContext):
        moment = context.scheduled_execution_time or dt.datetime.now(dt.UTC)
        return live_run_request(source_name, key, moment.astimezone(dt.UTC).date())

    return _tick


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
    keys = http_source_keys()
    schedules = [
        _schedule(source.name, keys[source.name], source.schedule)
        for source in graph_registry().sources
        if source.name in keys and source.schedule
    ]
    # With a @dg.definitions function in the module, the defs loader takes only what it returns.
    return dg.Definitions(
        jobs=[http_sources_job, warehouse_refresh_job],
        schedules=schedules,
        sensors=[refresh_after_http_sources, refresh_after_failed_http_sources],
    )
