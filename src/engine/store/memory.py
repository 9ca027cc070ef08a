"""The in-memory event store, for tests and simulations: the SQLite store's semantics
(expected versions, unique event ids, atomic appends across streams, the same hash chain)
with nothing on disk.

``open_store("memory:")`` gives a private log; ``open_store("memory:NAME")`` gives the log
that every store opened with that NAME in this process shares while one of them is open, as
connections share one SQLite file (the daemon opens one per firing). A lock per log makes it
safe to use from several threads.
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Iterable, Iterator, Mapping, Sequence

from afterview.engine.store.base import (
    GENESIS_HASH,
    ChainReport,
    ClosesOnExit,
    DuplicateEventError,
    NewEvent,
    ProjectedApplication,
    ProjectionStatus,
    Projector,
    Replay,
    ReplayRow,
    StoredEvent,
    StoreError,
)
from afterview.engine.store.chain import (
    Row,
    audit_rows,
    decode_json,
    encode_batch,
    link,
    stored_event,
)

CLOSED_MESSAGE = "the event store is closed"


class _Log:
    """One log: its rows in position order (row i holds position i + 1), with the indexes
    that SQLite's UNIQUE constraints give the other backend."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.rows: list[Row] = []
        self.by_event_id: dict[str, int] = {}  # event id -> row index
        self.by_stream: dict[str, list[int]] = {}  # stream id -> row indexes, by version
        self.commits = 0
        # The projections, as the SQLite store's tables hold them (a cache of folds).
        self.projected: dict[str, ProjectedApplication] = {}
        self.projection_status = ProjectionStatus(0, -1, 0)

    def head(self) -> tuple[int, str]:
        if not self.rows:
            return 0, GENESIS_HASH
        last = self.rows[-1]
        return last[0], last[11]

    def version(self, stream_id: str) -> int:
        return len(self.by_stream.get(stream_id, ()))

    def add(self, rows: list[Row]) -> None:
        for row in rows:
            index = len(self.rows)
            self.rows.append(row)
            self.by_event_id[row[3]] = index
            self.by_stream.setdefault(row[1], []).append(index)
        self.commits += 1


# The named logs that some open store holds; a log goes when its last store is closed.
_NAMED_LOCK = threading.Lock()
_NAMED: weakref.WeakValueDictionary[str, _Log] = weakref.WeakValueDictionary()


def _named_log(name: str) -> _Log:
    with _NAMED_LOCK:
        log = _NAMED.get(name)
        if log is None:
            log = _NAMED[name] = _Log()
        return log


class MemoryStore(ClosesOnExit):
    """The event store in this process's memory; see the module docstring."""

    def __init__(self, name: str = "") -> None:
        self.name = name
        self._log: _Log | None = _named_log(name) if name else _Log()

    def close(self) -> None:
        self._log = None

    def _open_log(self) -> _Log:
        log = self._log
        if log is None:
            raise StoreError(CLOSED_MESSAGE)
        return log

    def append(
        self,
        events: Sequence[NewEvent],
        *,
        expected_versions: Mapping[str, int | None],
        recorded_at: str,
        projector: Projector | None = None,
    ) -> list[StoredEvent]:
        """Append atomically across streams under the log's lock, with the projector's
        rows; see EventStore.append."""
        encoded = encode_batch(events)
        log = self._open_log()
        with log.lock:
            head = log.head()
            rows = link(encoded, expected_versions, recorded_at, head=head,
                        version_of=log.version)
            for row in rows:
                if row[3] in log.by_event_id:
                    raise DuplicateEventError(row[3])
            stored = [stored_event(row) for row in rows]
            if projector is not None and rows:
                projected = projector(stored, lambda stream_id: self._stream(log, stream_id),
                                      lambda stream_id: _data(log.projected.get(stream_id)))
            log.add(rows)
            if projector is not None and rows:
                self._project(log, projected, projector.version, head[0], rows[-1][0])
        return stored

    @staticmethod
    def _stream(log: _Log, stream_id: str) -> list[StoredEvent]:
        """One stream, read while the caller holds the log's lock."""
        return [stored_event(log.rows[index]) for index in log.by_stream.get(stream_id, ())]

    @staticmethod
    def _project(log: _Log, rows: list[ProjectedApplication], version: int, old_head: int,
                 new_head: int) -> None:
        added = sum(row.stream_id not in log.projected for row in rows)
        log.projected.update((row.stream_id, row) for row in rows)
        status = log.projection_status
        if status.version == version and status.position == old_head:
            log.projection_status = ProjectionStatus(version, new_head, status.rows + added)

    def read_stream(self, stream_id: str) -> list[StoredEvent]:
        log = self._open_log()
        with log.lock:
            return self._stream(log, stream_id)

    def _rows_after(self, from_position: int) -> list[Row]:
        log = self._open_log()
        with log.lock:
            return log.rows[max(from_position, 0):]

    def read_all(self, from_position: int = 0) -> Iterator[StoredEvent]:
        """Every event after ``from_position``, in order, as the log stood at the first read."""
        for row in self._rows_after(from_position):
            yield stored_event(row)

    def read_for_replay(self, from_position: int = 0) -> Iterator[ReplayRow]:
        for (_, stream_id, version, event_id, type_name, schema, data, _metadata,
             occurred_at, recorded_at, _prev, _hash) in self._rows_after(from_position):
            yield (stream_id, version, event_id, type_name, schema, decode_json(data),
                   occurred_at, recorded_at)

    def read_event(self, event_id: str) -> StoredEvent | None:
        log = self._open_log()
        with log.lock:
            index = log.by_event_id.get(event_id)
            row = None if index is None else log.rows[index]
        return None if row is None else stored_event(row)

    def stream_ids(self, prefix: str = "") -> list[str]:
        log = self._open_log()
        with log.lock:
            return sorted(s for s in log.by_stream if s.startswith(prefix))

    def event_ids(self, prefix: str) -> list[str]:
        log = self._open_log()
        with log.lock:
            return sorted(e for e in log.by_event_id if e.startswith(prefix))

    def stream_version(self, stream_id: str) -> int:
        log = self._open_log()
        with log.lock:
            return log.version(stream_id)

    def head(self) -> tuple[int, str]:
        log = self._open_log()
        with log.lock:
            return log.head()

    def change_token(self) -> int:
        """The number of appends committed to this log (by any store sharing it)."""
        log = self._open_log()
        with log.lock:
            return log.commits

    def check_chain(self, replay: Replay | None = None) -> ChainReport:
        """Recompute the chain from the stored rows, as the SQLite store does."""
        return audit_rows(self._rows_after(0), replay).report([])

    # -- projections ----------------------------------------------------------

    def projection_status(self) -> ProjectionStatus:
        log = self._open_log()
        with log.lock:
            return log.projection_status

    def read_projections(self, stream_ids: Sequence[str] | None = None, *,
                         summaries: bool = False) -> list[tuple[str, str]]:
        log = self._open_log()
        with log.lock:
            rows = log.projected.values() if stream_ids is None else [
                log.projected[s] for s in stream_ids if s in log.projected]
            return sorted((row.stream_id, row.summary if summaries else row.data)
                          for row in rows)

    def read_open_tasks(self, after_position: int = -1) -> list[tuple[str, str, str, bool, int]]:
        log = self._open_log()
        with log.lock:
            rows = list(log.projected.values())
        return sorted(
            ((task_id, row.stream_id, due_at, fired, row.position)
             for row in rows if row.position > after_position
             for task_id, due_at, fired in row.open_tasks),
            key=lambda task: (task[2], task[0]),
        )

    def projected_since(self, after_position: int) -> list[str]:
        log = self._open_log()
        with log.lock:
            return sorted(row.stream_id for row in log.projected.values()
                          if row.position > after_position)

    def read_interviews(self) -> list[tuple[str, int, str]]:
        log = self._open_log()
        with log.lock:
            rows = list(log.projected.values())
        return sorted(((row.stream_id, round_, at) for row in rows for round_, at in row.interviews),
                      key=lambda interview: (interview[2], interview[0]))

    def replace_projections(
        self, rows: Iterable[ProjectedApplication], *, version: int, position: int
    ) -> None:
        projected = {row.stream_id: row for row in rows}
        log = self._open_log()
        with log.lock:
            log.projected = projected
            log.projection_status = ProjectionStatus(version, position, len(projected))


def _data(row: ProjectedApplication | None) -> str | None:
    return None if row is None else row.data
