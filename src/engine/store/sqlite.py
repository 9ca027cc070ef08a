"""The SQLite event store: one append-only, hash-chained table in a private file.

Appends take the write lock up front (``BEGIN IMMEDIATE``) so the CLI and the daemon can
write at once without losing an append. The schema is created by a migration that uses
sqlite-utils; it is imported only when a migration runs, so opening a current database
stays fast.
"""

from __future__ import annotations

import collections
import os
import sqlite3
import threading
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path

from afterview.engine.store.base import (
    GENESIS_HASH,
    ChainReport,
    ClosesOnExit,
    DuplicateEventError,
    NewEvent,
    Projector,
    Replay,
    ReplayRow,
    StoredEvent,
    StoreError,
    StoreOpenError,
)
from afterview.engine.store.chain import (
    Row,
    audit_rows,
    canonical_json,
    decode_json,
    encode_batch,
    event_hash,
    link,
    prefix_bounds,
    stored_event,
)
from afterview.engine.store.sqlite_file import (
    BUSY_MESSAGE,
    COLUMN_NAMES,
    SCHEMA_VERSION,
    TRIGGERS,
    connect,
    create_private_file,
    inspect,
    is_busy,
    migrate,
    needs_migration,
    refuse_if_unusable,
    sqlite_errors,
    write_transaction,
)
from afterview.engine.store.sqlite_projections import SQLiteProjections

_READ_CHUNK = 2000

__all__ = ["BUSY_MESSAGE", "SCHEMA_VERSION", "SQLiteStore", "canonical_json", "event_hash"]


def _undecodable(error: BaseException | None) -> bool:
    """Whether SQLite could not read a text column as UTF-8."""
    return isinstance(error, sqlite3.OperationalError) and "decode" in str(error)


def _lenient_text(raw: bytes) -> str:
    """Tampered bytes that are not UTF-8 are still read, so the audit can name their row."""
    return raw.decode("utf-8", "surrogateescape")


_COLUMNS = ", ".join(COLUMN_NAMES)
_SELECT = f"SELECT {_COLUMNS} FROM events"
_SELECT_REPLAY = ("SELECT position, stream_id, version, event_id, type, schema_version, data, "
                  "occurred_at, recorded_at FROM events")
_INSERT = f"INSERT INTO events ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
_HEAD = "SELECT position, hash FROM events ORDER BY position DESC LIMIT 1"
_STREAM_VERSION = "SELECT version FROM events WHERE stream_id = ? ORDER BY version DESC LIMIT 1"


# How many stores this process holds open on each database file (see SQLiteStore._open).
_OPEN_LOCK = threading.Lock()
_OPEN_HERE: collections.Counter[str] = collections.Counter()


class SQLiteStore(SQLiteProjections, ClosesOnExit):
    """The event store in one SQLite file; see the module docstring."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        self._key = str(self.path.resolve())
        self._closed = False
        with _OPEN_LOCK:
            self._open()
            _OPEN_HERE[self._key] += 1

    def _open(self) -> None:
        # Reading the file with Python's open()/close() (as sqlite_file.inspect does) drops every POSIX
        # lock this process holds on it, its SQLite connections' included; another process
        # could then delete the WAL under them ("How To Corrupt", 2.2). Once the file is
        # open in this process, only SQLite touches it.
        inspected = not _OPEN_HERE[self._key]
        try:
            is_new = refuse_if_unusable(self.path)
            migrating = inspected and (is_new or needs_migration(self.path, inspect(self.path)))
            if is_new and inspected:
                create_private_file(self.path)
                os.chmod(self.path, 0o600)  # an empty file someone made may be 0644
            self._conn = connect(self.path)
        except OSError as exc:
            raise StoreOpenError(f"cannot open {self.path}: {exc.strerror}") from exc
        except sqlite3.Error as exc:
            if is_busy(exc):
                raise StoreError(BUSY_MESSAGE) from exc
            raise StoreOpenError(f"cannot open {self.path}: SQLite says {exc}") from exc
        if migrating:
            try:
                with sqlite_errors:
                    migrate(self._conn, self.path)
            except BaseException:
                self._conn.close()
                raise

    def close(self) -> None:
        with _OPEN_LOCK:
            if not self._closed:
                self._conn.close()
                self._closed = True
                _OPEN_HERE[self._key] -= 1

    def append(
        self,
        events: Sequence[NewEvent],
        *,
        expected_versions: Mapping[str, int | None],
        recorded_at: str,
        projector: Projector | None = None,
    ) -> list[StoredEvent]:
        """Append atomically across streams under the write lock, with the projector's rows
        in the same transaction; see EventStore.append."""
        encoded = encode_batch(events)
        conn = self._conn
        if projector is not None:
            self._ensure_projection_tables()
        try:
            with write_transaction(conn):
                head = self._head()
                rows = link(encoded, expected_versions, recorded_at, head=head,
                            version_of=self._version)
                if projector is not None and rows:
                    # Folded before the insert, so that the streams it reads are as they
                    # stood before these events (the projector folds them on top).
                    projected = projector([stored_event(row) for row in rows], self.read_stream,
                                          self._projection_data)
                conn.executemany(_INSERT, rows)
                if projector is not None and rows:
                    self._write_projections(projected, projector.version, head[0], rows[-1][0])
        except StoreError as error:
            if isinstance(error.__cause__, sqlite3.IntegrityError):  # rolled back already
                raise self._integrity_error(encoded, error.__cause__) from error.__cause__
            raise
        return [stored_event(row) for row in rows]

    def _integrity_error(self, encoded: list[Row], exc: Exception) -> StoreError:
        """DuplicateEventError for the first event already stored (the batch itself was
        checked before the lock), or a StoreError if a constraint failed otherwise."""
        sql = "SELECT 1 FROM events WHERE event_id = ?"
        for event in encoded:
            if self._conn.execute(sql, (event[1],)).fetchone():
                return DuplicateEventError(event[1])
        return StoreError(f"the event store refused the append: {exc}; run afterview verify")

    def _version(self, stream_id: str) -> int:
        row = self._conn.execute(_STREAM_VERSION, (stream_id,)).fetchone()
        return 0 if row is None else int(row[0])

    def _head(self) -> tuple[int, str]:
        row = self._conn.execute(_HEAD).fetchone()
        return (0, GENESIS_HASH) if row is None else (row[0], row[1])

    def read_stream(self, stream_id: str) -> list[StoredEvent]:
        with sqlite_errors:
            cursor = self._conn.execute(f"{_SELECT} WHERE stream_id = ? ORDER BY version", (stream_id,))
            return [stored_event(row) for row in cursor]

    def read_all(self, from_position: int = 0) -> Iterator[StoredEvent]:
        """Every event after ``from_position``, in order, read a chunk at a time. Each chunk
        is its own query, so no statement stays open while the caller works (or appends)."""
        sql = f"{_SELECT} WHERE position > ? ORDER BY position LIMIT {_READ_CHUNK}"
        position = from_position
        while True:
            with sqlite_errors:
                chunk = [stored_event(row) for row in self._conn.execute(sql, (position,))]
            yield from chunk
            if len(chunk) < _READ_CHUNK:
                return
            position = chunk[-1].position

    def read_for_replay(self, from_position: int = 0) -> Iterator[ReplayRow]:
        """Like read_all, but only the columns replay uses, as plain tuples: the metadata and
        the two hashes are a quarter of a row's text, and replay never reads them."""
        sql = f"{_SELECT_REPLAY} WHERE position > ? ORDER BY position LIMIT {_READ_CHUNK}"
        position = from_position
        while True:
            with sqlite_errors:
                rows = self._conn.execute(sql, (position,)).fetchall()
            if not rows:
                return
            position = rows[-1][0]
            with sqlite_errors:  # data that is not JSON: a StoreError, as read_all raises
                for (_, stream_id, version, event_id, type_name, schema, data, occurred_at,
                     recorded_at) in rows:
                    yield (stream_id, version, event_id, type_name, schema, decode_json(data),
                           occurred_at, recorded_at)
            if len(rows) < _READ_CHUNK:
                return

    def read_event(self, event_id: str) -> StoredEvent | None:
        with sqlite_errors:
            row = self._conn.execute(f"{_SELECT} WHERE event_id = ?", (event_id,)).fetchone()
            return None if row is None else stored_event(row)

    def stream_ids(self, prefix: str = "") -> list[str]:
        return self._distinct("stream_id", prefix)

    def event_ids(self, prefix: str) -> list[str]:
        return self._distinct("event_id", prefix)

    def _distinct(self, column: str, prefix: str) -> list[str]:
        low, high = prefix_bounds(prefix)
        where, params = (
            (f"{column} >= ?", [low]) if high is None else (f"{column} >= ? AND {column} < ?", [low, high])
        )
        sql = f"SELECT DISTINCT {column} FROM events WHERE {where} ORDER BY {column}"
        with sqlite_errors:
            return [row[0] for row in self._conn.execute(sql, params)]

    def stream_version(self, stream_id: str) -> int:
        with sqlite_errors:
            return self._version(stream_id)

    def head(self) -> tuple[int, str]:
        with sqlite_errors:
            return self._head()

    def change_token(self) -> int:
        """SQLite's ``PRAGMA data_version``: it moves when another connection commits."""
        with sqlite_errors:
            version: int = self._conn.execute("PRAGMA data_version").fetchone()[0]
            return version

    def check_chain(self, replay: Replay | None = None) -> ChainReport:
        """Recompute the chain from the stored columns (handing each row to ``replay`` as
        well); works with the triggers dropped."""
        try:
            return self._check_chain(replay)
        except StoreError as error:
            if replay is not None or not _undecodable(error.__cause__):
                raise
        # Bytes edited into a text column need not be UTF-8: read them anyway (their hash
        # cannot match), so that verify names the row instead of failing to read it. Only
        # then: a Python text factory costs a call per column, a third of reading a row.
        self._conn.text_factory = _lenient_text
        try:
            return self._check_chain(None)
        finally:
            self._conn.text_factory = str

    def _check_chain(self, replay: Replay | None) -> ChainReport:
        with sqlite_errors:
            audit = audit_rows(self._raw_rows(), replay)
            return audit.report(self._trigger_problems())

    def _raw_rows(self) -> Iterator[Row]:
        cursor = self._conn.execute(f"{_SELECT} ORDER BY position")
        while chunk := cursor.fetchmany(_READ_CHUNK):
            yield from chunk

    def _trigger_problems(self) -> list[str]:
        found = dict(
            self._conn.execute(
                "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'events'"
            ).fetchall()
        )
        if any(name not in found for name in TRIGGERS):
            return ["append-only triggers are missing"]
        if any(found[name].split() != sql.split() for name, sql in TRIGGERS.items()):
            return ["append-only triggers were altered"]
        return []
