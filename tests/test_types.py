"""States, task kinds, task outcomes and actors are enums in the code and the plain strings
they always were wherever a person or a program reads them: JSON output, the log, exports."""

from __future__ import annotations

import json
from enum import StrEnum

from afterview.engine.domain.events import TaskKind, TaskOutcome
from afterview.engine.domain.lifecycle import State
from afterview.engine.domain.state import TaskStatus
from afterview.engine.service.unit_of_work import Actor
from conftest import CLI


def test_each_enum_keeps_the_values_of_the_log() -> None:
    assert [s.value for s in State] == ["new", "applied", "interviewing", "offered",
                                        "negotiating", "accepted", "withdrawn", "declined"]
    assert {o.value for o in TaskOutcome} == {"done", "dismissed", "satisfied", "moot"}
    assert {s.value for s in TaskStatus} == {"open", "done", "dismissed", "closed"}
    assert {a.value for a in Actor} == {"cli", "daemon", "import", "demo", "web"}
    assert "follow-up-application" in {k.value for k in TaskKind}
    assert all(issubclass(e, StrEnum) for e in (State, TaskKind, TaskOutcome, TaskStatus, Actor))


def test_json_output_and_the_log_hold_the_plain_strings(cli: CLI) -> None:
    app = cli.ok("apply", "Acme", "Backend Engineer").strip()
    listed = cli.ok("--json", "list")
    assert '"state": "applied"' in listed and "State." not in listed
    agenda = cli.ok("--json", "agenda")
    assert '"kind": "follow-up-application"' in agenda and '"status": "open"' in agenda
    task = json.loads(agenda)[0]["id"]
    done = cli.ok("--json", "done", task)
    assert '"status": "done"' in done
    history = cli.ok("--json", "history", app)
    assert '"state_after": "applied"' in history and '"actor": "cli"' in history
    exported = cli.ok("export", "--format", "json")
    assert '"outcome": "done"' in exported and '"kind": "follow-up-application"' in exported
    assert "TaskKind" not in exported and "TaskOutcome" not in exported and "Actor." not in exported
    assert [e["metadata"]["actor"] for e in json.loads(exported)["events"]
            if e["stream_id"] == app] == ["cli"] * 3
