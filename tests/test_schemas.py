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
