"""What an operator sees: `airace run` records into the Dagster instance the UI reads."""

from pathlib import Path

import dagster as dg
from typer.testing import CliRunner

from pipelines.cli import app
from pipelines.definitions import defs
from warehouse.projections.catalog import CORE_TABLES, MART_TABLES


def test_airace_run_records_its_run_and_materializations_in_the_ui_instance(home, dagster_home: Path):
    result = CliRunner().invoke(app, ["run", "--home", str(home.root)], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert str(dagster_home) in "".join(result.output.split())  # (rich wraps long paths)
    # A fresh process's view of the instance, as `dagster dev` with this DAGSTER_HOME would read it.
    with dg.DagsterInstance.from_config(str(dagster_home)) as instance:
        runs = instance.get_runs()
        assert [run.job_name for run in runs] == ["airace_build"]
        assert instance.get_run_stats(runs[0].run_id).steps_failed == 0
        every_table = [dg.AssetKey(p.table.split(".")) for p in CORE_TABLES + MART_TABLES]
        for key in [dg.AssetKey(["events", "log"]), dg.AssetKey("snapshot"), *every_table]:
            event = instance.get_latest_materialization_event(key)
            assert event is not None and event.run_id == runs[0].run_id, key
        mart = instance.get_latest_materialization_event(dg.AssetKey(["marts", "catch_up_lag"]))
        metadata = mart.asset_materialization.metadata
        columns = [c.name for c in metadata["dagster/column_schema"].value.columns]
        assert "lag_days" in columns
        # The preview shows the latest steps first (2020s), not the 1950s.
        preview = metadata["preview"].value
        assert "| 202" in preview.split("\n")[2]
        # The checks on the marts ran and passed on the bundled data.
        checks = defs().resolve_asset_graph().asset_check_keys
        mart_checks = [k for k in checks if k.asset_key.path[0] == "marts"]
        records = instance.event_log_storage.get_latest_asset_check_execution_by_key(mart_checks)
        assert len(records) == len(mart_checks)
        assert all(r.status.value == "SUCCEEDED" for r in records.values()), records


def test_airace_run_full_refresh_recomputes_every_table_from_the_whole_log(home, dagster_home: Path):
    """`airace run --full-refresh` reaches the refresh: it recomputes from scratch where a
    plain run would carry its checkpoint forward (the reason a report gives is only
    given when asked)."""
    runner = CliRunner()
    for flags in ([], ["--full-refresh"]):
        result = runner.invoke(app, ["run", "--home", str(home.root), *flags], catch_exceptions=False)
        assert result.exit_code == 0, result.output
        with dg.DagsterInstance.from_config(str(dagster_home)) as instance:
            event = instance.get_latest_materialization_event(dg.AssetKey(["core", "models"]))
            metadata = event.asset_materialization.metadata
            reason = metadata["full_refresh_reason"].value
        assert metadata["mode"].value == "full"
        assert (reason == "rebuild from scratch") == bool(flags), reason


ASSET_NODES = """{ repositoriesOrError { ... on RepositoryConnection { nodes {
  assetNodes { assetKey { path } dependencyKeys { path } } } } } }"""


def test_the_uis_graphql_draws_each_mart_from_the_tables_its_sql_reads(dagster_home: Path):
    """What the UI's lineage view is drawn from (dagster-webserver's GraphQL over a real code
    server), against the edges warehouse.projections.lineage reads from the SQL."""
    from dagster_graphql.test.utils import define_out_of_process_context, execute_dagster_graphql

    from warehouse.home import dagster_home as instance_home
    from warehouse.projections.lineage import upstream_tables

    definitions_file = str(Path(__file__).resolve().parent.parent / "pipelines" / "definitions.py")
    with dg.DagsterInstance.from_config(str(instance_home())) as instance:
        with define_out_of_process_context(definitions_file, "defs", instance) as context:
            result = execute_dagster_graphql(context, ASSET_NODES)
    assert not result.errors, result.errors
    (repository,) = result.data["repositoriesOrError"]["nodes"]
    drawn = {
        "/".join(node["assetKey"]["path"]): {"/".join(d["path"]) for d in node["dependencyKeys"]}
        for node in repository["assetNodes"]
    }
    sql_reads = {table: {t.replace(".", "/") for t in read} for table, read in upstream_tables().items()}
    for table, read in sql_reads.items():
        assert drawn[table.replace(".", "/")] == read, table
    # Spelled out for one mart, so a lineage module that found nothing would not pass.
    assert drawn["marts/catch_up_lag"] == {"core/models", "core/organizations", "marts/frontier_timeline"}
