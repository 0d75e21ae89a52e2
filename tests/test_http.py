import pytest

from pipelines.sources.http import FetchError, FetchPolicy, fetch, fetch_and_land
from tests.http_fixture import Reply

FAST = FetchPolicy(timeout_s=1.0, attempts=3, backoff_base_s=0.01, backoff_max_s=0.05, max_bytes=1000)


def test_a_503_is_retried_then_succeeds(http_server):
    url = http_server.serve("/data.csv", Reply(503), Reply(200, b"a,b\n1,2\n"))
    fetched = fetch(url, policy=FAST)
    assert (fetched.status, fetched.content, fetched.attempts) == (200, b"a,b\n1,2\n", 2)
    assert http_server.hits("/data.csv")[0].headers["User-Agent"].startswith("airace/")


def test_429_honours_retry_after(http_server):
    url = http_server.serve("/x", Reply(429, headers={"Retry-After": "2"}), Reply(200, b"ok"))
    waits = []
    fetched = fetch(url, policy=FetchPolicy(attempts=2, backoff_max_s=5, max_bytes=100), sleep=waits.append)
    assert fetched.content == b"ok" and waits == [2.0]


def test_persistent_failure_names_url_and_reason(http_server):
    url = http_server.serve("/down", Reply(503))
    with pytest.raises(FetchError, match=r"/down: gave up after 3 attempts; last problem: HTTP 503"):
        fetch(url, policy=FAST)


def test_client_errors_are_not_retried(http_server):
    url = http_server.serve("/gone", Reply(404, b"no"))
    with pytest.raises(FetchError, match="HTTP 404"):
        fetch(url, policy=FAST)
    assert len(http_server.hits("/gone")) == 1


def test_a_response_over_the_limit_is_refused(http_server):
    url = http_server.serve("/big", Reply(200, b"x" * 5000))
    with pytest.raises(FetchError, match="over the limit of 1000"):
        fetch(url, policy=FAST)


def test_a_timeout_is_retried_then_reported(http_server):
    url = http_server.serve("/slow", Reply(200, b"late", delay_s=1.5))
    with pytest.raises(FetchError, match="timed out"):
        fetch(url, policy=FetchPolicy(timeout_s=0.2, attempts=2, backoff_base_s=0.01, max_bytes=100))


def test_a_truncated_transfer_is_an_error(http_server):
    url = http_server.serve("/cut", Reply(200, b"a,b\n1,", declared_length=500))
    with pytest.raises(FetchError):
        fetch(url, policy=FAST)


def test_unchanged_source_costs_one_304_and_lands_once(http_server, store):
    url = http_server.serve("/feed", Reply(200, b"payload", etag='"v1"'))
    first = fetch_and_land(store, "test", url, policy=FAST)
    second = fetch_and_land(store, "test", url, policy=FAST)
    assert first.status == 200 and first.content == b"payload"
    assert second.status == 304 and second.content is None
    assert http_server.hits("/feed")[1].headers["If-None-Match"] == '"v1"'
    landed = list((store.home.raw_dir / "test").iterdir())
    assert [p.read_bytes() for p in landed] == [b"payload"] and landed[0].name == first.sha256
    with store.reader() as con:
        assert con.execute("select http_status from raw.fetches order by fetched_at").fetchall() == [(200,), (304,)]
