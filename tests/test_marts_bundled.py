"""The marts on the bundled data (curated events + Epoch AI's notable models and Capabilities Index), built once."""

import datetime as dt

import pytest

from pipelines.sources.curated import SOURCE_NAME as CURATED
from pipelines.sources.curated import curated_records
from tests.fixtures.sources.helpers import run_table
from warehouse import EventStore, WarehouseHome
from warehouse.build import refresh_and_publish
from warehouse.projections.catalog import MART_TABLES
from warehouse.publishing.timetravel import open_snapshot


@pytest.fixture(scope="module")
def con(tmp_path_factory):
    store = EventStore(WarehouseHome.resolve(tmp_path_factory.mktemp("bundled") / "warehouse").ensure(), lock_timeout_s=30)
    store.append(curated_records(), source=CURATED)
    run_table(store)
    run_table(store, "epoch-eci")
    refresh_and_publish(store)
    with open_snapshot(store.home) as connection:
        yield connection


def rows(con, query, params=()):
    return con.execute(query, list(params)).fetchall()


def test_every_mart_has_rows(con):
    for mart in MART_TABLES:
        assert rows(con, f"select count(*) from {mart.table}")[0][0] > 0, mart.table


def test_us_vs_china_catch_up_series_covers_2019_to_2025_with_sensible_lags(con):
    steps = rows(con, """select step_year, step_leads, caught_up, lag_days, open_days
                         from marts.catch_up_lag where comparison = 'us_vs_china' and step_group = 'US'""")
    years = {year for year, *_ in steps}
    assert min(years) <= 2019 and max(years) >= 2025
    leading = [s for s in steps if s[1]]
    # Matched steps have a positive lag; unmatched ones stay open: NULL lag, never 0.
    assert all(lag is not None and lag > 0 for _, _, caught, lag, _ in leading if caught)
    assert all(lag is None and open_days >= 0 for _, _, caught, lag, open_days in leading if not caught)
    assert any(caught for _, _, caught, _, _ in leading) and any(not caught for _, _, caught, _, _ in leading)
    # No negative lag anywhere, in any comparison; "behind" is only for steps that did not lead.
    assert rows(con, "select count(*) from marts.catch_up_lag where lag_days <= 0 or behind_days < 0 or open_days < 0") == [(0,)]
    assert rows(con, "select count(*) from marts.catch_up_lag where not step_leads and (lag_days is not null or caught_up is not null)") == [(0,)]
    # Known facts of the bundled data: GPT-4 (2023-03-14, 2.1e25 FLOP) was first matched by a
    # Chinese model in 2024; Grok 4 (5e26) has not been.
    gpt4 = rows(con, """select caught_up, year(caught_up_on) from marts.catch_up_lag
                        where comparison = 'us_vs_china' and model = 'GPT-4'""")
    assert gpt4 == [(True, 2024)]
    assert rows(con, "select caught_up, lag_days from marts.catch_up_lag where comparison = 'us_vs_china' and model = 'Grok 4'") == [(False, None)]


def test_catch_up_lag_yearly_answers_is_the_gap_closing_in_one_query(con):
    yearly = dict(
        rows(con, """select year, median_lag_days from marts.catch_up_lag_yearly
                     where comparison = 'us_vs_china' and step_group = 'US' and year between 2019 and 2025""")
    )
    assert sorted(yearly) == list(range(2019, 2026))
    assert all(lag is None or lag > 0 for lag in yearly.values())
    assert sum(lag is not None for lag in yearly.values()) >= 4


def test_hong_kong_counts_as_china_and_joint_us_china_models_as_neither(con):
    hk = rows(con, """select count(*) from marts.catch_up_members(?::timestamptz)
                      where comparison = 'us_vs_china' and list_contains(countries, 'HK') and grp <> 'China'""", ["infinity"])
    joint = rows(con, """select count(*) from marts.catch_up_members(?::timestamptz)
                         where comparison = 'us_vs_china' and list_contains(countries, 'US') and list_has_any(countries, ['CN', 'HK'])""",
                 ["infinity"])
    assert hk == [(0,)] and joint == [(0,)]


def test_frontier_timeline_is_built_from_compute_and_the_epoch_flag(con):
    records = rows(con, """select model, launched_on, training_compute_flop, held_until from marts.frontier_timeline
                           where is_compute_record order by launched_on""")
    assert len(records) >= 20
    # Each record beats the one before, and is held until the next one.
    assert all(b[2] > a[2] and b[1] > a[1] and a[3] == b[1] for a, b in zip(records, records[1:]))
    assert records[-1][3] is None
    assert {"GPT-4", "Gemini 1.0 Ultra"} <= {r[0] for r in records}
    flagged = rows(con, "select count(*) from core.models where epoch_frontier and launched_on is not null")[0][0]
    assert rows(con, "select count(*) from marts.frontier_timeline where epoch_frontier")[0][0] == flagged >= 100
    # The flag covers models the compute record does not: both measures are in the mart.
    assert rows(con, "select count(*) from marts.frontier_timeline where epoch_frontier and not is_compute_record")[0][0] > 0


def test_concentration_and_monthly_grids_are_consistent_with_core_models(con):
    # Every model with a known country counts once in total across its countries' shares.
    (total,) = rows(con, "select sum(share_of_month) from marts.releases_monthly_by_country where month = '2024-03-01'")[0]
    assert total == pytest.approx(1.0)
    assert rows(con, """select count(*) from marts.concentration
                        where hhi_organizations not between 0 and 10000 or hhi_countries not between 0 and 10000""") == [(0,)]
    (launches_2024,) = rows(con, "select sum(launches) from marts.concentration where year(quarter) = 2024 and level = 'lab'")[0]
    assert launches_2024 == rows(con, "select count(*) from core.models where year(launched_on) = 2024")[0][0]
    assert rows(con, "select max(quarter) from marts.concentration")[0][0] >= dt.date(2025, 10, 1)


def test_epoch_s_last_date_ends_the_complete_months(con):
    """Epoch's bundled table ends on 2025-11-13: October 2025 is the last complete month,
    and every later month (holding curated flagships only) is flagged."""
    assert rows(con, "select complete_through from core.source_coverage where source = 'epoch-ai'") == [
        (dt.date(2025, 11, 13),)
    ]
    assert rows(con, "select max(month) from marts.releases_monthly where complete") == [(dt.date(2025, 10, 1),)]
    assert rows(con, "select count(*) from marts.releases_monthly where month >= '2025-11-01' and complete") == [(0,)]
    # the concentration of a quarter with a single launch is not presented as a measure
    assert rows(con, "select count(*) from marts.concentration where launches = 1 and enough_launches") == [(0,)]


def test_no_accusation_edge_comes_from_a_regulator_s_inquiry(con):
    # (the FTC's 6(b) studies among them)
    assert rows(con, "select count(*) > 0 from core.allegations where nature = 'inquiry' and 'ftc' in accuser_org_ids") == [
        (True,)
    ]
    assert rows(con, """select count(*) from marts.allegations_network n, unnest(n.allegation_ids) as a(id)
                        where id in (select allegation_id from core.allegations where nature = 'inquiry')""") == [(0,)]


# The capability gaps recomputed the plain way, one lookup per row: the first day a version of
# the leader (for a lab: of any lab but it) scored at least the level.
NAIVE_SCORED = """
    select *, list_contains(countries, 'US') and not list_has_any(countries, ['CN', 'HK']) as us,
              list_has_any(countries, ['CN', 'HK']) and not list_contains(countries, 'US') as china
    from core.capability_scores where score is not null and released_on is not null"""


@pytest.mark.parametrize("leader, follower", [("us", "china"), ("china", "us")])
def test_the_monthly_gap_equals_a_plain_lookup_of_when_the_leader_got_there(con, leader, follower):
    # (China has never been ahead of the US on ECI, so the second case is a follower ahead every month)
    differences = rows(con, f"""
        with scored as ({NAIVE_SCORED}),
        months as (select * from marts.capability_gap
                   where comparison = 'us_vs_china' and leader = '{ {"us": "US", "china": "China"}[leader] }'
                     and row_kind = 'month'),
        naive as (
            select m.month,
                   (select max(score) from scored where {follower} and released_on <= m.measured_on) as best,
                   (select min(released_on) from scored
                    where {leader} and released_on <= m.measured_on
                      and score >= (select max(score) from scored where {follower} and released_on <= m.measured_on))
                       as leader_reached_on
            from months m)
        select m.month, m.level_score, n.best, m.leader_reached_on, n.leader_reached_on
        from months m join naive n using (month)
        where m.level_score <> n.best or m.leader_reached_on is distinct from n.leader_reached_on
           or m.gap_days is distinct from (m.measured_on - n.leader_reached_on)
           or m.follower_ahead <> (n.leader_reached_on is null)""")
    assert differences == []
    months, with_gap = rows(con, f"""select count(*), count(gap_days) from marts.capability_gap
                                     where comparison = 'us_vs_china' and leader = '{ {"us": "US", "china": "China"}[leader] }'
                                       and row_kind = 'month'""")[0]
    assert months > 24 and with_gap == (months if leader == "us" else 0)


def test_each_lab_s_steps_are_those_of_every_other_lab_and_lags_are_never_zero(con):
    naive = rows(con, f"""
        with scored as ({NAIVE_SCORED}),
        labs as (select distinct unnest(organization_ids) as lab from scored),
        others as (select l.lab, s.* from labs l join scored s on not list_contains(s.organization_ids, l.lab)),
        tops as (select * from others qualify row_number() over (partition by lab, released_on
                                                                 order by score desc, model_version) = 1)
        select lab, model_version, released_on from (
            select *, max(score) over (partition by lab order by released_on
                                       rows between unbounded preceding and 1 preceding) as before from tops)
        where before is null or score > before order by all""")
    mart = rows(con, """select follower, leader_model_version, leader_reached_on from marts.capability_gap
                        where comparison = 'lab_vs_leader' and row_kind = 'step' order by all""")
    assert mart == naive and len(mart) > 100
    lags = rows(con, """select count(*) filter (where lag_days <= 0), count(*) filter (where lag_days > 0),
                               count(*) filter (where step_leads and lag_days is null and open_days is null)
                        from marts.capability_gap where row_kind = 'step'""")
    assert lags[0][0] == 0 and lags[0][1] > 50 and lags[0][2] == 0
