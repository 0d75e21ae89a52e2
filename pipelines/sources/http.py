"""Fetching sources over HTTP the way a well-behaved client should.

Timeouts; retries with exponential backoff on 5xx, timeouts and connection
errors; 429 honouring Retry-After; conditional GET (ETag / If-Modified-Since)
so an unchanged source costs one 304; a hard cap on the response size, checked
while streaming (on the bytes received and, for a gzip-encoded response, on the
bytes it expands to); a User-Agent that says who we are.

And what a hostile or broken server cannot make us do:
- take longer than `deadline_s` for one fetch, all attempts and waits included: a
  body trickling in a byte at a time is cut off (checked between reads, each read
  waiting at most the time left);
- follow a redirect anywhere but http(s), into a loop, or more than `max_redirects`
  times; nor, unless the source sets `allow_private`, to an address that is not
  public (loopback, private, link-local, ...): hostnames are resolved to check, and
  the address the connection reached is checked again before anything is sent. The
  URL a source is configured with (or the CLI is given) is fetched as given;
- raise anything but FetchError (a malformed URL included), whose message names the URL.
"""

from __future__ import annotations

import contextlib
import email.utils
import ipaddress
import socket
import time
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urljoin

import httpx

from warehouse.log.raw import Validators

USER_AGENT = "airace/0.1 (event-sourced database of the AI race; python-httpx)"
RETRYABLE_STATUS = frozenset({500, 502, 503, 504, 429})
REDIRECT_STATUS = frozenset({301, 302, 303, 307, 308})


@dataclass(frozen=True)
class FetchPolicy:
    timeout_s: float = 30.0
    attempts: int = 5
    backoff_base_s: float = 1.0
    backoff_max_s: float = 60.0
    max_bytes: int = 200 * 1024 * 1024
    # Wall clock for one fetch, every attempt, backoff and byte included.
    deadline_s: float = 600.0
    # Whether redirects may lead to loopback, private, link-local or other non-public addresses.
    allow_private: bool = False
    max_redirects: int = 10


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


@dataclass(frozen=True)
class _Deadline:
    """The moment one fetch must be over by (time.monotonic)."""

    at: float
    seconds: float

    @classmethod
    def starting_now(cls, seconds: float) -> _Deadline:
        return cls(time.monotonic() + seconds, seconds)

    def left_s(self) -> float:
        return self.at - time.monotonic()

    def passed(self) -> bool:
        return self.left_s() <= 0

    def error(self, url: str, what: str) -> FetchError:
        return FetchError(f"{url}: stopped at the deadline of {self.seconds:g}s for the whole fetch ({what})")


def _http_url(text: str, *, where: str) -> httpx.URL:
    """`text` parsed, or FetchError (its message starting with `where`): malformed, or not http(s)."""
    try:
        parsed = httpx.URL(text)
    except (httpx.InvalidURL, TypeError, ValueError) as exc:
        raise FetchError(f"{where}: not a valid URL ({exc})") from None
    if parsed.scheme not in ("http", "https") or not parsed.host:
        raise FetchError(f"{where}: not an http(s) URL with a host; refused")
    return parsed


def _redirect_target(url: str, response: httpx.Response) -> str:
    location = response.headers["Location"]
    try:
        return urljoin(str(response.url), location)
    except ValueError as exc:  # urljoin parses too ("http://[::1": Invalid IPv6 URL)
        raise FetchError(f"{url}: redirect ({response.url} -> {location}): not a valid URL ({exc})") from None


def _non_public_kind(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> str | None:
    """Why `address` is not a public internet address, or None when it is."""
    mapped = getattr(address, "ipv4_mapped", None)
    if mapped is not None:
        address = mapped
    for kind in ("loopback", "link_local", "private", "multicast", "reserved", "unspecified"):
        if getattr(address, f"is_{kind}"):
            return kind.replace("_", "-")
    return None if address.is_global else "non-public"


def _addresses(host: str, port: int) -> list[ipaddress.IPv4Address | ipaddress.IPv6Address]:
    try:
        return [ipaddress.ip_address(host.strip("[]"))]
    except ValueError:
        pass
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        # Retried like any connection failure: DNS can be down for a moment.
        raise httpx.ConnectError(f"cannot resolve {host}: {exc}") from None
    # getaddrinfo gives IPv6 scopes as "fe80::1%eth0": the scope is not part of the address.
    return [ipaddress.ip_address(info[4][0].split("%")[0]) for info in infos]


def _check_redirect(url: str, chain: list[str], target: str, policy: FetchPolicy) -> httpx.URL:
    """The redirect target, when we may follow it; FetchError naming the chain otherwise."""
    hops = " -> ".join([*chain, target])
    parsed = _http_url(target, where=f"{url}: redirect ({hops})")
    if target in chain:
        raise FetchError(f"{url}: redirect loop ({hops})")
    if len(chain) > policy.max_redirects:
        raise FetchError(f"{url}: more than {policy.max_redirects} redirects ({hops})")
    if not policy.allow_private:
        for address in _addresses(parsed.host, parsed.port or (443 if parsed.scheme == "https" else 80)):
            kind = _non_public_kind(address)
            if kind is not None:
                raise FetchError(
                    f"{url}: redirect to {target} refused: {parsed.host} is a {kind} address ({address}); "
                    "set allow_private = true in the source's fetch options to allow it"
                )
    return parsed


def _unusable_location_hook(url: str) -> Callable[[httpx.Response], None]:
    """httpx reads a Location header (to offer the next request) even when it does not follow
    it, and fails on one it cannot parse: check it first, so that is our clear error."""

    def check(response: httpx.Response) -> None:
        if response.status_code in REDIRECT_STATUS and "Location" in response.headers:
            target = _redirect_target(url, response)
            _http_url(target, where=f"{url}: redirect ({response.url} -> {target})")

    return check


def _public_peer_only(url: str, target: str) -> Callable[[str, dict], None]:
    """An httpcore trace hook refusing a connection that reached a non-public address: the name
    resolved to a public one when checked, but can answer differently when connecting (DNS
    rebinding). Nothing has been sent when it is refused."""

    def trace(event: str, info: dict) -> None:
        if event != "connection.connect_tcp.complete":
            return
        stream = info["return_value"]
        peer = ipaddress.ip_address(str(stream.get_extra_info("server_addr")[0]).split("%")[0])
        kind = _non_public_kind(peer)
        if kind is not None:
            stream.close()
            raise FetchError(f"{url}: redirect to {target} refused: it connected to a {kind} address ({peer}); "
                             "set allow_private = true in the source's fetch options to allow it")

    return trace


def _send(client: httpx.Client, url: str, policy: FetchPolicy, deadline: _Deadline) -> httpx.Response:
    """GET `url`, following redirects we may follow; the final response, open for streaming."""
    chain = [url]
    current = url
    while True:
        timeout = max(0.001, min(policy.timeout_s, deadline.left_s()))
        # The URL itself is fetched as given; a redirect's target must connect to a public address.
        guard = {} if current == url or policy.allow_private else {"trace": _public_peer_only(url, current)}
        response = client.send(client.build_request("GET", current, timeout=timeout, extensions=guard), stream=True)
        location = response.headers.get("Location")
        if response.status_code not in REDIRECT_STATUS or not location:
            return response
        response.close()
        target = _redirect_target(url, response)
        _check_redirect(url, chain, target, policy)
        chain.append(target)
        current = target


def _decoder(response: httpx.Response, url: str):
    """A gzip decoder for a gzip-encoded body (the only encoding we ask for), else None."""
    encoding = response.headers.get("Content-Encoding", "").strip().lower()
    if encoding in ("", "identity"):
        return None
    if encoding in ("gzip", "x-gzip"):
        return zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)
    raise FetchError(f"{url}: Content-Encoding {encoding!r} not supported (we ask for gzip or none)")


def _read_capped(response: httpx.Response, url: str, max_bytes: int, deadline: _Deadline) -> bytes:
    """The body, decoded; at most `max_bytes` received and at most `max_bytes` once decoded
    (a gzip bomb stops as soon as it expands past the cap), within the deadline."""
    declared = response.headers.get("Content-Length")
    if declared is not None and declared.isdigit() and int(declared) > max_bytes:
        raise FetchError(f"{url}: response of {int(declared)} bytes is over the limit of {max_bytes}")
    decoder = _decoder(response, url)
    content, received = bytearray(), 0
    for chunk in response.iter_raw():
        received += len(chunk)
        if received > max_bytes:
            raise FetchError(f"{url}: response is over the limit of {max_bytes} bytes (stopped reading)")
        if decoder is not None:
            # max_length: never inflate more than one byte past the cap, however small the chunk.
            chunk = decoder.decompress(chunk, max_bytes - len(content) + 1)
        content += chunk
        if len(content) > max_bytes:
            raise FetchError(f"{url}: gzip-encoded response expands past the limit of {max_bytes} bytes (stopped)")
        if deadline.passed():
            raise deadline.error(url, f"{received} bytes received, the body still coming")
    if decoder is not None:
        content += decoder.flush()
        if len(content) > max_bytes:
            raise FetchError(f"{url}: gzip-encoded response expands past the limit of {max_bytes} bytes (stopped)")
        if not decoder.eof:
            raise FetchError(f"{url}: truncated gzip-encoded response ({received} bytes received)")
    # Content-Length counts the bytes on the wire (the encoded ones when gzip-encoded).
    if declared is not None and declared.isdigit() and received < int(declared):
        raise FetchError(f"{url}: truncated response: {received} of {declared} bytes")
    return bytes(content)


def fetch(
    url: str,
    *,
    validators: Validators | None = None,
    policy: FetchPolicy = FetchPolicy(),
    sleep: Callable[[float], None] = time.sleep,
    accept: str = "*/*",
) -> Fetched:
    """GET `url`, conditionally when `validators` are given; raise FetchError when it cannot."""
    _http_url(url, where=f"{url}: the URL")
    deadline = _Deadline.starting_now(policy.deadline_s)
    headers = {"User-Agent": USER_AGENT, "Accept-Encoding": "gzip", "Accept": accept}
    if validators is not None:
        if validators.etag:
            headers["If-None-Match"] = validators.etag
        if validators.last_modified:
            headers["If-Modified-Since"] = validators.last_modified
    last_problem = "no attempt made"
    # Redirects are followed by _send, which checks each target first.
    with httpx.Client(timeout=policy.timeout_s, follow_redirects=False, headers=headers,
                      event_hooks={"response": [_unusable_location_hook(url)]}) as client:
        for attempt in range(1, policy.attempts + 1):
            backoff = min(policy.backoff_max_s, policy.backoff_base_s * 2 ** (attempt - 1))
            try:
                with contextlib.closing(_send(client, url, policy, deadline)) as response:
                    if response.status_code == 304:
                        return Fetched(url, 304, None, validators.etag if validators else None,
                                       validators.last_modified if validators else None, attempt)
                    if response.status_code in RETRYABLE_STATUS:
                        last_problem = f"HTTP {response.status_code}"
                        if response.status_code == 429:
                            backoff = min(policy.backoff_max_s, _retry_after_s(response, backoff))
                    elif response.status_code >= 400:
                        raise FetchError(f"{url}: HTTP {response.status_code} {response.reason_phrase} (not retried)")
                    elif response.status_code in REDIRECT_STATUS:
                        raise FetchError(f"{url}: HTTP {response.status_code} redirect without a Location header")
                    else:
                        content = _read_capped(response, url, policy.max_bytes, deadline)
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
                if deadline.passed():
                    raise deadline.error(url, f"attempt {attempt} timed out ({type(exc).__name__})") from None
                last_problem = f"timed out after {policy.timeout_s:g}s ({type(exc).__name__})"
            except httpx.TransportError as exc:
                last_problem = f"connection failed ({type(exc).__name__}: {exc})"
            except (httpx.InvalidURL, httpx.TooManyRedirects) as exc:  # not expected after the checks above
                raise FetchError(f"{url}: {type(exc).__name__}: {exc}") from None
            if attempt < policy.attempts:
                if backoff >= deadline.left_s():
                    raise deadline.error(url, f"no time left to retry after {attempt} attempt(s); last problem: "
                                              f"{last_problem}")
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
    from warehouse.log.raw import land, last_validators, record_fetch

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
