"""A full disk: read-only commands keep working, writing ones fail cleanly (exit 4),
and nothing committed is lost. The disk is a real tmpfs of a few megabytes, filled up
(mounting needs root: CI and this project's machines run as root)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import launch, write_jsonl
from warehouse import EventStore, RawRecord, WarehouseHome
from warehouse.build import refresh_and_publish

REPO = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def _airace(*args, home: WarehouseHome) -> subprocess.CompletedProcess:
    env = {**os.environ, "AIRACE_HOME": str(home.root), "PYTHONPATH": str(REPO), "AIRACE_LOCK_TIMEOUT_S": "10"}
    return subprocess.run(
        [BIN / "airace", *map(str, args)], cwd=REPO, env=env, capture_output=True, text=True, timeout=120, check=False
    )


def _fill(disk: Path) -> None:
    """Write zeros until the file system refuses: no byte left."""
    fd = os.open(disk / f"filler-{len(list(disk.glob('filler*')))}", os.O_WRONLY | os.O_CREAT)
    try:
        for chunk in (65536, 4096, 1):
            try:
                while True:
                    os.write(fd, b"\0" * chunk)
            except OSError:
                continue
    finally:
        os.close(fd)


@pytest.fixture
def full_home(tmp_path):
    """A published warehouse on a tmpfs with no space left."""
    built = WarehouseHome.resolve(tmp_path / "built").ensure()
    store = EventStore(built, lock_timeout_s=10)
    store.append([RawRecord(str(i), launch(f"m-{i}", "2025-03-01", ref=f"m-{i}")) for i in range(20)], source="test")
    refresh_and_publish(store)
    disk = tmp_path / "disk"
    disk.mkdir()
    size_kb = sum(p.stat().st_size for p in built.root.iterdir()) // 1024 + 512
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size_kb}k", "tmpfs", str(disk)], capture_output=True)
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here (needs root): {mounted.stderr.decode().strip()}")
    try:
        shutil.copytree(built.root, disk / "home")
        _fill(disk)
        yield WarehouseHome.resolve(disk / "home")
    finally:
        subprocess.run(["umount", "-l", str(disk)], check=False)


def test_verify_and_sql_work_on_a_full_disk(full_home):
    (full_home.root / "airace.writer.lock.holder").unlink()  # the holder record must not be needed
    _fill(full_home.root.parent)

    verify = _airace("verify", home=full_home)
    assert verify.returncode == 0, verify.stdout + verify.stderr
    assert "OK: 20 events" in verify.stdout

    query = _airace("sql", "select count(*) as n from events.log", "--format", "csv", home=full_home)
    assert query.returncode == 0, query.stderr
    assert query.stdout.splitlines() == ["n", "20"]


def test_ingest_on_a_full_disk_fails_cleanly_and_loses_nothing(full_home, tmp_path):
    new = write_jsonl(tmp_path / "new.jsonl", [launch(f"new-{i}", "2025-04-01", ref=f"new-{i}") for i in range(50)])
    result = _airace("ingest", new, home=full_home)
    assert result.returncode == 4, result.stdout + result.stderr
    assert "disk full" in result.stderr and "No space left on device" in result.stderr
    assert "Traceback" not in result.stderr and "╭" not in result.stderr

    # Space again: the log is as it was, verifies, and takes the file.
    for filler in full_home.root.parent.glob("filler*"):
        filler.unlink()
    assert "OK: 20 events" in _airace("verify", home=full_home).stdout
    again = _airace("ingest", new, "--no-refresh", home=full_home)
    assert again.returncode == 0, again.stderr
    assert "OK: 70 events" in _airace("verify", home=full_home).stdout
