"""What `airace ingest` says is what happened: per file, and nothing ambiguous taken silently."""

from __future__ import annotations

from typer.testing import CliRunner

from pipelines.cli import app
from tests.conftest import launch, write_jsonl
from warehouse.timetravel import open_snapshot

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
