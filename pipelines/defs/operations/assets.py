import datetime as dt
import warnings
from pathlib import Path

import dagster as dg
from pydantic import Field

from pipelines.defs.resources import WarehouseResource
from warehouse.publishing.export import export_record_day

# Record days, UTC: the day an event was appended. Past days never change
# (record time only moves forward), so each partition is final once its day is
# over, and a backfill of any range gives the same files whenever it runs.
RECORD_DAYS = dg.DailyPartitionsDefinition(start_date="2025-01-01", timezone="UTC")
LOG_BY_RECORD_DAY = dg.AssetKey(["lake", "log_by_record_day"])
PARTITIONED_TAG = ("airace/partitioned", "daily")


class LakeConfig(dg.Config):
    lake_dir: str = Field(
        default="",
        description="Root of the Parquet lake; empty: the `lake` folder of the warehouse home ($AIRACE_HOME/lake).",
    )


def _log_by_record_day(context: dg.AssetExecutionContext, config: LakeConfig, warehouse: WarehouseResource):
    """Daily Parquet partitions of events.log by record day (the UTC day each event was
    appended), read from the analysts' snapshot: lake/events/log_by_record_day/record_day=YYYY-MM-DD/.
    A day with no appends has no folder. Backfill a range to (re)build the lake's history;
    the daily schedule adds yesterday's partition."""
    home = warehouse.store().home
    lake_dir = Path(config.lake_dir) if config.lake_dir else home.root / "lake"
    rows_by_day: dict[str, int] = {}
    for key in context.partition_keys:
        partition, rows, _ = export_record_day(home, lake_dir, dt.date.fromisoformat(key))
        rows_by_day[key] = rows
        context.log.info(f"record day {key}: {rows} events -> {partition if rows else 'no partition'}")
    return dg.MaterializeResult(
        metadata={
            "dagster/row_count": dg.MetadataValue.int(sum(rows_by_day.values())),
            "days": dg.MetadataValue.int(len(rows_by_day)),
            "days_with_events": dg.MetadataValue.int(sum(1 for rows in rows_by_day.values() if rows)),
            "lake_dir": dg.MetadataValue.path(str(lake_dir)),
        }
    )


with warnings.catch_warnings():
    # BackfillPolicy is beta in dagster 1.13; its warning, printed on every `airace run`,
    # tells an operator nothing to act on.
    warnings.simplefilter("ignore", dg.BetaWarning)
    log_by_record_day = dg.asset(
        key=LOG_BY_RECORD_DAY,
        deps=[dg.AssetKey(["snapshot"])],
        partitions_def=RECORD_DAYS,
        # A backfill of a year is one run writing 365 small files, not 365 runs that
        # each start a process and open the snapshot.
        backfill_policy=dg.BackfillPolicy.single_run(),
        group_name="lake",
        kinds={"parquet", "duckdb"},
        # Reads the published snapshot only, so it takes no writer slot: a backfill
        # runs while a build writes. jobs.py keeps it out of airace_build (no partition there).
        tags=dict([PARTITIONED_TAG]),
    )(_log_by_record_day)
