"""Epoch AI's tables (CC BY 4.0) as events: one `EpochTable` (a mapping) per table.

The "Notable AI Models" table (this module, source `epoch-ai`) gives model.launched
events; the Capabilities Index (pipelines/sources/epoch_eci.py, source `epoch-eci`)
gives capability.scored events. Both are registry sources of the kind `epoch_csv`
(`EpochTableKind`, below), run by the one runner (pipelines/sources/runner.py) like
every source: the snapshot bundled with airace offline, Epoch's live zip with a
conditional GET (landed raw), or a file or URL named on the command line
(`airace ingest --source epoch-eci PATH_OR_URL`); .csv, .csv.gz or .zip, told apart
by content. What is particular to them is here: the size and zip-bomb limits, and
the mapping of each row; each payload is the whole table, reconciled with the log
as a snapshot (changed rows become corrections, vanished ones retractions).

What the table is like (see warehouse/bundled/EPOCH_README.md): quoted newlines,
comma-separated Organization and Country lists that need not pair up, empty
cells meaning unknown (never 0), numbers written as floats.
"""

from __future__ import annotations

import datetime as dt
import gzip
import hashlib
import io
import re
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import polars as pl

import warehouse
from pipelines.sources.kind import Location, Parsed, SourceError, SourceKind, register_kind
from pipelines.sources.registry import EpochSource
from warehouse.log.store import RawRecord

SOURCE_NAME = "epoch-ai"
LIVE_URL = "https://epoch.ai/data/ai_models.zip"
ZIP_MEMBER = "notable_ai_models.csv"
EPOCH_PAGE = "https://epoch.ai/data/ai-models"
BUNDLED_SNAPSHOT = Path(warehouse.__file__).resolve().parent / "bundled" / "epoch_notable_ai_models.csv.gz"
MAX_TABLE_BYTES = 100 * 1024 * 1024
REQUIRED_COLUMNS = ("Model", "Organization", "Publication date", "Country (of organization)")

# Epoch writes long-form country names; events carry ISO 3166-1 alpha-2 codes.
COUNTRY_CODES = {
    "United States of America": "US",
    "China": "CN",
    "United Kingdom of Great Britain and Northern Ireland": "GB",
    "Canada": "CA",
    "France": "FR",
    "Germany": "DE",
    "Japan": "JP",
    "Korea (Republic of)": "KR",
    "Israel": "IL",
    "Switzerland": "CH",
    "India": "IN",
    "Singapore": "SG",
    "United Arab Emirates": "AE",
    "Saudi Arabia": "SA",
    "Hong Kong": "HK",
    "Taiwan": "TW",
    "Russia": "RU",
    "Netherlands": "NL",
    "Australia": "AU",
    "Spain": "ES",
    "Italy": "IT",
    "Sweden": "SE",
    "Finland": "FI",
    "Norway": "NO",
    "Denmark": "DK",
    "Austria": "AT",
    "Belgium": "BE",
    "Czechia": "CZ",
    "Poland": "PL",
    "Ireland": "IE",
    "Croatia": "HR",
    "Malaysia": "MY",
    "Argentina": "AR",
    "Iran (Islamic Republic of)": "IR",
    "Multinational": "INT",
}

ACCESS = {
    "Open weights (unrestricted)": ("open_weights", True),
    "Open weights (restricted use)": ("open_weights", True),
    "Open weights (non-commercial)": ("open_weights", True),
    "API access": ("api", False),
    "Hosted access (no API)": ("hosted", False),
    "Unreleased": ("unreleased", False),
}


class SnapshotError(SourceError):
    """The input is not a readable Epoch table; nothing is ingested from it."""


@dataclass(frozen=True)
class EpochTable:
    """One Epoch table and its mapping to events."""

    source_name: str
    asset_name: str  # its Dagster asset
    zip_member: str  # its member in Epoch's live zip
    bundled: Path  # the offline default, gzip
    required_columns: tuple[str, ...]
    label_column: str  # the column that names a row in record references
    # One row (and the day the snapshot was seen, for rows that carry no date) -> one record.
    to_record: Callable[[dict[str, Any], dt.date], dict[str, Any]]
    description: str  # its asset's, in the Dagster UI
    # The payload field holding a row's own date when the envelope's occurred_at can be
    # a stand-in (the day seen) for rows without one: reconciling keeps the logged day.
    undated_field: str | None = None
    # The day the bundled snapshot was published (the stand-in date of its undated rows).
    bundled_published: dt.date | None = None


def _read_zip_member(data: bytes, *, zip_member: str, max_bytes: int) -> bytes:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile as exc:
        raise SnapshotError(f"not a zip archive: {exc}") from None
    with archive:
        names = [info.filename for info in archive.infolist()]
        member = next((info for info in archive.infolist() if info.filename.rsplit("/", 1)[-1] == zip_member), None)
        if member is None:
            raise SnapshotError(f"the zip holds no {zip_member} (members: {', '.join(names[:10])})")
        if member.file_size > max_bytes:
            raise SnapshotError(
                f"zip member {member.filename} declares {member.file_size} bytes, over the limit of {max_bytes}"
            )
        # The declared size can lie (a crafted zip bomb): count what actually comes out.
        out, size = io.BytesIO(), 0
        with archive.open(member) as handle:
            while chunk := handle.read(1 << 20):
                size += len(chunk)
                if size > max_bytes:
                    raise SnapshotError(f"zip member {member.filename} expands past the limit of {max_bytes} bytes")
                out.write(chunk)
        return out.getvalue()


def _gunzip(data: bytes, *, max_bytes: int) -> bytes:
    out, size = io.BytesIO(), 0
    with gzip.GzipFile(fileobj=io.BytesIO(data)) as handle:
        while chunk := handle.read(1 << 20):
            size += len(chunk)
            if size > max_bytes:
                raise SnapshotError(f"gzip expands past the limit of {max_bytes} bytes")
            out.write(chunk)
    return out.getvalue()


def table_bytes(data: bytes, *, max_bytes: int = MAX_TABLE_BYTES, zip_member: str = ZIP_MEMBER) -> bytes:
    """The CSV bytes of a snapshot given as CSV, gzip or zip (detected by content, not name)."""
    if data[:4] == b"PK\x03\x04":
        return _read_zip_member(data, zip_member=zip_member, max_bytes=max_bytes)
    if data[:2] == b"\x1f\x8b":
        return _gunzip(data, max_bytes=max_bytes)
    if len(data) > max_bytes:
        raise SnapshotError(f"table of {len(data)} bytes is over the limit of {max_bytes}")
    return data


def read_table(csv_bytes: bytes, table: EpochTable | None = None) -> list[dict[str, str | None]]:
    table = table or MODELS
    try:
        frame = pl.read_csv(io.BytesIO(csv_bytes), infer_schema=False, encoding="utf8-lossy")
    except (pl.exceptions.PolarsError, UnicodeDecodeError) as exc:
        raise SnapshotError(f"not a readable CSV: {exc}") from None
    missing = [column for column in table.required_columns if column not in frame.columns]
    if missing:
        raise SnapshotError(f"not an Epoch {table.zip_member} table: missing column(s) {', '.join(missing)}")
    return frame.to_dicts()


def _split(cell: str | None) -> list[str]:
    if not cell:
        return []
    return [part.strip() for part in cell.split(",") if part.strip()]


def _number(cell: str | None) -> tuple[float | None, str | None]:
    """A cell as a number; (None, note) when it holds something else (e.g. two values)."""
    if cell is None or not cell.strip():
        return None, None
    try:
        return float(cell), None
    except ValueError:
        return None, cell.strip()


def _first_url(cell: str | None) -> str | None:
    for token in re.split(r"\s+", cell or ""):
        if token.startswith(("http://", "https://")):
            return token.rstrip(",;")
    return None


def row_to_record(row: dict[str, Any]) -> dict[str, Any]:
    """One table row -> one model.launched input record (validated later by schemas)."""
    notes = []
    numbers = {}
    for field, column in (
        ("parameters", "Parameters"),
        ("training_compute_flop", "Training compute (FLOP)"),
        ("training_dataset_size", "Training dataset size (gradients)"),
    ):
        value, unreadable = _number(row.get(column))
        numbers[field] = value
        if unreadable is not None:
            notes.append(f"{column} given as {unreadable!r}, not one number: left unknown")
    accessibility = (row.get("Model accessibility") or "").strip()
    access, open_weights = ACCESS.get(accessibility, (None, None))
    if accessibility and access is None:
        notes.append(f"Model accessibility {accessibility!r} not recognised")
    countries = [COUNTRY_CODES.get(name, name) for name in _split(row.get("Country (of organization)"))]
    frontier = (row.get("Frontier model") or "").strip().lower()
    payload = {
        "model": row.get("Model"),
        "organizations": _split(row.get("Organization")),
        "countries": countries,
        "open_weights": open_weights,
        "access": access,
        "access_detail": accessibility or None,
        **numbers,
        "domains": _split(row.get("Domain")),
        "tasks": _split(row.get("Task")),
        # Epoch writes True or nothing: nothing means "not flagged", which we keep as unknown.
        "frontier": True if frontier == "true" else None,
        "notability": _split(row.get("Notability criteria")),
        "base_model": (row.get("Base model") or "").strip() or None,
        "hardware": (row.get("Training hardware") or "").strip()[:300] or None,
        "notes": "; ".join(notes) or None,
    }
    return {
        "event_type": "model.launched",
        "schema_version": 2,
        "occurred_at": (row.get("Publication date") or "").strip(),
        "occurred_precision": "day",
        "source": SOURCE_NAME,
        "source_url": _first_url(row.get("Link")) or EPOCH_PAGE,
        "source_ref": row.get("Model"),
        "payload": payload,
    }


MODELS = EpochTable(
    source_name=SOURCE_NAME,
    asset_name="epoch_models",
    zip_member=ZIP_MEMBER,
    bundled=BUNDLED_SNAPSHOT,
    required_columns=REQUIRED_COLUMNS,
    label_column="Model",
    to_record=lambda row, _seen_on: row_to_record(row),
    description="Epoch AI's Notable AI Models table (CC BY 4.0, https://epoch.ai/data/ai-models) as "
    "model.launched events. Each snapshot is reconciled with the log: new rows are launches, changed rows "
    "corrections, vanished rows retractions; a snapshot seen before adds nothing.",
)


def epoch_tables() -> dict[str, EpochTable]:
    """Every Epoch table airace reads, by its source name (registry kind epoch_csv)."""
    from pipelines.sources import epoch_eci

    return {table.source_name: table for table in (MODELS, epoch_eci.CAPABILITIES)}


def snapshot_records(csv_bytes: bytes, table: EpochTable, *, seen_on: dt.date) -> Iterator[RawRecord]:
    """Every row of a table's CSV as a raw record, referenced by its row number and label."""
    rows = read_table(csv_bytes, table)
    for number, row in enumerate(rows, start=2):
        yield RawRecord(f"{table.zip_member} row {number} ({row.get(table.label_column)!r})", table.to_record(row, seen_on))


def _seen_on(table: EpochTable, content: bytes) -> dt.date:
    """The day a snapshot was seen, the stand-in date of its undated rows: today, unless the
    payload is the bundled snapshot itself (offline, or that file named on the command line),
    which was seen on the day Epoch published it."""
    bundled = table.bundled
    if (table.bundled_published is not None and bundled.is_file() and len(content) == bundled.stat().st_size
            and content == bundled.read_bytes()):
        return table.bundled_published
    return dt.datetime.now(dt.UTC).date()


@register_kind
class EpochTableKind(SourceKind):
    """An Epoch table as a full snapshot; which table is the entry's name (see `epoch_tables`)."""

    name = "epoch_csv"
    entry = EpochSource
    snapshot = True
    formats = frozenset({"csv"})

    def table(self, entry: EpochSource) -> EpochTable:
        tables = epoch_tables()
        if entry.name not in tables:
            raise SourceError(f"source {entry.name!r}: kind epoch_csv reads the Epoch tables {', '.join(tables)} only")
        return tables[entry.name]

    def asset_key(self, entry: EpochSource) -> list[str]:
        return [self.table(entry).asset_name]

    def locations(self, entry: EpochSource) -> list[Location]:
        # The first URL only: each is the whole table, and a snapshot is one table.
        url, offline = entry.urls[0], entry.offline_path()
        return [Location(ref=url, url=url, offline=(offline,) if offline else ())]

    def given_location(self, entry: EpochSource, text: str) -> Location:
        if text.startswith(("http://", "https://")):
            return Location(ref=text, url=text)
        path = Path(text).expanduser()
        if not path.is_file():
            raise SnapshotError(f"{text}: no such file")
        return Location(ref=text, offline=(path,))

    def parse(self, entry: EpochSource, location: Location, content: bytes, page: int) -> Parsed:
        table = self.table(entry)
        csv_bytes = table_bytes(content, zip_member=table.zip_member)
        records = tuple(snapshot_records(csv_bytes, table, seen_on=_seen_on(table, content)))
        # The CSV's digest, not the payload's: the same table zipped or gzipped is the same snapshot.
        return Parsed(records=records, digest=hashlib.sha256(csv_bytes).hexdigest())

    def undated_field(self, entry: EpochSource) -> str | None:
        return self.table(entry).undated_field

    def describe(self, entry: EpochSource) -> str:
        return f"{self.table(entry).description} Registry source {entry.name!r} (kind {self.name})."
