"""A digest of a built warehouse, to show a refactoring changed nothing it builds:
`python -m tests.tools.build_digest HOME` after `airace run --home HOME`, on two commits.

It prints the number of events, a digest of their ids in log order, of the log's
contents, and of every core.* and marts.* table (rows sorted). The record clock is set
aside, since it differs on every run by design: `recorded_at` and `run_id` (so the head
hash itself cannot match between two runs), every timestamp-with-time-zone column,
`last_retrieved_at`, and the lab feeds' `retrieved_at` (older code stamped the time the
bundled copy was read).
"""

from __future__ import annotations

import hashlib
import sys
from pathlib import Path

import duckdb

LOG_CONTENT = """
select sha256(string_agg(concat_ws(chr(31), position::varchar, event_id, event_type, schema_version::varchar,
    subject, occurred_at::varchar, occurred_precision, source, coalesce(source_url, chr(0)),
    coalesce(source_ref, chr(0)),
    case when source = 'lab-feeds' then '' else coalesce(epoch_us(retrieved_at)::varchar, chr(0)) end,
    payload::varchar), chr(30) order by position))
from events.log"""


def _table_digest(con: duckdb.DuckDBPyConnection, schema: str, table: str) -> str:
    columns = [
        name for name, kind in con.execute(
            "select column_name, data_type from duckdb_columns() where schema_name = ? and table_name = ? "
            "order by column_index", [schema, table],
        ).fetchall()
        if not kind.startswith("TIMESTAMP WITH") and name != "last_retrieved_at"
    ]
    row = ", ".join(f'coalesce("{name}"::varchar, chr(0))' for name in columns)
    return con.execute(
        f"select sha256(coalesce(string_agg(r, chr(30) order by r), '')) "
        f"from (select concat_ws(chr(31), {row}) as r from {schema}.{table})"
    ).fetchall()[0][0][:16]


def digest(snapshot: Path) -> dict[str, str]:
    con = duckdb.connect(str(snapshot), read_only=True)
    try:
        ids = [r[0] for r in con.execute("select event_id from events.log order by position").fetchall()]
        out = {
            "events": str(len(ids)),
            "event_ids": hashlib.sha256("\n".join(ids).encode()).hexdigest()[:16],
            "events.log (clock aside)": con.execute(LOG_CONTENT).fetchall()[0][0][:16],
        }
        tables = con.execute(
            "select schema_name, table_name from duckdb_tables() where schema_name in ('core', 'marts') order by all"
        ).fetchall()
        out.update({f"{schema}.{table}": _table_digest(con, schema, table) for schema, table in tables})
        return out
    finally:
        con.close()


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print(__doc__.splitlines()[0], file=sys.stderr)
        return 2
    for name, value in digest(Path(argv[0]) / "airace-snapshot.duckdb").items():
        print(f"{name:40} {value}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
