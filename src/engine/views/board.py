"""The board and the agenda as a person sees them: in a browser, one column per state, one
card per application with its next step, how long it has been in its state, and whether it
has gone quiet (``Application.gone_quiet``: a follow-up met silence), and the agenda in
sections (overdue, today, upcoming) with the interviews to come; on the command line, each
application's soonest task and last contact with the company, and the interviews of a
stretch of days."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, tzinfo
from typing import NamedTuple

import attrs

from afterview.engine.domain.lifecycle import STATES
from afterview.engine.domain.state import Application, Listed, Task


@attrs.frozen
class NextStep:
    """What comes next for an application: its soonest open task or upcoming interview."""

    what: str
    due_at: datetime
    overdue: bool


@attrs.frozen
class Card:
    application: Application
    days_in_state: int
    next_step: NextStep | None
    quiet: bool


@attrs.frozen
class Column:
    state: str
    cards: list[Card]


def next_step(app: Application, now: datetime) -> NextStep | None:
    """The soonest open task or interview still to come."""
    candidates: list[tuple[datetime, str]] = [(t.due_at, t.title) for t in app.open_tasks()]
    candidates += [(i.scheduled_for, f"Interview round {i.round}") for i in app.interviews
                   if i.held_at is None and i.scheduled_for is not None and i.scheduled_for >= now
                   and not app.is_terminal]
    if not candidates:
        return None
    due_at, what = min(candidates, key=lambda pair: pair[0])
    return NextStep(what, due_at, due_at <= now)


def card(app: Application, now: datetime) -> Card:
    since = app.updated_at or app.applied_at or now
    return Card(app, max(0, (now - since).days), next_step(app, now), app.gone_quiet(now))


def board_columns(apps: Iterable[Application], now: datetime) -> list[Column]:
    """Every state in lifecycle order (empty ones too: a card may be dropped there), cards
    most recently moved first."""
    cards = [card(app, now) for app in apps if app.exists]
    columns = []
    for state in STATES:
        mine = [c for c in cards if c.application.state == state]
        mine.sort(key=lambda c: c.application.last_event_at or now, reverse=True)
        columns.append(Column(state, mine))
    return columns




@attrs.frozen
class UpcomingInterview:
    application: Application
    round: int
    scheduled_for: datetime
    kind: str | None
    interviewers: tuple[str, ...]


@attrs.frozen
class Agenda:
    overdue: list[Task]
    today: list[Task]
    upcoming: list[Task]
    interviews: list[UpcomingInterview]


def agenda(apps: Iterable[Application], now: datetime, tz: tzinfo) -> Agenda:
    """Open tasks split into overdue, due later today and upcoming (soonest first), and the
    interviews still to come on open applications."""
    apps = list(apps)
    tasks = sorted((t for a in apps for t in a.open_tasks()), key=lambda t: t.due_at)
    today = now.astimezone(tz).date()
    interviews = sorted(
        (UpcomingInterview(a, i.round, i.scheduled_for, i.kind, i.interviewers)
         for a in apps if not a.is_terminal for i in a.interviews
         if i.held_at is None and i.scheduled_for is not None and i.scheduled_for >= now),
        key=lambda found: found.scheduled_for)
    return Agenda(
        overdue=[t for t in tasks if t.due_at <= now],
        today=[t for t in tasks if t.due_at > now and t.due_at.astimezone(tz).date() == today],
        upcoming=[t for t in tasks if t.due_at > now and t.due_at.astimezone(tz).date() > today],
        interviews=interviews,
    )


# ---------------------------------------------------------------------------
# The command line's board and agenda

_OPEN_STATES = ("applied", "interviewing", "offered", "negotiating")


def soonest_task(app: Listed) -> Task | None:
    """The open task due soonest."""
    return min(app.open_tasks(), key=lambda t: t.due_at, default=None)


class ComingInterview(NamedTuple):
    application: str
    company: str
    role: str
    round: int
    at: datetime
    kind: str | None
    interviewers: tuple[str, ...]


def interviews_between(apps: Iterable[Application], start: datetime,
                       end: datetime) -> list[ComingInterview]:
    """Interviews scheduled (not held) from ``start`` to ``end``, soonest first."""
    found = [ComingInterview(app.id, app.company, app.role, i.round, i.scheduled_for, i.kind,
                             i.interviewers)
             for app in apps if app.state in _OPEN_STATES
             for i in app.interviews
             if i.held_at is None and i.cancelled_at is None and i.scheduled_for is not None
             and start <= i.scheduled_for <= end]
    return sorted(found, key=lambda c: c.at)
