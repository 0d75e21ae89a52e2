"""What the extractor returns: candidate events with their evidence."""

from __future__ import annotations

import datetime as dt
import hashlib
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

Precision = Literal["day", "month", "year"]
DateBasis = Literal["sentence", "article", "retrieved"]
Role = Literal["developer", "accuser", "accused", "jurisdiction", "venue"]

EXTRACTOR_SOURCE = "extractor"
EXTRACTOR_VERSION = "1"


class OrgRef(BaseModel):
    model_config = ConfigDict(frozen=True)

    name: str
    # None for a party the registry does not know.
    org_id: str | None
    country: str | None
    role: Role


class Candidate(BaseModel):
    """One event an article states, as a reviewer sees it, with the record to append."""

    model_config = ConfigDict(frozen=True)

    candidate_id: str
    event_type: str
    organizations: tuple[OrgRef, ...]
    # What the event is about: the model, the product, the allegation kind or the policy title.
    key: str
    model: str | None = None
    product: str | None = None
    policy_title: str | None = None
    allegation_kind: str | None = None
    occurred_at: dt.date
    occurred_precision: Precision
    date_basis: DateBasis
    evidence: str
    # [start, end) into `Extraction.text`, whose SHA-256 is `article_sha256`.
    span: tuple[int, int]
    article_sha256: str
    confidence: float = Field(ge=0.0, le=1.0)
    # Why: each cue that fired ("trigger:released", "actor:subject", "date:sentence", ...).
    cues: tuple[str, ...]
    # A full input record, accepted by `schemas.parse_record`.
    record: dict[str, Any]

    @property
    def main_organization(self) -> str | None:
        if self.event_type == "policy.changed":
            return next((o.country for o in self.organizations if o.role == "jurisdiction"), None)
        return self.organizations[0].name if self.organizations else None


class Extraction(BaseModel):
    model_config = ConfigDict(frozen=True)

    article_sha256: str
    # The text the spans refer to: the input itself, or the visible text of an HTML page.
    text: str
    article_date: dt.date | None
    article_date_precision: Precision | None
    source_url: str | None
    candidates: tuple[Candidate, ...]
    # Candidates whose record the schema refused (should stay empty; kept to be visible).
    dropped: tuple[str, ...] = ()


def candidate_id(source_ref: str) -> str:
    """Stable across runs: re-extracting the same article yields the same ids."""
    return hashlib.sha256(source_ref.encode()).hexdigest()[:16]
