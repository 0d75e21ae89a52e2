"""The log: the append-only, hash-chained events.log and everything that writes or checks it.

Value types at the bottom (records), then the chain, the writer lock, the witness, the
record and bulk (JSON Lines, validated in SQL) append paths, amendments, reconciliation of
a source's snapshot, raw landing, and the store facade (store.EventStore) on top. Nothing
here imports the projections, publishing or the review queue.
"""
