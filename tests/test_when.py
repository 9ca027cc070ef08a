"""WHEN values (`--at`, `--on`, `--respond-by`...) and AFTERVIEW_NOW, as people type them."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from afterview.engine.domain.calendar import CalendarError, parse_now, parse_when
from strategies import aware_moments, zones

NEW_YORK = ZoneInfo("America/New_York")
BERLIN = ZoneInfo("Europe/Berlin")
AUCKLAND = ZoneInfo("Pacific/Auckland")
NOW = datetime(2026, 3, 14, 12, 0, tzinfo=UTC)
FORMS = "use e.g. 2026-12-04T14:00, tomorrow 14:00, friday, next tue 10am, in 3 days or dec 4"


def refusal(text: str, now: datetime = NOW) -> str:
    """The message ``parse_when`` refuses ``text`` with, in New York."""
    with pytest.raises(CalendarError) as refused:
        parse_when(text, now=now, tz=NEW_YORK)
    return str(refused.value)


def when(text: str, tz: ZoneInfo = NEW_YORK, now: datetime = NOW) -> str:
    return parse_when(text, now=now, tz=tz).isoformat()


# --- accepted forms ----------------------------------------------------------------


def test_a_date_alone_means_nine_in_the_morning_local_time() -> None:
    assert when("2026-03-14") == "2026-03-14T09:00:00-04:00"
    assert when("2026-03-14", BERLIN) == "2026-03-14T09:00:00+01:00"


def test_a_date_alone_uses_the_default_time_given() -> None:
    evening = parse_when("2026-03-14", now=NOW, tz=BERLIN, default_time=time(18, 30))
    assert evening.isoformat() == "2026-03-14T18:30:00+01:00"


def test_a_date_is_returned_in_the_configured_zone() -> None:
    assert parse_when("2026-03-14", now=NOW, tz=BERLIN).tzinfo is BERLIN


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-03-14T15:30:00+01:00", "2026-03-14T15:30:00+01:00"),
        ("2026-03-14T15:30+05:30", "2026-03-14T15:30:00+05:30"),
        ("2026-03-14T15:30:00Z", "2026-03-14T15:30:00+00:00"),
        ("2026-03-14t15:30z", "2026-03-14T15:30:00+00:00"),
        ("2026-03-14T23:30:00-08:00", "2026-03-14T23:30:00-08:00"),
    ],
)
def test_a_date_time_with_an_offset_is_that_instant_whatever_the_zone(text: str, expected: str) -> None:
    assert when(text, NEW_YORK) == expected
    assert when(text, AUCKLAND) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-03-14T15:30", "2026-03-14T15:30:00+01:00"),
        ("2026-03-14T15:30:45", "2026-03-14T15:30:45+01:00"),
        ("2026-03-14 15:30", "2026-03-14T15:30:00+01:00"),
        ("2026-07-14T08:00", "2026-07-14T08:00:00+02:00"),
    ],
)
def test_a_date_time_without_an_offset_is_read_in_the_configured_zone(text: str, expected: str) -> None:
    assert when(text, BERLIN) == expected


def test_the_same_naive_text_is_a_different_instant_in_another_zone() -> None:
    in_berlin = parse_when("2026-03-14T15:30", now=NOW, tz=BERLIN)
    in_new_york = parse_when("2026-03-14T15:30", now=NOW, tz=NEW_YORK)
    assert in_new_york - in_berlin == timedelta(hours=5)


def test_a_naive_time_skipped_by_the_clock_change_moves_to_the_end_of_the_gap() -> None:
    assert when("2026-03-08T02:30", NEW_YORK) == "2026-03-08T03:00:00-04:00"
    assert when("2026-03-29T02:15", BERLIN) == "2026-03-29T03:00:00+02:00"


def test_a_naive_time_repeated_by_the_clock_change_is_its_first_occurrence() -> None:
    assert when("2026-11-01T01:30", NEW_YORK) == "2026-11-01T01:30:00-04:00"
    assert when("2026-10-25T02:30", BERLIN) == "2026-10-25T02:30:00+02:00"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("today", "2026-03-14T09:00:00-04:00"),
        ("yesterday", "2026-03-13T09:00:00-04:00"),
        ("tomorrow", "2026-03-15T09:00:00-04:00"),
        ("  TODAY ", "2026-03-14T09:00:00-04:00"),
        ("Tomorrow\n", "2026-03-15T09:00:00-04:00"),
        ("YesterDay", "2026-03-13T09:00:00-04:00"),
    ],
)
def test_relative_days_are_that_date_at_nine(text: str, expected: str) -> None:
    assert when(text, NEW_YORK) == expected


def test_relative_days_follow_the_local_date_far_from_utc() -> None:
    # 11:30 UTC on Saturday 14 March is already 00:30 on Sunday 15 March in Auckland.
    just_after_midnight = datetime(2026, 3, 14, 11, 30, tzinfo=UTC)
    assert when("today", AUCKLAND, just_after_midnight) == "2026-03-15T09:00:00+13:00"
    assert when("yesterday", AUCKLAND, just_after_midnight) == "2026-03-14T09:00:00+13:00"
    assert when("tomorrow", AUCKLAND, just_after_midnight) == "2026-03-16T09:00:00+13:00"
    # The same instant is still Saturday morning in New York.
    assert when("today", NEW_YORK, just_after_midnight) == "2026-03-14T09:00:00-04:00"


def test_relative_days_do_not_depend_on_the_zone_now_is_written_in() -> None:
    instant = datetime(2026, 3, 14, 11, 30, tzinfo=UTC)
    written_in_new_york = instant.astimezone(NEW_YORK)
    assert when("today", AUCKLAND, written_in_new_york) == when("today", AUCKLAND, instant)


def test_relative_days_across_a_clock_change_keep_nine_local() -> None:
    # New Zealand summer time ends at 03:00 on Sunday 5 April 2026.
    just_after_midnight = datetime(2026, 4, 4, 11, 30, tzinfo=UTC)  # 00:30 on the 5th
    assert when("today", AUCKLAND, just_after_midnight) == "2026-04-05T09:00:00+12:00"
    assert when("yesterday", AUCKLAND, just_after_midnight) == "2026-04-04T09:00:00+13:00"
    assert when("tomorrow", AUCKLAND, just_after_midnight) == "2026-04-06T09:00:00+12:00"


def test_today_is_nine_even_before_nine() -> None:
    seven_in_the_morning = datetime(2026, 3, 14, 7, 0, tzinfo=BERLIN)
    assert when("today", BERLIN, seven_in_the_morning) == "2026-03-14T09:00:00+01:00"


def test_surrounding_spaces_are_ignored() -> None:
    assert when("  2026-03-14\t") == "2026-03-14T09:00:00-04:00"
    assert when(" 2026-03-14T15:30:00+01:00 ") == "2026-03-14T15:30:00+01:00"


@pytest.mark.parametrize("text", ["1900-01-01", "2200-12-31", "2200-12-31T23:59:59+14:00"])
def test_the_year_range_includes_its_ends(text: str) -> None:
    assert parse_when(text, now=NOW, tz=NEW_YORK).tzinfo is not None


# --- refusals -----------------------------------------------------------------------


def test_an_impossible_date_says_why_and_what_would_be_right() -> None:
    with pytest.raises(CalendarError) as refused:
        parse_when("2026-02-30", now=NOW, tz=NEW_YORK)
    assert str(refused.value) == ("'2026-02-30' is not a date: day is out of range for month; " + FORMS)


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("2026-02-29", "day is out of range for month"),
        ("2026-13-01", "month must be in 1..12"),
        ("2026-04-31T10:00", "day is out of range for month"),
        ("2026-03-14T25:00", "hour must be in 0..23"),
        ("2026-03-14T10:61", "minute must be in 0..59"),
        ("2026-03-14T15:30+25:00", "the offset must be between -23:59 and +23:59"),
    ],
)
def test_impossible_dates_and_times_are_refused(text: str, reason: str) -> None:
    assert refusal(text) == f"{text!r} is not a date: {reason}; {FORMS}"


@pytest.mark.parametrize(
    "text",
    ["garbage", "next tuesdays off", "14/03/2026", "2026-3-14", "now", "2026", "T15:30"],
)
def test_garbage_is_refused_with_the_accepted_forms(text: str) -> None:
    with pytest.raises(CalendarError) as refused:
        parse_when(text, now=NOW, tz=NEW_YORK)
    assert str(refused.value) == f"{text!r} is not a date; {FORMS}"


@pytest.mark.parametrize("text", ["", "   ", "\n"])
def test_empty_text_is_refused(text: str) -> None:
    with pytest.raises(CalendarError) as refused:
        parse_when(text, now=NOW, tz=NEW_YORK)
    assert str(refused.value) == f"no date given: {FORMS}"


@pytest.mark.parametrize("text", ["1899-12-31", "2201-01-01", "0999-06-01T10:00", "9999-12-31"])
def test_years_outside_1900_to_2200_are_refused(text: str) -> None:
    with pytest.raises(CalendarError) as refused:
        parse_when(text, now=NOW, tz=NEW_YORK)
    assert str(refused.value) == f"{text!r} is out of range: the year must be from 1900 to 2200"


def test_a_refusal_stays_on_one_line_and_short_whatever_was_typed() -> None:
    with pytest.raises(CalendarError) as refused:
        parse_when("2026-03-14\nrm -rf " + "x" * 200, now=NOW, tz=NEW_YORK)
    message = str(refused.value)
    assert "\n" not in message
    assert len(message) < 160


def test_a_naive_now_is_refused() -> None:
    with pytest.raises(CalendarError, match="no time zone"):
        parse_when("today", now=datetime(2026, 3, 14, 12), tz=NEW_YORK)


# --- AFTERVIEW_NOW -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2026-03-14T09:30:00+01:00", "2026-03-14T09:30:00+01:00"),
        ("2026-03-14T09:30:00Z", "2026-03-14T09:30:00+00:00"),
        ("2026-03-14T09:30:00.250000-07:00", "2026-03-14T09:30:00.250000-07:00"),
        ("2026-03-14T09:30", "2026-03-14T09:30:00-04:00"),
        (" 2026-03-14 09:30:15 ", "2026-03-14T09:30:15-04:00"),
        ("2026-03-08T02:30", "2026-03-08T03:00:00-04:00"),
    ],
)
def test_parse_now_reads_offsets_and_naive_times_in_the_zone(value: str, expected: str) -> None:
    assert parse_now(value, NEW_YORK).isoformat() == expected


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("2026-03-14", "it has no time of day"),
        ("today", ""),
        ("", ""),
        ("1234567890", ""),
        ("2026-02-30T10:00", "day is out of range for month"),
        ("1850-01-01T10:00", "the year must be from 1900 to 2200"),
    ],
)
def test_parse_now_refuses_what_is_not_a_date_time(value: str, reason: str) -> None:
    with pytest.raises(CalendarError) as refused:
        parse_now(value, NEW_YORK)
    message = str(refused.value)
    assert message.startswith(f"AFTERVIEW_NOW={value!r} is not a date-time")
    assert reason in message
    assert message.endswith(
        "use ISO 8601 such as 2026-03-14T09:30:00+01:00, or 2026-03-14T09:30 for America/New_York time"
    )


# --- properties -----------------------------------------------------------------------


@settings(deadline=None, max_examples=150)
@given(moment=aware_moments(1900, 2200), separator=st.sampled_from(["T", " "]))
def test_an_aware_moment_written_in_iso_8601_reads_back_unchanged(moment: datetime, separator: str) -> None:
    text = moment.isoformat(sep=separator)
    for parsed in (parse_when(text, now=NOW, tz=NEW_YORK), parse_now(text, NEW_YORK)):
        assert parsed.replace(tzinfo=None) == moment.replace(tzinfo=None)
        assert parsed.utcoffset() == moment.utcoffset()
        assert parsed.timestamp() == moment.timestamp()


@settings(deadline=None, max_examples=150)
@given(instant=aware_moments(1900, 2200), tz=zones())
def test_a_wall_time_read_in_its_zone_is_that_wall_time(instant: datetime, tz: ZoneInfo) -> None:
    wall = instant.astimezone(UTC).astimezone(tz).replace(tzinfo=None)
    parsed = parse_when(wall.isoformat(), now=NOW, tz=tz)
    assert parsed.tzinfo is tz
    assert parsed.astimezone(UTC).astimezone(tz).replace(tzinfo=None) == wall
    # A wall time the clocks show twice is read as the first: never later than meant.
    assert parsed.timestamp() <= instant.timestamp()


# Dates these zones skipped when they moved across the date line.
SKIPPED_DATES = {("Pacific/Apia", date(2011, 12, 30)), ("Pacific/Kiritimati", date(1994, 12, 31))}


@given(moment=aware_moments(1900, 2200), tz=zones())
def test_a_date_reads_as_nine_on_that_local_date(moment: datetime, tz: ZoneInfo) -> None:
    day = moment.date()
    local = parse_when(day.isoformat(), now=NOW, tz=tz).astimezone(tz)
    if (tz.key, day) in SKIPPED_DATES:
        assert (local.date(), local.time()) == (day + timedelta(days=1), time(0))
    else:
        assert (local.date(), local.time()) == (day, time(9))


@pytest.mark.parametrize(("zone", "day"), sorted(SKIPPED_DATES))
def test_a_date_the_zone_skipped_reads_as_the_next_midnight(zone: str, day: date) -> None:
    local = parse_when(day.isoformat(), now=NOW, tz=ZoneInfo(zone)).astimezone(ZoneInfo(zone))
    assert (local.date(), local.time()) == (day + timedelta(days=1), time(0))


def test_a_fixed_offset_zone_object_also_round_trips() -> None:
    moment = datetime(2026, 3, 14, 15, 30, tzinfo=timezone(timedelta(hours=-3, minutes=-30)))
    assert parse_when(moment.isoformat(), now=NOW, tz=BERLIN) == moment


# --- what people type -----------------------------------------------------------------

FRIDAY = datetime(2026, 11, 20, 10, 0, tzinfo=NEW_YORK)  # Friday 20 November, 10:00


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("tomorrow 14:00", "2026-11-21T14:00:00-05:00"),
        ("Yesterday 7pm", "2026-11-19T19:00:00-05:00"),
        ("friday", "2026-11-20T09:00:00-05:00"),  # the coming one: today is a Friday
        ("next fri", "2026-11-27T09:00:00-05:00"),
        ("last friday", "2026-11-13T09:00:00-05:00"),
        ("next tue 10am", "2026-11-24T10:00:00-05:00"),
        ("Tue at 2:30pm", "2026-11-24T14:30:00-05:00"),
        ("monday noon", "2026-11-23T12:00:00-05:00"),
        ("in 3 days", "2026-11-23T09:00:00-05:00"),
        ("in a week", "2026-11-27T09:00:00-05:00"),
        ("2 weeks ago", "2026-11-06T09:00:00-05:00"),
        ("in 3 hours", "2026-11-20T13:00:00-05:00"),
        ("dec 4", "2026-12-04T09:00:00-05:00"),
        ("4 December", "2026-12-04T09:00:00-05:00"),
        ("jan 5", "2027-01-05T09:00:00-05:00"),  # the nearest 5 January, not ten months ago
        ("december 4th, 2025 15:00", "2025-12-04T15:00:00-05:00"),
        ("16:30", "2026-11-20T16:30:00-05:00"),
    ],
)
def test_what_people_type_is_read_in_the_configured_zone(text: str, expected: str) -> None:
    assert parse_when(text, now=FRIDAY, tz=NEW_YORK).isoformat() == expected


@pytest.mark.parametrize(("text", "reason"), [
    ("today at 5", "'at 5' could be morning or evening: write 5am, 5pm or 05:00"),
    ("13pm", "'13pm': with am or pm the hour is 1 to 12"),
    ("feb 30", "'feb 30' is not a date: day is out of range for month"),
])
def test_an_ambiguous_or_impossible_phrase_is_refused_with_examples(text: str, reason: str) -> None:
    assert refusal(text, FRIDAY) == f"{reason}; {FORMS}"
