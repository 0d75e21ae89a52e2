"""RSS and Atom feeds of AI labs and news sites: raw documents, and events only when unambiguous.

Bytes come from our fetcher (or a bundled file offline); they are checked with
defusedxml first (no entity declarations, no external references: XML bombs and
XXE are refused before feedparser sees anything), then parsed with feedparser.

Every item lands in `raw.documents` for the article extractor. An item becomes an
event only when a lab's own feed (the registry names its organization) announces
it in the plain form "Introducing <Name>": a model-like name (short, with a version
number: "GPT-5", "Claude Opus 4.5", "Gemini 3") gives `model.launched`; a name
without a number gives `product.released` only when the item is tagged as a
product. Everything else ("Introducing the GPT-4o API in Azure", news sites,
research posts) stays a document: a wrong event in the log costs more than a
missing one, which the extractor or an analyst can still add.
"""

from __future__ import annotations

import calendar
import datetime as dt
import html
import re
from collections.abc import Iterator
from typing import Any

import defusedxml.ElementTree as SafeET
import feedparser
from defusedxml import DefusedXmlException
from pydantic import BaseModel, ConfigDict

from pipelines.sources.kind import Location, Parsed, SourceError, SourceKind, register_kind
from pipelines.sources.registry import FeedSource, bundled_path
from warehouse.log.raw import RawDocument
from warehouse.log.store import RawRecord

FEED_ROOTS = {"rss", "feed", "RDF", "channel"}
_LAUNCH_VERBS = r"(?:Introducing|Announcing|Meet|Launching|Say hello to)"
_TITLE = re.compile(rf"^\s*{_LAUNCH_VERBS}\s+(?P<rest>.+?)\s*$")
# Where a name ends: a colon, a dash between spaces, a comma, an exclamation mark.
_NAME_END = re.compile(r"\s*(?::|\s[-–—]\s|,|!|\?|\|)")
_TOKEN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9.+\-]*$")
_STOP_WORDS = {
    "a", "an", "the", "our", "new", "in", "on", "for", "with", "to", "and", "of", "at", "by", "from",
    "api", "app", "apps", "update", "updates", "preview", "research", "program", "programme", "plan",
    "partnership", "grant", "grants", "fund", "team", "report", "policy",
}
_PRODUCT_TAGS = {"product", "products", "product release", "product launch", "product update"}
MAX_TEXT_CHARS = 20_000


class FeedError(SourceError):
    """The bytes are not a feed we will read; the message says why."""


class FeedItem(BaseModel):
    model_config = ConfigDict(frozen=True)

    feed_url: str
    item_id: str
    url: str | None
    title: str | None
    published: dt.datetime | None
    text: str
    tags: tuple[str, ...] = ()


def check_xml(content: bytes) -> None:
    """Refuse XML bombs and external entities (defusedxml), and what is not XML at all."""
    try:
        root = SafeET.fromstring(content)
    except DefusedXmlException as exc:
        raise FeedError(f"refused: the feed declares entities or external references ({type(exc).__name__})") from None
    except SafeET.ParseError as exc:
        raise FeedError(f"malformed feed: not well-formed XML ({exc})") from None
    local = root.tag.rsplit("}", 1)[-1]
    if local not in FEED_ROOTS:
        raise FeedError(f"not an RSS or Atom feed: the root element is <{local}>")


def _text(value: str | None) -> str:
    if not value:
        return ""
    no_tags = re.sub(r"<[^>]+>", " ", value)
    return re.sub(r"\s+", " ", html.unescape(no_tags)).strip()[:MAX_TEXT_CHARS]


def _moment(entry: Any) -> dt.datetime | None:
    parsed = entry.get("published_parsed") or entry.get("updated_parsed")
    if not parsed:
        return None
    return dt.datetime.fromtimestamp(calendar.timegm(parsed), dt.UTC)


def parse_feed(content: bytes, *, feed_url: str) -> list[FeedItem]:
    """The items of an RSS/Atom feed; FeedError when the bytes are not a readable feed."""
    check_xml(content)
    parsed = feedparser.parse(content, sanitize_html=True, resolve_relative_uris=False)
    if parsed.bozo and not parsed.entries:
        raise FeedError(f"malformed feed: {parsed.get('bozo_exception')}")
    if parsed.get("version", "") == "" and not parsed.entries:
        raise FeedError("not an RSS or Atom feed: feedparser recognised no feed format")
    items = []
    for number, entry in enumerate(parsed.entries, start=1):
        body = entry.get("content", [{}])[0].get("value") if entry.get("content") else None
        text = _text(body or entry.get("summary"))
        link = entry.get("link") or None
        item_id = entry.get("id") or link or f"{feed_url}#item-{number}"
        items.append(
            FeedItem(
                feed_url=feed_url,
                item_id=item_id,
                url=link if link and link.startswith(("http://", "https://")) else None,
                title=_text(entry.get("title")) or None,
                published=_moment(entry),
                text=text,
                tags=tuple(t.get("term", "").strip() for t in entry.get("tags", []) if t.get("term")),
            )
        )
    return items


def announced_name(title: str | None) -> str | None:
    """The name in "Introducing <Name>[: …]", when the title has that form and the name is plain."""
    match = _TITLE.match(title or "")
    if not match:
        return None
    name = _NAME_END.split(match.group("rest"), maxsplit=1)[0].strip().rstrip(".")
    tokens = name.split()
    if not 1 <= len(tokens) <= 4:
        return None
    if any(not _TOKEN.match(t) or t.lower() in _STOP_WORDS for t in tokens):
        return None
    # A name starts with a capital ("Gemini 3") or is a versioned lower-case name ("o3").
    if not (tokens[0][0].isupper() or tokens[0][0].isdigit() or any(c.isdigit() for c in tokens[0])):
        return None
    return name


def is_model_like(name: str) -> bool:
    return any(c.isdigit() for c in name)


def item_event(item: FeedItem, *, source: str, organization: str | None) -> dict[str, Any] | None:
    """The event an item states unambiguously, or None (it stays a raw document)."""
    if organization is None or item.published is None or item.url is None:
        return None
    name = announced_name(item.title)
    if name is None:
        return None
    envelope = {
        "occurred_at": item.published.date().isoformat(),
        "occurred_precision": "day",
        "source": source,
        "source_url": item.url,
        "source_ref": item.item_id[:500],
    }
    if is_model_like(name):
        return {
            "event_type": "model.launched",
            "schema_version": 2,
            **envelope,
            "payload": {
                "model": name,
                "organizations": [organization],
                "notes": f"announced in {organization}'s feed: {item.title}"[:5000],
            },
        }
    if _PRODUCT_TAGS & {t.lower() for t in item.tags}:
        return {
            "event_type": "product.released",
            "schema_version": 1,
            **envelope,
            "payload": {
                "organization": organization,
                "product": name,
                "kind": "other",
                "description": (item.text or item.title or name)[:5000],
            },
        }
    return None


def documents(items: list[FeedItem], *, source: str) -> list[RawDocument]:
    return [
        RawDocument(
            source=source,
            url=item.url,
            title=item.title,
            published=item.published,
            text=item.text,
            feed_url=item.feed_url,
            item_id=item.item_id,
        )
        for item in items
    ]


def event_records(items: list[FeedItem], *, source: str, organization: str | None) -> Iterator[RawRecord]:
    for item in items:
        event = item_event(item, source=source, organization=organization)
        if event is not None:
            yield RawRecord(f"{item.feed_url} item {item.item_id!r}", event)


@register_kind
class FeedKind(SourceKind):
    """RSS/Atom feeds: every item lands as a raw document; a lab's own feed's unambiguous
    announcements become events (item_event)."""

    name = "feed"
    entry = FeedSource
    formats = frozenset({"rss"})

    def locations(self, entry: FeedSource) -> list[Location]:
        return [
            Location(ref=spec.url, url=spec.url, offline=tuple(p for p in [bundled_path(spec.offline)] if p), context=spec)
            for spec in entry.feeds
        ]

    def parse(self, entry: FeedSource, location: Location, content: bytes, page: int) -> Parsed:
        items = parse_feed(content, feed_url=location.ref)
        return Parsed(
            records=tuple(event_records(items, source=entry.name, organization=location.context.organization)),
            documents=tuple(documents(items, source=entry.name)),
        )

    def describe(self, entry: FeedSource) -> str:
        lab = any(f.organization for f in entry.feeds)
        return (
            f"{entry.description} Registry source {entry.name!r}: "
            + ", ".join(f.url for f in entry.feeds)
            + ". Each item lands in raw.documents (for the article extractor)"
            + ("; an item a lab's own feed announces unambiguously ('Introducing GPT-5') becomes "
               "model.launched / product.released." if lab else "; no events (news sites).")
            + " Offline (the default, `airace run`): the bundled feed files; live: the daily schedule."
        )


def ingest_feed_source(store, source: FeedSource, *, live: bool, run_id: str | None = None, policy=None):
    """Fetch (or read offline) every feed of a registry source, land the items as raw
    documents, append the unambiguous events (pipelines.sources.runner). A feed that
    fails is reported in the returned SourceReport and does not stop the others."""
    from pipelines.sources.runner import run_source

    return run_source(store, source, live=live, run_id=run_id, policy=policy)
