"""The projection tables of the SQLite store: a cache of folds kept beside the events.

They are written in the same transaction as the events that change them (SQLiteStore.append)
or replaced whole by a rebuild, and read by the engine instead of replaying the log. They are
created when first needed, outside the schema migrations: dropping them loses nothing (the
next command rebuilds them from the log), and an older afterview ignores them.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Iterator, Sequence

from afterview.engine.store.base import ProjectedApplication, ProjectionStatus, batches
from afterview.engine.store.sqlite_file import sqlite_errors, write_transaction

_NAME = "applications"  # the one projection's name in projection_meta
_IN_CHUNK = 500  # ids per IN (...) list: below SQLite's variable limit

TABLES = {
    "projection_meta": (
        "CREATE TABLE IF NOT EXISTS projection_meta (name TEXT PRIMARY KEY, "
        "version INTEGER NOT NULL, position INTEGER NOT NULL, rows INTEGER NOT NULL)",
    ),
    "projection_applications": (
        "CREATE TABLE IF NOT EXISTS projection_applications (stream_id TEXT PRIMARY KEY, "
        "position INTEGER NOT NULL, data TEXT NOT NULL, summary TEXT NOT NULL)",
        "CREATE INDEX IF NOT EXISTS projection_applications_position "
        "ON projection_applications (position)",
    ),
    "projection_tasks": (
        "CREATE TABLE IF NOT EXISTS projection_tasks (task_id TEXT NOT NULL, "
        "stream_id TEXT NOT NULL, due_at TEXT NOT NULL, fired INTEGER NOT NULL, "
        "position INTEGER NOT NULL)",
        "CREATE INDEX IF NOT EXISTS projection_tasks_stream ON projection_tasks (stream_id)",
        "CREATE INDEX IF NOT EXISTS projection_tasks_position ON projection_tasks (position)",
    ),
    "projection_interviews": (
        "CREATE TABLE IF NOT EXISTS projection_interviews (stream_id TEXT NOT NULL, "
        "round INTEGER NOT NULL, scheduled_for TEXT NOT NULL)",
        "CREATE INDEX IF NOT EXISTS projection_interviews_stream "
        "ON projection_interviews (stream_id)",
    ),
}

def _as_stored(create: str) -> str:
    """A CREATE TABLE statement as sqlite_master keeps it (SQLite drops IF NOT EXISTS)."""
    return create.replace("CREATE TABLE IF NOT EXISTS ", "CREATE TABLE ", 1)


# How many of the tables are there, in the shape of TABLES (an older shape does not count).
_COUNT_TABLES = ("SELECT count(*) FROM sqlite_master WHERE type = 'table' AND sql IN ("
                 + ", ".join(f"'{_as_stored(create)}'" for create, *_ in TABLES.values()) + ")")


class SQLiteProjections:
    """The projection half of SQLiteStore (it sets ``_conn``)."""

    _conn: sqlite3.Connection

    def _ensure_projection_tables(self) -> None:
        """Create the tables that are missing (dropped ones included) in one transaction; a
        table of another shape (an older afterview's) is dropped first: a cache, rebuilt."""
        with sqlite_errors:
            if self._conn.execute(_COUNT_TABLES).fetchone()[0] == len(TABLES):
                return
        with write_transaction(self._conn):
            for name, (create, *indexes) in TABLES.items():
                found = self._conn.execute("SELECT sql FROM sqlite_master WHERE type = 'table' "
                                           "AND name = ?", (name,)).fetchone()
                if found is not None and found[0] != _as_stored(create):
                    self._conn.execute(f"DROP TABLE {name}")  # names from TABLES
                for sql in (create, *indexes):
                    self._conn.execute(sql)

    def _projection_data(self, stream_id: str) -> str | None:
        """The data of one projection row as it stands (inside an append: as it stood)."""
        row = self._conn.execute("SELECT data FROM projection_applications WHERE stream_id = ?",
                                 (stream_id,)).fetchone()
        return None if row is None else str(row[0])

    def projection_status(self) -> ProjectionStatus:
        self._ensure_projection_tables()
        with sqlite_errors:
            row = self._conn.execute(
                "SELECT version, position, rows FROM projection_meta WHERE name = ?", (_NAME,)
            ).fetchone()
        if row is None or not all(type(value) is int for value in row):
            return ProjectionStatus(0, -1, 0)
        return ProjectionStatus(*row)

    def read_projections(self, stream_ids: Sequence[str] | None = None, *,
                         summaries: bool = False) -> list[tuple[str, str]]:
        self._ensure_projection_tables()
        column = "summary" if summaries else "data"  # one of two names, never a value
        sql = f"SELECT stream_id, {column} FROM projection_applications"
        with sqlite_errors:
            if stream_ids is None:
                return self._conn.execute(f"{sql} ORDER BY stream_id").fetchall()
            found: list[tuple[str, str]] = []
            for chunk in _chunks(list(stream_ids)):
                marks = ", ".join("?" * len(chunk))
                found += self._conn.execute(f"{sql} WHERE stream_id IN ({marks})", list(chunk))
            return sorted(found)

    def read_open_tasks(self, after_position: int = -1) -> list[tuple[str, str, str, bool, int]]:
        self._ensure_projection_tables()
        with sqlite_errors:
            rows = self._conn.execute(
                "SELECT task_id, stream_id, due_at, fired, position FROM projection_tasks "
                "WHERE position > ? ORDER BY due_at, task_id", (after_position,)
            ).fetchall()
        return [(task_id, stream_id, due_at, bool(fired), position)
                for task_id, stream_id, due_at, fired, position in rows]

    def projected_since(self, after_position: int) -> list[str]:
        self._ensure_projection_tables()
        # Sorted here, not by SQL: an ORDER BY stream_id leads SQLite to walk every row in
        # the primary key's order instead of the few past the position (40 ms, not 0.1 ms,
        # at 100,000 applications: the daemon asks after every change).
        with sqlite_errors:
            return sorted(row[0] for row in self._conn.execute(
                "SELECT stream_id FROM projection_applications WHERE position > ?",
                (after_position,)))

    def read_interviews(self) -> list[tuple[str, int, str]]:
        self._ensure_projection_tables()
        with sqlite_errors:
            return self._conn.execute(
                "SELECT stream_id, round, scheduled_for FROM projection_interviews "
                "ORDER BY scheduled_for, stream_id"
            ).fetchall()

    def _write_projections(self, rows: Sequence[ProjectedApplication], version: int,
                           old_head: int, new_head: int) -> None:
        """Inside an append's transaction: upsert these rows and, if the projections were
        current at ``old_head`` and of this version, move them on to ``new_head``."""
        conn = self._conn
        added = 0
        for row in rows:
            exists = conn.execute("SELECT 1 FROM projection_applications WHERE stream_id = ?",
                                  (row.stream_id,)).fetchone()
            added += exists is None
            conn.execute("DELETE FROM projection_tasks WHERE stream_id = ?", (row.stream_id,))
            conn.execute("DELETE FROM projection_interviews WHERE stream_id = ?", (row.stream_id,))
        self._insert_rows(rows)
        conn.execute(
            "UPDATE projection_meta SET position = ?, rows = rows + ? "
            "WHERE name = ? AND version = ? AND position = ?",
            (new_head, added, _NAME, version, old_head),
        )

    def _insert_rows(self, rows: Iterable[ProjectedApplication]) -> int:
        """Insert rows a chunk at a time (one executemany per table and chunk: a rebuild
        writes thousands), so a rebuild's memory does not grow with the log."""
        count = 0
        for chunk in batches(rows, _IN_CHUNK):
            count += len(chunk)
            self._conn.executemany(
                "INSERT OR REPLACE INTO projection_applications VALUES (?, ?, ?, ?)",
                [(row.stream_id, row.position, row.data, row.summary) for row in chunk])
            self._conn.executemany(
                "INSERT INTO projection_tasks VALUES (?, ?, ?, ?, ?)",
                [(task_id, row.stream_id, due_at, fired, row.position)
                 for row in chunk for task_id, due_at, fired in row.open_tasks])
            self._conn.executemany(
                "INSERT INTO projection_interviews VALUES (?, ?, ?)",
                [(row.stream_id, round_, at) for row in chunk for round_, at in row.interviews])
        return count

    def replace_projections(
        self, rows: Iterable[ProjectedApplication], *, version: int, position: int
    ) -> None:
        self._ensure_projection_tables()
        conn = self._conn
        with write_transaction(conn):
            for table in TABLES:
                conn.execute(f"DELETE FROM {table}")  # names from TABLES
            count = self._insert_rows(rows)
            conn.execute("INSERT INTO projection_meta VALUES (?, ?, ?, ?)",
                         (_NAME, version, position, count))


def _chunks(items: Sequence[str]) -> Iterator[Sequence[str]]:
    for start in range(0, len(items), _IN_CHUNK):
        yield items[start:start + _IN_CHUNK]
