"""An event type is one declaration (schemas/registry.py, schemas/event_types.py).

A toy type declared here, registered for these tests only, must work end to end with
nothing else written for it: validated (good and bad records, an old version upcast),
its subject derived, appended by the per-record and the bulk path alike (the bulk path
validating it in SQL), and its organizations picked up in their declared roles.
"""

from __future__ import annotations

import json

import duckdb
import pytest

from schemas import NewEvent, Rejection, parse_record
from schemas.event_types import BUILT_IN
from schemas.payloads import Label, Payload, ShortText
from schemas.registry import CURRENT_VERSIONS, PAYLOAD_TYPES, SUBJECT_PREFIXES, EventType, SubjectTemplate, registered
from tests.test_bulk_ingest import _both_paths, assert_sql_matches_pydantic
from warehouse.log.fast_subset import MACROS_SQL, payload_fields
from warehouse.projections.refresh import rebuild_projections


class ToyScored(Payload):
    benchmark: ShortText
    lab: ShortText
    sponsors: tuple[ShortText, ...] = ()
    tags: tuple[Label, ...] = ()
    score: float | None = None


def _toy_v1_to_v2(payload: dict) -> dict:
    # v1 called the benchmark `name`
    payload = dict(payload)
    if "name" in payload:
        payload["benchmark"] = payload.pop("name")
    return payload


class BenchmarkToyType(EventType):
    event_type = "benchmark.toy"
    payload = ToyScored
    schema_version = 2
    upcasters = {1: _toy_v1_to_v2}
    subject = SubjectTemplate("benchmark:{slug(benchmark)}-{slug(sponsors) or unsponsored}")
    organization_roles = {"lab": "developer", "sponsors": "sponsor"}


@pytest.fixture
def toy():
    with registered(BenchmarkToyType):
        yield BenchmarkToyType


def toy_record(**payload) -> dict:
    return {"event_type": "benchmark.toy", "occurred_at": "2025-03-04", "source": "toy-lab",
            "payload": {"benchmark": "Toy Bench", "lab": "OpenAI", **payload}}


GOOD = [
    toy_record(sponsors=["Anthropic", "Mistral AI"], score=0.75, tags=["math"]),
    toy_record(benchmark="Other Bench ", lab="DeepSeek"),
    {**toy_record(), "schema_version": 1, "payload": {"name": "Old Bench", "lab": "Zhipu AI"}},
]
BAD = [
    toy_record(lab=""),  # a name cannot be empty
    toy_record(score="high"),
    {**toy_record(), "subject": "model:toy"},  # not its stream family
]


def test_the_registry_holds_each_built_in_type_once_with_every_view_derived():
    assert [t.event_type for t in BUILT_IN] == list(PAYLOAD_TYPES) == list(CURRENT_VERSIONS) == list(SUBJECT_PREFIXES)
    assert CURRENT_VERSIONS["allegation.made"] == 2 and SUBJECT_PREFIXES["allegation.updated"] == "allegation"


def test_a_toy_type_is_validated_upcast_and_given_its_subject(toy):
    first, second, old = (parse_record(r, record_ref=f"toy:{i}") for i, r in enumerate(GOOD))
    assert isinstance(first, NewEvent) and first.subject == "benchmark:toy-bench-anthropic-mistral-ai"
    assert json.loads(first.payload_json)["score"] == 0.75
    assert second.subject == "benchmark:other-bench-unsponsored"
    assert old.schema_version == 2 and json.loads(old.payload_json) == {
        "benchmark": "Old Bench", "lab": "Zhipu AI", "sponsors": [], "tags": []
    }
    reasons = [parse_record(r, record_ref="toy").reason for r in BAD]
    assert reasons[0].startswith("benchmark.toy: payload.lab:")
    assert reasons[1].startswith("benchmark.toy: payload.score:")
    assert reasons[2] == "benchmark.toy: subject: 'model:toy' must start with 'benchmark:' for benchmark.toy"


def test_the_toy_type_is_unknown_outside_its_registration():
    assert isinstance(parse_record(GOOD[0], record_ref="toy"), Rejection)
    assert "benchmark.toy" not in payload_fields()


def test_the_bulk_path_validates_the_toy_type_in_sql_as_pydantic_does(toy, tmp_path):
    con = duckdb.connect()
    con.execute("set TimeZone = 'UTC'")
    con.execute(MACROS_SQL)
    lines = [json.dumps(r) for r in GOOD + BAD]
    # the two v2 good lines (the v1 one is left to parse_record and its upcaster)
    assert assert_sql_matches_pydantic(con, lines, None) == 2
    path = tmp_path / "toy.jsonl"
    path.write_text("\n".join(lines) + "\n")
    (log, quarantine, runs, result), (log2, quarantine2, runs2, _) = _both_paths(tmp_path, path)
    assert log == log2 and quarantine == quarantine2 and runs == runs2
    assert (result.appended, result.quarantined, result.validated_in_sql) == (3, 3, 2)


def test_the_toy_types_organizations_are_mentioned_in_their_roles(toy, store, append):
    append([GOOD[0]])
    with store.writer() as con:
        rebuild_projections(con)
        mentions = con.execute(
            "select role, org_id from projection_state.organization_mentions "
            "where event_type = 'benchmark.toy' order by role, org_id"
        ).fetchall()
        organizations = {row[0] for row in con.execute("select org_id from core.organizations").fetchall()}
    assert mentions == [("developer", "openai"), ("sponsor", "anthropic"), ("sponsor", "mistral-ai")]
    assert {"openai", "anthropic", "mistral-ai"} <= organizations
