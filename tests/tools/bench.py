"""The airace benchmark: `python -m tests.tools.bench [--events N]` (`make bench`).

Generates synthetic but realistic JSONL event files (every event type, ~3% bad
rows of several kinds, ~5% duplicates) into a temp dir, then measures, each as a
figure and as a ratio against a baseline or target from the same run:

* ingest throughput file -> log (EventStore.append over warehouse.log.readers) against
  DuckDB's own `read_json` of the same file into a plain table;
* peak memory (ru_maxrss) of that ingest, run in its own process;
* the first (full) build of projections and marts from the log, the refresh after
  1,000 more events and the refresh after an upstream re-fit of the capability index
  (300 logged capability.scored rows re-scored) (the production path,
  `warehouse.projections.refresh.refresh_projections`, which is incremental from its checkpoint);
* `verify` over the whole log;
* p50/p95 of analyst queries on the published snapshot.

It prints the machine beside the figures and ends with a table of figure / target / met?.
A rebuild that overruns AIRACE_BENCH_STEP_BUDGET_S (default 120 s) is interrupted and
reported as not finished, so the whole run stays bounded (< 10 minutes at 1M events).
This is a script, not a test: figures depend on the machine.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import os
import platform
import random
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from schemas.upcasters import CURRENT_VERSIONS

INCREMENT_EVENTS = 1_000
# An upstream re-fit of the capability index (Epoch re-fits ECI when it adds benchmarks):
# this many logged capability.scored rows re-scored, ingested and refreshed at once.
REFIT_ROWS = 300
BAD_FRACTION = 0.03
DUPLICATE_FRACTION = 0.05
# ECI-shaped capability.scored rows among the good lines: the re-fit below re-scores some.
CAPABILITY_FRACTION = 0.05
QUERY_REPEATS = 15
# Share of model.launched events that introduce a new model (the rest re-report one): with
# launches 55% of events, about 3% of all events are new models (30,000 in 1M events).
NEW_MODEL_SHARE_OF_LAUNCHES = 0.055
# A step that takes longer is interrupted and reported as not finished, so the run ends.
STEP_BUDGET_S = float(os.environ.get("AIRACE_BENCH_STEP_BUDGET_S", "120"))

# Targets of issue 7.
TARGET_INGEST_RATIO = 0.5
TARGET_PEAK_MB_PER_1M = 600
TARGET_INCREMENTAL_RATIO = 0.05
TARGET_VERIFY_S = 2.0
TARGET_QUERY_P50_MS = 100.0
TARGET_BUNDLED_RUN_S = 120.0  # issue 9: `make run` on the bundled data, 2 cores
# Issue 16: `airace sql` answers at once, its first screen of a big mart within a second, and a
# mart --as-of (record time, rebuilt from the log) within 10 s and a 1 GB memory cap.
TARGET_SQL_START_S = 0.5
TARGET_SQL_FIRST_SCREEN_S = 1.0
TARGET_AS_OF_S = 10.0
AS_OF_MEMORY_LIMIT = "1GB"
AS_OF_QUERY = "select count(*) as rows, sum(launches) as launches from marts.releases_monthly"
# The main file's ingest run: the --as-of moment is when it finished (every event of it
# recorded, none of the increment's nor the re-fit's), a real past the snapshot differs from.
MAIN_FILE_SOURCE = "file:events.jsonl"

REFERENCE_ORGS = Path(__file__).resolve().parents[2] / "warehouse" / "reference" / "organizations.csv"

# --------------------------------------------------------------------------- generator

_MODEL_STEMS = (
    "GPT", "Claude", "Gemini", "Llama", "Qwen", "DeepSeek", "GLM", "Kimi", "Mistral", "Grok", "Phi", "Gemma",
    "Yi", "Baichuan", "ERNIE", "Hunyuan", "Doubao", "MiniMax", "Falcon", "Command", "Jamba", "Nemotron",
)
_SOURCES = ("synth-press", "synth-epoch", "synth-blog", "synth-registry")
_ACCESS = ("open_weights", "api", "hosted", "unreleased")
_DOMAINS = ("Language", "Vision", "Multimodal", "Speech", "Biology", "Robotics", "Games")
_TASKS = ("Chat", "Code generation", "Translation", "Image generation", "Reasoning", "Search")
_PRODUCT_KINDS = ("chatbot", "api", "app", "agent", "hardware", "platform", "feature", "other")
_ALLEGATION_KINDS = ("distillation", "ip_theft", "copyright", "data_scraping", "safety", "antitrust", "privacy")
_ALLEGATION_STATUS = ("alleged", "denied", "under_investigation", "confirmed", "settled", "dismissed")
_JURISDICTIONS = ("US", "CN", "EU", "GB", "JP", "KR", "IN", "FR", "DE", "CA", "US-CA", "US-NY", "SG", "AE")
_INSTRUMENTS = ("law", "executive_order", "export_control", "regulation", "guideline", "standard", "strategy")
_STAGES = ("proposed", "adopted", "in_force", "amended", "revoked")
_TOPICS = ("safety", "chips", "copyright", "privacy", "frontier models", "deepfakes", "compute", "liability")
# Capability-index rows (Epoch's ECI): versions of a model differ by effort, date stamp or host.
_EFFORTS = ("_high", "_medium", "_low", "-2025-08-07", "-preview", "")
_CONFIDENCE = ("Confident", "Likely", "Speculative", "Unknown", "Unverified")
_EPOCH = dt.date(2012, 1, 1)
_SPAN_DAYS = (dt.date(2026, 6, 30) - _EPOCH).days


def event_id_for_ref(source: str, event_type: str, source_ref: str) -> str:
    """The id a record with a natural key gets (schemas.events.compute_event_id), for targets."""
    identity = json.dumps([source, event_type, source_ref], sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(identity.encode()).hexdigest()[:32]


def _load_orgs() -> list[tuple[str, str | None]]:
    orgs: list[tuple[str, str | None]] = []
    try:
        import csv

        with REFERENCE_ORGS.open(newline="", encoding="utf-8") as handle:
            for row in csv.DictReader(handle):
                orgs.append((row["name"], row.get("country") or None))
    except OSError:
        pass
    orgs = orgs[:120]
    # Organizations the registry does not know: the projections create them from the events.
    orgs += [(f"Synthetic Lab {i}", random.Random(i).choice(("US", "CN", "FR", "GB", "KR"))) for i in range(40)]
    return orgs


@dataclass
class GeneratedFile:
    path: Path
    lines: int
    bad: int
    duplicates: int

    @property
    def good(self) -> int:
        return self.lines - self.bad - self.duplicates


class EventGenerator:
    """Deterministic (seeded) stream of realistic event records as JSON lines."""

    def __init__(self, seed: int = 7, *, start: int = 0, latest: dt.date | None = None) -> None:
        self.rng = random.Random(seed)
        self.counter = start
        self.orgs = _load_orgs()
        self.latest_days = (latest - _EPOCH).days if latest else _SPAN_DAYS
        self.models: list[tuple[str, str, float | None]] = []  # (model, org, compute) for re-reports
        self.targets: list[tuple[str, str]] = []  # (event_id, event_type) of keyed events, for corrections
        self.allegations: list[str] = []  # subjects of allegations, for updates
        self.policies: list[tuple[str, str, str]] = []  # (jurisdiction, instrument, title)
        self.versions: list[str] = []  # event ids of capability.scored events, for re-fits

    def _remember(self, pool: list, item: object, cap: int = 20_000) -> None:
        if len(pool) < cap:
            pool.append(item)
        else:
            pool[self.rng.randrange(cap)] = item

    def _date(self, *, recent: bool = False) -> tuple[str, str]:
        rng = self.rng
        low = max(0, self.latest_days - 400) if recent else 0
        day = _EPOCH + dt.timedelta(days=rng.randint(low, self.latest_days))
        roll = rng.random()
        if roll < 0.85:
            return day.isoformat(), "day"
        if roll < 0.95:
            return f"{day:%Y-%m}", "month"
        return f"{day:%Y}", "year"

    def _envelope(self, event_type: str, source: str, *, keyed: bool, recent: bool) -> dict:
        occurred_at, _precision = self._date(recent=recent)
        record = {"event_type": event_type, "schema_version": CURRENT_VERSIONS[event_type],
                  "occurred_at": occurred_at, "source": source}
        if self.rng.random() < 0.8:
            record["source_url"] = f"https://{source}.example.org/items/{self.counter}"
        if keyed:
            record["source_ref"] = f"{event_type}/{self.counter}"
            record["retrieved_at"] = "2026-07-01T12:00:00Z"
        return record

    def record(self, *, recent: bool = False, logged: bool = True) -> dict:
        """One valid record of a type drawn by the realistic mix. `logged`: it will be written as
        it is, so later corrections and retractions may target it (an amendment of an event
        never logged is quarantined)."""
        rng = self.rng
        self.counter += 1
        n = self.counter
        roll = rng.random()
        source = rng.choice(_SOURCES)
        keyed = rng.random() < 0.7
        if roll < 0.55 or (roll < 0.63 and not self.allegations) or (roll >= 0.90 and not self.targets):
            event_type = "model.launched"
            # A bounded universe: most launch events are further reports of a known model
            # (another source, another date, other details), as when many outlets cover
            # the same launches; about 3% of all events introduce a new model.
            if self.models and rng.random() > NEW_MODEL_SHARE_OF_LAUNCHES:
                model, org, compute = rng.choice(self.models)
            else:
                model, org = f"{rng.choice(_MODEL_STEMS)}-{n}", rng.choice(self.orgs)[0]
                # Training compute is known for about a third of models (as in Epoch's table).
                compute = float(f"{10 ** rng.uniform(18, 26.5):.3e}") if rng.random() < 0.3 else None
                self._remember(self.models, (model, org, compute), cap=200_000)
            orgs = [org] + ([rng.choice(self.orgs)[0]] if rng.random() < 0.08 else [])
            countries = [c for name, c in self.orgs if name in orgs and c][:2] if rng.random() < 0.7 else []
            access = rng.choice(_ACCESS)
            payload: dict = {"model": model, "organizations": orgs, "countries": countries,
                             "access": access, "open_weights": access == "open_weights"}
            if rng.random() < 0.6:
                payload["parameters"] = float(int(10 ** rng.uniform(6, 12.3)))
            if compute is not None and rng.random() < 0.5:
                payload["training_compute_flop"] = compute
            if rng.random() < 0.5:
                payload["domains"] = rng.sample(_DOMAINS, rng.randint(1, 2))
                payload["tasks"] = rng.sample(_TASKS, rng.randint(1, 3))
            if rng.random() < 0.05:
                payload["frontier"] = True
            if rng.random() < 0.1:
                payload["notes"] = "Synthetic row; " + "details " * rng.randint(1, 30)
        elif roll < 0.63:
            event_type = "allegation.updated"
            payload = {"status": rng.choice(_ALLEGATION_STATUS), "summary": f"Update {n} on the case."}
        elif roll < 0.71:
            event_type = "allegation.made"
            # (about one in ten with a co-plaintiff, one in ten with the accused unnamed)
            accuser, co_accuser, accused = rng.sample(self.orgs, 3)
            nature = rng.choice(("accusation", "lawsuit", "inquiry"))
            payload = {"nature": nature,
                       "accusers": [accuser[0]] + ([co_accuser[0]] if rng.random() < 0.1 else []),
                       "accused": [accused[0]] if rng.random() < 0.9 else [],
                       "kind": rng.choice(_ALLEGATION_KINDS),
                       "venue": {"accusation": "press", "lawsuit": "court", "inquiry": "regulator"}[nature],
                       "summary": f"{accuser[0]} alleges misconduct by {accused[0]} (case {n})."}
            if not payload["accused"]:
                del payload["accused"]
        elif roll < 0.76:
            event_type = "product.released"
            payload = {"organization": rng.choice(self.orgs)[0], "product": f"Product {n}",
                       "kind": rng.choice(_PRODUCT_KINDS)}
        elif roll < 0.90:
            event_type = "policy.changed"
            if self.policies and rng.random() < 0.4:
                jurisdiction, instrument, title = rng.choice(self.policies)
            else:
                jurisdiction, instrument = rng.choice(_JURISDICTIONS), rng.choice(_INSTRUMENTS)
                title = f"AI Measure {n}"
                self._remember(self.policies, (jurisdiction, instrument, title))
            payload = {"jurisdiction": jurisdiction, "instrument": instrument, "title": title,
                       "stage": rng.choice(_STAGES), "topics": rng.sample(_TOPICS, rng.randint(0, 3))}
        elif roll < 0.96:
            event_type = "event.corrected"
            target, target_type = rng.choice(self.targets)
            payload = {"target_event_id": target, "reason": f"Correction {n}: the source revised its figures."}
            if target_type == "model.launched":
                payload["changes"] = {"parameters": float(rng.randint(1, 10**6) * 1e6)}
            elif target_type == "capability.scored":
                payload["changes"] = {"score": round(rng.uniform(60, 160), 6)}
            else:
                occurred_at, precision = self._date()
                if precision == "day":
                    payload["occurred_at"], payload["occurred_precision"] = occurred_at, "day"
        else:
            event_type = "event.retracted"
            target, _ = rng.choice(self.targets)
            payload = {"target_event_id": target, "reason": f"Retraction {n}: the report was wrong."}

        record = self._envelope(event_type, source, keyed=keyed, recent=recent)
        if event_type == "allegation.updated":
            record["subject"] = rng.choice(self.allegations)
        if event_type == "allegation.made":
            # the subject schemas derive: allegation:<accuser>-<accused>-<kind>-<yyyymm>
            record["subject"] = f"allegation:case-{n}"
            self._remember(self.allegations, record["subject"])
        record["payload"] = payload
        if logged and keyed and event_type in ("model.launched", "product.released", "policy.changed", "allegation.made"):
            self._remember(self.targets, (event_id_for_ref(source, event_type, record["source_ref"]), event_type))
        return record

    def capability_record(self, *, recent: bool = False) -> dict:
        """One capability.scored row shaped like Epoch's ECI: a version of a known model (so it
        links), its natural key the version name, a score for about half of them."""
        rng = self.rng
        self.counter += 1
        n = self.counter
        model, org, compute = rng.choice(self.models)
        version = f"{model.lower()}{rng.choice(_EFFORTS)}-v{n}"
        occurred_at, precision = self._date(recent=recent)
        access = rng.choice(_ACCESS)
        payload: dict = {"index": "ECI", "model_version": version, "model": model, "organizations": [org],
                         "countries": [c for name, c in self.orgs if name == org and c][:1],
                         "access": access, "open_weights": access == "open_weights",
                         "confidence": rng.choice(_CONFIDENCE)}
        if rng.random() < 0.52:
            payload["score"] = round(rng.uniform(60, 160), 6)
        if precision == "day" and rng.random() < 0.96:
            payload["release_date"] = occurred_at
        if compute is not None:
            payload["training_compute_flop"] = compute
        record = {"event_type": "capability.scored", "schema_version": 1,
                  "occurred_at": payload.get("release_date", "2026-02-22"), "source": "synth-eci",
                  "source_url": "https://epoch.ai/benchmarks/eci", "source_ref": version, "payload": payload}
        event_id = event_id_for_ref("synth-eci", "capability.scored", version)
        self._remember(self.targets, (event_id, "capability.scored"))
        self._remember(self.versions, event_id)
        return record

    def eci_refit(self, rows: int = 300) -> list[dict]:
        """An upstream re-fit of the index as the reconciler writes it: one event.corrected
        per re-scored version (`rows` distinct versions generated so far)."""
        rng = self.rng
        chosen = rng.sample(self.versions, min(rows, len(self.versions)))
        self.counter += 1
        return [
            {"event_type": "event.corrected", "schema_version": 1, "occurred_at": "2026-07-01", "source": "synth-eci",
             "source_ref": f"refit-{self.counter}/{i}", "subject": f"event:{target}",
             "payload": {"target_event_id": target, "changes": {"score": round(rng.uniform(60, 160), 6)},
                         "reason": f"synth-eci snapshot {self.counter} changed score"}}
            for i, target in enumerate(chosen)
        ]

    def bad_line(self) -> str:
        """One line that must end in quarantine, of one of several kinds."""
        rng = self.rng
        self.counter += 1
        kind = rng.randrange(9)
        good = self.record(logged=False)
        if kind == 0:  # truncated JSON
            text = json.dumps(good)
            return text[: rng.randint(1, len(text) - 2)]
        if kind == 1:
            good["event_type"] = "model.rumoured"
        elif kind == 2:
            good["occurred_at"] = rng.choice(("1850-01-01", "2024-02-30", "2199-01-01", "yesterday", "2024-13"))
        elif kind == 3:  # a NaN token: valid for Python's json, not for the schema
            good = {**self._model_only(), "payload": {"model": f"NaN-{self.counter}", "parameters": float("nan")}}
        elif kind == 4:
            good = {**self._model_only(), "payload": {"model": f"Neg-{self.counter}", "training_compute_flop": -1e24}}
        elif kind == 5:  # a required field missing
            good["payload"] = {k: v for k, v in good["payload"].items() if k not in ("model", "summary", "title",
                                                                                       "product", "target_event_id",
                                                                                       "status")}
            good["payload"]["unexpected_field"] = 1
        elif kind == 6:
            return json.dumps(rng.choice(([1, 2, 3], "just a string", 42, None)))
        elif kind == 7:
            good = {**self._model_only(), "payload": {"model": f"Country-{self.counter}",
                                                      "countries": ["United States of America"]}}
        else:
            good["schema_version"] = rng.choice((0, 99, "two"))
        return json.dumps(good, allow_nan=True)

    def _model_only(self) -> dict:
        return {"event_type": "model.launched", "schema_version": 2, "occurred_at": "2024-05-01", "source": "synth-bad"}


def write_event_file(
    path: Path,
    events: int,
    *,
    seed: int = 7,
    start: int = 0,
    bad_fraction: float = BAD_FRACTION,
    duplicate_fraction: float = DUPLICATE_FRACTION,
    recent: bool = False,
    capability_fraction: float = 0.0,
) -> GeneratedFile:
    """Write `events` JSON lines: good records, `bad_fraction` bad rows, `duplicate_fraction`
    exact repeats of earlier good lines (which dedup must drop), and `capability_fraction`
    of the good ones capability.scored rows shaped like Epoch's ECI (the bench's re-fit
    re-scores them)."""
    gen = EventGenerator(seed, start=start)
    rng = random.Random(seed + 1)
    recent_lines: list[str] = []
    bad = duplicates = 0
    with path.open("w", encoding="utf-8") as handle:
        for _ in range(events):
            roll = rng.random()
            if roll < bad_fraction:
                line = gen.bad_line()
                bad += 1
            elif roll < bad_fraction + duplicate_fraction and recent_lines:
                line = rng.choice(recent_lines)
                duplicates += 1
            else:
                capability = roll > 1 - capability_fraction and gen.models
                record = gen.capability_record(recent=recent) if capability else gen.record(recent=recent)
                line = json.dumps(record, ensure_ascii=False)
                if len(recent_lines) < 5_000:
                    recent_lines.append(line)
                else:
                    recent_lines[rng.randrange(5_000)] = line
            handle.write(line + "\n")
    return GeneratedFile(path, events, bad, duplicates)


# --------------------------------------------------------------------------- children


def _maxrss_mb() -> float:
    """This process's peak resident memory, in MB.

    On Linux, VmHWM of /proc/self/status: the high-water mark of this program's own
    memory. Not ru_maxrss there: it survives fork and exec, so a child started by this
    bench (which by then holds a couple of GB) would report the parent's size as its peak.
    """
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    # Elsewhere ru_maxrss: macOS reports bytes, the BSDs kilobytes.
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return rss / (1024 * 1024) if sys.platform == "darwin" else rss / 1024


def _child_ingest(home_dir: str, file: str) -> dict:
    from warehouse import EventStore, WarehouseHome

    rss_after_imports = _maxrss_mb()
    store = EventStore(WarehouseHome.resolve(home_dir))
    path = Path(file)
    started = time.perf_counter()
    result = store.append_file(path, source=f"file:{path.name}", default_source="analyst")
    seconds = time.perf_counter() - started
    # The bulk path's split (records validated in SQL; the rest went through pydantic one
    # by one), on stderr: the parent reads the last stdout line as this child's result.
    print(f"ingest    validated in SQL: {result.validated_in_sql:,} of {result.read:,} records "
          f"({result.validated_in_sql / max(result.read, 1):.1%})", file=sys.stderr)
    return {"seconds": seconds, "maxrss_mb": _maxrss_mb(), "rss_after_imports_mb": rss_after_imports,
            "read": result.read, "appended": result.appended, "duplicate": result.duplicate,
            "quarantined": result.quarantined, "validated_in_sql": result.validated_in_sql}


def _child_baseline(db: str, file: str) -> dict:
    import duckdb

    con = duckdb.connect(db)
    started = time.perf_counter()
    con.execute(
        "create table raw_events as select * from read_json(?, format = 'newline_delimited', ignore_errors = true)",
        [file],
    )
    con.execute("checkpoint")
    seconds = time.perf_counter() - started
    rows = con.execute("select count(*) from raw_events").fetchall()[0][0]
    con.close()
    return {"seconds": seconds, "maxrss_mb": _maxrss_mb(), "rows": rows}


def _as_of_moment(home_dir: str) -> str | None:
    """When the main file's ingest finished (events.ingest_runs), ISO; None without that run."""
    import duckdb

    con = duckdb.connect(str(Path(home_dir) / "airace-snapshot.duckdb"), read_only=True)
    try:
        rows = con.execute("select max(finished_at) from events.ingest_runs where source = ?", [MAIN_FILE_SOURCE]).fetchall()
    finally:
        con.close()
    return rows[0][0].astimezone(dt.UTC).isoformat() if rows[0][0] is not None else None


def _child_as_of(home_dir: str, moment: str) -> dict:
    """`airace sql --as-of MOMENT` on a mart, as the command line runs it, within
    AS_OF_MEMORY_LIMIT: its wall time, CPU time, peak RSS and answer (a CSV line)."""
    import contextlib
    import io

    from pipelines.cli import main

    sys.argv = ["airace", "sql", "--home", home_dir, "--as-of", moment,
                "--memory-limit", AS_OF_MEMORY_LIMIT, "--format", "csv", AS_OF_QUERY]
    out = io.StringIO()
    started, cpu = time.perf_counter(), time.process_time()
    try:
        with contextlib.redirect_stdout(out):
            main()
        code = 0
    except SystemExit as exit:
        code = exit.code or 0
    return {"seconds": time.perf_counter() - started, "cpu_s": time.process_time() - cpu,
            "maxrss_mb": _maxrss_mb(), "ok": code == 0, "answer": out.getvalue().strip().splitlines()[-1:]}


def _answer_now(home: Path) -> list[str]:
    """AS_OF_QUERY on the published snapshot (today), as the CSV line `airace sql` prints."""
    from warehouse import WarehouseHome
    from warehouse.publishing.timetravel import open_snapshot

    with open_snapshot(WarehouseHome.resolve(home)) as con:
        return [",".join(str(value) for value in con.execute(AS_OF_QUERY).fetchall()[0])]


def _sql_seconds_to_first_line(home: Path, query: str) -> float:
    """Wall time from starting `airace sql QUERY` (a new process) to its first line of output."""
    airace = Path(sys.executable).parent / "airace"
    started = time.perf_counter()
    with subprocess.Popen([str(airace), "sql", "--home", str(home), query], stdout=subprocess.PIPE,
                          stderr=subprocess.DEVNULL) as proc:
        proc.stdout.readline()
        seconds = time.perf_counter() - started
        proc.stdout.read()
    return seconds


def sql_figures(home: Path) -> list[tuple[str, str, str, bool | None]]:
    """The analyst's command line at this size: start, first screen, a mart --as-of (rows and
    launches of the summary table when the main file was ingested, before the increment and
    the re-fit: a past the snapshot no longer holds)."""
    start_s = min(_sql_seconds_to_first_line(home, "select 1") for _ in range(3))
    _say(f"sql       airace sql 'select 1', start to answer (best of 3): {start_s:.2f} s "
         f"= {start_s / TARGET_SQL_START_S:.2f} of target {TARGET_SQL_START_S} s")
    screen_s = min(_sql_seconds_to_first_line(home, "select * from marts.releases_monthly") for _ in range(3))
    _say(f"sql       first screen of marts.releases_monthly (best of 3): {screen_s:.2f} s "
         f"= {screen_s / TARGET_SQL_FIRST_SCREEN_S:.2f} of target {TARGET_SQL_FIRST_SCREEN_S} s")
    rows: list[tuple[str, str, str, bool | None]] = [
        ("sql start (select 1)", f"{start_s:.2f} s", f"< {TARGET_SQL_START_S} s", start_s < TARGET_SQL_START_S),
        ("sql first screen (a mart)", f"{screen_s:.2f} s", f"< {TARGET_SQL_FIRST_SCREEN_S:.0f} s",
         screen_s < TARGET_SQL_FIRST_SCREEN_S),
    ]
    moment = _as_of_moment(str(home))
    if moment is None:
        _say(f"as-of     no ingest run of {MAIN_FILE_SOURCE} in {home}: not measured")
        return rows
    as_of = _run_child("as_of", str(home), moment, timeout_s=600)
    now = _answer_now(home)
    # The same answer as today's would mean the moment is not a real past (or time travel is broken).
    past = as_of["ok"] and as_of["answer"] != now
    _say(f"as-of     {AS_OF_QUERY!r} --as-of {moment} (the main file ingested; not the increment nor the "
         f"re-fit) --memory-limit {AS_OF_MEMORY_LIMIT}: {'answered' if as_of['ok'] else 'FAILED'} in "
         f"{as_of['seconds']:.2f} s ({as_of['cpu_s']:.2f} s CPU), peak RSS {as_of['maxrss_mb']:.0f} MB "
         f"= {as_of['seconds'] / TARGET_AS_OF_S:.2f} of target {TARGET_AS_OF_S:.0f} s")
    _say(f"          rows,launches then {as_of['answer']}, today {now}{'' if past else '  SAME AS TODAY: not a past answer'}")
    return [
        *rows,
        (f"mart --as-of, cap {AS_OF_MEMORY_LIMIT}",
         f"{as_of['seconds']:.2f} s ({as_of['cpu_s']:.1f} s CPU), RSS {as_of['maxrss_mb']:.0f} MB"
         + ("" if as_of["ok"] else " FAILED") + ("" if past else " NOT PAST"),
         f"< {TARGET_AS_OF_S:.0f} s in 1 GB",
         past and as_of["seconds"] < TARGET_AS_OF_S and as_of["maxrss_mb"] < 1024),
    ]


def _run_child(mode: str, *args: str, timeout_s: float) -> dict:
    proc = subprocess.run(
        [sys.executable, "-m", "tests.tools.bench", "--child", mode, *args],
        check=False, capture_output=True, text=True, timeout=timeout_s,
    )
    if proc.returncode != 0:
        raise RuntimeError(f"bench child {mode} failed ({proc.returncode}):\n{proc.stderr[-4000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


# --------------------------------------------------------------------------- queries

ANALYST_QUERIES = {
    "launches by country, 2025 (README)": """
        select c.country, count(*) as launches_2025
        from core.models m, unnest(m.countries) as c(country)
        where year(m.launched_on) = 2025 group by 1 order by 2 desc limit 5""",
    "top organizations, last 12 months": """
        select organization, sum(launches) as launches from marts.releases_monthly
        where month > (select max(month) from marts.releases_monthly) - interval 12 month
        group by 1 order by 2 desc limit 10""",
    "US vs CN rolling 12 months": """
        select month, country, sum(rolling_12m) as rolling_12m from marts.releases_monthly
        where country in ('US', 'CN') and month >= date '2023-01-01' group by all order by all""",
    "open-weights share by year": """
        select year(launched_on) as year, avg(open_weights::int) as open_share, count(*) as models
        from core.models where open_weights is not null group by 1 order by 1""",
    "largest training runs": """
        select model, organizations, launched_on, training_compute_flop from core.models
        where training_compute_flop is not null order by training_compute_flop desc limit 20""",
    "one model's record": """
        select * from core.models where model_id = (select min(model_id) from core.models)""",
}


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))
    return ordered[index]


# --------------------------------------------------------------------------- main


def _seconds(value: float | None) -> str:
    return f"> {STEP_BUDGET_S:.0f} s (interrupted)" if value is None else f"{value:.2f} s"


def _interruptible(con, budget_s: float):
    """A timer that interrupts `con`'s running query after `budget_s` (cancel it when done)."""
    import threading

    timer = threading.Timer(budget_s, con.interrupt)
    timer.daemon = True
    timer.start()
    return timer


def _rebuild(store, label: str):
    """What follows every append in production (warehouse.build.refresh:
    refresh_projections, incremental from its checkpoint when it can be), timed,
    within STEP_BUDGET_S. Over budget, the refresh is interrupted (and rolled back).
    Returns (seconds or None, the refresh report or None)."""
    import duckdb

    from warehouse.projections.refresh import refresh_projections

    with store.writer(purpose="bench rebuild") as con:
        con.execute("set enable_progress_bar = false")
        timer = _interruptible(con, STEP_BUDGET_S)
        started = time.perf_counter()
        try:
            report = refresh_projections(con)
            return time.perf_counter() - started, report
        except duckdb.InterruptException:
            _say(f"rebuild   {label}: NOT FINISHED within {STEP_BUDGET_S:.0f} s (interrupted, rolled back)")
            return None, None
        finally:
            timer.cancel()


def _refit(store, path: Path):
    """An upstream re-fit of the capability index: REFIT_ROWS capability.scored events of
    the log (a deterministic draw) re-scored, written as a file, ingested through the
    production path and refreshed. Returns (refresh seconds or None, its report or None,
    rows re-scored)."""
    with store.reader() as con:
        logged = [event_id for (event_id,) in con.execute(
            "select event_id from events.log where event_type = 'capability.scored' order by hash(event_id) limit ?",
            [REFIT_ROWS],
        ).fetchall()]
    gen = EventGenerator(seed=9)
    gen.versions = logged  # (re-score versions that are in the log)
    records = gen.eci_refit(REFIT_ROWS)
    path.write_text("".join(json.dumps(record) + "\n" for record in records), encoding="utf-8")
    result = store.append_file(path, source="file:refit.jsonl", default_source="synth-eci")
    seconds, report = _rebuild(store, f"after a re-fit of {result.appended:,} capability rows")
    return seconds, report, result.appended


def _slowest_steps(report, n: int = 5) -> str:
    steps = sorted(report.seconds.items(), key=lambda item: item[1], reverse=True)[:n]
    return ", ".join(f"{name} {seconds:.2f} s" for name, seconds in steps)


def _quiet_progress_bars() -> None:
    """DuckDB draws a progress bar on stdout for queries over 2 s; keep the report readable."""
    import warehouse.log.store
    import warehouse.publishing.snapshot

    plain = warehouse.log.store.connect

    def connect(path, *, read_only):
        con = plain(path, read_only=read_only)
        con.execute("set enable_progress_bar = false")
        return con

    warehouse.log.store.connect = connect
    warehouse.publishing.snapshot.connect = connect


def _bundled_build_seconds(home: Path) -> float:
    """Wall time of `airace run` (the whole Dagster graph on the bundled data) in a fresh home."""
    airace = Path(sys.executable).parent / "airace"
    # Its own Dagster instance beside the home, so a benchmark leaves the project's runs alone.
    env = {**os.environ, "AIRACE_OFFLINE": "1", "DAGSTER_HOME": str(home.parent / f"{home.name}-dagster")}
    started = time.perf_counter()
    subprocess.run([str(airace), "run", "--home", str(home)], check=True, capture_output=True, timeout=600, env=env)
    return time.perf_counter() - started


def _machine() -> str:
    memory_gb = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 1024**3
    import duckdb

    return (
        f"machine: {os.cpu_count()} cores, {memory_gb:.1f} GB RAM, {platform.system()} {platform.machine()}, "
        f"Python {platform.python_version()}, DuckDB {duckdb.__version__}"
    )


def _say(text: str) -> None:
    print(text, flush=True)


def run(events: int, workdir: Path) -> int:
    from warehouse import EventStore, WarehouseHome
    from warehouse.publishing.snapshot import publish_snapshot
    from warehouse.publishing.timetravel import open_snapshot

    _quiet_progress_bars()
    wall_start = time.perf_counter()
    _say(f"airace bench: {events:,} events in {workdir}")
    _say(_machine())
    timeout = max(600.0, events / 500)

    # 0. the bundled build, as `make run` does it (in a fresh home, its own process)
    bundled_s = _bundled_build_seconds(workdir / "bundled-home")
    _say(f"bundled   airace run on the bundled data (fresh home): {bundled_s:.1f} s "
         f"= {bundled_s / TARGET_BUNDLED_RUN_S:.2f} of target {TARGET_BUNDLED_RUN_S:.0f} s")

    # 1. the files
    started = time.perf_counter()
    main = write_event_file(workdir / "events.jsonl", events, seed=7, capability_fraction=CAPABILITY_FRACTION)
    increment = write_event_file(
        workdir / "increment.jsonl", INCREMENT_EVENTS, seed=8, start=10 * events + 10**7,
        bad_fraction=0, duplicate_fraction=0, recent=True,
    )
    size_mb = main.path.stat().st_size / 1024**2
    _say(
        f"generated {main.lines:,} lines ({size_mb:.0f} MB: {main.bad:,} bad, {main.duplicates:,} duplicates) "
        f"+ {increment.lines:,} new events in {time.perf_counter() - started:.1f} s"
    )

    # 2. the baseline: DuckDB's own read_json of the same file into a plain table
    baseline = _run_child("baseline", str(workdir / "baseline.duckdb"), str(main.path), timeout_s=timeout)
    baseline_rate = main.lines / baseline["seconds"]
    _say(f"baseline  duckdb read_json -> table: {baseline['seconds']:.2f} s, {baseline_rate:,.0f} lines/s "
         f"({baseline['rows']:,} rows kept, peak {baseline['maxrss_mb']:.0f} MB)")

    # 3. the ingest, in its own process for its peak memory
    home = WarehouseHome.resolve(workdir / "home")
    ingest = _run_child("ingest", str(home.root), str(main.path), timeout_s=timeout)
    ingest_rate = main.lines / ingest["seconds"]
    ingest_ratio = ingest_rate / baseline_rate
    _say(f"ingest    file -> events.log:        {ingest['seconds']:.2f} s, {ingest_rate:,.0f} lines/s "
         f"= {ingest_ratio:.2f} x baseline (target >= {TARGET_INGEST_RATIO})")
    accounted = ingest["appended"] + ingest["duplicate"] + ingest["quarantined"] == ingest["read"]
    expected = (main.lines, main.good, main.duplicates, main.bad)
    actual = (ingest["read"], ingest["appended"], ingest["duplicate"], ingest["quarantined"])
    _say(f"          read/appended/duplicate/quarantined = {'/'.join(f'{v:,}' for v in actual)} "
         f"(generated {'/'.join(f'{v:,}' for v in expected)}){'' if actual == expected else '  MISMATCH'}")
    peak_target = TARGET_PEAK_MB_PER_1M  # a ceiling for 1M events, so for any smaller run too
    _say(f"memory    ingest peak RSS:           {ingest['maxrss_mb']:.0f} MB "
         f"(interpreter + imports alone: {ingest['rss_after_imports_mb']:.0f} MB) "
         f"= {ingest['maxrss_mb'] / baseline['maxrss_mb']:.2f} x baseline's {baseline['maxrss_mb']:.0f} MB; "
         f"{ingest['maxrss_mb'] / peak_target:.2f} of target {peak_target:.0f} MB")

    store = EventStore(home, lock_timeout_s=60)

    # 4. projections: the first build (no checkpoint yet: full), then after 1,000 new events
    full_s, full_report = _rebuild(store, "full (first build)")
    if full_report is not None:
        models = full_report.counts.get("core.models", 0)
        _say(f"rebuild   {full_report.mode} (first build, {len(full_report.counts)} tables, "
             f"{full_report.events_applied:,} events): {full_s:.2f} s (core.models {models:,} rows)")
        _say(f"          slowest steps: {_slowest_steps(full_report)}")
    started = time.perf_counter()
    more = store.append_file(increment.path, source="file:increment.jsonl", default_source="analyst")
    append_small_s = time.perf_counter() - started
    incremental_s, incremental_report = _rebuild(store, f"after {more.appended:,} new events")
    incremental_ratio = incremental_s / full_s if incremental_s is not None and full_s else None
    if incremental_report is not None:
        ratio_text = f"{incremental_ratio:.1%} of full" if incremental_ratio is not None else "full n/a"
        _say(f"rebuild   {incremental_report.mode} after {more.appended:,} new events "
             f"({incremental_report.events_applied:,} read from the log): {incremental_s:.2f} s = {ratio_text} "
             f"(target < {TARGET_INCREMENTAL_RATIO:.0%}); the append of them took {append_small_s:.2f} s")
        _say(f"          slowest steps: {_slowest_steps(incremental_report)}")

    # 4b. a re-fit of the capability index: REFIT_ROWS logged versions re-scored (one
    # event.corrected each, as the reconciler writes them), one ingest, one refresh
    refit_s, refit_report, refit_rows = _refit(store, workdir / "refit.jsonl")
    refit_ratio = refit_s / full_s if refit_s is not None and full_s else None
    if refit_report is not None:
        ratio_text = f"{refit_ratio:.1%} of full" if refit_ratio is not None else "full n/a"
        _say(f"rebuild   {refit_report.mode} after a re-fit of {refit_rows:,} capability rows: {refit_s:.2f} s = "
             f"{ratio_text} (target < {TARGET_INCREMENTAL_RATIO:.0%})")
        _say(f"          slowest steps: {_slowest_steps(refit_report)}")

    # 5. verify
    started = time.perf_counter()
    report = store.verify()
    verify_s = time.perf_counter() - started
    _say(f"verify    {report.events:,} events: {verify_s:.2f} s = {verify_s / TARGET_VERIFY_S:.2f} of target "
         f"{TARGET_VERIFY_S:.0f} s ({'OK' if report.ok else 'BROKEN: ' + str(report.problem)})")

    # 6. the snapshot and analyst queries
    started = time.perf_counter()
    published = publish_snapshot(home, lock_timeout_s=60)
    publish_s = time.perf_counter() - started
    _say(f"publish   snapshot ({published.bytes / 1024**2:.0f} MB): {publish_s:.2f} s")
    import duckdb

    timings: dict[str, list[float]] = {}
    with open_snapshot(home) as con:
        for name, query in ANALYST_QUERIES.items():
            try:
                con.execute(query).fetchall()  # warm up
            except duckdb.Error as exc:
                _say(f"query     {name:<38} FAILED: {str(exc).splitlines()[0]}")
                continue
            runs = []
            for _ in range(QUERY_REPEATS):
                started = time.perf_counter()
                con.execute(query).fetchall()
                runs.append((time.perf_counter() - started) * 1000)
            timings[name] = runs
    for name, runs in timings.items():
        _say(f"query     {name:<38} p50 {statistics.median(runs):8.1f} ms  p95 {_percentile(runs, 0.95):8.1f} ms")
    everything = [t for runs in timings.values() for t in runs] or [float("nan")]
    p50, p95 = statistics.median(everything), _percentile(everything, 0.95)
    _say(f"query     {len(timings)} of {len(ANALYST_QUERIES)} queries ran, {len(everything)} runs: "
         f"p50 {p50:.1f} ms, p95 {p95:.1f} ms = {p50 / TARGET_QUERY_P50_MS:.2f} of target {TARGET_QUERY_P50_MS:.0f} ms")

    rows = [
        ("bundled build (airace run)", f"{bundled_s:.1f} s", f"< {TARGET_BUNDLED_RUN_S:.0f} s",
         bundled_s < TARGET_BUNDLED_RUN_S),
        ("ingest throughput vs read_json", f"{ingest_rate:,.0f}/s = {ingest_ratio:.2f} x",
         f">= {TARGET_INGEST_RATIO} x", ingest_ratio >= TARGET_INGEST_RATIO),
        ("ingest accounting", "read = appended+dup+quarantined" if accounted else "DOES NOT ADD UP",
         "exact", accounted and actual == expected),
        ("ingest peak memory", f"{ingest['maxrss_mb']:.0f} MB", f"< {peak_target:.0f} MB",
         ingest["maxrss_mb"] < peak_target),
        ("rebuild full", _seconds(full_s), "-", None),
        ("rebuild after 1,000 events",
         _seconds(incremental_s) + (f" = {incremental_ratio:.1%}" if incremental_ratio is not None else ""),
         f"< {TARGET_INCREMENTAL_RATIO:.0%} of full",
         incremental_ratio is not None and incremental_ratio < TARGET_INCREMENTAL_RATIO),
        (f"rebuild after a {REFIT_ROWS}-row re-fit",
         _seconds(refit_s) + (f" = {refit_ratio:.1%}" if refit_ratio is not None else ""),
         f"< {TARGET_INCREMENTAL_RATIO:.0%} of full", refit_ratio is not None and refit_ratio < TARGET_INCREMENTAL_RATIO),
        ("verify", f"{verify_s:.2f} s", f"< {TARGET_VERIFY_S:.0f} s", verify_s < TARGET_VERIFY_S and report.ok),
        ("query p50", f"{p50:.1f} ms ({len(timings)}/{len(ANALYST_QUERIES)} queries)",
         f"< {TARGET_QUERY_P50_MS:.0f} ms", p50 < TARGET_QUERY_P50_MS and len(timings) == len(ANALYST_QUERIES)),
        ("query p95", f"{p95:.1f} ms", "-", None),
        *sql_figures(home.root),
    ]
    _say("")
    _say(f"{'figure':<32} {'measured':<34} {'target':<16} met?")
    for name, figure, target, met in rows:
        _say(f"{name:<32} {figure:<34} {target:<16} {'-' if met is None else 'yes' if met else 'NO'}")
    _say(f"\n{_machine()}")
    _say(f"wall time: {time.perf_counter() - wall_start:.1f} s for {events:,} events")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.tools.bench", description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=1_000_000, help="events in the main file (default 1,000,000)")
    parser.add_argument("--workdir", type=Path, help="keep the files here instead of a temp dir removed at the end")
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    parser.add_argument("--sql-only", type=Path, metavar="HOME",
                        help="only the `airace sql` figures, on a warehouse already built (e.g. a kept --workdir's home)")
    args = parser.parse_args(argv)
    if args.sql_only:
        rows = sql_figures(args.sql_only.resolve())
        for name, figure, target, met in rows:
            _say(f"{name:<32} {figure:<34} {target:<16} {'yes' if met else 'NO'}")
        return 0
    if args.child:
        mode, *rest = args.child
        result = {"ingest": _child_ingest, "baseline": _child_baseline, "as_of": _child_as_of}[mode](*rest)
        print(json.dumps(result))
        return 0
    if args.events < 100:
        parser.error("--events must be at least 100")
    if args.workdir is not None:
        args.workdir.mkdir(parents=True, exist_ok=True)
        return run(args.events, args.workdir.resolve())
    workdir = Path(tempfile.mkdtemp(prefix="airace-bench-"))
    try:
        return run(args.events, workdir)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
