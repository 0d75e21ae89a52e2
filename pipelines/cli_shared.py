"""What the `airace` command line and its command modules share: the consoles, the
`--home` option and the parsing of `--as-of` and `--until`.

A module of its own so that pipelines/cli.py can import the command modules to register
them, while those modules import nothing from cli.py (no cycle, no private helpers).
Light on purpose: `airace sql` imports it and must start at once.
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path
from typing import Annotated, Any

import typer

from warehouse.home import WarehouseHome


class LazyConsole:
    """A rich Console made on first use (importing rich costs more than `airace sql --format
    csv` takes in all)."""

    def __init__(self, **options: Any) -> None:
        self._options = options
        self._console = None

    def __getattr__(self, name: str) -> Any:
        if self._console is None:
            from rich.console import Console

            self._console = Console(**self._options)
        return getattr(self._console, name)


console = LazyConsole()
errors = LazyConsole(stderr=True, soft_wrap=True)

HomeOption = Annotated[
    Path | None, typer.Option("--home", help="Warehouse folder (default: $AIRACE_HOME, else warehouse/data in a checkout, else ~/.local/share/airace/warehouse).")
]


def resolve_home(home: Path | None) -> WarehouseHome:
    resolved = WarehouseHome.resolve(home)
    # Dagster's warehouse resource resolves its home from the environment, so the
    # graph run by `airace run` writes where the CLI was told to.
    os.environ["AIRACE_HOME"] = str(resolved.root)
    return resolved


def as_of_option(text: str) -> dt.datetime:
    """`--as-of TEXT` as a moment, or a usage error naming the option."""
    from warehouse.publishing.timetravel import parse_as_of

    try:
        return parse_as_of(text)
    except ValueError as exc:
        raise typer.BadParameter(f"--as-of {exc}") from None


def until_option(text: str) -> dt.date:
    """`--until TEXT` as a date, or a usage error naming the option."""
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise typer.BadParameter(f"--until {text!r} is not an ISO date (YYYY-MM-DD)") from None
