"""airace warehouse: the event store, projections, marts and snapshot. No Dagster here."""

from warehouse.home import WarehouseHome
from warehouse.store import EventStore, IngestResult, RawRecord, VerifyReport

__all__ = ["EventStore", "IngestResult", "RawRecord", "VerifyReport", "WarehouseHome"]
