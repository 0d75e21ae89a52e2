"""Sentence splitting with character spans into the article text.

News text mixes prose with headlines, bylines, datelines and bullet lists, so
lines matter as much as full stops: a line without final punctuation is a
sentence of its own (a headline) unless the text is visibly hard-wrapped.
Abbreviations ("U.S.", "Inc.", "Jan.") and initials do not end sentences.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_LINE = re.compile(r"[^\n]+")
# A candidate end: terminal punctuation, closing quotes/brackets, then whitespace.
_END = re.compile(r"[.!?\u2026]+[\"'\u201d\u2019)\]]*(?=\s)")
_WORD_BEFORE = re.compile(r"[\w.'\u2019&-]+$")
_BULLET = re.compile(r"[-\u2022*\u25aa\u2013\u2014\u00b7>]+\s+")
# "BEIJING, Feb 11 (Reuters) — " or "SAN FRANCISCO — ": a place in capitals before a dash.
DATELINE = re.compile(
    r"(?:[A-Z][A-Z'.\u2019-]{2,}(?: [A-Z][A-Z'.\u2019-]+){0,3})(?:, [^\n\u2014\u2013]{1,40}?)?"
    r"(?: \([A-Za-z .]{1,30}\))? ?(?:\u2014|\u2013|--| - ) ?"
)
_ABBREVIATIONS = frozenset(
    "mr mrs ms dr prof st jr sr inc corp co ltd llc plc vs etc e.g i.e u.s u.k u.n e.u jan feb mar apr jun jul "
    "aug sep sept oct nov dec no gov sen rep gen col lt approx dept univ fig est a.m p.m pp vol ed eds al".split()
)
# Abbreviations that may also end a sentence; they do when a typical opener follows.
_MAY_END = frozenset("inc corp co ltd llc plc etc u.s u.k u.n e.u a.m p.m al".split())
_OPENERS = frozenset(
    "The It He She They We I But In On At A An This That These Those Its Their His Her Our Meanwhile However "
    "Still Yet And Or So For After Before While When Last Earlier Later Separately".split()
)
_TERMINAL = (".", "!", "?", ":", ";", "\u2026", '"', "\u201d", "'", "\u2019", ")")


@dataclass(frozen=True)
class Sentence:
    start: int
    end: int
    text: str
    # A line with no final punctuation: a headline, section title or byline.
    headline: bool
    paragraph: int


def _is_headline_line(line: str) -> bool:
    stripped = line.rstrip()
    if not stripped or stripped.endswith((".", "!", "?", "\u2026", ".\"", ".\u201d")):
        return False
    words = [w for w in re.findall(r"[^\W\d_][\w'\u2019-]*", stripped) if len(w) > 3]
    if not words:
        return True
    capitalized = sum(1 for w in words if w[0].isupper())
    return len(stripped) < 40 or capitalized >= 0.6 * len(words)


def _blocks(text: str) -> list[tuple[int, int, bool, int]]:
    """Line groups (start, end, is_headline, paragraph): hard-wrapped lines are joined."""
    blocks: list[tuple[int, int, bool, int]] = []
    paragraph = 0
    last_end = 0
    for match in _LINE.finditer(text):
        start, end = match.start(), match.end()
        line = match.group()
        if not line.strip():
            continue
        if text.count("\n", last_end, start) >= 2:
            paragraph += 1
        headline = _is_headline_line(line)
        if blocks:
            p_start, p_end, p_head, p_par = blocks[-1]
            previous = text[p_start:p_end].rstrip()
            same_paragraph = p_par == paragraph
            first = line.lstrip()[:1]
            wrapped = (
                same_paragraph
                and not p_head
                and not previous.endswith(_TERMINAL)
                and not _BULLET.match(line.lstrip())
                and (first.islower() or first.isdigit() or len(previous) >= 60)
            )
            if wrapped:
                blocks[-1] = (p_start, end, False, p_par)
                last_end = end
                continue
        blocks.append((start, end, headline, paragraph))
        last_end = end
    return blocks


_NEXT_CHARS = re.compile(r"\s*(\S{0,24})")


def _ends_sentence(block_text: str, end_match: re.Match[str]) -> bool:
    punct_at = end_match.start()
    # Only a bounded look around the full stop: a long block costs linear time, not quadratic.
    after = _NEXT_CHARS.match(block_text, end_match.end()).group(1)  # type: ignore[union-attr]
    if not after:
        return True
    nxt = after[0]
    if not (nxt.isupper() or nxt.isdigit() or nxt in "\"'\u201c\u2018(["):
        return False
    if block_text[punct_at] != ".":
        return True
    word_match = _WORD_BEFORE.search(block_text, max(0, punct_at - 40), punct_at)
    word = word_match.group().lower().lstrip("'\u2019(") if word_match else ""
    if len(word) == 1 and word.isalpha():
        return False  # an initial: "John F. Kennedy"
    if word in _ABBREVIATIONS:
        if word in _MAY_END:
            following = re.match(r"[A-Za-z]+", after)
            return bool(following and following.group() in _OPENERS)
        return False
    return True


def split_sentences(text: str) -> list[Sentence]:
    sentences: list[Sentence] = []
    for b_start, b_end, headline, paragraph in _blocks(text):
        block = text[b_start:b_end]
        cut = 0
        for end_match in _END.finditer(block):
            if _ends_sentence(block, end_match):
                _add(sentences, text, b_start + cut, b_start + end_match.end(), headline, paragraph)
                cut = end_match.end()
        _add(sentences, text, b_start + cut, b_end, headline, paragraph)
    return sentences


def _add(out: list[Sentence], text: str, start: int, end: int, headline: bool, paragraph: int) -> None:
    # Trim whitespace and a leading bullet so the evidence is the sentence itself.
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    bullet = _BULLET.match(text, start, end)
    if bullet:
        start = bullet.end()
    dateline = DATELINE.match(text, start, end)
    if dateline and dateline.end() < end:
        start = dateline.end()
    if end - start < 2:
        return
    out.append(Sentence(start, end, text[start:end], headline, paragraph))
