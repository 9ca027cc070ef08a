"""A synthetic but realistic job search, decided by the engine and written through its own
append path; ``bench.py`` measures the store and replay on it.

"Through the engine's own append path" means: every fact comes from ``decide`` (so the
lifecycle checks, the policies' ``TaskScheduled``/``TaskClosed`` facts, deterministic task
ids and the daemon's ``TaskFired`` are all real), and every row is built by
the engine's unit of work (the same ``NewEvent`` conversion, metadata and expected versions
a CLI command or the daemon produces). The one shortcut: ``Engine._record`` would reload each
application from the database before deciding, which would make building 100,000 events
take many minutes, so the application state is kept in memory here (folded with the
engine's own ``evolve``/``rebuild``) and the rows the unit of work hands to the store are
captured and later appended in batches (``Batch``), each with the versions the first
decision in it expected, so the store still checks them.

The timeline: one person applies to N jobs over 18 months; about a third never hear back,
some withdraw, the rest interview for one to four rounds, most are turned down, a few get
offers that they negotiate and turn down, and the last application ends in an accepted
offer, which schedules a withdraw-application task on every application still open.
Events of all applications are interleaved in time order, as a real log would be.
"""

from __future__ import annotations

import heapq
import random
import uuid
from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any, NamedTuple
from zoneinfo import ZoneInfo

import stories

from afterview.engine.domain import decide as commands
from afterview.engine.domain import events as ev
from afterview.engine.domain import policies
from afterview.engine.domain.lifecycle import APPLIED, INTERVIEWING, NEGOTIATING
from afterview.engine.domain.state import Application, Fact, evolve, rebuild
from afterview.engine.service.api import Engine
from afterview.engine.service.ids import ApplicationIds
from afterview.engine.service.unit_of_work import Pending
from afterview.engine.store.base import NewEvent, WithoutProjections

ZONE_NAME = "America/New_York"
ZONE = ZoneInfo(ZONE_NAME)
START = datetime(2024, 1, 8, 9, 0, tzinfo=ZONE)
SPAN_DAYS = 540  # submissions are spread over this many days
# Every other story ends within ~180 days of its submission, so the last application (the
# one accepted) starts after them all; the timeline stops 150 days later.
FINAL_SUBMITTED_DAYS = SPAN_DAYS + 180
END_DAYS = FINAL_SUBMITTED_DAYS + 150
_MINUTE = timedelta(minutes=1)
_FOLLOW_UP_STATES = (APPLIED, INTERVIEWING, NEGOTIATING)  # where a follow-up schedules the next
_HALF_HOUR = timedelta(minutes=30)
# Measured on the default seed, for ``bench.py --events``: events per application's story
# (12,333 for 500), and per long-search step (a snooze also fires later, a follow-up
# schedules the next one).
EVENTS_PER_STORY = 24.7
EVENTS_PER_HISTORY_STEP = 1.44
SETTINGS = {"timezone": ZONE_NAME, "country": "US", "currently_employed": "true"}

class Batch(NamedTuple):
    """Rows for one ``store.append``: what ``Engine._append`` built, with the versions the
    first decision in the batch expected for each stream."""

    events: list[NewEvent]
    expected_versions: dict[str, int | None]
    recorded_at: str


class _Capture(WithoutProjections):
    """Stands where ``Engine._append`` expects the store and keeps each append it makes."""

    def __init__(self) -> None:
        self.appends: list[Batch] = []

    def append(self, events: Sequence[NewEvent], *, expected_versions: Mapping[str, int | None],
               recorded_at: str, projector: Any = None) -> list[Any]:
        # The projector is left out: the whole log is appended first and its projections
        # are rebuilt once, as after an upgrade (bench.py times that rebuild).
        self.appends.append(Batch(list(events), dict(expected_versions), recorded_at))
        return []


def batched(appends: Iterable[Batch], size: int) -> Iterator[Batch]:
    """Consecutive appends joined into batches of at least ``size`` events (never splitting
    one decision: a multi-stream decision stays atomic)."""
    events: list[NewEvent] = []
    expected: dict[str, int | None] = {}
    recorded_at = ""
    for one in appends:
        events += one.events
        for stream_id, version in one.expected_versions.items():
            expected.setdefault(stream_id, version)
        recorded_at = one.recorded_at
        if len(events) >= size:
            yield Batch(events, expected, recorded_at)
            events, expected = [], {}
    if events:
        yield Batch(events, expected, recorded_at)


class JobSearch:
    """Plays the timeline: the person's facts and the daemon's firings, in time order."""

    def __init__(self, settings: Any, calendar: Any, seed: int = 2026) -> None:
        self.settings = settings
        self.calendar = calendar
        self.rng = random.Random(seed)
        self.capture = _Capture()
        self.person = Engine(self.capture, actor="cli")  # type: ignore[arg-type]  # captures rows
        self.daemon = Engine(self.capture, actor="daemon")  # type: ignore[arg-type]  # idem
        self.apps: dict[str, Application] = {}
        self.facts: dict[str, list[Fact]] = {}
        self._queue: list[tuple[datetime, int, str, str, Any]] = []
        self._seq = 0
        self.end = START + timedelta(days=END_DAYS)

    # -- the engine's decisions ---------------------------------------------------------

    def _decide(self, engine: Engine, command: Any, app: Application, now: datetime, *,
                others: Sequence[Application] = (), facts: list[Fact] | None = None,
                versions: dict[str, int | None] | None = None) -> None:
        context = commands.Context(now, self.calendar, self.settings, self._uuid())
        decision = commands.decide(command, app, context, others=others, facts=facts)
        if versions is None:
            versions = {app.id: app.version, **{o.id: o.version for o in others}}
        work = engine.work
        # Every row goes through the unit of work, as a command's would; the capture store
        # never conflicts, so it runs once.
        work.run(lambda: (None, Pending(work.new_events(decision.facts), versions, now)),
                 gave_up="the capture store never conflicts")
        for fact in decision.facts:
            self._fold(fact, now)

    def _fold(self, fact: Fact, now: datetime) -> None:
        app = self.apps.setdefault(fact.stream_id, Application(fact.stream_id))
        fact = fact._replace(version=app.version + 1, recorded_at=now)
        self.facts.setdefault(fact.stream_id, []).append(fact)
        event = fact.event
        if isinstance(event, ev.EventVoided):
            self.apps[fact.stream_id] = rebuild(fact.stream_id, self.facts[fact.stream_id])
            return
        evolve(app, fact)
        if isinstance(event, ev.TaskScheduled):
            self._push(event.due_at, fact.stream_id, "fire", event.task_id)
        elif isinstance(event, ev.TaskSnoozed):
            self._push(event.until, fact.stream_id, "fire", event.task_id)

    def _uuid(self) -> str:
        return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))

    def _push(self, at: datetime, app_id: str, kind: str, payload: Any) -> None:
        self._seq += 1
        heapq.heappush(self._queue, (at, self._seq, app_id, kind, payload))

    # -- playing the timeline ----------------------------------------------------------

    def play(self, applications: int, history: int = 0) -> None:
        """Write the stories of ``applications`` applications (the last one is accepted),
        each with ``history`` more steps of a long search spread over its life (notes,
        follow-ups, snoozes, interviews moved): the log then grows by history, not by
        applications."""
        ids = ApplicationIds(())
        for index in range(applications):
            company = f"{self.rng.choice(stories.FIRST)} {self.rng.choice(stories.SECOND)}"
            role = self.rng.choice(stories.ROLES)
            app_id = ids.new(company, role)
            final = index == applications - 1
            offset = FINAL_SUBMITTED_DAYS if final else self.rng.uniform(0, SPAN_DAYS)
            submitted_at = stories.daytime(START + timedelta(days=offset), self.rng)
            story = stories.Story(self.rng, company, role, submitted_at)
            steps = story.accepted() if final else story.any()
            for at, kind, payload in steps:
                self._push(at, app_id, kind, payload)
            first, span = steps[0][0], steps[-1][0] - steps[0][0]
            for _ in range(history):
                self._push(first + max(span * self.rng.random(), _MINUTE), app_id, "history",
                           None)
        while self._queue and self._queue[0][0] <= self.end:
            at, _, app_id, kind, payload = heapq.heappop(self._queue)
            self._step(at, app_id, kind, payload)

    def _step(self, at: datetime, app_id: str, kind: str, payload: Any) -> None:
        app = self.apps.get(app_id) or Application(app_id)
        if kind == "record":
            others: list[Application] = []
            if isinstance(payload, ev.OfferAccepted):
                others = [o for o in self.apps.values() if o.id != app_id]
            self._decide(self.person, commands.Record(app_id, payload, at), app, at, others=others)
            if others:
                self._withdraw_some(at, others)
        elif kind == "fire":
            self._decide(self.daemon, commands.FireTask(app_id, payload), app, at,
                         versions={app_id: None})
        elif kind == "close":
            task_kind, outcome = payload
            for task in policies.open_tasks_of(app, task_kind):
                command = commands.CloseTask(app_id, task.id, outcome, "done by hand", at)
                self._decide(self.person, command, app, at)
        elif kind == "void":
            self._void_last_note(app, at, payload)
        elif kind == "history":
            self._history(app, at)

    def _history(self, app: Application, at: datetime) -> None:
        """One step of a long search on an application, whatever its state allows: a note,
        a follow-up sent, an open task snoozed for a few days, or the interview to come
        moved half an hour earlier; a note when the step drawn does not apply."""
        roll = self.rng.random()
        command: Any = None
        if roll < 0.25 and app.state in _FOLLOW_UP_STATES:
            command = commands.Record(app.id, ev.FollowUpSent("Checked in again."), at)
        elif roll < 0.5 and app.open_tasks():
            task = self.rng.choice(app.open_tasks())
            until = at + timedelta(days=self.rng.uniform(1, 5))
            command = commands.SnoozeTask(app.id, task.id, until, at)
        elif roll < 0.6 and not app.is_terminal:
            pending = app.pending_interview()
            if pending is not None and pending.scheduled_for is not None and (
                    pending.scheduled_for - _HALF_HOUR > at):
                moved = ev.InterviewRescheduled(pending.round,
                                                pending.scheduled_for - _HALF_HOUR, "company")
                command = commands.Record(app.id, moved, at)
        if command is None:
            command = commands.Record(app.id, ev.NoteAdded(self.rng.choice(stories.NOTES)), at)
        self._decide(self.person, command, app, at)

    def _void_last_note(self, app: Application, at: datetime, reason: str) -> None:
        voided = {f.event.event_id for f in self.facts[app.id] if isinstance(f.event, ev.EventVoided)}
        notes = [f for f in self.facts[app.id]
                 if isinstance(f.event, ev.NoteAdded) and f.event_id not in voided]
        if notes:
            command = commands.VoidEvent(app.id, notes[-1].event_id, reason, at)
            self._decide(self.person, command, app, at, facts=list(self.facts[app.id]))

    def _withdraw_some(self, at: datetime, others: list[Application]) -> None:
        """After accepting, the person withdraws from some of the applications still open."""
        for other in others:
            if not other.is_terminal and self.rng.random() < 0.25:
                when = at + timedelta(hours=self.rng.uniform(20, 120))
                self._push(when, other.id, "record", ev.ApplicationWithdrawn("Accepted another offer."))

    def forget_history(self) -> None:
        """Drop the captured rows and the facts kept for voids (the application states stay,
        for ``notes``), so that what is measured next runs in a process of ordinary size."""
        self.capture.appends.clear()
        self.facts.clear()

    def notes(self, count: int, at: datetime) -> list[Batch]:
        """``count`` one-note appends (as ``afterview note`` makes them), spread round-robin
        over the applications, each expecting the version it read."""
        first = len(self.capture.appends)
        ids = sorted(self.apps)
        for index in range(count):
            app = self.apps[ids[index % len(ids)]]
            when = at + timedelta(seconds=index)
            event = ev.NoteAdded(self.rng.choice(stories.NOTES))
            self._decide(self.person, commands.Record(app.id, event, when), app, when)
        return self.capture.appends[first:]


