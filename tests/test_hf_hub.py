import pytest

from pipelines.defs.sources.factory import source_asset as hub_asset
from pipelines.sources.hf_hub import HubError, ingest_hub_source, listing_url, parse_page
from pipelines.sources.registry import load_registry
from tests.fixtures.sources.helpers import FAST_FETCH, fixture, live, materialize, override, query, step_failed
from tests.http_fixture import Reply


def _hub_override(tmp_path, monkeypatch, server, authors='deepseek-ai = "DeepSeek"\nzai-org = "Zhipu AI"'):
    override(
        tmp_path,
        monkeypatch,
        f"""[sources.test-hub]
kind = "hf_hub"
api_url = "{server.url('/api/models')}"
page_size = 2
max_pages = 5
{FAST_FETCH}

[sources.test-hub.authors]
{authors}
""",
    )


def _paged(server, *, first=None):
    """deepseek-ai: two pages linked by `Link: rel="next"` (a relative URL, as the Hub sends)."""
    server.serve(
        "/api/models?author=deepseek-ai&sort=createdAt&direction=-1&limit=2",
        *(first or []),
        Reply(200, fixture("hf_deepseek_page1.json"), etag='"p1"',
              headers={"Link": '</api/models?author=deepseek-ai&cursor=abc>; rel="next"'}),
    )
    server.serve("/api/models?author=deepseek-ai&cursor=abc", Reply(200, fixture("hf_deepseek_page2.json")))
    server.serve("/api/models?author=zai-org&sort=createdAt&direction=-1&limit=2",
                 Reply(200, fixture("hf_zai_page1.json"), etag='"z1"'))


def test_listing_url_is_the_hub_query():
    assert listing_url("https://huggingface.co/api/models", "Qwen", 50) == (
        "https://huggingface.co/api/models?author=Qwen&sort=createdAt&direction=-1&limit=50"
    )


def test_pages_are_followed_through_the_link_header_and_mapped_to_open_weight_launches(store, http_server, tmp_path, monkeypatch):
    _hub_override(tmp_path, monkeypatch, http_server)
    _paged(http_server, first=[Reply(503)])  # a 503 first: retried
    report = ingest_hub_source(store, load_registry(store.home).get("test-hub"), live=True, run_id="hub-1")
    assert [o.status for o in report.outcomes] == ["200", "200", "200"] and not report.failures
    assert (report.read, report.appended, report.quarantined) == (6, 5, 1)
    rows = query(store.home, """select source_ref, occurred_at::varchar, occurred_precision, payload ->> '$.model',
                                       payload -> '$.organizations' ->> 0, payload ->> '$.open_weights',
                                       payload ->> '$.access', source_url
                                from events.log order by source_ref""")
    assert rows[0] == ("deepseek-ai/DeepSeek-R1", "2025-01-20", "day", "DeepSeek-R1", "DeepSeek", "true",
                       "open_weights", "https://huggingface.co/deepseek-ai/DeepSeek-R1")
    assert [r[0] for r in rows] == ["deepseek-ai/DeepSeek-R1", "deepseek-ai/DeepSeek-V3", "deepseek-ai/DeepSeek-V3.2-Exp",
                                    "zai-org/GLM-4.5", "zai-org/GLM-4.6"]
    assert {r[4] for r in rows if r[0].startswith("zai-org/")} == {"Zhipu AI"}
    reason = query(store.home, "select reason from events.quarantine")[0][0]
    assert "broken-entry: no createdAt" in reason
    assert http_server.hits("/api/models")[0].headers["User-Agent"].startswith("airace/")


def test_a_429_waits_as_told_and_an_unchanged_listing_costs_one_304(store, http_server, tmp_path, monkeypatch):
    _hub_override(tmp_path, monkeypatch, http_server, authors='zai-org = "Zhipu AI"')
    http_server.serve("/api/models?author=zai-org&sort=createdAt&direction=-1&limit=2",
                      Reply(429, headers={"Retry-After": "0"}), Reply(200, fixture("hf_zai_page1.json"), etag='"z1"'))
    waits: list[float] = []
    source = load_registry(store.home).get("test-hub")
    first = ingest_hub_source(store, source, live=True, sleep=waits.append)
    assert waits == [0.0] and first.appended == 2
    second = ingest_hub_source(store, source, live=True, sleep=waits.append)
    assert [o.status for o in second.outcomes] == ["304"] and second.read == 0
    assert query(store.home, "select count(*) from events.log") == [(2,)]


def test_not_json_is_a_clear_error_and_other_authors_still_land(home, http_server, tmp_path, monkeypatch):
    _hub_override(tmp_path, monkeypatch, http_server)
    http_server.serve("/api/models?author=deepseek-ai&sort=createdAt&direction=-1&limit=2",
                      Reply(200, b"<html>rate limited</html>"))
    http_server.serve("/api/models?author=zai-org&sort=createdAt&direction=-1&limit=2", Reply(200, fixture("hf_zai_page1.json")))
    asset = hub_asset(load_registry(home).get("test-hub"))
    result = materialize([asset], home, run_config=live("test_hub"))
    message = step_failed(result, "test_hub")
    assert message and "author=deepseek-ai" in message and "not JSON" in message
    assert query(home, "select source_ref from events.log order by 1") == [("zai-org/GLM-4.5",), ("zai-org/GLM-4.6",)]


def test_page_shape_is_checked():
    with pytest.raises(HubError, match="expected a JSON list"):
        parse_page(b'{"error": "nope"}')


def test_offline_the_hub_is_skipped(home):
    asset = hub_asset(load_registry(home).get("hf-hub"))
    result = materialize([asset], home)
    assert result.success
    metadata = result.asset_materializations_for_node("hf_hub")[0].metadata
    assert metadata["mode"].value == "offline" and metadata["fetched_bytes"].value == 0
    assert not home.live_db.exists() or query(home, "select count(*) from raw.fetches") == [(0,)]
