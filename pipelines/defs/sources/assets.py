import dagster as dg

from pipelines.defs.sources.factory import source_assets
from pipelines.sources.registry import graph_registry


@dg.definitions
def defs() -> dg.Definitions:
    """One asset per registry source of a runner-backed kind (pipelines/sources/kind.py)."""
    return dg.Definitions(assets=source_assets(graph_registry()))
