"""Business days, public holidays, time zones and the WHEN values people type.

Everything here is pure: the caller hands in now, the zone and the country.
The one exception, ``local_zone``, asks the operating system and belongs to
the shell. ``holidays`` and ``tzlocal`` are imported only when needed so that
CLI start-up stays light.
"""

from __future__ import annotations

import functools
import math
import re
import threading
from datetime import UTC, date, datetime, time, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

import attrs

from afterview.engine.domain import phrases

if TYPE_CHECKING:
    from collections.abc import Iterable

    from holidays import HolidayBase

__all__ = [
    "CalendarError",
    "WorkCalendar",
    "local_zone",
    "names_a_day",
    "parse_clock_time",
    "parse_deadline",
    "parse_now",
    "parse_when",
    "validate_country",
    "validate_subdivision",
    "validate_timezone",
]

MIN_YEAR = 1900
MAX_YEAR = 2200
_WHEN_FORMS = f"use {phrases.EXAMPLES}"
_YEARS = f"the year must be from {MIN_YEAR} to {MAX_YEAR}"
_SATURDAY = 5


class CalendarError(ValueError):
    """A time zone, country, date or time that cannot be used; the message says why
    and what would be right, in one line."""


@attrs.frozen
class WorkCalendar:
    """Where and when a person works: deadlines are counted on its local dates.

    Expects canonical values (as returned by the ``validate_*`` functions). It is
    hashable and cheap to build; holiday tables are shared between instances.
    """

    tz: ZoneInfo = attrs.field(validator=attrs.validators.instance_of(ZoneInfo))
    country: str | None = None
    subdivision: str | None = attrs.field(default=None)
    workday_start: time = attrs.field(default=time(9, 0))
    days_off: frozenset[date] = frozenset()  # personal days off: not business days either

    @subdivision.validator
    def _needs_country(self, _attribute: attrs.Attribute[str | None], value: str | None) -> None:
        if value is not None and self.country is None:
            raise CalendarError(f"subdivision {value!r} needs a country: set the country first")

    @workday_start.validator
    def _is_wall_time(self, _attribute: attrs.Attribute[time], value: time) -> None:
        if not isinstance(value, time) or value.tzinfo is not None:
            raise CalendarError("workday_start must be a local time of day such as 09:00")

    def local_date(self, moment: datetime) -> date:
        """The date of ``moment`` on a wall calendar in this zone."""
        return _require_aware(moment).astimezone(self.tz).date()

    def at_workday_start(self, day: date) -> datetime:
        """``day`` at ``workday_start`` in this zone.

        A wall time skipped by a clock change gives the first instant after the
        gap; a repeated one gives its first occurrence.
        """
        return _localize(datetime.combine(self._as_date(day), self.workday_start), self.tz)

    def is_business_day(self, day: date) -> bool:
        """Not a Saturday or Sunday, not one of your days off, and not a public holiday of
        the country (and subdivision); with no country, only weekends are off."""
        day = self._as_date(day)
        return (day.weekday() < _SATURDAY and day not in self.days_off
                and self.holiday_name(day) is None)

    def last_working_day(self, start: date, rest_days: int) -> date:
        """Before starting on ``start`` with ``rest_days`` calendar days off: the last
        business day on or before ``start`` minus the rest days."""
        return self.business_day_on_or_before(start - timedelta(days=rest_days))

    def notice_date(self, start: date, rest_days: int, notice_days: int) -> date:
        """``notice_days`` calendar days before the last working day, moved back to a
        business day."""
        last = self.last_working_day(start, rest_days)
        return self.business_day_on_or_before(last - timedelta(days=notice_days))

    def business_day_on_or_before(self, day: date) -> date:
        """``day`` if it is a business day, else the last one before it."""
        day = self._as_date(day)
        while not self._is_working(day):
            day -= timedelta(days=1)
        return day

    def holiday_name(self, day: date) -> str | None:
        """The public holiday on ``day`` (including "observed" days), if any."""
        if self.country is None:
            return None
        return _holiday_name(self.country, self.subdivision, self._as_date(day))

    def add_business_days(self, moment: datetime, days: int) -> datetime:
        """The ``days``-th business day after the local date of ``moment``, at
        ``workday_start``.

        Day 1 is the first business day after that date, whatever the hour of
        ``moment``. With ``days == 0`` the local date itself is used if it is a
        business day, else the next one. A date that the zone skipped entirely
        (Samoa's 30 December 2011) is not counted.
        """
        if days < 0:
            raise CalendarError(f"cannot count {days} business days: use 0 or more")
        day = self.local_date(moment)
        if days == 0 and self._is_working(day):
            return self.at_workday_start(day)
        counted = 0
        while counted < max(days, 1):
            day += timedelta(days=1)
            if self._is_working(day):
                counted += 1
        return self.at_workday_start(day)

    def add_calendar_days(self, moment: datetime, days: int) -> datetime:
        """``days`` calendar days after the local date of ``moment``, at ``workday_start``."""
        return self.at_workday_start(self.local_date(moment) + timedelta(days=days))

    def days_before(self, day: date, days: int) -> datetime:
        """``days`` calendar days before ``day``, at ``workday_start``."""
        return self.at_workday_start(self._as_date(day) - timedelta(days=days))

    def _is_working(self, day: date) -> bool:
        return self.is_business_day(day) and self.local_date(self.at_workday_start(day)) == day

    def _as_date(self, day: date) -> date:
        # A datetime is a date too; its date is the one on this zone's wall calendar.
        if isinstance(day, datetime):
            return self.local_date(day)
        return day


# --- time zones -----------------------------------------------------------------


def _require_aware(moment: datetime) -> datetime:
    if moment.tzinfo is None or moment.utcoffset() is None:
        # A naive datetime would be read in the machine's zone: refuse rather than guess.
        raise CalendarError(f"{moment.isoformat()} has no time zone: give an offset or a zone")
    return moment


def _localize(wall: datetime, tz: ZoneInfo) -> datetime:
    """Attach ``tz`` to a wall time: the first occurrence of a repeated time, the
    first instant after the gap for a skipped one."""
    first = wall.replace(tzinfo=tz, fold=0)
    if first.astimezone(UTC).astimezone(tz).replace(tzinfo=None) == wall:
        return first
    # In a gap, fold=0 reads the wall time with the offset before the change and
    # fold=1 with the one after: the change happened between the two instants.
    # Transitions fall on whole seconds, so bisect on whole seconds.
    before = math.floor(wall.replace(tzinfo=tz, fold=1).timestamp())
    after = math.ceil(first.timestamp())
    offset_after = datetime.fromtimestamp(after, tz).utcoffset()
    while after - before > 1:
        middle = (before + after) // 2
        if datetime.fromtimestamp(middle, tz).utcoffset() == offset_after:
            after = middle
        else:
            before = middle
    return datetime.fromtimestamp(after, tz)


def validate_timezone(name: str) -> ZoneInfo:
    """The zone called ``name`` (an IANA name such as Europe/Berlin)."""
    import zoneinfo

    key = name.strip()
    # "localtime" is this machine's setting, not a zone: it would differ on replay.
    known = zoneinfo.available_timezones() - {"localtime"}
    if key not in known:
        raise CalendarError(f"unknown time zone {_quote(key)}: {_zone_hint(key, known)}")
    try:
        return ZoneInfo(key)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError, OSError) as error:
        raise CalendarError(
            f"time zone {_quote(key)} cannot be loaded ({error}); install the tzdata package"
        ) from None


def _zone_hint(key: str, known: Iterable[str]) -> str:
    import difflib

    by_folded = {zone.casefold(): zone for zone in known}
    if key.casefold() in by_folded:
        return f"did you mean {by_folded[key.casefold()]}? (names are case-sensitive)"
    close = difflib.get_close_matches(key.casefold(), by_folded, n=1, cutoff=0.8)
    if close:
        return f"did you mean {by_folded[close[0]]}?"
    return "use an IANA name such as Europe/Berlin"


def local_zone() -> ZoneInfo:
    """The operating system's zone, else UTC.

    Reads the machine (TZ, /etc/localtime): shell code only, never the domain.
    """
    import tzlocal

    try:
        name = tzlocal.get_localzone_name()
        return ZoneInfo(name) if name and name != "localtime" else ZoneInfo("UTC")
    except Exception:  # whatever is wrong with the machine's zone, UTC still works
        return ZoneInfo("UTC")


# --- holidays -------------------------------------------------------------------

# The holiday tables fill in years lazily when asked about a date (expand=True),
# which mutates them; the daemon asks from worker threads.
_HOLIDAYS_LOCK = threading.Lock()


@functools.lru_cache(maxsize=32)
def _holiday_table(country: str, subdivision: str | None) -> HolidayBase:
    import holidays

    try:
        return holidays.country_holidays(country, subdiv=subdivision)
    except NotImplementedError:
        where = country if subdivision is None else f"{country}-{subdivision}"
        raise CalendarError(
            f"no holiday calendar for {_quote(where)}: set a supported country and subdivision"
        ) from None


def _holiday_name(country: str, subdivision: str | None, day: date) -> str | None:
    table = _holiday_table(country, subdivision)
    with _HOLIDAYS_LOCK:
        name: str | None = table.get(day)
    return name


def validate_country(code: str) -> str:
    """The ISO 3166 alpha-2 code for ``code`` if the holidays package knows it."""
    import holidays

    wanted = code.strip().upper()
    if wanted in holidays.list_supported_countries(include_aliases=False):
        return wanted
    if wanted and wanted in holidays.list_supported_countries(include_aliases=True):
        # An alpha-3 code or alias such as USA or UK: store the alpha-2 code.
        canonical: str = holidays.country_holidays(wanted).country
        return canonical
    raise CalendarError(
        f"unknown country {_quote(code.strip())}: use an ISO 3166 code that has a holiday "
        "calendar, such as US, GB or DE"
    )


def validate_subdivision(country: str, subdivision: str) -> str:
    """The holidays package's code for ``subdivision`` of ``country`` (a code such
    as CA, or a name such as California, in any case)."""
    import holidays

    country = validate_country(country)
    table = holidays.country_holidays(country)
    codes: tuple[str, ...] = tuple(table.subdivisions)
    aliases: dict[str, str] = dict(getattr(table, "subdivisions_aliases", {}))
    wanted = subdivision.strip().casefold()
    for code in codes:
        if code.casefold() == wanted:
            return code
    for alias, code in aliases.items():
        if alias.casefold() == wanted:
            return code
    if not codes:
        raise CalendarError(f"{country} has no subdivisions with their own holidays: unset it")
    shown = ", ".join(codes[:8]) + (f" (and {len(codes) - 8} more)" if len(codes) > 8 else "")
    raise CalendarError(
        f"{_quote(subdivision.strip())} is not a subdivision of {country}: use one of {shown}"
    )


# --- times people type ----------------------------------------------------------

_CLOCK = re.compile(r"(\d{1,2}):(\d{2})")


def parse_clock_time(text: str) -> time:
    """A time of day written H:MM or HH:MM, such as 09:00 or 8:30."""
    match = _CLOCK.fullmatch(text.strip())
    hint = "use HH:MM, such as 09:00 or 8:30"
    if match is None:
        raise CalendarError(f"{_quote(text.strip())} is not a time of day: {hint}")
    hour, minute = int(match[1]), int(match[2])
    if hour > 23 or minute > 59:
        part = "hour must be 0 to 23" if hour > 23 else "minutes must be 00 to 59"
        raise CalendarError(f"{_quote(text.strip())} is not a time of day: {part}; {hint}")
    return time(hour, minute)


def parse_when(text: str, *, now: datetime, tz: ZoneInfo, default_time: time = time(9, 0)) -> datetime:
    """When something happened or is due, as a person types it.

    - ``2026-03-14`` (any ISO 8601 date): that date at ``default_time`` in ``tz``;
    - ``2026-03-14T15:30:00+01:00`` or ``...Z``: that instant, with the offset given;
    - ``2026-03-14T15:30`` (no offset): that wall time in ``tz``; a time skipped by
      a clock change becomes the first instant after the gap, a repeated one its
      first occurrence;
    - ``today``, ``yesterday``, ``tomorrow``: that date, counted from ``now``'s
      date in ``tz``, at ``default_time``. They mean a date, exactly as if it had
      been written out, so ``today`` is 09:00 today even at 08:00 or 17:00;
    - what people type (``domain/phrases.py``): ``tomorrow 14:00``, ``friday``,
      ``next tue 10am``, ``in 3 days``, ``2 weeks ago``, ``dec 4``; a day without a
      time of day is at ``default_time``.

    Case and surrounding spaces are ignored. Years outside 1900-2200 are refused.
    Always returns an aware datetime.
    """
    _require_aware(now)
    stripped = text.strip()
    if not stripped:
        raise CalendarError(f"no date given: {_WHEN_FORMS}")
    local_now = now.astimezone(tz)
    try:
        reading = phrases.read_phrase(" ".join(stripped.lower().split()), local_now)
    except phrases.PhraseError as error:
        raise CalendarError(f"{error}; {_WHEN_FORMS}") from None
    if isinstance(reading, datetime):
        return reading
    if reading is not None:
        day, clock = reading
        if not MIN_YEAR <= day.year <= MAX_YEAR:
            raise CalendarError(f"{_quote(stripped)} is out of range: {_YEARS}")
        return _localize(datetime.combine(day, default_time if clock is None else clock), tz)
    try:
        value = _read_iso(stripped)
    except ValueError as error:
        reason = f": {error}" if str(error) else ""
        raise CalendarError(f"{_quote(stripped)} is not a date{reason}; {_WHEN_FORMS}") from None
    if not MIN_YEAR <= value.year <= MAX_YEAR:
        raise CalendarError(f"{_quote(stripped)} is out of range: {_YEARS}")
    if not isinstance(value, datetime):
        return _localize(datetime.combine(value, default_time), tz)
    return value if value.tzinfo is not None else _localize(value, tz)


def parse_deadline(text: str, *, now: datetime, tz: ZoneInfo,
                   workday_end: time) -> tuple[datetime, bool]:
    """A company's deadline as a person types it, and whether it was a date alone: a date
    alone is that whole day, so the deadline is the end of it (``workday_end``)."""
    return parse_when(text, now=now, tz=tz, default_time=workday_end), names_a_day(text)


def names_a_day(text: str) -> bool:
    """Whether ``text`` is a date without a time of day (``2026-11-30``, ``tomorrow``,
    ``friday``, ``in 3 days``)."""
    stripped = text.strip()
    try:  # any moment will do: whether a phrase names a time of day does not depend on it
        reading = phrases.read_phrase(" ".join(stripped.lower().split()),
                                      datetime(2026, 1, 5, tzinfo=UTC))
    except phrases.PhraseError:
        return False
    if reading is not None:
        return not isinstance(reading, datetime) and reading[1] is None
    try:
        return not isinstance(_read_iso(stripped), datetime)
    except ValueError:
        return False


def parse_now(value: str, tz: ZoneInfo) -> datetime:
    """The AFTERVIEW_NOW value: an ISO 8601 date-time with an offset, or a naive one
    read in ``tz``. A date alone is refused: it does not say what time it is."""
    stripped = value.strip()
    start = f"AFTERVIEW_NOW={_quote(stripped)} is not a date-time"
    forms = f"use ISO 8601 such as 2026-03-14T09:30:00+01:00, or 2026-03-14T09:30 for {tz} time"
    try:
        moment = _read_iso(stripped)
    except ValueError as error:
        reason = f": {error}" if str(error) else ""
        raise CalendarError(f"{start}{reason}; {forms}") from None
    if not isinstance(moment, datetime):
        raise CalendarError(f"{start}: it has no time of day; {forms}")
    if not MIN_YEAR <= moment.year <= MAX_YEAR:
        raise CalendarError(f"{start}: {_YEARS}; {forms}")
    return moment if moment.tzinfo is not None else _localize(moment, tz)


def _read_iso(text: str) -> date | datetime:
    """A date if ``text`` is an ISO 8601 date alone, else a date-time; ValueError says
    what is wrong with it, or is empty when it is not ISO 8601 at all."""
    upper = text.upper()  # for a lower-case "t" separator or "z" offset
    try:
        return date.fromisoformat(upper)
    except ValueError:
        pass
    try:
        return datetime.fromisoformat(upper)
    except ValueError as error:
        reason = str(error)
    if reason.startswith("Invalid isoformat string"):
        reason = ""
    elif reason.startswith("offset must be"):
        reason = "the offset must be between -23:59 and +23:59"
    raise ValueError(reason)


def _quote(text: str) -> str:
    # repr keeps the message on one line whatever was typed; long input is cut.
    return repr(text if len(text) <= 40 else text[:37] + "...")
