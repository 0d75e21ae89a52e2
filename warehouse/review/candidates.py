"""The review queue: events proposed by the article extractor, and the decisions on them.

`events.candidates` holds what the extractor proposed, with its evidence;
`events.candidate_reviews` records every decision, append-only (who, when,
accepted or rejected, why). A candidate never enters `events.log` by itself:
accepting it appends its event through `EventStore.append`, the one append
path, with source `review` and `source_ref` `candidate:<id>`, in an ingest run
whose id names the candidate and the reviewer, so the log itself shows who
accepted what and when.

Accepting is idempotent: the event id is derived from the source and
`source_ref`, so a second accept (or a retry after a crash between the append
and the review row) appends nothing and records no second decision.

Writes happen under `EventStore.writer()` (the cross-process writer lock);
reads use `EventStore.reader()`.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Literal, Protocol

import duckdb

from schemas import NewEvent, parse_record, slugify
from warehouse.errors import StoreError
from warehouse.log.records import RawRecord
from warehouse.log.store import EventStore

REVIEW_SOURCE = "review"
Decision = Literal["accepted", "rejected"]
Status = Literal["pending", "accepted", "rejected"]

CANDIDATES_DDL = """
create schema if not exists events;
create table if not exists events.candidates (
    candidate_id        varchar primary key,
    event_type          varchar not null,
    event_key           varchar not null,
    organizations       json not null,
    occurred_at         date not null,
    occurred_precision  varchar not null,
    date_basis          varchar not null,
    confidence          double not null,
    cues                varchar[] not null,
    evidence            varchar not null,
    span_start          bigint not null,
    span_end            bigint not null,
    article_sha256      varchar not null,
    source_url          varchar,
    record              json not null,
    extracted_at        timestamptz not null
);
create table if not exists events.candidate_reviews (
    seq                 bigint primary key,
    candidate_id        varchar not null,
    decision            varchar not null,
    reviewer            varchar not null,
    reason              varchar,
    reviewed_at         timestamptz not null,
    event_id            varchar,
    run_id              varchar
);
"""

# The latest decision per candidate decides its status.
_STATUS_SQL = """
select c.candidate_id, c.event_type, c.event_key, c.organizations, c.occurred_at, c.occurred_precision,
       c.confidence, c.evidence, c.source_url, c.record, c.extracted_at,
       coalesce(r.decision, 'pending') as status, r.reviewer, r.reviewed_at, r.event_id, r.reason
from events.candidates c
left join (
    select * from events.candidate_reviews qualify row_number() over (partition by candidate_id order by seq desc) = 1
) r using (candidate_id)
"""


class ReviewError(RuntimeError):
    """A review that cannot be done: unknown or ambiguous id, conflicting decision, invalid record."""


class CandidateLike(Protocol):
    """What the queue needs from an extracted candidate (pipelines.extract.Candidate fits)."""

    candidate_id: str
    event_type: str
    key: str
    occurred_precision: str
    date_basis: str
    confidence: float
    cues: tuple[str, ...]
    evidence: str
    span: tuple[int, int]
    article_sha256: str
    record: dict[str, Any]

    def model_dump(self, *, mode: str = ...) -> dict[str, Any]: ...


@dataclass(frozen=True)
class QueueResult:
    added: int
    already_queued: int
    candidate_ids: tuple[str, ...]


@dataclass(frozen=True)
class QueuedCandidate:
    candidate_id: str
    event_type: str
    event_key: str
    organizations: tuple[dict[str, Any], ...]
    occurred_at: dt.date
    occurred_precision: str
    confidence: float
    evidence: str
    source_url: str | None
    record: dict[str, Any]
    extracted_at: dt.datetime
    status: Status
    reviewer: str | None
    reviewed_at: dt.datetime | None
    event_id: str | None
    reason: str | None


@dataclass(frozen=True)
class ReviewOutcome:
    candidate_id: str
    decision: Decision
    reviewer: str
    # The event in the log (accepted only).
    event_id: str | None = None
    # How many events this call appended: 1 the first time a candidate is accepted, else 0.
    appended: int = 0
    # The decision had already been made; nothing new was recorded.
    already: bool = False
    run_id: str | None = None


def ensure_candidate_schema(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(CANDIDATES_DDL)


def _has_queue(con: duckdb.DuckDBPyConnection) -> bool:
    rows = con.execute(
        "select count(*) from duckdb_tables() where schema_name = 'events' and table_name = 'candidate_reviews'"
    ).fetchall()
    return rows[0][0] > 0


def queue_candidates(
    store: EventStore, candidates: Iterable[CandidateLike], *, extracted_at: dt.datetime | None = None
) -> QueueResult:
    """Put candidates in the review queue; ones already queued (same id) are left as they are."""
    batch = list(candidates)
    extracted_at = extracted_at or dt.datetime.now(dt.UTC)
    with store.writer(purpose="queue extracted candidates") as con:
        ensure_candidate_schema(con)
        ids = [c.candidate_id for c in batch]
        known = {
            row[0]
            for row in con.execute(
                "select candidate_id from events.candidates where list_contains(?, candidate_id)", [ids]
            ).fetchall()
        }
        added = 0
        con.execute("begin transaction")
        try:
            for candidate in batch:
                if candidate.candidate_id in known:
                    continue
                known.add(candidate.candidate_id)
                con.execute(
                    "insert into events.candidates values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    _candidate_row(candidate, extracted_at),
                )
                added += 1
            con.execute("commit")
        except BaseException:
            con.execute("rollback")
            raise
    return QueueResult(added=added, already_queued=len(batch) - added, candidate_ids=tuple(ids))


def _candidate_row(candidate: CandidateLike, extracted_at: dt.datetime) -> list[Any]:
    dumped = candidate.model_dump(mode="json")
    record = candidate.record
    return [
        candidate.candidate_id,
        candidate.event_type,
        candidate.key,
        json.dumps(dumped.get("organizations", []), ensure_ascii=False),
        record["occurred_at"],
        candidate.occurred_precision,
        candidate.date_basis,
        candidate.confidence,
        list(candidate.cues),
        candidate.evidence,
        candidate.span[0],
        candidate.span[1],
        candidate.article_sha256,
        record.get("source_url"),
        json.dumps(record, ensure_ascii=False, sort_keys=True),
        extracted_at,
    ]


def _row(values: Sequence[Any]) -> QueuedCandidate:
    (cid, event_type, event_key, orgs, occurred_at, precision, confidence, evidence, url, record, extracted_at,
     status, reviewer, reviewed_at, event_id, reason) = values
    return QueuedCandidate(
        candidate_id=cid,
        event_type=event_type,
        event_key=event_key,
        organizations=tuple(json.loads(orgs)),
        occurred_at=occurred_at,
        occurred_precision=precision,
        confidence=confidence,
        evidence=evidence,
        source_url=url,
        record=json.loads(record),
        extracted_at=extracted_at,
        status=status,
        reviewer=reviewer,
        reviewed_at=reviewed_at,
        event_id=event_id,
        reason=reason,
    )


def list_candidates(store: EventStore, *, status: Status | None = "pending") -> list[QueuedCandidate]:
    """Queued candidates, newest article first, then in reading order; `status=None` for all."""
    with store.reader() as con:
        return _list(con, status)


def _list(con: duckdb.DuckDBPyConnection, status: Status | None) -> list[QueuedCandidate]:
    if not _has_queue(con):
        return []
    query = f"select * from ({_STATUS_SQL}) where ? is null or status = ? order by extracted_at desc, candidate_id"
    return [_row(values) for values in con.execute(query, [status, status]).fetchall()]


def _find(con: duckdb.DuckDBPyConnection, ref: str) -> QueuedCandidate:
    ref = ref.strip().lower()
    if len(ref) < 4:
        raise ReviewError(f"candidate id {ref!r} is too short: give at least 4 characters")
    if not _has_queue(con):
        raise ReviewError("the review queue is empty: run `airace extract --store` first")
    rows = con.execute(
        f"select * from ({_STATUS_SQL}) where starts_with(candidate_id, ?) order by candidate_id limit 2", [ref]
    ).fetchall()
    if not rows:
        raise ReviewError(f"no candidate {ref!r} in the review queue")
    if len(rows) > 1:
        raise ReviewError(f"candidate id {ref!r} is ambiguous ({rows[0][0]}, {rows[1][0]}, ...): give more of it")
    return _row(rows[0])


def get_candidate(store: EventStore, ref: str) -> QueuedCandidate:
    """A candidate by its id or a unique prefix of it (at least 4 characters)."""
    with store.reader() as con:
        return _find(con, ref)


def review_record(candidate: QueuedCandidate) -> dict[str, Any]:
    """The record appended on acceptance: the candidate's, with the review as its provenance."""
    record = dict(candidate.record)
    record["source"] = REVIEW_SOURCE
    record["source_ref"] = f"candidate:{candidate.candidate_id}"
    return record


def _record_review(
    con: duckdb.DuckDBPyConnection,
    candidate_id: str,
    decision: Decision,
    reviewer: str,
    reason: str | None,
    now: dt.datetime,
    event_id: str | None = None,
    run_id: str | None = None,
) -> None:
    con.execute(
        """insert into events.candidate_reviews
           select coalesce(max(seq), 0) + 1, ?, ?, ?, ?, ?, ?, ? from events.candidate_reviews""",
        [candidate_id, decision, reviewer, reason, now, event_id, run_id],
    )


def accept_candidate(
    store: EventStore, ref: str, *, reviewer: str, now: dt.datetime | None = None
) -> ReviewOutcome:
    """Append the candidate's event to the log (once) and record who accepted it and when."""
    reviewer = _reviewer(reviewer)
    candidate = get_candidate(store, ref)
    if candidate.status == "accepted":
        return ReviewOutcome(candidate.candidate_id, "accepted", candidate.reviewer or reviewer,
                             event_id=candidate.event_id, already=True)
    record = review_record(candidate)
    parsed = parse_record(record, record_ref=record["source_ref"])
    if not isinstance(parsed, NewEvent):
        raise ReviewError(f"candidate {candidate.candidate_id} does not make a valid event: {parsed.reason}")
    now = now or dt.datetime.now(dt.UTC)
    # The run id is what the log row carries: it names the candidate and the reviewer.
    run_id = f"review:{candidate.candidate_id}:{slugify(reviewer)}:{uuid.uuid4().hex[:8]}"
    result = store.append(
        [RawRecord(record["source_ref"], record)], source=REVIEW_SOURCE, run_id=run_id, recorded_at=now
    )
    if result.quarantined:
        raise ReviewError(f"candidate {candidate.candidate_id} was refused by the store (see events.quarantine, run {run_id})")
    with store.writer(purpose=f"review accept {candidate.candidate_id}") as con:
        ensure_candidate_schema(con)
        # Another reviewer may have accepted it while we appended; their decision stands.
        current = _find(con, candidate.candidate_id)
        if current.status == "accepted":
            return ReviewOutcome(candidate.candidate_id, "accepted", current.reviewer or reviewer,
                                 event_id=current.event_id, appended=result.appended, already=True, run_id=run_id)
        _record_review(con, candidate.candidate_id, "accepted", reviewer, None, now, parsed.event_id, run_id)
    return ReviewOutcome(
        candidate.candidate_id, "accepted", reviewer, event_id=parsed.event_id, appended=result.appended, run_id=run_id
    )


def reject_candidate(
    store: EventStore, ref: str, *, reviewer: str, reason: str | None = None, now: dt.datetime | None = None
) -> ReviewOutcome:
    """Record that the candidate is not an event; the log is not touched."""
    reviewer = _reviewer(reviewer)
    now = now or dt.datetime.now(dt.UTC)
    with store.writer(purpose=f"review reject {ref}") as con:
        ensure_candidate_schema(con)
        candidate = _find(con, ref)
        if candidate.status == "accepted":
            raise ReviewError(
                f"candidate {candidate.candidate_id} was accepted by {candidate.reviewer} as event {candidate.event_id}; "
                "the log is append-only, so retract that event (event.retracted) instead"
            )
        if candidate.status == "rejected":
            return ReviewOutcome(candidate.candidate_id, "rejected", candidate.reviewer or reviewer, already=True)
        _record_review(con, candidate.candidate_id, "rejected", reviewer, reason, now)
    return ReviewOutcome(candidate.candidate_id, "rejected", reviewer)


def _reviewer(name: str) -> str:
    name = (name or "").strip()
    if not name:
        raise ReviewError("a review needs a reviewer name (--by)")
    if len(name) > 120:
        raise ReviewError("reviewer name is longer than 120 characters")
    return name


__all__ = [
    "REVIEW_SOURCE",
    "QueueResult",
    "QueuedCandidate",
    "ReviewError",
    "ReviewOutcome",
    "StoreError",
    "accept_candidate",
    "ensure_candidate_schema",
    "get_candidate",
    "list_candidates",
    "queue_candidates",
    "reject_candidate",
    "review_record",
]
