"""Source coverage and the marts' `complete` flags, on a small hand-made log.

The log (all 2024, OpenAI unless said otherwise):
    epoch-ai (a whole table)  Jan 10, Feb 05 (Zhipu AI), Mar 31, May 20     -> complete through May 20
    curated (hand-picked)     Jul 01, Sep 15                                 -> never complete
So January to April are complete months, May is not (it ends after May 20), nor is any
later one; Q1 is a complete quarter, Q2 and Q3 are not.
"""

import datetime as dt

import pytest

from tests.conftest import launch
from warehouse import EventStore, RawRecord
from warehouse.projections.catalog import CORE_TABLES, MART_TABLES
from warehouse.projections.refresh import rebuild_projections, refresh_projections

T1 = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)
T2 = dt.datetime(2025, 2, 1, tzinfo=dt.UTC)
d = dt.date

EPOCH = [
    launch("E1", "2024-01-10", source="epoch-ai", ref="e1"),
    launch("E2", "2024-02-05", orgs=("Zhipu AI",), source="epoch-ai", ref="e2"),
    launch("E3", "2024-03-31", source="epoch-ai", ref="e3"),
    launch("E4", "2024-05-20", source="epoch-ai", ref="e4"),
]
CURATED = [
    {**launch("C1", "2024-07-01", source="curated", ref="c1"), "retrieved_at": "2024-12-01T10:00:00Z"},
    launch("C2", "2024-09-15", source="curated", ref="c2"),
]


def _append(store: EventStore, records, at):
    result = store.append([RawRecord(f"r{i}", r) for i, r in enumerate(records)], source="test", recorded_at=at)
    assert result.quarantined == 0
    return result


def _rows(store, query):
    with store.writer() as con:
        rebuild_projections(con)
        return con.execute(query).fetchall()


@pytest.fixture
def logged(store):
    _append(store, EPOCH, T1)
    _append(store, CURATED, T2)
    return store


def test_each_source_says_what_it_covers_and_how_far_it_is_complete(logged):
    assert _rows(logged, """select source, event_types, events, first_on, last_on, last_retrieved_at,
                                   last_recorded_at, completeness, complete_through
                            from core.source_coverage order by source""") == [
        ("curated", ["model.launched"], 2, d(2024, 7, 1), d(2024, 9, 15),
         dt.datetime(2024, 12, 1, 10, tzinfo=dt.UTC), T2, "selection", None),
        ("epoch-ai", ["model.launched"], 4, d(2024, 1, 10), d(2024, 5, 20), None, T1, "whole_table", d(2024, 5, 20)),
    ]
    # as known before the curated events were recorded
    with logged.writer() as con:
        assert con.execute("select source from core.source_coverage_as_of(?::timestamptz)", [T1]).fetchall() == [
            ("epoch-ai",)
        ]


def test_a_month_past_coverage_is_flagged_incomplete(logged):
    monthly = _rows(logged, """select month, sum(launches)::integer, bool_and(complete), bool_or(complete)
                               from marts.releases_monthly group by month order by month""")
    assert [(month, launches, complete) for month, launches, complete, any_complete in monthly] == [
        (d(2024, 1, 1), 1, True), (d(2024, 2, 1), 1, True), (d(2024, 3, 1), 1, True), (d(2024, 4, 1), 0, True),
        # May ends after Epoch's last date (May 20); the rest hold curated flagships only
        (d(2024, 5, 1), 1, False), (d(2024, 6, 1), 0, False), (d(2024, 7, 1), 1, False),
        (d(2024, 8, 1), 0, False), (d(2024, 9, 1), 1, False),
    ]
    assert all(complete == any_complete for _, _, complete, any_complete in monthly)  # one flag per month
    by_country = _rows(logged, "select distinct month, complete from marts.releases_monthly_by_country "
                               "where month in ('2024-04-01', '2024-05-01') order by month")
    assert by_country == [(d(2024, 4, 1), True), (d(2024, 5, 1), False)]


def test_concentration_and_cadence_flag_what_they_cannot_measure(logged):
    assert _rows(logged, "select quarter, launches, hhi_organizations, complete, enough_launches "
                         "from marts.concentration where level = 'lab' order by quarter") == [
        (d(2024, 1, 1), 3, pytest.approx(10000 * (4 / 9 + 1 / 9)), True, False),
        (d(2024, 4, 1), 1, 10000.0, False, False),  # one launch: 10,000 whoever made it
        (d(2024, 7, 1), 2, 10000.0, False, False),
    ]
    assert _rows(logged, "select model, gap_days, complete from marts.release_cadence "
                         "where org_id = 'openai' order by launch_number") == [
        ("E1", None, True), ("E3", 81, True), ("E4", 50, True), ("C1", 42, False), ("C2", 76, False)
    ]
    assert _rows(logged, "select year, complete from marts.release_cadence_yearly where org_id = 'openai'") == [
        (2024, False)
    ]


def test_a_quarter_with_enough_launches_is_measured(store):
    _append(store, [launch(f"M{k}", f"2023-0{1 + k % 3}-1{k}", source="epoch-ai", ref=f"m{k}") for k in range(10)], T1)
    # (not complete: Epoch's last date, March 18, is before the quarter's end)
    assert _rows(store, "select quarter, launches, complete, enough_launches from marts.concentration where level = 'lab'") == [
        (d(2023, 1, 1), 10, False, True)
    ]


def test_when_the_whole_table_moves_on_the_incremental_refresh_equals_a_rebuild(store):
    """A later Epoch launch moves complete_through: rows of every keyed group change
    their flag, so each mart must notice (its scope) and not only recompute the groups
    the new launch falls in."""
    tables = CORE_TABLES + MART_TABLES
    for i, batch in enumerate([EPOCH + CURATED, [launch("E5", "2024-08-31", source="epoch-ai", ref="e5")],
                               [launch("C3", "2024-10-01", source="curated", ref="c3")]]):
        _append(store, batch, T1 + dt.timedelta(days=i))
        with store.writer() as con:
            assert refresh_projections(con).mode == ("full" if i == 0 else "incremental")
            differences = {}
            for p in tables:
                con.execute(f"create or replace temp table expected as select * from {p.macro}('infinity')")
                differences[p.table] = con.execute(
                    f"""select (select count(*) from (select * from {p.table} except all select * from expected))
                             + (select count(*) from (select * from expected except all select * from {p.table}))"""
                ).fetchall()[0][0]
        assert differences == dict.fromkeys(differences, 0), f"batch {i}"
    assert _rows(store, "select max(month) from marts.releases_monthly where complete") == [(d(2024, 8, 1),)]
