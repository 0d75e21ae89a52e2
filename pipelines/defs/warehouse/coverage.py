"""Is each source's coverage recent? One asset check per source on core.source_coverage.

A source whose newest event date is older than its `coverage_max_age_days`
(sources.toml) has stopped covering the race: an Epoch table downloaded long ago, a
curated file nobody extended, a feed that went quiet. Marts already mark the months
past every source's coverage as incomplete; this check says it where an operator
looks, per source, as a warning (the data is still true, just not recent).
"""

from __future__ import annotations

import datetime as dt

import dagster as dg
import duckdb

from pipelines.sources.registry import asset_name, graph_registry

SOURCE_COVERAGE = dg.AssetKey(["core", "source_coverage"])


def coverage_check_name(source: str) -> str:
    return f"coverage_fresh_{asset_name(source)}"


def _checked_sources() -> dict[str, int]:
    """Source name -> its maximum coverage age in days, for the sources that set one."""
    return {s.name: s.coverage_max_age_days for s in graph_registry().sources if s.coverage_max_age_days is not None}


def coverage_check_specs() -> list[dg.AssetCheckSpec]:
    return [
        dg.AssetCheckSpec(
            coverage_check_name(source), asset=SOURCE_COVERAGE,
            description=f"The newest event date {source} gives is at most {days} days old (sources.toml: coverage_max_age_days).",
        )
        for source, days in _checked_sources().items()
    ]


def coverage_age_days(last_on: dt.date | None, today: dt.date) -> int | None:
    """Days from a source's newest event date to today; None when it gave no event."""
    return None if last_on is None else (today - last_on).days


def coverage_check_results(con: duckdb.DuckDBPyConnection, today: dt.date) -> list[dg.AssetCheckResult]:
    """One result per checked source, read from core.source_coverage as just refreshed."""
    rows = {
        source: (last_on, complete_through)
        for source, last_on, complete_through in con.execute(
            "select source, last_on, complete_through from core.source_coverage"
        ).fetchall()
    }
    results = []
    for source, max_age in _checked_sources().items():
        last_on, complete_through = rows.get(source, (None, None))
        age = coverage_age_days(last_on, today)
        results.append(
            dg.AssetCheckResult(
                asset_key=SOURCE_COVERAGE,
                check_name=coverage_check_name(source),
                passed=age is not None and age <= max_age,
                severity=dg.AssetCheckSeverity.WARN,
                metadata={
                    "newest_event_date": str(last_on) if last_on else "none: no event from this source in the log",
                    "age_days": age if age is not None else -1,
                    "max_age_days": max_age,
                    "complete_through": str(complete_through) if complete_through else "never (a selection)",
                },
            )
        )
    return results
