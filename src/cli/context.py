"""What every command shares: the session (database, output mode, engine), the parsing of
dates and money typed on the command line, and how a refusal is reported."""

from __future__ import annotations

import os
import sys
from datetime import datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

import click

if TYPE_CHECKING:
    from afterview.engine.service.api import Engine

MAX_AMOUNT = Decimal("1e12")


class Refused(Exception):
    """A refusal found by the command line itself (a bad value, a bad combination)."""

    def __init__(self, message: str, exit_code: int = 2) -> None:
        super().__init__(message)
        self.exit_code = exit_code


def fail(message: str, exit_code: int) -> NoReturn:
    """One ``error:`` line on stderr (first line only: never a wall of text) and exit."""
    first_line = " ".join(str(message).split())
    click.echo(f"error: {first_line}", err=True)
    sys.exit(exit_code)


def map_error(error: Exception) -> tuple[str, int] | None:
    """The message and exit status for an error the engine raised, if it is one of ours."""
    if os.environ.get("AFTERVIEW_DEBUG"):
        raise error
    from afterview.engine.domain.state import DomainError
    from afterview.engine.store.base import StoreError

    if isinstance(error, DomainError):
        return str(error), error.exit_code
    if isinstance(error, StoreError):
        return str(error), 1
    from afterview.engine.domain.events import UnknownEventType

    if isinstance(error, UnknownEventType):
        return (f"the log holds an event of a type this afterview does not know ({error}): "
                "it was written by a newer afterview; upgrade to read it", 1)
    calendar = sys.modules.get("afterview.engine.domain.calendar")
    if calendar is not None and isinstance(error, calendar.CalendarError):
        return str(error), 2
    return None


def default_db_path() -> Path:
    from platformdirs import user_data_dir

    return Path(user_data_dir("afterview", appauthor=False)) / "afterview.db"


def db_location(given: str | None) -> str | Path:
    """What ``--db`` / ``$AFTERVIEW_DB`` names, for open_store: a path (``~`` expanded) or
    a store URL such as sqlite:///path or memory:; else the default database."""
    if not given:
        return default_db_path()
    from afterview.engine.store.open import url_scheme

    return given if url_scheme(given) else Path(given).expanduser()


class Session:
    """The database and output mode chosen by the global options; opens the engine once."""

    def __init__(self, db_path: str | None, as_json: bool, actor: str = "cli") -> None:
        self.db_path = db_location(db_path)
        self.as_json = as_json
        self.actor = actor
        self._engine: Engine | None = None

    @property
    def engine(self) -> Engine:
        if self._engine is None:
            from afterview.engine.service.api import Engine
            from afterview.engine.store import open_store

            self._engine = Engine(open_store(self.db_path), actor=self.actor)
        return self._engine

    def close(self) -> None:
        if self._engine is not None:
            self._engine.store.close()
            self._engine = None


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


def required_when(text: str, option: str) -> datetime:
    """A WHEN that an option requires."""
    moment = when(text, option)
    assert moment is not None, "click enforces required options"
    return moment


def required_money(text: str, option: str) -> Decimal:
    amount = money(text, option)
    assert amount is not None, "click enforces required options"
    return amount


def money(text: str | None, option: str) -> Decimal | None:
    """An amount of money: a finite number, not negative, not absurd."""
    if text is None:
        return None
    cleaned = text.strip().replace(",", "").replace("_", "")
    try:
        amount = Decimal(cleaned)
    except InvalidOperation:
        raise Refused(f"{option} {text!r} is not a number: write it like 85000 or 85000.50") from None
    if not amount.is_finite():
        raise Refused(f"{option} {text!r} is not a finite amount")
    if amount < 0:
        raise Refused(f"{option} {text!r} is negative: amounts are 0 or more")
    if amount > MAX_AMOUNT:
        raise Refused(f"{option} {text!r} is too large to be an amount of money")
    return abs(amount)  # -0 is not negative, but must be stored as 0, not "-0"


def emit_json(value: Any) -> None:
    import json

    click.echo(json.dumps(value, indent=2, ensure_ascii=False, default=str))


# ---------------------------------------------------------------------------
# Shell completion (docs/completion.md): ids from the database, never an error in the shell


def complete_application(ctx: click.Context, _param: click.Parameter, incomplete: str) -> list[str]:
    """APP: the application ids that start with what was typed."""
    from afterview.engine.domain.state import PROFILE_STREAM

    return [s for s in _completing(ctx, lambda engine: engine.store.stream_ids(incomplete))
            if s != PROFILE_STREAM]


def complete_task(ctx: click.Context, _param: click.Parameter, incomplete: str) -> list[str]:
    """TASK: the open tasks whose id starts with what was typed, soonest first."""
    from afterview.engine.service.api import tasks_of

    return _completing(ctx, lambda engine: [t.id for t in tasks_of(engine.applications())
                                            if t.id.startswith(incomplete)])


def complete_setting(_ctx: click.Context, _param: click.Parameter, incomplete: str) -> list[str]:
    from afterview.engine.domain.settings import KEYS

    return [key for key in KEYS if key.startswith(incomplete)]


def _completing(ctx: click.Context, read: Any) -> list[str]:
    """What ``read(engine)`` finds in the chosen database; nothing if there is none yet
    (completing must not create it) or anything goes wrong."""
    from afterview.engine.service.api import Engine
    from afterview.engine.store import open_store
    from afterview.engine.store.open import sqlite_path

    db = db_location(ctx.find_root().params.get("db_path"))
    try:
        path = sqlite_path(db)
        if path is not None and not path.is_file():
            return []
        with open_store(db) as store:
            found: list[str] = read(Engine(store))
            return found
    except Exception:  # a broken database must not print a traceback into the shell
        return []
