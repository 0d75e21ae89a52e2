"""The inbox: a folder where analysts drop JSONL/CSV event files.

Each new file is ingested once through the one append path, then moved to
`done/` (read; its bad records, if any, are in events.quarantine as usual) or to
`failed/` (unreadable as a whole: `UnreadableInput`, nothing appended), with a
`<name>.reason.txt` beside it saying why. A file is identified by its name, size
and modification time, so a file replaced under the same name counts as new.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

from warehouse.readers import UnreadableInput
from warehouse.store import IngestResult

DONE = "done"
FAILED = "failed"
DEFAULT_SUFFIXES = (".jsonl", ".json", ".ndjson", ".csv")
# Files analysts' tools write while copying (and hidden files) are not ready yet.
_NOT_READY_SUFFIXES = (".part", ".partial", ".tmp", ".crdownload", "~")


@dataclass(frozen=True)
class InboxFile:
    path: Path
    size: int
    mtime_ns: int

    @property
    def key(self) -> str:
        """Name + size + mtime: what makes this drop of the file unique."""
        identity = f"{self.path.name}\0{self.size}\0{self.mtime_ns}"
        return hashlib.sha256(identity.encode()).hexdigest()[:16]

    @property
    def run_key(self) -> str:
        return f"inbox:{self.path.name}:{self.key}"


@dataclass(frozen=True)
class InboxOutcome:
    file: str
    moved_to: Path
    result: IngestResult | None
    error: str | None = None


def pending(folder: Path, suffixes: tuple[str, ...] = DEFAULT_SUFFIXES) -> list[InboxFile]:
    """Files waiting in the inbox (not in done/ or failed/), oldest first."""
    if not folder.is_dir():
        return []
    files = []
    for path in folder.iterdir():
        name = path.name
        if not path.is_file() or name.startswith(".") or name.endswith(_NOT_READY_SUFFIXES):
            continue
        if path.suffix.lower() not in suffixes:
            continue
        stat = path.stat()
        files.append(InboxFile(path, stat.st_size, stat.st_mtime_ns))
    return sorted(files, key=lambda f: (f.mtime_ns, f.path.name))


def _move(path: Path, folder: Path, reason: str | None = None) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / path.name
    if target.exists():
        # Same name dropped again: keep both, the later one stamped.
        stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S%f")
        target = folder / f"{path.stem}.{stamp}{path.suffix}"
    os.replace(path, target)
    if reason is not None:
        target.with_name(target.name + ".reason.txt").write_text(reason + "\n", encoding="utf-8")
    return target


def ingest_file(store, path: Path, *, run_id: str | None = None) -> InboxOutcome:
    """Append one inbox file and move it to done/ or failed/ (see the module docstring).

    Errors other than an unreadable file (the warehouse locked, a disk error) leave
    the file where it is, so it is tried again once the problem is fixed.
    """
    try:
        result = store.append_file(path, source=f"inbox:{path.name}"[:80], run_id=run_id, default_source="analyst")
    except UnreadableInput as exc:
        moved = _move(path, path.parent / FAILED, reason=str(exc))
        return InboxOutcome(path.name, moved, None, error=str(exc))
    return InboxOutcome(path.name, _move(path, path.parent / DONE), result)
