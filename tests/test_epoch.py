"""Epoch AI's notable-models table: the mapping, reconciliation of new snapshots, the live zip."""

import hashlib
import io
import zipfile

import polars as pl
import pytest

from pipelines.sources import epoch
from pipelines.sources.curated import SOURCE_NAME as CURATED
from pipelines.sources.curated import curated_records
from pipelines.sources.http import FetchPolicy
from tests.fixtures.sources.helpers import run_table
from tests.http_fixture import Reply
from warehouse.build import refresh
from warehouse.log.reconcile import ReconcileError

FAST = FetchPolicy(timeout_s=5, attempts=2, backoff_base_s=0.01)


@pytest.fixture(scope="module")
def table() -> pl.DataFrame:
    return pl.read_csv(io.BytesIO(epoch.table_bytes(epoch.BUNDLED_SNAPSHOT.read_bytes())), infer_schema=False)


def _zip(frame: pl.DataFrame) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("notable_ai_models.csv", frame.write_csv())
        archive.writestr("all_ai_models.csv", "Model\n")
    return buffer.getvalue()


def _event_types(store, run_id):
    with store.reader() as con:
        return dict(
            con.execute("select event_type, count(*) from events.log where run_id = ? group by all", [run_id]).fetchall()
        )


def test_every_row_is_accounted_for_and_mapped(store):
    result = run_table(store)
    assert result.read == 952
    assert result.appended + result.duplicate + result.quarantined == 952
    assert result.appended >= 940
    refresh(store)
    with store.reader() as con:
        models, with_compute, no_org = con.execute(
            """select count(*), count(training_compute_flop), count(*) filter (where len(organization_ids) = 0)
               from core.models"""
        ).fetchall()[0]
        ((gpt2,),) = con.execute(
            "select struct_pack(parameters, training_compute_flop, open_weights, access, countries) from core.models where model = 'GPT-2 (1.5B)'"
        ).fetchall()
        (zero_compute,) = con.execute("select count(*) from core.models where training_compute_flop = 0").fetchall()[0]
    assert models >= 900 and with_compute >= 500
    assert no_org == 18  # rows without an organization land, with the organization unknown
    assert zero_compute == 0  # empty cells are unknown, never 0
    assert gpt2["parameters"] == 1.5e9 and gpt2["countries"] == ["US"] and gpt2["access"] == "open_weights"


def test_glm_4_6_is_one_chinese_open_model_beside_the_curated_glm_5(store):
    run_table(store)
    store.append(curated_records(), source=CURATED)
    refresh(store)
    with store.reader() as con:
        rows = con.execute(
            """select model_id, launched_on::varchar, countries, organization_ids, open_weights, sources
               from core.models where model_id in ('glm-4-6', 'glm-5') order by model_id"""
        ).fetchall()
    assert rows == [
        ("glm-4-6", "2025-09-30", ["CN"], ["tsinghua", "zhipu-ai"], True, ["curated", "epoch-ai"]),
        ("glm-5", "2026-02-11", ["CN"], ["zhipu-ai"], True, ["curated"]),
    ]


def test_a_changed_snapshot_becomes_corrections_launches_and_a_retraction(store, table, http_server):
    run_table(store)
    changed = table.with_columns(
        pl.when(pl.col("Model") == "GPT-2 (1.5B)")
        .then(pl.lit("2019-02-15"))
        .otherwise(pl.col("Publication date"))
        .alias("Publication date"),
        pl.when(pl.col("Model") == "AlexNet")
        .then(pl.lit("5.0e17"))
        .otherwise(pl.col("Training compute (FLOP)"))
        .alias("Training compute (FLOP)"),
    ).filter(pl.col("Model") != "GLM 4.5")
    added = table.head(2).with_columns(
        pl.Series("Model", ["GLM-5", "Kimi K3"]),
        pl.Series("Organization", ["Zhipu AI", "Moonshot"]),
        pl.Series("Publication date", ["2026-02-11", "2026-06-01"]),
        pl.Series("Country (of organization)", ["China", "China"]),
    )
    newer = pl.concat([added, changed])
    url = http_server.serve("/data/ai_models.zip", Reply(200, _zip(newer), etag='"2026-06"'))

    result = run_table(store, "epoch-ai", url, policy=FAST)
    assert _event_types(store, result.ingest_run_id) == {"event.corrected": 2, "model.launched": 2, "event.retracted": 1}
    assert result.read == len(newer) + 1  # every row, plus the retraction the reconciler wrote
    unchanged = run_table(store, "epoch-ai", url, policy=FAST)
    assert [o.status for o in unchanged.outcomes] == ["304"] and unchanged.ingest_run_id is None  # nothing re-ingested
    assert http_server.hits("/data/ai_models.zip")[1].headers["If-None-Match"] == '"2026-06"'

    refresh(store)
    with store.reader() as con:
        assert con.execute(
            "select launched_on::varchar from core.models where model = 'GPT-2 (1.5B)'"
        ).fetchall() == [("2019-02-15",)]
        assert con.execute(
            "select training_compute_flop from core.models where model = 'AlexNet'"
        ).fetchall() == [(5.0e17,)]
        assert con.execute("select count(*) from core.models where model = 'GLM 4.5'").fetchall() == [(0,)]
        log_before = con.execute("select count(*), max(hash) from events.log").fetchall()

    # Re-ingesting the older (bundled) snapshot after the newer one changes nothing.
    stale = run_table(store)
    assert stale.appended == 0 and stale.duplicate == 952
    with store.reader() as con:
        assert con.execute("select count(*), max(hash) from events.log").fetchall() == log_before
    assert store.verify().ok


def test_a_zip_bomb_is_refused_and_nothing_changes(store, http_server):
    run_table(store)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("notable_ai_models.csv", b"\0" * (epoch.MAX_TABLE_BYTES + 1))
    url = http_server.serve("/bomb.zip", Reply(200, buffer.getvalue()))
    with store.reader() as con:
        before = con.execute("select count(*), max(hash) from events.log").fetchall()
    (failure,) = run_table(store, "epoch-ai", url, policy=FAST).failures
    assert "over the limit" in failure.error
    with store.reader() as con:
        assert con.execute("select count(*), max(hash) from events.log").fetchall() == before


def test_a_truncated_snapshot_retracts_nothing(store, table, tmp_path):
    run_table(store)
    truncated = tmp_path / "truncated.csv"
    truncated.write_text(table.head(300).write_csv())
    with pytest.raises(ReconcileError, match="looks truncated"):
        run_table(store, "epoch-ai", str(truncated))
    assert store.verify().events == 952


def test_unreadable_inputs_are_refused_clearly(store, tmp_path, http_server):
    not_a_table = tmp_path / "other.csv"
    not_a_table.write_text("a,b\n1,2\n")
    url = http_server.serve("/wrong.zip", Reply(200, b"PK\x03\x04 not really a zip"))
    down = http_server.serve("/down.zip", Reply(503))
    for location, reason in ((str(not_a_table), "missing column"), (url, "not a zip"), (down, "HTTP 503")):
        report = run_table(store, "epoch-ai", location, policy=FAST)
        assert [(o.location, o.status) for o in report.outcomes] == [(location, "error")]
        assert reason in report.failures[0].error and report.ingest_run_id is None
    with pytest.raises(epoch.SnapshotError, match="no such file"):
        run_table(store, "epoch-ai", str(tmp_path / "absent.csv"))
    assert store.verify().events == 0


def test_the_same_table_zipped_is_the_same_snapshot_as_the_bundled_gzip(store, http_server):
    """A snapshot is named by its table's CSV, not by what wrapped it: Epoch's live zip holding the
    bundled table is recognised as the snapshot already reconciled, and lands raw as fetched."""
    bundled = run_table(store)
    csv = epoch.table_bytes(epoch.BUNDLED_SNAPSHOT.read_bytes())
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("notable_ai_models.csv", csv)
    url = http_server.serve("/data/ai_models.zip", Reply(200, buffer.getvalue()))
    zipped = run_table(store, "epoch-ai", url, policy=FAST)
    assert (zipped.read, zipped.appended, zipped.duplicate) == (952, 0, 952)
    with store.reader() as con:
        digests = con.execute(
            "select run_id, input_sha256 from events.ingest_runs where source = 'epoch-ai' order by started_at"
        ).fetchall()
        landed = con.execute("select count(*) from raw.fetches where source = 'epoch-ai'").fetchall()
    assert [run for run, _ in digests] == [bundled.ingest_run_id, zipped.ingest_run_id]
    assert digests[0][1] == digests[1][1] == hashlib.sha256(csv).hexdigest()
    assert landed == [(1,)]
