"""The capability marts on a small hand-made log; every expected row is worked out by hand here.

The log: capability.scored events on the index "ECI", recorded at T1 (all dates 2024):
    a1  OpenAI     US  closed  Jan 10  100
    d1  DeepSeek   CN  open    Feb 05   90
    a2  Anthropic  US  closed  Feb 20  110
    d2  DeepSeek   CN  open    Mar 15  105   -> corrected at T2 to 112 (moves China's frontier above a2)
    m1  Moonshot   CN  open    Apr 01  108
    a3  OpenAI     US  closed  Apr 10  120   -> retracted at T2 (removes a US step)
    d3  DeepSeek   CN  open    May 20  118
    u1  OpenAI     US  closed  May 25  no score yet           (takes no part)
    x1  OpenAI     US  closed  no release date, score 200     (takes no part)
    a4  Anthropic  US  closed  Jun 10  125
    m2  Moonshot   CN  open    Jun 25  100   (the last scored release: every grid ends in June)

After T2 the steps (release days on which a group's best rises) are:
    US (= closed):        a1 100 (Jan 10), a2 110 (Feb 20), a4 125 (Jun 10)
    China (= open):       d1  90 (Feb 05), d2 112 (Mar 15), d3 118 (May 20)
    overall:              a1 100, a2 110, d2 112, d3 118, a4 125
Before T2 (as of T1): US a1 100, a2 110, a3 120 (Apr 10), a4 125; China d1 90, d2 105, m1 108
(Apr 01), d3 118; overall a1, a2, a3, a4.

2024 is a leap year: February has 29 days. A month is 365.25 / 12 = 30.4375 days.
"""

import datetime as dt

import pytest

from schemas import parse_record
from warehouse import EventStore, RawRecord, WarehouseHome
from warehouse.projections.refresh import refresh_projections

T1 = dt.datetime(2024, 7, 1, tzinfo=dt.UTC)
T2 = dt.datetime(2024, 7, 15, tzinfo=dt.UTC)
MONTH_DAYS = 30.4375
d = dt.date
CAPABILITY_MARTS = ("marts.capability_frontier", "marts.capability_gap", "marts.capability_gap_yearly")

US = {"countries": ["US"], "access": "api", "open_weights": False}
CN = {"countries": ["CN"], "access": "open_weights", "open_weights": True}


def scored(version: str, org: str, side: dict, day: str | None, score: float | None) -> dict:
    payload = {"index": "ECI", "model_version": version, "model": version.upper(), **side, "organizations": [org]}
    if day is not None:
        payload["release_date"] = day
    if score is not None:
        payload["score"] = score
    return {"event_type": "capability.scored", "schema_version": 1, "occurred_at": day or "2024-06-30",
            "source": "test-eci", "source_ref": version, "payload": payload}


D2 = scored("d2", "DeepSeek", CN, "2024-03-15", 105.0)
A3 = scored("a3", "OpenAI", US, "2024-04-10", 120.0)


def _event_id(record):
    return parse_record(record, record_ref="x").event_id


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """The log built as production does: a full refresh after T1's batch, an incremental one
    after T2's correction and retraction. Every test only reads it."""
    store = EventStore(WarehouseHome.resolve(tmp_path_factory.mktemp("capability") / "warehouse").ensure(),
                       lock_timeout_s=10)

    def append_and_refresh(records, *, at):
        result = store.append([RawRecord(f"record {i}", r) for i, r in enumerate(records)], source="test", recorded_at=at)
        assert (result.appended, result.quarantined) == (len(records), 0)
        with store.writer() as con:
            return refresh_projections(con)

    first = append_and_refresh([
        scored("a1", "OpenAI", US, "2024-01-10", 100.0),
        scored("d1", "DeepSeek", CN, "2024-02-05", 90.0),
        scored("a2", "Anthropic", US, "2024-02-20", 110.0),
        D2,
        scored("m1", "Moonshot", CN, "2024-04-01", 108.0),
        A3,
        scored("d3", "DeepSeek", CN, "2024-05-20", 118.0),
        scored("u1", "OpenAI", US, "2024-05-25", None),
        scored("x1", "OpenAI", US, None, 200.0),
        scored("a4", "Anthropic", US, "2024-06-10", 125.0),
        scored("m2", "Moonshot", CN, "2024-06-25", 100.0),
    ], at=T1)
    second = append_and_refresh([
        {"event_type": "event.corrected", "occurred_at": "2024-07-15", "source": "test-eci", "source_ref": "refit/d2",
         "payload": {"target_event_id": _event_id(D2), "changes": {"score": 112.0}, "reason": "Epoch re-fit the index"}},
        {"event_type": "event.retracted", "occurred_at": "2024-07-15", "source": "test-eci", "source_ref": "gone/a3",
         "payload": {"target_event_id": _event_id(A3), "reason": "the version vanished from Epoch's table"}},
    ], at=T2)
    with store.writer() as con:
        yield con, first, second


@pytest.fixture(scope="module")
def con(built):
    return built[0]


def rows(con, query, params=()):
    return con.execute(query, list(params)).fetchall()


FRONTIER = """select month, best_score, model_version, held_since, steps_in_month, gain_in_month
              from {} where group_kind = ? and group_name = ? order by month"""


def test_the_frontier_month_by_month_per_country_and_overall(con):
    # US: a1 in January, a2 from February; a3 is retracted, so a2 holds until a4 in June.
    assert rows(con, FRONTIER.format("marts.capability_frontier"), ["country", "US"]) == [
        (d(2024, 1, 1), 100.0, "a1", d(2024, 1, 10), 1, None),
        (d(2024, 2, 1), 110.0, "a2", d(2024, 2, 20), 1, 10.0),
        (d(2024, 3, 1), 110.0, "a2", d(2024, 2, 20), 0, 0.0),
        (d(2024, 4, 1), 110.0, "a2", d(2024, 2, 20), 0, 0.0),
        (d(2024, 5, 1), 110.0, "a2", d(2024, 2, 20), 0, 0.0),
        (d(2024, 6, 1), 125.0, "a4", d(2024, 6, 10), 1, 15.0),
    ]
    # China: the corrected d2 (112) holds March and April; m1 (108) and m2 (100) never lead.
    assert rows(con, FRONTIER.format("marts.capability_frontier"), ["country", "CN"]) == [
        (d(2024, 2, 1), 90.0, "d1", d(2024, 2, 5), 1, None),
        (d(2024, 3, 1), 112.0, "d2", d(2024, 3, 15), 1, 22.0),
        (d(2024, 4, 1), 112.0, "d2", d(2024, 3, 15), 0, 0.0),
        (d(2024, 5, 1), 118.0, "d3", d(2024, 5, 20), 1, 6.0),
        (d(2024, 6, 1), 118.0, "d3", d(2024, 5, 20), 0, 0.0),
    ]
    # The correction moved the overall frontier: d2 holds it in March and April.
    assert [r[:3] for r in rows(con, FRONTIER.format("marts.capability_frontier"), ["overall", "all"])] == [
        (d(2024, 1, 1), 100.0, "a1"), (d(2024, 2, 1), 110.0, "a2"), (d(2024, 3, 1), 112.0, "d2"),
        (d(2024, 4, 1), 112.0, "d2"), (d(2024, 5, 1), 118.0, "d3"), (d(2024, 6, 1), 125.0, "a4"),
    ]
    # Open weights are the Chinese versions here, closed the American ones.
    assert rows(con, FRONTIER.format("marts.capability_frontier"), ["access", "open weights"]) == rows(
        con, FRONTIER.format("marts.capability_frontier"), ["country", "CN"])
    # Per organization: Moonshot's best is m1 from April (m2 scores lower).
    assert [r[:3] for r in rows(con, FRONTIER.format("marts.capability_frontier"), ["organization", "moonshot-ai"])] == [
        (d(2024, 4, 1), 108.0, "m1"), (d(2024, 5, 1), 108.0, "m1"), (d(2024, 6, 1), 108.0, "m1")]


def test_the_frontier_as_it_was_known_before_the_refit(con):
    # As of T1: a3 (120) held the overall frontier from April; d2 scored 105.
    query = FRONTIER.format("marts.capability_frontier_as_of(?::timestamptz)")
    assert [r[:3] for r in rows(con, query, [T1, "overall", "all"])] == [
        (d(2024, 1, 1), 100.0, "a1"), (d(2024, 2, 1), 110.0, "a2"), (d(2024, 3, 1), 110.0, "a2"),
        (d(2024, 4, 1), 120.0, "a3"), (d(2024, 5, 1), 120.0, "a3"), (d(2024, 6, 1), 125.0, "a4"),
    ]
    assert [r[:3] for r in rows(con, query, [T1, "country", "CN"])] == [
        (d(2024, 2, 1), 90.0, "d1"), (d(2024, 3, 1), 105.0, "d2"), (d(2024, 4, 1), 108.0, "m1"),
        (d(2024, 5, 1), 118.0, "d3"), (d(2024, 6, 1), 118.0, "d3"),
    ]


STEPS = """select level_score, leader_model_version, leader_reached_on, follower_model_version, follower_reached_on,
                  step_leads, lag_days, open_days
           from {} where row_kind = 'step' and comparison = ? and leader = ? and follower = ?
           order by leader_reached_on"""
MONTHS = """select month, level_score, follower_model_version, leader_model_version, leader_reached_on, measured_on,
                   gap_days, gap_months, follower_ahead, gap_is_lower_bound
            from {} where row_kind = 'month' and comparison = ? and leader = ? and follower = ? order by month"""


def test_us_steps_and_when_china_reached_them(con):
    assert rows(con, STEPS.format("marts.capability_gap"), ["us_vs_china", "US", "China"]) == [
        # China first reached 100 with the corrected d2 on Mar 15: Jan 10 -> Mar 15 = 21 + 29 + 15 days.
        (100.0, "a1", d(2024, 1, 10), "d2", d(2024, 3, 15), True, 65, None),
        # and 110 the same day: Feb 20 -> Mar 15 = 9 + 15 (before the correction: d3 on May 20, 90 days).
        (110.0, "a2", d(2024, 2, 20), "d2", d(2024, 3, 15), True, 24, None),
        # 125 is not reached: open since Jun 10, 15 days to the last scored release (m2, Jun 25).
        (125.0, "a4", d(2024, 6, 10), None, None, True, None, 15),
    ]


def test_us_steps_as_they_were_known_before_the_refit(con):
    assert rows(con, STEPS.format("marts.capability_gap_as_of(?::timestamptz)"), [T1, "us_vs_china", "US", "China"]) == [
        (100.0, "a1", d(2024, 1, 10), "d2", d(2024, 3, 15), True, 65, None),
        (110.0, "a2", d(2024, 2, 20), "d3", d(2024, 5, 20), True, 90, None),
        # a3, retracted at T2, was a step: open from Apr 10 to Jun 25 = 20 + 31 + 25 days.
        (120.0, "a3", d(2024, 4, 10), None, None, True, None, 76),
        (125.0, "a4", d(2024, 6, 10), None, None, True, None, 15),
    ]


def test_how_far_behind_china_was_each_month(con):
    assert rows(con, MONTHS.format("marts.capability_gap"), ["us_vs_china", "US", "China"]) == [
        # China's best (d1, 90) is below the first US score (a1, 100): the US got there by Jan 10 at
        # the latest, 50 days before Feb 29 (a lower bound).
        (d(2024, 2, 1), 90.0, "d1", "a1", d(2024, 1, 10), d(2024, 2, 29), 50, pytest.approx(50 / MONTH_DAYS), False, True),
        # With d2 corrected to 112 China is ahead of every US score until a4 (Jun 10): no gap.
        (d(2024, 3, 1), 112.0, "d2", None, None, d(2024, 3, 31), None, None, True, None),
        (d(2024, 4, 1), 112.0, "d2", None, None, d(2024, 4, 30), None, None, True, None),
        (d(2024, 5, 1), 118.0, "d3", None, None, d(2024, 5, 31), None, None, True, None),
        # June is measured on the last scored release (Jun 25): a4 reached 118 on Jun 10.
        (d(2024, 6, 1), 118.0, "d3", "a4", d(2024, 6, 10), d(2024, 6, 25), 15, pytest.approx(15 / MONTH_DAYS), False, False),
    ]


def test_how_far_behind_china_was_each_month_before_the_refit(con):
    months = rows(con, MONTHS.format("marts.capability_gap_as_of(?::timestamptz)"), [T1, "us_vs_china", "US", "China"])
    assert [(r[0], r[1], r[2], r[3], r[6]) for r in months] == [
        (d(2024, 2, 1), 90.0, "d1", "a1", 50),
        # d2 (105) was first beaten by a2 (Feb 20): 40 days before Mar 31 ...
        (d(2024, 3, 1), 105.0, "d2", "a2", 9 + 31),
        (d(2024, 4, 1), 108.0, "m1", "a2", 9 + 31 + 30),
        # ... and d3 (118) by a3 (Apr 10): 51 days before May 31, 76 before Jun 25.
        (d(2024, 5, 1), 118.0, "d3", "a3", 20 + 31),
        (d(2024, 6, 1), 118.0, "d3", "a3", 20 + 31 + 25),
    ]


def test_a_lab_that_never_led_is_measured_against_the_overall_frontier(con):
    # Moonshot (m1 108, m2 100) against every other lab: the overall steps.
    assert rows(con, STEPS.format("marts.capability_gap"), ["lab_vs_leader", "leading lab", "moonshot-ai"]) == [
        (100.0, "a1", d(2024, 1, 10), "m1", d(2024, 4, 1), True, 21 + 29 + 31 + 1, None),
        (110.0, "a2", d(2024, 2, 20), None, None, True, None, 9 + 31 + 30 + 31 + 25),
        (112.0, "d2", d(2024, 3, 15), None, None, True, None, 16 + 30 + 31 + 25),
        (118.0, "d3", d(2024, 5, 20), None, None, True, None, 11 + 25),
        (125.0, "a4", d(2024, 6, 10), None, None, True, None, 15),
    ]
    months = rows(con, MONTHS.format("marts.capability_gap"), ["lab_vs_leader", "leading lab", "moonshot-ai"])
    # m1 (108) was first beaten by a2 on Feb 20.
    assert [(r[0], r[3], r[6], r[8]) for r in months] == [
        (d(2024, 4, 1), "a2", 9 + 31 + 30, False), (d(2024, 5, 1), "a2", 9 + 31 + 30 + 31, False),
        (d(2024, 6, 1), "a2", 9 + 31 + 30 + 31 + 25, False)]


def test_a_lab_that_led_is_measured_against_everyone_else(con):
    # OpenAI's only scored version left is a1 (100). Everyone else's steps: d1 90 (Feb 05),
    # a2 110, d2 112, d3 118, a4 125. d1 did not lead: OpenAI was already at 100.
    assert rows(con, STEPS.format("marts.capability_gap"), ["lab_vs_leader", "leading lab", "openai"]) == [
        (90.0, "d1", d(2024, 2, 5), "a1", d(2024, 1, 10), False, None, None),
        (110.0, "a2", d(2024, 2, 20), None, None, True, None, 126),
        (112.0, "d2", d(2024, 3, 15), None, None, True, None, 102),
        (118.0, "d3", d(2024, 5, 20), None, None, True, None, 36),
        (125.0, "a4", d(2024, 6, 10), None, None, True, None, 15),
    ]
    months = rows(con, MONTHS.format("marts.capability_gap"), ["lab_vs_leader", "leading lab", "openai"])
    # In January OpenAI led (nobody else had 100 yet); from Feb 20 a2 was ahead of it.
    assert [(r[0], r[3], r[6], r[8]) for r in months] == [
        (d(2024, 1, 1), None, None, True), (d(2024, 2, 1), "a2", 9, False), (d(2024, 3, 1), "a2", 40, False),
        (d(2024, 4, 1), "a2", 70, False), (d(2024, 5, 1), "a2", 101, False), (d(2024, 6, 1), "a2", 126, False)]
    # Anthropic holds the frontier now: nobody else has reached 125.
    assert rows(con, """select follower_ahead, gap_days from marts.capability_gap where row_kind = 'month'
                        and follower = 'anthropic' and month = '2024-06-01'""") == [(True, None)]


def test_is_the_gap_closing_in_one_query(con):
    assert rows(con, """select year, leader_steps, leading_steps, caught_up_steps, open_steps, median_lag_days,
                               min_lag_days, max_lag_days, months, months_follower_ahead, mean_gap_days,
                               year_end_month, year_end_gap_days, year_end_follower_ahead
                        from marts.capability_gap_yearly
                        where comparison = 'us_vs_china' and leader = 'US' order by year""") == [
        # lags 65 and 24; one step open; gaps 50 (Feb) and 15 (Jun), China ahead Mar-May.
        (2024, 3, 3, 2, 1, 44.5, 24, 65, 5, 3, 32.5, d(2024, 6, 1), 15, False),
    ]
    assert rows(con, """select year_end_gap_months, mean_gap_months from marts.capability_gap_yearly
                        where comparison = 'us_vs_china' and leader = 'US'""") == [
        (pytest.approx(15 / MONTH_DAYS), pytest.approx(32.5 / MONTH_DAYS))]


def test_versions_without_a_score_or_a_release_date_take_no_part(con):
    versions = {v for (v,) in rows(con, "select model_version from marts.capability_frontier")}
    versions |= {v for (v,) in rows(con, "select leader_model_version from marts.capability_gap")}
    versions |= {v for (v,) in rows(con, "select follower_model_version from marts.capability_gap")}
    assert not versions & {"u1", "x1"}
    assert rows(con, "select max(best_score) from marts.capability_frontier") == [(125.0,)]


def test_the_refit_was_an_incremental_refresh_that_recomputed_the_capability_marts(built):
    con, first, second = built
    assert (first.mode, second.mode, second.events_applied) == ("full", "incremental", 2)
    # (whole: their input changed, so they are not among the marts refreshed by group)
    assert not set(CAPABILITY_MARTS) & set(second.by_key)
    for table in CAPABILITY_MARTS:
        assert rows(con, f"""select count(*) from (
                                 (select * from {table} except all select * from {table}_as_of('infinity'))
                                 union all
                                 (select * from {table}_as_of('infinity') except all select * from {table}))""") == [(0,)]
