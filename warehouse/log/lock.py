"""One writer at a time, across processes.

DuckDB refuses a second read-write process with a terse error; this lock makes
the second writer (a CLI ingest while a Dagster run writes) wait a bounded time
and then fail with a message naming who holds the warehouse.

The lock is an OS file lock (flock), so a holder that crashes releases it with
its last file descriptor: a stale holder file can describe the past, never
block the future. Within one process the lock is reentrant (one FileLock per
path), so code that already holds it can call helpers that take it again
instead of deadlocking on its own lock until the timeout.
"""

from __future__ import annotations

import json
import os
import socket
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from filelock import FileLock, Timeout

# How long a second writer waits for the first; AIRACE_LOCK_TIMEOUT_S overrides it.
DEFAULT_TIMEOUT_S = float(os.environ.get("AIRACE_LOCK_TIMEOUT_S", "120"))


class WarehouseBusy(RuntimeError):
    """Another process holds the writer lock for longer than we were willing to wait."""


def _holder_file(lock_path: Path) -> Path:
    return lock_path.with_name(lock_path.name + ".holder")


def describe_holder(lock_path: Path) -> str:
    try:
        holder = json.loads(_holder_file(lock_path).read_text())
    except (OSError, ValueError):
        return "an unknown process"
    if not holder:
        # Released between our timeout and this read: the holder just finished.
        return "a process that has just released it"
    return f"pid {holder.get('pid')} on {holder.get('host')} ({holder.get('command')}) since {holder.get('since')}"


def _write_holder(lock_path: Path, holder: dict) -> None:
    # Written to a temp name and renamed so a waiting process never reads half a
    # record (it would then name "an unknown process" in its error).
    target = _holder_file(lock_path)
    scratch = target.with_name(f"{target.name}.{os.getpid()}.tmp")
    try:
        scratch.write_text(json.dumps(holder))
        os.replace(scratch, target)
    except OSError:
        # A full (or read-only) disk: the record is a courtesy for error messages, the
        # flock is the lock. Readers (verify, previews) must keep working without it.
        scratch.unlink(missing_ok=True)


def _lock_for(lock_path: Path) -> FileLock:
    # is_singleton: every writer_lock() on this path in this process shares one
    # reentrant FileLock; separate instances would flock separate descriptors and
    # a nested acquire would wait for itself.
    return FileLock(str(lock_path.resolve()), is_singleton=True)


@contextmanager
def writer_lock(lock_path: Path, *, timeout_s: float = DEFAULT_TIMEOUT_S, purpose: str = "") -> Iterator[None]:
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    lock = _lock_for(lock_path)
    try:
        lock.acquire(timeout=timeout_s)
    except Timeout:
        raise WarehouseBusy(
            f"the warehouse at {lock_path.parent} is being written by {describe_holder(lock_path)}; "
            f"waited {timeout_s:g}s for it"
        ) from None
    outermost = lock.lock_counter == 1
    try:
        if outermost:
            _write_holder(
                lock_path,
                {
                    "pid": os.getpid(),
                    "host": socket.gethostname(),
                    "command": purpose or " ".join(sys.argv[:3]),
                    "since": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                },
            )
        yield
    finally:
        if outermost:
            # Cleared while still held, so no later holder's record is erased.
            _write_holder(lock_path, {})
        lock.release()
