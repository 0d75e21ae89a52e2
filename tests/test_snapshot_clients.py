"""The published snapshot opens in the DuckDB releases analysts have installed — 1.4 and 1.5,
e.g. the DuckDB CLI from PyPI or a tool built on them — and its table macros answer there.

Each release runs in a virtualenv of its own, made once per release and Python and kept
under $AIRACE_TEST_CACHE (default: <tmp>/airace-test-cache), so a rerun costs seconds. The
test is skipped, saying why, only when PyPI cannot be reached to make one.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import urllib.request
from pathlib import Path

import duckdb
import pytest
from filelock import FileLock

from tests.conftest import launch
from warehouse import EventStore, RawRecord
from warehouse.build import refresh_and_publish
from warehouse.publishing.snapshot import SNAPSHOT_STORAGE_VERSION

# The oldest release the storage version promises, and the newest of the 1.x line.
CLIENT_RELEASES = ("1.4.5", "1.5.6")
CACHE = Path(os.environ.get("AIRACE_TEST_CACHE") or Path(tempfile.gettempdir()) / "airace-test-cache")
PYPI_PROBE = "https://pypi.org/simple/duckdb/"

CLIENT = """
import json, sys
import duckdb
con = duckdb.connect(sys.argv[1], read_only=True)
answers = {
    "version": duckdb.__version__,
    "events": con.execute("select count(*) from events.log").fetchall()[0][0],
    "log_as_of": con.execute("select count(*) from events.log_as_of('2100-01-01')").fetchall()[0][0],
    "models": con.execute("select model_id from core.models order by 1").fetchall(),
    "releases_as_of": con.execute(
        "select sum(launches) from marts.releases_monthly_as_of('2100-01-01') where month = '2025-03-01'"
    ).fetchall()[0][0],
}
print(json.dumps(answers, default=str))
"""


def _pypi_reachable() -> str | None:
    """None when PyPI answers; else why not."""
    try:
        with urllib.request.urlopen(PYPI_PROBE, timeout=15) as response:
            response.read(1)
    except OSError as exc:
        return str(exc)
    return None


def _client_python(release: str) -> Path:
    """The python of a virtualenv holding duckdb==`release` (made on first use)."""
    folder = CACHE / f"duckdb-{release}-py{sys.version_info.major}{sys.version_info.minor}"
    python, ready = folder / "bin" / "python", folder / ".ready"
    CACHE.mkdir(parents=True, exist_ok=True)
    # (both test processes of `pytest -n 2` may ask at once: one makes it, the other waits)
    with FileLock(str(folder) + ".lock", timeout=600):
        if ready.exists():
            return python
        unreachable = _pypi_reachable()
        if unreachable is not None:
            pytest.skip(f"PyPI is unreachable ({unreachable}): cannot install duckdb {release} to open the snapshot with")
        subprocess.run([sys.executable, "-m", "venv", "--clear", str(folder)], check=True, timeout=300)
        install = subprocess.run(
            [str(python), "-m", "pip", "install", "--quiet", f"duckdb=={release}"],
            capture_output=True, text=True, timeout=600, check=False,
        )
        assert install.returncode == 0, f"pip install duckdb=={release} failed:\n{install.stdout}\n{install.stderr}"
        ready.touch()
    return python


@pytest.fixture(scope="module")
def snapshot(tmp_path_factory) -> Path:
    from warehouse import WarehouseHome

    store = EventStore(WarehouseHome.resolve(tmp_path_factory.mktemp("clients") / "warehouse").ensure())
    store.append(
        [RawRecord(str(i), launch(f"Model {i}", "2025-03-0" + str(i + 1), ref=f"m-{i}")) for i in range(3)],
        source="test",
    )
    refresh_and_publish(store)
    return store.home.snapshot_db


def test_the_snapshot_is_written_in_the_storage_version_of_older_clients(snapshot):
    con = duckdb.connect(str(snapshot), read_only=True)
    try:
        tags = con.execute("select tags from duckdb_databases() where database_name = current_database()").fetchall()
    finally:
        con.close()
    assert tags == [({"storage_version": f"{SNAPSHOT_STORAGE_VERSION}+"},)]


@pytest.mark.parametrize("release", CLIENT_RELEASES)
def test_an_older_duckdb_opens_the_snapshot_and_its_table_macros_answer(snapshot, release):
    python = _client_python(release)
    result = subprocess.run(
        [str(python), "-c", CLIENT, str(snapshot)], capture_output=True, text=True, timeout=120, check=False
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == {
        "version": release,
        "events": 3,
        "log_as_of": 3,
        "models": [["model-0"], ["model-1"], ["model-2"]],
        "releases_as_of": 3,
    }
