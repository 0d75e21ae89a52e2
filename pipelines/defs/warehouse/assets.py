import datetime as dt

import dagster as dg

from pipelines.defs.resources import WRITER_POOL, WarehouseResource
from pipelines.defs.warehouse.coverage import coverage_check_results, coverage_check_specs
from pipelines.sources.registry import source_asset_keys
from warehouse.build import refresh
from warehouse.log.witness import verify_with_witness
from warehouse.projections.catalog import CORE_TABLES, MART_TABLES, Projection, find_projection
from warehouse.projections.lineage import upstream_tables
from warehouse.publishing import charts
from warehouse.publishing.snapshot import publish_snapshot

# Every source asset appends to the log; the log asset waits for all of them.
SOURCE_ASSETS = [
    dg.AssetKey("inbox_files"),
    # One asset per runner-backed registry source (curated, Epoch's tables, feeds, hub; pipelines/sources/kind.py).
    *(dg.AssetKey(path) for path in source_asset_keys()),
]
EVENT_LOG = dg.AssetKey(["events", "log"])
CHAIN_CHECK = "hash_chain_verifies"


def _key(projection: Projection) -> dg.AssetKey:
    return dg.AssetKey(projection.table.split("."))


def _upstream(projection: Projection) -> list[dg.AssetKey]:
    """The assets a table is made from: the tables its SQL reads (warehouse.projections.lineage), the
    log when it reads the log; never a hand-written list."""
    return sorted(dg.AssetKey(table.split(".")) for table in upstream_tables()[projection.table])


# Checks on the marts (their names; each mart gets the ones that apply to it).
NON_EMPTY = "non_empty"
NO_NEGATIVE_LAG = "no_negative_lag"


def _mart_checks(projection: Projection) -> list[dg.AssetCheckSpec]:
    key = _key(projection)
    specs = [dg.AssetCheckSpec(NON_EMPTY, asset=key, description="The mart has rows after a build.")]
    if "lag" in projection.table:
        specs.append(
            dg.AssetCheckSpec(
                NO_NEGATIVE_LAG, asset=key,
                description="No lag (a column named *lag* or *_days) is negative: a rival cannot catch up before the step.",
            )
        )
    return specs


def _lag_columns(columns: dict[str, str]) -> list[str]:
    numeric = ("INT", "BIGINT", "HUGEINT", "DOUBLE", "FLOAT", "DECIMAL", "SMALLINT", "INTEGER")
    return [c for c, kind in columns.items() if ("lag" in c or c.endswith("_days")) and kind.upper().startswith(numeric)]


def _check_results(con, projection: Projection, rows: int, columns: dict[str, str]) -> list[dg.AssetCheckResult]:
    key = _key(projection)
    results = [
        dg.AssetCheckResult(asset_key=key, check_name=NON_EMPTY, passed=rows > 0, metadata={"rows": rows})
    ]
    if "lag" in projection.table:
        lags = _lag_columns(columns)
        negative = {c: con.execute(f'select count(*) from {projection.table} where "{c}" < 0').fetchall()[0][0] for c in lags}
        results.append(
            dg.AssetCheckResult(
                asset_key=key, check_name=NO_NEGATIVE_LAG, passed=bool(lags) and not any(negative.values()),
                metadata={"negative_rows_by_column": dg.MetadataValue.json(negative), "columns_checked": ", ".join(lags) or "none"},
            )
        )
    return results


def _columns(con, table: str) -> dict[str, str]:
    schema, name = table.split(".")
    return dict(
        con.execute(
            "select column_name, data_type from duckdb_columns() where schema_name = ? and table_name = ? "
            "and database_name = current_database() order by column_index",
            [schema, name],
        ).fetchall()
    )


def _column_schema(table: str, columns: dict[str, str]) -> dg.TableSchema:
    """The table's columns, typed by DuckDB and described by the data dictionary."""
    documented = find_projection(table)
    meanings = documented.meanings() if documented else {}
    return dg.TableSchema(
        columns=[dg.TableColumn(name, kind, description=meanings.get(name)) for name, kind in columns.items()]
    )


def _preview(con, table: str, columns: dict[str, str], limit: int = 10) -> dg.MetadataValue:
    """The latest rows (by the table's first date or time column, newest first), not the
    first ten, which for a monthly mart are the 1950s."""
    dated = next((c for c, kind in columns.items() if kind.upper().startswith(("DATE", "TIMESTAMP"))), None)
    order = f'order by "{dated}" desc nulls last' if dated else ""
    return dg.MetadataValue.md(_markdown_table(con.sql(f"select * from {table} {order} limit {limit}").pl()))


def _markdown_table(frame) -> str:
    header = "| " + " | ".join(frame.columns) + " |"
    rule = "| " + " | ".join("---" for _ in frame.columns) + " |"
    rows = ["| " + " | ".join(str(value)[:60] for value in row) + " |" for row in frame.iter_rows()]
    return "\n".join([header, rule, *rows])


@dg.asset(
    key=EVENT_LOG,
    deps=SOURCE_ASSETS,
    group_name="log",
    kinds={"duckdb"},
    check_specs=[dg.AssetCheckSpec(CHAIN_CHECK, asset=EVENT_LOG, blocking=True)],
)
def event_log(warehouse: WarehouseResource):
    """events.log: the append-only, hash-chained log every source appends to.

    Materializing it recomputes the whole hash chain and the ingest accounting in
    SQL (read = appended + duplicate + quarantined per run). The chain check is
    blocking: a tampered or broken log stops projections, marts and the snapshot.
    """
    store = warehouse.store()
    with store.reader() as con:
        # The chain, the accounting and the witnessed heads: a rewritten log stops the build.
        report = verify_with_witness(con, store.home)
        by_type = con.sql("select event_type, count(*) as events from events.log group by all order by 1").pl()
        quarantined = con.execute("select count(*) from events.quarantine").fetchall()[0][0]
    yield dg.MaterializeResult(
        metadata={
            "events": dg.MetadataValue.int(report.events),
            "head_hash": dg.MetadataValue.text(report.head_hash),
            "quarantined_records": dg.MetadataValue.int(quarantined),
            "events_by_type": dg.MetadataValue.md(_markdown_table(by_type)),
        },
        check_results=[
            dg.AssetCheckResult(
                check_name=CHAIN_CHECK,
                passed=report.ok,
                severity=dg.AssetCheckSeverity.ERROR,
                metadata={
                    "events_checked": report.events,
                    "first_bad_position": report.first_bad_position if report.first_bad_position is not None else -1,
                    "problem": report.problem or "none",
                },
            )
        ],
    )


class RefreshConfig(dg.Config):
    """`full`: recompute every table from the whole log, whatever the checkpoint says
    (`airace run --full-refresh`)."""

    full: bool = False


@dg.multi_asset(
    specs=[
        dg.AssetSpec(_key(p), deps=_upstream(p), description=p.description, group_name="core", kinds={"duckdb"})
        for p in CORE_TABLES
    ]
    + [
        dg.AssetSpec(_key(p), deps=_upstream(p), description=p.description, group_name="marts", kinds={"duckdb"})
        for p in MART_TABLES
    ],
    check_specs=[spec for p in MART_TABLES for spec in _mart_checks(p)] + coverage_check_specs(),
    pool=WRITER_POOL,
)
def projections_and_marts(config: RefreshConfig, warehouse: WarehouseResource):
    """Refresh core.* and marts.* from events.log (corrections applied, retractions removed):
    only the events appended since the last refresh, unless a full refresh is needed or
    asked for (config `full`)."""
    store = warehouse.store()
    report = refresh(store, full=config.full)
    with store.reader() as con:
        columns = {p.table: _columns(con, p.table) for p in CORE_TABLES + MART_TABLES}
        previews = {p.table: _preview(con, p.table, columns[p.table]) for p in CORE_TABLES + MART_TABLES}
        checks = [r for p in MART_TABLES for r in _check_results(con, p, report.counts[p.table], columns[p.table])]
        checks += coverage_check_results(con, dt.datetime.now(dt.UTC).date())
        # The charts carry their data; render them after the live file is let go.
        specs = {name: (table, make(con)) for name, (table, make) in charts.CHARTS.items()}
    # Charts ride on their mart's materialization so they show in the UI beside the preview.
    charts_by_table: dict[str, dict[str, dg.MetadataValue]] = {}
    for name, (table, chart) in specs.items():
        png = charts.to_png(chart)
        charts_by_table.setdefault(table, {})[f"chart_{name}"] = dg.MetadataValue.md(charts.markdown_image(png, name))
    for projection in CORE_TABLES + MART_TABLES:
        yield dg.MaterializeResult(
            asset_key=_key(projection),
            metadata={
                "dagster/row_count": dg.MetadataValue.int(report.counts[projection.table]),
                "mode": dg.MetadataValue.text(report.mode),
                "full_refresh_reason": dg.MetadataValue.text(report.reason or "none"),
                "events_applied": dg.MetadataValue.int(report.events_applied),
                "dagster/column_schema": _column_schema(projection.table, columns[projection.table]),
                "preview": previews[projection.table],
                **charts_by_table.get(projection.table, {}),
            },
        )
    yield from checks


@dg.asset(
    key=dg.AssetKey(["snapshot"]),
    deps=[_key(p) for p in CORE_TABLES + MART_TABLES],
    group_name="publish",
    pool=WRITER_POOL,
    kinds={"duckdb"},
)
def analyst_snapshot(warehouse: WarehouseResource) -> dg.MaterializeResult:
    """The analysts' read-only copy of the warehouse (airace-snapshot.duckdb), replaced
    atomically (temp name, fsync, rename) after a successful build. `airace sql` reads it."""
    store = warehouse.store()
    published = publish_snapshot(store.home, lock_timeout_s=store.lock_timeout_s)
    return dg.MaterializeResult(
        metadata={
            "path": dg.MetadataValue.path(str(published.path)),
            "events": dg.MetadataValue.int(published.events),
            "head_hash": dg.MetadataValue.text(published.head_hash),
            "bytes": dg.MetadataValue.int(published.bytes),
            # The head as written to the witness (warehouse/log/witness.py): a copy outside both files.
            **(
                {
                    "head_position": dg.MetadataValue.int(published.witnessed.position),
                    "witnessed_at": dg.MetadataValue.text(published.witnessed.witnessed_at),
                    "snapshot_sha256": dg.MetadataValue.text(published.witnessed.snapshot_sha256 or ""),
                }
                if published.witnessed
                else {}
            ),
        }
    )
