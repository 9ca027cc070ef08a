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
from collections.abc import Iterator, Mapping, Sequence

from afterview.engine.store.base import (
    GENESIS_HASH,
    ChainReport,
    ClosesOnExit,
    DuplicateEventError,
    NewEvent,
    ReplayRow,
    StoredEvent,
    StoreError,
)
from afterview.engine.store.chain import ChainAudit, Row, decode_json, encode_batch, link, stored_event

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
    ) -> list[StoredEvent]:
        """Append atomically across streams under the log's lock; see EventStore.append."""
        encoded = encode_batch(events)
        log = self._open_log()
        with log.lock:
            rows = link(encoded, expected_versions, recorded_at, head=log.head(),
                        version_of=log.version)
            for row in rows:
                if row[3] in log.by_event_id:
                    raise DuplicateEventError(row[3])
            log.add(rows)
        return [stored_event(row) for row in rows]

    def read_stream(self, stream_id: str) -> list[StoredEvent]:
        log = self._open_log()
        with log.lock:
            rows = [log.rows[index] for index in log.by_stream.get(stream_id, ())]
        return [stored_event(row) for row in rows]

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

    def check_chain(self) -> ChainReport:
        """Recompute the chain from the stored rows, as the SQLite store does."""
        audit = ChainAudit()
        for row in self._rows_after(0):
            audit.check(row)
        return audit.report([])
