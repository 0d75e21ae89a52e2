import dagster as dg

from pipelines.defs.ingest import ingest_materialization
from pipelines.defs.resources import WRITER_POOL, WarehouseResource
from pipelines.sources.curated import CURATED_EVENTS, SOURCE_NAME, ingest_curated


@dg.asset(group_name="sources", pool=WRITER_POOL, kinds={"duckdb", "jsonl"})
def curated_events(context: dg.AssetExecutionContext, warehouse: WarehouseResource) -> dg.MaterializeResult:
    """Hand-curated events shipped with airace (warehouse/bundled/curated_events.jsonl):
    allegations, policy changes, product releases and launches Epoch AI's table lacks,
    each with its source URL. Reconciled with events.log as a full snapshot: an edited
    line becomes a correction, a removed line a retraction; re-running adds nothing."""
    result = ingest_curated(warehouse.store(), run_id=f"{context.run.run_id}:{SOURCE_NAME}")
    return ingest_materialization(result, file=dg.MetadataValue.path(str(CURATED_EVENTS)))
