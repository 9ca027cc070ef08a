"""A database shared by many people's logs (PostgreSQL, docs/postgres.md), as the command
line sees it: setting it up, its tenants, verifying every tenant's log. Each person's own
commands go through ``open_engine(location, tenant=...)`` like any other store's."""

from __future__ import annotations

import os

from afterview.engine.domain.events import JsonObject
from afterview.engine.service.api import open_engine
from afterview.engine.service.audit import verify


def shared_url(location: str | os.PathLike[str]) -> str | None:
    """The URL, if ``location`` names a database shared by many people's logs."""
    from afterview.engine.store.open import locate

    if isinstance(location, str) and locate(location).backend == "postgresql":
        return location
    return None


def describe(location: str | os.PathLike[str]) -> str:
    """Where ``location`` points, for messages: never a password."""
    from afterview.engine.store.open import describe as describe_store

    return describe_store(location)


def init_database(location: str | os.PathLike[str], app_roles: list[str]) -> tuple[int, int]:
    """``db init``: create or upgrade the schema (the versions before and after; 0: it was
    created); for PostgreSQL, as its owner, granting each of ``app_roles`` read and append."""
    from afterview.engine.store.open import init_store

    return init_store(location, app_roles)


def tenants(location: str | os.PathLike[str]) -> list[tuple[str, int, int]]:
    """Every tenant with a log: (name, events, daemon shard), by name."""
    from afterview.engine.store.open import list_tenants

    return list_tenants(location)


def verify_all_tenants(location: str | os.PathLike[str]) -> dict[str, JsonObject]:
    """``verify`` of every tenant's log, by tenant."""
    reports = {}
    for tenant, _events, _shard in tenants(location):
        with open_engine(location, tenant=tenant) as engine:
            reports[tenant] = verify(engine)
    return reports
