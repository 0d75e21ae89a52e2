"""One writer at a time, across processes.

DuckDB refuses a second read-write process with a terse error; this lock makes
the second writer (a CLI ingest while a Dagster run writes) wait a bounded time
and then fail with a message naming who holds the warehouse.
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

DEFAULT_TIMEOUT_S = 120.0


class WarehouseBusy(RuntimeError):
    """Another process holds the writer lock for longer than we were willing to wait."""


def _holder_file(lock_path: Path) -> Path:
    return lock_path.with_name(lock_path.name + ".holder")


def describe_holder(lock_path: Path) -> str:
    try:
        holder = json.loads(_holder_file(lock_path).read_text())
    except (OSError, ValueError):
        return "an unknown process"
    return f"pid {holder.get('pid')} on {holder.get('host')} ({holder.get('command')}) since {holder.get('since')}"


@contextmanager
def writer_lock(lock_path: Path, *, timeout_s: float = DEFAULT_TIMEOUT_S, purpose: str = "") -> Iterator[None]:
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    lock = FileLock(str(lock_path))
    try:
        lock.acquire(timeout=timeout_s)
    except Timeout:
        raise WarehouseBusy(
            f"the warehouse at {lock_path.parent} is being written by {describe_holder(lock_path)}; "
            f"waited {timeout_s:.0f}s for it"
        ) from None
    try:
        _holder_file(lock_path).write_text(
            json.dumps(
                {
                    "pid": os.getpid(),
                    "host": socket.gethostname(),
                    "command": purpose or " ".join(sys.argv[:3]),
                    "since": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                }
            )
        )
        yield
    finally:
        lock.release()
