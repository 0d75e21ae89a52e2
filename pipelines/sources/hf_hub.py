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

from pipelines.sources.http import FetchError, FetchPolicy, Landed, fetch_and_land
from warehouse.store import RawRecord


class HubError(ValueError):
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
            "retrieved_at": dt.datetime.now(dt.UTC).isoformat(),
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


def ingest_hub_source(store, source, *, live: bool, run_id: str | None = None, policy=None,
                      sleep: Callable[[float], None] = time.sleep):
    """List every author of a registry source (following `Link: rel="next"` up to
    `max_pages`), append one open-weight launch per repository. An author whose
    listing fails is reported in the SourceReport and does not stop the others."""
    from pipelines.sources.registry import Outcome, SourceReport, choose_mode

    mode = choose_mode(live)
    outcomes: list[Outcome] = []
    records: list[RawRecord] = []
    offline_folder = source.offline_path()
    for author, organization in source.authors.items():
        if mode == "offline":
            pages = offline_pages(offline_folder, author) if offline_folder else []
            if not pages:
                outcomes.append(Outcome(location=f"{source.name}:{author}", status="skipped"))
            for path in pages:
                try:
                    content = path.read_bytes()
                    records.extend(
                        page_records(content, author=author, organization=organization, source=source.name,
                                     model_page_url=source.model_page_url, page_ref=path.name)
                    )
                    outcomes.append(Outcome(location=str(path), status="offline", bytes=len(content)))
                except (OSError, HubError) as exc:
                    outcomes.append(Outcome(location=str(path), status="error", error=f"{path}: {exc}"))
            continue
        url: str | None = listing_url(source.api_url, author, source.page_size)
        pages_read = 0
        author_records: list[RawRecord] = []
        try:
            while url and pages_read < source.max_pages:
                page = fetch_page(store, source.name, url, policy=policy or source.fetch.policy(), sleep=sleep)
                pages_read += 1
                if page.content is None:
                    # Newest first: an unchanged first page means nothing new for this author.
                    outcomes.append(Outcome(location=url, status="304"))
                    break
                try:
                    author_records.extend(
                        page_records(page.content, author=author, organization=organization,
                                     source=source.name, model_page_url=source.model_page_url,
                                     page_ref=f"{author} page {pages_read}")
                    )
                except HubError as exc:
                    raise HubError(f"{url}: {exc}") from None
                outcomes.append(Outcome(location=url, status="200", bytes=page.bytes))
                url = page.next_url
        except (FetchError, HubError) as exc:
            # Pages already read are kept: each is a true listing of what it shows.
            outcomes.append(Outcome(location=url or author, status="error", error=str(exc)))
        records.extend(author_records)
    report = dict(source=source.name, mode=mode, outcomes=tuple(outcomes))
    if any(o.status in ("200", "offline") for o in outcomes):
        result = store.append(records, source=source.name, run_id=run_id)
        report.update(read=result.read, appended=result.appended, duplicate=result.duplicate,
                      quarantined=result.quarantined, ingest_run_id=result.run_id)
    return SourceReport(**report)
