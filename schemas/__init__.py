"""airace event types: pydantic models, validation and upcasting. No Dagster here."""

from schemas.events import (
    Event,
    NewEvent,
    Rejection,
    canonical_json,
    event_adapter,
    parse_record,
    slugify,
)
from schemas.registry import PAYLOAD_TYPES, EventType, SubjectTemplate, register, registered
from schemas.upcasters import CURRENT_VERSIONS, upcast, upcast_payload

# The built-in event types (schemas/event_types.py), in their declared order.
EVENT_TYPES: tuple[str, ...] = tuple(PAYLOAD_TYPES)

__all__ = [
    "CURRENT_VERSIONS",
    "EVENT_TYPES",
    "PAYLOAD_TYPES",
    "Event",
    "EventType",
    "NewEvent",
    "Rejection",
    "SubjectTemplate",
    "canonical_json",
    "event_adapter",
    "parse_record",
    "register",
    "registered",
    "slugify",
    "upcast",
    "upcast_payload",
]
