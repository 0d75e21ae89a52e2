"""Event CSV files with a cell too big to read or a payload that is not an object: the row is
quarantined with a reason naming the file, the row and the field; every other row is ingested."""

import csv
import io
import json

from warehouse.log.readers import MAX_FIELD_BYTES


def _csv(rows: list[list[str]]) -> str:
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(rows)
    return out.getvalue()


HEADER = ["event_type", "occurred_at", "source", "source_url", "payload"]


def _launch_row(model: str, day: str) -> list[str]:
    payload = {"model": model, "organizations": ["OpenAI"], "countries": ["US"]}
    return ["model.launched", day, "test", f"https://example.org/{model.lower()}", json.dumps(payload)]


def _quarantine(store):
    with store.reader() as con:
        return con.execute("select record_ref, reason, raw_payload from events.quarantine order by record_ref").fetchall()


def test_a_field_over_the_limit_quarantines_its_row_and_the_rest_is_ingested(store, tmp_path):
    huge = json.dumps({"model": "Huge", "organizations": ["OpenAI"], "notes": "x" * (MAX_FIELD_BYTES + 10)})
    path = tmp_path / "big-cell.csv"
    path.write_text(
        _csv([HEADER, _launch_row("A-1", "2025-01-01"),
              ["model.launched", "2025-01-02", "test", "https://example.org/huge", huge],
              _launch_row("A-3", "2025-01-03")])
    )

    result = store.append_file(path, source="file:big-cell.csv")

    assert (result.read, result.appended, result.quarantined) == (3, 2, 1)
    [(ref, reason, raw)] = _quarantine(store)
    assert ref == "big-cell.csv:row 3"
    assert "line 3" in reason and "'payload'" in reason and f"over the limit of {MAX_FIELD_BYTES}" in reason
    # What is kept of the row names what was cut, and is not the whole 10 MB again.
    assert "more characters not kept" in raw and len(raw) < 10_000
    with store.reader() as con:
        models = con.execute("select payload ->> 'model' from events.log order by position").fetchall()
    assert models == [("A-1",), ("A-3",)]


def test_a_payload_cell_that_is_an_array_is_quarantined_and_the_rest_is_ingested(store, tmp_path):
    path = tmp_path / "array-payload.csv"
    path.write_text(
        _csv([HEADER, _launch_row("B-1", "2025-02-01"),
              ["model.launched", "2025-02-02", "test", "https://example.org/b2", '[["model", "B-2"]]'],
              ["model.launched", "2025-02-03", "test", "https://example.org/b3", "[1, 2]"],
              ["model.launched", "2025-02-04", "test", "https://example.org/b4", "42"],
              _launch_row("B-5", "2025-02-05")])
    )

    result = store.append_file(path, source="file:array-payload.csv")

    assert (result.read, result.appended, result.quarantined) == (5, 2, 3)
    reasons = {ref: reason for ref, reason, _ in _quarantine(store)}
    assert reasons == {
        # A list of pairs is not taken as an object either (dict.update would have).
        "array-payload.csv:row 3": "unreadable CSV row: the payload cell must be a JSON object, got an array",
        "array-payload.csv:row 4": "unreadable CSV row: the payload cell must be a JSON object, got an array",
        "array-payload.csv:row 5": "unreadable CSV row: the payload cell must be a JSON object, got a number",
    }
