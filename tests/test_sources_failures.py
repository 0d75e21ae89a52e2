"""HTTP sources misbehaving: each failure ends in a clear error or quarantined records,
no stored event is lost, and one failing source does not stop the others."""

import datetime as dt
import json
import subprocess
import sys
from pathlib import Path

import dagster as dg
import pytest

from pipelines.defs.sources.factory import source_asset
from pipelines.sources.registry import graph_registry
from tests.fixtures.sources.helpers import FAST_FETCH, fixture, live, materialize, override, query, step_failed
from tests.http_fixture import Reply
from warehouse.build import refresh
from warehouse.log.chain import verify

ROOT = Path(__file__).resolve().parent.parent
CSV = fixture("epoch_models.csv")
EPOCH_LIVE = live("epoch_models")
epoch_models = source_asset(graph_registry().get("epoch-ai"))


def _epoch_from(tmp_path, monkeypatch, url, fetch=FAST_FETCH):
    override(tmp_path, monkeypatch, f'[sources.epoch-ai]\nurls = ["{url}"]\n{fetch}\n')


def _metadata(result, node):
    return {k: v.value for k, v in result.asset_materializations_for_node(node)[0].metadata.items()}


def _log(home):
    return query(home, "select position, event_id, hash from events.log order by position")


def test_503_then_200_is_retried_and_the_same_csv_twice_appends_nothing(home, http_server, tmp_path, monkeypatch):
    url = http_server.serve("/models.csv", Reply(503), Reply(200, CSV, etag='"v1"'))
    _epoch_from(tmp_path, monkeypatch, url)
    first = materialize([epoch_models], home, run_config=EPOCH_LIVE)
    assert first.success and len(http_server.hits("/models.csv")) == 2
    meta = _metadata(first, "epoch_models")
    assert (meta["http_status"], meta["fetched_bytes"], meta["appended"]) == ("200", len(CSV), 12)

    second = materialize([epoch_models], home, run_config=EPOCH_LIVE)  # ETag matches: 304
    assert _metadata(second, "epoch_models")["http_status"] == "304"
    assert http_server.hits("/models.csv")[-1].headers["If-None-Match"] == '"v1"'

    # The same bytes again without validators: fetched, recognised, nothing appended.
    same = http_server.serve("/same.csv", Reply(200, CSV))
    _epoch_from(tmp_path, monkeypatch, same)
    third = materialize([epoch_models], home, run_config=EPOCH_LIVE)
    assert (_metadata(third, "epoch_models")["appended"], _metadata(third, "epoch_models")["duplicate"]) == (0, 12)
    assert query(home, "select count(*) from events.log") == [(12,)]


def test_a_changed_row_becomes_a_correction_not_an_edit(home, http_server, tmp_path, monkeypatch):
    url = http_server.serve("/models.csv", Reply(200, CSV, etag='"v1"'))
    _epoch_from(tmp_path, monkeypatch, url)
    materialize([epoch_models], home, run_config=EPOCH_LIVE)
    before = _log(home)
    changed = CSV.replace(b"GLM-4.5,Zhipu AI,2025-07-28,China,355000000000", b"GLM-4.5,Zhipu AI,2025-07-28,China,356000000000")
    http_server.serve("/models.csv", Reply(200, changed, etag='"v2"'))
    result = materialize([epoch_models], home, run_config=EPOCH_LIVE)
    assert _metadata(result, "epoch_models")["appended"] == 1
    assert _log(home)[: len(before)] == before  # nothing stored was touched
    (event_type, payload), = query(home, "select event_type, payload from events.log where position > ?", [len(before)])
    target = query(home, "select event_id from events.log where source_ref = 'GLM-4.5'")[0][0]
    assert event_type == "event.corrected"
    assert json.loads(payload)["target_event_id"] == target and json.loads(payload)["changes"] == {"parameters": 356e9}


def test_organization_aliases_resolve_to_one_organization(store, http_server, tmp_path, monkeypatch):
    _epoch_from(tmp_path, monkeypatch, http_server.serve("/models.csv", Reply(200, CSV)))
    assert materialize([epoch_models], store.home, run_config=EPOCH_LIVE).success
    refresh(store)
    with store.reader() as con:
        orgs = {r[0]: r[1:] for r in con.execute(
            "select org_id, name, country, in_registry, events, aliases from core.organizations where events > 0"
        ).fetchall()}
        joint = con.execute(
            """select list(m.org_id order by m.org_id) from core.organization_mentions('infinity') m
               join events.log l using (event_id) where l.source_ref = 'ChatGLM-6B'"""
        ).fetchall()[0][0]
    assert orgs["zhipu-ai"][:4] == ("Zhipu AI", "CN", True, 4)  # GLM-4.5, GLM-4, GLM-4.6, ChatGLM-6B
    assert joint == ["tsinghua", "zhipu-ai"]  # "Tsinghua KEG & Zhipu": the multi-org row on both
    assert {"Zhipu", "Z.ai"} <= set(orgs["zhipu-ai"][4])
    assert orgs["tsinghua"][3] == 1  # the joint row lands on both
    assert orgs["acme-neural-labs"][:4] == ("Acme Neural Labs", "US", False, 1)  # unknown: created
    assert orgs["meta"][3] == 1 and orgs["alibaba"][3] == 1  # "Meta AI", "Alibaba" via aliases


def test_a_truncated_transfer_is_an_error_and_nothing_stored_is_lost(home, http_server, tmp_path, monkeypatch):
    _epoch_from(tmp_path, monkeypatch, http_server.serve("/models.csv", Reply(200, CSV, etag='"v1"')))
    materialize([epoch_models], home, run_config=EPOCH_LIVE)
    before = _log(home)
    http_server.serve("/models.csv", Reply(200, CSV[:300], declared_length=len(CSV), etag='"v2"'))
    result = materialize([epoch_models], home, run_config=EPOCH_LIVE)
    assert "without sending complete message body" in step_failed(result, "epoch_models")
    assert _log(home) == before


def test_a_truncated_table_is_refused_whole_or_its_broken_row_quarantined(home, http_server, tmp_path, monkeypatch):
    cut = CSV[: CSV.index(b"Acme-1") + 20]  # four rows and half of the fifth, delivered "complete"
    _epoch_from(tmp_path, monkeypatch, http_server.serve("/cut.csv", Reply(200, cut)))
    first = materialize([epoch_models], home, run_config=EPOCH_LIVE)  # nothing stored yet
    assert first.success and (_metadata(first, "epoch_models")["appended"], _metadata(first, "epoch_models")["quarantined"]) == (4, 1)
    assert "occurred_at" in query(home, "select reason from events.quarantine")[0][0]

    _epoch_from(tmp_path, monkeypatch, http_server.serve("/full.csv", Reply(200, CSV)))
    materialize([epoch_models], home, run_config=EPOCH_LIVE)
    before = _log(home)
    _epoch_from(tmp_path, monkeypatch, http_server.serve("/cut-again.csv", Reply(200, CSV[: CSV.index(b"GLM-4,")])))
    result = materialize([epoch_models], home, run_config=EPOCH_LIVE)
    assert "looks truncated, so nothing was ingested" in step_failed(result, "epoch_models")
    assert _log(home) == before  # no retraction of the rows the cut table lacks


def test_a_response_over_the_size_limit_is_refused(home, http_server, tmp_path, monkeypatch):
    _epoch_from(tmp_path, monkeypatch, http_server.serve("/huge.csv", Reply(200, CSV * 500)))
    result = materialize([epoch_models], home, run_config=EPOCH_LIVE)
    assert "over the limit of 200000" in step_failed(result, "epoch_models")


def test_a_timeout_is_a_clear_error(home, http_server, tmp_path, monkeypatch):
    url = http_server.serve("/slow.csv", Reply(200, CSV, delay_s=1.0))
    _epoch_from(tmp_path, monkeypatch, url, fetch="fetch = { timeout_s = 0.2, attempts = 2, backoff_base_s = 0.01 }")
    result = materialize([epoch_models], home, run_config=EPOCH_LIVE)
    assert "gave up after 2 attempts; last problem: timed out after 0.2s" in step_failed(result, "epoch_models")


def test_429_with_retry_after_then_success(home, http_server, tmp_path, monkeypatch):
    url = http_server.serve("/models.csv", Reply(429, headers={"Retry-After": "0"}), Reply(200, CSV))
    _epoch_from(tmp_path, monkeypatch, url)
    assert materialize([epoch_models], home, run_config=EPOCH_LIVE).success
    assert len(http_server.hits("/models.csv")) == 2


@pytest.fixture
def everything_from_the_local_server(http_server, tmp_path, monkeypatch):
    """Every HTTP source of the bundled registry pointed at the local server: Epoch down for good."""
    down = http_server.serve("/epoch.zip", Reply(503))
    rss = http_server.serve("/lab.rss", Reply(200, fixture("lab.rss.xml")))
    atom = http_server.serve("/lab.atom", Reply(200, fixture("lab.atom.xml")))
    news = http_server.serve("/news.rss", Reply(200, fixture("lab.rss.xml")))
    http_server.serve("/api/models?author=zai-org&sort=createdAt&direction=-1&limit=100", Reply(200, fixture("hf_zai_page1.json")))
    override(
        tmp_path,
        monkeypatch,
        f"""[sources.epoch-ai]
urls = ["{down}"]
{FAST_FETCH}
[sources.lab-feeds]
{FAST_FETCH}
feeds = [{{ url = "{rss}", organization = "Anthropic" }}, {{ url = "{atom}", organization = "Google" }}]
[sources.news-feeds]
{FAST_FETCH}
feeds = [{{ url = "{news}" }}]
[sources.hf-hub]
api_url = "{http_server.url('/api/models')}"
{FAST_FETCH}
""",
    )
    return http_server


def test_one_failing_source_does_not_stop_the_others_and_what_landed_is_published(home, store, everything_from_the_local_server):
    from pipelines.definitions import defs
    from pipelines.defs.sources.factory import source_asset
    from pipelines.sources.registry import load_registry

    curated_events = source_asset(load_registry(home).get("curated"))

    # Something already stored, which must survive.
    assert materialize([curated_events], home).success
    before = _log(home)

    definitions = defs()
    http_job = definitions.resolve_job_def("http_sources")
    assert dg.AssetKey(["events", "log"]) not in http_job.asset_layer.selected_asset_keys
    run_config = live("epoch_models", "lab_feeds", "news_feeds", "hf_hub")
    result = http_job.execute_in_process(run_config=run_config, raise_on_error=False, instance=dg.DagsterInstance.ephemeral())
    assert not result.success
    assert "gave up after 3 attempts; last problem: HTTP 503" in step_failed(result, "epoch_models")
    assert step_failed(result, "lab_feeds") is None and step_failed(result, "news_feeds") is None
    # The hub source fails for the bundled authors the local server does not know (404), yet
    # the one it knows landed: a failing location does not stop the others of its source either.
    assert "6 of 7 location(s) failed" in step_failed(result, "hf_hub")
    assert _log(home)[: len(before)] == before
    models = {r[0] for r in query(home, "select payload ->> '$.model' from events.log where event_type = 'model.launched'")}
    assert {"Claude Opus 4.5", "Gemini 3", "GLM-4.6"} <= models

    # The refresh the sensors start after that (failed) run publishes what landed.
    refresh = definitions.resolve_job_def("warehouse_refresh").execute_in_process(instance=dg.DagsterInstance.ephemeral())
    assert refresh.success
    with store.reader() as con:
        assert verify(con).ok
    assert home.snapshot_db.exists()


def test_the_daily_schedules_fetch_each_http_source_live_once_a_day():
    from pipelines.definitions import defs

    definitions = defs()
    schedule = definitions.get_schedule_def("epoch_ai_daily")
    assert schedule.cron_schedule == "0 5 * * *" and schedule.job_name == "http_sources"
    moment = dt.datetime(2026, 3, 1, 5, 0, tzinfo=dt.UTC)
    with dg.build_schedule_context(scheduled_execution_time=moment) as context:
        request = schedule.evaluate_tick(context).run_requests[0]
    assert request.run_key == "epoch-ai:2026-03-01"
    assert request.run_config == {"ops": {"epoch_models": {"config": {"live": True}}}}
    assert request.asset_selection == [dg.AssetKey("epoch_models")]
    names = {s.name for s in definitions.schedules}
    assert {"epoch_ai_daily", "lab_feeds_daily", "news_feeds_daily", "hf_hub_daily"} <= names
    sensors = {s.name for s in definitions.sensors}
    assert {"inbox_sensor", "refresh_after_http_sources", "refresh_after_failed_http_sources"} <= sensors


def test_airace_build_stays_offline(home, http_server, tmp_path, monkeypatch):
    """`make run` must never touch the network: every URL of the registry points at the
    local server, and after the whole default job it has not been asked anything."""
    from pipelines.definitions import defs

    everywhere = http_server.url("/should-not-be-fetched")
    override(
        tmp_path,
        monkeypatch,
        f'[sources.epoch-ai]\nurls = ["{everywhere}"]\n'
        f'[sources.lab-feeds]\nfeeds = [{{ url = "{everywhere}", organization = "OpenAI", offline = "feeds/openai-news.rss.xml" }}]\n'
        f'[sources.hf-hub]\napi_url = "{everywhere}"\n',
    )
    result = defs().resolve_job_def("airace_build").execute_in_process(
        instance=dg.DagsterInstance.ephemeral(), raise_on_error=False
    )
    assert result.success
    assert http_server.requests == []
    assert query(home, "select count(*) from events.log where source = 'lab-feeds'") == [(2,)]


def test_dg_check_defs_passes_with_the_schedules_and_sensors():
    completed = subprocess.run(
        [str(Path(sys.executable).parent / "dg"), "check", "defs"], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert completed.returncode == 0, completed.stdout + completed.stderr
    assert "All definitions loaded successfully" in completed.stdout + completed.stderr
