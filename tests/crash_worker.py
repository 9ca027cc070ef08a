"""Helpers for the reliability tests: the real CLI run in-process, and worker processes.

Imported by the tests for ``run_cli`` (the real entry point, ``cli.main.main``, without the
cost of starting Python), and run as a script for the processes the crash and concurrency
tests start and kill:

    crash_worker.py appends DB PREFIX [N WHEN]
                                        append through the Engine until killed, printing each
                                        batch's event ids before (intent) and after (committed)
                                        the append; with N, kill itself at the N-th append,
                                        WHEN before-commit or after-commit
    crash_worker.py commands DB NAME N [START_FILE]
                                        run N real CLI commands (in-process) against DB once
                                        START_FILE exists; one JSON line per command: argv,
                                        exit code, stderr
    crash_worker.py script DB FILE      run every argv in the JSON list in FILE, likewise

``AFTERVIEW_NOW`` is taken from the environment, as the CLI takes it.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import random
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import IO, Any, NamedTuple

NOW = "2026-11-20T10:00:00-05:00"
ZONE = "America/New_York"
SHARED_APP = "shared-app"


class Ran(NamedTuple):
    """What one in-process CLI run did."""

    code: int
    stdout: str
    stderr: str


class _Terminal(io.StringIO):
    """Captured output that says it is a terminal, so nothing is stripped on its way."""

    def isatty(self) -> bool:
        return True


def run_cli(argv: Sequence[str], *, tty: bool = False) -> Ran:
    """Run ``afterview ARGV`` through the real entry point in this process. The database and
    the clock come from ``AFTERVIEW_DB`` and ``AFTERVIEW_NOW`` in ``os.environ``. With
    ``tty``, stdout claims to be a terminal: click then strips no escape sequence, so the
    output is what a person's terminal would receive."""
    from afterview.cli.main import main

    out, err = (_Terminal() if tty else io.StringIO()), io.StringIO()
    code: int | str | None = 0
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            main(list(argv))
        except SystemExit as exited:
            code = exited.code
    if code is None:
        code = 0
    elif isinstance(code, str):  # SystemExit("text") prints the text and exits 1
        err.write(code + "\n")
        code = 1
    return Ran(code, out.getvalue(), err.getvalue())


class InProcessCLI:
    """The real CLI, in this process, on one database with the clock fixed (the in-process
    twin of conftest's ``CLI``: the same checks, without starting Python each time)."""

    def __init__(self, db: Path, now: str | None = NOW) -> None:
        self.db = db
        self.now = now

    def run(self, *argv: str, tty: bool = False, colour: bool = False) -> Ran:
        saved = {key: os.environ.get(key) for key in ("AFTERVIEW_DB", "AFTERVIEW_NOW",
                                                      "AFTERVIEW_DEBUG", "NO_COLOR")}
        os.environ["AFTERVIEW_DB"] = str(self.db)
        os.environ.pop("AFTERVIEW_DEBUG", None)
        if colour:
            os.environ.pop("NO_COLOR", None)
        else:
            os.environ["NO_COLOR"] = "1"
        if self.now is None:
            os.environ.pop("AFTERVIEW_NOW", None)
        else:
            os.environ["AFTERVIEW_NOW"] = self.now
        try:
            return run_cli(argv, tty=tty)
        finally:
            for key, value in saved.items():
                if value is None:
                    os.environ.pop(key, None)
                else:
                    os.environ[key] = value

    def ok(self, *argv: str, tty: bool = False, colour: bool = False) -> str:
        ran = self.run(*argv, tty=tty, colour=colour)
        assert ran.code == 0, f"afterview {' '.join(argv)[:200]} failed: {ran.stderr}"
        assert ran.stderr == "" or ran.stderr.startswith("warning:"), ran.stderr
        return ran.stdout

    def json(self, *argv: str) -> Any:
        return json.loads(self.ok("--json", *argv))

    def refused(self, *argv: str, code: int | None = None) -> str:
        """A refusal: non-zero exit, exactly one ``error:`` line, nothing appended."""
        before = self.event_count()
        ran = self.run(*argv)
        assert ran.code != 0, f"afterview {' '.join(argv)[:200]} was not refused: {ran.stdout[:300]}"
        if code is not None:
            assert ran.code == code, (ran.code, ran.stderr)
        assert_one_error_line(ran.stderr)
        assert self.event_count() == before, "a refused command appended"
        return ran.stderr.strip()

    def event_count(self) -> int:
        return event_count(self.db)


def assert_one_error_line(stderr: str) -> None:
    lines = stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), stderr[:2000]
    assert "Traceback" not in stderr


def event_count(db: Path) -> int:
    """Rows in the log (0 when there is no database yet)."""
    import sqlite3

    if not db.is_file():
        return 0
    conn = sqlite3.connect(db)
    try:
        return int(conn.execute("SELECT count(*) FROM events").fetchone()[0])
    except sqlite3.DatabaseError:  # not an afterview database (yet)
        return 0
    finally:
        conn.close()


# ---------------------------------------------------------------------------
# processes whose output is watched while they run

_STARTED: list[subprocess.Popen[str]] = []


class Watched:
    """A child process whose stdout lines are collected as they come (and its stderr)."""

    def __init__(self, argv: list[str], env: dict[str, str] | None = None, **popen: Any) -> None:
        self.process = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                        text=True, env=env, **popen)
        _STARTED.append(self.process)
        self.lines: list[str] = []
        self._errors: list[str] = []
        self._changed = threading.Condition()
        self._readers = [threading.Thread(target=self._read, args=(stream, sink), daemon=True)
                         for stream, sink in ((self.process.stdout, self.lines),
                                              (self.process.stderr, self._errors))]
        for reader in self._readers:
            reader.start()

    def _read(self, stream: IO[str], sink: list[str]) -> None:
        for line in stream:
            with self._changed:
                sink.append(line.rstrip("\n"))
                self._changed.notify_all()
        with self._changed:
            self._changed.notify_all()

    def wait_for(self, predicate: str, timeout: float = 30, *, stderr: bool = False) -> None:
        """Until a line containing ``predicate`` has been printed (on stderr with ``stderr``)."""
        lines = self._errors if stderr else self.lines
        deadline = time.monotonic() + timeout
        with self._changed:
            while not any(predicate in line for line in lines):
                left = deadline - time.monotonic()
                if left <= 0 or self.process.poll() is not None:
                    break
                self._changed.wait(min(left, 0.5))
        assert any(predicate in line for line in lines), (
            f"no {predicate!r} from {self.process.args}: {self.finish()}")

    def kill(self) -> bool:
        """SIGKILL it: True if the kill interrupted it, False if it had already finished
        cleanly (a kill sent after a timer can come too late on a fast or idle machine; the
        caller then checks that the finished work is complete)."""
        self.process.send_signal(signal.SIGKILL)
        self.finish()
        if self.process.returncode == 0:
            return False
        assert self.process.returncode == -signal.SIGKILL, self.process.returncode
        return True

    def finish(self, timeout: float = 30) -> str:
        """Wait for the end; its stderr."""
        self.process.wait(timeout)
        for reader in self._readers:
            reader.join(timeout)
        return "\n".join(self._errors)


def stop_started() -> None:
    """Kill whatever a test started and left running (after a failing assertion)."""
    while _STARTED:
        process = _STARTED.pop()
        if process.poll() is None:
            process.kill()
            process.wait()


# ---------------------------------------------------------------------------
# appends: the Engine appending in a loop until it is killed


class _ConnectionKiller:
    """Stands in for the store's connection and kills the process at one COMMIT: just
    before it (the batch is written but not committed) or just after (committed, not yet
    reported). Everything else goes to the real connection."""

    def __init__(self, conn: Any, when: str) -> None:
        self._conn = conn
        self._when = when

    def execute(self, sql: str, *args: Any) -> Any:
        if sql == "COMMIT" and self._when == "before-commit":
            os.kill(os.getpid(), signal.SIGKILL)
        result = self._conn.execute(sql, *args)
        if sql == "COMMIT" and self._when == "after-commit":
            os.kill(os.getpid(), signal.SIGKILL)
        return result

    def __getattr__(self, name: str) -> Any:
        return getattr(self._conn, name)


class _ReportingStore:
    """The real store, printing each batch's event ids before the append (intent) and
    again once the append has returned (committed), flushed, so the parent knows exactly
    what was promised when the process died."""

    def __init__(self, store: Any, kill_at: int | None, when: str) -> None:
        self._store = store
        self._appends = 0
        self._kill_at = kill_at
        self._when = when

    def append(self, events: Sequence[Any], **kwargs: Any) -> Any:
        ids = [event.event_id for event in events]
        print(json.dumps({"intent": ids}), flush=True)
        self._appends += 1
        if self._appends == self._kill_at:
            self._store._conn = _ConnectionKiller(self._store._conn, self._when)
        stored = self._store.append(events, **kwargs)
        print(json.dumps({"committed": ids}), flush=True)
        return stored

    def __getattr__(self, name: str) -> Any:
        return getattr(self._store, name)


def appends(db: str, prefix: str, kill_at: int | None = None, when: str = "") -> None:
    """Apply, note, schedule and hold interviews, offer and accept (which writes to every
    other open application in one batch) until killed: by the parent at a random moment,
    or by itself at its ``kill_at``-th append, just ``when`` (before-commit, after-commit)."""
    from datetime import datetime

    from afterview.engine.domain import events as ev
    from afterview.engine.runtime.clock import fixed_clock
    from afterview.engine.service.api import Engine
    from afterview.engine.store.sqlite import SQLiteStore

    store = _ReportingStore(SQLiteStore(db), kill_at, when)
    engine = Engine(store, clock=fixed_clock(datetime.fromisoformat(NOW)))  # type: ignore[arg-type]
    print(json.dumps({"ready": prefix}), flush=True)
    for number in range(1_000_000):
        app_id = engine.apply(ev.ApplicationSubmitted(f"{prefix} Co {number}", "Engineer"),
                              at=datetime.fromisoformat("2026-11-02T09:00:00-05:00"))
        app_id = app_id.application.id
        steps: list[Any] = [
            ev.NoteAdded(f"note {number}"),
            ev.InterviewScheduled(1, "2026-11-18T10:00:00-05:00"),  # held before now
            ev.InterviewHeld(1, ("Ana",)),
            ev.ThankYouSent(("Ana",)),
            ev.OfferReceived(ev.OfferTerms("USD", 100000 + number)),
        ]
        for step in steps:
            engine.record(app_id, step)
        if number % 3 == 2:
            # At most one application is accepted at once: the previous acceptance (this
            # worker's, or one a killed worker left) is voided first, across streams too.
            _void_acceptances(engine)
            engine.record(app_id, ev.OfferAccepted())  # tasks on every other open application


def _void_acceptances(engine: Any) -> None:
    from afterview.engine.domain import events as ev

    for app in engine.applications():
        if app.state == "accepted":
            [accepted] = [f for f in engine.facts(app.id) if isinstance(f.event, ev.OfferAccepted)
                          and f.event_id not in {v.event.event_id for v in engine.facts(app.id)
                                                 if isinstance(v.event, ev.EventVoided)}]
            engine.void(accepted.event_id, "only one offer is accepted at a time")


# ---------------------------------------------------------------------------
# commands: one writer among several, each command through the real CLI


def _commands(name: str, count: int, rng: random.Random) -> list[list[str]]:
    """A writer's mix: its own applications, and notes and thanks on the shared one."""
    own: list[str] = []
    planned: list[list[str]] = []
    for number in range(count):
        pick = rng.random()
        if not own or pick < 0.2:
            app_id = f"{name}-{number}"
            own.append(app_id)
            planned.append(["apply", f"{name} Co", f"Role {number}", "--id", app_id,
                            "--at", "2026-10-01"])
        elif pick < 0.6:
            planned.append(["note", SHARED_APP, f"{name} note {number}"])
        elif pick < 0.75:
            planned.append(["thanks", SHARED_APP, "--to", f"{name}-{number}"])
        else:
            planned.append(["note", rng.choice(own), f"{name} own note {number}"])
    return planned


def commands(db: str, name: str, count: int, start_file: str | None = None) -> None:
    """Run ``count`` commands through the real CLI entry point, starting together with the
    other writers once ``start_file`` exists."""
    os.environ["AFTERVIEW_DB"] = db
    os.environ.setdefault("AFTERVIEW_NOW", NOW)
    rng = random.Random(name)
    planned = _commands(name, count, rng)
    import afterview.cli.main  # noqa: F401  # imported before the start, so the writers start together

    print(json.dumps({"ready": name}), flush=True)
    while start_file is not None and not Path(start_file).exists():
        time.sleep(0.001)
    conflicts = _count_conflicts()
    for argv in planned:
        ran = run_cli(argv)
        print(json.dumps({"argv": argv, "code": ran.code, "stderr": ran.stderr}), flush=True)
    print(json.dumps({"conflicts": conflicts[0]}), flush=True)


def _count_conflicts() -> list[int]:
    """Count the appends the store refused because another writer got there first (the
    engine decides again and retries); the count is in the returned one-item list."""
    from afterview.engine.store.base import ConcurrencyError
    from afterview.engine.store.sqlite import SQLiteStore

    count = [0]
    append = SQLiteStore.append

    def counting(self: SQLiteStore, *args: Any, **kwargs: Any) -> Any:
        try:
            return append(self, *args, **kwargs)
        except ConcurrencyError:
            count[0] += 1
            raise

    SQLiteStore.append = counting  # type: ignore[method-assign]
    return count


# ---------------------------------------------------------------------------
# script: a whole session in one process


def script(db: str, commands_file: str) -> None:
    """Run every argv of the JSON list in ``commands_file`` through the real CLI against
    ``db``; one JSON line per command, as ``commands`` prints."""
    os.environ["AFTERVIEW_DB"] = db
    os.environ.setdefault("AFTERVIEW_NOW", NOW)
    for argv in json.loads(Path(commands_file).read_text()):
        ran = run_cli(argv)
        print(json.dumps({"argv": argv, "code": ran.code, "stderr": ran.stderr}), flush=True)


if __name__ == "__main__":
    if sys.argv[1] == "appends":
        appends(sys.argv[2], sys.argv[3], *([int(sys.argv[4]), sys.argv[5]] if len(sys.argv) > 4 else []))
    elif sys.argv[1] == "commands":
        commands(sys.argv[2], sys.argv[3], int(sys.argv[4]), *sys.argv[5:6])
    elif sys.argv[1] == "script":
        script(sys.argv[2], sys.argv[3])
    else:
        raise SystemExit(f"unknown worker {sys.argv[1]!r}")
