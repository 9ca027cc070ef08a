"""The read model: every application's folded state kept in the store beside the log.

Written in the same transaction as the events (``append``, the one function every writer
appends through), from the same fold that replay uses (``state.rebuild``/``evolve``), and
read instead of replaying the log. It is a cache, never a source of truth: a projection of
another version, behind the log's head, or with rows missing is rebuilt from the log
(``rebuild``); a row that does not decode is rebuilt too; ``check`` compares every row with
a fresh fold for ``verify``. See docs/store.md ("Projections") and docs/performance.md.
"""

from __future__ import annotations

import contextlib
import gc
import json
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from datetime import UTC, datetime

from afterview.engine.domain import snapshot
from afterview.engine.domain.lifecycle import LIFECYCLE_TRIGGERS, NEW, TABLE
from afterview.engine.domain.state import (
    PROFILE_STREAM,
    Application,
    Fact,
    Listing,
    Summary,
    effective,
    evolve,
    rebuild,
)
from afterview.engine.domain.values import JsonValue
from afterview.engine.store.base import (
    EventStore,
    NewEvent,
    ProjectedApplication,
    ReplayRow,
    RowReader,
    StoredEvent,
    StreamReader,
)

PROJECTION_VERSION = 5  # 2: tags, priority, job description, salary range, referral, thanked;
#                         3: the summary column (what the board shows);
#                         4: the last change of state as its type and event id, not the fact;
#                         5: whether a fact of the stream was voided (has_voids)
"""Bumped whenever the fold or the row's shape changes: a store holding another version
rebuilds its projections on open."""

Progress = Callable[[int], None]
"""Told how many events a rebuild has folded so far."""

ProgressFor = Callable[[int], Progress | None]
"""Given the number of events a rebuild will fold, its Progress (or None: nothing shown)."""

_PROGRESS_EVERY = 2000
# No check for circular references: a snapshot is a tree of fresh lists and dicts.
_encode = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False, allow_nan=False,
                           check_circular=False).encode


def to_fact(stored: StoredEvent) -> Fact:
    """A stored row as a domain fact (upcast to the current schema)."""
    from afterview.engine.domain import events as ev  # only what folds loads the events

    return Fact(
        stored.stream_id,
        stored.event_id,
        datetime.fromisoformat(stored.occurred_at),
        ev.from_data(stored.type, stored.schema_version, stored.data),
        datetime.fromisoformat(stored.recorded_at),
        stored.version,
    )


@contextlib.contextmanager
def replaying_everything() -> Iterator[None]:
    """Pause the cyclic garbage collector while the whole log is replayed.

    Replay keeps several tracked objects per event alive until it ends and makes no reference
    cycle, so every collection would only rescan a heap that keeps growing: at 100,000 events
    that was a third of a full replay (docs/performance.md). Memory is still freed by
    reference counting, and the collector resumes afterwards if it was running."""
    was_running = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_running:
            gc.enable()


# ---------------------------------------------------------------------------
# Writing: in the append's transaction


def _utc(value: datetime) -> str:
    """Sortable text for a time, whatever offset it was entered with."""
    return value.astimezone(UTC).isoformat()


def projected(app: Application, position: int) -> ProjectedApplication:
    """The projection row of a folded application, current at ``position``. A discarded
    application (entered by mistake) has no open tasks or coming interviews to show."""
    shown = app.discarded is None
    row, summary = snapshot.encode_with_summary(app)
    return ProjectedApplication(
        app.id,
        position,
        _encode(row),
        _encode(summary),
        tuple((task.id, _utc(task.due_at), task.fired)
              for task in app.tasks.values() if task.is_open and shown),
        tuple((interview.round, _utc(interview.scheduled_for))
              for interview in app.interviews
              if shown and interview.pending and interview.scheduled_for is not None),
    )


class ApplicationProjector:
    """Folds the streams an append touches, inside the append's transaction, with the fold
    replay uses (``evolve``): the new events onto the stream's projection row as it stood,
    when that row is exactly the stream before them; otherwise (no row, a row of an older
    version of the stream, a void in the stream or among the new events) the whole stream
    again through ``state.rebuild``. Either way an append costs the same however long the
    application's history, except where a void makes the replay necessary."""

    version = PROJECTION_VERSION

    def __call__(self, new_events: list[StoredEvent], read_stream: StreamReader,
                 read_row: RowReader) -> list[ProjectedApplication]:
        by_stream: dict[str, list[StoredEvent]] = {}
        for stored in new_events:
            if stored.stream_id != PROFILE_STREAM:
                by_stream.setdefault(stored.stream_id, []).append(stored)
        rows = []
        for stream_id, added in by_stream.items():
            app = _carried_on(read_row(stream_id), stream_id, added)
            if app is None:
                facts = [to_fact(stored) for stored in [*read_stream(stream_id), *added]]
                app = rebuild(stream_id, facts)
            rows.append(projected(app, added[-1].position))
        return rows


def _carried_on(data: str | None, stream_id: str,
                added: list[StoredEvent]) -> Application | None:
    """The stream's row with ``added`` folded onto it; None when only a replay will do."""
    if data is None or any(stored.type == "EventVoided" for stored in added):
        return None
    try:
        app = snapshot.decode(json.loads(data))
    except (snapshot.SnapshotError, TypeError, ValueError):
        return None  # a row that does not decode is replaced by the replay's
    if app.id != stream_id or app.has_voids or app.version != added[0].version - 1:
        return None
    for stored in added:
        evolve(app, to_fact(stored))
    app.version = added[-1].version
    return app


PROJECTOR = ApplicationProjector()


def append(store: EventStore, events: Sequence[NewEvent], *,
           expected_versions: Mapping[str, int | None], recorded_at: str,
           progress: Callable[[int], Progress | None] | None = None) -> list[StoredEvent]:
    """Append events with their projection rows in the same transaction: every writer of
    the engine (commands, the daemon's firings, Batch, the JSON import) appends here.

    Stale projections are rebuilt first (as a read would), so that this append moves them
    on to the new head instead of leaving them behind it."""
    ReadModel(store, progress).current()
    return store.append(events, expected_versions=expected_versions, recorded_at=recorded_at,
                        projector=PROJECTOR)


# ---------------------------------------------------------------------------
# Rebuilding: one streaming pass over the log


class Findings:
    """What a checking fold (``verify``) found in the log, by event id: facts that cannot be
    read, and per stream the first fact the lifecycle does not allow or that cannot be
    folded (that stream is then left out of the fold)."""

    def __init__(self) -> None:
        self.unreadable: dict[str, str] = {}  # event id -> what is wrong with it
        self.broken: dict[str, tuple[str, str]] = {}  # stream -> (event id, what is wrong)

    def fold(self, app: Application, fact: Fact) -> bool:
        """Fold ``fact`` into ``app`` if the lifecycle allows it and it folds; otherwise
        note why (the stream is broken from there on) and answer False."""
        if not self.allowed(app, fact):
            return False
        try:
            evolve(app, fact)
        except UNFOLDABLE as error:
            self.unfoldable(app, fact, error)
            return False
        return True

    def allowed(self, app: Application, fact: Fact) -> bool:
        """Whether the lifecycle allows ``fact`` in the state ``app`` is in (noted if not)."""
        type_name = fact.event.TYPE
        if type_name in LIFECYCLE_TRIGGERS and (app.state, type_name) not in TABLE:
            self.broken[app.id] = (fact.event_id, f"{type_name} is not allowed when {app.id} "
                                                  f"is {app.state}")
            return False
        return True

    def unfoldable(self, app: Application, fact: Fact, error: Exception) -> None:
        # A fact that cannot be folded here (a setting moved into an application, data
        # edited into another shape) is a finding, not a reason to stop.
        self.broken[app.id] = (fact.event_id, f"{fact.event.TYPE} cannot be replayed in "
                                              f"{app.id} ({type(error).__name__})")

    def fold_stream(self, stream_id: str, stored: list[StoredEvent]) -> Application | None:
        """The fold of one whole stream (voids applied), or None if it is broken."""
        facts = []
        for row in stored:
            try:
                facts.append(to_fact(row))
            except UNREADABLE as error:
                self.unreadable.setdefault(row.event_id, f"unreadable {row.type} ({error})")
        app = Application(stream_id)
        kept = effective(facts)
        if not all(self.fold(app, fact) for fact in kept):
            return None
        # With a void, rebuild also renumbers the tasks, so it gives the fold itself.
        return app if len(kept) == len(facts) else rebuild(stream_id, facts)


UNREADABLE = (TypeError, ValueError, KeyError, AttributeError)
"""What building a fact from a stored row raises when the row is not one this version reads
(an unknown type is an ``events.UnknownEventType``, a ValueError)."""

UNFOLDABLE = (KeyError, TypeError, ValueError, AttributeError)
"""What folding a fact raises when it does not fit the application (verify names it)."""


def fold_log(store: EventStore, progress: Progress | None = None,
             findings: Findings | None = None,
             rows: Iterable[ReplayRow] | None = None) -> dict[str, Application]:
    """Every stream's application, folded in one pass over the log: only the applications
    are kept, never the events. A stream with a void is replayed again on its own at the
    end, since a void changes which of its earlier facts count (``state.effective``).

    With ``findings`` (verify), the fold also checks every fact against the lifecycle and
    notes the facts it cannot read or fold instead of raising; a stream found broken is
    left out of the applications returned. ``rows`` are the log as ``read_for_replay``
    gives it (verify hands over the rows its chain check reads), by default read here."""
    apps: dict[str, Application] = {}
    voided: set[str] = set()
    skipped: set[str] = set()  # voided (folded at the end) or broken
    from afterview.engine.domain.events import from_data

    parse = datetime.fromisoformat
    # The events of one command share their times: a time equal to the previous row's is
    # not parsed again (datetimes are immutable, so sharing one is safe).
    occurred_text = recorded_text = ""
    occurred = recorded = datetime.min
    count = 0
    with replaying_everything():
        for (stream_id, version, event_id, type_name, schema, data, occurred_at,
             recorded_at) in (store.read_for_replay() if rows is None else rows):
            count += 1
            if progress is not None and not count % _PROGRESS_EVERY:
                progress(count)
            if stream_id == PROFILE_STREAM:
                continue
            if type_name == "EventVoided":
                voided.add(stream_id)
                skipped.add(stream_id)
                continue
            if stream_id in skipped:
                continue
            try:
                if occurred_at != occurred_text:
                    occurred, occurred_text = parse(occurred_at), occurred_at
                if recorded_at != recorded_text:
                    recorded, recorded_text = parse(recorded_at), recorded_at
                event = from_data(type_name, schema, data)
            except UNREADABLE as error:
                if findings is None:
                    raise
                findings.unreadable[event_id] = f"unreadable {type_name} ({error})"
                continue
            app = apps.get(stream_id)
            if app is None:
                app = apps[stream_id] = Application(stream_id)
            fact = Fact(stream_id, event_id, occurred, event, recorded, version)
            if findings is not None and type_name in LIFECYCLE_TRIGGERS and (
                    app.state, type_name) not in TABLE and not findings.allowed(app, fact):
                skipped.add(stream_id)
                continue
            try:
                evolve(app, fact)
            except UNFOLDABLE as error:
                if findings is None:
                    raise
                findings.unfoldable(app, fact, error)
                skipped.add(stream_id)
        for stream_id in voided:
            if findings is None:
                apps[stream_id] = rebuild(
                    stream_id, [to_fact(s) for s in store.read_stream(stream_id)])
                continue
            findings.broken.pop(stream_id, None)  # a void can change what the stream allows
            app = findings.fold_stream(stream_id, store.read_stream(stream_id))
            if app is not None:
                apps[stream_id] = app
        if findings is not None:
            for stream_id in findings.broken:
                apps.pop(stream_id, None)
    if progress is not None:
        progress(count)
    return apps


def rebuild_projections(store: EventStore, progress: Progress | None = None) -> int:
    """Rebuild every projection row from the log; how many applications it holds. The
    projections are stamped with the head read first: if the log moved on meanwhile, the
    next read finds them behind and rebuilds again."""
    position = store.head()[0]
    apps = fold_log(store, progress)
    with replaying_everything():  # thousands of rows built: no cycles, a growing heap
        store.replace_projections((projected(app, position) for app in apps.values()),
                                  version=PROJECTION_VERSION, position=position)
    return len(apps)


# ---------------------------------------------------------------------------
# Reading


class ReadModel:
    """The applications as the projections hold them, rebuilt when they are stale. Each
    read answers None when there is nothing to read from (a backend without projections,
    or a row that still does not decode after a rebuild): the caller then replays."""

    def __init__(self, store: EventStore, progress: ProgressFor | None = None):
        self.store = store
        self._progress = progress  # given the number of events, a progress callback (or None)

    def current(self) -> bool:
        """Whether there are projections to read, rebuilding them first if stale."""
        status = self.store.projection_status()
        if status is None:
            return False
        head = self.store.head()[0]
        if status.version != PROJECTION_VERSION or status.position != head:
            self.rebuild()
        return True

    def rebuild(self) -> int:
        progress = None if self._progress is None else self._progress(self.store.head()[0])
        return rebuild_projections(self.store, progress)

    def applications(self) -> list[Application] | None:
        """Every application (those with no fact of their own left out), by id."""
        return self._every(snapshot.decode)

    def summaries(self) -> list[Summary] | None:
        """What the board shows of every application, by id, from the summary column."""
        return self._every(snapshot.decode_summary, summaries=True)

    def applications_of(self, stream_ids: Sequence[str]) -> list[Application] | None:
        """These applications (ids as they are), by id."""
        return self._every(snapshot.decode, stream_ids=sorted(set(stream_ids)))

    def _every(self, decode: Callable[[JsonValue], Listing], *, summaries: bool = False,
               stream_ids: Sequence[str] | None = None) -> list[Listing] | None:
        if not self.current():
            return None
        for attempt in range(2):
            status = self.store.projection_status()
            rows = self.store.read_projections(stream_ids, summaries=summaries)
            try:
                if status is None or len(rows) != (
                        status.rows if stream_ids is None else len(stream_ids)):
                    raise snapshot.SnapshotError("projection rows are missing")
                return [app for app in (_decode_row(row, decode) for row in rows)
                        if app.state != NEW]
            except snapshot.SnapshotError:
                if attempt == 0:
                    self.rebuild()
        return None

    def application(self, stream_id: str) -> Application | None:
        """One application; None when its row is missing or does not decode."""
        return self._one(stream_id, snapshot.decode)

    def summary(self, stream_id: str) -> Summary | None:
        """What the board shows of one application; None as for ``application``."""
        return self._one(stream_id, snapshot.decode_summary, summaries=True)

    def _one(self, stream_id: str, decode: Callable[[JsonValue], Listing], *,
             summaries: bool = False) -> Listing | None:
        if not self.current():
            return None
        rows = self.store.read_projections([stream_id], summaries=summaries)
        try:
            return _decode_row(rows[0], decode) if rows else None
        except snapshot.SnapshotError:
            return None


def _decode_row(row: tuple[str, str], decode: Callable[[JsonValue], Listing]) -> Listing:
    stream_id, text = row
    try:
        data = json.loads(text)
    except (TypeError, ValueError) as error:
        raise snapshot.SnapshotError(f"the row of {stream_id} is not JSON") from error
    app = decode(data)
    if app.id != stream_id:
        raise snapshot.SnapshotError(f"the row of {stream_id} holds {app.id}")
    return app


# ---------------------------------------------------------------------------
# Verifying


def check(store: EventStore, fresh: Mapping[str, Application]) -> tuple[bool | None, list[str]]:
    """Whether the projections are current (None: this backend keeps none) and every
    difference between their rows and ``fresh`` (a fold of the whole log), named by
    application and field. Projections behind the log or of another version are not
    compared: the next command rebuilds them."""
    status = store.projection_status()
    if status is None:
        return None, []
    if status.version != PROJECTION_VERSION or status.position != store.head()[0]:
        return False, []
    with replaying_everything():  # thousands of rows encoded: no cycles, a growing heap
        problems = _row_problems(dict(store.read_projections()),
                                 dict(store.read_projections(summaries=True)), fresh)
    return True, problems + _task_problems(store, fresh)


def _row_problems(stored: dict[str, str], summaries: dict[str, str],
                  fresh: Mapping[str, Application]) -> list[str]:
    problems = []
    for stream_id, app in sorted(fresh.items()):
        text = stored.pop(stream_id, None)
        if text is None:
            problems.append(f"projection of {stream_id}: the row is missing")
            continue
        row, summary = snapshot.encode_with_summary(app)
        for part, found, encoded in (("row", text, row), ("summary", summaries[stream_id], summary)):
            if found == _encode(encoded):  # what a rebuild would write: nothing to name
                continue
            try:
                data: JsonValue = json.loads(found)
            except (TypeError, ValueError):
                problems.append(f"projection of {stream_id}: the {part} is not JSON")
                continue
            prefix = "summary." if part == "summary" else ""  # a field of the summary
            fields = snapshot.differences(data, encoded)
            if fields:
                problems.append(f"projection of {stream_id} differs from the log in: "
                                f"{', '.join(prefix + field for field in fields)}")
    return problems + [f"projection of {stream_id}: no such application in the log"
                       for stream_id in sorted(stored)]


def _task_problems(store: EventStore, fresh: Mapping[str, Application]) -> list[str]:
    wanted = {(task.id, app.id, _utc(task.due_at), task.fired)
              for app in fresh.values() for task in app.tasks.values() if task.is_open}
    found = {row[:4] for row in store.read_open_tasks()}
    problems = [f"open-task projection of {app_id}: task {task_id} is missing or differs"
                for task_id, app_id, _, _ in sorted(wanted - found)]
    problems += [f"open-task projection of {app_id}: task {task_id} is not open in the log"
                 for task_id, app_id, _, _ in sorted(found - wanted)]
    return problems
