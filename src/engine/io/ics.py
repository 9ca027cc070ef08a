"""The job search as an iCalendar file (RFC 5545): scheduled interviews as VEVENTs and
open tasks as VTODOs with their due times, for any calendar application.

Written by hand rather than with the ``icalendar`` library: the output needs only a few
properties, and escaping plus line folding are a dozen lines, so a run-time dependency is
not worth it (the tests parse the output with ``icalendar`` to keep this honest). Times
are written in UTC, so no VTIMEZONE is needed. Every component's UID is derived from an
id in the log, so the same interview or task keeps its UID from one export to the next
and a calendar that re-imports the file updates it instead of duplicating it.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta

from afterview.engine.domain import events as ev
from afterview.engine.domain.state import Application, Fact, Task, effective
from afterview.engine.io.reader import SearchLog

UID_DOMAIN = "afterview"
INTERVIEW_LENGTH = timedelta(hours=1)  # the log does not know how long an interview lasts
_PRODID = "-//afterview//afterview job search//EN"


def escape(text: str) -> str:
    """TEXT value escaping (RFC 5545 3.3.11)."""
    return (text.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,")
            .replace("\r\n", "\\n").replace("\n", "\\n").replace("\r", "\\n"))


def fold(line: str) -> str:
    """Lines longer than 75 octets are folded (RFC 5545 3.1), never inside a character."""
    encoded = line.encode("utf-8")
    if len(encoded) <= 75:
        return line
    parts, current, limit = [], b"", 75
    for char in line:
        piece = char.encode("utf-8")
        if len(current) + len(piece) > limit:
            parts.append(current.decode("utf-8"))
            current, limit = b"", 74  # continuation lines start with a space
        current += piece
    parts.append(current.decode("utf-8"))
    return "\r\n ".join(parts)


def utc(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def _component(kind: str, properties: Iterable[tuple[str, str]]) -> list[str]:
    return [f"BEGIN:{kind}", *(fold(f"{name}:{value}") for name, value in properties),
            f"END:{kind}"]


def _interview_events(app: Application, facts: list[Fact]) -> list[list[str]]:
    components = []
    for fact in effective(facts):
        event = fact.event
        if not isinstance(event, ev.InterviewScheduled):
            continue
        kind = f", {event.kind}" if event.kind else ""
        lines = [f"Application {app.id} ({app.state})"]
        if event.interviewers:
            lines.insert(0, "With " + ", ".join(event.interviewers))
        ended_first = app.is_terminal and app.updated_at is not None and (
            app.updated_at < event.scheduled_for)
        components.append(_component("VEVENT", [
            ("UID", f"{fact.event_id}@{UID_DOMAIN}"),
            ("DTSTAMP", utc(fact.recorded_at or fact.occurred_at)),
            ("DTSTART", utc(event.scheduled_for)),
            ("DTEND", utc(event.scheduled_for + INTERVIEW_LENGTH)),
            ("SUMMARY", escape(f"Interview round {event.round}{kind}: {app.company} — {app.role}")),
            ("DESCRIPTION", escape("\n".join(lines))),
            ("CATEGORIES", "INTERVIEW"),
            ("STATUS", "CANCELLED" if ended_first else "CONFIRMED"),
        ]))
    return components


def _task_todo(task: Task, app: Application, stamped: datetime) -> list[str]:
    return _component("VTODO", [
        ("UID", f"{task.id}@{UID_DOMAIN}"),
        ("DTSTAMP", utc(stamped)),
        ("DUE", utc(task.due_at)),
        ("SUMMARY", escape(task.title)),
        ("DESCRIPTION", escape(f"{task.kind} for application {app.id}: "
                               f"afterview done {task.id} when it is done")),
        ("CATEGORIES", escape(task.kind.upper())),
        ("STATUS", "NEEDS-ACTION"),
    ])


def calendar_lines(streams: dict[str, tuple[Application, list[Fact]]]) -> list[str]:
    """The whole VCALENDAR as unfolded-then-folded lines (without line ends)."""
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", f"PRODID:{_PRODID}", "CALSCALE:GREGORIAN",
             "METHOD:PUBLISH", "X-WR-CALNAME:afterview"]
    todos: list[tuple[datetime, list[str]]] = []
    for app, facts in streams.values():
        for component in _interview_events(app, facts):
            lines += component
        scheduled = {f.event.task_id: f for f in facts if isinstance(f.event, ev.TaskScheduled)}
        for task in app.open_tasks():
            fact = scheduled.get(task.id)
            stamped = (fact.recorded_at or fact.occurred_at) if fact else task.scheduled_at
            todos.append((task.due_at, _task_todo(task, app, stamped)))
    for _, component in sorted(todos, key=lambda pair: pair[0]):
        lines += component
    lines.append("END:VCALENDAR")
    return lines


def export_ics(engine: SearchLog) -> str:
    """The calendar text (CRLF line ends, as RFC 5545 requires)."""
    from afterview.engine.domain.state import rebuild

    streams = {}
    for stream_id, facts in sorted(engine.all_facts().items()):
        app = rebuild(stream_id, facts)
        if app.exists:
            streams[stream_id] = (app, facts)
    return "\r\n".join(calendar_lines(streams)) + "\r\n"
