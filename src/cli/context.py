"""What every command shares: the session (database, output mode, engine), the parsing of
dates typed on the command line, and how a refusal is reported (money and offer terms are
read by engine.service.inputs, for the web app's forms too)."""

from __future__ import annotations

import os
import shlex
import sys
from collections.abc import Callable, Sequence
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

import click

if TYPE_CHECKING:
    from afterview.engine.service.api import Engine

class Refused(Exception):
    """A refusal found by the command line itself (a bad value, a bad combination)."""

    def __init__(self, message: str, exit_code: int = 2) -> None:
        super().__init__(message)
        self.exit_code = exit_code


def fail(message: str, exit_code: int) -> NoReturn:
    """One ``error:`` line on stderr and exit: the message's line breaks become spaces, and
    any control character in it (typed text quoted back) is shown as its escape, as is text
    that came from invalid UTF-8 (surrogate escapes): never a crash."""
    from afterview.engine.io.text import one_line

    click.echo(f"error: {one_line(str(message))}", err=True)
    sys.exit(exit_code)


def map_error(error: Exception) -> tuple[str, int] | None:
    """The message and exit status for an error the engine raised, if it is one of ours."""
    if os.environ.get("AFTERVIEW_DEBUG"):
        raise error
    from afterview.engine.service.errors import message_of

    return message_of(error)


def default_db_path() -> Path:
    from platformdirs import user_data_dir

    return Path(user_data_dir("afterview", appauthor=False)) / "afterview.db"


def db_location(given: str | None) -> str | Path:
    """What ``--db`` / ``$AFTERVIEW_DB`` names, for open_store: a path (``~`` expanded) or
    a store URL such as sqlite:///path or memory:; else the default database."""
    if not given:
        return default_db_path()
    if "\x00" in given:  # no file system takes it; say so instead of failing deep inside
        raise Refused(f"--db {given!r} is not a file name: it holds a NUL character")
    from afterview.engine.service.api import is_store_url

    return given if is_store_url(given) else Path(given).expanduser()


# The commands that record facts: only they may create a database. Every other command on a
# missing file says how to start and creates nothing (no file, no folder).
WRITING_COMMANDS = frozenset({
    "apply", "note", "interview", "debrief", "thanks", "follow-up", "offer", "ask-time",
    "counter", "accept", "withdraw", "declined", "feedback", "reflect", "notice", "contact",
    "void", "done", "snooze", "dismiss", "config set", "import", "daemon", "serve", "edit",
})


def shared_database(db: str | Path) -> str | None:
    """The URL, if ``db`` names a PostgreSQL database shared by many people's logs."""
    from afterview.engine.service.shared import shared_url

    return shared_url(db)


def open_tenant_engine(db: str | Path, tenant: str | None) -> Engine:
    """An engine over the log --db names; for a shared PostgreSQL database, --tenant's."""
    from afterview.engine.service.api import open_engine

    refuse_stray_tenant(db, tenant)
    return open_engine(db, tenant=tenant)


def refuse_stray_tenant(db: str | Path, tenant: str | None) -> None:
    """A tenant names one person's log in a shared database: for a file it means nothing."""
    if tenant is not None and shared_database(db) is None:
        raise Refused(f"--tenant is for a shared PostgreSQL database; {db} holds one person's "
                      "log: leave --tenant (and AFTERVIEW_TENANT) out")


class Session:
    """The database and output mode chosen by the global options; opens the engine once."""

    def __init__(self, db_path: str | None, as_json: bool, actor: str = "cli",
                 tenant: str | None = None) -> None:
        self.db_path = db_location(db_path)
        self.as_json = as_json
        self.actor = actor
        self.tenant = tenant
        self._engine: Engine | None = None

    @property
    def db_file(self) -> Path | None:
        """The database file, for a SQLite store (None for another backend)."""
        from afterview.engine.service.api import database_file

        return database_file(self.db_path)

    @property
    def engine(self) -> Engine:
        if self._engine is None:
            from afterview.engine.service.api import open_engine

            refuse_stray_tenant(self.db_path, self.tenant)
            file = self.db_file
            existed = file is None or os.path.lexists(file)
            if not existed and not _may_create():
                raise Refused(
                    f"there is no afterview database at {file} yet: enter a fact to "
                    "start one, e.g. afterview apply Acme \"Backend Engineer\", or run "
                    "afterview demo to try an example", 1)
            self._engine = open_engine(self.db_path, tenant=self.tenant, actor=self.actor,
                                       warn=warn, progress=rebuild_progress)
            if file is not None and existed:
                _warn_if_shared(file)
            show_times_of(self._engine)
        return self._engine

    @property
    def db_url(self) -> str | None:
        """The URL of a shared PostgreSQL database, None for one person's own store."""
        return shared_database(self.db_path)

    def shared_url(self, option: str) -> str:
        """The PostgreSQL URL for an option that only a shared database has."""
        if self.db_url is None:
            raise Refused(f"{option} is for a shared PostgreSQL database (--db postgresql://...); "
                          f"{self.db_path} holds one person's log")
        return self.db_url
    def use_database(self, path: str) -> None:
        """The database chosen by a ``--db`` given after the command."""
        self.close()
        self.db_path = db_location(path)

    def close(self) -> None:
        from afterview.cli.output import render

        render.reset()
        if self._engine is not None:
            self._engine.close()
            self._engine = None


def warn(message: str) -> None:
    """One ``warning:`` line on stderr."""
    click.echo(f"warning: {' '.join(message.split())}", err=True)


def _may_create() -> bool:
    ctx = click.get_current_context(silent=True)
    if ctx is None:
        return True
    command = " ".join(ctx.command_path.split()[1:])
    return command in WRITING_COMMANDS


def _warn_if_shared(path: Path) -> None:
    """A database others may read (or write) is worth one line: it holds salaries."""
    try:
        mode = os.stat(path).st_mode & 0o777
    except OSError:
        return
    if mode & 0o077:
        warn(f"{path} has mode {mode:04o}, so other users can read it; afterview keeps its "
             f"database 0600: run chmod 600 {shlex.quote(str(path))}")


REBUILD_PROGRESS_THRESHOLD = 5000
"""Below this many events a rebuild of the projections is quick: no progress bar."""


def rebuild_progress(total: int) -> Callable[[int], None] | None:
    """A bar on stderr for a rebuild of the projections, only on a terminal (never in a
    pipe) and only for a log long enough to wait for."""
    if total < REBUILD_PROGRESS_THRESHOLD or not sys.stderr.isatty():
        return None
    bar = click.progressbar(length=total, label="rebuilding the projections", file=sys.stderr)
    shown = 0

    def advance(count: int) -> None:
        nonlocal shown
        bar.update(count - shown)
        shown = count
        if shown >= total:
            bar.render_finish()

    return advance
def show_times_of(engine: Engine) -> None:
    """Times are shown in ``engine``'s configured zone, relative to its now."""
    from afterview.cli.output import times

    times.use_frame(lambda: (engine.now(), engine.tz))


def session() -> Session:
    obj = click.get_current_context().find_root().obj
    assert isinstance(obj, Session)
    return obj


def when(text: str | None, option: str = "--at", *, whole_day: bool = False) -> datetime | None:
    """A WHEN typed on the command line (ISO date or date-time, today, yesterday, tomorrow).
    A date alone is 09:00 local; with ``whole_day`` (a limit such as ``agenda --until``) it
    is the end of that day, so everything due that day is included."""
    if text is None:
        return None
    from datetime import time

    from afterview.engine.domain.calendar import CalendarError, parse_when

    engine = session().engine
    default = time.max if whole_day else time(9, 0)
    try:
        return parse_when(text, now=engine.now(), tz=engine.tz, default_time=default)
    except CalendarError as error:
        raise Refused(f"{option}: {error}") from None


def deadline(text: str | None, option: str) -> tuple[datetime | None, bool]:
    """A company's deadline: a date alone is that whole day, so it ends at ``workday_end``
    (and says so: the second value is True)."""
    if text is None:
        return None, False
    from afterview.engine.domain.calendar import CalendarError, parse_deadline

    engine = session().engine
    try:
        return parse_deadline(text, now=engine.now(), tz=engine.tz,
                              workday_end=engine.settings.workday_end_time)
    except CalendarError as error:
        raise Refused(f"{option}: {error}") from None
def keywords(choices: Sequence[str]) -> click.Choice[str]:
    """One of a few keywords (a state, a kind, a format), typed in any case."""
    return click.Choice(list(choices), case_sensitive=False)


def required_when(text: str, option: str) -> datetime:
    """A WHEN that an option requires."""
    moment = when(text, option)
    assert moment is not None, "click enforces required options"
    return moment


def emit_json(value: object) -> None:
    """JSON on stdout; control characters in it escaped as JSON does (``\\u001b``)."""
    from afterview.engine.io.text import json_text

    click.echo(json_text(value, indent=2))


# ---------------------------------------------------------------------------
# Shell completion (docs/completion.md): ids from the database, never an error in the shell


def complete_application(ctx: click.Context, _param: click.Parameter, incomplete: str) -> list[str]:
    """APP: the application ids that start with what was typed."""
    return _completing(ctx, lambda engine: engine.application_ids(incomplete))


def complete_task(ctx: click.Context, _param: click.Parameter, incomplete: str) -> list[str]:
    """TASK: the open tasks whose id starts with what was typed, soonest first."""
    from afterview.engine.service.api import tasks_of

    return _completing(ctx, lambda engine: [
        name for t in tasks_of(engine.applications()) for name in (t.ref, t.id)
        if name.startswith(incomplete)])


def complete_setting(_ctx: click.Context, _param: click.Parameter, incomplete: str) -> list[str]:
    from afterview.engine.domain.settings import KEYS

    return [key for key in KEYS if key.startswith(incomplete)]


def _completing(ctx: click.Context, read: Callable[[Engine], list[str]]) -> list[str]:
    """What ``read(engine)`` finds in the chosen database; nothing if there is none yet
    (completing must not create it) or anything goes wrong."""
    from afterview.engine.service.api import database_file

    params = ctx.find_root().params
    db = db_location(params.get("db_path"))
    try:
        path = database_file(db)
        if path is not None and not path.is_file():
            return []
        with open_tenant_engine(db, params.get("tenant")) as engine:
            found: list[str] = read(engine)
            return found
    except Exception:  # a broken database must not print a traceback into the shell
        return []
