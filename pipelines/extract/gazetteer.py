"""Organizations named in a text, from the curated registry.

The gazetteer is built at load time from warehouse/reference/organizations.csv
(the same file `core.organizations` is built from), so the two never drift.

Matching works on word tokens, so it is case-, accent- and punctuation-
insensitive ("Zhipu.AI" = "Zhipu AI") and always on word boundaries, and it is
linear: a dictionary lookup per token, longest alias first. Case is then used
as evidence the way a reader would:
- an alias written with capitals needs capitals in the text ("meta" is not Meta);
- a short all-capitals alias needs all capitals ("US", not "us"; "SEC", not "sec");
- an alias that is a common English word ("Magic", "Writer", "Moonshot") at the
  start of a sentence or in a headline, where everything is capitalized, needs
  context: a following verb or possessive, or a clear mention elsewhere.
Country names and capitals ("China", "Washington") resolve to government
organizations but are flagged `place`: the extractor uses them only as
jurisdictions, or as actors when the sentence makes them the subject.
"""

from __future__ import annotations

import bisect
import csv
import functools
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from pipelines.extract.reference import REGISTRY_CSV

WORD = re.compile(r"[^\W_]+")
_GAP_OK = frozenset(" .-&'\u2019\u00b7/")
GOVERNMENT_KINDS = frozenset({"government", "regulator", "legislature", "court"})
# Words that make an alias an institution rather than a place.
_INSTITUTIONAL = frozenset(
    "government administration ministry department council commission office house parliament congress court "
    "agency authority bureau cabinet senate assembly legislature governor president state".split()
)
# Common English words that are also aliases somewhere; capitalization alone
# does not identify them at the start of a sentence or in a title-case headline.
COMMON_WORDS = frozenset(
    """anthropic apple amazon oracle intel meta magic writer runway moonshot perplexity cognition together scale
    arm sea epoch prime physical safe thinking machines inception common crawl partnership capital one deep trading
    discover dollar sapient harmony character twitter uber yahoo adobe musk trump congress parliament pentagon
    washington california china mistral humain sandia data61 suno kimi qwen doubao reka step command nova titan
    granite falcon phi spark seed""".split()
)
# After a weak sentence-initial alias, these make it the subject of the sentence.
_CONTEXT_NEXT = frozenset(
    "s on in this last has had have is was were will would said says say also and announced launched released "
    "unveiled introduced debuted sued accused alleged filed raised expressed told plans reported releases launches "
    "unveils introduces debuts sues accuses alleges files raises says announces opens rolls ships signs passes "
    "warns warned claims claimed".split()
)


@dataclass(frozen=True)
class Organization:
    org_id: str
    name: str
    country: str | None
    kind: str
    aliases: tuple[str, ...]

    @property
    def governmental(self) -> bool:
        return self.kind in GOVERNMENT_KINDS


@dataclass(frozen=True)
class OrgMention:
    org: Organization
    start: int
    end: int
    surface: str
    # A country or city name standing for its government ("China", "Beijing").
    place: bool


@dataclass(frozen=True)
class Tokens:
    """An article's word tokens as parallel lists: thousands per article, so no object per token."""

    starts: list[int]
    ends: list[int]
    texts: list[str]
    keys: list[str]

    def __len__(self) -> int:
        return len(self.starts)


@dataclass(frozen=True)
class _Alias:
    org: Organization
    surface: str
    tokens: tuple[str, ...]  # the alias's own tokens, as written
    keys: tuple[str, ...]  # normalized
    place: bool
    weak: bool


def normalize_token(token: str) -> str:
    if token.isascii():
        return token.lower()
    decomposed = unicodedata.normalize("NFKD", token)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).lower()


def tokenize(text: str) -> Tokens:
    matches = list(WORD.finditer(text))
    starts = [m.start() for m in matches]
    ends = [m.end() for m in matches]
    texts = [m.group() for m in matches]
    lowered = text.lower()
    if len(lowered) == len(text):
        keys = [lowered[a:b] for a, b in zip(starts, ends, strict=True)]
    else:  # a few characters change length when lowercased ("İ"): go word by word
        keys = [t.lower() for t in texts]
    for i, key in enumerate(keys):
        if not key.isascii():
            keys[i] = normalize_token(texts[i])
    return Tokens(starts, ends, texts, keys)


def _is_place(org: Organization, alias_keys: tuple[str, ...]) -> bool:
    return org.kind == "government" and not (set(alias_keys) & _INSTITUTIONAL)


class Gazetteer:
    """Alias index over the registry; `find` returns the organizations a text names."""

    def __init__(self, organizations: Sequence[Organization]) -> None:
        self.organizations = tuple(organizations)
        self.by_id = {org.org_id: org for org in self.organizations}
        index: dict[str, list[_Alias]] = {}
        seen: set[tuple[str, tuple[str, ...]]] = set()
        for org in self.organizations:
            for surface in (org.name, *org.aliases):
                tokens = tuple(m.group() for m in WORD.finditer(surface))
                if not tokens:
                    continue
                keys = tuple(normalize_token(t) for t in tokens)
                if (org.org_id, keys) in seen:
                    continue
                seen.add((org.org_id, keys))
                weak = len(keys) == 1 and keys[0] in COMMON_WORDS
                alias = _Alias(org, surface, tokens, keys, _is_place(org, keys), weak)
                index.setdefault(keys[0], []).append(alias)
        # first token -> [(width, {all keys: aliases})], longest first, so "Google DeepMind" wins
        # over "Google" and a position costs one dict lookup per alias length, not per alias.
        self._index: dict[str, list[tuple[int, dict[tuple[str, ...], list[_Alias]]]]] = {}
        for first, aliases in index.items():
            by_width: dict[int, dict[tuple[str, ...], list[_Alias]]] = {}
            for alias in aliases:
                by_width.setdefault(len(alias.keys), {}).setdefault(alias.keys, []).append(alias)
            self._index[first] = sorted(by_width.items(), reverse=True)

    @classmethod
    def from_csv(cls, path: Path = REGISTRY_CSV) -> Gazetteer:
        with path.open(newline="", encoding="utf-8") as handle:
            rows = list(csv.DictReader(handle))
        orgs = [
            Organization(
                org_id=row["org_id"].strip(),
                name=row["name"].strip(),
                country=(row.get("country") or "").strip() or None,
                kind=(row.get("kind") or "").strip(),
                aliases=tuple(a.strip() for a in (row.get("aliases") or "").split("|") if a.strip()),
            )
            for row in rows
            if row.get("org_id") and row.get("name")
        ]
        return cls(orgs)

    def get(self, org_id: str) -> Organization | None:
        return self.by_id.get(org_id)

    def find(
        self,
        text: str,
        tokens: Tokens,
        sentence_starts: frozenset[int] = frozenset(),
        headline_spans: Sequence[tuple[int, int]] = (),
    ) -> list[OrgMention]:
        """Organizations named in `text` (given its tokens), leftmost-longest, non-overlapping."""
        mentions: list[OrgMention] = []
        weak_pending: list[tuple[OrgMention, int]] = []
        strong_orgs: set[str] = set()
        keys, starts, ends = tokens.keys, tokens.starts, tokens.ends
        index = self._index
        i, n = 0, len(keys)
        while i < n:
            widths = index.get(keys[i])
            matched = None
            if widths:
                for width, by_keys in widths:
                    if i + width > n:
                        continue
                    for alias in by_keys.get(tuple(keys[i : i + width]), ()):
                        if self._matches(text, tokens, i, alias):
                            matched = alias
                            break
                    if matched is not None:
                        break
            if matched is None:
                i += 1
                continue
            width = len(matched.keys)
            start, end = starts[i], ends[i + width - 1]
            mention = OrgMention(matched.org, start, end, text[start:end], matched.place)
            exposed = start in sentence_starts or _inside(start, headline_spans)
            if matched.weak and exposed:
                weak_pending.append((mention, i))
            else:
                mentions.append(mention)
                strong_orgs.add(matched.org.org_id)
            i += width
        for mention, i in weak_pending:
            following = keys[i + 1] if i + 1 < n else ""
            gap = text[mention.end : starts[i + 1]] if i + 1 < n else ""
            if mention.org.org_id in strong_orgs or following in _CONTEXT_NEXT or gap.strip() in {",", ":"}:
                mentions.append(mention)
        mentions.sort(key=lambda m: m.start)
        return mentions

    @staticmethod
    def _matches(text: str, tokens: Tokens, i: int, alias: _Alias) -> bool:
        single = len(alias.keys) == 1
        for offset in range(len(alias.keys)):
            j = i + offset
            if offset:
                gap_start, gap_end = tokens.ends[j - 1], tokens.starts[j]
                if gap_end - gap_start > 3 or not set(text[gap_start:gap_end]) <= _GAP_OK:
                    return False
            if not _case_ok(alias.tokens[offset], tokens.texts[j], single=single):
                return False
        return True


def _case_ok(alias_token: str, surface: str, *, single: bool) -> bool:
    if not alias_token[:1].isupper():
        return True  # "xAI", "iFlytek", "deepset": written in any case
    if not surface[:1].isupper():
        return False
    if single and alias_token.isupper() and alias_token.isalpha() and len(alias_token) <= 4:
        return surface.isupper()  # "US" but not "Us"; "SEC" but not "Sec"
    return True


def _inside(position: int, spans: Sequence[tuple[int, int]]) -> bool:
    """Whether position falls in one of the sorted, disjoint spans (binary search)."""
    index = bisect.bisect_right(spans, (position, float("inf"))) - 1
    return index >= 0 and spans[index][0] <= position < spans[index][1]


@functools.cache
def default_gazetteer() -> Gazetteer:
    return Gazetteer.from_csv()
