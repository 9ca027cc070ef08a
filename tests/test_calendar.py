"""Business days, holidays and time zones: the dates a person's deadlines fall on."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from afterview.engine.domain.calendar import (
    CalendarError,
    WorkCalendar,
    local_zone,
    parse_clock_time,
    validate_country,
    validate_subdivision,
    validate_timezone,
)
from strategies import aware_moments, work_calendars

NEW_YORK = ZoneInfo("America/New_York")
BERLIN = ZoneInfo("Europe/Berlin")
LONDON = ZoneInfo("Europe/London")


def at(tz: ZoneInfo, year: int, month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=tz)


def one_business_day_after(calendar: WorkCalendar, day: date) -> date:
    return calendar.add_business_days(at(calendar.tz, day.year, day.month, day.day, 15), 1).date()


# --- counting business days -------------------------------------------------------


def test_business_days_skip_the_weekend() -> None:
    friday_afternoon = at(NEW_YORK, 2026, 11, 20, 15)
    due = WorkCalendar(NEW_YORK).add_business_days(friday_afternoon, 2)
    assert due == at(NEW_YORK, 2026, 11, 24, 9)
    assert due.isoformat() == "2026-11-24T09:00:00-05:00"


def test_business_days_count_from_the_local_date_not_the_utc_one() -> None:
    # 23:30 UTC on Friday is already Saturday 00:30 in Berlin: day 1 is Monday.
    friday_in_utc = datetime(2026, 3, 27, 23, 30, tzinfo=UTC)
    due = WorkCalendar(BERLIN).add_business_days(friday_in_utc, 1)
    assert due == at(BERLIN, 2026, 3, 30, 9)
    # 20:00 on Sunday in New York is Monday in UTC: day 1 is still Monday.
    sunday_evening = datetime(2026, 11, 23, 1, 0, tzinfo=UTC)
    assert WorkCalendar(NEW_YORK).add_business_days(sunday_evening, 1) == at(NEW_YORK, 2026, 11, 23, 9)


def test_one_business_day_after_a_morning_is_the_next_day_not_the_same_day() -> None:
    wednesday_early = at(NEW_YORK, 2026, 11, 18, 7)
    assert WorkCalendar(NEW_YORK).add_business_days(wednesday_early, 1) == at(NEW_YORK, 2026, 11, 19, 9)


def test_ten_business_days_is_two_working_weeks() -> None:
    monday = at(NEW_YORK, 2026, 9, 14, 11)
    assert WorkCalendar(NEW_YORK).add_business_days(monday, 10) == at(NEW_YORK, 2026, 9, 28, 9)


def test_zero_business_days_is_that_day_or_the_next_business_day() -> None:
    calendar = WorkCalendar(NEW_YORK)
    assert calendar.add_business_days(at(NEW_YORK, 2026, 11, 18, 15), 0) == at(NEW_YORK, 2026, 11, 18, 9)
    saturday = at(NEW_YORK, 2026, 11, 21, 15)
    assert calendar.add_business_days(saturday, 0) == at(NEW_YORK, 2026, 11, 23, 9)


def test_negative_business_days_are_refused() -> None:
    with pytest.raises(CalendarError, match="use 0 or more"):
        WorkCalendar(NEW_YORK).add_business_days(at(NEW_YORK, 2026, 11, 18, 15), -1)


def test_a_naive_moment_is_refused_rather_than_read_in_the_machine_zone() -> None:
    with pytest.raises(CalendarError, match="no time zone"):
        WorkCalendar(NEW_YORK).add_business_days(datetime(2026, 11, 18, 15), 1)


def test_workday_start_other_than_nine() -> None:
    calendar = WorkCalendar(BERLIN, workday_start=time(8, 30))
    friday = at(BERLIN, 2026, 6, 12, 17)
    assert calendar.add_business_days(friday, 1) == at(BERLIN, 2026, 6, 15, 8, 30)
    assert calendar.add_calendar_days(friday, 7) == at(BERLIN, 2026, 6, 19, 8, 30)


# --- public holidays ---------------------------------------------------------------


def test_thanksgiving_is_a_us_holiday_but_the_day_after_is_not_federal() -> None:
    us = WorkCalendar(NEW_YORK, "US")
    assert us.holiday_name(date(2026, 11, 26)) == "Thanksgiving Day"
    assert us.holiday_name(date(2026, 11, 27)) is None
    assert one_business_day_after(us, date(2026, 11, 25)) == date(2026, 11, 27)


def test_california_also_takes_the_day_after_thanksgiving() -> None:
    california = WorkCalendar(ZoneInfo("America/Los_Angeles"), "US", "CA")
    assert california.holiday_name(date(2026, 11, 27)) == "Day After Thanksgiving"
    assert one_business_day_after(california, date(2026, 11, 25)) == date(2026, 11, 30)


def test_cesar_chavez_day_is_a_holiday_in_california_only() -> None:
    california = WorkCalendar(ZoneInfo("America/Los_Angeles"), "US", "CA")
    new_york = WorkCalendar(NEW_YORK, "US", "NY")
    assert california.holiday_name(date(2026, 3, 31)) == "Cesar Chavez Day"
    assert not california.is_business_day(date(2026, 3, 31))
    assert new_york.is_business_day(date(2026, 3, 31))


def test_christmas_friday_moves_the_deadline_to_monday() -> None:
    us = WorkCalendar(NEW_YORK, "US")
    assert us.holiday_name(date(2026, 12, 25)) == "Christmas Day"
    assert us.add_business_days(at(NEW_YORK, 2026, 12, 24, 10), 1) == at(NEW_YORK, 2026, 12, 28, 9)


def test_independence_day_on_a_saturday_is_observed_on_the_friday() -> None:
    # 4 July 2026 is a Saturday; the holidays package lists Friday 3 July as
    # "Independence Day (observed)", and federal offices close that day.
    us = WorkCalendar(NEW_YORK, "US")
    assert us.holiday_name(date(2026, 7, 4)) == "Independence Day"
    assert us.holiday_name(date(2026, 7, 3)) == "Independence Day (observed)"
    assert one_business_day_after(us, date(2026, 7, 2)) == date(2026, 7, 6)


def test_new_year_observed_in_the_previous_year() -> None:
    # 1 January 2028 is a Saturday, observed on Friday 31 December 2027.
    us = WorkCalendar(NEW_YORK, "US")
    assert us.holiday_name(date(2027, 12, 31)) == "New Year's Day (observed)"
    assert one_business_day_after(us, date(2027, 12, 30)) == date(2028, 1, 3)


def test_holidays_are_known_for_years_asked_in_any_order() -> None:
    us = WorkCalendar(NEW_YORK, "US")
    assert us.holiday_name(date(2031, 12, 25)) == "Christmas Day"
    assert us.holiday_name(date(2019, 7, 4)) == "Independence Day"
    assert us.holiday_name(date(2031, 7, 4)) == "Independence Day"


def test_boxing_day_on_a_saturday_is_observed_on_monday_in_britain() -> None:
    gb = WorkCalendar(LONDON, "GB")
    assert gb.holiday_name(date(2026, 12, 26)) == "Boxing Day"
    assert gb.holiday_name(date(2026, 12, 28)) == "Boxing Day (observed)"
    assert gb.add_business_days(at(LONDON, 2026, 12, 24, 16), 1) == at(LONDON, 2026, 12, 29, 9)


def test_german_unity_day() -> None:
    germany = WorkCalendar(BERLIN, "DE")
    assert germany.holiday_name(date(2025, 10, 3)) == "German Unity Day"
    assert one_business_day_after(germany, date(2025, 10, 2)) == date(2025, 10, 6)


def test_epiphany_is_a_holiday_in_bavaria_but_not_in_berlin() -> None:
    bavaria = WorkCalendar(BERLIN, "DE", "BY")
    berlin = WorkCalendar(BERLIN, "DE", "BE")
    assert bavaria.holiday_name(date(2026, 1, 6)) == "Epiphany"
    assert berlin.holiday_name(date(2026, 1, 6)) is None
    assert one_business_day_after(bavaria, date(2026, 1, 5)) == date(2026, 1, 7)
    assert one_business_day_after(berlin, date(2026, 1, 5)) == date(2026, 1, 6)


def test_without_a_country_only_weekends_are_off() -> None:
    anywhere = WorkCalendar(NEW_YORK)
    assert anywhere.holiday_name(date(2026, 12, 25)) is None
    assert anywhere.is_business_day(date(2026, 12, 25))
    assert not anywhere.is_business_day(date(2026, 12, 26))
    assert not anywhere.is_business_day(date(2026, 12, 27))
    assert one_business_day_after(anywhere, date(2026, 12, 24)) == date(2026, 12, 25)


def test_an_unknown_country_in_a_calendar_is_a_calendar_error() -> None:
    with pytest.raises(CalendarError, match="no holiday calendar for 'XX'"):
        WorkCalendar(NEW_YORK, "XX").is_business_day(date(2026, 12, 25))


def test_a_subdivision_needs_a_country() -> None:
    with pytest.raises(CalendarError, match="needs a country"):
        WorkCalendar(NEW_YORK, subdivision="CA")


# --- clock changes ----------------------------------------------------------------


def test_business_days_across_the_us_spring_change_stay_at_nine_local() -> None:
    # Clocks go forward on Sunday 8 March 2026: the deadline is 09:00 EDT, not 10:00.
    due = WorkCalendar(NEW_YORK, "US").add_business_days(at(NEW_YORK, 2026, 3, 6, 15), 2)
    assert due.isoformat() == "2026-03-10T09:00:00-04:00"
    assert due.astimezone(UTC) == datetime(2026, 3, 10, 13, 0, tzinfo=UTC)


def test_business_days_across_the_european_spring_change_stay_at_nine_local() -> None:
    # Clocks go forward on Sunday 29 March 2026.
    due = WorkCalendar(BERLIN, "DE").add_business_days(at(BERLIN, 2026, 3, 27, 15), 2)
    assert due.isoformat() == "2026-03-31T09:00:00+02:00"


def test_calendar_days_across_the_autumn_change() -> None:
    # Clocks go back on Sunday 1 November 2026 in New York.
    friday = at(NEW_YORK, 2026, 10, 30, 22)
    assert WorkCalendar(NEW_YORK).add_calendar_days(friday, 7).isoformat() == ("2026-11-06T09:00:00-05:00")


def test_calendar_days_count_local_dates() -> None:
    # 02:00 UTC on Saturday 24 October is still Friday evening in New York.
    friday_evening = datetime(2026, 10, 24, 2, 0, tzinfo=UTC)
    assert WorkCalendar(NEW_YORK).add_calendar_days(friday_evening, 7) == at(NEW_YORK, 2026, 10, 30, 9)


def test_workday_start_skipped_by_the_clock_change_is_the_first_instant_after() -> None:
    early = WorkCalendar(NEW_YORK, workday_start=time(2, 30))
    assert early.at_workday_start(date(2026, 3, 8)).isoformat() == "2026-03-08T03:00:00-04:00"
    lord_howe = ZoneInfo("Australia/Lord_Howe")  # moves forward by half an hour, 02:00 -> 02:30
    start = WorkCalendar(lord_howe, workday_start=time(2, 15)).at_workday_start(date(2026, 10, 4))
    assert start.isoformat() == "2026-10-04T02:30:00+11:00"


def test_workday_start_repeated_by_the_clock_change_is_the_first_occurrence() -> None:
    early = WorkCalendar(NEW_YORK, workday_start=time(1, 30))
    assert early.at_workday_start(date(2026, 11, 1)).isoformat() == "2026-11-01T01:30:00-04:00"


def test_a_day_the_zone_skipped_is_not_a_working_day() -> None:
    # Samoa jumped from Thursday 29 to Saturday 31 December 2011.
    apia = ZoneInfo("Pacific/Apia")
    samoa = WorkCalendar(apia)
    assert samoa.at_workday_start(date(2011, 12, 30)).isoformat() == "2011-12-31T00:00:00+14:00"
    thursday = at(apia, 2011, 12, 29, 10)
    assert samoa.add_business_days(thursday, 1).isoformat() == "2012-01-02T09:00:00+14:00"


# --- calendar days before a date ---------------------------------------------------


def test_notice_falls_calendar_days_before_the_last_working_day() -> None:
    # Start on Monday 1 June 2026, three days' rest, fourteen days' notice.
    calendar = WorkCalendar(BERLIN, "DE")
    assert calendar.days_before(date(2026, 6, 1), 3 + 14) == at(BERLIN, 2026, 5, 15, 9)


def test_days_before_counts_dates_across_a_clock_change() -> None:
    due = WorkCalendar(BERLIN).days_before(date(2026, 4, 5), 14)
    assert due.isoformat() == "2026-03-22T09:00:00+01:00"


def test_days_before_lands_on_weekends_and_holidays_too() -> None:
    us = WorkCalendar(NEW_YORK, "US")
    assert us.days_before(date(2027, 1, 8), 14) == at(NEW_YORK, 2026, 12, 25, 9)


def test_a_start_given_as_a_datetime_uses_its_local_date() -> None:
    start = datetime(2026, 6, 1, 2, 0, tzinfo=UTC)  # still 31 May in New York
    assert WorkCalendar(NEW_YORK).days_before(start, 1) == at(NEW_YORK, 2026, 5, 30, 9)


# --- the calendar as a value -------------------------------------------------------


def test_equal_calendars_are_interchangeable_as_keys() -> None:
    first = WorkCalendar(ZoneInfo("Europe/Berlin"), "DE", "BY", time(8, 0))
    second = WorkCalendar(ZoneInfo("Europe/Berlin"), "DE", "BY", time(8, 0))
    assert first == second
    assert {first: "due"}[second] == "due"
    assert first != WorkCalendar(BERLIN, "DE", "BE", time(8, 0))


def test_importing_the_module_does_not_load_holidays_or_tzlocal() -> None:
    code = ("import sys, afterview.engine.domain.calendar; "
            "print('holidays' in sys.modules, 'tzlocal' in sys.modules)")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.split() == ["False", "False"]


# --- validators for `config set` ---------------------------------------------------


@pytest.mark.parametrize(
    ("name", "key"),
    [
        ("Europe/Berlin", "Europe/Berlin"),
        (" America/New_York ", "America/New_York"),
        ("UTC", "UTC"),
    ],
)
def test_validate_timezone_accepts_iana_names(name: str, key: str) -> None:
    assert validate_timezone(name) == ZoneInfo(key)
    assert str(validate_timezone(name)) == key


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("Mars/Olympus", "time zone 'Mars/Olympus': use an IANA name such as Europe/Berlin"),
        ("europe/berlin", "did you mean Europe/Berlin? (names are case-sensitive)"),
        ("Europe/Berln", "did you mean Europe/Berlin?"),
        ("America", "unknown time zone 'America'"),
        ("", "unknown time zone ''"),
        ("../etc/passwd", "unknown time zone '../etc/passwd'"),
        ("localtime", "use an IANA name such as Europe/Berlin"),
    ],
)
def test_validate_timezone_refuses_what_is_not_a_zone(name: str, message: str) -> None:
    with pytest.raises(CalendarError) as refused:
        validate_timezone(name)
    assert message in str(refused.value)
    assert "\n" not in str(refused.value)


@pytest.mark.parametrize(
    ("code", "canonical"), [("US", "US"), ("gb", "GB"), (" de ", "DE"), ("USA", "US"), ("UK", "GB")]
)
def test_validate_country_gives_the_alpha_2_code(code: str, canonical: str) -> None:
    assert validate_country(code) == canonical


@pytest.mark.parametrize("code", ["XX", "", "Germany", "U"])
def test_validate_country_refuses_unknown_codes(code: str) -> None:
    with pytest.raises(CalendarError, match=r"unknown country .*such as US, GB or DE"):
        validate_country(code)


@pytest.mark.parametrize(
    ("country", "subdivision", "canonical"),
    [
        ("US", "CA", "CA"),
        ("us", "ca", "CA"),
        ("US", "California", "CA"),
        ("DE", "by", "BY"),
        ("GB", "England", "ENG"),
    ],
)
def test_validate_subdivision_gives_the_package_code(country: str, subdivision: str, canonical: str) -> None:
    assert validate_subdivision(country, subdivision) == canonical


def test_validate_subdivision_names_some_valid_ones() -> None:
    with pytest.raises(CalendarError) as refused:
        validate_subdivision("US", "ZZ")
    assert str(refused.value).startswith("'ZZ' is not a subdivision of US: use one of AK, AL,")


def test_validate_subdivision_of_an_unknown_country_is_about_the_country() -> None:
    with pytest.raises(CalendarError, match="unknown country 'XX'"):
        validate_subdivision("XX", "CA")


@pytest.mark.parametrize(
    ("text", "expected"),
    [("09:00", time(9, 0)), ("8:30", time(8, 30)), (" 17:45 ", time(17, 45)), ("0:00", time(0))],
)
def test_parse_clock_time_accepts_hours_and_minutes(text: str, expected: time) -> None:
    assert parse_clock_time(text) == expected


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("25:00", "hour must be 0 to 23"),
        ("24:00", "hour must be 0 to 23"),
        ("8:60", "minutes must be 00 to 59"),
        ("nine", "is not a time of day"),
        ("9", "is not a time of day"),
        ("09:00:00", "is not a time of day"),
        ("", ""),
    ],
)
def test_parse_clock_time_refuses_impossible_times(text: str, reason: str) -> None:
    with pytest.raises(CalendarError) as refused:
        parse_clock_time(text)
    assert reason in str(refused.value)
    assert str(refused.value).endswith("use HH:MM, such as 09:00 or 8:30")


def test_local_zone_falls_back_to_utc_when_the_machine_zone_is_unusable(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import tzlocal

    def broken() -> str:
        raise LookupError("no zone configured")

    monkeypatch.setattr(tzlocal, "get_localzone_name", broken)
    assert local_zone() == ZoneInfo("UTC")
    monkeypatch.setattr(tzlocal, "get_localzone_name", lambda: "Asia/Tokyo")
    assert local_zone() == ZoneInfo("Asia/Tokyo")


# --- properties -------------------------------------------------------------------


@settings(deadline=None, max_examples=150)
@given(calendar=work_calendars(), start=aware_moments(), days=st.integers(0, 30))
def test_business_day_deadlines_land_on_a_business_morning_in_order(
    calendar: WorkCalendar, start: datetime, days: int
) -> None:
    due = calendar.add_business_days(start, days)
    later = calendar.add_business_days(start, days + 1)
    start_date = calendar.local_date(start)
    due_date = calendar.local_date(due)

    assert calendar.is_business_day(due_date)
    local = due.astimezone(calendar.tz)
    assert local.time() == calendar.workday_start
    assert due == calendar.at_workday_start(due_date)
    # 0 and 1 business days after a Saturday are both Monday.
    assert due < later if days else due <= later
    if days == 0:
        assert start_date <= due_date
    else:
        assert start_date < due_date
        between = [start_date + timedelta(d) for d in range(1, (due_date - start_date).days)]
        assert sum(_counts_as_working(calendar, day) for day in between) == days - 1


def _counts_as_working(calendar: WorkCalendar, day: date) -> bool:
    # A date the zone skipped (Samoa, 30 December 2011) has no working morning.
    return calendar.is_business_day(day) and calendar.at_workday_start(day).date() == day
