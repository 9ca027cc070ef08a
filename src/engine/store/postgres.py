"""The PostgreSQL event store: one tenant's log in a database shared by many.

Every row carries its tenant. A tenant's appends are serialised by a transaction-scoped
advisory lock on the tenant, so each tenant has its own total order (``position`` 1, 2, 3
...) and its own hash chain, computed exactly as SQLite computes it (store/chain.py), while
tenants never wait for each other. Each transaction first names its tenant with
``set_config('afterview.tenant', ..., true)`` (a ``SET LOCAL``); row-level security then
shows and accepts only that tenant's rows. A commit notifies ``afterview_events`` with the
tenant as payload, for the daemons that listen.

psycopg is imported only here, and this module only when a ``postgresql://`` store opens.
"""

from __future__ import annotations

import contextlib
import math
import re
import threading
from collections.abc import Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, TypeAlias, TypedDict

import psycopg
import psycopg.errors
from psycopg.types.json import set_json_loads

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
    shard_of,
)
from afterview.engine.store.chain import (
    Row,
    audit_rows,
    canonical_json,
    decode_json,
    encode_batch,
    link,
    prefix_bounds,
    stored_event,
)
from afterview.engine.store.postgres_projections import PostgresProjections
from afterview.engine.store.postgres_schema import (
    LOCK_APPEND,
    NOTIFY_CHANNEL,
    check_schema,
    guard_problems,
    init_schema,
)

if TYPE_CHECKING:
    from psycopg.abc import Params
    from psycopg.rows import TupleRow
    from psycopg_pool import ConnectionPool

    from afterview.engine.domain.events import JsonValue

    Pool: TypeAlias = ConnectionPool[psycopg.Connection[TupleRow]]

_READ_CHUNK = 5000
TENANT_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@+-]{0,127}$")

_COLUMNS = ("position, stream_id, version, event_id, type, schema_version, data, metadata, "
            "occurred_text, recorded_text, prev_hash, hash")
_SELECT = f"SELECT {_COLUMNS} FROM afterview.events"
# The data as text, decoded here: a third faster than psycopg's jsonb loader for every row.
_SELECT_REPLAY = ("SELECT position, stream_id, version, event_id, type, schema_version, "
                  "data::text, occurred_text, recorded_text FROM afterview.events")
_INSERT = (
    "INSERT INTO afterview.events (tenant, position, stream_id, version, event_id, type, "
    "schema_version, data, metadata, occurred_at, recorded_at, occurred_text, recorded_text, "
    "prev_hash, hash) VALUES (current_setting('afterview.tenant'), %s, %s, %s, %s, %s, %s, "
    "%s::jsonb, %s::jsonb, %s::timestamptz, %s::timestamptz, %s, %s, %s, %s)"
)
_MOVE_HEAD = ("INSERT INTO afterview.tenants (tenant, shard, head) VALUES (%s, %s, %s) "
              "ON CONFLICT (tenant) DO UPDATE SET head = excluded.head, updated_at = now()")
# What an append checks, in one query (one round trip): the streams' versions, the ids
# already stored, the head.
_BEFORE_APPEND = (
    "SELECT 'version', stream_id, max(version)::bigint FROM afterview.events "
    "WHERE stream_id = ANY(%s) GROUP BY stream_id "
    "UNION ALL SELECT 'known', event_id, NULL::bigint FROM afterview.events WHERE event_id = ANY(%s) "
    "UNION ALL (SELECT 'head', hash, position FROM afterview.events ORDER BY position DESC LIMIT 1)"
)
_HEAD = "SELECT position, hash FROM afterview.events ORDER BY position DESC LIMIT 1"


def check_tenant(tenant: str | None) -> str:
    """The tenant name, or a StoreOpenError that says what a tenant name may be."""
    if not tenant:
        raise StoreOpenError("a PostgreSQL database holds many people's logs: name yours "
                             "with --tenant NAME (or AFTERVIEW_TENANT)")
    if not TENANT_PATTERN.match(tenant):
        raise StoreOpenError(f"tenant {tenant!r} is not a tenant name: use letters, digits and "
                             ". _ @ + - (up to 128, starting with a letter or digit)")
    return tenant


def describe(url: str) -> str:
    """Where a URL points, without its password: ``database 'x' on host`` for messages."""
    try:
        info = psycopg.conninfo.conninfo_to_dict(url)
    except psycopg.ProgrammingError:
        return "the PostgreSQL database (the URL cannot be read)"
    host = info.get("host") or "localhost"
    return f"PostgreSQL database {info.get('dbname') or info.get('user') or '?'!r} on {host}"


class ConnectOptions(TypedDict):
    """The keyword arguments of every connection (psycopg.connect, the pool's kwargs)."""

    autocommit: bool
    application_name: str
    options: str
    connect_timeout: int


CONNECT_OPTIONS = ConnectOptions(
    autocommit=True,  # transactions are explicit (conn.transaction())
    application_name="afterview",
    options="-c TimeZone=UTC",
    connect_timeout=10,
)


def connect(url: str, name: str = "afterview") -> psycopg.Connection[TupleRow]:
    """A connection in UTC, with our JSON decoding; a StoreOpenError if it cannot connect.
    ``name`` is what pg_stat_activity shows as its application_name."""
    try:
        options = CONNECT_OPTIONS.copy()
        options["application_name"] = name
        conn = psycopg.connect(url, **options)
    except psycopg.Error as error:
        raise StoreOpenError(f"cannot connect to {describe(url)}: {_first_line(error)}") from None
    configure(conn)
    return conn


def _load_json(data: str | bytes) -> JsonValue:
    return decode_json(data if isinstance(data, str) else data.decode("utf-8"))


def configure(conn: psycopg.Connection[TupleRow]) -> None:
    """jsonb decoded by the store's fast JSON reader (it gets bytes from psycopg)."""
    set_json_loads(_load_json, conn)


def _jsonb_problem(value: object) -> str | None:
    """Why jsonb would not give this value back exactly (the hash chain needs it to)."""
    if isinstance(value, str):
        return "the character U+0000" if "\x00" in value else None
    if isinstance(value, float):
        if value == 0 and math.copysign(1, value) < 0:
            return "the number -0.0"
        if value.is_integer() and "e" in repr(value):
            return f"the number {value!r} (it would come back as an integer)"
        return None
    if isinstance(value, dict):
        return next((p for item in value.items() for p in map(_jsonb_problem, item) if p), None)
    if isinstance(value, list):
        return next((p for p in map(_jsonb_problem, value) if p), None)
    return None


def _encode_batch(events: Sequence[NewEvent]) -> list[Row]:
    """The batch encoded as every backend encodes it, once nothing in it is something jsonb
    would give back changed (checked before any lock is taken)."""
    for event in events:
        problem = _jsonb_problem(event.data) or _jsonb_problem(event.metadata) or next(
            (p for p in map(_jsonb_problem, event[:3]) if p), None)
        if problem:
            raise StoreError(f"event {event.event_id} cannot be stored in PostgreSQL: it holds "
                             f"{problem}")
    return encode_batch(events)


def _to_event(row: TupleRow) -> StoredEvent:
    (position, stream_id, version, event_id, type_name, schema_version, data, metadata,
     occurred_at, recorded_at, prev_hash, row_hash) = row
    return StoredEvent(position, stream_id, version, event_id, type_name, schema_version, data,
                       canonical_json(metadata), occurred_at, recorded_at, prev_hash, row_hash)


class PostgresStore(PostgresProjections, ClosesOnExit):
    """One tenant's event log in PostgreSQL; see the module docstring.

    Give it a URL (it opens and owns one connection, for one thread at a time, as the CLI
    does) or a psycopg_pool ConnectionPool (each call borrows a connection, so threads may
    share the store, as the daemons do)."""

    def __init__(self, source: str | Pool, tenant: str | None) -> None:
        self.tenant = check_tenant(tenant)
        self._pool: Pool | None = None
        self._own: psycopg.Connection[TupleRow] | None = None
        self._lock = threading.Lock()
        if isinstance(source, str):
            self.where = describe(source)
            self._own = connect(source)
            try:
                check_schema(self._own, self.where)
            except BaseException:
                self._own.close()
                raise
        else:
            self.where = "the PostgreSQL database"
            self._pool = source

    def close(self) -> None:
        if self._own is not None:
            self._own.close()

    # -- transactions ---------------------------------------------------------

    @contextlib.contextmanager
    def _connection(self) -> Iterator[psycopg.Connection[TupleRow]]:
        if self._own is not None:
            with self._lock:
                yield self._own
        else:
            assert self._pool is not None
            with self._pool.connection() as conn:
                yield conn

    @contextlib.contextmanager
    def _transaction(self) -> Iterator[psycopg.Connection[TupleRow]]:
        """A transaction that sees (and may write) only this tenant's rows. Any database
        error in it becomes a StoreError that a person can read.

        In pipeline mode: BEGIN, SET LOCAL and what follows go to the server together, and a
        round trip is made only where a result is read (a read is one round trip, an append
        two), which matters more than anything else for short transactions."""
        try:
            with self._connection() as conn, conn.pipeline(), conn.transaction():
                conn.execute("SELECT set_config('afterview.tenant', %s, true)", (self.tenant,))
                yield conn
        except psycopg.OperationalError as error:
            raise StoreError(f"lost the connection to {self.where}: {_first_line(error)}") from None
        except psycopg.errors.InsufficientPrivilege as error:
            raise StoreError(f"{self.where} refused: {_first_line(error)}") from None
        except psycopg.Error as error:
            if isinstance(error, psycopg.errors.UniqueViolation):
                raise  # append turns it into a DuplicateEventError
            raise StoreError(f"the event store failed: {_first_line(error)}") from None

    # -- appending ------------------------------------------------------------

    def append(
        self,
        events: Sequence[NewEvent],
        *,
        expected_versions: Mapping[str, int | None],
        recorded_at: str,
        projector: Projector | None = None,
    ) -> list[StoredEvent]:
        """Append atomically across streams under the tenant's lock, with the projector's
        rows in the same transaction; see EventStore.append."""
        encoded = _encode_batch(events)
        streams = sorted({*expected_versions, *(event[0] for event in encoded)})
        try:
            with self._transaction() as conn:
                conn.execute("SELECT pg_advisory_xact_lock(%s, hashtext(%s))",
                             (LOCK_APPEND, self.tenant))
                # Under the lock, so the head, the versions and the ids cannot move.
                versions, head = self._before_append(conn, streams, encoded)
                rows = link(encoded, expected_versions, recorded_at, head=head,
                            version_of=versions.__getitem__)
                if projector is not None and rows:
                    # Folded before the insert: the streams it reads are as they stood.
                    projected = projector([stored_event(row) for row in rows],
                                          lambda stream_id: self._stream(conn, stream_id),
                                          lambda stream_id: self._projection_data(conn, stream_id))
                with conn.cursor() as cursor:
                    cursor.executemany(_INSERT, [
                        (*row[:10], row[8], row[9], *row[10:]) for row in rows])
                if projector is not None and rows:
                    self._write_projections(conn, projected, projector.version, head[0],
                                            rows[-1][0])
                if rows:
                    conn.execute(_MOVE_HEAD, (self.tenant, shard_of(self.tenant), rows[-1][0]))
                conn.execute("SELECT pg_notify(%s, %s)", (NOTIFY_CHANNEL, self.tenant))
        except psycopg.errors.UniqueViolation as error:  # only if the lock was bypassed
            raise StoreError(f"the event store refused the append: {_first_line(error)}; run "
                             "afterview verify") from None
        return [stored_event(row) for row in rows]

    @staticmethod
    def _before_append(conn: psycopg.Connection[TupleRow], streams: list[str],
                       encoded: list[Row]) -> tuple[dict[str, int], tuple[int, str]]:
        """The versions of ``streams`` and the head, in one round trip; DuplicateEventError
        for the first event of the batch already in the log."""
        ids = [event[1] for event in encoded]
        versions = dict.fromkeys(streams, 0)
        head, known = (0, GENESIS_HASH), set()
        for kind, key, number in conn.execute(_BEFORE_APPEND, (streams, ids)):
            if kind == "version":
                versions[key] = number
            elif kind == "known":
                known.add(key)
            else:
                head = (number, key)
        for event_id in ids:
            if event_id in known:
                raise DuplicateEventError(event_id)
        return versions, head

    @staticmethod
    def _head(conn: psycopg.Connection[TupleRow]) -> tuple[int, str]:
        row = conn.execute(_HEAD).fetchone()
        return (0, GENESIS_HASH) if row is None else (int(row[0]), row[1])

    # -- reading --------------------------------------------------------------

    def _rows(self, sql: str, params: Params = ()) -> list[TupleRow]:
        with self._transaction() as conn:
            return conn.execute(sql, params).fetchall()

    def read_stream(self, stream_id: str) -> list[StoredEvent]:
        with self._transaction() as conn:
            return self._stream(conn, stream_id)

    @staticmethod
    def _stream(conn: psycopg.Connection[TupleRow], stream_id: str) -> list[StoredEvent]:
        rows = conn.execute(f"{_SELECT} WHERE stream_id = %s ORDER BY version", (stream_id,))
        return [_to_event(row) for row in rows]

    def _chunks(self, sql: str, from_position: int) -> Iterator[list[TupleRow]]:
        """Rows after ``from_position`` a chunk at a time, each chunk its own transaction,
        so none stays open while the caller works (or appends)."""
        position = from_position
        while True:
            rows = self._rows(f"{sql} WHERE position > %s ORDER BY position LIMIT {_READ_CHUNK}",
                              (position,))
            if rows:
                yield rows
            if len(rows) < _READ_CHUNK:
                return
            position = rows[-1][0]

    def read_all(self, from_position: int = 0) -> Iterator[StoredEvent]:
        for rows in self._chunks(_SELECT, from_position):
            yield from map(_to_event, rows)

    def read_for_replay(self, from_position: int = 0) -> Iterator[ReplayRow]:
        for rows in self._chunks(_SELECT_REPLAY, from_position):
            for (_, stream_id, version, event_id, type_name, schema_version, data, occurred_at,
                 recorded_at) in rows:
                yield (stream_id, version, event_id, type_name, schema_version, decode_json(data),
                       occurred_at, recorded_at)

    def read_event(self, event_id: str) -> StoredEvent | None:
        rows = self._rows(f"{_SELECT} WHERE event_id = %s", (event_id,))
        return _to_event(rows[0]) if rows else None

    def stream_ids(self, prefix: str = "") -> list[str]:
        return self._distinct("stream_id", prefix)

    def event_ids(self, prefix: str) -> list[str]:
        return self._distinct("event_id", prefix)

    def _distinct(self, column: str, prefix: str) -> list[str]:
        # The columns are COLLATE "C": code point order, case-sensitive, as in SQLite.
        low, high = prefix_bounds(prefix)
        where = f"{column} >= %s" + ("" if high is None else f" AND {column} < %s")
        params = [low] if high is None else [low, high]
        sql = f"SELECT DISTINCT {column} FROM afterview.events WHERE {where} ORDER BY {column}"
        return [row[0] for row in self._rows(sql, params)]

    def stream_version(self, stream_id: str) -> int:
        rows = self._rows("SELECT max(version) FROM afterview.events WHERE stream_id = %s",
                          (stream_id,))
        return int(rows[0][0] or 0)

    def head(self) -> tuple[int, str]:
        with self._transaction() as conn:
            return self._head(conn)

    def change_token(self) -> object:
        """The tenant's head: it moves with every commit to this log (by any connection).
        The daemons also LISTEN on ``afterview_events`` so as not to wait for a poll."""
        return self.head()


    def check_chain(self, replay: Replay | None = None) -> ChainReport:
        """Recompute the tenant's chain from the stored columns (data and metadata in their
        canonical text, as hashed), and check the guards of the table."""
        audit = audit_rows(((*row[:6], canonical_json(row[6]), canonical_json(row[7]), *row[8:])
                            for rows in self._chunks(_SELECT, 0) for row in rows), replay)
        with self._transaction() as conn:
            guards = guard_problems(conn)
        return audit.report(guards)


def _first_line(error: BaseException) -> str:
    diag = getattr(error, "diag", None)
    primary = getattr(diag, "message_primary", None)
    return primary or " ".join(str(error).split()) or type(error).__name__


def init_database(url: str, app_roles: list[str]) -> tuple[int, int]:
    """``afterview db init``: connect to ``url`` (as the database owner) and create or
    upgrade the schema; the schema version before and after."""
    with connect(url) as conn:
        return init_schema(conn, app_roles)


def open_store(url: str, tenant: str | None) -> PostgresStore:
    """Open one tenant's log in the database at ``url`` (created by 'afterview db init')."""
    return PostgresStore(url, tenant)

