"""`airace extract` (article -> candidate events) and `airace review` (the queue).

    airace extract FILE|URL|- [--store] [--date YYYY-MM-DD] [--url URL]
    airace review [--all]
    airace review accept ID [--by NAME] [--no-refresh]
    airace review reject ID [--by NAME] [--reason TEXT]
"""

from __future__ import annotations

import datetime as dt
import getpass
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from pipelines.cli_shared import HomeOption, console, errors, resolve_home

if TYPE_CHECKING:
    from rich.table import Table

    from warehouse.review.candidates import QueuedCandidate

# The extractor, the HTTP client, the review queue and rich are imported by the commands
# that use them: registering these commands must not slow `airace sql` down.

FETCH_TIMEOUT_S = 15.0
_BINARY_TYPES = ("image/", "audio/", "video/", "application/pdf", "application/zip", "application/octet-stream")


class FetchError(RuntimeError):
    pass


def fetch_url(url: str, *, timeout_s: float = FETCH_TIMEOUT_S) -> tuple[bytes, str | None, str]:
    """(body, charset, content type) of a URL, refusing bodies over the size cap while streaming."""
    import httpx

    from pipelines.extract import MAX_INPUT_BYTES, ExtractionError

    try:
        with httpx.stream(
            "GET", url, timeout=timeout_s, follow_redirects=True, headers={"User-Agent": "airace-extract/1"}
        ) as response:
            if response.status_code >= 400:
                raise FetchError(f"{url} answered HTTP {response.status_code}")
            content_type = response.headers.get("content-type", "").split(";")[0].strip().lower()
            if content_type.startswith(_BINARY_TYPES):
                raise FetchError(f"{url} is {content_type}, not an article")
            declared = response.headers.get("content-length", "")
            if declared.isdigit() and int(declared) > MAX_INPUT_BYTES:
                raise ExtractionError(
                    f"{url} is {int(declared) / 1_048_576:.1f} MB; the extractor reads articles of at most "
                    f"{MAX_INPUT_BYTES / 1_048_576:.0f} MB"
                )
            chunks, size = [], 0
            for chunk in response.iter_bytes():
                size += len(chunk)
                if size > MAX_INPUT_BYTES:
                    raise ExtractionError(
                        f"{url} is larger than {MAX_INPUT_BYTES / 1_048_576:.0f} MB; the extractor reads articles "
                        "up to that size"
                    )
                chunks.append(chunk)
            return b"".join(chunks), response.charset_encoding, content_type
    except httpx.TimeoutException:
        raise FetchError(f"{url} did not answer within {timeout_s:.0f} s") from None
    except httpx.HTTPError as exc:
        raise FetchError(f"cannot fetch {url}: {exc}") from None


def _read_source(source: str, timeout_s: float) -> tuple[str, str | None, bool | None]:
    """(text, source URL, is HTML) for a file, a URL or "-" (stdin)."""
    from pipelines.extract import decode, read_limited, read_path

    if source.startswith(("http://", "https://")):
        body, charset, content_type = fetch_url(source, timeout_s=timeout_s)
        is_html = True if "html" in content_type else (False if content_type == "text/plain" else None)
        return decode(body, charset=charset), source, is_html
    if source == "-":
        return decode(read_limited(sys.stdin.buffer, what="standard input")), None, None
    return decode(read_path(Path(source))), None, None


def _parse_date(text: str | None) -> dt.date | None:
    if text is None:
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise typer.BadParameter(f"--date {text!r} is not a date (YYYY-MM-DD)") from None


def extract_command(
    source: Annotated[str, typer.Argument(help="An article: a file, an http(s) URL, or - for standard input.")],
    home: HomeOption = None,
    store: Annotated[bool, typer.Option("--store", help="Also put the candidates into the review queue.")] = False,
    date: Annotated[
        str | None, typer.Option("--date", help="The article's date (YYYY-MM-DD), when the text does not say.")
    ] = None,
    url: Annotated[str | None, typer.Option("--url", help="Where a file or stdin article came from (provenance).")] = None,
    min_confidence: Annotated[float, typer.Option("--min-confidence", min=0.0, max=1.0)] = 0.0,
    timeout: Annotated[float, typer.Option("--timeout", help="Seconds to wait for a URL.")] = FETCH_TIMEOUT_S,
) -> None:
    """Read a news article (plain text or HTML) and print the candidate events it states, as JSON lines."""
    from pipelines.extract import ExtractionError, extract_text
    from warehouse import EventStore
    from warehouse.log.lock import WarehouseBusy
    from warehouse.log.store import StoreError
    from warehouse.review.candidates import queue_candidates

    article_date = _parse_date(date)
    retrieved_at = dt.datetime.now(dt.UTC)
    try:
        text, fetched_url, is_html = _read_source(source, timeout)
        extraction = extract_text(
            text, source_url=url or fetched_url, article_date=article_date, retrieved_at=retrieved_at, html=is_html
        )
    except (ExtractionError, FetchError) as exc:
        errors.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(2) from None
    candidates = [c for c in extraction.candidates if c.confidence >= min_confidence]
    for candidate in candidates:
        sys.stdout.write(json.dumps(candidate.model_dump(mode="json"), ensure_ascii=False) + "\n")
    for reason in extraction.dropped:
        errors.print(f"[yellow]dropped[/yellow] {reason}")
    if store:
        try:
            queued = queue_candidates(EventStore(resolve_home(home)), candidates, extracted_at=retrieved_at)
        except (StoreError, WarehouseBusy) as exc:
            errors.print(f"[red]error:[/red] {exc}")
            raise typer.Exit(2) from None
        errors.print(
            f"{len(candidates)} candidate event(s); queued {queued.added} for review"
            f"{f', {queued.already_queued} already queued' if queued.already_queued else ''}: `airace review`"
        )
    else:
        errors.print(f"{len(candidates)} candidate event(s)")


review_app = typer.Typer(
    help="The review queue: candidates from `airace extract --store`; accept appends to the log.",
    invoke_without_command=True,
)


def _default_reviewer() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "analyst"


def _orgs_text(candidate: QueuedCandidate) -> str:
    return ", ".join(
        f"{o['name']} ({o['country']})" if o.get("country") else o["name"]
        for o in candidate.organizations
        if o.get("role") != "jurisdiction"
    ) or ", ".join(o.get("country") or o["name"] for o in candidate.organizations)


_SHORT_TYPES = {
    "model.launched": "launch",
    "product.released": "product",
    "allegation.made": "allegation",
    "policy.changed": "policy",
}


def _queue_table(rows: list[QueuedCandidate], *, with_status: bool) -> Table:
    """One row per candidate; the event and its evidence sentence share the wide column."""
    from rich.table import Table
    from rich.text import Text

    table = Table(title="airace review queue" + ("" if with_status else ": pending"), show_lines=True)
    # A 10-character prefix is enough to accept or reject (ambiguous prefixes are refused).
    table.add_column("id", no_wrap=True)
    table.add_column("type", no_wrap=True)
    table.add_column("event and evidence", ratio=1)
    table.add_column("organizations", max_width=22)
    table.add_column("date", no_wrap=True)
    table.add_column("conf", justify="right", no_wrap=True)
    if with_status:
        table.add_column("status", max_width=16)
    for row in rows:
        date_format = {"day": "%Y-%m-%d", "month": "%Y-%m", "year": "%Y"}[row.occurred_precision]
        evidence = row.evidence if len(row.evidence) <= 200 else row.evidence[:197] + "..."
        cells = [
            row.candidate_id[:10],
            _SHORT_TYPES.get(row.event_type, row.event_type),
            Text.assemble((row.event_key, "bold"), "\n", (evidence, "dim")),
            _orgs_text(row),
            row.occurred_at.strftime(date_format),
            f"{row.confidence:.2f}",
        ]
        if with_status:
            cells.append(row.status if row.status == "pending" else f"{row.status} by {row.reviewer}")
        table.add_row(*cells)
    return table


@review_app.callback()
def review(
    ctx: typer.Context,
    home: HomeOption = None,
    show_all: Annotated[bool, typer.Option("--all", help="Also show accepted and rejected candidates.")] = False,
) -> None:
    """List the candidates waiting for review (or all with --all)."""
    if ctx.invoked_subcommand is not None:
        return
    from warehouse import EventStore
    from warehouse.log.store import StoreError
    from warehouse.review.candidates import list_candidates

    try:
        rows = list_candidates(EventStore(resolve_home(home)), status=None if show_all else "pending")
    except StoreError as exc:
        errors.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(2) from None
    if not rows:
        console.print("no candidates " + ("in the queue" if show_all else "waiting for review"))
        return
    console.print(_queue_table(rows, with_status=show_all))
    console.print(f"{len(rows)} candidate(s). Accept with `airace review accept ID`, reject with `airace review reject ID`.")


ReviewerOption = Annotated[str, typer.Option("--by", help="Who reviews (default: the current user).")]


@review_app.command("accept")
def accept(
    candidate_id: Annotated[str, typer.Argument(help="Candidate id (or a unique prefix of at least 4 characters).")],
    by: ReviewerOption = "",
    home: HomeOption = None,
    no_refresh: Annotated[
        bool, typer.Option("--no-refresh", help="Append only; the event appears in the snapshot after the next run.")
    ] = False,
) -> None:
    """Append the candidate's event to the log, recording who accepted it and when; then
    refresh projections and marts and republish the snapshot, so `airace sql` shows it."""
    from warehouse import EventStore
    from warehouse.build import refresh_and_publish
    from warehouse.log.lock import WarehouseBusy
    from warehouse.log.store import StoreError
    from warehouse.review.candidates import ReviewError, accept_candidate

    store = EventStore(resolve_home(home))
    try:
        outcome = accept_candidate(store, candidate_id, reviewer=by or _default_reviewer())
    except (ReviewError, StoreError, WarehouseBusy) as exc:
        errors.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(2) from None
    if outcome.already:
        console.print(
            f"candidate {outcome.candidate_id} was already accepted by {outcome.reviewer} "
            f"(event {outcome.event_id}); nothing appended"
        )
        return
    console.print(
        f"accepted {outcome.candidate_id} by {outcome.reviewer}: event {outcome.event_id} "
        f"({'appended' if outcome.appended else 'already in the log'}, run {outcome.run_id})"
    )
    if no_refresh:
        console.print("not published yet: the event appears in `airace sql` after the next `airace run` or ingest")
        return
    _, published = refresh_and_publish(store)
    console.print(f"snapshot republished: {published.path} ({published.events} events); `airace sql` shows the event")


@review_app.command("reject")
def reject(
    candidate_id: Annotated[str, typer.Argument(help="Candidate id (or a unique prefix of at least 4 characters).")],
    by: ReviewerOption = "",
    reason: Annotated[str | None, typer.Option("--reason", help="Why it is not an event.")] = None,
    home: HomeOption = None,
) -> None:
    """Record that the candidate is not an event; nothing is appended to the log."""
    from warehouse import EventStore
    from warehouse.log.lock import WarehouseBusy
    from warehouse.log.store import StoreError
    from warehouse.review.candidates import ReviewError, reject_candidate

    try:
        outcome = reject_candidate(EventStore(resolve_home(home)), candidate_id, reviewer=by or _default_reviewer(), reason=reason)
    except (ReviewError, StoreError, WarehouseBusy) as exc:
        errors.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(2) from None
    if outcome.already:
        console.print(f"candidate {outcome.candidate_id} was already rejected by {outcome.reviewer}")
        return
    console.print(f"rejected {outcome.candidate_id} by {outcome.reviewer}")
