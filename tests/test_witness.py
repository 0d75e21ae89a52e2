"""Tamper evidence: a local writer who rewrites or cuts the log, or edits the snapshot,
is caught by `airace verify` (against the witness of published heads), and the next
build refuses to publish the rewritten log."""

from __future__ import annotations

import json

import duckdb
import pyarrow as pa
import pytest
from typer.testing import CliRunner

from pipelines.cli import app
from tests.conftest import launch
from warehouse import EventStore, RawRecord
from warehouse.build import refresh_and_publish
from warehouse.errors import StoreError
from warehouse.log.chain import GENESIS_HASH, ROW_DIGEST_SQL, chain
from warehouse.publishing.export import MANIFEST, export_parquet

runner = CliRunner()


def _append_run(store: EventStore, prefix: str, n: int) -> None:
    records = [launch(f"{prefix}-{i}", f"2025-0{1 + i % 9}-1{i % 10}", ref=f"{prefix}-{i}") for i in range(n)]
    store.append([RawRecord(f"{prefix} {i}", r) for i, r in enumerate(records)], source=prefix)


@pytest.fixture
def published(store: EventStore) -> EventStore:
    """Two runs (positions 1..20, 21..30), published once each: two witnessed heads."""
    _append_run(store, "first", 20)
    refresh_and_publish(store)
    _append_run(store, "second", 10)
    refresh_and_publish(store)
    return store


def _verify(store: EventStore):
    return runner.invoke(app, ["verify", "--home", str(store.home.root)])


def _rewrite_chain_from(db, position: int) -> None:
    """What a writer with the project's own functions can do: edit one row's payload,
    then recompute its hash and every later one so the chain verifies again."""
    con = duckdb.connect(str(db))
    try:
        con.execute("set TimeZone = 'UTC'")
        con.execute(
            """update events.log set payload = json_merge_patch(payload, '{"parameters": 1}')
               where position = ?""",
            [position],
        )
        rows = con.execute(
            f"select position, {ROW_DIGEST_SQL} from events.log where position >= ? order by position", [position]
        ).fetchall()
        previous = con.execute("select hash from events.log where position = ?", [position - 1]).fetchall()
        prev_hash = previous[0][0] if previous else GENESIS_HASH
        hashes = chain(prev_hash, [digest for _, digest in rows])
        con.register(
            "_new",
            pa.table({
                "position": [p for p, _ in rows],
                "prev_hash": [prev_hash, *hashes[:-1]],
                "hash": hashes,
            }),
        )
        con.execute(
            "update events.log l set prev_hash = n.prev_hash, hash = n.hash from _new n where l.position = n.position"
        )
    finally:
        con.close()


def test_the_witness_holds_every_published_head(published):
    heads = [json.loads(line) for line in published.home.witness_file.read_text().splitlines()]
    assert [h["position"] for h in heads] == [20, 30]
    with duckdb.connect(str(published.home.snapshot_db), read_only=True) as con:
        assert con.execute("select hash from events.log where position = 30").fetchall() == [(heads[-1]["hash"],)]
    result = _verify(published)
    assert result.exit_code == 0, result.output
    assert "witnessed head (up to position 30)" in result.output
    assert "witnessed publication" in result.output


def test_a_rewritten_chain_fails_verify_naming_the_row_and_is_never_published(published):
    _rewrite_chain_from(published.home.live_db, 7)
    # The chain alone cannot tell: it verifies.
    from warehouse.log.chain import verify as chain_only

    with published.reader() as con:
        assert chain_only(con).ok

    result = _verify(published)
    assert result.exit_code == 1
    assert "BROKEN" in result.output and "at position 7" in result.output
    assert "position 20 holds hash" in result.output  # the first witnessed head that no longer matches

    snapshot_before = published.home.snapshot_db.read_bytes()
    with pytest.raises(StoreError, match="disagrees with the witness at position 20"):
        refresh_and_publish(published)
    assert published.home.snapshot_db.read_bytes() == snapshot_before
    assert len(published.home.witness_file.read_text().splitlines()) == 2  # nothing new witnessed


def test_a_truncated_chain_fails_verify_naming_where_it_was_cut(published):
    # Remove the last run whole: its rows and its run record, so chain and accounting agree.
    with duckdb.connect(str(published.home.live_db)) as con:
        run_id = con.execute("select run_id from events.log where position = 30").fetchall()[0][0]
        con.execute("delete from events.log where run_id = ?", [run_id])
        con.execute("delete from events.ingest_runs where run_id = ?", [run_id])
    result = _verify(published)
    assert result.exit_code == 1
    assert "at position 21" in result.output
    assert "the log ends at position 20, but position 30 was witnessed" in result.output
    with pytest.raises(StoreError, match="disagrees with the witness"):
        refresh_and_publish(published)


@pytest.mark.parametrize(
    ("edit", "expected"),
    [
        ("update events.log set payload = '{}' where position = 3", "does not verify at position 3"),
        ("delete from core.models where true", "a table was edited after publication"),
    ],
)
def test_an_edited_snapshot_fails_verify(published, edit, expected):
    with duckdb.connect(str(published.home.snapshot_db)) as con:
        con.execute(edit)
        con.execute("checkpoint")
    result = _verify(published)
    assert result.exit_code == 1, result.output
    assert expected in " ".join(result.output.split())


def test_a_snapshot_rebuilt_from_a_rewritten_log_is_not_a_witnessed_head(published, tmp_path):
    # Rewrite a copy of the live file and put it in place of the snapshot, as a writer
    # bypassing `publish` would: its chain verifies, its head was never witnessed.
    forged = tmp_path / "forged.duckdb"
    forged.write_bytes(published.home.live_db.read_bytes())
    _rewrite_chain_from(forged, 25)
    published.home.snapshot_db.write_bytes(forged.read_bytes())
    result = _verify(published)
    assert result.exit_code == 1
    assert "a head that was never witnessed" in " ".join(result.output.split())


def test_a_snapshot_without_a_witness_fails_verify(published):
    published.home.witness_file.unlink()
    result = _verify(published)
    assert result.exit_code == 1
    assert "was never witnessed" in " ".join(result.output.split())


def test_the_export_manifest_carries_the_witnessed_head(published, tmp_path):
    export_parquet(published.home, tmp_path / "lake")
    manifest = json.loads((tmp_path / "lake" / MANIFEST).read_text())
    last = json.loads(published.home.witness_file.read_text().splitlines()[-1])
    assert manifest["head_position"] == 30
    assert manifest["witnessed"] == last and manifest["witnessed"]["hash"] == manifest["head_hash"]


def test_the_dagster_build_witnesses_its_snapshot_and_refuses_a_rewritten_log(home):
    import dagster as dg

    from pipelines.definitions import defs
    from pipelines.defs.jobs import BUILD_JOB_NAME
    from pipelines.defs.warehouse.assets import CHAIN_CHECK

    job = defs().resolve_job_def(BUILD_JOB_NAME)
    first = job.execute_in_process(instance=dg.DagsterInstance.ephemeral())
    assert first.success
    metadata = first.asset_materializations_for_node("snapshot")[0].metadata
    witnessed = json.loads(home.witness_file.read_text().splitlines()[-1])
    assert metadata["head_position"].value == witnessed["position"] > 1000
    assert metadata["head_hash"].value == witnessed["hash"]
    assert metadata["snapshot_sha256"].value == witnessed["snapshot_sha256"]

    _rewrite_chain_from(home.live_db, 42)
    snapshot_before = home.snapshot_db.read_bytes()
    second = job.execute_in_process(instance=dg.DagsterInstance.ephemeral(), raise_on_error=False)
    assert not second.success
    [chain_check] = [
        e.event_specific_data for e in second.all_events
        if e.event_type_value == "ASSET_CHECK_EVALUATION" and e.event_specific_data.check_name == CHAIN_CHECK
    ]
    assert not chain_check.passed and chain_check.metadata["first_bad_position"].value == 42
    assert home.snapshot_db.read_bytes() == snapshot_before
