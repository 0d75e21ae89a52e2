import json
from pathlib import Path

import dagster as dg
from pydantic import Field

from pipelines.defs.resources import WRITER_POOL, WarehouseResource
from pipelines.defs.schedules import AFTER_THE_LOG
from pipelines.sources import inbox
from pipelines.sources.registry import InboxSource, graph_registry, load_registry

INBOX_ASSET = dg.AssetKey("inbox_files")
INBOX_JOB_NAME = "inbox_ingest"


class InboxConfig(dg.Config):
    path: str = Field(
        default="",
        description="One file to ingest (the inbox sensor sets it): directly in the inbox, else refused. "
        "Empty: every complete file waiting in the inbox.",
    )


def _inbox_source(warehouse: WarehouseResource) -> tuple[InboxSource | None, Path]:
    store = warehouse.store()
    sources = load_registry(store.home).of_kind("inbox")
    source = sources[0] if sources else None
    folder = source.folder(store.home) if source else store.home.root / "inbox"
    return source, folder


@dg.asset(key=INBOX_ASSET, group_name="sources", pool=WRITER_POOL, kinds={"duckdb", "jsonl", "csv"})
def inbox_files(context: dg.AssetExecutionContext, config: InboxConfig, warehouse: WarehouseResource):
    """Event files (JSONL/CSV) analysts drop in the inbox folder (<AIRACE_HOME>/inbox/ unless the
    registry says otherwise), each taken once it is complete (a `<name>.ready` marker, or untouched
    for the source's settle_s; see pipelines/sources/inbox.py). Each is appended through the one
    append path and moved to done/ (its bad records quarantined as usual) or failed/ (unreadable,
    or changed after it was read; the reason is in failed/<name>.reason.txt). Links, and paths
    outside the inbox (also in this run's config), are refused, never read."""
    store = warehouse.store()
    source, folder = _inbox_source(warehouse)
    if source is None or not source.enabled:
        return dg.MaterializeResult(metadata={"note": "no enabled inbox source in the registry"})
    refused: list[tuple[str, str]] = []
    if config.path:
        try:
            path = inbox.requested_path(folder, config.path, source.suffixes)
        except inbox.InboxRefused as exc:
            raise dg.Failure(description=f"inbox: {exc}") from None
        if not path.exists():
            # Another run (e.g. `airace run`) took it first: it is in done/ or failed/ already.
            return dg.MaterializeResult(metadata={"file": config.path, "note": "already taken from the inbox"})
        files = [path]
    else:
        found = inbox.scan(folder, source.suffixes, settle_s=source.settle_s)
        files = [f.path for f in (*found.ready, *found.settling)]
        refused = list(found.refused)
    outcomes = []
    for n, path in enumerate(files):
        try:
            outcomes.append(inbox.ingest_file(store, path, run_id=f"{context.run.run_id}:inbox:{n}",
                                              settle_s=source.settle_s))
        except inbox.InboxRefused as exc:
            if config.path:
                raise dg.Failure(description=f"inbox: {exc}") from None
            refused.append((path.name, str(exc)))
    by_status = {status: [o for o in outcomes if o.status == status] for status in ("done", "failed", "waiting")}
    counted = [o.result for o in outcomes if o.result is not None]
    metadata = {
        "folder": dg.MetadataValue.path(str(folder)),
        "files_done": dg.MetadataValue.int(len(by_status["done"])),
        "files_failed": dg.MetadataValue.int(len(by_status["failed"])),
        "files_waiting": dg.MetadataValue.int(len(by_status["waiting"])),
        "files_refused": dg.MetadataValue.int(len(refused)),
        "records_read": dg.MetadataValue.int(sum(r.read for r in counted)),
        "appended": dg.MetadataValue.int(sum(r.appended for r in counted)),
        "duplicate": dg.MetadataValue.int(sum(r.duplicate for r in counted)),
        "quarantined": dg.MetadataValue.int(sum(r.quarantined for r in counted)),
        "files": dg.MetadataValue.json(
            [{"file": o.file, "status": o.status, "moved_to": str(o.moved_to) if o.moved_to else None,
              "error": o.error} for o in outcomes]
            + [{"file": name, "status": "refused", "moved_to": None, "error": why} for name, why in refused]
        ),
    }
    for o in by_status["failed"]:
        context.log.error(f"inbox: {o.file} moved to failed/: {o.error}")
    for o in by_status["waiting"]:
        context.log.info(f"inbox: {o.file} left in the inbox: {o.error}")
    for name, why in refused:
        context.log.warning(f"inbox: {name} refused: {why}")
    # The sensor's one-file run fails when its file is unreadable, so the UI shows it red;
    # the catch-all run (`airace run`) reports it and carries on with the rest.
    failed = by_status["failed"]
    if config.path and failed:
        raise dg.Failure(description=f"inbox: {failed[0].error}; moved to {failed[0].moved_to}", metadata=metadata)
    return dg.MaterializeResult(metadata=metadata)


inbox_job = dg.define_asset_job(
    INBOX_JOB_NAME,
    selection=dg.AssetSelection.assets(INBOX_ASSET) | AFTER_THE_LOG,
    description="Ingest one inbox file, then verify the log and rebuild projections, marts and the snapshot.",
)


def _interval() -> int:
    sources = graph_registry().of_kind("inbox", enabled_only=False)
    return sources[0].poll_interval_s if sources else 30


@dg.sensor(
    job=inbox_job,
    minimum_interval_seconds=_interval(),
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Requests one inbox_ingest run per new, complete file in the inbox (run_key: name + size + mtime).",
)
def inbox_sensor(context: dg.SensorEvaluationContext, warehouse: WarehouseResource):
    """The cursor holds the keys of files already requested that are still in the inbox
    (a run moves its file away, and the key then drops out), so each drop is picked up
    exactly once without the cursor growing forever."""
    source, folder = _inbox_source(warehouse)
    if source is None or not source.enabled:
        return dg.SkipReason("no enabled inbox source in the registry")
    requested = set(json.loads(context.cursor)) if context.cursor else set()
    found = inbox.scan(folder, source.suffixes, settle_s=source.settle_s)
    waiting = found.ready
    run_requests = [
        dg.RunRequest(
            run_key=f.run_key,
            run_config={"ops": {"inbox_files": {"config": {"path": str(f.path)}}}},
            tags={"airace/inbox_file": f.path.name},
        )
        for f in waiting
        if f.key not in requested
    ]
    present = {f.key for f in waiting}
    cursor = json.dumps(sorted(present))
    if not run_requests:
        unready = "".join(
            [f"; {len(found.settling)} still being written" if found.settling else "",
             f"; refused: {', '.join(name for name, _ in found.refused)}" if found.refused else ""]
        )
        return dg.SensorResult(skip_reason=f"no new file in {folder}{unready}", cursor=cursor)
    return dg.SensorResult(run_requests=run_requests, cursor=cursor)
