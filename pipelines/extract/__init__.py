"""News articles to candidate events: offline, deterministic and explainable.

Pure Python: no Dagster, no network, no model download. `extract_text` takes
an article (plain text or HTML) and returns an `Extraction` whose candidates
each carry the evidence sentence, its span, a confidence with the cues behind
it, and a record that `schemas.parse_record` accepts. The event families it
finds are the detectors in `pipelines.extract.detectors` (one module each, one list).
"""

from pipelines.extract.candidate import Candidate, Extraction, OrgRef
from pipelines.extract.extractor import extract_text
from pipelines.extract.feed import extract_feed_item
from pipelines.extract.gazetteer import Gazetteer, default_gazetteer
from pipelines.extract.text import (
    MAX_INPUT_BYTES,
    ExtractionError,
    decode,
    read_limited,
    read_path,
)

__all__ = [
    "MAX_INPUT_BYTES",
    "Candidate",
    "Extraction",
    "ExtractionError",
    "Gazetteer",
    "OrgRef",
    "decode",
    "default_gazetteer",
    "extract_feed_item",
    "extract_text",
    "read_limited",
    "read_path",
]
