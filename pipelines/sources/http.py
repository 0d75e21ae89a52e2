"""Fetching sources over HTTP the way a well-behaved client should.

Timeouts; retries with exponential backoff on 5xx, timeouts and connection
errors; 429 honouring Retry-After; conditional GET (ETag / If-Modified-Since)
so an unchanged source costs one 304; a hard cap on the response size, checked
while streaming; a User-Agent that says who we are.
"""

from __future__ import annotations

import email.utils
import time
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urljoin

import httpx

from warehouse.raw import Validators

USER_AGENT = "airace/0.1 (event-sourced database of the AI race; python-httpx)"
RETRYABLE_STATUS = frozenset({500, 502, 503, 504, 429})


@dataclass(frozen=True)
class FetchPolicy:
    timeout_s: float = 30.0
    attempts: int = 5
    backoff_base_s: float = 1.0
    backoff_max_s: float = 60.0
    max_bytes: int = 200 * 1024 * 1024


@dataclass(frozen=True)
class Fetched:
    url: str
    status: int  # 200, or 304 when unchanged since the validators we sent
    content: bytes | None
    etag: str | None
    last_modified: str | None
    attempts: int
    # The `Link: <…>; rel="next"` target, for paginated APIs.
    next_url: str | None = None

    @property
    def unchanged(self) -> bool:
        return self.status == 304


class FetchError(RuntimeError):
    """The source could not be fetched; the message names the URL and why."""


def _retry_after_s(response: httpx.Response, fallback: float) -> float:
    value = response.headers.get("Retry-After")
    if value is None:
        return fallback
    if value.strip().isdigit():
        return float(value.strip())
    try:
        moment = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return fallback
    return max(0.0, moment.timestamp() - time.time())


def _read_capped(response: httpx.Response, url: str, max_bytes: int) -> bytes:
    declared = response.headers.get("Content-Length")
    if declared is not None and declared.isdigit() and int(declared) > max_bytes:
        raise FetchError(f"{url}: response of {int(declared)} bytes is over the limit of {max_bytes}")
    chunks, size = [], 0
    for chunk in response.iter_bytes():
        size += len(chunk)
        if size > max_bytes:
            raise FetchError(f"{url}: response is over the limit of {max_bytes} bytes (stopped reading)")
        chunks.append(chunk)
    content = b"".join(chunks)
    if declared is not None and declared.isdigit() and len(content) < int(declared):
        raise FetchError(f"{url}: truncated response: {len(content)} of {declared} bytes")
    return content


def fetch(
    url: str,
    *,
    validators: Validators | None = None,
    policy: FetchPolicy = FetchPolicy(),
    sleep: Callable[[float], None] = time.sleep,
    accept: str = "*/*",
) -> Fetched:
    """GET `url`, conditionally when `validators` are given; raise FetchError when it cannot."""
    headers = {"User-Agent": USER_AGENT, "Accept-Encoding": "gzip", "Accept": accept}
    if validators is not None:
        if validators.etag:
            headers["If-None-Match"] = validators.etag
        if validators.last_modified:
            headers["If-Modified-Since"] = validators.last_modified
    last_problem = "no attempt made"
    with httpx.Client(timeout=policy.timeout_s, follow_redirects=True, headers=headers) as client:
        for attempt in range(1, policy.attempts + 1):
            backoff = min(policy.backoff_max_s, policy.backoff_base_s * 2 ** (attempt - 1))
            try:
                with client.stream("GET", url) as response:
                    if response.status_code == 304:
                        return Fetched(url, 304, None, validators.etag if validators else None,
                                       validators.last_modified if validators else None, attempt)
                    if response.status_code in RETRYABLE_STATUS:
                        last_problem = f"HTTP {response.status_code}"
                        if response.status_code == 429:
                            backoff = min(policy.backoff_max_s, _retry_after_s(response, backoff))
                    elif response.status_code >= 400:
                        raise FetchError(f"{url}: HTTP {response.status_code} {response.reason_phrase} (not retried)")
                    else:
                        content = _read_capped(response, url, policy.max_bytes)
                        next_link = response.links.get("next", {}).get("url")
                        return Fetched(
                            url,
                            200,
                            content,
                            response.headers.get("ETag"),
                            response.headers.get("Last-Modified"),
                            attempt,
                            urljoin(str(response.url), next_link) if next_link else None,
                        )
            except httpx.TimeoutException as exc:
                last_problem = f"timed out after {policy.timeout_s:g}s ({type(exc).__name__})"
            except httpx.TransportError as exc:
                last_problem = f"connection failed ({type(exc).__name__}: {exc})"
            if attempt < policy.attempts:
                sleep(backoff)
    raise FetchError(f"{url}: gave up after {policy.attempts} attempts; last problem: {last_problem}")


@dataclass(frozen=True)
class Landed:
    """A fetch, landed: the payload (None when unchanged) and where its raw copy is."""

    url: str
    status: int
    content: bytes | None
    sha256: str | None
    path: str | None
    bytes: int
    next_url: str | None = None


def fetch_and_land(
    store,
    source: str,
    url: str,
    *,
    policy: FetchPolicy = FetchPolicy(),
    sleep: Callable[[float], None] = time.sleep,
    accept: str = "*/*",
) -> Landed:
    """Fetch conditionally against the last successful fetch, land the payload raw, record the fetch.

    A 304 returns `content=None`: nothing new to ingest.
    """
    from warehouse.raw import land, last_validators, record_fetch

    with store.writer(purpose=f"fetch {source}") as con:
        validators = last_validators(con, url)
    fetched = fetch(url, validators=validators, policy=policy, sleep=sleep, accept=accept)
    with store.writer(purpose=f"fetch {source}") as con:
        if fetched.unchanged:
            record_fetch(con, source=source, url=url, http_status=304,
                         sha256=validators.sha256 if validators else None, path=None)
            return Landed(url, 304, None, validators.sha256 if validators else None,
                          validators.path if validators else None, 0)
        assert fetched.content is not None
        digest, path = land(store.home, source, fetched.content)
        record_fetch(con, source=source, url=url, http_status=200, sha256=digest, size=len(fetched.content),
                     etag=fetched.etag, last_modified=fetched.last_modified, path=path)
    return Landed(url, 200, fetched.content, digest, str(path), len(fetched.content), fetched.next_url)
