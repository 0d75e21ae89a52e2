"""The inbox takes a file only when it is complete, all of it, and only a file it holds itself:
a file still being written waits; links and paths outside the inbox are refused, never read."""

import json
import os

import dagster as dg

from pipelines.defs.inbox.assets import inbox_files, inbox_sensor
from pipelines.defs.resources import WarehouseResource
from tests.conftest import launch
from tests.fixtures.sources.helpers import materialize, query, step_failed


def _inbox(home):
    folder = home.root / "inbox"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _tick(home, cursor=None):
    context = dg.build_sensor_context(cursor=cursor, resources={"warehouse": WarehouseResource(home=str(home.root))})
    return inbox_sensor(context)


def _config(path) -> dict:
    return {"ops": {"inbox_files": {"config": {"path": str(path)}}}}


def _metadata(result) -> dict:
    return {k: v.value for k, v in result.asset_materializations_for_node("inbox_files")[0].metadata.items()}


def _logged(home) -> int:
    return query(home, "select count(*) from events.log")[0][0] if home.live_db.exists() else 0


def _quarantined(home) -> list[tuple]:
    return query(home, "select record_ref, raw_payload from events.quarantine") if home.live_db.exists() else []


def _lines(first: int, last: int) -> str:
    return "".join(json.dumps(launch(f"Model-{n}", "2025-03-01")) + "\n" for n in range(first, last))


def _backdate(path, seconds: int = 60):
    entry = path.stat()
    os.utime(path, ns=(entry.st_atime_ns, entry.st_mtime_ns - seconds * 1_000_000_000))


def test_a_file_still_being_written_is_not_taken_until_complete_then_all_of_it_is(home):
    folder = _inbox(home)
    path = folder / "weekly.jsonl"
    (folder / ".weekly-next.jsonl").write_text(_lines(0, 3))  # a dot-file: never taken, whatever its age
    _backdate(folder / ".weekly-next.jsonl")
    with path.open("w") as writer:
        writer.write(_lines(0, 117))
        writer.flush()  # 117 of 400 records on disk, the writer still going

        tick = _tick(home)
        assert not tick.run_requests and "1 still being written" in tick.skip_reason.skip_message
        # Neither a run asked for that file nor `airace run`'s catch-all takes it.
        asked = materialize([inbox_files], home, run_config=_config(path))
        everything = materialize([inbox_files], home)
        assert asked.success and everything.success
        assert _metadata(asked)["files_waiting"] == 1 and "still being written" in _metadata(asked)["files"][0]["error"]
        assert (_metadata(everything)["files_waiting"], _metadata(everything)["records_read"]) == (1, 0)
        assert path.exists() and not (folder / "done" / "weekly.jsonl").exists()
        assert _logged(home) == 0

        writer.write(_lines(117, 400))
    (folder / "weekly.jsonl.ready").touch()  # the writer says it is complete

    request = _tick(home, tick.cursor).run_requests[0]
    result = materialize([inbox_files], home, run_config=request.run_config)
    assert result.success
    assert (folder / "done" / "weekly.jsonl").is_file() and not path.exists()
    assert not (folder / "weekly.jsonl.ready").exists()  # used up with its file
    assert query(home, "select records_read, appended, quarantined from events.ingest_runs") == [(400, 400, 0)]
    assert (folder / ".weekly-next.jsonl").exists()


def test_a_marker_older_than_its_file_does_not_vouch_for_it(home):
    folder = _inbox(home)
    path = folder / "late.jsonl"
    path.write_text(_lines(0, 5))
    marker = folder / "late.jsonl.ready"
    marker.touch()
    _backdate(marker, 5)  # the file was written to after its marker
    assert not _tick(home).run_requests
    _backdate(path, 60)  # and then left alone long enough: complete by the settle rule
    assert len(_tick(home).run_requests) == 1


def test_a_file_that_grows_after_its_run_was_requested_is_left_for_its_next_version(home):
    folder = _inbox(home)
    path = folder / "growing.jsonl"
    path.write_text(_lines(0, 10))
    _backdate(path)
    first = _tick(home)
    [stale_request] = first.run_requests

    with path.open("a") as writer:  # written to again between the request and its run
        writer.write(_lines(10, 20))
    result = materialize([inbox_files], home, run_config=stale_request.run_config)
    assert result.success and _metadata(result)["files_waiting"] == 1
    assert path.exists() and _logged(home) == 0

    _backdate(path)
    [fresh_request] = _tick(home, first.cursor).run_requests
    assert fresh_request.run_key != stale_request.run_key
    assert materialize([inbox_files], home, run_config=fresh_request.run_config).success
    assert query(home, "select records_read, appended from events.ingest_runs") == [(20, 20)]


def test_a_link_in_the_inbox_is_refused_and_never_followed(home, tmp_path):
    folder = _inbox(home)
    secret = tmp_path / "secret.jsonl"
    secret.write_text("root:x:0:0:the first line of a file outside the inbox\n" + _lines(0, 1))
    (folder / "evil.jsonl").symlink_to(secret)
    os.link(secret, folder / "hard.jsonl")
    _backdate(secret)

    tick = _tick(home)
    assert not tick.run_requests
    assert "refused: evil.jsonl, hard.jsonl" in tick.skip_reason.skip_message

    everything = materialize([inbox_files], home)
    assert everything.success
    refused = {f["file"]: f["error"] for f in _metadata(everything)["files"] if f["status"] == "refused"}
    assert "a symbolic link" in refused["evil.jsonl"] and "2 hard links" in refused["hard.jsonl"]

    asked = materialize([inbox_files], home, run_config=_config(folder / "evil.jsonl"))
    assert not asked.success and "symbolic link" in step_failed(asked, "inbox_files")

    # Nothing of the outside file was read: not in the log, not in the quarantine analysts can read.
    assert _logged(home) == 0 and _quarantined(home) == []
    assert (folder / "evil.jsonl").is_symlink() and secret.read_text().startswith("root:x:0:0")
    assert not (folder / "done").exists() or not any((folder / "done").iterdir())


def test_a_path_outside_the_inbox_in_the_run_config_is_refused(home, tmp_path):
    folder = _inbox(home)
    outside = tmp_path / "outside.jsonl"
    outside.write_text(_lines(0, 3))
    _backdate(outside)
    (folder / "done").mkdir()
    (folder / "done" / "old.jsonl").write_text(_lines(3, 4))

    for requested in (outside, folder / ".." / "outside.jsonl", "../../outside.jsonl", folder / "done" / "old.jsonl"):
        result = materialize([inbox_files], home, run_config=_config(requested))
        assert not result.success, requested
        assert "outside the inbox" in step_failed(result, "inbox_files"), requested

    assert outside.exists() and (folder / "done" / "old.jsonl").exists()
    assert _logged(home) == 0 and _quarantined(home) == []


def test_a_file_written_to_while_it_was_being_ingested_goes_to_failed_saying_what_was_ingested(home, store):
    from pipelines.sources import inbox

    folder = _inbox(home)
    path = folder / "busy.jsonl"
    path.write_text(_lines(0, 117))
    _backdate(path)
    append_file = store.append_file

    def append_while_a_writer_wakes_up(*args, **kwargs):
        result = append_file(*args, **kwargs)
        with path.open("a") as writer:  # the writer was only paused: 283 more records
            writer.write(_lines(117, 400))
        return result

    store.append_file = append_while_a_writer_wakes_up
    outcome = inbox.ingest_file(store, path)

    assert outcome.status == "failed" and outcome.moved_to == folder / "failed" / "busy.jsonl"
    reason = (folder / "failed" / "busy.jsonl.reason.txt").read_text()
    assert "changed after it was read" in reason and "read 117 = appended 117" in reason and "NOT ingested" in reason
    assert not (folder / "done").exists() or not any((folder / "done").iterdir())
    assert len((folder / "failed" / "busy.jsonl").read_text().splitlines()) == 400  # nothing stored is lost
