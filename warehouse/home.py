"""Where the warehouse lives: the live database, the analysts' snapshot, the writer lock;
and where Dagster keeps its runs (the instance the UI reads).

Defaults: in a checkout (the repository, or an editable install of it), `warehouse/data/`
and `.dagster_home/` in the project, as `make run` / `make ui` expect. Installed from a
wheel (`pip install .`), the package sits in site-packages, which is no place for data:
then both live in the per-user data directory, `$XDG_DATA_HOME/airace/` (default
`~/.local/share/airace/`), as `warehouse/` and `dagster_home/`.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
# The instance settings (the writer pool's limit, telemetry off). In a checkout, the
# project's .dagster_home/dagster.yaml; a wheel carries the same file as package data.
CHECKOUT_INSTANCE_SETTINGS = PROJECT_ROOT / ".dagster_home" / "dagster.yaml"
PACKAGED_INSTANCE_SETTINGS = Path(__file__).resolve().parent / "dagster.yaml"


def in_checkout() -> bool:
    """True when the code runs from the project's own folder, not from site-packages."""
    return (PROJECT_ROOT / "pyproject.toml").is_file() and CHECKOUT_INSTANCE_SETTINGS.is_file()


def user_data_dir() -> Path:
    """The per-user data directory of an installed airace (XDG base directory spec)."""
    base = os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share"
    return Path(base).expanduser() / "airace"


def default_home() -> Path:
    return PROJECT_ROOT / "warehouse" / "data" if in_checkout() else user_data_dir() / "warehouse"


def dagster_home() -> Path:
    """The Dagster instance every command records into, and `make ui` reads:
    `$DAGSTER_HOME`, else the project's .dagster_home, else the per-user one.
    Created with the project's instance settings when it does not exist yet."""
    chosen = os.environ.get("DAGSTER_HOME")
    if chosen:
        root = Path(chosen).expanduser().resolve()
    else:
        root = PROJECT_ROOT / ".dagster_home" if in_checkout() else user_data_dir() / "dagster_home"
    root.mkdir(parents=True, exist_ok=True)
    settings = root / "dagster.yaml"
    if not settings.exists():
        source = CHECKOUT_INSTANCE_SETTINGS if CHECKOUT_INSTANCE_SETTINGS.is_file() else PACKAGED_INSTANCE_SETTINGS
        shutil.copyfile(source, settings)
    return root


@dataclass(frozen=True)
class WarehouseHome:
    root: Path

    @classmethod
    def resolve(cls, home: str | os.PathLike[str] | None = None) -> WarehouseHome:
        """`--home` wins, then `AIRACE_HOME`, then the default (see the module's docstring)."""
        chosen = home or os.environ.get("AIRACE_HOME") or default_home()
        return cls(Path(chosen).expanduser().resolve())

    @property
    def live_db(self) -> Path:
        return self.root / "airace.duckdb"

    @property
    def snapshot_db(self) -> Path:
        return self.root / "airace-snapshot.duckdb"

    @property
    def lock_file(self) -> Path:
        return self.root / "airace.writer.lock"

    @property
    def witness_file(self) -> Path:
        # Every published head, append-only (warehouse/log/witness.py); copy it off-box to trust it.
        return self.root / "airace-witness.jsonl"

    @property
    def raw_dir(self) -> Path:
        return self.root / "raw"

    def ensure(self) -> WarehouseHome:
        self.root.mkdir(parents=True, exist_ok=True)
        return self
