"""Epoch AI's Capabilities Index (source epoch-eci): every row kept and accounted for, an
upstream re-fit becoming corrections (served by a real HTTP server), and each model
version linked to its model through the identity rules every source shares."""

import datetime as dt
import io
import json
import time
import zipfile

import polars as pl
import pytest
from typer.testing import CliRunner

from pipelines.cli import app
from pipelines.sources import epoch, epoch_eci
from pipelines.sources.curated import SOURCE_NAME as CURATED
from pipelines.sources.curated import curated_records
from tests.fixtures.sources.helpers import run_table
from tests.http_fixture import Reply
from warehouse import RawRecord
from warehouse.build import refresh, refresh_and_publish

ECI = epoch_eci.CAPABILITIES
runner = CliRunner()


@pytest.fixture(scope="module")
def table() -> pl.DataFrame:
    return pl.read_csv(io.BytesIO(epoch.table_bytes(ECI.bundled.read_bytes())), infer_schema=False)


def _zip(frame: pl.DataFrame) -> bytes:
    """Epoch's benchmark zip: one CSV per benchmark, the index among them (in a folder)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("benchmark_data/gpqa_diamond.csv", "Model version,Best score\n")
        archive.writestr("benchmark_data/epoch_capabilities_index.csv", frame.write_csv())
    return buffer.getvalue()


def _cli(*args: str) -> str:
    result = runner.invoke(app, list(args), catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output


def _sql(home, query: str, *options: str) -> list[dict]:
    output = _cli("sql", query, "--home", str(home.root), "--format", "json", *options)
    return [json.loads(line) for line in output.splitlines() if line.startswith("{")]


def test_every_row_is_kept_and_accounted_for(store, table):
    result = run_table(store, "epoch-eci")
    assert result.read == len(table) == 513
    assert result.appended == 513 and result.duplicate == 0 and result.quarantined == 0
    refresh(store)
    with store.reader() as con:
        rows, scored, undated, zero = con.execute(
            """select count(*), count(score), count(*) filter (where released_on is null),
                      count(*) filter (where score = 0 or training_compute_flop = 0)
               from core.capability_scores"""
        ).fetchall()[0]
        versions = con.execute("select count(distinct model_version) from core.capability_scores").fetchall()[0][0]
        gpt5_high = con.execute(
            """select struct_pack(score, released_on, countries, organization_ids, open_weights, access, confidence)
               from core.capability_scores where model_version = 'gpt-5-2025-08-07_high'"""
        ).fetchall()[0][0]
    # Rows without a score or a date are kept; an empty cell is unknown, never 0.
    assert (rows, versions, scored, undated, zero) == (513, 513, 265, 22, 0)
    assert gpt5_high == {"score": 150.0, "released_on": dt.date(2025, 8, 7), "countries": ["US"],
                         "organization_ids": ["openai"], "open_weights": False, "access": "api",
                         "confidence": "Speculative"}  # fmt: skip
    # The same table again adds nothing.
    again = run_table(store, "epoch-eci")
    assert (again.appended, again.duplicate) == (0, 513)


def test_an_unreadable_cell_is_quarantined_with_its_reason(store, table, tmp_path):
    bad = table.head(3).with_columns(pl.Series("ECI Score", ["about 150", "140.5", None]))
    path = tmp_path / "eci.csv"
    path.write_text(bad.write_csv())
    result = run_table(store, "epoch-eci", str(path))
    assert (result.read, result.appended, result.quarantined) == (3, 2, 1)
    with store.reader() as con:
        ((ref, reason),) = con.execute("select record_ref, reason from events.quarantine").fetchall()
    assert "row 2" in ref and "score" in reason


def test_versions_link_to_their_model_through_the_shared_identity(store):
    store.append(curated_records(), source=CURATED)
    run_table(store)
    run_table(store, "epoch-eci")
    # A version whose name is a known model's but whose developer is not that model's.
    store.append([RawRecord("impostor", {
        "event_type": "capability.scored", "occurred_at": "2026-03-01", "source": "test", "source_ref": "impostor",
        "payload": {"index": "ECI", "model_version": "glm-5-by-someone-else", "model": "GLM-5",
                    "organizations": ["OpenAI"], "score": 120.5}})], source="test")  # fmt: skip
    refresh(store)
    with store.reader() as con:
        links = dict(con.execute(
            """select model_version, model_id from core.capability_scores
               where model_version in ('gpt-5-2025-08-07_high', 'gpt-5-2025-08-07_medium', 'glm-5')"""
        ).fetchall())
        glm5 = con.execute("select model_id, sources from core.models where model_id like 'glm-5%'").fetchall()
        gpt5 = con.execute(
            "select best_model_version, best_score, scored_versions from core.model_capability where model_id = 'gpt-5'"
        ).fetchall()
        impostor = con.execute(
            "select model_name, reason from core.capability_unlinked where model_version = 'glm-5-by-someone-else'"
        ).fetchall()
        by_alias = con.execute(
            "select model_id from core.capability_scores where model_version = 'claude-3-5-sonnet-20241022'"
        ).fetchall()
        unaccounted = con.execute(
            """select count(*) from core.capability_scores s
               where score is not null and not (
                   model_id in (select model_id from core.models)
                   or event_id in (select event_id from core.capability_unlinked where reason like 'unlinked: %'))"""
        ).fetchall()[0][0]
    # GPT-5's reasoning efforts are one model; ECI's GLM-5 is the curated GLM-5.
    assert links == {"gpt-5-2025-08-07_high": "gpt-5", "gpt-5-2025-08-07_medium": "gpt-5", "glm-5": "glm-5"}
    assert glm5 == [("glm-5", ["curated"])]
    assert gpt5[0][1] == 150.0 and gpt5[0][2] >= 4
    assert impostor == [("GLM-5", "unlinked: the model of that name has other developers")]
    assert by_alias == [("claude-3-5-sonnet",)]  # "Claude 3.5 Sonnet (October 2024)", through model_aliases.csv
    assert unaccounted == 0


def test_a_refit_served_over_http_becomes_corrections_and_the_past_stays_readable(store, table, http_server):
    run_table(store, "epoch-eci")
    refresh_and_publish(store)
    before_refit = dt.datetime.now(dt.UTC)
    time.sleep(0.01)

    # Epoch re-fits the index: every score moves, 40 versions get their first score, two
    # versions appear and one vanishes.
    scored = pl.col("ECI Score").is_not_null()
    first_scored = table.filter(~scored)["Model version"].head(40)
    refit = table.with_columns(
        pl.when(scored).then((pl.col("ECI Score").cast(pl.Float64) + 0.25).cast(pl.String))
        .when(pl.col("Model version").is_in(first_scored.implode())).then(pl.lit("101.5"))
        .otherwise(pl.col("ECI Score"))
        .alias("ECI Score")
    ).filter(pl.col("Model version") != "gpt-4-0314")
    changed = refit.filter(pl.col("ECI Score").is_not_null()).height
    added = table.head(2).with_columns(
        pl.Series("Model version", ["glm-5.1", "kimi-k3_thinking"]),
        pl.Series("ECI Score", ["155.5", None]),
    )
    newer = pl.concat([added, refit])
    url = http_server.serve("/data/benchmark_data.zip", Reply(200, _zip(newer), etag='"2026-03"'))

    _cli("ingest", "--source", "epoch-eci", url, "--home", str(store.home.root))
    with store.reader() as con:
        (run_id,) = con.execute("select run_id from events.ingest_runs order by started_at desc limit 1").fetchall()[0]
        kinds = dict(con.execute(
            "select event_type, count(*) from events.log where run_id = ? group by all", [run_id]).fetchall())
        read, appended, duplicate, quarantined = con.execute(
            "select records_read, appended, duplicate, quarantined from events.ingest_runs where run_id = ?", [run_id]
        ).fetchall()[0]
    # Exactly the changed rows are corrected (the 22 undated rows keep their day); a re-fit
    # of 300 rows is not mistaken for a truncated table (only vanished rows count for that).
    assert changed == 264 + 40
    assert kinds == {"event.corrected": changed, "capability.scored": 2, "event.retracted": 1}
    assert read == len(newer) + 1 == appended + duplicate + quarantined and quarantined == 0

    # The second fetch is a conditional GET answered 304: nothing re-ingested.
    assert "304" in _cli("ingest", "--source", "epoch-eci", url, "--home", str(store.home.root))
    assert http_server.hits("/data/benchmark_data.zip")[1].headers["If-None-Match"] == '"2026-03"'

    score = "select score, released_on::varchar as released_on from core.capability_scores where model_version = '{}'"
    assert _sql(store.home, score.format("gpt-5-2025-08-07_high")) == [{"score": 150.25, "released_on": "2025-08-07"}]
    assert _sql(store.home, score.format("gpt-5-2025-08-07_high"), "--as-of", before_refit.isoformat()) == [
        {"score": 150.0, "released_on": "2025-08-07"}
    ]
    newly = first_scored[0]
    assert _sql(store.home, score.format(newly)) == [{"score": 101.5, "released_on": _day(table, newly)}]
    assert _sql(store.home, score.format(newly), "--as-of", before_refit.isoformat()) == [
        {"score": None, "released_on": _day(table, newly)}
    ]
    assert _sql(store.home, score.format("gpt-4-0314")) == []
    assert len(_sql(store.home, score.format("gpt-4-0314"), "--as-of", before_refit.isoformat())) == 1

    # Re-ingesting the older (bundled) snapshot after the newer one changes nothing.
    with store.reader() as con:
        log_before = con.execute("select count(*), max(position) from events.log").fetchall()
    stale = run_table(store, "epoch-eci")
    assert stale.appended == 0
    with store.reader() as con:
        assert con.execute("select count(*), max(position) from events.log").fetchall() == log_before
    assert store.verify().ok


def _day(frame: pl.DataFrame, version: str) -> str | None:
    return frame.filter(pl.col("Model version") == version)["Release date"][0]



def test_the_asset_takes_a_file_named_in_its_run_config(store, table, tmp_path):
    """The asset's `location` config (as `airace ingest --source epoch-eci PATH`): a file named
    by hand goes through the same runner; a path that is not there fails the step, saying so."""
    from pipelines.defs.sources.factory import source_asset
    from pipelines.sources.registry import graph_registry
    from tests.fixtures.sources.helpers import materialize, step_failed

    asset = source_asset(graph_registry().get("epoch-eci"))
    path = tmp_path / "eci.csv"
    path.write_text(table.head(5).write_csv())
    named = materialize([asset], store.home, run_config={"ops": {"epoch_capabilities": {"config": {"location": str(path)}}}})
    metadata = {k: v.value for k, v in named.asset_materializations_for_node("epoch_capabilities")[0].metadata.items()}
    assert (metadata["http_status"], metadata["records_read"], metadata["appended"]) == ("offline", 5, 5)
    absent = materialize([asset], store.home, run_config={"ops": {"epoch_capabilities": {"config": {"location": str(tmp_path / "gone.csv")}}}})
    assert "gone.csv: no such file" in step_failed(absent, "epoch_capabilities")
