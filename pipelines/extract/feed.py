"""Feed items (RSS/Atom entries) through the same extractor as articles.

A feed entry is a small article: its title is the headline, its summary or
content (often HTML) the body, its link the provenance and its published date
the article date. A Dagster asset over the RSS source only needs to call
`extract_feed_item` per entry and queue the candidates.
"""

from __future__ import annotations

import datetime as dt

from pipelines.extract.candidate import Extraction
from pipelines.extract.extractor import extract_text
from pipelines.extract.gazetteer import Gazetteer
from pipelines.extract.text import html_to_text, looks_like_html


def extract_feed_item(
    title: str,
    body: str,
    *,
    link: str | None = None,
    published: dt.date | dt.datetime | None = None,
    retrieved_at: dt.datetime | None = None,
    gazetteer: Gazetteer | None = None,
) -> Extraction:
    """Candidate events of one feed entry; spans refer to `Extraction.text` (title, blank line, body)."""
    if looks_like_html(body) or "<" in body and ">" in body:
        body = html_to_text(body).text
    text = f"{title.strip()}\n\n{body.strip()}" if title.strip() else body.strip()
    day = published.date() if isinstance(published, dt.datetime) else published
    return extract_text(
        text, source_url=link, article_date=day, retrieved_at=retrieved_at, gazetteer=gazetteer, html=False
    )
