import dagster as dg
from pydantic import Field

from pipelines.defs.ingest import ingest_materialization
from pipelines.defs.resources import WRITER_POOL, WarehouseResource
from pipelines.sources import epoch


class EpochConfig(dg.Config):
    location: str = Field(
        default="",
        description="Empty: the snapshot bundled with airace (offline). A URL such as "
        f"{epoch.LIVE_URL} is fetched with a conditional GET; a path is read from disk.",
    )


@dg.asset(group_name="sources", pool=WRITER_POOL, kinds={"duckdb", "csv"})
def epoch_models(context: dg.AssetExecutionContext, config: EpochConfig, warehouse: WarehouseResource):
    """Epoch AI's Notable AI Models table (CC BY 4.0, https://epoch.ai/data/ai-models) as
    model.launched events. Each snapshot is reconciled with the log: new rows are
    launches, changed rows corrections, vanished rows retractions; a snapshot seen
    before adds nothing."""
    result = epoch.ingest_location(
        warehouse.store(), config.location or None, run_id=f"{context.run_id}:{epoch.SOURCE_NAME}"
    )
    location = config.location or str(epoch.BUNDLED_SNAPSHOT)
    if result is None:
        return dg.MaterializeResult(metadata={"http_status": 304, "location": location, "appended": 0})
    return ingest_materialization(result, location=dg.MetadataValue.text(location))
