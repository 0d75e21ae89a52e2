import dagster as dg

# The whole graph: every source, the log and its chain check, projections, marts,
# the snapshot. `airace run` executes exactly this job; the UI shows the same one.
BUILD_JOB_NAME = "airace_build"

build_everything = dg.define_asset_job(
    BUILD_JOB_NAME,
    selection=dg.AssetSelection.all(),
    description="Ingest every source, verify the log, rebuild projections and marts, publish the snapshot.",
)
