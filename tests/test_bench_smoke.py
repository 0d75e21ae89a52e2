"""`python -m tests.tools.bench` end to end at a small size: it runs, and prints every figure."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_bench_prints_every_figure(tmp_path):
    proc = subprocess.run(
        [sys.executable, "-m", "tests.tools.bench", "--events", "3000", "--workdir", str(tmp_path / "bench")],
        cwd=ROOT,
        check=False,
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "AIRACE_HOME": str(tmp_path / "unused")},
    )
    out = proc.stdout
    assert proc.returncode == 0, proc.stderr[-3000:] + out[-3000:]
    assert re.search(r"machine: \d+ cores, [\d.]+ GB RAM", out)
    assert re.search(r"baseline  duckdb read_json -> table: [\d.]+ s, [\d,]+ lines/s", out)
    assert re.search(r"ingest    file -> events.log: +[\d.]+ s, [\d,]+ lines/s = [\d.]+ x baseline", out)
    # The generated file's bad rows and duplicates are exactly what the ingest reports.
    assert "MISMATCH" not in out
    assert re.search(r"memory    ingest peak RSS: +\d+ MB", out)
    assert re.search(r"rebuild   full \(first build, \d+ tables, [\d,]+ events\): [\d.]+ s", out)
    # The second refresh is the incremental one, and it reads only the new events.
    assert re.search(r"rebuild   incremental after 1,000 new events \(1,000 read from the log\): [\d.]+ s = [\d.]+% of full",
                     out)
    # Then an upstream re-fit of the capability index: logged rows re-scored (up to 300), one refresh.
    assert re.search(r"rebuild   incremental after a re-fit of [\d,]+ capability rows: [\d.]+ s = [\d.]+% of full", out)
    assert re.search(r"verify    [\d,]+ events: [\d.]+ s .*\(OK\)", out)
    assert re.search(r"query     \d+ of \d+ queries ran, \d+ runs: p50 [\d.]+ ms, p95 [\d.]+ ms", out)
    assert "FAILED" not in out
    for figure in ("bundled build (airace run)", "ingest throughput vs read_json", "ingest accounting",
                   "ingest peak memory", "rebuild full",
                   "rebuild after 1,000 events", "rebuild after a 300-row re-fit", "verify", "query p50", "query p95"):
        assert re.search(rf"^{re.escape(figure)} .* (yes|NO|-)$", out, re.MULTILINE), figure
    assert re.search(r"wall time: [\d.]+ s for 3,000 events", out)
    assert not (tmp_path / "unused").exists()
