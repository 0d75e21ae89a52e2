import dagster as dg
from pydantic import Field

from pipelines.defs.ingest import ingest_materialization
from pipelines.defs.resources import WRITER_POOL, WarehouseResource
from pipelines.sources import epoch
from pipelines.sources.http import fetch_and_land
from pipelines.sources.registry import choose_mode, load_registry

REGISTRY_NAME = epoch.SOURCE_NAME  # the registry entry (kind epoch_csv) this asset reads


class EpochConfig(dg.Config):
    location: str = Field(
        default="",
        description="Empty: the registry's source 'epoch-ai' (its offline_default, the bundled snapshot, "
        "unless `live`). A URL such as "
        f"{epoch.LIVE_URL} is fetched with a conditional GET; a path is read from disk.",
    )
    live: bool = Field(
        default=False,
        description="With no location: fetch the registry's URL instead of the offline default "
        "(the daily schedule sets this; AIRACE_OFFLINE=1 overrides it).",
    )


@dg.asset(group_name="sources", pool=WRITER_POOL, kinds={"duckdb", "csv"}, tags={"airace/transport": "http"})
def epoch_models(context: dg.AssetExecutionContext, config: EpochConfig, warehouse: WarehouseResource):
    """Epoch AI's Notable AI Models table (CC BY 4.0, https://epoch.ai/data/ai-models) as
    model.launched events. Each snapshot is reconciled with the log: new rows are
    launches, changed rows corrections, vanished rows retractions; a snapshot seen
    before adds nothing. Where it reads from comes from the source registry
    (pipelines/sources/sources.toml, entry 'epoch-ai'): offline by default, live on the schedule."""
    store = warehouse.store()
    run_id = f"{context.run.run_id}:{epoch.SOURCE_NAME}"
    location = config.location
    if not location:
        source = load_registry(store.home).get(REGISTRY_NAME)
        if choose_mode(config.live) == "live":
            location = source.urls[0]
        else:
            offline = source.offline_path()
            location = str(offline) if offline else ""
    if not location:
        return dg.MaterializeResult(metadata={"mode": "offline", "note": "no offline default: skipped"})
    if location.startswith(("http://", "https://")):
        landed = fetch_and_land(store, epoch.SOURCE_NAME, location, policy=source_policy(store))
        fetched = {"http_status": dg.MetadataValue.int(landed.status),
                   "fetched_bytes": dg.MetadataValue.int(landed.bytes),
                   "location": dg.MetadataValue.url(location)}
        if landed.content is None:
            return dg.MaterializeResult(metadata={**fetched, "appended": 0})
        result = epoch.ingest_snapshot(store, landed.content, run_id=run_id)
        return ingest_materialization(result, **fetched, raw_sha256=dg.MetadataValue.text(landed.sha256 or ""))
    result = epoch.ingest_location(store, location, run_id=run_id)
    return ingest_materialization(result, location=dg.MetadataValue.text(location))


def source_policy(store):
    return load_registry(store.home).get(REGISTRY_NAME).fetch.policy()
