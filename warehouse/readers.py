"""Reading event files (JSONL and CSV) into raw records for the append path.

Readers stream: one record at a time, each with a reference ("file.jsonl:12")
that error messages and the quarantine use. A file from which not a single
record can be read raises `UnreadableInput`, which aborts the batch, so such a
file changes nothing.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from warehouse.store import RawRecord

MAX_FIELD_BYTES = 10 * 1024 * 1024


class UnreadableInput(ValueError):
    """Nothing in the input could be read as records."""


def _is_json_object(text: str) -> bool:
    try:
        return isinstance(json.loads(text), dict)
    except (ValueError, RecursionError):  # bad JSON, too deep, an integer too long to read
        return False


def read_jsonl(path: Path) -> Iterator[RawRecord]:
    lines = 0
    found_object = False
    with path.open("rb") as handle:
        for number, raw_line in enumerate(handle, start=1):
            if not raw_line.strip():
                continue
            lines += 1
            ref = f"{path.name}:{number}"
            if number == 1:
                raw_line = raw_line.removeprefix(b"\xef\xbb\xbf")  # a BOM is not part of the record
            try:
                text = raw_line.decode("utf-8").strip()
            except UnicodeDecodeError:
                yield RawRecord(ref, raw_line.decode("utf-8", errors="backslashreplace").strip())
                continue
            # Until one line is a JSON object, look: a file of nothing else is refused whole
            # (and, the batch aborting, changes nothing). After that parse_record reads every
            # line anyway; parsing here as well would double the cost of the hot path.
            found_object = found_object or _is_json_object(text)
            yield RawRecord(ref, text)
    if not found_object:
        what = "is empty" if lines == 0 else f"has {lines} line(s) and none is a JSON object"
        raise UnreadableInput(f"{path}: cannot read any record: the file {what} (expected JSON Lines)")


def _csv_row_to_record(row: dict[str, str]) -> dict[str, Any]:
    """Envelope columns as they are; `payload` as JSON text or `payload.<field>` columns."""
    record: dict[str, Any] = {}
    payload: dict[str, Any] = {}
    for column, value in row.items():
        if column is None or value is None or value == "":
            continue
        if column == "payload":
            payload.update(json.loads(value))
        elif column.startswith("payload."):
            field = column.removeprefix("payload.")
            payload[field] = json.loads(value) if value[:1] in "[{" else value
        elif column == "schema_version":
            record[column] = int(value)
        else:
            record[column] = value
    record["payload"] = payload
    return record


def read_event_csv(path: Path) -> Iterator[RawRecord]:
    csv.field_size_limit(MAX_FIELD_BYTES)
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise UnreadableInput(f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    reader = csv.DictReader(io.StringIO(text, newline=""))
    if not reader.fieldnames or "event_type" not in reader.fieldnames:
        raise UnreadableInput(f"{path}: cannot read any record: no header with an event_type column")
    rows = 0
    for number, row in enumerate(reader, start=2):
        rows += 1
        ref = f"{path.name}:row {number}"
        try:
            yield RawRecord(ref, _csv_row_to_record(row))
        except ValueError as exc:  # json.JSONDecodeError is a ValueError
            yield RawRecord(ref, json.dumps(row, ensure_ascii=False), error=f"unreadable CSV row: {exc}")
    if rows == 0:
        raise UnreadableInput(f"{path}: cannot read any record: the CSV has a header but no rows")


def read_event_file(path: Path) -> Iterator[RawRecord]:
    if not path.is_file():
        raise UnreadableInput(f"{path}: no such file")
    if path.suffix.lower() == ".csv":
        return read_event_csv(path)
    return read_jsonl(path)
