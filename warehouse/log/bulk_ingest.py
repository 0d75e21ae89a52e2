"""The bulk path from a JSON Lines file into the staging table of one append batch.

Lines are read in blocks of a few megabytes and streamed to DuckDB as Arrow batches
into one statement: the fast-subset SQL (warehouse/log/fast_subset.py) turns the lines it
is sure about into staged events, and every other line goes through
`schemas.events.parse_record` exactly as `warehouse.log.readers.read_jsonl` would feed it
(same text, same `file.jsonl:N` reference), becoming an event or a quarantine row.

Only the staging differs from `EventStore.append`: dedupe, numbering, the hash chain
and the insert are the shared core in warehouse/log/store.py.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa

from schemas import NewEvent, Rejection, parse_record
from warehouse.log.fast_subset import MACROS_SQL, build_fast_subset_sql
from warehouse.log.readers import UnreadableInput, is_json_object
from warehouse.log.staging import AmendmentRecord, Batch, Staged, amendment_record

# Small blocks: DuckDB reads a few batches ahead, and each holds its lines twice (Python, Arrow).
BLOCK_BYTES = 2 * 1024 * 1024
BOM = b"\xef\xbb\xbf"
# What bytes.strip() removes: a line of only these is blank (skipped, not a record).
ASCII_WHITESPACE = " \t\n\r\x0b\x0c"


@dataclass(frozen=True)
class LineBlock:
    """Consecutive lines of a file: `lines[i]` is line `first_number + i` without its newline,
    or None when it is not valid UTF-8 (or line 1 starts with a BOM) and `raw` holds its bytes."""

    first_number: int
    lines: list[str | None]
    raw: dict[int, bytes]
    # Every line ASCII without a backslash: the SQL need not check each one.
    ascii_without_backslash: bool


def _split_block(data: bytes, first_number: int) -> LineBlock:
    clean = data.isascii() and b"\\" not in data
    try:
        lines: list[str | None] = list(data.decode("utf-8").split("\n"))
        raw: dict[int, bytes] = {}
    except UnicodeDecodeError:
        lines, raw = [], {}
        for index, raw_line in enumerate(data.split(b"\n")):
            try:
                lines.append(raw_line.decode("utf-8"))
            except UnicodeDecodeError:
                lines.append(None)
                raw[index] = raw_line
    if first_number == 1 and data.startswith(BOM):
        # read_jsonl checks blankness before it drops the BOM: leave line 1 to the exact rules.
        lines[0] = None
        raw[0] = data.split(b"\n", 1)[0]
    return LineBlock(first_number, lines, raw, clean)


def line_blocks(path: Path, block_bytes: int = BLOCK_BYTES) -> Iterator[LineBlock]:
    """The file's lines, numbered as `enumerate(open(path, 'rb'), start=1)` numbers them."""
    number = 1
    carry = b""
    with path.open("rb") as handle:
        while True:
            data = handle.read(block_bytes)
            if not data:
                break
            data = carry + data
            cut = data.rfind(b"\n")
            if cut < 0:
                carry = data
                continue
            carry = data[cut + 1 :]
            block = _split_block(data[:cut], number)
            number += len(block.lines)
            yield block
    if carry:
        yield _split_block(carry, number)


def line_text(line: str) -> str | None:
    """The text read_jsonl hands parse_record for a decoded line, or None for a blank one."""
    if not line.strip(ASCII_WHITESPACE):  # what bytes.strip() removes
        return None
    return line.strip()


def raw_line_text(number: int, raw_line: bytes) -> str | None:
    """The same for a line kept as bytes (not UTF-8, or line 1 with a BOM)."""
    if not raw_line.strip():
        return None
    if number == 1:
        raw_line = raw_line.removeprefix(BOM)
    try:
        return raw_line.decode("utf-8").strip()
    except UnicodeDecodeError:
        return raw_line.decode("utf-8", errors="backslashreplace").strip()


LINES_SCHEMA = pa.schema([("seq", pa.int64()), ("line", pa.string()), ("ascii_block", pa.bool_())])
# Slow lines are read back from DuckDB this many at a time.
SLOW_SLICE = 20_000


def stage_jsonl(batch: Batch, path: Path, *, default_source: str | None) -> Staged:
    """Stage every line of `path` into `staging` (seq = its line number) and quarantine
    the rejected ones; lines the SQL leaves out go through parse_record."""
    con = batch.con
    con.execute(MACROS_SQL)
    # Lines Python must read itself (not UTF-8, or line 1 with a BOM): (number, bytes).
    raw_lines: list[tuple[int, bytes]] = []

    def batches() -> Iterator[pa.RecordBatch]:
        for block in line_blocks(path):
            raw_lines.extend((block.first_number + index, raw) for index, raw in block.raw.items())
            first, count = block.first_number, len(block.lines)
            yield pa.record_batch(
                [
                    pa.array(range(first, first + count), pa.int64()),
                    pa.array(block.lines, pa.string()),
                    pa.repeat(block.ascii_without_backslash, count),
                ],
                schema=LINES_SCHEMA,
            )

    con.register("lines", pa.RecordBatchReader.from_batches(LINES_SCHEMA, batches()))
    con.execute(f"insert into staging by name {build_fast_subset_sql(default_source)}")
    con.unregister("lines")  # (after a failure the next register replaces it)
    # The lines the SQL left to pydantic move out of `staging` into `fs_slow`.
    con.execute("create or replace temp table fs_slow as select seq, raw_line from staging where raw_line is not null")
    con.execute("delete from staging where raw_line is not null")
    # The amendments the SQL accepted keep their line (amendment_raw) and get their reference,
    # for the quarantine should their target refuse them (warehouse/log/amendments.py).
    con.execute(
        "update staging set amendment_ref = ? || ':' || seq where amendment_raw is not null", [path.name]
    )
    fast = con.execute("select count(*) from staging").fetchall()[0][0]

    read = fast
    quarantined = 0
    found_object = fast > 0
    after = 0
    while True:
        rows = con.execute(
            "select seq, raw_line from fs_slow where seq > ? order by seq limit ?", [after, SLOW_SLICE]
        ).fetchall()
        texts = [(number, text) for number, line in rows if (text := line_text(line)) is not None]
        if rows:
            after = rows[-1][0]
        elif raw_lines:
            texts = [(number, text) for number, raw in raw_lines if (text := raw_line_text(number, raw)) is not None]
            raw_lines = []
        else:
            break
        staged, rejected, found_object = _parse_lines(batch, path, texts, default_source, found_object)
        read += staged + rejected
        quarantined += rejected
    con.execute("drop table temp.fs_slow")
    if not found_object:
        what = "is empty" if read == 0 else f"has {read} line(s) and none is a JSON object"
        raise UnreadableInput(f"{path}: cannot read any record: the file {what} (expected JSON Lines)")
    return Staged(read, quarantined, fast=fast)


def _parse_lines(
    batch: Batch, path: Path, texts: list[tuple[int, str]], default_source: str | None, found_object: bool
) -> tuple[int, int, bool]:
    """parse_record on each (line number, text), as read_jsonl + EventStore.append would;
    returns (events staged, records quarantined, whether a JSON object was seen yet)."""
    events: list[NewEvent] = []
    event_seqs: list[int] = []
    amendments: list[AmendmentRecord | None] = []
    rejections: list[Rejection] = []
    for number, text in texts:
        # read_jsonl refuses a file in which no line is a JSON object.
        found_object = found_object or is_json_object(text)
        ref = f"{path.name}:{number}"
        parsed = parse_record(text, record_ref=ref, default_source=default_source)
        if isinstance(parsed, NewEvent):
            events.append(parsed)
            event_seqs.append(number)
            amendments.append(amendment_record(parsed, ref, text))
        else:
            rejections.append(parsed)
    if events:
        batch.stage_events(events, event_seqs, amendments)
    if rejections:
        batch.quarantine(rejections)
    return len(events), len(rejections), found_object
