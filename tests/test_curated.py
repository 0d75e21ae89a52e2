"""The curated bundle: an edit to a line corrects the event a warehouse already holds."""

import json

from pipelines.sources.curated import CURATED_EVENTS, ingest_curated
from warehouse.build import refresh

ENCYCLOPEDIAS = ("wikipedia.org", "wikiwand.com", "britannica.com")


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
