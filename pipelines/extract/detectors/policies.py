"""policy.changed: a jurisdiction (a government, regulator, legislature, a country as
actor, or a head of government) and an instrument (law, order, export control,
regulation, ...), both in the sentence, with the stage the trigger states (proposed,
adopted, in force, amended, revoked, withdrawn).
"""

from __future__ import annotations

import re
from typing import Any

from pipelines.extract import cues
from pipelines.extract.candidate import OrgRef
from pipelines.extract.detectors.base import Detector, Draft, View
from pipelines.extract.detectors.shared import is_hedged, is_noun_use, nearest_before, window_end
from pipelines.extract.gazetteer import Organization, OrgMention

_NEXT_WORD = re.compile(r" (\w+) ")
_TITLE_WORD = re.compile(r"[\w\u2019'\-.]+")
_PHRASE_END = re.compile(r"[,.;:(]|\s(?:that|which|who|to|after|before|in|as|amid|while|with|from)\s")
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


class Policies(Detector):
    event_type = "policy.changed"
    # A trigger verb and an instrument noun: "adopted" alone is not a policy.
    needs = (cues.POLICY_WORDS, cues.INSTRUMENT_WORDS)

    def detect(self, view: View) -> list[Draft]:
        text = self.article.text
        sentence = view.sentence.text
        if sentence.rstrip().endswith("?"):
            return []
        if not cues.INSTRUMENT_RE.search(text, view.start, view.end):
            return []
        triggers = list(cues.POLICY_TRIGGER.finditer(text, view.start, view.end))
        drafts: list[Draft] = []
        used: set[int] = set()
        for index, trigger in enumerate(triggers):
            if is_hedged(text, trigger.start(), view.start) or is_noun_use(text, trigger.start(), view.start, trigger.end()):
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
                window = window_end(text, trigger.end(), limit, 12)
                instrument = cues.INSTRUMENT_RE.search(text, trigger.end(), window)
            if instrument is None or instrument.start() in used:
                continue
            jurisdiction = _jurisdiction(view, text, trigger)
            if jurisdiction is None:
                continue
            used.add(instrument.start())
            draft = self._draft(view, trigger, stage, instrument, jurisdiction)
            if draft is not None:
                drafts.append(draft)
        return drafts

    def _draft(
        self,
        view: View,
        trigger: re.Match[str],
        stage: str,
        instrument: re.Match[str],
        jurisdiction: tuple[Organization, str],
    ) -> Draft | None:
        text = self.article.text
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
        return Draft(
            self.event_type,
            view,
            trigger.span(),
            (OrgRef(name=org.name, org_id=org.org_id, country=code, role="jurisdiction"),),
            key=title,
            payload=payload,
            cues=tuple(fired),
            policy_title=title,
            dedup_key=(code, stage, kind),
            # One instrument is often stated twice under two titles ("AI Act", "EU AI Act").
            match_titles=True,
            # A headline is about the same policy when the body has one of this jurisdiction, stage and kind.
            headline_key=(code, stage, kind),
        )


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


def _jurisdiction(view: View, text: str, trigger: re.Match[str]) -> tuple[Organization, str] | None:
    actor = nearest_before(view, text, trigger.start(), lambda m: _jurisdiction_allowed(m) or m.org.kind == "person")
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


def _named_title(view: View, text: str, instrument: re.Match[str]) -> str | None:
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


def _phrase_title(view: View, text: str, instrument: re.Match[str]) -> str:
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
