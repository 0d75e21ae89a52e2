"""The event envelope and the discriminated union over event types.

A raw record (a dict from JSONL/CSV/a connector) becomes a `NewEvent` through
`parse_record`: upcast to the current schema version, validated, and given its
deterministic `event_id` and `subject`. Anything that fails becomes a
`Rejection` naming the record and the field, with the raw payload kept.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
import unicodedata
from collections.abc import Mapping
from typing import TYPE_CHECKING, Annotated, Any, Literal, Union

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    TypeAdapter,
    ValidationError,
    create_model,
    model_validator,
)

import schemas.event_types  # noqa: F401  (registers the built-in types)
from schemas.payloads import Payload
from schemas.registry import SUBJECT_PREFIXES, EventType, SubjectPart, declaration, declarations, generation
from schemas.upcasters import CURRENT_VERSIONS, UpcastError, upcast

Precision = Literal["day", "month", "year"]
EARLIEST_DATE = dt.date(1900, 1, 1)
LATEST_DATE = dt.date(2100, 12, 31)
# When a record may say it was fetched (UTC, both ends included): after the Unix epoch and
# within LATEST_DATE. Bounded so every stored value reads back (DuckDB keeps a timestamptz
# such as 9999-12-31T23:00-05:00 = year 10000 UTC, which Python cannot represent).
EARLIEST_RETRIEVED_AT = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
LATEST_RETRIEVED_AT = dt.datetime(2100, 12, 31, 23, 59, 59, 999_999, tzinfo=dt.UTC)
SubjectKey = Annotated[str, StringConstraints(pattern=r"^[a-z]+:[^\s]{1,200}$")]
SourceName = Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^[a-z0-9][a-z0-9._:/-]{0,79}$")]
Url = Annotated[str, StringConstraints(strip_whitespace=True, max_length=2000, pattern=r"^https?://\S+$")]
SourceRef = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500)]

_DATE_FORMS = (
    (re.compile(r"^\d{4}-\d{2}-\d{2}$"), "day"),
    (re.compile(r"^\d{4}-\d{2}$"), "month"),
    (re.compile(r"^\d{4}$"), "year"),
)


def slugify(text: str) -> str:
    """Lowercase ASCII words joined by '-'; stable across runs and machines."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    if slug:
        return slug[:120]
    # Names with no ASCII letters (e.g. Chinese) still need a stable key.
    return "u" + hashlib.sha256(text.encode()).hexdigest()[:12]


def canonical_json(value: Any) -> str:
    """The one JSON form hashed and stored: sorted keys, no spaces, UTF-8."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)


def truncate_to_precision(day: dt.date, precision: str) -> dt.date:
    if precision == "year":
        return day.replace(month=1, day=1)
    if precision == "month":
        return day.replace(day=1)
    return day


class _Envelope(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", allow_inf_nan=False)

    schema_version: int
    occurred_at: dt.date
    occurred_precision: Precision
    subject: SubjectKey | None = None
    source: SourceName
    source_url: Url | None = None
    source_ref: SourceRef | None = None
    retrieved_at: dt.datetime | None = None
    if TYPE_CHECKING:
        # Each concrete envelope (made from a declaration by _envelope_class) adds these two
        # fields; declared here for the type checker only, so they are no fields of the base.
        event_type: str
        payload: Payload

    @model_validator(mode="before")
    @classmethod
    def _read_partial_dates(cls, data: Any) -> Any:
        """Accept "2025", "2025-01" and "2025-01-20", inferring the precision."""
        if not isinstance(data, dict):
            return data
        raw = data.get("occurred_at")
        if isinstance(raw, str):
            text = raw.strip()
            for pattern, inferred in _DATE_FORMS:
                if pattern.match(text):
                    data = dict(data)
                    data.setdefault("occurred_precision", inferred)
                    if inferred == "month":
                        data["occurred_at"] = text + "-01"
                    elif inferred == "year":
                        data["occurred_at"] = text + "-01-01"
                    break
        elif isinstance(raw, dt.date) and "occurred_precision" not in data:
            data = dict(data, occurred_precision="day")
        return data

    @model_validator(mode="after")
    def _date_in_range(self) -> _Envelope:
        if not EARLIEST_DATE <= self.occurred_at <= LATEST_DATE:
            raise ValueError(f"occurred_at {self.occurred_at} is outside {EARLIEST_DATE}..{LATEST_DATE}")
        if self.retrieved_at is not None:
            retrieved = self.retrieved_at
            if retrieved.tzinfo is None:
                retrieved = retrieved.replace(tzinfo=dt.UTC)
            if not EARLIEST_RETRIEVED_AT <= retrieved <= LATEST_RETRIEVED_AT:
                raise ValueError(
                    f"retrieved_at {self.retrieved_at.isoformat()} is outside "
                    f"{EARLIEST_RETRIEVED_AT.isoformat()}..{LATEST_RETRIEVED_AT.isoformat()} (UTC)"
                )
            object.__setattr__(self, "retrieved_at", retrieved)
        truncated = truncate_to_precision(self.occurred_at, self.occurred_precision)
        if truncated != self.occurred_at:
            object.__setattr__(self, "occurred_at", truncated)
        return self

    @model_validator(mode="after")
    def _named_subject_when_no_rule(self) -> _Envelope:
        declared = declaration(self.event_type)
        if declared.subject is None and not (self.subject or "").startswith(f"{declared.prefix()}:"):
            raise ValueError(
                f"{declared.event_type} needs the subject '{declared.prefix()}:…' of the {declared.prefix()} it updates"
            )
        return self


# Every event is an envelope with its type's `event_type` tag and payload model: the
# classes are made from the declarations (schemas/registry.py), one per type.
Event = _Envelope


def _envelope_class(declared: type[EventType]) -> type[_Envelope]:
    return create_model(
        declared.__name__.removesuffix("Type") + "Event",
        __base__=_Envelope,
        __module__=__name__,
        event_type=(Literal[declared.event_type], ...),  # type: ignore[arg-type]  # a Literal built at run time
        payload=(declared.payload, ...),
    )


_adapter_cache: dict[int, TypeAdapter[Any]] = {}


def event_adapter() -> TypeAdapter[Any]:
    """The discriminated union over the registered event types (rebuilt when the registry changes)."""
    key = generation()
    adapter = _adapter_cache.get(key)
    if adapter is None:
        envelopes = tuple(_envelope_class(declared) for declared in declarations())
        union = Annotated[Union[envelopes], Field(discriminator="event_type")]  # type: ignore[valid-type]  # noqa: UP007 (a tuple of classes built at run time)
        adapter = TypeAdapter(union)
        _adapter_cache.clear()
        _adapter_cache[key] = adapter
    return adapter


def _subject_value(event: Event, part: SubjectPart) -> str:
    if part.field is None:
        return format(event.occurred_at, part.date_format or "")
    value = getattr(event.payload, part.field)
    if not part.slug:
        return str(value)
    text = " ".join(value) if isinstance(value, tuple) else ("" if value is None else str(value))
    if part.default is not None and not text:
        return part.default
    return slugify(text)


def derive_subject(event: Event) -> str:
    """The stream an event belongs to, when the record does not name one: its type's
    subject template, rendered on the payload."""
    template = declaration(event.event_type).subject
    if template is None:
        raise AssertionError(f"no subject rule for {event.event_type}")  # pragma: no cover (validated)
    return "".join(
        piece if isinstance(piece, str) else _subject_value(event, piece) for piece in template.pieces()
    )


# A record's explicit `subject` must carry its type's prefix (SUBJECT_PREFIXES, from the
# declarations; derive_subject gives the same one), so a launch cannot be filed under a
# policy's stream. An amendment's subject is exactly `event:<target_event_id>`: the
# projections find a target's amendments by that id, and a subject naming another event
# would say something the payload does not.
AMENDMENT_TYPES = ("event.corrected", "event.retracted")


def subject_problem(event: Event) -> str | None:
    """Why the record's explicit subject does not fit its event type, or None when it does."""
    if event.subject is None:
        return None
    if event.event_type in AMENDMENT_TYPES:
        expected = derive_subject(event)
        return None if event.subject == expected else f"{event.subject!r} must be {expected!r} (the target's id)"
    prefix = SUBJECT_PREFIXES.get(event.event_type)
    if prefix is None or event.subject.startswith(f"{prefix}:"):
        return None
    return f"{event.subject!r} must start with '{prefix}:' for {event.event_type}"


class NewEvent(BaseModel):
    """A validated event ready for the one append path (position and hashes come there)."""

    model_config = ConfigDict(frozen=True)

    event_id: str
    event_type: str
    schema_version: int
    subject: str
    occurred_at: dt.date
    occurred_precision: str
    source: str
    source_url: str | None
    source_ref: str | None
    retrieved_at: dt.datetime | None
    payload_json: str


class Rejection(BaseModel):
    """A record that could not become an event, with the reason and its raw text."""

    model_config = ConfigDict(frozen=True)

    record_ref: str
    reason: str
    raw: str


def compute_event_id(event: Event, subject: str) -> str:
    """Deterministic: the same fact from the same source always gets the same id.

    With a natural key (`source_ref`) the id is the source and that key, so a
    changed upstream row keeps its identity and can be corrected; without one
    it is the normalized content.
    """
    if event.source_ref is not None:
        identity: list[Any] = [event.source, event.event_type, event.source_ref]
    else:
        identity = [
            event.source,
            event.event_type,
            subject,
            event.occurred_at.isoformat(),
            event.occurred_precision,
            canonical_payload(event),
        ]
    return hashlib.sha256(canonical_json(identity).encode()).hexdigest()[:32]


def canonical_payload(event: Event) -> dict[str, Any]:
    """The payload as stored: every field, unknown (None) ones left out."""
    return event.payload.model_dump(mode="json", exclude_none=True)


def _describe_errors(exc: ValidationError) -> str:
    parts = []
    for error in exc.errors(include_url=False)[:5]:
        location = ".".join(str(part) for part in error["loc"] if part not in CURRENT_VERSIONS)
        parts.append(f"{location or 'record'}: {error['msg']}")
    return "; ".join(parts)



def storable(text: str) -> str:
    """Text that can be stored as UTF-8: lone surrogates become visible escapes."""
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


def raw_record_text(raw: Any) -> str:
    """The record as it came, for the quarantine; never raises, whatever `raw` is."""
    if isinstance(raw, bytes):
        return raw.decode("utf-8", "backslashreplace")
    if isinstance(raw, str):
        return storable(raw)
    try:
        return storable(canonical_json(raw))
    except (TypeError, ValueError, RecursionError):
        pass
    try:
        return storable(repr(raw))[:100_000]
    except (ValueError, RecursionError):
        return f"<unprintable {type(raw).__name__}: nested too deeply or too large to print>"


def _unstorable_text(event: NewEvent) -> str | None:
    """The first field holding text UTF-8 cannot encode (a lone surrogate), if any."""
    for name in ("subject", "source", "source_url", "source_ref", "payload_json"):
        value = getattr(event, name)
        if value is None:
            continue
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return "payload" if name == "payload_json" else name
    return None


class DuplicateKey(ValueError):
    """A JSON object names a key twice: which value was meant is unknowable."""


def unambiguous_object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """json.loads' object_pairs_hook for every record read: a key named twice raises DuplicateKey."""
    # json.loads would keep the last value silently (and DuckDB too): refuse instead.
    record = dict(pairs)
    if len(record) != len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise DuplicateKey(f"the key {storable(repr(key))[:200]} appears more than once in one object")
            seen.add(key)
    return record


def parse_record(
    raw: Any, *, record_ref: str, default_source: str | None = None
) -> NewEvent | Rejection:
    """Turn one raw record into a `NewEvent`, or a `Rejection` saying why not."""
    raw_text = raw_record_text(raw)
    try:
        record = json.loads(raw, object_pairs_hook=unambiguous_object) if isinstance(raw, (str, bytes)) else raw
    except DuplicateKey as exc:
        return Rejection(record_ref=record_ref, reason=f"ambiguous JSON: {exc}", raw=raw_text)
    except RecursionError:
        return Rejection(record_ref=record_ref, reason="not valid JSON: nested too deeply", raw=raw_text)
    except ValueError as exc:  # JSONDecodeError, bad UTF-8, an integer of thousands of digits
        return Rejection(record_ref=record_ref, reason=f"not valid JSON: {exc}", raw=raw_text)
    if not isinstance(record, Mapping):
        return Rejection(
            record_ref=record_ref, reason=f"expected a JSON object, got {type(record).__name__}", raw=raw_text
        )
    event_type = record.get("event_type")
    if not isinstance(event_type, str) or event_type not in CURRENT_VERSIONS:
        known = ", ".join(CURRENT_VERSIONS)
        shown = storable(repr(event_type))[:200] if isinstance(event_type, (str, int, float, type(None))) else (
            f"of type {type(event_type).__name__}"
        )
        return Rejection(record_ref=record_ref, reason=f"unknown event_type {shown} (known: {known})", raw=raw_text)
    record = dict(record)
    if default_source is not None:
        record.setdefault("source", default_source)
    try:
        record = upcast(record)
        event = event_adapter().validate_python(record)
        mismatch = subject_problem(event)
        if mismatch is not None:
            return Rejection(record_ref=record_ref, reason=storable(f"{event_type}: subject: {mismatch}"), raw=raw_text)
        subject = event.subject or derive_subject(event)
        new_event = _new_event(event, subject)
    except UpcastError as exc:
        return Rejection(record_ref=record_ref, reason=storable(str(exc)), raw=raw_text)
    except ValidationError as exc:
        return Rejection(record_ref=record_ref, reason=storable(f"{event_type}: {_describe_errors(exc)}"), raw=raw_text)
    except UnicodeEncodeError as exc:
        return Rejection(
            record_ref=record_ref,
            reason=f"{event_type}: text holds a lone surrogate (not valid Unicode) at {exc.start}",
            raw=raw_text,
        )
    except (RecursionError, ValueError) as exc:
        # Values pydantic accepts as `Any` (a correction's `changes`) can still be too
        # deep or too large to serialize.
        reason = "nested too deeply" if isinstance(exc, RecursionError) else storable(str(exc))[:500]
        return Rejection(record_ref=record_ref, reason=f"{event_type}: payload cannot be stored: {reason}", raw=raw_text)
    bad_field = _unstorable_text(new_event)
    if bad_field is not None:
        return Rejection(
            record_ref=record_ref,
            reason=f"{event_type}: {bad_field}: text holds a lone surrogate (not valid Unicode)",
            raw=raw_text,
        )
    return new_event


def fact_problem(record: Mapping[str, Any]) -> str | None:
    """Why `record` (an envelope and payload at its schema_version) is not a valid event of
    its type, or None: the same rules as parse_record (upcast, the model, the subject), for
    a state the log never held as one record - a target with its corrections applied."""
    try:
        event = event_adapter().validate_python(upcast(dict(record)))
    except UpcastError as exc:
        return str(exc)
    except ValidationError as exc:
        return _describe_errors(exc)
    mismatch = subject_problem(event)
    return None if mismatch is None else f"subject: {mismatch}"


def _new_event(event: Event, subject: str) -> NewEvent:
    return NewEvent(
        event_id=compute_event_id(event, subject),
        event_type=event.event_type,
        schema_version=event.schema_version,
        subject=subject,
        occurred_at=event.occurred_at,
        occurred_precision=event.occurred_precision,
        source=event.source,
        source_url=event.source_url,
        source_ref=event.source_ref,
        retrieved_at=event.retrieved_at,
        payload_json=canonical_json(canonical_payload(event)),
    )
