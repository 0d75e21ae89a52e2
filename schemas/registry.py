"""Event types: one declaration per type, and the registry every other view derives from.

An event type is one `EventType` subclass (schemas/event_types.py holds the built-in
ones): its event_type string, payload model, schema_version, upcasters, subject rule
and organization roles. The discriminated union (schemas/events.py), the version table
(schemas/upcasters.py), the SQL fast path's fields and derived subjects
(warehouse/log/fast_subset.py) and the organization mention roles
(warehouse/sql/core/20_organizations.sql reads `projection_state.organization_roles`)
are all read from here, so adding a type is its class and `register(...)`.

The views below (CURRENT_VERSIONS, UPCASTERS, PAYLOAD_TYPES, SUBJECT_PREFIXES) are kept
in step by register/unregister, which tests use to add a type for one test only.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

from schemas.payloads import Payload

Upcaster = Callable[[dict[str, Any]], dict[str, Any]]

# One part of a subject template: `{slug(field)}`, `{slug(field) or default}`, `{field}`
# (the value's text as it is) or `{occurred_at:%Y%m}` (the envelope's date).
_PART = re.compile(r"\{([^{}]+)\}")
_SLUG = re.compile(r"^slug\((\w+)\)(?: or ([a-z0-9-]+))?$")
_DATE = re.compile(r"^occurred_at:((?:%[Ymd])+)$")


@dataclass(frozen=True)
class SubjectPart:
    """One `{...}` of a subject template, parsed."""

    field: str | None  # a payload field; None: the envelope's occurred_at
    slug: bool = False
    default: str | None = None  # for an empty (or absent) value, with slug()
    date_format: str | None = None


@dataclass(frozen=True)
class SubjectTemplate:
    """The stream an event belongs to, declared once and rendered both in Python
    (schemas.events.derive_subject) and in SQL (warehouse/log/fast_subset.py), so the two
    cannot disagree: e.g. "model:{slug(model)}"."""

    text: str

    @property
    def prefix(self) -> str:
        return self.text.split(":", 1)[0]

    def pieces(self) -> list[str | SubjectPart]:
        """Literal text and parts, in order."""
        out: list[str | SubjectPart] = []
        position = 0
        for match in _PART.finditer(self.text):
            if match.start() > position:
                out.append(self.text[position:match.start()])
            out.append(_parse_part(match.group(1), self.text))
            position = match.end()
        if position < len(self.text):
            out.append(self.text[position:])
        return out


def _parse_part(inner: str, template: str) -> SubjectPart:
    if slug := _SLUG.match(inner):
        return SubjectPart(field=slug.group(1), slug=True, default=slug.group(2))
    if date := _DATE.match(inner):
        return SubjectPart(field=None, date_format=date.group(1))
    if re.fullmatch(r"\w+", inner):
        return SubjectPart(field=inner)
    raise ValueError(f"subject template {template!r}: cannot read {{{inner}}}")


class EventType:
    """One event type, declared once. Subclass it, set the class attributes, register it.

    - event_type: the stable string written into the log (never derived from a class name);
    - payload: the frozen pydantic model of the payload at `schema_version`;
    - upcasters: {old version: pure function lifting a payload dict to old version + 1};
    - subject: the template of the derived subject, or None when every record must name
      its subject (then `subject_prefix` says which family it must be in);
    - organization_roles: {payload field naming organizations (a name or a list): role}.
    """

    event_type: ClassVar[str]
    payload: ClassVar[type[Payload]]
    schema_version: ClassVar[int] = 1
    upcasters: ClassVar[Mapping[int, Upcaster]] = {}
    subject: ClassVar[SubjectTemplate | None]
    subject_prefix: ClassVar[str | None] = None
    organization_roles: ClassVar[Mapping[str, str]] = {}

    @classmethod
    def prefix(cls) -> str:
        """The subject family: a record's explicit subject must start with it."""
        if cls.subject is not None:
            return cls.subject.prefix
        if cls.subject_prefix is None:
            raise TypeError(f"{cls.event_type}: with no subject template, subject_prefix must be set")
        return cls.subject_prefix


# The registry: event_type -> its declaration, in registration order (the order the
# union and the SQL cases list them).
_DECLARED: dict[str, type[EventType]] = {}
# Derived views, kept in step with _DECLARED (the same dict objects throughout, so a
# module that imported one sees registrations made later).
CURRENT_VERSIONS: dict[str, int] = {}
UPCASTERS: dict[tuple[str, int], Upcaster] = {}
PAYLOAD_TYPES: dict[str, type[Payload]] = {}
SUBJECT_PREFIXES: dict[str, str] = {}
_generation = [0]


def declarations() -> tuple[type[EventType], ...]:
    return tuple(_DECLARED.values())


def declaration(event_type: str) -> type[EventType]:
    return _DECLARED[event_type]


def generation() -> int:
    """Changes whenever the registry does: caches derived from it key on this."""
    return _generation[0]


def _check(cls: type[EventType]) -> None:
    missing = [name for name in ("event_type", "payload", "subject") if not hasattr(cls, name)]
    if missing:
        raise TypeError(f"{cls.__name__}: declare {', '.join(missing)}")
    if cls.event_type in _DECLARED and _DECLARED[cls.event_type] is not cls:
        raise ValueError(f"{cls.event_type} is already declared by {_DECLARED[cls.event_type].__name__}")
    fields = set(cls.payload.model_fields)
    if cls.subject is not None:
        for piece in cls.subject.pieces():
            if isinstance(piece, SubjectPart) and piece.field is not None and piece.field not in fields:
                raise ValueError(f"{cls.event_type}: subject template names {piece.field!r}, not a payload field")
    for name in cls.organization_roles:
        if name not in fields:
            raise ValueError(f"{cls.event_type}: organization role on {name!r}, not a payload field")
    for version in range(1, cls.schema_version):
        if version not in cls.upcasters:
            raise ValueError(f"{cls.event_type}: no upcaster from schema_version {version}")
    cls.prefix()


def register(cls: type[EventType]) -> type[EventType]:
    """Add an event type (usable as a class decorator)."""
    _check(cls)
    _DECLARED[cls.event_type] = cls
    CURRENT_VERSIONS[cls.event_type] = cls.schema_version
    PAYLOAD_TYPES[cls.event_type] = cls.payload
    SUBJECT_PREFIXES[cls.event_type] = cls.prefix()
    for version, step in cls.upcasters.items():
        UPCASTERS[(cls.event_type, version)] = step
    _generation[0] += 1
    return cls


def unregister(cls: type[EventType]) -> None:
    del _DECLARED[cls.event_type]
    for view in (CURRENT_VERSIONS, PAYLOAD_TYPES, SUBJECT_PREFIXES):
        view.pop(cls.event_type, None)
    for key in [key for key in UPCASTERS if key[0] == cls.event_type]:
        del UPCASTERS[key]
    _generation[0] += 1


@contextlib.contextmanager
def registered(cls: type[EventType]) -> Iterator[type[EventType]]:
    """The type is known inside the block only (a test's own event type)."""
    register(cls)
    try:
        yield cls
    finally:
        unregister(cls)


def organization_roles() -> list[tuple[str, str, str]]:
    """(event_type, payload field, role) of every declared organization role."""
    return [(t.event_type, name, role) for t in _DECLARED.values() for name, role in t.organization_roles.items()]
