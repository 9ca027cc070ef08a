"""Settings: what the policies read, their defaults, and how a value is checked.

Settings are facts (``SettingChanged`` in the profile stream), so the audit shows which
settings were in force when each deadline was computed.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date, time, timedelta
from decimal import Decimal

import attrs

from afterview.engine.domain.state import InvalidValue


def _days(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise InvalidValue(f"{text!r} is not a whole number of days") from None
    if value < 0 or value > 365:
        raise InvalidValue(f"{value} days is out of range: use a whole number from 0 to 365")
    return value


def _hours(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise InvalidValue(f"{text!r} is not a whole number of hours") from None
    if value < 0 or value > 24 * 60:
        raise InvalidValue(f"{value} hours is out of range: use a whole number from 0 to 1440")
    return value


def _bool(text: str) -> bool:
    lowered = text.strip().lower()
    if lowered in ("true", "yes", "1", "on"):
        return True
    if lowered in ("false", "no", "0", "off"):
        return False
    raise InvalidValue(f"{text!r} is not true or false")


def _money(text: str) -> Decimal:
    from afterview.engine.domain.amounts import AmountError, parse_amount

    try:
        return parse_amount(text)
    except AmountError as error:
        raise InvalidValue(f"{text!r} is not an amount of money: it {error}") from None


def _timezone(text: str) -> str:
    from afterview.engine.domain.calendar import CalendarError, validate_timezone

    try:
        return str(validate_timezone(text))
    except CalendarError as error:
        raise InvalidValue(str(error)) from None


def _country(text: str) -> str:
    from afterview.engine.domain.calendar import CalendarError, validate_country

    try:
        return validate_country(text)
    except CalendarError as error:
        raise InvalidValue(str(error)) from None


def _clock(text: str) -> str:
    from afterview.engine.domain.calendar import CalendarError, parse_clock_time

    try:
        return parse_clock_time(text).strftime("%H:%M")
    except CalendarError as error:
        raise InvalidValue(str(error)) from None


def _currency(text: str) -> str:
    from afterview.engine.domain.amounts import currency_code

    code = currency_code(text)
    if code is None:
        raise InvalidValue(f"{text!r} is not a currency code: use three letters such as USD")
    return code


def _text(text: str) -> str:
    return text


def parse_days_off(text: str) -> frozenset[date]:
    """``2026-12-24,2026-12-31`` or ranges ``2026-12-24..2026-12-31`` (both ends included)."""
    days: set[date] = set()
    for part in (p.strip() for p in text.split(",")):
        if not part:
            continue
        first, _, last = part.partition("..")
        try:
            start = date.fromisoformat(first.strip())
            end = date.fromisoformat(last.strip()) if last else start
        except ValueError:
            raise InvalidValue(f"{part!r} is not a day off: use YYYY-MM-DD or "
                               "YYYY-MM-DD..YYYY-MM-DD, separated by commas") from None
        if end < start or (end - start).days > 366:
            raise InvalidValue(f"{part!r}: a range runs forwards and spans at most a year")
        days.update(start + timedelta(days=n) for n in range((end - start).days + 1))
    return frozenset(days)


def _days_off(text: str) -> str:
    parse_days_off(text)
    return ",".join(p.strip() for p in text.split(",") if p.strip())


def _stored_zone(text: str) -> str:
    """A stored zone name this machine can load (cheaper than listing every zone)."""
    import zoneinfo

    if not isinstance(text, str) or text != text.strip() or text in ("", "localtime"):
        raise InvalidValue(f"{text!r} is not a time zone name")
    try:
        zoneinfo.ZoneInfo(text)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError, OSError):
        raise InvalidValue(f"time zone {text!r} is not known on this machine") from None
    return text


def _stored_text(text: str) -> str:
    if not isinstance(text, str):
        raise InvalidValue(f"{text!r} is not text")
    return text


def fallback_message(key: str, text: object, error: Exception) -> str:
    default = _SPEC[key][1]
    shown = "its default" if default is None and key != "timezone" else (
        "this machine's zone" if key == "timezone" else f"the default {default}")
    return (f"setting {key} = {text!r} cannot be used ({error}); using {shown} until "
            f"'afterview config set {key} ...' sets a valid value")


def usable_country(country: str | None, subdivision: str | None,
                   problems: list[str]) -> tuple[str | None, str | None]:
    """The stored country and subdivision if the holidays package knows them; else
    none (weekends only), said in ``problems``. Checked once per pair and process."""
    key = (country, subdivision)
    if key not in _USABLE:
        found: list[str] = []
        _USABLE[key] = (*_usable_country(country, subdivision, found), tuple(found))
    usable_country_code, usable_subdivision, said = _USABLE[key]
    problems.extend(said)
    return usable_country_code, usable_subdivision


_USABLE: dict[tuple[str | None, str | None], tuple[str | None, str | None, tuple[str, ...]]] = {}


def _usable_country(country: str | None, subdivision: str | None,
                    problems: list[str]) -> tuple[str | None, str | None]:
    from afterview.engine.domain.calendar import CalendarError, validate_country, validate_subdivision

    if country is None:
        return None, None
    try:
        if validate_country(country) != country:
            raise CalendarError(f"{country!r} is not a country code as stored")
    except CalendarError as error:
        problems.append(fallback_message("country", country, error))
        return None, None
    if subdivision is None:
        return country, None
    try:
        if validate_subdivision(country, subdivision) != subdivision:
            raise CalendarError(f"{subdivision!r} is not a subdivision code as stored")
    except CalendarError as error:
        problems.append(fallback_message("subdivision", subdivision, error))
        return country, None
    return country, subdivision


# key -> (parse the text a person typed into its stored form, default, help)
SettingValue = str | int | bool | Decimal | None
"""A setting's value in force (``Settings`` gives each key its own type)."""

_SPEC: dict[str, tuple[Callable[[str], SettingValue], SettingValue, str]] = {
    "timezone": (_timezone, None, "zone for local dates and workday_start (IANA name)"),
    "country": (_country, None, "holiday calendar, ISO 3166 code such as US, GB, DE"),
    "subdivision": (_text, None, "state or province of that calendar, such as CA"),
    "workday_start": (_clock, "09:00", "when business-day deadlines fall due (HH:MM)"),
    "workday_end": (_clock, "17:00", "the end of a company's deadline given as a date alone"),
    "followup_application_days": (_days, 10, "business days before following up an application"),
    "thank_you_hours": (_hours, 24, "hours after an interview to send a thank-you note"),
    "followup_interview_days": (_days, 5, "business days before following up an interview"),
    "decision_days": (_days, 2, "business days to decide on an offer"),
    "followup_counter_days": (_days, 3, "business days before following up a counter-offer"),
    "reflect_days": (_days, 7, "calendar days after a rejection to reflect"),
    "notice_days": (_days, 14, "calendar days of notice at your current job"),
    "rest_days": (_days, 3, "calendar days off between jobs"),
    "currently_employed": (_bool, False, "whether resignation-notice applies"),
    "target_salary": (_money, None, "compared with offers' base to suggest negotiating"),
    "target_total": (_money, None, "compared with offers' first-year total"),
    "followup_again_days": (_days, 7, "business days before following up a second time"),
    "days_off": (_days_off, None, "personal days off: YYYY-MM-DD or FROM..TO, comma-separated"),
    "currency": (_currency, "USD", "default currency for amounts"),
    "digest": (_bool, True, "a daily digest at workday_start (daemon and tick)"),
}

KEYS: tuple[str, ...] = tuple(_SPEC)


def describe(key: str) -> str:
    return str(_SPEC[key][2])


def normalise(key: str, text: str) -> str | None:
    """Check a value a person typed and return the text to store (``""`` unsets it)."""
    if key not in _SPEC:
        raise InvalidValue(f"unknown setting {key!r}: use one of {', '.join(KEYS)}")
    if text.strip() == "":
        if _SPEC[key][1] is not None and key != "currency":
            raise InvalidValue(f"{key} cannot be empty")
        return None
    parsed = _SPEC[key][0](text)
    if key == "subdivision":
        return text.strip().upper()
    return str(parsed).lower() if isinstance(parsed, bool) else str(parsed)


@attrs.frozen
class Settings:
    """The settings in force; built from the latest ``SettingChanged`` per key."""

    timezone: str | None = None
    country: str | None = None
    subdivision: str | None = None
    workday_start: str = "09:00"
    workday_end: str = "17:00"
    followup_application_days: int = 10
    thank_you_hours: int = 24
    followup_interview_days: int = 5
    decision_days: int = 2
    followup_counter_days: int = 3
    reflect_days: int = 7
    notice_days: int = 14
    rest_days: int = 3
    currently_employed: bool = False
    target_salary: Decimal | None = None
    target_total: Decimal | None = None
    followup_again_days: int = 7
    days_off: str | None = None
    currency: str = "USD"
    recorded_days_off: frozenset[date] = frozenset()  # from DaysOffRecorded facts
    digest: bool = True

    @classmethod
    def from_values(cls, values: Mapping[str, str | None],
                    problems: list[str] | None = None) -> Settings:
        """Settings from stored texts; a key set to nothing takes its default. A stored
        value that is not valid (here, now: a zone this machine lacks, a number out of
        range) takes its default too, and says so in ``problems``: one bad setting must
        never stop every command. The country is checked where holidays are loaded
        (``usable_country``), so reading commands stay light."""
        kwargs: dict[str, SettingValue] = {}
        for key, text in values.items():
            if key not in _SPEC or text is None:
                continue
            parse = _SPEC[key][0]
            try:
                if parse is _timezone:
                    kwargs[key] = _stored_zone(text)
                elif parse in (_country, _text):
                    kwargs[key] = _stored_text(text)
                else:
                    kwargs[key] = parse(text)
            except InvalidValue as error:
                if problems is not None:
                    problems.append(fallback_message(key, text, error))
        return cls(**kwargs)  # type: ignore[arg-type]  # each value parsed to its key's type by _SPEC

    @property
    def workday_start_time(self) -> time:
        hours, minutes = self.workday_start.split(":")
        return time(int(hours), int(minutes))

    @property
    def workday_end_time(self) -> time:
        hours, minutes = self.workday_end.split(":")
        return time(int(hours), int(minutes))

    @property
    def all_days_off(self) -> frozenset[date]:
        """The days off of the setting and of every ``vacation`` recorded."""
        listed = parse_days_off(self.days_off) if self.days_off else frozenset()
        return listed | self.recorded_days_off

    def shown(self) -> dict[str, SettingValue]:
        """Every key with the value in force, for ``config list``."""
        return {key: getattr(self, key) for key in KEYS}
