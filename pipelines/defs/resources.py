import dagster as dg

from warehouse import EventStore, WarehouseHome

# Every asset that writes the warehouse runs in this pool; its limit is 1
# (.dagster_home/dagster.yaml), so Dagster never starts two writers at once.
WRITER_POOL = "airace_warehouse_writer"


class WarehouseResource(dg.ConfigurableResource):
    """The airace warehouse: the live DuckDB log and the analysts' snapshot.

    Writes go through the event store's one append path (explicit SQL under a
    cross-process lock), never through an IO manager.
    """

    home: str | None = None
    lock_timeout_s: float = 300.0

    def store(self) -> EventStore:
        return EventStore(WarehouseHome.resolve(self.home), lock_timeout_s=self.lock_timeout_s)


@dg.definitions
def resources() -> dg.Definitions:
    # `home` unset: AIRACE_HOME or warehouse/data, resolved when a run starts.
    return dg.Definitions(resources={"warehouse": WarehouseResource()})
