"""Marts on a small hand-made log; every expected value is worked out by hand here.

The log (record time T1), all dates 2024 unless said otherwise:
    A1    OpenAI            Jan 10   1e24 FLOP  closed
    Z1    Zhipu AI (CN)     Feb 05   5e23       open, Epoch frontier flag
    A2    OpenAI            Mar 31   4e24       closed   -> corrected at T2 to Apr 02
    D1    DeepSeek (CN)     May 20   2e24       open
    Hoax  Anthropic         Jun 01   9e24       closed   -> retracted at T2
    M1    Meta + OpenAI     Jul 01   3e24       open
    D2    DeepSeek          Sep 15   5e24       open
    A3    OpenAI       2025-Jan 15   unknown    closed
OpenAI, Anthropic and Meta are US organizations in the registry, Zhipu AI and DeepSeek CN.
"""

import datetime as dt

import pytest

from schemas import parse_record
from tests.conftest import allegation, launch
from warehouse import EventStore, RawRecord, WarehouseHome
from warehouse.projections.refresh import rebuild_projections

T1 = dt.datetime(2025, 2, 1, tzinfo=dt.UTC)
T2 = dt.datetime(2025, 3, 1, tzinfo=dt.UTC)
d = dt.date

A2 = launch("A2", "2024-03-31", ref="a2", training_compute_flop=4e24, open_weights=False)
HOAX = launch("Hoax", "2024-06-01", orgs=("Anthropic",), ref="hoax", training_compute_flop=9e24, open_weights=False)


def _event_id(record):
    return parse_record(record, record_ref="x").event_id


def _policy(subject, jurisdiction, instrument, stage, day):
    return {
        "event_type": "policy.changed",
        "occurred_at": day,
        "source": "test",
        "subject": subject,
        "payload": {"jurisdiction": jurisdiction, "instrument": instrument, "title": subject, "stage": stage},
    }


@pytest.fixture(scope="module")
def con(tmp_path_factory):
    # Built once for the module: every test only reads it.
    store = EventStore(WarehouseHome.resolve(tmp_path_factory.mktemp("marts") / "warehouse").ensure(), lock_timeout_s=10)

    def append(records, *, at):
        result = store.append([RawRecord(f"record {i}", r) for i, r in enumerate(records)], source="test", recorded_at=at)
        assert result.quarantined == 0
        return result

    append(
        [
            launch("A1", "2024-01-10", ref="a1", training_compute_flop=1e24, open_weights=False),
            launch("Z1", "2024-02-05", orgs=("Zhipu AI",), ref="z1", training_compute_flop=5e23, open_weights=True, frontier=True,
                   source="epoch-ai"),
            A2,
            launch("D1", "2024-05-20", orgs=("DeepSeek",), ref="d1", training_compute_flop=2e24, open_weights=True),
            HOAX,
            launch("M1", "2024-07-01", orgs=("Meta", "OpenAI"), ref="m1", training_compute_flop=3e24, open_weights=True),
            launch("D2", "2024-09-15", orgs=("DeepSeek",), ref="d2", training_compute_flop=5e24, open_weights=True),
            launch("A3", "2025-01-15", ref="a3", open_weights=False),
            allegation("allegation:openai-deepseek", "2025-01-29", status="alleged"),
            allegation("allegation:anthropic-deepseek", "2025-02-20", accusers=("Anthropic",)),
            # a regulator's study of three companies: a row of core.allegations, no edge
            allegation("allegation:ftc-study", "2025-03-05", nature="inquiry", kind="antitrust",
                       accusers=("US Federal Trade Commission",), accused=("OpenAI", "Anthropic", "DeepSeek")),
            {
                "event_type": "allegation.updated",
                "occurred_at": "2025-04-10",
                "source": "test",
                "subject": "allegation:openai-deepseek",
                "payload": {"status": "under_investigation", "summary": "inquiry opened"},
            },
            _policy("policy:eu-ai-act", "EU", "law", "proposed", "2021-04-21"),
            _policy("policy:eu-ai-act", "EU", "law", "adopted", "2024-05-21"),
            _policy("policy:eu-ai-act", "EU", "law", "in_force", "2024-08-01"),
            _policy("policy:us-eo", "US", "executive_order", "in_force", "2023-10-30"),
            _policy("policy:us-eo", "US", "executive_order", "revoked", "2025-01-20"),
        ],
        at=T1,
    )
    append(
        [
            {
                "event_type": "event.corrected",
                "occurred_at": "2025-02-15",
                "source": "test",
                "payload": {"target_event_id": _event_id(A2), "changes": {}, "occurred_at": "2024-04-02",
                            "occurred_precision": "day", "reason": "announced on 2 April"},
            },
            {
                "event_type": "event.retracted",
                "occurred_at": "2025-02-15",
                "source": "test",
                "payload": {"target_event_id": _event_id(HOAX), "reason": "never happened"},
            },
        ],
        at=T2,
    )
    with store.writer() as connection:
        rebuild_projections(connection)
        yield connection


def rows(con, query, params=()):
    return con.execute(query, list(params)).fetchall()


def test_releases_monthly_follows_the_correction_across_the_month_boundary(con):
    query = """select month, launches from {} where org_id = 'openai' and month between '2024-03-01' and '2024-04-01'
               order by month"""
    # Before the correction A2 sat in March; after it, in April.
    assert rows(con, query.format("marts.releases_monthly_as_of(?::timestamptz)"), [T1]) == [
        (d(2024, 3, 1), 1), (d(2024, 4, 1), 0)]
    assert rows(con, query.format("marts.releases_monthly")) == [(d(2024, 3, 1), 0), (d(2024, 4, 1), 1)]
    # The retracted Hoax launch is gone: Anthropic has no launch left, so no grid.
    assert rows(con, "select count(*) from marts.releases_monthly where org_id = 'anthropic'") == [(0,)]


def test_releases_monthly_by_country_is_a_dense_grid(con):
    us = rows(con, """select month, launches, rolling_3m, rolling_12m, cumulative, share_of_month
                      from marts.releases_monthly_by_country where country = 'US' order by month""")
    # US launches: A1 Jan, A2 Apr (corrected), M1 Jul, A3 Jan 2025; 13 months Jan 2024 .. Jan 2025.
    launches = [1, 0, 0, 1, 0, 0, 1, 0, 0, 0, 0, 0, 1]
    assert [r[1] for r in us] == launches
    assert us[0][0] == d(2024, 1, 1) and us[-1][0] == d(2025, 1, 1) and len(us) == 13
    assert [r[2] for r in us] == [1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 1]
    # Jan 2025: Feb 2024 .. Jan 2025 holds A2, M1, A3.
    assert us[-1][3:5] == (3, 4)
    # Shares: January has only A1 (US) -> 1.0; February only Z1 (CN) -> US 0.0.
    assert [r[5] for r in us[:2]] == [1.0, 0.0]
    cn = rows(con, "select month, launches, cumulative from marts.releases_monthly_by_country where country = 'CN' and launches > 0 order by month")
    assert cn == [(d(2024, 2, 1), 1, 1), (d(2024, 5, 1), 1, 2), (d(2024, 9, 1), 1, 3)]


def test_release_cadence_gaps_median_and_trend(con):
    openai = rows(con, """select model_id, launch_number, gap_days, median_gap_days
                          from marts.release_cadence where org_id = 'openai' order by launch_number""")
    # Jan 10 -> Apr 2 = 21 + 29 + 31 + 2 = 83; Apr 2 -> Jul 1 = 28 + 31 + 30 + 1 = 90;
    # Jul 1 -> 2025-01-15 = 30 + 31 + 30 + 31 + 30 + 31 + 15 = 198; median of 83, 90, 198 = 90.
    assert openai == [("a1", 1, None, 90.0), ("a2", 2, 83, 90.0), ("m1", 3, 90, 90.0), ("a3", 4, 198, 90.0)]
    yearly = rows(con, """select year, launches, gaps, median_gap_days, median_gap_change_days, trend_days_per_year
                          from marts.release_cadence_yearly where org_id = 'openai' order by year""")
    # 2024: gaps 83 and 90 -> 86.5; 2025: 198; change 111.5, and with two points the slope is the change.
    assert yearly == [(2024, 3, 2, 86.5, None, 111.5), (2025, 1, 1, 198.0, 111.5, 111.5)]


def test_frontier_timeline_records_holders_and_the_epoch_flag(con):
    got = rows(con, """select model_id, is_compute_record, epoch_frontier, curated_frontier, compute_frontier,
                              record_number, improvement_factor,
                              held_until, held_days, held_days_to_date, is_current_record, share_of_frontier
                       from marts.frontier_timeline order by launched_on""")
    # Only Z1 comes from Epoch (epoch_frontier NULL elsewhere: Epoch does not list them);
    # with fewer than 10 models, every model of known compute is in the top 10 at its launch.
    assert got == [
        ("a1", True, None, None, True, 1, None, d(2024, 4, 2), 83, 83, False, 1.0),
        # Z1 is no record (5e23 < A1's 1e24) but Epoch flags it: half the frontier then.
        ("z1", False, True, None, True, None, None, None, None, None, False, 0.5),
        # Apr 2 -> Sep 15 = 28 + 31 + 30 + 31 + 31 + 15 = 166 days.
        ("a2", True, None, None, True, 2, 4.0, d(2024, 9, 15), 166, 166, False, 1.0),
        # D1 (2e24) and M1 (3e24): no records, in the top 10: against A2's 4e24.
        ("d1", False, None, None, True, None, None, None, None, None, False, 0.5),
        ("m1", False, None, None, True, None, None, None, None, None, False, 0.75),
        # D2 still stands: Sep 15 -> the last launch in the data (A3, 2025-01-15) = 15+31+30+31+15 = 122.
        ("d2", True, None, None, True, 3, pytest.approx(1.25), None, None, 122, True, 1.0),
    ]
    # As known at T1 the Hoax (9e24, Jun 1) held the record and D2 set none.
    before = rows(con, "select model_id from marts.frontier_timeline_as_of(?::timestamptz) where is_compute_record order by launched_on", [T1])
    assert before == [("a1",), ("a2",), ("hoax",)]


def test_catch_up_lag_us_vs_china_open_vs_closed_and_leader(con):
    got = rows(con, """select comparison, step_group, model_id, step_leads, caught_up, caught_up_by_model_id,
                              lag_days, open_days, behind_days
                       from marts.catch_up_lag order by comparison, step_group, step_on""")
    assert got == [
        # Closed steps A1 (1e24) and A2 (4e24): open models first reach them with D1 (May 20,
        # 131 days after Jan 10: 21+29+31+30+20) and D2 (Sep 15, 166 days after Apr 2).
        ("lab_vs_leader", "DeepSeek", "d2", True, False, None, None, 122, None),
        ("lab_vs_leader", "OpenAI", "a1", True, True, "d1", 131, None, None),
        ("lab_vs_leader", "OpenAI", "a2", True, True, "d2", 166, None, None),
        ("open_vs_closed", "closed", "a1", True, True, "d1", 131, None, None),
        ("open_vs_closed", "closed", "a2", True, True, "d2", 166, None, None),
        # Open steps: Z1 came 26 days after A1 passed 5e23; D1 48 days after A2 passed 2e24;
        # M1 (3e24) 90 days after A2; D2 (5e24) leads and no closed model has reached it: open.
        ("open_vs_closed", "open weights", "z1", False, None, None, None, None, 26),
        ("open_vs_closed", "open weights", "d1", False, None, None, None, None, 48),
        ("open_vs_closed", "open weights", "m1", False, None, None, None, None, 90),
        ("open_vs_closed", "open weights", "d2", True, False, None, None, 122, None),
        # M1 (3e24) is no US step: A2's 4e24 came first.
        ("us_vs_china", "China", "z1", False, None, None, None, None, 26),
        ("us_vs_china", "China", "d1", False, None, None, None, None, 48),
        ("us_vs_china", "China", "d2", True, False, None, None, 122, None),
        ("us_vs_china", "US", "a1", True, True, "d1", 131, None, None),
        ("us_vs_china", "US", "a2", True, True, "d2", 166, None, None),
    ]
    yearly = rows(con, """select step_group, year, frontier_steps, leading_steps, caught_up_steps, open_steps,
                                 median_lag_days, trailing_steps, median_behind_days
                          from marts.catch_up_lag_yearly where comparison = 'us_vs_china' order by step_group, year""")
    assert yearly == [
        ("China", 2024, 3, 1, 0, 1, None, 2, 37.0),
        ("China", 2025, 0, 0, 0, 0, None, 0, None),
        ("US", 2024, 2, 2, 2, 0, 148.5, 0, None),
        ("US", 2025, 0, 0, 0, 0, None, 0, None),
    ]


def test_concentration_hhi_per_quarter(con):
    got = rows(con, """select quarter, launches, hhi_organizations, effective_organizations, top_organization_id,
                              hhi_countries
                       from marts.concentration where level = 'lab' order by quarter""")
    assert got == [
        # Q1: A1 (OpenAI, US), Z1 (Zhipu, CN): two halves -> 2 * 50^2 = 5000.
        (d(2024, 1, 1), 2, 5000.0, 2.0, "zhipu-ai", 5000.0),
        # Q2 after the correction: A2 (OpenAI) and D1 (DeepSeek); the Hoax is retracted.
        (d(2024, 4, 1), 2, 5000.0, 2.0, "openai", 5000.0),
        # Q3: M1 gives Meta and OpenAI half a launch each, D2 a whole one to DeepSeek:
        # shares 25%, 25%, 50% -> 625 + 625 + 2500 = 3750; both countries have one launch.
        (d(2024, 7, 1), 2, 3750.0, 10000 / 3750, "deepseek", 5000.0),
        (d(2024, 10, 1), 0, None, None, None, None),
        (d(2025, 1, 1), 1, 10000.0, 1.0, "openai", 10000.0),
    ]
    # As known at T1, A2 was still in Q1: OpenAI 2/3, Zhipu 1/3 -> 10000 * (4/9 + 1/9).
    ((hhi,),) = rows(con, "select hhi_organizations from marts.concentration_as_of(?::timestamptz) where quarter = '2024-01-01' and level = 'lab'", [T1])
    assert hhi == pytest.approx(10000 * 5 / 9)


def test_allegations_network_by_quarter(con):
    got = rows(con, """select quarter, accuser_org_id, accuser_country, accused_org_id, accused_country, nature, kind,
                              status, allegations, new_allegations, status_changes
                       from marts.allegations_network order by quarter, accuser_org_id""")
    # The FTC's study (an inquiry) of OpenAI, Anthropic and DeepSeek makes no edge.
    assert got == [
        (d(2025, 1, 1), "anthropic", "US", "deepseek", "CN", "accusation", "distillation", "alleged", 1, 1, 0),
        (d(2025, 1, 1), "openai", "US", "deepseek", "CN", "accusation", "distillation", "alleged", 1, 1, 0),
        (d(2025, 4, 1), "anthropic", "US", "deepseek", "CN", "accusation", "distillation", "alleged", 1, 0, 0),
        (d(2025, 4, 1), "openai", "US", "deepseek", "CN", "accusation", "distillation", "under_investigation", 1, 0, 1),
    ]
    assert rows(con, "select nature, accused_org_ids from core.allegations where allegation_id = 'allegation:ftc-study'") == [
        ("inquiry", ["anthropic", "deepseek", "openai"])
    ]


def test_policy_velocity_per_jurisdiction_and_month(con):
    got = rows(con, """select jurisdiction, month, instrument, stage, changes, new_policies,
                              jurisdiction_changes, jurisdiction_changes_12m
                       from marts.policy_velocity order by jurisdiction, month""")
    assert got == [
        ("EU", d(2021, 4, 1), "law", "proposed", 1, 1, 1, 1),
        ("EU", d(2024, 5, 1), "law", "adopted", 1, 0, 1, 1),
        # Sep 2023 .. Aug 2024 holds May and August.
        ("EU", d(2024, 8, 1), "law", "in_force", 1, 0, 1, 2),
        ("US", d(2023, 10, 1), "executive_order", "in_force", 1, 1, 1, 1),
        # Feb 2024 .. Jan 2025 no longer holds October 2023.
        ("US", d(2025, 1, 1), "executive_order", "revoked", 1, 0, 1, 1),
    ]

