"""Interviews as they really go (issue 15, item 1): a round moved or cancelled, the debrief
task that follows every scheduled round, a debrief dated at the interview and never before
it, and the thank-you due a day after the interview itself. Back-filling (item 2): a past
interview entered today keeps the order of facts."""

from __future__ import annotations

from typing import Any

import icalendar

from afterview.engine.io.ics import export_ics
from afterview.engine.service.api import Engine
from conftest import CLI


def tasks_by_kind(cli: CLI, app: str, *, closed: bool = False) -> dict[str, list[dict[str, Any]]]:
    found: dict[str, list[dict[str, Any]]] = {}
    for task in cli.json("agenda", "--all") if closed else cli.json("show", app)["tasks"]:
        if task["application"].startswith(app):
            found.setdefault(task["kind"], []).append(task)
    return found


def test_moving_a_round_keeps_one_interview_and_one_debrief(cli: CLI) -> None:
    cli.ok("apply", "Acme", "Backend", "--id", "acme", "--at", "2026-11-02")
    cli.ok("interview", "acme", "--on", "2026-11-25T14:00", "--with", "Dana", "--at", "2026-11-05")
    (debrief,) = tasks_by_kind(cli, "acme")["debrief"]
    assert debrief["due_at"] == "2026-11-25T16:00:00-05:00"  # 2 hours after it
    assert "How did the interview" in debrief["title"] and "send thanks" in debrief["title"]

    out = cli.ok("interview", "acme", "--on", "2026-11-27T10:00", "--by", "company")
    assert "Round 1 moved to Fri 27 Nov 10:00" in out
    shown = cli.ok("show", "acme")
    assert shown.count("interview round 1") == 1 and "moved to Fri 27 Nov 10:00" in shown
    (debrief,) = tasks_by_kind(cli, "acme")["debrief"]
    assert debrief["due_at"] == "2026-11-27T12:00:00-05:00"
    rows = [r for r in cli.json("history", "acme") if r["type"] == "InterviewRescheduled"]
    assert [r["data"] for r in rows] == [
        {"round": 1, "scheduled_for": "2026-11-27T10:00:00-05:00", "by": "company"}]
    assert "nothing to move" in cli.refused("interview", "acme", "--on", "2026-11-27T10:00", code=1)
    # --round N schedules another round while round 1 is pending.
    cli.ok("interview", "acme", "--on", "2026-12-02T10:00", "--round", "2")
    assert len(cli.json("show", "acme")["tasks"]) == 2


def test_the_calendar_updates_a_moved_interview_instead_of_adding_one(engine: Engine) -> None:
    from afterview.engine.domain import events as ev
    from conftest import new_york

    engine.apply(ev.ApplicationSubmitted("Acme", "Backend"), application_id="acme",
                 at=new_york("2026-11-02T09:00"))
    engine.schedule_interview("acme", new_york("2026-11-25T14:00"))
    (before,) = icalendar.Calendar.from_ical(export_ics(engine)).walk("VEVENT")
    engine.schedule_interview("acme", new_york("2026-11-26T09:30"))
    (after,) = icalendar.Calendar.from_ical(export_ics(engine)).walk("VEVENT")
    assert str(after["UID"]) == str(before["UID"])
    assert (int(before["SEQUENCE"]), int(after["SEQUENCE"])) == (0, 1)
    assert after.decoded("DTSTART") == new_york("2026-11-26T09:30")
    engine.cancel_interview("acme", reason="the role was filled")
    (cancelled,) = icalendar.Calendar.from_ical(export_ics(engine)).walk("VEVENT")
    assert (str(cancelled["STATUS"]), int(cancelled["SEQUENCE"])) == ("CANCELLED", 2)


def test_cancelling_a_round_closes_its_debrief(cli: CLI) -> None:
    cli.ok("apply", "Acme", "Backend", "--id", "acme", "--at", "2026-11-02")
    cli.ok("interview", "acme", "--on", "2026-11-25T14:00", "--at", "2026-11-05")
    cli.ok("interview", "acme", "--cancel", "--by", "company", "--reason", "hiring freeze")
    assert "debrief" not in tasks_by_kind(cli, "acme")
    assert "cancelled by company (hiring freeze)" in cli.ok("show", "acme")
    (row,) = [r for r in cli.json("history", "acme") if r["type"] == "InterviewCancelled"]
    assert row["data"] == {"round": 1, "by": "company", "reason": "hiring freeze"}
    assert "nothing to cancel" in cli.refused("interview", "acme", "--cancel", code=1)
    # A cancelled round is not the one a debrief or a move is about: a new --on is round 2.
    cli.ok("interview", "acme", "--on", "2026-12-01T10:00")
    assert [i for i in cli.ok("show", "acme").splitlines() if "round 2 scheduled" in i]


def test_a_debrief_is_dated_at_the_interview_and_never_before_it(cli: CLI) -> None:
    cli.ok("apply", "Acme", "Backend", "--id", "acme", "--at", "2026-11-02")
    cli.ok("interview", "acme", "--on", "2026-11-23T14:00", "--at", "2026-11-05")
    before = cli.event_count()
    line = cli.refused("debrief", "acme", code=2)  # now is Fri 20 November
    assert "scheduled for Mon 2026-11-23T14:00" in line and cli.event_count() == before

    cli.ok("interview", "acme", "--on", "2026-11-19T15:00")  # moved (it is still to come)
    cli.ok("debrief", "acme", "--with", "Dana")  # without --at: the round's own time
    (held,) = [r for r in cli.json("history", "acme") if r["type"] == "InterviewHeld"]
    assert held["occurred_at"] == "2026-11-19T15:00:00-05:00"
    tasks = tasks_by_kind(cli, "acme", closed=True)
    assert tasks["thank-you"][0]["due_at"] == "2026-11-20T15:00:00-05:00"  # 24 h after it
    assert {t["outcome"] for t in tasks["debrief"]} == {"satisfied", "moot"}  # moved, then held


def test_the_thank_you_is_due_a_day_after_the_interview_not_after_the_debrief(cli: CLI) -> None:
    cli.ok("apply", "Acme", "Backend", "--id", "acme", "--at", "2026-11-02")
    cli.ok("interview", "acme", "--on", "2026-11-16T10:00", "--at", "2026-11-05")
    cli.ok("debrief", "acme", "--at", "2026-11-18T20:00")  # entered two days late
    (thanks,) = tasks_by_kind(cli, "acme")["thank-you"]
    assert thanks["due_at"] == "2026-11-17T10:00:00-05:00"


def test_a_new_time_after_a_round_has_passed_is_the_next_round(cli: CLI) -> None:
    cli.ok("apply", "Acme", "Backend", "--id", "acme", "--at", "2026-11-02")
    cli.ok("interview", "acme", "--on", "2026-11-16T10:00", "--at", "2026-11-05")
    cli.ok("interview", "acme", "--on", "2026-11-27T10:00")  # round 1 most likely happened
    shown = cli.ok("show", "acme")
    assert "interview round 1 scheduled Mon 16 Nov" in shown
    assert "interview round 2 scheduled Fri 27 Nov" in shown
    cli.ok("interview", "acme", "--on", "2026-11-17T10:00", "--round", "1")  # said explicitly
    assert "interview round 1 moved to Tue 17 Nov" in cli.ok("show", "acme")


def test_a_past_interview_entered_today_keeps_the_order_of_facts(cli: CLI) -> None:
    """Someone starting mid-search enters what already happened, without --at."""
    cli.ok("apply", "Acme", "Backend", "--id", "acme", "--at", "2026-11-02")
    cli.ok("interview", "acme", "--on", "2026-11-10T14:00")
    (scheduled,) = [r for r in cli.json("history", "acme") if r["type"] == "InterviewScheduled"]
    assert scheduled["occurred_at"] == "2026-11-10T14:00:00-05:00"  # no later than it
    # A back-dated offer after the interview is accepted: the order holds.
    cli.ok("offer", "acme", "--salary", "100000", "--at", "2026-11-12")
    # One before it is refused, naming the fact in the way and the --at that would work.
    cli.ok("apply", "Beta", "Backend", "--id", "beta", "--at", "2026-11-02")
    cli.ok("offer", "beta", "--salary", "90000", "--at", "2026-11-15")
    line = cli.refused("declined", "beta", "--at", "2026-11-14", code=2)
    assert "OfferReceived" in line and "use --at 2026-11-15T09:00:00-05:00 or later" in line


def test_an_offer_whose_answer_was_due_in_the_past_is_dated_before_it(cli: CLI) -> None:
    cli.ok("apply", "Acme", "Backend", "--id", "acme", "--at", "2026-11-02")
    cli.ok("offer", "acme", "--salary", "100000", "--respond-by", "2026-11-18T12:00")
    (offer,) = [r for r in cli.json("history", "acme") if r["type"] == "OfferReceived"]
    assert offer["occurred_at"] == "2026-11-17T12:00:00-05:00"
