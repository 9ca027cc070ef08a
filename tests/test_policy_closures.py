"""Closing follow-up tasks (docs/policies.md): each satisfying fact closes its task as
satisfied, in the same append; the end of an application makes the rest moot, except what
the ending schedules; a void does not reopen what a later fact closes.

Same fixtures and calendar as test_policies.py (New York, now Fri 2026-11-20 10:00).
"""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from afterview.engine.domain import events as ev
from afterview.engine.domain import policies
from afterview.engine.service.api import Engine
from conftest import new_york
from test_policies import TERMS, apply, record, scheduled, setting, task


def _applied(engine: Engine) -> None:
    apply(engine)


def _interviewed(engine: Engine) -> None:
    apply(engine)
    record(engine, ev.InterviewHeld(round=1), "2026-11-12T10:00")


def _offered(engine: Engine) -> None:
    apply(engine)
    record(engine, ev.OfferReceived(TERMS), "2026-11-12T10:00")


def _countered(engine: Engine) -> None:
    _offered(engine)
    record(engine, ev.CounterOfferMade(ev.OfferTerms("USD", 110_000)), "2026-11-13T10:00")


def _answered(engine: Engine) -> None:
    _countered(engine)
    record(engine, ev.OfferReceived(ev.OfferTerms("USD", 105_000), revised=True), "2026-11-16T10:00")


def _accepted_elsewhere(engine: Engine) -> None:
    apply(engine)
    apply(engine, "beta")
    record(engine, ev.OfferReceived(TERMS), "2026-11-12T10:00", "beta")
    record(engine, ev.OfferAccepted(), "2026-11-13T10:00", "beta")


def _accepted_while_employed(engine: Engine) -> None:
    setting(engine, currently_employed="true")
    _offered(engine)
    record(engine, ev.OfferAccepted(date(2027, 2, 1)), "2026-11-13T10:00")


def _declined(engine: Engine) -> None:
    apply(engine)
    record(engine, ev.ApplicationDeclined(), "2026-11-12T10:00")


ROUND_2 = ev.InterviewScheduled(2, new_york("2026-11-30T10:00"))
CLOSURES = [
    (_applied, policies.FOLLOW_UP_APPLICATION, ev.InterviewScheduled(1, new_york("2026-11-30T10:00"))),
    (_applied, policies.FOLLOW_UP_APPLICATION, ev.InterviewHeld()),
    (_applied, policies.FOLLOW_UP_APPLICATION, ev.FollowUpSent("checking in")),
    (_applied, policies.FOLLOW_UP_APPLICATION, ev.OfferReceived(TERMS)),
    (_applied, policies.FOLLOW_UP_APPLICATION, ev.ApplicationDeclined()),
    (_interviewed, policies.THANK_YOU, ev.ThankYouSent(("Ann",))),
    (_interviewed, policies.FOLLOW_UP_INTERVIEW, ROUND_2),
    (_interviewed, policies.FOLLOW_UP_INTERVIEW, ev.InterviewHeld(round=2)),
    (_interviewed, policies.FOLLOW_UP_INTERVIEW, ev.FollowUpSent()),
    (_interviewed, policies.FOLLOW_UP_INTERVIEW, ev.OfferReceived(TERMS)),
    (_interviewed, policies.FOLLOW_UP_INTERVIEW, ev.ApplicationDeclined()),
    (_offered, policies.OFFER_DECISION, ev.CounterOfferMade(ev.OfferTerms("USD", 110_000))),
    (_offered, policies.OFFER_DECISION, ev.OfferAccepted()),
    (_offered, policies.OFFER_DECISION, ev.ApplicationWithdrawn("took another")),
    (_countered, policies.FOLLOW_UP_COUNTER, ev.OfferReceived(TERMS, revised=True)),
    (_countered, policies.FOLLOW_UP_COUNTER, ev.ApplicationDeclined()),
    (_answered, policies.EXPRESS_APPRECIATION, ev.ThankYouSent()),
    (_accepted_elsewhere, policies.WITHDRAW_APPLICATION, ev.ApplicationWithdrawn()),
    (_accepted_elsewhere, policies.WITHDRAW_APPLICATION, ev.ApplicationDeclined()),
    (_accepted_while_employed, policies.RESIGNATION_NOTICE, ev.NoticeGiven()),
    (_declined, policies.REQUEST_FEEDBACK, ev.FeedbackRequested()),
    (_declined, policies.REQUEST_FEEDBACK, ev.FeedbackReceived("too junior")),
    (_declined, policies.REFLECT, ev.ReflectionRecorded("practise system design")),
]


@pytest.mark.parametrize(("prelude", "kind", "fact"), CLOSURES,
                         ids=[f"{k}-by-{type(f).__name__}" for _, k, f in CLOSURES])
def test_each_satisfying_fact_closes_its_task(engine: Engine, prelude: Any, kind: str,
                                              fact: Any) -> None:
    prelude(engine)
    before = engine.application("acme")
    target = task(before, kind)
    assert target.is_open
    result = record(engine, fact, "2026-11-17T10:00")
    closed = result.application.tasks[target.id]
    assert (closed.status, closed.outcome) == ("closed", "satisfied")
    # Closed in the same append as the fact, and caused by it.
    closures = [f.event for f in result.facts
                if isinstance(f.event, ev.TaskClosed) and f.event.task_id == target.id]
    assert [c.cause_event_id for c in closures] == [result.facts[0].event_id]


def test_a_fact_only_satisfies_tasks_scheduled_before_it_happened(engine: Engine) -> None:
    apply(engine)
    held = record(engine, ev.InterviewHeld(), "2026-11-12T10:00")
    thank_you = scheduled(held, policies.THANK_YOU)
    # A note sent the day before the interview (entered late) is not the thank-you for it.
    early = record(engine, ev.ThankYouSent(), "2026-11-11T10:00")
    assert early.application.tasks[thank_you.task_id].is_open
    later = record(engine, ev.ThankYouSent(), "2026-11-12T18:00")
    assert later.application.tasks[thank_you.task_id].outcome == "satisfied"


def test_withdrawing_makes_every_open_task_moot(engine: Engine) -> None:
    _interviewed(engine)
    withdrawn = record(engine, ev.ApplicationWithdrawn(), "2026-11-13T10:00")
    app = withdrawn.application
    assert app.open_tasks() == []
    assert task(app, policies.THANK_YOU).outcome == "moot"
    assert task(app, policies.FOLLOW_UP_INTERVIEW).outcome == "moot"


def test_a_rejection_closes_the_rest_but_keeps_what_it_schedules(engine: Engine) -> None:
    _interviewed(engine)
    declined = record(engine, ev.ApplicationDeclined(), "2026-11-13T10:00")
    app = declined.application
    assert task(app, policies.THANK_YOU).outcome == "moot"
    assert task(app, policies.FOLLOW_UP_INTERVIEW).outcome == "satisfied"  # they answered
    assert sorted(t.kind for t in app.open_tasks()) == [policies.REFLECT, policies.REQUEST_FEEDBACK]


def test_accepting_closes_the_rest_but_keeps_the_notice(engine: Engine) -> None:
    setting(engine, currently_employed="true")
    _interviewed(engine)
    record(engine, ev.OfferReceived(TERMS), "2026-11-13T10:00")
    accepted = record(engine, ev.OfferAccepted(date(2027, 2, 1)), "2026-11-16T10:00")
    app = accepted.application
    assert task(app, policies.THANK_YOU).outcome == "moot"
    assert task(app, policies.OFFER_DECISION).outcome == "satisfied"
    assert [t.kind for t in app.open_tasks()] == [policies.RESIGNATION_NOTICE]




def test_voiding_a_fact_does_not_reopen_a_task_a_later_fact_closes(engine: Engine) -> None:
    """The interview closed the application follow-up; the rejection came later. Voiding the
    interview must not leave 'follow up on your application' open on a declined application."""
    apply(engine)
    held = record(engine, ev.InterviewHeld(), "2026-11-10T09:00")
    record(engine, ev.ApplicationDeclined(), "2026-11-12T09:00")
    voided = engine.void(held.facts[0].event_id, "it was another company")
    app = voided.application
    assert app.state == "declined"
    assert task(app, policies.FOLLOW_UP_APPLICATION).outcome == "satisfied"
    assert sorted(t.kind for t in app.open_tasks()) == [policies.REFLECT, policies.REQUEST_FEEDBACK]
