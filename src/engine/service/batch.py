"""Deciding many commands at once: ``Batch`` decides ``Record`` commands one after another
against the state the earlier ones left in memory, so the lifecycle and the follow-up
policies hold across the whole batch, and appends every fact in one atomic append (all or
nothing) through the unit of work. The spreadsheet import uses it; a command that records
one fact goes through ``engine.api.Engine`` instead.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable
from datetime import datetime

from afterview.engine.domain import decide as commands
from afterview.engine.domain import events as ev
from afterview.engine.domain.events import Event, JsonObject
from afterview.engine.domain.state import Application, Fact, evolve
from afterview.engine.service.api import Engine
from afterview.engine.service.ids import ApplicationIds
from afterview.engine.service.unit_of_work import IMPORT_KEPT_CHANGING, Actor, Pending, UnitOfWork
from afterview.engine.store.base import NewEvent

IMPORT_ACTOR = Actor.IMPORT


class Batch:
    """Decides ``Record`` commands one after another against the state the earlier ones
    left (in memory), so policies and the lifecycle hold across the whole batch; what it
    decided is appended at once by ``run_batch``: all or nothing."""

    def __init__(self, engine: Engine, work: UnitOfWork) -> None:
        self.work = work
        self.apps: dict[str, Application] = {a.id: a for a in engine.applications()}
        self._loaded = {app_id: app.version for app_id, app in self.apps.items()}
        self.ids = ApplicationIds(engine.store.stream_ids())
        self._context = engine.context()
        self.rows: list[NewEvent] = []
        self.facts: list[Fact] = []
        self.touched: dict[str, None] = {}  # streams in the order first touched (a set)

    @property
    def now(self) -> datetime:
        return self._context.now

    @property
    def new_applications(self) -> list[str]:
        """Streams this batch creates."""
        return [stream for stream in self.touched if stream not in self._loaded]

    def record(self, application_id: str, event: Event, at: datetime,
               metadata: JsonObject | None = None) -> list[Fact]:
        """Decide one fact (raising the domain's error if the rules refuse it) and keep it.
        An acceptance reaches the applications that existed when it happened."""
        others: Iterable[Application] = ()
        if isinstance(event, ev.OfferAccepted):
            others = [o for o in self.apps.values() if o.id != application_id
                      and o.applied_at is not None and o.applied_at <= at]
        return self.decide(application_id, commands.Record(application_id, event, at),
                           metadata, others=others)

    def dismiss(self, application_id: str, task_id: str, note: str,
                metadata: JsonObject | None = None) -> list[Fact]:
        command = commands.CloseTask(application_id, task_id, ev.TaskOutcome.DISMISSED, note, self.now)
        return self.decide(application_id, command, metadata)

    def decide(self, application_id: str, command: commands.Command,
               metadata: JsonObject | None, *, others: Iterable[Application] = ()) -> list[Fact]:
        app = self.apps.get(application_id) or Application(application_id)
        context = commands.Context(self.now, self._context.calendar, self._context.settings,
                                   str(uuid.uuid4()))
        decision = commands.decide(command, app, context, others=others)
        for fact in decision.facts:
            evolve(self.apps.setdefault(fact.stream_id, Application(fact.stream_id)), fact)
            self.touched.setdefault(fact.stream_id)
        self.rows += self.work.new_events(decision.facts, metadata)
        self.facts += decision.facts
        return decision.facts

    def pending(self) -> Pending:
        """Everything decided, with the versions it was decided on (0: a new application)."""
        versions: dict[str, int | None] = {s: self._loaded.get(s, 0) for s in self.touched}
        return Pending(self.rows, versions, self.now)


def run_batch(engine: Engine, build: Callable[[Batch], None], actor: Actor = IMPORT_ACTOR) -> Batch:
    """Build a batch and append it; on a concurrent write, build it again from the new log."""
    work = UnitOfWork(engine.store, actor)

    def once() -> tuple[Batch, Pending]:
        batch = Batch(engine, work)
        build(batch)
        return batch, batch.pending()

    return work.run(once, gave_up=IMPORT_KEPT_CHANGING)
