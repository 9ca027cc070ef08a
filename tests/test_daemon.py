"""``afterview daemon`` as a real process on a real file, on the wall clock (no AFTERVIEW_NOW):
overdue tasks fire at start, a task entered while it runs fires on time, SIGKILL and restart
fire nothing twice and lose nothing, two daemons fire each task once, signals stop it.

Tasks due a few seconds from now are made with ``thank_you_hours`` = 1 and an interview
recorded as held one hour (minus a few seconds) ago.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from afterview.engine.domain import events as ev
from afterview.engine.service.api import Engine
from afterview.engine.store.sqlite import SQLiteStore
from conftest import CLI, ZONE, afterview_command

pytestmark = pytest.mark.slow

POLL = 1.0
# Where no latency is asserted, the daemon checks for changes five times as often: a window
# "time enough for a wrong second firing to show" then spans more of its checks, not fewer,
# in less time.
QUICK_POLL = 0.2
TZ = ZoneInfo(ZONE)


def wall_now() -> datetime:
    return datetime.now(TZ)


class Daemon:
    """A running ``afterview daemon`` whose output lines are collected with their arrival
    times (wall clock)."""

    def __init__(self, cli: CLI, *args: str, before: tuple[str, ...] = ()) -> None:
        self.proc = subprocess.Popen(
            [*afterview_command(), *before, "daemon", "--poll", str(POLL), "--no-desktop", *args],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=cli.env(),
        )
        self.out: list[tuple[float, str]] = []
        self.err: list[tuple[float, str]] = []
        self._readers = [
            threading.Thread(target=self._read, args=(self.proc.stdout, self.out), daemon=True),
            threading.Thread(target=self._read, args=(self.proc.stderr, self.err), daemon=True),
        ]
        for reader in self._readers:
            reader.start()

    @staticmethod
    def _read(stream: object, into: list[tuple[float, str]]) -> None:
        for line in stream:  # type: ignore[attr-defined]
            into.append((time.time(), line.rstrip("\n")))

    def wait_for(self, found: Callable[[], bool], timeout: float = 15) -> None:
        deadline = time.monotonic() + timeout
        while not found():
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out; stdout={self.out} stderr={self.err}")
            if self.proc.poll() is not None:
                time.sleep(0.2)  # let the readers drain
                raise AssertionError(f"daemon exited {self.proc.returncode}: {self.err}")
            time.sleep(0.02)

    def wait_ready(self) -> None:
        self.wait_for(lambda: any("open task" in line for _, line in self.err))

    def fired(self) -> list[str]:
        """Task ids in the order the daemon printed their firing lines."""
        return [line.split()[2] for _, line in self.out if " fired " in line]

    def fired_at(self, task_id: str) -> list[float]:
        return [t for t, line in self.out if f" fired {task_id} " in line]

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 5) -> tuple[int, float]:
        """Send ``sig``; the exit status and how long it took to exit."""
        started = time.monotonic()
        self.proc.send_signal(sig)
        code = self.proc.wait(timeout=timeout)
        for reader in self._readers:
            reader.join(timeout=2)
        return code, time.monotonic() - started

    def kill(self) -> None:
        self.proc.kill()
        self.proc.wait(timeout=5)
        for reader in self._readers:
            reader.join(timeout=2)


@pytest.fixture
def live(tmp_path: Path) -> CLI:
    """The real CLI on the wall clock; thank-you notes due one hour after an interview."""
    return CLI(tmp_path / "live.db", now=None)


@pytest.fixture
def daemons() -> Iterator[list[Daemon]]:
    """Started daemons, killed at the end whatever happened."""
    started: list[Daemon] = []
    yield started
    for daemon in started:
        if daemon.proc.poll() is None:
            daemon.kill()


def _engine(cli: CLI) -> Engine:
    return Engine(SQLiteStore(cli.db), clock=wall_now)


def _setup(cli: CLI, overdue: int, soon: list[float]) -> tuple[list[str], dict[str, datetime]]:
    """``overdue`` applications whose follow-up fell due long ago, and one thank-you due
    ``s`` seconds from now for each ``s`` in ``soon``. Returns the overdue task ids and the
    soon task ids with their due times."""
    engine = _engine(cli)
    try:
        engine.set_setting("timezone", ZONE)
        engine.set_setting("thank_you_hours", "1")
        # Firings only: on the wall clock the day's digest would go out too, or not,
        # depending on the hour (tests/test_digest.py runs it at a fixed time).
        engine.set_setting("digest", "off")
        now = wall_now()
        late = []
        for number in range(overdue):
            result = engine.apply(ev.ApplicationSubmitted(f"Old{number}", "Dev"),
                                  at=now - timedelta(days=40))
            late += [t.id for t in result.application.open_tasks()]
        due_soon = {}
        for number, seconds in enumerate(soon):
            app = engine.apply(ev.ApplicationSubmitted(f"Soon{number}", "Dev"),
                               at=now - timedelta(hours=2)).application
            held = engine.record(app.id, ev.InterviewHeld(),
                                 at=now - timedelta(hours=1) + timedelta(seconds=seconds))
            [task] = [t for t in held.application.open_tasks() if t.kind == "thank-you"]
            due_soon[task.id] = task.due_at
        return late, due_soon
    finally:
        engine.store.close()


def _firings(cli: CLI) -> Counter[str]:
    """TaskFired events per task id in the database."""
    with sqlite3.connect(cli.db) as conn:
        rows = conn.execute("SELECT json_extract(data, '$.task_id') FROM events "
                            "WHERE type = 'TaskFired'").fetchall()
    return Counter(row[0] for row in rows)


def _wait_for_firings(cli: CLI, expected: int, timeout: float = 15) -> Counter[str]:
    deadline = time.monotonic() + timeout
    while sum((counts := _firings(cli)).values()) < expected:
        assert time.monotonic() < deadline, f"only {counts} fired"
        time.sleep(0.05)
    return counts


def test_overdue_tasks_fire_at_start_and_a_failing_hook_does_not_stop_it(
        live: CLI, daemons: list[Daemon]) -> None:
    late, soon = _setup(live, overdue=3, soon=[6])
    failing = f"{sys.executable} -c 'import sys; sys.exit(3)'"
    daemon = Daemon(live, "--hook", failing)
    daemons.append(daemon)
    daemon.wait_for(lambda: len(daemon.fired()) >= 3)
    assert sorted(daemon.fired()) == sorted(late)
    [(thank_you, due)] = soon.items()
    daemon.wait_for(lambda: thank_you in daemon.fired())
    # The hook runs after the line is printed; each failure is one line, and it goes on.
    daemon.wait_for(lambda: sum("exited with status 3" in line for _, line in daemon.err) == 4)
    time.sleep(0.3)
    assert daemon.proc.poll() is None
    assert daemon.fired_at(thank_you)[0] >= due.timestamp()  # never early
    code, took = daemon.stop()
    assert (code, took < 5) == (0, True)
    assert _firings(live) == Counter({task: 1 for task in [*late, thank_you]})
    assert daemon.err[-1][1] == "afterview daemon stopped"


def test_a_task_entered_while_it_runs_fires_within_poll_plus_one_second(
        live: CLI, daemons: list[Daemon]) -> None:
    engine = _engine(live)
    engine.set_setting("timezone", ZONE)
    engine.set_setting("thank_you_hours", "1")
    engine.apply(ev.ApplicationSubmitted("Acme", "Dev"), application_id="acme",
                 at=wall_now() - timedelta(hours=2))
    engine.store.close()
    daemon = Daemon(live)
    daemons.append(daemon)
    daemon.wait_ready()
    # Entered with the real CLI while the daemon runs: a thank-you due 5 s from now.
    due = (wall_now() + timedelta(seconds=5)).replace(microsecond=0)
    live.ok("debrief", "acme", "--at", (due - timedelta(hours=1)).isoformat())
    daemon.wait_for(lambda: any(" fired thank-you-" in line for _, line in daemon.out))
    [task] = daemon.fired()
    latency = daemon.fired_at(task)[0] - due.timestamp()
    # Snoozing a fired task gives it a new due time, at which it fires again.
    again = (wall_now() + timedelta(seconds=4)).replace(microsecond=0)
    live.ok("snooze", task, "--until", again.isoformat())
    daemon.wait_for(lambda: len(daemon.fired_at(task)) == 2)
    latency_again = daemon.fired_at(task)[1] - again.timestamp()
    print(f"\nfiring latency: {latency:.3f} s after a new task, {latency_again:.3f} s after "
          f"a snooze (poll {POLL:g} s)")
    assert 0 <= latency <= POLL + 1
    assert 0 <= latency_again <= POLL + 1
    assert _firings(live) == Counter({task: 2})
    assert daemon.stop()[0] == 0


def test_a_change_while_it_runs_touches_only_the_tasks_of_the_application_it_changed(
        live: CLI, daemons: list[Daemon]) -> None:
    """Reconcile looks only at the applications that changed: one snoozed then closed
    loses its job, another snoozed fires, and the third is neither planned again nor
    fired."""
    _, soon = _setup(live, overdue=0, soon=[3600, 3600, 3600])
    closed, snoozed, untouched = soon
    daemon = Daemon(live, "--poll", str(QUICK_POLL))
    daemons.append(daemon)
    daemon.wait_ready()
    until = (wall_now() + timedelta(seconds=6)).replace(microsecond=0)
    for task in (closed, snoozed):
        live.ok("snooze", task, "--until", until.isoformat())
    daemon.wait_for(lambda: sum(f"scheduled {closed} " in line for _, line in daemon.err) == 1)
    live.ok("done", closed)
    daemon.wait_for(lambda: snoozed in daemon.fired())
    time.sleep(max(0.0, (until - wall_now()).total_seconds()) + QUICK_POLL + 0.5)
    assert _firings(live) == Counter({snoozed: 1})
    assert daemon.fired() == [snoozed]
    planned = [line.split()[1] for _, line in daemon.err if line.startswith("scheduled ")]
    assert sorted(planned) == sorted([closed, snoozed])
    assert untouched not in planned
    assert daemon.stop()[0] == 0


def test_sigkill_and_restart_fire_nothing_twice_and_lose_nothing(
        live: CLI, daemons: list[Daemon]) -> None:
    late, soon = _setup(live, overdue=4, soon=[3, 4, 5])
    first = Daemon(live, "--poll", str(QUICK_POLL))
    daemons.append(first)
    first.wait_for(lambda: len(first.fired()) >= 1)
    first.kill()  # SIGKILL: no clean-up at all
    killed_at = wall_now()
    # Stay down until everything has fallen due: what fell due meanwhile fires at start.
    time.sleep(max(0.0, (max(soon.values()) - killed_at).total_seconds()) + 0.5)
    second = Daemon(live, "--poll", str(QUICK_POLL))
    daemons.append(second)
    counts = _wait_for_firings(live, len(late) + len(soon))
    assert sum(counts.values()) == len(late) + len(soon)
    time.sleep(QUICK_POLL + 0.5)  # time enough for a wrong second firing (or line) to show
    assert _firings(live) == Counter({task: 1 for task in [*late, *soon]})
    # Nobody was told twice (a firing committed just before the kill may go untold).
    print(f"\nfirst daemon told {len(first.fired())}, second {len(second.fired())}")
    assert not set(first.fired()) & set(second.fired())
    assert len(second.fired()) == len(set(second.fired()))
    assert second.stop()[0] == 0


def test_two_daemons_on_one_database_fire_each_task_exactly_once(
        live: CLI, daemons: list[Daemon]) -> None:
    late, soon = _setup(live, overdue=6, soon=[3, 3, 4])
    pair = [Daemon(live, "--poll", str(QUICK_POLL)), Daemon(live, "--poll", str(QUICK_POLL))]
    daemons.extend(pair)
    _wait_for_firings(live, len(late) + len(soon))
    time.sleep(QUICK_POLL + 0.5)
    assert _firings(live) == Counter({task: 1 for task in [*late, *soon]})
    told = Counter(task for daemon in pair for task in daemon.fired())
    assert told == Counter({task: 1 for task in [*late, *soon]})
    assert [daemon.stop()[0] for daemon in pair] == [0, 0]


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_a_signal_stops_it_cleanly(live: CLI, daemons: list[Daemon], sig: int) -> None:
    _setup(live, overdue=0, soon=[3600])
    daemon = Daemon(live)
    daemons.append(daemon)
    daemon.wait_ready()
    code, took = daemon.stop(sig)
    assert code == 0
    assert took < 3
    lines = [line for _, line in daemon.err]
    assert lines[-1] == "afterview daemon stopped"
    assert not any("Traceback" in line for line in lines)


def test_with_json_each_firing_is_one_task_object_per_line(live: CLI, daemons: list[Daemon]) -> None:
    import json

    late, _ = _setup(live, overdue=2, soon=[])
    daemon = Daemon(live, before=("--json",))
    daemons.append(daemon)
    def firings() -> list[dict[str, object]]:  # the digest, if due on the wall clock, aside
        return [t for t in (json.loads(line) for _, line in daemon.out) if t["kind"] != "digest"]

    daemon.wait_for(lambda: len(firings()) == 2)
    tasks = firings()
    assert sorted(t["id"] for t in tasks) == sorted(late)
    assert all(t["fired"] and t["kind"] == "follow-up-application" for t in tasks)
    assert daemon.stop()[0] == 0


def test_many_due_tasks_fire_once_each_with_a_line_each_and_no_more(
        live: CLI, daemons: list[Daemon]) -> None:
    """Reconcile never plans a queued task again: 300 due tasks are 300 firing lines and a
    few lines on stderr, however many polls pass while they fire (benchmarks/daemon_scale.py
    times 5,000 against tick)."""
    late, _ = _setup(live, overdue=300, soon=[])
    daemon = Daemon(live, "--poll", str(QUICK_POLL))
    daemons.append(daemon)
    _wait_for_firings(live, len(late), timeout=120)
    time.sleep(2 * QUICK_POLL + 0.5)  # time enough for a repeated firing or a line per poll
    assert _firings(live) == Counter({task: 1 for task in late})
    assert sorted(daemon.fired()) == sorted(late)
    assert daemon.stop()[0] == 0
    assert len(daemon.out) == len(late)
    assert [line for _, line in daemon.err] == [
        daemon.err[0][1], f"{len(late)} open tasks scheduled, {len(late)} due now",
        "afterview daemon: SIGTERM received, stopping", "afterview daemon stopped"]


def _other_log(folder: Path, overdue: int) -> Path:
    """A second, closed database with ``overdue`` due tasks, to move over the live one."""
    folder.mkdir()
    other = CLI(folder / "other.db", now=None)
    _setup(other, overdue=overdue, soon=[])
    return other.db


def test_a_database_replaced_under_it_is_read_and_one_deleted_stops_it(
        live: CLI, daemons: list[Daemon], tmp_path: Path) -> None:
    _setup(live, overdue=0, soon=[3600])
    restored = _other_log(tmp_path / "backup", overdue=2)
    daemon = Daemon(live, "--poll", str(QUICK_POLL))
    daemons.append(daemon)
    daemon.wait_ready()
    os.replace(restored, live.db)  # a restored backup, moved into place
    daemon.wait_for(lambda: len(daemon.fired()) == 2)
    assert any("was replaced by another file" in line for _, line in daemon.err)
    assert sum(_firings(live).values()) == 2
    live.db.unlink()
    code = daemon.proc.wait(timeout=15)
    for reader in daemon._readers:
        reader.join(timeout=2)
    assert code == 1
    said = [line for _, line in daemon.err]
    assert any("is missing (deleted or moved)" in line for line in said), said
    assert said[-1] == "afterview daemon stopped"
    assert not live.db.exists(), "the daemon made an empty database in its place"


def test_an_unreadable_database_is_reported_once_and_retried_less_often(
        live: CLI, daemons: list[Daemon], tmp_path: Path) -> None:
    _setup(live, overdue=0, soon=[3600])
    daemon = Daemon(live, "--poll", "0.1")
    daemons.append(daemon)
    daemon.wait_ready()
    garbage = tmp_path / "garbage"
    garbage.write_bytes(b"this is not a database\n" * 100)
    os.replace(garbage, live.db)
    daemon.wait_for(lambda: any("could not read the log" in line for _, line in daemon.err))
    time.sleep(2)  # twenty polls
    complaints = [line for _, line in daemon.err if "could not read the log" in line]
    assert len(complaints) == 1, complaints
    os.replace(_other_log(tmp_path / "fixed", overdue=1), live.db)
    daemon.wait_for(lambda: len(daemon.fired()) == 1)
    assert daemon.stop()[0] == 0
