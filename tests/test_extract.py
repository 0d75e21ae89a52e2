"""The article extractor: the seed article, guards on hostile input, the CLI, the evaluation set."""

from __future__ import annotations

import datetime as dt
import json
import random
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import ClassVar

import pytest
from typer.testing import CliRunner

from pipelines.cli import app
from pipelines.extract import ExtractionError, decode, extract_text, read_path
from pipelines.extract.dates import find_dates
from pipelines.extract.gazetteer import default_gazetteer, tokenize
from pipelines.extract.model_names import find_models
from pipelines.extract.sentences import split_sentences
from pipelines.extract.text import MAX_INPUT_BYTES
from schemas import NewEvent, parse_record
from tests.tools.evaluate_extract import evaluate

SEED = Path("/work/shared/seeds/ai-rivalry-article.txt")
EVAL_ARTICLES = Path(__file__).parent / "extract_eval" / "articles"
RETRIEVED = dt.datetime(2026, 3, 1, tzinfo=dt.UTC)
runner = CliRunner()


@pytest.fixture(scope="module")
def seed_text() -> str:
    if SEED.exists():
        return SEED.read_text(encoding="utf-8")
    # The two paragraphs the acceptance criteria are about, verbatim, when the shared seed is absent.
    return (
        "OpenAI Raises Concerns Over Model Distillation\n"
        "Recent reporting has highlighted that OpenAI has expressed concerns that some AI developers may be using "
        "a technique known as model distillation to replicate or approximate the behavior of powerful US-built "
        "systems.\n"
        "Zhipu AI Introduces GLM-5\n"
        "At the same time, Chinese AI firms continue to push forward with new releases. Zhipu AI has announced a "
        "major new model, GLM-5, positioning it as a competitive entry in the fast-moving large language model "
        "landscape.\n"
        "- Policy Pressure: Governments may refine rules around training data, model outputs, and cross-border "
        "technology transfer.\n"
    )


def _by_type(extraction, event_type: str):
    return [c for c in extraction.candidates if c.event_type == event_type]


# ---------------------------------------------------------------- the seed article


def test_seed_article_yields_glm5_launch_by_zhipu_ai_in_china(seed_text: str) -> None:
    extraction = extract_text(seed_text, retrieved_at=RETRIEVED)
    launches = [c for c in _by_type(extraction, "model.launched") if c.model == "GLM-5"]
    assert len(launches) == 1
    launch = launches[0]
    assert [(o.name, o.country, o.role) for o in launch.organizations] == [("Zhipu AI", "CN", "developer")]
    assert launch.record["payload"]["countries"] == ["CN"]
    assert "Zhipu AI has announced a major new model, GLM-5" in launch.evidence
    start, end = launch.span
    assert extraction.text[start:end] == launch.evidence
    assert 0 < launch.confidence <= 1 and "model:versioned" in launch.cues


def test_seed_article_yields_openai_distillation_allegation_with_unnamed_accused(seed_text: str) -> None:
    extraction = extract_text(seed_text, retrieved_at=RETRIEVED)
    allegations = _by_type(extraction, "allegation.made")
    assert len(allegations) == 1
    allegation = allegations[0]
    payload = allegation.record["payload"]
    assert (payload["accusers"], payload["accused"], payload["kind"]) == (["OpenAI"], [], "distillation")
    assert payload["nature"] == "accusation"
    assert "OpenAI has expressed concerns that some AI developers" in allegation.evidence
    assert extraction.text[allegation.span[0] : allegation.span[1]] == allegation.evidence


def test_seed_article_generic_policy_paragraphs_yield_no_policy(seed_text: str) -> None:
    extraction = extract_text(seed_text, retrieved_at=RETRIEVED)
    assert _by_type(extraction, "policy.changed") == []
    assert {c.event_type for c in extraction.candidates} == {"model.launched", "allegation.made"}


def test_every_candidate_record_is_accepted_by_the_schema_and_is_deterministic(seed_text: str) -> None:
    texts = [seed_text] + [p.read_text() for p in sorted(EVAL_ARTICLES.glob("*.txt"))[:20]]
    for text in texts:
        first = extract_text(text, retrieved_at=RETRIEVED, source_url="https://example.org/a")
        again = extract_text(text, retrieved_at=RETRIEVED, source_url="https://example.org/a")
        assert [c.candidate_id for c in first.candidates] == [c.candidate_id for c in again.candidates]
        for candidate in first.candidates:
            parsed = parse_record(candidate.record, record_ref="test")
            assert isinstance(parsed, NewEvent), parsed
            assert candidate.record["source"] == "extractor"
            assert candidate.record["source_url"] == "https://example.org/a"
            assert candidate.record["source_ref"].startswith(f"article:{first.article_sha256[:16]}:")
            assert 0.0 <= candidate.confidence <= 1.0


def test_dates_come_from_the_sentence_or_the_article() -> None:
    text = (
        "Zhipu AI Ships a Model\nDate: 2026-02-12\n\n"
        "Zhipu AI released GLM-5 on Feb 11, calling it its strongest model.\n"
        "The company also launched GLM-5-Air, a smaller model.\n"
    )
    launches = {c.model: c for c in extract_text(text).candidates}
    assert launches["GLM-5"].record["occurred_at"] == "2026-02-11"
    assert (launches["GLM-5"].occurred_precision, launches["GLM-5"].date_basis) == ("day", "sentence")
    assert launches["GLM-5-Air"].record["occurred_at"] == "2026-02-12"
    assert launches["GLM-5-Air"].date_basis == "article"
    assert launches["GLM-5-Air"].organizations[0].name == "Zhipu AI"  # "the company"


def test_hedged_negated_and_comparative_mentions_are_not_events() -> None:
    text = (
        "Date: 2025-06-01\n"
        "OpenAI plans to release GPT-5 later this year. Anthropic did not launch Claude 4 on Monday. "
        "Meta said the release of Llama 4 was delayed. Mistral AI launched Magistral, which it says beats GPT-4o. "
        "The Commission may propose new rules. Regulators are weighing export controls."
    )
    found = {(c.event_type, c.key) for c in extract_text(text).candidates}
    assert found == {("model.launched", "Magistral")}


# ---------------------------------------------------------------- building blocks


def test_gazetteer_is_the_registry_and_matches_carefully() -> None:
    gazetteer = default_gazetteer()
    assert len(gazetteer.organizations) >= 80
    assert {"zhipu-ai", "openai", "china-government", "european-union"} <= set(gazetteer.by_id)

    def names(text: str) -> list[tuple[str, bool]]:
        sentences = split_sentences(text)
        tokens = tokenize(text)
        starts = frozenset(tokens.starts[i] for i, s in enumerate(tokens.starts) if any(x.start == s for x in sentences))
        return [(m.org.org_id, m.place) for m in gazetteer.find(text, tokens, starts)]

    assert names("Analysts praised Zhipu.AI and ZHIPU AI.") == [("zhipu-ai", False), ("zhipu-ai", False)]
    assert names("A meta analysis. Magic tricks are fun. We need a moonshot, said us.") == []
    assert names("Reporters asked Meta about it. Then Moonshot shipped.") == [("meta", False), ("moonshot-ai", False)]
    assert names("China and the US traded barbs.") == [("china-government", True), ("us-government", True)]
    assert names("The Cyberspace Administration of China acted.") == [("cac", False)]


def test_model_names_follow_the_family_and_version_grammar() -> None:
    text = (
        "GLM-5, DeepSeek-R1, GPT-4o, Claude Opus 4.5, Qwen3-235B-A22B, Llama 3.1 405B, Gemini 2.5 Pro, "
        "Kimi K2, o3, GPT-4o mini and o1-preview; not a llama, not Grokking, not GPT-4 2023."
    )
    assert [m.name for m in find_models(text)] == [
        "GLM-5", "DeepSeek-R1", "GPT-4o", "Claude Opus 4.5", "Qwen3-235B-A22B", "Llama 3.1 405B",
        "Gemini 2.5 Pro", "Kimi K2", "o3", "GPT-4o mini", "o1-preview", "GPT-4",
    ]


def test_relative_and_partial_dates_resolve_against_the_article_date() -> None:
    reference = dt.date(2026, 2, 18)
    text = "on Feb 11, in January 2025, last week, in 2024, on Monday, in December"
    resolved = [(m.day.isoformat(), m.precision) for m in find_dates(text, reference=reference)]
    assert resolved == [
        ("2026-02-11", "day"), ("2025-01-01", "month"), ("2026-02-01", "month"), ("2024-01-01", "year"),
        ("2026-02-16", "day"), ("2025-12-01", "month"),
    ]


def test_sentences_carry_exact_spans() -> None:
    text = "Headline Without Stop\nThe U.S. Commerce Dept. acted on Jan. 5. Then Dr. Smith spoke! Done?"
    sentences = split_sentences(text)
    assert [s.text for s in sentences] == [
        "Headline Without Stop", "The U.S. Commerce Dept. acted on Jan. 5.", "Then Dr. Smith spoke!", "Done?",
    ]
    assert all(text[s.start : s.end] == s.text for s in sentences)
    assert sentences[0].headline and not sentences[1].headline


# ---------------------------------------------------------------- hostile input


def test_html_is_reduced_to_its_text(seed_text: str) -> None:
    paragraphs = "".join(f"<p>{line}</p>\n" for line in seed_text.splitlines())
    html = (
        "<!doctype html><html><head><title>Seed</title><style>p { color: red }</style>"
        "<script>var x = '<p>OpenAI sued Meta</p>'; if (a < b) {}</script>"
        '<meta property="article:published_time" content="2026-02-12T08:00:00Z"></head>'
        f"<body><!-- comment --><article>{paragraphs}</article></body></html>"
    )
    extraction = extract_text(html, retrieved_at=RETRIEVED)
    assert "<" not in extraction.text and "color: red" not in extraction.text and "var x" not in extraction.text
    assert extraction.article_date == dt.date(2026, 2, 12)
    assert {(c.event_type, c.key) for c in extraction.candidates} == {
        ("model.launched", "GLM-5"), ("allegation.made", "distillation")
    }
    for candidate in extraction.candidates:
        assert extraction.text[candidate.span[0] : candidate.span[1]] == candidate.evidence


def test_empty_input_gives_an_empty_result() -> None:
    for text in ("", "   \n\n\t", "<html><body></body></html>"):
        extraction = extract_text(text)
        assert extraction.candidates == ()
    assert decode(b"") == ""


def test_binary_garbage_is_refused_clearly() -> None:
    garbage = random.Random(7).randbytes(20_000)
    for data in (garbage, b"PK\x03\x04\x00\x00binary", b"\x89PNG\r\n\x1a\n" + garbage):
        with pytest.raises(ExtractionError, match="binary|not text"):
            decode(data)
    with pytest.raises(ExtractionError, match="control characters"):
        extract_text("".join(chr(c % 32) for c in garbage[:5000] if chr(c % 32) not in "\t\n\r\x0b\x0c\x00"))


def test_a_50_mb_input_is_refused_quickly_without_reading_it(tmp_path: Path) -> None:
    big = tmp_path / "big.txt"
    with big.open("wb") as handle:
        handle.truncate(50 * 1024 * 1024)  # sparse: 50 MB of size, nothing to read
    started = time.perf_counter()
    with pytest.raises(ExtractionError, match="50.0 MB"):
        read_path(big)
    with pytest.raises(ExtractionError, match="at most"):
        extract_text("OpenAI released GPT-5. " * (50 * 1024 * 1024 // 23))
    result = runner.invoke(app, ["extract", str(big)])
    assert result.exit_code == 2 and "50.0 MB" in result.output
    assert time.perf_counter() - started < 5


@pytest.mark.parametrize(
    "hostile",
    [
        "<a " * 100_000,
        "<p title=\"x>y " * 30_000,
        "<!--" * 100_000,
        "a. " * 100_000,
        "U.S. Inc. " * 30_000,
        "OpenAI released GPT-5 and sued Meta and passed the AI Act " * 5_000,
        "GPT-4o-mini-" * 25_000,
    ],
    ids=["open-tags", "unclosed-quotes", "comments", "periods", "abbreviations", "one-long-sentence", "model-chain"],
)
def test_pathological_input_finishes_quickly(hostile: str) -> None:
    started = time.perf_counter()
    extract_text(hostile)
    assert time.perf_counter() - started < 10


# ---------------------------------------------------------------- the command line


def test_cli_reads_a_file_and_stdin(tmp_path: Path, seed_text: str) -> None:
    article = tmp_path / "seed.txt"
    article.write_text(seed_text, encoding="utf-8")
    result = runner.invoke(app, ["extract", str(article), "--date", "2026-02-12"])
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]
    assert {(c["event_type"], c["key"]) for c in lines} == {("model.launched", "GLM-5"), ("allegation.made", "distillation")}
    assert all(c["record"]["occurred_at"] == "2026-02-12" for c in lines)

    piped = runner.invoke(app, ["extract", "-"], input=seed_text.encode())
    assert piped.exit_code == 0
    assert len([line for line in piped.stdout.splitlines() if line.startswith("{")]) == 2

    garbage = runner.invoke(app, ["extract", "-"], input=b"\x00\x01\x02garbage")
    assert garbage.exit_code == 2 and "binary" in garbage.output


class _Pages(BaseHTTPRequestHandler):
    pages: ClassVar[dict[str, tuple[int, str, bytes]]] = {}

    def do_GET(self) -> None:  # http.server's naming
        if self.path == "/slow":
            time.sleep(2)
        status, content_type, body = self.pages.get(self.path, (404, "text/plain", b"not found"))
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        try:
            self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            pass

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def web(seed_text: str) -> Iterator[str]:
    html = "<html><body>" + "".join(f"<p>{line}</p>" for line in seed_text.splitlines()) + "</body></html>"
    _Pages.pages = {
        "/article": (200, "text/html; charset=utf-8", html.encode()),
        "/huge": (200, "text/plain", b"x" * (MAX_INPUT_BYTES + 10)),
        "/picture": (200, "image/png", b"\x89PNG\r\n\x1a\n"),
        "/slow": (200, "text/plain", b"late"),
    }
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Pages)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def test_cli_fetches_a_url_with_limits(web: str) -> None:
    result = runner.invoke(app, ["extract", f"{web}/article"])
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]
    assert {c["key"] for c in lines} == {"GLM-5", "distillation"}
    assert all(c["record"]["source_url"] == f"{web}/article" for c in lines)

    for path, message in (("/huge", "MB"), ("/picture", "image/png"), ("/missing", "HTTP 404")):
        failed = runner.invoke(app, ["extract", f"{web}{path}"])
        assert failed.exit_code == 2 and message in failed.output, (path, failed.output)
    slow = runner.invoke(app, ["extract", f"{web}/slow", "--timeout", "0.3"])
    assert slow.exit_code == 2 and "did not answer" in slow.output


# ---------------------------------------------------------------- the evaluation set


def test_evaluation_set_precision_and_recall_are_at_least_0_8() -> None:
    report = evaluate()
    assert report.articles >= 25
    overall = report.overall
    assert overall.precision >= 0.8, report.false_alarms
    assert overall.recall >= 0.8, report.misses
    assert all(score.true_positives + score.false_negatives > 0 for score in report.per_type.values())


def test_feed_items_go_through_the_same_extractor() -> None:
    from pipelines.extract import extract_feed_item

    extraction = extract_feed_item(
        "Zhipu AI unveils GLM-5",
        "<p>Zhipu AI on Wednesday released <b>GLM-5</b>, an open-weight model.</p><script>x()</script>",
        link="https://example.org/glm-5",
        published=dt.datetime(2026, 2, 11, 9, tzinfo=dt.UTC),
    )
    (launch,) = extraction.candidates
    assert (launch.model, launch.record["occurred_at"], launch.record["source_url"]) == (
        "GLM-5", "2026-02-11", "https://example.org/glm-5"
    )
    assert launch.record["payload"]["open_weights"] is True
