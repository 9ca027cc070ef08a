"""The command line is documented and its demo works: every command and subcommand is in
docs/cli.md and has help text; ``afterview demo`` builds a search reaching every state
with tasks overdue and to come, whatever the day; shell completion offers the ids."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import click
import pytest

from afterview.engine.runtime.clock import fixed_clock
from afterview.engine.service.api import Engine, tasks_of
from afterview.engine.service.audit import verify_log
from afterview.engine.service.demo import DEMO_ACTOR, build_demo
from afterview.engine.store.sqlite import SQLiteStore
from conftest import CLI, ZONE

DOCS = Path(__file__).resolve().parents[1] / "docs" / "cli.md"
STATES = ("applied", "interviewing", "offered", "negotiating", "accepted", "withdrawn",
          "declined")


def every_command(group: click.Group, path: tuple[str, ...] = ()
                  ) -> Iterator[tuple[tuple[str, ...], click.Command]]:
    for name, command in sorted(group.commands.items()):
        yield (*path, name), command
        if isinstance(command, click.Group):
            yield from every_command(command, (*path, name))


def registered() -> list[tuple[tuple[str, ...], click.Command]]:
    from afterview.cli.main import cli

    return list(every_command(cli))


def documented_names() -> set[str]:
    """What docs/cli.md names in a heading or in the first cell of a table row, as code."""
    text = DOCS.read_text(encoding="utf-8")
    places = [line for line in text.splitlines() if line.startswith("#")]
    for line in text.splitlines():
        first_cell = re.match(r"^\|((?:[^|\\]|\\.)*)\|", line)
        if first_cell:
            places.append(first_cell[1])
    # `config set KEY VALUE`, `list [--state S]`, `board`: the words before any argument.
    return {" ".join(w for w in m.split() if re.fullmatch(r"[a-z][a-z-]*", w))
            for place in places for m in re.findall(r"`([a-z][a-z -]*)", place)}


@pytest.mark.parametrize(("path", "command"), registered(),
                         ids=[" ".join(path) for path, _ in registered()])
def test_every_command_is_documented_and_has_help(path: tuple[str, ...],
                                                  command: click.Command) -> None:
    assert " ".join(path) in documented_names(), f"{' '.join(path)} is not in docs/cli.md"
    assert (command.help or command.short_help or "").strip(), f"{' '.join(path)} has no help"


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[CLI, str]:
    """The demo, built by the real command line in a database of its own; its output."""
    cli = CLI(tmp_path_factory.mktemp("demo") / "demo.db")
    return cli, cli.ok("--db", str(cli.db), "demo")


def test_demo_shows_every_state_and_an_agenda_with_tasks_overdue_and_to_come(
        demo: tuple[CLI, str]) -> None:
    cli, out = demo
    board = out.split("\nAGENDA\n")[0]
    headings = re.findall(r"^([A-Z]+) \(\d+\)$", board, flags=re.MULTILINE)
    assert headings == [state.upper() for state in STATES]
    agenda = out.split("\nAGENDA\n")[1].split("\n\nTry next:")[0].splitlines()[1:]
    assert any("OVERDUE" in line for line in agenda)
    assert any("OVERDUE" not in line for line in agenda)
    assert f"afterview --db {cli.db} show initech" in out  # the exact database to try


def test_demo_starts_afresh_over_an_earlier_demo_on_the_wall_clock(demo: tuple[CLI, str]) -> None:
    cli, _ = demo
    wall_clock = CLI(cli.db, now=None)  # no AFTERVIEW_NOW this time
    again = wall_clock.json("--db", str(cli.db), "demo")
    assert again["database"] == str(cli.db)
    assert len(again["applications"]) == 8  # not sixteen
    assert {a["state"] for a in again["applications"]} == set(STATES)
    assert {t["overdue"] for t in again["agenda"]} == {True, False}
    assert wall_clock.json("--db", str(cli.db), "verify")["ok"] is True


def test_demo_without_a_database_given_builds_beside_the_default_never_in_it(
        tmp_path: Path) -> None:
    cli = CLI(tmp_path / "unused.db")
    env = {k: v for k, v in cli.env(XDG_DATA_HOME=str(tmp_path / "data")).items()
           if k != "AFTERVIEW_DB"}
    out = cli.ok("demo", env=env)
    folder = tmp_path / "data" / "afterview"
    assert sorted(p.name for p in folder.iterdir() if p.suffix == ".db") == ["demo.db"]
    assert f"--db {folder / 'demo.db'} " in out


def test_completion_offers_application_ids_from_the_database(demo: tuple[CLI, str]) -> None:
    cli, _ = demo
    env = cli.env(_AFTERVIEW_COMPLETE="bash_complete",
                  COMP_WORDS=f"afterview --db {cli.db} show ho", COMP_CWORD="4")
    assert cli.ok(env=env).split() == ["plain,hooli-staff-engineer"]


@pytest.mark.parametrize("now", [
    "2026-11-21T12:00:00-05:00",  # a Saturday
    "2026-11-23T07:00:00-05:00",  # a Monday before the working day
    "2026-03-09T08:00:00-04:00",  # the day after clocks moved forward
    "2027-01-01T23:30:00-05:00",  # a holiday, late
])
def test_the_demo_holds_whatever_the_day(tmp_path: Path, now: str) -> None:
    moment = datetime.fromisoformat(now)
    with SQLiteStore(tmp_path / "demo.db") as store:
        engine = Engine(store, clock=fixed_clock(moment), actor=DEMO_ACTOR)
        engine.set_setting("timezone", ZONE)
        build_demo(engine)
        apps = engine.applications()
        assert {a.state for a in apps} == set(STATES)
        tasks = tasks_of(apps)
        assert any(t.due_at <= moment for t in tasks) and any(t.due_at > moment for t in tasks)
        assert all(i.held_at.weekday() < 5 for a in apps for i in a.interviews if i.held_at)
        assert verify_log(store)["ok"]
        assert {e.metadata["actor"] for e in store.read_all()} == {DEMO_ACTOR}
