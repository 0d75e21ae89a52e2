from collections.abc import Set as AbstractSet

import dagster as dg
from dagster_shared.record import record

from pipelines.defs.operations.assets import PARTITIONED_TAG

# The whole graph: every source, the log and its chain check, projections, marts,
# the snapshot. `airace run` executes exactly this job; the UI shows the same one.
BUILD_JOB_NAME = "airace_build"
LAKE_DAILY_JOB_NAME = "airace_lake_daily"


@record
class UnpartitionedAssets(dg.AssetSelection):
    """Every materializable asset without a partitions definition.

    A run of the build has no partition key, and Dagster refuses a partitioned
    asset in a run without one; selecting by the property itself (not by a list
    or a tag) keeps partitioned assets other issues add out of the build too.
    """

    def resolve_inner(self, asset_graph, allow_missing: bool) -> AbstractSet[dg.AssetKey]:
        return {key for key in asset_graph.materializable_asset_keys if not asset_graph.get(key).is_partitioned}


build_everything = dg.define_asset_job(
    BUILD_JOB_NAME,
    selection=UnpartitionedAssets(),
    description="Ingest every source, verify the log, rebuild projections and marts, publish the snapshot.",
)

# The daily lake partitions; backfills and the daily schedule run this job.
lake_daily = dg.define_asset_job(
    LAKE_DAILY_JOB_NAME,
    selection=dg.AssetSelection.tag(*PARTITIONED_TAG),
    description="Write one record day of events.log to the Parquet lake (needs a partition key).",
)
