"""Replay: one application or all of them rebuilt from the log, the same every time, as of
an occurred time and as known at a recorded time, with an audit history of both times."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any

import pytest

from afterview.engine.domain import events as ev
from afterview.engine.domain.state import Application, rebuild
from afterview.engine.service.api import Engine
from afterview.engine.service.audit import history_rows
from afterview.engine.store.sqlite import SQLiteStore
from conftest import CLI, SteppingClock, new_york


def back_dated_search(engine: Engine, clock: SteppingClock) -> str:
    """Acme's facts entered late: each one occurred days before it was recorded.

    occurred: applied Nov 2, interview scheduled Nov 9, held Nov 12, offer Nov 18
    recorded: 10:00,         11:00,                    12:00,        13:00 on Nov 20
    then Beta (applied Nov 8) recorded at 14:00.
    """
    app_id = engine.apply(ev.ApplicationSubmitted("Acme", "Backend Engineer"),
                          at=new_york("2026-11-02T09:00")).application.id
    clock.advance(hours=1)
    engine.record(app_id, ev.InterviewScheduled(1, new_york("2026-11-12T14:00")),
                  at=new_york("2026-11-09T09:00"))
    clock.advance(hours=1)
    engine.record(app_id, ev.InterviewHeld(1, ("Ann",)), at=new_york("2026-11-12T15:00"))
    clock.advance(hours=1)
    engine.record(app_id, ev.OfferReceived(ev.OfferTerms("USD", 150000)),
                  at=new_york("2026-11-18T09:00"))
    clock.advance(hours=1)
    engine.apply(ev.ApplicationSubmitted("Beta", "SRE"), at=new_york("2026-11-08T09:00"))
    return app_id


def comparable(app: Application) -> tuple[Any, ...]:
    return app.id, app.state, app.version, app.tasks, app.interviews, app.rounds


# --- rebuilding -------------------------------------------------------------------


def test_one_and_all_rebuild_to_the_same_applications(stepping: Engine,
                                                      clock: SteppingClock) -> None:
    back_dated_search(stepping, clock)
    everyone = {app.id: app for app in stepping.applications()}
    assert sorted(everyone) == ["acme-backend-engineer", "beta-sre"]
    for app_id, app in everyone.items():
        assert stepping.application(app_id) == app
    acme = everyone["acme-backend-engineer"]
    assert (acme.state, acme.version) == ("offered", len(stepping.facts(acme.id)))
    assert [i.round for i in acme.interviews] == [1] and acme.interviews[0].held_at


def test_replay_is_deterministic(stepping: Engine, clock: SteppingClock) -> None:
    app_id = back_dated_search(stepping, clock)
    facts = stepping.facts(app_id)
    assert rebuild(app_id, facts) == rebuild(app_id, facts)
    # Another process (a fresh connection, another clock) replays to the same result.
    with SQLiteStore(stepping.store.path) as again:  # type: ignore[attr-defined]  # SQLite-only test
        fresh = Engine(again, clock=lambda: new_york("2030-01-01T00:00"))
        assert [comparable(a) for a in fresh.applications()] == [
            comparable(a) for a in stepping.applications()]
        assert fresh.application(app_id) == stepping.application(app_id)


def test_reading_one_application_does_not_replay_the_whole_log(stepping: Engine,
                                                               clock: SteppingClock) -> None:
    app_id = back_dated_search(stepping, clock)
    calls: list[int] = []
    read_all = stepping.store.read_for_replay

    def counting(from_position: int = 0) -> Iterator[Any]:
        calls.append(from_position)
        return read_all(from_position)

    stepping.store.read_for_replay = counting  # type: ignore[method-assign]
    stepping.application(app_id[:4])
    stepping.facts(app_id)
    history_rows(stepping.stored_events(app_id))
    assert calls == []
    stepping.applications()  # the board reads the projections, not the log
    assert calls == []
    stepping.applications(as_of=stepping.now())  # an as-of board replays: the counter works
    assert calls == [0]


# --- as of an occurred time, as known at a recorded time -----------------------------

AS_OF = [
    ("2026-11-01T12:00", None),
    ("2026-11-05T12:00", "applied"),
    ("2026-11-09T09:00", "interviewing"),  # the boundary counts: it had happened then
    ("2026-11-10T12:00", "interviewing"),
    ("2026-11-19T12:00", "offered"),
]
KNOWN_AT = [
    ("2026-11-20T09:59", None),
    ("2026-11-20T10:30", "applied"),
    ("2026-11-20T11:30", "interviewing"),
    ("2026-11-20T13:00", "offered"),
]


def state_of(engine: Engine, app_id: str, **when: datetime) -> str | None:
    found = {a.id: a.state for a in engine.applications(**when)}
    return found.get(app_id)


@pytest.mark.parametrize(("moment", "expected"), AS_OF)
def test_state_as_of_an_occurred_time(stepping: Engine, clock: SteppingClock, moment: str,
                                      expected: str | None) -> None:
    app_id = back_dated_search(stepping, clock)
    assert state_of(stepping, app_id, as_of=new_york(moment)) == expected


@pytest.mark.parametrize(("moment", "expected"), KNOWN_AT)
def test_state_as_known_at_a_recorded_time(stepping: Engine, clock: SteppingClock, moment: str,
                                           expected: str | None) -> None:
    app_id = back_dated_search(stepping, clock)
    assert state_of(stepping, app_id, known_at=new_york(moment)) == expected


def test_both_times_together_and_the_other_applications(stepping: Engine,
                                                        clock: SteppingClock) -> None:
    app_id = back_dated_search(stepping, clock)
    # On Nov 20 at 10:30 we knew only of the application, though the interview had occurred.
    assert state_of(stepping, app_id, as_of=new_york("2026-11-10T12:00"),
                    known_at=new_york("2026-11-20T10:30")) == "applied"
    # Beta was applied for on Nov 8 but only recorded at 14:00.
    assert {a.id for a in stepping.applications(as_of=new_york("2026-11-08T12:00"))} == {
        app_id, "beta-sre"}
    assert {a.id for a in stepping.applications(known_at=new_york("2026-11-20T13:30"))} == {
        app_id}


def test_tasks_as_of_a_time(stepping: Engine, clock: SteppingClock) -> None:
    app_id = back_dated_search(stepping, clock)
    before, after = (
        {t.kind: t.status for t in a.tasks.values()}
        for a in (next(x for x in stepping.applications(as_of=new_york(m)) if x.id == app_id)
                  for m in ("2026-11-05T12:00", "2026-11-10T12:00"))
    )
    assert before == {"follow-up-application": "open"}
    # the interview answered it, and its debrief is still to do
    assert after == {"follow-up-application": "closed", "debrief": "open"}


# --- the audit history ----------------------------------------------------------------


def test_history_rows_carry_both_times_and_the_state_after(stepping: Engine,
                                                           clock: SteppingClock) -> None:
    app_id = back_dated_search(stepping, clock)
    rows = history_rows(stepping.stored_events(app_id))
    assert [r["position"] for r in rows] == sorted(r["position"] for r in rows)
    lifecycle = [(r["type"], r["state_after"], r["occurred_at"], r["recorded_at"]) for r in rows
                 if not r["type"].startswith("Task")]
    assert lifecycle == [
        ("ApplicationSubmitted", "applied", "2026-11-02T09:00:00-05:00", "2026-11-20T10:00:00-05:00"),
        ("InterviewScheduled", "interviewing", "2026-11-09T09:00:00-05:00",
         "2026-11-20T11:00:00-05:00"),
        ("InterviewHeld", "interviewing", "2026-11-12T15:00:00-05:00", "2026-11-20T12:00:00-05:00"),
        ("OfferReceived", "offered", "2026-11-18T09:00:00-05:00", "2026-11-20T13:00:00-05:00"),
    ]
    assert not any(r["voided"] for r in rows)
    assert all(r["data"] is not None and r["event_id"] for r in rows)


# --- the same through the command line ------------------------------------------------


def at_now(cli: CLI, now: str) -> Callable[..., Any]:
    """Run the CLI with the clock at ``now`` (so the fact is recorded then)."""
    return lambda *args: cli.ok(*args, env=cli.env(AFTERVIEW_NOW=now))


def test_status_as_of_and_known_at_on_the_command_line(cli: CLI) -> None:
    app_id = at_now(cli, "2026-11-20T10:00:00-05:00")(
        "apply", "Acme", "Backend Engineer", "--at", "2026-11-02").strip()
    at_now(cli, "2026-11-20T11:00:00-05:00")(
        "interview", app_id, "--on", "2026-11-12T14:00", "--at", "2026-11-09")
    assert cli.json("status", app_id)["state"] == "interviewing"
    assert cli.json("status", app_id, "--as-of", "2026-11-05")["state"] == "applied"
    assert cli.json("status", app_id, "--known-at", "2026-11-20T10:30")["state"] == "applied"
    line = cli.refused("status", app_id, "--as-of", "2026-11-01", code=1)
    assert app_id in line
    rows = cli.json("history", app_id)
    assert {"position", "event_id", "type", "occurred_at", "recorded_at", "data", "state_after",
            "voided"} <= set(rows[0])
    interview = next(r for r in rows if r["type"] == "InterviewScheduled")
    assert interview["occurred_at"].startswith("2026-11-09T09:00")
    assert interview["recorded_at"] == "2026-11-20T11:00:00-05:00"
    assert interview["state_after"] == "interviewing"


def test_the_fold_knows_every_fact_of_an_application_by_its_type_name() -> None:
    """The fold's table is keyed by type name (so that reading a projection does not load
    the event classes): every name is a registered event, and only the settings stream's
    facts are not folded into an application."""
    from afterview.engine.domain import state

    profile_only = {"SettingChanged", "DaysOffRecorded", "DigestSent"}
    assert set(state._FOLD) == set(ev.EVENT_TYPES) - profile_only
    assert all(name == ev.EVENT_TYPES[name].TYPE for name in state._FOLD)
