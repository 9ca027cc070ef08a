"""``open_store(url)``: the one way in to the event store, whatever the backend.

- a plain path, or ``sqlite:///path/to/afterview.db``: the SQLite file (created if missing);
- ``memory:`` a private in-memory log, ``memory:NAME`` one shared in this process by name;
- ``postgresql://...`` with a tenant: the hosted log of one person in a database shared by
  many (store/postgres.py), set up once by ``init_store``.

Only this module knows which backends exist; each is imported when it is opened (psycopg
only for a PostgreSQL URL). A shared database also opens for the daemons of every tenant
(``open_shared_logs``, ``open_shard_claims``) and lists its tenants (``list_tenants``).
"""

from __future__ import annotations

import os
import re
import urllib.parse
from collections.abc import Sequence
from pathlib import Path
from typing import NamedTuple

from afterview.engine.store.base import EventStore, ShardClaims, SharedLogs, StoreOpenError

_URL = re.compile(r"(?P<scheme>[A-Za-z][A-Za-z0-9+.-]*):(?P<rest>.*)", re.S)
_POSTGRESQL = ("postgresql", "postgres")
_KNOWN = ("a file path, sqlite:///path/to/afterview.db, memory: or postgresql://...")


class Location(NamedTuple):
    """Where a store URL points: the backend's name and what it opens (a file path for
    ``sqlite``, a log name for ``memory``, the URL itself for ``postgresql``)."""

    backend: str
    target: str | Path


def url_scheme(text: str) -> str | None:
    """The scheme of a store URL (lower case), None for a plain path: a string is a path
    unless it starts with a scheme this module knows (so a file called ``notes:2024.db`` is
    still a file) or looks like a URL (``scheme://``)."""
    match = _URL.fullmatch(text)
    if match is None:
        return None
    scheme = match["scheme"].lower()
    if scheme in ("sqlite", "memory", *_POSTGRESQL) or match["rest"].startswith("//"):
        return scheme
    return None


def locate(url: str | os.PathLike[str]) -> Location:
    """Which backend ``url`` names, and its target; StoreOpenError for a URL of no known
    kind."""
    scheme = url_scheme(url) if isinstance(url, str) else None
    if scheme is None:
        return Location("sqlite", Path(url))
    url = str(url)
    if scheme == "sqlite":
        return Location("sqlite", _sqlite_path(url))
    if scheme == "memory":
        return Location("memory", url.partition(":")[2])
    if scheme in _POSTGRESQL:
        return Location("postgresql", url)
    raise StoreOpenError(f"{url} is not a kind of store afterview knows; give {_KNOWN}")


def _sqlite_path(url: str) -> Path:
    parts = urllib.parse.urlsplit(url)
    if parts.netloc or parts.query or parts.fragment or not parts.path:
        raise StoreOpenError(
            f"{url} is not a SQLite URL afterview can open: write sqlite:/// followed by the "
            "file's path, such as sqlite:///home/me/afterview.db (no host, no options)"
        )
    return Path(urllib.parse.unquote(parts.path))


def sqlite_path(url: str | os.PathLike[str]) -> Path | None:
    """The database file ``url`` opens, if it names a SQLite store (None for another
    backend); for the commands that look at the file itself (completion, the demo)."""
    backend, target = locate(url)
    return Path(target) if backend == "sqlite" else None


def open_store(url: str | os.PathLike[str], *, tenant: str | None = None) -> EventStore:
    """Open the event store ``url`` names (see the module docstring); a missing SQLite
    file is created. ``tenant`` picks one person's log in a shared PostgreSQL database and
    is refused for the other backends, which hold one person's log each."""
    backend, target = locate(url)
    if backend == "postgresql":
        return _open_postgresql(str(target), tenant)
    if tenant is not None:
        raise StoreOpenError(
            f"a tenant is only for a shared PostgreSQL store; {url} holds one person's log: "
            "open it without a tenant"
        )
    if backend == "memory":
        from afterview.engine.store.memory import MemoryStore

        return MemoryStore(str(target))
    from afterview.engine.store.sqlite import SQLiteStore

    return SQLiteStore(target)


def _open_postgresql(url: str, tenant: str | None) -> EventStore:
    from afterview.engine.store.postgres import PostgresStore

    return PostgresStore(url, tenant)


# ---------------------------------------------------------------------------
# The database itself: set up, and shared by many people's logs


def init_store(url: str | os.PathLike[str], app_roles: Sequence[str] = ()) -> tuple[int, int]:
    """``afterview db init``: create or upgrade the store's schema; the schema version
    before (0: it was created) and after. For PostgreSQL, run it as the database owner: it
    grants each of ``app_roles`` reading and appending only."""
    backend, target = locate(url)
    if backend == "postgresql":
        from afterview.engine.store.postgres import init_database

        return init_database(str(target), list(app_roles))
    if app_roles:
        raise StoreOpenError(f"application roles are for a shared PostgreSQL store; {url} "
                             "holds one person's log")
    from afterview.engine.store.sqlite import SCHEMA_VERSION

    existed = backend == "sqlite" and Path(target).is_file() and Path(target).stat().st_size > 0
    open_store(url).close()
    return (SCHEMA_VERSION if existed else 0), SCHEMA_VERSION


def _shared(url: str | os.PathLike[str]) -> str:
    backend, target = locate(url)
    if backend != "postgresql":
        raise StoreOpenError(f"{url} holds one person's log, not a database shared by many")
    return str(target)


def list_tenants(url: str | os.PathLike[str]) -> list[tuple[str, int, int]]:
    """Every tenant with a log in a shared database: (name, events, shard), by name."""
    from afterview.engine.store.postgres_fleet import all_tenants

    return all_tenants(_shared(url))


def open_shared_logs(url: str | os.PathLike[str], connections: int) -> SharedLogs:
    """Every tenant's log of a shared database, over a pool of ``connections``."""
    from afterview.engine.store.postgres_fleet import TenantLogs

    return TenantLogs(_shared(url), connections)


def open_shard_claims(url: str | os.PathLike[str], *, member: bool) -> ShardClaims:
    """A daemon's own session on a shared database (``member``: one of those that share
    the shards, rather than the daemon of one tenant)."""
    from afterview.engine.store.postgres_fleet import Coordinator

    return Coordinator(_shared(url), member=member)


def describe(url: str | os.PathLike[str]) -> str:
    """Where ``url`` points, for messages: a file's path, never a password."""
    backend, target = locate(url)
    if backend == "postgresql":
        from afterview.engine.store.postgres import describe as describe_postgresql

        return describe_postgresql(str(target))
    return str(target) if backend == "sqlite" else f"memory:{target}"
