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
from afterview.engine.domain.lifecycle import APPLIED, INTERVIEWING, NEGOTIATING, OPEN_STATES
from afterview.engine.domain.state import Application, Fact, Interview, Task

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
DEBRIEF = TaskKind.DEBRIEF
FOLLOW_UP_AGAIN = TaskKind.FOLLOW_UP_AGAIN

DEBRIEF_HOURS = 2
"""The debrief task falls due this long after the interview's scheduled time."""

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
    DEBRIEF,
    FOLLOW_UP_AGAIN,
)

# A company's answer: what a follow-up (and a follow-up sent again) waits for.
_ANSWERED = frozenset({FOLLOW_UP_APPLICATION, FOLLOW_UP_INTERVIEW, FOLLOW_UP_AGAIN})

# What an acceptance makes moot on the other applications: the withdraw-application tasks
# replace them.
MOOT_ELSEWHERE = frozenset({FOLLOW_UP_APPLICATION, FOLLOW_UP_INTERVIEW, FOLLOW_UP_AGAIN,
                            OFFER_DECISION, FOLLOW_UP_COUNTER, DEBRIEF})

# The task kinds each fact satisfies, when the task was scheduled no later than the fact.
SATISFIED_BY: dict[type[ev.Event], frozenset[TaskKind]] = {
    ev.InterviewScheduled: _ANSWERED,
    ev.InterviewRescheduled: _ANSWERED,
    ev.InterviewHeld: _ANSWERED,
    ev.FollowUpSent: _ANSWERED,
    ev.ThankYouSent: frozenset({THANK_YOU, EXPRESS_APPRECIATION}),
    ev.OfferReceived: _ANSWERED | {FOLLOW_UP_COUNTER},
    ev.CounterOfferMade: frozenset({OFFER_DECISION}),
    ev.OfferAccepted: frozenset({OFFER_DECISION}),
    ev.ApplicationWithdrawn: frozenset({OFFER_DECISION, WITHDRAW_APPLICATION}),
    ev.ApplicationDeclined: _ANSWERED | {FOLLOW_UP_COUNTER, WITHDRAW_APPLICATION},
    ev.FeedbackRequested: frozenset({REQUEST_FEEDBACK}),
    ev.FeedbackReceived: frozenset({REQUEST_FEEDBACK}),
    ev.ReflectionRecorded: frozenset({REFLECT}),
    ev.NoticeGiven: frozenset({RESIGNATION_NOTICE}),
}

# A newer fact of the same kind replaces the task the older one scheduled (closed as moot).
SUPERSEDES: dict[type[ev.Event], frozenset[TaskKind]] = {
    # An offer also answers the interviews before it: a debrief not recorded by then is moot.
    ev.OfferReceived: frozenset({OFFER_DECISION, DEBRIEF}),
    ev.CounterOfferMade: frozenset({FOLLOW_UP_COUNTER}),
    ev.StartDateRecorded: frozenset({RESIGNATION_NOTICE}),
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
        DEBRIEF: f"How did the interview{extra} at {at} go? Record it while you remember, "
                 "and send thanks",
        FOLLOW_UP_AGAIN: f"No answer yet from {at} since your follow-up: follow up once more, "
                         "or consider withdrawing",
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


def deadline_task_due(deadline: datetime, whole_day: bool, deadlines: Deadlines) -> datetime:
    """A company's deadline given as a date alone lasts that whole day: the task falls due
    at the start of that working day, so the person has the day to answer."""
    if not whole_day:
        return deadline
    return deadlines.calendar.at_workday_start(deadlines.calendar.local_date(deadline))


def _decision_due(fact: Fact, offer: ev.OfferReceived, deadlines: Deadlines) -> datetime:
    if offer.respond_by is not None:
        return deadline_task_due(offer.respond_by, offer.whole_day, deadlines)
    return deadlines.business_days(fact.occurred_at, deadlines.settings.decision_days)


def _interview_time(app: Application, fact: Fact, event: ev.InterviewHeld) -> datetime:
    """When the interview a debrief is about took place: its scheduled time, if it had one
    that was not after the debrief; else the debrief's own time."""
    interview = app.interview_to_hold(event.round)
    if interview is not None and interview.scheduled_for is not None and (
            interview.scheduled_for <= fact.occurred_at):
        return interview.scheduled_for
    return fact.occurred_at


def _close_debriefs(app: Application, interview: Interview | None, fact: Fact,
                    outcome: TaskOutcome) -> list[TaskFact]:
    """The open debrief tasks of one round (scheduled or moved by the facts of that round)."""
    if interview is None:
        return []
    return [ev.TaskClosed(task.id, outcome, f"{fact.event.TYPE} recorded", fact.event_id)
            for task in app.open_tasks()
            if task.kind == DEBRIEF and task.cause_event_id in interview.causes]


def _debrief(app: Application, fact: Fact, scheduled_for: datetime,
             round_number: int) -> ev.TaskScheduled:
    due = hours_after(scheduled_for, DEBRIEF_HOURS)
    return _schedule(app, DEBRIEF, fact, due, f" (round {round_number})")


def _rules_for_scheduled(app: Application, fact: Fact, event: ev.InterviewScheduled,
                         _deadlines: Deadlines) -> list[TaskFact]:
    return [_debrief(app, fact, event.scheduled_for, event.round)]


def _rules_for_rescheduled(app: Application, fact: Fact, event: ev.InterviewRescheduled,
                           _deadlines: Deadlines) -> list[TaskFact]:
    interview = app.pending_interview(event.round)
    return [*_close_debriefs(app, interview, fact, TaskOutcome.MOOT),
            _debrief(app, fact, event.scheduled_for, event.round)]


def _rules_for_cancelled(app: Application, fact: Fact, event: ev.InterviewCancelled,
                         _deadlines: Deadlines) -> list[TaskFact]:
    return _close_debriefs(app, app.pending_interview(event.round), fact, TaskOutcome.MOOT)


def _rules_for_follow_up(app: Application, fact: Fact, _event: ev.FollowUpSent,
                         deadlines: Deadlines) -> list[TaskFact]:
    if app.state not in (APPLIED, INTERVIEWING, NEGOTIATING):
        return []
    due = deadlines.business_days(fact.occurred_at, deadlines.settings.followup_again_days)
    return [_schedule(app, FOLLOW_UP_AGAIN, fact, due)]


def _rules_for_discarded(app: Application, fact: Fact, _event: ev.ApplicationDiscarded,
                         _deadlines: Deadlines) -> list[TaskFact]:
    return [ev.TaskClosed(task.id, TaskOutcome.MOOT, "the application was discarded",
                          fact.event_id)
            for task in app.open_tasks()]


def _rules_for_submitted(app: Application, fact: Fact, _event: ev.ApplicationSubmitted,
                         deadlines: Deadlines) -> list[TaskFact]:
    days = deadlines.settings.followup_application_days
    due = deadlines.business_days(fact.occurred_at, days)
    return [_schedule(app, FOLLOW_UP_APPLICATION, fact, due)]


def _rules_for_held(app: Application, fact: Fact, event: ev.InterviewHeld,
                    deadlines: Deadlines) -> list[TaskFact]:
    people = event.interviewers
    to = f" to {', '.join(people)}" if people else ""
    held = _interview_time(app, fact, event)
    thank_due = hours_after(held, deadlines.settings.thank_you_hours)
    follow_due = deadlines.business_days(held, deadlines.settings.followup_interview_days)
    return [
        *_close_debriefs(app, app.interview_to_hold(event.round), fact, TaskOutcome.SATISFIED),
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


def last_working_day(start: date, deadlines: Deadlines) -> date:
    """The last business day on or before ``rest_days`` calendar days before the start."""
    return deadlines.calendar.last_working_day(start, deadlines.settings.rest_days)


def notice_date(start: date, deadlines: Deadlines) -> date:
    """``notice_days`` calendar days before the last working day, moved back to a business day."""
    settings = deadlines.settings
    return deadlines.calendar.notice_date(start, settings.rest_days, settings.notice_days)


def resignation_notice_due(start: date, deadlines: Deadlines) -> datetime:
    """Notice is due at the start of the working day on ``notice_date``."""
    return deadlines.calendar.at_workday_start(notice_date(start, deadlines))


def _rules_for_accepted(app: Application, fact: Fact,
                        event: ev.OfferAccepted | ev.StartDateRecorded,
                        deadlines: Deadlines) -> list[TaskFact]:
    start = event.start_date
    if start is None or not deadlines.settings.currently_employed or app.notice_given_at:
        return []
    last_day = last_working_day(start, deadlines)
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
                   deadlines: Deadlines) -> list[TaskFact]:
    """The decision task moves to the new deadline, never earlier than it was due."""
    until = deadline_task_due(event.until, event.whole_day, deadlines)
    return [
        ev.TaskSnoozed(task.id, until, fact.event_id)
        for task in app.open_tasks()
        if task.kind == OFFER_DECISION and until > task.due_at
    ]


# Each scheduler takes the event as the class it is registered for: the table cannot say
# so to the type checker, hence ``...``; react hands every scheduler the event of its key.
_SCHEDULERS: dict[type[ev.Event], Callable[..., list[TaskFact]]] = {
    ev.ApplicationSubmitted: _rules_for_submitted,
    ev.InterviewScheduled: _rules_for_scheduled,
    ev.InterviewRescheduled: _rules_for_rescheduled,
    ev.InterviewCancelled: _rules_for_cancelled,
    ev.InterviewHeld: _rules_for_held,
    ev.FollowUpSent: _rules_for_follow_up,
    ev.ApplicationDiscarded: _rules_for_discarded,
    ev.StartDateRecorded: _rules_for_accepted,
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
) -> list[tuple[str, TaskFact]]:
    """On acceptance: on every other application still open, the follow-ups, decisions and
    debriefs close as moot and a withdraw-application task replaces them."""
    due = deadlines.business_days(fact.occurred_at, 1)
    facts: list[tuple[str, TaskFact]] = []
    for other in others:
        if other.id == accepted.id or other.state not in OPEN_STATES or other.discarded:
            continue
        facts += [(other.id, ev.TaskClosed(task.id, TaskOutcome.MOOT,
                                           "you accepted another offer", fact.event_id))
                  for task in other.open_tasks() if task.kind in MOOT_ELSEWHERE]
        facts.append((other.id, _schedule(other, WITHDRAW_APPLICATION, fact, due)))
    return facts


def is_terminal_type(type_name: str) -> bool:
    return type_name in _TERMINAL_TYPES


def open_tasks_of(app: Application, kind: TaskKind) -> list[Task]:
    return [task for task in app.open_tasks() if task.kind == kind]

