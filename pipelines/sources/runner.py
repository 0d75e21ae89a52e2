"""The one runner every registry source kind goes through (see pipelines/sources/kind.py).

For each of the kind's locations: live, fetch it (pipelines/sources/http.py: the
registry's timeout, attempts, size cap, deadline and checked redirects; conditional
on the last fetch; landed raw) page by page as the kind's paginator says; offline,
read its bundled pages. Each payload is parsed by the kind; its documents land in
raw.documents, its records are appended through the warehouse's one append path
(`EventStore.append`), or reconciled as the source's full snapshot
(`EventStore.append_snapshot`) for a snapshot kind. The result is a SourceReport.
The locations are the kind's own (from its registry entry), or those a caller names
(`airace ingest --source NAME PATH_OR_URL`, through `SourceKind.given_location`).

A location that fails is an `error` outcome and does not stop the others; pages
it delivered before failing are kept (each is a true statement of what it showed).
A snapshot kind is reconciled only when every location delivered: a partial
snapshot would retract everything the missing part holds; one that looks truncated
is refused by the reconciliation (warehouse.log.reconcile.ReconcileError, raised).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import time
from collections.abc import Callable, Sequence
from dataclasses import replace

from pipelines.sources.http import FetchError, FetchPolicy, fetch_and_land
from pipelines.sources.kind import Location, Page, Parsed, SourceError, SourceKind, kind_of
from pipelines.sources.registry import Outcome, SourceEntry, SourceReport, choose_mode
from warehouse.log.raw import land_documents
from warehouse.log.store import EventStore, RawRecord


def _located(url: str, exc: Exception) -> str:
    message = str(exc)
    return message if message.startswith(url) else f"{url}: {message}"


class _Collected:
    """What the locations delivered so far, and the digest of every payload (a snapshot's input_sha256)."""

    def __init__(self) -> None:
        self.records: list[RawRecord] = []
        self.outcomes: list[Outcome] = []
        self.documents_new = 0
        self.payload_digests: list[bytes] = []

    def take(self, store: EventStore, entry: SourceEntry, parsed: Parsed, content: bytes, fetch_sha: str | None) -> None:
        if parsed.documents:
            with store.writer(purpose=f"documents {entry.name}") as con:
                self.documents_new += land_documents(con, parsed.documents, fetch_sha256=fetch_sha)
        self.records.extend(parsed.records)
        digest = bytes.fromhex(parsed.digest) if parsed.digest else hashlib.sha256(content).digest()
        self.payload_digests.append(digest)

    def input_sha256(self) -> str:
        """One payload: its own SHA-256 (as the file's); several: the hash of their hashes, in order."""
        if len(self.payload_digests) == 1:
            return self.payload_digests[0].hex()
        return hashlib.sha256(b"".join(self.payload_digests)).hexdigest()


def stamped(parsed: Parsed, retrieved_at: dt.datetime) -> Parsed:
    """The records of a page fetched live, each saying when it was retrieved (unless the
    source says so itself). A page read offline is a bundled copy: when it was retrieved
    is not known, so its records say nothing (NULL), never the time they were read."""
    records = tuple(
        RawRecord(r.ref, {**r.value, "retrieved_at": retrieved_at.isoformat()}, r.error)
        if isinstance(r.value, dict) and r.value.get("retrieved_at") is None else r
        for r in parsed.records
    )
    return replace(parsed, records=records)


def _read_offline(store: EventStore, kind: SourceKind, entry: SourceEntry, location: Location, got: _Collected) -> None:
    if not location.offline:
        got.outcomes.append(Outcome(location=location.ref, status="skipped"))
        return
    for page, path in enumerate(location.offline, start=1):
        # A location read from one file is reported under its own name (a feed's URL).
        where = location.ref if len(location.offline) == 1 else str(path)
        try:
            content = path.read_bytes()
            parsed = kind.parse(entry, location, content, page)
        except (OSError, SourceError) as exc:
            got.outcomes.append(Outcome(location=where, status="error", error=_located(str(path), exc)))
            return
        got.take(store, entry, parsed, content, None)
        got.outcomes.append(Outcome(location=where, status="offline", bytes=len(content)))


def _fetch_live(store: EventStore, kind: SourceKind, entry: SourceEntry, location: Location, got: _Collected,
                policy: FetchPolicy, sleep: Callable[[float], None]) -> None:
    url = location.url
    paginator = kind.paginator(entry)
    page = 0
    next_url: str | None = url
    while next_url and page < paginator.max_pages:
        url = next_url
        size = 0
        try:
            landed = fetch_and_land(store, entry.name, url, policy=policy, sleep=sleep, accept=kind.accept)
            page += 1
            if landed.content is None:
                # Unchanged since the last fetch: what it held was taken then (and, newest
                # first, an unchanged first page means nothing new behind it either).
                got.outcomes.append(Outcome(location=url, status="304"))
                return
            size = landed.bytes
            parsed = kind.parse(entry, location, landed.content, page)
        except (FetchError, SourceError) as exc:
            got.outcomes.append(Outcome(location=url, status="error", bytes=size, error=_located(url, exc)))
            return
        # (a snapshot kind's rows are the table's facts, compared run to run: no fetch time in them)
        if not kind.snapshot:
            parsed = stamped(parsed, dt.datetime.now(dt.UTC))
        got.take(store, entry, parsed, landed.content, landed.sha256)
        got.outcomes.append(Outcome(location=url, status="200", bytes=landed.bytes))
        next_url = paginator.next_url(Page(url=url, content=landed.content, link_next=landed.next_url))


def run_source(
    store: EventStore,
    entry: SourceEntry,
    *,
    live: bool,
    run_id: str | None = None,
    policy: FetchPolicy | None = None,
    sleep: Callable[[float], None] = time.sleep,
    locations: Sequence[Location] | None = None,
) -> SourceReport:
    """Fetch (or read offline), land, parse, append and report one registry source:
    its own locations, or `locations` when given."""
    kind = kind_of(entry)
    if kind is None:
        raise ValueError(f"source {entry.name!r}: kind {entry.kind!r} is not run by the runner")
    mode = choose_mode(live)
    got = _Collected()
    for location in kind.locations(entry) if locations is None else locations:
        # A location with no URL (a bundled file such as the curated events) is read from disk in either mode.
        if mode == "live" and location.url is not None:
            _fetch_live(store, kind, entry, location, got, policy or entry.fetch.policy(), sleep)
        else:
            _read_offline(store, kind, entry, location, got)
    report = dict(source=entry.name, mode=mode, outcomes=tuple(got.outcomes), documents_new=got.documents_new)
    delivered = any(o.status in ("200", "offline") for o in got.outcomes)
    failed = any(o.status == "error" for o in got.outcomes)
    if kind.snapshot and (failed or any(o.status == "skipped" for o in got.outcomes)):
        delivered = False
    if delivered:
        if kind.snapshot:
            result = store.append_snapshot(got.records, source=entry.name, input_sha256=got.input_sha256(),
                                           run_id=run_id, undated_field=kind.undated_field(entry))
        else:
            result = store.append(got.records, source=entry.name, run_id=run_id)
        report.update(read=result.read, appended=result.appended, duplicate=result.duplicate,
                      quarantined=result.quarantined, ingest_run_id=result.run_id)
    return SourceReport(**report)
