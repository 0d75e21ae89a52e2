"""The bulk path (EventStore.append_file over JSON Lines) against the record path.

`schemas.events.parse_record` defines what a record becomes; the bulk path validates
most lines in SQL (warehouse/log/fast_subset.py). Whatever the SQL accepts must be exactly
the event parse_record makes of that line (id, subject, payload text, envelope), and a
file must leave the same log and quarantine whichever path reads it.
"""

from __future__ import annotations

import datetime as dt
import json
import typing
from pathlib import Path

import duckdb
import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from schemas import NewEvent, parse_record
from schemas.registry import PAYLOAD_TYPES
from tests.test_hostile_input import HOSTILE_LINES
from tests.tools.bench import write_event_file
from warehouse import EventStore, WarehouseHome
from warehouse.log.bulk_ingest import line_text
from warehouse.log.fast_subset import MACROS_SQL, V1_LAUNCH_FIELDS, build_fast_subset_sql, payload_fields
from warehouse.log.readers import UnreadableInput, read_jsonl

T0 = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
NEW_EVENT_FIELDS = (
    "event_id", "event_type", "schema_version", "subject", "occurred_at", "occurred_precision",
    "source", "source_url", "source_ref", "retrieved_at", "payload_json",
)


# ------------------------------------------------------------------ the SQL alone, line by line


@pytest.fixture(scope="module")
def sql_con():
    con = duckdb.connect()
    con.execute("set TimeZone = 'UTC'")
    con.execute(MACROS_SQL)
    yield con
    con.close()


def fast_subset(con, lines: list[str], default_source: str | None) -> dict[int, tuple]:
    """{line index: NewEvent fields} of the lines the SQL accepts."""
    table = pa.table(
        {
            "seq": pa.array(range(len(lines)), pa.int64()),
            "line": pa.array(lines, pa.string()),
            "ascii_block": pa.repeat(all(line.isascii() and "\\" not in line for line in lines), len(lines)),
        }
    )
    con.register("lines", table)
    try:
        rows = con.sql(
            f"select seq, event_id, event_type, schema_version, subject, occurred_at, occurred_precision, source, "
            f"source_url, source_ref, retrieved_at, payload from ({build_fast_subset_sql(default_source)}) "
            f"where raw_line is null"
        ).fetchall()
    finally:
        con.unregister("lines")
    return {row[0]: row[1:] for row in rows}


def expected_fields(event: NewEvent) -> tuple:
    return tuple(getattr(event, name) for name in NEW_EVENT_FIELDS)


def assert_sql_matches_pydantic(con, lines: list[str], default_source: str | None) -> int:
    accepted = fast_subset(con, lines, default_source)
    for index, fields in accepted.items():
        text = line_text(lines[index])
        parsed = parse_record(text, record_ref=f"t.jsonl:{index + 1}", default_source=default_source)
        assert isinstance(parsed, NewEvent), f"SQL accepted a line pydantic rejects: {lines[index]!r}: {parsed}"
        assert fields == expected_fields(parsed), f"different event for {lines[index]!r}"
    return len(accepted)


# Text: mostly plain (the fast subset), sometimes anything (it must then step aside).
PLAIN = st.text(st.characters(min_codepoint=32, max_codepoint=126, exclude_characters='"\\'), min_size=1, max_size=40)
ANY_TEXT = st.text(max_size=30)
TEXT = st.one_of(PLAIN, PLAIN.map(lambda s: f"  {s} "), st.sampled_from(["", " ", "x" * 301, "Zhipu AI", "Ünïcode"]),
                 ANY_TEXT)
NUMBERS = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.floats(min_value=1e15, max_value=1e23),
    st.floats(min_value=1e-7, max_value=1e-3),
    st.integers(min_value=-(10**20), max_value=10**20),
    st.sampled_from([0.0, -0.0, 1e16, 1e22, 9999999999999998.0, 0.1 + 0.2, 1e40, 1.0000000000000002e40, 5e-324,
                     539470631.0, 3.162e22, 123456789012345.0]),
)
DATES = st.one_of(
    st.dates(min_value=dt.date(1890, 1, 1), max_value=dt.date(2110, 1, 1)).flatmap(
        lambda d: st.sampled_from([d.isoformat(), f"{d:%Y-%m}", f"{d:%Y}"])
    ),
    st.sampled_from(["2024-02-30", "2024-13", "yesterday", " 2024", "2024-01-01T00:00:00", "0000-01-01"]),
)


def _value(kind: str, values: tuple[str, ...]) -> st.SearchStrategy:
    valid = {
        "short": TEXT, "long": TEXT, "label": TEXT,
        "enum": st.sampled_from(values) if values else st.just("x"),
        "country": st.sampled_from(["US", "cn", " eu ", "US-CA", "United States", "X"]),
        "bool": st.booleans(),
        "quantity": NUMBERS, "number": NUMBERS,
        "event_id": st.sampled_from(["0" * 32, "ab" * 16, "A" * 32, "0" * 31]),
        "date": DATES,
        "changes": st.dictionaries(st.sampled_from(["parameters", "model", "a b", "countries"]),
                                   st.one_of(NUMBERS, PLAIN, st.booleans(), st.none(), st.lists(PLAIN, max_size=2)),
                                   max_size=3),
        "short_list": st.lists(TEXT, max_size=3), "label_list": st.lists(TEXT, max_size=3),
        "country_list": st.lists(st.sampled_from(["US", "cn", "EU", "US-NY", "Narnia"]), max_size=3),
    }[kind]
    # Sometimes the wrong type or a null.
    return st.one_of(valid, valid, valid, st.none(), st.integers(), st.sampled_from([[], {}, "1.5", True]))


@st.composite
def records(draw) -> dict[str, typing.Any]:
    event_type = draw(st.sampled_from(sorted(payload_fields())))
    v1 = event_type == "model.launched" and draw(st.booleans())
    payload = {}
    for field in payload_fields()[event_type]:
        if field.presence == "required" and draw(st.integers(0, 20)) > 0 or draw(st.booleans()):
            payload[field.name] = draw(_value(field.kind, field.values))
    if v1:
        for name in V1_LAUNCH_FIELDS:
            if draw(st.booleans()):
                payload[name] = draw(st.one_of(PLAIN, st.sampled_from(["", "us", None, True, 3])))
    if event_type == "allegation.made" and draw(st.integers(0, 3)) == 0:
        # a v1 record (one accuser and one accused string): parse_record's upcaster lifts it
        payload.pop("accusers", None)
        payload["accuser"] = draw(PLAIN)
        payload["accused"] = draw(st.one_of(PLAIN, st.none(), st.just("")))
    if draw(st.integers(0, 10)) == 0:
        payload[draw(st.sampled_from(["unexpected", "source", "kind"]))] = 1
    record: dict[str, typing.Any] = {"event_type": event_type, "payload": payload}
    for key, strategy in {
        "schema_version": st.sampled_from([1, 2, 2, 1, 0, 3, "2", 2.0, None]),
        "occurred_at": DATES,
        "occurred_precision": st.sampled_from(["day", "month", "year", "week", None]),
        "source": st.sampled_from(["synth-press", "a", " src ", "Bad Source", "x" * 81, None]),
        "source_url": st.sampled_from(["https://ex.org/a/b", " http://x.y ", "ftp://x", "https://a b", None]),
        "source_ref": st.one_of(PLAIN, st.sampled_from([" ", "", None])),
        "retrieved_at": st.sampled_from(["2026-07-01T12:00:00Z", "2026-07-01T12:00:00+02:00", "2026-07-01T12:00:00",
                                         "2026-07-01T12:00:00.123456Z", "2026-07-01", "2026-07-01T25:00:00Z", None]),
        "subject": st.sampled_from(["allegation:case-1", "model:x", "Model:x", "allegation: x", None]),
    }.items():
        wanted = {"schema_version": 6, "occurred_at": 10, "source": 8}.get(key, 3)
        if draw(st.integers(0, 9)) < wanted:
            record[key] = draw(strategy)
    if draw(st.integers(0, 15)) == 0:
        record[draw(st.sampled_from(["extra", "Event_type"]))] = "x"
    return record


def dumps(record: dict, style: int) -> str:
    if style == 0:
        return json.dumps(record)
    if style == 1:
        return json.dumps(record, ensure_ascii=False, separators=(",", ":"))
    if style == 2:
        return json.dumps(record, ensure_ascii=False, indent=None, sort_keys=True) + " \r"
    return "  " + json.dumps(record, ensure_ascii=False) + "\t"


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(batch=st.lists(st.tuples(records(), st.integers(0, 3)), min_size=1, max_size=40),
       default_source=st.sampled_from([None, "analyst", "Not A Source"]))
def test_what_sql_accepts_is_exactly_what_pydantic_makes_of_it(sql_con, batch, default_source):
    lines = [dumps(record, style) for record, style in batch]
    assert_sql_matches_pydantic(sql_con, lines, default_source)


def test_plain_valid_records_of_every_type_take_the_fast_path(sql_con):
    """The property above holds trivially if SQL accepts nothing: here it must accept all."""
    lines = [json.dumps(r) for r in VALID_RECORDS] + [json.dumps(r, separators=(",", ":")) for r in VALID_RECORDS]
    assert assert_sql_matches_pydantic(sql_con, lines, "analyst") == len(lines)


VALID_RECORDS = [
    {"event_type": "model.launched", "schema_version": 2, "occurred_at": "2025-01", "source": "s",
     "payload": {"model": "GLM 4.5 ", "organizations": ["Zhipu AI", "Tsinghua"], "countries": ["cn", "CN"],
                 "open_weights": True, "access": "open_weights", "parameters": 355e9, "training_compute_flop": 3.2e24,
                 "training_dataset_size": 1e13, "domains": ["Language"], "tasks": ["Chat"], "frontier": False,
                 "notability": ["SOTA"], "base_model": "GLM", "hardware": "H800", "notes": "  n  ",
                 "access_detail": "weights on HF"}},
    {"event_type": "model.launched", "schema_version": 1, "occurred_at": "2023", "source": "old-tool",
     "payload": {"model": "ChatGLM", "organization": "Zhipu AI", "country": "cn", "open_source": True}},
    {"event_type": "model.launched", "schema_version": 1, "occurred_at": "2023-05-06", "occurred_precision": "month",
     "payload": {"model": "X", "organization": "", "organizations": ["ignored"]}},
    {"event_type": "model.launched", "occurred_at": "2024-06-30", "source": "s", "source_ref": "r-1",
     "retrieved_at": "2026-07-01T12:00:00+02:00", "payload": {"model": "-- !!"}},
    {"event_type": "product.released", "occurred_at": "2024-02-29", "source": "s", "source_url": "https://x.org/p?q=1",
     "payload": {"organization": "OpenAI", "product": "ChatGPT", "kind": "chatbot", "models": ["GPT-4"],
                 "description": "A chatbot."}},
    {"event_type": "allegation.made", "occurred_at": "2025-02-11", "source": "s",
     "payload": {"nature": "accusation", "accusers": ["OpenAI"], "accused": ["DeepSeek"], "kind": "distillation",
                 "summary": "Alleged."}},
    {"event_type": "allegation.made", "occurred_at": "2025-02", "source": "s",
     "payload": {"nature": "lawsuit", "accusers": ["Disney", "Universal"], "kind": "copyright", "summary": "Sued.",
                 "status": "denied", "venue": "court"}},
    {"event_type": "allegation.updated", "occurred_at": "2025-03-01", "source": "s", "subject": "allegation:x-y",
     "payload": {"status": "confirmed", "summary": "Confirmed."}},
    {"event_type": "policy.changed", "occurred_at": "2024-08-01", "source": "s",
     "payload": {"jurisdiction": "eu", "instrument": "regulation", "title": "AI Act", "stage": "in_force",
                 "topics": ["safety"], "summary": "In force."}},
    {"event_type": "event.corrected", "occurred_at": "2024-08-01", "source": "s",
     "payload": {"target_event_id": "0" * 32, "reason": "Revised.", "occurred_at": "2024-07-01",
                 "occurred_precision": "day", "changes": {"parameters": 1.5e9, "model": "Y", "open_weights": False,
                                                          "count": -3, "a": 0.1}}},
    {"event_type": "event.retracted", "occurred_at": "1900-01-01", "source": "s",
     "payload": {"target_event_id": "ab" * 16, "reason": "Wrong."}},
]


def test_python_and_duckdb_print_floats_alike(sql_con):
    values = [539470631.0, 1e16, 1.5e16, 9999999999999998.0, 0.0001, 1e-5, 1.5e-7, 3.162e22, 1e22, 1e21, 0.1,
              123456789012345.0, 2.5, 1e40, 1e-300]
    values += [float(f"{10 ** (i / 7):.{1 + i % 15}g}") for i in range(-60, 300)]
    rows = sql_con.execute("select v, fs_float_repr(v) from unnest(?::double[]) t(v)", [values]).fetchall()
    for value, text in rows:
        assert text is None or text == repr(value), value
    assert sum(text is not None for _, text in rows) > 0.75 * len(rows)


def test_payload_fields_mirror_the_pydantic_models():
    # every built-in type is on the fast path (a field type the SQL does not know would
    # keep its type off it, silently slower)
    assert set(payload_fields()) == set(PAYLOAD_TYPES)
    for event_type, model in PAYLOAD_TYPES.items():
        fields = {f.name: f for f in payload_fields()[event_type]}
        assert set(fields) == set(model.model_fields), event_type
        for name, info in model.model_fields.items():
            presence = fields[name].presence
            if info.is_required():
                assert presence == "required", (event_type, name)
            elif info.default is None:
                assert presence == "optional", (event_type, name)
            else:
                assert presence == "default", (event_type, name)


# ------------------------------------------------------------------ whole files, both paths


def _both_paths(tmp_path: Path, path: Path, default_source: str | None = "analyst"):
    """(log rows, quarantine rows, result) of the file through append_file and through
    append(read_jsonl), each into a fresh warehouse at the same run id and record time."""
    out = []
    for name in ("bulk", "records"):
        store = EventStore(WarehouseHome.resolve(tmp_path / name).ensure(), lock_timeout_s=10)
        if name == "bulk":
            result = store.append_file(path, source="file", default_source=default_source, run_id="r", recorded_at=T0)
        else:
            result = store.append(read_jsonl(path), source="file", default_source=default_source, run_id="r",
                                  recorded_at=T0)
        with store.reader() as con:
            log = con.execute("select * from events.log order by position").fetchall()
            quarantine = con.execute(
                "select record_ref, reason, raw_payload from events.quarantine order by record_ref"
            ).fetchall()
            runs = con.execute(
                "select records_read, appended, duplicate, quarantined, first_position, last_position, head_hash "
                "from events.ingest_runs"
            ).fetchall()
        assert store.verify().ok
        out.append((log, quarantine, runs, result))
    return out


def test_the_bench_generator_file_gives_the_same_log_and_quarantine(tmp_path):
    generated = write_event_file(tmp_path / "events.jsonl", 8_000, seed=3)
    (log, quarantine, runs, result), (log2, quarantine2, runs2, _) = _both_paths(tmp_path, generated.path)
    assert log == log2 and quarantine == quarantine2 and runs == runs2
    assert result.appended == generated.good and result.quarantined == generated.bad
    assert result.validated_in_sql > 0.9 * (result.read - result.quarantined)


def test_odd_files_give_the_same_log_and_quarantine(tmp_path):
    good = json.dumps(VALID_RECORDS[0])
    lines = [line.encode() for line in HOSTILE_LINES] + [
        b"", b"   ", b"\t\r", "\u00a0".encode(), b"\x1c", good.encode() + b"\r", b"  " + good.encode(),
        b'{"event_type": "model.launched", "occurred_at": "2024", "payload": {"model": "caf\xc3\xa9"}}',
        b'{"event_type": "model.launched", "occurred_at": "2024", "payload": {"model": "bad \xff utf-8"}}',
        b'{"event_type": "model.launched", "occurred_at": "2024", "payload": {"model": "esc\\"aped"}}',
        b'{"event_type": "model.launched", "occurred_at": "2024", "payload": {"model": "dup"}, "payload": {}}',
        b'{"event_type": "model.launched", "occurred_at": "2024", "source": null, "payload": {"model": "n"}}',
    ] + [json.dumps(record).encode() for record in VALID_RECORDS]
    path = tmp_path / "odd.jsonl"
    path.write_bytes(b"\xef\xbb\xbf" + b"\n".join(lines))  # a BOM, and no newline at the end
    (log, quarantine, runs, result), (log2, quarantine2, runs2, _) = _both_paths(tmp_path, path)
    assert log == log2 and quarantine == quarantine2 and runs == runs2
    assert result.validated_in_sql > 0


@pytest.mark.parametrize("body", [b"", b"\n\n  \n", b"[1, 2]\nnull\n\"x\"\n"])
def test_a_file_without_any_json_object_is_refused_as_before(tmp_path, body):
    path = tmp_path / "nothing.jsonl"
    path.write_bytes(body)
    with pytest.raises(UnreadableInput) as expected:
        list(read_jsonl(path))
    store = EventStore(WarehouseHome.resolve(tmp_path / "w").ensure(), lock_timeout_s=10)
    with pytest.raises(UnreadableInput) as got:
        store.append_file(path, source="file")
    assert str(got.value) == str(expected.value)
    with store.reader() as con:
        assert con.execute("select count(*) from events.ingest_runs").fetchall() == [(0,)]


def test_csv_files_keep_the_record_path(tmp_path):
    path = tmp_path / "events.csv"
    path.write_text("event_type,occurred_at,source,payload.model\nmodel.launched,2024-05-01,s,GLM\n")
    store = EventStore(WarehouseHome.resolve(tmp_path / "w").ensure(), lock_timeout_s=10)
    result = store.append_file(path, source="file", default_source="analyst")
    assert (result.read, result.appended, result.validated_in_sql) == (1, 1, 0)


def test_nan_and_infinite_numbers_never_reach_the_fast_path(sql_con):
    lines = [line for line in HOSTILE_LINES if "NaN" in line or "Infinity" in line or "1e999" in line]
    assert lines and fast_subset(sql_con, lines, None) == {}


def test_out_of_memory_retries_with_more_room(tmp_path, monkeypatch):
    """A batch that does not fit DuckDB's cap is rolled back and run again with twice the
    room, so a larger log (larger indexes) never makes a file impossible to ingest."""
    import warehouse.log.store as store_module

    monkeypatch.setattr(store_module, "BULK_MEMORY_BASE_MB", 2)
    attempts = []
    append_staged = store_module.append_staged

    def counted(*args, **kwargs):
        attempts.append(1)
        return append_staged(*args, **kwargs)

    monkeypatch.setattr(store_module, "append_staged", counted)
    generated = write_event_file(tmp_path / "events.jsonl", 3_000, seed=5)
    (log, quarantine, runs, result), (log2, quarantine2, runs2, _) = _both_paths(tmp_path, generated.path)
    assert log == log2 and quarantine == quarantine2 and runs == runs2
    assert len(attempts) > 2  # the record path calls it once; the bulk path more than once
