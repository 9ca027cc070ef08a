"""Task commands: agenda, done, snooze, dismiss."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from afterview.cli.context import complete_task, emit_json, session, when
from afterview.cli.output import render

if TYPE_CHECKING:
    from afterview.engine.service.api import Result


@click.command()
@click.option("--all", "show_all", is_flag=True, help="Also tasks that are closed.")
@click.option("--until", "until", metavar="WHEN",
              help="Only tasks due by then (a date alone: by the end of that day).")
@click.option("--week", is_flag=True, help="The coming seven days, day by day.")
@click.option("--wide", is_flag=True, help="Every column whole, whatever the terminal's width.")
def agenda(show_all: bool, until: str | None, week: bool, wide: bool) -> None:
    """Open tasks (overdue first, then today, then later) and the interviews of the next
    seven days."""
    from datetime import timedelta

    from afterview.engine.service.api import agenda as agenda_of

    s = session()
    render.use_wide(wide)
    now = s.engine.now()
    limit = when(until, "--until", whole_day=True)
    if week:
        limit = min(limit or now + timedelta(days=7), now + timedelta(days=7))
    if show_all:  # closed tasks too: the whole applications
        tasks = agenda_of(s.engine.applications(), now, include_closed=True, until=limit)
    else:  # the open tasks are in every application's summary
        summaries = s.engine.summaries()
        tasks = agenda_of(summaries, now, until=limit)
    if s.as_json:
        emit_json([render.task_json(t, now) for t in tasks])
    elif show_all:
        click.echo(render.table(("task", "due", "status", "id", "what"),
                                [(t.ref, t.due_at, t.outcome or t.status, t.id, t.title)
                                 for t in tasks], optional=("id",), wrap=("what",)))
    else:
        from afterview.cli.output.views import negotiation_hints  # offers below target_salary
        from afterview.engine.domain.lifecycle import NEGOTIABLE_STATES
        from afterview.engine.views.board import interviews_between

        # Whole applications only where the agenda shows more than a task: an interview to
        # come, or an offer to negotiate.
        detailed = s.engine.applications_of(
            s.engine.with_coming_interviews()
            | {a.id for a in summaries if a.state in NEGOTIABLE_STATES})
        coming = interviews_between(detailed, now, min(limit or now + timedelta(days=7),
                                                       now + timedelta(days=7)))
        click.echo(render.agenda(tasks, now, coming, week=week,
                                 prefixes=render.short_prefixes(a.id for a in summaries)))
        for hint in negotiation_hints(detailed, s.engine.settings) if detailed else ():
            click.echo(hint)


@click.command()
@click.argument("task", metavar="TASK", shell_complete=complete_task)
@click.option("--note", metavar="T", help="What you did.")
def done(task: str, note: str | None) -> None:
    """Close a task as done."""
    from afterview.engine.domain.events import TaskOutcome

    result = session().engine.close_task(task, TaskOutcome.DONE, note)
    _echo_task(result, "done")


@click.command()
@click.argument("task", metavar="TASK", shell_complete=complete_task)
@click.option("--until", "until", required=True, metavar="WHEN", help="The new due time.")
def snooze(task: str, until: str) -> None:
    """Move a task's due time."""
    moved_to = when(until, "--until")
    assert moved_to is not None
    result = session().engine.snooze_task(task, moved_to)
    _echo_task(result, f"now due {render.short_time(moved_to)}")


@click.command()
@click.argument("task", metavar="TASK", shell_complete=complete_task)
@click.option("--reason", metavar="T", help="Why it does not need doing.")
def dismiss(task: str, reason: str | None) -> None:
    """Close a task without doing it."""
    from afterview.engine.domain.events import TaskOutcome

    result = session().engine.close_task(task, TaskOutcome.DISMISSED, reason)
    _echo_task(result, "dismissed")


def _echo_task(result: Result, verb: str) -> None:
    """The task the command closed or moved, after it."""
    from afterview.engine.domain.events import TaskClosed, TaskSnoozed

    event = result.facts[0].event
    assert isinstance(event, TaskClosed | TaskSnoozed)
    s = session()
    task = result.application.tasks[event.task_id]
    if s.as_json:
        emit_json(render.task_json(task, s.engine.now()))
    else:
        from afterview.cli.output.confirm import task_line

        click.echo(task_line(task, verb))


COMMANDS = [agenda, done, snooze, dismiss]
