"""The daily digest: what is overdue, what is due today and today's interviews, as the
daemon sends it each morning at ``workday_start`` (and ``afterview digest`` prints it).
An overdue task is in every digest until it is closed."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, time, timedelta, tzinfo

import attrs

from afterview.engine.domain.state import Application, Task
from afterview.engine.views.board import ComingInterview, interviews_between


@attrs.frozen
class Digest:
    day: date
    overdue: tuple[Task, ...]  # due before today, still open
    today: tuple[Task, ...]  # due today
    interviews: tuple[ComingInterview, ...]  # scheduled today

    @property
    def task_ids(self) -> tuple[str, ...]:
        return tuple(t.id for t in (*self.overdue, *self.today))

    @property
    def empty(self) -> bool:
        return not (self.overdue or self.today or self.interviews)


def digest_of(apps: Iterable[Application], now: datetime, tz: tzinfo) -> Digest:
    """Today's digest, as of ``now`` in zone ``tz``."""
    apps = list(apps)
    day = now.astimezone(tz).date()
    start = datetime.combine(day, time(0, 0), tz)
    end = start + timedelta(days=1)
    tasks = sorted((t for a in apps for t in a.open_tasks()), key=lambda t: (t.due_at, t.id))
    return Digest(day, tuple(t for t in tasks if t.due_at < start),
                  tuple(t for t in tasks if start <= t.due_at < end),
                  tuple(interviews_between(apps, start, end - timedelta(microseconds=1))))


def digest_due(now: datetime, tz: tzinfo, workday_start: time) -> bool:
    """Whether today's digest may go out: from ``workday_start`` on, local time."""
    local = now.astimezone(tz)
    return local.time() >= workday_start
