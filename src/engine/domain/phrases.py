"""Dates and times as people type them: ``tomorrow 14:00``, ``friday``, ``next tue 10am``,
``in 3 days``, ``2 weeks ago``, ``dec 4``. A small grammar of our own: the parsers on PyPI
cost more start-up than afterview's whole command line (docs/cli.md, Decisions).

``read_phrase`` gives a local date with an optional time of day (or an exact offset from
now, for ``in 3 hours``); ``calendar.parse_when`` turns that into an instant in the zone.
"""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta

EXAMPLES = "e.g. 2026-12-04T14:00, tomorrow 14:00, friday, next tue 10am, in 3 days or dec 4"

_WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
_DAY_WORDS = {"yesterday": -1, "today": 0, "tomorrow": 1}
_UNITS = {"minute": timedelta(minutes=1), "min": timedelta(minutes=1),
          "hour": timedelta(hours=1), "day": timedelta(days=1), "week": timedelta(weeks=1)}

_TIME = re.compile(r"(?:at\s+)?(?:(noon|midnight)|(\d{1,2})(?::(\d{2}))?\s*(am|pm)?)")
_SPAN = re.compile(r"(?:in\s+(\d{1,4}|an?|one)\s+([a-z]+?)s?|(\d{1,4}|an?|one)\s+([a-z]+?)s?\s+ago)")


class PhraseError(ValueError):
    """Text that reads like a date or a time but is not a valid one (says why)."""


Reading = tuple[date, time | None] | datetime


def read_phrase(text: str, now: datetime) -> Reading | None:
    """What ``text`` (lower case, spaces collapsed) means, seen from ``now`` (local, aware):
    a date and maybe a time, or an instant; None when it is no phrase of this grammar."""
    span = _read_span(text, now)
    if span is not None:
        return span
    day_part, clock = _split_time(text)
    day = _read_day(day_part, now.date())
    if day is None:
        return None
    return day, clock


def _split_time(text: str) -> tuple[str, time | None]:
    """The day words and the time of day at the end of ``text``, if any."""
    words = text.split()
    for cut in (2, 1):  # "at 10am", "10 am", "10am", "14:00"
        if len(words) > cut or (len(words) == cut and _looks_like_time(words)):
            tail = " ".join(words[-cut:])
            clock = _read_time(tail)
            if clock is not None:
                return " ".join(words[:-cut]) or "today", clock
    return text, None


def _looks_like_time(words: list[str]) -> bool:
    return words[0] in ("at", "noon", "midnight") or bool(re.search(r"\d(:\d\d|am|pm)", words[-1]))


def _read_time(text: str) -> time | None:
    match = _TIME.fullmatch(text)
    if match is None:
        return None
    named, hour_text, minute_text, meridiem = match.groups()
    if named:
        return time(12, 0) if named == "noon" else time(0, 0)
    if minute_text is None and meridiem is None:
        if text.startswith("at"):
            raise PhraseError(f"{text!r} could be morning or evening: write {hour_text}am, "
                              f"{hour_text}pm or {int(hour_text):02d}:00")
        return None  # a bare number is a day of the month, not a time
    hour, minute = int(hour_text), int(minute_text or 0)
    if meridiem is not None:
        if not 1 <= hour <= 12:
            raise PhraseError(f"{text!r}: with am or pm the hour is 1 to 12")
        hour = hour % 12 + (12 if meridiem == "pm" else 0)
    if hour > 23 or minute > 59:
        raise PhraseError(f"{text!r} is not a time of day")
    return time(hour, minute)


def _read_day(text: str, today: date) -> date | None:
    if text in _DAY_WORDS:
        return today + timedelta(days=_DAY_WORDS[text])
    words = text.split()
    if len(words) in (1, 2) and _weekday(words[-1]) is not None:
        return _weekday_from(words, today)
    return _month_day(words, today)


def _weekday(word: str) -> int | None:
    for index, name in enumerate(_WEEKDAYS):
        full = date(2026, 11, 16 + index).strftime("%A").lower()  # a Monday, then the week
        if (len(word) >= 3 and full.startswith(word)) or word in (name, name + "s"):
            return index
    return None


def _weekday_from(words: list[str], today: date) -> date | None:
    """``friday``: the coming one (today if it is Friday); ``next friday``: the first after
    today; ``last friday``: the last before today."""
    weekday = _weekday(words[-1])
    assert weekday is not None
    ahead = (weekday - today.weekday()) % 7
    if len(words) == 1:
        return today + timedelta(days=ahead)
    if words[0] in ("next", "this", "coming", "on"):
        return today + timedelta(days=ahead or 7)
    if words[0] in ("last", "past"):
        return today - timedelta(days=(today.weekday() - weekday) % 7 or 7)
    return None


def _month(word: str) -> int | None:
    word = word.rstrip(".")
    for index, name in enumerate(_MONTHS):
        full = date(2026, index + 1, 1).strftime("%B").lower()
        if (len(word) >= 3 and full.startswith(word)) or (word == "sept" and name == "sep"):
            return index + 1
    return None


def _month_day(words: list[str], today: date) -> date | None:
    """``dec 4``, ``4 dec``, ``december 4th 2026``: without a year, the nearest such date
    (a day within about six months either way)."""
    if len(words) not in (2, 3):
        return None
    first, second = words[0], words[1]
    month, day_text = (_month(first), second) if _month(first) else (_month(second), first)
    day_match = re.fullmatch(r"(\d{1,2})(?:st|nd|rd|th)?,?", day_text)
    if month is None or day_match is None:
        return None
    year_given = len(words) == 3
    if year_given and not re.fullmatch(r"\d{4}", words[2]):
        return None
    day = int(day_match[1])
    try:
        if year_given:
            return date(int(words[2]), month, day)
        candidates = [date(today.year + shift, month, day) for shift in (-1, 0, 1)
                      if _valid(today.year + shift, month, day)]
    except ValueError as error:
        raise PhraseError(f"{' '.join(words)!r} is not a date: {error}") from None
    if not candidates:
        raise PhraseError(f"{' '.join(words)!r} is not a date: day is out of range for month")
    return min(candidates, key=lambda c: abs((c - today).days))


def _valid(year: int, month: int, day: int) -> bool:
    try:
        date(year, month, day)
    except ValueError:
        return False
    return True


def _read_span(text: str, now: datetime) -> Reading | None:
    """``in 3 days``, ``2 weeks ago``, ``in an hour``: days and weeks give a date (at the
    usual time of day), hours and minutes an instant."""
    match = _SPAN.fullmatch(text)
    if match is None:
        return None
    ahead = match[1] is not None
    count_text, unit_text = (match[1], match[2]) if ahead else (match[3], match[4])
    unit = _UNITS.get(unit_text)
    if unit is None:
        return None
    count = 1 if count_text in ("a", "an", "one") else int(count_text)
    step = unit * count * (1 if ahead else -1)
    if unit >= timedelta(days=1):
        return (now + step).date(), None
    return now + step
