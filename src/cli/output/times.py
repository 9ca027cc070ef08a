"""Times as a person reads them: in the configured zone, with the weekday, and near now in
words ("today 14:00", "Fri 4 Dec 09:00 (in 3 days)"); for scripts, ISO 8601 in that zone.

The zone and the clock come from the session once it opens the database (``use_frame``);
until then (or in a unit test of a renderer) a time is shown in its own offset.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, tzinfo

_NEAR_DAYS = 13  # up to this many days away, a time also says how far it is
_WORDS = {-1: "yesterday", 0: "today", 1: "tomorrow"}

_frame: Callable[[], tuple[datetime, tzinfo]] | None = None
_cached: tuple[datetime, tzinfo] | None = None


def use_frame(frame: Callable[[], tuple[datetime, tzinfo]] | None) -> None:
    """Where times are shown from: ``frame()`` gives now and the configured zone (read once,
    when the first time is shown). ``None`` forgets it."""
    global _frame, _cached
    _frame, _cached = frame, None


def _now_and_zone() -> tuple[datetime, tzinfo] | None:
    global _cached
    if _cached is None and _frame is not None:
        _cached = _frame()
    return _cached


def local(moment: datetime) -> datetime:
    """``moment`` in the configured zone."""
    frame = _now_and_zone()
    return moment if frame is None else moment.astimezone(frame[1])


def iso(moment: datetime | None) -> str | None:
    """ISO 8601 with the offset of the configured zone (for JSON)."""
    return None if moment is None else local(moment).isoformat()


def now() -> datetime | None:
    """The session's now (AFTERVIEW_NOW or the clock), if a database is open."""
    frame = _now_and_zone()
    return None if frame is None else frame[0]


def today() -> date | None:
    frame = _now_and_zone()
    return None if frame is None else frame[0].astimezone(frame[1]).date()


def day_text(day: date, *, relative: bool = False) -> str:
    """``Fri 4 Dec`` (with the year when it is not this year's); ``today`` and its neighbours
    in words; with ``relative``, a day within two weeks also says how far it is."""
    current = today()
    delta = None if current is None else (day - current).days
    if delta in _WORDS:
        return _WORDS[delta]
    year = "" if current is not None and day.year == current.year else f" {day.year}"
    return f"{day:%a} {day.day} {day:%b}{year}" + (_distance(delta) if relative else "")


def when_text(moment: datetime, *, relative: bool = True) -> str:
    """``Fri 4 Dec 09:00 (in 3 days)``, ``yesterday 14:00``, ``Mon 4 Jan 2027 09:00``."""
    shown = local(moment)
    current = today()
    delta = None if current is None else (shown.date() - current).days
    return f"{day_text(shown.date())} {shown:%H:%M}" + (_distance(delta) if relative else "")


def _distance(delta: int | None) -> str:
    if delta is None or delta in _WORDS or abs(delta) > _NEAR_DAYS:
        return ""
    return f" (in {delta} days)" if delta > 0 else f" ({-delta} days ago)"


def days_ago(moment: datetime | None) -> int | None:
    """Whole days from ``moment`` to now (0 today), in the configured zone."""
    current = today()
    return None if moment is None or current is None else (current - local(moment).date()).days
