"""Projections on small hand-made logs; every expected value is worked out by hand here."""

import datetime as dt
import json

from schemas import parse_record
from schemas.upcasters import upcast_payload
from tests.conftest import allegation, launch
from warehouse.build import refresh_and_publish
from warehouse.projections.refresh import rebuild_projections
from warehouse.publishing.timetravel import open_as_of, open_snapshot

T1 = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
T2 = dt.datetime(2026, 2, 1, tzinfo=dt.UTC)
T3 = dt.datetime(2026, 3, 1, tzinfo=dt.UTC)


def _event_id(record):
    return parse_record(record, record_ref="x").event_id


def _rows(store, query, params=()):
    with store.writer() as con:
        rebuild_projections(con)
        return con.execute(query, list(params)).fetchall()


def test_a_correction_changes_core_models_and_the_log_keeps_both(store, append):
    original = launch("GLM-5", "2026-01-30", orgs=("Zhipu AI",), ref="glm-5", training_compute_flop=1e24)
    append([original], at=T1)
    monthly = "select month, launches from marts.releases_monthly where org_id = 'zhipu-ai' and launches > 0"
    assert _rows(store, monthly) == [(dt.date(2026, 1, 1), 1)]
    correction = {
        "event_type": "event.corrected",
        "occurred_at": "2026-02-12",
        "source": "test",
        "payload": {
            "target_event_id": _event_id(original),
            "changes": {"training_compute_flop": 2e24, "open_weights": True},
            "occurred_at": "2026-02-11",
            "occurred_precision": "day",
            "reason": "the lab published the date and compute",
        },
    }
    append([correction], at=T2)
    rows = _rows(
        store, "select launched_on, training_compute_flop, open_weights, countries from core.models where model_id = 'glm-5'"
    )
    assert rows == [(dt.date(2026, 2, 11), 2e24, True, ["CN"])]
    with store.reader() as con:
        assert con.execute("select event_type from events.log order by position").fetchall() == [
            ("model.launched",),
            ("event.corrected",),
        ]
    # The correction moved the launch from January into February.
    assert _rows(store, monthly) == [(dt.date(2026, 2, 1), 1)]


def test_a_retraction_removes_the_event(store, append):
    keep = launch("Real", "2025-01-10", ref="real")
    hoax = launch("Hoax", "2025-01-11", ref="hoax")
    append([keep, hoax], at=T1)
    append(
        [
            {
                "event_type": "event.retracted",
                "occurred_at": "2025-01-12",
                "source": "test",
                "payload": {"target_event_id": _event_id(hoax), "reason": "the report was false"},
            }
        ],
        at=T2,
    )
    assert _rows(store, "select model_id from core.models") == [("real",)]


def test_organization_aliases_resolve_to_one_organization(store, append):
    append(
        [
            launch("GLM-4", "2024-01-16", orgs=("Zhipu AI",), ref="1"),
            launch("GLM-4.5", "2025-07-28", orgs=("Z.ai",), ref="2"),
            launch("ChatGLM", "2023-03-14", orgs=("Zhipu",), ref="3"),
            launch("GLM-130B", "2022-08-04", orgs=("Tsinghua KEG & Zhipu",), ref="4"),
        ]
    )
    assert _rows(store, "select model_id, organization_ids, countries from core.models order by model_id") == [
        ("chatglm", ["zhipu-ai"], ["CN"]),
        ("glm-130b", ["tsinghua", "zhipu-ai"], ["CN"]),
        ("glm-4", ["zhipu-ai"], ["CN"]),
        ("glm-4-5", ["zhipu-ai"], ["CN"]),
    ]
    ((aliases, events),) = _rows(store, "select aliases, events from core.organizations where org_id = 'zhipu-ai'")
    assert {"Zhipu", "Z.ai"} <= set(aliases) and events == 4


def test_unknown_organizations_are_created_with_the_event_country(store, append):
    append([launch("Nimbus-1", "2025-05-01", orgs=("Nimbus Research",), countries=("FR",))])
    assert _rows(store, "select org_id, country, in_registry from core.organizations where org_id = 'nimbus-research'") == [
        ("nimbus-research", "FR", False)
    ]


def test_one_model_from_two_sources_is_one_row_with_the_earliest_date(store, append):
    append(
        [
            launch("Llama 3-70B", "2024-04-18", orgs=("Meta AI",), source="epoch-ai", ref="l3"),
            launch("Llama 3 70B", "2024-04", orgs=("Meta",), source="curated", ref="l3"),
            launch("Qwen2-72B", "2024-06-07", orgs=("Alibaba",), source="epoch-ai", ref="q2"),
            launch("Qwen2 72B", "2024-06-10", orgs=("Alibaba",), source="curated", ref="q2"),
        ]
    )
    rows = _rows(store, "select model_id, launched_on, launch_precision, launch_events from core.models order by 1")
    # April 2024 (month) and 2024-04-18 (day) agree; the day is kept.
    assert rows == [("llama-3-70b", dt.date(2024, 4, 18), "day", 2), ("qwen2-72b", dt.date(2024, 6, 7), "day", 2)]
    conflicts = _rows(store, "select model_id, source, value, kept from core.model_conflicts order by source")
    assert conflicts == [("qwen2-72b", "curated", "2024-06-10", False), ("qwen2-72b", "epoch-ai", "2024-06-07", True)]


def test_allegations_and_policies_follow_their_latest_step(store, append):
    subject = "allegation:openai-deepseek-distillation"
    append(
        [
            allegation(subject, "2025-01-29"),
            {
                "event_type": "allegation.updated",
                "occurred_at": "2026-02-12",
                "source": "test",
                "source_url": "https://example.org/memo",
                "subject": subject,
                "payload": {"status": "under_investigation", "summary": "memo to the House select committee"},
            },
            # logged later, but dated earlier: not the latest status
            {
                "event_type": "allegation.updated",
                "occurred_at": "2025-06-01",
                "source": "test",
                "source_url": "https://example.org/denial",
                "subject": subject,
                "payload": {"status": "denied", "summary": "DeepSeek denied it"},
            },
            *[
                {
                    "event_type": "policy.changed",
                    "occurred_at": day,
                    "source": "test",
                    "subject": "policy:eu-ai-act",
                    "payload": {"jurisdiction": "EU", "instrument": "law", "title": "AI Act", "stage": stage},
                }
                for day, stage in [("2024-08-01", "in_force"), ("2021-04-21", "proposed")]
            ],
        ]
    )
    assert _rows(
        store, "select accuser_org_ids, accused_org_ids, kind, status, last_update_on, status_source_url, updates "
               "from core.allegations"
    ) == [(["openai"], ["deepseek"], "distillation", "under_investigation", dt.date(2026, 2, 12),
           "https://example.org/memo", 2)]
    assert _rows(store, "select stage, first_event_on, changes from core.policies") == [
        ("in_force", dt.date(2021, 4, 21), 2)
    ]


def test_releases_monthly_is_a_dense_grid_with_rolling_counts(store, append):
    append(
        [
            launch("A1", "2024-01-05", ref="a1"),
            launch("A2", "2024-01-20", ref="a2"),
            launch("A3", "2024-03-02", ref="a3"),
            launch("Joint", "2024-03-09", orgs=("OpenAI", "Anthropic"), ref="j"),
        ]
    )
    rows = _rows(
        store,
        """select month, org_id, launches, rolling_3m, rolling_12m, cumulative, share_of_month
           from marts.releases_monthly order by org_id, month""",
    )
    jan, feb, mar = dt.date(2024, 1, 1), dt.date(2024, 2, 1), dt.date(2024, 3, 1)
    assert rows == [
        # March: OpenAI has A3 and the joint launch, Anthropic the joint launch: 3 credits.
        (mar, "anthropic", 1, 1, 1, 1, 1 / 3),
        (jan, "openai", 2, 2, 2, 2, 1.0),
        (feb, "openai", 0, 2, 2, 2, 0.0),
        (mar, "openai", 2, 4, 4, 4, 2 / 3),
    ]


def test_as_of_reproduces_what_was_known_then(store, append):
    original = launch("GLM-5", "2026-01-30", orgs=("Zhipu AI",), ref="glm-5")
    append([original, launch("GPT-5", "2025-08-07", ref="gpt-5")], at=T1)
    refresh_and_publish(store)
    append(
        [
            {
                "event_type": "event.retracted",
                "occurred_at": "2026-02-20",
                "source": "test",
                "payload": {"target_event_id": _event_id(original), "reason": "wrong"},
            },
            launch("Claude Opus 4.6", "2026-02-05", orgs=("Anthropic",), ref="opus-4-6"),
        ],
        at=T3,
    )
    refresh_and_publish(store)
    with open_snapshot(store.home) as con:
        assert con.execute("select model_id from core.models order by 1").fetchall() == [
            ("claude-opus-4-6",),
            ("gpt-5",),
        ]
    with open_as_of(store.home, T2) as con:
        assert con.execute("select model_id from core.models order by 1").fetchall() == [("glm-5",), ("gpt-5",)]
        assert con.execute("select count(*) from events.log").fetchall() == [(2,)]
        # The macro answers the same question inside SQL.
        assert con.execute("select count(*) from events.log_as_of('2026-01-15')").fetchall() == [(2,)]


def test_a_v1_allegation_against_several_organizations_names_each(store, append):
    # v1 (one string for the accused), lifted by the upcaster to a one-item list: the
    # projection still splits a name it does not know whole.
    append(
        [
            {
                "event_type": "allegation.made",
                "schema_version": 1,
                "occurred_at": "2026-02-23",
                "source": "test",
                "subject": "allegation:anthropic-chinese-labs-distillation",
                "payload": {
                    "accuser": "Anthropic",
                    "accused": "DeepSeek, Moonshot AI, MiniMax",
                    "kind": "distillation",
                    "venue": "press (Anthropic blog post)",
                    "summary": "claims of distillation at scale",
                },
            }
        ]
    )
    assert _rows(store, "select nature, accused_org_ids from core.allegations") == [
        ("accusation", ["deepseek", "minimax", "moonshot-ai"])
    ]
    assert _rows(
        store, "select accused_org_id from marts.allegations_network order by accused_org_id"
    ) == [("deepseek",), ("minimax",), ("moonshot-ai",)]


def test_a_lawsuit_with_co_plaintiffs_keeps_every_party_with_its_country(store, append):
    append([allegation("allegation:disney-universal-v-midjourney", "2025-06-11", nature="lawsuit", kind="copyright",
                       accusers=("Disney", "Universal City Studios"), accused=("Midjourney",))])
    assert _rows(store, "select accusers, accuser_org_ids, accused_org_ids, parties from core.allegations") == [
        (["Disney", "Universal City Studios"], ["disney", "nbcuniversal"], ["midjourney"],
         [{"role": "accuser", "org_id": "disney", "name": "Disney", "country": "US"},
          {"role": "accuser", "org_id": "nbcuniversal", "name": "Universal City Studios", "country": "US"},
          {"role": "accused", "org_id": "midjourney", "name": "Midjourney", "country": "US"}])
    ]
    # one edge from each plaintiff
    assert _rows(store, "select accuser_org_id, accuser_country, accused_org_id, nature, allegations "
                        "from marts.allegations_network order by accuser_org_id") == [
        ("disney", "US", "midjourney", "lawsuit", 1), ("nbcuniversal", "US", "midjourney", "lawsuit", 1)
    ]


def test_an_inquiry_makes_no_accusation_edge(store, append):
    append([
        allegation("allegation:ftc-ai-investments-inquiry", "2024-01-25", nature="inquiry", kind="antitrust",
                   accusers=("US Federal Trade Commission",),
                   accused=("Alphabet", "Amazon", "Anthropic", "Microsoft", "OpenAI")),
        allegation("allegation:nyt-v-openai", "2023-12-27", nature="lawsuit", kind="copyright",
                   accusers=("The New York Times",), accused=("OpenAI", "Microsoft")),
    ])
    assert _rows(store, "select allegation_id, nature, len(accused_org_ids) from core.allegations order by 1") == [
        ("allegation:ftc-ai-investments-inquiry", "inquiry", 5), ("allegation:nyt-v-openai", "lawsuit", 2)
    ]
    edges = _rows(store, "select distinct accuser_org_id, accused_org_id, nature from marts.allegations_network order by 2")
    assert edges == [("new-york-times", "microsoft", "lawsuit"), ("new-york-times", "openai", "lawsuit")]


def test_v1_allegation_rows_already_in_a_log_are_read_like_their_upcast(store):
    """A log written before v2 holds allegation.made rows in the v1 shape (the log is
    never rewritten): the SQL reads their parties and nature as the upcaster lifts them."""
    v1_payloads = [
        {"accuser": "Reddit", "accused": "Anthropic", "venue": "lawsuit: San Francisco Superior Court"},
        {"accuser": "US Federal Trade Commission", "accused": "OpenAI", "venue": " Regulator: FTC"},
        {"accuser": "DOJ", "accused": "Linwei Ding", "venue": "indictment: N.D. Cal."},
        {"accuser": "OpenAI", "venue": "press"},
        {"accuser": "Musk"},
    ]
    with store.writer() as con:
        rebuild_projections(con)
        for v1 in v1_payloads:
            lifted = upcast_payload("allegation.made", 1, {**v1, "kind": "other", "summary": "s"})
            got = con.execute(
                "select core.allegation_nature(?::json), core.allegation_parties(?::json, 'accusers'), "
                "core.allegation_parties(?::json, 'accused')", [json.dumps(v1)] * 3
            ).fetchall()[0]
            assert got == (lifted["nature"], lifted["accusers"], lifted["accused"]), v1
