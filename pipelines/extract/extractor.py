"""From article text to candidate events: sentences, then cues, then events.

Per sentence, a trigger (a verb for the event type) is read together with what
surrounds it: the actor is the nearest registry organization before the
trigger in the same clause (appositives such as ", the White House adviser,"
skipped), the object is what follows it up to a comparison or a new clause.
A trigger that is a noun ("the launch"), hedged ("plans to release", "will take
effect") or negated ("did not release") yields nothing. Each event type then
has its own requirements:

- model.launched: a model name in the object (or the subject of "is rolling
  out"), by the actor, or by the family's developer when no actor is named; a
  model of another developer's family is a comparison, not a launch.
- product.released: a known product or a capitalized name followed by a
  product noun ("Le Chat, a free chatbot"; "its Bing search engine").
- allegation.made: an accuser, a kind from cue words (in the sentence, else the
  same dispute earlier in the article, else the headline), and for reported
  concerns a party they are about, named or not ("some AI developers" -> null).
- policy.changed: a jurisdiction (a government, regulator, legislature, a
  country as actor, or a head of government) and an instrument (law, order,
  export control, regulation, ...), both in the sentence.

Within an article, one event stated twice (headline and body, or two
sentences) is kept once: the better-supported statement wins.
"""

from __future__ import annotations

import bisect
import datetime as dt
import hashlib
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from pipelines.extract import cues
from pipelines.extract.candidate import (
    EXTRACTOR_SOURCE,
    Candidate,
    DateBasis,
    Extraction,
    OrgRef,
    Precision,
    candidate_id,
)
from pipelines.extract.dates import DateMention, find_dates, parse_date_text
from pipelines.extract.dates import article_date as find_article_date
from pipelines.extract.gazetteer import (
    Gazetteer,
    Organization,
    OrgMention,
    Tokens,
    default_gazetteer,
    tokenize,
)
from pipelines.extract.model_names import (
    ModelMention,
    bare_family_at,
    find_models,
    model_key,
)
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
_BY = re.compile(r"\s+by\s+")
_ALPHA = re.compile(r"[A-Za-z]+")
_CONJUNCTION = re.compile(r"\s*(?:,|&|and|,\s*and)\s*")
_CAPITALIZED_RUN = re.compile(r"(?:[A-Z][\w+.\-]*|i[A-Z][\w\-]*)(?: (?:[A-Z][\w+.\-]*|\d[\w.]*)){0,3}")
_VARIANT_TAIL = re.compile(r" ((?:[a-z]+ ){0,1}(?:app|application|agent|browser))\b")
_ATTACHED_NOUNS = re.compile(r"(?: (?:[a-z][a-z\-]*|API)){1,3}")
_APPOSITIVE_PHRASE = re.compile(r",\s(?:a|an|the|its)\s([^,.;:]{1,80})")
_APPOSITIVE_END = re.compile(r"\s(?:that|which|who|powered|built|based)\s")
_LOWER_WORD = re.compile(r"(?<![\w-])[a-z]+\b")
_NONSPACE = re.compile(r"\S+")
_AUXILIARY_BEFORE = re.compile(r"\b(?:was|were|been|being|is)\s+$")
_NEXT_WORD = re.compile(r" (\w+) ")
_TITLE_WORD = re.compile(r"[\w\u2019'\-.]+")
_PHRASE_END = re.compile(r"[,.;:(]|\s(?:that|which|who|to|after|before|in|as|amid|while|with|from)\s")
_LAUNCH_EXCLUDED_KINDS = frozenset({"person", "media", "court", "government", "regulator", "legislature"})
_WORDS = re.compile(r"[A-Za-z']+")
_APPOSITIVE = re.compile(
    r",\s(?:the|a|an|its|his|her|their|who|which|whose|now|then|also|formerly|former|once|backed|founded|based"
    r"|owned|led|filed|written|known|headed|run|chaired)\b[^,;]{0,120},"
)
_CLAUSE_BREAK = re.compile(r";|\s(?:while|whereas|but)\s")
_US_STATES = {
    "alabama": "AL", "alaska": "AK", "arizona": "AZ", "arkansas": "AR", "california": "CA", "colorado": "CO",
    "connecticut": "CT", "delaware": "DE", "florida": "FL", "georgia": "GA", "hawaii": "HI", "idaho": "ID",
    "illinois": "IL", "indiana": "IN", "iowa": "IA", "kansas": "KS", "kentucky": "KY", "louisiana": "LA",
    "maine": "ME", "maryland": "MD", "massachusetts": "MA", "michigan": "MI", "minnesota": "MN",
    "mississippi": "MS", "missouri": "MO", "montana": "MT", "nebraska": "NE", "nevada": "NV",
    "new hampshire": "NH", "new jersey": "NJ", "new mexico": "NM", "new york": "NY", "north carolina": "NC",
    "north dakota": "ND", "ohio": "OH", "oklahoma": "OK", "oregon": "OR", "pennsylvania": "PA",
    "rhode island": "RI", "south carolina": "SC", "south dakota": "SD", "tennessee": "TN", "texas": "TX",
    "utah": "UT", "vermont": "VT", "virginia": "VA", "washington state": "WA", "west virginia": "WV",
    "wisconsin": "WI", "wyoming": "WY",
}
_US_STATE_RE = re.compile(r"\b(" + "|".join(sorted(_US_STATES, key=len, reverse=True)) + r")\b")


# ---------------------------------------------------------------- per-article state


@dataclass(frozen=True)
class _View:
    """One sentence with everything found in it."""

    sentence: Sentence
    orgs: tuple[OrgMention, ...]
    models: tuple[ModelMention, ...]
    dates: tuple[DateMention, ...]
    appositives: tuple[tuple[int, int], ...]
    # Which detectors can fire here (from a cheap word check): "launch", "allegation", "policy", "instrument".
    families: frozenset[str] = frozenset()

    @property
    def start(self) -> int:
        return self.sentence.start

    @property
    def end(self) -> int:
        return self.sentence.end

    def in_appositive(self, position: int) -> bool:
        return any(a <= position < b for a, b in self.appositives)


@dataclass
class _Article:
    text: str
    gazetteer: Gazetteer
    reference: dt.date | None
    reference_precision: Precision | None
    retrieved: dt.date
    headline_text: str
    # The organization the text is currently about, for "the company", "the start-up".
    last_actor: Organization | None = None
    drafts: list[_Draft] = field(default_factory=list)
    # The latest allegation, for "The complaint accuses ...", and each accuser's allegation kind.
    last_accuser: Organization | None = None
    kinds_by_accuser: dict[str, str] = field(default_factory=dict)

    def remember(self, drafts: Sequence[_Draft]) -> None:
        self.drafts.extend(drafts)
        for draft in drafts:
            if draft.event_type == "allegation.made" and draft.orgs[0].org_id:
                self.last_accuser = self.gazetteer.get(draft.orgs[0].org_id)
                if draft.kind and any(name == "kind:sentence" for name, _ in draft.cues):
                    # Only kinds the text states; a default would mislabel the rest of the dispute.
                    self.kinds_by_accuser[draft.orgs[0].org_id] = draft.kind


@dataclass(frozen=True)
class _Draft:
    event_type: str
    view: _View
    trigger: tuple[int, int]
    orgs: tuple[OrgRef, ...]
    key: str
    payload: dict[str, Any]
    cues: tuple[tuple[str, float], ...]
    model: str | None = None
    product: str | None = None
    policy_title: str | None = None
    kind: str | None = None
    # Statements of one event within an article share this key (policies also compare titles).
    dedup_key: tuple[Any, ...] = ()

    @property
    def confidence(self) -> float:
        return _score(self.cues)

    @property
    def headline(self) -> bool:
        return self.view.sentence.headline


# ---------------------------------------------------------------- small helpers


def _score(fired: Sequence[tuple[str, float]]) -> float:
    return round(min(0.98, max(0.05, sum(weight for _, weight in fired))), 2)


def _prev_words(text: str, start: int, floor: int, n: int = 4) -> list[str]:
    # Case is kept: "May 13 rescinded" is a date, "may rescind" a hedge.
    return _WORDS.findall(text, max(floor, start - 60), start)[-n:]


def _is_noun_use(text: str, start: int, floor: int, end: int) -> bool:
    """ "the launch", "new releases", "the release of": a noun, not an action."""
    before = _prev_words(text, start, floor, 1)
    after = text[end : end + 4]
    return bool(before and before[0].lower() in cues.NOUN_DETERMINERS) or after.startswith(" of ")


def _is_hedged(text: str, start: int, floor: int) -> bool:
    """Hypothetical or negated: "will release", "plans to launch", "did not sign"."""
    words = _prev_words(text, start, floor, 4)
    if any(w in cues.NEGATIONS or w.endswith("n't") for w in words[-3:]):
        return True
    significant = [w for w in reversed(words) if w not in cues.ADVERBS]
    if not significant:
        return False
    if significant[0] in cues.MODALS:
        return True
    return significant[0] == "be" and len(significant) > 1 and significant[1] in cues.MODALS


def _org_ref(org: Organization, role: str) -> OrgRef:
    return OrgRef(name=org.name, org_id=org.org_id, country=org.country, role=role)  # type: ignore[arg-type]


def _same_clause(text: str, a: int, b: int) -> bool:
    return _CLAUSE_BREAK.search(text, a, b) is None


def _nearest_before(
    view: _View, text: str, position: int, allow: Callable[[OrgMention], bool]
) -> OrgMention | None:
    for mention in reversed(view.orgs):
        if mention.end > position:
            continue
        if view.in_appositive(mention.start) or not allow(mention):
            continue
        if any(m.start <= mention.start < m.end for m in view.models):
            continue
        if not _same_clause(text, mention.end, position):
            return None
        return mention
    return None


def _conjoined(view: _View, text: str, head: OrgMention, allow: Callable[[OrgMention], bool]) -> list[OrgMention]:
    """ "Zhipu AI and Tsinghua University released": the head and the organizations joined to it."""
    group = [head]
    index = view.orgs.index(head)
    for mention in reversed(view.orgs[:index]):
        gap = text[mention.end : group[0].start]
        if not _CONJUNCTION.fullmatch(gap) or not allow(mention):
            break
        group.insert(0, mention)
    return group


def _developer_allowed(mention: OrgMention) -> bool:
    return not mention.place and mention.org.kind not in _LAUNCH_EXCLUDED_KINDS


def _subject_text(view: _View, text: str, position: int) -> str:
    return text[view.start : position]


_DATE_CLAUSE_BREAK = re.compile(r",\s(?:and|but|while|although|though|whereas)\s|;")


def _nearest_date(view: _View, text: str, anchor: int) -> DateMention | None:
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


def _context_actor(view: _View, text: str, position: int, article: _Article) -> Organization | None:
    """ "The company released ...": the organization the article was just about."""
    subject = _subject_text(view, text, position)
    if article.last_actor is not None and cues.COREFERENT_SUBJECT.search(subject):
        return article.last_actor
    return None


# ---------------------------------------------------------------- model.launched and product.released


def _object_end(view: _View, text: str, trigger_end: int, next_trigger: int) -> int:
    stop = cues.OBJECT_STOP.search(text, trigger_end, view.end)
    return min(next_trigger, stop.start() if stop else view.end)


def _launch_developers(
    view: _View, text: str, trigger: re.Match[str], article: _Article
) -> tuple[list[Organization], str | None]:
    """The organizations behind a launch, and how we know ("subject", "by", "context")."""
    head = _nearest_before(view, text, trigger.start(), _developer_allowed)
    if head is not None:
        return [m.org for m in _conjoined(view, text, head, _developer_allowed)], "subject"
    by = _BY.match(text, trigger.end(), trigger.end() + 6)
    if by:
        after = [m for m in view.orgs if m.start == by.end() and _developer_allowed(m)]
        if after:
            return [after[0].org], "by"
    actor = _context_actor(view, text, trigger.start(), article)
    if actor is not None:
        return [actor], "context"
    return [], None


def _models_for_trigger(view: _View, text: str, trigger: re.Match[str], object_end: int) -> list[ModelMention]:
    named = [m for m in view.models if trigger.end() <= m.start < object_end]
    if named:
        return named
    # "Grok 3 is rolling out": the model is the subject of an intransitive trigger.
    before = [m for m in view.models if m.end <= trigger.start()]
    if before and cues.PASSIVE_BEFORE.search(text, before[-1].end, trigger.start()):
        return [before[-1]]
    # "introduced Gemini, its largest and most capable AI model": a bare family name the
    # sentence itself calls a model.
    bare = bare_family_at(text, _skip_filler(text, trigger.end(), object_end, view), view.end)
    if bare is not None and cues.CALLED_A_MODEL.match(text, bare.end, view.end):
        return [bare]
    return []


def _resolve_group(org_ids: Sequence[str], article: _Article) -> list[Organization]:
    found = article.gazetteer.get(org_ids[0]) if org_ids else None
    return [found] if found else []


def _launch_payload(view: _View, model: ModelMention, orgs: Sequence[Organization]) -> dict[str, Any]:
    sentence = view.sentence.text
    payload: dict[str, Any] = {
        "model": model.name,
        "organizations": [o.name for o in orgs],
        "countries": list(dict.fromkeys(o.country for o in orgs if o.country)),
    }
    if cues.OPEN_WEIGHTS.search(sentence):
        payload["open_weights"] = True
        payload["access"] = "open_weights"
    elif cues.CLOSED_WEIGHTS.search(sentence):
        payload["open_weights"] = False
    if "access" not in payload and cues.API_ACCESS.search(sentence):
        payload["access"] = "api"
    params = cues.PARAMETERS.search(sentence)
    if params and len(view.models) == 1:
        scale = {"million": 1e6, "billion": 1e9, "trillion": 1e12}[params.group(2).lower()]
        payload["parameters"] = float(params.group(1)) * scale
    return payload


def _launches(view: _View, article: _Article) -> list[_Draft]:
    text = article.text
    triggers = list(cues.LAUNCH_TRIGGER.finditer(text, view.start, view.end))
    drafts: list[_Draft] = []
    for index, trigger in enumerate(triggers):
        if _is_noun_use(text, trigger.start(), view.start, trigger.end()):
            continue
        if _is_hedged(text, trigger.start(), view.start):
            continue
        next_trigger = triggers[index + 1].start() if index + 1 < len(triggers) else view.end
        object_end = _object_end(view, text, trigger.end(), next_trigger)
        developers, how = _launch_developers(view, text, trigger, article)
        verb = trigger.group().lower()
        models = _models_for_trigger(view, text, trigger, object_end)
        for model in models:
            drafts.extend(_launch_draft(view, article, trigger, verb, model, developers, how))
        if not models:
            product = _product_at(view, text, trigger.end(), next_trigger)
            if product is not None:
                drafts.extend(_product_draft(view, article, trigger, verb, product, developers, how))
    return drafts


def _launch_draft(
    view: _View,
    article: _Article,
    trigger: re.Match[str],
    verb: str,
    model: ModelMention,
    developers: list[Organization],
    how: str | None,
) -> list[_Draft]:
    fired: list[tuple[str, float]] = [(f"trigger:{verb}", 0.45)]
    if developers:
        ids = {o.org_id for o in developers}
        if model.developer_ids and not ids & set(model.developer_ids):
            # Another developer's model next to a launch verb: a comparison or a hosting deal.
            return []
        fired.append((f"actor:{how}", 0.25 if how in {"subject", "by"} else 0.1))
    else:
        developers = _resolve_group(model.developer_ids, article)
        if not developers:
            return []
        fired.append(("actor:model-family", 0.15))
    fired.append(("model:versioned" if model.versioned else "model:named", 0.15 if model.versioned else 0.1))
    payload = _launch_payload(view, model, developers)
    return [
        _Draft(
            "model.launched",
            view,
            trigger.span(),
            tuple(_org_ref(o, "developer") for o in developers),
            key=model.name,
            payload=payload,
            cues=tuple(fired),
            model=model.name,
            dedup_key=("model.launched", model_key(model.name)),
        )
    ]


@dataclass(frozen=True)
class _Product:
    name: str
    kind: str
    start: int
    end: int
    known_org: str | None
    how: str


def _skip_filler(text: str, pos: int, end: int, view: _View) -> int:
    """Past determiners, "a new version of its", and a date ("on Monday") after the trigger."""
    for _ in range(12):
        while pos < end and text[pos] == " ":
            pos += 1
        date = next(
            (d for d in view.dates if d.start == pos or (d.start == pos + 3 and text[pos : pos + 3] == "on ")), None
        )
        if date is not None:
            pos = date.end
            continue
        word = _ALPHA.match(text, pos, end)
        if word and word.group().lower() in cues.OBJECT_FILLER and word.group()[0].islower():
            pos = word.end()
            continue
        break
    return pos


def _capitalized_run(text: str, pos: int, end: int) -> tuple[int, int] | None:
    run = _CAPITALIZED_RUN.match(text[pos:end])
    if not run:
        return None
    name = run.group().rstrip(".")
    if name.split()[0] in {"On", "In", "The", "A", "An", "Its", "This", "That"}:
        return None
    return pos, pos + len(name)


def _product_noun(words: Sequence[str]) -> str | None:
    for word in words:
        kind = cues.PRODUCT_NOUNS.get(word.lower())
        if kind is not None:
            return kind
    return None


def _product_at(view: _View, text: str, trigger_end: int, limit: int) -> _Product | None:
    pos = _skip_filler(text, trigger_end, limit, view)
    known = cues.KNOWN_PRODUCT_RE.match(text, pos, limit)
    if known:
        kind, org_id = cues.KNOWN_PRODUCTS[known.group()]
        name_end = known.end()
        # "a ChatGPT desktop app": the variant is its own product.
        tail = _VARIANT_TAIL.match(text[name_end:limit])
        if tail:
            kind = cues.PRODUCT_NOUNS.get(tail.group(1).split()[-1], kind)
            name_end += tail.end()
        return _Product(text[pos:name_end], kind, pos, name_end, org_id, "known")
    # "mobile apps for Le Chat", "a desktop version of ChatGPT": the product is what the noun is for.
    for_name = cues.PRODUCT_FOR.match(text, pos, limit)
    if for_name is not None:
        kind = _product_noun(for_name.group(1).split())
        run = _capitalized_run(text, for_name.end(), limit)
        if kind is not None and run is not None:
            return _Product(text[run[0] : run[1]], kind, run[0], run[1], None, "noun")
    run = _capitalized_run(text, pos, limit)
    if run is None:
        return None
    if any(m.start == run[0] and m.end >= run[1] for m in view.orgs):
        return None  # the object is an organization ("acquired OpenAI"), not a product
    name = text[run[0] : run[1]]
    after = text[run[1] : limit]
    # "its Bing search engine", "the Operator agent": a product noun right after the name.
    attached = _ATTACHED_NOUNS.match(after)
    if attached:
        kind = _product_noun(attached.group().split())
        if kind is not None:
            return _Product(name, kind, run[0], run[1], None, "noun")
    # Skip a date between the name and an appositive: "Apple Intelligence on Monday, a set of features".
    rest = _skip_filler(text, run[1], limit, view)
    appositive = _APPOSITIVE_PHRASE.match(text[rest:limit])
    if appositive:
        # The appositive's head noun comes within its first words: "a set of generative AI features".
        words = _APPOSITIVE_END.split(appositive.group(1))[0].split()[:8]
        kind = _product_noun(words)
        if kind is not None:
            return _Product(name, kind, run[0], run[1], None, "appositive")
    return None


def _product_draft(
    view: _View,
    article: _Article,
    trigger: re.Match[str],
    verb: str,
    product: _Product,
    developers: list[Organization],
    how: str | None,
) -> list[_Draft]:
    fired: list[tuple[str, float]] = [(f"trigger:{verb}", 0.4)]
    if developers:
        fired.append((f"actor:{how}", 0.25 if how in {"subject", "by"} else 0.1))
    elif product.known_org and (known := article.gazetteer.get(product.known_org)):
        developers = [known]
        fired.append(("actor:known-product", 0.15))
    else:
        return []
    fired.append((f"product:{product.how}", 0.2 if product.how == "known" else 0.15))
    organization = developers[0]
    payload = {"organization": organization.name, "product": product.name, "kind": product.kind}
    return [
        _Draft(
            "product.released",
            view,
            trigger.span(),
            (_org_ref(organization, "developer"),),
            key=product.name,
            payload=payload,
            cues=tuple(fired),
            product=product.name,
            dedup_key=("product.released", organization.org_id, model_key(product.name)),
        )
    ]


# ---------------------------------------------------------------- allegation.made


def _allegation_kind(text: str) -> str | None:
    for kind, pattern in cues.ALLEGATION_KINDS:
        if pattern.search(text):
            return kind
    return None


def _accuser_allowed(mention: OrgMention) -> bool:
    return mention.org.kind != "court"


def _accuser(view: _View, text: str, trigger: re.Match[str], participial: bool, article: _Article):
    """The accuser and how it was found, or (None, None)."""
    if participial:
        # ", alleging that ...": the accuser is the subject of the main clause.
        first_verb = _first_verb(text, view.start, trigger.start())
        subject = [m for m in view.orgs if m.end <= first_verb and not view.in_appositive(m.start)]
        subject = [m for m in subject if _accuser_allowed(m) and not m.place]
        if subject:
            return subject[-1].org, "subject"
    else:
        head = _nearest_before(view, text, trigger.start(), _accuser_allowed)
        if head is not None and (not head.place or _directly_before(text, head, trigger.start())):
            return head.org, "subject"
    subject_text = _subject_text(view, text, trigger.start())
    if cues.LAWSUIT_SUBJECT.search(subject_text) and article.last_accuser is not None:
        return article.last_accuser, "lawsuit"
    actor = _context_actor(view, text, trigger.start(), article)
    if actor is not None:
        return actor, "context"
    return None, None


def _first_verb(text: str, start: int, end: int) -> int:
    for word in _LOWER_WORD.finditer(text[start:end]):
        w = word.group()
        if (w.endswith("ed") and len(w) > 4) or w in {"said", "says", "sued", "sues", "has", "have", "is", "was", "told"}:
            return start + word.start()
    return end


def _directly_before(text: str, mention: OrgMention, position: int) -> bool:
    gap = _WORDS.findall(text[mention.end : position])
    return len([w for w in gap if w.lower() not in cues.ADVERBS and w.lower() not in {"s", "has", "have", "had"}]) <= 3


def _accused(
    view: _View, text: str, start: int, end: int, accuser: Organization, *, direct: bool
) -> OrgMention | None:
    for mention in view.orgs:
        if mention.start < start or mention.start >= end:
            continue
        if mention.org.org_id == accuser.org_id or mention.org.kind == "court" or view.in_appositive(mention.start):
            continue
        if mention.place and not (direct and not _WORDS.findall(text[start : mention.start])):
            continue
        return mention
    return None


def _window_end(text: str, start: int, limit: int, n_words: int, *, continues_at: frozenset[int] = frozenset()) -> int:
    """Where the object of a trigger ends: `n_words` words on, or the first comma after the first word.

    A comma followed by a name in `continues_at` does not end it: "three Chinese labs, DeepSeek, ...".
    """
    end = start
    for count, word in enumerate(_NONSPACE.finditer(text, start, limit), start=1):
        end = word.end()
        if word.group().endswith((",", ";")) and count > 1:
            following = _NONSPACE.search(text, end, limit)
            if following is None or following.start() not in continues_at:
                break
        if count >= n_words:
            break
    return end


def _allegations(view: _View, article: _Article) -> list[_Draft]:
    text = article.text
    sentence = view.sentence.text
    if cues.DENIAL.search(sentence) or sentence.rstrip().endswith("?"):
        return []
    found: list[tuple[re.Match[str], str]] = []
    found += [(m, "direct") for m in cues.ALLEGATION_DIRECT.finditer(text, view.start, view.end)]
    found += [(m, "concern") for m in cues.ALLEGATION_CONCERN.finditer(text, view.start, view.end)]
    accusation = cues.ACCUSATION.search(text, view.start, view.end)
    if accusation:
        found += [(m, "speech") for m in cues.SPEECH.finditer(text, view.start, accusation.start())]
    found.sort(key=lambda item: item[0].start())
    for trigger, how in found:
        if _is_noun_use(text, trigger.start(), view.start, trigger.end()) and how == "direct":
            continue
        if _is_hedged(text, trigger.start(), view.start):
            continue
        draft = _allegation_draft(view, article, trigger, how, accusation)
        if draft is not None:
            return [draft]  # one allegation per sentence: later triggers restate it
    return []


def _allegation_draft(
    view: _View, article: _Article, trigger: re.Match[str], how: str, accusation: re.Match[str] | None
) -> _Draft | None:
    text = article.text
    participial = trigger.group().lower().endswith("ing") and text[max(view.start, trigger.start() - 2) : trigger.start()] == ", "
    passive = bool(_AUXILIARY_BEFORE.search(text[max(view.start, trigger.start() - 8) : trigger.start()]))
    if passive:
        by = _BY.match(text, trigger.end(), trigger.end() + 6)
        accuser_m = next((m for m in view.orgs if by and m.start == by.end()), None)
        accused_m = _nearest_before(view, text, trigger.start(), lambda m: not m.place)
        if accuser_m is None:
            return None
        accuser, found_by = accuser_m.org, "by"
    else:
        accuser, found_by = _accuser(view, text, trigger, participial, article)
        if accuser is None:
            return None
        if how == "speech" and accusation is not None:
            window = (trigger.end(), accusation.start())
        else:
            names = frozenset(m.start for m in view.orgs)
            window = (
                trigger.end(),
                _window_end(text, trigger.end(), view.end, 12 if how == "direct" else 10, continues_at=names),
            )
        accused_m = _accused(view, text, window[0], window[1], accuser, direct=how == "direct")
        if how != "direct" and accused_m is None and not cues.UNNAMED_PARTY.search(text, window[0], window[1]):
            return None  # a concern about no one in particular is not an allegation
    sentence = view.sentence.text
    fired: list[tuple[str, float]] = [(f"trigger:{trigger.group().lower()}", 0.5 if how == "direct" else 0.4)]
    fired.append((f"accuser:{found_by}", 0.2 if found_by in {"subject", "by"} else 0.1))
    kind = _allegation_kind(sentence)
    if kind is not None:
        fired.append(("kind:sentence", 0.15))
    else:
        if how != "direct":
            return None
        kind, where = _kind_from_article(article, accuser)
        fired.append((f"kind:{where}", 0.05 if where != "default" else 0.0))
    if accused_m is not None:
        fired.append(("accused:named", 0.1))
    status = "alleged"
    if cues.INVESTIGATION.search(trigger.group()):
        status = "under_investigation"
    elif cues.SETTLED.search(sentence):
        status = "settled"
    venue = _venue(view, text)
    payload: dict[str, Any] = {
        "nature": _allegation_nature(accuser, found_by, status, venue),
        "accusers": [accuser.name],
        "accused": [accused_m.org.name] if accused_m else [],
        "kind": kind,
        "status": status,
        "summary": sentence[:5000],
    }
    if venue:
        payload["venue"] = venue
    orgs = [_org_ref(accuser, "accuser")]
    if accused_m is not None:
        orgs.append(_org_ref(accused_m.org, "accused"))
    return _Draft(
        "allegation.made",
        view,
        trigger.span(),
        tuple(orgs),
        key=kind,
        payload=payload,
        cues=tuple(fired),
        kind=kind,
        dedup_key=("allegation.made", accuser.org_id, kind),
    )


def _allegation_nature(accuser: Organization, found_by: str, status: str, venue: str | None) -> str:
    """A court named or a suit's subject ("The complaint accuses …") is a lawsuit; a
    regulator investigating is an inquiry (no accusation edge); anything else an accusation."""
    if venue is not None or found_by == "lawsuit":
        return "lawsuit"
    if status == "under_investigation" and accuser.kind == "regulator":
        return "inquiry"
    return "accusation"


def _kind_from_article(article: _Article, accuser: Organization) -> tuple[str, str]:
    """A kind the sentence does not give: the same accuser's dispute earlier on, else the headline's."""
    if accuser.org_id in article.kinds_by_accuser:
        return article.kinds_by_accuser[accuser.org_id], "same-dispute"
    headline_kind = _allegation_kind(article.headline_text)
    if headline_kind is not None:
        return headline_kind, "headline"
    return "other", "default"


def _venue(view: _View, text: str) -> str | None:
    court = next((m for m in view.orgs if m.org.kind == "court"), None)
    if court is not None:
        return court.org.name
    phrase = cues.COURT_PHRASE.search(text, view.start, view.end)
    return phrase.group() if phrase else None


# ---------------------------------------------------------------- policy.changed


def _jurisdiction_code(org: Organization) -> str | None:
    if org.country is None:
        return None
    if org.country == "US" and org.kind in {"government", "legislature", "regulator"}:
        names = " ".join((org.name, *org.aliases)).lower()
        state = _US_STATE_RE.search(names)
        if state and "united states" not in names:
            return f"US-{_US_STATES[state.group(1)]}"
    return org.country


def _jurisdiction_allowed(mention: OrgMention) -> bool:
    return mention.org.kind in {"government", "regulator", "legislature"} or mention.place


def _jurisdiction(view: _View, text: str, trigger: re.Match[str]) -> tuple[Organization, str] | None:
    actor = _nearest_before(view, text, trigger.start(), lambda m: _jurisdiction_allowed(m) or m.org.kind == "person")
    if actor is not None:
        if actor.org.kind != "person":
            return actor.org, "actor"
        # "California Governor Gavin Newsom", "China's President Xi": the office names the jurisdiction.
        seat = next((m for m in reversed(view.orgs) if m.end <= actor.start and _jurisdiction_allowed(m)), None)
        if seat is not None and cues.OFFICE_GAP.fullmatch(text, seat.end, actor.start):
            return seat.org, "actor"
    named = next((m for m in view.orgs if _jurisdiction_allowed(m) and not view.in_appositive(m.start)), None)
    if named is not None:
        return named.org, "named"
    if actor is not None and actor.org.country:
        # A person signing or revoking: a head of government, unless the sentence names the seat.
        return actor.org, "head-of-government"
    return None


def _instrument_kind(match: re.Match[str]) -> str:
    group = match.lastgroup or "other"
    return "law" if group == "bill" else group


def _title_tokens(text: str, start: int, end: int) -> list[re.Match[str]]:
    return list(_TITLE_WORD.finditer(text[start:end]))


def _named_title(view: _View, text: str, instrument: re.Match[str]) -> str | None:
    """ "the Artificial Intelligence Act", "Executive Order 14110", "Framework for AI Diffusion", "SB 53"."""
    if instrument.lastgroup == "bill":
        return instrument.group()
    words = [(view.start + w.start(), view.start + w.end(), w.group()) for w in _title_tokens(text, view.start, view.end)]
    index = next((i for i, w in enumerate(words) if w[0] <= instrument.start() < w[1]), None)
    if index is None:
        return None
    last_index = next((i for i, w in enumerate(words) if w[0] < instrument.end() <= w[1]), index)
    head = words[last_index][2]
    if not head[:1].isupper():
        return None
    first = index
    while first > 0:
        word = words[first - 1][2]
        gap = text[words[first - 1][1] : words[first][0]]
        if gap.strip() or word.endswith(("'s", "\u2019s")):
            break
        if word[:1].isupper() or word[:1].isdigit():
            first -= 1
            continue
        if word.lower() in cues.TITLE_CONNECTORS and first > 1 and words[first - 2][2][:1].isupper():
            first -= 1
            continue
        break
    while first < index and words[first][2].lower() in cues.TITLE_CONNECTORS | {"the"}:
        first += 1
    dates = {d.start for d in view.dates}
    last = last_index
    while last + 1 < len(words):
        word = words[last + 1][2].rstrip(".,")
        gap = text[words[last][1] : words[last + 1][0]]
        if gap.strip() not in {"", ","} or not word or words[last + 1][0] in dates:
            break
        if last + 2 < len(words) and words[last + 2][0] in dates:
            break  # "... Diffusion on January 13": the date is not part of the title
        if word[:1].isupper() or (word[:1].isdigit() and last == last_index):
            last += 1
            continue
        if word.lower() in cues.TITLE_CONNECTORS and last + 2 < len(words) and words[last + 2][2][:1].isupper():
            last += 1
            continue
        break
    title = text[words[first][0] : words[last][1]].rstrip(".,")
    if first == last and not any(c.isdigit() for c in title):
        return None
    return title


def _phrase_title(view: _View, text: str, instrument: re.Match[str]) -> str:
    """ "export controls on gallium and germanium": the instrument and what it is about."""
    end = instrument.end()
    rest = text[end : view.end]
    preposition = _NEXT_WORD.match(rest)
    if preposition and preposition.group(1).lower() in cues.TITLE_PHRASE_PREPOSITIONS:
        stop_at = end + len(rest)
        for mention in view.dates:
            if mention.start > end:
                stop_at = min(stop_at, mention.start)
        clause = _PHRASE_END.search(text[end + preposition.end() : stop_at])
        phrase_end = end + preposition.end() + (clause.start() if clause else len(text[end + preposition.end() : stop_at]))
        words = text[end:phrase_end].split()
        # "rules on AI labeling on [Sept 14]": a preposition left dangling by the date goes too.
        while words and words[-1].lower() in cues.TITLE_PHRASE_PREPOSITIONS | cues.TITLE_CONNECTORS:
            words.pop()
        if 1 < len(words) <= 8:
            return text[instrument.start() : end] + " " + " ".join(words)
    return instrument.group()


def _policies(view: _View, article: _Article) -> list[_Draft]:
    text = article.text
    sentence = view.sentence.text
    if sentence.rstrip().endswith("?"):
        return []
    if not cues.INSTRUMENT_RE.search(text, view.start, view.end):
        return []
    triggers = list(cues.POLICY_TRIGGER.finditer(text, view.start, view.end))
    drafts: list[_Draft] = []
    used: set[int] = set()
    for index, trigger in enumerate(triggers):
        if _is_hedged(text, trigger.start(), view.start) or _is_noun_use(text, trigger.start(), view.start, trigger.end()):
            continue
        stage = trigger.lastgroup or "adopted"
        limit = triggers[index + 1].start() if index + 1 < len(triggers) else view.end
        if stage == "listed":
            instrument = cues.INSTRUMENT_RE.search(text, trigger.start(), trigger.end())
        elif stage in cues.INTRANSITIVE_STAGES or cues.PASSIVE_BEFORE.search(text, view.start, trigger.start()):
            # "The AI Act entered into force", "The Measures ... were issued": the instrument is the subject.
            before = list(cues.INSTRUMENT_RE.finditer(text, view.start, trigger.start()))
            instrument = before[-1] if before else None
        else:
            window = _window_end(text, trigger.end(), limit, 12)
            instrument = cues.INSTRUMENT_RE.search(text, trigger.end(), window)
        if instrument is None or instrument.start() in used:
            continue
        jurisdiction = _jurisdiction(view, text, trigger)
        if jurisdiction is None:
            continue
        used.add(instrument.start())
        drafts.append(_policy_draft(view, article, trigger, stage, instrument, jurisdiction))
    return [d for d in drafts if d is not None]


def _policy_draft(
    view: _View,
    article: _Article,
    trigger: re.Match[str],
    stage: str,
    instrument: re.Match[str],
    jurisdiction: tuple[Organization, str],
) -> _Draft | None:
    text = article.text
    org, how = jurisdiction
    code = _jurisdiction_code(org)
    if code is None:
        return None
    kind = _instrument_kind(instrument)
    if stage == "listed":
        stage = "adopted"
    if stage == "proposed" and trigger.group().lower().startswith("introduc") and kind != "law":
        stage = "adopted"  # "introduced export controls": brought in, not proposed
    if stage == "adopted" and cues.DRAFT.search(text, trigger.end(), instrument.end()):
        stage = "proposed"
    named = _named_title(view, text, instrument)
    title = named or _phrase_title(view, text, instrument)
    fired: list[tuple[str, float]] = [
        (f"trigger:{trigger.group().lower()}", 0.4),
        (f"jurisdiction:{how}", 0.2 if how in {"actor", "head-of-government"} else 0.1),
        (f"instrument:{kind}", 0.15),
    ]
    if named:
        fired.append(("title:named", 0.15))
    sentence = view.sentence.text
    payload: dict[str, Any] = {
        "jurisdiction": code,
        "instrument": kind,
        "title": title[:300],
        "stage": stage,
        "topics": [topic for topic, pattern in cues.POLICY_TOPICS if pattern.search(sentence)],
        "summary": sentence[:5000],
    }
    return _Draft(
        "policy.changed",
        view,
        trigger.span(),
        (OrgRef(name=org.name, org_id=org.org_id, country=code, role="jurisdiction"),),
        key=title,
        payload=payload,
        cues=tuple(fired),
        policy_title=title,
        dedup_key=("policy.changed", code, stage, kind),
    )


# ---------------------------------------------------------------- assembly


def _views(
    text: str,
    sentences: Sequence[Sentence],
    mentions: Sequence[OrgMention],
    tokens: Tokens,
    reference: dt.date | None,
) -> list[_View]:
    starts = [m.start for m in mentions]
    views = []
    for sentence in sentences:
        lo = bisect.bisect_left(starts, sentence.start)
        hi = bisect.bisect_left(starts, sentence.end)
        t_lo = bisect.bisect_left(tokens.starts, sentence.start)
        t_hi = bisect.bisect_left(tokens.starts, sentence.end)
        # A "sentence" of thousands of characters is a table, a list or garbage, not prose: it is
        # not searched for events, which also keeps every per-sentence step cheap.
        hit = cues.families(tokens.keys[t_lo:t_hi]) if sentence.end - sentence.start <= MAX_SENTENCE_CHARS else set()
        appositives = tuple(
            (sentence.start + a.start(), sentence.start + a.end()) for a in _APPOSITIVE.finditer(sentence.text)
        )
        if not hit:
            # No trigger word at all: only the organizations matter (for "the company" later on).
            orgs = tuple(m for m in mentions[lo:hi] if m.end <= sentence.end)
            views.append(_View(sentence, orgs, (), (), appositives, families=frozenset()))
            continue
        models = tuple(find_models(text, sentence.start, sentence.end))
        # An organization named inside a model name ("Kimi" in "Kimi K2") is part of the name.
        orgs = tuple(
            m for m in mentions[lo:hi]
            if m.end <= sentence.end and not any(x.start <= m.start < x.end for x in models)
        )
        dates = tuple(find_dates(text, sentence.start, sentence.end, reference=reference))
        views.append(_View(sentence, orgs, models, dates, appositives, families=frozenset(hit)))
    return views


def _update_actor(view: _View, article: _Article) -> None:
    """Remember who the sentence is about, for "the company" in the next ones."""
    first_verb = _first_verb(article.text, view.start, view.end)
    for mention in view.orgs:
        if mention.start >= first_verb:
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


def _better(a: _Draft, b: _Draft) -> _Draft:
    def rank(d: _Draft) -> tuple[Any, ...]:
        named_accused = d.event_type == "allegation.made" and bool(d.payload.get("accused"))
        return (named_accused, not d.headline, d.confidence, -d.view.start)

    return a if rank(a) >= rank(b) else b


def _deduplicate(drafts: Sequence[_Draft]) -> list[_Draft]:
    # Grouped by key, so a long document with many events stays linear.
    groups: dict[tuple[Any, ...], list[_Draft]] = {}
    for draft in drafts:
        group = groups.setdefault(draft.dedup_key, [])
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


def _actor_key(draft: _Draft) -> tuple[Any, ...]:
    if draft.event_type == "policy.changed":
        return draft.dedup_key[:4]
    return (draft.event_type, draft.orgs[0].org_id if draft.orgs else None)


def _same_event(a: _Draft, b: _Draft) -> bool:
    if a.event_type != b.event_type:
        return False
    if a.event_type == "policy.changed":
        return _similar_titles(a.key, b.key)
    return True  # same group, same key


def _date_for(draft: _Draft, article: _Article) -> tuple[dt.date, Precision, DateBasis]:
    mention = _nearest_date(draft.view, article.text, draft.trigger[0])
    if mention is not None:
        return mention.day, mention.precision, "sentence"
    if article.reference is not None:
        return article.reference, article.reference_precision or "day", "article"
    return article.retrieved, "month", "retrieved"


def _candidate(
    draft: _Draft, article: _Article, sha: str, source_url: str | None, retrieved_at: dt.datetime | None
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
        confidence=_score(fired),
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
) -> Extraction:
    """Candidate events stated in an article (plain text or HTML).

    `article_date` is the article's own date when the caller knows it;
    otherwise a `Date:` line, an HTML date or a dated dateline is used, and
    as a last resort the retrieval date (`retrieved_at`, else today) with month
    precision. Raises `ExtractionError` for oversized or binary input.
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
    article = _Article(text, gazetteer, reference, precision, retrieved, headline)
    tokens: Tokens = tokenize(text)
    token_starts = tokens.starts
    sentence_starts = frozenset(
        token_starts[i] for s in sentences if (i := bisect.bisect_left(token_starts, s.start)) < len(tokens)
    )
    headline_spans = [(s.start, s.end) for s in sentences if s.headline]
    mentions = gazetteer.find(text, tokens, sentence_starts, headline_spans)
    for view in _views(text, sentences, mentions, tokens, reference or retrieved):
        if "launch" in view.families:
            article.remember(_launches(view, article))
        if "allegation" in view.families:
            article.remember(_allegations(view, article))
        if {"policy", "instrument"} <= view.families:
            article.remember(_policies(view, article))
        _update_actor(view, article)
    kept = _deduplicate(article.drafts)
    candidates: list[Candidate] = []
    dropped: list[str] = []
    for draft in sorted(kept, key=lambda d: (d.view.start, d.trigger[0])):
        result = _candidate(draft, article, sha, url, retrieved_at)
        (dropped if isinstance(result, str) else candidates).append(result)  # type: ignore[arg-type]
    return replace_extraction(empty, candidates=tuple(candidates), dropped=tuple(dropped))


def replace_extraction(extraction: Extraction, **changes: Any) -> Extraction:
    return extraction.model_copy(update=changes)


__all__ = ["extract_text"]
