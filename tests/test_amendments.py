"""Nothing bad gets in, nothing good gets lost: amendments are checked against their targets,
retracting a correction undoes it, subjects fit their types, and times stay readable.

Each test uses a real warehouse in tmp_path and the real append, refresh and publish paths.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import duckdb
import pytest
from typer.testing import CliRunner

from pipelines.cli import app
from schemas import parse_record
from tests.conftest import launch, write_jsonl
from warehouse.build import refresh_and_publish
from warehouse.projections.refresh import rebuild_projections

runner = CliRunner()
GPT4 = launch("GPT-4", "2023-03-14", orgs=("Red Team Lab",), countries=("US",), ref="gpt-4", training_compute_flop=2.1e25, parameters=1.8e12)


def _event_id(record: dict[str, Any]) -> str:
    return parse_record(record, record_ref="x").event_id


def correction(target: dict[str, Any], changes: dict[str, Any], ref: str, **extra: Any) -> dict[str, Any]:
    return {
        "event_type": "event.corrected", "occurred_at": "2026-01-15", "source": "test-fix", "source_ref": ref,
        "payload": {"target_event_id": _event_id(target), "changes": changes, "reason": "red team", **extra},
    }


def retraction(target: dict[str, Any], ref: str) -> dict[str, Any]:
    return {
        "event_type": "event.retracted", "occurred_at": "2026-01-16", "source": "test-fix", "source_ref": ref,
        "payload": {"target_event_id": _event_id(target), "reason": "withdrawn"},
    }


def _rows(store, query: str) -> list[tuple]:
    con = duckdb.connect(str(store.home.live_db), read_only=True)
    try:
        return con.execute(query).fetchall()
    finally:
        con.close()


def _quarantine(store) -> list[tuple[str, str]]:
    return _rows(store, "select record_ref, reason from events.quarantine order by quarantined_at, record_ref")


def _gpt4(store) -> tuple:
    return _rows(store, "select training_compute_flop, parameters, countries, launched_on from core.models "
                        "where model = 'GPT-4'")[0]


def test_a_poisoned_correction_is_quarantined_naming_target_and_field_and_publishing_goes_on(store, append, tmp_path):
    append([GPT4])
    refresh_and_publish(store)
    poisoned = write_jsonl(tmp_path / "poison.jsonl", [correction(GPT4, {"training_compute_flop": "lots"}, "p/1")])

    result = runner.invoke(app, ["ingest", str(poisoned), "--home", str(store.home.root)], catch_exceptions=False)

    assert result.exit_code == 0, result.output
    ((ref, reason),) = _quarantine(store)
    assert ref == "poison.jsonl:1"
    assert _event_id(GPT4) in reason and "training_compute_flop" in reason, reason
    assert _rows(store, "select count(*) from events.log where event_type = 'event.corrected'") == [(0,)]
    # The raw record is kept as it came.
    assert json.loads(_rows(store, "select raw_payload from events.quarantine")[0][0])["source_ref"] == "p/1"
    # Later ingests, refresh and publishing work; the chain and the accounting verify.
    later = write_jsonl(tmp_path / "later.jsonl", [launch("Claude 3", "2024-03-04", orgs=("Anthropic",))])
    assert runner.invoke(app, ["ingest", str(later), "--home", str(store.home.root)]).exit_code == 0
    assert runner.invoke(app, ["verify", "--home", str(store.home.root)]).exit_code == 0
    snapshot = duckdb.connect(str(store.home.snapshot_db), read_only=True)
    try:
        assert snapshot.execute("select count(*) from events.log").fetchall() == [(2,)]
        assert snapshot.execute("select training_compute_flop from core.models where model = 'GPT-4'").fetchall() == [
            (2.1e25,)
        ]
    finally:
        snapshot.close()


def test_an_infinite_number_in_a_correction_is_refused_not_stored_as_a_deletion(store, append, tmp_path):
    """JSON has no infinity: 1e400 would be stored as null, which a merge patch reads as
    "delete the field"."""
    append([GPT4])
    text = json.dumps(correction(GPT4, {"parameters": 1.0}, "bad/inf")).replace('"parameters": 1.0', '"parameters": 1e400')

    result = store.append_file(write_jsonl(tmp_path / "inf.jsonl", [text]), source="file")

    assert (result.appended, result.quarantined) == (0, 1)
    assert "changes" in _quarantine(store)[0][1] and "inf" in _quarantine(store)[0][1]


@pytest.mark.parametrize(
    ("changes", "extra", "field"),
    [
        ({"training_compute_flop": -1e300}, {}, "training_compute_flop"),
        ({"organizations": [1]}, {}, "organizations"),
        ({"countries": "CN"}, {}, "countries"),
        ({"model": None}, {}, "model"),
        ({"event_type": "policy.changed"}, {}, "event_type"),
        ({"subject": "model:other"}, {}, "subject"),
        ({}, {"occurred_at": "0001-06-01", "occurred_precision": "day"}, "occurred_at"),
    ],
)
def test_a_correction_that_would_make_its_target_invalid_is_quarantined(store, append, changes, extra, field):
    append([GPT4])

    result = append([correction(GPT4, changes, "bad/1", **extra)])

    assert (result.appended, result.quarantined) == (0, 1)
    ((_, reason),) = _quarantine(store)
    assert _event_id(GPT4) in reason and field in reason, reason


def test_a_policy_stage_outside_its_enumeration_is_refused(store, append):
    policy = {"event_type": "policy.changed", "occurred_at": "2024-03-13", "source": "test",
              "payload": {"jurisdiction": "EU", "instrument": "law", "title": "AI Act", "stage": "adopted"}}
    append([policy])

    result = append([correction(policy, {"stage": "exploded"}, "bad/2")])

    assert result.quarantined == 1
    assert "stage" in _quarantine(store)[0][1]


def test_a_correction_and_its_target_in_one_file_are_checked_together(store, tmp_path):
    good = correction(GPT4, {"countries": ["US", "GB"]}, "fix/1")
    bad = correction(GPT4, {"parameters": "many"}, "fix/2")
    path = write_jsonl(tmp_path / "batch.jsonl", [good, GPT4, bad])

    result = store.append_file(path, source="file")

    assert (result.appended, result.quarantined) == (2, 1)
    assert [ref for ref, _ in _quarantine(store)] == ["batch.jsonl:3"]


def test_retracting_a_correction_brings_the_original_values_back_incrementally_and_in_full(store, append):
    append([GPT4])
    refresh_and_publish(store)
    fix = correction(GPT4, {"countries": ["US", "CN"], "training_compute_flop": 5e25}, "fix/1",
                     occurred_at="2023-04-01", occurred_precision="day")
    append([fix])
    refresh_and_publish(store)
    assert _gpt4(store) == (5e25, 1.8e12, ["CN", "US"], dt.date(2023, 4, 1))

    append([retraction(fix, "undo/1")])
    refresh_and_publish(store)  # incremental

    assert _gpt4(store) == (2.1e25, 1.8e12, ["US"], dt.date(2023, 3, 14))
    incremental = _rows(store, "select * from core.models order by model_id")
    with store.writer() as con:
        report = rebuild_projections(con)
    assert report.mode == "full"
    assert _rows(store, "select * from core.models order by model_id") == incremental


def test_a_retraction_that_would_leave_its_target_invalid_is_refused(store, append):
    """A retraction cannot be retracted, and a correction corrects a fact, not another correction."""
    append([GPT4])
    fix = correction(GPT4, {"parameters": 2e12}, "fix/1")
    undo = retraction(fix, "undo/1")
    append([fix, undo])

    result = append([retraction(undo, "undo/2"), correction(fix, {"parameters": 3e12}, "fix/2")])

    assert result.quarantined == 2
    reasons = [reason for _, reason in _quarantine(store)]
    assert any("cannot be retracted" in r for r in reasons), reasons
    assert any("only facts are corrected" in r for r in reasons), reasons


def test_an_amendment_before_its_target_is_quarantined_and_the_target_stays_visible(store, append):
    """Documented choice (README, "Corrections"): an amendment whose target is not logged is
    quarantined, not held; the target, arriving later, is visible; the amendment ingested
    again then applies."""
    hoax = launch("Hoax", "2025-03-10", ref="hoax")
    early = [retraction(hoax, "undo/early"), correction(hoax, {"parameters": 7e9}, "fix/early")]

    first = append(early)
    assert (first.appended, first.quarantined) == (0, 2)
    assert all(_event_id(hoax) in reason and "not in the log" in reason for _, reason in _quarantine(store))

    append([hoax])
    refresh_and_publish(store)
    assert _rows(store, "select model, parameters from core.models") == [("Hoax", None)]

    again = append(early[::-1])  # the correction first: the retraction then removes the launch
    refresh_and_publish(store)
    assert (again.appended, again.quarantined) == (2, 0)
    assert _rows(store, "select count(*) from core.models") == [(0,)]


def test_an_old_log_with_a_poisoned_correction_still_refreshes(store, append, monkeypatch):
    """Defence in depth: a bad correction already in a log (written before these checks)
    cannot stop a refresh; its bad values read as unknown."""
    import warehouse.log.store as store_module

    append([GPT4])
    refresh_and_publish(store)
    bad = correction(GPT4, {"training_compute_flop": "lots", "open_weights": "maybe"}, "p/1",
                     occurred_at="0001-01-01", occurred_precision="day")
    # Appended the way an older version did: without the amendment check.
    with monkeypatch.context() as patched:
        patched.setattr(store_module, "quarantine_invalid_amendments", lambda batch, staged: staged)
        assert append([bad]).appended == 1

    counts, _ = refresh_and_publish(store)  # incremental

    assert counts["core.models"] == 1
    expected = [(None, None, dt.date(2023, 3, 14))]
    assert _rows(store, "select training_compute_flop, open_weights, launched_on from core.models") == expected
    with store.writer() as con:
        assert rebuild_projections(con).mode == "full"
    assert _rows(store, "select training_compute_flop, open_weights, launched_on from core.models") == expected


def test_a_subject_that_does_not_fit_its_type_is_rejected(store, append, tmp_path):
    mislabeled = dict(launch("GPT-4", "2023-03-14"), subject="policy:gpt-4")
    foreign = dict(correction(GPT4, {"countries": ["US", "CN"]}, "fix/1"), subject="event:" + "0" * 32)
    path = write_jsonl(tmp_path / "subjects.jsonl", [GPT4, mislabeled, foreign])

    result = store.append_file(path, source="file")

    assert (result.appended, result.quarantined) == (1, 2)
    reasons = dict(_quarantine(store))
    assert "subject" in reasons["subjects.jsonl:2"] and "'model:'" in reasons["subjects.jsonl:2"]
    assert "subject" in reasons["subjects.jsonl:3"] and _event_id(GPT4) in reasons["subjects.jsonl:3"]


@pytest.mark.parametrize("path", ["file", "records"])
def test_a_retrieved_at_past_year_9999_is_rejected_and_the_log_reads_back(store, append, tmp_path, path):
    record = dict(launch("Far", "2025-01-01"), retrieved_at="9999-12-31T23:00:00-05:00")
    if path == "file":
        result = store.append_file(write_jsonl(tmp_path / "far.jsonl", [record, GPT4]), source="file")
    else:
        result = append([record, GPT4])

    assert (result.appended, result.quarantined) == (1, 1)
    assert "retrieved_at" in _quarantine(store)[0][1] and "2100-12-31" in _quarantine(store)[0][1]
    assert len(_rows(store, "select * from events.log")) == 1


def test_sql_as_of_beyond_the_supported_range_is_a_clear_error(store, append):
    append([GPT4])
    refresh_and_publish(store)

    for moment in ("9999-12-31", "0001-01-01", "not-a-date"):
        result = runner.invoke(app, ["sql", "select 1", "--home", str(store.home.root), "--as-of", moment])
        assert result.exit_code == 2, (moment, result.output)
        assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
        assert "--as-of" in result.output


def test_every_event_type_has_a_subject_prefix():
    from schemas import EVENT_TYPES
    from schemas.events import SUBJECT_PREFIXES

    assert set(SUBJECT_PREFIXES) == set(EVENT_TYPES)
