"""Feed items flow through the article extractor into the review queue, as a Dagster asset."""

import dagster as dg

from pipelines.definitions import defs
from pipelines.defs.extract.assets import FEED_ASSETS
from warehouse.review.candidates import list_candidates


def test_feed_items_become_queued_candidates_once(home, store):
    definitions = defs()
    selection = dg.AssetSelection.assets(*FEED_ASSETS, dg.AssetKey(["extract", "feed_candidates"]))
    job = dg.define_asset_job("feeds_to_candidates", selection=selection).resolve(
        asset_graph=definitions.resolve_asset_graph()
    )
    first = job.execute_in_process(instance=dg.DagsterInstance.ephemeral(), resources=definitions.resources)
    assert first.success
    (materialization,) = first.asset_materializations_for_node("extract__feed_candidates")
    assert materialization.metadata["documents"].value > 0
    queued = materialization.metadata["newly_queued"].value
    assert queued > 0
    pending = list_candidates(store)
    assert len(pending) == queued
    assert all(c.event_type in {"model.launched", "product.released", "allegation.made", "policy.changed"} for c in pending)
    with store.reader() as con:
        log_before = con.execute("select count(*) from events.log where source = 'extractor'").fetchall()
    assert log_before == [(0,)]  # candidates wait for review; nothing enters the log

    second = job.execute_in_process(instance=dg.DagsterInstance.ephemeral(), resources=definitions.resources)
    (again,) = second.asset_materializations_for_node("extract__feed_candidates")
    assert again.metadata["newly_queued"].value == 0
    assert len(list_candidates(store)) == queued
