"""A non-editable install from the lock file works away from the checkout: the bundled data,
SQL, sources.toml and Dagster instance settings ship inside the package, and the warehouse
and Dagster's runs go to the per-user data directory, not into site-packages."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import duckdb

REPO = Path(__file__).resolve().parent.parent
UV = Path(sys.executable).parent / "uv"


def _run(args: list[str], *, env: dict[str, str], cwd: Path, timeout: float) -> subprocess.CompletedProcess:
    completed = subprocess.run(args, env=env, cwd=cwd, capture_output=True, text=True, timeout=timeout)
    assert completed.returncode == 0, f"{args}\n{completed.stdout}\n{completed.stderr}"
    return completed


def test_pip_install_from_the_lock_then_airace_run_works_outside_the_checkout(tmp_path: Path):
    venv = tmp_path / "venv"
    user_home = tmp_path / "user"
    user_home.mkdir()
    # The installed package, not this checkout: no PYTHONPATH, no DAGSTER_HOME, another HOME.
    env = {k: v for k, v in os.environ.items() if k not in {"PYTHONPATH", "DAGSTER_HOME", "AIRACE_HOME", "VIRTUAL_ENV", "XDG_DATA_HOME"}}
    env.update(HOME=str(user_home), AIRACE_OFFLINE="1", DAGSTER_DISABLE_TELEMETRY="1")
    # uv installs what pip would (the same lock, hashes checked), from its cache when warm.
    _run([str(UV), "venv", "--python", sys.executable, str(venv)], env=env, cwd=tmp_path, timeout=300)
    python = str(venv / "bin" / "python")
    _run([str(UV), "pip", "install", "--python", python, "--require-hashes", "-r", str(REPO / "requirements.lock")],
         env=env, cwd=tmp_path, timeout=1200)
    _run([str(UV), "pip", "install", "--python", python, "--no-deps", "--reinstall-package", "airace", str(REPO)],
         env=env, cwd=tmp_path, timeout=600)
    site = Path(_run([python, "-c", "import warehouse, sys; print(warehouse.__file__)"], env=env, cwd=tmp_path, timeout=120).stdout.strip()).parent
    assert venv in site.parents, site  # the wheel's copy, not the checkout

    airace = str(venv / "bin" / "airace")
    data = tmp_path / "data"
    run = _run([airace, "run", "--home", str(data)], env=env, cwd=tmp_path, timeout=1200)
    assert "events.log holds" in run.stdout
    with duckdb.connect(str(data / "airace-snapshot.duckdb"), read_only=True) as con:
        assert con.execute("select count(*) from events.log").fetchall()[0][0] >= 1200
        assert con.execute("select count(*) from marts.catch_up_lag").fetchall()[0][0] > 0
    # Dagster recorded the run in the per-user instance, created with the packaged settings.
    instance = user_home / ".local" / "share" / "airace" / "dagster_home"
    assert (instance / "dagster.yaml").read_text() == (REPO / ".dagster_home" / "dagster.yaml").read_text()
    assert (instance / "storage").is_dir()
    # Nothing was written inside the installed package.
    assert not (site / "data").exists()
    # Without --home, the warehouse is the per-user one.
    default = subprocess.run([airace, "sql", "select 1"], env=env, cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert default.returncode == 2
    assert str(user_home / ".local" / "share" / "airace" / "warehouse") in " ".join(default.stderr.split())
