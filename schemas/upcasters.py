"""Schema versions and the upcasters that lift old records to the current one.

Every version ever written has an upcaster to the next, so a record written by
an older tool (an inbox file, an old export, a row in the log) is read in the
current shape. Upcasters are pure functions on plain dicts.
"""

from __future__ import annotations

from typing import Any

# (event_type, version) -> function lifting a payload from `version` to `version + 1`, and
# each type's current version: both derived from the declarations (schemas/event_types.py).
from schemas.registry import CURRENT_VERSIONS, UPCASTERS


class UpcastError(ValueError):
    """A record's schema_version cannot be brought to the current version."""


def model_launched_v1_to_v2(payload: dict[str, Any]) -> dict[str, Any]:
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


# v1 venues as curators wrote them ("lawsuit: US District Court SDNY", "regulator: FTC",
# "indictment: …", "criminal charges (US Department of Justice)", "press", "report: …").
_V1_LAWSUIT_VENUES = ("lawsuit", "indictment", "criminal", "court", "complaint")
_V1_INQUIRY_VENUES = ("regulator", "investigation", "inquiry")


def nature_of_v1_venue(venue: object) -> str:
    """The `nature` a v1 allegation had no field for, read from its venue's opening word:
    a court case or prosecution is a lawsuit, a regulator's proceeding an inquiry, and
    anything else (a press statement, a report, no venue) an accusation."""
    text = venue.strip().lower() if isinstance(venue, str) else ""
    if text.startswith(_V1_LAWSUIT_VENUES):
        return "lawsuit"
    if text.startswith(_V1_INQUIRY_VENUES):
        return "inquiry"
    return "accusation"


def allegation_made_v1_to_v2(payload: dict[str, Any]) -> dict[str, Any]:
    # v1 had one `accuser` and one `accused` string (co-parties in one string: "Disney,
    # Universal", kept as written: the projections still split an unknown name on
    # ',', '&', ' and '); v2 has lists and a `nature`, so a regulator's study makes no
    # accusation edge. An empty or absent v1 accused (unnamed) is an empty list.
    payload = dict(payload)
    if "accuser" in payload:
        payload["accusers"] = [payload.pop("accuser")]
    accused = payload.pop("accused", None)
    payload["accused"] = [accused] if accused else []
    payload.setdefault("nature", nature_of_v1_venue(payload.get("venue")))
    return payload



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
