"""Data in and out of the log: the lossless JSON export and its re-import, the one-row-per-
application CSV export, and the spreadsheet import.

These are service-layer use cases over the ``Engine`` and the store interface, like
``engine.api``: load, decide (or check), append once. Reading a spreadsheet is
``engine.spreadsheet``; deciding many facts and appending them at once is ``engine.batch``.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any, NamedTuple, TextIO

from afterview.engine.domain import events as ev
from afterview.engine.domain.state import PROFILE_STREAM, Application, DomainError, InvalidValue
from afterview.engine.io.spreadsheet import SheetRow, read_sheet, row_facts
from afterview.engine.service.api import Engine
from afterview.engine.service.batch import Batch, run_batch
from afterview.engine.store.base import GENESIS_HASH, ConcurrencyError, NewEvent, StoredEvent

EXPORT_FORMAT = "afterview-export"
EXPORT_VERSION = 1

Progress = Callable[[int], None]
"""Told how many more items are done; the CLI turns it into a progress bar."""


def no_progress(_count: int) -> None:
    """Progress is only shown on a terminal; elsewhere nobody is told."""


class ImportResult(NamedTuple):
    """What an import did."""

    added: int  # events appended
    skipped: int  # events (json) or rows (csv) already in this log
    applications: list[str]  # applications that gained events
    warnings: list[str]


# ---------------------------------------------------------------------------
# JSON export: the whole log, every column, in position order


def stored_json(stored: StoredEvent) -> dict[str, Any]:
    """One event with its whole envelope, as the export writes it."""
    return {
        "position": stored.position,
        "stream_id": stored.stream_id,
        "version": stored.version,
        "event_id": stored.event_id,
        "type": stored.type,
        "schema_version": stored.schema_version,
        "data": stored.data,
        "metadata": stored.metadata,
        "occurred_at": stored.occurred_at,
        "recorded_at": stored.recorded_at,
        "prev_hash": stored.prev_hash,
        "hash": stored.hash,
    }


def export_json(engine: Engine, out: TextIO, *, progress: Progress = no_progress) -> int:
    """Write the whole log to ``out``; the number of events written. Events are streamed
    one per line, so a large log is never held in memory; appends made while it runs are
    left out (the export stops at the head it started from)."""
    position, head_hash = engine.store.head()
    header = {
        "format": EXPORT_FORMAT,
        "version": EXPORT_VERSION,
        "exported_at": engine.now().isoformat(),
        "head": {"position": position, "hash": head_hash},
    }
    # The header object stays open: the events follow as its last key, written as they are read.
    out.write(json.dumps(header, ensure_ascii=False)[:-1] + ', "events": [')
    written = 0
    for stored in engine.store.read_all():
        if stored.position > position:
            break
        out.write(("\n" if written == 0 else ",\n") + json.dumps(stored_json(stored), ensure_ascii=False))
        written += 1
        if written % 200 == 0:
            progress(200)
    progress(written % 200)
    out.write("\n]}\n")
    return written


# ---------------------------------------------------------------------------
# JSON import: append an exported log with its ids kept


def read_export(text: str, name: str) -> list[dict[str, Any]]:
    """The events of an afterview export, after checking that it is one and that its hash
    chain is intact (an edited export is refused, as ``verify`` would refuse the log)."""
    try:
        document = json.loads(text)
    except json.JSONDecodeError as error:
        raise InvalidValue(f"{name} is not JSON ({error.msg} at line {error.lineno})") from None
    if not isinstance(document, dict) or document.get("format") != EXPORT_FORMAT:
        raise InvalidValue(f"{name} is not an afterview export (made by 'afterview export --format json')")
    if document.get("version") != EXPORT_VERSION:
        raise InvalidValue(f"{name} is export version {document.get('version')!r}; "
                           f"this afterview reads version {EXPORT_VERSION}: upgrade afterview")
    events = document.get("events")
    if not isinstance(events, list) or not all(isinstance(e, dict) for e in events):
        raise InvalidValue(f"{name} has no list of events")
    _check_chain(events, document.get("head"), name)
    return events


_ENVELOPE = ("position", "stream_id", "version", "event_id", "type", "schema_version", "data",
             "metadata", "occurred_at", "recorded_at", "prev_hash", "hash")


def _check_chain(events: list[dict[str, Any]], head: Any, name: str) -> None:
    # The hash format belongs to the log, not to SQLite: every backend must chain the same.
    from afterview.engine.store.chain import canonical_json, event_hash

    prev = GENESIS_HASH
    for index, event in enumerate(events, start=1):
        where = f"{name}: event {index}"
        missing = [key for key in _ENVELOPE if key not in event]
        if missing:
            raise InvalidValue(f"{where} lacks {', '.join(missing)}: not an afterview export")
        try:
            row = [*(event[key] for key in _ENVELOPE[:6]), canonical_json(event["data"]),
                   canonical_json(event["metadata"]), event["occurred_at"], event["recorded_at"]]
            expected = event_hash(prev, row)
        except (TypeError, ValueError):
            raise InvalidValue(f"{where} cannot be read: not an afterview export") from None
        if event["position"] != index or event["prev_hash"] != prev or event["hash"] != expected:
            raise InvalidValue(f"{where} (position {event['position']}) breaks the hash chain: "
                               "the export was edited or damaged; use an intact copy")
        prev = expected
    last = (len(events), prev)
    if not isinstance(head, dict) or (head.get("position"), head.get("hash")) != last:
        raise InvalidValue(f"{name} does not end at the head it names: events were removed")


def _check_readable(event: dict[str, Any], name: str) -> None:
    """Every event must be one this version of afterview can replay."""
    try:
        ev.from_data(event["type"], event["schema_version"], event["data"])
        datetime.fromisoformat(event["occurred_at"])
    except ev.UnknownEventType:
        raise InvalidValue(f"{name}: event type {event['type']!r} (position {event['position']}) "
                           "is unknown to this afterview: upgrade afterview") from None
    except (TypeError, ValueError, KeyError) as error:
        raise InvalidValue(f"{name}: the {event['type']} at position {event['position']} "
                           f"cannot be read ({error})") from None


def _new_in_stream(engine: Engine, stream_id: str, exported: list[dict[str, Any]],
                   name: str) -> list[dict[str, Any]]:
    """The exported events this stream lacks. The local stream and the exported one must
    be the same history, one a prefix of the other; anything else would interleave two
    different searches in one application, so it is refused."""
    local = [stored.event_id for stored in engine.store.read_stream(stream_id)]
    if stream_id == PROFILE_STREAM:  # settings: later values win; append what is missing
        known = set(local)
        return [event for event in exported if event["event_id"] not in known]
    theirs = [event["event_id"] for event in exported]
    shared = min(len(local), len(theirs))
    if local[:shared] != theirs[:shared]:
        raise DomainError(
            f"application {stream_id!r} already exists here with a different history than in "
            f"{name}: import into a fresh database (--db), or void and re-enter it by hand"
        )
    return exported[shared:]


def import_json(engine: Engine, text: str, name: str, *,
                progress: Progress = no_progress) -> ImportResult:
    """Append an exported log to this one in one atomic append: event ids, data, metadata
    and occurred_at as exported, new positions, hashes and recorded_at here (the original
    recorded_at, position and hash are kept in ``metadata.imported``). Events already here
    are skipped, so importing the same file twice adds nothing."""
    events = read_export(text, name)
    by_stream: dict[str, list[dict[str, Any]]] = {}
    for event in events:
        by_stream.setdefault(event["stream_id"], []).append(event)
    for _ in range(3):  # a concurrent writer moved a stream: look again
        wanted: list[dict[str, Any]] = []
        versions: dict[str, int | None] = {}
        for stream_id, exported in by_stream.items():
            missing = _new_in_stream(engine, stream_id, exported, name)
            if missing and stream_id != PROFILE_STREAM:
                versions[stream_id] = missing[0]["version"] - 1
            wanted += missing
        wanted.sort(key=lambda event: event["position"])
        for event in wanted:
            _check_readable(event, name)
        try:
            _append_exported(engine, wanted, name, versions)
        except ConcurrencyError:
            continue
        progress(len(events))
        streams = sorted({e["stream_id"] for e in wanted if e["stream_id"] != PROFILE_STREAM})
        return ImportResult(len(wanted), len(events) - len(wanted), streams, [])
    raise DomainError("the database kept changing while importing; run the import again")


def _append_exported(engine: Engine, wanted: list[dict[str, Any]], name: str,
                     versions: dict[str, int | None]) -> None:
    if not wanted:
        return
    rows = []
    for event in wanted:
        metadata = dict(event["metadata"])
        metadata.setdefault("imported", {
            "file": Path(name).name, "position": event["position"],
            "recorded_at": event["recorded_at"], "hash": event["hash"],
        })
        rows.append(NewEvent(event["stream_id"], event["event_id"], event["type"],
                             event["schema_version"], event["data"], metadata, event["occurred_at"]))
    engine.store.append(rows, expected_versions=versions, recorded_at=engine.now().isoformat())


# ---------------------------------------------------------------------------
# CSV export: one row per application

CSV_COLUMNS = (
    "id", "company", "role", "state", "applied_at", "state_since", "updated_at", "source", "url",
    "location", "contacts", "offer_currency", "offer_base", "offer_first_year_total",
    "counter_base",
)


def _first_year_total(terms: ev.OfferTerms) -> Any:
    from afterview.engine.domain.offers import total_compensation

    return total_compensation(terms).first_year_total


def application_row(app: Application) -> dict[str, Any]:
    """The CSV row of one application (the spreadsheet import reads these columns back)."""
    offer = app.offer
    counters = [r for r in app.rounds if r.side == "counter"]
    return {
        "id": app.id, "company": app.company, "role": app.role, "state": app.state,
        "applied_at": _iso(app.applied_at), "state_since": _iso(app.updated_at),
        "updated_at": _iso(app.last_event_at), "source": app.source, "url": app.url,
        "location": app.location, "contacts": "; ".join(c.name for c in app.contacts),
        "offer_currency": offer.terms.currency if offer else None,
        "offer_base": offer.terms.base if offer else None,
        "offer_first_year_total": _first_year_total(offer.terms) if offer else None,
        "counter_base": counters[-1].terms.base if counters else None,
    }


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat()


def export_csv(engine: Engine, out: TextIO, *, progress: Progress = no_progress) -> int:
    """One row per application, ordered by when it was submitted; the number of rows."""
    apps = sorted(engine.applications(), key=lambda a: (a.applied_at or datetime.min, a.id))
    writer = csv.DictWriter(out, fieldnames=CSV_COLUMNS, lineterminator="\n")
    writer.writeheader()
    for app in apps:
        writer.writerow({k: "" if v is None else v for k, v in application_row(app).items()})
        progress(1)
    return len(apps)


# ---------------------------------------------------------------------------
# Spreadsheet import: every row decided through the engine, appended at once


def _same(text: str) -> str:
    return " ".join(text.casefold().split())


def import_csv(engine: Engine, text: str, name: str, *, day_first: bool = False,
               keep_overdue: bool = False, progress: Progress = no_progress) -> ImportResult:
    """Import a spreadsheet: every row checked, decided and appended at once, or nothing.

    The rows' facts are decided in the order they happened (across rows), so an old
    acceptance only reaches the applications that existed then. The policies schedule
    their tasks as for typed facts; those already overdue on applications that have ended
    (the feedback request after a rejection months ago) are dismissed unless
    ``keep_overdue``, while overdue tasks of open applications stay open: following up on
    a silent application or deciding on a pending offer is still to do. A row whose company
    and role are already an application here is skipped with a warning, so importing the
    same spreadsheet again adds nothing."""
    file_name = Path(name).name
    sheet = read_sheet(text, file_name, now=engine.now(), tz=engine.tz,
                       currency=engine.settings.currency, day_first=day_first)
    warnings = [f"{file_name}: column {title!r} is not one afterview reads; ignored"
                for title in sheet.ignored_columns]
    skipped: list[str] = []

    def build(batch: Batch) -> None:
        skipped.clear()
        plan = _plan(batch, sheet.rows, file_name, skipped)
        for at, _order, _step, row, app_id, event in plan:
            marker = {"import": {"file": file_name, "line": row.line}}
            try:
                batch.record(app_id, event, at, marker)
            except DomainError as error:
                raise type(error)(f"{file_name} line {row.line}: {error}") from None
            progress(1)
        if not keep_overdue:
            _dismiss_overdue(batch, file_name)

    batch = run_batch(engine, build)
    return ImportResult(len(batch.rows), len(skipped), batch.new_applications, warnings + skipped)


def _plan(batch: Batch, rows: list[SheetRow], file_name: str,
          skipped: list[str]) -> list[tuple[datetime, int, int, SheetRow, str, Any]]:
    """Every row's facts with the application id they go to, in the order they happened."""
    here = {(_same(a.company), _same(a.role)): a.id for a in batch.apps.values() if a.exists}
    plan = []
    for order, row in enumerate(rows):
        found = here.get((_same(row.company), _same(row.role)))
        if found is not None:
            skipped.append(f"{file_name} line {row.line}: {row.company} — {row.role} is "
                           f"already here as {found}; row skipped")
            continue
        wanted = row.app_id
        app_id = wanted if wanted and batch.claim(wanted) else batch.new_id(row.company, row.role)
        for step, (event, at) in enumerate(row_facts(row, batch.now)):
            plan.append((at, order, step, row, app_id, event))
    # A row's own facts never go back in time, so this keeps each row's order.
    return sorted(plan, key=lambda item: item[:3])


def _dismiss_overdue(batch: Batch, file_name: str) -> None:
    scheduled = [f for f in batch.facts if isinstance(f.event, ev.TaskScheduled)]
    for fact in scheduled:
        app = batch.apps[fact.stream_id]
        task = app.tasks.get(fact.event.task_id)
        if app.is_terminal and task is not None and task.is_open and task.due_at <= batch.now:
            batch.dismiss(fact.stream_id, task.id, "imported after it fell due, and it has ended",
                          {"import": {"file": file_name}})
