import dagster as dg

from pipelines.defs.feeds.reporting import LiveConfig, run_registry_source
from pipelines.defs.resources import WRITER_POOL, WarehouseResource
from pipelines.sources.hf_hub import ingest_hub_source
from pipelines.sources.registry import HubSource, asset_name, graph_registry


def hub_asset(source: HubSource) -> dg.AssetsDefinition:
    """One asset per hub source of the registry."""

    @dg.asset(
        key=asset_name(source.name),
        group_name="sources",
        pool=WRITER_POOL,
        kinds={"duckdb", "json"},
        tags={"airace/source": source.name, "airace/transport": "http"},
        description=(
            f"{source.description} Registry source {source.name!r}: {source.api_url}?author=ORG&sort=createdAt "
            "(newest first, pages via the Link header) for "
            + ", ".join(f"{a} -> {o}" for a, o in source.authors.items())
            + ". One open-weight model.launched per repository, dated by createdAt. Offline (`airace run`): "
            + ("the bundled listing pages." if source.offline_default else "skipped (nothing bundled).")
        ),
    )
    def _hub(context: dg.AssetExecutionContext, config: LiveConfig, warehouse: WarehouseResource):
        return run_registry_source(context, config, warehouse, source.name, ingest_hub_source)

    return _hub


@dg.definitions
def defs() -> dg.Definitions:
    return dg.Definitions(assets=[hub_asset(s) for s in graph_registry().of_kind("hf_hub", enabled_only=False)])
