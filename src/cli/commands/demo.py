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

from afterview.cli.context import Refused, db_location, default_db_path, emit_json, session
from afterview.cli.output import render, views

if TYPE_CHECKING:
    from afterview.engine.domain.state import Application, Task


@click.command()
@click.option("--db", "demo_db", metavar="PATH",
              help="Where to build it (default: the global --db or $AFTERVIEW_DB, else demo.db "
                   "in the user data folder). Never a file holding a real job search.")
def demo(demo_db: str | None) -> None:
    """Build a realistic example job search in a fresh database; show the board and agenda."""
    from afterview.engine.service.api import Engine, tasks_of
    from afterview.engine.service.demo import DEMO_ACTOR, build_demo
    from afterview.engine.store import open_store
    from afterview.engine.store.open import locate

    target = demo_target(demo_db, click.get_current_context().find_root().params.get("db_path"))
    _make_room(target)
    engine = Engine(open_store(target), actor=DEMO_ACTOR)
    try:
        build_demo(engine)
        apps, now = engine.applications(), engine.now()
    finally:
        engine.store.close()
    tasks = sorted(tasks_of(apps), key=lambda t: (t.due_at > now, t.due_at))
    if session().as_json:
        emit_json({"database": str(target),
                   "applications": [views.application_json(a) for a in apps],
                   "agenda": [render.task_json(t, now) for t in tasks]})
        return
    click.echo(f"Built an example job search in {target}\n")
    click.echo(render.board(apps))
    click.echo("\n" + render.paint("AGENDA", bold=True))
    click.echo(render.agenda(tasks, now))
    if locate(target).backend == "memory":
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


def _make_room(target: str | Path) -> None:
    """Refuse a log holding events the demo did not write; remove an earlier demo's file."""
    from afterview.engine.service.demo import foreign_event
    from afterview.engine.store import open_store
    from afterview.engine.store.open import sqlite_path

    path = sqlite_path(target)
    if path is None or not path.exists() or (path.is_file() and path.stat().st_size == 0):
        return
    # Opening refuses (and leaves alone) anything that is not an afterview database.
    with open_store(target) as store:
        found = foreign_event(store)
    if found is not None:
        raise Refused(
            f"{path} holds a job search the demo did not write ({found.type} at position "
            f"{found.position}); the demo never writes into one: give it its own file, "
            "e.g. afterview demo --db /tmp/afterview-demo.db", 1)
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)


def _suggestions(target: str | Path, apps: list[Application], tasks: list[Task],
                 now: datetime) -> list[tuple[str, str]]:
    """Commands worth trying on the demo, with the exact --db; only registered ones."""
    prefix = f"afterview --db {shlex.quote(str(target))}"
    by_state = {a.state: a.id for a in apps}
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
