"""product.released: after a launch verb that names no model, a known product or a
capitalized name with a product noun ("Le Chat, a free chatbot"; "its Bing search
engine"; "mobile apps for Le Chat").
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from pipelines.extract import cues
from pipelines.extract.detectors.base import Detector, Draft, View
from pipelines.extract.detectors.shared import LaunchTrigger, launch_triggers, org_ref, skip_filler
from pipelines.extract.model_names import model_key

_CAPITALIZED_RUN = re.compile(r"(?:[A-Z][\w+.\-]*|i[A-Z][\w\-]*)(?: (?:[A-Z][\w+.\-]*|\d[\w.]*)){0,3}")
_VARIANT_TAIL = re.compile(r" ((?:[a-z]+ ){0,1}(?:app|application|agent|browser))\b")
_ATTACHED_NOUNS = re.compile(r"(?: (?:[a-z][a-z\-]*|API)){1,3}")
_APPOSITIVE_PHRASE = re.compile(r",\s(?:a|an|the|its)\s([^,.;:]{1,80})")
_APPOSITIVE_END = re.compile(r"\s(?:that|which|who|powered|built|based)\s")


class ProductReleases(Detector):
    event_type = "product.released"
    needs = (cues.LAUNCH_WORDS,)

    def detect(self, view: View) -> list[Draft]:
        drafts = []
        # A verb whose object names a model is a model launch (model.launched), not a product.
        for trigger in (t for t in launch_triggers(view, self.article) if not t.models):
            product = _product_at(view, self.article.text, trigger.match.end(), trigger.next_trigger)
            draft = self._draft(view, trigger, product) if product is not None else None
            if draft is not None:
                drafts.append(draft)
        return drafts

    def _draft(self, view: View, trigger: LaunchTrigger, product: _Product) -> Draft | None:
        fired: list[tuple[str, float]] = [(f"trigger:{trigger.verb}", 0.4)]
        if trigger.developers:
            organization = trigger.developers[0]
            fired.append(trigger.actor_cue)
        elif product.known_org and (known := self.article.gazetteer.get(product.known_org)):
            organization = known
            fired.append(("actor:known-product", 0.15))
        else:
            return None
        fired.append((f"product:{product.how}", 0.2 if product.how == "known" else 0.15))
        payload = {"organization": organization.name, "product": product.name, "kind": product.kind}
        return Draft(
            self.event_type,
            view,
            trigger.match.span(),
            (org_ref(organization, "developer"),),
            key=product.name,
            payload=payload,
            cues=tuple(fired),
            product=product.name,
            dedup_key=(organization.org_id, model_key(product.name)),
        )


@dataclass(frozen=True)
class _Product:
    name: str
    kind: str
    start: int
    end: int
    known_org: str | None
    how: str


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


def _product_at(view: View, text: str, trigger_end: int, limit: int) -> _Product | None:
    pos = skip_filler(text, trigger_end, limit, view)
    known = cues.KNOWN_PRODUCT_RE.match(text, pos, limit)
    if known:
        known_kind, org_id = cues.KNOWN_PRODUCTS[known.group()]
        name_end = known.end()
        # "a ChatGPT desktop app": the variant is its own product.
        tail = _VARIANT_TAIL.match(text[name_end:limit])
        if tail:
            known_kind = cues.PRODUCT_NOUNS.get(tail.group(1).split()[-1], known_kind)
            name_end += tail.end()
        return _Product(text[pos:name_end], known_kind, pos, name_end, org_id, "known")
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
    rest = skip_filler(text, run[1], limit, view)
    appositive = _APPOSITIVE_PHRASE.match(text[rest:limit])
    if appositive:
        # The appositive's head noun comes within its first words: "a set of generative AI features".
        words = _APPOSITIVE_END.split(appositive.group(1))[0].split()[:8]
        kind = _product_noun(words)
        if kind is not None:
            return _Product(name, kind, run[0], run[1], None, "appositive")
    return None
