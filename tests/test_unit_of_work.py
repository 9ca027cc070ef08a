"""The unit of work: a write that collides with another writer is decided again on the new
log; one that keeps colliding gives up with one message and appends nothing; every decided
event carries the same metadata whoever wrote it."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest

from afterview.engine.domain import events as ev
from afterview.engine.domain.state import DomainError, Fact
from afterview.engine.service.api import Engine
from afterview.engine.service.ids import ApplicationIds
from afterview.engine.service.unit_of_work import Pending
from afterview.engine.store.sqlite import SQLiteStore
from conftest import NOW, clock_at


def _note(engine: Engine, app: str, text: str) -> Fact:
    return Fact(app, str(uuid.uuid4()), engine.now(), ev.NoteAdded(text))


def test_a_write_that_collides_is_decided_again_on_the_new_log(engine: Engine,
                                                                 tmp_path: Path) -> None:
    app = engine.apply(ev.ApplicationSubmitted("Acme", "Backend Engineer")).application.id
    versions_seen: list[int] = []
    with SQLiteStore(tmp_path / "engine.db") as other_store:
        other = Engine(other_store, clock=clock_at(NOW))

        def attempt() -> tuple[int, Pending]:
            version = engine.application(app).version
            versions_seen.append(version)
            if len(versions_seen) == 1:  # another writer gets in between load and append
                other.record(app, ev.NoteAdded("written meanwhile"))
            fact = _note(engine, app, "mine")
            return version, Pending(engine.work.new_events([fact]), {app: version}, engine.now())

        engine.work.run(attempt, gave_up="gave up")
    first = versions_seen[0]
    assert versions_seen == [first, first + 1]
    assert [text for _, text in engine.application(app).notes] == ["written meanwhile", "mine"]


def test_a_write_that_keeps_colliding_gives_up_and_appends_nothing(engine: Engine) -> None:
    app = engine.apply(ev.ApplicationSubmitted("Acme", "Backend Engineer")).application.id
    head = engine.store.head()
    attempts = 0

    def stale() -> tuple[None, Pending]:
        nonlocal attempts
        attempts += 1
        version = engine.application(app).version - 1  # as if read before the last append
        fact = _note(engine, app, "never")
        return None, Pending(engine.work.new_events([fact]), {app: version}, engine.now())

    with pytest.raises(DomainError, match="kept changing"):
        engine.work.run(stale, gave_up="the application kept changing", retries=3)
    assert attempts == 3
    assert engine.store.head() == head


def test_every_writer_records_the_same_metadata(engine: Engine) -> None:
    result = engine.apply(ev.ApplicationSubmitted("Acme", "Backend Engineer"))
    stored = engine.stored_events(result.application.id)
    first = stored[0].event_id
    assert [s.metadata for s in stored] == [
        {"actor": "cli", "correlation_id": first, "causation_id": None if i == 0 else first}
        for i in range(len(stored))
    ]


def test_application_ids_come_from_company_and_role_and_are_never_reused() -> None:
    ids = ApplicationIds(["acme-backend-engineer", "profile"])
    assert ids.new("Acme", "Backend Engineer") == "acme-backend-engineer-2"
    assert ids.new("Acme", "Backend Engineer") == "acme-backend-engineer-3"
    assert ids.new("Profile", "") == "profile-2"
    assert not ids.claim("acme-backend-engineer-2")
    assert ids.claim("mine")
    assert not ids.claim("mine")
