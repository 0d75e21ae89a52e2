"""airace warehouse: the event store, projections, marts and snapshot. No Dagster here."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from warehouse.home import WarehouseHome
    from warehouse.log.records import IngestResult, RawRecord, VerifyReport
    from warehouse.log.store import EventStore

__all__ = ["EventStore", "IngestResult", "RawRecord", "VerifyReport", "WarehouseHome"]

# Imported when first used: the event store pulls in the event schemas (pydantic), which a
# reader of the snapshot (`airace sql`) does not need and should not wait for.
_HOMES = {
    "EventStore": "warehouse.log.store",
    "IngestResult": "warehouse.log.records",
    "RawRecord": "warehouse.log.records",
    "VerifyReport": "warehouse.log.records",
    "WarehouseHome": "warehouse.home",
}


def __getattr__(name: str) -> object:
    if name in _HOMES:
        return getattr(importlib.import_module(_HOMES[name]), name)
    raise AttributeError(f"module 'warehouse' has no attribute {name!r}")
