"""Precision and recall of the extractor on the labelled evaluation set.

`python -m tests.tools.evaluate_extract [--verbose]` (or `make eval-extract`).

An extracted candidate matches an expected event when they share the article
and the event type, and
- the main organization: the developer (any of a joint launch's developers),
  the accuser, or for a policy the jurisdiction code; names are compared
  through the registry, so "Meta Platforms" and "Meta" are one organization;
- the key: for a model the name ("GPT-4o" = "gpt 4o"); for an allegation the
  kind; for a product or a policy the name or title, where one's words must
  contain the other's ("AI Act" matches "Artificial Intelligence Act" and
  "EU AI Act"), and for a policy also the stage.
Matching is one-to-one: a second candidate for an already matched event is a
false positive. Dates are not part of the match; their agreement is reported
separately.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import re
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pipelines.extract.candidate import Candidate
from pipelines.extract.extractor import extract_text
from pipelines.extract.gazetteer import Gazetteer, default_gazetteer, normalize_token
from pipelines.extract.model_names import model_key

EVAL_DIR = Path(__file__).resolve().parents[1] / "extract_eval"
EVENT_TYPES = ("model.launched", "product.released", "allegation.made", "policy.changed")
# A fixed retrieval date, so a run of the evaluation does not depend on the day it runs.
EVAL_RETRIEVED_AT = dt.datetime(2026, 3, 1, tzinfo=dt.UTC)


@dataclass
class TypeScore:
    true_positives: int = 0
    false_positives: int = 0
    false_negatives: int = 0

    @property
    def precision(self) -> float:
        found = self.true_positives + self.false_positives
        return self.true_positives / found if found else 1.0

    @property
    def recall(self) -> float:
        expected = self.true_positives + self.false_negatives
        return self.true_positives / expected if expected else 1.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0


@dataclass
class EvalReport:
    per_type: dict[str, TypeScore]
    articles: int
    dates_matched: int = 0
    dates_agreeing: int = 0
    misses: list[str] = field(default_factory=list)
    false_alarms: list[str] = field(default_factory=list)
    date_disagreements: list[str] = field(default_factory=list)

    @property
    def overall(self) -> TypeScore:
        total = TypeScore()
        for score in self.per_type.values():
            total.true_positives += score.true_positives
            total.false_positives += score.false_positives
            total.false_negatives += score.false_negatives
        return total


def _words(text: str) -> frozenset[str]:
    text = re.sub(r"artificial[\s-]+intelligence", "ai", text.lower())
    return frozenset(w for w in re.findall(r"[a-z0-9]+", text) if w not in {"the", "of", "for", "on", "and", "a", "an"})


def _nested(a: str, b: str) -> bool:
    wa, wb = _words(a), _words(b)
    return bool(wa and wb) and (wa <= wb or wb <= wa)


def _org_ids(name: str, gazetteer: Gazetteer) -> set[str]:
    key = tuple(normalize_token(t) for t in re.findall(r"[^\W_]+", name))
    ids = {
        org.org_id
        for org in gazetteer.organizations
        for alias in (org.name, *org.aliases)
        if tuple(normalize_token(t) for t in re.findall(r"[^\W_]+", alias)) == key
    }
    return ids or {name.lower()}


def _main_orgs(candidate: Candidate) -> list[tuple[str | None, str]]:
    """(org_id, name) pairs that count as the candidate's main organization."""
    if candidate.event_type == "policy.changed":
        code = candidate.main_organization or ""
        return [(code, code)]
    if candidate.event_type == "model.launched":
        return [(o.org_id, o.name) for o in candidate.organizations if o.role == "developer"]
    return [(candidate.organizations[0].org_id, candidate.organizations[0].name)] if candidate.organizations else []


def _matches(expected: dict[str, Any], candidate: Candidate, gazetteer: Gazetteer) -> bool:
    if expected["event_type"] != candidate.event_type:
        return False
    if candidate.event_type == "policy.changed":
        if (candidate.main_organization or "").upper() != expected["organization"].upper():
            return False
        stage = candidate.record["payload"]["stage"]
        return _nested(expected["key"], candidate.key) and expected.get("stage", stage) == stage
    wanted = _org_ids(expected["organization"], gazetteer)
    if not any((org_id or name.lower()) in wanted for org_id, name in _main_orgs(candidate)):
        return False
    if candidate.event_type == "model.launched":
        return model_key(expected["key"]) == model_key(candidate.key)
    if candidate.event_type == "allegation.made":
        return expected["key"] == candidate.allegation_kind
    return _nested(expected["key"], candidate.key)


def _date_agrees(expected: dict[str, Any], candidate: Candidate) -> bool:
    wanted = expected.get("date")
    if not wanted:
        return True
    return candidate.record["occurred_at"].startswith(wanted) or candidate.occurred_at.isoformat().startswith(wanted)


def load_expected(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def evaluate(eval_dir: Path = EVAL_DIR, *, gazetteer: Gazetteer | None = None) -> EvalReport:
    gazetteer = gazetteer or default_gazetteer()
    expected = load_expected(eval_dir / "expected.jsonl")
    articles = sorted((eval_dir / "articles").glob("*.txt"))
    report = EvalReport(per_type={t: TypeScore() for t in EVENT_TYPES}, articles=len(articles))
    for path in articles:
        extraction = extract_text(path.read_text(encoding="utf-8"), retrieved_at=EVAL_RETRIEVED_AT, gazetteer=gazetteer)
        found = [c for c in extraction.candidates if c.event_type in report.per_type]
        wanted = [e for e in expected if e["article"] == path.name]
        unmatched = list(found)
        for event in wanted:
            score = report.per_type[event["event_type"]]
            match = next((c for c in unmatched if _matches(event, c, gazetteer)), None)
            if match is None:
                score.false_negatives += 1
                report.misses.append(f"{path.name}: {event['event_type']} {event['organization']} / {event['key']}")
                continue
            unmatched.remove(match)
            score.true_positives += 1
            report.dates_matched += 1
            if _date_agrees(event, match):
                report.dates_agreeing += 1
            else:
                report.date_disagreements.append(
                    f"{path.name}: {event['key']}: expected {event.get('date')}, extracted "
                    f"{match.record['occurred_at']} ({match.occurred_precision}, from the {match.date_basis})"
                )
        for candidate in unmatched:
            report.per_type[candidate.event_type].false_positives += 1
            report.false_alarms.append(
                f"{path.name}: {candidate.event_type} {candidate.main_organization} / {candidate.key}"
                f" [{candidate.confidence}] {candidate.evidence[:90]!r}"
            )
    return report


def format_report(report: EvalReport, *, verbose: bool = False) -> str:
    lines = [
        (
            f"extraction evaluation: {report.articles} articles, "
            f"{sum(s.true_positives + s.false_negatives for s in report.per_type.values())} expected events"
        ),
        "",
        f"{'event type':<18} {'expected':>8} {'found':>6} {'correct':>7} {'precision':>9} {'recall':>7} {'f1':>5}",
    ]
    rows: list[tuple[str, TypeScore]] = [*report.per_type.items(), ("overall", report.overall)]
    for name, s in rows:
        lines.append(
            f"{name:<18} {s.true_positives + s.false_negatives:>8} {s.true_positives + s.false_positives:>6} "
            f"{s.true_positives:>7} {s.precision:>9.3f} {s.recall:>7.3f} {s.f1:>5.3f}"
        )
    if report.dates_matched:
        lines.append("")
        lines.append(
            f"dates of matched events agreeing with the label: {report.dates_agreeing}/{report.dates_matched}"
        )
    if verbose:
        lines += ["", "missed:", *(f"  {m}" for m in report.misses)]
        lines += ["false positives:", *(f"  {f}" for f in report.false_alarms)]
        lines += ["dates disagreeing:", *(f"  {d}" for d in report.date_disagreements)]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dir", type=Path, default=EVAL_DIR, help="evaluation set folder (articles/, expected.jsonl)")
    parser.add_argument("--verbose", "-v", action="store_true", help="list missed events and false positives")
    args = parser.parse_args(argv)
    report = evaluate(args.dir)
    print(format_report(report, verbose=args.verbose))
    return 0


if __name__ == "__main__":
    sys.exit(main())
