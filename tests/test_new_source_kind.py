"""A new kind of source is one class plus a registry entry.

The kind below (a JSON API of model releases, paged by a `next` link in the body)
is defined here and nowhere else in airace: no asset, schedule, job or list is
edited for it. With its registry entry it is fetched, landed raw, parsed,
appended, and is a Dagster asset with a daily schedule in the real definitions.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from dataclasses import dataclass
from pathlib import Path
from typing import Literal
from urllib.parse import urljoin

from pipelines.sources.kind import Location, Page, Paginator, Parsed, SourceError, SourceKind, register_kind
from pipelines.sources.registry import HttpUrl, SourceEntry, load_registry
from pipelines.sources.runner import run_source
from tests.fixtures.sources.helpers import FAST_FETCH, override, query
from tests.http_fixture import Reply
from warehouse.log.store import RawRecord

REPO = Path(__file__).resolve().parent.parent


class ReleasesEntry(SourceEntry):
    """`[sources.NAME]` with `kind = "toy_releases_api"`."""

    kind: Literal["toy_releases_api"]
    url: HttpUrl
    organization: str
    max_pages: int = 5


@dataclass(frozen=True)
class NextInBody(Paginator):
    """This API names its next page in the body: {"releases": [...], "next": "/path"}."""

    max_pages: int = 5

    def next_url(self, page: Page) -> str | None:
        following = json.loads(page.content).get("next")
        return urljoin(page.url, following) if following else None


@register_kind
class ReleasesApi(SourceKind):
    name = "toy_releases_api"
    entry = ReleasesEntry
    formats = frozenset({"json"})
    accept = "application/json"

    def locations(self, entry: ReleasesEntry) -> list[Location]:
        return [Location(ref=entry.url, url=entry.url)]

    def parse(self, entry: ReleasesEntry, location: Location, content: bytes, page: int) -> Parsed:
        try:
            releases = json.loads(content)["releases"]
        except (ValueError, KeyError, TypeError) as exc:
            raise SourceError(f"not a releases page: {exc!r}") from None
        return Parsed(records=tuple(
            RawRecord(f"page {page} item {n}", {
                "event_type": "model.launched", "schema_version": 2, "occurred_at": r["date"],
                "occurred_precision": "day", "source": entry.name, "source_url": r["url"], "source_ref": r["id"],
                "payload": {"model": r["model"], "organizations": [entry.organization]},
            })
            for n, r in enumerate(releases, start=1)
        ))

    def paginator(self, entry: ReleasesEntry) -> Paginator:
        return NextInBody(max_pages=entry.max_pages)


def _release(n: int, day: str) -> dict:
    return {"id": f"toy-{n}", "model": f"Toy {n}", "date": day, "url": f"https://toy.example/releases/{n}"}


def _serve_two_pages(server) -> str:
    server.serve("/releases/2", Reply(200, json.dumps({"releases": [_release(3, "2025-03-01")]}).encode()))
    return server.serve("/releases", Reply(200, json.dumps(
        {"releases": [_release(1, "2025-01-01"), _release(2, "2025-02-01")], "next": "/releases/2"}
    ).encode(), etag='"p1"'))


def _register(tmp_path, monkeypatch, url: str) -> None:
    override(tmp_path, monkeypatch, f"""[sources.toy-releases]
kind = "toy_releases_api"
url = "{url}"
organization = "Toy Lab"
schedule = "30 6 * * *"
{FAST_FETCH}
""")


def test_a_toy_kind_is_fetched_page_by_page_landed_raw_parsed_and_appended(store, http_server, tmp_path, monkeypatch):
    _register(tmp_path, monkeypatch, _serve_two_pages(http_server))
    entry = load_registry(store.home).get("toy-releases")
    assert isinstance(entry, ReleasesEntry)

    report = run_source(store, entry, live=True, run_id="toy-1")
    assert [o.status for o in report.outcomes] == ["200", "200"] and not report.failures
    assert (report.read, report.appended, report.quarantined) == (3, 3, 0)
    assert query(store.home, "select payload ->> '$.model' from events.log order by occurred_at") == [
        ("Toy 1",), ("Toy 2",), ("Toy 3",)]
    fetched = query(store.home, "select url, http_status, path from raw.fetches where source = 'toy-releases' "
                                "order by fetched_at")
    assert [(url, status) for url, status, _ in fetched] == [
        (http_server.url("/releases"), 200), (http_server.url("/releases/2"), 200)]
    # Landed raw: each page's bytes as served, under its content hash.
    assert [json.loads(Path(path).read_bytes())["releases"][0]["id"] for _, _, path in fetched] == ["toy-1", "toy-3"]

    again = run_source(store, entry, live=True, run_id="toy-2")
    assert [o.status for o in again.outcomes] == ["304"] and again.ingest_run_id is None
    assert query(store.home, "select count(*) from events.log") == [(3,)]


def test_a_page_that_is_not_the_api_fails_that_location_and_keeps_the_pages_before_it(store, http_server, tmp_path,
                                                                                     monkeypatch):
    http_server.serve("/releases/2", Reply(200, b"<html>maintenance</html>"))
    url = http_server.serve("/releases", Reply(200, json.dumps(
        {"releases": [_release(1, "2025-01-01")], "next": "/releases/2"}).encode()))
    _register(tmp_path, monkeypatch, url)
    report = run_source(store, load_registry(store.home).get("toy-releases"), live=True)
    assert [o.status for o in report.outcomes] == ["200", "error"]
    assert report.failures[0].error.startswith(http_server.url("/releases/2") + ": not a releases page")
    assert report.appended == 1


def test_the_toy_kind_is_a_dagster_asset_with_a_schedule_in_the_real_definitions(home, http_server, tmp_path,
                                                                                 monkeypatch):
    _register(tmp_path, monkeypatch, _serve_two_pages(http_server))
    # A fresh process: the definitions are built once per process from the registry, as `dagster dev` does.
    script = textwrap.dedent("""
        import datetime as dt, json
        import dagster as dg
        import tests.test_new_source_kind  # the kind registers itself on import
        from pipelines.definitions import defs

        definitions = defs()
        schedule = definitions.get_schedule_def("toy_releases_daily")
        with dg.build_schedule_context(scheduled_execution_time=dt.datetime(2026, 1, 2, 6, 30, tzinfo=dt.UTC)) as c:
            request = schedule.evaluate_tick(c).run_requests[0]
        job = definitions.resolve_job_def(schedule.job_name)
        result = job.execute_in_process(run_config=request.run_config, asset_selection=request.asset_selection,
                                        tags=request.tags, instance=dg.DagsterInstance.ephemeral())
        [materialization] = result.asset_materializations_for_node("toy_releases")
        print(json.dumps({
            "cron": schedule.cron_schedule, "job": schedule.job_name, "run_key": request.run_key,
            "success": result.success, "asset": materialization.asset_key.to_user_string(),
            "appended": materialization.metadata["appended"].value,
            "mode": materialization.metadata["mode"].value,
        }))
    """)
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    done = subprocess.run([sys.executable, "-c", script], cwd=REPO, env=env, capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    seen = json.loads(done.stdout.strip().splitlines()[-1])
    assert seen == {"cron": "30 6 * * *", "job": "http_sources", "run_key": "toy-releases:2026-01-02",
                    "success": True, "asset": "toy_releases", "appended": 3, "mode": "live"}
    assert query(home, "select count(*) from events.log where source = 'toy-releases'") == [(3,)]


def test_airace_ingest_source_runs_the_toy_kind_through_the_same_runner(home, http_server, tmp_path, monkeypatch):
    from typer.testing import CliRunner

    from pipelines.cli import app

    _register(tmp_path, monkeypatch, _serve_two_pages(http_server))
    cli = CliRunner()
    first = cli.invoke(app, ["ingest", "--source", "toy-releases", "--home", str(home.root), "--no-refresh"])
    assert first.exit_code == 0, first.output
    assert "toy-releases (live)" in first.output and "200" in first.output
    assert query(home, "select count(*) from events.log where source = 'toy-releases'") == [(3,)]
    refused = cli.invoke(app, ["ingest", "--source", "toy-releases", "--home", str(home.root), "extra.jsonl"])
    assert refused.exit_code == 2 and "give no inputs" in refused.output
