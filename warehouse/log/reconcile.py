"""Reconciling a full snapshot of a source with what the log already holds.

Sources such as Epoch AI's table deliver their whole current state each time.
Facts in the log are never edited, so the difference becomes new events:
  * a row never seen before            -> its launch event (appended);
  * a row unchanged                     -> its launch event again (a duplicate);
  * a row whose values changed          -> `event.corrected` with the changed fields
                                           (a changed source_url alone too: the correction
                                           carries the new URL, which the projections show);
  * a row back to a state seen earlier  -> nothing (an older snapshot is stale, not news);
  * a row that vanished upstream        -> `event.retracted` with the reason;
  * a snapshot ingested before (same sha256) -> nothing at all.
Rows are matched by their natural key, `source_ref`, whatever their event type: Epoch's
rows are launches, the curated bundle's are allegations, policy stages, releases and
launches alike (its file is its whole current state too).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import duckdb

from schemas import NewEvent, canonical_json, parse_record
from schemas.upcasters import upcast_payload
from warehouse.log.records import RawRecord

# A snapshot that would retract more than this share of the known rows is far more
# likely truncated or broken than a real purge upstream: refuse it.
MAX_RETRACTED_SHARE = 0.05
MIN_RETRACTIONS_ALLOWED = 5


class ReconcileError(RuntimeError):
    pass


@dataclass
class KeyState:
    event_id: str
    occurred_at: str
    occurred_precision: str
    payload: dict[str, Any]
    source_url: str | None = None
    seen_states: set[str] = field(default_factory=set)
    retracted: bool = False


def merge_patch(target: Any, patch: Any) -> Any:
    """RFC 7396 JSON merge patch, the same rule DuckDB's json_merge_patch applies."""
    if not isinstance(patch, dict):
        return patch
    result = dict(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            result.pop(key, None)
        else:
            result[key] = merge_patch(result.get(key), value)
    return result


def _state_key(occurred_at: str, precision: str, payload: dict[str, Any], source_url: str | None) -> str:
    # The citation is part of a row's state: a better source for the same fact is a change.
    return canonical_json([occurred_at, precision, payload, source_url])


def current_state(con: duckdb.DuckDBPyConnection, source: str) -> dict[str, KeyState]:
    """Each natural key of `source` as the log now has it, with every state it has had.
    (A snapshot source writes one event type per row: model.launched for Epoch's models
    table, capability.scored for its Capabilities Index.)"""
    states: dict[str, KeyState] = {}
    by_event: dict[str, KeyState] = {}
    rows = con.execute(
        """select event_type, event_id, source_ref, occurred_at::varchar, occurred_precision, payload, schema_version,
                  source_url
           from events.log
           where (source = ? and event_type not in ('event.corrected', 'event.retracted'))
              or (event_type in ('event.corrected', 'event.retracted')
                  and payload ->> 'target_event_id' in
                      (select event_id from events.log
                       where source = ? and event_type not in ('event.corrected', 'event.retracted')))
           order by position""",
        [source, source],
    ).fetchall()
    for event_type, event_id, source_ref, occurred_at, precision, payload_text, version, source_url in rows:
        payload = json.loads(payload_text)
        if event_type not in ("event.corrected", "event.retracted"):  # a fact: its key's first state
            # Compared in the current shape: a row stored at an older schema_version is not
            # "changed" merely because the reader now upcasts the same line.
            payload = upcast_payload(event_type, version, payload)
            state = KeyState(event_id, occurred_at, precision, payload, source_url)
            state.seen_states.add(_state_key(occurred_at, precision, payload, source_url))
            # A reinstated row carries "key#reinstated-…": it continues the original key.
            states[source_ref.split("#reinstated-")[0]] = state
            by_event[event_id] = state
            continue
        state = by_event[payload["target_event_id"]]
        if event_type == "event.retracted":
            state.retracted = True
            continue
        state.payload = merge_patch(state.payload, payload.get("changes", {}))
        state.occurred_at = payload.get("occurred_at") or state.occurred_at
        state.occurred_precision = payload.get("occurred_precision") or state.occurred_precision
        state.source_url = source_url or state.source_url  # (as core.effective_events reads it)
        state.seen_states.add(_state_key(state.occurred_at, state.occurred_precision, state.payload, state.source_url))
    return states


def _diff(old: dict[str, Any], new: dict[str, Any]) -> dict[str, Any]:
    changes = {key: value for key, value in new.items() if old.get(key) != value}
    changes.update({key: None for key in old if key not in new})
    return changes


def reconcile_snapshot(
    con: duckdb.DuckDBPyConnection,
    records: Iterable[RawRecord],
    *,
    source: str,
    input_sha256: str,
    undated_field: str | None = None,
) -> list[RawRecord]:
    """The records to append for this snapshot (see the module docstring).

    `undated_field`: the payload field holding a row's own date, for sources whose rows
    may have none (their records then carry a stand-in occurred_at, the day the snapshot
    was seen). A row that is still undated keeps the day logged for it: a stand-in that
    moves with every download is not a change of the row."""
    records = list(records)
    seen_before = con.execute(
        "select count(*) from events.ingest_runs where source = ? and input_sha256 = ?", [source, input_sha256]
    ).fetchall()[0][0]
    if seen_before:
        return records  # every launch is a duplicate; no corrections, no retractions
    states = current_state(con, source)
    today = dt.datetime.now(dt.UTC).date().isoformat()
    out: list[RawRecord] = []
    present: set[str] = set()
    for record in records:
        parsed = parse_record(record.value, record_ref=record.ref)
        if not isinstance(parsed, NewEvent) or parsed.source_ref is None:
            out.append(record)  # quarantined (or unkeyed) by the append path, with its reason
            continue
        key = parsed.source_ref
        present.add(key)
        state = states.get(key)
        new_payload = json.loads(parsed.payload_json)
        occurred_at, precision = parsed.occurred_at.isoformat(), parsed.occurred_precision
        if (state is not None and undated_field is not None
                and undated_field not in new_payload and undated_field not in state.payload):
            occurred_at, precision = state.occurred_at, state.occurred_precision
        # A line without a URL keeps the one cited before: a correction can replace a
        # citation, not remove it (core.effective_events keeps the last one given).
        source_url = parsed.source_url or (state.source_url if state is not None else None)
        new_state = _state_key(occurred_at, precision, new_payload, source_url)
        if state is None or new_state in state.seen_states and not state.retracted:
            out.append(record)  # new, or unchanged (a duplicate), or an older state (stale)
            continue
        if state.retracted:
            reinstated = dict(record.value, source_ref=f"{key}#reinstated-{hashlib.sha256(new_state.encode()).hexdigest()[:12]}")
            out.append(RawRecord(record.ref, reinstated))
            continue
        changes = _diff(state.payload, new_payload)
        correction: dict[str, Any] = {
            "event_type": "event.corrected",
            "schema_version": 1,
            "occurred_at": today,
            "occurred_precision": "day",
            "source": source,
            "source_url": parsed.source_url,
            "source_ref": f"{key}@{hashlib.sha256(new_state.encode()).hexdigest()[:16]}",
            "subject": f"event:{state.event_id}",
            "payload": {
                "target_event_id": state.event_id,
                "changes": changes,
                "reason": f"{source} snapshot {input_sha256[:12]} changed "
                + ", ".join(sorted([*changes, *(["occurred_at"] if occurred_at != state.occurred_at else []),
                                    *(["source_url"] if source_url != state.source_url else [])])),
            },
        }
        if occurred_at != state.occurred_at or precision != state.occurred_precision:
            correction["payload"]["occurred_at"] = occurred_at
            correction["payload"]["occurred_precision"] = precision
        out.append(RawRecord(f"{record.ref} (changed)", correction))

    vanished = sorted(key for key, state in states.items() if key not in present and not state.retracted)
    limit = max(MIN_RETRACTIONS_ALLOWED, int(MAX_RETRACTED_SHARE * len(states)))
    if len(vanished) > limit:
        raise ReconcileError(
            f"{source}: this snapshot lacks {len(vanished)} of the {len(states)} rows already in the log "
            f"(more than {limit}); it looks truncated, so nothing was ingested from it"
        )
    for key in vanished:
        out.append(
            RawRecord(
                f"retraction of {key!r}",
                {
                    "event_type": "event.retracted",
                    "schema_version": 1,
                    "occurred_at": today,
                    "occurred_precision": "day",
                    "source": source,
                    "source_ref": f"{key}@retracted",
                    "subject": f"event:{states[key].event_id}",
                    "payload": {
                        "target_event_id": states[key].event_id,
                        "reason": f"{key!r} is no longer in {source}'s table (snapshot {input_sha256[:12]})",
                    },
                },
            )
        )
    return out
