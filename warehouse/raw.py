"""Raw landing: every fetched payload is kept as it arrived, with its content hash.

Files go to `<home>/raw/<source>/<sha256>`; `raw.fetches` records each fetch
(including 304s), so a later ingest can be replayed from disk without the
network, and the next fetch can be conditional (ETag / Last-Modified).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

import duckdb

from warehouse.home import WarehouseHome

RAW_DDL = """
create schema if not exists raw;
create table if not exists raw.fetches (
    source        varchar not null,
    url           varchar not null,
    fetched_at    timestamptz not null,
    http_status   integer not null,
    sha256        varchar,
    bytes         bigint,
    etag          varchar,
    last_modified varchar,
    path          varchar
);
"""


@dataclass(frozen=True)
class Validators:
    """What the last successful fetch of a URL returned, for a conditional GET."""

    etag: str | None
    last_modified: str | None
    sha256: str | None
    path: str | None


def ensure_raw_schema(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(RAW_DDL)


def last_validators(con: duckdb.DuckDBPyConnection, url: str) -> Validators | None:
    ensure_raw_schema(con)
    rows = con.execute(
        """select etag, last_modified, sha256, path from raw.fetches
           where url = ? and http_status = 200 order by fetched_at desc limit 1""",
        [url],
    ).fetchall()
    return Validators(*rows[0]) if rows else None


def land(home: WarehouseHome, source: str, content: bytes) -> tuple[str, Path]:
    """Write the payload under its content hash (once; identical payloads share a file)."""
    digest = hashlib.sha256(content).hexdigest()
    folder = home.raw_dir / source
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / digest
    if not path.exists():
        partial = path.with_name(digest + ".partial")
        partial.write_bytes(content)
        os.replace(partial, path)
    return digest, path


def record_fetch(
    con: duckdb.DuckDBPyConnection,
    *,
    source: str,
    url: str,
    http_status: int,
    sha256: str | None = None,
    size: int | None = None,
    etag: str | None = None,
    last_modified: str | None = None,
    path: Path | None = None,
) -> None:
    ensure_raw_schema(con)
    con.execute(
        "insert into raw.fetches values (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [source, url, dt.datetime.now(dt.UTC), http_status, sha256, size, etag, last_modified, str(path) if path else None],
    )
