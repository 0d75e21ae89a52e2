"""Open-weight model launches from a Hugging Face Hub style model listing.

`GET {api_url}?author=ORG&sort=createdAt&direction=-1&limit=N` returns a JSON list
of repositories, newest first; the next page is named by the `Link: <…>; rel="next"`
response header. Each repository becomes one `model.launched` (natural key: the
repo id), dated by `createdAt` at day precision, open weights, the organization
mapped from the author by the registry (`deepseek-ai` -> DeepSeek). Listing pages
are windows, not full snapshots, so nothing is ever retracted from here.

Offline there is nothing bundled (no recorded listing would stay true for long):
the source is skipped unless the registry names an `offline_default` folder of
`<author>.json` pages.
"""

from __future__ import annotations

import datetime as dt
import json
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from pipelines.sources.http import FetchPolicy, Landed, fetch_and_land
from pipelines.sources.kind import (
    LinkHeaderPaginator,
    Location,
    Paginator,
    Parsed,
    SourceError,
    SourceKind,
    register_kind,
)
from pipelines.sources.registry import HubSource
from warehouse.log.store import RawRecord


class HubError(SourceError):
    """A listing page is not what the API returns (not a JSON list of repositories)."""


def listing_url(api_url: str, author: str, page_size: int) -> str:
    query = urlencode({"author": author, "sort": "createdAt", "direction": "-1", "limit": page_size})
    return f"{api_url}?{query}"


def fetch_page(
    store, source: str, url: str, *, policy: FetchPolicy, sleep: Callable[[float], None] = time.sleep
) -> Landed:
    """One listing page, fetched conditionally and landed raw; `next_url` from its Link header."""
    return fetch_and_land(store, source, url, policy=policy, sleep=sleep, accept="application/json")


def parse_page(content: bytes) -> list[Any]:
    try:
        data = json.loads(content)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise HubError(f"not JSON: {exc}") from None
    if not isinstance(data, list):
        raise HubError(f"expected a JSON list of repositories, got {type(data).__name__}")
    return data


def repo_record(
    repo: Any, *, author: str, organization: str, source: str, model_page_url: str, ref: str
) -> RawRecord:
    """One repository -> one open-weight model.launched (or a record the store quarantines)."""
    if not isinstance(repo, dict):
        return RawRecord(ref, json.dumps(repo), error=f"expected a repository object, got {type(repo).__name__}")
    repo_id = repo.get("id") or repo.get("modelId")
    created = repo.get("createdAt")
    problem = None
    if not isinstance(repo_id, str) or "/" not in repo_id:
        problem = f"no repository id ('author/name'): {repo_id!r}"
    elif repo_id.split("/", 1)[0].lower() != author.lower():
        problem = f"repository {repo_id!r} is not under the author {author!r}"
    elif not isinstance(created, str):
        problem = f"{repo_id}: no createdAt"
    elif repo.get("private"):
        problem = f"{repo_id}: private repository, not an open-weight release"
    if problem is None:
        try:
            day = dt.datetime.fromisoformat(created.replace("Z", "+00:00")).astimezone(dt.UTC).date()
        except ValueError:
            problem = f"{repo_id}: createdAt {created!r} is not an ISO date-time"
    if problem is not None:
        return RawRecord(ref, json.dumps(repo, ensure_ascii=False), error=problem)
    payload: dict[str, Any] = {
        "model": repo_id.split("/", 1)[1],
        "organizations": [organization],
        "open_weights": True,
        "access": "open_weights",
        "access_detail": "gated" if repo.get("gated") else None,
    }
    if isinstance(repo.get("pipeline_tag"), str):
        payload["tasks"] = [repo["pipeline_tag"]]
    return RawRecord(
        ref,
        {
            "event_type": "model.launched",
            "schema_version": 2,
            "occurred_at": day.isoformat(),
            "occurred_precision": "day",
            "source": source,
            "source_url": f"{model_page_url.rstrip('/')}/{repo_id}",
            "source_ref": repo_id,
            "payload": {k: v for k, v in payload.items() if v is not None},
        },
    )


def page_records(
    content: bytes, *, author: str, organization: str, source: str, model_page_url: str, page_ref: str
) -> Iterator[RawRecord]:
    for number, repo in enumerate(parse_page(content), start=1):
        yield repo_record(
            repo, author=author, organization=organization, source=source, model_page_url=model_page_url,
            ref=f"{page_ref} item {number}",
        )


def offline_pages(folder: Path, author: str) -> list[Path]:
    """Bundled listing pages of an author: `<author>.json`, `<author>.2.json`, …"""
    return sorted(folder.glob(f"{author}.json")) + sorted(folder.glob(f"{author}.*.json"))


@register_kind
class HubKind(SourceKind):
    """A Hugging Face Hub style model listing: one open-weight model.launched per repository."""

    name = "hf_hub"
    entry = HubSource
    accept = "application/json"
    formats = frozenset({"json"})

    def locations(self, entry: HubSource) -> list[Location]:
        folder = entry.offline_path()
        return [
            Location(ref=f"{entry.name}:{author}", url=listing_url(entry.api_url, author, entry.page_size),
                     offline=tuple(offline_pages(folder, author)) if folder else (), context=(author, organization))
            for author, organization in entry.authors.items()
        ]

    def parse(self, entry: HubSource, location: Location, content: bytes, page: int) -> Parsed:
        author, organization = location.context
        return Parsed(records=tuple(page_records(
            content, author=author, organization=organization, source=entry.name,
            model_page_url=entry.model_page_url, page_ref=f"{author} page {page}",
        )))

    def paginator(self, entry: HubSource) -> Paginator:
        return LinkHeaderPaginator(max_pages=entry.max_pages)

    def describe(self, entry: HubSource) -> str:
        return (
            f"{entry.description} Registry source {entry.name!r}: {entry.api_url}?author=ORG&sort=createdAt "
            "(newest first, pages via the Link header) for "
            + ", ".join(f"{a} -> {o}" for a, o in entry.authors.items())
            + ". One open-weight model.launched per repository, dated by createdAt. Offline (`airace run`): "
            + ("the bundled listing pages." if entry.offline_default else "skipped (nothing bundled).")
        )


def ingest_hub_source(store, source: HubSource, *, live: bool, run_id: str | None = None, policy=None,
                      sleep: Callable[[float], None] = time.sleep):
    """List every author of a registry source (following `Link: rel="next"` up to
    `max_pages`), append one open-weight launch per repository (pipelines.sources.runner).
    An author whose listing fails is reported in the SourceReport and does not stop the others."""
    from pipelines.sources.runner import run_source

    return run_source(store, source, live=live, run_id=run_id, policy=policy, sleep=sleep)
