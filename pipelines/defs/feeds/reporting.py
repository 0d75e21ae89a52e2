"""What an HTTP source asset shows in the UI, and how it fails."""

from __future__ import annotations

import dagster as dg
from pydantic import Field

from pipelines.defs.resources import WarehouseResource
from pipelines.sources.registry import SourceReport, load_registry


class LiveConfig(dg.Config):
    live: bool = Field(
        default=False,
        description="False (the default, what `airace run` uses): the source's bundled offline data, "
        "no network. True (what the daily schedule sends): fetch the registry's URLs, unless AIRACE_OFFLINE=1.",
    )


def _outcomes_table(report: SourceReport) -> str:
    lines = ["| location | status | bytes | error |", "| --- | --- | --- | --- |"]
    for o in report.outcomes:
        error = (o.error or "").replace("|", "/").replace("\n", " ")[:200]
        lines.append(f"| {o.location} | {o.status} | {o.bytes} | {error} |")
    return "\n".join(lines)


def report_metadata(report: SourceReport) -> dict[str, dg.RawMetadataValue]:
    statuses = sorted({o.status for o in report.outcomes})
    return {
        "mode": dg.MetadataValue.text(report.mode),
        "http_status": dg.MetadataValue.text(", ".join(statuses) or "none"),
        "fetched_bytes": dg.MetadataValue.int(report.fetched_bytes),
        "records_read": dg.MetadataValue.int(report.read),
        "appended": dg.MetadataValue.int(report.appended),
        "duplicate": dg.MetadataValue.int(report.duplicate),
        "quarantined": dg.MetadataValue.int(report.quarantined),
        "documents_new": dg.MetadataValue.int(report.documents_new),
        "failed_locations": dg.MetadataValue.int(len(report.failures)),
        "fetches": dg.MetadataValue.md(_outcomes_table(report)),
        "ingest_run_id": dg.MetadataValue.text(report.ingest_run_id or "none"),
    }


def source_result(context: dg.AssetExecutionContext, report: SourceReport) -> dg.MaterializeResult:
    """The materialization; a dg.Failure (after what did succeed was appended) when any
    location failed, so the UI shows the source red with the reason, and the others
    in the same run carry on."""
    metadata = report_metadata(report)
    if report.failures:
        reasons = "; ".join(
            o.error if o.error and o.error.startswith(o.location) else f"{o.location}: {o.error}" for o in report.failures
        )
        raise dg.Failure(
            description=f"{report.source}: {len(report.failures)} of {len(report.outcomes)} location(s) failed "
            f"({reasons}). What the others delivered was appended ({report.appended} new events).",
            metadata=metadata,
        )
    context.log.info(f"{report.source} ({report.mode}): {report.appended} appended, {report.duplicate} duplicate, "
                     f"{report.quarantined} quarantined, {report.documents_new} new documents")
    return dg.MaterializeResult(metadata=metadata)


def disabled_result(name: str) -> dg.MaterializeResult:
    return dg.MaterializeResult(metadata={"mode": dg.MetadataValue.text("disabled"),
                                          "note": dg.MetadataValue.text(f"{name} is disabled in the registry")})


def run_registry_source(
    context: dg.AssetExecutionContext, config: LiveConfig, warehouse: WarehouseResource, name: str, ingest
) -> dg.MaterializeResult:
    """The body every registry HTTP source asset shares: read the source's current entry
    (the user's override included), skip it when disabled, ingest, report."""
    store = warehouse.store()
    current = load_registry(store.home).get(name)
    if not current.enabled:
        return disabled_result(name)
    report = ingest(store, current, live=config.live, run_id=f"{context.run.run_id}:{name}")
    return source_result(context, report)
