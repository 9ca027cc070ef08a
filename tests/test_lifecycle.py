"""The lifecycle: the `transitions` machine and the table replay uses say the same thing,
both match the table of cli.md, and a move the lifecycle refuses changes nothing."""

from __future__ import annotations

import re
from typing import Any

import pytest

from afterview.engine.domain import events as ev
from afterview.engine.domain import lifecycle
from afterview.engine.domain.state import DomainError
from afterview.engine.service.api import Engine
from conftest import CLI

# cli.md's "Entering facts" table, written out independently of engine.lifecycle:
# command -> (fact type, states it is allowed in, state after it).
_OPEN = frozenset({"applied", "interviewing", "offered", "negotiating"})
CLI_MD_MOVES: dict[str, tuple[str, frozenset[str], str]] = {
    "apply": ("ApplicationSubmitted", frozenset({"new"}), "applied"),
    "interview": ("InterviewScheduled", frozenset({"applied", "interviewing"}), "interviewing"),
    "debrief": ("InterviewHeld", frozenset({"applied", "interviewing"}), "interviewing"),
    # A new offer while offered is a revised offer.
    "offer": ("OfferReceived", frozenset({"applied", "interviewing", "offered", "negotiating"}),
              "offered"),
    "counter": ("CounterOfferMade", frozenset({"offered", "negotiating"}), "negotiating"),
    "accept": ("OfferAccepted", frozenset({"offered", "negotiating"}), "accepted"),
    "withdraw": ("ApplicationWithdrawn", _OPEN, "withdrawn"),
    "declined": ("ApplicationDeclined", _OPEN, "declined"),
}
SEVEN_STATES = {"applied", "interviewing", "offered", "negotiating", "accepted", "withdrawn",
                "declined"}
EVERY_STATE = ("new", *sorted(SEVEN_STATES))
TRIGGERS = sorted(lifecycle.LIFECYCLE_TRIGGERS)


def fire(state: str, trigger: str) -> str | None:
    """Run ``trigger`` on a real `transitions` machine in ``state``: the state after it,
    or None when the machine refuses it."""
    machine = lifecycle.machine(state)
    if not getattr(machine.model, f"may_{trigger}")():
        return None
    getattr(machine.model, trigger)()
    after: str = machine.model.state
    return after


@pytest.mark.parametrize("state", EVERY_STATE)
def test_machine_and_table_agree_on_every_pair(state: str) -> None:
    machine = lifecycle.machine(state)
    offered = set(machine.get_triggers(state))
    for trigger in TRIGGERS:
        in_table = (state, trigger) in lifecycle.TABLE
        assert (trigger in offered) == in_table, (state, trigger)
        assert lifecycle.allowed(state, trigger) == in_table, (state, trigger)
        assert fire(state, trigger) == lifecycle.TABLE.get((state, trigger)), (state, trigger)


def test_table_matches_cli_md() -> None:
    for command, (trigger, sources, dest) in CLI_MD_MOVES.items():
        allowed_in = {state for state in EVERY_STATE if (state, trigger) in lifecycle.TABLE}
        assert allowed_in == sources, command
        assert {lifecycle.TABLE[(s, trigger)] for s in sources} == {dest}, command
        assert lifecycle.COMMAND_NAMES[trigger] == command


def test_seven_states() -> None:
    assert set(lifecycle.STATES) == SEVEN_STATES and len(lifecycle.STATES) == 7
    assert lifecycle.OPEN_STATES | lifecycle.TERMINAL_STATES == SEVEN_STATES
    assert {"accepted", "withdrawn", "declined"} == lifecycle.TERMINAL_STATES


@pytest.mark.parametrize("state", sorted(lifecycle.TERMINAL_STATES))
def test_terminal_states_accept_no_lifecycle_move(state: str) -> None:
    for trigger in TRIGGERS:
        assert fire(state, trigger) in (None, state), (state, trigger)
    # Only the facts that leave the state alone are allowed at all.
    for command, (trigger, _, _) in CLI_MD_MOVES.items():
        assert not lifecycle.allowed(state, trigger), (state, command)


def test_mermaid_is_drawn_from_the_same_definition() -> None:
    from afterview.engine.views.diagram import mermaid

    diagram = mermaid()
    assert diagram.startswith("stateDiagram-v2")
    for state in SEVEN_STATES:
        assert re.search(rf"\b{state}\b", diagram), state
    for command, (trigger, sources, dest) in CLI_MD_MOVES.items():
        for source in sources - {"new"}:
            edge = re.search(rf"^\s*{source} --> {dest}: (.*)$", diagram, re.MULTILINE)
            assert edge and trigger in edge[1].split(" | "), (command, source, dest)
    for state in lifecycle.TERMINAL_STATES:
        assert f"{state} --> [*]" in diagram
        assert not re.search(rf"^\s*{state} --> (?!\[\*\])", diagram, re.MULTILINE)


# --- refusals through the engine ----------------------------------------------------

TERMS = ev.OfferTerms("USD", 100000)
STEPS: dict[str, Any] = {
    "interview": lambda: ev.InterviewScheduled(1, "2026-11-25T10:00:00-05:00"),
    "debrief": lambda: ev.InterviewHeld(1),
    "offer": lambda: ev.OfferReceived(TERMS),
    "counter": lambda: ev.CounterOfferMade(ev.OfferTerms("USD", 110000)),
    "accept": lambda: ev.OfferAccepted(),
    "withdraw": lambda: ev.ApplicationWithdrawn("found another"),
    "declined": lambda: ev.ApplicationDeclined(None),
}
PATHS = {
    "applied": [],
    "interviewing": ["interview"],
    "offered": ["offer"],
    "negotiating": ["offer", "counter"],
    "accepted": ["offer", "accept"],
    "withdrawn": ["withdraw"],
    "declined": ["declined"],
}


def reach(engine: Engine, state: str) -> str:
    app_id = engine.apply(ev.ApplicationSubmitted("Acme", "Backend Engineer")).application.id
    for command in PATHS[state]:
        engine.record(app_id, STEPS[command]())
    assert engine.application(app_id).state == state
    return app_id


REFUSED = [
    (state, command)
    for state in PATHS
    for command in STEPS
    if state not in CLI_MD_MOVES[command][1]
]


@pytest.mark.parametrize(("state", "command"), REFUSED)
def test_invalid_move_names_application_state_and_action(engine: Engine, state: str,
                                                         command: str) -> None:
    app_id = reach(engine, state)
    head = engine.store.head()
    with pytest.raises(DomainError) as refused:
        engine.record(app_id, STEPS[command]())
    message = str(refused.value)
    assert app_id in message and state in message and f"'{command}'" in message
    assert engine.store.head() == head
    assert engine.application(app_id).state == state


def test_a_second_submission_with_the_same_id_is_refused(engine: Engine) -> None:
    engine.apply(ev.ApplicationSubmitted("Acme", "Dev"), application_id="acme")
    head = engine.store.head()
    with pytest.raises(DomainError, match="already exists"):
        engine.apply(ev.ApplicationSubmitted("Acme", "Dev"), application_id="acme")
    assert engine.store.head() == head


def test_cli_refusal_is_one_line_and_appends_nothing(cli: CLI) -> None:
    app_id = cli.ok("apply", "Acme", "Backend Engineer").strip()
    count = cli.event_count()
    line = cli.refused("accept", app_id, code=1)
    assert app_id in line and "applied" in line and "accept" in line
    assert cli.event_count() == count
