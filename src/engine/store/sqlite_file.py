"""The SQLite file behind the store: checks before opening (every refusal happens before
anything is written), private creation (0600 file, 0700 folders), connection settings and
schema migrations. sqlite-utils creates the schema, imported only when a migration runs.
"""

from __future__ import annotations

import contextlib
import json
import os
import sqlite3
import time
import urllib.parse
from collections.abc import Callable, Iterator
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING

from afterview.engine.store.base import StoreError, StoreOpenError

if TYPE_CHECKING:
    import sqlite_utils

APPLICATION_ID = 0x41667476  # "Aftv": marks the file as afterview's in its header
SCHEMA_VERSION = 1
BUSY_TIMEOUT_SECONDS = 10.0
BUSY_MESSAGE = "the database is busy: another afterview process is writing; try again"

SQLITE_MAGIC = b"SQLite format 3\x00"

COLUMN_NAMES = ("position", "stream_id", "version", "event_id", "type", "schema_version",
                 "data", "metadata", "occurred_at", "recorded_at", "prev_hash", "hash")  # fmt: skip
TRIGGERS = {
    "events_no_update": "CREATE TRIGGER events_no_update BEFORE UPDATE ON events"
    " BEGIN SELECT RAISE(ABORT, 'afterview events are append-only'); END",
    "events_no_delete": "CREATE TRIGGER events_no_delete BEFORE DELETE ON events"
    " BEGIN SELECT RAISE(ABORT, 'afterview events are append-only'); END",
}


# ---------------------------------------------------------------------------
# Schema migrations: MIGRATIONS[n] lifts a database from user_version n to n + 1.


def _create_events(db: sqlite_utils.Database) -> None:
    columns: dict[str, type] = dict.fromkeys(COLUMN_NAMES, str)
    columns.update(position=int, version=int, schema_version=int)
    not_null = [name for name in columns if name != "position"]
    table = db.create_table("events", columns, pk="position", not_null=not_null)
    table.create_index(["event_id"], index_name="events_event_id", unique=True)
    # Reading one application by version, and DISTINCT stream ids, both use this index.
    table.create_index(["stream_id", "version"], index_name="events_stream_version", unique=True)
    for sql in TRIGGERS.values():
        db.execute(sql)


MIGRATIONS: list[Callable[[sqlite_utils.Database], None]] = [_create_events]
assert len(MIGRATIONS) == SCHEMA_VERSION


# ---------------------------------------------------------------------------
# Opening: every refusal happens before anything is written.


def refuse_if_unusable(path: Path) -> bool:
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


def inspect(path: Path) -> tuple[int, int, int]:
    """application_id, user_version and schema object count, read without writing."""
    with path.open("rb") as file:
        header = file.read(len(SQLITE_MAGIC))
    if header != SQLITE_MAGIC:
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


def needs_migration(path: Path, identity: tuple[int, int, int]) -> bool:
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


def create_private_file(path: Path) -> None:
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


def connect(path: Path) -> sqlite3.Connection:
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
            if not is_busy(exc) or time.monotonic() > deadline:
                raise
            time.sleep(0.01)


def migrate(conn: sqlite3.Connection, path: Path) -> None:
    """Bring the schema up to date in one transaction (a no-op if another process did)."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        identity = _read_identity(conn)
        if needs_migration(path, identity):
            import sqlite_utils  # slow to import (~140 ms): only when a migration runs

            db = sqlite_utils.Database(conn, recursive_triggers=False, execute_plugins=False)
            for migration in MIGRATIONS[identity[1] :]:
                migration(db)
            conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
            conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")
        conn.execute("COMMIT")
    except BaseException:
        rollback(conn)
        raise


@contextlib.contextmanager
def write_transaction(conn: sqlite3.Connection) -> Iterator[None]:
    """``BEGIN IMMEDIATE`` ... ``COMMIT`` around the block; on any failure, roll back (a
    sqlite3 error comes out as a StoreError)."""
    with sqlite_errors:
        conn.execute("BEGIN IMMEDIATE")
    try:
        yield
        conn.execute("COMMIT")
    except sqlite3.Error as exc:
        rollback(conn)
        raise store_error(exc) from exc
    except BaseException:
        rollback(conn)
        raise


def rollback(conn: sqlite3.Connection) -> None:
    if conn.in_transaction:
        # SQLite may have rolled back already (e.g. after an I/O error): nothing to undo.
        with contextlib.suppress(sqlite3.Error):
            conn.execute("ROLLBACK")


def is_busy(exc: sqlite3.Error) -> bool:
    return getattr(exc, "sqlite_errorname", "").startswith(("SQLITE_BUSY", "SQLITE_LOCKED"))


def store_error(exc: sqlite3.Error) -> StoreError:
    """A readable StoreError for a failure inside SQLite."""
    if is_busy(exc):
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
            raise store_error(exc) from exc
        if isinstance(exc, json.JSONDecodeError | UnicodeDecodeError):  # e.g. a BLOB put in
            raise StoreError("an event in the log holds data that is not JSON; run afterview verify") from exc


sqlite_errors = _SQLiteErrors()
