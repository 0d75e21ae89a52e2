"""The review queue: candidates wait outside the log; accepting appends once, through the one append path."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner

from pipelines.cli import app
from pipelines.extract import extract_text
from tests.conftest import launch
from warehouse import EventStore, WarehouseHome
from warehouse.review.candidates import (
    ReviewError,
    accept_candidate,
    get_candidate,
    list_candidates,
    queue_candidates,
    reject_candidate,
)

runner = CliRunner()
ARTICLE = """Zhipu AI Introduces GLM-5
Date: 2026-02-12

Zhipu AI released GLM-5 on Feb 11, positioning it as a competitive entry in the large language model landscape.

OpenAI has expressed concerns that some AI developers may be using a technique known as model distillation.

The New York Times sued OpenAI and Microsoft on Wednesday, alleging copyright infringement.
"""


def airace(*args: object):
    return runner.invoke(app, [str(a) for a in args], catch_exceptions=False)


def _log(home: WarehouseHome) -> list[tuple]:
    with duckdb.connect(str(home.live_db), read_only=True) as con:
        return con.execute(
            "select event_type, source, source_ref, run_id, recorded_at from events.log order by position"
        ).fetchall()


@pytest.fixture
def queued(store: EventStore, append) -> list[str]:
    # A log with history, so accepted events are chained onto existing ones.
    append([launch("GPT-4o", "2024-05-13", ref="gpt-4o"), launch("o1", "2024-09-12", ref="o1")])
    extraction = extract_text(ARTICLE, source_url="https://example.org/glm-5")
    assert len(extraction.candidates) == 3
    result = queue_candidates(store, extraction.candidates)
    assert (result.added, result.already_queued) == (3, 0)
    return [c.candidate_id for c in extraction.candidates]


def test_candidates_wait_outside_the_log(store: EventStore, queued: list[str]) -> None:
    assert len(_log(store.home)) == 2
    pending = list_candidates(store)
    assert sorted(c.candidate_id for c in pending) == sorted(queued)
    assert {c.status for c in pending} == {"pending"}
    # Queuing the same article again adds nothing.
    again = queue_candidates(store, extract_text(ARTICLE, source_url="https://example.org/glm-5").candidates)
    assert (again.added, again.already_queued) == (0, 3)


@pytest.mark.usefixtures("queued")
def test_accept_appends_exactly_one_event_and_the_log_verifies(store: EventStore) -> None:
    glm = next(c for c in list_candidates(store) if c.event_key == "GLM-5")
    outcome = accept_candidate(store, glm.candidate_id[:8], reviewer="alice")
    assert (outcome.decision, outcome.appended, outcome.already, outcome.reviewer) == ("accepted", 1, False, "alice")

    log = _log(store.home)
    assert len(log) == 3
    event_type, source, source_ref, run_id, recorded_at = log[-1]
    assert (event_type, source, source_ref) == ("model.launched", "review", f"candidate:{glm.candidate_id}")
    assert run_id.startswith(f"review:{glm.candidate_id}:alice:")
    report = store.verify()
    assert report.ok and report.events == 3

    with duckdb.connect(str(store.home.live_db), read_only=True) as con:
        payload, event_id, url = con.execute(
            "select payload, event_id, source_url from events.log where position = 3"
        ).fetchall()[0]
        reviews = con.execute(
            "select candidate_id, decision, reviewer, reviewed_at, event_id, run_id from events.candidate_reviews"
        ).fetchall()
    assert json.loads(payload)["model"] == "GLM-5" and json.loads(payload)["countries"] == ["CN"]
    assert url == "https://example.org/glm-5" and event_id == outcome.event_id
    assert reviews == [(glm.candidate_id, "accepted", "alice", recorded_at, event_id, run_id)]
    assert get_candidate(store, glm.candidate_id).status == "accepted"
    assert glm.candidate_id not in {c.candidate_id for c in list_candidates(store)}


def test_accepting_twice_appends_nothing_the_second_time(store: EventStore, queued: list[str]) -> None:
    first = accept_candidate(store, queued[0], reviewer="alice")
    second = accept_candidate(store, queued[0], reviewer="bob")
    assert first.appended == 1
    assert (second.appended, second.already, second.reviewer, second.event_id) == (0, True, "alice", first.event_id)
    assert len(_log(store.home)) == 3
    assert store.verify().ok
    with duckdb.connect(str(store.home.live_db), read_only=True) as con:
        assert con.execute("select count(*) from events.candidate_reviews").fetchall() == [(1,)]


def test_reject_appends_nothing_and_records_the_decision(store: EventStore, queued: list[str]) -> None:
    before = store.verify()
    outcome = reject_candidate(store, queued[1], reviewer="carol", reason="opinion, not an allegation")
    assert (outcome.decision, outcome.already) == ("rejected", False)
    after = store.verify()
    assert after.ok and (after.events, after.head_hash) == (before.events, before.head_hash)
    with duckdb.connect(str(store.home.live_db), read_only=True) as con:
        assert con.execute("select count(*) from events.ingest_runs").fetchall() == [(1,)]
        assert con.execute("select decision, reviewer, reason from events.candidate_reviews").fetchall() == [
            ("rejected", "carol", "opinion, not an allegation")
        ]
    assert get_candidate(store, queued[1]).status == "rejected"
    assert reject_candidate(store, queued[1], reviewer="dave").already


def test_an_accepted_candidate_cannot_be_rejected(store: EventStore, queued: list[str]) -> None:
    accept_candidate(store, queued[2], reviewer="alice")
    with pytest.raises(ReviewError, match="retract"):
        reject_candidate(store, queued[2], reviewer="bob")
    with pytest.raises(ReviewError, match="no candidate"):
        accept_candidate(store, "ffffffff", reviewer="bob")
    with pytest.raises(ReviewError, match="too short"):
        accept_candidate(store, "ab", reviewer="bob")


def test_review_cli_lists_accepts_and_rejects(home: WarehouseHome, tmp_path: Path) -> None:
    article = tmp_path / "article.txt"
    article.write_text(ARTICLE, encoding="utf-8")
    extracted = airace("extract", article, "--store", "--home", home.root)
    assert extracted.exit_code == 0, extracted.output
    ids = [json.loads(line)["candidate_id"] for line in extracted.stdout.splitlines() if line.startswith("{")]
    assert len(ids) == 3 and "queued 3 for review" in extracted.output
    assert not _log(home)

    listing = airace("review", "--home", home.root)
    assert listing.exit_code == 0
    assert all(i[:10] in listing.output for i in ids) and "GLM-5" in listing.output

    accepted = airace("review", "accept", ids[0], "--by", "alice", "--home", home.root)
    assert accepted.exit_code == 0 and "accepted" in accepted.output and "alice" in accepted.output
    again = airace("review", "accept", ids[0], "--by", "bob", "--home", home.root)
    assert again.exit_code == 0 and "nothing appended" in again.output
    rejected = airace("review", "reject", ids[1], "--by", "bob", "--reason", "hedged", "--home", home.root)
    assert rejected.exit_code == 0 and "rejected" in rejected.output
    assert len(_log(home)) == 1

    pending = airace("review", "--home", home.root)
    assert ids[2][:10] in pending.output and ids[0][:10] not in pending.output
    everything = airace("review", "--all", "--home", home.root)
    # The status cell may wrap in a narrow terminal: look for its words.
    assert all(word in everything.output for word in ("accepted", "alice", "rejected", "bob", "pending"))
    assert airace("verify", "--home", home.root).exit_code == 0

    unknown = runner.invoke(app, ["review", "accept", "0000000000", "--home", str(home.root)])
    assert unknown.exit_code == 2 and "no candidate" in unknown.output


def test_review_on_a_missing_warehouse_is_a_clear_error(tmp_path: Path) -> None:
    result = runner.invoke(app, ["review", "--home", str(tmp_path / "nowhere")])
    assert result.exit_code == 2 and "no warehouse" in result.output


def test_reviewed_at_is_the_log_record_time(store: EventStore, queued: list[str]) -> None:
    when = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=1)
    outcome = accept_candidate(store, queued[0], reviewer="alice", now=when)
    assert _log(store.home)[-1][4] == when
    assert get_candidate(store, outcome.candidate_id).reviewed_at == when


@pytest.mark.usefixtures("queued")
def test_accepting_from_the_cli_publishes_the_event_to_the_snapshot(store: EventStore) -> None:
    """`airace review accept` says "appended": then `airace sql` must show it, not only after the next run."""
    glm = next(c for c in list_candidates(store) if c.event_key == "GLM-5")
    result = runner.invoke(app, ["review", "accept", glm.candidate_id, "--by", "alice", "--home", str(store.home.root)])
    assert result.exit_code == 0, result.output
    assert "snapshot republished" in result.output
    with duckdb.connect(str(store.home.snapshot_db), read_only=True) as con:
        assert con.execute("select count(*) from core.models where model = 'GLM-5'").fetchall() == [(1,)]


@pytest.mark.usefixtures("queued")
def test_accepting_without_refresh_says_when_the_event_will_appear(store: EventStore) -> None:
    glm = next(c for c in list_candidates(store) if c.event_key == "GLM-5")
    result = runner.invoke(app, ["review", "accept", glm.candidate_id, "--no-refresh", "--home", str(store.home.root)])
    assert result.exit_code == 0, result.output
    assert "after the next `airace run`" in result.output
    assert not store.home.snapshot_db.exists()
