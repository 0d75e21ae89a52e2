"""Where the warehouse lives: the live database, the analysts' snapshot, the writer lock."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

DEFAULT_HOME = Path(__file__).resolve().parent / "data"


@dataclass(frozen=True)
class WarehouseHome:
    root: Path

    @classmethod
    def resolve(cls, home: str | os.PathLike[str] | None = None) -> WarehouseHome:
        """`--home` wins, then `AIRACE_HOME`, then `warehouse/data` in the project."""
        chosen = home or os.environ.get("AIRACE_HOME") or DEFAULT_HOME
        return cls(Path(chosen).expanduser().resolve())

    @property
    def live_db(self) -> Path:
        return self.root / "airace.duckdb"

    @property
    def snapshot_db(self) -> Path:
        return self.root / "airace-snapshot.duckdb"

    @property
    def lock_file(self) -> Path:
        return self.root / "airace.writer.lock"

    @property
    def witness_file(self) -> Path:
        # Every published head, append-only (warehouse/witness.py); copy it off-box to trust it.
        return self.root / "airace-witness.jsonl"

    @property
    def raw_dir(self) -> Path:
        return self.root / "raw"

    def ensure(self) -> WarehouseHome:
        self.root.mkdir(parents=True, exist_ok=True)
        return self
