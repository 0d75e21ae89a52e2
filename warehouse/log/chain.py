"""The hash chain of `events.log`: what a row's hash covers, how hashes link, and the
check of the whole log (chain and run accounting) in SQL.

Below the store, so the witness and the snapshot can verify a log without importing
the store's append path (which imports the witness: an import cycle otherwise).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from pathlib import Path

import duckdb

from warehouse.log.records import VerifyReport

GENESIS_HASH = "0" * 64

# The one definition of what a row's hash covers; used by append and by verify,
# so the two cannot drift. NULLs get a marker so (NULL, 'x') and ('x', NULL) differ.
ROW_DIGEST_SQL = """sha256(concat_ws(chr(31),
    position::varchar, event_id, event_type, schema_version::varchar, subject,
    occurred_at::varchar, occurred_precision, epoch_us(recorded_at)::varchar, source,
    coalesce(source_url, chr(0)), coalesce(source_ref, chr(0)),
    coalesce(epoch_us(retrieved_at)::varchar, chr(0)), payload::varchar, run_id))"""


def connect(path: Path, *, read_only: bool) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect(str(path), read_only=read_only)
    con.execute("set TimeZone = 'UTC'")
    return con


def chain(prev_hash: str, digests: Iterable[str]) -> list[str]:
    """hash_n = sha256(hash_{n-1} || digest_n): sequential by nature, so done here in one pass."""
    hashes = []
    for digest in digests:
        prev_hash = hashlib.sha256((prev_hash + digest).encode()).hexdigest()
        hashes.append(prev_hash)
    return hashes


# Each row against its own contents and against the row before it, found by a join
# on position - 1 (a join runs on every core; a window over the whole log would sort it).
# A missing row shows up at the next one, whose predecessor is then absent.
VERIFY_SQL = f"""
with checked as (
    select position, prev_hash, hash, sha256(prev_hash || {ROW_DIGEST_SQL}) as expected_hash
    from events.log
)
select c.position,
       case when c.position < 1 then 'position ' || c.position || ' is not positive'
            when c.position > 1 and previous.hash is null then 'position gap: row ' || (c.position - 1) || ' is missing'
            when c.prev_hash <> coalesce(previous.hash, '{GENESIS_HASH}')
                then 'prev_hash does not match the hash of the row before'
            else 'hash does not match the row''s contents (edited after append?)' end as problem
from checked c
left join events.log previous on previous.position = c.position - 1
where c.hash <> c.expected_hash
   or c.position < 1
   or (c.position > 1 and previous.hash is null)
   or c.prev_hash <> coalesce(previous.hash, '{GENESIS_HASH}')
order by c.position
limit 1
"""

ACCOUNTING_SQL = """
select 'run ' || r.run_id || ' (' || r.source || '): ' || problem as problem
from (
    select r.*, case
        when r.records_read <> r.appended + r.duplicate + r.quarantined then 'read <> appended + duplicate + quarantined'
        when r.appended <> coalesce(l.n, 0) then 'appended ' || r.appended || ' but the log holds ' || coalesce(l.n, 0)
        when r.quarantined <> coalesce(q.n, 0) then 'quarantined ' || r.quarantined || ' but quarantine holds ' || coalesce(q.n, 0)
        end as problem
    from events.ingest_runs r
    left join (select run_id, count(*) n from events.log group by run_id) l using (run_id)
    left join (select run_id, count(*) n from events.quarantine group by run_id) q using (run_id)
) r
where problem is not null
order by r.started_at
limit 1
"""


def verify(con: duckdb.DuckDBPyConnection) -> VerifyReport:
    """Recompute the whole chain in SQL and check the run accounting; report the first break."""
    count, head = con.execute(
        "select count(*), coalesce(arg_max(hash, position), ?) from events.log", [GENESIS_HASH]
    ).fetchall()[0]
    broken = con.execute(VERIFY_SQL).fetchall()
    if broken:
        position, problem = broken[0]
        return VerifyReport(False, count, head, first_bad_position=position, problem=problem)
    orphans = con.execute(
        "select min(position) from events.log where run_id not in (select run_id from events.ingest_runs)"
    ).fetchall()[0][0]
    if orphans is not None:
        return VerifyReport(False, count, head, first_bad_position=orphans, problem="row from an unrecorded run")
    accounting = con.execute(ACCOUNTING_SQL).fetchall()
    if accounting:
        return VerifyReport(False, count, head, problem=accounting[0][0])
    return VerifyReport(True, count, head)
