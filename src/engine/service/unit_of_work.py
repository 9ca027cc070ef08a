"""The unit of work: the one way facts enter the log.

Every writer (the engine's commands, a batch such as the spreadsheet import, the JSON
import, the demo and the daemon's firing) hands ``UnitOfWork.run`` an attempt that loads
what it needs, decides and says what to append with the stream versions it read. The unit
of work appends it atomically; when another writer moved one of those streams first
(``ConcurrencyError``) it waits a random, growing while and runs the attempt again on the
new log. The metadata of every decided event (actor, correlation, causation) is built
here too, so every writer records it the same way.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from enum import StrEnum
from typing import NamedTuple, TypeVar

from afterview.engine.domain.state import DomainError, Fact
from afterview.engine.domain.values import JsonObject
from afterview.engine.service import projections
from afterview.engine.store.base import ConcurrencyError, EventStore, NewEvent


class Actor(StrEnum):
    """Who wrote an event (``metadata.actor``); the value is what the log and JSON hold."""

    CLI = "cli"
    DAEMON = "daemon"
    IMPORT = "import"
    DEMO = "demo"
    WEB = "web"


def as_actor(name: str) -> Actor:
    """An actor from its name (``cli``, ``daemon``, ...)."""
    return Actor(name)


RETRIES = 8
"""Attempts before a writer that keeps colliding gives up and says so."""

COMMAND_KEPT_CHANGING = "the application kept changing while this command ran; run it again"
IMPORT_KEPT_CHANGING = "the database kept changing while importing; run the import again"

T = TypeVar("T")


class Pending(NamedTuple):
    """What one attempt decided to append, and the stream versions it decided on (0: a new
    stream; None: any version, for a fact whose id alone makes it unique)."""

    events: Sequence[NewEvent]
    expected_versions: Mapping[str, int | None]
    recorded_at: datetime


def event_metadata(actor: Actor, correlation_id: str, index: int,
                   extra: JsonObject | None = None) -> JsonObject:
    """The metadata of the ``index``-th event one decision produced: who wrote it, and the
    decision's first event as the correlation (and the cause of the others)."""
    return {"actor": actor, "correlation_id": correlation_id,
            "causation_id": None if index == 0 else correlation_id, **(extra or {})}


class UnitOfWork:
    """Appends what attempts decide, retrying an attempt the log moved under."""

    def __init__(self, store: EventStore, actor: Actor,
                 progress: projections.ProgressFor | None = None) -> None:
        self.store = store
        self.actor = actor
        self.progress = progress  # shows a rebuild of stale projections before an append

    def new_events(self, facts: Sequence[Fact], extra: JsonObject | None = None) -> list[NewEvent]:
        """The facts of one decision as events to append, with their metadata."""
        if not facts:
            return []
        from afterview.engine.domain.events import to_data  # loaded: the facts hold events

        correlation = facts[0].event_id
        return [
            NewEvent(fact.stream_id, fact.event_id, fact.event.TYPE, fact.event.SCHEMA_VERSION,
                     to_data(fact.event), event_metadata(self.actor, correlation, index, extra),
                     fact.occurred_at.isoformat())
            for index, fact in enumerate(facts)
        ]

    def run(self, attempt: Callable[[], tuple[T, Pending]], *, gave_up: str,
            retries: int = RETRIES) -> T:
        """Run ``attempt`` and append what it decided; on a concurrent write, run it again on
        the new log. What the successful attempt returned; a ``DomainError`` saying
        ``gave_up`` when the log kept moving. The attempt's own errors (a refusal, a
        ``DuplicateEventError``) reach the caller, and nothing is appended."""
        for retry in range(retries):
            result, pending = attempt()
            if not pending.events:
                return result
            try:
                # With the projection rows, in the same transaction (service/projections.py).
                projections.append(self.store, pending.events,
                                   expected_versions=pending.expected_versions,
                                   recorded_at=pending.recorded_at.isoformat(),
                                   progress=self.progress)
            except ConcurrencyError:
                _back_off(retry)
                continue
            return result
        raise DomainError(gave_up)


def _back_off(retry: int) -> None:
    """Wait a random, growing while: writers that collided in step would otherwise collide
    again on every retry."""
    import random

    time.sleep(random.uniform(0, 0.01 * 2**retry))
