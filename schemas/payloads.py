"""Typed payloads, one frozen model per event type.

The event-type names are stable strings written into the log; they are never
derived from class names, so a class can be renamed without touching history.
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, StringConstraints

ShortText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=300)]
LongText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=5000)]
Label = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=120)]
# ISO 3166-1 alpha-2, plus "EU"/"INT" and sub-national codes such as "US-CA".
CountryCode = Annotated[
    str,
    BeforeValidator(lambda value: value.strip().upper() if isinstance(value, str) else value),
    StringConstraints(pattern=r"^[A-Z]{2,3}(-[A-Z0-9]{1,3})?$"),
]
# Counts of FLOP or parameters: physical quantities, never negative, never NaN.
Quantity = Annotated[float, Field(ge=0, le=1e40, allow_inf_nan=False)]

AllegationKind = Literal[
    "distillation",
    "ip_theft",
    "copyright",
    "data_scraping",
    "safety",
    "antitrust",
    "privacy",
    "security",
    "export_violation",
    "defamation",
    "other",
]
# What an allegation is, as distinct from its subject matter (`kind`): a party accusing
# another in public, a lawsuit or prosecution, or a regulator's inquiry or study. Only
# accusations and lawsuits make accuser -> accused edges (marts.allegations_network): a
# study such as the FTC's 6(b) orders accuses no one.
AllegationNature = Literal["accusation", "lawsuit", "inquiry"]
AllegationStatus = Literal[
    "alleged", "denied", "under_investigation", "confirmed", "settled", "dismissed", "withdrawn", "ruled"
]
PolicyInstrument = Literal[
    "law", "executive_order", "export_control", "regulation", "guideline", "standard", "strategy", "treaty", "other"
]
# `published`: printed in an official journal (an EU act's OJ date). `in_force`: the act
# binds (its entry into force). `applies`: a set of its provisions starts to apply, which
# for a phased act (the AI Act) comes after entry into force, one step per date.
PolicyStage = Literal["proposed", "adopted", "published", "in_force", "applies", "amended", "revoked", "withdrawn"]
ModelAccess = Literal["open_weights", "api", "hosted", "unreleased"]
# Epoch's own confidence labels, carried as given (its documentation says what they qualify).
CapabilityConfidence = Literal["Confident", "Likely", "Speculative", "Unknown", "Unverified"]
ProductKind = Literal["chatbot", "api", "app", "agent", "hardware", "platform", "company", "feature", "other"]


class Payload(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", allow_inf_nan=False)


class ModelLaunched(Payload):
    model: ShortText
    # Empty means "organization unknown" (Epoch has such rows): kept, not dropped.
    organizations: tuple[ShortText, ...] = ()
    # Countries as the source gives them; they need not pair up with organizations.
    countries: tuple[CountryCode, ...] = ()
    open_weights: bool | None = None
    access: ModelAccess | None = None
    access_detail: ShortText | None = None
    parameters: Quantity | None = None
    training_compute_flop: Quantity | None = None
    training_dataset_size: Quantity | None = None
    domains: tuple[Label, ...] = ()
    tasks: tuple[Label, ...] = ()
    frontier: bool | None = None
    notability: tuple[Label, ...] = ()
    base_model: ShortText | None = None
    hardware: ShortText | None = None
    notes: LongText | None = None


class ProductReleased(Payload):
    organization: ShortText
    product: ShortText
    kind: ProductKind
    description: LongText | None = None
    models: tuple[ShortText, ...] = ()


class AllegationMade(Payload):
    """schema_version 2 (v1 had one `accuser` and one `accused` string and no `nature`)."""

    nature: AllegationNature
    # Every named party, one name per item: co-plaintiffs, a regulator and its partner
    # agencies (for an inquiry, whoever opened it). At least one.
    accusers: tuple[ShortText, ...] = Field(min_length=1)
    # Every named defendant or target, one per item; empty: the accused is unnamed
    # ("some Chinese labs").
    accused: tuple[ShortText, ...] = ()
    kind: AllegationKind
    venue: ShortText | None = None
    status: AllegationStatus = "alleged"
    summary: LongText


class AllegationUpdated(Payload):
    status: AllegationStatus
    summary: LongText
    venue: ShortText | None = None


class PolicyChanged(Payload):
    jurisdiction: CountryCode
    instrument: PolicyInstrument
    title: ShortText
    stage: PolicyStage
    topics: tuple[Label, ...] = ()
    summary: LongText | None = None


class CapabilityScored(Payload):
    """One model version's score on a capability index (Epoch's ECI), as the index states it.

    An empty cell is unknown (None, left out of the stored payload), never 0: a version
    without a score yet is kept, so a later re-fit that scores it is a correction."""

    index: ShortText
    model_version: ShortText
    model: ShortText | None = None
    display_name: ShortText | None = None
    score: float | None = Field(default=None, allow_inf_nan=False)
    release_date: dt.date | None = None
    organizations: tuple[ShortText, ...] = ()
    countries: tuple[CountryCode, ...] = ()
    access: ModelAccess | None = None
    access_detail: ShortText | None = None
    open_weights: bool | None = None
    training_compute_flop: Quantity | None = None
    confidence: CapabilityConfidence | None = None
    description: LongText | None = None


EventId = Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{32}$")]


def _finite_json(changes: dict[str, Any]) -> dict[str, Any]:
    """Refuse NaN and infinities anywhere in a patch: JSON has no such numbers, and the stored
    form would silently turn them into null, which a merge patch reads as "delete the field"."""
    pending: list[Any] = [changes]
    while pending:  # (iterative: a patch may be nested deeper than Python's recursion limit)
        value = pending.pop()
        if isinstance(value, float) and not math.isfinite(value):
            raise ValueError(f"{value} is not a JSON number (NaN and infinities cannot be stored)")
        if isinstance(value, dict):
            pending.extend(value.values())
        elif isinstance(value, (list, tuple)):
            pending.extend(value)
    return changes


# A JSON merge patch (named: warehouse/log/fast_subset.py recognizes the field by its type).
Changes = Annotated[dict[str, Any], AfterValidator(_finite_json)]


class EventCorrected(Payload):
    target_event_id: EventId
    # New payload values of the target, merged over its payload (JSON merge patch).
    changes: Changes = Field(default_factory=dict)
    occurred_at: dt.date | None = None
    occurred_precision: Literal["day", "month", "year"] | None = None
    reason: LongText


class EventRetracted(Payload):
    target_event_id: EventId
    reason: LongText
