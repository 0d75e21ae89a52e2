"""Throughput benchmark: `python -m tests.tools.bench_extract [--articles 1000]`.

Generates news-style articles of about 3 kB (launches, allegations, policy
changes, product releases and plenty of filler, with registry organizations
and model names in them), then extracts them one after the other in this
process, on one core, and prints the time and the rate. The target is 1,000
articles in under 10 seconds.
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass

from pipelines.extract.extractor import extract_text
from pipelines.extract.gazetteer import Gazetteer, default_gazetteer

_FAMILIES = ("GPT", "Claude", "Gemini", "Llama", "Qwen", "GLM", "DeepSeek-V", "Grok", "Kimi K", "ERNIE", "Mistral Large")
_LAB_KINDS = {"lab", "big_tech", "startup", "company"}
_FILLER = (
    "Analysts said the move reflects intensifying competition among developers of large language models.",
    "The company did not disclose how much the training run cost, but people familiar with the matter said it ran to tens of millions of dollars.",
    "Shares of chipmakers moved sharply in early trading as investors weighed the implications for demand.",
    "Researchers cautioned that benchmark scores do not always translate into better performance on real tasks.",
    "Executives have argued that open models let smaller businesses build products without depending on a single supplier.",
    "Critics say the pace of releases leaves little time for independent safety evaluations.",
    "The announcement came during a week of heavy news for the industry, with several rivals holding events of their own.",
    "Customers in finance and health care have been cautious about adopting the technology because of concerns over reliability.",
    "Energy use by data centers has become a growing political issue in several countries.",
    "The firm said it would publish more details in a technical report in the coming weeks.",
)
_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December")


def _labs(gazetteer: Gazetteer) -> list[str]:
    return [o.name for o in gazetteer.organizations if o.kind in _LAB_KINDS]


def _event_sentence(rng: random.Random, labs: Sequence[str], year: int) -> str:
    lab, other = rng.sample(list(labs), 2)
    when = f"on {rng.choice(_MONTHS)} {rng.randint(1, 28)}"
    model = f"{rng.choice(_FAMILIES)}{rng.randint(1, 9)}{rng.choice(['', '.5', ' Pro', '-mini', ' 70B'])}"
    return rng.choice(
        (
            f"{lab} released {model} {when}, a model that it says rivals systems from {other}.",
            f"{lab} unveiled {model} {when}, saying the open-weight model is available on Hugging Face.",
            f"{lab} sued {other} {when}, alleging that it copied copyrighted material to train its chatbot.",
            f"{lab} said {when} that {other} had distilled outputs from its models in breach of its terms.",
            f"The European Parliament adopted the AI Transparency Act {when}, {year}, after months of negotiations.",
            f"The US Commerce Department announced export controls on advanced chips {when}.",
            f"{lab} launched Atlas, a browser with a built-in assistant, {when}.",
            f"Regulators in several countries are weighing new rules for {lab} and its peers.",
        )
    )


def generate_articles(n: int, *, size: int = 3000, seed: int = 2026, gazetteer: Gazetteer | None = None) -> list[str]:
    """`n` deterministic articles of about `size` characters."""
    rng = random.Random(seed)
    labs = _labs(gazetteer or default_gazetteer())
    articles = []
    for _ in range(n):
        year = rng.randint(2019, 2026)
        lab = rng.choice(labs)
        parts = [f"{lab} Steps Up Its Challenge to Rivals", f"Date: {year}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}", ""]
        length = sum(len(p) + 1 for p in parts)
        while length < size:
            sentence = _event_sentence(rng, labs, year) if rng.random() < 0.3 else rng.choice(_FILLER)
            parts.append(sentence)
            length += len(sentence) + 1
        articles.append("\n".join(parts))
    return articles


@dataclass(frozen=True)
class BenchResult:
    articles: int
    mean_bytes: float
    wall_seconds: float
    # CPU time of this process: what the extraction costs when the machine is shared.
    cpu_seconds: float
    candidates: int


def run(n: int = 1000) -> BenchResult:
    gazetteer = default_gazetteer()
    articles = generate_articles(n, gazetteer=gazetteer)
    retrieved = dt.datetime(2026, 3, 1, tzinfo=dt.UTC)
    extract_text(articles[0], gazetteer=gazetteer, retrieved_at=retrieved)  # load lexicons before timing
    wall, cpu = time.perf_counter(), time.process_time()
    found = sum(len(extract_text(a, gazetteer=gazetteer, retrieved_at=retrieved).candidates) for a in articles)
    return BenchResult(
        articles=len(articles),
        mean_bytes=sum(len(a.encode()) for a in articles) / max(1, len(articles)),
        wall_seconds=time.perf_counter() - wall,
        cpu_seconds=time.process_time() - cpu,
        candidates=found,
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Extraction throughput on generated ~3 kB articles, one core.")
    parser.add_argument("--articles", type=int, default=1000)
    args = parser.parse_args(argv)
    result = run(args.articles)
    print(
        f"extracted {result.articles} articles (~{result.mean_bytes / 1000:.1f} kB each) on one core in "
        f"{result.wall_seconds:.2f} s: {result.articles / result.wall_seconds:.0f} articles/s "
        f"(CPU time {result.cpu_seconds:.2f} s); {result.candidates} candidate events"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
