"""Epoch AI's Capabilities Index (ECI, CC BY 4.0) as capability.scored events.

ECI puts models on one general-capability scale stitched from dozens of benchmarks
(https://epoch.ai/benchmarks/eci). A row is a model *version* ("gpt-5-2025-08-07_high":
one reasoning effort, API date stamp or host of a model); several versions share a
"Model name". The table arrives like the models table (pipelines/sources/epoch.py:
the kind epoch_csv, run by the one runner; the reading, the limits and the
reconciliation are shared): bundled
(warehouse/bundled/epoch_capabilities_index.csv.gz), live in Epoch's benchmark zip
(https://epoch.ai/data/benchmark_data.zip, member epoch_capabilities_index.csv), or a file.

Epoch re-fits the whole index when it adds benchmarks or models, so a newer download
changes the scores of hundreds of rows: each is a revision of what Epoch said, which
the reconciliation turns into an event.corrected of that version's event (the version
is the natural key); a version that disappears is retracted.

Empty cells are unknown, never 0: a version without a score yet is kept (score absent).
A version without a release date still needs a valid time: it gets the day its
snapshot was seen (the bundled one: the day Epoch published it), and a later snapshot
that still has no date keeps that day rather than correcting it every time.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import warehouse
from pipelines.sources.epoch import ACCESS, COUNTRY_CODES, EpochTable, _number, _split

SOURCE_NAME = "epoch-eci"
INDEX_NAME = "ECI"
LIVE_URL = "https://epoch.ai/data/benchmark_data.zip"
ZIP_MEMBER = "epoch_capabilities_index.csv"
ECI_PAGE = "https://epoch.ai/benchmarks/eci"
BUNDLED_SNAPSHOT = Path(warehouse.__file__).resolve().parent / "bundled" / "epoch_capabilities_index.csv.gz"
# The bundled snapshot is Epoch's table as published on this day (EPOCH_README.md).
BUNDLED_PUBLISHED = dt.date(2026, 2, 22)
REQUIRED_COLUMNS = ("Model version", "ECI Score", "Release date", "Organization", "Country", "Model name")


def _text(cell: str | None) -> str | None:
    return (cell or "").strip() or None


def row_to_record(row: dict[str, Any], seen_on: dt.date) -> dict[str, Any]:
    """One ECI row -> one capability.scored input record (validated later by schemas).

    A cell that cannot be read as what it should be (a score that is not a number) is
    passed on as it is, so the record is quarantined with the reason rather than the
    cell silently dropped."""
    score_cell = _text(row.get("ECI Score"))
    score, unreadable_score = _number(score_cell)
    compute, _ = _number(row.get("Training compute (FLOP)"))
    accessibility = _text(row.get("Model accessibility"))
    access, open_weights = ACCESS.get(accessibility or "", (None, None))
    release = _text(row.get("Release date"))
    payload = {
        "index": INDEX_NAME,
        "model_version": row.get("Model version"),
        "model": _text(row.get("Model name")),
        "display_name": _text(row.get("Display name")),
        "score": score_cell if unreadable_score is not None else score,
        "release_date": release,
        "organizations": _split(row.get("Organization")),
        "countries": [COUNTRY_CODES.get(name, name) for name in _split(row.get("Country"))],
        "access": access,
        "access_detail": accessibility,
        "open_weights": open_weights,
        "training_compute_flop": compute if compute is not None else _text(row.get("Training compute (FLOP)")),
        "confidence": _text(row.get("Confidence")),
        "description": _text(row.get("Description")),
    }
    return {
        "event_type": "capability.scored",
        "schema_version": 1,
        # The release date when Epoch gives one; else the day the snapshot was seen.
        "occurred_at": release or seen_on.isoformat(),
        "occurred_precision": "day",
        "source": SOURCE_NAME,
        "source_url": ECI_PAGE,
        "source_ref": row.get("Model version"),
        "payload": {key: value for key, value in payload.items() if value is not None},
    }


CAPABILITIES = EpochTable(
    source_name=SOURCE_NAME,
    asset_name="epoch_capabilities",
    zip_member=ZIP_MEMBER,
    bundled=BUNDLED_SNAPSHOT,
    required_columns=REQUIRED_COLUMNS,
    label_column="Model version",
    to_record=row_to_record,
    description="Epoch AI's Capabilities Index (ECI, CC BY 4.0, https://epoch.ai/benchmarks/eci) as "
    "capability.scored events, one per model version. A re-fit of the index becomes one correction per "
    "changed version, a new version a new event, a vanished one a retraction.",
    undated_field="release_date",
    bundled_published=BUNDLED_PUBLISHED,
)
