from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from warehouse import EventStore, RawRecord, WarehouseHome


@pytest.fixture(autouse=True)
def dagster_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Every test records its Dagster runs in its own instance, never in the project's
    .dagster_home (`airace run` records into $DAGSTER_HOME; subprocesses inherit it)."""
    root = tmp_path / "dagster_home"
    monkeypatch.setenv("DAGSTER_HOME", str(root))
    return root


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> WarehouseHome:
    """A warehouse in tmp_path; AIRACE_HOME points there so Dagster resources use it too."""
    root = tmp_path / "warehouse"
    monkeypatch.setenv("AIRACE_HOME", str(root))
    return WarehouseHome.resolve(root).ensure()


@pytest.fixture
def store(home: WarehouseHome) -> EventStore:
    return EventStore(home, lock_timeout_s=10)


def launch(
    model: str,
    day: str,
    *,
    orgs: tuple[str, ...] = ("OpenAI",),
    countries: tuple[str, ...] = (),
    source: str = "test",
    ref: str | None = None,
    **payload: Any,
) -> dict[str, Any]:
    record: dict[str, Any] = {
        "event_type": "model.launched",
        "schema_version": 2,
        "occurred_at": day,
        "source": source,
        "source_url": "https://example.org/" + model.lower().replace(" ", "-"),
        "payload": {"model": model, "organizations": list(orgs), "countries": list(countries), **payload},
    }
    if ref is not None:
        record["source_ref"] = ref
    return record


def allegation(
    subject: str,
    day: str,
    *,
    accusers: tuple[str, ...] = ("OpenAI",),
    accused: tuple[str, ...] = ("DeepSeek",),
    nature: str = "accusation",
    kind: str = "distillation",
    source: str = "test",
    **payload: Any,
) -> dict[str, Any]:
    """An allegation.made record (schema_version 2)."""
    return {
        "event_type": "allegation.made",
        "schema_version": 2,
        "occurred_at": day,
        "source": source,
        "subject": subject,
        "payload": {"nature": nature, "accusers": list(accusers), "accused": list(accused), "kind": kind,
                    "summary": payload.pop("summary", "claims"), **payload},
    }


@pytest.fixture
def append(store: EventStore) -> Callable[..., Any]:
    """Append plain dicts as one batch, optionally at a given record time."""

    def _append(records: list[dict[str, Any]], *, at: dt.datetime | None = None, source: str = "test"):
        return store.append(
            [RawRecord(f"record {i}", r) for i, r in enumerate(records)], source=source, recorded_at=at
        )

    return _append


def write_jsonl(path: Path, records: list[Any]) -> Path:
    path.write_text("\n".join(r if isinstance(r, str) else json.dumps(r) for r in records) + "\n")
    return path


@pytest.fixture
def http_server():
    """A threaded HTTP server on 127.0.0.1 serving scripted replies (see tests/http_fixture.py)."""
    from tests.http_fixture import ScriptedServer

    with ScriptedServer() as server:
        yield server
