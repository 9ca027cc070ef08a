"""The SQLite event store: one append-only, hash-chained table in a private file.

Appends take the write lock up front (``BEGIN IMMEDIATE``) so the CLI and the daemon can
write at once without losing an append. The schema is created by a migration that uses
sqlite-utils; it is imported only when a migration runs, so opening a current database
stays fast.
"""

from __future__ import annotations

import collections
import contextlib
import hashlib
import json
import os
import sqlite3
import threading
import time
import urllib.parse
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any

from engine.store import (
    GENESIS_HASH,
    ChainReport,
    ConcurrencyError,
    DuplicateEventError,
    NewEvent,
    StoredEvent,
    StoreError,
    StoreOpenError,
)

if TYPE_CHECKING:
    import sqlite_utils

APPLICATION_ID = 0x41667476  # "Aftv": marks the file as afterview's in its header
SCHEMA_VERSION = 1
BUSY_TIMEOUT_SECONDS = 10.0
BUSY_MESSAGE = "the database is busy: another afterview process is writing; try again"

_SQLITE_MAGIC = b"SQLite format 3\x00"
_READ_CHUNK = 2000
_MAX_PROBLEMS = 50

_COLUMN_NAMES = ("position", "stream_id", "version", "event_id", "type", "schema_version",
                 "data", "metadata", "occurred_at", "recorded_at", "prev_hash", "hash")  # fmt: skip
_COLUMNS = ", ".join(_COLUMN_NAMES)
_SELECT = f"SELECT {_COLUMNS} FROM events"
_INSERT = f"INSERT INTO events ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
_HEAD = "SELECT position, hash FROM events ORDER BY position DESC LIMIT 1"
_STREAM_VERSION = "SELECT version FROM events WHERE stream_id = ? ORDER BY version DESC LIMIT 1"
_TRIGGERS = {
    "events_no_update": "CREATE TRIGGER events_no_update BEFORE UPDATE ON events"
    " BEGIN SELECT RAISE(ABORT, 'afterview events are append-only'); END",
    "events_no_delete": "CREATE TRIGGER events_no_delete BEFORE DELETE ON events"
    " BEGIN SELECT RAISE(ABORT, 'afterview events are append-only'); END",
}

# Encoders built once: json.dumps with options builds a new encoder on every call.
_encode_json = json.JSONEncoder(
    sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
).encode
_encode_row = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False).encode
_decode_json = json.loads


def canonical_json(value: Any) -> str:
    """The exact text stored (and hashed) for an event's data or metadata."""
    return _encode_json(value)


def event_hash(prev_hash: str, row: Sequence[Any]) -> str:
    """The chain hash of a row: position, stream_id, version, event_id, type,
    schema_version, data text, metadata text, occurred_at, recorded_at."""
    return hashlib.sha256((prev_hash + _encode_row(list(row))).encode("utf-8")).hexdigest()


# ---------------------------------------------------------------------------
# Schema migrations: MIGRATIONS[n] lifts a database from user_version n to n + 1.


def _create_events(db: sqlite_utils.Database) -> None:
    columns: dict[str, type] = dict.fromkeys(_COLUMN_NAMES, str)
    columns.update(position=int, version=int, schema_version=int)
    not_null = [name for name in columns if name != "position"]
    table = db.create_table("events", columns, pk="position", not_null=not_null)
    table.create_index(["event_id"], index_name="events_event_id", unique=True)
    # Reading one application by version, and DISTINCT stream ids, both use this index.
    table.create_index(["stream_id", "version"], index_name="events_stream_version", unique=True)
    for sql in _TRIGGERS.values():
        db.execute(sql)


MIGRATIONS: list[Callable[[sqlite_utils.Database], None]] = [_create_events]
assert len(MIGRATIONS) == SCHEMA_VERSION


# ---------------------------------------------------------------------------
# Opening: every refusal happens before anything is written.


def _refuse_if_unusable(path: Path) -> bool:
    """Raise StoreOpenError unless ``path`` can be an afterview database; True if new."""
    if path.is_dir():
        raise StoreOpenError(
            f"{path} is a folder, not a database file; give a file path such as {path / 'afterview.db'}"
        )
    if not path.exists():
        _refuse_unwritable_ancestor(path)
        return True
    if not path.is_file():
        raise StoreOpenError(f"{path} is not a regular file; give the path of a database file")
    if not os.access(path.parent, os.W_OK | os.X_OK):
        raise StoreOpenError(
            f"the folder {path.parent} is not writable, and afterview keeps its journal "
            "files beside the database; make it writable or move the database"
        )
    if not os.access(path, os.R_OK | os.W_OK):
        raise StoreOpenError(
            f"{path} is not readable and writable by you; fix its permissions "
            "(afterview keeps it at mode 0600)"
        )
    return path.stat().st_size == 0


def _refuse_unwritable_ancestor(path: Path) -> None:
    ancestor = path.parent
    while not ancestor.exists():
        ancestor = ancestor.parent
    if not ancestor.is_dir():
        raise StoreOpenError(f"{ancestor} is a file, so {path} cannot be created under it")
    if not os.access(ancestor, os.W_OK | os.X_OK):
        raise StoreOpenError(
            f"cannot create {path}: the folder {ancestor} is not writable; choose a "
            "path in a folder you can write to"
        )


def _inspect(path: Path) -> tuple[int, int, int]:
    """application_id, user_version and schema object count, read without writing."""
    with path.open("rb") as file:
        header = file.read(len(_SQLITE_MAGIC))
    if header != _SQLITE_MAGIC:
        raise StoreOpenError(
            f"{path} is not an afterview database (it is not an SQLite file); give the "
            "path of an afterview database or of a file that does not exist yet"
        )
    uri = "file:" + urllib.parse.quote(str(path.resolve())) + "?mode=ro"
    # Without a -wal file the main file is complete: read it as immutable, so that
    # SQLite leaves no -wal/-shm files beside a database that may not be ours.
    if not Path(f"{path}-wal").exists():
        uri += "&immutable=1"
    try:
        conn = sqlite3.connect(uri, uri=True, timeout=BUSY_TIMEOUT_SECONDS)
        try:
            return _read_identity(conn)
        finally:
            conn.close()
    except sqlite3.Error as exc:
        raise StoreOpenError(
            f"{path} is not a usable afterview database (SQLite says: {exc}); give the "
            "path of an afterview database or of a file that does not exist yet"
        ) from exc


def _read_identity(conn: sqlite3.Connection) -> tuple[int, int, int]:
    app_id = conn.execute("PRAGMA application_id").fetchone()[0]
    user_version = conn.execute("PRAGMA user_version").fetchone()[0]
    objects = conn.execute("SELECT count(*) FROM sqlite_master").fetchone()[0]
    return app_id, user_version, objects


def _needs_migration(path: Path, identity: tuple[int, int, int]) -> bool:
    """True if the schema is older than this code; raise if the file is not ours."""
    app_id, user_version, objects = identity
    foreign = app_id != APPLICATION_ID and (app_id != 0 or objects or user_version)
    if foreign:
        raise StoreOpenError(
            f"{path} is not an afterview database (it is an SQLite database of another "
            "application); give the path of an afterview database or of a new file"
        )
    if user_version > SCHEMA_VERSION:
        raise StoreOpenError(
            f"{path} was written by a newer afterview (schema version {user_version}, "
            f"this one knows up to {SCHEMA_VERSION}); upgrade afterview to open it"
        )
    return user_version < SCHEMA_VERSION


def _create_private_file(path: Path) -> None:
    """Create the file 0600 and any missing folders 0700, whatever the umask."""
    missing = []
    folder = path.parent
    while not folder.exists():
        missing.append(folder)
        folder = folder.parent
    try:
        for folder in reversed(missing):
            _create_private_folder(folder)
        fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
    except FileExistsError:
        return  # another process created it at the same moment; migration re-checks
    except OSError as exc:
        raise StoreOpenError(
            f"cannot create {path} ({exc.strerror}); choose a path in a writable folder"
        ) from exc
    try:
        os.fchmod(fd, 0o600)  # os.open's mode is masked by the umask
    finally:
        os.close(fd)


def _create_private_folder(folder: Path) -> None:
    try:
        os.mkdir(folder, 0o700)
    except FileExistsError:
        return  # another process made it just now; not ours to chmod
    os.chmod(folder, 0o700)  # mkdir's mode is masked by the umask


def _connect(path: Path) -> sqlite3.Connection:
    # mode=rw: SQLite must never create the file itself, with the umask's permissions.
    uri = "file:" + urllib.parse.quote(str(path.resolve())) + "?mode=rw"
    conn = sqlite3.connect(uri, uri=True, timeout=BUSY_TIMEOUT_SECONDS, isolation_level=None)
    try:
        conn.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT_SECONDS * 1000)}")
        _switch_to_wal(conn)
        conn.execute("PRAGMA synchronous = FULL")
    except BaseException:
        conn.close()
        raise
    return conn


def _switch_to_wal(conn: sqlite3.Connection) -> None:
    """Turning a new file to WAL needs an exclusive lock that SQLite does not wait for,
    so wait here while another process is creating the same database."""
    deadline = time.monotonic() + BUSY_TIMEOUT_SECONDS
    while True:
        try:
            conn.execute("PRAGMA journal_mode = WAL")
            return
        except sqlite3.OperationalError as exc:
            if not _is_busy(exc) or time.monotonic() > deadline:
                raise
            time.sleep(0.01)


def _migrate(conn: sqlite3.Connection, path: Path) -> None:
    """Bring the schema up to date in one transaction (a no-op if another process did)."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        identity = _read_identity(conn)
        if _needs_migration(path, identity):
            import sqlite_utils  # slow to import (~140 ms): only when a migration runs

            db = sqlite_utils.Database(conn, recursive_triggers=False, execute_plugins=False)
            for migration in MIGRATIONS[identity[1] :]:
                migration(db)
            conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
            conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")
        conn.execute("COMMIT")
    except BaseException:
        _rollback(conn)
        raise


def _rollback(conn: sqlite3.Connection) -> None:
    if conn.in_transaction:
        # SQLite may have rolled back already (e.g. after an I/O error): nothing to undo.
        with contextlib.suppress(sqlite3.Error):
            conn.execute("ROLLBACK")


def _is_busy(exc: sqlite3.Error) -> bool:
    return getattr(exc, "sqlite_errorname", "").startswith(("SQLITE_BUSY", "SQLITE_LOCKED"))


def _store_error(exc: sqlite3.Error) -> StoreError:
    """A readable StoreError for a failure inside SQLite."""
    if _is_busy(exc):
        return StoreError(BUSY_MESSAGE)
    return StoreError(f"the event store failed: {exc}")


class _SQLiteErrors:
    """Turns any sqlite3 error (or undecodable stored JSON) in its block into a StoreError."""

    def __enter__(self) -> None:
        return None

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if isinstance(exc, sqlite3.Error):
            raise _store_error(exc) from exc
        if isinstance(exc, json.JSONDecodeError | UnicodeDecodeError):  # e.g. a BLOB put in
            raise StoreError("an event in the log holds data that is not JSON; run afterview verify") from exc


_sqlite_errors = _SQLiteErrors()


_new_tuple = tuple.__new__


def _to_event(row: tuple[Any, ...]) -> StoredEvent:
    # Unpacking into tuple.__new__ costs about half of StoredEvent._make((*row[:6], ...)) with
    # its slices, and replay calls this once per event (see docs/performance.md).
    (position, stream_id, version, event_id, type_name, schema, data, metadata,
     occurred_at, recorded_at, prev_hash, row_hash) = row
    return _new_tuple(StoredEvent, (position, stream_id, version, event_id, type_name, schema,
                                    _decode_json(data), metadata, occurred_at, recorded_at,
                                    prev_hash, row_hash))


def _prefix_bounds(prefix: str) -> tuple[str, str | None]:
    """[low, high) bounds of the strings that start with ``prefix`` (BINARY order is code
    point order in UTF-8, and unlike LIKE it is case-sensitive)."""
    stem = prefix.rstrip("\U0010ffff")
    if not stem:
        return prefix, None
    following = ord(stem[-1]) + 1
    if 0xD800 <= following <= 0xDFFF:
        following = 0xE000  # surrogates cannot be stored; skip past them
    return prefix, stem[:-1] + chr(following)


def _encode_batch(events: Sequence[NewEvent]) -> list[tuple[Any, ...]]:
    """Each event as (stream_id, event_id, type, schema_version, data text, metadata text,
    occurred_at), checked before the write lock is taken."""
    seen: set[str] = set()
    encoded = []
    for event in events:
        if event.event_id in seen:
            raise DuplicateEventError(event.event_id)
        seen.add(event.event_id)
        try:
            data, metadata = _encode_json(event.data), _encode_json(event.metadata)
        except (TypeError, ValueError) as exc:
            raise StoreError(f"event {event.event_id} cannot be stored as JSON: {exc}") from exc
        encoded.append((*event[:4], data, metadata, event.occurred_at))
    return encoded


class _ChainAudit:
    """Walks the rows in position order and notes every break in the chain."""

    def __init__(self) -> None:
        self.events = 0
        self.head = GENESIS_HASH
        self.problems: list[str] = []
        self.first_bad: int | None = None
        self._next_position = 1
        self._versions: dict[Any, int] = {}

    def check(self, row: Sequence[Any]) -> None:
        position, stream_id, version, prev_hash, stored_hash = (
            row[0],
            row[1],
            row[2],
            row[10],
            row[11],
        )
        self._check_position(position)
        if prev_hash != self.head:
            self._note(position, "it does not link to the event before it (removed or inserted?)")
        if _hash_or_none(row) != stored_hash:
            self._note(position, "hash does not match its content (edited?)")
        last = self._versions.get(stream_id, 0)
        if version != last + 1:
            self._note(position, f"{stream_id!r} version {version!r} does not follow {last}")
        self._versions[stream_id] = version if isinstance(version, int) else last + 1
        self.head = stored_hash
        self.events += 1

    def _check_position(self, position: int) -> None:
        expected = self._next_position
        if position > expected + 1:
            self._note(expected, f"positions {expected} to {position - 1} are missing (deleted?)")
        elif position == expected + 1:
            self._note(expected, f"position {expected} is missing (deleted?)")
        elif position < expected:
            self._note(position, "it is out of sequence (inserted?)")
        self._next_position = max(expected, position + 1)

    def _note(self, position: int, text: str) -> None:
        if self.first_bad is None or position < self.first_bad:
            self.first_bad = position
        self.problems.append(f"position {position}: {text}")

    def report(self, schema_problems: list[str]) -> ChainReport:
        problems = self.problems[:_MAX_PROBLEMS]
        if len(self.problems) > _MAX_PROBLEMS:
            problems.append(f"... and {len(self.problems) - _MAX_PROBLEMS} more problems")
        problems += schema_problems
        return ChainReport(not problems, self.events, self.head, problems, self.first_bad)


def _lenient_text(raw: bytes) -> str:
    return raw.decode("utf-8", "surrogateescape")


def _hash_or_none(row: Sequence[Any]) -> str | None:
    """The hash a row should carry given its stored prev_hash (None if a column was
    tampered into a type JSON cannot hold, such as a BLOB)."""
    try:
        return event_hash(row[10], row[:10])
    except (TypeError, ValueError):
        return None


# How many stores this process holds open on each database file (see SQLiteStore._open).
_OPEN_LOCK = threading.Lock()
_OPEN_HERE: collections.Counter[str] = collections.Counter()


class SQLiteStore:
    """The event store in one SQLite file; see the module docstring."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        self._key = str(self.path.resolve())
        self._closed = False
        with _OPEN_LOCK:
            self._open()
            _OPEN_HERE[self._key] += 1

    def _open(self) -> None:
        # Reading the file with Python's open()/close() (as _inspect does) drops every POSIX
        # lock this process holds on it, its SQLite connections' included; another process
        # could then delete the WAL under them ("How To Corrupt", 2.2). Once the file is
        # open in this process, only SQLite touches it.
        inspected = not _OPEN_HERE[self._key]
        try:
            is_new = _refuse_if_unusable(self.path)
            needs_migration = inspected and (is_new or _needs_migration(self.path, _inspect(self.path)))
            if is_new and inspected:
                _create_private_file(self.path)
                os.chmod(self.path, 0o600)  # an empty file someone made may be 0644
            self._conn = _connect(self.path)
        except OSError as exc:
            raise StoreOpenError(f"cannot open {self.path}: {exc.strerror}") from exc
        except sqlite3.Error as exc:
            if _is_busy(exc):
                raise StoreError(BUSY_MESSAGE) from exc
            raise StoreOpenError(f"cannot open {self.path}: SQLite says {exc}") from exc
        if needs_migration:
            try:
                with _sqlite_errors:
                    _migrate(self._conn, self.path)
            except BaseException:
                self._conn.close()
                raise

    def __enter__(self) -> SQLiteStore:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

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
    ) -> list[StoredEvent]:
        """Append atomically across streams under the write lock; see EventStore.append."""
        encoded = _encode_batch(events)
        conn = self._conn
        with _sqlite_errors:
            conn.execute("BEGIN IMMEDIATE")
        try:
            rows = self._chain(encoded, expected_versions, recorded_at)
            conn.executemany(_INSERT, rows)
            conn.execute("COMMIT")
        except sqlite3.IntegrityError as exc:
            _rollback(conn)
            raise self._integrity_error(encoded, exc) from exc
        except sqlite3.Error as exc:
            _rollback(conn)
            raise _store_error(exc) from exc
        except BaseException:
            _rollback(conn)
            raise
        return [_to_event(row) for row in rows]

    def _chain(
        self,
        encoded: list[tuple[Any, ...]],
        expected_versions: Mapping[str, int | None],
        recorded_at: str,
    ) -> list[tuple[Any, ...]]:
        """The rows to insert, versioned and hashed; checks the expected versions first.
        Runs inside the write lock, so the head and versions it reads cannot move."""
        versions: dict[str, int] = {}
        for stream_id, expected in expected_versions.items():
            if expected is not None:
                versions[stream_id] = actual = self._version(stream_id)
                if actual != expected:
                    raise ConcurrencyError(stream_id, expected, actual)
        position, prev_hash = self._head()
        rows = []
        for stream_id, *fields in encoded:
            version = versions.get(stream_id)
            version = (self._version(stream_id) if version is None else version) + 1
            versions[stream_id] = version
            position += 1
            row = (position, stream_id, version, *fields, recorded_at)
            row_hash = event_hash(prev_hash, row)
            rows.append((*row, prev_hash, row_hash))
            prev_hash = row_hash
        return rows

    def _integrity_error(self, encoded: list[tuple[Any, ...]], exc: Exception) -> StoreError:
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
        with _sqlite_errors:
            cursor = self._conn.execute(f"{_SELECT} WHERE stream_id = ? ORDER BY version", (stream_id,))
            return [_to_event(row) for row in cursor]

    def read_all(self, from_position: int = 0) -> Iterator[StoredEvent]:
        """Every event after ``from_position``, in order, read a chunk at a time. Each chunk
        is its own query, so no statement stays open while the caller works (or appends)."""
        sql = f"{_SELECT} WHERE position > ? ORDER BY position LIMIT {_READ_CHUNK}"
        position = from_position
        while True:
            with _sqlite_errors:
                chunk = [_to_event(row) for row in self._conn.execute(sql, (position,))]
            yield from chunk
            if len(chunk) < _READ_CHUNK:
                return
            position = chunk[-1].position

    def read_event(self, event_id: str) -> StoredEvent | None:
        with _sqlite_errors:
            row = self._conn.execute(f"{_SELECT} WHERE event_id = ?", (event_id,)).fetchone()
            return None if row is None else _to_event(row)

    def stream_ids(self, prefix: str = "") -> list[str]:
        return self._distinct("stream_id", prefix)

    def event_ids(self, prefix: str) -> list[str]:
        return self._distinct("event_id", prefix)

    def _distinct(self, column: str, prefix: str) -> list[str]:
        low, high = _prefix_bounds(prefix)
        where, params = (
            (f"{column} >= ?", [low]) if high is None else (f"{column} >= ? AND {column} < ?", [low, high])
        )
        sql = f"SELECT DISTINCT {column} FROM events WHERE {where} ORDER BY {column}"
        with _sqlite_errors:
            return [row[0] for row in self._conn.execute(sql, params)]

    def stream_version(self, stream_id: str) -> int:
        with _sqlite_errors:
            return self._version(stream_id)

    def head(self) -> tuple[int, str]:
        with _sqlite_errors:
            return self._head()

    def data_version(self) -> int:
        with _sqlite_errors:
            version: int = self._conn.execute("PRAGMA data_version").fetchone()[0]
            return version

    def check_chain(self) -> ChainReport:
        """Recompute the chain from the stored columns; works with the triggers dropped."""
        audit = _ChainAudit()
        # Bytes edited into a text column need not be UTF-8: read them anyway (their hash
        # cannot match), so that verify names the row instead of failing to read it.
        self._conn.text_factory = _lenient_text
        try:
            with _sqlite_errors:
                for chunk in self._raw_chunks():
                    for row in chunk:
                        audit.check(row)
                return audit.report(self._trigger_problems())
        finally:
            self._conn.text_factory = str

    def _raw_chunks(self) -> Iterator[list[Any]]:
        cursor = self._conn.execute(f"{_SELECT} ORDER BY position")
        while chunk := cursor.fetchmany(_READ_CHUNK):
            yield chunk

    def _trigger_problems(self) -> list[str]:
        found = dict(
            self._conn.execute(
                "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'events'"
            ).fetchall()
        )
        if any(name not in found for name in _TRIGGERS):
            return ["append-only triggers are missing"]
        if any(found[name].split() != sql.split() for name, sql in _TRIGGERS.items()):
            return ["append-only triggers were altered"]
        return []


def open_store(path: str | os.PathLike[str]) -> SQLiteStore:
    """Open (creating or upgrading if needed) the afterview database at ``path``."""
    return SQLiteStore(path)
