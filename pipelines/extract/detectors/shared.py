"""How the detectors read a clause: helpers more than one event family uses.

A trigger is read together with what surrounds it: the actor is the nearest
registry organization before the trigger in the same clause (appositives such
as ", the White House adviser," skipped); a trigger that is a noun ("the
launch"), hedged ("plans to release", "will take effect") or negated ("did not
release") states no event. Model launches and product releases read the same
launch verbs, so that reading (`launch_triggers`) is here too.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from pipelines.extract import cues
from pipelines.extract.candidate import OrgRef, Role
from pipelines.extract.detectors.base import Article, View
from pipelines.extract.gazetteer import Organization, OrgMention
from pipelines.extract.model_names import ModelMention, bare_family_at

BY = re.compile(r"\s+by\s+")
WORDS = re.compile(r"[A-Za-z']+")
_ALPHA = re.compile(r"[A-Za-z]+")
_CONJUNCTION = re.compile(r"\s*(?:,|&|and|,\s*and)\s*")
_LOWER_WORD = re.compile(r"(?<![\w-])[a-z]+\b")
_NONSPACE = re.compile(r"\S+")
_CLAUSE_BREAK = re.compile(r";|\s(?:while|whereas|but)\s")
_LAUNCH_EXCLUDED_KINDS = frozenset({"person", "media", "court", "government", "regulator", "legislature"})


# ---------------------------------------------------------------- the trigger itself


def _prev_words(text: str, start: int, floor: int, n: int = 4) -> list[str]:
    # Case is kept: "May 13 rescinded" is a date, "may rescind" a hedge.
    return WORDS.findall(text, max(floor, start - 60), start)[-n:]


def is_noun_use(text: str, start: int, floor: int, end: int) -> bool:
    """ "the launch", "new releases", "the release of": a noun, not an action."""
    before = _prev_words(text, start, floor, 1)
    after = text[end : end + 4]
    return bool(before and before[0].lower() in cues.NOUN_DETERMINERS) or after.startswith(" of ")


def is_hedged(text: str, start: int, floor: int) -> bool:
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


def first_verb(text: str, start: int, end: int) -> int:
    """Where the first verb-like word of [start, end) begins (end if none): the subject lies before it."""
    for word in _LOWER_WORD.finditer(text[start:end]):
        w = word.group()
        if (w.endswith("ed") and len(w) > 4) or w in {"said", "says", "sued", "sues", "has", "have", "is", "was", "told"}:
            return start + word.start()
    return end


def window_end(text: str, start: int, limit: int, n_words: int, *, continues_at: frozenset[int] = frozenset()) -> int:
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


def skip_filler(text: str, pos: int, end: int, view: View) -> int:
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


# ---------------------------------------------------------------- who acts


def org_ref(org: Organization, role: Role) -> OrgRef:
    return OrgRef(name=org.name, org_id=org.org_id, country=org.country, role=role)


def _same_clause(text: str, a: int, b: int) -> bool:
    return _CLAUSE_BREAK.search(text, a, b) is None


def nearest_before(view: View, text: str, position: int, allow: Callable[[OrgMention], bool]) -> OrgMention | None:
    """The actor: the nearest allowed organization before `position` in its clause, outside appositives."""
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


def _conjoined(view: View, text: str, head: OrgMention, allow: Callable[[OrgMention], bool]) -> list[OrgMention]:
    """ "Zhipu AI and Tsinghua University released": the head and the organizations joined to it."""
    group = [head]
    index = view.orgs.index(head)
    for mention in reversed(view.orgs[:index]):
        gap = text[mention.end : group[0].start]
        if not _CONJUNCTION.fullmatch(gap) or not allow(mention):
            break
        group.insert(0, mention)
    return group


def subject_text(view: View, text: str, position: int) -> str:
    return text[view.start : position]


def context_actor(view: View, text: str, position: int, article: Article) -> Organization | None:
    """ "The company released ...": the organization the article was just about."""
    subject = subject_text(view, text, position)
    if article.last_actor is not None and cues.COREFERENT_SUBJECT.search(subject):
        return article.last_actor
    return None


# ---------------------------------------------------------------- launch verbs (model.launched, product.released)


@dataclass(frozen=True)
class LaunchTrigger:
    """A launch verb that states an action, with who acts and the models it launches (if any)."""

    match: re.Match[str]
    verb: str
    # Where the next launch verb starts (or the sentence ends): what was launched is named before it.
    next_trigger: int
    developers: tuple[Organization, ...]
    # How the developers were found: "subject", "by", "context"; None when they were not.
    how: str | None
    models: tuple[ModelMention, ...]

    @property
    def actor_cue(self) -> tuple[str, float]:
        """A developer named in the clause is surer than one carried over from the context."""
        return (f"actor:{self.how}", 0.25 if self.how in {"subject", "by"} else 0.1)


def launch_triggers(view: View, article: Article) -> tuple[LaunchTrigger, ...]:
    """The sentence's launch verbs that state an action; read once for both launch families."""
    found = view.memo.get("launch_triggers")
    if found is None:
        found = view.memo["launch_triggers"] = tuple(_read_launch_triggers(view, article))
    return found


def _read_launch_triggers(view: View, article: Article) -> Iterator[LaunchTrigger]:
    text = article.text
    triggers = list(cues.LAUNCH_TRIGGER.finditer(text, view.start, view.end))
    for index, trigger in enumerate(triggers):
        if is_noun_use(text, trigger.start(), view.start, trigger.end()):
            continue
        if is_hedged(text, trigger.start(), view.start):
            continue
        next_trigger = triggers[index + 1].start() if index + 1 < len(triggers) else view.end
        object_end = _object_end(view, text, trigger.end(), next_trigger)
        developers, how = _launch_developers(view, text, trigger, article)
        models = _models_for_trigger(view, text, trigger, object_end)
        yield LaunchTrigger(trigger, trigger.group().lower(), next_trigger, tuple(developers), how, tuple(models))


def _object_end(view: View, text: str, trigger_end: int, next_trigger: int) -> int:
    stop = cues.OBJECT_STOP.search(text, trigger_end, view.end)
    return min(next_trigger, stop.start() if stop else view.end)


def _developer_allowed(mention: OrgMention) -> bool:
    return not mention.place and mention.org.kind not in _LAUNCH_EXCLUDED_KINDS


def _launch_developers(
    view: View, text: str, trigger: re.Match[str], article: Article
) -> tuple[list[Organization], str | None]:
    """The organizations behind a launch, and how we know ("subject", "by", "context")."""
    head = nearest_before(view, text, trigger.start(), _developer_allowed)
    if head is not None:
        return [m.org for m in _conjoined(view, text, head, _developer_allowed)], "subject"
    by = BY.match(text, trigger.end(), trigger.end() + 6)
    if by:
        after = [m for m in view.orgs if m.start == by.end() and _developer_allowed(m)]
        if after:
            return [after[0].org], "by"
    actor = context_actor(view, text, trigger.start(), article)
    if actor is not None:
        return [actor], "context"
    return [], None


def _models_for_trigger(view: View, text: str, trigger: re.Match[str], object_end: int) -> list[ModelMention]:
    named = [m for m in view.models if trigger.end() <= m.start < object_end]
    if named:
        return named
    # "Grok 3 is rolling out": the model is the subject of an intransitive trigger.
    before = [m for m in view.models if m.end <= trigger.start()]
    if before and cues.PASSIVE_BEFORE.search(text, before[-1].end, trigger.start()):
        return [before[-1]]
    # "introduced Gemini, its largest and most capable AI model": a bare family name the
    # sentence itself calls a model.
    bare = bare_family_at(text, skip_filler(text, trigger.end(), object_end, view), view.end)
    if bare is not None and cues.CALLED_A_MODEL.match(text, bare.end, view.end):
        return [bare]
    return []
