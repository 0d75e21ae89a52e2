"""Incremental refresh of the projections (warehouse.projections.refresh.refresh_projections).

* Whatever the log and its chunking (hypothesis draws both: a few examples per run;
  AIRACE_EQUIVALENCE_EXAMPLES=200 runs many by hand), refreshing after each append gives
  exactly the tables a from-scratch computation from the log gives (the `<table>_as_of`
  macros, mode 'log'), with corrections and retractions aimed at events of earlier
  chunks and of the same chunk, duplicates and allegation updates mixed in.
* Each definition is rendered for the mode it runs in: a refresh binds no log-side
  definition, time travel no materialized table.
* A full refresh can be asked for, whatever the checkpoint says.
* A changed definition, a missing table or a log that no longer matches the checkpoint
  makes the next refresh a full one.
* An incremental refresh reads only the log rows after the checkpoint.
"""

from __future__ import annotations

import datetime as dt
import os
import random
import re
from typing import Any

from hypothesis import HealthCheck, Phase, example, given, settings
from hypothesis import strategies as st

from schemas import parse_record
from tests.tools.bench import EventGenerator
from warehouse import EventStore, RawRecord, WarehouseHome, build
from warehouse.projections import refresh as projections
from warehouse.projections.catalog import CORE_TABLES, MART_TABLES
from warehouse.projections.refresh import refresh_projections

START = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
CORRECTABLE = ("model.launched", "allegation.made", "allegation.updated", "policy.changed", "product.released",
               "capability.scored")


def _event_id(record: dict[str, Any]) -> str:
    return parse_record(record, record_ref="x").event_id


def _amendment(rng: random.Random, n: int, target: tuple[str, str]) -> dict[str, Any]:
    """A correction or retraction of `target` (event_id, event_type) that moves what the
    generator's own corrections leave alone: organizations, compute, dates."""
    target_id, target_type = target
    record: dict[str, Any] = {
        "event_type": "event.retracted" if rng.random() < 0.35 else "event.corrected",
        "occurred_at": "2026-01-15",
        "source": "test-fix",
        "source_ref": f"fix/{n}",
        "payload": {"target_event_id": target_id, "reason": f"fix {n}"},
    }
    if record["event_type"] == "event.corrected":
        changes: dict[str, Any] = {}
        if target_type == "model.launched":
            changes = rng.choice([
                {"training_compute_flop": 10 ** rng.uniform(20, 27)},
                {"organizations": rng.choice([["OpenAI"], ["Zhipu AI", "Google DeepMind"], ["A New Lab"]])},
                {"open_weights": rng.random() < 0.5, "countries": ["US"]},
            ])
        elif target_type == "capability.scored":
            # a re-fit's new score, or an identity change that moves the version's link
            changes = rng.choice([
                {"score": round(rng.uniform(60, 160), 3)},
                {"organizations": rng.choice([["OpenAI"], ["A New Lab"]])},
                {"model": rng.choice(["GPT-4", "Not A Known Model"])},
            ])
        elif target_type == "allegation.updated":
            changes = {"status": rng.choice(["dismissed", "settled", "open"])}
        record["payload"]["changes"] = changes
        if rng.random() < 0.5:
            record["payload"]["occurred_at"] = f"20{rng.randint(18, 25)}-0{rng.randint(1, 9)}-1{rng.randint(0, 9)}"
            record["payload"]["occurred_precision"] = "day"
    return record


def _chunks(seed: int, sizes: list[int]) -> list[list[dict[str, Any]]]:
    """Generator records in chunks of these sizes, with exact duplicates and amendments
    aimed at events of earlier chunks and of the same chunk (placed after their target)."""
    gen, rng = EventGenerator(seed), random.Random(seed)
    targets: list[tuple[str, str]] = []
    chunks: list[list[dict[str, Any]]] = []
    fixes = 0
    for per_chunk in sizes:
        chunk: list[dict[str, Any]] = []
        for _ in range(per_chunk):
            roll = rng.random()
            if roll < 0.06 and chunks:
                chunk.append(rng.choice(rng.choice(chunks)))  # a duplicate of an earlier record
                continue
            if roll < 0.18 and targets:
                fixes += 1
                chunk.append(_amendment(rng, fixes, rng.choice(targets[-per_chunk:] if roll < 0.1 else targets)))
                continue
            # (capability scores more often than in the generator's mix, so that corrections
            # and retractions reach them within a few hundred records)
            record = gen.capability_record() if roll > 0.9 and gen.models else gen.record()
            chunk.append(record)
            if record["event_type"] in CORRECTABLE:
                targets.append((_event_id(record), record["event_type"]))
        chunks.append(chunk)
    return chunks


def _append(store: EventStore, chunk: list[dict[str, Any]], i: int) -> int:
    result = store.append(
        [RawRecord(f"record {j}", r) for j, r in enumerate(chunk)],
        source=f"chunk {i}",
        recorded_at=START + dt.timedelta(hours=i),
    )
    return result.appended


def _differences(con, table: str, macro: str) -> int:
    """Rows in one and not the other (as multisets): the table against the log-computed macro."""
    con.execute(f"create or replace temp table expected as select * from {macro}('infinity')")
    return con.execute(
        f"""select (select count(*) from (select * from {table} except all select * from expected))
                 + (select count(*) from (select * from expected except all select * from {table}))"""
    ).fetchall()[0][0]


def _refresh_each_chunk_and_compare(store: EventStore, chunks: list[list[dict[str, Any]]]) -> None:
    """Append chunk by chunk, refreshing after each: every table equals the log's."""
    for i, chunk in enumerate(chunks):
        appended = _append(store, chunk, i)
        with store.writer() as con:
            report = refresh_projections(con)
            assert report.mode == ("full" if i == 0 else "incremental"), report.reason
            assert report.events_applied == appended
            differences = {p.table: _differences(con, p.table, p.macro) for p in CORE_TABLES + MART_TABLES}
        assert differences == dict.fromkeys(differences, 0), f"chunk {i}"


def test_incremental_refresh_equals_a_rebuild_from_the_log_on_a_log_that_exercises_it(store):
    # (one log known to hold what the refresh must get right; the property below draws others)
    _refresh_each_chunk_and_compare(store, _chunks(11, [70] * 4))
    with store.reader() as con:
        amendments = dict(con.execute(
            """select event_type, count(*) from events.log
               where event_type in ('event.corrected', 'event.retracted') group by all"""
        ).fetchall())
        capability = con.execute(
            """select count(*), count(model_id), count(*) filter (where model_id is null),
                      (select count(*) from events.log c join events.log t on t.event_id = c.payload ->> 'target_event_id'
                       where c.event_type in ('event.corrected', 'event.retracted') and t.event_type = 'capability.scored')
               from core.capability_scores"""
        ).fetchall()[0]
    # The log did exercise what the refresh must get right.
    assert amendments.get("event.corrected", 0) >= 10 and amendments.get("event.retracted", 0) >= 5, amendments
    # (capability scores: linked and unlinked versions, some corrected or retracted)
    assert capability[1] >= 3 and capability[2] >= 1 and capability[3] >= 2, capability


# Each example builds a warehouse and refreshes it chunk by chunk (seconds): a few per run
# in CI; by hand, AIRACE_EQUIVALENCE_EXAMPLES=200 (failures then shrunk to a small case).
EQUIVALENCE_EXAMPLES = int(os.environ.get("AIRACE_EQUIVALENCE_EXAMPLES", "2"))
# (shrinking re-runs whole examples: by hand only)
_SHRINK = EQUIVALENCE_EXAMPLES > 2


@settings(
    max_examples=EQUIVALENCE_EXAMPLES,
    deadline=None,
    phases=tuple(Phase) if _SHRINK else (Phase.explicit, Phase.reuse, Phase.generate),
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(
    seed=st.integers(min_value=0, max_value=2**32 - 1),
    sizes=st.lists(st.integers(min_value=1, max_value=120), min_size=2, max_size=5),
)
@example(seed=3, sizes=[40, 1, 1, 25])  # (single events between batches)
def test_incremental_refresh_equals_a_rebuild_from_the_log_whatever_the_log_and_chunking(
    tmp_path_factory, seed, sizes
):
    home = WarehouseHome.resolve(tmp_path_factory.mktemp("equivalence") / "warehouse").ensure()
    _refresh_each_chunk_and_compare(EventStore(home, lock_timeout_s=10), _chunks(seed, sizes))


def _launches(n: int, start: int = 0) -> list[dict[str, Any]]:
    return [
        {"event_type": "model.launched", "schema_version": 2, "occurred_at": f"2025-0{1 + k % 9}-10",
         "source": "test", "source_ref": f"m{k}", "payload": {"model": f"M{k}", "organizations": ["OpenAI"]}}
        for k in range(start, start + n)
    ]


def _refresh(store: EventStore) -> projections.RefreshReport:
    with store.writer() as con:
        return refresh_projections(con)


def test_an_incremental_refresh_reads_only_the_new_log_rows(store):
    _append(store, _launches(30), 0)
    first = _refresh(store)
    assert (first.mode, first.events_applied) == ("full", 30)
    _append(store, _launches(5, start=30), 1)
    second = _refresh(store)
    assert (second.mode, second.events_applied, second.position) == ("incremental", 5, 35)
    assert second.counts["core.models"] == 35
    nothing_new = _refresh(store)
    assert (nothing_new.mode, nothing_new.events_applied) == ("incremental", 0)
    assert nothing_new.counts == second.counts


def _tampers(monkeypatch) -> list[tuple[str, Any]]:
    """Ways the materialized state stops matching the log or the definitions, with the
    reason the refresh should give."""
    return [
        ("definitions changed",
         lambda con: monkeypatch.setattr(projections, "REFRESH_LOGIC_VERSION", "changed")),
        ("missing tables: core.policies", lambda con: con.execute("drop table core.policies")),
        ("missing tables: projection_state.model_launches",
         lambda con: con.execute(f"drop table {projections.STATE_SCHEMA}.model_launches")),
        ("is not the one projected",
         lambda con: con.execute(f"update {projections.CHECKPOINT_TABLE} set hash = 'not it'")),
    ]


def test_anything_the_checkpoint_cannot_vouch_for_means_a_full_refresh(store, monkeypatch):
    _append(store, _launches(10), 0)
    _refresh(store)
    for i, (reason, tamper) in enumerate(_tampers(monkeypatch), start=1):
        _append(store, _launches(1, start=10 + i), i)
        with store.writer() as con:
            tamper(con)
            report = refresh_projections(con)
            assert (report.mode, report.events_applied) == ("full", 10 + i), reason
            assert reason in report.reason
            assert _differences(con, "core.models", "core.models_as_of") == 0
            assert _differences(con, "core.policies", "core.policies_as_of") == 0
        assert _refresh(store).mode == "incremental"


def _policy(title: str, day: str, jurisdiction: str = "EU", stage: str = "proposed") -> dict[str, Any]:
    return {"event_type": "policy.changed", "occurred_at": day, "source": "test", "source_ref": f"{title}/{day}",
            "payload": {"jurisdiction": jurisdiction, "instrument": "law", "title": title, "stage": stage}}


def test_marts_kept_by_group_move_the_later_months_of_a_rolling_window(store):
    """A change in one month moves the rolling totals of the following months (here
    marts.policy_velocity's 12-month window); a correction that moves a step to another
    month or jurisdiction moves both sides, and a retraction takes a step out."""
    months = [f"2024-{m:02d}-15" for m in range(1, 13)] + [f"2025-{m:02d}-15" for m in range(1, 7)]
    first = [_policy(f"P{i}", day) for i, day in enumerate(months)] + [_policy("Q", "2024-05-02", "CN")]
    _append(store, first, 0)
    assert _refresh(store).mode == "full"
    target = _event_id(first[3])  # P3, 2024-04
    gone = _event_id(first[8])  # P8, 2024-09
    second = [
        _policy("N", "2024-02-20"),  # moves EU's totals for 2024-02 .. 2025-01
        _policy("P0", "2024-06-01", stage="adopted"),  # a later step of a known policy
        {"event_type": "event.corrected", "occurred_at": "2026-01-15", "source": "test-fix", "source_ref": "fix/1",
         "payload": {"target_event_id": target, "reason": "moved", "occurred_at": "2023-11-03",
                     "occurred_precision": "day", "changes": {"jurisdiction": "CN"}}},
        {"event_type": "event.retracted", "occurred_at": "2026-01-15", "source": "test-fix", "source_ref": "fix/2",
         "payload": {"target_event_id": gone, "reason": "wrong"}},
    ]
    _append(store, second, 1)
    with store.writer() as con:
        before = con.execute("select count(*) from marts.policy_velocity").fetchall()[0][0]
        assert refresh_projections(con).mode == "incremental"
        assert before > 10
        for p in CORE_TABLES + MART_TABLES:
            assert _differences(con, p.table, p.macro) == 0, p.table


def test_an_organization_renamed_by_other_events_moves_its_release_cadence(store):
    """marts.release_cadence is kept by organization: an unknown organization's name is
    its most common spelling, which events other than its launches can change."""
    _append(store, _launches(3) + [
        {"event_type": "model.launched", "schema_version": 2, "occurred_at": "2025-03-01", "source": "test",
         "source_ref": "foo", "payload": {"model": "Foo-1", "organizations": ["Foo Labs"]}}], 0)
    assert _refresh(store).mode == "full"
    _append(store, [
        {"event_type": "product.released", "occurred_at": f"2025-04-0{k}", "source": "test", "source_ref": f"p{k}",
         "payload": {"organization": "FOO LABS", "product": f"Foo Chat {k}", "kind": "app"}} for k in (1, 2)] + [
        {"event_type": "model.launched", "schema_version": 2, "occurred_at": "2025-05-01", "source": "test",
         "source_ref": "foo2", "payload": {"model": "Foo-2", "organizations": ["Foo Labs", "foo labs"]}}], 1)
    with store.writer() as con:
        assert refresh_projections(con).mode == "incremental"
        assert con.execute("select organization from marts.release_cadence where model = 'Foo-1'").fetchall() == [
            ("FOO LABS",)]
        # Four events name it (one of them twice).
        assert con.execute("select events from core.organizations where org_id = 'foo-labs'").fetchall() == [(4,)]
        for p in CORE_TABLES + MART_TABLES:
            assert _differences(con, p.table, p.macro) == 0, p.table


def _launch(ref: str, day: str, org: str = "OpenAI") -> dict[str, Any]:
    return {"event_type": "model.launched", "schema_version": 2, "occurred_at": day, "source": "test",
            "source_ref": ref, "payload": {"model": ref.upper(), "organizations": [org]}}


def test_marts_kept_by_quarter_and_organization_move_where_launches_move(store):
    """marts.concentration is kept by quarter, marts.releases_monthly by month (from the
    earliest touched) and marts.release_cadence_yearly by organization: a launch
    corrected into another quarter moves both quarters, a retraction empties one (its
    row stays in the grid), a new launch adds to a third; the span of quarters, the last
    month and the last year stay, so all three are refreshed by group."""
    first = [_launch(f"m{k}", day) for k, day in enumerate(
        ["2023-01-10", "2024-02-10", "2024-05-10", "2024-08-10", "2024-11-10", "2025-02-10"])]
    # (the last year with a launch is another organization's: each grid runs to it)
    first += [_launch("g1", "2026-03-10", "Google DeepMind"), _launch("f1", "2024-02-20", "Foo Labs")]
    _append(store, first, 0)
    assert _refresh(store).mode == "full"
    second = [
        _launch("f2", "2024-11-20", "Foo Labs"),
        {"event_type": "event.corrected", "occurred_at": "2026-01-15", "source": "test-fix", "source_ref": "fix/1",
         "payload": {"target_event_id": _event_id(first[2]), "reason": "moved", "occurred_at": "2024-09-03",
                     "occurred_precision": "day", "changes": {"parameters": 1e9}}},
        {"event_type": "event.retracted", "occurred_at": "2026-01-15", "source": "test-fix", "source_ref": "fix/2",
         "payload": {"target_event_id": _event_id(first[5]), "reason": "wrong"}},
    ]
    _append(store, second, 1)
    with store.writer() as con:
        report = refresh_projections(con)
        assert report.mode == "incremental"
        assert {"marts.concentration", "marts.release_cadence_yearly", "marts.releases_monthly"} <= set(report.by_key)
        # 2025Q1 lost its only launch: still in the grid, with no index.
        assert con.execute(
            "select launches, hhi_organizations from marts.concentration where quarter = '2025-01-01' and level = 'lab'"
        ).fetchall() == [(0, None)]
        for p in CORE_TABLES + MART_TABLES:
            assert _differences(con, p.table, p.macro) == 0, p.table


def test_a_batch_of_new_subjects_reads_no_materialized_rows_and_still_equals_the_log(store):
    """The common case the refresh is fast for (as in `make bench`): a batch whose events
    are all new, with corrections and retractions of its own events only, touches no
    event, model or subject with materialized rows, so none is looked up; the tables
    still equal the log's."""
    first, later = EventGenerator(3), EventGenerator(4, start=10**6)
    _append(store, [first.record() for _ in range(150)], 0)
    assert _refresh(store).mode == "full"
    batch = [later.record(recent=True) for _ in range(150)]
    assert {r["event_type"] for r in batch} >= {"allegation.made", "allegation.updated", "policy.changed",
                                                 "product.released", "event.corrected", "model.launched"}
    _append(store, batch, 1)
    with store.writer() as con:
        assert refresh_projections(con).mode == "incremental"
        stored = con.execute(
            f"""select kind, count(*) from {projections.STATE_SCHEMA}.dirty
                where kind in ('stored_event', 'stored_model', 'stored_subject') group by all"""
        ).fetchall()
        assert stored == []
        assert con.execute("select getvariable('stored_subject_events')").fetchall() == [(False,)]
        for p in CORE_TABLES + MART_TABLES:
            assert _differences(con, p.table, p.macro) == 0, p.table


def test_frontier_timeline_kept_by_day_moves_the_record_before_the_touched_days(store):
    """marts.frontier_timeline is recomputed from the earliest touched launch date on,
    plus the last compute record before it: a new record after it ends that record's
    hold (held_until), and a correction that lowers a later record's compute reorders
    the records after it; the last launch date stays, so it is refreshed by day."""
    def launch(ref: str, day: str, flop: float) -> dict[str, Any]:
        record = _launch(ref, day)
        record["payload"]["training_compute_flop"] = flop
        return record

    first = [launch("a", "2023-01-10", 1e22), launch("b", "2023-06-10", 1e23), launch("c", "2024-03-10", 1e24),
             launch("d", "2024-09-10", 5e23), launch("e", "2025-01-10", 1e25), launch("z", "2026-03-10", 1e20)]
    _append(store, first, 0)
    assert _refresh(store).mode == "full"
    second = [
        launch("n", "2024-06-10", 2e24),  # a record after c: c's hold ends there
        {"event_type": "event.corrected", "occurred_at": "2026-01-15", "source": "test-fix", "source_ref": "fix/1",
         "payload": {"target_event_id": _event_id(first[4]), "reason": "revised",
                     "changes": {"training_compute_flop": 1e24}}},  # e no longer a record
    ]
    _append(store, second, 1)
    with store.writer() as con:
        report = refresh_projections(con)
        assert report.mode == "incremental"
        assert "marts.frontier_timeline" in report.by_key, report.by_key
        assert con.execute(
            "select held_until from marts.frontier_timeline where model_id = 'c'"
        ).fetchall() == [(dt.date(2024, 6, 10),)]
        for p in CORE_TABLES + MART_TABLES:
            assert _differences(con, p.table, p.macro) == 0, p.table


class _Recording:
    """A connection that records the SQL it is given."""

    def __init__(self, con) -> None:
        self._con, self.statements = con, []

    def execute(self, sql, *args):
        self.statements.append(sql)
        return self._con.execute(sql, *args)

    def __getattr__(self, name):
        return getattr(self._con, name)


CAPABILITY_MARTS = ("marts.capability_frontier_of", "marts.capability_gap_of", "marts.capability_gap_yearly_of")


def test_a_batch_that_reaches_no_group_of_a_table_leaves_it_alone(store):
    """A batch of policy changes alone marks no model, organization or launch group: the
    core tables and marts kept by those keys run no statement, and every table still
    equals the log; a batch of launches alone leaves policy_velocity and the allegations
    alone. Neither changes core.capability_scores, so neither recomputes the capability marts."""
    first = _launches(6) + [_policy("P", "2024-03-15"), _policy("Q", "2024-07-15", "CN")]
    first += [{"event_type": "allegation.made", "occurred_at": "2024-05-01", "source": "test", "source_ref": "a1",
               "subject": "allegation:a1",
               "payload": {"nature": "accusation", "accusers": ["OpenAI"], "accused": ["Zhipu AI"],
                           "kind": "distillation", "summary": "x"}}]
    _append(store, first, 0)
    assert _refresh(store).mode == "full"
    batches = {
        1: ([_policy("P", "2024-09-15", stage="adopted"), _policy("R", "2025-01-15")],
            ["core.models_of", "core.organizations_of", "marts.release_cadence_of", "marts.releases_monthly_of",
             "marts.frontier_timeline_of", "marts.concentration_of", "marts.allegations_network_of",
             *CAPABILITY_MARTS],
            ["marts.policy_velocity_of"]),
        2: (_launches(3, start=6),
            ["marts.policy_velocity_of", "marts.allegations_network_of", *CAPABILITY_MARTS],
            ["core.models_of", "marts.release_cadence_of"]),
    }
    for i, (batch, untouched, refreshed) in batches.items():
        _append(store, batch, i)
        with store.writer() as con:
            recording = _Recording(con)
            report = refresh_projections(recording)
            assert report.mode == "incremental"
            ran = "\n".join(recording.statements)
            # (each definition runs rendered for its mode: `<name>__dirty(`, `<name>__state(`)
            assert [name for name in untouched if f"{name}__" in ran] == [], i
            assert [name for name in refreshed if f"{name}__" not in ran] == [], i
            for p in CORE_TABLES + MART_TABLES:
                assert _differences(con, p.table, p.macro) == 0, (i, p.table)


def _score(version: str, model: str | None, org: str = "OpenAI", score: float = 120.5) -> dict[str, Any]:
    payload: dict[str, Any] = {"index": "ECI", "model_version": version, "organizations": [org], "score": score}
    if model is not None:
        payload["model"] = model
    return {"event_type": "capability.scored", "occurred_at": "2025-06-01", "source": "test-eci",
            "source_ref": version, "payload": payload}


def test_a_capability_version_relinks_when_the_models_it_names_move(store):
    """core.capability_scores is kept by version, but a version's link depends on core.models:
    a model that appears links the versions that name it (unlinked ones, and ones linked by
    their version name only), and a linked model that changes developers unlinks them."""
    first = [_launch("zeta-1", "2025-01-10"), _launch("eta-2-mini", "2025-02-10"),
             _score("zeta-1_high", "ZETA-1"), _score("theta-9_low", "THETA-9"),
             _score("eta-2-mini", "ETA-2")]
    _append(store, first, 0)
    assert _refresh(store).mode == "full"
    with store.reader() as con:
        assert dict(con.execute("select model_version, model_id from core.capability_scores").fetchall()) == {
            "zeta-1_high": "zeta-1", "theta-9_low": None, "eta-2-mini": "eta-2-mini"}
    second = [
        _launch("theta-9", "2025-03-10"),  # links theta-9_low
        _launch("eta-2", "2025-03-11"),  # eta-2-mini's model name now names a model: rank 1
        {"event_type": "event.corrected", "occurred_at": "2026-01-15", "source": "test-fix", "source_ref": "fix/1",
         "payload": {"target_event_id": _event_id(first[0]), "reason": "another lab's",
                     "changes": {"organizations": ["Zhipu AI"]}}},  # zeta-1 is no longer OpenAI's
    ]
    _append(store, second, 1)
    with store.writer() as con:
        assert refresh_projections(con).mode == "incremental"
        assert dict(con.execute("select model_version, model_id from core.capability_scores").fetchall()) == {
            "zeta-1_high": None, "theta-9_low": "theta-9", "eta-2-mini": "eta-2"}
        for p in CORE_TABLES + MART_TABLES:
            assert _differences(con, p.table, p.macro) == 0, p.table


def _correction(ref: str, target: dict[str, Any], changes: dict[str, Any]) -> dict[str, Any]:
    return {"event_type": "event.corrected", "occurred_at": "2026-01-15", "source": "test-fix", "source_ref": ref,
            "payload": {"target_event_id": _event_id(target), "reason": "re-fit", "changes": changes}}


def test_a_refit_of_versions_logged_long_before_keeps_their_earlier_corrections(store):
    """An upstream re-fit corrects the scores of versions logged batches before: the refresh
    reads those versions' log rows, and every earlier correction of them, by position
    (incremental.sql's looked_up_positions). A version re-scored a second time keeps what
    its first correction changed; one never corrected before gets its new score; the rest
    of the log around them is left as it was."""
    versions = [_score(f"v{k}", None, score=100.0 + k) for k in range(6)]
    _append(store, versions + _launches(40), 0)
    assert _refresh(store).mode == "full"
    _append(store, [_correction("fix/1", versions[0], {"display_name": "V zero", "score": 150.0})]
            + _launches(40, start=40), 1)
    assert _refresh(store).mode == "incremental"
    refit = [_correction("refit/0", versions[0], {"score": 90.0}), _correction("refit/3", versions[3], {"score": 80.0})]
    _append(store, refit, 2)
    with store.writer() as con:
        assert refresh_projections(con).mode == "incremental"
        rows = con.execute("select model_version, display_name, score from core.capability_scores").fetchall()
        assert sorted(rows) == [("v0", "V zero", 90.0), ("v1", None, 101.0), ("v2", None, 102.0),
                                ("v3", None, 80.0), ("v4", None, 104.0), ("v5", None, 105.0)]
        for p in CORE_TABLES + MART_TABLES:
            assert _differences(con, p.table, p.macro) == 0, p.table
def _definitions(con, mode: str) -> dict[str, str]:
    """The macros created for `mode`, by name, with their bodies."""
    rows = con.execute(
        """select schema_name || '.' || function_name, macro_definition from duckdb_functions()
           where database_name = current_database() and function_name like ?""",
        [f"%__{mode}"],
    ).fetchall()
    return {name: body for name, body in rows if name.endswith(f"__{mode}")}


def _named_as_table(table: str) -> re.Pattern[str]:
    """`table` named as a table (not a macro of its name: `core.models_of__log(`)."""
    return re.compile(rf"\b{re.escape(table)}\b(?![_(\w])")


def test_each_mode_binds_only_what_it_reads(store):
    """The refresh's modes ('state', 'dirty') read the materialized tables, never a
    log-side definition; the log's ('log', time travel) reads the log, never a
    materialized core or mart table; no mode is left to choose at run time."""
    _append(store, _chunks(5, [60])[0], 0)
    _refresh(store)
    with store.reader() as con:
        state, dirty, log = (_definitions(con, mode) for mode in ("state", "dirty", "log"))
    tables = [p.table for p in CORE_TABLES + MART_TABLES]
    assert len(state) == len(dirty) == len(log) and {f"{t}_of__log" for t in tables} <= set(log)
    assert [name for name, body in {**state, **dirty}.items() if "__log(" in body] == []
    # (string literals aside: a link_rule's text names core.models)
    read_as_tables = [name for name, body in log.items() for t in tables
                      if _named_as_table(t).search(re.sub(r"'[^']*'", "''", body))]
    assert read_as_tables == []
    assert [name for name, body in {**state, **dirty, **log}.items() if "src" in body or "_in(" in body] == []


def test_a_full_refresh_can_be_asked_for(store):
    """build.refresh(full=True) (`airace run --full-refresh`) recomputes every table from
    the whole log even when the checkpoint could be carried forward."""
    _append(store, _launches(10), 0)
    assert build.refresh(store).mode == "full"
    _append(store, _launches(2, start=10), 1)
    asked = build.refresh(store, full=True)
    assert (asked.mode, asked.events_applied, asked.reason) == ("full", 12, "rebuild from scratch")
    assert asked.counts["core.models"] == 12
    _append(store, _launches(1, start=12), 2)
    assert build.refresh(store).mode == "incremental"


def test_changed_definitions_leave_none_of_the_old_macros_behind(store, monkeypatch):
    """A full refresh after the definitions changed creates every macro anew: one the
    new definitions no longer make (here a stale reader) is gone, not left to be
    copied to the snapshot."""
    _append(store, _launches(3), 0)
    _refresh(store)
    with store.writer() as con:
        con.execute("create macro core.models_in(as_of, src) as table select * from core.models")
    monkeypatch.setattr(projections, "REFRESH_LOGIC_VERSION", "changed")
    assert _refresh(store).reason == "definitions changed"
    with store.reader() as con:
        names = {n for (n,) in con.execute("select function_name from duckdb_functions() where schema_name = 'core'").fetchall()}
    assert "models_in" not in names and "models_of__log" in names
