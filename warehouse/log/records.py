"""The event store's value types: a record as a source delivered it, and the reports of
an append and of a verification.

A module of their own, at the bottom of the warehouse, so the readers, the
reconciler and the witness can name them without importing the store (which
imports them: the store would otherwise sit in an import cycle with each).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class RawRecord:
    """One record as a source delivered it: a reference for error messages and the raw value."""

    ref: str
    value: Any
    # Set by a reader that already knows the record is unusable (e.g. a CSV row that
    # does not parse): the record goes to quarantine with this reason.
    error: str | None = None


@dataclass(frozen=True)
class IngestResult:
    run_id: str
    source: str
    read: int
    appended: int
    duplicate: int
    quarantined: int
    head_hash: str
    first_position: int | None
    last_position: int | None
    # Records the bulk path validated in SQL (append_file of JSON Lines); the rest of
    # `read` went through pydantic one by one.
    validated_in_sql: int = 0

    def as_metadata(self) -> dict[str, Any]:
        return {
            "read": self.read,
            "appended": self.appended,
            "duplicate": self.duplicate,
            "quarantined": self.quarantined,
            "head_hash": self.head_hash,
            "run_id": self.run_id,
        }


@dataclass(frozen=True)
class VerifyReport:
    ok: bool
    events: int
    head_hash: str
    first_bad_position: int | None = None
    problem: str | None = None
    # The highest head the witness (warehouse/log/witness.py) vouches for, when it was checked.
    witnessed_position: int | None = None
    # What was found about the published snapshot, when it was checked.
    snapshot: str | None = None
