"""Running commands: ``daemon`` (fires tasks as they fall due) and ``tick`` (one pass)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from afterview.cli.context import Refused, emit_json, session
from afterview.cli.output import render, views

if TYPE_CHECKING:
    from afterview.engine.domain.events import JsonObject
    from afterview.engine.runtime.hooks import Notifier

_HOOK = click.option(
    "--hook", metavar="CMD",
    help="Run CMD (split like a shell would, run without one) for each firing, with the "
         "task's JSON on its stdin.",
)
_HOOK_TIMEOUT = click.option(
    "--hook-timeout", type=click.FloatRange(0.1, 3600), default=30.0, show_default=True,
    metavar="SECONDS", help="Stop a hook (and every process it started) after this long.")
_NO_DESKTOP = click.option("--no-desktop", is_flag=True,
                           help="No desktop notification (notify-send).")


def _notifier(hook: str | None, no_desktop: bool, lines: str, hook_timeout: float) -> Notifier:
    from afterview.engine.runtime.hooks import Notifier, parse_hook

    try:
        argv = parse_hook(hook)
    except ValueError as error:
        raise Refused(str(error)) from None
    return Notifier(render.task_json, hook=argv, desktop=not no_desktop, lines=lines,
                    hook_timeout=hook_timeout, digest_json=views.digest_json)


@click.command()
@_HOOK
@_HOOK_TIMEOUT
@_NO_DESKTOP
def tick(hook: str | None, hook_timeout: float, no_desktop: bool) -> None:
    """One pass as of now: fire every open task that is due, print what fired, send
    today's digest if it is due and not sent yet (as the daemon does), exit.

    Prints nothing when nothing was due (quiet under cron).
    """
    from afterview.engine.runtime.daemon import tick as tick_once

    s = session()
    s.actor = "daemon"  # firings are the daemon's work, whoever runs the pass
    notifier = _notifier(hook, no_desktop, "none" if s.as_json else "text", hook_timeout)
    fired, digest, now = tick_once(s.engine, notifier)
    if s.as_json:
        report: JsonObject = {"fired": [render.task_json(task, now) for task in fired]}
        if digest is not None:  # the pass that sent today's digest says so
            report["digest"] = views.digest_json(digest, now)
        emit_json(report)


@click.command()
def digest() -> None:
    """Today's digest, as the daemon sends it each morning at workday_start: overdue tasks,
    today's tasks and today's interviews. Only shows it: nothing is recorded or sent."""
    s = session()
    today = s.engine.digest()
    now = s.engine.now()
    if s.as_json:
        emit_json(views.digest_json(today, now))
    else:
        click.echo(views.digest_text(today, now))


@click.command()
@click.option("--poll", type=click.FloatRange(0.1, 3600), default=2.0, show_default=True,
              metavar="SECONDS", help="How often to look for changes made by other commands.")
@click.option("--all-tenants", is_flag=True,
              help="PostgreSQL: serve every tenant, sharing them with the other daemons.")
@_HOOK
@_HOOK_TIMEOUT
@_NO_DESKTOP
def daemon(poll: float, all_tenants: bool, hook: str | None, hook_timeout: float,
           no_desktop: bool) -> None:
    """Run in the foreground until SIGTERM or SIGINT, firing tasks as they fall due.

    One line per firing on stdout (one JSON object per line with --json); other messages on
    stderr. See docs/daemon.md for running it under systemd, docs/postgres.md for many
    daemons over a shared PostgreSQL database (--all-tenants).
    """
    from afterview.engine.runtime.daemon import Daemon

    s = session()
    notifier = _notifier(hook, no_desktop, "json" if s.as_json else "text", hook_timeout)
    if all_tenants or s.db_url is not None:
        _serve_shared(notifier, poll, all_tenants)
    s.engine.settings  # noqa: B018  # open (or create) the database now: refuse before starting
    path = s.db_path
    s.close()  # the daemon's threads open their own connections
    raise SystemExit(Daemon(path, notifier, poll).run())


def _serve_shared(notifier: Notifier, poll: float, all_tenants: bool) -> None:
    """A daemon on a shared PostgreSQL database: for every tenant, or for --tenant."""
    from afterview.engine.runtime.fleet import Fleet

    s = session()
    if all_tenants and s.tenant is not None:
        raise Refused("--all-tenants serves every tenant: leave out --tenant (and AFTERVIEW_TENANT)")
    url = s.shared_url("--all-tenants")
    if not all_tenants:
        s.engine.settings  # noqa: B018  # refuse a bad tenant or URL before starting
        s.close()
    raise SystemExit(Fleet(url, notifier, poll, None if all_tenants else s.tenant).run())


COMMANDS = [daemon, tick, digest]
