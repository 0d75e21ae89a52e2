"""The warehouse's own error, in a module of its own so that readers (warehouse.publishing.timetravel,
`airace sql`) can name it without importing the event store and its schemas."""

from __future__ import annotations


class StoreError(RuntimeError):
    pass
