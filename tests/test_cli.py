import json

import duckdb
import pytest
from typer.testing import CliRunner

from pipelines.cli import app
from tests.conftest import launch, write_jsonl

runner = CliRunner()


def airace(*args):
    return runner.invoke(app, [str(a) for a in args], catch_exceptions=False)


@pytest.fixture
def six_rows(tmp_path):
    good = [
        launch("GLM-5", "2026-02-11", orgs=("Zhipu AI",), ref="glm-5"),
        launch("GPT-4o", "2024-05-13", ref="gpt-4o"),
        {
            "event_type": "policy.changed",
            "occurred_at": "2021-04-21",
            "source": "test",
            "subject": "policy:eu-ai-act",
            "payload": {"jurisdiction": "EU", "instrument": "law", "title": "AI Act", "stage": "proposed"},
        },
    ]
    duplicate = good[1]
    bad_date = launch("Bad", "2024-02-30")
    unknown_type = {"event_type": "model.rumoured", "occurred_at": "2024-01-01", "payload": {}}
    return write_jsonl(tmp_path / "six.jsonl", [*good, duplicate, bad_date, unknown_type])


def test_ingest_appends_counts_and_quarantines(home, six_rows):
    result = airace("ingest", six_rows, "--home", home.root)
    assert result.exit_code == 0, result.output
    with duckdb.connect(str(home.live_db), read_only=True) as con:
        run = con.execute("select records_read, appended, duplicate, quarantined from events.ingest_runs").fetchall()
        reasons = [r[0] for r in con.execute("select reason from events.quarantine order by record_ref").fetchall()]
    assert run == [(6, 3, 1, 2)]
    assert "occurred_at" in reasons[0] and "day value is outside" in reasons[0]
    assert "unknown event_type 'model.rumoured'" in reasons[1]
    assert "six.jsonl:5" in result.output and "six.jsonl:6" in result.output

    query = airace("sql", "select count(*) as n from events.log", "--home", home.root, "--format", "json")
    assert json.loads(query.output.splitlines()[-1]) == {"n": 3}
    assert airace("verify", "--home", home.root).exit_code == 0


def test_a_file_that_cannot_be_parsed_changes_nothing(home, six_rows, tmp_path):
    airace("ingest", six_rows, "--home", home.root)
    garbage = tmp_path / "garbage.jsonl"
    garbage.write_bytes(b"\x00\x01\x02PK garbage\n\xff\xfe\n")
    before = home.live_db.read_bytes()
    result = runner.invoke(app, ["ingest", str(garbage), "--home", str(home.root)])
    assert result.exit_code == 2
    assert "cannot read any record" in result.output and "garbage.jsonl" in result.output
    with duckdb.connect(str(home.live_db), read_only=True) as con:
        assert con.execute("select count(*) from events.ingest_runs").fetchall() == [(1,)]
        assert con.execute("select count(*) from events.log").fetchall() == [(3,)]
    assert len(before) > 0


def test_verify_names_the_tampered_position(home, six_rows):
    airace("ingest", six_rows, "--home", home.root)
    with duckdb.connect(str(home.live_db)) as con:
        con.execute("update events.log set occurred_at = occurred_at + 1 where position = 2")
    result = runner.invoke(app, ["verify", "--home", str(home.root)])
    assert result.exit_code == 1
    assert "position 2" in result.output


@pytest.mark.parametrize(
    "statement",
    [
        "delete from events.log",
        "attach '/tmp/airace-elsewhere.duckdb' as other",
        "copy (select 1) to '/tmp/airace-leak.csv'",
        "install httpfs",
    ],
)
def test_sql_cannot_write(home, six_rows, statement):
    airace("ingest", six_rows, "--home", home.root)
    result = runner.invoke(app, ["sql", statement, "--home", str(home.root)])
    assert result.exit_code == 1
    assert "error" in result.output.lower()
    with duckdb.connect(str(home.snapshot_db), read_only=True) as con:
        assert con.execute("select count(*) from events.log").fetchall() == [(3,)]


def test_sql_without_a_snapshot_says_what_to_do(home):
    result = runner.invoke(app, ["sql", "select 1", "--home", str(home.root)])
    assert result.exit_code == 2 and "airace run" in result.output


def test_sql_writes_nested_values_as_json_in_csv(home, six_rows):
    airace("ingest", six_rows, "--home", home.root)
    result = airace(
        "sql", "select model_id, organization_ids from core.models order by 1", "--home", home.root, "--format", "csv"
    )
    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == [
        "model_id,organization_ids",
        'glm-5,"[""zhipu-ai""]"',
        'gpt-4o,"[""openai""]"',
    ]


def test_a_busy_warehouse_is_a_clear_message_not_a_traceback(home, six_rows):
    import os
    import subprocess
    import sys
    import time
    from pathlib import Path

    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, time; from pathlib import Path; from warehouse.log.lock import writer_lock\n"
            f"with writer_lock(Path({str(home.lock_file)!r}), purpose='a long test run'):\n"
            "    print('held', flush=True); time.sleep(30)",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "held"
        started = time.monotonic()
        completed = subprocess.run(
            [str(Path(sys.executable).parent / "airace"), "ingest", str(six_rows), "--home", str(home.root)],
            capture_output=True,
            text=True,
            timeout=60,
            env={**os.environ, "AIRACE_LOCK_TIMEOUT_S": "0.5"},
        )
    finally:
        holder.kill()
        holder.wait()
    assert completed.returncode == 3
    assert "busy" in completed.stderr and "a long test run" in completed.stderr
    assert "Traceback" not in completed.stderr
    assert time.monotonic() - started < 30
