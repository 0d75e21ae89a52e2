"""The curated bundle: an edit to a line corrects the event a warehouse already holds."""

import json
from urllib.parse import urlparse

from pipelines.sources.curated import CURATED_EVENTS, ingest_curated
from warehouse.build import refresh

ENCYCLOPEDIAS = ("wikipedia.org", "wikiwand.com", "britannica.com")

# News, law-firm, consultancy and aggregator sites: a page *about* an event, never the
# lab's, regulator's, court's or official journal's own page. A curated line cites one only
# while it waits in AWAITING_PRIMARY, or for a statement (an official's, a regulator's, a
# company's) whose own page was not found: its text then says so ("no primary ... found").
SECONDARY_HOSTS = frozenset({
    "aifray.com", "asia.nikkei.com", "authorsalliance.org", "blog.freshfields.us", "comparativeai.org",
    "compliancert.com", "convertingmarkets.com", "ctse.aei.org", "english.aawsat.com", "fisherbroyles.com",
    "gazzettadelsud.it", "iacommunidad.com", "j.people.com.cn", "m.caixin.com", "m.china.com", "natlawreview.com",
    "news.bloomberglaw.com", "piedmontexedra.com", "readwrite.com", "savemyleads.com", "sesec.eu", "techcrunch.com",
    "the-decoder.com", "theedgemalaysia.com", "theneuron.ai", "thetechportal.com", "tokenmix.ai",
    "www.affaritaliani.it", "www.axios.com", "www.centerconsulting.com", "www.channelnewsasia.com",
    "www.china-briefing.com", "www.compelframework.org", "www.dataguidance.com", "www.digitalmusicnews.com",
    "www.etnet.com.hk", "www.globaltimes.cn", "www.goodjourneyconsulting.com", "www.heuking.de",
    "www.hindustantimes.com", "www.hk01.com", "www.indiatvnews.com", "www.japantimes.co.jp", "www.jdsupra.com",
    "www.mediaite.com", "www.mexc.co", "www.mobileappdaily.com", "www.mofo.com", "www.moneycontrol.com",
    "www.nbcsandiego.com", "www.newsdrum.in", "www.newsis.com", "www.nytimes.com", "www.phoneworld.com.pk",
    "www.pikaainews.com", "www.politico.com", "www.rainews.it", "www.republicworld.com", "www.ritews.com",
    "www.semafor.com", "www.sergenianlaw.com", "www.staradvertiser.com", "www.swissinfo.ch", "www.thewirechina.com",
    "www.tomshardware.com", "www.turingpost.com", "www.upi.com", "www.wsbtv.com", "za.lapresse.it",
})

# Lines still citing a secondary page because no primary page was found yet (the list
# only shrinks: a line given its primary source must leave it, see the test below).
AWAITING_PRIMARY = frozenset({
    "zhipu-ai-founded", "deepseek-founded", "moonshot-ai-founded", "ernie-bot-launch", "tongyi-qianwen-launch",
    "ftc-openai-cid", "kimi-chatbot-launch", "concord-v-anthropic", "linwei-ding-indicted",
    "musk-v-openai-state-withdrawn", "musk-v-openai-federal-refiled", "garcia-v-character-ai",
    "doubao-1-5-pro-launch", "linwei-ding-superseding-indictment", "thomson-reuters-v-ross-ruling",
    "musk-v-openai-injunction-denied", "cn-ai-labeling-issued", "nyt-v-openai-mtd-ruling",
    "garcia-v-character-ai-mtd-ruling", "jp-ai-promotion-act-enacted", "us-ny-raise-act-passed",
    "reddit-v-anthropic-filed", "disney-universal-v-midjourney", "bartz-v-anthropic-fair-use-ruling",
    "kadrey-v-meta-ruling", "xai-v-apple-openai-antitrust", "cn-ai-labeling-in-force", "xai-v-openai-trade-secrets",
    "qwen3-max-launch", "gema-v-openai-ruling", "ernie-5-0-launch", "openai-deepseek-distillation-house-memo",
    "musk-v-openai-jury-verdict",
})


def _bundle_lines(*refs):
    lines = {json.loads(line)["source_ref"]: json.loads(line) for line in CURATED_EVENTS.read_text().splitlines()}
    return [lines[ref] for ref in refs]


def _write(path, events):
    path.write_text("".join(json.dumps(event) + "\n" for event in events))


def _event_types(store, run_id):
    with store.reader() as con:
        return dict(
            con.execute("select event_type, count(*) from events.log where run_id = ? group by all", [run_id]).fetchall()
        )


def test_every_curated_line_has_its_own_key_and_cites_no_encyclopedia():
    events = [json.loads(line) for line in CURATED_EVENTS.read_text().splitlines()]
    refs = [event["source_ref"] for event in events]
    assert len(set(refs)) == len(refs), "source_ref is the natural key: an edit must find its event"
    assert [event["source_ref"] for event in events if any(site in event["source_url"] for site in ENCYCLOPEDIAS)] == []


def _bundle():
    return [json.loads(line) for line in CURATED_EVENTS.read_text().splitlines()]


def _cites_secondary_page(event):
    return urlparse(event["source_url"]).hostname in SECONDARY_HOSTS


def _says_no_primary_was_found(event):
    return any("no primary" in (event["payload"].get(field) or "") for field in ("summary", "notes", "description"))


def test_no_curated_line_cites_a_secondary_page_unless_it_says_why():
    """A replaced news or law-firm citation must not come back: a line cites a secondary
    host only while it waits for its primary source, or for a statement made to the press
    (its text then says that no primary source was found)."""
    unexplained = [event["source_ref"] for event in _bundle() if _cites_secondary_page(event)
                   and event["source_ref"] not in AWAITING_PRIMARY and not _says_no_primary_was_found(event)]
    assert unexplained == []


def test_a_line_given_its_primary_source_leaves_the_waiting_list():
    by_ref = {event["source_ref"]: event for event in _bundle()}
    stale = [ref for ref in AWAITING_PRIMARY if ref not in by_ref or not _cites_secondary_page(by_ref[ref])]
    assert stale == [], "remove these from AWAITING_PRIMARY: they left the bundle or now cite a primary page"


def test_an_edited_line_becomes_a_correction_and_a_removed_line_a_retraction(store, tmp_path):
    bundle = tmp_path / "curated_events.jsonl"
    allegation, policy, launch = _bundle_lines("samr-nvidia-investigation", "eu-ai-act-proposed", "kimi-k2-5-launch")
    _write(bundle, [allegation, policy, launch])
    first = ingest_curated(store, bundle)
    assert (first.appended, first.quarantined) == (3, 0)

    truer = dict(allegation, occurred_at="2024-12-01", occurred_precision="month",
                 payload=dict(allegation["payload"], summary="SAMR opened an antitrust investigation into Nvidia."))
    _write(bundle, [truer, launch])  # the policy line left out
    second = ingest_curated(store, bundle)
    assert _event_types(store, second.run_id) == {"event.corrected": 1, "event.retracted": 1}

    refresh(store)
    with store.reader() as con:
        assert con.execute(
            "select alleged_on::varchar, latest_summary from core.allegations where allegation_id = 'allegation:samr-nvidia-antitrust'"
        ).fetchall() == [("2024-12-01", "SAMR opened an antitrust investigation into Nvidia.")]
        assert con.execute("select count(*) from core.policies where policy_id = 'policy:eu-ai-act'").fetchall() == [(0,)]
        assert con.execute("select count(*) from events.log where event_type = 'allegation.made'").fetchall() == [(1,)]

    again = ingest_curated(store, bundle)
    assert (again.appended, again.duplicate) == (0, 2)
    assert store.verify().ok


def test_the_ai_act_is_published_then_in_force_then_applies_in_phases(store, tmp_path):
    """An act's dates are distinct stages: the AI Act was published on 2024-07-12, entered into
    force on 2024-08-01 and its provisions apply from later dates; a line that stored an
    application date as `in_force` is corrected in place (same event id) by the bundle."""
    bundle = tmp_path / "curated_events.jsonl"
    steps = _bundle_lines(
        "eu-ai-act-published", "eu-ai-act-in-force", "eu-ai-act-prohibitions-apply", "eu-ai-act-gpai-obligations-apply"
    )
    as_first_stored = [dict(step, payload=dict(step["payload"], stage="in_force")) if step["payload"]["stage"] == "applies"
                       else step for step in steps[1:]]
    _write(bundle, as_first_stored)
    ingest_curated(store, bundle)
    with store.reader() as con:
        prohibitions_id = con.execute(
            "select event_id from events.log where source_ref = 'eu-ai-act-prohibitions-apply'").fetchone()

    _write(bundle, steps)
    fixed = ingest_curated(store, bundle)
    assert _event_types(store, fixed.run_id) == {"policy.changed": 1, "event.corrected": 2}

    refresh(store)
    with store.reader() as con:
        assert con.execute(
            "select [(s.on::varchar, s.stage) for s in stages], stage from core.policies where policy_id = 'policy:eu-ai-act'"
        ).fetchall() == [([("2024-07-12", "published"), ("2024-08-01", "in_force"), ("2025-02-02", "applies"),
                           ("2025-08-02", "applies")], "applies")]
        assert con.execute(
            "select event_id from events.log where source_ref = 'eu-ai-act-prohibitions-apply' and event_type = 'policy.changed'"
        ).fetchone() == prohibitions_id


def test_a_better_citation_alone_becomes_a_correction_whose_url_the_tables_show(store, tmp_path):
    """A line whose only change is its source_url is corrected too: the correction carries
    the new URL and the projections cite it instead of the old one."""
    bundle = tmp_path / "curated_events.jsonl"
    (allegation,) = _bundle_lines("samr-nvidia-investigation")
    _write(bundle, [dict(allegation, source_url="https://aggregator.example/story")])
    ingest_curated(store, bundle)

    _write(bundle, [allegation])
    cited = ingest_curated(store, bundle)
    assert _event_types(store, cited.run_id) == {"event.corrected": 1}

    refresh(store)
    with store.reader() as con:
        assert con.execute(
            "select source_urls from core.allegations where allegation_id = 'allegation:samr-nvidia-antitrust'"
        ).fetchall() == [([allegation["source_url"]],)]
    again = ingest_curated(store, bundle)
    assert (again.appended, again.duplicate) == (0, 1)

    # A line that loses its URL keeps the one cited: no correction, now or on the next run.
    _write(bundle, [{key: value for key, value in allegation.items() if key != "source_url"}])
    assert [ingest_curated(store, bundle).appended for _ in range(2)] == [0, 0]
