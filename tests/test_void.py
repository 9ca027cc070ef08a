"""Corrections: voiding a mistaken fact recomputes the application, takes back the tasks it
scheduled and reopens the ones it closed; the log keeps both and says which is which."""

from __future__ import annotations

from datetime import datetime

import pytest

from afterview.engine.domain import events as ev
from afterview.engine.domain.state import Application, DomainError, InvalidValue
from afterview.engine.service.api import Engine
from afterview.engine.service.audit import history_rows, verify_log
from conftest import CLI, SteppingClock, new_york


def record(engine: Engine, clock: SteppingClock, app_id: str, event: object) -> str:
    """Record a fact a minute after the last one; its event id."""
    clock.advance(minutes=1)
    return engine.record(app_id, event).facts[0].event_id


def tasks(app: Application) -> dict[str, str]:
    return {task.kind: task.status for task in app.tasks.values()}


def applied(engine: Engine, company: str = "Acme") -> str:
    return engine.apply(ev.ApplicationSubmitted(company, "Engineer")).application.id


OFFER = ev.OfferReceived(ev.OfferTerms("USD", 120000))


def test_voiding_an_interview_recomputes_state_and_reopens_what_it_closed(
        stepping: Engine, clock: SteppingClock) -> None:
    app_id = applied(stepping)
    interview = record(stepping, clock, app_id, ev.InterviewScheduled(1, new_york("2026-11-25T10:00")))
    assert stepping.application(app_id).state == "interviewing"
    assert tasks(stepping.application(app_id)) == {"follow-up-application": "closed",
                                                   "debrief": "open"}

    clock.advance(minutes=1)
    after = stepping.void(interview[:8], "entered on the wrong application").application
    assert after.state == "applied"
    assert tasks(after) == {"follow-up-application": "open"}
    assert after.interviews == []


def test_voiding_an_offer_drops_its_tasks_and_reopens_follow_ups(stepping: Engine,
                                                                 clock: SteppingClock) -> None:
    app_id = applied(stepping)
    record(stepping, clock, app_id, ev.InterviewHeld(1, ("Ann",)))
    record(stepping, clock, app_id, ev.ThankYouSent(("Ann",)))
    offer = record(stepping, clock, app_id, OFFER)
    assert tasks(stepping.application(app_id)) == {
        "follow-up-application": "closed", "thank-you": "closed",
        "follow-up-interview": "closed", "offer-decision": "open"}

    clock.advance(minutes=1)
    after = stepping.void(offer, "it was only a verbal hint").application
    assert after.state == "interviewing" and after.offer is None
    # The decision task it scheduled is gone; the follow-ups it answered are open again.
    assert tasks(after) == {"follow-up-application": "closed", "thank-you": "closed",
                            "follow-up-interview": "open"}


def test_voiding_an_acceptance_takes_back_the_tasks_on_other_applications(
        stepping: Engine, clock: SteppingClock) -> None:
    acme, beta = applied(stepping, "Acme"), applied(stepping, "Beta")
    record(stepping, clock, acme, OFFER)
    accepted = record(stepping, clock, acme, ev.OfferAccepted())
    assert tasks(stepping.application(beta))["withdraw-application"] == "open"

    clock.advance(minutes=1)
    after = stepping.void(accepted, "I have not signed yet").application
    assert after.state == "offered"
    assert tasks(after)["offer-decision"] == "open"  # closed as moot by the acceptance
    assert "withdraw-application" not in {t.kind for t in stepping.application(beta).open_tasks()}
    assert verify_log(stepping.store)["ok"]


def test_void_that_a_later_fact_depends_on_is_refused(stepping: Engine, clock: SteppingClock) -> None:
    app_id = applied(stepping)
    offer = record(stepping, clock, app_id, OFFER)
    record(stepping, clock, app_id, ev.OfferAccepted())
    head = stepping.store.head()
    with pytest.raises(DomainError, match="OfferAccepted"):
        stepping.void(offer, "mistake")
    assert stepping.store.head() == head
    assert stepping.application(app_id).state == "accepted"


@pytest.mark.parametrize("target", ["submission", "void", "unknown"])
def test_what_cannot_be_voided_is_refused(stepping: Engine, clock: SteppingClock, target: str) -> None:
    app_id = applied(stepping)
    note = record(stepping, clock, app_id, ev.NoteAdded("typo"))
    correction = stepping.void(note, "typo").facts[0].event_id
    ids = {"submission": stepping.facts(app_id)[0].event_id, "void": correction,
           "unknown": "ffffffff-0000-0000-0000-000000000000"}
    head = stepping.store.head()
    with pytest.raises(DomainError):
        stepping.void(ids[target], "mistake")
    assert stepping.store.head() == head


def test_voiding_twice_and_without_a_reason_are_refused(stepping: Engine,
                                                        clock: SteppingClock) -> None:
    app_id = applied(stepping)
    note = record(stepping, clock, app_id, ev.NoteAdded("wrong company"))
    head = stepping.store.head()
    with pytest.raises(InvalidValue, match="reason"):
        stepping.void(note, "  ")
    assert stepping.store.head() == head
    stepping.void(note, "wrong company")
    head = stepping.store.head()
    with pytest.raises(DomainError, match="already voided"):
        stepping.void(note, "again")
    assert stepping.store.head() == head


def test_history_marks_voided_facts_and_what_they_caused(stepping: Engine,
                                                         clock: SteppingClock) -> None:
    app_id = applied(stepping)
    interview = record(stepping, clock, app_id, ev.InterviewScheduled(1, new_york("2026-11-25T10:00")))
    clock.advance(minutes=1)
    stepping.void(interview, "wrong application")
    rows = history_rows(stepping.stored_events(app_id))
    voided = [(r["type"], r["event_id"] == interview) for r in rows if r["voided"]]
    assert voided == [("InterviewScheduled", True), ("TaskClosed", False),
                      ("TaskScheduled", False)]
    assert [(r["type"], r["state_after"]) for r in rows if not r["voided"]] == [
        ("ApplicationSubmitted", "applied"), ("TaskScheduled", "applied"),
        ("EventVoided", "applied")]


def test_known_at_before_the_void_still_shows_the_old_state(stepping: Engine,
                                                            clock: SteppingClock) -> None:
    app_id = applied(stepping)
    interview = record(stepping, clock, app_id, ev.InterviewScheduled(1, new_york("2026-11-25T10:00")))
    before_void = clock.advance(minutes=5)
    clock.advance(minutes=5)
    stepping.void(interview, "wrong application")

    def state(**when: datetime) -> str:
        return next(a.state for a in stepping.applications(**when) if a.id == app_id)

    assert state(known_at=before_void) == "interviewing"
    assert state(known_at=clock.now) == "applied"
    assert state() == "applied"


def test_void_on_the_command_line(cli: CLI) -> None:
    app_id = cli.ok("apply", "Acme", "Backend Engineer", "--at", "2026-11-10").strip()
    cli.ok("interview", app_id, "--on", "2026-11-25T10:00", "--at", "2026-11-12")
    interview = next(r for r in cli.json("history", app_id) if r["type"] == "InterviewScheduled")
    out = cli.ok("void", interview["event_id"][:8], "--reason", "wrong application")
    assert app_id in out and "applied" in out.lower()
    assert cli.json("status", app_id)["state"] == "applied"
    count = cli.event_count()
    line = cli.refused("void", interview["event_id"], "--reason", "again", code=1)
    assert "already voided" in line
    assert cli.event_count() == count
