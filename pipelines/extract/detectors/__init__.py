"""The event detectors: one module per event family, and the list the extractor runs.

A detector (`base.Detector`) is made per article with the document's context
(`base.Article`: its text, the organization registry, its dates, its headline) and
reads the article's sentences in order (`base.View`: one sentence with the
organizations, models and dates found in it). For each sentence it returns the
events of its family the sentence states (`base.Draft`: the trigger, the
organizations, the payload and the cues behind its confidence); the extractor
dates them, keeps one statement per event and turns them into candidates.
`needs` names the trigger words (`cues.TriggerWords`) a sentence must contain for
the detector to read it: a cheap check that skips most sentences.

- `launches.ModelLaunches`: model.launched
- `releases.ProductReleases`: product.released
- `allegations.Allegations`: allegation.made
- `policies.Policies`: policy.changed

How a clause is read (actor, hedges, object windows, launch verbs) is shared in
`shared`. Adding a family is one module here with its `Detector` subclass, and one
entry in `DETECTORS`; `extract_text(..., detectors=...)` runs another list.
"""

from pipelines.extract.detectors.allegations import Allegations
from pipelines.extract.detectors.base import Article, Detector, Draft, View
from pipelines.extract.detectors.launches import ModelLaunches
from pipelines.extract.detectors.policies import Policies
from pipelines.extract.detectors.releases import ProductReleases

# They read each sentence in this order, which is also the order of candidates that share a trigger word.
DETECTORS: list[type[Detector]] = [ModelLaunches, ProductReleases, Allegations, Policies]

__all__ = ["DETECTORS", "Allegations", "Article", "Detector", "Draft", "ModelLaunches", "Policies", "ProductReleases", "View"]
