"""The one factory of source assets and schedules: both are derived from the registry
(pipelines/sources/sources.toml + the user's override) and the source kinds
(pipelines/sources/kind.py). Every registry source of a runner-backed kind is one asset
whose body is `run_source`; every HTTP source with a `schedule` gets a daily schedule
of the `http_sources` job. The inbox is not a runner kind (a sensor hands each dropped
file to the one append path): its asset, job and sensor are in pipelines/defs/inbox."""


import datetime as dt
import os

import dagster as dg
from pydantic import Field

from pipelines.defs.resources import WRITER_POOL, WarehouseResource
from pipelines.sources.kind import SourceError, kind_of
from pipelines.sources.registry import Registry, SourceEntry, SourceReport, asset_name, load_registry
from pipelines.sources.runner import run_source

HTTP_JOB_NAME = "http_sources"
# Schedules start stopped: on a laptop `make ui` should not begin fetching the web on its
# own. A server that should run them sets AIRACE_SCHEDULES=on for `dagster dev` / the
# daemon (or an operator switches each on in the UI; Dagster remembers that choice).
SCHEDULES_ENV = "AIRACE_SCHEDULES"


def schedule_default_status() -> dg.DefaultScheduleStatus:
    on = os.environ.get(SCHEDULES_ENV, "").strip().lower() in {"1", "on", "true", "yes"}
    return dg.DefaultScheduleStatus.RUNNING if on else dg.DefaultScheduleStatus.STOPPED

class LiveConfig(dg.Config):
    live: bool = Field(
        default=False,
        description="False (the default, what `airace run` uses): the source's bundled offline data, "
        "no network. True (what the daily schedule sends): fetch the registry's URLs, unless AIRACE_OFFLINE=1.",
    )
    location: str = Field(
        default="",
        description="Empty: the registry's locations. A URL (fetched with a conditional GET when `live`) or a "
        "path, for a source that reads one named by hand (the Epoch tables: a .zip, .csv or .csv.gz of the table).",
    )


def _outcomes_table(report: SourceReport) -> str:
    lines = ["| location | status | bytes | error |", "| --- | --- | --- | --- |"]
    for o in report.outcomes:
        error = (o.error or "").replace("|", "/").replace("\n", " ")[:200]
        lines.append(f"| {o.location} | {o.status} | {o.bytes} | {error} |")
    return "\n".join(lines)


def report_metadata(report: SourceReport) -> dict[str, dg.MetadataValue]:
    statuses = sorted({o.status for o in report.outcomes})
    return {
        "mode": dg.MetadataValue.text(report.mode),
        "http_status": dg.MetadataValue.text(", ".join(statuses) or "none"),
        "fetched_bytes": dg.MetadataValue.int(report.fetched_bytes),
        "records_read": dg.MetadataValue.int(report.read),
        "appended": dg.MetadataValue.int(report.appended),
        "duplicate": dg.MetadataValue.int(report.duplicate),
        "quarantined": dg.MetadataValue.int(report.quarantined),
        "documents_new": dg.MetadataValue.int(report.documents_new),
        "failed_locations": dg.MetadataValue.int(len(report.failures)),
        "fetches": dg.MetadataValue.md(_outcomes_table(report)),
        "ingest_run_id": dg.MetadataValue.text(report.ingest_run_id or "none"),
    }


def source_result(context: dg.AssetExecutionContext, report: SourceReport) -> dg.MaterializeResult:
    """The materialization; a dg.Failure (after what did succeed was appended) when any
    location failed, so the UI shows the source red with the reason, and the others
    in the same run carry on."""
    metadata = report_metadata(report)
    if report.failures:
        reasons = "; ".join(
            o.error if o.error and o.error.startswith(o.location) else f"{o.location}: {o.error}" for o in report.failures
        )
        raise dg.Failure(
            description=f"{report.source}: {len(report.failures)} of {len(report.outcomes)} location(s) failed "
            f"({reasons}). What the others delivered was appended ({report.appended} new events).",
            metadata=metadata,
        )
    context.log.info(f"{report.source} ({report.mode}): {report.appended} appended, {report.duplicate} duplicate, "
                     f"{report.quarantined} quarantined, {report.documents_new} new documents")
    return dg.MaterializeResult(metadata=metadata)


def disabled_result(name: str) -> dg.MaterializeResult:
    return dg.MaterializeResult(metadata={"mode": dg.MetadataValue.text("disabled"),
                                          "note": dg.MetadataValue.text(f"{name} is disabled in the registry")})


def run_registry_source(context: dg.AssetExecutionContext, config: LiveConfig, warehouse: WarehouseResource,
                        name: str) -> dg.MaterializeResult:
    """The body of every runner-backed source asset: read the source's current entry
    (the user's override included), skip it when disabled, run it, report."""
    store = warehouse.store()
    current = load_registry(store.home).get(name)
    if not current.enabled:
        return disabled_result(name)
    locations = None
    if config.location:
        kind = kind_of(current)
        try:
            locations = [kind.given_location(current, config.location)] if kind is not None else None
        except SourceError as exc:
            raise dg.Failure(description=f"{name}: {exc}") from None
    report = run_source(store, current, live=config.live, run_id=f"{context.run.run_id}:{name}", locations=locations)
    return source_result(context, report)


def source_asset(entry: SourceEntry) -> dg.AssetsDefinition:
    """One asset per registry source, so each succeeds or fails on its own."""
    kind = kind_of(entry)
    if kind is None:
        raise ValueError(f"source {entry.name!r}: kind {entry.kind!r} is not built on the runner")
    name = entry.name

    @dg.asset(
        key=kind.asset_key(entry),
        group_name="sources",
        pool=WRITER_POOL,
        kinds={"duckdb", *kind.formats},
        tags={"airace/source": name, "airace/transport": kind.transport},
        description=kind.describe(entry),
    )
    def _source(context: dg.AssetExecutionContext, config: LiveConfig, warehouse: WarehouseResource):
        return run_registry_source(context, config, warehouse, name)

    return _source


def source_key(entry: SourceEntry) -> dg.AssetKey | None:
    """A registry source's asset key; None for the inbox (its asset is pipelines/defs/inbox's)."""
    kind = kind_of(entry)
    return dg.AssetKey(kind.asset_key(entry)) if kind is not None else None


def http_source_keys(registry: Registry) -> dict[str, dg.AssetKey]:
    """Registry source name -> its asset, for every HTTP source of the registry."""
    return {s.name: dg.AssetKey(kind.asset_key(s)) for s in registry.sources
            if (kind := kind_of(s)) is not None and kind.transport == "http"}


def source_assets(registry: Registry) -> list[dg.AssetsDefinition]:
    return [source_asset(s) for s in registry.sources if kind_of(s) is not None]


def live_run_request(source_name: str, key: dg.AssetKey, day: dt.date) -> dg.RunRequest:
    """One source, live, once per day: the run_key makes a re-evaluated tick a no-op."""
    return dg.RunRequest(
        run_key=f"{source_name}:{day.isoformat()}",
        asset_selection=[key],
        run_config={"ops": {key.to_python_identifier(): {"config": {"live": True}}}},
        tags={"airace/source": source_name},
    )


def source_schedule(source_name: str, key: dg.AssetKey, cron: str) -> dg.ScheduleDefinition:
    @dg.schedule(
        name=f"{asset_name(source_name)}_daily",
        cron_schedule=cron,
        job_name=HTTP_JOB_NAME,
        execution_timezone="UTC",
        default_status=schedule_default_status(),
        description=f"Fetch {source_name} live ({cron} UTC); then warehouse_refresh publishes what landed.",
    )
    def _tick(context: dg.ScheduleEvaluationContext):
        moment = context.scheduled_execution_time or dt.datetime.now(dt.UTC)
        return live_run_request(source_name, key, moment.astimezone(dt.UTC).date())

    return _tick


def source_schedules(registry: Registry) -> list[dg.ScheduleDefinition]:
    keys = http_source_keys(registry)
    return [source_schedule(s.name, keys[s.name], s.schedule) for s in registry.sources if s.name in keys and s.schedule]


def http_sources_job(registry: Registry):
    return dg.define_asset_job(
        HTTP_JOB_NAME,
        selection=dg.AssetSelection.assets(*http_source_keys(registry).values()),
        description="Fetch the HTTP sources live (each its own step; one failing does not stop the others).",
    )
