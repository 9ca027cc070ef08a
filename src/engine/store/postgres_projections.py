"""The projection tables of the PostgreSQL store: each tenant's cache of folds, kept beside
its log as the SQLite store keeps them (store/sqlite_projections.py, docs/store.md).

Every row carries its tenant, and row-level security shows a transaction only its own
tenant's rows, as for the events. The rows are written in the append's transaction, under
the tenant's append lock, or replaced whole by a rebuild under the same lock. Unlike the
events they may be updated and deleted: they are a cache, never a source of truth.
"""

from __future__ import annotations

import abc
import contextlib
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

from afterview.engine.store.base import ProjectedApplication, ProjectionStatus, batches
from afterview.engine.store.postgres_schema import LOCK_APPEND

if TYPE_CHECKING:
    import psycopg
    from psycopg.abc import Params
    from psycopg.rows import TupleRow

    Connection = psycopg.Connection[TupleRow]

TABLES = ("projection_meta", "projection_applications", "projection_tasks",
          "projection_interviews")
_TENANT = "current_setting('afterview.tenant')"
_BATCH = 500  # rows per executemany: a rebuild's memory does not grow with the log
_UPSERT_APPLICATION = (
    "INSERT INTO afterview.projection_applications (tenant, stream_id, position, data, summary)"
    f" VALUES ({_TENANT}, %s, %s, %s, %s) ON CONFLICT (tenant, stream_id) DO UPDATE SET "
    "position = excluded.position, data = excluded.data, summary = excluded.summary")
_INSERT_TASK = ("INSERT INTO afterview.projection_tasks (tenant, task_id, stream_id, due_at, "
                f"fired, position) VALUES ({_TENANT}, %s, %s, %s, %s, %s)")
_INSERT_INTERVIEW = ("INSERT INTO afterview.projection_interviews (tenant, stream_id, round, "
                     f"scheduled_for) VALUES ({_TENANT}, %s, %s, %s)")


class PostgresProjections:
    """The projection half of PostgresStore (which gives ``tenant`` and ``_transaction``)."""

    tenant: str

    @abc.abstractmethod
    def _transaction(self) -> contextlib.AbstractContextManager[Connection]:
        """A transaction that sees only this tenant's rows (PostgresStore's)."""

    @abc.abstractmethod
    def _rows(self, sql: str, params: Params = ()) -> list[TupleRow]:
        """The rows of one query, in such a transaction (PostgresStore's)."""

    @staticmethod
    def _projection_data(conn: Connection, stream_id: str) -> str | None:
        """The data of one projection row, inside the append's transaction."""
        row = conn.execute("SELECT data FROM afterview.projection_applications "
                           "WHERE stream_id = %s", (stream_id,)).fetchone()
        return None if row is None else str(row[0])

    def projection_status(self) -> ProjectionStatus:
        rows = self._rows("SELECT version, position, rows FROM afterview.projection_meta")
        if not rows:
            return ProjectionStatus(0, -1, 0)
        version, position, count = rows[0]
        return ProjectionStatus(int(version), int(position), int(count))

    def read_projections(self, stream_ids: Sequence[str] | None = None, *,
                         summaries: bool = False) -> list[tuple[str, str]]:
        column = "summary" if summaries else "data"  # one of two names, never a value
        sql = f"SELECT stream_id, {column} FROM afterview.projection_applications"
        if stream_ids is None:
            rows = self._rows(f"{sql} ORDER BY stream_id")
        else:
            rows = self._rows(f"{sql} WHERE stream_id = ANY(%s) ORDER BY stream_id",
                                (list(stream_ids),))
        return [(stream_id, text) for stream_id, text in rows]

    def read_open_tasks(self, after_position: int = -1) -> list[tuple[str, str, str, bool, int]]:
        rows = self._rows(
            "SELECT task_id, stream_id, due_at, fired, position FROM afterview.projection_tasks"
            " WHERE position > %s ORDER BY due_at, task_id", (after_position,))
        return [(task_id, stream_id, due_at, bool(fired), int(position))
                for task_id, stream_id, due_at, fired, position in rows]

    def projected_since(self, after_position: int) -> list[str]:
        return sorted(row[0] for row in self._rows(  # sorted here: see sqlite_projections
            "SELECT stream_id FROM afterview.projection_applications WHERE position > %s",
            (after_position,)))

    def read_interviews(self) -> list[tuple[str, int, str]]:
        return [(stream_id, int(round_), at) for stream_id, round_, at in self._rows(
            "SELECT stream_id, round, scheduled_for FROM afterview.projection_interviews "
            "ORDER BY scheduled_for, stream_id")]

    def replace_projections(
        self, rows: Iterable[ProjectedApplication], *, version: int, position: int
    ) -> None:
        with self._transaction() as conn:
            # Under the append lock: an append waits, and then finds them at `position`.
            conn.execute("SELECT pg_advisory_xact_lock(%s, hashtext(%s))",
                         (LOCK_APPEND, self.tenant))
            for table in TABLES:  # this tenant's rows only (row-level security)
                conn.execute(f"DELETE FROM afterview.{table}")  # names from TABLES
            count = _insert_rows(conn, rows)
            conn.execute("INSERT INTO afterview.projection_meta (tenant, version, position, "
                         f"rows) VALUES ({_TENANT}, %s, %s, %s)", (version, position, count))

    @staticmethod
    def _write_projections(conn: Connection, rows: Sequence[ProjectedApplication],
                           version: int, old_head: int, new_head: int) -> None:
        """Inside an append's transaction: upsert these rows and, if the projections were
        current at ``old_head`` and of this version, move them on to ``new_head``."""
        ids = [row.stream_id for row in rows]
        known = conn.execute("SELECT count(*) FROM afterview.projection_applications "
                             "WHERE stream_id = ANY(%s)", (ids,)).fetchone()
        added = len(ids) - (int(known[0]) if known else 0)
        conn.execute("DELETE FROM afterview.projection_tasks WHERE stream_id = ANY(%s)", (ids,))
        conn.execute("DELETE FROM afterview.projection_interviews WHERE stream_id = ANY(%s)",
                     (ids,))
        _insert_rows(conn, rows)
        conn.execute("UPDATE afterview.projection_meta SET position = %s, rows = rows + %s "
                     "WHERE version = %s AND position = %s",
                     (new_head, added, version, old_head))


def _insert_rows(conn: Connection, rows: Iterable[ProjectedApplication]) -> int:
    count = 0
    with conn.cursor() as cursor:
        for chunk in batches(rows, _BATCH):
            count += len(chunk)
            cursor.executemany(_UPSERT_APPLICATION, [
                (row.stream_id, row.position, row.data, row.summary) for row in chunk])
            tasks = [(task_id, row.stream_id, due_at, fired, row.position)
                     for row in chunk for task_id, due_at, fired in row.open_tasks]
            if tasks:
                cursor.executemany(_INSERT_TASK, tasks)
            interviews = [(row.stream_id, round_, at)
                          for row in chunk for round_, at in row.interviews]
            if interviews:
                cursor.executemany(_INSERT_INTERVIEW, interviews)
    return count
