import datetime as dt
import warnings
from pathlib import Path

import dagster as dg

import pipelines.defs
from pipelines.defs.schedules import schedule_default_status

# Who answers for what, shown in the UI: the sources (fetching, upstream formats) and the
# warehouse (log, projections, marts, snapshot, lake).
SOURCES_GROUP = "sources"
OWNERS = {SOURCES_GROUP: ["team:sources"]}
DEFAULT_OWNERS = ["team:warehouse"]
# Every source has a daily schedule (sources.toml); a source not updated for two days
# has missed one: its freshness check warns.
SOURCE_FRESHNESS = dt.timedelta(days=2)


def _with_owners(spec: dg.AssetSpec) -> dg.AssetSpec:
    return spec.replace_attributes(owners=OWNERS.get(spec.group_name or "", DEFAULT_OWNERS))


@dg.definitions
def defs() -> dg.Definitions:
    """Everything under pipelines/defs/: sources, the log, projections, marts, the snapshot;
    plus a freshness check on each source (whatever sources the folder defines)."""
    # load_defs reads the package itself, so an installed wheel (no pyproject.toml
    # beside it) loads the same definitions as the checkout.
    with warnings.catch_warnings():
        # (map_resolved_asset_specs is "preview" and the last-update checks "superseded" by
        # FreshnessPolicy, which is not an asset check: warnings an operator cannot act on)
        warnings.simplefilter("ignore", dg.PreviewWarning)
        warnings.simplefilter("ignore", dg.SupersessionWarning)
        # (load_defs is marked deprecated in favour of load_from_defs_folder, which needs
        # the project's pyproject.toml: an installed wheel has none)
        warnings.simplefilter("ignore", DeprecationWarning)
        # (project_root named, not looked up: it would search for a pyproject.toml)
        root = Path(pipelines.__file__).resolve().parent.parent
        loaded = dg.load_defs(defs_root=pipelines.defs, project_root=root).map_resolved_asset_specs(func=_with_owners)
        sources = [spec.key for spec in loaded.resolve_all_asset_specs() if spec.group_name == SOURCES_GROUP]
        freshness = dg.build_last_update_freshness_checks(assets=sources, lower_bound_delta=SOURCE_FRESHNESS)
        # Between builds, a sensor evaluates them; like the schedules, on with AIRACE_SCHEDULES=on
        # (a build evaluates them anyway).
        on = schedule_default_status() == dg.DefaultScheduleStatus.RUNNING
        evaluate = dg.build_sensor_for_freshness_checks(
            freshness_checks=freshness,
            name="source_freshness_sensor",
            default_status=dg.DefaultSensorStatus.RUNNING if on else dg.DefaultSensorStatus.STOPPED,
        )
    return dg.Definitions.merge(loaded, dg.Definitions(asset_checks=freshness, sensors=[evaluate]))
