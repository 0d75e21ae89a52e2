"""`dagster dev` with the project's instance settings: the UI's graph, schedules and sensors, a run launched
through GraphQL, a backfill of the daily lake partitions, and a clean stop by process group."""

from __future__ import annotations

import datetime as dt
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import polars as pl
import pytest

from tests.conftest import launch
from warehouse import EventStore, RawRecord, WarehouseHome
from warehouse.publishing.snapshot import publish_snapshot
from warehouse.publishing.timetravel import open_snapshot

REPO = Path(__file__).resolve().parent.parent
SEEDED_AT = dt.datetime.now(dt.UTC).replace(hour=12, minute=0, second=0, microsecond=0) - dt.timedelta(days=2)
SEEDED = [launch(f"Seeded {i}", "2024-06-01", ref=f"seeded-{i}") for i in range(7)]
BIN = Path(sys.executable).parent
BUDGET_S = 85  # the whole test, server start to stop

REPOSITORIES = """{ repositoriesOrError { __typename
  ... on RepositoryConnection { nodes { name location { name }
      assetNodes { assetKey { path } dependencyKeys { path } isPartitioned }
      schedules { name cronSchedule scheduleState { status } }
      sensors { name sensorState { status } }
      jobs { name } } }
  ... on PythonError { message } } }"""

LAUNCH = """mutation($params: ExecutionParams!) { launchPipelineExecution(executionParams: $params) { __typename
  ... on LaunchRunSuccess { run { runId } }
  ... on PythonError { message }
  ... on RunConfigValidationInvalid { errors { message } }
  ... on InvalidSubsetError { message }
  ... on PipelineNotFoundError { message } } }"""

RUN = """query($runId: ID!) { runOrError(runId: $runId) { __typename ... on Run { status } } }"""

BACKFILL = """mutation($params: LaunchBackfillParams!) { launchPartitionBackfill(backfillParams: $params) { __typename
  ... on LaunchBackfillSuccess { backfillId }
  ... on PythonError { message } } }"""

BACKFILL_STATUS = """query($id: String!) { partitionBackfillOrError(backfillId: $id) { __typename
  ... on PartitionBackfill { status runs(limit: 10) { runId status } } } }"""

POOLS = """{ instance { poolConfig { poolGranularity defaultPoolLimit }
  concurrencyLimits { concurrencyKey slotCount } } }"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    def __init__(self, port: int, deadline: float) -> None:
        self.url = f"http://127.0.0.1:{port}"
        self.deadline = deadline
        self.client = httpx.Client(timeout=20)

    def remaining(self) -> float:
        left = self.deadline - time.monotonic()
        assert left > 0, f"over the {BUDGET_S}s budget"
        return left

    def gql(self, query: str, **variables) -> dict:
        reply = self.client.post(f"{self.url}/graphql", json={"query": query, "variables": variables})
        reply.raise_for_status()
        body = reply.json()
        assert "errors" not in body, body["errors"]
        return body["data"]

    def poll(self, fetch, done, what: str, interval: float = 0.5):
        while True:
            value = fetch()
            if done(value):
                return value
            if time.monotonic() > self.deadline:
                raise AssertionError(f"timed out waiting for {what}; last seen {value}")
            time.sleep(interval)


@pytest.fixture
def dagster_dev(tmp_path):
    dagster_home = tmp_path / "dagster_home"
    dagster_home.mkdir()
    shutil.copy(REPO / ".dagster_home" / "dagster.yaml", dagster_home / "dagster.yaml")
    airace_home = tmp_path / "warehouse"
    # Events recorded two days ago, for the backfill to find.
    store = EventStore(WarehouseHome.resolve(airace_home).ensure())
    store.append([RawRecord(str(i), r) for i, r in enumerate(SEEDED)], source="seeded", recorded_at=SEEDED_AT)
    publish_snapshot(store.home)
    port = _free_port()
    env = {**os.environ, "DAGSTER_HOME": str(dagster_home), "AIRACE_HOME": str(airace_home)}
    log = (tmp_path / "dagster-dev.log").open("w")
    started = time.monotonic()
    # As `make ui` starts it, in its own process group so the webserver, daemon and
    # code servers it spawns all stop with it.
    proc = subprocess.Popen(
        [BIN / "dagster", "dev", "-h", "127.0.0.1", "-p", str(port)],
        cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )
    server = Server(port, started + BUDGET_S)
    try:
        server.poll(
            lambda: _server_info(server, proc, tmp_path), lambda info: info is not None, "dagster dev to answer", 0.25
        )
        yield server, airace_home, dagster_home
    finally:
        _stop_group(proc)
        log.close()
    assert time.monotonic() - started < BUDGET_S + 15


def _server_info(server: Server, proc: subprocess.Popen, tmp_path: Path):
    if proc.poll() is not None:
        raise AssertionError("dagster dev exited:\n" + (tmp_path / "dagster-dev.log").read_text()[-3000:])
    try:
        reply = server.client.get(f"{server.url}/server_info", timeout=2)
        return reply.json() if reply.status_code == 200 else None
    except httpx.HTTPError:
        return None


def _stop_group(proc: subprocess.Popen) -> None:
    pgid = proc.pid  # start_new_session: the group id is the leader's pid
    try:
        os.killpg(pgid, signal.SIGTERM)
    except ProcessLookupError:
        return
    try:
        proc.wait(timeout=3)
    except subprocess.TimeoutExpired:
        pass
    # The daemon and code servers may outlive a graceful stop; nothing of the group may remain.
    try:
        os.killpg(pgid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    proc.wait(timeout=10)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            os.killpg(pgid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.1)
    raise AssertionError(f"process group {pgid} still alive after SIGKILL")


def test_dagster_dev_shows_the_graph_and_runs_it(dagster_dev):
    from pipelines.definitions import defs
    from pipelines.defs.resources import WRITER_POOL

    server, airace_home, dagster_home = dagster_dev

    # The asset graph, schedules and sensors the UI shows: the same as the code defines.
    data = server.gql(REPOSITORIES)["repositoriesOrError"]
    assert data["__typename"] == "RepositoryConnection", data
    (repository,) = data["nodes"]
    keys = {"/".join(node["assetKey"]["path"]) for node in repository["assetNodes"]}
    assert {"events/log", "core/models", "marts/releases_monthly", "snapshot", "lake/log_by_record_day"} <= keys
    definitions = defs()
    assert keys == {key.to_user_string() for key in definitions.resolve_asset_graph().get_all_asset_keys()}
    # Each mart is drawn from exactly the tables its SQL reads (warehouse.projections.lineage), not from every core table.
    upstream = {
        "/".join(node["assetKey"]["path"]): {"/".join(d["path"]) for d in node["dependencyKeys"]}
        for node in repository["assetNodes"]
    }
    assert upstream["marts/catch_up_lag"] == {"core/models", "core/organizations", "marts/frontier_timeline"}
    assert upstream["marts/policy_velocity"] == {"core/policies"}
    assert upstream["marts/allegations_network"] == {"core/allegations"}
    # Schedules start stopped (a laptop does not fetch the web on its own; README "Schedules").
    assert {s["scheduleState"]["status"] for s in repository["schedules"]} == {"STOPPED"}
    schedules = {s["name"]: s for s in repository["schedules"]}
    sensors = {s["name"] for s in repository["sensors"]}
    assert "airace_lake_daily_schedule" in schedules
    assert set(schedules) == {s.name for s in definitions.schedules or []}
    assert sensors == {s.name for s in definitions.sensors or []}
    assert {"airace_build", "airace_lake_daily"} <= {job["name"] for job in repository["jobs"]}

    # The pool limit from the repo's dagster.yaml is what this instance applies.
    pools = server.gql(POOLS)["instance"]["poolConfig"]
    assert pools == {"poolGranularity": "op", "defaultPoolLimit": 1}

    # Launch the build through GraphQL, as the UI's "Materialize all" does, and, at the
    # same time, a backfill of two past record days of the lake (one holds the events
    # seeded before the server started); the daemon runs both.
    selector = {
        "repositoryLocationName": repository["location"]["name"],
        "repositoryName": repository["name"],
    }
    launched = server.gql(
        LAUNCH,
        params={
            "selector": {**selector, "pipelineName": "airace_build"},
            # One process for all steps: the same graph, without a process start per step.
            "runConfigData": {"execution": {"config": {"in_process": {}}}},
        },
    )["launchPipelineExecution"]
    assert launched["__typename"] == "LaunchRunSuccess", launched
    seeded_day = SEEDED_AT.date().isoformat()
    next_day = (SEEDED_AT + dt.timedelta(days=1)).date().isoformat()
    backfill = server.gql(
        BACKFILL,
        params={
            "partitionNames": [seeded_day, next_day],
            "assetSelection": [{"path": ["lake", "log_by_record_day"]}],
            "fromFailure": False,
        },
    )["launchPartitionBackfill"]
    assert backfill["__typename"] == "LaunchBackfillSuccess", backfill

    status = server.poll(
        lambda: server.gql(RUN, runId=launched["run"]["runId"])["runOrError"]["status"],
        lambda s: s in {"SUCCESS", "FAILURE", "CANCELED"},
        "the build run",
    )
    assert status == "SUCCESS"
    with open_snapshot(WarehouseHome.resolve(airace_home)) as con:
        sources = {row[0] for row in con.execute("select distinct source from events.ingest_runs").fetchall()}
    assert {"seeded", "curated", "epoch-ai"} <= sources, "the run built and published the whole warehouse"
    limits = server.gql(POOLS)["instance"]["concurrencyLimits"]
    assert {"concurrencyKey": WRITER_POOL, "slotCount": 1} in limits, limits

    done = server.poll(
        lambda: server.gql(BACKFILL_STATUS, id=backfill["backfillId"])["partitionBackfillOrError"],
        lambda b: b["status"] not in {"REQUESTED", "CANCELING", "FAILING"},
        "the backfill",
    )
    assert done["status"] == "COMPLETED_SUCCESS", done
    assert len(done["runs"]) == 1, "single-run backfill policy: one run for the range"
    lake = airace_home / "lake" / "events" / "log_by_record_day"
    assert sorted(p.name for p in lake.iterdir()) == [f"record_day={seeded_day}"], "a day without appends has no folder"
    seeded = pl.read_parquet(lake / f"record_day={seeded_day}")
    assert seeded.height == len(SEEDED) and set(seeded["source_ref"]) == {r["source_ref"] for r in SEEDED}

    # The instance keeps its state in DAGSTER_HOME.
    assert (dagster_home / "storage").is_dir() and (dagster_home / "history").is_dir()

