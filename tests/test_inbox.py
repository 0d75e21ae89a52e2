import json
import os

import dagster as dg

from pipelines.defs.inbox.assets import inbox_files, inbox_sensor
from pipelines.defs.resources import WarehouseResource
from pipelines.sources import inbox
from tests.conftest import launch, write_jsonl
from tests.fixtures.sources.helpers import materialize, query


def _inbox(home):
    folder = home.root / "inbox"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _settled(path):
    """As if the file had been written a minute ago: complete by the inbox's rule (untouched for
    settle_s, 30 s by default). tests/test_inbox_safety.py covers files still being written."""
    entry = path.stat()
    os.utime(path, ns=(entry.st_atime_ns, entry.st_mtime_ns - 60_000_000_000))
    return path


def _tick(home, cursor=None):
    context = dg.build_sensor_context(cursor=cursor, resources={"warehouse": WarehouseResource(home=str(home.root))})
    return inbox_sensor(context)


def test_the_sensor_picks_a_new_file_up_exactly_once(home):
    folder = _inbox(home)
    dropped = _settled(write_jsonl(folder / "analyst-1.jsonl", [launch("GLM-5", "2026-02-11", orgs=("Zhipu AI",))]))
    (folder / "copying.jsonl.part").write_text("{}")  # still being copied: not ready

    first = _tick(home)
    assert len(first.run_requests) == 1
    request = first.run_requests[0]
    stat = dropped.stat()
    assert request.run_key == inbox.InboxFile(dropped, stat.st_size, stat.st_mtime_ns).run_key
    assert request.run_key.startswith("inbox:analyst-1.jsonl:")
    assert request.run_config == {"ops": {"inbox_files": {"config": {"path": str(dropped)}}}}

    second = _tick(home, first.cursor)  # the run has not moved the file yet
    assert not second.run_requests and "no new file" in second.skip_reason.skip_message

    # A second drop is picked up on its own; the first is still not requested again.
    _settled(write_jsonl(folder / "analyst-2.jsonl", [launch("Kimi K2", "2025-07-11", orgs=("Moonshot AI",))]))
    third = _tick(home, second.cursor)
    assert [r.run_config["ops"]["inbox_files"]["config"]["path"] for r in third.run_requests] == [
        str(folder / "analyst-2.jsonl")
    ]


def test_a_replaced_file_with_the_same_name_counts_as_new(home):
    folder = _inbox(home)
    path = _settled(write_jsonl(folder / "weekly.jsonl", [launch("A-1", "2025-01-01")]))
    first = _tick(home)
    path.write_text(path.read_text() + json.dumps(launch("A-2", "2025-01-02")) + "\n")
    os.utime(path, ns=(path.stat().st_atime_ns, path.stat().st_mtime_ns + 1_000_000_000))
    _settled(path)
    second = _tick(home, first.cursor)
    assert len(second.run_requests) == 1 and second.run_requests[0].run_key != first.run_requests[0].run_key


def test_the_run_ingests_the_file_and_moves_it_to_done_quarantining_bad_records(home):
    folder = _inbox(home)
    path = _settled(write_jsonl(
        folder / "mixed.jsonl", [launch("GLM-5", "2026-02-11", orgs=("Zhipu AI",)), launch("Bad", "2024-02-30"), "not json"]
    ))
    request = _tick(home).run_requests[0]
    result = materialize([inbox_files], home, run_config=request.run_config)
    assert result.success
    assert not path.exists() and (folder / "done" / "mixed.jsonl").is_file()
    assert query(home, "select records_read, appended, quarantined from events.ingest_runs") == [(3, 1, 2)]
    assert query(home, "select source from events.ingest_runs") == [("inbox:mixed.jsonl",)]
    assert len(query(home, "select * from events.quarantine")) == 2
    assert not _tick(home).run_requests  # gone from the inbox: nothing more to do


def test_an_unreadable_file_goes_to_failed_with_the_reason_and_the_run_fails(home):
    folder = _inbox(home)
    path = folder / "garbage.csv"
    path.write_text("no,header,we,know\n1,2,3,4\n")
    _settled(path)
    request = _tick(home).run_requests[0]
    result = materialize([inbox_files], home, run_config=request.run_config)
    assert not result.success
    assert (folder / "failed" / "garbage.csv").is_file() and not path.exists()
    reason = (folder / "failed" / "garbage.csv.reason.txt").read_text()
    assert "no header with an event_type column" in reason
    assert not home.live_db.exists() or query(home, "select count(*) from events.log") == [(0,)]


def test_airace_run_takes_every_waiting_file_and_carries_on_past_an_unreadable_one(home):
    folder = _inbox(home)
    _settled(write_jsonl(folder / "good.jsonl", [launch("GLM-5", "2026-02-11", orgs=("Zhipu AI",))]))
    (folder / "empty.jsonl").write_text("")
    _settled(folder / "empty.jsonl")
    result = materialize([inbox_files], home)  # no config: the catch-all mode of `airace run`
    assert result.success
    metadata = result.asset_materializations_for_node("inbox_files")[0].metadata
    assert (metadata["files_done"].value, metadata["files_failed"].value, metadata["appended"].value) == (1, 1, 1)
    assert sorted(p.name for p in (folder / "done").iterdir()) == ["good.jsonl"]
    assert (folder / "failed" / "empty.jsonl").exists()


def test_a_file_taken_by_another_run_is_not_an_error(home):
    result = materialize([inbox_files], home, run_config={"ops": {"inbox_files": {"config": {"path": str(home.root / "inbox" / "gone.jsonl")}}}})
    assert result.success
