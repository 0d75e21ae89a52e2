import dagster as dg

from pipelines.defs.operations.assets import PARTITIONED_TAG

# The whole graph: every source, the log and its chain check, projections, marts,
# the snapshot. `airace run` executes exactly this job; the UI shows the same one.
BUILD_JOB_NAME = "airace_build"
LAKE_DAILY_JOB_NAME = "airace_lake_daily"

# A build has no partition key and Dagster refuses a partitioned asset in such a run,
# so partitioned assets carry PARTITIONED_TAG and stay out of it
# (tests/test_operations.py fails if one without the tag slips in).
PARTITIONED_ASSETS = dg.AssetSelection.tag(*PARTITIONED_TAG)

build_everything = dg.define_asset_job(
    BUILD_JOB_NAME,
    selection=dg.AssetSelection.all() - PARTITIONED_ASSETS,
    description="Ingest every source, verify the log, rebuild projections and marts, publish the snapshot.",
)

# The daily lake partitions; backfills and the daily schedule run this job.
lake_daily = dg.define_asset_job(
    LAKE_DAILY_JOB_NAME,
    selection=PARTITIONED_ASSETS,
    description="Write one record day of events.log to the Parquet lake (needs a partition key).",
)
