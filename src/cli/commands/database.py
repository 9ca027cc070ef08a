"""The database itself: ``db init`` creates or upgrades it, ``db tenants`` lists the logs a
shared PostgreSQL database holds (docs/postgres.md)."""

from __future__ import annotations

import click

from afterview.cli.context import emit_json, session
from afterview.cli.output import render


@click.group()
def db() -> None:
    """Set up the database: a SQLite file, or a PostgreSQL database shared by many people."""


@db.command("init")
@click.option("--app-role", "app_roles", multiple=True, metavar="ROLE",
              help="PostgreSQL: the role the application connects as; it may only read and "
                   "append (repeat for several).")
def db_init(app_roles: tuple[str, ...]) -> None:
    """Create the schema, or upgrade it; running it again changes nothing.

    For PostgreSQL, run it as the database owner: it creates the tables, the row-level
    security and the append-only triggers, and grants each --app-role SELECT and INSERT.
    """
    from afterview.engine.service.shared import describe, init_database

    s = session()
    if app_roles:
        s.shared_url("--app-role")
    before, after = init_database(s.db_path, list(app_roles))
    where = describe(s.db_path)
    if s.as_json:
        emit_json({"database": where, "schema_version": after, "previous_version": before})
    elif before == after:
        click.echo(f"up to date: {where}, schema version {after}")
    else:
        done = "created" if before == 0 else f"upgraded from version {before}"
        click.echo(f"{done}: {where}, schema version {after}")


@db.command("tenants")
def db_tenants() -> None:
    """PostgreSQL: every tenant with a log, its number of events and its daemon shard."""
    from afterview.engine.service.shared import tenants

    s = session()
    found = tenants(s.shared_url("db tenants"))
    if s.as_json:
        emit_json([{"tenant": t, "events": events, "shard": shard} for t, events, shard in found])
    elif found:
        click.echo(render.table(("tenant", "events", "shard"), found))
    else:
        click.echo("no tenant has a log yet")


COMMANDS = [db]
