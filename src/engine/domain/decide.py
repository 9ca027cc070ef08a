"""Commands and ``decide``: check a command against the lifecycle and the rules, and return
the new facts (or raise a ``DomainError`` that says what is wrong).

Pure: the clock, the calendar and the settings arrive in ``Context``; event ids derive from
``Context.command_id``, so deciding the same command twice gives the same facts.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Iterator
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING

import attrs

from afterview.engine.domain import events as ev
from afterview.engine.domain import lifecycle, policies, rules
from afterview.engine.domain.events import TaskOutcome
from afterview.engine.domain.settings import Settings, normalise
from afterview.engine.domain.state import PROFILE_STREAM, Application, DomainError, Fact, InvalidValue, Task

if TYPE_CHECKING:
    from afterview.engine.domain.calendar import WorkCalendar

_FIRING_NAMESPACE = uuid.UUID("5b1f4a52-8a4e-4c43-9d6c-5f0b7f1a7e11")


@attrs.frozen
class Context:
    """Everything the domain may know about the world: handed in, never looked up."""

    now: datetime
    calendar: WorkCalendar
    settings: Settings
    command_id: str


@attrs.frozen
class Record:
    """Record a fact about an application (a submission creates it). Without
    ``occurred_at`` the fact takes the latest sensible time (``default_occurred_at``);
    ``again`` allows a second application to the same job within 60 days."""

    application_id: str
    event: ev.Event
    occurred_at: datetime | None = None
    again: bool = False


@attrs.frozen
class ScheduleInterview:
    """An interview at ``scheduled_for``: round ``round``, else the next one; for a round
    scheduled and not yet held (the latest, without ``round``), that round moved
    (``InterviewRescheduled``)."""

    application_id: str
    scheduled_for: datetime
    round: int | None = None
    kind: str | None = None
    interviewers: tuple[str, ...] = ()
    occurred_at: datetime | None = None
    by: str | None = None  # who moved it: me or company


@attrs.frozen
class CancelInterview:
    """The pending round (round ``round``, else the latest pending one) is cancelled."""

    application_id: str
    round: int | None = None
    by: str | None = None
    reason: str | None = None
    occurred_at: datetime | None = None


@attrs.frozen
class ReceiveOffer:
    """An offer. ``terms`` holds the terms the company gave (offer terms, or only the keys
    given); a new offer while offered or negotiating is a revised offer that keeps every
    term it does not repeat; an offer without terms is recorded as "terms not recorded".
    ``whole_day``: ``respond_by`` was given as a date alone (it lasts that whole day)."""

    application_id: str
    terms: ev.OfferTerms | ev.JsonObject | None
    respond_by: datetime | None = None
    occurred_at: datetime | None = None
    whole_day: bool = False


@attrs.frozen
class RecordDaysOff:
    """Personal days off, ``first`` to ``last`` included (``vacation``)."""

    first: date
    last: date
    reason: str | None = None


@attrs.frozen
class VoidEvent:
    application_id: str
    event_id: str
    reason: str
    occurred_at: datetime


@attrs.frozen
class CloseTask:
    application_id: str
    task_id: str
    outcome: TaskOutcome  # done or dismissed
    note: str | None
    occurred_at: datetime


@attrs.frozen
class SnoozeTask:
    application_id: str
    task_id: str
    until: datetime
    occurred_at: datetime


@attrs.frozen
class FireTask:
    application_id: str
    task_id: str


@attrs.frozen
class ChangeSetting:
    key: str
    value: str


@attrs.frozen
class SendDigest:
    """Record that the digest of ``day`` went out, naming the tasks it listed."""

    day: date
    task_ids: tuple[str, ...]


Command = (Record | ScheduleInterview | CancelInterview | ReceiveOffer | VoidEvent | CloseTask
           | SnoozeTask | FireTask | ChangeSetting | RecordDaysOff | SendDigest)
"""Every command ``decide`` takes."""


@attrs.frozen
class Decision:
    facts: list[Fact]
    warnings: list[str] = attrs.Factory(list)


def digest_event_id(day: date) -> str:
    """One digest per day, whichever daemon or tick sends it."""
    return str(uuid.uuid5(_FIRING_NAMESPACE, f"digest@{day.isoformat()}"))


def firing_event_id(task_id: str, due_at: datetime) -> str:
    """One firing per task and due time: a snoozed task may fire again at its new time."""
    return str(uuid.uuid5(_FIRING_NAMESPACE, f"{task_id}@{due_at.isoformat()}"))


def _ids(command_id: str) -> Iterator[str]:
    namespace = uuid.UUID(command_id)
    index = 0
    while True:
        yield str(uuid.uuid5(namespace, str(index)))
        index += 1


# ---------------------------------------------------------------------------
# Checks


def _refuse_invalid_move(app: Application, type_name: str) -> None:
    if (app.state, type_name) in lifecycle.TABLE and lifecycle.allowed(app.state, type_name):
        return
    command = lifecycle.COMMAND_NAMES[type_name]
    if not app.exists:
        raise DomainError(f"unknown application {app.id!r}: see 'afterview list'")
    if type_name == "ApplicationSubmitted":
        raise DomainError(f"application {app.id!r} already exists: choose another --id")
    allowed_in = " or ".join(s for s in lifecycle.sources_of(type_name))
    raise DomainError(
        f"cannot '{command}' application {app.id!r}: it is {app.state}; "
        f"'{command}' is only allowed when it is {allowed_in}"
    )


def _refuse_bad_time(app: Application, type_name: str, occurred_at: datetime, now: datetime) -> None:
    if occurred_at > now:
        raise InvalidValue(
            f"--at {occurred_at.isoformat()} is in the future: record a fact once it has happened"
        )
    if app.applied_at is not None and occurred_at < app.applied_at:
        raise InvalidValue(
            f"--at {occurred_at.isoformat()} is before the application was submitted "
            f"({app.applied_at.isoformat()})"
        )
    changes_state = lifecycle.TABLE.get((app.state, type_name), app.state) != app.state
    if changes_state and app.updated_at is not None and occurred_at < app.updated_at:
        last = app.last_change
        what = f"{last.type} {last.event_id[:8]}" if last is not None else "it"
        raise InvalidValue(
            f"--at {occurred_at.isoformat()} is before the last change of state "
            f"({what} at {app.updated_at.isoformat()}), which a state change cannot come "
            f"before: use --at {app.updated_at.isoformat()} or later, or void {what.split()[-1]}"
        )


_DAY = timedelta(days=1)


def default_occurred_at(app: Application, event: ev.Event, now: datetime) -> datetime:
    """When a fact happened if the person did not say: now, unless the fact carries a date
    of its own in the past, then the latest time that keeps the order of facts. A past
    interview was arranged no later than it took place; a debrief is the round's own time
    once that has passed; an offer whose answer was due in the past came before that."""
    if isinstance(event, ev.InterviewScheduled | ev.InterviewRescheduled):
        return min(now, event.scheduled_for)
    if isinstance(event, ev.InterviewHeld):
        interview = app.interview_to_hold(event.round)
        if interview is not None and interview.scheduled_for is not None:
            return min(now, interview.scheduled_for)
    if isinstance(event, ev.OfferReceived) and event.respond_by is not None and (
            event.respond_by <= now):
        latest = event.respond_by - _DAY
        if app.last_event_at is not None and latest < app.last_event_at < event.respond_by:
            latest = app.last_event_at
        return latest
    return now


def _required_text(name: str, value: str | None) -> None:
    if value is None or not value.strip():
        raise InvalidValue(f"{name} cannot be empty")


_MONEY_FIELDS = (
    "base", "bonus", "bonus_percent", "signing", "equity_per_year", "equity_total",
    "relocation", "benefits_value", "commute_cost",
)


def check_terms(terms: ev.OfferTerms) -> None:
    """Amounts are finite and not negative; the base salary is above zero."""
    for name in _MONEY_FIELDS:
        value: Decimal | None = getattr(terms, name)
        if value is not None and (not value.is_finite() or value < 0):
            raise InvalidValue(f"{name.replace('_', ' ')} {value} is not allowed: use 0 or more")
    if terms.base <= 0:
        raise InvalidValue("the salary must be above 0")
    for name in ("equity_years", "commute_minutes", "remote_days"):
        count = getattr(terms, name)
        if count is not None and count < 0:
            raise InvalidValue(f"{name.replace('_', ' ')} cannot be negative")
    if terms.remote_days is not None and terms.remote_days > 7:
        raise InvalidValue("remote days are per week: use 0 to 7")


def _check_details(event: ev.ApplicationSubmitted | ev.ApplicationDetailsChanged) -> None:
    """Priority 1 to 5 (0 clears it in an edit); a salary range low to high, not negative."""
    lowest = 0 if isinstance(event, ev.ApplicationDetailsChanged) else 1
    if event.priority is not None and not lowest <= event.priority <= 5:
        raise InvalidValue(f"priority {event.priority} is not 1 to 5 (1 is the highest)")
    low, high = event.salary_min, event.salary_max
    for value in (low, high):
        if value is not None and (not value.is_finite() or value < 0):
            raise InvalidValue(f"the salary range {value} is not allowed: use 0 or more")
    if low is not None and high is not None and low > high:
        raise InvalidValue(f"the salary range runs from {low} up to {high}: write the lower first")
    if any(not tag.strip() for tag in event.tags or ()):
        raise InvalidValue("a tag cannot be empty")


def _check_values(app: Application, event: ev.Event, occurred_at: datetime, now: datetime) -> None:
    if isinstance(event, ev.ApplicationSubmitted):
        _required_text("the company", event.company)
        _required_text("the role", event.role)
        _check_details(event)
    elif isinstance(event, ev.ApplicationDetailsChanged):
        if event.role is not None:
            _required_text("the role", event.role)
        _check_details(event)
    elif isinstance(event, ev.OfferReceived | ev.CounterOfferMade) and event.terms is not None:
        check_terms(event.terms)
    elif isinstance(event, ev.NoteAdded | ev.ReflectionRecorded | ev.FeedbackReceived):
        _required_text("the text", event.text)
    elif isinstance(event, ev.ContactAdded):
        _required_text("the contact's name", event.name)
    elif isinstance(event, ev.InterviewScheduled) and event.round < 1:
        raise InvalidValue("the interview round must be 1 or more")
    elif isinstance(event, ev.DecisionTimeRequested) and event.until <= now:
        raise InvalidValue(f"--until {event.until.isoformat()} has passed: ask for a later date")
    respond_by = event.respond_by if isinstance(event, ev.OfferReceived) else None
    if respond_by is not None and respond_by <= occurred_at:
        raise InvalidValue("--respond-by must be after the offer was received")


# ---------------------------------------------------------------------------
# decide


def _facts_for(stream: str, ids: Iterator[str], at: datetime,
               events: Iterable[ev.Event]) -> list[Fact]:
    return [Fact(stream, next(ids), at, event) for event in events]


def _record(command: Record, app: Application, context: Context,
            others: Iterable[Application]) -> Decision:
    event = command.event
    if isinstance(event, ev.OfferAccepted) and app.state == lifecycle.ACCEPTED and (
            event.start_date is not None):
        event = ev.StartDateRecorded(event.start_date)  # accept --start, once accepted
    occurred_at = command.occurred_at or default_occurred_at(app, event, context.now)
    _refuse_invalid_move(app, event.TYPE)
    _refuse_bad_time(app, event.TYPE, occurred_at, context.now)
    _check_values(app, event, occurred_at, context.now)
    if isinstance(event, ev.OfferAccepted):
        _refuse_second_acceptance(app, others)
    rules.refuse(app, event, occurred_at, others, again=command.again)
    ids = _ids(context.command_id)
    fact = Fact(app.id, next(ids), occurred_at, event)
    named = app  # a submission (the one fact of a new application) names it for the titles
    if isinstance(event, ev.ApplicationSubmitted):
        named = Application(app.id, company=event.company, role=event.role)
    deadlines = policies.Deadlines(context.calendar, context.settings)
    facts = [fact, *_facts_for(app.id, ids, occurred_at,
                               policies.react(named, fact, deadlines))]
    warnings = []
    if isinstance(event, ev.OfferAccepted):
        for other_id, task_fact in policies.withdraw_elsewhere(app, fact, others, deadlines):
            facts.append(Fact(other_id, next(ids), occurred_at, task_fact))
        warnings += rules.acceptance_warnings(app, event, context.settings)
    if isinstance(event, ev.OfferAccepted | ev.StartDateRecorded):
        warnings += _notice_warnings(facts, context)
    return Decision(facts, warnings)


def _as_record(command: ScheduleInterview | CancelInterview | ReceiveOffer, app: Application,
               context: Context) -> Record:
    """The fact a command records, with what the application's state tells about it: a new
    round or the pending one moved, a first or a revised offer."""
    event: ev.Event
    if isinstance(command, ScheduleInterview):
        event = rules.interview_event(app, command.scheduled_for, command.round, command.kind,
                                      command.interviewers, command.by,
                                      command.occurred_at or context.now)
    elif isinstance(command, CancelInterview):
        _refuse_invalid_move(app, "InterviewCancelled")
        event = rules.cancellation_event(app, command.round, command.by, command.reason)
    else:
        event = rules.offer_event(app, command.terms, command.respond_by, command.whole_day,
                                  context.settings)
    return Record(command.application_id, event, command.occurred_at)


def _refuse_second_acceptance(app: Application, others: Iterable[Application]) -> None:
    """At most one accepted application, ever at once: the caller hands in every other
    application (and appends with their versions, so two acceptances cannot both pass)."""
    for other in others:
        if other.id != app.id and other.state == lifecycle.ACCEPTED:
            when = f" on {other.updated_at.date().isoformat()}" if other.updated_at else ""
            raise DomainError(
                f"cannot 'accept' application {app.id!r}: you accepted {other.id!r} "
                f"({other.company}){when}; withdraw that one first (undo its acceptance with "
                f"'afterview void EVENT_ID --reason ...', see 'afterview history {other.id}')"
            )


def _notice_warnings(facts: list[Fact], context: Context) -> list[str]:
    for fact in facts:
        event = fact.event
        if (isinstance(event, ev.TaskScheduled) and event.kind == policies.RESIGNATION_NOTICE
                and event.due_at < context.now):
            settings = context.settings
            return [
                f"the start date leaves less than the {settings.notice_days} days of notice "
                f"plus {settings.rest_days} rest days: notice was due "
                f"{event.due_at.date().isoformat()}"
            ]
    return []


def _task(app: Application, task_id: str) -> Task:
    task = app.tasks.get(task_id)
    if task is None:
        raise DomainError(f"unknown task {task_id!r}: see 'afterview agenda'")
    return task


def _close_task(command: CloseTask, app: Application, context: Context) -> Decision:
    task = _task(app, command.task_id)
    if not task.is_open:
        raise DomainError(f"task {task.id} is already {task.outcome}: there is nothing left to close")
    event = ev.TaskClosed(task.id, command.outcome, command.note, None)
    return Decision([Fact(app.id, next(_ids(context.command_id)), command.occurred_at, event)])


def _snooze_task(command: SnoozeTask, app: Application, context: Context) -> Decision:
    task = _task(app, command.task_id)
    if not task.is_open:
        raise DomainError(f"task {task.id} is already {task.outcome}: it cannot be snoozed")
    if command.until <= context.now:
        raise InvalidValue(f"--until {command.until.isoformat()} has passed: choose a later time")
    event = ev.TaskSnoozed(task.id, command.until, None)
    return Decision([Fact(app.id, next(_ids(context.command_id)), command.occurred_at, event)])


def _fire_task(command: FireTask, app: Application, context: Context) -> Decision:
    task = app.tasks.get(command.task_id)
    if task is None or not task.is_open or task.fired or task.due_at > context.now:
        return Decision([])
    event = ev.TaskFired(task.id, task.due_at)
    return Decision([Fact(app.id, firing_event_id(task.id, task.due_at), context.now, event)])


def _void(command: VoidEvent, app: Application, facts: list[Fact], context: Context,
          others: Iterable[Application] = ()) -> Decision:
    from afterview.engine.domain.state import effective, evolve

    _required_text("the reason", command.reason)
    target = next((f for f in facts if f.event_id == command.event_id), None)
    if target is None:
        raise DomainError(f"no event {command.event_id} in application {app.id!r}")
    if type(target.event) in (ev.EventVoided, ev.ApplicationSubmitted):
        what = "a correction" if type(target.event) is ev.EventVoided else "the submission"
        raise DomainError(f"cannot void {what}: withdraw the application or void a later fact")
    instead = _TASK_COMMANDS.get(type(target.event))
    if instead is not None and isinstance(target.event, ev.TaskScheduled | ev.TaskSnoozed
                                          | ev.TaskClosed | ev.TaskFired):
        task_id = target.event.task_id
        raise DomainError(f"cannot void a {target.event.TYPE} (task {task_id}): tasks are "
                          f"kept by their own commands; {instead.format(task=task_id)}")
    if target.event_id not in {f.event_id for f in effective(facts)}:
        raise DomainError(f"event {command.event_id} is already voided")
    event = ev.EventVoided(command.event_id, command.reason)
    ids = _ids(context.command_id)
    fact = Fact(app.id, next(ids), command.occurred_at, event)
    replayed = Application(app.id)
    for kept in effective([*facts, fact]):
        if (replayed.state, kept.event.TYPE) not in lifecycle.TABLE and kept.event.TYPE in (
            lifecycle.LIFECYCLE_TRIGGERS
        ):
            raise DomainError(
                f"cannot void {command.event_id}: the later '{kept.event.TYPE}' "
                f"({kept.event_id[:8]}) depends on it; void that one first"
            )
        evolve(replayed, kept)
    # Replay skips what the voided fact caused only within its own stream; tasks it put on
    # other applications (an acceptance's withdraw-application) are closed explicitly.
    closures = [
        Fact(other.id, next(ids), command.occurred_at,
             ev.TaskClosed(task.id, TaskOutcome.MOOT, "the fact that scheduled it was voided",
                           fact.event_id))
        for other in others if other.id != app.id
        for task in other.open_tasks() if task.cause_event_id == command.event_id
    ]
    return Decision([fact, *_kept_closed(app, replayed, effective([*facts, fact]), fact, ids),
                     *closures])


# Task facts are not corrected by voiding them: a voided firing would leave its task never
# firing again, a voided schedule or closing would hide what the policies decided.
_TASK_COMMANDS: dict[type, str] = {
    ev.TaskScheduled: "to drop it use 'afterview dismiss {task}', to move it "
                      "'afterview snooze {task} --until WHEN'",
    ev.TaskFired: "to be reminded again use 'afterview snooze {task} --until WHEN'; to end it "
                  "'afterview done {task}' or 'afterview dismiss {task}'",
    ev.TaskSnoozed: "to move it again use 'afterview snooze {task} --until WHEN'",
    ev.TaskClosed: "a closed task stays closed; if there is more to do, note it with "
                   "'afterview note APP TEXT', or record the fact that schedules it again",
}


def _kept_closed(before: Application, after: Application, kept: list[Fact], void: Fact,
                 ids: Iterator[str]) -> list[Fact]:
    """A task the void reopens (the voided fact had closed it) is closed again if a later
    kept fact would have closed it: voiding an interview must not reopen the follow-up on an
    application that was declined since."""
    closed = []
    for task in after.open_tasks():
        if before.tasks[task.id].is_open:
            continue
        scheduled = next(i for i, f in enumerate(kept) if _schedules(f, task.id))
        for later in kept[scheduled + 1:]:
            satisfies = (task.kind in policies.SATISFIED_BY.get(type(later.event), ())
                         and task.scheduled_at <= later.occurred_at)
            if satisfies or policies.is_terminal_type(later.event.TYPE):
                outcome = TaskOutcome.SATISFIED if satisfies else TaskOutcome.MOOT
                event = ev.TaskClosed(task.id, outcome,
                                      f"{later.event.TYPE} recorded", void.event_id)
                closed.append(Fact(before.id, next(ids), void.occurred_at, event))
                break
    return closed


def _schedules(fact: Fact, task_id: str) -> bool:
    return isinstance(fact.event, ev.TaskScheduled) and fact.event.task_id == task_id


def _change_setting(command: ChangeSetting, context: Context) -> Decision:
    value = normalise(command.key, command.value)
    if command.key == "subdivision" and value is not None:
        from afterview.engine.domain.calendar import CalendarError, validate_subdivision

        if context.settings.country is None:
            raise InvalidValue("set a country before a subdivision: afterview config set country US")
        try:
            value = validate_subdivision(context.settings.country, value)
        except CalendarError as error:
            raise InvalidValue(str(error)) from None
    event = ev.SettingChanged(command.key, value)
    return Decision([Fact(PROFILE_STREAM, next(_ids(context.command_id)), context.now, event)])


def _record_days_off(command: RecordDaysOff, context: Context) -> Decision:
    if command.last < command.first:
        raise InvalidValue(f"the days off end ({command.last}) before they start ({command.first})")
    if (command.last - command.first).days > 366:
        raise InvalidValue("days off span at most a year: record longer ones in parts")
    event = ev.DaysOffRecorded(command.first, command.last, command.reason)
    return Decision([Fact(PROFILE_STREAM, next(_ids(context.command_id)), context.now, event)])


def decide(
    command: Command,
    app: Application | None,
    context: Context,
    *,
    others: Iterable[Application] = (),
    facts: list[Fact] | None = None,
) -> Decision:
    """The facts ``command`` adds, given the application's state (and, for an acceptance,
    the other applications; for a correction, the application's facts)."""
    if isinstance(command, ChangeSetting):
        return _change_setting(command, context)
    if isinstance(command, RecordDaysOff):
        return _record_days_off(command, context)
    if isinstance(command, SendDigest):
        event = ev.DigestSent(command.day, command.task_ids)
        return Decision([Fact(PROFILE_STREAM, digest_event_id(command.day), context.now, event)])
    assert app is not None, "every command but a setting is about one application"
    if isinstance(command, Record):
        return _record(command, app, context, others)
    if isinstance(command, ScheduleInterview | CancelInterview | ReceiveOffer):
        return _record(_as_record(command, app, context), app, context, others)
    if isinstance(command, CloseTask):
        return _close_task(command, app, context)
    if isinstance(command, SnoozeTask):
        return _snooze_task(command, app, context)
    if isinstance(command, FireTask):
        return _fire_task(command, app, context)
    if isinstance(command, VoidEvent):
        return _void(command, app, facts or [], context, others)
    raise TypeError(f"not a command: {command!r}")
