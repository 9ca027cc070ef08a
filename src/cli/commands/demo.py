"""``demo``: build an example job search in its own database and show it.

The demo never writes into a real job search: it builds in the file given by its own
``--db``, else the global ``--db`` / ``$AFTERVIEW_DB``, else ``demo.db`` beside the default
database; a file holding any event the demo did not write is refused and left untouched.
"""

from __future__ import annotations

import shlex
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

import click

from afterview.cli.context import (
    db_location,
    default_db_path,
    emit_json,
    refuse_stray_tenant,
    session,
    shared_database,
)
from afterview.cli.output import render, times, views

if TYPE_CHECKING:
    from afterview.engine.domain.state import Application, Task


@click.command()
@click.option("--db", "demo_db", metavar="PATH",
              help="Where to build it (default: the global --db or $AFTERVIEW_DB, else demo.db "
                   "in the user data folder). Never a file holding a real job search.")
def demo(demo_db: str | None) -> None:
    """Build a realistic example job search in a fresh database; show the board and agenda."""
    from afterview.engine.service.api import agenda, keeps_its_log
    from afterview.engine.service.demo import build_demo_at

    target = demo_target(demo_db, click.get_current_context().find_root().params.get("db_path"))
    tenant = session().tenant
    refuse_stray_tenant(target, tenant)
    apps, now = build_demo_at(target, tenant=tenant)  # now in the configured zone
    zone = now.tzinfo
    assert zone is not None, "the engine's clock is aware"
    times.use_frame(lambda: (now, zone))
    tasks = agenda(apps, now)
    if session().as_json:
        emit_json({"database": str(target),
                   "applications": [views.application_json(a) for a in apps],
                   "agenda": [render.task_json(t, now) for t in tasks]})
        return
    click.echo(f"Built an example job search in {target}\n")
    click.echo(render.board(apps))
    click.echo("\n" + render.paint("AGENDA", bold=True))
    click.echo(render.agenda(tasks, now))
    if not keeps_its_log(target):
        return  # gone when this command ends: nothing to try next on it
    click.echo("\nTry next:")
    for command, why in _suggestions(target, apps, tasks, now):
        click.echo(f"  {command}\n      {why}")


def demo_target(own: str | None, global_db: str | None) -> str | Path:
    """The demo's own --db, else the global --db or $AFTERVIEW_DB, else demo.db (never the
    default afterview.db, which is where a real search lives): a path or a store URL."""
    chosen = own or global_db
    if chosen:
        return db_location(chosen)
    return default_db_path().with_name("demo.db")


def _suggestions(target: str | Path, apps: list[Application], tasks: list[Task],
                 now: datetime) -> list[tuple[str, str]]:
    """Commands worth trying on the demo, with the exact --db; only registered ones."""
    prefix = f"afterview --db {shlex.quote(str(target))}"
    if shared_database(target):
        prefix += f" --tenant {shlex.quote(str(session().tenant))}"
    by_state: dict[str, str] = {a.state: a.id for a in apps}
    voided = next((a.id for a in apps if a.company.startswith("Wayne")), None)
    as_of = (now - timedelta(days=21)).date().isoformat()
    overdue = next((t.id for t in tasks if t.due_at <= now), None)
    wanted = [
        ("show", f"show {_short(by_state.get('accepted'))}",
         "one application: interviews, offers, the counter-offer, open tasks"),
        ("history", f"history {_short(voided)}",
         "the audit trail, with a mistaken rejection voided and both times of each fact"),
        ("status", f"status --as-of {as_of}", "the board as it stood three weeks ago"),
        ("agenda", "agenda --all", "every task, also the ones already done or made moot"),
        ("done", f"done {overdue}", "close an overdue task"),
        ("compare", "compare", "the offers side by side"),
        ("practice", "practice", "every interview question, with what to answer better"),
        ("draft", f"draft counter-offer {_short(by_state.get('negotiating'))}",
         "a ready-to-edit message from the recorded facts"),
        ("stats", "stats", "the funnel"),
        ("verify", "verify", "check the hash chain of the whole log"),
    ]
    registered = click.get_current_context().find_root().command
    assert isinstance(registered, click.Group)
    return [(f"{prefix} {args}", why) for name, args, why in wanted
            if name in registered.commands and "None" not in args]


def _short(application_id: str | None) -> str | None:
    """The first word of an id: a unique prefix is enough, like git."""
    return None if application_id is None else application_id.split("-")[0]


COMMANDS = [demo]
