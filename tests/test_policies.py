"""Every follow-up rule of docs/policies.md, with due times worked out by hand on a calendar.

The `engine` fixture is an Engine over a real SQLite file, New York time, clock fixed at
Friday 2026-11-20 10:00; tests that need another moment move `engine.clock`.

Calendar facts used below (checked against a printed calendar):
- November 2026: Mon 2, ..., Fri 20, Mon 23; Wed 11 is Veterans Day, Thu 26 Thanksgiving.
- US clocks spring forward on Sun 2026-03-08; EU clocks on Sun 2026-03-29.
- December 2026 in Great Britain: Fri 25 Christmas, Sat 26 Boxing Day, so Mon 28 is the
  substitute bank holiday.
- 6 January 2027 (a Wednesday) is Epiphany: a holiday in Bavaria (DE-BY), not in Berlin.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from afterview.engine.domain import events as ev
from afterview.engine.domain import policies
from afterview.engine.domain.state import Application, Fact, Task, rebuild
from afterview.engine.service.api import Engine, Result
from conftest import CLI, clock_at, new_york

TERMS = ev.OfferTerms("USD", 100_000)


def apply(engine: Engine, app_id: str = "acme", at: str = "2026-11-02T09:00") -> Result:
    return engine.apply(ev.ApplicationSubmitted(app_id.title(), "Backend Engineer"),
                        application_id=app_id, at=new_york(at))


def record(engine: Engine, event: Any, at: str, app_id: str = "acme") -> Result:
    return engine.record(app_id, event, at=new_york(at))


def scheduled(result: Result, kind: str) -> ev.TaskScheduled:
    """The one task of ``kind`` that this command scheduled."""
    found = [f.event for f in result.facts
             if isinstance(f.event, ev.TaskScheduled) and f.event.kind == kind]
    assert len(found) == 1, f"{kind}: {found}"
    return found[0]


def task(app: Application, kind: str) -> Task:
    """The latest task of ``kind`` on the application, open or closed."""
    tasks = [t for t in app.tasks.values() if t.kind == kind]
    assert tasks, f"no {kind} task on {app.id}"
    return tasks[-1]


def setting(engine: Engine, **values: str) -> None:
    for key, value in values.items():
        engine.set_setting(key, value)


# ---------------------------------------------------------------------------
# Business days: weekends, holidays, time zones


def test_follow_up_application_is_ten_business_days_after_skipping_weekends(engine: Engine) -> None:
    # Mon 2 Nov + 10 working days: 3 4 5 6 | 9 10 11 12 13 | 16.
    due = scheduled(apply(engine), policies.FOLLOW_UP_APPLICATION).due_at
    assert due.isoformat() == "2026-11-16T09:00:00-05:00"


def test_follow_up_application_skips_veterans_day_with_us_holidays(engine: Engine) -> None:
    setting(engine, country="US")
    # 3 4 5 6 | 9 10 (11 is Veterans Day) 12 13 | 16 17.
    due = scheduled(apply(engine), policies.FOLLOW_UP_APPLICATION).due_at
    assert due.isoformat() == "2026-11-17T09:00:00-05:00"


@pytest.mark.parametrize(("country", "expected"), [
    (None, "2026-12-04T09:00:00-05:00"),  # 23 24 25 26 27 | 30 1 2 3 4
    ("US", "2026-12-07T09:00:00-05:00"),  # 23 24 25 (26 Thanksgiving) 27 | 30 1 2 3 4 | 7
])
def test_thanksgiving_counts_only_with_a_us_calendar(engine: Engine, country: str | None,
                                                     expected: str) -> None:
    if country:
        setting(engine, country=country)
    due = scheduled(apply(engine, at="2026-11-20T10:00"), policies.FOLLOW_UP_APPLICATION).due_at
    assert due.isoformat() == expected


def test_business_day_deadline_stays_at_nine_across_the_us_clock_change(engine: Engine) -> None:
    apply(engine, at="2026-03-02T09:00")
    # Offer on Fri 6 March 14:00 EST; 2 business days: Mon 9, Tue 10 (now EDT, UTC-4).
    result = record(engine, ev.OfferReceived(TERMS), "2026-03-06T14:00")
    due = scheduled(result, policies.OFFER_DECISION).due_at
    assert due.isoformat() == "2026-03-10T09:00:00-04:00"


def test_business_day_deadline_stays_at_nine_across_the_eu_clock_change(engine: Engine) -> None:
    setting(engine, timezone="Europe/Berlin")
    berlin = ZoneInfo("Europe/Berlin")
    engine.apply(ev.ApplicationSubmitted("Acme", "Dev"), application_id="acme",
                 at=datetime(2026, 3, 20, 9, tzinfo=berlin))
    # Fri 27 March 14:00 CET; Mon 30, Tue 31 March, after the change to CEST (UTC+2).
    result = engine.record("acme", ev.OfferReceived(TERMS),
                           at=datetime(2026, 3, 27, 14, tzinfo=berlin))
    assert scheduled(result, policies.OFFER_DECISION).due_at.isoformat() == (
        "2026-03-31T09:00:00+02:00")


def test_thank_you_is_exactly_24_hours_even_across_a_clock_change(engine: Engine) -> None:
    apply(engine, at="2026-03-02T09:00")
    # Sat 7 March 15:00 EST is 20:00 UTC; 24 hours later it is 16:00 EDT on the Sunday.
    result = record(engine, ev.InterviewHeld(), "2026-03-07T15:00")
    due = scheduled(result, policies.THANK_YOU).due_at
    assert due == datetime(2026, 3, 8, 20, 0, tzinfo=UTC)
    assert due.isoformat() == "2026-03-08T16:00:00-04:00"


def test_thank_you_keeps_the_minute_of_the_interview(engine: Engine) -> None:
    apply(engine)
    result = record(engine, ev.InterviewHeld(interviewers=("Ann",)), "2026-11-19T16:37")
    thank_you = scheduled(result, policies.THANK_YOU)
    assert thank_you.due_at.isoformat() == "2026-11-20T16:37:00-05:00"
    assert "to Ann" in thank_you.title


def test_follow_up_interview_is_five_business_days_skipping_thanksgiving(engine: Engine) -> None:
    setting(engine, country="US")
    apply(engine)
    # Held Thu 19: Fri 20 | Mon 23, Tue 24, Wed 25, (Thanksgiving) Fri 27.
    result = record(engine, ev.InterviewHeld(), "2026-11-19T10:00")
    due = scheduled(result, policies.FOLLOW_UP_INTERVIEW).due_at
    assert due.isoformat() == "2026-11-27T09:00:00-05:00"


@pytest.mark.parametrize(("country", "expected"), [
    ("US", "2026-12-29T09:00:00+00:00"),  # (25) 28 29
    ("GB", "2026-12-30T09:00:00+00:00"),  # (25) (28 Boxing Day substitute) 29 30
])
def test_another_countrys_holidays(engine: Engine, country: str, expected: str) -> None:
    setting(engine, timezone="Europe/London", country=country)
    engine.clock = clock_at("2026-12-24T12:00:00+00:00")
    engine.apply(ev.ApplicationSubmitted("Acme", "Dev"), application_id="acme",
                 at=datetime(2026, 12, 1, 9, tzinfo=UTC))
    result = engine.record("acme", ev.OfferReceived(TERMS),
                           at=datetime(2026, 12, 24, 10, tzinfo=UTC))
    assert scheduled(result, policies.OFFER_DECISION).due_at.isoformat() == expected


@pytest.mark.parametrize(("subdivision", "expected"), [
    ("BY", "2027-01-07T09:00:00+01:00"),  # Epiphany, Wed 6 January, is off in Bavaria
    ("BE", "2027-01-06T09:00:00+01:00"),  # but a working day in Berlin
])
def test_a_subdivision_holiday(engine: Engine, subdivision: str, expected: str) -> None:
    setting(engine, timezone="Europe/Berlin", country="DE", subdivision=subdivision)
    engine.clock = clock_at("2027-01-05T12:00:00+01:00")
    berlin = ZoneInfo("Europe/Berlin")
    engine.apply(ev.ApplicationSubmitted("Acme", "Dev"), application_id="acme",
                 at=datetime(2026, 12, 1, 9, tzinfo=berlin))
    result = engine.record("acme", ev.ApplicationDeclined(),
                           at=datetime(2027, 1, 5, 11, tzinfo=berlin))
    assert scheduled(result, policies.REQUEST_FEEDBACK).due_at.isoformat() == expected


# ---------------------------------------------------------------------------
# Offers and negotiation


def test_offer_decision_is_due_at_the_respond_by_time(engine: Engine) -> None:
    apply(engine)
    result = record(engine, ev.OfferReceived(TERMS, respond_by=new_york("2026-11-24T17:00")),
                    "2026-11-20T10:00")
    assert scheduled(result, policies.OFFER_DECISION).due_at.isoformat() == (
        "2026-11-24T17:00:00-05:00")


def test_offer_decision_without_respond_by_is_decision_days_business_days(engine: Engine) -> None:
    setting(engine, country="US", decision_days="4")
    apply(engine)
    # Fri 20: Mon 23, Tue 24, Wed 25, (Thanksgiving) Fri 27.
    result = record(engine, ev.OfferReceived(TERMS), "2026-11-20T10:00")
    assert scheduled(result, policies.OFFER_DECISION).due_at.isoformat() == (
        "2026-11-27T09:00:00-05:00")


def test_asking_for_time_moves_the_decision_deadline(engine: Engine) -> None:
    apply(engine)
    offer = record(engine, ev.OfferReceived(TERMS), "2026-11-19T10:00")
    decision = scheduled(offer, policies.OFFER_DECISION)
    assert decision.due_at.isoformat() == "2026-11-23T09:00:00-05:00"
    asked = record(engine, ev.DecisionTimeRequested(new_york("2026-11-30T12:00")), "2026-11-20T10:00")
    snoozed = [f.event for f in asked.facts if isinstance(f.event, ev.TaskSnoozed)]
    assert [(s.task_id, s.cause_event_id) for s in snoozed] == [
        (decision.task_id, asked.facts[0].event_id)]
    moved = asked.application.tasks[decision.task_id]
    assert moved.is_open and moved.due_at.isoformat() == "2026-11-30T12:00:00-05:00"


def test_counter_offer_schedules_a_follow_up_and_settles_the_decision(engine: Engine) -> None:
    setting(engine, country="US")
    engine.clock = clock_at("2026-11-25T12:00:00-05:00")
    apply(engine)
    offer = record(engine, ev.OfferReceived(TERMS), "2026-11-24T10:00")
    # Wed 25: (Thanksgiving) Fri 27, Mon 30, Tue 1 December.
    counter = record(engine, ev.CounterOfferMade(ev.OfferTerms("USD", 110_000)), "2026-11-25T11:00")
    assert scheduled(counter, policies.FOLLOW_UP_COUNTER).due_at.isoformat() == (
        "2026-12-01T09:00:00-05:00")
    decision = counter.application.tasks[scheduled(offer, policies.OFFER_DECISION).task_id]
    assert decision.outcome == "satisfied"


def test_a_new_counter_replaces_the_previous_follow_up(engine: Engine) -> None:
    apply(engine)
    record(engine, ev.OfferReceived(TERMS), "2026-11-16T10:00")
    first = record(engine, ev.CounterOfferMade(ev.OfferTerms("USD", 120_000)), "2026-11-17T10:00")
    second = record(engine, ev.CounterOfferMade(ev.OfferTerms("USD", 115_000)), "2026-11-19T10:00")
    old = second.application.tasks[scheduled(first, policies.FOLLOW_UP_COUNTER).task_id]
    new = second.application.tasks[scheduled(second, policies.FOLLOW_UP_COUNTER).task_id]
    assert (old.outcome, new.is_open) == ("moot", True)
    assert new.due_at.isoformat() == "2026-11-24T09:00:00-05:00"  # Thu 19: 20, 23, 24


def test_revised_offer_thanks_the_company_and_asks_for_a_new_decision(engine: Engine) -> None:
    apply(engine)
    record(engine, ev.OfferReceived(TERMS), "2026-11-18T10:00")
    counter = record(engine, ev.CounterOfferMade(ev.OfferTerms("USD", 110_000)), "2026-11-19T10:00")
    revised = record(engine, ev.OfferReceived(ev.OfferTerms("USD", 105_000), revised=True),
                     "2026-11-20T09:30")
    assert scheduled(revised, policies.EXPRESS_APPRECIATION).due_at.isoformat() == (
        "2026-11-23T09:00:00-05:00")
    assert scheduled(revised, policies.OFFER_DECISION).due_at.isoformat() == (
        "2026-11-24T09:00:00-05:00")
    follow_up = revised.application.tasks[scheduled(counter, policies.FOLLOW_UP_COUNTER).task_id]
    assert follow_up.outcome == "satisfied"


def test_a_no_to_your_counter_offer_is_also_thanked(engine: Engine) -> None:
    apply(engine)
    record(engine, ev.OfferReceived(TERMS), "2026-11-18T10:00")
    counter = record(engine, ev.CounterOfferMade(ev.OfferTerms("USD", 110_000)), "2026-11-19T10:00")
    declined = record(engine, ev.ApplicationDeclined("budget"), "2026-11-20T10:00")
    assert scheduled(declined, policies.EXPRESS_APPRECIATION).due_at.isoformat() == (
        "2026-11-23T09:00:00-05:00")
    app = declined.application
    assert app.tasks[scheduled(counter, policies.FOLLOW_UP_COUNTER).task_id].outcome == "satisfied"
    assert {t.kind for t in app.open_tasks()} == {
        policies.EXPRESS_APPRECIATION, policies.REQUEST_FEEDBACK, policies.REFLECT}


def test_a_new_offer_replaces_an_open_decision_task() -> None:
    """The lifecycle closes the decision on a counter-offer, so a revised offer normally
    finds none open; the rule still keeps one decision task at a time (pure rule test)."""
    from afterview.engine.domain.calendar import WorkCalendar
    from afterview.engine.domain.settings import Settings

    zone = ZoneInfo("America/New_York")
    submitted = Fact("acme", "e1", new_york("2026-11-02T09:00"), ev.ApplicationSubmitted("A", "B"))
    app = rebuild("acme", [submitted, Fact("acme", "e2", new_york("2026-11-03T09:00"),
                                           ev.TaskScheduled("offer-decision-1", "offer-decision",
                                                            "Decide", new_york("2026-11-05T09:00"),
                                                            "e0"))])
    offer = Fact("acme", "e3", new_york("2026-11-04T09:00"), ev.OfferReceived(TERMS))
    facts = policies.react(app, offer, policies.Deadlines(WorkCalendar(zone), Settings()))
    closed = [e for e in facts if isinstance(e, ev.TaskClosed)]
    assert [(c.task_id, c.outcome) for c in closed] == [("offer-decision-1", "moot")]
    assert [e.kind for e in facts if isinstance(e, ev.TaskScheduled)] == ["offer-decision"]


# ---------------------------------------------------------------------------
# Accepting an offer


def _search_with_every_state(engine: Engine) -> None:
    """acme will be accepted; the others are applied, interviewing, negotiating, declined,
    withdrawn."""
    for app_id in ("acme", "beta", "gamma", "delta", "eps", "zeta"):
        apply(engine, app_id)
    record(engine, ev.InterviewHeld(), "2026-11-10T10:00", "gamma")
    record(engine, ev.OfferReceived(TERMS), "2026-11-10T10:00", "delta")
    record(engine, ev.CounterOfferMade(TERMS), "2026-11-11T10:00", "delta")
    record(engine, ev.ApplicationDeclined(), "2026-11-12T10:00", "eps")
    record(engine, ev.ApplicationWithdrawn(), "2026-11-12T10:00", "zeta")
    record(engine, ev.OfferReceived(TERMS), "2026-11-18T10:00", "acme")


def test_accepting_schedules_a_withdrawal_on_every_other_open_application(engine: Engine) -> None:
    _search_with_every_state(engine)
    accepted = record(engine, ev.OfferAccepted(), "2026-11-20T10:00")
    withdrawals = {f.stream_id: f.event for f in accepted.facts
                   if isinstance(f.event, ev.TaskScheduled)
                   and f.event.kind == policies.WITHDRAW_APPLICATION}
    assert sorted(withdrawals) == ["beta", "delta", "gamma"]  # not eps, zeta: they ended
    assert {e.due_at.isoformat() for e in withdrawals.values()} == {"2026-11-23T09:00:00-05:00"}
    # One append: the same correlation id, consecutive positions, one recorded time.
    ids = {f.event_id for f in accepted.facts}
    stored = [s for s in engine.store.read_all() if s.event_id in ids]
    assert len(stored) == len(accepted.facts)
    assert len({s.metadata["correlation_id"] for s in stored}) == 1
    assert len({s.recorded_at for s in stored}) == 1
    positions = [s.position for s in stored]
    assert positions == list(range(positions[0], positions[0] + len(positions)))


def test_withdrawing_or_being_declined_closes_the_withdrawal_task(engine: Engine) -> None:
    _search_with_every_state(engine)
    record(engine, ev.OfferAccepted(), "2026-11-20T10:00")
    beta = record(engine, ev.ApplicationWithdrawn("accepted elsewhere"), "2026-11-20T10:00", "beta")
    gamma = record(engine, ev.ApplicationDeclined(), "2026-11-20T10:00", "gamma")
    for app in (beta.application, gamma.application):
        assert task(app, policies.WITHDRAW_APPLICATION).outcome == "satisfied"


def test_resignation_notice_is_notice_plus_rest_days_before_the_start(engine: Engine) -> None:
    setting(engine, currently_employed="true")
    apply(engine)
    record(engine, ev.OfferReceived(TERMS), "2026-11-18T10:00")
    accepted = record(engine, ev.OfferAccepted(date(2027, 1, 11)), "2026-11-20T10:00")
    notice = scheduled(accepted, policies.RESIGNATION_NOTICE)
    # Start Mon 11 Jan; last working day 3 days before (Fri 8); notice 14 days before that,
    # counted on the calendar: Fri 25 December, Christmas or not.
    assert notice.due_at.isoformat() == "2026-12-25T09:00:00-05:00"
    assert "last working day 2027-01-08" in notice.title
    assert accepted.warnings == []
    assert accepted.application.tasks[notice.task_id].is_open  # the acceptance left it open
    done = record(engine, ev.NoticeGiven(), "2026-11-20T10:00")
    assert done.application.tasks[notice.task_id].outcome == "satisfied"


@pytest.mark.parametrize(("employed", "start"), [("false", date(2027, 1, 11)), ("true", None)])
def test_no_resignation_notice_without_a_job_or_a_start_date(engine: Engine, employed: str,
                                                             start: date | None) -> None:
    setting(engine, currently_employed=employed)
    apply(engine)
    record(engine, ev.OfferReceived(TERMS), "2026-11-18T10:00")
    accepted = record(engine, ev.OfferAccepted(start), "2026-11-20T10:00")
    assert not any(t.kind == policies.RESIGNATION_NOTICE for t in accepted.application.tasks.values())


def test_a_start_too_soon_for_notice_warns_and_still_accepts(cli: CLI) -> None:
    cli.ok("config", "set", "currently_employed", "yes")
    cli.ok("apply", "Acme", "Dev", "--id", "acme", "--at", "2026-11-02")
    cli.ok("offer", "acme", "--salary", "100000", "--at", "2026-11-18")
    done = cli.run("accept", "acme", "--start", "2026-12-01")
    assert done.returncode == 0, done.stderr
    warnings = done.stderr.strip().splitlines()
    # Start Tue 1 Dec - 3 days = Sat 28 Nov, so the last working day is Fri 27; 14 days
    # before that is Fri 13 November, before now (Fri 20).
    assert len(warnings) == 1 and warnings[0].startswith("warning: ")
    assert "2026-11-13" in warnings[0]
    tasks = cli.json("agenda")
    notice = [t for t in tasks if t["kind"] == "resignation-notice"]
    assert [t["due_at"] for t in notice] == ["2026-11-13T09:00:00-05:00"]
    assert notice[0]["overdue"] is True
    assert cli.json("status", "acme")["state"] == "accepted"


# ---------------------------------------------------------------------------
# After a rejection


def test_a_rejection_schedules_asking_for_feedback_and_reflecting(engine: Engine) -> None:
    setting(engine, country="US")
    apply(engine)
    declined = record(engine, ev.ApplicationDeclined(), "2026-11-20T10:00")
    assert scheduled(declined, policies.REQUEST_FEEDBACK).due_at.isoformat() == (
        "2026-11-23T09:00:00-05:00")  # the next business day
    # 7 calendar days: Fri 27 November, the day after Thanksgiving.
    assert scheduled(declined, policies.REFLECT).due_at.isoformat() == "2026-11-27T09:00:00-05:00"


# ---------------------------------------------------------------------------
# Deadlines are facts


def test_a_settings_change_alters_later_deadlines_only(engine: Engine) -> None:
    first = scheduled(apply(engine), policies.FOLLOW_UP_APPLICATION)
    engine.set_setting("followup_application_days", "3")
    engine.set_setting("country", "US")
    second = scheduled(apply(engine, "beta"), policies.FOLLOW_UP_APPLICATION)
    assert second.due_at.isoformat() == "2026-11-05T09:00:00-05:00"  # Mon 2: 3, 4, 5
    # The earlier deadline was computed with 10 days and no holidays, and stays so.
    stored = [s for s in engine.store.read_stream("acme") if s.type == "TaskScheduled"]
    assert [s.data["due_at"] for s in stored] == ["2026-11-16T09:00:00-05:00"]
    assert engine.application("acme").tasks[first.task_id].due_at == first.due_at
    assert Engine(engine.store).application("acme").tasks[first.task_id].due_at == first.due_at
