import json

import pytest

from pipelines.defs.sources.factory import source_asset as feed_asset
from pipelines.sources.feeds import FeedError, announced_name, ingest_feed_source, item_event, parse_feed
from pipelines.sources.registry import load_registry
from tests.fixtures.sources.helpers import FAST_FETCH, fixture, live, materialize, override, query, step_failed
from tests.http_fixture import Reply


def _lab_override(tmp_path, monkeypatch, rss_url, atom_url, extra=""):
    return override(
        tmp_path,
        monkeypatch,
        f"""[sources.lab-feeds]
{FAST_FETCH}
feeds = [
  {{ url = "{rss_url}", organization = "Anthropic" }},
  {{ url = "{atom_url}", organization = "Google DeepMind" }},
]
{extra}""",
    )


def test_rss_and_atom_items_become_documents_and_only_unambiguous_ones_events():
    rss = parse_feed(fixture("lab.rss.xml"), feed_url="https://lab.example.org/rss")
    atom = parse_feed(fixture("lab.atom.xml"), feed_url="https://lab.example.org/atom")
    assert [i.title for i in rss] == [
        "Introducing Claude Opus 4.5", "Introducing the Anthropic Economic Index", "Introducing Claude Code"
    ]
    assert atom[0].text == "Gemini 3 is our most intelligent model." and atom[0].published.isoformat().startswith("2025-11-18")
    events = [item_event(i, source="lab-feeds", organization="Anthropic") for i in rss + atom]
    assert [(e["event_type"], e["payload"].get("model") or e["payload"].get("product")) if e else None for e in events] == [
        ("model.launched", "Claude Opus 4.5"),
        None,  # "the …": not a plain name
        ("product.released", "Claude Code"),  # no version number, but tagged Product
        ("model.launched", "Gemini 3"),
        None,  # no "Introducing"
    ]
    # A news site's feed (no organization) never yields events, however the title reads.
    assert all(item_event(i, source="news-feeds", organization=None) is None for i in rss + atom)


@pytest.mark.parametrize(
    ("title", "name"),
    [
        ("Introducing GPT-5", "GPT-5"),
        ("Introducing GPT-5: our smartest model", "GPT-5"),
        ("Introducing GPT-4.1 in the API", None),
        ("Introducing OpenAI o3 and o4-mini", None),
        ("OpenAI raises $40B", None),
        ("Introducing a new research programme for safety and alignment work", None),
    ],
)
def test_announced_names_are_conservative(title, name):
    assert announced_name(title) == name


@pytest.mark.parametrize(("name", "reason"), [("billion_laughs.xml", "refused"), ("external_entity.xml", "refused"),
                                               ("malformed.xml", "malformed feed")])
def test_xml_bombs_external_entities_and_malformed_feeds_are_refused(name, reason):
    with pytest.raises(FeedError, match=reason):
        parse_feed(fixture(name), feed_url="https://x.example/feed")


def test_html_is_not_a_feed():
    with pytest.raises(FeedError, match="not an RSS or Atom feed: the root element is <html>"):
        parse_feed(b"<html><body>hello</body></html>", feed_url="https://x.example/")


def test_live_feeds_land_documents_and_events_and_a_304_reingests_nothing(store, http_server, tmp_path, monkeypatch):
    rss = http_server.serve("/lab.rss", Reply(200, fixture("lab.rss.xml"), etag='"r1"'))
    atom = http_server.serve("/lab.atom", Reply(503), Reply(200, fixture("lab.atom.xml"), etag='"a1"'))
    _lab_override(tmp_path, monkeypatch, rss, atom)
    source = load_registry(store.home).get("lab-feeds")

    first = ingest_feed_source(store, source, live=True, run_id="feeds-1")
    assert [(o.status, o.error) for o in first.outcomes] == [("200", None), ("200", None)]  # the 503 was retried
    assert (first.read, first.appended, first.documents_new) == (3, 3, 5)
    events = query(store.home, "select event_type, payload ->> '$.model', occurred_at::varchar from events.log order by 3")
    assert events == [("product.released", None, "2025-05-22"), ("model.launched", "Gemini 3", "2025-11-18"),
                      ("model.launched", "Claude Opus 4.5", "2025-11-24")]
    # Each says when it was fetched: after the run began, not before.
    fetched = query(store.home, "select min(retrieved_at), max(retrieved_at), min(recorded_at) from events.log")[0]
    assert fetched[0] is not None and fetched[1] <= fetched[2]
    docs = query(store.home, "select title, url, feed_url from raw.documents where title like 'Introducing the%'")
    assert docs == [("Introducing the Anthropic Economic Index",
                     "https://www.anthropic.com/news/the-anthropic-economic-index", rss)]

    second = ingest_feed_source(store, source, live=True, run_id="feeds-2")
    assert [o.status for o in second.outcomes] == ["304", "304"]
    assert second.appended == second.read == second.documents_new == 0 and second.ingest_run_id is None
    assert http_server.hits("/lab.rss")[-1].headers["If-None-Match"] == '"r1"'
    assert query(store.home, "select count(*) from events.log") == [(3,)]


def test_a_malformed_feed_fails_alone_and_keeps_what_is_stored(home, store, http_server, tmp_path, monkeypatch):
    good = http_server.serve("/good.rss", Reply(200, fixture("lab.rss.xml")))
    bad = http_server.serve("/bad.atom", Reply(200, fixture("malformed.xml")))
    _lab_override(tmp_path, monkeypatch, good, bad)
    asset = feed_asset(load_registry(home).get("lab-feeds"))

    result = materialize([asset], home, run_config=live("lab_feeds"))
    message = step_failed(result, "lab_feeds")
    assert message and "1 of 2 location(s) failed" in message and "malformed feed" in message and "/bad.atom" in message
    # The good feed of the same source was still taken.
    assert query(home, "select count(*) from events.log") == [(2,)]
    assert query(home, "select count(*) from raw.documents") == [(3,)]
    # The malformed payload is kept raw for replay.
    assert query(home, "select count(*) from raw.fetches where url = ? and http_status = 200", [bad]) == [(1,)]


def test_offline_by_default_the_bundled_feeds_are_read_and_nothing_is_fetched(home):
    asset = feed_asset(load_registry(home).get("lab-feeds"))
    result = materialize([asset], home)
    assert result.success
    metadata = result.asset_materializations_for_node("lab_feeds")[0].metadata
    assert metadata["mode"].value == "offline" and metadata["appended"].value >= 3
    assert query(home, "select count(*) from raw.fetches") == [(0,)]
    launched = {r[0] for r in query(home, "select payload ->> '$.model' from events.log where event_type = 'model.launched'")}
    assert {"GPT-5", "Gemma 3", "Gemini 2.0"} <= launched and "GPT-4.1" not in launched
    # A bundled copy was retrieved at some unknown time: not "now", when it was read.
    assert query(home, "select count(*) from events.log where retrieved_at is not null") == [(0,)]
    again = materialize([asset], home)
    assert again.asset_materializations_for_node("lab_feeds")[0].metadata["appended"].value == 0


def test_a_news_feed_is_kept_as_documents_only(home):
    asset = feed_asset(load_registry(home).get("news-feeds"))
    assert materialize([asset], home).success
    assert query(home, "select count(*) from events.log") == [(0,)]
    titles = [r[0] for r in query(home, "select title from raw.documents order by published")]
    assert titles[-1].startswith("Zhipu AI releases GLM-5") and len(titles) == 3
    assert json.dumps(titles)  # plain strings for the extractor
