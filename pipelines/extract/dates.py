"""Dates in news text, resolved against the article's own date.

"on Feb 11", "February 11, 2025", "11 February 2025" and "2025-02-11" are days;
"in January 2025" and "in January" are months; "in 2024" is a year; weekdays
("on Monday"), "yesterday" and "last week/month/year" are relative to the
article date. A date without a year takes the article's year, or the year
before when that would put it well after the article.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from dataclasses import dataclass
from typing import Literal

Precision = Literal["day", "month", "year"]

_MONTHS = {
    "jan": 1, "feb": 2, "mar": 3, "apr": 4, "may": 5, "jun": 6, "jul": 7, "aug": 8, "sep": 9, "oct": 10,
    "nov": 11, "dec": 12,
}
_MONTH = (
    r"(?:Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?|Sep(?:t(?:ember)?)?"
    r"|Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?)\.?"
)
_WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_YEAR = r"(?:19[5-9]\d|20\d\d|2100)"
# One alternation, tried left to right at each position; every piece is bounded.
DATE_RE = re.compile(
    r"\b(?:"
    rf"(?P<iso>(?P<iy>{_YEAR})-(?P<im>[01]\d)-(?P<id>[0-3]\d))"
    rf"|(?P<mdy>(?P<m1>{_MONTH})\s(?P<d1>[0-3]?\d)(?:st|nd|rd|th)?\b(?:,?\s(?P<y1>{_YEAR}))?)"
    rf"|(?P<dmy>(?P<d2>[0-3]?\d)(?:st|nd|rd|th)?\s(?P<m2>{_MONTH})(?:,?\s(?P<y2>{_YEAR}))?)"
    rf"|(?P<my>(?:(?:early|mid|late|mid-)\s?)?(?P<m3>{_MONTH})(?:\sof)?,?\s(?P<y3>{_YEAR}))"
    rf"|(?P<mo>(?:in|since|during|from|until|by|early|mid|late|mid-)\s?(?P<m4>{_MONTH})\b(?!,?\s(?:of\s)?{_YEAR}))"
    rf"|(?P<yr>(?:in|since|during|early|mid|late|of)\s(?:early\s|mid-|late\s)?(?P<y4>{_YEAR}))\b"
    r"|(?P<wd>(?:on\s|last\s|this\s)?(?P<w>Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday))"
    r"|(?P<rel>yesterday|today|(?:earlier\s|later\s)?(?:last|this)\s(?:week|month|year))"
    r")\b",
)
_HEADER = re.compile(r"^(?:Date|Published|Posted|Updated|Dateline)\s*:\s*(.{4,60})$", re.IGNORECASE | re.MULTILINE)


@dataclass(frozen=True)
class DateMention:
    start: int
    end: int
    day: dt.date
    precision: Precision
    # Whether the text itself gave the year (else it came from the article date).
    explicit: bool


def _month(token: str) -> int:
    return _MONTHS[token[:3].lower()]


def _safe_day(year: int, month: int, day: int) -> dt.date | None:
    if not 1 <= month <= 12 or not 1 <= day <= calendar.monthrange(year, month)[1]:
        return None
    return dt.date(year, month, day)


def _infer_year(month: int, day: int, reference: dt.date) -> int:
    """The year that puts month/day nearest before (or shortly after) the reference."""
    candidate = _safe_day(reference.year, month, min(day, 28))
    if candidate and candidate > reference + dt.timedelta(days=31):
        return reference.year - 1
    return reference.year


def find_dates(text: str, start: int = 0, end: int | None = None, *, reference: dt.date | None) -> list[DateMention]:
    """Dates in text[start:end]; relative and year-less ones need a reference date."""
    end = len(text) if end is None else end
    found: list[DateMention] = []
    for match in DATE_RE.finditer(text, start, end):
        mention = _resolve(match, reference)
        if mention is not None:
            found.append(mention)
    return found


def _resolve(m: re.Match[str], reference: dt.date | None) -> DateMention | None:
    s, e = m.start(), m.end()
    if m.group("iso"):
        day = _safe_day(int(m.group("iy")), int(m.group("im")), int(m.group("id")))
        return DateMention(s, e, day, "day", True) if day else None
    if m.group("mdy") or m.group("dmy"):
        month = _month(m.group("m1") or m.group("m2"))
        day_of_month = int(m.group("d1") or m.group("d2"))
        year_text = m.group("y1") or m.group("y2")
        if year_text:
            day = _safe_day(int(year_text), month, day_of_month)
            return DateMention(s, e, day, "day", True) if day else None
        if reference is None:
            return None
        day = _safe_day(_infer_year(month, day_of_month, reference), month, day_of_month)
        return DateMention(s, e, day, "day", False) if day else None
    if m.group("my"):
        return DateMention(s, e, dt.date(int(m.group("y3")), _month(m.group("m3")), 1), "month", True)
    if m.group("mo"):
        if reference is None:
            return None
        month = _month(m.group("m4"))
        first = dt.date(reference.year, month, 1)
        year = reference.year - 1 if first > reference + dt.timedelta(days=62) else reference.year
        return DateMention(s, e, dt.date(year, month, 1), "month", False)
    if m.group("yr"):
        return DateMention(s, e, dt.date(int(m.group("y4")), 1, 1), "year", True)
    if reference is None:
        return None
    if m.group("wd"):
        target = _WEEKDAYS.index(m.group("w").lower())
        back = (reference.weekday() - target) % 7
        if m.group("wd").lower().startswith("last") and back == 0:
            back = 7
        return DateMention(s, e, reference - dt.timedelta(days=back), "day", False)
    rel = m.group("rel").lower()
    if rel == "yesterday":
        return DateMention(s, e, reference - dt.timedelta(days=1), "day", False)
    if rel == "today":
        return DateMention(s, e, reference, "day", False)
    unit = rel.rsplit(" ", 1)[-1]
    last = " last " in f" {rel} "
    if unit == "week":
        # A week is finer than a month but coarser than a day: say the month, honestly.
        return DateMention(s, e, (reference - dt.timedelta(days=7 if last else 0)).replace(day=1), "month", False)
    if unit == "month":
        month_day = (reference.replace(day=1) - dt.timedelta(days=1)) if last else reference
        return DateMention(s, e, month_day.replace(day=1), "month", False)
    return DateMention(s, e, dt.date(reference.year - (1 if last else 0), 1, 1), "year", False)


def parse_date_text(text: str) -> tuple[dt.date, Precision] | None:
    """One date written on its own: a `Date:` header value, an HTML meta value, a dateline."""
    text = text.strip()
    iso = re.match(r"(\d{4})-(\d{2})-(\d{2})", text)
    if iso:
        day = _safe_day(int(iso.group(1)), int(iso.group(2)), int(iso.group(3)))
        return (day, "day") if day else None
    for mention in find_dates(text, reference=None):
        return mention.day, mention.precision
    return None


def article_date(text: str) -> tuple[dt.date, Precision] | None:
    """The article's own date: a `Date:` line near the top, or a dated dateline."""
    head = text[:2000]
    header = _HEADER.search(head)
    if header:
        parsed = parse_date_text(header.group(1))
        if parsed:
            return parsed
    # "BEIJING, Feb. 11, 2026 (Reuters) —": only a full date counts here.
    for mention in find_dates(head[:600], reference=None):
        if mention.explicit and mention.precision == "day":
            tail = head[mention.end : mention.end + 40]
            if re.match(r"\s*(?:\([^)]{1,30}\)\s*)?(?:\u2014|\u2013|--|-\s|/)", tail):
                return mention.day, mention.precision
    return None
