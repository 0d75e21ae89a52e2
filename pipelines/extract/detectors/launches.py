"""model.launched: a model name in the object of a launch verb (or the subject of "is
rolling out"), by the actor, or by the family's developer when no actor is named; a
model of another developer's family next to the verb is a comparison, not a launch.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pipelines.extract import cues
from pipelines.extract.detectors.base import Detector, Draft, View
from pipelines.extract.detectors.shared import LaunchTrigger, launch_triggers, org_ref
from pipelines.extract.gazetteer import Organization
from pipelines.extract.model_names import ModelMention, model_key


class ModelLaunches(Detector):
    event_type = "model.launched"
    needs = (cues.LAUNCH_WORDS,)

    def detect(self, view: View) -> list[Draft]:
        drafts = (self._draft(view, t, model) for t in launch_triggers(view, self.article) for model in t.models)
        return [d for d in drafts if d is not None]

    def _draft(self, view: View, trigger: LaunchTrigger, model: ModelMention) -> Draft | None:
        fired: list[tuple[str, float]] = [(f"trigger:{trigger.verb}", 0.45)]
        developers: Sequence[Organization] = trigger.developers
        if developers:
            ids = {o.org_id for o in developers}
            if model.developer_ids and not ids & set(model.developer_ids):
                # Another developer's model next to a launch verb: a comparison or a hosting deal.
                return None
            fired.append(trigger.actor_cue)
        else:
            developers = self._family_developer(model.developer_ids)
            if not developers:
                return None
            fired.append(("actor:model-family", 0.15))
        fired.append(("model:versioned" if model.versioned else "model:named", 0.15 if model.versioned else 0.1))
        return Draft(
            self.event_type,
            view,
            trigger.match.span(),
            tuple(org_ref(o, "developer") for o in developers),
            key=model.name,
            payload=_payload(view, model, developers),
            cues=tuple(fired),
            model=model.name,
            dedup_key=(model_key(model.name),),
        )

    def _family_developer(self, org_ids: Sequence[str]) -> list[Organization]:
        found = self.article.gazetteer.get(org_ids[0]) if org_ids else None
        return [found] if found else []


def _payload(view: View, model: ModelMention, orgs: Sequence[Organization]) -> dict[str, Any]:
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
