"""Hostile input: whatever arrives, ingest never crashes and every record is accounted for.

Property tests (hypothesis) feed the one append path and `parse_record` with any JSON
value, any string in any field (surrogates and NUL included), huge numbers, dates out
of range, NaN/Infinity (as floats and as JSON tokens) and deep nesting. The outcome is
only ever events or quarantine: appended + duplicate + quarantined == read, and the
chain verifies. One warehouse per test, many small batches (a DuckDB file per example
would be slow).

Also: XML bombs and external entities in a feed are refused; CSV with a BOM, Windows
line ends and quoted newlines parses right; `airace sql` cannot write or reach outside
the snapshot (tests/test_cli.py covers DELETE, ATTACH, COPY TO and INSTALL).
"""

from __future__ import annotations

import csv
import io
import json
import math
from pathlib import Path
from typing import Any

import duckdb
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from schemas import NewEvent, Rejection, parse_record
from tests.conftest import launch, write_jsonl
from warehouse import EventStore, RawRecord, WarehouseHome
from warehouse.build import refresh_and_publish
from warehouse.log.readers import read_event_csv, read_jsonl
from warehouse.projections.refresh import rebuild_projections

SETTINGS = settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large]
)
DEEP = 10_000

# ------------------------------------------------------------------ strategies

any_char = st.characters(exclude_categories=())  # every code point, surrogates and NUL included
nasty_strings = st.sampled_from(
    [
        "", " ", "\x00", "a\x00b", "\ud800", "\udfff", "x\ud83dy", "\ufeffBOM", "\u202eevil", "𝕏 ℤ 🚀",
        "'; drop table events.log; --", "\r\n", "\\", '"', "null", "NaN", "Infinity", "-0", "1e999",
        "x" * 100_000, "é" * 400, "model:" + "a" * 300, "https://" + "x" * 3000,
    ]
)
hostile_strings = st.one_of(nasty_strings, st.text(any_char, max_size=60))
huge_numbers = st.sampled_from(
    [10**400, -(10**400), 2**63, -(2**63) - 1, 1e308, -1e308, 5e-324, float("nan"), float("inf"), float("-inf"),
     -0.0, 1e40, 1.0000001e40, -1]
)
bad_dates = st.sampled_from(
    ["0001-01-01", "1899-12-31", "2101-01-01", "9999-12-31", "10000-01-01", "-0001-01-01", "2024-00-10",
     "2024-02-30", "2024-13", "0000", "99999", "2024-1-1", "2024/01/01", "20240101", "", "T", "2024-01-01T25:00"]
)
json_scalars = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), hostile_strings, huge_numbers)
json_values = st.recursive(
    json_scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(hostile_strings, inner, max_size=4),
    max_leaves=12,
)
DEEP_MARK = "<deep>"
hostile_values = st.one_of(json_values, bad_dates, st.just(DEEP_MARK))


class DeepList(list):
    """A list nested `depth` deep, with a short repr (hypothesis prints failing examples)."""

    depth = 0

    def _repr_pretty_(self, printer, cycle) -> None:
        printer.text(f"<list nested {self.depth} deep>")

    def __repr__(self) -> str:
        return f"<list nested {self.depth} deep>"


def _deep_list(depth: int = DEEP) -> list:
    value: list = []
    for _ in range(depth - 1):
        value = [value]
    deep = DeepList([value])
    deep.depth = depth
    return deep


TEMPLATES: list[dict[str, Any]] = [
    launch("Model X", "2025-01-20", ref="x", parameters=1e9, training_compute_flop=1e24, countries=("US",)),
    {"event_type": "product.released", "occurred_at": "2024-05", "source": "test",
     "payload": {"organization": "OpenAI", "product": "ChatGPT", "kind": "chatbot"}},
    {"event_type": "allegation.made", "occurred_at": "2025-01-29", "source": "test",
     "payload": {"nature": "accusation", "accusers": ["OpenAI"], "accused": ["DeepSeek"], "kind": "distillation",
                 "summary": "Said so."}},
    {"event_type": "allegation.updated", "occurred_at": "2025-03", "source": "test",
     "subject": "allegation:openai-deepseek-distillation-202501",
     "payload": {"status": "denied", "summary": "Denied."}},
    {"event_type": "policy.changed", "occurred_at": "2024", "source": "test",
     "payload": {"jurisdiction": "EU", "instrument": "law", "title": "AI Act", "stage": "in_force",
                 "topics": ["safety"]}},
    {"event_type": "event.corrected", "occurred_at": "2025-02-01", "source": "test",
     "payload": {"target_event_id": "0" * 32, "changes": {"parameters": 2e9}, "reason": "Revised."}},
    {"event_type": "event.retracted", "occurred_at": "2025-02-02", "source": "test",
     "payload": {"target_event_id": "1" * 32, "reason": "Wrong."}},
]
ENVELOPE_KEYS = ["event_type", "schema_version", "occurred_at", "occurred_precision", "subject", "source",
                 "source_url", "source_ref", "retrieved_at", "payload", "unexpected"]


@st.composite
def mutated_records(draw) -> Any:
    """A valid record of some type with one field (envelope or payload) set to something hostile."""
    record = json.loads(json.dumps(draw(st.sampled_from(TEMPLATES))))
    value = draw(hostile_values)
    if value == DEEP_MARK:
        value = _deep_list(draw(st.sampled_from([50, 1000, DEEP])))
    if draw(st.booleans()):
        record[draw(st.sampled_from(ENVELOPE_KEYS))] = value
    else:
        payload = record["payload"]
        keys = sorted(payload) + ["model", "organizations", "countries", "parameters", "changes", "extra"]
        payload[draw(st.sampled_from(keys))] = value
    return record


raw_values = st.one_of(mutated_records(), json_values, st.sampled_from(TEMPLATES))


# ------------------------------------------------------------------ helpers


@pytest.fixture
def wh(tmp_path: Path) -> EventStore:
    return EventStore(WarehouseHome.resolve(tmp_path / "warehouse").ensure(), lock_timeout_s=10)


class Ledger:
    """Totals over every batch appended in one test, checked against the tables at the end."""

    def __init__(self, store: EventStore) -> None:
        self.store = store
        self.read = self.appended = self.duplicate = self.quarantined = 0

    def append(self, records: list[RawRecord]) -> None:
        result = self.store.append(records, source="hostile")
        assert result.read == len(records)
        assert result.appended + result.duplicate + result.quarantined == result.read
        self.read += result.read
        self.appended += result.appended
        self.duplicate += result.duplicate
        self.quarantined += result.quarantined

    def check(self) -> None:
        report = self.store.verify()
        assert report.ok, report.problem
        with self.store.reader() as con:
            assert con.execute("select count(*) from events.log").fetchall() == [(self.appended,)]
            assert con.execute("select count(*) from events.quarantine").fetchall() == [(self.quarantined,)]
            runs = con.execute(
                "select sum(records_read), sum(appended), sum(duplicate), sum(quarantined) from events.ingest_runs"
            ).fetchall()[0]
        assert tuple(int(v or 0) for v in runs) == (self.read, self.appended, self.duplicate, self.quarantined)


# ------------------------------------------------------------------ parse_record


@SETTINGS
@given(raw=raw_values)
def test_parse_record_never_raises_and_is_deterministic(raw):
    parsed = parse_record(raw, record_ref="hostile")
    assert isinstance(parsed, NewEvent | Rejection)
    if isinstance(parsed, NewEvent):
        payload = json.loads(parsed.payload_json)  # stored payloads are strict JSON: no NaN, no Infinity
        assert isinstance(payload, dict)
        assert parse_record(raw, record_ref="again").event_id == parsed.event_id
        parsed.payload_json.encode("utf-8")  # no lone surrogates reach the log
    else:
        assert parsed.reason


@SETTINGS
@given(text=st.text(any_char, max_size=200) | st.binary(max_size=200).map(lambda b: b.decode("latin-1")))
def test_parse_record_of_any_text_never_raises(text):
    assert isinstance(parse_record(text, record_ref="text"), NewEvent | Rejection)


@pytest.mark.parametrize(
    "raw",
    [
        pytest.param(_deep_list(), id="python-nested-10k-lists"),
        pytest.param({**TEMPLATES[5], "payload": {**TEMPLATES[5]["payload"], "changes": {"x": _deep_list()}}},
                     id="payload-field-nested-10k"),
        pytest.param("[" * DEEP + "]" * DEEP, id="json-text-nested-10k"),
        pytest.param('{"a":' * DEEP + "1" + "}" * DEEP, id="json-text-nested-10k-objects"),
    ],
)
def test_deep_nesting_is_a_rejection_not_a_crash(raw):
    parsed = parse_record(raw, record_ref="deep")
    assert isinstance(parsed, Rejection)


# ------------------------------------------------------------------ the append path


def test_any_record_through_the_append_path_is_accounted_for(wh):
    ledger = Ledger(wh)

    @SETTINGS
    @given(batch=st.lists(raw_values, min_size=1, max_size=8))
    def append_batch(batch):
        ledger.append([RawRecord(f"hostile {i}", value) for i, value in enumerate(batch)])

    append_batch()
    ledger.check()
    # Whatever got in, the projections still build from it.
    with wh.writer() as con:
        rebuild_projections(con)


def test_any_string_in_any_field_is_accounted_for(wh):
    ledger = Ledger(wh)

    @SETTINGS
    @given(template=st.sampled_from(TEMPLATES), key=st.sampled_from(ENVELOPE_KEYS + ["payload.model",
           "payload.summary", "payload.title", "payload.organization"]), text=hostile_strings)
    def one_string(template, key, text):
        record = json.loads(json.dumps(template))
        if key.startswith("payload."):
            record["payload"][key.removeprefix("payload.")] = text
        else:
            record[key] = text
        ledger.append([RawRecord("string", record), RawRecord("string again", record)])

    one_string()
    ledger.check()
    with wh.writer() as con:
        rebuild_projections(con)


HOSTILE_LINES = [
    json.dumps(launch("Good One", "2025-01-01", ref="good-1")),
    '{"event_type": "model.launched", "occurred_at": "2025-01-01", "source": "t", "payload": {"model": "N", "parameters": NaN}}',
    '{"event_type": "model.launched", "occurred_at": "2025-01-01", "source": "t", "payload": {"model": "I", "parameters": Infinity}}',
    '{"event_type": "model.launched", "occurred_at": "2025-01-01", "source": "t", "payload": {"model": "J", "parameters": -Infinity}}',
    '{"event_type": "model.launched", "occurred_at": "2025-01-01", "source": "t", "payload": {"model": "K", "parameters": 1e999}}',
    '{"event_type": "event.corrected", "occurred_at": "2025-01-01", "source": "t", "payload": {"target_event_id": "'
    + "0" * 32 + '", "reason": "r", "changes": {"x": NaN}}}',
    '{"event_type": "model.launched", "occurred_at": "2025-01-01", "source": "t", "payload": {"model": "S\\ud800"}}',
    '{"event_type": "model.launched", "occurred_at": "2025-01-01", "source": "t", "payload": {"model": "Z\\u0000Z"}}',
    '{"event_type": "model.launched", "occurred_at": "0001-01-01", "source": "t", "payload": {"model": "Old"}}',
    '{"event_type": "model.launched", "occurred_at": "2025-01-01", "source": "t", "payload": {"model": "Big", "parameters": '
    + "9" * 5000 + "}}",
    "[" * DEEP + "]" * DEEP,
    '{"a":' * DEEP + "1" + "}" * DEEP,
    "NaN",
    "null",
    '"just a string"',
    "{" + '"k": 1, ' * 1000 + '"event_type": "model.launched"}',
]


@pytest.mark.parametrize("line", HOSTILE_LINES[1:], ids=[f"line{i}" for i in range(1, len(HOSTILE_LINES))])
def test_a_hostile_jsonl_line_is_quarantined_or_appended_never_a_crash(wh, tmp_path, line):
    path = tmp_path / "hostile.jsonl"
    path.write_bytes((HOSTILE_LINES[0] + "\r\n" + line + "\r\n\r\n").encode("utf-8"))
    ledger = Ledger(wh)
    records = list(read_jsonl(path))
    assert len(records) == 2
    ledger.append(records)
    ledger.append(list(read_jsonl(path)))  # twice: duplicates or quarantined again, never a crash
    ledger.check()
    assert ledger.appended >= 1
    with wh.writer() as con:
        rebuild_projections(con)


def test_a_jsonl_file_with_every_hostile_line_at_once(wh, tmp_path):
    path = tmp_path / "hostile.jsonl"
    body = "\r\n".join(HOSTILE_LINES).encode("utf-8") + b"\r\n\xff\xfe not utf-8 \x00\r\n\r\n"
    path.write_bytes(body)
    ledger = Ledger(wh)
    ledger.append(list(read_jsonl(path)))
    ledger.check()
    assert ledger.read == len(HOSTILE_LINES) + 1


def test_a_bom_before_the_first_jsonl_record_does_not_lose_it(wh, tmp_path):
    path = write_jsonl(tmp_path / "bom.jsonl", [launch("First", "2025-01-01", ref="first")])
    path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())
    result = wh.append(read_jsonl(path), source="bom")
    assert (result.read, result.appended, result.quarantined) == (1, 1, 0)


# ------------------------------------------------------------------ XML: bombs and external entities

BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<rss version="2.0"><channel><title>&lol9;</title><item><title>Introducing &lol9;</title></item></channel></rss>"""

EXTERNAL_ENTITY = b"""<?xml version="1.0"?>
<!DOCTYPE rss [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<rss version="2.0"><channel><title>x</title><item><title>Introducing &xxe;</title></item></channel></rss>"""


PARAMETER_ENTITY = b"""<?xml version="1.0"?>
<!DOCTYPE rss [<!ENTITY % remote SYSTEM "http://127.0.0.1:9/x.dtd"> %remote;]>
<rss version="2.0"><channel><title>x</title></channel></rss>"""


def _feed_checker():
    """The feed connector's own check if it exists (pipelines.sources.feeds), else defusedxml itself."""
    try:
        from pipelines.sources.feeds import FeedError, check_xml
    except ImportError:
        import defusedxml.ElementTree as SafeET
        from defusedxml import DefusedXmlException

        return SafeET.fromstring, (DefusedXmlException, SafeET.ParseError)
    return check_xml, (FeedError,)


@pytest.mark.parametrize(
    "document", [BILLION_LAUGHS, EXTERNAL_ENTITY, PARAMETER_ENTITY],
    ids=["billion-laughs", "external-entity", "parameter-entity"],
)
def test_xml_bombs_and_external_entities_are_refused(document):
    check, refusals = _feed_checker()
    with pytest.raises(refusals):
        check(document)
    try:
        from pipelines.sources.feeds import parse_feed
    except ImportError:
        return
    with pytest.raises(refusals):
        parse_feed(document, feed_url="https://example.org/feed.xml")


def test_an_external_dtd_is_never_read(tmp_path):
    """A DOCTYPE naming an external DTD (RSS 0.91 feeds have one) may pass, but its
    entities must never be loaded: the secret in the DTD never reaches an item."""
    dtd = tmp_path / "evil.dtd"
    dtd.write_text('<!ENTITY secret "LEAKED-SECRET">')
    document = (
        f'<?xml version="1.0"?><!DOCTYPE rss SYSTEM "{dtd.as_uri()}">'
        '<rss version="2.0"><channel><title>x</title><item><title>Introducing &secret;</title>'
        "<description>&secret;</description></item></channel></rss>"
    ).encode()
    check, refusals = _feed_checker()
    try:
        check(document)
        from pipelines.sources.feeds import parse_feed

        items = parse_feed(document, feed_url="https://example.org/feed.xml")
    except refusals:
        return
    except ImportError:
        return
    assert "LEAKED-SECRET" not in repr(items)


def test_a_plain_feed_passes_the_check():
    check, _ = _feed_checker()
    check(b'<?xml version="1.0"?><rss version="2.0"><channel><title>ok</title></channel></rss>')


# ------------------------------------------------------------------ CSV: BOM, CRLF, quoted newlines


def _csv_bytes(rows: list[list[str]]) -> bytes:
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerows(rows)
    return b"\xef\xbb\xbf" + out.getvalue().encode("utf-8")


def test_event_csv_with_bom_crlf_and_quoted_newlines(wh, tmp_path):
    summary = 'First line,\r\nsecond line with "quotes",\nthird line'
    path = tmp_path / "events.csv"
    path.write_bytes(
        _csv_bytes(
            [
                # (allegation.made v1: one accuser and one accused per cell, lifted by the upcaster)
                ["event_type", "schema_version", "occurred_at", "source", "payload.accuser", "payload.accused",
                 "payload.kind", "payload.summary"],
                ["allegation.made", "1", "2025-01-29", "test", "OpenAI", "DeepSeek", "distillation", summary],
                ["allegation.made", "1", "2025-02", "test", "Anthropic", "", "distillation", "One line."],
            ]
        )
    )
    records = list(read_event_csv(path))
    assert [r.error for r in records] == [None, None]
    first, second = (r.value for r in records)
    assert first["event_type"] == "allegation.made"  # not "\ufeffevent_type": the BOM is gone
    assert first["payload"]["summary"] == summary.replace("\r\n", "\n") or first["payload"]["summary"] == summary
    assert "accused" not in second["payload"]
    result = wh.append(records, source="csv")
    assert (result.read, result.appended, result.quarantined) == (2, 2, 0)
    with wh.reader() as con:
        stored = con.execute("select payload ->> 'summary' from events.log order by position").fetchall()
    assert stored[0][0] in (summary, summary.replace("\r\n", "\n"))
    assert "second line with \"quotes\"" in stored[0][0]


def test_epoch_table_with_bom_crlf_and_quoted_newlines():
    from pipelines.sources import epoch

    header = ["Model", "Organization", "Publication date", "Country (of organization)", "Parameters", "Link"]
    data = _csv_bytes(
        [
            header,
            ["GLM-4.5", "Zhipu AI,\r\nTsinghua University", "2025-07-28", "China", "3.55e+11",
             "https://example.org/glm\r\nsecond link"],
            ["Claude 3 Opus", "Anthropic", "2024-03-04", "United States of America", "", ""],
        ]
    )
    rows = epoch.read_table(data)
    assert [row["Model"] for row in rows] == ["GLM-4.5", "Claude 3 Opus"]
    assert set(rows[0]) >= set(header)  # "Model", not "\ufeffModel"
    record = epoch.row_to_record(rows[0])
    assert record["payload"]["organizations"] == ["Zhipu AI", "Tsinghua University"]
    assert record["payload"]["countries"] == ["CN"]
    assert record["payload"]["parameters"] == 3.55e11
    assert record["source_url"] == "https://example.org/glm"
    assert isinstance(parse_record(record, record_ref="epoch"), NewEvent)


# ------------------------------------------------------------------ airace sql: read-only, no reach outside


@pytest.fixture(scope="module")
def published(tmp_path_factory) -> WarehouseHome:
    home = WarehouseHome.resolve(tmp_path_factory.mktemp("sql") / "warehouse").ensure()
    store = EventStore(home, lock_timeout_s=10)
    store.append([RawRecord("r1", launch("GLM-5", "2026-02-11", orgs=("Zhipu AI",), ref="glm-5")),
                  RawRecord("r2", launch("GPT-4o", "2024-05-13", ref="gpt-4o"))], source="test")
    refresh_and_publish(store)
    return home


@pytest.mark.parametrize(
    "statement",
    [
        "update events.log set subject = 'x'",
        "insert into events.log select * from events.log",
        "create table core.mine as select 1",
        "create or replace macro core.models_as_of(as_of) as table select 1",
        "drop table core.models",
        "load httpfs",
        "select * from read_csv('/etc/passwd')",
        "select * from read_text('/etc/hostname')",
        "select * from read_json('https://example.org/x.json')",
        "copy events.log to '{tmp}/leak.parquet' (format parquet)",
        "export database '{tmp}/dump'",
        "attach ':memory:' as scratch",
        "set enable_external_access = true",
        "pragma enable_external_access",
        "set lock_configuration = false",
    ],
)
def test_sql_cannot_write_or_reach_outside(published, statement, tmp_path):
    from pipelines.cli import app

    before = published.snapshot_db.read_bytes()
    result = CliRunner().invoke(app, ["sql", statement.format(tmp=tmp_path), "--home", str(published.root)])
    assert result.exit_code != 0, result.output
    assert "error" in result.output.lower()
    assert list(tmp_path.iterdir()) == []
    assert published.snapshot_db.read_bytes() == before
    with duckdb.connect(str(published.snapshot_db), read_only=True) as con:
        assert con.execute("select count(*) from events.log").fetchall() == [(2,)]
        assert con.execute("select count(*) from core.models").fetchall() == [(2,)]


def test_sql_still_answers_reads(published):
    from pipelines.cli import app

    result = CliRunner().invoke(
        app, ["sql", "select count(*) as n from core.models", "--home", str(published.root), "--format", "json"]
    )
    assert result.exit_code == 0, result.output
    assert json.loads(result.output.splitlines()[-1]) == {"n": 2}


def test_nan_is_never_stored():
    # The floats the schema refuses: NaN and the infinities, in every numeric field of model.launched.
    for field in ("parameters", "training_compute_flop", "training_dataset_size"):
        for value in (math.nan, math.inf, -math.inf):
            record = launch("Z", "2025-01-01", **{field: value})
            assert isinstance(parse_record(record, record_ref="nan"), Rejection)
