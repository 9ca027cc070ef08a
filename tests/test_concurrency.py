"""Several CLI processes and a daemon writing to one database at once.

Four writer processes run the real CLI entry point command after command (their own
applications, and notes and thank-yous on one shared application) while the daemon fires
the tasks those commands make due. Nothing may be lost: the log holds exactly what the
commands reported as done; versions stay contiguous; a command that cannot proceed says so
in one ``error:`` line, never "database is locked" and never a traceback.
"""

from __future__ import annotations

import json
import os
import re
import signal
import sys
import time
from collections import Counter
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from afterview.engine.runtime.clock import fixed_clock
from afterview.engine.service.api import Engine
from afterview.engine.store.sqlite import SQLiteStore
from conftest import afterview_command
from crash_worker import NOW, SHARED_APP, ZONE, InProcessCLI, Watched, stop_started
from test_projections import assert_projections_are_a_fresh_fold

WORKER = Path(__file__).with_name("crash_worker.py")
WRITERS = 4
COMMANDS_EACH = 75


@pytest.fixture(autouse=True)
def _no_leftover_processes() -> Iterator[None]:
    yield
    stop_started()


def env_for(db: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AFTERVIEW_")}
    return {**env, "AFTERVIEW_DB": str(db), "AFTERVIEW_NOW": NOW, "TZ": ZONE}


def run_writers(db: Path, tmp_path: Path,
                conflicts: list[int]) -> tuple[list[dict[str, Any]], Watched]:
    """The daemon and the writers, started together; every command's outcome, and how
    many conflicts each writer met (and retried)."""
    daemon = Watched([*afterview_command(), "daemon", "--no-desktop", "--poll", "0.1"],
                     env_for(db))
    start = tmp_path / "start"
    writers = [Watched([sys.executable, str(WORKER), "commands", str(db), f"w{n}",
                        str(COMMANDS_EACH), str(start)], env_for(db)) for n in range(WRITERS)]
    for writer in writers:
        writer.wait_for('"ready"')
    daemon.wait_for("open task", stderr=True)
    start.touch()
    outcomes = []
    for writer in writers:
        err = writer.finish(timeout=120)
        assert writer.process.returncode == 0 and err == "", err
        outcomes += [json.loads(line) for line in writer.lines if line.startswith('{"argv"')]
        conflicts.append(json.loads(writer.lines[-1])["conflicts"])
    return outcomes, daemon


def stop(daemon: Watched, db: Path) -> str:
    """Once the daemon has fired every task the writers made due, stop it with SIGTERM."""
    deadline = time.monotonic() + 30
    while due_unfired(db) and time.monotonic() < deadline:
        time.sleep(0.1)
    daemon.process.send_signal(signal.SIGTERM)
    err = daemon.finish()
    assert daemon.process.returncode == 0, err
    assert due_unfired(db) == [], "the daemon missed tasks made due while it ran"
    return err


def due_unfired(db: Path) -> list[str]:
    with SQLiteStore(db) as store:
        due = Engine(store, clock=fixed_clock(datetime.fromisoformat(NOW))).due_tasks()
    return [task.id for task in due]


def test_writers_and_a_daemon_at_once_lose_nothing_and_fail_cleanly(tmp_path: Path) -> None:
    db = tmp_path / "afterview.db"
    cli = InProcessCLI(db)
    cli.ok("config", "set", "timezone", ZONE)
    cli.ok("apply", "Shared", "Role", "--id", SHARED_APP, "--at", "2026-10-01")
    conflicts: list[int] = []
    outcomes, daemon = run_writers(db, tmp_path, conflicts)
    daemon_err = stop(daemon, db)

    assert len(outcomes) == WRITERS * COMMANDS_EACH
    for outcome in outcomes:
        lines = outcome["stderr"].splitlines()
        if outcome["code"] == 0:
            assert all(line.startswith("warning:") for line in lines), outcome
            continue
        assert outcome["code"] in (1, 2) and len(lines) == 1, outcome
        assert lines[0].startswith("error: ") and "locked" not in lines[0], outcome
        assert re.search(r"(changed|kept changing) while this command ran|busy", lines[0]), outcome
    for text in ("Traceback", "locked", "unexpected"):
        assert text not in daemon_err
    done = [o["argv"] for o in outcomes if o["code"] == 0]
    failed = len(outcomes) - len(done)
    assert failed <= len(outcomes) // 20, f"{failed} commands refused: conflicts are retried"
    assert sum(conflicts) > 0, "no writer ever met a conflict: the retry path went untested"

    with SQLiteStore(db) as store:
        events = list(store.read_all())
        report = store.check_chain()
        # Each writer wrote its projection rows in its append's transaction: they are
        # current and equal a fresh fold, whatever order the processes committed in.
        assert_projections_are_a_fresh_fold(store)
    assert report.ok, report.problems
    assert_contiguous_versions(events)
    assert_exactly_what_was_done(events, done)
    fired = Counter(e.data["task_id"] for e in events if e.type == "TaskFired")
    assert fired and max(fired.values()) == 1
    by_actor = Counter(json.loads(e.metadata_json)["actor"] for e in events)
    digests = sum(1 for e in events if e.type == "DigestSent")  # once a day, if due by then
    assert digests <= 1
    assert by_actor["daemon"] == sum(fired.values()) + digests
    shared = [e for e in events if e.stream_id == SHARED_APP]
    assert_they_really_overlapped(events, shared)
    print(f"{WRITERS} writers + daemon: {len(done)} commands done, {failed} refused, "
          f"{len(events)} events, {len(shared)} on the shared application, "
          f"{sum(fired.values())} firings, {sum(conflicts)} conflicts retried")


def assert_they_really_overlapped(events: list[Any], shared: list[Any]) -> None:
    """Otherwise this test would prove nothing about writing at once: the writers' runs of
    facts on the shared application overlap (not one after the other). How much they overlap
    depends on how busy the machine is (on a loaded machine one writer may finish its share
    before another starts), so it is enough that two of them interleaved; that writes really
    collided is shown by the conflicts the writers retried."""
    writer_of = [e.data["text"].split()[0] if e.type == "NoteAdded" else e.data["to"][0][:2]
                 for e in shared if e.type in ("NoteAdded", "ThankYouSent")]
    spans = {w: (writer_of.index(w), len(writer_of) - 1 - writer_of[::-1].index(w))
             for w in set(writer_of)}
    assert len(spans) == WRITERS, f"only {sorted(spans)} wrote to the shared application"
    assert any(o_first < last and first < o_last
               for writer, (first, last) in spans.items()
               for other, (o_first, o_last) in spans.items() if other != writer), (
        f"the writers wrote one after another: {spans}")
    firings = [e.position for e in events if e.type == "TaskFired"]
    by_cli = [e.position for e in events if json.loads(e.metadata_json)["actor"] == "cli"]
    assert min(firings) < max(by_cli), "the daemon fired only after the writers were done"


def assert_contiguous_versions(events: list[Any]) -> None:
    versions: dict[str, list[int]] = {}
    for event in events:
        versions.setdefault(event.stream_id, []).append(event.version)
    for stream, seen in versions.items():
        assert seen == list(range(1, len(seen) + 1)), stream


def assert_exactly_what_was_done(events: list[Any], done: list[list[str]]) -> None:
    """Every command that reported success is in the log once; nothing else is."""
    notes = Counter((e.stream_id, e.data["text"]) for e in events if e.type == "NoteAdded")
    thanks = Counter(tuple(e.data["to"]) for e in events if e.type == "ThankYouSent")
    submitted = {e.stream_id for e in events if e.type == "ApplicationSubmitted"}
    expected_notes = Counter((argv[1], argv[2]) for argv in done if argv[0] == "note")
    expected_thanks = Counter((argv[3],) for argv in done if argv[0] == "thanks")
    expected_apps = {argv[4] for argv in done if argv[0] == "apply"} | {SHARED_APP}
    assert notes == expected_notes
    assert thanks == expected_thanks
    assert submitted == expected_apps


_ACCEPT_AT_ONCE = """
import sys, time
from pathlib import Path
start = Path(sys.argv[1])
print("ready", flush=True)
while not start.exists():
    time.sleep(0.005)
from afterview.cli.main import main
main(sys.argv[2:])
"""


def test_twenty_concurrent_acceptances_accept_exactly_one(tmp_path: Path) -> None:
    """20 processes run `accept` on two offered applications at the same moment: exactly
    one succeeds; the others are one clean error line each; the log verifies."""
    db = tmp_path / "search.db"
    with SQLiteStore(db) as store:
        engine = Engine(store, clock=fixed_clock(datetime.fromisoformat(NOW)))
        from afterview.engine.domain import events as ev

        for app_id in ("acme", "globex"):
            engine.apply(ev.ApplicationSubmitted(app_id.title(), "Engineer"),
                         application_id=app_id, at=datetime.fromisoformat("2026-11-02T09:00-05:00"))
            engine.record(app_id, ev.OfferReceived(ev.OfferTerms("USD", 100000)),
                          at=datetime.fromisoformat("2026-11-10T09:00-05:00"))
        before = store.head()[0]
    start = tmp_path / "start"
    racers = [Watched([sys.executable, "-c", _ACCEPT_AT_ONCE, str(start), "accept",
                       ("acme", "globex")[n % 2]], env_for(db)) for n in range(20)]
    for racer in racers:
        racer.wait_for("ready")
    start.touch()
    errors = [racer.finish(timeout=120) for racer in racers]
    codes = [racer.process.returncode for racer in racers]
    assert codes.count(0) == 1, (codes, errors)
    for code, err in zip(codes, errors, strict=True):
        if code != 0:
            lines = err.strip().splitlines()
            assert len(lines) == 1 and lines[0].startswith("error: "), err
            assert "Traceback" not in err
    with SQLiteStore(db) as store:
        engine = Engine(store, clock=fixed_clock(datetime.fromisoformat(NOW)))
        assert [a.state for a in engine.applications()].count("accepted") == 1
        accepted = [e for e in store.read_all(before) if e.type == "OfferAccepted"]
        assert len(accepted) == 1
        assert store.check_chain().ok
