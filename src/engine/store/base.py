"""The event store: the small interface the engine appends to and reads from.

Nothing above this module knows which backend it talks to: ``open_store(url)`` (store/open.py)
picks one (SQLite in store/sqlite.py, in-memory in store/memory.py), and every backend passes
the same contract suite, tests/test_store_contract.py (docs/store.md).
"""

from __future__ import annotations

import abc
import json
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from types import TracebackType
from typing import NamedTuple, Protocol, Self, TypeVar

from afterview.engine.domain.values import JsonObject

GENESIS_HASH = "0" * 64
"""The ``prev_hash`` of the first event in a log."""


class StoreError(Exception):
    """The store refused or failed; the message is meant for a person."""


class StoreOpenError(StoreError):
    """The path is not an afterview database this version can use (it is left untouched)."""


class ConcurrencyError(StoreError):
    """A stream moved on since it was read: someone else appended first."""

    def __init__(self, stream_id: str, expected: int, actual: int) -> None:
        super().__init__(
            f"application {stream_id!r} changed while this command ran "
            f"(expected version {expected}, found {actual}); run it again"
        )
        self.stream_id = stream_id
        self.expected = expected
        self.actual = actual


class DuplicateEventError(StoreError):
    """An event with this id is already in the log."""

    def __init__(self, event_id: str) -> None:
        super().__init__(f"event {event_id} is already in the log")
        self.event_id = event_id


class NewEvent(NamedTuple):
    """An event about to be appended; data and metadata are JSON-ready."""

    stream_id: str
    event_id: str
    type: str
    schema_version: int
    data: JsonObject
    metadata: JsonObject
    occurred_at: str  # ISO 8601 with offset


class StoredEvent(NamedTuple):
    """An event as the log holds it."""

    position: int
    stream_id: str
    version: int
    event_id: str
    type: str
    schema_version: int
    data: JsonObject
    metadata_json: str
    occurred_at: str
    recorded_at: str
    prev_hash: str
    hash: str

    @property
    def metadata(self) -> JsonObject:
        """Actor, causation and correlation ids (decoded on demand: replay rarely needs it)."""
        decoded: JsonObject = json.loads(self.metadata_json)
        return decoded


ReplayRow = tuple[str, int, str, str, int, JsonObject, str, str]
"""One event as replay reads it: ``(stream_id, version, event_id, type, schema_version,
data, occurred_at, recorded_at)``, data decoded. A plain tuple, not a StoredEvent: replay
reads every event, and building and reading the named tuple's twelve fields was a tenth of
it."""

Replay = Callable[[Iterator[ReplayRow]], None]
"""Consumes the rows of the whole log as ``read_for_replay`` gives them (``check_chain``)."""


class ChainReport(NamedTuple):
    """What recomputing the hash chain found."""

    ok: bool
    events: int
    head: str
    problems: list[str]
    first_bad_position: int | None


class ProjectedApplication(NamedTuple):
    """One application's projection row, as the service layer folded it: the store keeps
    it as opaque text plus the few columns it indexes (see docs/store.md, "Projections")."""

    stream_id: str
    position: int  # the last log position folded into it
    data: str  # the folded state, as JSON text (domain/snapshot.py)
    summary: str  # what the board shows of it, as JSON text (snapshot.encode_summary)
    open_tasks: tuple[tuple[str, str, bool], ...]  # (task id, due time in UTC, fired)
    interviews: tuple[tuple[int, str], ...]  # (round, scheduled time in UTC), not yet held


T = TypeVar("T")


def batches(items: Iterable[T], size: int) -> Iterator[list[T]]:
    """``items`` in lists of ``size`` (the last one shorter), read as they come: a rebuild
    writes its rows a batch at a time, so its memory does not grow with the log."""
    batch: list[T] = []
    for item in items:
        batch.append(item)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


class ProjectionStatus(NamedTuple):
    """What the projections reflect: their version, the log position they are current
    at (-1: never built, or dropped) and how many application rows they hold."""

    version: int
    position: int
    rows: int


StreamReader = Callable[[str], list[StoredEvent]]
RowReader = Callable[[str], str | None]


class Projector(Protocol):
    """Folds the events of an append into projection rows, inside the append's transaction.

    ``new_events`` are the events being appended (positions and versions assigned);
    ``read_stream`` reads a stream as it stood before them, and ``read_row`` the data of its
    projection row (None if it has none), inside the same transaction."""

    version: int

    def __call__(
        self, new_events: list[StoredEvent], read_stream: StreamReader, read_row: RowReader
    ) -> list[ProjectedApplication]: ...


class ClosesOnExit(abc.ABC):
    """What every backend inherits for ``with store:``, which closes the store at the end."""

    @abc.abstractmethod
    def close(self) -> None:
        """Release the backend's connections; the store is unusable afterwards."""

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


class WithoutProjections:
    """What a backend that keeps no projections inherits: the engine then replays the log
    for every read (a correct answer, only slower). See docs/store.md, "Projections"."""

    def projection_status(self) -> ProjectionStatus | None:
        return None

    def read_projections(self, stream_ids: Sequence[str] | None = None, *,
                         summaries: bool = False) -> list[tuple[str, str]]:
        return []

    def read_open_tasks(self, after_position: int = -1) -> list[tuple[str, str, str, bool, int]]:
        return []

    def read_interviews(self) -> list[tuple[str, int, str]]:
        return []

    def projected_since(self, after_position: int) -> list[str]:
        return []

    def replace_projections(
        self, rows: Iterable[ProjectedApplication], *, version: int, position: int
    ) -> None:
        return None


class EventStore(Protocol):
    """Append-only log of events in streams, with optimistic concurrency."""

    def append(
        self,
        events: Sequence[NewEvent],
        *,
        expected_versions: Mapping[str, int | None],
        recorded_at: str,
        projector: Projector | None = None,
    ) -> list[StoredEvent]:
        """Append atomically, across streams. ``expected_versions[stream]`` is the version
        the caller read (0: a new stream; None or absent: any). Raises ConcurrencyError or
        DuplicateEventError and appends nothing when a check fails. With a ``projector``,
        the rows it returns are written in the same transaction as the events; the
        projections' position moves to the new head only if they were current before and
        of the projector's version (a backend without projections ignores it)."""
        ...

    def read_stream(self, stream_id: str) -> list[StoredEvent]: ...

    def read_all(self, from_position: int = 0) -> Iterator[StoredEvent]:
        """Every event with a position greater than ``from_position``, in order."""
        ...

    def read_for_replay(self, from_position: int = 0) -> Iterator[ReplayRow]:
        """What replay needs of every event after ``from_position``, in order: no
        metadata, no hashes, no position (see ReplayRow; docs/performance.md)."""
        ...

    def read_event(self, event_id: str) -> StoredEvent | None: ...

    def stream_ids(self, prefix: str = "") -> list[str]: ...

    def event_ids(self, prefix: str) -> list[str]: ...

    def stream_version(self, stream_id: str) -> int: ...

    def head(self) -> tuple[int, str]:
        """The last position and its hash (0 and GENESIS_HASH for an empty log)."""
        ...

    def change_token(self) -> object:
        """An opaque value, compared with ``==``, that differs after any commit by another
        connection (it may also move on this one's own commits). The daemon polls it to
        know when to read the log again."""
        ...

    def check_chain(self, replay: Replay | None = None) -> ChainReport:
        """Recompute the hash chain from the stored columns. With ``replay``, every row
        read is also handed to it as ``read_for_replay`` gives it (after its hash is
        checked), so that verify reads the log once; an error replay raises (a row whose
        data is not JSON) comes out of this call, and the caller then checks the chain
        alone."""
        ...

    # -- projections (a cache of folds, never a source of truth; docs/store.md) ----------

    def projection_status(self) -> ProjectionStatus | None:
        """None if this backend keeps no projections (the engine then replays)."""
        ...

    def read_projections(self, stream_ids: Sequence[str] | None = None, *,
                         summaries: bool = False) -> list[tuple[str, str]]:
        """``(stream_id, data)`` of these applications' rows (every row when None), by id;
        ``(stream_id, summary)`` with ``summaries``."""
        ...

    def read_open_tasks(self, after_position: int = -1) -> list[tuple[str, str, str, bool, int]]:
        """``(task_id, stream_id, due_at, fired, position)`` of the open tasks of every
        application whose row changed after ``after_position``, soonest first."""
        ...

    def read_interviews(self) -> list[tuple[str, int, str]]:
        """``(stream_id, round, scheduled_for)`` of the interviews not yet held, soonest first."""
        ...

    def projected_since(self, after_position: int) -> list[str]:
        """The applications whose row changed after ``after_position``, by id."""
        ...

    def replace_projections(
        self, rows: Iterable[ProjectedApplication], *, version: int, position: int
    ) -> None:
        """Replace every projection row at once (a rebuild), current at ``position``."""
        ...

    def close(self) -> None: ...

    def __enter__(self) -> Self: ...

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        """Closes the store."""
        ...


# ---------------------------------------------------------------------------
# A database shared by many people's logs (PostgreSQL): what the daemons of every tenant
# use, through open_shared_logs and open_shard_claims (store/open.py).

SHARDS = 64
"""Tenants hash to this many shards; each daemon of a shared database serves some."""


def shard_of(tenant: str) -> int:
    """The shard of a tenant: stable across processes, machines and versions."""
    import hashlib

    return int.from_bytes(hashlib.sha256(tenant.encode("utf-8")).digest()[:4], "big") % SHARDS


class SharedLogs(Protocol):
    """Every tenant's log in one database, over a pool of connections shared by threads."""

    where: str
    """Where the database is, for messages (never a password)."""

    def store(self, tenant: str) -> EventStore:
        """The log of ``tenant`` (its connections come from the pool; closing is a no-op)."""
        ...

    def close(self) -> None: ...


class ShardClaims(Protocol):
    """One daemon's own session on a shared database: its shards and what committed."""

    def members(self) -> int:
        """How many daemons share the shards now (this one included)."""
        ...

    def claim(self, shard: int) -> bool:
        """Take the shard if no other daemon holds it; True if this one holds it now."""
        ...

    def release(self, shard: int) -> None: ...

    def heads(self, shards: Sequence[int], tenant: str | None = None) -> dict[str, int]:
        """Every tenant with a log in ``shards`` (or just ``tenant``), and its head position."""
        ...

    def wait(self, timeout: float) -> set[str]:
        """The tenants that committed, waiting up to ``timeout`` seconds for the first."""
        ...

    def close(self) -> None: ...
