"""Schema versions and the upcasters that lift old records to the current one.

Every version ever written has an upcaster to the next, so a record written by
an older tool (an inbox file, an old export, a row in the log) is read in the
current shape. Upcasters are pure functions on plain dicts.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

CURRENT_VERSIONS: dict[str, int] = {
    "model.launched": 2,
    "capability.scored": 1,
    "product.released": 1,
    "allegation.made": 1,
    "allegation.updated": 1,
    "policy.changed": 1,
    "event.corrected": 1,
    "event.retracted": 1,
}

Upcaster = Callable[[dict[str, Any]], dict[str, Any]]


class UpcastError(ValueError):
    """A record's schema_version cannot be brought to the current version."""


def _model_launched_v1_to_v2(payload: dict[str, Any]) -> dict[str, Any]:
    # v1 had one `organization` and one `country`; joint launches (Zhipu AI with
    # Tsinghua) need lists, and v1 `open_source` became `open_weights`.
    payload = dict(payload)
    organization = payload.pop("organization", None)
    country = payload.pop("country", None)
    payload["organizations"] = [organization] if organization else []
    payload["countries"] = [country] if country else []
    if "open_source" in payload:
        payload["open_weights"] = payload.pop("open_source")
    return payload


# (event_type, version) -> function lifting a payload from `version` to `version + 1`.
UPCASTERS: dict[tuple[str, int], Upcaster] = {
    ("model.launched", 1): _model_launched_v1_to_v2,
}


def upcast_payload(event_type: str, version: int, payload: dict[str, Any]) -> dict[str, Any]:
    current = CURRENT_VERSIONS[event_type]
    if version > current:
        raise UpcastError(f"{event_type}: schema_version {version} is newer than this reader ({current})")
    while version < current:
        step = UPCASTERS.get((event_type, version))
        if step is None:
            raise UpcastError(f"{event_type}: no upcaster from schema_version {version}")
        payload = step(payload)
        version += 1
    return payload


def upcast(record: dict[str, Any]) -> dict[str, Any]:
    """Return `record` at the current schema version of its event type."""
    event_type = record["event_type"]
    version = record.get("schema_version", CURRENT_VERSIONS[event_type])
    if isinstance(version, bool) or not isinstance(version, int) or version < 1:
        raise UpcastError(f"{event_type}: schema_version must be a positive integer, got {version!r}")
    payload = record.get("payload")
    if not isinstance(payload, dict):
        raise UpcastError(f"{event_type}: payload must be a JSON object, got {type(payload).__name__}")
    return dict(
        record, payload=upcast_payload(event_type, version, payload), schema_version=CURRENT_VERSIONS[event_type]
    )
