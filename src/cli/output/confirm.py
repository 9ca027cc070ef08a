"""What a fact-entering command prints: what changed, in words. "acme: offered → negotiating.
Counter-offer made: base 95,000 USD (today 10:00). Next: Follow up on your counter-offer,
due Mon 23 Nov 09:00 (in 3 days); task acme#4 (follow-up-counter-1a2b3c4d)."."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from afterview.cli.output import render, times
from afterview.cli.output.sentences import sentence

if TYPE_CHECKING:
    from afterview.engine.domain.events import Event
    from afterview.engine.domain.state import Application, Fact, Task


def state_change(app: Application, before: str | None) -> str:
    """``acme: offered → negotiating.``, or ``acme: still applied.``"""
    after = render.state_label(app.state)
    if before is None or before == app.state:
        return f"{app.id}: {'still ' if before else ''}{after}."
    return f"{app.id}: {render.state_label(before)} → {after}."


def fact_lines(app: Application, before: str | None, facts: Sequence[Fact]) -> list[str]:
    """The state change, the fact itself with its resolved time, what it moved (a round, a
    deadline, the start date), the tasks it scheduled, moved or closed here (by their short
    reference), and the tasks it touched on other applications."""
    from afterview.engine.domain import events as ev

    people = {c.name: c.title for c in app.contacts}
    lines = [state_change(app, before)]
    for fact in facts:
        event = fact.event
        if fact.stream_id != app.id:
            if isinstance(event, ev.TaskScheduled):
                lines.append(f"Next on {fact.stream_id}: {event.title}; task {event.task_id}.")
            elif isinstance(event, ev.TaskClosed):
                lines.append(f"Closed task {event.task_id} on {fact.stream_id} ({event.outcome}).")
            continue
        task = app.tasks.get(event.task_id) if isinstance(
            event, ev.TaskScheduled | ev.TaskSnoozed | ev.TaskClosed) else None
        ref = f"{task.ref} ({task.id})" if task is not None else getattr(event, "task_id", "")
        if isinstance(event, ev.TaskScheduled):
            lines.append(f"Next: {event.title}, due {times.when_text(event.due_at)}; task {ref}.")
        elif isinstance(event, ev.TaskSnoozed):
            lines.append(f"Task {ref} now due {times.when_text(event.until)}.")
        elif isinstance(event, ev.TaskClosed):
            lines.append(f"Closed task {ref}: {event.outcome}.")
        elif not isinstance(event, ev.TaskFired):
            lines += _fact_lines(event, fact, people)
    return lines


def _fact_lines(event: Event, fact: Fact, people: dict[str, str | None]) -> list[str]:
    """The fact in words with when it happened, and a deadline or date it set."""
    from afterview.engine.domain import events as ev

    lines = [f"{sentence(event.TYPE, ev.to_data(event), people)} "
             f"({times.when_text(fact.occurred_at)})."]
    if isinstance(event, ev.InterviewRescheduled):
        lines.append(f"Round {event.round} moved to {times.when_text(event.scheduled_for)}.")
    elif isinstance(event, ev.OfferReceived) and event.respond_by is not None:
        lines.append(f"Deadline {times.when_text(event.respond_by)}.")
    elif isinstance(event, ev.DecisionTimeRequested):
        lines.append(f"Deadline {times.when_text(event.until)}.")
    elif isinstance(event, ev.StartDateRecorded):
        lines.append(f"Start date {times.day_text(event.start_date, relative=True)}.")
    return lines


def task_line(task: Task, change: str) -> str:
    """``Task acme#2 (thank-you-1a2b3c4d) done: Send a thank-you note to Ana.``"""
    return f"Task {task.ref} ({task.id}) {change}: {task.title}."
