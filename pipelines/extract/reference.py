"""Where the extractor finds the organization registry, without importing the warehouse.

The registry CSV is package data of `warehouse` (warehouse/reference/), but the
extractor must not depend on the warehouse's code (an import contract in
pyproject.toml says so): importing `warehouse` would load DuckDB and the store
just to locate a file. Both packages are installed side by side (the wheel ships
pipelines/, schemas/ and warehouse/ as siblings), so the path is fixed.
"""

from __future__ import annotations

from pathlib import Path

REGISTRY_CSV = Path(__file__).resolve().parents[2] / "warehouse" / "reference" / "organizations.csv"
