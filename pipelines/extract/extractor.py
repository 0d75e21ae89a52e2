"""From article text to candidate events: sentences, then detectors, then candidates.

The text is split into sentences; each sentence gets the registry organizations,
model names and dates in it (a `View`) when its words could start an event. The
detectors (`pipelines.extract.detectors.DETECTORS`, one per event family) read
the views in order and return drafts; the extractor dates each draft (a date in
its clause, else the article's, else the retrieval month), keeps one statement
per event, and turns the rest into candidates whose records the schema accepts.

Within an article, one event stated twice (headline and body, or two
sentences) is kept once: the better-supported statement wins.
"""

from __future__ import annotations

import bisect
import datetime as dt
import functools
import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from pipelines.extract.candidate import (
    EXTRACTOR_SOURCE,
    Candidate,
    DateBasis,
    Extraction,
    Precision,
    candidate_id,
)
from pipelines.extract.cues import TriggerWords
from pipelines.extract.dates import DateMention, find_dates, parse_date_text
from pipelines.extract.dates import article_date as find_article_date
from pipelines.extract.detectors import DETECTORS, Article, Detector, Draft, View
from pipelines.extract.detectors.base import score
from pipelines.extract.detectors.shared import first_verb
from pipelines.extract.gazetteer import (
    Gazetteer,
    OrgMention,
    Tokens,
    default_gazetteer,
    tokenize,
)
from pipelines.extract.model_names import find_models
from pipelines.extract.sentences import Sentence, split_sentences
from pipelines.extract.text import (
    check_article_length,
    check_text,
    html_to_text,
    looks_like_html,
)
from schemas import CURRENT_VERSIONS, NewEvent, parse_record, slugify
from schemas.events import truncate_to_precision

MAX_SENTENCE_CHARS = 2000
_APPOSITIVE = re.compile(
    r",\s(?:the|a|an|its|his|her|their|who|which|whose|now|then|also|formerly|former|once|backed|founded|based"
    r"|owned|led|filed|written|known|headed|run|chaired)\b[^,;]{0,120},"
)
_DATE_CLAUSE_BREAK = re.compile(r",\s(?:and|but|while|although|though|whereas)\s|;")


# ---------------------------------------------------------------- the detectors of a run


@dataclass(frozen=True)
class _Lineup:
    """The detectors of a run, with an index of the trigger words they need."""

    detectors: tuple[type[Detector], ...]
    # Per detector: the names of the word groups a sentence must show for it to read the sentence.
    needs: tuple[frozenset[str], ...]
    # Word -> the names of the groups it belongs to (by the word itself or by a stem).
    words: dict[str, frozenset[str]]
    # (group name, its stems), and every stem: for the groups matched by prefix.
    stems: tuple[tuple[str, tuple[str, ...]], ...]
    all_stems: tuple[str, ...]

    def families(self, keys: Sequence[str]) -> set[str]:
        """The word groups a sentence's lowercase tokens belong to."""
        found: set[str] = set()
        for key in keys:
            hit = self.words.get(key)
            if hit:
                found |= hit
            elif self.all_stems and key.startswith(self.all_stems):
                found.update(name for name, stems in self.stems if key.startswith(stems))
        return found


@functools.lru_cache(maxsize=8)
def _lineup(detectors: tuple[type[Detector], ...]) -> _Lineup:
    groups: dict[str, TriggerWords] = {}
    for detector in detectors:
        if not detector.needs:
            raise ValueError(f"detector {detector.__name__} needs no trigger words: it must name at least one group")
        for group in detector.needs:
            if groups.setdefault(group.name, group) != group:
                raise ValueError(
                    f"detector {detector.__name__}: two different groups of trigger words are named {group.name!r}"
                )
    stems = tuple((group.name, group.prefixes) for group in groups.values() if group.prefixes)
    words: dict[str, frozenset[str]] = {}
    for group in groups.values():
        for word in group.words:
            words[word] = words.get(word, frozenset()) | {group.name}
    for word, names in words.items():
        # A listed word that also starts with another group's stem: the index answers for both.
        words[word] = names | {name for name, group_stems in stems if word.startswith(group_stems)}
    return _Lineup(
        detectors=detectors,
        needs=tuple(frozenset(group.name for group in detector.needs) for detector in detectors),
        words=words,
        stems=stems,
        all_stems=tuple(stem for _, group_stems in stems for stem in group_stems),
    )


def _views(
    text: str,
    sentences: Sequence[Sentence],
    mentions: Sequence[OrgMention],
    tokens: Tokens,
    reference: dt.date | None,
    lineup: _Lineup,
) -> list[View]:
    starts = [m.start for m in mentions]
    views = []
    for sentence in sentences:
        lo = bisect.bisect_left(starts, sentence.start)
        hi = bisect.bisect_left(starts, sentence.end)
        t_lo = bisect.bisect_left(tokens.starts, sentence.start)
        t_hi = bisect.bisect_left(tokens.starts, sentence.end)
        # A "sentence" of thousands of characters is a table, a list or garbage, not prose: it is
        # not searched for events, which also keeps every per-sentence step cheap.
        hit = lineup.families(tokens.keys[t_lo:t_hi]) if sentence.end - sentence.start <= MAX_SENTENCE_CHARS else set()
        appositives = tuple(
            (sentence.start + a.start(), sentence.start + a.end()) for a in _APPOSITIVE.finditer(sentence.text)
        )
        if not hit:
            # No trigger word at all: only the organizations matter (for "the company" later on).
            orgs = tuple(m for m in mentions[lo:hi] if m.end <= sentence.end)
            views.append(View(sentence, orgs, (), (), appositives, families=frozenset()))
            continue
        models = tuple(find_models(text, sentence.start, sentence.end))
        # An organization named inside a model name ("Kimi" in "Kimi K2") is part of the name.
        orgs = tuple(
            m for m in mentions[lo:hi]
            if m.end <= sentence.end and not any(x.start <= m.start < x.end for x in models)
        )
        dates = tuple(find_dates(text, sentence.start, sentence.end, reference=reference))
        views.append(View(sentence, orgs, models, dates, appositives, families=frozenset(hit)))
    return views


def _update_actor(view: View, article: Article) -> None:
    """Remember who the sentence is about, for "the company" in the next ones."""
    verb_at = first_verb(article.text, view.start, view.end)
    for mention in view.orgs:
        if mention.start >= verb_at:
            break
        if view.in_appositive(mention.start) or mention.place or mention.org.kind == "person":
            continue
        article.last_actor = mention.org
        return


def _similar_titles(a: str, b: str) -> bool:
    ka, kb = _title_key(a), _title_key(b)
    return bool(ka and kb) and (ka <= kb or kb <= ka)


def _title_key(title: str) -> frozenset[str]:
    text = re.sub(r"artificial[\s-]+intelligence", "ai", title.lower())
    return frozenset(w for w in re.findall(r"[a-z0-9]+", text) if w not in {"the", "of", "for", "on", "and", "a", "an"})


def _better(a: Draft, b: Draft) -> Draft:
    def rank(d: Draft) -> tuple[Any, ...]:
        return (d.precedence, not d.headline, d.confidence, -d.view.start)

    return a if rank(a) >= rank(b) else b


def _deduplicate(drafts: Sequence[Draft]) -> list[Draft]:
    # Grouped by key, so a long document with many events stays linear.
    groups: dict[tuple[Any, ...], list[Draft]] = {}
    for draft in drafts:
        group = groups.setdefault((draft.event_type, *draft.dedup_key), [])
        for i, other in enumerate(group):
            if _same_event(draft, other):
                group[i] = _better(draft, other)
                break
        else:
            group.append(draft)
    kept = [d for group in groups.values() for d in group]
    # A headline summarizes the body: when the body states an event of the same type by the same
    # actor, the headline's version (with its title-case guesses) adds nothing.
    body_actors = {_actor_key(d) for d in kept if not d.headline}
    return [d for d in kept if not d.headline or _actor_key(d) not in body_actors]


def _actor_key(draft: Draft) -> tuple[Any, ...]:
    if draft.headline_key is not None:
        return (draft.event_type, *draft.headline_key)
    return (draft.event_type, draft.orgs[0].org_id if draft.orgs else None)


def _same_event(a: Draft, b: Draft) -> bool:
    """Two statements of one group (same type, same `dedup_key`)."""
    return not a.match_titles or _similar_titles(a.key, b.key)


def _nearest_date(view: View, text: str, anchor: int) -> DateMention | None:
    """The date nearest the trigger, within its clause ("..., and said a version would follow later this year")."""
    best: DateMention | None = None
    best_distance = 10**9
    for mention in view.dates:
        lo, hi = (anchor, mention.start) if mention.start >= anchor else (mention.end, anchor)
        if _DATE_CLAUSE_BREAK.search(text, lo, hi):
            continue
        distance = hi - lo
        if distance < best_distance:
            best, best_distance = mention, distance
    return best


def _date_for(draft: Draft, article: Article) -> tuple[dt.date, Precision, DateBasis]:
    mention = _nearest_date(draft.view, article.text, draft.trigger[0])
    if mention is not None:
        return mention.day, mention.precision, "sentence"
    if article.reference is not None:
        return article.reference, article.reference_precision or "day", "article"
    return article.retrieved, "month", "retrieved"


def _candidate(
    draft: Draft, article: Article, sha: str, source_url: str | None, retrieved_at: dt.datetime | None
) -> Candidate | str:
    day, precision, basis = _date_for(draft, article)
    day = truncate_to_precision(day, precision)  # "2026-02" is written 2026-02-01, as the log stores it
    fired = list(draft.cues)
    fired.append((f"date:{basis}", {"sentence": 0.1, "article": 0.0, "retrieved": -0.1}[basis]))
    if draft.headline:
        fired.append(("headline", -0.1))
    start, end = draft.view.start, draft.view.end
    source_ref = f"article:{sha[:16]}:{start}-{end}:{draft.event_type}:{slugify(draft.key)}"
    record: dict[str, Any] = {
        "event_type": draft.event_type,
        "schema_version": CURRENT_VERSIONS[draft.event_type],
        "occurred_at": day.isoformat(),
        "occurred_precision": precision,
        "source": EXTRACTOR_SOURCE,
        "source_ref": source_ref,
        "payload": draft.payload,
    }
    if source_url:
        record["source_url"] = source_url
    if retrieved_at is not None:
        record["retrieved_at"] = retrieved_at.isoformat()
    parsed = parse_record(record, record_ref=source_ref)
    if not isinstance(parsed, NewEvent):
        return f"{source_ref}: {parsed.reason}"
    return Candidate(
        candidate_id=candidate_id(source_ref),
        event_type=draft.event_type,
        organizations=draft.orgs,
        key=draft.key,
        model=draft.model,
        product=draft.product,
        policy_title=draft.policy_title,
        allegation_kind=draft.kind,
        occurred_at=parsed.occurred_at,
        occurred_precision=precision,
        date_basis=basis,
        evidence=draft.view.sentence.text,
        span=(start, end),
        article_sha256=sha,
        confidence=score(fired),
        cues=tuple(name for name, _ in fired),
        record=record,
    )


def _valid_url(url: str | None) -> str | None:
    if url and len(url) <= 2000 and re.fullmatch(r"https?://\S+", url):
        return url
    return None


def extract_text(
    text: str,
    *,
    source_url: str | None = None,
    article_date: dt.date | None = None,
    retrieved_at: dt.datetime | None = None,
    gazetteer: Gazetteer | None = None,
    html: bool | None = None,
    detectors: Sequence[type[Detector]] | None = None,
) -> Extraction:
    """Candidate events stated in an article (plain text or HTML).

    `article_date` is the article's own date when the caller knows it;
    otherwise a `Date:` line, an HTML date or a dated dateline is used, and
    as a last resort the retrieval date (`retrieved_at`, else today) with month
    precision. `detectors` replaces the event families read (default: `DETECTORS`).
    Raises `ExtractionError` for oversized or binary input.
    """
    check_text(text)
    reference: dt.date | None = article_date
    precision: Precision | None = "day" if article_date else None
    if html if html is not None else looks_like_html(text):
        document = html_to_text(text)
        text = document.text
        if reference is None and document.published:
            parsed = parse_date_text(document.published)
            if parsed:
                reference, precision = parsed
    check_article_length(text)
    sha = hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()
    url = _valid_url(source_url)
    if reference is None:
        found = find_article_date(text)
        if found is not None:
            reference, precision = found
    empty = Extraction(
        article_sha256=sha, text=text, article_date=reference, article_date_precision=precision, source_url=url,
        candidates=(),
    )
    if not text.strip():
        return empty
    gazetteer = gazetteer or default_gazetteer()
    sentences = split_sentences(text)
    if not sentences:
        return empty
    retrieved = (retrieved_at or dt.datetime.now(dt.UTC)).date()
    headline = next((s.text for s in sentences if s.headline), "")
    article = Article(text, gazetteer, reference, precision, retrieved, headline)
    lineup = _lineup(tuple(DETECTORS if detectors is None else detectors))
    readers = [detector(article) for detector in lineup.detectors]
    tokens: Tokens = tokenize(text)
    token_starts = tokens.starts
    sentence_starts = frozenset(
        token_starts[i] for s in sentences if (i := bisect.bisect_left(token_starts, s.start)) < len(tokens)
    )
    headline_spans = [(s.start, s.end) for s in sentences if s.headline]
    mentions = gazetteer.find(text, tokens, sentence_starts, headline_spans)
    drafts: list[Draft] = []
    for view in _views(text, sentences, mentions, tokens, reference or retrieved, lineup):
        if view.families:  # most sentences have no trigger word at all
            for reader, needs in zip(readers, lineup.needs, strict=True):
                if needs <= view.families:
                    drafts.extend(reader.detect(view))
        _update_actor(view, article)
    kept = _deduplicate(drafts)
    candidates: list[Candidate] = []
    dropped: list[str] = []
    for draft in sorted(kept, key=lambda d: (d.view.start, d.trigger[0])):
        result = _candidate(draft, article, sha, url, retrieved_at)
        (dropped if isinstance(result, str) else candidates).append(result)  # type: ignore[arg-type]
    return replace_extraction(empty, candidates=tuple(candidates), dropped=tuple(dropped))


def replace_extraction(extraction: Extraction, **changes: Any) -> Extraction:
    return extraction.model_copy(update=changes)


__all__ = ["extract_text"]
