"""A hostile or broken server cannot hold a fetch forever, send it somewhere private, or make it
crash: every such case is a FetchError naming the URL (and, from the CLI, exit code 2)."""

import gzip
import io
import ipaddress
import time
import zipfile

import pytest
from typer.testing import CliRunner

from pipelines.cli import app
from pipelines.sources import epoch
from pipelines.sources.http import FetchError, FetchPolicy, fetch
from tests.fixtures.sources.helpers import override
from tests.http_fixture import Reply

FAST = FetchPolicy(timeout_s=2.0, attempts=2, backoff_base_s=0.01, backoff_max_s=0.02, max_bytes=100_000)
runner = CliRunner()


def _port(http_server) -> int:
    return http_server.httpd.server_address[1]


# ------------------------------------------------------------------ redirects


def test_a_redirect_to_loopback_is_refused_unless_the_source_allows_private_addresses(http_server):
    inner = http_server.serve("/admin", Reply(200, b"internal secret"))
    start = http_server.serve("/start", Reply(302, headers={"Location": inner}))

    with pytest.raises(FetchError, match=r"/start: redirect to .*/admin refused: 127\.0\.0\.1 is a loopback address"):
        fetch(start, policy=FAST)
    assert http_server.hits("/admin") == []  # never asked

    assert fetch(start, policy=FetchPolicy(**{**FAST.__dict__, "allow_private": True})).content == b"internal secret"


def test_a_redirect_to_a_hostname_is_resolved_before_it_is_followed(http_server):
    http_server.serve("/admin", Reply(200, b"internal secret"))
    start = http_server.serve("/start", Reply(301, headers={"Location": f"http://localhost:{_port(http_server)}/admin"}))
    with pytest.raises(FetchError, match=r"refused: localhost is a loopback address"):
        fetch(start, policy=FAST)
    assert http_server.hits("/admin") == []


def test_a_redirect_whose_name_answers_differently_when_connecting_is_refused(http_server, monkeypatch):
    """DNS rebinding: the name resolves to a public address when checked, to loopback when connected."""
    from pipelines.sources import http

    http_server.serve("/admin", Reply(200, b"internal secret"))
    start = http_server.serve("/start", Reply(302, headers={"Location": f"http://localhost:{_port(http_server)}/admin"}))
    monkeypatch.setattr(http, "_addresses", lambda host, port: [ipaddress.ip_address("93.184.215.14")])
    with pytest.raises(FetchError, match=r"refused: it connected to a loopback address \((127\.0\.0\.1|::1)\)"):
        fetch(start, policy=FAST)
    assert http_server.hits("/admin") == []


@pytest.mark.parametrize("target", ["file:///etc/passwd", "ftp://example.org/x", "http://[::1"])
def test_a_redirect_anywhere_but_a_valid_http_url_is_refused(http_server, target):
    start = http_server.serve("/start", Reply(302, headers={"Location": target}))
    with pytest.raises(FetchError, match=r"/start: redirect \(.*/start -> .*\): not (an http\(s\) URL|a valid URL)"):
        fetch(start, policy=FetchPolicy(**{**FAST.__dict__, "allow_private": True}))


def test_a_redirect_loop_is_a_clear_error(http_server):
    a, b = http_server.url("/a"), http_server.url("/b")
    http_server.serve("/a", Reply(302, headers={"Location": b}))
    http_server.serve("/b", Reply(302, headers={"Location": a}))
    with pytest.raises(FetchError, match=r"/a: redirect loop \(.*/a -> .*/b -> .*/a\)"):
        fetch(a, policy=FetchPolicy(**{**FAST.__dict__, "allow_private": True}))


# ------------------------------------------------------------------ deadline, encoding


def test_a_trickling_body_is_stopped_by_the_overall_deadline(http_server):
    # A byte every 0.2 s never trips the 2 s read timeout; only the deadline ends it.
    url = http_server.serve("/trickle", Reply(200, b"x" * 200, trickle_s=0.2))
    started = time.monotonic()
    with pytest.raises(FetchError, match=r"/trickle: stopped at the deadline of 1s for the whole fetch"):
        fetch(url, policy=FetchPolicy(**{**FAST.__dict__, "deadline_s": 1.0}))
    assert time.monotonic() - started < 1.0 + FAST.timeout_s  # well before the 40 s the body would take


def _epoch_zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(epoch.ZIP_MEMBER, epoch.table_bytes(epoch.BUNDLED_SNAPSHOT.read_bytes()))
    return buffer.getvalue()


def test_a_gzip_encoded_zip_is_decoded_and_accepted(http_server):
    archive = _epoch_zip()
    url = http_server.serve("/ai_models.zip", Reply(200, gzip.compress(archive), headers={"Content-Encoding": "gzip"}))
    fetched = fetch(url, policy=FetchPolicy(**{**FAST.__dict__, "max_bytes": 10_000_000}))
    assert fetched.content == archive


def test_a_gzip_bomb_stops_at_the_decoded_size_cap(http_server):
    bomb = gzip.compress(b"\0" * 20_000_000)  # about 20 kB on the wire
    url = http_server.serve("/bomb", Reply(200, bomb, headers={"Content-Encoding": "gzip"}))
    with pytest.raises(FetchError, match=r"/bomb: gzip-encoded response expands past the limit of 100000 bytes"):
        fetch(url, policy=FAST)


# ------------------------------------------------------------------ the CLI


def _cli(home, *args):
    return runner.invoke(app, ["ingest", "--home", str(home.root), "--no-refresh", "--source", "epoch-ai", *args])


def test_the_cli_ingests_a_gzip_encoded_zip(home, http_server, tmp_path, monkeypatch):
    override(tmp_path, monkeypatch, "[sources.epoch-ai]\nfetch = { max_bytes = 10000000 }\n")
    url = http_server.serve("/ai_models.zip", Reply(200, gzip.compress(_epoch_zip()), headers={"Content-Encoding": "gzip"}))
    result = _cli(home, url)
    assert result.exit_code == 0, result.output
    assert "952" in result.output  # every row of the bundled table read


@pytest.mark.parametrize(
    ("url", "message"),
    [("http://[::1", "the URL: not a valid URL"), ("https://", "the URL: not an http(s) URL with a host")],
)
def test_the_cli_reports_a_malformed_url_with_exit_code_2(home, url, message):
    result = _cli(home, url)
    assert result.exit_code == 2 and isinstance(result.exception, SystemExit)
    assert message in result.output and "Traceback" not in result.output


def test_the_cli_reports_a_redirect_loop_with_exit_code_2(home, http_server, tmp_path, monkeypatch):
    override(tmp_path, monkeypatch, "[sources.epoch-ai]\nfetch = { allow_private = true, attempts = 1 }\n")
    a, b = http_server.url("/a"), http_server.url("/b")
    http_server.serve("/a", Reply(302, headers={"Location": b}))
    http_server.serve("/b", Reply(307, headers={"Location": a}))
    result = _cli(home, a)
    assert result.exit_code == 2 and isinstance(result.exception, SystemExit)
    assert "redirect loop" in result.output and f"nothing from {a} was appended" in result.output


def test_the_cli_obeys_the_sources_fetch_limits(home, http_server, tmp_path, monkeypatch):
    override(tmp_path, monkeypatch, "[sources.epoch-ai]\nfetch = { attempts = 1, max_bytes = 1000 }\n")
    big = http_server.serve("/big.zip", Reply(200, b"x" * 5000))
    down = http_server.serve("/down.zip", Reply(503))

    over = _cli(home, big)
    assert over.exit_code == 2 and "over the limit of 1000" in over.output

    failing = _cli(home, down)
    assert failing.exit_code == 2 and "gave up after 1 attempts" in failing.output
    assert len(http_server.hits("/down.zip")) == 1


def test_the_cli_fetches_no_url_under_airace_offline(home, http_server, monkeypatch):
    """AIRACE_OFFLINE=1 forbids every live fetch, a URL named on the command line too: exit 2, saying so."""
    monkeypatch.setenv("AIRACE_OFFLINE", "1")
    url = http_server.serve("/ai_models.zip", Reply(200, _epoch_zip()))
    result = _cli(home, url)
    assert result.exit_code == 2 and "AIRACE_OFFLINE=1 forbids fetching it" in result.output
    assert http_server.requests == []
