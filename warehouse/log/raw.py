"""Raw landing: every fetched payload is kept as it arrived, with its content hash.

Files go to `<home>/raw/<source>/<sha256>`; `raw.fetches` records each fetch
(including 304s), so a later ingest can be replayed from disk without the
network, and the next fetch can be conditional (ETag / Last-Modified).

`raw.documents` keeps the text documents a source delivered (feed items today),
one row per distinct content, for the article extractor to read later.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pyarrow as pa

from warehouse.home import WarehouseHome
from warehouse.log.staging import insert_from_arrow

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
create table if not exists raw.documents (
    source        varchar not null,
    url           varchar,
    title         varchar,
    published     timestamptz,
    text          varchar,
    -- sha256 of the document's canonical content: the same item seen again lands once
    sha256        varchar not null,
    feed_url      varchar,
    item_id       varchar,
    -- the raw fetch (raw.fetches.sha256) the document came from
    fetch_sha256  varchar,
    landed_at     timestamptz not null
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


@dataclass(frozen=True)
class RawDocument:
    """A text document as a source delivered it (e.g. one feed item)."""

    source: str
    url: str | None
    title: str | None
    published: dt.datetime | None
    text: str
    feed_url: str | None = None
    item_id: str | None = None

    @property
    def sha256(self) -> str:
        identity = [self.url, self.title, self.published.isoformat() if self.published else None, self.text]
        return hashlib.sha256(json.dumps(identity, ensure_ascii=False).encode()).hexdigest()


def land_documents(
    con: duckdb.DuckDBPyConnection, documents: Iterable[RawDocument], *, fetch_sha256: str | None = None
) -> int:
    """Insert documents not already held (by source and content hash); returns how many were new."""
    ensure_raw_schema(con)
    rows: dict[tuple[str, str], RawDocument] = {}
    for doc in documents:
        rows.setdefault((doc.source, doc.sha256), doc)
    if not rows:
        return 0
    now = dt.datetime.now(dt.UTC)
    docs = list(rows.values())
    # Bulk through Arrow, like the event store (no executemany).
    table = pa.table(
        {
            "source": pa.array([d.source for d in docs], pa.string()),
            "url": pa.array([d.url for d in docs], pa.string()),
            "title": pa.array([d.title for d in docs], pa.string()),
            "published": pa.array([d.published for d in docs], pa.timestamp("us", tz="UTC")),
            "text": pa.array([d.text for d in docs], pa.string()),
            "sha256": pa.array([sha for _, sha in rows], pa.string()),
            "feed_url": pa.array([d.feed_url for d in docs], pa.string()),
            "item_id": pa.array([d.item_id for d in docs], pa.string()),
            "fetch_sha256": pa.array([fetch_sha256] * len(docs), pa.string()),
            "landed_at": pa.array([now] * len(docs), pa.timestamp("us", tz="UTC")),
        }
    )
    before = con.execute("select count(*) from raw.documents").fetchall()[0][0]
    insert_from_arrow(
        con, table, "_docs",
        """insert into raw.documents
           select d.* from _docs d anti join raw.documents r on r.source = d.source and r.sha256 = d.sha256""",
    )
    after = con.execute("select count(*) from raw.documents").fetchall()[0][0]
    return after - before
