"""Application state and the fold that rebuilds it from facts.

``evolve(state, fact)`` folds one fact into an application. It is pure apart from updating
the state object it is handed, which the caller owns (replay starts from a fresh one): a
copy per event would cost more than the fold itself, and replay speed is a target.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import TYPE_CHECKING, NamedTuple, TypeVar, cast

import attrs

from afterview.engine.domain.lifecycle import NEW, OPEN_STATES, TABLE, TERMINAL_STATES, State
from afterview.engine.domain.values import TaskOutcome

if TYPE_CHECKING:
    # The event classes are only named here: reading a projection (the board) folds
    # nothing, so it does not load them; a fold has them already (its facts hold them).
    from afterview.engine.domain import events as ev

PROFILE_STREAM = "profile"
"""The stream of settings; never an application id."""

_APPLICATION_ID = re.compile(r"^[a-z0-9][a-z0-9._-]{0,79}$")


def is_usable_id(application_id: str) -> bool:
    """Whether a person may choose this application id: lowercase letters, digits, dots,
    dashes and underscores, starting with a letter or digit; never the settings stream."""
    return bool(_APPLICATION_ID.fullmatch(application_id)) and application_id != PROFILE_STREAM


class DomainError(Exception):
    """A command the rules refuse; the message says what is wrong and what would be right."""

    exit_code = 1


class InvalidValue(DomainError):
    """A value that can never be right (a negative salary, an empty name)."""

    exit_code = 2


class Fact(NamedTuple):
    """One event with its envelope: where it goes, its id and when it happened."""

    stream_id: str
    event_id: str
    occurred_at: datetime
    event: ev.Event
    recorded_at: datetime | None = None
    version: int = 0


class StateChange(NamedTuple):
    """The fact behind an application's last change of state: its type and event id."""

    type: str
    event_id: str


class TaskStatus(StrEnum):
    """Whether a task is still to do; a task a fact closed (satisfied or moot) is ``closed``."""

    OPEN = "open"
    DONE = "done"
    DISMISSED = "dismissed"
    CLOSED = "closed"


_CLOSED_BY_YOU = frozenset({TaskOutcome.DONE, TaskOutcome.DISMISSED})


@attrs.define(slots=True)
class Task:
    """A follow-up the policies scheduled; open until a fact or a person closes it."""

    id: str
    application: str
    kind: ev.TaskKind
    title: str
    due_at: datetime
    scheduled_at: datetime
    cause_event_id: str | None
    status: TaskStatus = TaskStatus.OPEN
    outcome: ev.TaskOutcome | None = None
    note: str | None = None
    fired_due_at: datetime | None = None
    closed_at: datetime | None = None
    number: int = 0  # the n of its short reference APP#n, in scheduling order

    @property
    def ref(self) -> str:
        """The short readable reference, unique per application: ``acme-backend#3``."""
        return f"{self.application}#{self.number}"

    @property
    def is_open(self) -> bool:
        return self.status == TaskStatus.OPEN

    @property
    def fired(self) -> bool:
        """Whether the daemon fired it at its current due time."""
        return self.fired_due_at is not None and self.fired_due_at == self.due_at


@attrs.define(slots=True)
class Interview:
    round: int
    scheduled_for: datetime | None = None
    kind: str | None = None
    interviewers: tuple[str, ...] = ()
    held_at: datetime | None = None
    questions: tuple[ev.Question, ...] = ()
    note: str | None = None
    event_id: str | None = None  # the fact that scheduled it: the calendar's stable UID
    causes: tuple[str, ...] = ()  # the facts that scheduled or moved it (their debrief tasks)
    reschedules: int = 0
    cancelled_at: datetime | None = None
    cancelled_by: str | None = None
    cancel_reason: str | None = None

    @property
    def pending(self) -> bool:
        """Scheduled, and neither held nor cancelled yet."""
        return self.scheduled_for is not None and self.held_at is None and self.cancelled_at is None


@attrs.define(slots=True)
class OfferRound:
    """One offer from the company or one counter-offer of yours."""

    side: str  # "offer" or "counter"
    terms: ev.OfferTerms | None  # None: an offer recorded without its terms
    at: datetime
    event_id: str
    respond_by: datetime | None = None
    revised: bool = False
    reasons: tuple[str, ...] = ()
    note: str | None = None

    @property
    def given_terms(self) -> ev.OfferTerms:
        """The terms of a round that has them: every counter, every offer compared."""
        assert self.terms is not None, "an offer recorded without its terms"
        return self.terms


@attrs.define(slots=True)
class Contact:
    name: str
    title: str | None = None
    email: str | None = None


SalaryRange = tuple[Decimal | None, Decimal | None, str | None]
"""The advertised salary range: low, high, currency."""


@attrs.define(slots=True)
class Application:
    """Everything known about one application, rebuilt from its stream."""

    id: str
    company: str = ""
    role: str = ""
    state: State = NEW
    version: int = 0
    applied_at: datetime | None = None
    updated_at: datetime | None = None  # when the state last changed (occurred time)
    last_event_at: datetime | None = None
    source: str | None = None
    url: str | None = None
    location: str | None = None
    tags: tuple[str, ...] = ()
    priority: int | None = None
    job_description: str | None = None
    salary_range: SalaryRange | None = None
    referred_by: str | None = None
    contacts: list[Contact] = attrs.Factory(list)
    interviews: list[Interview] = attrs.Factory(list)
    rounds: list[OfferRound] = attrs.Factory(list)
    decision_until: datetime | None = None
    start_date: date | None = None
    thank_yous: list[datetime] = attrs.Factory(list)
    thanked: list[tuple[datetime, tuple[str, ...]]] = attrs.Factory(list)  # when, to whom
    follow_ups: list[datetime] = attrs.Factory(list)
    feedback: list[str] = attrs.Factory(list)
    feedback_requested_at: datetime | None = None
    reflections: list[str] = attrs.Factory(list)
    notes: list[tuple[datetime, str]] = attrs.Factory(list)
    notice_given_at: datetime | None = None
    reason: str | None = None  # why it was withdrawn or declined
    discarded: str | None = None  # the reason, while the application is discarded
    last_change: StateChange | None = None  # the fact behind the last change of state
    task_count: int = 0
    has_voids: bool = False  # a fact of its stream was voided: only a replay folds it further
    stage_times: dict[State, datetime] = attrs.Factory(dict)  # first time each state was reached
    tasks: dict[str, Task] = attrs.Factory(dict)

    @property
    def exists(self) -> bool:
        return self.state != NEW

    @property
    def is_terminal(self) -> bool:
        return self.state in TERMINAL_STATES

    @property
    def offer(self) -> OfferRound | None:
        """The latest offer from the company."""
        for offer_round in reversed(self.rounds):
            if offer_round.side == "offer":
                return offer_round
        return None

    def open_tasks(self) -> list[Task]:
        return [task for task in self.tasks.values() if task.is_open]

    def gone_quiet(self, now: datetime) -> bool:
        return gone_quiet(self.state, self.open_tasks(), now)

    @property
    def last_contact_at(self) -> datetime | None:
        return last_contact(self.applied_at, self.feedback_requested_at, self.thank_yous,
                            self.follow_ups, [i.held_at for i in self.interviews],
                            [r.at for r in self.rounds])

    def summary(self) -> Summary:
        """What the board shows of it."""
        return Summary(self.id, self.company, self.role, self.state, self.applied_at,
                       self.updated_at, self.last_event_at, self.discarded, self.tags,
                       self.priority, self.last_contact_at,
                       {task.id: task for task in self.tasks.values() if task.is_open})

    def interview_to_hold(self, round_number: int | None = None) -> Interview | None:
        """The round a debrief is about: the first one not held nor cancelled (of that number)."""
        for interview in self.interviews:
            if (interview.held_at is None and interview.cancelled_at is None
                    and round_number in (None, interview.round)):
                return interview
        return None

    def pending_interview(self, round_number: int | None = None) -> Interview | None:
        """The round (the latest pending one, without a number) scheduled and not yet held."""
        for interview in reversed(self.interviews):
            if interview.pending and round_number in (None, interview.round):
                return interview
        return None


def gone_quiet(state: State, open_tasks: Iterable[Task], now: datetime) -> bool:
    """A derived flag, not a state: your follow-up met silence, and so did the time to
    follow up again (an open follow-up-again task has fallen due)."""
    return state in OPEN_STATES and any(
        task.kind == "follow-up-again" and task.due_at <= now for task in open_tasks)


def last_contact(applied_at: datetime | None, feedback_requested_at: datetime | None,
                 thank_yous: Iterable[datetime], follow_ups: Iterable[datetime],
                 interviews_held: Iterable[datetime | None],
                 offers: Iterable[datetime]) -> datetime | None:
    """The last time you and the company were in touch: the application, an interview held,
    a thank-you or follow-up, an offer or counter, a request for feedback."""
    moments = [applied_at, feedback_requested_at, *thank_yous, *follow_ups, *interviews_held,
               *offers]
    return max((m for m in moments if m is not None), default=None)


class Summary(NamedTuple):
    """What the board, ``list`` and ``status`` show of an application, with the same names
    as on Application: read from its projection row without decoding the rest of it."""

    id: str
    company: str
    role: str
    state: State
    applied_at: datetime | None
    updated_at: datetime | None
    last_event_at: datetime | None
    discarded: str | None
    tags: tuple[str, ...]
    priority: int | None
    last_contact_at: datetime | None
    tasks: dict[str, Task]  # the open ones

    def open_tasks(self) -> list[Task]:
        return list(self.tasks.values())

    def gone_quiet(self, now: datetime) -> bool:
        return gone_quiet(self.state, self.tasks.values(), now)


Listed = Application | Summary
"""An application as a board lists it: whole, or its summary."""

Listing = TypeVar("Listing", Application, Summary)
"""Either kind, kept through a function (what goes in comes out)."""


# ---------------------------------------------------------------------------
# The fold


def _submitted(app: Application, fact: Fact, event: ev.ApplicationSubmitted) -> None:
    app.company, app.role = event.company, event.role
    app.source, app.url, app.location = event.source, event.url, event.location
    app.contacts.extend(Contact(name) for name in event.contacts)
    app.applied_at = fact.occurred_at
    app.tags, app.priority = event.tags, event.priority
    app.job_description, app.referred_by = event.job_description, event.referred_by
    if event.salary_min is not None or event.salary_max is not None:
        app.salary_range = (event.salary_min, event.salary_max, event.salary_currency)


def _details_changed(app: Application, _fact: Fact, event: ev.ApplicationDetailsChanged) -> None:
    for name in ("role", "url", "location", "source", "job_description", "referred_by"):
        value = getattr(event, name)
        if value is not None:
            setattr(app, name, value or None)  # an empty text clears it (never the role: decide)
    if event.tags is not None:
        app.tags = event.tags
    if event.priority is not None:
        app.priority = event.priority or None  # 0 clears it
    if event.salary_min is not None or event.salary_max is not None:
        app.salary_range = (event.salary_min, event.salary_max, event.salary_currency)


def _interview_scheduled(app: Application, fact: Fact, event: ev.InterviewScheduled) -> None:
    app.interviews.append(
        Interview(event.round, event.scheduled_for, event.kind, event.interviewers,
                  event_id=fact.event_id, causes=(fact.event_id,))
    )


def _interview_rescheduled(app: Application, fact: Fact, event: ev.InterviewRescheduled) -> None:
    interview = app.pending_interview(event.round)
    if interview is not None:
        interview.scheduled_for = event.scheduled_for
        interview.reschedules += 1
        interview.causes += (fact.event_id,)


def _interview_cancelled(app: Application, fact: Fact, event: ev.InterviewCancelled) -> None:
    interview = app.pending_interview(event.round)
    if interview is not None:
        interview.cancelled_at = fact.occurred_at
        interview.cancelled_by, interview.cancel_reason = event.by, event.reason


def _start_date(app: Application, _fact: Fact, event: ev.StartDateRecorded) -> None:
    app.start_date = event.start_date


def _discarded(app: Application, _fact: Fact, event: ev.ApplicationDiscarded) -> None:
    app.discarded = event.reason


def _interview_held(app: Application, fact: Fact, event: ev.InterviewHeld) -> None:
    found = app.interview_to_hold(event.round)
    if found is not None:
        interview = found
        interview.held_at = fact.occurred_at
    else:
        round_number = event.round or len(app.interviews) + 1
        interview = Interview(round_number, held_at=fact.occurred_at)
        app.interviews.append(interview)
    interview.questions = event.questions
    interview.note = event.note
    if event.interviewers:
        interview.interviewers = event.interviewers


def _thank_you(app: Application, fact: Fact, event: ev.ThankYouSent) -> None:
    app.thank_yous.append(fact.occurred_at)
    app.thanked.append((fact.occurred_at, event.to))


def _follow_up(app: Application, fact: Fact, _event: ev.FollowUpSent) -> None:
    app.follow_ups.append(fact.occurred_at)


def _offer(app: Application, fact: Fact, event: ev.OfferReceived) -> None:
    app.rounds.append(
        OfferRound("offer", event.terms, fact.occurred_at, fact.event_id, event.respond_by,
                   event.revised)
    )
    app.decision_until = None


def _decision_time(app: Application, _fact: Fact, event: ev.DecisionTimeRequested) -> None:
    app.decision_until = event.until


def _counter(app: Application, fact: Fact, event: ev.CounterOfferMade) -> None:
    app.rounds.append(
        OfferRound("counter", event.terms, fact.occurred_at, fact.event_id,
                   reasons=event.reasons, note=event.note)
    )


def _accepted(app: Application, _fact: Fact, event: ev.OfferAccepted) -> None:
    app.start_date = event.start_date


def _ended(app: Application, _fact: Fact,
           event: ev.ApplicationWithdrawn | ev.ApplicationDeclined) -> None:
    app.reason = event.reason


def _task_scheduled(app: Application, fact: Fact, event: ev.TaskScheduled) -> None:
    app.task_count += 1
    app.tasks[event.task_id] = Task(
        event.task_id, app.id, event.kind, event.title, event.due_at, fact.occurred_at,
        event.cause_event_id, number=app.task_count,
    )


def _task_snoozed(app: Application, _fact: Fact, event: ev.TaskSnoozed) -> None:
    task = app.tasks.get(event.task_id)
    if task is not None:
        task.due_at = event.until


def _task_closed(app: Application, fact: Fact, event: ev.TaskClosed) -> None:
    task = app.tasks.get(event.task_id)
    if task is None or not task.is_open:
        return
    task.outcome = event.outcome
    task.status = (TaskStatus(event.outcome) if event.outcome in _CLOSED_BY_YOU
                   else TaskStatus.CLOSED)
    task.note = event.note
    task.closed_at = fact.occurred_at


def _task_fired(app: Application, _fact: Fact, event: ev.TaskFired) -> None:
    task = app.tasks.get(event.task_id)
    if task is not None:
        task.fired_due_at = event.due_at


def _contact(app: Application, _fact: Fact, event: ev.ContactAdded) -> None:
    app.contacts.append(Contact(event.name, event.title, event.email))


def _feedback_requested(app: Application, fact: Fact, _event: ev.FeedbackRequested) -> None:
    app.feedback_requested_at = fact.occurred_at


def _feedback(app: Application, _fact: Fact, event: ev.FeedbackReceived) -> None:
    app.feedback.append(event.text)


def _reflection(app: Application, _fact: Fact, event: ev.ReflectionRecorded) -> None:
    app.reflections.append(event.text)


def _notice(app: Application, fact: Fact, _event: ev.NoticeGiven) -> None:
    app.notice_given_at = fact.occurred_at


def _note(app: Application, fact: Fact, event: ev.NoteAdded) -> None:
    app.notes.append((fact.occurred_at, event.text))


def _nothing(app: Application, fact: Fact, event: ev.Event) -> None:
    """A fact that only matters to the lifecycle or the audit."""


def _voided(app: Application, _fact: Fact, _event: ev.EventVoided) -> None:
    # A void changes which earlier facts count and how tasks are numbered (``rebuild``):
    # a fold carried on from this state would not know which facts it dropped.
    app.has_voids = True


# Each folder takes the event as the class it is registered for: the table cannot say so
# to the type checker, hence ``...``; evolve hands every folder the event of its key.
_FOLD: dict[str, Callable[..., None]] = {  # by type name (events.EVENT_TYPES)
    "ApplicationSubmitted": _submitted,
    "InterviewScheduled": _interview_scheduled,
    "InterviewHeld": _interview_held,
    "InterviewRescheduled": _interview_rescheduled,
    "InterviewCancelled": _interview_cancelled,
    "StartDateRecorded": _start_date,
    "ApplicationDiscarded": _discarded,
    "ThankYouSent": _thank_you,
    "FollowUpSent": _follow_up,
    "OfferReceived": _offer,
    "DecisionTimeRequested": _decision_time,
    "CounterOfferMade": _counter,
    "OfferAccepted": _accepted,
    "ApplicationWithdrawn": _ended,
    "ApplicationDeclined": _ended,
    "FeedbackRequested": _feedback_requested,
    "FeedbackReceived": _feedback,
    "ReflectionRecorded": _reflection,
    "NoticeGiven": _notice,
    "NoteAdded": _note,
    "ContactAdded": _contact,
    "ApplicationDetailsChanged": _details_changed,
    "EventVoided": _voided,
    "TaskScheduled": _task_scheduled,
    "TaskSnoozed": _task_snoozed,
    "TaskClosed": _task_closed,
    "TaskFired": _task_fired,
}


def evolve(app: Application, fact: Fact) -> Application:
    """Fold one fact into the application and return it."""
    event = fact.event
    type_name = event.TYPE
    new_state = TABLE.get((app.state, type_name))
    if new_state is not None and new_state != app.state:
        app.state = new_state
        app.updated_at = fact.occurred_at
        app.last_change = StateChange(type_name, fact.event_id)
        app.stage_times.setdefault(new_state, fact.occurred_at)
    _FOLD[type_name](app, fact, event)
    if fact.version:
        app.version = fact.version
    app.last_event_at = fact.occurred_at
    return app


def effective(facts: Iterable[Fact]) -> list[Fact]:
    """The facts that count: voided facts, and task facts they caused, are left out."""
    facts = list(facts)
    voided = {cast("ev.EventVoided", f.event).event_id for f in facts
              if f.event.TYPE == "EventVoided"}
    if not voided:
        return facts
    kept = []
    for fact in facts:
        cause = getattr(fact.event, "cause_event_id", None)  # task facts name their cause
        if fact.event_id in voided or cause in voided:
            voided.add(fact.event_id)
            continue
        kept.append(fact)
    return kept


def _number_tasks(app: Application, facts: list[Fact], kept: list[Fact]) -> None:
    """Task references count every task ever scheduled in the stream, voided ones too, so
    that voiding a fact never renumbers the tasks after it."""
    if len(kept) == len(facts):
        return
    number = 0
    for fact in facts:
        if fact.event.TYPE == "TaskScheduled":
            number += 1
            task = app.tasks.get(cast("ev.TaskScheduled", fact.event).task_id)
            if task is not None:
                task.number = number


def rebuild(application_id: str, facts: Iterable[Fact]) -> Application:
    """Replay one application's stream (in stream order), skipping voided facts."""
    facts = list(facts)
    app = Application(application_id)
    kept = effective(facts)
    for fact in kept:
        evolve(app, fact)
    _number_tasks(app, facts, kept)
    app.version = facts[-1].version if facts else 0
    return app


def view(
    application_id: str,
    facts: Iterable[Fact],
    *,
    as_of: datetime | None = None,
    known_at: datetime | None = None,
) -> Application:
    """The application as it stood at ``as_of`` (occurred time, with every correction we
    know of) and/or as the log knew it at ``known_at`` (recorded time, corrections then)."""
    facts = list(facts)
    if known_at is not None:
        facts = [f for f in facts if f.recorded_at is None or f.recorded_at <= known_at]
    everything = effective(facts)
    kept = everything
    if as_of is not None:
        kept = [f for f in kept if f.occurred_at <= as_of]
    app = Application(application_id)
    for fact in kept:
        evolve(app, fact)
    _number_tasks(app, facts, everything)
    return app
