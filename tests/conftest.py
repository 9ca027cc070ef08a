"""Shared fixtures: a real database file, and the real command line, run in this process
through click's CliRunner (fast) or, for the end-to-end tests, in a subprocess."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import click.testing
import pytest
from hypothesis import settings

from afterview.engine.runtime.clock import fixed_clock
from afterview.engine.service.api import Engine
from afterview.engine.store.sqlite import SQLiteStore

# Where the examples and most tests live in time: a Friday in New York, before Thanksgiving.
NOW = "2026-11-20T10:00:00-05:00"
ZONE = "America/New_York"

# The machine's zone for this test process too, before anything reads (and caches) it: a
# command run in process then sees what a subprocess started with TZ=ZONE sees.
os.environ["TZ"] = ZONE

# With PYTHONDONTWRITEBYTECODE set, every Python this suite starts (the end-to-end CLI runs,
# the daemons, the workers, the docs' examples) would compile every module of the project
# from source again: about 40% of a start. Their cached bytecode goes to a folder of its own,
# never into the work tree; this process keeps the setting it started with.
if os.environ.get("PYTHONDONTWRITEBYTECODE") and "PYTHONPYCACHEPREFIX" not in os.environ:
    del os.environ["PYTHONDONTWRITEBYTECODE"]
    os.environ["PYTHONPYCACHEPREFIX"] = os.path.join(tempfile.gettempdir(), "afterview-pycache")

# Hypothesis: no deadline anywhere (an example's time says how busy the machine is, not
# whether the code is right), the same number of examples as each test asks for. Under
# CI=true a failure also prints the blob that replays it. HYPOTHESIS_PROFILE picks another.
settings.register_profile("afterview", deadline=None)
settings.register_profile("ci", settings.get_profile("afterview"), derandomize=False, print_blob=True)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE",
                                     "ci" if os.environ.get("CI") == "true" else "afterview"))


def afterview_command() -> list[str]:
    """The installed console script, or the module when running from a source tree."""
    script = Path(sys.executable).with_name("afterview")
    if script.exists():
        return [str(script)]
    found = shutil.which("afterview")
    return [found] if found else [sys.executable, "-m", "afterview.cli.entry"]


class SubprocessCLI:
    """Runs ``afterview`` for real, in a subprocess, against one database file: the
    end-to-end tests (the installed console script, real processes, real signals)."""

    def __init__(self, db: Path, now: str | None = NOW) -> None:
        self.db = db
        self.now = now

    def env(self, **extra: str) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("AFTERVIEW_")}
        env["AFTERVIEW_DB"] = str(self.db)
        env["NO_COLOR"] = "1"
        env["TZ"] = ZONE
        if self.now is not None:
            env["AFTERVIEW_NOW"] = self.now
        env.update(extra)
        return env

    def run(self, *args: str, input: str | None = None, env: dict[str, str] | None = None,
            timeout: float = 60) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [*afterview_command(), *args], capture_output=True, text=True, input=input,
            env=env or self.env(), timeout=timeout,
        )

    def ok(self, *args: str, **kwargs: Any) -> str:
        """Run a command that must succeed; its stdout."""
        done = self.run(*args, **kwargs)
        assert done.returncode == 0, f"afterview {' '.join(args)} failed:\n{done.stderr}"
        assert "Traceback" not in done.stderr
        return done.stdout

    def json(self, *args: str, **kwargs: Any) -> Any:
        return json.loads(self.ok("--json", *args, **kwargs))

    def refused(self, *args: str, code: int | None = None, **kwargs: Any) -> str:
        """Run a command that must be refused: one error line, non-zero exit, no traceback.
        Returns the error line."""
        done = self.run(*args, **kwargs)
        assert done.returncode != 0, f"afterview {' '.join(args)} was not refused:\n{done.stdout}"
        if code is not None:
            assert done.returncode == code, (done.returncode, done.stderr)
        lines = done.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("error: "), done.stderr
        return lines[0]

    def event_count(self) -> int:
        import sqlite3

        if not self.db.exists():
            return 0
        with sqlite3.connect(self.db) as conn:
            return int(conn.execute("SELECT count(*) FROM events").fetchone()[0])


class CLI(SubprocessCLI):
    """Runs ``afterview`` through its real entry point (``main``), in this process, with
    click's CliRunner isolating stdin, stdout, stderr and the environment: the same checks
    as in a subprocess, without starting Python for every command. A run with a machine
    zone other than ZONE goes to a subprocess (the zone is read once per process)."""

    def run(self, *args: str, input: str | None = None, env: dict[str, str] | None = None,
            timeout: float = 60) -> subprocess.CompletedProcess[str]:
        env = env or self.env()
        if env.get("TZ", ZONE) != ZONE:
            return super().run(*args, input=input, env=env, timeout=timeout)
        from afterview.cli.entry import main

        runner = click.testing.CliRunner()
        # The run sees exactly this environment, as a subprocess would.
        unset: dict[str, str | None] = {key: None for key in os.environ if key not in env}
        code: int | str | None = 0
        with runner.isolation(input=input, env={**unset, **env}) as (out, err, _):
            try:
                main(list(args))
            except SystemExit as exited:
                code = exited.code
            finally:
                sys.stdout.flush()
                sys.stderr.flush()
            stdout, stderr = out.getvalue().decode(), err.getvalue().decode()
        if isinstance(code, str):  # SystemExit("text") prints the text and exits 1
            stderr, code = stderr + code + "\n", 1
        return subprocess.CompletedProcess(["afterview", *args], code or 0, stdout, stderr)


def copy_database(source: Path, target: Path) -> Path:
    """A copy of a closed database file, with its mode (0600), at ``target``. Closed means no
    ``-wal`` beside it: the last connection to close checkpoints and removes it, so the main
    file alone is the whole log."""
    assert not Path(f"{source}-wal").exists(), f"{source} is still open somewhere"
    shutil.copy(source, target)
    return target


@pytest.fixture(scope="session")
def fresh_search(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The folder the CLI made for a new database with the time zone set (the folder 0700,
    the file 0600), built once; the ``cli`` fixture copies it for each test."""
    runner = CLI(tmp_path_factory.mktemp("fresh") / "search" / "afterview.db")
    runner.ok("config", "set", "timezone", ZONE)
    assert sorted(p.name for p in runner.db.parent.iterdir()) == [runner.db.name]
    return runner.db.parent


def copy_fresh_search(fresh_search: Path, folder: Path) -> Path:
    """A copy of ``fresh_search`` (with its modes) made as ``folder``; its database file."""
    shutil.copytree(fresh_search, folder)
    return folder / "afterview.db"


@pytest.fixture
def cli(tmp_path: Path, fresh_search: Path) -> CLI:
    """The real command line on a fresh database, with the clock fixed at NOW in New York.
    The database is a copy of one the CLI made with ``config set timezone`` (built once)."""
    return CLI(copy_fresh_search(fresh_search, tmp_path / "search"))


def clock_at(text: str) -> Callable[[], datetime]:
    return fixed_clock(datetime.fromisoformat(text))


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[Engine]:
    """An engine over a real SQLite file, its clock fixed at NOW, time zone New York."""
    store = SQLiteStore(tmp_path / "engine.db")
    built = Engine(store, clock=clock_at(NOW))
    built.set_setting("timezone", ZONE)
    yield built
    store.close()


def new_york(text: str) -> datetime:
    """A wall time in New York (tests read better with local times)."""
    return datetime.fromisoformat(text).replace(tzinfo=ZoneInfo(ZONE))


class SteppingClock:
    """A clock the test moves: each command is recorded at a different wall time."""

    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> datetime:
        self.now += timedelta(**delta)
        return self.now


@pytest.fixture
def clock() -> SteppingClock:
    return SteppingClock(new_york("2026-11-20T10:00"))


@pytest.fixture
def stepping(tmp_path: Path, clock: SteppingClock) -> Iterator[Engine]:
    """An engine whose clock the test moves, so every command is recorded at its own time."""
    with SQLiteStore(tmp_path / "stepping.db") as store:
        engine = Engine(store, clock=clock)
        engine.set_setting("timezone", ZONE)
        yield engine


# ---------------------------------------------------------------------------
# PostgreSQL: one throwaway cluster per test session (tests/pg.py)


@pytest.fixture(scope="session")
def pg_db() -> Any:
    """The shared afterview database (set up by 'db init'); tests keep apart by tenant.
    Without a server the PostgreSQL tests are skipped, except under CI (CI=true), where
    that is a failure: .ci/run installs one."""
    import pg

    return pg.require_shared_database()


@pytest.fixture(scope="session")
def pg_cluster(pg_db: Any) -> Any:
    """The throwaway PostgreSQL server, for tests that need a database of their own."""
    return pg_db.cluster


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Stop the PostgreSQL server if a test started one."""
    pg = sys.modules.get("pg")
    if pg is not None:
        pg.stop_shared()


@pytest.fixture(scope="module")
def demo_search(tmp_path_factory: pytest.TempPathFactory) -> CLI:
    """The demo search (``afterview demo``) in a database of its own, one per test module."""
    cli = CLI(tmp_path_factory.mktemp("demo-search") / "afterview.db")
    cli.ok("demo")
    return cli


@pytest.fixture(scope="module")
def served(demo_search: CLI) -> Iterator[Any]:
    """A real ``afterview serve`` over the module's demo search (tests/webserver.py)."""
    from webserver import Served

    server = Served(demo_search)
    yield server
    assert server.stop() == 0


@pytest.fixture(scope="module")
def client(served: Any) -> Iterator[Any]:
    """A session on the module's server (its launch token exchanged) and its CSRF token."""
    from webserver import signed_in

    session, csrf = signed_in(served)
    yield session, csrf
    session.close()
