"""Follow-up rules: a new fact schedules tasks, with due times computed now, and closes the
tasks it satisfies. Taken from the advice in ``shared/seed/after-the-interview.txt``; the
rules and task kinds are described in ``docs/policies.md``.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING

from afterview.engine.domain import events as ev
from afterview.engine.domain.events import TaskKind, TaskOutcome
from afterview.engine.domain.lifecycle import NEGOTIATING, OPEN_STATES
from afterview.engine.domain.state import Application, Fact, Task

if TYPE_CHECKING:
    from afterview.engine.domain.calendar import WorkCalendar
    from afterview.engine.domain.settings import Settings

FOLLOW_UP_APPLICATION = TaskKind.FOLLOW_UP_APPLICATION
THANK_YOU = TaskKind.THANK_YOU
FOLLOW_UP_INTERVIEW = TaskKind.FOLLOW_UP_INTERVIEW
OFFER_DECISION = TaskKind.OFFER_DECISION
FOLLOW_UP_COUNTER = TaskKind.FOLLOW_UP_COUNTER
EXPRESS_APPRECIATION = TaskKind.EXPRESS_APPRECIATION
WITHDRAW_APPLICATION = TaskKind.WITHDRAW_APPLICATION
RESIGNATION_NOTICE = TaskKind.RESIGNATION_NOTICE
REQUEST_FEEDBACK = TaskKind.REQUEST_FEEDBACK
REFLECT = TaskKind.REFLECT

TaskFact = ev.TaskScheduled | ev.TaskSnoozed | ev.TaskClosed
"""What the policies add in reaction to a fact."""

TASK_KINDS: tuple[TaskKind, ...] = (
    FOLLOW_UP_APPLICATION,
    THANK_YOU,
    FOLLOW_UP_INTERVIEW,
    OFFER_DECISION,
    FOLLOW_UP_COUNTER,
    EXPRESS_APPRECIATION,
    WITHDRAW_APPLICATION,
    RESIGNATION_NOTICE,
    REQUEST_FEEDBACK,
    REFLECT,
)

# The task kinds each fact satisfies, when the task was scheduled no later than the fact.
SATISFIED_BY: dict[type[ev.Event], frozenset[TaskKind]] = {
    ev.InterviewScheduled: frozenset({FOLLOW_UP_APPLICATION, FOLLOW_UP_INTERVIEW}),
    ev.InterviewHeld: frozenset({FOLLOW_UP_APPLICATION, FOLLOW_UP_INTERVIEW}),
    ev.FollowUpSent: frozenset({FOLLOW_UP_APPLICATION, FOLLOW_UP_INTERVIEW}),
    ev.ThankYouSent: frozenset({THANK_YOU, EXPRESS_APPRECIATION}),
    ev.OfferReceived: frozenset({FOLLOW_UP_APPLICATION, FOLLOW_UP_INTERVIEW, FOLLOW_UP_COUNTER}),
    ev.CounterOfferMade: frozenset({OFFER_DECISION}),
    ev.OfferAccepted: frozenset({OFFER_DECISION}),
    ev.ApplicationWithdrawn: frozenset({OFFER_DECISION, WITHDRAW_APPLICATION}),
    ev.ApplicationDeclined: frozenset(
        {FOLLOW_UP_APPLICATION, FOLLOW_UP_INTERVIEW, FOLLOW_UP_COUNTER, WITHDRAW_APPLICATION}
    ),
    ev.FeedbackRequested: frozenset({REQUEST_FEEDBACK}),
    ev.FeedbackReceived: frozenset({REQUEST_FEEDBACK}),
    ev.ReflectionRecorded: frozenset({REFLECT}),
    ev.NoticeGiven: frozenset({RESIGNATION_NOTICE}),
}

# A newer fact of the same kind replaces the task the older one scheduled.
SUPERSEDES: dict[type[ev.Event], frozenset[TaskKind]] = {
    ev.OfferReceived: frozenset({OFFER_DECISION}),
    ev.CounterOfferMade: frozenset({FOLLOW_UP_COUNTER}),
}


class Deadlines:
    """What a rule needs to compute a due time: the work calendar and the settings in force."""

    def __init__(self, calendar: WorkCalendar, settings: Settings) -> None:
        self.calendar = calendar
        self.settings = settings

    def business_days(self, moment: datetime, days: int) -> datetime:
        return self.calendar.add_business_days(moment, days)

    def calendar_days(self, moment: datetime, days: int) -> datetime:
        return self.calendar.add_calendar_days(moment, days)


def hours_after(moment: datetime, hours: int) -> datetime:
    """Exactly ``hours`` later, shown in the same zone. Python adds a timedelta to a
    zone-aware time on the wall clock, which is an hour off across a DST change."""
    return (moment.astimezone(UTC) + timedelta(hours=hours)).astimezone(moment.tzinfo)


def task_id(application_id: str, kind: str, cause_event_id: str) -> str:
    """Deterministic: re-deciding the same fact gives the same task."""
    digest = hashlib.sha256(f"{application_id}|{kind}|{cause_event_id}".encode()).hexdigest()
    return f"{kind}-{digest[:8]}"


def _title(kind: TaskKind, app: Application, extra: str = "") -> str:
    at = f"{app.company} ({app.role})"
    titles = {
        FOLLOW_UP_APPLICATION: f"Follow up on your application to {at}",
        THANK_YOU: f"Send a thank-you note{extra} after the interview at {at}",
        FOLLOW_UP_INTERVIEW: f"Follow up on the interview at {at}",
        OFFER_DECISION: f"Decide on the offer from {at}",
        FOLLOW_UP_COUNTER: f"Follow up on your counter-offer to {at}",
        EXPRESS_APPRECIATION: f"Thank {app.company} for considering your counter-offer",
        WITHDRAW_APPLICATION: f"Withdraw your application to {at}: you accepted another offer",
        RESIGNATION_NOTICE: f"Give notice at your current job{extra}",
        REQUEST_FEEDBACK: f"Thank {app.company} for letting you know and ask for feedback",
        REFLECT: f"Reflect on the process at {at} and plan what to do better",
    }
    return titles[kind]


def _schedule(app: Application, kind: TaskKind, fact: Fact, due_at: datetime,
              extra: str = "") -> ev.TaskScheduled:
    return ev.TaskScheduled(
        task_id(app.id, kind, fact.event_id), kind, _title(kind, app, extra), due_at,
        fact.event_id,
    )


def _closures(app: Application, fact: Fact) -> list[ev.TaskClosed]:
    satisfied = SATISFIED_BY.get(type(fact.event), frozenset())
    superseded = SUPERSEDES.get(type(fact.event), frozenset())
    terminal = fact.event.TYPE in _TERMINAL_TYPES
    closed = []
    for task in app.open_tasks():
        if task.kind in satisfied and task.scheduled_at <= fact.occurred_at:
            outcome, note = TaskOutcome.SATISFIED, f"{fact.event.TYPE} recorded"
        elif task.kind in superseded:
            outcome, note = TaskOutcome.MOOT, f"replaced after {fact.event.TYPE}"
        elif terminal:
            outcome, note = TaskOutcome.MOOT, f"the application ended ({fact.event.TYPE})"
        else:
            continue
        closed.append(ev.TaskClosed(task.id, outcome, note, fact.event_id))
    return closed


_TERMINAL_TYPES = frozenset({"OfferAccepted", "ApplicationWithdrawn", "ApplicationDeclined"})


def _decision_due(fact: Fact, offer: ev.OfferReceived, deadlines: Deadlines) -> datetime:
    if offer.respond_by is not None:
        return offer.respond_by
    return deadlines.business_days(fact.occurred_at, deadlines.settings.decision_days)


def _rules_for_submitted(app: Application, fact: Fact, _event: ev.ApplicationSubmitted,
                         deadlines: Deadlines) -> list[TaskFact]:
    days = deadlines.settings.followup_application_days
    due = deadlines.business_days(fact.occurred_at, days)
    return [_schedule(app, FOLLOW_UP_APPLICATION, fact, due)]


def _rules_for_held(app: Application, fact: Fact, event: ev.InterviewHeld,
                    deadlines: Deadlines) -> list[TaskFact]:
    people = event.interviewers
    to = f" to {', '.join(people)}" if people else ""
    thank_due = hours_after(fact.occurred_at, deadlines.settings.thank_you_hours)
    follow_due = deadlines.business_days(fact.occurred_at, deadlines.settings.followup_interview_days)
    return [
        _schedule(app, THANK_YOU, fact, thank_due, to),
        _schedule(app, FOLLOW_UP_INTERVIEW, fact, follow_due),
    ]


def _rules_for_offer(app: Application, fact: Fact, event: ev.OfferReceived,
                     deadlines: Deadlines) -> list[TaskFact]:
    scheduled: list[TaskFact] = [
        _schedule(app, OFFER_DECISION, fact, _decision_due(fact, event, deadlines))]
    if app.state == NEGOTIATING:  # the company answered your counter-offer
        due = deadlines.business_days(fact.occurred_at, 1)
        scheduled.append(_schedule(app, EXPRESS_APPRECIATION, fact, due))
    return scheduled


def _rules_for_counter(app: Application, fact: Fact, _event: ev.CounterOfferMade,
                       deadlines: Deadlines) -> list[TaskFact]:
    due = deadlines.business_days(fact.occurred_at, deadlines.settings.followup_counter_days)
    return [_schedule(app, FOLLOW_UP_COUNTER, fact, due)]


def resignation_notice_due(start: date, deadlines: Deadlines) -> datetime:
    """Notice falls ``notice_days`` before the last working day, which is ``rest_days``
    before the start date."""
    settings = deadlines.settings
    return deadlines.calendar.days_before(start, settings.rest_days + settings.notice_days)


def _rules_for_accepted(app: Application, fact: Fact, event: ev.OfferAccepted,
                        deadlines: Deadlines) -> list[TaskFact]:
    start = event.start_date
    if start is None or not deadlines.settings.currently_employed:
        return []
    last_day = start - timedelta(days=deadlines.settings.rest_days)
    extra = f" (last working day {last_day.isoformat()}, start {start.isoformat()})"
    return [_schedule(app, RESIGNATION_NOTICE, fact, resignation_notice_due(start, deadlines), extra)]


def _rules_for_declined(app: Application, fact: Fact, _event: ev.ApplicationDeclined,
                        deadlines: Deadlines) -> list[TaskFact]:
    scheduled: list[TaskFact] = [
        _schedule(app, REQUEST_FEEDBACK, fact, deadlines.business_days(fact.occurred_at, 1)),
        _schedule(app, REFLECT, fact,
                  deadlines.calendar_days(fact.occurred_at, deadlines.settings.reflect_days)),
    ]
    if app.state == NEGOTIATING:  # a "no" to your counter-offer is still an answer
        due = deadlines.business_days(fact.occurred_at, 1)
        scheduled.append(_schedule(app, EXPRESS_APPRECIATION, fact, due))
    return scheduled


def _decision_time(app: Application, fact: Fact, event: ev.DecisionTimeRequested,
                   _deadlines: Deadlines) -> list[TaskFact]:
    until = event.until
    return [
        ev.TaskSnoozed(task.id, until, fact.event_id)
        for task in app.open_tasks()
        if task.kind == OFFER_DECISION
    ]


# Each scheduler takes the event as the class it is registered for: the table cannot say
# so to the type checker, hence ``...``; react hands every scheduler the event of its key.
_SCHEDULERS: dict[type[ev.Event], Callable[..., list[TaskFact]]] = {
    ev.ApplicationSubmitted: _rules_for_submitted,
    ev.InterviewHeld: _rules_for_held,
    ev.OfferReceived: _rules_for_offer,
    ev.CounterOfferMade: _rules_for_counter,
    ev.OfferAccepted: _rules_for_accepted,
    ev.ApplicationDeclined: _rules_for_declined,
    ev.DecisionTimeRequested: _decision_time,
}


def react(before: Application, fact: Fact, deadlines: Deadlines) -> list[TaskFact]:
    """Task facts for ``fact`` on its own application, in the order they are appended:
    closures first, then what it schedules. ``before`` is the state before the fact."""
    scheduler = _SCHEDULERS.get(type(fact.event))
    scheduled = scheduler(before, fact, fact.event, deadlines) if scheduler else []
    return [*_closures(before, fact), *scheduled]


def withdraw_elsewhere(
    accepted: Application, fact: Fact, others: Iterable[Application], deadlines: Deadlines
) -> list[tuple[str, ev.TaskScheduled]]:
    """On acceptance: a withdraw-application task on every other application still open."""
    due = deadlines.business_days(fact.occurred_at, 1)
    return [
        (other.id, _schedule(other, WITHDRAW_APPLICATION, fact, due))
        for other in others
        if other.id != accepted.id and other.state in OPEN_STATES
    ]


def is_terminal_type(type_name: str) -> bool:
    return type_name in _TERMINAL_TYPES


def open_tasks_of(app: Application, kind: TaskKind) -> list[Task]:
    return [task for task in app.open_tasks() if task.kind == kind]

