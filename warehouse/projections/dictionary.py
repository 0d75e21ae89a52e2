"""Writes warehouse/DATA_DICTIONARY.md: each table's docs from the header of its SQL file
(warehouse.projections.catalog), the column types read from the tables, and each example
query's real output on a build.

    python -m warehouse.projections.dictionary [SNAPSHOT]      (default: the published snapshot)

tests/test_data_dictionary.py fails when a table or column is missing from the
dictionary, so adding a column means adding its `-- column NAME:` line to the table's
SQL header and regenerating.
"""

import sys
from pathlib import Path

import duckdb

from warehouse.home import WarehouseHome
from warehouse.projections.catalog import CORE_TABLES, MART_TABLES

DICTIONARY = Path(__file__).resolve().parents[1] / "DATA_DICTIONARY.md"
HEAD = """# airace data dictionary

What every table analysts query holds: its definition, its columns (name, DuckDB type, meaning) and an
example query with its real output on the bundled build (`airace run` on a fresh clone: Epoch AI's
notable-models and Capabilities Index snapshots plus the curated events). `tests/test_data_dictionary.py` checks that every table
in `warehouse.projections.catalog.CORE_TABLES + MART_TABLES` is documented here with exactly the columns and types
it has, so this file cannot drift from the SQL.

Conventions:

* **Valid time vs record time.** Dates such as `launched_on` are when things happened (valid time). Every
  table is also a table macro `<table>_as_of(as_of)` over the log as recorded up to `as_of` (record time):
  `select * from marts.catch_up_lag_as_of('2026-01-01'::timestamptz)`, or `airace sql --as-of 2026-01-01 "..."`
  which rebuilds everything as it was known then, so a past report can be reproduced exactly after later
  corrections.
* **Corrections and retractions** are applied everywhere (`core.effective_events`); the log keeps both.
* **Refreshing.** After an append only the new log rows are projected: the intermediate tables in the
  `projection_state` schema (effective events, organization mentions, model launches, and a checkpoint of
  the last position projected) are kept for that and are not meant for analysis. The tables are always
  exactly what a rebuild from the whole log gives.
* **Unknown is NULL**, never 0 (compute, parameters, dates). Lists are empty when nothing is known.
* **Dates of lower precision** (month, year) sit on the first day of their month or year in grids; the
  `*_precision` columns say which.
* **Countries** are ISO 3166 alpha-2 codes: a model's are those its sources give (all of them), the organization registry's only where no source gives one; `EU` and `INT` (international)
  also occur. Hong Kong is `HK`, separate from `CN`, except in `marts.catch_up_lag` and `marts.capability_gap`
  (US vs China), which fold HK into China.
* **Yardsticks: training compute vs capability.** `marts.frontier_timeline`, `marts.catch_up_lag` and
  `marts.catch_up_lag_yearly` measure the race in **training compute** (FLOP, from Epoch AI's models table):
  what a model's training cost. `marts.capability_frontier`, `marts.capability_gap` and
  `marts.capability_gap_yearly` measure it on a **capability index** (Epoch AI's Capabilities Index, ECI, in
  `core.capability_scores`): what models can do on benchmarks. They disagree, and both are shown: compute is an
  input, and a lab can reach a capability with less of it (more efficient training, distillation, post-training
  and reasoning at inference), so a rival can match a capability long before it matches the compute (or never
  match the compute); compute is known only where Epoch could estimate it, while ECI covers only the versions
  Epoch has benchmarked (scores from 2023 on) and is re-fitted when benchmarks are added (a re-fit corrects the
  scores, and the capability marts follow); and the compute marts count models, the capability marts model
  versions (a reasoning-effort setting or a dated API release is its own version).
* **Joint work** counts for each developing organization in per-organization counts
  (`marts.releases_monthly`, `marts.release_cadence`) and fractionally (1/n each) in `marts.concentration`.

Model data: Epoch AI, "Data on AI Models", https://epoch.ai/data/ai-models (CC BY 4.0).
Capability scores: Epoch AI, Epoch Capabilities Index, https://epoch.ai/benchmarks/eci (CC BY 4.0).
"""

def md_table(rel: duckdb.DuckDBPyRelation) -> str:
    cols = rel.columns
    out = ["| " + " | ".join(cols) + " |", "|" + "|".join("---" for _ in cols) + "|"]
    for row in rel.fetchall():
        cells = []
        for v in row:
            if v is None:
                s = "NULL"
            elif isinstance(v, float):
                s = f"{v:.4g}" if (abs(v) >= 1e6 or (v != 0 and abs(v) < 1e-3)) else (f"{v:g}")
            else:
                s = str(v)
            cells.append(s.replace("|", "\\|"))
        out.append("| " + " | ".join(cells) + " |")
    return "\n".join(out)

def render(con: duckdb.DuckDBPyConnection) -> str:
    parts = [HEAD]
    for group, projections in (("Core tables (`core.*`)", CORE_TABLES), ("Marts (`marts.*`)", MART_TABLES)):
        parts.append(f"\n## {group}\n")
        for p in projections:
            meanings = p.meanings()
            cols = con.execute(f"describe {p.table}").fetchall()
            undocumented = {c[0] for c in cols} ^ set(meanings)
            if undocumented:
                raise SystemExit(
                    f"{p.table}: columns without a `-- column` line in {p.sql_file.name}, or lines of no column: {undocumented}"
                )
            parts.append(f"\n### {p.table}\n")
            parts.append(f"Defined in `warehouse/sql/{p.sql_file.parent.name}/{p.sql_file.name}` as `{p.macro}(as_of)`.\n")
            parts.append(p.description + "\n")
            parts.append("| column | type | meaning |\n|---|---|---|")
            for name, typ, *_ in cols:
                parts.append(f"| `{name}` | `{typ}` | {meanings[name]} |")
            parts.append("\nExample:\n\n```sql\n" + p.example + "\n```\n")
            parts.append("Output on the bundled build:\n\n" + md_table(con.sql(p.example)) + "\n")
    return "\n".join(parts)


if __name__ == "__main__":
    snapshot = sys.argv[1] if len(sys.argv) > 1 else str(WarehouseHome.resolve().snapshot_db)
    with duckdb.connect(snapshot, read_only=True) as connection:
        DICTIONARY.write_text(render(connection))
    print(f"wrote {DICTIONARY}")
