"""A past warehouse starts from what the published snapshot already computed: its rows of the
events that existed then (and, for core.models, of the models none of whose launches changed
since), the rest recomputed from the log as it stood. Every table it builds, at every moment
of a history with corrections, retractions and a retracted correction, is the table computed
from the log alone (`<table>_as_of`, src 'log'); a snapshot whose tables are behind its log
is answered from the log alone."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from schemas import parse_record
from tests.conftest import launch
from warehouse import RawRecord
from warehouse.build import refresh_and_publish
from warehouse.projections.refresh import REFERENCE_DIR
from warehouse.publishing.snapshot import publish_snapshot
from warehouse.publishing.timetravel import PastMoment, RecordTime, ValidTime, all_tables, open_past, open_snapshot

BUNDLED = REFERENCE_DIR.parent / "bundled" / "curated_events.jsonl"
T1, T2, T3, T4 = (dt.datetime(2025, month, 10, 12, tzinfo=dt.UTC) for month in (1, 2, 3, 4))


def _event_id(record):
    return parse_record(record, record_ref="x").event_id


def _amend(kind, target, **payload):
    return {"event_type": f"event.{kind}", "occurred_at": "2025-01-01", "source": "test",
            "payload": {"target_event_id": target, "reason": "r", **payload}}


def _score(version, model, day, score):
    return {"event_type": "capability.scored", "schema_version": 1, "occurred_at": day, "source": "epoch-eci",
            "source_ref": version, "source_url": "https://epoch.ai/benchmarks/eci",
            "payload": {"index": "ECI", "model_version": version, "model": model, "organizations": ["OpenAI"],
                        "score": score, "release_date": day}}


@pytest.fixture
def history(store, append):
    """The curated bundle and a whole table's launches and scores at T1; a launch renamed (to
    another model) and a score corrected at T2; a launch retracted and more launches at T3;
    the T2 renaming retracted at T4. Refreshed and published."""
    curated = [json.loads(line) for line in BUNDLED.read_text().splitlines() if line.strip()]
    store.append([RawRecord(str(i), r) for i, r in enumerate(curated)], source="curated", recorded_at=T1)
    renamed = launch("Epoch One", "2024-03-05", source="epoch-ai", ref="one")
    retracted = launch("Epoch Two", "2024-04-20", orgs=("Anthropic",), source="epoch-ai", ref="two")
    score = _score("epoch-one-v1", "Epoch One", "2024-03-05", 101.5)
    append([renamed, retracted, launch("Epoch One", "2024-03-01", source="epoch-ai", ref="one-again"),
            _score("epoch-two-v1", "Epoch Two", "2024-04-20", 99.0), score], at=T1)
    renaming = _amend("corrected", _event_id(renamed), changes={"model": "Epoch Two"}, occurred_at="2024-05-01")
    append([renaming, _amend("corrected", _event_id(score), changes={"score": 120.0})], at=T2)
    append([_amend("retracted", _event_id(retracted)), launch("Epoch Three", "2024-06-01", source="epoch-ai", ref="3"),
            launch("Epoch Two", "2024-06-02", orgs=("Anthropic",), ref="two-again")], at=T3)
    append([_amend("retracted", _event_id(renaming))], at=T4)
    refresh_and_publish(store)
    return store


MOMENTS = [RecordTime(at) for at in (T1, T2 + dt.timedelta(days=1), T3 + dt.timedelta(days=1), T4)] + [
    ValidTime(dt.date(2024, 4, 30)), ValidTime(dt.date(2024, 5, 31))]


@pytest.mark.parametrize("moment", MOMENTS, ids=str)
def test_every_table_built_from_the_snapshot_is_the_table_computed_from_the_log_alone(history, moment: PastMoment):
    with open_past(history.home, moment) as past:
        assert past.reuse_snapshot
        past.build(all_tables())
        for table in all_tables():
            built = past.con.execute(f"select * from {table} order by all").fetchall()
            from_log = past.con.execute(f"select * from {table}_as_of('infinity') order by all").fetchall()
            assert built == from_log, table


def test_the_moments_differ_so_the_comparison_above_means_something(history):
    def models(moment):
        with open_past(history.home, moment) as past:
            past.build(["core.models"])
            return past.con.execute("select model, launch_events from core.models where model like 'Epoch%' order by 1").fetchall()

    assert models(RecordTime(T1)) == [("Epoch One", 2), ("Epoch Two", 1)]
    assert models(RecordTime(T2 + dt.timedelta(days=1))) == [("Epoch One", 1), ("Epoch Two", 2)]
    assert models(RecordTime(T3 + dt.timedelta(days=1))) == [("Epoch One", 1), ("Epoch Three", 1), ("Epoch Two", 2)]
    assert models(RecordTime(T4)) == [("Epoch One", 2), ("Epoch Three", 1), ("Epoch Two", 1)]


def test_a_snapshot_whose_tables_are_behind_its_log_is_answered_from_the_log(history, append):
    append([launch("Unrefreshed", "2024-07-01", source="epoch-ai", ref="late")], at=T4 + dt.timedelta(days=1))
    publish_snapshot(history.home)  # (published without a refresh: the checkpoint is behind the log)
    with open_snapshot(history.home) as now:
        assert now.execute("select count(*) from core.models where model = 'Unrefreshed'").fetchall() == [(0,)]
    with open_past(history.home, RecordTime(T4 + dt.timedelta(days=2))) as past:
        assert not past.reuse_snapshot
        past.build(["marts.releases_monthly"])
        assert past.con.execute("select count(*) from core.models where model = 'Unrefreshed'").fetchall() == [(1,)]
        built = past.con.execute("select * from marts.releases_monthly order by all").fetchall()
        assert built == past.con.execute("select * from marts.releases_monthly_as_of('infinity') order by all").fetchall()
