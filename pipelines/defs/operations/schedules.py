import dagster as dg

from pipelines.defs.jobs import lake_daily
from pipelines.defs.schedules import schedule_default_status

# Shortly after midnight UTC, yesterday's record day is complete: write it.
lake_daily_schedule = dg.build_schedule_from_partitioned_job(
    lake_daily, hour_of_day=0, minute_of_hour=30, default_status=schedule_default_status()
)
