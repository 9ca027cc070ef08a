"""The job search as an iCalendar file (RFC 5545): scheduled interviews as VEVENTs and
open tasks as VTODOs with their due times, for any calendar application.

Written with the ``icalendar`` library (imported only when a calendar is exported): it
escapes TEXT values, folds lines at 75 octets without splitting a character and ends lines
with CRLF, so no text from the log (a company name, a title, an id imported from a file)
can break a line or add a property. Times are written in UTC, so no VTIMEZONE is needed.
Every component's UID is derived from an id in the log, so the same interview or task keeps
its UID from one export to the next and a calendar that re-imports the file updates it
instead of duplicating it.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from afterview.engine.domain import events as ev
from afterview.engine.domain.state import Application, Fact, Task, effective
from afterview.engine.io.reader import SearchLog

if TYPE_CHECKING:
    import icalendar

UID_DOMAIN = "afterview"
INTERVIEW_LENGTH = timedelta(hours=1)  # the log does not know how long an interview lasts
_PRODID = "-//afterview//afterview job search//EN"
# Control characters other than a line break or a tab are not allowed in iCalendar TEXT
# (RFC 5545 3.3.11); a line break is escaped by the library.
_CONTROLS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def clean(text: str) -> str:
    """Text from the log without the control characters iCalendar does not allow (an
    escape sequence imported from a crafted file); CR and LF are kept for the library to
    escape as line breaks."""
    return _CONTROLS.sub("", text.replace("\r\n", "\n").replace("\r", "\n"))


def uid(log_id: str) -> str:
    """The stable UID of a component made from an id in the log."""
    return f"{clean(log_id)}@{UID_DOMAIN}".replace("\n", " ")


def _utc(moment: datetime) -> datetime:
    return moment.astimezone(UTC)


def _interview_events(app: Application, facts: list[Fact]) -> list[icalendar.Event]:
    """One VEVENT per round, at its latest time: a moved interview keeps the UID of the
    fact that scheduled it and bumps SEQUENCE (once per move, once more when cancelled), so
    a subscribed calendar updates the event instead of adding a second one."""
    import icalendar

    by_id = {fact.event_id: fact for fact in effective(facts)}
    components = []
    for interview in app.interviews:
        scheduled = by_id.get(interview.event_id or "")
        if scheduled is None or interview.scheduled_for is None:
            continue
        latest = by_id.get(interview.causes[-1], scheduled) if interview.causes else scheduled
        starts = interview.scheduled_for
        kind = f", {interview.kind}" if interview.kind else ""
        lines = [f"Application {app.id} ({app.state})"]
        if interview.interviewers:
            lines.insert(0, "With " + ", ".join(interview.interviewers))
        cancelled = interview.cancelled_at is not None
        ended_first = app.is_terminal and app.updated_at is not None and app.updated_at < starts
        component = icalendar.Event()
        component.add("uid", uid(scheduled.event_id))
        component.add("sequence", interview.reschedules + (1 if cancelled else 0))
        component.add("dtstamp", _utc(latest.recorded_at or latest.occurred_at))
        component.add("dtstart", _utc(starts))
        component.add("dtend", _utc(starts + INTERVIEW_LENGTH))
        component.add("summary", clean(
            f"Interview round {interview.round}{kind}: {app.company} — {app.role}"))
        component.add("description", clean("\n".join(lines)))
        component.add("categories", ["INTERVIEW"])
        component.add("status", "CANCELLED" if cancelled or ended_first else "CONFIRMED")
        components.append(component)
    return components


def task_todo(task: Task, app: Application, stamped: datetime) -> icalendar.Todo:
    """One open task as a VTODO."""
    import icalendar

    component = icalendar.Todo()
    component.add("uid", uid(task.id))
    component.add("dtstamp", _utc(stamped))
    component.add("due", _utc(task.due_at))
    component.add("summary", clean(task.title))
    component.add("description", clean(f"{task.kind} for application {app.id}: "
                                       f"afterview done {task.id} when it is done"))
    component.add("categories", [clean(task.kind.upper())])
    component.add("status", "NEEDS-ACTION")
    return component


def calendar(streams: dict[str, tuple[Application, list[Fact]]]) -> icalendar.Calendar:
    """The whole VCALENDAR: interviews first, then open tasks soonest first."""
    import icalendar

    cal = icalendar.Calendar()
    for name, value in (("version", "2.0"), ("prodid", _PRODID), ("calscale", "GREGORIAN"),
                        ("method", "PUBLISH"), ("x-wr-calname", "afterview")):
        cal.add(name, value)
    todos: list[tuple[datetime, icalendar.Todo]] = []
    for app, facts in streams.values():
        for component in _interview_events(app, facts):
            cal.add_component(component)
        scheduled = {f.event.task_id: f for f in facts if isinstance(f.event, ev.TaskScheduled)}
        for task in app.open_tasks():
            fact = scheduled.get(task.id)
            stamped = (fact.recorded_at or fact.occurred_at) if fact else task.scheduled_at
            todos.append((task.due_at, task_todo(task, app, stamped)))
    for _, todo in sorted(todos, key=lambda pair: pair[0]):
        cal.add_component(todo)
    return cal


def export_ics(engine: SearchLog) -> str:
    """The calendar text (CRLF line ends, as RFC 5545 requires)."""
    from afterview.engine.domain.state import rebuild

    streams = {}
    for stream_id, facts in sorted(engine.all_facts().items()):
        app = rebuild(stream_id, facts)
        if app.exists and app.discarded is None:  # a discarded one left the agenda too
            streams[stream_id] = (app, facts)
    text: bytes = calendar(streams).to_ical()
    return text.decode("utf-8")
