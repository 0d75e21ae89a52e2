"""The source registry: which sources airace reads, how, when, and what to use offline.

The registry bundled with airace (pipelines/sources/sources.toml) is merged with
the user's override, `$AIRACE_SOURCES` or `<AIRACE_HOME>/sources.toml`: per source,
tables merge key by key and any other value (lists included) is replaced, so an
override can change one URL or switch a source off without restating the rest.

Every source has an `offline_default`: what `airace run` / `make run` use with no
network (a file or folder under warehouse/bundled/, or nothing: the source is
skipped). Live fetching happens only when a run asks for it (the daily schedule
does) and `AIRACE_OFFLINE` is not set.
"""

from __future__ import annotations

import os
import re
import tomllib
from functools import cache
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError, field_validator

import warehouse
from pipelines.sources.http import FetchPolicy
from warehouse.home import WarehouseHome

BUNDLED_REGISTRY = Path(__file__).resolve().parent / "sources.toml"
BUNDLED_DIR = Path(warehouse.__file__).resolve().parent / "bundled"
OVERRIDE_ENV = "AIRACE_SOURCES"
OFFLINE_ENV = "AIRACE_OFFLINE"

Name = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9-]{0,39}$")]
HttpUrl = Annotated[str, StringConstraints(strip_whitespace=True, max_length=2000, pattern=r"^https?://\S+$")]
_CRON_FIELD = r"(\*|\d+(-\d+)?)(/\d+)?(,(\*|\d+(-\d+)?)(/\d+)?)*"
_CRON = re.compile(rf"^{_CRON_FIELD}(\s+{_CRON_FIELD}){{4}}$")


class RegistryError(ValueError):
    """The registry (bundled or override) is not valid; the message names the file, source and field."""


def bundled_path(location: str | None) -> Path | None:
    """A registry path: absolute as given, relative ones under warehouse/bundled/."""
    if not location:
        return None
    path = Path(location).expanduser()
    return path if path.is_absolute() else BUNDLED_DIR / path


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class FetchOptions(_Frozen):
    """How hard to try a source over HTTP (pipelines.sources.http.FetchPolicy)."""

    timeout_s: float = Field(30.0, gt=0, le=600)
    attempts: int = Field(5, ge=1, le=20)
    backoff_base_s: float = Field(1.0, ge=0, le=600)
    backoff_max_s: float = Field(60.0, ge=0, le=3600)
    max_bytes: int = Field(200 * 1024 * 1024, gt=0)
    # Wall clock for one whole fetch (every attempt and wait): a server trickling bytes cannot hold a run.
    deadline_s: float = Field(600.0, gt=0, le=86400)
    # Redirects to loopback, private or link-local addresses are refused unless this is set.
    allow_private: bool = False
    max_redirects: int = Field(10, ge=0, le=30)

    def policy(self) -> FetchPolicy:
        return FetchPolicy(**self.model_dump())


class _Source(_Frozen):
    name: Name
    description: str = ""
    enabled: bool = True
    # Cron (5 fields, UTC) for the daily schedule; None: not scheduled.
    schedule: str | None = None
    fetch: FetchOptions = FetchOptions()
    # How old the latest event date this source gives may be before its coverage is stale
    # (the `coverage_fresh_*` check on core.source_coverage warns); None: not checked, for a
    # source that gives no events of its own (news feeds: raw documents only).
    coverage_max_age_days: int | None = Field(None, ge=1, le=3650)

    @field_validator("schedule")
    @classmethod
    def _cron(cls, value: str | None) -> str | None:
        if value is not None and not _CRON.match(value.strip()):
            raise ValueError(f"{value!r} is not a 5-field cron expression such as '0 6 * * *'")
        return value.strip() if value else value

    def offline_path(self) -> Path | None:
        """The bundled file or folder this source uses offline (None: skipped offline)."""
        return bundled_path(getattr(self, "offline_default", None))


class EpochSource(_Source):
    kind: Literal["epoch_csv"]
    urls: tuple[HttpUrl, ...] = Field(min_length=1)
    offline_default: str | None = None


class FeedSpec(_Frozen):
    url: HttpUrl
    # Set for a lab's own feed: only such items may become events (the lab speaks for
    # itself); a news site's items stay raw documents for the article extractor.
    organization: str | None = None
    # A bundled file (under warehouse/bundled/) that stands in for this feed offline.
    offline: str | None = None


class FeedSource(_Source):
    kind: Literal["feed"]
    feeds: tuple[FeedSpec, ...] = Field(min_length=1)


class HubSource(_Source):
    kind: Literal["hf_hub"]
    api_url: HttpUrl = "https://huggingface.co/api/models"
    model_page_url: HttpUrl = "https://huggingface.co"
    # Hub author (organization account) -> organization name as core.organizations knows it.
    authors: dict[Annotated[str, StringConstraints(min_length=1, max_length=96)], str] = Field(min_length=1)
    page_size: int = Field(100, ge=1, le=1000)
    max_pages: int = Field(3, ge=1, le=100)
    # A folder of `<author>.json` listing pages; None: skipped offline.
    offline_default: str | None = None


class InboxSource(_Source):
    kind: Literal["inbox"]
    # None: `<AIRACE_HOME>/inbox`.
    path: str | None = None
    poll_interval_s: int = Field(30, ge=5, le=86400)
    # A file nothing has written to for this long is complete (see pipelines/sources/inbox.py).
    settle_s: float = Field(30, ge=0, le=86400)
    suffixes: tuple[str, ...] = (".jsonl", ".json", ".ndjson", ".csv")

    def folder(self, home: WarehouseHome) -> Path:
        return Path(self.path).expanduser() if self.path else home.root / "inbox"


class CuratedSource(_Source):
    kind: Literal["curated"]
    offline_default: str | None = None


# Any registry entry; its class is chosen by its `kind` in ENTRY_MODELS.
SourceEntry = _Source
Source = SourceEntry
# kind -> its entry model. Kinds built on the runner add theirs with
# pipelines.sources.kind.register_kind; the inbox (not a runner kind) has its own front door.
ENTRY_MODELS: dict[str, type[_Source]] = {
    "epoch_csv": EpochSource, "feed": FeedSource, "hf_hub": HubSource, "inbox": InboxSource, "curated": CuratedSource,
}


class Registry(_Frozen):
    sources: tuple[SourceEntry, ...]
    files: tuple[str, ...]

    def get(self, name: str) -> Source:
        for source in self.sources:
            if source.name == name:
                return source
        raise RegistryError(f"no source named {name!r} in {', '.join(self.files)} (known: {self.names()})")

    def names(self) -> str:
        return ", ".join(s.name for s in self.sources)

    def of_kind(self, kind: str, *, enabled_only: bool = True) -> list[Source]:
        return [s for s in self.sources if s.kind == kind and (s.enabled or not enabled_only)]


def merge(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    """Tables merge key by key; everything else (lists included) is replaced."""
    merged = dict(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise RegistryError(f"{path}: no such source registry") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise RegistryError(f"{path}: not valid TOML: {exc}") from None


def override_path(home: WarehouseHome | None = None) -> Path | None:
    """`$AIRACE_SOURCES` (must exist), else `<AIRACE_HOME>/sources.toml` when present."""
    explicit = os.environ.get(OVERRIDE_ENV)
    if explicit:
        return Path(explicit).expanduser()
    candidate = (home or WarehouseHome.resolve()).root / "sources.toml"
    return candidate if candidate.is_file() else None


def _describe(exc: ValidationError) -> str:
    parts = []
    for error in exc.errors(include_url=False)[:5]:
        location = [str(p) for p in error["loc"]]
        parts.append(f"field {'.'.join(location) or '(source)'!r}: {error['msg']}")
    return "; ".join(parts)


def _entry_model(kind: Any) -> type[_Source] | None:
    from pipelines.sources.kind import _load_builtin_kinds

    _load_builtin_kinds()
    return ENTRY_MODELS.get(kind) if isinstance(kind, str) else None


def parse_registry(document: dict[str, Any], files: tuple[str, ...]) -> Registry:
    where = " + ".join(files)
    table = document.get("sources")
    if not isinstance(table, dict) or not table:
        raise RegistryError(f"{where}: expected a [sources.<name>] table per source")
    unknown = set(document) - {"sources"}
    if unknown:
        raise RegistryError(f"{where}: unknown top-level key(s) {', '.join(sorted(unknown))}")
    sources = []
    for name, entry in table.items():
        if not isinstance(entry, dict):
            raise RegistryError(f"{where}: source {name!r}: expected a table, got {type(entry).__name__}")
        model = _entry_model(entry.get("kind"))
        if model is None:
            raise RegistryError(f"{where}: source {name!r}: field 'kind': {entry.get('kind')!r} is not a known kind "
                                f"({', '.join(sorted(ENTRY_MODELS))})")
        try:
            sources.append(model.model_validate({**entry, "name": name}))
        except ValidationError as exc:
            raise RegistryError(f"{where}: source {name!r}: {_describe(exc)}") from None
    # (several epoch_csv sources are fine: each reads its own table, chosen by its name)
    for kind in ("inbox", "curated"):
        if len([s for s in sources if s.kind == kind]) > 1:
            raise RegistryError(f"{where}: only one source of kind {kind!r} is supported")
    return Registry(sources=tuple(sources), files=files)


def load_registry(home: WarehouseHome | None = None, *, bundled: Path = BUNDLED_REGISTRY) -> Registry:
    """The bundled registry merged with the user's override (see the module docstring)."""
    document = _read_toml(bundled)
    files = [str(bundled)]
    override = override_path(home)
    if override is not None:
        document = merge(document, _read_toml(override))
        files.append(str(override))
    return parse_registry(document, tuple(files))


@cache
def graph_registry() -> Registry:
    """The registry as it was when the Dagster definitions were loaded: it decides which
    source assets, schedules and sensors exist. Runs re-read `load_registry()`, so an
    edited URL or option takes effect on the next run; a new source needs a reload."""
    return load_registry()


def source_asset_keys() -> list[list[str]]:
    """Asset key paths of the runner-backed sources, every source but the inbox (one asset per
    registry entry; the kind names it)."""
    from pipelines.sources.kind import kind_of

    return [kind.asset_key(s) for s in graph_registry().sources if (kind := kind_of(s)) is not None]


def offline_forced() -> bool:
    return os.environ.get(OFFLINE_ENV, "").strip().lower() in {"1", "true", "yes", "on"}


def asset_name(source_name: str) -> str:
    return source_name.replace("-", "_")


class Outcome(_Frozen):
    """What happened to one URL (or bundled file) of a source in one run."""

    location: str
    # "200", "304", "offline" (bundled file read), "skipped" (nothing offline), "error"
    status: str
    bytes: int = 0
    error: str | None = None


class SourceReport(_Frozen):
    """One source's run: its fetches, and what the append path did with the records."""

    source: str
    mode: Literal["live", "offline"]
    outcomes: tuple[Outcome, ...] = ()
    read: int = 0
    appended: int = 0
    duplicate: int = 0
    quarantined: int = 0
    documents_new: int = 0
    ingest_run_id: str | None = None

    @property
    def failures(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.status == "error"]

    @property
    def fetched_bytes(self) -> int:
        return sum(o.bytes for o in self.outcomes)


def choose_mode(live_requested: bool) -> Literal["live", "offline"]:
    """Live only when a run asks for it and AIRACE_OFFLINE does not forbid it."""
    return "live" if live_requested and not offline_forced() else "offline"
