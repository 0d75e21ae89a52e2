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

from schemas.events import unambiguous_object
from warehouse.log.records import RawRecord

MAX_FIELD_BYTES = 10 * 1024 * 1024
# What a quarantined row keeps of a field over MAX_FIELD_BYTES (the whole file stays where it was).
_OVERSIZED_FIELD_KEPT = 1000


class UnreadableInput(ValueError):
    """Nothing in the input could be read as records."""


def is_json_object(text: str) -> bool:
    """Whether one line is a JSON object: a JSON Lines file with none is refused whole
    (UnreadableInput), by read_jsonl and by the bulk path alike."""
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
            found_object = found_object or is_json_object(text)
            yield RawRecord(ref, text)
    if not found_object:
        what = "is empty" if lines == 0 else f"has {lines} line(s) and none is a JSON object"
        raise UnreadableInput(f"{path}: cannot read any record: the file {what} (expected JSON Lines)")


def _refuse_twice(payload: dict[str, Any], more: dict[str, Any]) -> None:
    # A `payload.x` column beside a `payload` cell that also holds x: which one was meant?
    both = sorted(set(payload) & set(more))
    if both:
        raise ValueError(f"payload field(s) {', '.join(map(repr, both))} given twice (a payload.<field> column and the payload cell)")


def _csv_row_to_record(row: dict[str, str]) -> dict[str, Any]:
    """Envelope columns as they are; `payload` as JSON text or `payload.<field>` columns."""
    record: dict[str, Any] = {}
    payload: dict[str, Any] = {}
    for column, value in row.items():
        if column is None or value is None or value == "":
            continue
        if column == "payload":
            cell = json.loads(value, object_pairs_hook=unambiguous_object)
            if not isinstance(cell, dict):
                # dict.update would take a list of pairs silently and crash on anything else.
                raise ValueError(f"the payload cell must be a JSON object, got {_json_kind(cell)}")
            _refuse_twice(payload, cell)
            payload.update(cell)
        elif column.startswith("payload."):
            field = column.removeprefix("payload.")
            _refuse_twice(payload, {field: None})
            payload[field] = json.loads(value, object_pairs_hook=unambiguous_object) if value[:1] in "[{" else value
        elif column == "schema_version":
            record[column] = int(value)
        else:
            record[column] = value
    record["payload"] = payload
    return record


def _json_kind(value: Any) -> str:
    kinds = {list: "an array", str: "a string", bool: "a boolean", int: "a number", float: "a number"}
    return "null" if value is None else kinds.get(type(value), type(value).__name__)


def _oversized_fields(row: dict[str | None, Any]) -> list[tuple[str, int]]:
    sizes = []
    for column, value in row.items():
        # Extra cells beyond the header come as a list under the key None.
        cells = value if isinstance(value, list) else [value]
        for cell in cells:
            if isinstance(cell, str) and len(cell) > MAX_FIELD_BYTES:
                sizes.append((column or "(beyond the header)", len(cell)))
    return sizes


def _shortened(row: dict[str | None, Any]) -> str:
    def cut(cell: Any) -> Any:
        if isinstance(cell, str) and len(cell) > MAX_FIELD_BYTES:
            return cell[:_OVERSIZED_FIELD_KEPT] + f"... [{len(cell) - _OVERSIZED_FIELD_KEPT} more characters not kept]"
        return [cut(c) for c in cell] if isinstance(cell, list) else cell

    return json.dumps({str(k): cut(v) for k, v in row.items()}, ensure_ascii=False)


def read_event_csv(path: Path) -> Iterator[RawRecord]:
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise UnreadableInput(f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    # The csv module's own limit would raise mid-file, and after that error its reader cannot
    # be trusted to resume at the next row (a quoted field may span lines). No field can be
    # longer than the file, so lift the limit to that and hold each row to MAX_FIELD_BYTES here:
    # an oversized field costs its row (quarantined, named), never the rest of the file.
    csv.field_size_limit(max(MAX_FIELD_BYTES, len(text) + 1))
    reader = csv.DictReader(io.StringIO(text, newline=""))
    try:
        header = reader.fieldnames
    except csv.Error as exc:
        raise UnreadableInput(f"{path}: line {reader.line_num}: not a readable CSV header: {exc}") from None
    if not header or "event_type" not in header:
        raise UnreadableInput(f"{path}: cannot read any record: no header with an event_type column")
    twice = sorted({name for name in header if header.count(name) > 1})
    if twice:
        # csv.DictReader would keep the last column of a name silently; no row can be read unambiguously.
        raise UnreadableInput(f"{path}: cannot read any record: the header names a column more than once: {', '.join(map(repr, twice))}")
    rows = 0
    number = 1
    while True:
        try:
            row = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            # Not reached with the default dialect as configured; kept so a parser complaint is
            # a clear error naming the line rather than a traceback.
            raise UnreadableInput(f"{path}: line {reader.line_num}: not readable as CSV: {exc}") from None
        number += 1
        rows += 1
        ref = f"{path.name}:row {number}"
        oversized = _oversized_fields(row)
        if oversized:
            fields = ", ".join(f"{column!r} ({size} characters)" for column, size in oversized)
            yield RawRecord(
                ref,
                _shortened(row),
                error=f"unreadable CSV row (ending on line {reader.line_num}): field {fields} is over the limit "
                f"of {MAX_FIELD_BYTES} characters",
            )
            continue
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
