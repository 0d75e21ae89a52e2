"""Amendments (`event.corrected`, `event.retracted`) checked against their targets at append.

A correction on its own is only a patch: whether it is valid depends on what it patches.
So before a batch is numbered, every new amendment in it is checked against its target,
found in the log or in the same batch:

* the target exists (in the log, or anywhere in this batch; an amendment of an amendment
  must come after it in the batch); an amendment whose target is unknown is quarantined,
  not held: ingested again once its target is logged, it is appended then;
* a correction targets a fact (not another amendment), patches only the payload (no key
  of the envelope such as `event_type` or `subject`), and the target with every standing
  correction and this one applied (RFC 7396 merge patch, as the projections apply it) is a
  valid event of the target's type: schema, enumerations, number and date ranges;
* a retraction targets a fact or a correction, never a retraction; retracting a correction
  must leave its target valid with the remaining corrections.

The rules are the event types' own (`schemas.events.fact_problem`), whatever the type, so a
new event type or schema version needs nothing here. This reads the log by event id and the
log's amendments only when the batch holds amendments, a chunk of linked groups at a time (a
file of a million lines can hold a hundred thousand amendments: their payloads, parsed, would
be hundreds of megabytes at once), and the bulk path's SQL validation of everything else is
untouched.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import duckdb

from schemas.events import AMENDMENT_TYPES, fact_problem
from schemas.upcasters import CURRENT_VERSIONS, upcast_payload
from warehouse.log.reconcile import merge_patch

CORRECTED, RETRACTED = AMENDMENT_TYPES
# Keys of the event envelope: a correction's `changes` patch the payload, never these.
ENVELOPE_KEYS = frozenset(
    {"event_id", "event_type", "schema_version", "subject", "occurred_at", "occurred_precision",
     "recorded_at", "source", "source_url", "source_ref", "retrieved_at", "payload"}
)
_COLUMNS = (
    "event_id, event_type, schema_version, subject, occurred_at, occurred_precision, source, payload, "
    "payload ->> 'target_event_id' as target"
)
_AMENDMENT_LIST = ", ".join(f"'{t}'" for t in AMENDMENT_TYPES)


@dataclass(frozen=True)
class StoredEvent:
    """An event as the log or this batch holds it (payload at its own schema_version)."""

    event_id: str
    event_type: str
    schema_version: int
    subject: str
    occurred_at: dt.date
    occurred_precision: str
    source: str
    payload_json: str
    # An amendment's target_event_id (read in SQL: most payloads are never parsed here).
    target: str | None

    @cached_property
    def payload(self) -> dict[str, Any]:
        return json.loads(self.payload_json)

    @property
    def is_amendment(self) -> bool:
        return self.event_type in AMENDMENT_TYPES

    @property
    def amended(self) -> str:
        """The event an amendment names (its schema requires one; a fact names none)."""
        if self.target is None:
            raise ValueError(f"{self.event_id} ({self.event_type}) names no event to amend")
        return self.target


@dataclass
class History:
    """A fact and its corrections so far (in log order), with the retracted ones."""

    fact: StoredEvent
    corrections: list[StoredEvent] = field(default_factory=list)
    retracted: set[str] = field(default_factory=set)

    def standing(self, *, without: str | None = None, plus: StoredEvent | None = None) -> list[StoredEvent]:
        kept = [c for c in self.corrections if c.event_id not in self.retracted and c.event_id != without]
        return [*kept, plus] if plus is not None else kept


def corrected_record(fact: StoredEvent, corrections: Iterable[StoredEvent]) -> dict[str, Any]:
    """The fact as a record with the corrections applied in order (merge patch over the
    payload, the last new occurred_at / precision wins), at its type's current version."""
    payload = upcast_payload(fact.event_type, fact.schema_version, fact.payload)
    occurred_at, precision = fact.occurred_at.isoformat(), fact.occurred_precision
    for correction in corrections:
        payload = merge_patch(payload, correction.payload.get("changes") or {})
        occurred_at = correction.payload.get("occurred_at") or occurred_at
        precision = correction.payload.get("occurred_precision") or precision
    return {
        "event_type": fact.event_type,
        "schema_version": CURRENT_VERSIONS[fact.event_type],
        "occurred_at": occurred_at,
        "occurred_precision": precision,
        "subject": fact.subject,
        "source": fact.source,
        "payload": payload,
    }


def amendment_problem(
    amendment: StoredEvent, known: dict[str, StoredEvent], histories: dict[str, History]
) -> str | None:
    """Why `amendment` cannot be appended, or None. `known`: events by id (the log's that
    matter, this batch's facts, the amendments accepted so far); `histories`: by fact id."""
    kind, target_id = amendment.event_type, str(amendment.target)
    target = known.get(target_id)
    if target is None:
        return (
            f"{kind}: target_event_id: {target_id} is not in the log nor in this batch "
            "(an amendment must follow its target: ingest it again once the target is logged)"
        )
    if kind == CORRECTED:
        if target.is_amendment:
            return (
                f"{kind}: target_event_id: {target_id} is an {target.event_type}; only facts are corrected "
                "(to change a correction, retract it and log a new one)"
            )
        envelope_keys = sorted(ENVELOPE_KEYS & set(amendment.payload.get("changes") or {}))
        if envelope_keys:
            return (
                f"{kind}: changes: {', '.join(envelope_keys)} is not a payload field of {target_id} "
                f"({target.event_type}): a correction patches the payload; the event's type and subject stay"
            )
        history = histories[target_id]
        problem = fact_problem(corrected_record(history.fact, history.standing(plus=amendment)))
        if problem is not None:
            return f"{kind}: corrected, {target_id} ({target.event_type}) would be invalid: {problem}"
        return None
    if target.event_type == RETRACTED:
        return f"{kind}: target_event_id: {target_id} is a retraction, which cannot be retracted"
    if target.event_type == CORRECTED and target.target in histories:
        history = histories[target.target]
        problem = fact_problem(corrected_record(history.fact, history.standing(without=target_id)))
        if problem is not None:
            return (
                f"{kind}: without correction {target_id}, {target.target} ({history.fact.event_type}) "
                f"would be invalid: {problem}"
            )
    return None


def _stored(rows: Sequence[tuple[Any, ...]]) -> list[StoredEvent]:
    return [StoredEvent(*row) for row in rows]


def _log_events(con: duckdb.DuckDBPyConnection, ids: Iterable[str]) -> dict[str, StoredEvent]:
    wanted = sorted(set(ids))
    if not wanted:
        return {}
    rows = con.execute(f"select {_COLUMNS} from events.log where event_id in (select unnest(?::varchar[]))", [wanted])
    return {e.event_id: e for e in _stored(rows.fetchall())}


# Amendments are checked about this many at a time (see `rejected_amendments`): each chunk's
# events, payloads and histories are Python objects, freed before the next chunk is read.
AMENDMENT_CHUNK = 10_000


def rejected_amendments(con: duckdb.DuckDBPyConnection) -> list[tuple[int, str]]:
    """(seq, reason) of the amendments in `staging` (not yet in the log) that fail their check.

    An amendment's check reads only events linked to it by target ids (its target, that
    target's target, the other amendments of the same fact, an earlier record with its
    id), so amendments are checked in groups linked that way, in seq order inside each
    group, a chunk of whole groups at a time: the result is the same as checking the
    whole batch at once, and the memory is a chunk's, not the batch's.
    """
    links = con.execute(
        f"select seq, event_id, payload ->> 'target_event_id' from staging "
        f"where event_type in ({_AMENDMENT_LIST}) order by seq"
    ).fetchall()
    if not links:
        return []
    # A logged amendment named as a target links to what it amends (a new retraction of a
    # logged correction reads that correction's fact and its other corrections).
    logged_links = con.execute(
        f"select event_id, payload ->> 'target_event_id' from events.log "
        f"where event_type in ({_AMENDMENT_LIST}) and event_id in (select unnest(?::varchar[]))",
        [sorted({target for _seq, _id, target in links if target is not None})],
    ).fetchall()
    group = _linked_groups([(event_id, target) for _seq, event_id, target in links] + logged_links)
    # The staged rows a check can read (amendments, facts they name), so chunks scan no more.
    con.execute(
        f"""create or replace temp table amendment_rows as
            select seq, {_COLUMNS} from staging
            where event_type in ({_AMENDMENT_LIST})
               or event_id in (select payload ->> 'target_event_id' from staging
                               where event_type in ({_AMENDMENT_LIST}))"""
    )
    rejected: list[tuple[int, str]] = []
    for seqs in _chunks_of_groups([(seq, group(event_id)) for seq, event_id, _target in links], AMENDMENT_CHUNK):
        rejected.extend(_rejected_in_chunk(con, seqs))
    con.execute("drop table temp.amendment_rows")
    return sorted(rejected)


def _linked_groups(edges: Sequence[tuple[str, str | None]]) -> Callable[[str], str]:
    """Event ids joined by (amendment, target) links into groups; returns an id's group."""
    parent: dict[str, str] = {}

    def root(event_id: str) -> str:
        parent.setdefault(event_id, event_id)
        while parent[event_id] != event_id:
            parent[event_id] = parent[parent[event_id]]  # (path halving keeps the chains short)
            event_id = parent[event_id]
        return event_id

    for event_id, target in edges:
        if target is not None:
            parent[root(event_id)] = root(target)
    return root


def _chunks_of_groups(seqs_and_groups: Sequence[tuple[int, str]], chunk: int) -> Iterator[list[int]]:
    """The seqs (in seq order) of whole groups, about `chunk` at a time (a group is never split)."""
    by_group: dict[str, list[int]] = {}
    for seq, group in seqs_and_groups:
        by_group.setdefault(group, []).append(seq)
    current: list[int] = []
    for seqs in by_group.values():
        current.extend(seqs)
        if len(current) >= chunk:
            yield sorted(current)
            current = []
    if current:
        yield sorted(current)


def _rejected_in_chunk(con: duckdb.DuckDBPyConnection, seqs: list[int]) -> list[tuple[int, str]]:
    """`rejected_amendments` for the staged amendments at `seqs`, whole groups of linked events."""
    staged = con.execute(
        f"select seq, {_COLUMNS} from amendment_rows where seq in (select unnest(?::bigint[])) order by seq", [seqs]
    ).fetchall()
    staged_seqs, new = [row[0] for row in staged], _stored([row[1:] for row in staged])
    del staged
    already_logged = _log_events(con, (a.event_id for a in new))
    targets = {a.amended for a in new}
    known = _log_events(con, targets)
    # Facts of this batch that amendments name (a copy of a logged fact is the logged one).
    staged_facts = con.execute(
        f"select {_COLUMNS} from amendment_rows where event_id in (select unnest(?::varchar[])) "
        f"and event_type not in ({_AMENDMENT_LIST}) order by seq",
        [sorted(targets - set(known))],
    ).fetchall()
    for fact in _stored(staged_facts):
        known.setdefault(fact.event_id, fact)
    del staged_facts
    # The facts behind logged corrections that are targets (a retraction of a correction).
    known.update(_log_events(con, {e.amended for e in known.values() if e.event_type == CORRECTED} - set(known)))
    histories = {e.event_id: History(e) for e in known.values() if not e.is_amendment}
    _replay_logged_amendments(con, histories, known)

    rejected: list[tuple[int, str]] = []
    for seq, amendment in zip(staged_seqs, new, strict=True):
        if amendment.event_id in already_logged or amendment.event_id in known:
            continue  # a duplicate (of the log, or of an earlier line): counted as such
        try:
            problem = amendment_problem(amendment, known, histories)
        except RecursionError:  # (parse_record caps nesting; this keeps one record from stopping a batch)
            problem = f"{amendment.event_type}: changes: nested too deeply to apply"
        if problem is not None:
            rejected.append((seq, problem))
            continue
        known[amendment.event_id] = amendment
        if amendment.event_type == CORRECTED:
            histories[amendment.amended].corrections.append(amendment)
        elif known[amendment.amended].event_type == CORRECTED and known[amendment.amended].amended in histories:
            histories[known[amendment.amended].amended].retracted.add(amendment.amended)
    return rejected


def _replay_logged_amendments(
    con: duckdb.DuckDBPyConnection, histories: dict[str, History], known: dict[str, StoredEvent]
) -> None:
    """Fill `histories` with the logged corrections of their facts and the retractions of those."""
    if not histories:
        return
    rows = con.execute(
        f"""with amendments as (
                select position, {_COLUMNS} from events.log where event_type in ({_AMENDMENT_LIST}))
            select * exclude (position) from amendments
            where target in (select unnest(?::varchar[]))
               or target in (select event_id from amendments
                             where event_type = '{CORRECTED}' and target in (select unnest(?::varchar[])))
            order by position""",
        [sorted(histories), sorted(histories)],
    ).fetchall()
    for amendment in _stored(rows):
        known.setdefault(amendment.event_id, amendment)
        if amendment.event_type == CORRECTED and amendment.target in histories:
            histories[amendment.target].corrections.append(amendment)
        elif amendment.event_type == RETRACTED:
            corrected = known.get(amendment.amended)
            if corrected is not None and corrected.event_type == CORRECTED and corrected.amended in histories:
                histories[corrected.amended].retracted.add(corrected.event_id)
