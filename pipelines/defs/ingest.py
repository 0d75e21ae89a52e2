"""What every source asset reports after appending to the log."""

from __future__ import annotations

import dagster as dg

from warehouse import IngestResult


def ingest_materialization(result: IngestResult, **extra: dg.RawMetadataValue) -> dg.MaterializeResult:
    return dg.MaterializeResult(
        metadata={
            "records_read": dg.MetadataValue.int(result.read),
            "appended": dg.MetadataValue.int(result.appended),
            "duplicate": dg.MetadataValue.int(result.duplicate),
            "quarantined": dg.MetadataValue.int(result.quarantined),
            "head_hash": dg.MetadataValue.text(result.head_hash),
            "ingest_run_id": dg.MetadataValue.text(result.run_id),
            **extra,
        }
    )
