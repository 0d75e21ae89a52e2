"""airace event types: pydantic models, validation and upcasting. No Dagster here."""

from schemas.events import (
    EVENT_ADAPTER,
    Event,
    NewEvent,
    Rejection,
    canonical_json,
    parse_record,
    slugify,
)
from schemas.payloads import EVENT_TYPES, PAYLOAD_TYPES
from schemas.upcasters import CURRENT_VERSIONS, upcast, upcast_payload

__all__ = [
    "CURRENT_VERSIONS",
    "EVENT_ADAPTER",
    "EVENT_TYPES",
    "PAYLOAD_TYPES",
    "Event",
    "NewEvent",
    "Rejection",
    "canonical_json",
    "parse_record",
    "slugify",
    "upcast",
    "upcast_payload",
]
