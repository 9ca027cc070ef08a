"""Random command sequences against the engine on a real SQLite file, compared with a
model small enough to check by eye: each application's state follows cli.md's table.

After every step: the engine agrees with the model; a fresh engine replaying the file
agrees with the facts as they were decided; refused commands appended nothing; every
stream's versions run 1, 2, 3, ...; the hash chain verifies.
"""

from __future__ import annotations

import shutil
import sqlite3
import tempfile
from collections import defaultdict
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import attrs
import pytest
from hypothesis import event, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
)

from afterview.engine.domain import events as ev
from afterview.engine.domain.state import DomainError, Fact, rebuild
from afterview.engine.service.api import Engine, Result
from afterview.engine.store.sqlite import SQLiteStore
from conftest import ZONE, SteppingClock, new_york
from test_lifecycle import CLI_MD_MOVES, SEVEN_STATES

# The model: command -> (states it is allowed in, state after it or None for "unchanged").
MOVES: dict[str, tuple[frozenset[str], str | None]] = {
    command: (sources, dest) for command, (_, sources, dest) in CLI_MD_MOVES.items()
} | {"thanks": (frozenset(SEVEN_STATES), None), "note": (frozenset(SEVEN_STATES), None)}
FACT_COMMANDS = sorted(set(MOVES) - {"apply"})
COMPANIES = ("Acme", "Beta", "Zoë Café")  # a company twice: acme-engineer, acme-engineer-2


@attrs.define
class ModelFact:
    event_id: str
    command: str
    voided: bool = False


def model_state(facts: list[ModelFact]) -> str | None:
    """Fold cli.md's table over the facts that count; None if the sequence breaks it."""
    state = "new"
    for fact in facts:
        if fact.voided:
            continue
        sources, dest = MOVES[fact.command]
        if state not in sources:
            return None
        state = dest or state
    return state


def build(command: str, now: datetime) -> Any:
    """The fact a person would enter for ``command``."""
    return {
        # Past by the time it is recorded (the clock moves 7 minutes per command): a debrief
        # may follow at once, while one before its interview is refused.
        "interview": lambda: ev.InterviewScheduled(1, now + timedelta(minutes=1)),
        "debrief": lambda: ev.InterviewHeld(None, ("Ann",), (ev.Question("Why us?", "Because"),)),
        "offer": lambda: ev.OfferReceived(ev.OfferTerms("USD", 100000, bonus=5000)),
        "counter": lambda: ev.CounterOfferMade(ev.OfferTerms("USD", 115000), ("market",)),
        "accept": lambda: ev.OfferAccepted(),
        "withdraw": lambda: ev.ApplicationWithdrawn("another offer"),
        "declined": lambda: ev.ApplicationDeclined(None),
        "thanks": lambda: ev.ThankYouSent(("Ann",)),
        "note": lambda: ev.NoteAdded("called the recruiter"),
    }[command]()


# A real SQLite file, but in memory-backed storage when there is some: a thousand
# fsync'd appends on a busy disk would cost more than the logic under test.
_FAST_DIR = "/dev/shm" if Path("/dev/shm").is_dir() else None


class JobSearch(RuleBasedStateMachine):
    """One person's job search: a fresh database file per example."""

    def __init__(self) -> None:
        super().__init__()
        self.folder = Path(tempfile.mkdtemp(prefix="afterview-stateful-", dir=_FAST_DIR))
        self.path = self.folder / "search.db"
        self.clock = SteppingClock(new_york("2026-05-04T10:00"))
        self.store = SQLiteStore(self.path)
        self.engine = Engine(self.store, clock=self.clock)
        self.engine.set_setting("timezone", ZONE)
        self.model: dict[str, list[ModelFact]] = {}
        self.live: dict[str, list[Fact]] = defaultdict(list)  # as decided, versioned by us
        self.closed_by_me: set[str] = set()

    def teardown(self) -> None:
        self.store.close()
        shutil.rmtree(self.folder, ignore_errors=True)

    # -- helpers ---------------------------------------------------------------------

    def absorb(self, facts: list[Fact]) -> None:
        for fact in facts:
            stream = self.live[fact.stream_id]
            stream.append(fact._replace(version=len(stream) + 1))

    def expect(self, valid: bool, run: Callable[[], Result]) -> Result | None:
        """Run a command the model accepts, or check that it is refused and appends nothing."""
        self.clock.advance(minutes=7)
        head = self.store.head()
        if valid:
            result = run()
            self.absorb(result.facts)
            event(f"accepted: {result.facts[0].event.TYPE}")
            return result
        event("refused")
        with pytest.raises(DomainError):
            run()
        assert self.store.head() == head, "a refused command appended something"
        return None

    def pick_app(self, data: st.DataObject) -> str:
        return data.draw(st.sampled_from(sorted(self.model)), label="application")

    # -- rules -----------------------------------------------------------------------

    @initialize(companies=st.lists(st.sampled_from(COMPANIES), min_size=1, max_size=2))
    def start(self, companies: list[str]) -> None:
        for company in companies:
            self.apply(company)

    @precondition(lambda self: len(self.model) < 4)
    @rule(company=st.sampled_from(COMPANIES))
    def apply(self, company: str) -> None:
        result = self.expect(True, lambda: self.engine.apply(
            ev.ApplicationSubmitted(company, "Engineer"), again=True))
        assert result is not None
        app_id = result.application.id
        assert app_id not in self.model, "ids must be unique"
        self.model[app_id] = [ModelFact(result.facts[0].event_id, "apply")]

    @precondition(lambda self: self.model)
    @rule(data=st.data(), wrong=st.integers(0, 4).map(lambda n: n == 0))
    def enter_fact(self, data: st.DataObject, wrong: bool) -> None:
        """Mostly a fact the model allows (so sequences get deep), one in five anything.
        The model does not filter a second acceptance out of the allowed ones: trying one
        is how the single-acceptance rule is exercised."""
        app_id = self.pick_app(data)
        state = model_state(self.model[app_id])
        allowed = [c for c in FACT_COMMANDS if state in MOVES[c][0]]
        command = data.draw(st.sampled_from(FACT_COMMANDS if wrong else allowed), label="command")
        valid = state in MOVES[command][0]
        if command == "accept":  # at most one accepted application at once
            valid = valid and not any(model_state(facts) == "accepted"
                                      for other, facts in self.model.items() if other != app_id)
        event = build(command, self.clock.now)
        result = self.expect(valid, lambda: self.engine.record(app_id, event))
        if result is not None:
            self.model[app_id].append(ModelFact(result.facts[0].event_id, command))

    @precondition(lambda self: self.model)
    @rule(data=st.data())
    def offer_then_accept(self, data: st.DataObject) -> None:
        """An offer where one is allowed, then an acceptance: sequences often reach two
        offers, so a second acceptance is tried often."""
        app_id = self.pick_app(data)
        if model_state(self.model[app_id]) in MOVES["offer"][0]:
            offered = self.expect(True, lambda: self.engine.record(
                app_id, build("offer", self.clock.now)))
            assert offered is not None
            self.model[app_id].append(ModelFact(offered.facts[0].event_id, "offer"))
        if model_state(self.model[app_id]) not in MOVES["accept"][0]:
            return
        others_accepted = any(model_state(facts) == "accepted"
                              for other, facts in self.model.items() if other != app_id)
        accepted = self.expect(not others_accepted, lambda: self.engine.record(
            app_id, build("accept", self.clock.now)))
        event(f"second acceptance refused: {others_accepted}")
        if accepted is not None:
            self.model[app_id].append(ModelFact(accepted.facts[0].event_id, "accept"))

    @precondition(lambda self: self.model)
    @rule(data=st.data())
    def void(self, data: st.DataObject) -> None:
        facts = self.model[self.pick_app(data)]
        target = data.draw(st.sampled_from(facts), label="target")
        valid = not target.voided and target.command != "apply"
        if valid:
            target.voided = True
            valid = model_state(facts) is not None
            target.voided = False
        result = self.expect(valid, lambda: self.engine.void(target.event_id[:13], "mistake"))
        if result is not None:
            target.voided = True

    @rule(data=st.data(), action=st.sampled_from(["done", "dismissed", "snooze", "snooze-past"]))
    def task(self, data: st.DataObject, action: str) -> None:
        every = sorted((t for a in self.engine.applications() for t in a.tasks.values()),
                       key=lambda t: t.id)
        if not every:
            return
        task = data.draw(st.sampled_from(every), label="task")
        valid = task.is_open and action != "snooze-past"
        closing = action in ("done", "dismissed")
        hours = -1 if action == "snooze-past" else 30

        def run() -> Result:
            if closing:
                return self.engine.close_task(task.id, action)
            return self.engine.snooze_task(task.id, self.clock.now + timedelta(hours=hours))

        if self.expect(valid, run) is not None and closing:
            self.closed_by_me.add(task.id)

    @precondition(lambda self: self.model)
    @rule(data=st.data())
    def future_fact(self, data: st.DataObject) -> None:
        app_id = self.pick_app(data)
        later = self.clock.now.replace(year=self.clock.now.year + 1)
        self.expect(False, lambda: self.engine.record(app_id, ev.NoteAdded("later"), at=later))

    @rule()
    def unknown_application(self) -> None:
        self.expect(False, lambda: self.engine.record("qqq-nowhere", ev.NoteAdded("hello")))

    # -- invariants ------------------------------------------------------------------

    @invariant()
    def engine_agrees_with_the_model(self) -> None:
        states = {a.id: a.state for a in self.engine.applications()}
        assert states == {app_id: model_state(facts) for app_id, facts in self.model.items()}

    @invariant()
    def replay_from_the_file_equals_live_state(self) -> None:
        with SQLiteStore(self.path) as store:
            fresh = Engine(store, clock=self.clock)
            replayed = {a.id: a for a in fresh.applications()}
            for app_id in self.model:
                live = rebuild(app_id, self.live[app_id])
                again = replayed[app_id]
                assert (again.state, again.version, again.tasks) == (
                    live.state, live.version, live.tasks)
                assert fresh.application(app_id) == again
                assert not any(again.tasks[t].is_open for t in self.closed_by_me
                               if t in again.tasks)
            assert store.check_chain().ok

    @invariant()
    def at_most_one_application_is_accepted(self) -> None:
        accepted = [a.id for a in self.engine.applications() if a.state == "accepted"]
        assert len(accepted) <= 1, accepted

    @invariant()
    def stream_versions_are_contiguous(self) -> None:
        with sqlite3.connect(self.path) as conn:
            rows = conn.execute("SELECT stream_id, version FROM events ORDER BY position")
            seen: dict[str, list[int]] = defaultdict(list)
            for stream, version in rows:
                seen[stream].append(version)
        for stream, versions in seen.items():
            assert versions == list(range(1, len(versions) + 1)), stream
            if stream in self.live:
                assert len(versions) == len(self.live[stream])


JobSearch.TestCase.settings = settings(max_examples=40, stateful_step_count=25, deadline=None)
TestJobSearch = JobSearch.TestCase
