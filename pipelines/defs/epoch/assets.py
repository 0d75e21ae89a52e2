import dagster as dg
from pydantic import Field

from pipelines.defs.ingest import ingest_materialization
from pipelines.defs.resources import WRITER_POOL, WarehouseResource
from pipelines.defs.sources.factory import EPOCH_ASSET_KEYS
from pipelines.sources import epoch, epoch_eci
from pipelines.sources.epoch import EpochTable
from pipelines.sources.http import fetch_and_land
from pipelines.sources.registry import choose_mode, load_registry

# Each Epoch table's asset (its registry entry, kind epoch_csv, has the table's source name).
ASSET_KEYS = EPOCH_ASSET_KEYS


class EpochConfig(dg.Config):
    location: str = Field(
        default="",
        description="Empty: the registry's source (its offline_default, the bundled snapshot, "
        f"unless `live`). A URL such as {epoch.LIVE_URL} is fetched with a conditional GET; "
        "a path is read from disk.",
    )
    live: bool = Field(
        default=False,
        description="With no location: fetch the registry's URL instead of the offline default "
        "(the daily schedule sets this; AIRACE_OFFLINE=1 overrides it).",
    )


def ingest_epoch_table(context: dg.AssetExecutionContext, config: EpochConfig, warehouse: WarehouseResource,
                       table: EpochTable) -> dg.MaterializeResult:
    """Reconcile one snapshot of `table` with the log; where it reads from comes from the
    source registry (pipelines/sources/sources.toml): offline by default, live on the schedule."""
    store = warehouse.store()
    run_id = f"{context.run.run_id}:{table.source_name}"
    location = config.location
    if not location:
        source = load_registry(store.home).get(table.source_name)
        if choose_mode(config.live) == "live":
            location = source.urls[0]
        else:
            offline = source.offline_path()
            location = str(offline) if offline else ""
    if not location:
        return dg.MaterializeResult(metadata={"mode": "offline", "note": "no offline default: skipped"})
    if location.startswith(("http://", "https://")):
        policy = load_registry(store.home).get(table.source_name).fetch.policy()
        landed = fetch_and_land(store, table.source_name, location, policy=policy)
        fetched = {"http_status": dg.MetadataValue.int(landed.status),
                   "fetched_bytes": dg.MetadataValue.int(landed.bytes),
                   "location": dg.MetadataValue.url(location)}
        if landed.content is None:
            return dg.MaterializeResult(metadata={**fetched, "appended": 0})
        result = epoch.ingest_snapshot(store, landed.content, run_id=run_id, table=table)
        return ingest_materialization(result, **fetched, raw_sha256=dg.MetadataValue.text(landed.sha256 or ""))
    result = epoch.ingest_location(store, location, run_id=run_id, table=table)
    return ingest_materialization(result, location=dg.MetadataValue.text(location))


@dg.asset(key=ASSET_KEYS[epoch.SOURCE_NAME], group_name="sources", pool=WRITER_POOL, kinds={"duckdb", "csv"},
          tags={"airace/transport": "http"})
def epoch_models(context: dg.AssetExecutionContext, config: EpochConfig, warehouse: WarehouseResource):
    """Epoch AI's Notable AI Models table (CC BY 4.0, https://epoch.ai/data/ai-models) as
    model.launched events. Each snapshot is reconciled with the log: new rows are
    launches, changed rows corrections, vanished rows retractions; a snapshot seen
    before adds nothing. Registry entry 'epoch-ai'."""
    return ingest_epoch_table(context, config, warehouse, epoch.MODELS)


@dg.asset(key=ASSET_KEYS[epoch_eci.SOURCE_NAME], group_name="sources", pool=WRITER_POOL, kinds={"duckdb", "csv"},
          tags={"airace/transport": "http"})
def epoch_capabilities(context: dg.AssetExecutionContext, config: EpochConfig, warehouse: WarehouseResource):
    """Epoch AI's Capabilities Index (ECI, CC BY 4.0, https://epoch.ai/benchmarks/eci) as
    capability.scored events, one per model version. A re-fit of the index becomes one
    correction per changed version, a new version a new event, a vanished one a
    retraction. Registry entry 'epoch-eci'."""
    return ingest_epoch_table(context, config, warehouse, epoch_eci.CAPABILITIES)
