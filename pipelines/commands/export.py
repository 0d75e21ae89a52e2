"""`airace export DIR`: the Parquet lake for other engines (logic in warehouse.publishing.export)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from pipelines.cli_shared import HomeOption, console, errors, resolve_home


def export(
    directory: Annotated[Path, typer.Argument(help="Folder to write (replaced atomically if it holds an earlier export).")],
    home: HomeOption = None,
) -> None:
    """Parquet export (zstd) of the log, Hive-partitioned by event month, and of every core.* and marts.* table."""
    # (imported here: registering the command must not slow `airace sql` down)
    from rich.table import Table

    from warehouse.log.store import StoreError
    from warehouse.publishing.export import MANIFEST, PARTITION_COLUMN, export_parquet

    resolved = resolve_home(home)
    try:
        result = export_parquet(resolved, directory)
    except StoreError as exc:
        errors.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(2) from None
    table = Table(title=f"airace export {result.path}")
    table.add_column("table")
    table.add_column("rows", justify="right")
    for name, rows in result.tables.items():
        table.add_row(name, str(rows))
    console.print(table)
    console.print(
        f"events.log: {result.events} events in {result.months} {PARTITION_COLUMN} partitions, "
        f"head hash {result.head_hash}; manifest {result.path / MANIFEST}"
    )
