"""Turning whatever we are handed into article text, or refusing it clearly.

Every guard here runs before any pattern sees the text: the size cap is checked
on the byte count (a stat, or a bounded read) so a 50 MB file is refused
without being read into memory, binary input is refused before decoding, and
HTML is reduced to its visible text with the standard library's parser.
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path
from typing import BinaryIO

# News articles are a few kB; 5 MB is generous for a page with its markup and keeps every pass cheap.
MAX_INPUT_BYTES = 5 * 1024 * 1024
# Visible text of one article (after HTML is stripped): a long report is a few hundred kB.
MAX_TEXT_CHARS = 1_000_000


class ExtractionError(ValueError):
    """The input cannot be treated as an article (too large, binary, undecodable)."""


# C0 controls other than tab, newline, vertical tab, form feed and carriage return.
_CONTROL = re.compile(r"[\x00-\x08\x0e-\x1f\x7f]")
# Windows-1252 leaves these bytes undefined; text in that encoding never has them.
_HIGH_BYTES = re.compile(rb"[\x80-\xff]")


def check_size(n_bytes: int, *, what: str = "input") -> None:
    if n_bytes > MAX_INPUT_BYTES:
        raise ExtractionError(
            f"{what} is {n_bytes / 1_048_576:.1f} MB; the extractor reads articles of at most "
            f"{MAX_INPUT_BYTES / 1_048_576:.0f} MB"
        )


def read_limited(stream: BinaryIO, *, what: str = "input") -> bytes:
    """Read at most the cap (plus one byte to know it was exceeded)."""
    data = stream.read(MAX_INPUT_BYTES + 1)
    check_size(len(data), what=what)
    return data


def read_path(path: Path) -> bytes:
    """The file's bytes, refusing an oversized file from its size alone."""
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise ExtractionError(f"cannot read {path}: {exc.strerror or exc}") from None
    if not path.is_file():
        raise ExtractionError(f"{path} is not a regular file")
    check_size(size, what=str(path))
    with path.open("rb") as handle:
        return read_limited(handle, what=str(path))


def decode(data: bytes, *, charset: str | None = None) -> str:
    """Bytes to text: a declared charset or a BOM, else UTF-8, else Windows-1252.

    Binary data (NUL bytes, many control characters, bytes undefined in
    Windows-1252) is refused rather than decoded into mojibake.
    """
    check_size(len(data))
    for bom, encoding in ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16")):
        if data.startswith(bom):
            return _checked(_decode_with(data, encoding))
    if b"\x00" in data:
        raise ExtractionError("input contains NUL bytes: it looks like a binary file, not an article")
    if charset:
        try:
            return _checked(data.decode(charset))
        except (LookupError, UnicodeDecodeError):
            pass  # A wrong declaration is common; fall back to detection.
    try:
        return _checked(data.decode("utf-8"))
    except UnicodeDecodeError:
        pass
    # Legacy single-byte text has few high bytes; random binary has about half.
    if len(_HIGH_BYTES.findall(data[:65536])) > 0.3 * min(len(data), 65536):
        raise ExtractionError("input is not text: it is neither UTF-8 nor plausible Windows-1252")
    try:
        return _checked(data.decode("cp1252"))
    except UnicodeDecodeError:
        raise ExtractionError("input is not text: it is neither UTF-8 nor Windows-1252") from None


def _decode_with(data: bytes, encoding: str) -> str:
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as exc:
        raise ExtractionError(f"input declares {encoding} but does not decode: {exc.reason}") from None


def _checked(text: str) -> str:
    check_text(text)
    return text


def check_text(text: str) -> None:
    """Refuse text that is too long or mostly control characters (binary in disguise)."""
    # Characters are at least one byte in UTF-8, so this bounds the encoded size too.
    check_size(len(text))
    if "\x00" in text:
        raise ExtractionError("input contains NUL characters: it looks like a binary file, not an article")
    sample = text[:65536]
    if sample and len(_CONTROL.findall(sample)) > max(8, len(sample) // 100):
        raise ExtractionError("input is mostly control characters: it looks like a binary file, not an article")


# ---------------------------------------------------------------- HTML


_HTML_SNIFF = re.compile(r"<(?:!doctype\s+html|html|head|body|article|p|div|span|br|h[1-6]|title|meta)\b", re.IGNORECASE)
# Content of these elements is never article text.
_SKIPPED = frozenset({"script", "style", "noscript", "template", "svg", "iframe", "object", "canvas", "head"})
# Elements that end a line of text, so headlines and paragraphs stay separate sentences.
_BLOCKS = frozenset(
    {"p", "div", "br", "li", "ul", "ol", "h1", "h2", "h3", "h4", "h5", "h6", "article", "section", "header",
     "footer", "tr", "table", "blockquote", "figcaption", "dt", "dd", "main", "aside", "nav", "hr", "pre", "time"}
)
_DATE_META = frozenset(
    {"article:published_time", "og:published_time", "date", "pubdate", "publishdate", "dc.date", "dc.date.issued",
     "datepublished", "parsely-pub-date", "sailthru.date"}
)
_SPACES = re.compile(r"[ \t\r\f\v\u00a0]+")
_BLANK_LINES = re.compile(r"\n[ \t]*(?:\n[ \t]*)+")


def looks_like_html(text: str) -> bool:
    return _HTML_SNIFF.search(text[:4096]) is not None


@dataclass(frozen=True)
class HtmlDocument:
    text: str
    title: str | None
    published: str | None


class _TextCollector(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skip_depth = 0
        self.in_title = False
        self.title: list[str] = []
        self.published: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "meta" or tag == "time":
            self._note_date(tag, dict(attrs))
        if tag == "title":
            self.in_title = True
        elif tag in _SKIPPED:
            self.skip_depth += 1
        if tag in _BLOCKS:
            self.parts.append("\n")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        # <br/>, <meta .../>: never opens a skipped region.
        if tag == "meta" or tag == "time":
            self._note_date(tag, dict(attrs))
        if tag in _BLOCKS:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag == "title":
            self.in_title = False
        elif tag in _SKIPPED and self.skip_depth:
            self.skip_depth -= 1
        if tag in _BLOCKS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if self.in_title:
            self.title.append(data)
        elif not self.skip_depth:
            self.parts.append(data)

    def _note_date(self, tag: str, attrs: dict[str, str | None]) -> None:
        if self.published is not None:
            return
        if tag == "time" and attrs.get("datetime"):
            self.published = attrs["datetime"]
            return
        key = (attrs.get("property") or attrs.get("name") or attrs.get("itemprop") or "").lower()
        if key in _DATE_META and attrs.get("content"):
            self.published = attrs["content"]


# A "<" that does not start a tag closing within 2,000 characters (a stray "<", a tag never
# closed) is text. Possessive inside the lookahead, so there is no backtracking.
_STRAY_LT = re.compile(r"<(?![^<>]{0,2000}+>)")
_QUOTED_TAG = re.compile(r"<[^<>]*[\"'][^<>]*>")


def _strip_comments(html: str) -> str:
    """Comments out, with `find` (linear even for thousands of unclosed "<!--")."""
    parts, pos = [], 0
    while True:
        start = html.find("<!--", pos)
        if start < 0:
            parts.append(html[pos:])
            return "".join(parts)
        parts.append(html[pos:start])
        end = html.find("-->", start + 4)
        if end < 0:
            return "".join(parts)  # an unclosed comment runs to the end of the page
        pos = end + 3


def _pair_quotes(match: re.Match[str]) -> str:
    # An unbalanced quote would make the parser look for its partner through the rest of the page.
    tag = match.group()
    for quote in ('"', "'"):
        if tag.count(quote) % 2:
            tag = tag.replace(quote, " ")
    return tag


def defuse_markup(html: str) -> str:
    """Markup the standard parser reads in linear time: every tag closes nearby, quotes pair up.

    html.parser re-reads a construct it cannot finish each time more input
    arrives, so a page of unclosed tags or quotes costs quadratic time; after
    this pass no construct is unfinished.
    """
    return _QUOTED_TAG.sub(_pair_quotes, _STRAY_LT.sub("&lt;", _strip_comments(html)))


def html_to_text(html: str) -> HtmlDocument:
    """Visible text, one block element per line; scripts, styles and the head dropped."""
    collector = _TextCollector()
    collector.feed(defuse_markup(html))
    collector.close()
    lines = [_SPACES.sub(" ", line).strip() for line in "".join(collector.parts).split("\n")]
    text = _BLANK_LINES.sub("\n\n", "\n".join(lines)).strip()
    title = _SPACES.sub(" ", "".join(collector.title)).strip() or None
    return HtmlDocument(text=text, title=title, published=collector.published)


def check_article_length(text: str) -> None:
    if len(text) > MAX_TEXT_CHARS:
        raise ExtractionError(
            f"the article text is {len(text):,} characters; the extractor reads articles of at most "
            f"{MAX_TEXT_CHARS:,} characters of text (split longer documents)"
        )
