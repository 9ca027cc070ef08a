"""Deciding many commands at once: ``Batch`` decides ``Record`` commands one after another
against the state the earlier ones left in memory, so the lifecycle and the follow-up
policies hold across the whole batch, and appends every fact in one atomic append (all or
nothing). The spreadsheet import uses it; a command that records one fact goes through
``engine.api.Engine`` instead.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any

from afterview.engine.domain import decide as commands
from afterview.engine.domain import events as ev
from afterview.engine.domain.state import PROFILE_STREAM, Application, DomainError, Fact, evolve
from afterview.engine.service.api import Engine, slug
from afterview.engine.store.base import ConcurrencyError, NewEvent

IMPORT_ACTOR = "import"



class Batch:
    """Decides ``Record`` commands one after another against the state the earlier ones
    left (in memory), so policies and the lifecycle hold across the whole batch, and then
    appends every fact in one atomic append: all or nothing."""

    def __init__(self, engine: Engine, actor: str = IMPORT_ACTOR) -> None:
        self.engine = engine
        self.actor = actor
        self.apps: dict[str, Application] = {a.id: a for a in engine.applications()}
        self._loaded = {app_id: app.version for app_id, app in self.apps.items()}
        self._taken = set(engine.store.stream_ids())
        self._context = engine.context()
        self.rows: list[NewEvent] = []
        self.facts: list[Fact] = []
        self.touched: dict[str, None] = {}  # streams in the order first touched (a set)

    @property
    def now(self) -> datetime:
        return self._context.now

    def new_id(self, company: str, role: str) -> str:
        """A fresh application id, unique in the log and in this batch."""
        base = slug(company, role)
        candidate, number = base, 2
        while candidate in self._taken or candidate == PROFILE_STREAM:
            candidate, number = f"{base}-{number}", number + 1
        self._taken.add(candidate)
        return candidate

    def claim(self, application_id: str) -> bool:
        """Take this id for a new application, if it is free."""
        if application_id in self._taken or application_id == PROFILE_STREAM:
            return False
        self._taken.add(application_id)
        return True

    @property
    def new_applications(self) -> list[str]:
        """Streams this batch creates."""
        return [stream for stream in self.touched if stream not in self._loaded]

    def record(self, application_id: str, event: Any, at: datetime,
               metadata: dict[str, Any] | None = None) -> list[Fact]:
        """Decide one fact (raising the domain's error if the rules refuse it) and keep it.
        An acceptance reaches the applications that existed when it happened."""
        others: Iterable[Application] = ()
        if isinstance(event, ev.OfferAccepted):
            others = [o for o in self.apps.values() if o.id != application_id
                      and o.applied_at is not None and o.applied_at <= at]
        return self.decide(application_id, commands.Record(application_id, event, at),
                           metadata, others=others)

    def dismiss(self, application_id: str, task_id: str, note: str,
                metadata: dict[str, Any] | None = None) -> list[Fact]:
        command = commands.CloseTask(application_id, task_id, "dismissed", note, self.now)
        return self.decide(application_id, command, metadata)

    def decide(self, application_id: str, command: Any, metadata: dict[str, Any] | None,
               *, others: Iterable[Application] = ()) -> list[Fact]:
        app = self.apps.get(application_id) or Application(application_id)
        context = commands.Context(self.now, self._context.calendar, self._context.settings,
                                   str(uuid.uuid4()))
        decision = commands.decide(command, app, context, others=others)
        if not decision.facts:
            return []
        correlation = decision.facts[0].event_id
        for index, fact in enumerate(decision.facts):
            evolve(self.apps.setdefault(fact.stream_id, Application(fact.stream_id)), fact)
            self.touched.setdefault(fact.stream_id)
            self.rows.append(NewEvent(
                fact.stream_id, fact.event_id, fact.event.TYPE, fact.event.SCHEMA_VERSION,
                ev.to_data(fact.event),
                {"actor": self.actor, "correlation_id": correlation,
                 "causation_id": None if index == 0 else correlation, **(metadata or {})},
                fact.occurred_at.isoformat(),
            ))
        self.facts += decision.facts
        return decision.facts

    def commit(self) -> int:
        """Append everything decided, atomically; the number of events appended."""
        if self.rows:
            versions: dict[str, int | None] = {s: self._loaded.get(s, 0) for s in self.touched}
            self.engine.store.append(self.rows, expected_versions=versions,
                                     recorded_at=self.now.isoformat())
        return len(self.rows)


def run_batch(engine: Engine, build: Callable[[Batch], None], actor: str = IMPORT_ACTOR) -> Batch:
    """Build a batch and commit it; on a concurrent write, build it again from the new log."""
    for _ in range(3):
        batch = Batch(engine, actor)
        build(batch)
        try:
            batch.commit()
        except ConcurrencyError:
            continue
        return batch
    raise DomainError("the database kept changing while importing; run the import again")

