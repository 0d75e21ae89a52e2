"""Two clocks: `--as-of` is record time (what this warehouse had recorded then) and warns when it
is earlier than anything recorded; `--until` is valid time (the race as it had happened by a
date, with every correction and retraction known today). Either builds only the tables a
statement names, with what they read, and each table built alone is the table a full build gives."""

from __future__ import annotations

import datetime as dt
import json
import re

import pytest
from typer.testing import CliRunner

from pipelines.cli import app
from schemas import parse_record
from tests.conftest import launch
from warehouse.build import refresh_and_publish
from warehouse.projections.refresh import REFERENCE_DIR
from warehouse.publishing.timetravel import (
    RecordTime,
    ValidTime,
    all_tables,
    open_past,
    open_snapshot,
    open_until,
    tables_named,
    tables_with_inputs,
)

runner = CliRunner()
RECORDED = dt.datetime(2025, 1, 10, 12, tzinfo=dt.UTC)
CORRECTED = dt.datetime(2025, 3, 1, 12, tzinfo=dt.UTC)
BUNDLED = REFERENCE_DIR.parent / "bundled" / "curated_events.jsonl"


def _event_id(record):
    return parse_record(record, record_ref="x").event_id


def _sql(home, query, *options):
    result = runner.invoke(app, ["sql", query, "--home", str(home.root), "--format", "json", *options])
    assert result.exit_code == 0, result.output
    return [json.loads(line) for line in result.stdout.splitlines()], result.stderr


@pytest.fixture
def race(store, append):
    """Four launches recorded on 2025-01-10; on 2025-03-01 one is moved past June and one retracted."""
    early = launch("Early", "2024-05-01", ref="early")
    moved = launch("Moved", "2024-06-10", ref="moved")
    hoax = launch("Hoax", "2024-06-20", orgs=("Anthropic",), ref="hoax")
    append([early, moved, hoax, launch("Late", "2024-07-01", ref="late")], at=RECORDED)
    append(
        [
            {"event_type": "event.corrected", "occurred_at": "2025-03-01", "source": "test",
             "payload": {"target_event_id": _event_id(moved), "changes": {}, "occurred_at": "2024-08-15",
                         "occurred_precision": "day", "reason": "released in August"}},
            {"event_type": "event.corrected", "occurred_at": "2025-03-01", "source": "test",
             "payload": {"target_event_id": _event_id(early), "changes": {"model": "Early Pro"},
                         "reason": "the name as announced"}},
            {"event_type": "event.retracted", "occurred_at": "2025-03-01", "source": "test",
             "payload": {"target_event_id": _event_id(hoax), "reason": "never happened"}},
        ],
        at=CORRECTED,
    )
    refresh_and_publish(store)
    return store


MODELS = "select model, launched_on::varchar as launched_on from core.models order by launched_on"


def test_until_is_the_race_as_it_had_happened_by_a_date_with_what_is_known_today(race):
    models, _ = _sql(race.home, MODELS, "--until", "2024-06-30")
    # Early under its corrected name; Moved happened in August (corrected), Hoax never (retracted).
    assert models == [{"model": "Early Pro", "launched_on": "2024-05-01"}]
    later, _ = _sql(race.home, MODELS, "--until", "2024-08-15")
    assert [m["model"] for m in later] == ["Early Pro", "Late", "Moved"]
    # events.log holds what had happened by then and every correction and retraction.
    counts, _ = _sql(race.home, "select event_type, count(*) as n from events.log group by 1 order by 1", "--until", "2024-06-30")
    assert counts == [{"event_type": "event.corrected", "n": 2}, {"event_type": "event.retracted", "n": 1},
                      {"event_type": "model.launched", "n": 1}]
    # The mart agrees: its months run to the last launch that had happened, May 2024.
    months, _ = _sql(race.home, "select month::varchar as month, sum(launches)::int as n from marts.releases_monthly_by_country "
                                "where month >= '2024-01-01' group by 1 order by 1", "--until", "2024-06-30")
    assert months[-1] == {"month": "2024-05-01", "n": 1} and sum(m["n"] for m in months) == 1


def test_as_of_is_what_was_recorded_then_corrections_not_yet_applied(race):
    models, warning = _sql(race.home, MODELS, "--as-of", "2025-02-01")
    assert [m["model"] for m in models] == ["Early", "Moved", "Hoax", "Late"]
    assert warning == ""


def test_as_of_before_anything_was_recorded_warns_and_says_which_clock_to_use(race):
    rows, warning = _sql(race.home, "select count(*) as n from core.models", "--as-of", "2024-06-30")
    assert rows == [{"n": 0}]  # an empty warehouse, as it was then: not an error
    said = " ".join(warning.split())
    assert "--as-of 2024-06-30 is before anything was recorded here" in said
    assert "2025-01-10T12:00:00+00:00" in said and "use --until 2024-06-30" in said


def _words(output: str) -> str:
    """The text of a usage error, without the box drawn around it."""
    return " ".join(re.sub(r"[│╭╮╰╯─]", " ", output).split())


def test_the_two_clocks_cannot_be_given_together(race):
    result = runner.invoke(app, ["sql", "select 1", "--home", str(race.home.root), "--as-of", "2025-01-01", "--until", "2025-01-01"])
    assert result.exit_code == 2 and "are two different clocks: give one" in _words(result.output)
    bad = runner.invoke(app, ["sql", "select 1", "--home", str(race.home.root), "--until", "June"])
    assert bad.exit_code == 2 and "is not an ISO date" in _words(bad.output)


def test_only_the_tables_a_statement_names_are_built_with_what_they_read(race):
    with open_past(race.home, RecordTime(dt.datetime(2100, 1, 1, tzinfo=dt.UTC))) as past:
        assert past.build_for("select count(*) from events.log") == []
        assert past.build_for("select * from marts.policy_velocity") == ["core.policies", "marts.policy_velocity"]
        # (its `complete` column reads core.source_coverage, through core.complete_through)
        assert past.build_for('select * from "MARTS"."releases_monthly" join core.policies using (x)') == [
            "core.organizations", "core.models", "core.source_coverage", "marts.releases_monthly"]
        assert past.build_for("select * from marts.releases_monthly") == []  # built once


def test_tables_named_finds_quoted_and_spaced_names_not_macros():
    assert tables_named('select * from "marts" . "concentration", core.models m') == ["core.models", "marts.concentration"]
    assert tables_named("select * from marts.releases_monthly_as_of(now())") == []
    assert tables_named("select * from my_marts.releases_monthly") == []
    assert tables_with_inputs(["marts.catch_up_lag_yearly"]) == [
        "core.organizations", "core.models", "marts.frontier_timeline", "marts.catch_up_lag", "marts.catch_up_lag_yearly"]


@pytest.fixture
def curated(store, append):
    """The bundled curated events (every kind of event), one of them corrected and one retracted."""
    from warehouse import RawRecord

    lines = [json.loads(line) for line in BUNDLED.read_text().splitlines() if line.strip()]
    store.append([RawRecord(str(i), record) for i, record in enumerate(lines)], source="curated")
    launches = [r for r in lines if r["event_type"] == "model.launched"]
    allegation = next(r for r in lines if r["event_type"] == "allegation.made")
    append([
        {"event_type": "event.corrected", "occurred_at": "2026-01-01", "source": "test",
         "payload": {"target_event_id": _event_id(launches[0]), "changes": {"open_weights": True}, "reason": "r"}},
        {"event_type": "event.retracted", "occurred_at": "2026-01-01", "source": "test",
         "payload": {"target_event_id": _event_id(allegation), "reason": "r"}},
    ])
    refresh_and_publish(store)
    return store


@pytest.mark.parametrize("moment", [RecordTime(dt.datetime(2100, 1, 1, tzinfo=dt.UTC)), ValidTime(dt.date(2100, 1, 1))],
                         ids=["as-of", "until"])
def test_each_table_built_alone_is_the_table_a_full_build_gives(curated, moment):
    with open_snapshot(curated.home) as now:
        expected = {t: now.execute(f"select * from {t} order by all").fetchall() for t in all_tables()}
    for table in all_tables():
        # (a warehouse of its own per table: nothing but the table and what it reads is built)
        with open_past(curated.home, moment) as past:
            past.build([table])
            assert past.con.execute(f"select * from {table} order by all").fetchall() == expected[table], table


def test_until_before_everything_is_an_empty_race(curated):
    with open_until(curated.home, dt.date(1900, 1, 1)) as con:
        assert con.execute("select count(*) from core.models").fetchall() == [(0,)]
        assert con.execute("select count(*) from marts.policy_velocity").fetchall() == [(0,)]


def test_report_until_is_titled_with_its_clock(race, tmp_path):
    out = tmp_path / "report.html"
    result = runner.invoke(app, ["report", str(out), "--home", str(race.home.root), "--until", "2024-06-30"])
    assert result.exit_code == 0, result.output
    assert "as it had happened by 2024-06-30" in out.read_text()
