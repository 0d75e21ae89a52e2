"""allegation.made: an accuser, a kind from cue words (in the sentence, else the same
dispute earlier in the article, else the headline), and for reported concerns a party
they are about, named or not ("some AI developers" -> no accused).
"""

from __future__ import annotations

import re
from typing import Any

from pipelines.extract import cues
from pipelines.extract.detectors.base import Article, Detector, Draft, View
from pipelines.extract.detectors.shared import (
    BY,
    WORDS,
    context_actor,
    first_verb,
    is_hedged,
    is_noun_use,
    nearest_before,
    org_ref,
    subject_text,
    window_end,
)
from pipelines.extract.gazetteer import Organization, OrgMention

_AUXILIARY_BEFORE = re.compile(r"\b(?:was|were|been|being|is)\s+$")


class Allegations(Detector):
    event_type = "allegation.made"
    needs = (cues.ALLEGATION_WORDS,)

    def __init__(self, article: Article) -> None:
        super().__init__(article)
        # The latest accuser, for "The complaint accuses ...", and each accuser's allegation kind.
        self._last_accuser: Organization | None = None
        self._kinds_by_accuser: dict[str, str] = {}

    def detect(self, view: View) -> list[Draft]:
        text = self.article.text
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
            if is_noun_use(text, trigger.start(), view.start, trigger.end()) and how == "direct":
                continue
            if is_hedged(text, trigger.start(), view.start):
                continue
            draft = self._draft(view, trigger, how, accusation)
            if draft is not None:
                self._remember(draft)
                return [draft]  # one allegation per sentence: later triggers restate it
        return []

    def _remember(self, draft: Draft) -> None:
        accuser_id = draft.orgs[0].org_id
        if accuser_id:
            self._last_accuser = self.article.gazetteer.get(accuser_id)
            if draft.kind and any(name == "kind:sentence" for name, _ in draft.cues):
                # Only kinds the text states; a default would mislabel the rest of the dispute.
                self._kinds_by_accuser[accuser_id] = draft.kind

    def _draft(
        self, view: View, trigger: re.Match[str], how: str, accusation: re.Match[str] | None
    ) -> Draft | None:
        text = self.article.text
        participial = trigger.group().lower().endswith("ing") and text[max(view.start, trigger.start() - 2) : trigger.start()] == ", "
        passive = bool(_AUXILIARY_BEFORE.search(text[max(view.start, trigger.start() - 8) : trigger.start()]))
        if passive:
            by = BY.match(text, trigger.end(), trigger.end() + 6)
            accuser_m = next((m for m in view.orgs if by and m.start == by.end()), None)
            accused_m = nearest_before(view, text, trigger.start(), lambda m: not m.place)
            if accuser_m is None:
                return None
            accuser, found_by = accuser_m.org, "by"
        else:
            found = self._accuser(view, text, trigger, participial)
            if found is None:
                return None
            accuser, found_by = found
            if how == "speech" and accusation is not None:
                window = (trigger.end(), accusation.start())
            else:
                names = frozenset(m.start for m in view.orgs)
                window = (
                    trigger.end(),
                    window_end(text, trigger.end(), view.end, 12 if how == "direct" else 10, continues_at=names),
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
            kind, where = self._kind_from_article(accuser)
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
        orgs = [org_ref(accuser, "accuser")]
        if accused_m is not None:
            orgs.append(org_ref(accused_m.org, "accused"))
        return Draft(
            self.event_type,
            view,
            trigger.span(),
            tuple(orgs),
            key=kind,
            payload=payload,
            cues=tuple(fired),
            kind=kind,
            dedup_key=(accuser.org_id, kind),
            # The statement that names the accused says more.
            precedence=int(accused_m is not None),
        )

    def _accuser(
        self, view: View, text: str, trigger: re.Match[str], participial: bool
    ) -> tuple[Organization, str] | None:
        """The accuser and how it was found."""
        if participial:
            # ", alleging that ...": the accuser is the subject of the main clause.
            verb_at = first_verb(text, view.start, trigger.start())
            subject = [m for m in view.orgs if m.end <= verb_at and not view.in_appositive(m.start)]
            subject = [m for m in subject if _accuser_allowed(m) and not m.place]
            if subject:
                return subject[-1].org, "subject"
        else:
            head = nearest_before(view, text, trigger.start(), _accuser_allowed)
            if head is not None and (not head.place or _directly_before(text, head, trigger.start())):
                return head.org, "subject"
        if cues.LAWSUIT_SUBJECT.search(subject_text(view, text, trigger.start())) and self._last_accuser is not None:
            return self._last_accuser, "lawsuit"
        actor = context_actor(view, text, trigger.start(), self.article)
        if actor is not None:
            return actor, "context"
        return None

    def _kind_from_article(self, accuser: Organization) -> tuple[str, str]:
        """A kind the sentence does not give: the same accuser's dispute earlier on, else the headline's."""
        if accuser.org_id in self._kinds_by_accuser:
            return self._kinds_by_accuser[accuser.org_id], "same-dispute"
        headline_kind = _allegation_kind(self.article.headline_text)
        if headline_kind is not None:
            return headline_kind, "headline"
        return "other", "default"


def _allegation_kind(text: str) -> str | None:
    for kind, pattern in cues.ALLEGATION_KINDS:
        if pattern.search(text):
            return kind
    return None


def _accuser_allowed(mention: OrgMention) -> bool:
    return mention.org.kind != "court"


def _directly_before(text: str, mention: OrgMention, position: int) -> bool:
    gap = WORDS.findall(text[mention.end : position])
    return len([w for w in gap if w.lower() not in cues.ADVERBS and w.lower() not in {"s", "has", "have", "had"}]) <= 3


def _accused(
    view: View, text: str, start: int, end: int, accuser: Organization, *, direct: bool
) -> OrgMention | None:
    for mention in view.orgs:
        if mention.start < start or mention.start >= end:
            continue
        if mention.org.org_id == accuser.org_id or mention.org.kind == "court" or view.in_appositive(mention.start):
            continue
        if mention.place and not (direct and not WORDS.findall(text[start : mention.start])):
            continue
        return mention
    return None


def _allegation_nature(accuser: Organization, found_by: str, status: str, venue: str | None) -> str:
    """A court named or a suit's subject ("The complaint accuses …") is a lawsuit; a
    regulator investigating is an inquiry (no accusation edge); anything else an accusation."""
    if venue is not None or found_by == "lawsuit":
        return "lawsuit"
    if status == "under_investigation" and accuser.kind == "regulator":
        return "inquiry"
    return "accusation"


def _venue(view: View, text: str) -> str | None:
    court = next((m for m in view.orgs if m.org.kind == "court"), None)
    if court is not None:
        return court.org.name
    phrase = cues.COURT_PHRASE.search(text, view.start, view.end)
    return phrase.group() if phrase else None
