"""Settings through the real command line: set, get, list, and every refusal (exit 2, one
error line, nothing appended)."""

from __future__ import annotations

from conftest import CLI

DEFAULTS = {
    "workday_start": "09:00",
    "followup_application_days": 10,
    "thank_you_hours": 24,
    "followup_interview_days": 5,
    "decision_days": 2,
    "followup_counter_days": 3,
    "reflect_days": 7,
    "notice_days": 14,
    "rest_days": 3,
    "currently_employed": False,
    "target_salary": None,
    "country": None,
    "subdivision": None,
}


def test_list_shows_every_setting_with_its_default(cli: CLI) -> None:
    values = cli.json("config", "list")
    assert {key: values[key] for key in DEFAULTS} == DEFAULTS
    assert values["timezone"] == "America/New_York"  # set by the fixture
    table = cli.ok("config", "list")
    assert "followup_application_days" in table and "business days" in table


def test_set_then_get_and_each_change_is_one_fact(cli: CLI) -> None:
    before = cli.event_count()
    assert cli.ok("config", "set", "followup_application_days", "7").strip() == (
        "followup_application_days = 7")
    assert cli.ok("config", "get", "followup_application_days").strip() == "7"
    assert cli.json("config", "get", "followup_application_days") == {
        "key": "followup_application_days", "value": 7}
    cli.ok("config", "set", "workday_start", "8:30")
    assert cli.ok("config", "get", "workday_start").strip() == "08:30"
    cli.ok("config", "set", "currently_employed", "yes")
    assert cli.json("config", "get", "currently_employed")["value"] is True
    cli.ok("config", "set", "target_salary", "120000")
    assert cli.json("config", "get", "target_salary")["value"] == 120000
    assert cli.event_count() == before + 4


def test_country_and_subdivision_are_stored_as_holiday_codes(cli: CLI) -> None:
    assert cli.ok("config", "set", "country", "usa").strip() == "country = US"
    assert cli.ok("config", "set", "subdivision", "california").strip() == "subdivision = CA"
    cli.ok("config", "set", "country", "gb")
    assert cli.json("config", "get", "country")["value"] == "GB"


def test_an_empty_value_returns_a_setting_to_its_default(cli: CLI) -> None:
    cli.ok("config", "set", "country", "DE")
    cli.ok("config", "set", "country", "")
    assert cli.json("config", "get", "country")["value"] is None
    cli.ok("config", "set", "decision_days", "5")
    cli.refused("config", "set", "decision_days", "", code=2)  # has a default: say a number


def test_a_later_setting_changes_the_next_deadline(cli: CLI) -> None:
    cli.ok("config", "set", "followup_application_days", "3")
    cli.ok("apply", "Acme", "Dev", "--id", "acme", "--at", "2026-11-02")
    due = [t["due_at"] for t in cli.json("agenda", "--all") if t["application"] == "acme"]
    assert due == ["2026-11-05T09:00:00-05:00"]  # Mon 2: 3, 4, 5


REFUSALS = [
    (("config", "set", "colour", "red"), "unknown setting 'colour'"),
    (("config", "get", "colour"), "unknown setting 'colour'"),
    (("config", "set", "timezone", "Mars/Olympus_Mons"), "unknown time zone"),
    (("config", "set", "timezone", "america/new_york"), "did you mean America/New_York"),
    (("config", "set", "timezone", "localtime"), "unknown time zone"),
    (("config", "set", "country", "XX"), "unknown country 'XX'"),
    (("config", "set", "subdivision", "CA"), "set a country before a subdivision"),
    (("config", "set", "followup_application_days", "-1"), "out of range"),
    (("config", "set", "decision_days", "two"), "not a whole number"),
    (("config", "set", "reflect_days", "1.5"), "not a whole number"),
    (("config", "set", "thank_you_hours", "-3"), "out of range"),
    (("config", "set", "notice_days", "100000"), "out of range"),
    (("config", "set", "workday_start", "25:00"), "hour must be 0 to 23"),
    (("config", "set", "workday_start", "9am"), "not a time of day"),
    (("config", "set", "currently_employed", "maybe"), "not true or false"),
    (("config", "set", "target_salary", "-5"), "not an amount of money"),
]


def test_each_bad_setting_is_refused_and_appends_nothing(cli: CLI) -> None:
    # One database for all of them (each is a CLI process): a refusal leaves it unchanged.
    before = cli.event_count()
    for args, message in REFUSALS:
        line = cli.refused(*args, code=2)
        assert message in line, (args, line)
        assert cli.event_count() == before, args


def test_an_unknown_subdivision_is_refused_with_the_choices(cli: CLI) -> None:
    cli.ok("config", "set", "country", "DE")
    before = cli.event_count()
    line = cli.refused("config", "set", "subdivision", "ZZ", code=2)
    assert "'ZZ' is not a subdivision of DE" in line and "BY" in line
    assert cli.event_count() == before
    assert cli.json("config", "get", "subdivision")["value"] is None
