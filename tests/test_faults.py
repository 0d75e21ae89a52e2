"""Fault injection: kill -9 of a writer at deterministic points, then rerun.

The points are found by watching the process from outside (the writer lock's
holder file and the sizes of the DuckDB file and its WAL), not by sleeping a
guessed time:

* validating  - the child holds the writer lock, nothing of the batch is written yet;
* wal         - the commit is being written to the WAL;
* checkpoint  - the database file grows: the commit is in the WAL and is being folded in.

After each kill the log (opened read-only) holds none or all of the batch, the chain
verifies, a stale lock or holder file does not block the rerun, and the rerun completes
the batch without duplicates. The same for a process killed between append and
snapshot publish, and during the publish: the previous snapshot stays valid.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable
from pathlib import Path

import duckdb
import pytest

from tests.tools.bench import write_event_file
from warehouse import EventStore, WarehouseHome
from warehouse.build import refresh_and_publish
from warehouse.log.chain import verify
from warehouse.log.readers import read_jsonl
from warehouse.publishing.timetravel import open_snapshot

ROOT = Path(__file__).resolve().parents[1]
BASE_LINES = 1_500
BATCH_LINES = 30_000
WAIT_S = 60.0


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except FileNotFoundError:
        return -1


def _holder(home: WarehouseHome) -> dict:
    try:
        return json.loads(home.lock_file.with_name(home.lock_file.name + ".holder").read_text()) or {}
    except (OSError, ValueError):
        return {}


def _log_state(home: WarehouseHome) -> tuple[int, int, bool]:
    """(rows, distinct event ids, chain verifies) of the live log, opened read-only."""
    con = duckdb.connect(str(home.live_db), read_only=True)
    try:
        rows, distinct = con.execute("select count(*), count(distinct event_id) from events.log").fetchall()[0]
        report = verify(con)
    finally:
        con.close()
    return rows, distinct, report.ok


def _stderr(proc: subprocess.Popen) -> str:
    try:
        return Path(proc.stderr_path).read_text()[-2000:]  # type: ignore[attr-defined]
    except (AttributeError, OSError):
        return ""


def _kill_when(proc: subprocess.Popen, condition: Callable[[], str | None], *, timeout_s: float = WAIT_S) -> str:
    """Poll until `condition()` names a stage, then SIGKILL; returns the stage."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"the child ended (rc {proc.returncode}) before the kill point: {_stderr(proc)}")
        stage = condition()
        if stage is not None:
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait(timeout=WAIT_S)
            assert proc.returncode == -signal.SIGKILL
            return stage
        time.sleep(0.002)
    proc.kill()
    proc.wait(timeout=WAIT_S)
    pytest.fail("the kill point was never reached")


@pytest.fixture(scope="module")
def files(tmp_path_factory) -> dict:
    """A small first batch and a large second one (with bad rows and duplicates), and a
    template warehouse holding the first batch, copied for each scenario."""
    root = tmp_path_factory.mktemp("faults")
    base = write_event_file(root / "base.jsonl", BASE_LINES, seed=11)
    batch = write_event_file(root / "batch.jsonl", BATCH_LINES, seed=12, start=10_000_000)
    template = WarehouseHome.resolve(root / "template").ensure()
    EventStore(template, lock_timeout_s=10).append(read_jsonl(base.path), source="file:base.jsonl")
    return {"base": base, "batch": batch, "template": template}


def _fresh_home(files: dict, tmp_path: Path) -> WarehouseHome:
    home = WarehouseHome.resolve(tmp_path / "warehouse").ensure()
    shutil.copyfile(files["template"].live_db, home.live_db)
    return home


def _spawn(args: list[str], stderr_path: Path) -> subprocess.Popen:
    # stderr to a file, not a pipe: the CLI lists every quarantined record there, and a
    # full pipe nobody reads would block the child.
    with stderr_path.open("w") as stderr:
        proc = subprocess.Popen(
            args, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=stderr, env={**os.environ, "AIRACE_HOME": args[-1]}
        )
    proc.stderr_path = stderr_path  # type: ignore[attr-defined]
    return proc


def _start_ingest(home: WarehouseHome, path: Path) -> subprocess.Popen:
    return _spawn(
        [sys.executable, "-m", "pipelines.cli", "ingest", str(path), "--no-refresh", "--home", str(home.root)],
        home.root.parent / "ingest.stderr",
    )


@pytest.mark.parametrize("kill_point", ["validating", "wal", "checkpoint"])
def test_kill_9_during_a_large_append_leaves_none_or_all_and_the_rerun_completes_it(files, tmp_path, kill_point):
    base, batch = files["base"], files["batch"]
    home = _fresh_home(files, tmp_path)
    wal = home.live_db.with_name(home.live_db.name + ".wal")
    db_size = _size(home.live_db)
    before, _, ok = _log_state(home)
    assert before == base.good and ok

    proc = _start_ingest(home, batch.path)
    held_since: list[float] = []

    def condition() -> str | None:
        holds = _holder(home).get("pid") == proc.pid
        if holds and not held_since:
            held_since.append(time.monotonic())
        if kill_point == "validating":
            # Well inside the validation of 30,000 records, before any of them is written.
            if held_since and time.monotonic() - held_since[0] > 0.3:
                assert _size(wal) < 64 * 1024, "the batch was already being written: make it larger"
                return "validating"
        elif kill_point == "wal":
            if _size(wal) > 256 * 1024:
                return "wal"
        elif _size(home.live_db) > db_size and _size(wal) > 0:
            return "checkpoint"
        return None

    stage = _kill_when(proc, condition)
    assert stage == kill_point

    # Right after the kill, read-only: none or all of the batch, and the chain verifies.
    after_kill, distinct, ok = _log_state(home)
    assert ok, f"the chain does not verify after a kill at {stage}"
    assert distinct == after_kill
    assert after_kill in (before, before + batch.good), f"kill at {stage}: a partial batch ({after_kill - before} rows)"
    if stage == "validating":
        assert after_kill == before

    # The rerun: the stale holder file and lock file must not block it (short timeout).
    store = EventStore(home, lock_timeout_s=5)
    result = store.append(read_jsonl(batch.path), source=f"file:{batch.path.name}")
    assert result.read == batch.lines
    assert result.appended == before + batch.good - after_kill
    assert result.appended + result.duplicate + result.quarantined == result.read
    rows, distinct, ok = _log_state(home)
    assert ok and rows == distinct == base.good + batch.good
    assert store.verify().ok


LOOP = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    from warehouse import EventStore, RawRecord, WarehouseHome
    from warehouse.build import refresh_and_publish

    store = EventStore(WarehouseHome.resolve(sys.argv[1]), lock_timeout_s=30)
    i = 0
    while True:
        i += 1
        records = [
            RawRecord(f"loop {i}:{j}", {
                "event_type": "model.launched", "occurred_at": "2025-06-01", "source": "loop",
                "source_ref": f"loop-{i}-{j}", "payload": {"model": f"Loop {i}-{j}", "organizations": ["OpenAI"]},
            })
            for j in range(20)
        ]
        store.append(records, source="loop")
        _, published = refresh_and_publish(store)
        print(published.events, flush=True)
    """
)


def _staging_files(home: WarehouseHome) -> list[Path]:
    """Anything next to the snapshot named after it: temp copies of a publish in flight."""
    name = home.snapshot_db.name
    return [
        p for p in home.root.iterdir()
        if p.name.startswith(name) and p.name not in (name, name + ".wal")
    ]


@pytest.mark.parametrize("kill_point", ["refreshing", "publishing", "copying"])
def test_kill_9_between_append_and_publish_keeps_the_old_snapshot(files, tmp_path, kill_point):
    home = WarehouseHome.resolve(tmp_path / "warehouse").ensure()
    store = EventStore(home, lock_timeout_s=10)
    store.append(read_jsonl(files["base"].path), source="file:base.jsonl")
    refresh_and_publish(store)
    with open_snapshot(home) as con:
        first = con.execute("select count(*) from events.log").fetchall()[0][0]

    out = tmp_path / "loop.out"
    with out.open("w") as stdout:
        with (tmp_path / "loop.stderr").open("w") as stderr:
            proc = subprocess.Popen(
                [sys.executable, "-c", LOOP, str(home.root)], cwd=ROOT, stdout=stdout, stderr=stderr, text=True
            )
        proc.stderr_path = tmp_path / "loop.stderr"  # type: ignore[attr-defined]
        published_before_kill: list[int] = []

        def condition() -> str | None:
            published_before_kill[:] = [int(line) for line in out.read_text().split()]
            holder = _holder(home)
            if holder.get("pid") != proc.pid:
                return None
            if kill_point == "refreshing" and holder.get("command") == "refresh projections":
                return "refreshing"
            if kill_point == "publishing" and holder.get("command") == "publish snapshot":
                return "publishing"
            if kill_point == "copying" and _staging_files(home):
                return "copying"
            return None

        stage = _kill_when(proc, condition)
    assert stage == kill_point

    # The snapshot analysts read is one that was published, whole and verifying.
    live_rows, _, live_ok = _log_state(home)
    assert live_ok
    with open_snapshot(home) as con:
        snap_rows = con.execute("select count(*) from events.log").fetchall()[0][0]
        assert verify(con).ok
        assert con.execute("select count(*) from core.models").fetchall()[0][0] > 0
    assert snap_rows in {first, *published_before_kill, live_rows}

    # The next publish is not blocked by the dead publisher's lock or temp files, and catches up.
    _, published = refresh_and_publish(EventStore(home, lock_timeout_s=5))
    assert published.events == live_rows
    assert _staging_files(home) == []
    with open_snapshot(home) as con:
        assert con.execute("select count(*), count(distinct event_id) from events.log").fetchall() == [
            (live_rows, live_rows)
        ]
        assert verify(con).ok
