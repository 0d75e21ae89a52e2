"""The witness: every published head, written outside the database, append-only.

The hash chain proves the log is consistent with itself, not that it is the log
we had: whoever can write the live file can edit a row and recompute every later
hash with our own functions, or cut off the last runs, and the chain still
verifies. So each time a snapshot is published its head (position, hash, the
snapshot file's sha256, when) is appended to `<home>/airace-witness.jsonl` and
fsynced. `airace verify` then checks that the log still holds every witnessed
head, and that the published snapshot is a file that was witnessed; publishing
refuses a log that disagrees with the witness, so a rewrite never reaches analysts.

The witness only helps as far as it is out of the writer's reach: someone who can
rewrite both the database and this file can hide everything. README ("Tamper
evidence") says how to copy the witness elsewhere as it grows.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pyarrow as pa

from warehouse.home import WarehouseHome
from warehouse.log.chain import connect, verify
from warehouse.log.records import VerifyReport


@dataclass(frozen=True)
class WitnessedHead:
    position: int
    hash: str
    witnessed_at: str
    # sha256 of the snapshot file published with this head: any later edit of the file shows.
    snapshot_sha256: str | None = None

    def as_json(self) -> dict:
        return {
            "position": self.position,
            "hash": self.hash,
            "witnessed_at": self.witnessed_at,
            "snapshot_sha256": self.snapshot_sha256,
        }


class WitnessError(RuntimeError):
    """The witness file cannot be read: it was damaged (or edited by hand)."""


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while block := handle.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()


def record_head(home: WarehouseHome, position: int, head_hash: str, snapshot_sha256: str) -> WitnessedHead:
    """Append one head to the witness and make it durable before anyone relies on it."""
    head = WitnessedHead(position, head_hash, dt.datetime.now(dt.UTC).isoformat(), snapshot_sha256)
    path = home.witness_file
    created = not path.exists()
    # O_APPEND: a line is added at the end whatever else holds the file open; never rewritten.
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        os.write(fd, (json.dumps(head.as_json(), sort_keys=True) + "\n").encode())
        os.fsync(fd)
    finally:
        os.close(fd)
    if created:
        # The new directory entry must survive a crash too.
        dir_fd = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)
    return head


def read_witness(home: WarehouseHome) -> list[WitnessedHead]:
    """Every witnessed head, in the order written; [] when there is no witness file."""
    path = home.witness_file
    if not path.exists():
        return []
    heads = []
    with path.open("rb") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                entry = json.loads(line)
                heads.append(
                    WitnessedHead(
                        int(entry["position"]), str(entry["hash"]), str(entry["witnessed_at"]),
                        entry.get("snapshot_sha256"),
                    )
                )
            except (ValueError, KeyError, TypeError) as exc:
                raise WitnessError(f"{path}:{number}: not a witnessed head ({exc}); the witness was damaged") from None
    return heads


def _log_hashes(con: duckdb.DuckDBPyConnection, positions: list[int]) -> dict[int, str]:
    con.register("_witnessed", pa.table({"position": pa.array(positions, pa.int64())}))
    try:
        rows = con.execute(
            "select l.position, l.hash from events.log l join _witnessed w using (position)"
        ).fetchall()
    finally:
        con.unregister("_witnessed")
    return dict(rows)


def check_log(con: duckdb.DuckDBPyConnection, heads: list[WitnessedHead]) -> tuple[int, str] | None:
    """(first bad position, problem) when the log behind `con` no longer holds every
    witnessed head; None when it does. Assumes the chain itself verified."""
    by_position: dict[int, WitnessedHead] = {}
    # An empty log's head (position 0, the genesis hash) is held by every log.
    for head in (h for h in heads if h.position > 0):
        earlier = by_position.setdefault(head.position, head)
        if earlier.hash != head.hash:
            # Only a rewritten log that was published anyway (before this check existed, or
            # with the witness edited) leaves two heads at one position.
            return head.position, (
                f"the witness holds two different heads at position {head.position} "
                f"({earlier.witnessed_at} and {head.witnessed_at}): the log was rewritten and republished"
            )
    if not by_position:
        return None
    logged = _log_hashes(con, sorted(by_position))
    last = con.execute("select coalesce(max(position), 0) from events.log").fetchall()[0][0]
    still_good = 0
    for position in sorted(by_position):
        head = by_position[position]
        if position not in logged:
            return last + 1, (
                f"the log ends at position {last}, but position {position} was witnessed at {head.witnessed_at} "
                f"(hash {head.hash[:16]}…): rows {last + 1}..{position} were removed"
            )
        if logged[position] != head.hash:
            return position, (
                f"position {position} holds hash {logged[position][:16]}… but {head.hash[:16]}… was witnessed there "
                f"at {head.witnessed_at}: a row in positions {still_good + 1}..{position} was rewritten "
                "and the later hashes recomputed"
            )
        still_good = position
    return None


def first_difference(con: duckdb.DuckDBPyConnection, other: Path, up_to: int) -> int | None:
    """The first position up to `up_to` where the log behind `con` and the one in the
    database file `other` differ (a row missing on either side counts), or None."""
    theirs_con = connect(other, read_only=True)
    try:
        theirs = dict(
            theirs_con.execute("select position, hash from events.log where position <= ?", [up_to]).fetchall()
        )
    finally:
        theirs_con.close()
    ours = dict(con.execute("select position, hash from events.log where position <= ?", [up_to]).fetchall())
    for position in range(1, up_to + 1):
        if ours.get(position) != theirs.get(position):
            return position
    return None


def verify_snapshot(home: WarehouseHome, heads: list[WitnessedHead]) -> tuple[bool, str]:
    """Whether the published snapshot is one that was witnessed, and what was found."""
    path = home.snapshot_db
    if not path.exists():
        return True, "no published snapshot yet"
    if not heads:
        return False, (
            f"the snapshot {path.name} was never witnessed ({home.witness_file.name} is missing or empty; "
            "a snapshot published before witnessing existed is witnessed by the next `airace run`)"
        )
    if file_sha256(path) in {head.snapshot_sha256 for head in heads}:
        return True, f"the snapshot {path.name} is a witnessed publication"
    # Not byte for byte any published file: say what is wrong with it, as precisely as we can.
    try:
        con = connect(path, read_only=True)
        try:
            report = verify(con)
            position = con.execute("select coalesce(max(position), 0) from events.log").fetchall()[0][0]
        finally:
            con.close()
    except duckdb.Error as exc:
        return False, f"the snapshot {path.name} is unreadable: {exc}"
    if not report.ok:
        where = f"position {report.first_bad_position}" if report.first_bad_position is not None else "the accounting"
        return False, f"the snapshot {path.name} does not verify at {where}: {report.problem}"
    if (position, report.head_hash) not in {(h.position, h.hash) for h in heads}:
        return False, (
            f"the snapshot {path.name} ends at position {position} with hash {report.head_hash[:16]}…, "
            "a head that was never witnessed: it was edited or replaced after publication"
        )
    return False, (
        f"the snapshot {path.name} differs from every published file although its log verifies: "
        "a table was edited after publication"
    )


def verify_with_witness(con: duckdb.DuckDBPyConnection, home: WarehouseHome) -> VerifyReport:
    """The chain and accounting (store.verify), then the witnessed heads; the first break wins."""
    report = verify(con)
    if not report.ok:
        return report
    try:
        heads = read_witness(home)
    except WitnessError as exc:
        return VerifyReport(False, report.events, report.head_hash, problem=str(exc))
    broken = check_log(con, heads)
    if broken is None:
        return VerifyReport(
            True, report.events, report.head_hash, witnessed_position=max((h.position for h in heads), default=None)
        )
    position, problem = broken
    exact = _exact_rewrite_position(con, home, heads, position)
    if exact is not None and exact != position:
        problem += f"; the first row that differs from the published snapshot is at position {exact}"
        position = exact
    return VerifyReport(False, report.events, report.head_hash, first_bad_position=position, problem=problem)


def _exact_rewrite_position(
    con: duckdb.DuckDBPyConnection, home: WarehouseHome, heads: list[WitnessedHead], bad: int
) -> int | None:
    """Where the log first differs from the published snapshot, when that snapshot is
    itself a witnessed file (so it still holds the rows as they were)."""
    if not home.snapshot_db.exists() or file_sha256(home.snapshot_db) not in {h.snapshot_sha256 for h in heads}:
        return None
    try:
        return first_difference(con, home.snapshot_db, bad)
    except duckdb.Error:
        return None
