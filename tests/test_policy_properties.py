"""Properties of the follow-up policies over any sequence of facts, run through the Engine
on a real SQLite file: every task is closed at most once (and is open exactly when it was
never closed), re-deciding a command gives the same facts and task ids, firing is
idempotent, and the state folded live, fact by fact, equals a replay from the log.
"""

from __future__ import annotations

import tempfile
import uuid
from collections import Counter
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from afterview.engine.domain import decide, policies
from afterview.engine.domain import events as ev
from afterview.engine.domain.state import PROFILE_STREAM, Application, DomainError, effective, evolve, rebuild
from afterview.engine.service.api import Engine
from afterview.engine.service.projections import to_fact
from afterview.engine.store.sqlite import SQLiteStore
from conftest import ZONE, new_york
from strategies import policy_actions, policy_fact, policy_gaps

START = new_york("2026-01-05T09:00")  # a Monday
TERMS = ev.OfferTerms("USD", 100_000)
BETTER = ev.OfferTerms("USD", 112_000)


def _event(what: str, app: Application, now: datetime, pick: int) -> Any:
    """The event a step records; some are refused by the lifecycle, as a person's would be."""
    if what == "submit":
        return ev.ApplicationSubmitted(app.id.title(), "Dev")
    simple: dict[str, Any] = {
        "held": ev.InterviewHeld(), "thanks": ev.ThankYouSent(), "follow-up": ev.FollowUpSent(),
        "counter": ev.CounterOfferMade(BETTER), "withdraw": ev.ApplicationWithdrawn(),
        "decline": ev.ApplicationDeclined(), "feedback-requested": ev.FeedbackRequested(),
        "feedback-received": ev.FeedbackReceived("more depth"),
        "reflect": ev.ReflectionRecorded("practise"), "notice": ev.NoticeGiven(),
        "note": ev.NoteAdded("called"),
    }
    if what in simple:
        return simple[what]
    if what == "schedule":
        return ev.InterviewScheduled(len(app.interviews) + 1, now + timedelta(days=2))
    if what == "offer":
        respond_by = now + timedelta(days=3) if pick % 2 else None
        return ev.OfferReceived(TERMS, respond_by, revised=app.state == "negotiating")
    if what == "ask-time":
        return ev.DecisionTimeRequested(now + timedelta(days=4))
    assert what == "accept"
    start = (now + timedelta(days=10 if pick % 2 else 40)).date()
    return ev.OfferAccepted(start if pick % 3 else None)


class Search:
    """One random job search, driven through the Engine, with a live fold beside it."""

    def __init__(self, store: SQLiteStore) -> None:
        self.store = store
        self.now = START
        self.engine = Engine(store, clock=lambda: self.now)
        self.live: dict[str, Application] = {}
        self.position = 0
        self.voided_streams: set[str] = set()

    def step(self, action: str, app_number: int, what: str, pick: int, hours: int) -> None:
        self.now += timedelta(hours=hours)
        before = self.store.head()[0]
        try:
            self._do(action, f"app{app_number}", what, pick)
        except DomainError:
            assert self.store.head()[0] == before, "a refused command appended something"
            return
        event(f"done: {action} {what}".strip())
        self._fold_new_facts(void=action == "void")

    def _do(self, action: str, app_id: str, what: str, pick: int) -> None:
        engine = self.engine
        if action == "fact":
            self._record(app_id, what, pick)
        elif action == "tick":
            fired = engine.tick()
            assert all(task.fired for task in fired)
            assert engine.tick() == []  # a second pass at the same moment fires nothing
        elif action == "task":
            # Not by id: ids derive from random command ids, and a failing example must replay.
            tasks = sorted((t for a in engine.applications() for t in a.open_tasks()),
                           key=lambda t: (t.application, t.scheduled_at, t.kind))
            if not tasks:
                return
            task = tasks[pick % len(tasks)]
            if what == "snooze":
                engine.snooze_task(task.id, self.now + timedelta(days=1))
            else:
                engine.close_task(task.id, "done" if what == "done" else "dismissed")
        else:
            events = [s for s in self.store.read_all() if s.stream_id != PROFILE_STREAM]
            if events:
                engine.void(events[pick % len(events)].event_id, "entered by mistake")

    def _record(self, app_id: str, what: str, pick: int) -> None:
        engine = self.engine
        app = rebuild(app_id, engine.facts(app_id))
        event = _event(what, app, self.now, pick)
        at = self.now + timedelta(hours=pick)  # pick <= 0: sometimes entered late
        self._check_redeciding(app, event, at)
        if what == "submit":
            engine.apply(event, application_id=app_id, at=at)
        else:
            engine.record(app_id, event, at=at)

    def _check_redeciding(self, app: Application, event: Any, at: datetime) -> None:
        """The same command with the same command id decides the same facts and tasks."""
        context = self.engine.context(str(uuid.uuid4()))
        others = [o for o in self.engine.applications() if o.id != app.id]
        command = decide.Record(app.id, event, at)
        try:
            first = decide.decide(command, app, context, others=others)
        except DomainError:
            return
        second = decide.decide(command, app, context, others=others)
        assert first == second
        for fact in first.facts:
            if isinstance(fact.event, ev.TaskScheduled):
                expected = policies.task_id(fact.stream_id, fact.event.kind, fact.event.cause_event_id)
                assert fact.event.task_id == expected

    def _fold_new_facts(self, *, void: bool) -> None:
        for stored in self.store.read_all(self.position):
            self.position = stored.position
            if stored.stream_id == PROFILE_STREAM:
                continue
            if void:  # a void rewrites what counts: a live fold would rebuild these streams
                self.voided_streams.add(stored.stream_id)
            app = self.live.setdefault(stored.stream_id, Application(stored.stream_id))
            evolve(app, to_fact(stored))


def _no_task_outlives_its_application(app: Application, counted: list[Any]) -> None:
    """On an application that ended, the only open tasks are those scheduled when or after
    it ended (request-feedback, reflect, resignation-notice, express-appreciation)."""
    if not app.is_terminal:
        return
    ended = max(i for i, f in enumerate(counted) if policies.is_terminal_type(f.event.TYPE))
    for task in app.open_tasks():
        scheduled = next(i for i, f in enumerate(counted) if isinstance(f.event, ev.TaskScheduled)
                         and f.event.task_id == task.id)
        assert scheduled > ended, f"{task.kind} still open on {app.state} {app.id}"


def _check_log(path: Path, search: Search) -> None:
    store = SQLiteStore(path)  # a fresh connection: what a later process would read
    try:
        replayer = Engine(store)
        for stream_id, facts in replayer.all_facts().items():
            counted = effective(facts)
            closed = Counter(f.event.task_id for f in counted if isinstance(f.event, ev.TaskClosed))
            fired = Counter((f.event.task_id, f.event.due_at) for f in counted
                            if isinstance(f.event, ev.TaskFired))
            app = rebuild(stream_id, facts)
            assert all(count == 1 for count in closed.values()), closed
            assert all(count == 1 for count in fired.values()), fired
            for task in app.tasks.values():
                assert task.is_open == (closed[task.id] == 0), (task, closed[task.id])
            _no_task_outlives_its_application(app, counted)
            if stream_id not in search.voided_streams:
                assert search.live[stream_id] == app, f"live state of {stream_id} differs"
    finally:
        store.close()


def _draw_step(data: st.DataObject, search: Search) -> tuple[str, int, str, int, int]:
    action = data.draw(policy_actions(), label="action")
    gap = data.draw(policy_gaps(), label="hours later")
    if action == "fact":
        number = data.draw(st.integers(0, 2), label="application")
        state = rebuild(f"app{number}", search.engine.facts(f"app{number}")).state
        what = data.draw(policy_fact(state), label="fact")
        late = data.draw(st.one_of(st.just(0), st.integers(-6, -1)), label="entered hours late")
        return action, number, what, late, gap
    if action == "task":
        what = data.draw(st.sampled_from(("done", "dismiss", "snooze")), label="task action")
        return action, 0, what, data.draw(st.integers(0, 30), label="which task"), gap
    if action == "void":
        return action, 0, "", data.draw(st.integers(0, 200), label="which event"), gap
    return action, 0, "", 0, gap


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data(), country=st.sampled_from([None, "US", "GB"]), employed=st.booleans())
def test_any_sequence_of_facts_keeps_tasks_consistent(
        data: st.DataObject, country: str | None, employed: bool) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "search.db"
        store = SQLiteStore(path)
        try:
            search = Search(store)
            search.engine.set_setting("timezone", ZONE)
            search.engine.set_setting("currently_employed", str(employed).lower())
            if country:
                search.engine.set_setting("country", country)
            for number in range(3):
                search.step("fact", number, "submit", 0, 1)
            for _ in range(data.draw(st.integers(0, 20), label="steps")):
                search.step(*_draw_step(data, search))
        finally:
            store.close()
        _check_log(path, search)


def test_re_deciding_an_acceptance_gives_the_same_task_ids_everywhere(engine: Engine) -> None:
    """A worked case of the property: the withdraw tasks on other applications too."""
    for app_id in ("acme", "beta", "gamma"):
        engine.apply(ev.ApplicationSubmitted(app_id, "Dev"), application_id=app_id,
                     at=new_york("2026-11-02T09:00"))
    engine.record("acme", ev.OfferReceived(TERMS), at=new_york("2026-11-10T09:00"))
    context = engine.context(str(uuid.uuid4()))
    app = engine.application("acme")
    others = [o for o in engine.applications() if o.id != "acme"]
    command = decide.Record("acme", ev.OfferAccepted(date(2027, 1, 4)), new_york("2026-11-20T09:00"))
    ids = [[f.event.task_id for f in decide.decide(command, app, context, others=others).facts
            if isinstance(f.event, ev.TaskScheduled)] for _ in range(2)]
    assert ids[0] == ids[1]
    assert sorted(i.split("-")[0] for i in ids[0]) == ["withdraw", "withdraw"]
    # The ids come from the command id: another command is another fact, with other tasks.
    other = decide.decide(command, app, engine.context(str(uuid.uuid4())), others=others)
    assert not {f.event_id for f in other.facts} & {
        f.event_id for f in decide.decide(command, app, context, others=others).facts}
