import datetime as dt
import json

import pytest

from schemas import CURRENT_VERSIONS, EVENT_TYPES, NewEvent, Rejection, parse_record, upcast
from schemas.upcasters import UPCASTERS, UpcastError
from tests.conftest import launch


def test_every_event_type_has_a_stable_name_and_a_current_version():
    assert set(EVENT_TYPES) == set(CURRENT_VERSIONS) == {
        "model.launched",
        "capability.scored",
        "product.released",
        "allegation.made",
        "allegation.updated",
        "policy.changed",
        "event.corrected",
        "event.retracted",
    }


def test_every_old_version_has_an_upcaster():
    for event_type, current in CURRENT_VERSIONS.items():
        for version in range(1, current):
            assert (event_type, version) in UPCASTERS, f"{event_type} v{version} has no upcaster"


def test_model_launched_v1_is_upcast_to_v2():
    v1 = {
        "event_type": "model.launched",
        "schema_version": 1,
        "occurred_at": "2024-01-30",
        "source": "old-tool",
        "payload": {"model": "GLM-4", "organization": "Zhipu AI", "country": "cn", "open_source": True},
    }
    lifted = upcast(v1)
    assert lifted["schema_version"] == 2
    assert lifted["payload"] == {
        "model": "GLM-4",
        "organizations": ["Zhipu AI"],
        "countries": ["cn"],
        "open_weights": True,
    }
    event = parse_record(v1, record_ref="v1 row")
    assert isinstance(event, NewEvent)
    assert event.schema_version == 2
    payload = json.loads(event.payload_json)
    assert payload["organizations"] == ["Zhipu AI"] and payload["countries"] == ["CN"]
    assert payload["open_weights"] is True


def _allegation_v1(venue: str | None, accused: str | None = "Stability AI, Midjourney") -> dict:
    payload = {"accuser": "Sarah Andersen, Karla Ortiz", "kind": "copyright", "summary": "Artists sued."}
    if venue is not None:
        payload["venue"] = venue
    if accused is not None:
        payload["accused"] = accused
    return {"event_type": "allegation.made", "schema_version": 1, "occurred_at": "2023-01", "source": "old-tool",
            "payload": payload}


def test_allegation_made_v1_is_upcast_to_v2_with_lists_and_a_nature_read_from_its_venue():
    lifted = upcast(_allegation_v1("lawsuit: US District Court N.D. Cal."))
    assert lifted["schema_version"] == 2
    assert lifted["payload"] == {
        "nature": "lawsuit",
        # kept as written: the projections split an unknown name on ',' and ' and '
        "accusers": ["Sarah Andersen, Karla Ortiz"],
        "accused": ["Stability AI, Midjourney"],
        "kind": "copyright",
        "venue": "lawsuit: US District Court N.D. Cal.",
        "summary": "Artists sued.",
    }
    natures = {venue: upcast(_allegation_v1(venue))["payload"]["nature"]
               for venue in ("regulator: FTC (6(b) orders)", "criminal charges (US DOJ)", "indictment: N.D. Cal.",
                             "press (Anthropic blog post)", "report: 'DeepSeek Unmasked'", None)}
    assert natures == {"regulator: FTC (6(b) orders)": "inquiry", "criminal charges (US DOJ)": "lawsuit",
                       "indictment: N.D. Cal.": "lawsuit", "press (Anthropic blog post)": "accusation",
                       "report: 'DeepSeek Unmasked'": "accusation", None: "accusation"}
    assert upcast(_allegation_v1("press", accused=None))["payload"]["accused"] == []


def test_an_upcast_allegation_keeps_its_v1_subject_and_identity():
    v1 = parse_record(_allegation_v1("press"), record_ref="v1")
    v2 = parse_record({**_allegation_v1("press"), "schema_version": 2, "payload": {
        "nature": "accusation", "accusers": ["Sarah Andersen, Karla Ortiz"], "accused": ["Stability AI, Midjourney"],
        "kind": "copyright", "venue": "press", "summary": "Artists sued."}}, record_ref="v2")
    assert v1.subject == v2.subject == "allegation:sarah-andersen-karla-ortiz-stability-ai-midjourney-copyright-202301"
    assert v1.event_id == v2.event_id and v1.payload_json == v2.payload_json
    # the same parties written as lists slug the same
    listed = parse_record({**_allegation_v1("press"), "schema_version": 2, "payload": {
        "nature": "lawsuit", "accusers": ["Sarah Andersen", "Karla Ortiz"], "accused": ["Stability AI", "Midjourney"],
        "kind": "copyright", "summary": "Artists sued."}}, record_ref="v2 lists")
    assert listed.subject == v1.subject


def test_allegation_made_v2_needs_a_nature_and_an_accuser():
    record = {"event_type": "allegation.made", "occurred_at": "2025-02", "source": "t",
              "payload": {"accusers": [], "kind": "antitrust", "summary": "x"}}
    reason = parse_record(record, record_ref="r").reason
    assert "payload.nature" in reason and "payload.accusers" in reason


def test_a_version_newer_than_the_reader_is_refused():
    with pytest.raises(UpcastError, match="newer than this reader"):
        upcast({"event_type": "policy.changed", "schema_version": 9, "payload": {}})


def test_rejections_name_the_record_and_the_field():
    bad = launch("X", "2024-01-01")
    bad["payload"]["parameters"] = "lots"
    rejection = parse_record(bad, record_ref="feed.jsonl:7")
    assert isinstance(rejection, Rejection)
    assert rejection.record_ref == "feed.jsonl:7"
    assert "payload.parameters" in rejection.reason
    assert json.loads(rejection.raw)["payload"]["parameters"] == "lots"


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ("{not json", "not valid JSON"),
        ("[1, 2]", "expected a JSON object"),
        ({"event_type": "model.rumoured"}, "unknown event_type 'model.rumoured'"),
        ({**launch("X", "2024-02-30")}, "occurred_at"),
        ({**launch("X", "1850-01-01")}, "outside"),
        ({**launch("X", "2024-01-01"), "surprise": 1}, "surprise"),
    ],
)
def test_bad_records_are_rejected_with_a_reason(raw, reason):
    result = parse_record(raw, record_ref="r")
    assert isinstance(result, Rejection)
    assert reason in result.reason


def test_partial_dates_carry_their_precision():
    month = parse_record(launch("X", "2025-09"), record_ref="r")
    year = parse_record(launch("X", "2025"), record_ref="r")
    assert (month.occurred_at, month.occurred_precision) == (dt.date(2025, 9, 1), "month")
    assert (year.occurred_at, year.occurred_precision) == (dt.date(2025, 1, 1), "year")
    # A full date stated with month precision is truncated, so equal facts hash equal.
    stated = parse_record({**launch("X", "2025-09-17"), "occurred_precision": "month"}, record_ref="r")
    assert stated.occurred_at == dt.date(2025, 9, 1)


def test_event_id_is_deterministic_and_keyed_by_source_ref():
    a = parse_record(launch("GLM-5", "2026-02-11", ref="glm-5"), record_ref="a")
    b = parse_record(launch("GLM-5", "2026-02-11", ref="glm-5"), record_ref="b")
    changed = parse_record(launch("GLM-5", "2026-02-12", ref="glm-5"), record_ref="c")
    other_source = parse_record(launch("GLM-5", "2026-02-11", ref="glm-5", source="other"), record_ref="d")
    assert a.event_id == b.event_id == changed.event_id
    assert a.event_id != other_source.event_id
    unkeyed = parse_record(launch("GLM-5", "2026-02-11"), record_ref="e")
    unkeyed_changed = parse_record(launch("GLM-5", "2026-02-12"), record_ref="f")
    assert unkeyed.event_id != unkeyed_changed.event_id


def test_subjects_are_derived_from_the_payload():
    assert parse_record(launch("Claude Opus 4.5", "2025-11-24"), record_ref="r").subject == "model:claude-opus-4-5"
    policy = parse_record(
        {
            "event_type": "policy.changed",
            "occurred_at": "2024-08-01",
            "source": "t",
            "payload": {"jurisdiction": "eu", "instrument": "law", "title": "AI Act", "stage": "in_force"},
        },
        record_ref="r",
    )
    assert policy.subject == "policy:eu-ai-act"


def test_allegation_updates_must_name_their_allegation():
    update = {
        "event_type": "allegation.updated",
        "occurred_at": "2026-02-12",
        "source": "t",
        "payload": {"status": "under_investigation", "summary": "memo"},
    }
    assert "needs the subject" in parse_record(update, record_ref="r").reason
    assert isinstance(parse_record({**update, "subject": "allegation:x"}, record_ref="r"), NewEvent)
