"""`airace sql --as-of`: a date before an ingest answers with the counts as they were then,
even after that later ingest corrected and retracted events."""

import datetime as dt
import json

from typer.testing import CliRunner

from pipelines.cli import app
from schemas import parse_record
from tests.conftest import launch, write_jsonl
from warehouse.build import refresh_and_publish

runner = CliRunner()
T1 = dt.datetime(2025, 6, 1, 12, tzinfo=dt.UTC)


def _event_id(record):
    return parse_record(record, record_ref="x").event_id


def _sql(home, query, *options):
    result = runner.invoke(app, ["sql", query, "--home", str(home.root), "--format", "json", *options], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return [json.loads(line) for line in result.output.splitlines() if line.startswith("{")]


def test_as_of_a_date_before_an_ingest_returns_the_counts_as_they_were(store, append, tmp_path):
    moved = launch("Moved", "2025-03-31", ref="moved")
    hoax = launch("Hoax", "2025-03-10", orgs=("Anthropic",), ref="hoax")
    append([moved, hoax, launch("Kept", "2025-02-14", orgs=("DeepSeek",), ref="kept")], at=T1)
    refresh_and_publish(store)
    # The later ingest (recorded now, through the CLI) moves one launch into April and retracts another.
    later = write_jsonl(
        tmp_path / "later.jsonl",
        [
            {"event_type": "event.corrected", "occurred_at": "2025-07-01", "source": "test",
             "payload": {"target_event_id": _event_id(moved), "changes": {}, "occurred_at": "2025-04-01",
                         "occurred_precision": "day", "reason": "announced in April"}},
            {"event_type": "event.retracted", "occurred_at": "2025-07-01", "source": "test",
             "payload": {"target_event_id": _event_id(hoax), "reason": "never happened"}},
            launch("New", "2025-05-05", orgs=("Zhipu AI",), ref="new"),
        ],
    )
    ingest = runner.invoke(app, ["ingest", str(later), "--home", str(store.home.root)], catch_exceptions=False)
    assert ingest.exit_code == 0, ingest.output

    counts = """select (select count(*) from events.log) as events,
                       (select count(*) from core.models) as models,
                       (select sum(launches)::integer from marts.releases_monthly_by_country where month = '2025-03-01') as march,
                       (select sum(launches)::integer from marts.releases_monthly_by_country where month = '2025-04-01') as april"""
    # Before the later ingest: 3 events, 3 models, Moved and Hoax in March, no April grid yet.
    assert _sql(store.home, counts, "--as-of", "2025-06-02") == [{"events": 3, "models": 3, "march": 2, "april": None}]
    # Now: 6 events; Hoax gone, New added; Moved in April.
    assert _sql(store.home, counts) == [{"events": 6, "models": 3, "march": 0, "april": 1}]
    # A date before anything was recorded: an empty warehouse, not an error.
    assert _sql(store.home, "select count(*) as n from core.models", "--as-of", "2024-01-01") == [{"n": 0}]
