"""What a detector reads and what it yields: the protocol every event family follows."""

from __future__ import annotations

import datetime as dt
from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

from pipelines.extract.candidate import OrgRef, Precision
from pipelines.extract.cues import TriggerWords
from pipelines.extract.dates import DateMention
from pipelines.extract.gazetteer import Gazetteer, Organization, OrgMention
from pipelines.extract.model_names import ModelMention
from pipelines.extract.sentences import Sentence


@dataclass(frozen=True)
class View:
    """One sentence with everything found in it."""

    sentence: Sentence
    orgs: tuple[OrgMention, ...]
    models: tuple[ModelMention, ...]
    dates: tuple[DateMention, ...]
    appositives: tuple[tuple[int, int], ...]
    # The trigger word groups (`TriggerWords.name`) among the sentence's words: which detectors read it.
    families: frozenset[str] = frozenset()
    # Readings of this sentence that several detectors share (the launch verbs), made once.
    memo: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    @property
    def start(self) -> int:
        return self.sentence.start

    @property
    def end(self) -> int:
        return self.sentence.end

    def in_appositive(self, position: int) -> bool:
        return any(a <= position < b for a, b in self.appositives)


@dataclass
class Article:
    """The document around the sentences: its text, registry, dates and headline."""

    text: str
    gazetteer: Gazetteer
    reference: dt.date | None
    reference_precision: Precision | None
    retrieved: dt.date
    headline_text: str
    # The organization the text is currently about, for "the company", "the start-up"
    # (the extractor moves it on after every sentence, once all detectors have read it).
    last_actor: Organization | None = None


@dataclass(frozen=True)
class Draft:
    """One statement of an event in one sentence; the extractor dates it and makes it a candidate."""

    event_type: str
    view: View
    trigger: tuple[int, int]
    orgs: tuple[OrgRef, ...]
    key: str
    payload: dict[str, Any]
    cues: tuple[tuple[str, float], ...]
    model: str | None = None
    product: str | None = None
    policy_title: str | None = None
    kind: str | None = None
    # Statements of one event type within an article that share this key may be one event.
    dedup_key: tuple[Any, ...] = ()
    # ... and are one only if their keys' words nest ("AI Act" in "EU AI Act"): for titles.
    match_titles: bool = False
    # A headline is dropped when the body states an event of the same type with this key
    # (None: the first organization's id).
    headline_key: tuple[Any, ...] | None = None
    # Among statements of one event, a higher precedence wins before anything else
    # (an allegation that names the accused over one that does not).
    precedence: int = 0

    @property
    def confidence(self) -> float:
        return score(self.cues)

    @property
    def headline(self) -> bool:
        return self.view.sentence.headline


def score(fired: Sequence[tuple[str, float]]) -> float:
    """A confidence from the weights of the cues that fired."""
    return round(min(0.98, max(0.05, sum(weight for _, weight in fired))), 2)


class Detector(ABC):
    """Reads one article's sentences in order and states the events of one family.

    The extractor makes one per article (`Detector(article)`), so a detector may remember
    what it found earlier in the article; it calls `detect` for each sentence, in order,
    whose words include one of every group in `needs`.
    """

    # The event type of the drafts it yields.
    event_type: ClassVar[str]
    # The cheap pre-check: it reads a sentence only if a word of each group is in it.
    needs: ClassVar[tuple[TriggerWords, ...]]

    def __init__(self, article: Article) -> None:
        self.article = article

    @abstractmethod
    def detect(self, view: View) -> Sequence[Draft]:
        """The events of this family the sentence states (usually none)."""
