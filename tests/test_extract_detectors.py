"""The extractor's detectors: one per event family, behind a list; a new family is one class and one entry."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from pipelines.extract import Extraction, extract_feed_item, extract_text
from pipelines.extract.cues import LAUNCH_WORDS, TriggerWords
from pipelines.extract.detectors import DETECTORS, Detector, Draft, View
from pipelines.extract.model_names import model_key
from schemas import NewEvent, parse_record

RETRIEVED = dt.datetime(2026, 3, 1, tzinfo=dt.UTC)
ARTICLE = (
    "OpenAI's New Model Tops a Coding Benchmark\n"
    "Date: 2025-08-08\n"
    "\n"
    "OpenAI released GPT-5 on August 7, 2025. "
    "The company said GPT-5 scored 74.9 on SWE-bench Verified, ahead of every earlier model. "
    "Analysts expect rivals to respond within weeks.\n"
)


# A family the extractor does not ship: a model's score on a benchmark ("GPT-5 scored 74.9 on SWE-bench Verified").
SCORE_WORDS = TriggerWords.of("benchmark-score", "scored scores")
_SCORE = re.compile(r"\bscor(?:ed|es)\s+(\d+(?:\.\d+)?)\s+on\s+((?:[A-Z][\w-]*)(?:\s[A-Z][\w-]*)*)")


class BenchmarkScores(Detector):
    event_type = "capability.scored"
    needs = (SCORE_WORDS,)

    def detect(self, view: View) -> list[Draft]:
        found = _SCORE.search(self.article.text, view.start, view.end)
        model = next((m for m in reversed(view.models) if found and m.end <= found.start()), None)
        if found is None or model is None:
            return []
        index, value = found.group(2), float(found.group(1))
        return [
            Draft(
                self.event_type,
                view,
                found.span(),
                orgs=(),
                key=f"{model.name} on {index}",
                payload={"index": index, "model_version": model.name, "score": value},
                cues=(("trigger:scored", 0.5), ("model:versioned", 0.15)),
                model=model.name,
                dedup_key=(model_key(model.name), index),
            )
        ]


class SentenceRecorder(Detector):
    """Yields nothing; remembers which sentences it was given."""

    event_type = "capability.scored"
    needs = (SCORE_WORDS,)
    seen: list[str] = []

    def detect(self, view: View) -> list[Draft]:
        SentenceRecorder.seen.append(view.sentence.text)
        return []


def _types(extraction: Extraction) -> list[str]:
    return [c.event_type for c in extraction.candidates]


def test_the_shipped_detectors_are_one_per_event_family() -> None:
    assert [d.event_type for d in DETECTORS] == ["model.launched", "product.released", "allegation.made", "policy.changed"]
    assert _types(extract_text(ARTICLE, retrieved_at=RETRIEVED)) == ["model.launched"]


def test_a_detector_passed_in_yields_candidates_end_to_end() -> None:
    extraction = extract_text(ARTICLE, retrieved_at=RETRIEVED, detectors=[*DETECTORS, BenchmarkScores])

    assert _types(extraction) == ["model.launched", "capability.scored"]
    score = extraction.candidates[1]
    assert score.record["payload"] == {"index": "SWE-bench Verified", "model_version": "GPT-5", "score": 74.9}
    assert isinstance(parse_record(score.record, record_ref=score.record["source_ref"]), NewEvent)
    assert score.evidence.startswith("The company said GPT-5 scored 74.9")
    assert extraction.text[score.span[0] : score.span[1]] == score.evidence
    # Dated like every other family: no date in its sentence, so the article's.
    assert (score.occurred_at, score.date_basis) == (dt.date(2025, 8, 8), "article")
    assert score.cues == ("trigger:scored", "model:versioned", "date:article")
    assert score.confidence == 0.65


def test_a_detector_added_to_the_list_is_run_by_every_entry_point() -> None:
    DETECTORS.append(BenchmarkScores)
    try:
        feed = extract_feed_item(
            "OpenAI's New Model Tops a Coding Benchmark",
            "<p>OpenAI said GPT-5 scored 74.9 on SWE-bench Verified.</p>",
            published=dt.date(2025, 8, 8),
            retrieved_at=RETRIEVED,
        )
    finally:
        DETECTORS.remove(BenchmarkScores)
    assert _types(feed) == ["capability.scored"]
    assert feed.candidates[0].record["payload"]["index"] == "SWE-bench Verified"
    # Taken out of the list again: not run.
    assert _types(extract_text(ARTICLE, retrieved_at=RETRIEVED)) == ["model.launched"]


def test_a_detector_reads_only_the_sentences_that_have_its_trigger_words() -> None:
    SentenceRecorder.seen.clear()
    extract_text(ARTICLE, retrieved_at=RETRIEVED, detectors=[*DETECTORS, SentenceRecorder])
    assert SentenceRecorder.seen == [
        "The company said GPT-5 scored 74.9 on SWE-bench Verified, ahead of every earlier model."
    ]


def test_a_detector_is_made_per_article_so_what_it_remembers_stays_in_that_article() -> None:
    first = "Date: 2025-01-10\n\nThe New York Times sued OpenAI in a federal court, alleging copyright infringement.\n"
    second = "Date: 2025-01-10\n\nThe complaint accuses Microsoft of scraping millions of articles.\n"
    together = extract_text(first + second, retrieved_at=RETRIEVED)
    assert [c.record["payload"]["accusers"] for c in together.candidates] == [["The New York Times"]] * 2
    assert "accuser:lawsuit" in together.candidates[1].cues
    # Alone, "the complaint" refers to no earlier lawsuit: the Times' suit was another article.
    extract_text(first, retrieved_at=RETRIEVED)
    assert _types(extract_text(second, retrieved_at=RETRIEVED)) == []


def test_a_detector_must_name_its_trigger_words_and_groups_must_not_clash() -> None:
    class ReadsEverything(Detector):
        event_type = "capability.scored"
        needs = ()

        def detect(self, view: View) -> list[Draft]:
            return []

    class OtherLaunchWords(Detector):
        event_type = "model.launched"
        needs = (TriggerWords.of(LAUNCH_WORDS.name, "dropped drops"),)

        def detect(self, view: View) -> list[Draft]:
            return []

    with pytest.raises(ValueError, match="ReadsEverything needs no trigger words"):
        extract_text(ARTICLE, detectors=[ReadsEverything])
    with pytest.raises(ValueError, match="OtherLaunchWords: two different groups of trigger words are named 'launch'"):
        extract_text(ARTICLE, detectors=[*DETECTORS, OtherLaunchWords])
