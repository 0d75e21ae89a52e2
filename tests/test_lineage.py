"""Lineage is read from the SQL definitions, not listed by hand."""

from pathlib import Path

from warehouse.projections.catalog import CORE_TABLES, MART_TABLES, SQL_DIR
from warehouse.projections.lineage import macro_bodies, tables_read, upstream_tables


def test_each_mart_reads_the_tables_its_sql_names():
    upstream = upstream_tables()
    assert upstream["marts.policy_velocity"] == {"core.policies"}
    assert upstream["marts.catch_up_lag"] == {"core.models", "core.organizations", "marts.frontier_timeline"}
    assert upstream["marts.release_cadence_yearly"] == {"core.source_coverage", "marts.release_cadence"}
    assert upstream["marts.capability_gap_yearly"] == {"core.capability_scores", "marts.capability_gap"}
    # Core tables reach the log through the intermediate readers (effective events, mentions).
    assert upstream["core.models"] == {"events.log"}
    assert upstream["core.model_conflicts"] == {"core.models", "events.log"}
    assert set(upstream) == {p.table for p in CORE_TABLES + MART_TABLES}


def test_a_new_mart_file_is_read_like_the_others(tmp_path: Path):
    """A mart added as a file gets its edges with no list to update."""
    new_mart = tmp_path / "test_only_mart.sql"
    new_mart.write_text(
        "-- marts.test_only_mart: a mart only this test defines.\n"
        "create or replace macro marts.test_only_mart_of(as_of, src) as table\n"
        "select * from core.policies_in(as_of, src) join marts.helper_rows(as_of) using (x);\n"
        "create or replace macro marts.helper_rows(as_of) as table\n"
        "select * from core.organization_registry, marts.frontier_timeline  -- core.models in a comment\n"
    )
    files = [*sorted(SQL_DIR.glob("core/*.sql")), *sorted(SQL_DIR.glob("marts/*.sql")), new_mart]
    tables = frozenset({p.table for p in CORE_TABLES + MART_TABLES} | {"marts.test_only_mart"})
    read = tables_read("marts.test_only_mart", tables, macro_bodies(files))
    # Followed through the helper macro; the reference table and the comment are not lineage.
    assert read == {"core.policies", "marts.frontier_timeline"}
