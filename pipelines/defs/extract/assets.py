import collections

import dagster as dg

from pipelines.defs.resources import WRITER_POOL, WarehouseResource
from pipelines.defs.sources.factory import source_key
from pipelines.extract import extract_feed_item
from pipelines.sources.registry import graph_registry
from warehouse.log.raw import ensure_raw_schema
from warehouse.review.candidates import queue_candidates

FEED_ASSETS = [source_key(s) for s in graph_registry().of_kind("feed", enabled_only=False)]


@dg.asset(
    key=["extract", "feed_candidates"],
    deps=FEED_ASSETS,
    group_name="extract",
    pool=WRITER_POOL,
    kinds={"duckdb", "python"},
)
def feed_candidates(warehouse: WarehouseResource) -> dg.MaterializeResult:
    """Feed items (raw.documents) through the article extractor: the candidate events
    they state go to the review queue (events.candidates), never straight to the log;
    `airace review accept ID` appends one. Re-extracting an item queues nothing new."""
    store = warehouse.store()
    with store.writer(purpose="read feed documents") as con:
        ensure_raw_schema(con)
        documents = con.execute(
            "select title, text, url, published, landed_at from raw.documents order by landed_at, sha256"
        ).fetchall()
    candidates = []
    for title, text, url, published, landed_at in documents:
        extraction = extract_feed_item(title or "", text or "", link=url, published=published, retrieved_at=landed_at)
        candidates.extend(extraction.candidates)
    queued = queue_candidates(store, candidates)
    by_type = collections.Counter(c.event_type for c in candidates)
    return dg.MaterializeResult(
        metadata={
            "documents": dg.MetadataValue.int(len(documents)),
            "candidates": dg.MetadataValue.int(len(candidates)),
            "newly_queued": dg.MetadataValue.int(queued.added),
            "already_queued": dg.MetadataValue.int(queued.already_queued),
            "by_event_type": dg.MetadataValue.json(dict(by_type)),
        }
    )
