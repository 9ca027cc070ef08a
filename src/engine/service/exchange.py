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
from decimal import Decimal
from pathlib import Path
from typing import NamedTuple, TextIO

from afterview.engine.domain import events as ev
from afterview.engine.domain.events import JsonObject, JsonValue
from afterview.engine.domain.state import (
    PROFILE_STREAM,
    Application,
    DomainError,
    Fact,
    InvalidValue,
    is_usable_id,
)
from afterview.engine.io.spreadsheet import SheetRow, formula_safe, read_sheet, row_facts
from afterview.engine.service.api import Engine
from afterview.engine.service.batch import Batch, run_batch
from afterview.engine.service.unit_of_work import IMPORT_KEPT_CHANGING, Pending
from afterview.engine.store.base import GENESIS_HASH, NewEvent, StoredEvent

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


def stored_json(stored: StoredEvent) -> JsonObject:
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


def read_export(text: str, name: str) -> list[JsonObject]:
    """The events of an afterview export, after checking that it is one, that every
    envelope field has its type and that its hash chain is intact (an edited export is
    refused, as ``verify`` would refuse the log)."""
    try:
        document = json.loads(text, parse_constant=_no_constant)
    except json.JSONDecodeError as error:
        raise InvalidValue(f"{name} is not JSON ({error.msg} at line {error.lineno})") from None
    except (ValueError, RecursionError) as error:  # NaN, a 5000-digit number, deep nesting
        raise InvalidValue(f"{name} is not JSON afterview can read ({_first_line(error)})") from None
    if not isinstance(document, dict) or document.get("format") != EXPORT_FORMAT:
        raise InvalidValue(f"{name} is not an afterview export (made by 'afterview export --format json')")
    version = document.get("version")
    if type(version) is not int or version != EXPORT_VERSION:
        raise InvalidValue(f"{name} is export version {version!r}; this afterview reads "
                           f"version {EXPORT_VERSION} (a whole number): upgrade afterview, or "
                           "use the file as it was exported")
    events = document.get("events")
    if not isinstance(events, list) or not all(isinstance(e, dict) for e in events):
        raise InvalidValue(f"{name} has no list of events")
    for index, event in enumerate(events, start=1):
        _check_envelope(event, index, name)
    _check_chain(events, document.get("head"), name)
    return events


def _no_constant(constant: str) -> JsonValue:
    raise ValueError(f"{constant} is not a number JSON allows")


def _first_line(error: BaseException) -> str:
    return (str(error).splitlines() or [type(error).__name__])[0]


_ENVELOPE = ("position", "stream_id", "version", "event_id", "type", "schema_version", "data",
             "metadata", "occurred_at", "recorded_at", "prev_hash", "hash")
_ENVELOPE_TYPES: dict[str, type] = {
    "position": int, "stream_id": str, "version": int, "event_id": str, "type": str,
    "schema_version": int, "data": dict, "metadata": dict, "occurred_at": str,
    "recorded_at": str, "prev_hash": str, "hash": str}


def _where(name: str, index: int, event: JsonObject) -> str:
    kind = event.get("type")
    shown = f" ({kind})" if isinstance(kind, str) and kind in ev.EVENT_TYPES else ""
    return f"{name}: event at position {index}{shown}"


def _check_envelope(event: JsonObject, index: int, name: str) -> None:
    """Every envelope field is there with its JSON type (a bool is not a number)."""
    where = _where(name, index, event)
    missing = [key for key in _ENVELOPE if key not in event]
    if missing:
        raise InvalidValue(f"{where} lacks {', '.join(missing)}: not an afterview export")
    for key, kind in _ENVELOPE_TYPES.items():
        value = event[key]
        if isinstance(value, bool) or not isinstance(value, kind):
            raise InvalidValue(f"{where}: field {key} is {type(value).__name__}, "
                               f"not {kind.__name__}: not an afterview export")


def _check_chain(events: list[JsonObject], head: JsonValue, name: str) -> None:
    # The hash format belongs to the log, not to SQLite: every backend must chain the same.
    from afterview.engine.store.chain import canonical_json, event_hash

    prev = GENESIS_HASH
    for index, event in enumerate(events, start=1):
        where = f"{name}: event {index}"
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


def _check_content(events: list[JsonObject], name: str, country: str | None) -> None:
    """Every event holds what a command could have recorded: known type and schema, ids
    without control characters, aware times in range, fields of their types, amounts
    finite and capped, settings valid here, each stream's versions 1, 2, 3, ..."""
    from afterview.engine.domain.validation import FieldError, check_id, check_moment

    next_version: dict[str, int] = {}
    for index, event in enumerate(events, start=1):
        where = _where(name, index, event)
        try:
            _check_stream_id(event["stream_id"])
            check_id(event["event_id"], "event_id")
            check_moment(event["occurred_at"], "occurred_at")
            check_moment(event["recorded_at"], "recorded_at")
            expected = next_version.get(event["stream_id"], 1)
            if event["version"] != expected:
                raise FieldError("version", f"is {event['version']}; the stream "
                                            f"{event['stream_id']!r} is at version {expected - 1}")
            next_version[event["stream_id"]] = expected + 1
            fact_event = _checked_event(event)
            if isinstance(fact_event, ev.SettingChanged):
                country = _check_setting(fact_event, country)
        except FieldError as error:
            raise InvalidValue(f"{where}: field {error.field} {error.problem}") from None
        except ev.UnknownEventType:
            raise InvalidValue(f"{where}: field type {event['type'][:40]!r} is unknown to this "
                               "afterview: upgrade afterview") from None


def _check_stream_id(stream_id: str) -> None:
    from afterview.engine.domain.validation import FieldError

    if stream_id != PROFILE_STREAM and not is_usable_id(stream_id):
        raise FieldError("stream_id", f"{stream_id[:40]!r} is not an application id (lowercase "
                                      "letters, digits, dots, dashes; at most 80)")


def _checked_event(event: JsonObject) -> ev.Event:
    from afterview.engine.domain.validation import FieldError, check_event

    type_name, schema = event["type"], event["schema_version"]
    cls = ev.EVENT_TYPES.get(type_name)
    if cls is None:
        raise ev.UnknownEventType(type_name)
    current: int = cls.SCHEMA_VERSION
    if not 1 <= schema <= current:
        raise FieldError("schema_version", f"is {schema}; {type_name} has versions 1 to {current}")
    in_profile = event["stream_id"] == PROFILE_STREAM
    if in_profile != (type_name in ev.PROFILE_EVENT_TYPES):
        raise FieldError("type", f"{type_name} does not belong in "
                                 + ("the settings" if in_profile else "an application"))
    try:
        data = ev.upcast(type_name, schema, dict(event["data"]))
    except (KeyError, TypeError, ValueError, AttributeError) as error:
        raise FieldError("data", f"cannot be lifted from schema version {schema} "
                                 f"({type(error).__name__})") from None
    return check_event(type_name, data)


def _check_setting(setting: ev.SettingChanged, country: str | None) -> str | None:
    """A setting as ``config set`` stores it, valid on this machine; the country after it."""
    from afterview.engine.domain.calendar import CalendarError, validate_subdivision
    from afterview.engine.domain.settings import KEYS, normalise
    from afterview.engine.domain.validation import FieldError

    key, value = setting.key, setting.value
    if key not in KEYS:
        raise FieldError("data.key", f"{key[:40]!r} is not a setting")
    try:
        stored = normalise(key, "" if value is None else value)
        if key == "subdivision" and value is not None:
            if country is None:
                raise InvalidValue("is set while no country is")
            stored = validate_subdivision(country, value)
    except (InvalidValue, CalendarError) as error:
        raise FieldError("data.value", f"{_short(value)} cannot be used for {key}: {error}") from None
    if stored != value:
        raise FieldError("data.value", f"{_short(value)} is not {key} as afterview stores it "
                                       f"({_short(stored)})")
    return value if key == "country" else country


def _short(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 42 else text[:39] + "..."


def _check_history(engine: Engine, wanted: list[JsonObject],
                   name: str) -> dict[str, tuple[Application, dict[str, int]]]:
    """Replay each application that gains events, its events here and then the imported
    ones, through the lifecycle: an impossible history (accepted without an offer, a fact
    before the submission, a correction of nothing) is refused. Returns each such
    application as it would be, with the positions of its imported events."""
    from afterview.engine.domain import lifecycle
    from afterview.engine.domain.state import Fact, effective, evolve
    from afterview.engine.service.projections import to_fact

    by_stream: dict[str, list[tuple[int, Fact]]] = {}
    for event in wanted:
        if event["stream_id"] == PROFILE_STREAM:
            continue
        fact = Fact(event["stream_id"], event["event_id"],
                    datetime.fromisoformat(event["occurred_at"]),
                    ev.from_data(event["type"], event["schema_version"], event["data"]))
        by_stream.setdefault(event["stream_id"], []).append((event["position"], fact))
    replayed: dict[str, tuple[Application, dict[str, int]]] = {}
    for stream_id, imported in by_stream.items():
        here = [(0, to_fact(stored)) for stored in engine.store.read_stream(stream_id)]
        position_of = {fact.event_id: position for position, fact in [*here, *imported]}
        facts = [fact for _, fact in [*here, *imported]]
        seen: dict[str, Fact] = {}
        for fact in facts:
            if isinstance(fact.event, ev.EventVoided):
                target = seen.get(fact.event.event_id)
                if target is None or isinstance(target.event, ev.EventVoided | ev.ApplicationSubmitted):
                    _impossible(name, position_of[fact.event_id], fact,
                                "voids an event that is not an earlier fact of this application")
            seen[fact.event_id] = fact
        app = Application(stream_id)
        for fact in effective(facts):
            type_name = fact.event.TYPE
            if app.state == lifecycle.NEW and type_name != "ApplicationSubmitted":
                _impossible(name, position_of[fact.event_id], fact,
                            f"comes before {stream_id} was submitted")
            if type_name in lifecycle.LIFECYCLE_TRIGGERS and (app.state, type_name) not in lifecycle.TABLE:
                _impossible(name, position_of[fact.event_id], fact,
                            f"is not possible when {stream_id} is {app.state}")
            evolve(app, fact)
        replayed[stream_id] = (app, position_of)
    return replayed


def _check_one_acceptance(engine: Engine, wanted: list[JsonObject],
                          replayed: dict[str, tuple[Application, dict[str, int]]],
                          name: str, versions: dict[str, int | None]) -> None:
    """At most one accepted application, imports too: an import that would leave a second
    application accepted is refused. When it brings an acceptance, the append expects the
    version of every other application it read, so a concurrent ``accept`` cannot slip in
    between (as for the ``accept`` command)."""
    from afterview.engine.domain import lifecycle

    brought = [event for event in wanted if event["type"] == "OfferAccepted"
               and replayed[event["stream_id"]][0].state == lifecycle.ACCEPTED]
    if not brought:
        return
    others = [a for a in engine.applications() if a.id not in replayed]
    versions.update({other.id: other.version for other in others})
    accepted = [a.id for a in others if a.state == lifecycle.ACCEPTED]
    accepted += [app.id for app, _ in replayed.values() if app.state == lifecycle.ACCEPTED]
    if len(accepted) > 1:
        event = brought[0]
        other = next(a for a in accepted if a != event["stream_id"])
        raise InvalidValue(
            f"{name}: event at position {event['position']} (OfferAccepted): it would leave "
            f"{event['stream_id']!r} accepted while {other!r} is accepted too: withdraw that "
            "one first (void its acceptance); at most one application is accepted, so "
            "nothing was imported")


def _impossible(name: str, position: int, fact: Fact, why: str) -> None:
    where = f"event at position {position}" if position else "an event here"
    raise InvalidValue(f"{name}: {where} ({fact.event.TYPE}): field type {why}: the backup's "
                       "history is impossible; nothing was imported")


def _new_in_stream(engine: Engine, stream_id: str, exported: list[JsonObject],
                   name: str) -> list[JsonObject]:
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
    are skipped, so importing the same file twice adds nothing.

    Everything is checked before anything is appended (the envelope, the hash chain, every
    field, the settings, the lifecycle replayed with this log's events): the first bad
    event is named by its position and field, and nothing is appended."""
    events = read_export(text, name)
    _check_content(events, name, engine.settings.country)
    by_stream: dict[str, list[JsonObject]] = {}
    for event in events:
        by_stream.setdefault(event["stream_id"], []).append(event)

    def once() -> tuple[list[JsonObject], Pending]:
        wanted: list[JsonObject] = []
        versions: dict[str, int | None] = {}
        for stream_id, exported in by_stream.items():
            missing = _new_in_stream(engine, stream_id, exported, name)
            if missing and stream_id != PROFILE_STREAM:
                versions[stream_id] = missing[0]["version"] - 1
            wanted += missing
        wanted.sort(key=lambda event: event["position"])
        replayed = _check_history(engine, wanted, name)
        _check_one_acceptance(engine, wanted, replayed, name, versions)
        return wanted, Pending(_exported_rows(wanted, name), versions, engine.now())

    # A concurrent writer moved a stream: look again.
    wanted = engine.work.run(once, gave_up=IMPORT_KEPT_CHANGING)
    progress(len(events))
    streams = sorted({e["stream_id"] for e in wanted if e["stream_id"] != PROFILE_STREAM})
    return ImportResult(len(wanted), len(events) - len(wanted), streams, [])


def _exported_rows(wanted: list[JsonObject], name: str) -> list[NewEvent]:
    """The exported events as they are appended here: ids, data and metadata kept, the
    export's own position, time and hash remembered in ``metadata.imported``."""
    rows = []
    for event in wanted:
        metadata = dict(event["metadata"])
        metadata.setdefault("imported", {
            "file": Path(name).name, "position": event["position"],
            "recorded_at": event["recorded_at"], "hash": event["hash"],
        })
        rows.append(NewEvent(event["stream_id"], event["event_id"], event["type"],
                             event["schema_version"], event["data"], metadata, event["occurred_at"]))
    return rows


# ---------------------------------------------------------------------------
# CSV export: one row per application

CSV_COLUMNS = (
    "id", "company", "role", "state", "applied_at", "state_since", "updated_at", "source", "url",
    "location", "contacts", "offer_currency", "offer_base", "offer_first_year_total",
    "counter_base",
)


def _first_year_total(terms: ev.OfferTerms) -> Decimal:
    from afterview.engine.domain.offers import total_compensation

    return total_compensation(terms).first_year_total


def application_row(app: Application) -> JsonObject:
    """The CSV row of one application (the spreadsheet import reads these columns back)."""
    terms = app.offer.terms if app.offer else None
    counters = [r for r in app.rounds if r.side == "counter"]
    return {
        "id": app.id, "company": app.company, "role": app.role, "state": app.state,
        "applied_at": _iso(app.applied_at), "state_since": _iso(app.updated_at),
        "updated_at": _iso(app.last_event_at), "source": app.source, "url": app.url,
        "location": app.location, "contacts": "; ".join(c.name for c in app.contacts),
        "offer_currency": terms.currency if terms else None,
        "offer_base": terms.base if terms else None,
        "offer_first_year_total": _first_year_total(terms) if terms else None,
        "counter_base": counters[-1].given_terms.base if counters else None,
    }


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat()


def export_csv(engine: Engine, out: TextIO, *, progress: Progress = no_progress) -> int:
    """One row per application, ordered by when it was submitted; the number of rows."""
    apps = sorted(engine.applications(), key=lambda a: (a.applied_at or datetime.min, a.id))
    writer = csv.DictWriter(out, fieldnames=CSV_COLUMNS, lineterminator="\n")
    writer.writeheader()
    for app in apps:
        writer.writerow({k: "" if v is None else formula_safe(v)
                         for k, v in application_row(app).items()})
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
          skipped: list[str]) -> list[tuple[datetime, int, int, SheetRow, str, ev.Event]]:
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
        app_id = wanted if wanted and batch.ids.claim(wanted) else batch.ids.new(row.company, row.role)
        for step, (event, at) in enumerate(row_facts(row, batch.now)):
            plan.append((at, order, step, row, app_id, event))
    # A row's own facts never go back in time, so this keeps each row's order.
    return sorted(plan, key=lambda item: item[:3])


def _dismiss_overdue(batch: Batch, file_name: str) -> None:
    scheduled = [(f.stream_id, f.event) for f in batch.facts if isinstance(f.event, ev.TaskScheduled)]
    for stream_id, event in scheduled:
        app = batch.apps[stream_id]
        task = app.tasks.get(event.task_id)
        if app.is_terminal and task is not None and task.is_open and task.due_at <= batch.now:
            batch.dismiss(stream_id, task.id, "imported after it fell due, and it has ended",
                          {"import": {"file": file_name}})
