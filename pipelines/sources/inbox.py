"""The inbox: a folder where analysts drop JSONL/CSV event files.

Each file is ingested once through the one append path, then moved to `done/`
(all of it was read; its bad records, if any, are in events.quarantine as usual)
or to `failed/` (unreadable as a whole, a read error, or changed after it was
read), with a `<name>.reason.txt` beside it saying why. A file is identified by
its name, size and modification time, so a file replaced under the same name
counts as new.

When a file is complete — the convention, for whoever writes into the inbox:
- safest: write it under a name starting with "." (or ending in .part, .tmp, ...)
  and rename it when done: such names are never taken, and a rename is atomic;
- or write it in place and then create an empty `<name>.ready` beside it
  (e.g. `events.jsonl.ready`): the file is taken at once if the marker is at
  least as new as the file (a file written to after its marker waits again);
- otherwise a file is taken once nothing has written to it for `settle_s`
  seconds (its modification time; default 30 s, the registry's inbox option). A
  writer that may pause longer than that must use one of the two ways above.
Even then a file is copied before it is read, the copy checked against the file
(size and modification time, before and after), so a file that changes while it
is being taken is left for later, and one that changes after it was read goes to
`failed/` saying what was ingested from it: nothing is counted half and silently.

Only regular files directly in the inbox are taken: symbolic links, hard-linked
files, folders and anything outside the inbox are refused, never read.

Why the inbox is not a SourceKind (pipelines/sources/kind.py) run by the source runner:
it fetches nothing and lands nothing (the file itself is kept, in done/ or failed/),
and each file is its own batch, its own ingest run and its own outcome, taken only
once complete; the runner's unit is one source's locations in one batch. So the
inbox is a front door: it decides which file is ready and safe to read, then hands
the copy to the append path every file goes through (`EventStore.append_file`, as
`airace ingest FILE`), and moves the file by the result.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import stat
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from warehouse.log.readers import UnreadableInput
from warehouse.log.store import IngestResult

DONE = "done"
FAILED = "failed"
READY_SUFFIX = ".ready"
DEFAULT_SUFFIXES = (".jsonl", ".json", ".ndjson", ".csv")
DEFAULT_SETTLE_S = 30
# Files analysts' tools write while copying (and hidden files) are not ready yet.
_NOT_READY_SUFFIXES = (".part", ".partial", ".tmp", ".crdownload", "~")
_COPY_CHUNK = 1 << 20


class InboxRefused(ValueError):
    """A path the inbox will not read: outside it, a link, not a regular file."""


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
class Scan:
    """What is in the inbox: files ready to take, files still settling, entries refused."""

    ready: tuple[InboxFile, ...]
    settling: tuple[InboxFile, ...]
    refused: tuple[tuple[str, str], ...]  # (name, why)


@dataclass(frozen=True)
class InboxOutcome:
    file: str
    # done: all of it read; failed: see error; waiting: not complete yet, left in the inbox;
    # gone: no longer there when its turn came.
    status: Literal["done", "failed", "waiting", "gone"]
    moved_to: Path | None
    result: IngestResult | None
    error: str | None = None


def _candidate_name(name: str, suffixes: tuple[str, ...]) -> bool:
    """A name the inbox considers at all (hidden, in-progress and marker names never are)."""
    if name.startswith(".") or name.endswith(_NOT_READY_SUFFIXES):
        return False
    return Path(name).suffix.lower() in suffixes


def _refusal(entry: os.stat_result) -> str | None:
    """Why an inbox entry is not taken whatever its name, or None."""
    if stat.S_ISLNK(entry.st_mode):
        return "a symbolic link: the inbox takes only regular files it holds itself, and never follows links"
    if not stat.S_ISREG(entry.st_mode):
        return "not a regular file"
    if entry.st_nlink > 1:
        # Another name for a file elsewhere, like a link: its content is not the dropper's to give.
        return f"has {entry.st_nlink} hard links: the inbox takes only files it holds alone"
    return None


def _is_ready(path: Path, entry: os.stat_result, settle_s: float, now_ns: int) -> bool:
    try:
        marker = os.lstat(path.with_name(path.name + READY_SUFFIX))
    except OSError:
        marker = None
    if marker is not None and stat.S_ISREG(marker.st_mode) and marker.st_mtime_ns >= entry.st_mtime_ns:
        return True
    return now_ns - entry.st_mtime_ns >= settle_s * 1_000_000_000


def scan(folder: Path, suffixes: tuple[str, ...] = DEFAULT_SUFFIXES, *, settle_s: float = DEFAULT_SETTLE_S) -> Scan:
    """Every candidate in the inbox (not in done/ or failed/), oldest first, by readiness."""
    if not folder.is_dir():
        return Scan((), (), ())
    now_ns = time.time_ns()
    ready, settling, refused = [], [], []
    for path in folder.iterdir():
        if path.name in (DONE, FAILED) or not _candidate_name(path.name, suffixes):
            continue
        try:
            entry = os.lstat(path)  # lstat: a link is judged as a link, never by its target
        except FileNotFoundError:
            continue  # taken or renamed meanwhile
        why = _refusal(entry)
        if why is not None:
            refused.append((path.name, why))
            continue
        file = InboxFile(path, entry.st_size, entry.st_mtime_ns)
        (ready if _is_ready(path, entry, settle_s, now_ns) else settling).append(file)

    def order(files: list[InboxFile]) -> tuple[InboxFile, ...]:
        return tuple(sorted(files, key=lambda f: (f.mtime_ns, f.path.name)))

    return Scan(order(ready), order(settling), tuple(sorted(refused)))


def pending(
    folder: Path, suffixes: tuple[str, ...] = DEFAULT_SUFFIXES, *, settle_s: float = DEFAULT_SETTLE_S
) -> list[InboxFile]:
    """Files ready to be taken from the inbox, oldest first."""
    return list(scan(folder, suffixes, settle_s=settle_s).ready)


def requested_path(folder: Path, requested: str | os.PathLike[str], suffixes: tuple[str, ...] = DEFAULT_SUFFIXES) -> Path:
    """A path a run was asked to take, when it names a candidate directly inside the inbox;
    InboxRefused otherwise (a run's config can say anything)."""
    path = Path(requested)
    if not path.is_absolute():
        path = folder / path
    if path.parent.resolve() != folder.resolve() or path.name in ("", ".", ".."):
        raise InboxRefused(f"{requested}: outside the inbox {folder}; refused")
    if not _candidate_name(path.name, suffixes):
        raise InboxRefused(f"{requested}: not a name the inbox takes (a hidden or in-progress name, or not one of "
                           f"{', '.join(suffixes)}); refused")
    try:
        why = _refusal(os.lstat(path))
    except FileNotFoundError:
        why = None
    if why is not None:
        raise InboxRefused(f"{requested}: {why}; refused")
    return folder / path.name


def _subfolder(folder: Path, name: str) -> Path:
    target = folder / name
    target.mkdir(parents=True, exist_ok=True)
    if target.is_symlink() or not target.is_dir():
        # Moving a file "into" a link would put it wherever the link points.
        raise InboxRefused(f"{target}: not a plain folder; the inbox will not move files into it")
    return target


def _move(path: Path, folder: Path, reason: str | None = None) -> Path:
    target = folder / path.name
    if target.exists():
        # Same name dropped again: keep both, the later one stamped.
        stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S%f")
        target = folder / f"{path.stem}.{stamp}{path.suffix}"
    os.replace(path, target)
    if reason is not None:
        target.with_name(target.name + ".reason.txt").write_text(reason + "\n", encoding="utf-8")
    marker = path.with_name(path.name + READY_SUFFIX)
    if marker.is_file() and not marker.is_symlink():
        marker.unlink()  # its file is taken; a stale marker must not vouch for the next one
    return target


def _same_version(a: os.stat_result, b: os.stat_result) -> bool:
    return (a.st_dev, a.st_ino, a.st_size, a.st_mtime_ns) == (b.st_dev, b.st_ino, b.st_size, b.st_mtime_ns)


class _ChangedWhileCopying(Exception):
    pass


def _copy_exactly(path: Path, seen: os.stat_result, destination: Path) -> os.stat_result:
    """Copy the version of `path` that was `seen` (lstat) to `destination`; _ChangedWhileCopying when
    the file is not that version any more, before or after. OSError when it cannot be read."""
    # O_NOFOLLOW: a link swapped in since the scan is refused by the kernel, not followed.
    # O_NONBLOCK: a FIFO swapped in cannot hang the open (and is refused below).
    descriptor = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    with os.fdopen(descriptor, "rb") as source:
        before = os.fstat(source.fileno())
        if not stat.S_ISREG(before.st_mode) or not _same_version(before, seen):
            raise _ChangedWhileCopying
        copied = 0
        with destination.open("wb") as target:
            while chunk := source.read(_COPY_CHUNK):
                copied += len(chunk)
                target.write(chunk)
        after = os.fstat(source.fileno())
    if copied != seen.st_size or not _same_version(after, seen):
        raise _ChangedWhileCopying
    return after


def ingest_file(
    store, path: Path, *, run_id: str | None = None, settle_s: float = DEFAULT_SETTLE_S
) -> InboxOutcome:
    """Take one inbox file (see the module docstring): append it and move it to done/ or failed/,
    or leave it when it is not complete yet. InboxRefused for a link or other non-regular file.

    Errors other than the file's own (the warehouse locked, a disk error) leave the file where
    it is, so it is tried again once the problem is fixed.
    """
    try:
        entry = os.lstat(path)
    except FileNotFoundError:
        return InboxOutcome(path.name, "gone", None, None, error="no longer in the inbox (taken by another run?)")
    why = _refusal(entry)
    if why is not None:
        raise InboxRefused(f"{path}: {why}; refused")
    if not _is_ready(path, entry, settle_s, time.time_ns()):
        age_s = (time.time_ns() - entry.st_mtime_ns) / 1e9
        return InboxOutcome(path.name, "waiting", None, None, error=(
            f"still being written (last written {age_s:.1f}s ago; taken once untouched for {settle_s:g}s, "
            f"or at once beside a {path.name}{READY_SUFFIX} marker)"))
    done, failed = _subfolder(path.parent, DONE), _subfolder(path.parent, FAILED)
    spill = store.home.root / "tmp"
    spill.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=spill, prefix="inbox-") as private:
        # The copy keeps the file's name: record references read "<name>:<line>".
        copy = Path(private) / path.name
        try:
            read = _copy_exactly(path, entry, copy)
        except _ChangedWhileCopying:
            return InboxOutcome(path.name, "waiting", None, None, error="changed while being read; left for later")
        except OSError as exc:
            reason = f"{path.name}: read error, nothing ingested: {exc}"
            return InboxOutcome(path.name, "failed", _move(path, failed, reason), None, error=reason)
        try:
            result = store.append_file(copy, source=f"inbox:{path.name}"[:80], run_id=run_id, default_source="analyst")
        except UnreadableInput as exc:
            reason = str(exc).replace(str(copy), str(path))
            return InboxOutcome(path.name, "failed", _move(path, failed, reason), None, error=reason)
    try:
        now = os.lstat(path)
    except FileNotFoundError:
        now = None
    if now is None or not _same_version(now, read):
        reason = (
            f"{path.name}: changed after it was read: its first {read.st_size} bytes were ingested (run {result.run_id}: "
            f"read {result.read} = appended {result.appended} + duplicate {result.duplicate} + quarantined "
            f"{result.quarantined}); whatever was written after that was NOT ingested: drop it as a new file"
        )
        if now is None:
            return InboxOutcome(path.name, "failed", None, result, error=reason + " (the file is gone)")
        return InboxOutcome(path.name, "failed", _move(path, failed, reason), result, error=reason)
    return InboxOutcome(path.name, "done", _move(path, done), result)
