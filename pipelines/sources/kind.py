"""The shape every kind of source has, and the table of kinds the registry knows.

A kind of source says only what is particular to it:
  * `entry`: its registry entry (a pydantic model; the `[sources.NAME]` table of
    sources.toml with `kind = "<kind>"`);
  * `locations(entry)`: where it reads — each location a live URL and/or the
    bundled files that stand in for it offline;
  * `parse(entry, location, content, page)`: a fetched payload -> raw records
    (events for the one append path) and raw documents (text kept for extractors);
  * `paginator(entry)`: how to find the next page of a location (none by default);
  * `snapshot`: True when one run's records are the source's whole current state
    (reconciled: changed records become corrections, vanished ones retractions).

What a snapshot of an upstream table (Epoch AI's, pipelines/sources/epoch.py) needs
besides, each optional with a default every other kind keeps:
  * `Parsed.digest`: what identifies a payload's content when it is not the payload's
    own bytes (the table's CSV, whether it came zipped, gzipped or plain), so the same
    table seen again is recognised and reconciles to nothing;
  * `undated_field(entry)`: the payload field holding a row's own date, for rows that
    carry a stand-in occurred_at (passed to `EventStore.append_snapshot`);
  * `given_location(entry, text)`: a location named by hand, a file or URL
    (`airace ingest --source NAME PATH_OR_URL`, or the asset's `location` config);
    by default a source reads only the locations of its registry entry.

Everything else — fetching with the registry's limits, landing raw, appending,
reporting, the Dagster asset and its schedule — is done once, by
pipelines/sources/runner.py and pipelines/defs/sources/factory.py.
A new kind is one module with a `SourceKind` subclass passed to `register_kind`,
plus its entry in sources.toml (see README, "A new source"). Every registry kind
is one, except the inbox: files dropped in a folder, each its own batch of the
append path (pipelines/sources/inbox.py says why it is a front door, not a kind).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any, ClassVar, Literal

from pipelines.sources import registry
from warehouse.log.raw import RawDocument
from warehouse.log.store import RawRecord


class SourceError(ValueError):
    """A payload is not what the source serves; the message says why (the runner adds where)."""


class OwnLocationsOnly(SourceError):
    """A location was named for a source that reads only its registry entry's."""


@dataclass(frozen=True)
class Location:
    """One place a source reads: `url` when live, `offline` (bundled pages, in order) otherwise.
    `context` carries what the kind needs to parse it (a feed's organization, a hub author)."""

    ref: str
    url: str | None = None
    offline: tuple[Path, ...] = ()
    context: Any = None


@dataclass(frozen=True)
class Parsed:
    """What one payload holds: event records for the log, documents for raw.documents."""

    records: tuple[RawRecord, ...] = ()
    documents: tuple[RawDocument, ...] = ()
    # The SHA-256 naming the payload's content for a snapshot (None: the payload's own bytes').
    digest: str | None = None


@dataclass(frozen=True)
class Page:
    """A fetched page as a paginator sees it."""

    url: str
    content: bytes
    # The `Link: <…>; rel="next"` target, already resolved against `url` (pipelines.sources.http).
    link_next: str | None = None


class Paginator(ABC):
    """How a location's next page is found (dlt's paginator idea)."""

    max_pages: int = 1

    @abstractmethod
    def next_url(self, page: Page) -> str | None: ...


@dataclass(frozen=True)
class SinglePage(Paginator):
    max_pages: int = 1

    def next_url(self, page: Page) -> str | None:
        return None


@dataclass(frozen=True)
class LinkHeaderPaginator(Paginator):
    """Follows `Link: rel="next"` (GitHub, the Hugging Face Hub) up to `max_pages`."""

    max_pages: int = 3

    def next_url(self, page: Page) -> str | None:
        return page.link_next


class SourceKind(ABC):
    """One kind of source (see the module docstring). Stateless: every method gets the entry."""

    # The registry's `kind = "…"`.
    name: ClassVar[str]
    entry: ClassVar[type[registry.SourceEntry]]
    # Reconcile each run's records as the whole current state of the source.
    snapshot: ClassVar[bool] = False
    transport: ClassVar[Literal["http", "local"]] = "http"
    accept: ClassVar[str] = "*/*"
    # Shown as kind badges in the Dagster UI.
    formats: ClassVar[frozenset[str]] = frozenset()

    @abstractmethod
    def locations(self, entry: Any) -> list[Location]: ...

    @abstractmethod
    def parse(self, entry: Any, location: Location, content: bytes, page: int) -> Parsed: ...

    def paginator(self, entry: Any) -> Paginator:
        return SinglePage()

    def undated_field(self, entry: Any) -> str | None:
        """For a snapshot kind: the payload field a row's own date is in, when a row may have none."""
        return None

    def given_location(self, entry: Any, text: str) -> Location:
        """A location named on the command line instead of the registry's (SourceError: refused)."""
        raise OwnLocationsOnly(f"source {entry.name!r} reads the locations its registry entry names; give no inputs")

    def asset_key(self, entry: Any) -> list[str]:
        """The source's Dagster asset key path: its registry name, plain (`lab-feeds` -> `lab_feeds`)."""
        return [registry.asset_name(entry.name)]

    def describe(self, entry: Any) -> str:
        """The asset's description in the Dagster UI."""
        return f"{entry.description} Registry source {entry.name!r} (kind {self.name})."


KINDS: dict[str, SourceKind] = {}


def register_kind(kind: type[SourceKind]) -> type[SourceKind]:
    """Make a kind known to the registry (its entry model) and to the runner (usable as a class decorator)."""
    KINDS[kind.name] = kind()
    registry.ENTRY_MODELS[kind.name] = kind.entry
    return kind


@cache
def _load_builtin_kinds() -> None:
    """Import every module of pipelines/sources/: a kind registers itself there on import,
    so a new kind needs no list to be added to."""
    import importlib
    import pkgutil

    import pipelines.sources as package

    for module in pkgutil.iter_modules(package.__path__):
        importlib.import_module(f"{package.__name__}.{module.name}")


def kind_of(entry: registry.SourceEntry) -> SourceKind | None:
    """The runner-backed kind of a registry entry; None for the inbox (a front door of its own,
    pipelines/sources/inbox.py: each dropped file is one batch of the one append path)."""
    _load_builtin_kinds()
    return KINDS.get(entry.kind)

