import dagster as dg

from pipelines.defs.feeds.reporting import LiveConfig, run_registry_source
from pipelines.defs.resources import WRITER_POOL, WarehouseResource
from pipelines.sources.feeds import ingest_feed_source
from pipelines.sources.registry import FeedSource, asset_name, graph_registry


def feed_asset(source: FeedSource) -> dg.AssetsDefinition:
    """One asset per feed source of the registry, so each succeeds or fails on its own."""
    lab = any(f.organization for f in source.feeds)

    @dg.asset(
        key=asset_name(source.name),
        group_name="sources",
        pool=WRITER_POOL,
        kinds={"duckdb", "rss"},
        tags={"airace/source": source.name, "airace/transport": "http"},
        description=(
            f"{source.description} Registry source {source.name!r}: "
            + ", ".join(f.url for f in source.feeds)
            + ". Each item lands in raw.documents (for the article extractor)"
            + ("; an item a lab's own feed announces unambiguously ('Introducing GPT-5') becomes "
               "model.launched / product.released." if lab else "; no events (news sites).")
            + " Offline (the default, `airace run`): the bundled feed files; live: the daily schedule."
        ),
    )
    def _feed(context: dg.AssetExecutionContext, config: LiveConfig, warehouse: WarehouseResource):
        return run_registry_source(context, config, warehouse, source.name, ingest_feed_source)

    return _feed


@dg.definitions
def defs() -> dg.Definitions:
    return dg.Definitions(assets=[feed_asset(s) for s in graph_registry().of_kind("feed", enabled_only=False)])
