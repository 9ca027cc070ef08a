"""What daemons sharing one PostgreSQL database need of it: a pool of connections for the
logs of many tenants, and a coordinator connection that holds the daemon's shard locks and
listens for commits.

Shards are held with session advisory locks, so a daemon that dies (even by SIGKILL) lets
go of them the moment its connection closes. Each live daemon also holds a member lock;
counting those tells every daemon how many share the 64 shards.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING

import psycopg
from psycopg_pool import ConnectionPool

from afterview.engine.store.base import StoreError
from afterview.engine.store.postgres import CONNECT_OPTIONS, PostgresStore, configure, connect, describe
from afterview.engine.store.postgres_schema import (
    LOCK_MEMBER,
    LOCK_SHARD,
    NOTIFY_CHANNEL,
    check_schema,
)

if TYPE_CHECKING:
    from afterview.engine.store.postgres import Pool

_MEMBERS = (
    "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted AND objsubid = 2 "
    "AND classid::bigint = %s AND database = (SELECT oid FROM pg_database "
    "WHERE datname = current_database())"
)


@contextlib.contextmanager
def database_errors(where: str) -> Iterator[None]:
    """A lost connection or a failed query as a StoreError a daemon can log and retry."""
    try:
        yield
    except psycopg.Error as error:
        message = " ".join(str(error).split()) or type(error).__name__
        raise StoreError(f"{where}: {message}") from None


class TenantLogs:
    """Stores for many tenants over one pool of connections, shared by threads."""

    def __init__(self, url: str, size: int) -> None:
        self.where = describe(url)
        with connect(url) as conn:  # refuse now, with a readable message, if it cannot be used
            check_schema(conn, self.where)
        self._pool: Pool = ConnectionPool(
            url, min_size=1, max_size=size, kwargs=dict(CONNECT_OPTIONS), configure=configure,
            open=True, name="afterview")

    def store(self, tenant: str) -> PostgresStore:
        return PostgresStore(self._pool, tenant)

    def close(self) -> None:
        self._pool.close()


class Coordinator:
    """One daemon's own connection: its member lock, its shard locks, LISTEN."""

    def __init__(self, url: str, *, member: bool) -> None:
        """``member``: one of the daemons that share the shards (a daemon of one tenant
        only listens)."""
        import os

        # Named after the process, so an operator can tell which daemon holds which shards.
        self._conn = connect(url, f"afterview daemon {os.getpid()}")
        self.where = describe(url)
        with database_errors(self.where):
            if member:
                self._conn.execute("SELECT pg_advisory_lock(%s::int4, pg_backend_pid())",
                                   (LOCK_MEMBER,))
            self._conn.execute(f"LISTEN {NOTIFY_CHANNEL}")

    def close(self) -> None:
        with contextlib.suppress(psycopg.Error):
            self._conn.close()

    def members(self) -> int:
        """How many daemons are alive on this database (this one included)."""
        with database_errors(self.where):
            row = self._conn.execute(_MEMBERS, (LOCK_MEMBER,)).fetchone()
        return max(1, int(row[0]) if row else 1)

    def claim(self, shard: int) -> bool:
        with database_errors(self.where):
            row = self._conn.execute("SELECT pg_try_advisory_lock(%s::int4, %s::int4)",
                                     (LOCK_SHARD, shard)).fetchone()
        return bool(row and row[0])

    def release(self, shard: int) -> None:
        with database_errors(self.where):
            self._conn.execute("SELECT pg_advisory_unlock(%s::int4, %s::int4)",
                               (LOCK_SHARD, shard))

    def heads(self, shards: Sequence[int], tenant: str | None = None) -> dict[str, int]:
        """Every tenant with a log in these shards (or just ``tenant``), and its head."""
        if not shards and tenant is None:
            return {}
        with database_errors(self.where):
            if tenant is None:
                rows = self._conn.execute(
                    "SELECT tenant, head FROM afterview.tenants WHERE shard = ANY(%s::int2[])",
                    (list(shards),)).fetchall()
            else:
                rows = self._conn.execute(
                    "SELECT tenant, head FROM afterview.tenants WHERE tenant = %s",
                    (tenant,)).fetchall()
        return {name: int(head) for name, head in rows}

    def wait(self, timeout: float) -> set[str]:
        """The tenants that committed, waiting up to ``timeout`` seconds for the first."""
        with database_errors(self.where):
            found = {n.payload for n in self._conn.notifies(timeout=timeout, stop_after=1)}
            if found:  # and whatever else arrived with it
                found |= {n.payload for n in self._conn.notifies(timeout=0)}
        return found


def all_tenants(url: str) -> list[tuple[str, int, int]]:
    """Every tenant with a log in the database: (name, events, shard), by name."""
    with connect(url) as conn, database_errors(describe(url)):
        check_schema(conn, describe(url))
        rows = conn.execute("SELECT tenant, head, shard FROM afterview.tenants "
                            "ORDER BY tenant").fetchall()
    return [(tenant, int(head), int(shard)) for tenant, head, shard in rows]


