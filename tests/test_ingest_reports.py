"""What `airace ingest` says is what happened: per file, and nothing ambiguous taken silently."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from pipelines.cli import app
from tests.conftest import launch, write_jsonl
from warehouse import EventStore
from warehouse.publishing.timetravel import open_snapshot

runner = CliRunner()


def test_a_bad_file_after_a_good_one_is_reported_alone_and_the_good_one_is_published(home, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # short names, so the table does not wrap them
    good = write_jsonl(tmp_path / "good.jsonl", [launch(f"g-{i}", "2025-02-01", ref=f"g-{i}") for i in range(3)])
    bad = tmp_path / "bad.jsonl"
    bad.write_text("not json\nneither\n")
    later = write_jsonl(tmp_path / "later.jsonl", [launch("l-0", "2025-02-02", ref="l-0")])

    result = runner.invoke(app, ["ingest", good.name, bad.name, later.name, "--home", str(home.root)])

    assert result.exit_code == 2
    output = " ".join(result.output.split())
    assert "nothing was appended" not in output
    assert "bad.jsonl: cannot read any record" in output and "nothing from bad.jsonl was appended" in output
    assert "good.jsonl │ 3 │ 3 │ 0 │ 0" in output and "later.jsonl │ 1 │ 1 │ 0 │ 0" in output
    assert "bad.jsonl │" not in output
    assert "snapshot republished" in output
    with open_snapshot(home) as con:
        assert con.execute("select count(*) from events.log").fetchall() == [(4,)]
        assert con.execute("select source from events.ingest_runs order by source").fetchall() == [
            ("file:good.jsonl",), ("file:later.jsonl",),
        ]


def test_when_every_file_is_unreadable_nothing_is_published(home, tmp_path):
    bad = tmp_path / "bad.jsonl"
    bad.write_text("[1]\n")
    result = runner.invoke(app, ["ingest", str(bad), "--home", str(home.root)])
    assert result.exit_code == 2
    assert not home.snapshot_db.exists()


# --- ambiguity is not silence ------------------------------------------------------------------

DUPLICATE_KEY_LINES = [
    # top level, payload, a correction's changes: every level the bulk SQL path reads
    '{"event_type":"model.launched","occurred_at":"2025-01-01","occurred_at":"2026-01-01","source":"t","payload":{"model":"a"}}',
    '{"event_type":"model.launched","occurred_at":"2025-01-01","source":"t","payload":{"model":"a","model":"b"}}',
    '{"event_type":"event.corrected","occurred_at":"2025-01-01","source":"t","subject":"event:0123456789abcdef0123456789abcdef",'
    '"payload":{"target_event_id":"0123456789abcdef0123456789abcdef","changes":{"model":"x","model":"y"},"reason":"r"}}',
    # with a non-ASCII character, so only the Python path reads it
    '{"event_type":"model.launched","occurred_at":"2025-01-01","source":"t","payload":{"model":"é","organizations":["A"],"model":"b"}}',
]


def test_duplicate_json_keys_are_quarantined_on_the_bulk_path_with_the_key_named(store, tmp_path):
    good = '{"event_type":"model.launched","occurred_at":"2025-01-01","source":"t","payload":{"model":"fine"}}'
    path = write_jsonl(tmp_path / "dupes.jsonl", [good, *DUPLICATE_KEY_LINES])
    result = store.append_file(path, source="file:dupes.jsonl")
    assert (result.read, result.appended, result.quarantined) == (5, 1, 4)
    with store.reader() as con:
        reasons = dict(con.execute("select record_ref, reason from events.quarantine").fetchall())
    assert reasons == {
        "dupes.jsonl:2": "ambiguous JSON: the key 'occurred_at' appears more than once in one object",
        "dupes.jsonl:3": "ambiguous JSON: the key 'model' appears more than once in one object",
        "dupes.jsonl:4": "ambiguous JSON: the key 'model' appears more than once in one object",
        "dupes.jsonl:5": "ambiguous JSON: the key 'model' appears more than once in one object",
    }


def test_duplicate_csv_columns_refuse_the_file(home, tmp_path):
    path = tmp_path / "dupes.csv"
    path.write_text("event_type,occurred_at,source,payload.model,payload.model\nmodel.launched,2025-01-01,t,a,b\n")
    result = runner.invoke(app, ["ingest", str(path), "--home", str(home.root)])
    assert result.exit_code == 2
    assert "names a column more than once: 'payload.model'" in " ".join(result.output.split())


def test_a_payload_field_given_by_a_column_and_the_payload_cell_is_quarantined(store, tmp_path):
    path = tmp_path / "both.csv"
    path.write_text('event_type,occurred_at,source,payload,payload.model\nmodel.launched,2025-01-01,t,"{""model"": ""a""}",b\n')
    result = store.append_file(path, source="file:both.csv")
    assert (result.appended, result.quarantined) == (0, 1)
    with store.reader() as con:
        [(reason,)] = con.execute("select reason from events.quarantine").fetchall()
    assert "'model' given twice" in reason


def test_the_same_source_ref_with_other_facts_is_a_conflict_not_a_duplicate(home, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    first = write_jsonl(tmp_path / "first.jsonl", [launch("Nova", "2025-03-01", ref="nova", parameters=7e9)])
    again = write_jsonl(tmp_path / "again.jsonl", [
        launch("Nova", "2025-03-01", ref="nova", parameters=7e9),    # the same facts: a duplicate
        launch("Nova", "2025-04-01", ref="nova", parameters=8e9),    # other facts: a conflict
        launch("Vega", "2025-05-01", ref="vega"),
        launch("Vega", "2025-05-02", ref="vega"),                    # conflicts with the line before
    ])
    assert runner.invoke(app, ["ingest", first.name, "--home", str(home.root), "--no-refresh"]).exit_code == 0

    result = runner.invoke(app, ["ingest", again.name, "--home", str(home.root), "--no-refresh"])

    assert result.exit_code == 0
    output = " ".join(result.output.split())
    assert "again.jsonl │ 4 │ 1 │ 1 │ 2" in output  # read, appended, duplicate, quarantined
    assert "conflict: source_ref 'nova' of test already names event" in output
    assert "logged at position 1" in output and "occurred_at: '2025-03-01' -> '2025-04-01'" in output
    assert "payload.parameters: 7000000000.0 -> 8000000000.0" in output
    assert "conflict: source_ref 'vega'" in output and "given earlier in this batch" in output
    store = EventStore(home)
    with store.reader() as con:
        kept = con.execute("select raw_payload from events.quarantine order by raw_payload").fetchall()
    # Nothing lost: the conflicting facts are kept whole.
    assert [json.loads(raw)["occurred_at"] for (raw,) in kept] == ["2025-04-01", "2025-05-02"]
    assert store.verify().ok
