"""Acceptance is coherent (issue 15, item 5), its dates are ones a person would pick
(item 6), and the start date and notice can come later (item 8)."""

from __future__ import annotations

from conftest import CLI


def kinds(cli: CLI, app: str) -> list[str]:
    return sorted(t["kind"] for t in cli.json("show", app)["tasks"])


def test_accepting_closes_what_the_withdrawals_replace_elsewhere(cli: CLI) -> None:
    cli.ok("apply", "Acme", "Backend", "--id", "acme", "--at", "2026-11-02")
    cli.ok("apply", "Beta", "Backend", "--id", "beta", "--at", "2026-11-02")
    cli.ok("apply", "Gamma", "Backend", "--id", "gamma", "--at", "2026-11-02")
    cli.ok("interview", "beta", "--on", "2026-11-25T10:00", "--at", "2026-11-05")
    cli.ok("offer", "gamma", "--salary", "90000", "--at", "2026-11-10")
    cli.ok("offer", "acme", "--salary", "100000", "--at", "2026-11-16")
    assert kinds(cli, "beta") == ["debrief"] and kinds(cli, "gamma") == ["offer-decision"]
    out = cli.ok("accept", "acme", "--at", "2026-11-18")
    assert "Closed task" in out and "you accepted another offer" in out
    assert kinds(cli, "beta") == ["withdraw-application"]
    assert kinds(cli, "gamma") == ["withdraw-application"]
    closed = {(t["application"], t["kind"]): t["outcome"] for t in cli.json("agenda", "--all")}
    assert closed[("beta", "debrief")] == closed[("gamma", "offer-decision")] == "moot"


def test_the_negotiation_hint_compares_like_with_like_and_stops_after_a_counter(
        cli: CLI) -> None:
    cli.ok("config", "set", "target_salary", "120000")
    cli.ok("apply", "Acme", "Backend", "--id", "acme", "--at", "2026-11-02")
    cli.ok("offer", "acme", "--salary", "100000", "--signing", "30000", "--at", "2026-11-16")
    assert "negotiate acme: the offer's base 100,000 USD" in cli.ok("agenda")
    cli.ok("counter", "acme", "--salary", "120000", "--at", "2026-11-17")
    assert "negotiate" not in cli.ok("agenda")
    assert cli.json("show", "acme")["negotiation"] is None
    # A total target is compared with the first-year total, never with the base.
    cli.ok("config", "set", "target_salary", "")
    cli.ok("config", "set", "target_total", "150000")
    cli.ok("offer", "acme", "--salary", "110000", "--at", "2026-11-18")
    aid = cli.json("show", "acme")["negotiation"]
    assert (aid["measure"], aid["first_year_total"], aid["gap"]) == ("first-year total",
                                                                     140000, 10000)
    assert "first-year total 140,000 USD is 10,000 USD below your target first-year total" in (
        cli.ok("show", "acme"))


def test_the_last_working_day_and_the_notice_date_are_business_days(cli: CLI) -> None:
    """The issue's example: US/NY, start Tue 5 Jan 2027, 3 rest days."""
    for key, value in (("country", "US"), ("subdivision", "NY"), ("currently_employed", "true")):
        cli.ok("config", "set", key, value)
    cli.ok("apply", "Acme", "Backend", "--id", "acme", "--at", "2026-11-02")
    cli.ok("offer", "acme", "--salary", "100000", "--at", "2026-11-16")
    cli.ok("accept", "acme", "--start", "2027-01-05", "--at", "2026-11-18")
    plan = cli.json("show", "acme")["plan"]
    assert (plan["last_working_day"], plan["notice_date"]) == ("2026-12-31", "2026-12-17")
    (notice,) = cli.json("show", "acme")["tasks"]
    assert notice["due_at"] == "2026-12-17T09:00:00-05:00"
    shown = cli.ok("show", "acme")
    assert "last working day:   Thu 31 Dec" in shown
    assert "give notice by:     Thu 17 Dec" in shown
    assert "Thursday, December 31, 2026" in cli.ok("draft", "resignation", "acme")


def test_days_off_count_for_deadlines_computed_after_them_only(cli: CLI) -> None:
    cli.ok("apply", "Acme", "Backend", "--id", "acme", "--at", "2026-11-19T10:00")
    before = cli.json("show", "acme")["tasks"][0]["due_at"]
    out = cli.ok("vacation", "2026-11-23", "2026-11-27", "--reason", "trip")
    assert "Mon 2026-11-23 to Fri 2026-11-27" in out
    assert cli.json("show", "acme")["tasks"][0]["due_at"] == before  # recorded: never moves
    cli.ok("offer", "acme", "--salary", "100000")  # Fri 20 Nov: 2 business days
    (decision,) = [t for t in cli.json("show", "acme")["tasks"] if t["kind"] == "offer-decision"]
    assert decision["due_at"] == "2026-12-01T09:00:00-05:00"  # Mon 30 Nov, Tue 1 Dec
    cli.ok("config", "set", "days_off", "2026-12-01")
    assert cli.ok("config", "get", "days_off").strip() == "2026-12-01"
    assert "is not a day off" in cli.refused("config", "set", "days_off", "someday", code=2)
    assert [r["type"] for r in cli.json("history", "profile")].count("DaysOffRecorded") == 1


def test_the_start_date_can_follow_the_acceptance(cli: CLI) -> None:
    cli.ok("config", "set", "currently_employed", "true")
    cli.ok("apply", "Acme", "Backend", "--id", "acme", "--at", "2026-11-02")
    cli.ok("offer", "acme", "--salary", "100000", "--at", "2026-11-16")
    done = cli.run("accept", "acme", "--at", "2026-11-18")
    assert done.returncode == 0
    assert "notice will be scheduled once it is recorded" in done.stderr
    assert "afterview start-date acme WHEN" in cli.ok("show", "acme")
    out = cli.ok("start-date", "acme", "2027-01-11")
    assert "Start date Mon 11 Jan 2027" in out and "resignation-notice" in out
    # accept --start on an accepted application records a (new) start date too.
    cli.ok("accept", "acme", "--start", "2027-01-18")
    (notice,) = cli.json("show", "acme")["tasks"]
    assert notice["kind"] == "resignation-notice" and notice["due_at"].startswith("2027-01-01")
    assert cli.json("show", "acme")["plan"]["start_date"] == "2027-01-18"
    cli.ok("notice", "acme")
    assert cli.json("show", "acme")["tasks"] == []
    line = cli.refused("notice", "acme", code=1)
    assert "notice was already recorded" in line
