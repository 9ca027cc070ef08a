"""Start-up stays light: the heavy libraries are imported only by the commands that need
them. Checked on what a fresh interpreter has in ``sys.modules`` after one command (timings
are in docs/performance.md; no test here depends on the speed of the machine)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from conftest import CLI

HEAVY = ("apscheduler", "holidays", "jinja2", "sqlite_utils", "transitions", "icalendar",
         "tzlocal", "psycopg", "psycopg_pool", "starlette", "uvicorn", "python_multipart",
         "multipart")

# Runs one command as the console script does, then reports the heavy modules it loaded
# (on stderr's last line, after whatever the command printed).
_PROBE = """
import json, sys
from afterview.cli.main import main
try:
    main(sys.argv[1:])
except SystemExit:
    pass
loaded = sorted({name.split(".")[0] for name in sys.modules}
                | {name for name in sys.modules if name.startswith("afterview.")})
print(json.dumps(loaded), file=sys.stderr)
"""


@pytest.fixture(scope="module")
def small(tmp_path_factory: pytest.TempPathFactory) -> CLI:
    """A small database that exists already (creating one runs the schema migration, which
    is allowed its sqlite-utils), with the time zone set."""
    cli = CLI(tmp_path_factory.mktemp("startup") / "afterview.db")
    cli.ok("config", "set", "timezone", "America/New_York")
    cli.ok("apply", "Acme", "Engineer", "--at", "2026-11-02")
    return cli


def top_level_modules(cli: CLI, *args: str) -> set[str]:
    done = subprocess.run([sys.executable, "-c", _PROBE, *args], capture_output=True,
                          text=True, env=cli.env(), timeout=60)
    loaded: list[str] = json.loads(done.stderr.strip().splitlines()[-1])
    return set(loaded)


@pytest.mark.parametrize("args", [
    ("--version",), ("--help",), ("list",), ("board",), ("show", "acme"), ("agenda",),
    ("status",), ("history", "acme"), ("verify",),
], ids=" ".join)
def test_reading_loads_none_of_the_heavy_libraries(small: CLI, args: tuple[str, ...]) -> None:
    loaded = top_level_modules(small, *args)
    assert loaded.isdisjoint(HEAVY)
    assert ("afterview.engine" in loaded) == (args[0] not in ("--version", "--help"))  # it ran


def test_version_does_not_even_load_the_engine(small: CLI) -> None:
    loaded = top_level_modules(small, "--version")
    assert "click" in loaded  # the probe did run the command line
    assert "afterview.engine" not in loaded


def test_the_console_script_answers_version_before_loading_the_command_line(small: CLI) -> None:
    probe = _PROBE.replace("afterview.cli.main", "afterview.cli.entry")
    done = subprocess.run([sys.executable, "-c", probe, "--version"], capture_output=True,
                          text=True, env=small.env(), timeout=60)
    assert done.stdout == "afterview 0.1.0\n"
    loaded = set(json.loads(done.stderr.strip().splitlines()[-1]))
    assert "click" not in loaded and "afterview.cli.main" not in loaded
    assert not {name for name in loaded if name.startswith("afterview.engine")}


def test_version_into_a_closed_pipe_is_quiet(small: CLI) -> None:
    reader, writer = os.pipe()
    os.close(reader)  # nobody reads: the write gets EPIPE
    done = subprocess.run([sys.executable, "-m", "afterview.cli.entry", "--version"],
                          stdout=writer, stderr=subprocess.PIPE, text=True, env=small.env(),
                          timeout=60)
    os.close(writer)
    assert done.returncode == 0 and done.stderr == ""


def test_recording_a_fact_loads_only_the_lifecycle_machine(small: CLI) -> None:
    loaded = top_level_modules(small, "note", "acme", "a note")
    assert loaded & set(HEAVY) == {"transitions"}  # commands are validated by the machine
    assert small.event_count() == 4  # the setting, the submission, its task, the note


def _engine_modules(cli: CLI, *args: str) -> set[str]:
    probe = _PROBE
    done = subprocess.run([sys.executable, "-c", probe, *args], capture_output=True,
                          text=True, env=cli.env(), timeout=60)
    loaded: list[str] = json.loads(done.stderr.strip().splitlines()[-1])
    return {name for name in loaded if name.startswith("afterview.engine")}


@pytest.mark.parametrize("args", [("status", "acme"), ("list",), ("show", "acme")], ids=" ".join)
def test_reading_does_not_load_the_decision_code(small: CLI, args: tuple[str, ...]) -> None:
    loaded = _engine_modules(small, *args)
    assert "afterview.engine.service.api" in loaded  # the command did reach the engine
    assert loaded.isdisjoint({"afterview.engine.domain.decide", "afterview.engine.domain.policies"})


@pytest.mark.parametrize("args", [("list",), ("board",), ("status",), ("status", "acme"), ("show", "acme"),
                                  ("agenda",)], ids=" ".join)
def test_the_board_and_the_agenda_read_summaries_without_the_event_classes(
        small: CLI, args: tuple[str, ...]) -> None:
    """Reading projections folds nothing: the ~25 attrs event classes stay unloaded (they
    are most of the engine's start-up); a command that replays loads them."""
    loaded = _engine_modules(small, *args)
    assert "afterview.engine.service.projections" in loaded  # it read the projections
    assert "afterview.engine.domain.events" not in loaded
    assert "afterview.engine.domain.events" in _engine_modules(small, "history", "acme")


def test_recording_loads_the_decision_code(small: CLI) -> None:
    assert "afterview.engine.domain.decide" in _engine_modules(small, "note", "acme", "another note")


def test_commands_load_only_their_own_module(small: CLI) -> None:
    """The lazy group: ``--version`` imports no command module, ``list`` only core's."""
    def command_modules(*args: str) -> set[str]:
        return {name for name in top_level_modules(small, *args)
                if name.startswith("afterview.cli.commands.")}

    assert command_modules("--version") == set()
    assert command_modules("list") == {"afterview.cli.commands.core"}
    assert command_modules("agenda") == {"afterview.cli.commands.tasks"}


def test_the_lazy_groups_map_names_every_command_of_every_module() -> None:
    import importlib

    from afterview.cli.main import COMMAND_MODULES

    for module_name, names in COMMAND_MODULES.items():
        module = importlib.import_module(f"afterview.cli.commands.{module_name}")
        assert tuple(command.name for command in module.COMMANDS) == names
