"""Crashes: real processes killed with SIGKILL at random (seeded) moments while they append,
import or fire. Afterwards the file is sound (``PRAGMA integrity_check``, ``afterview
verify``), every append that had returned is there, no batch is half there, and every due
task has fired exactly once.

SIGKILL ends a process without any clean-up, as a crash or the OOM killer would; it does not
simulate a power cut (the operating system still writes what SQLite handed it). The
workers live in ``crash_worker.py``.
"""

from __future__ import annotations

import json
import os
import random
import signal
import sqlite3
import sys
import time
from collections import Counter
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest

from afterview.engine.domain import events as ev
from afterview.engine.runtime.clock import fixed_clock
from afterview.engine.service.api import Engine
from afterview.engine.store.base import NewEvent
from afterview.engine.store.sqlite import SQLiteStore
from conftest import afterview_command
from crash_worker import NOW, ZONE, InProcessCLI, Watched, stop_started

WORKER = Path(__file__).with_name("crash_worker.py")
SEED = 20261120
APPEND_ROUNDS = 10
DAEMON_ROUNDS = 4


def assert_sound(db: Path) -> None:
    """The file passes SQLite's own check and ``afterview verify`` (chain, lifecycle, and
    projections current at the head and equal to a fresh fold: they were written in the
    transaction of the append that the kill cut short or let finish)."""
    conn = sqlite3.connect(db)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
    finally:
        conn.close()
    report = InProcessCLI(db).json("verify")
    assert report["ok"], report["problems"]
    assert report["projections"] == {"current": True, "problems": [], "rebuilt": None}


def stored_ids(db: Path) -> set[str]:
    conn = sqlite3.connect(db)
    try:
        return {row[0] for row in conn.execute("SELECT event_id FROM events")}
    finally:
        conn.close()


def worker_env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith("AFTERVIEW_")}


# --- single appends ----------------------------------------------------------------


def check_batches(db: Path, lines: list[str], *, last: str) -> tuple[int, int]:
    """Every committed batch is there whole; every batch is there whole or not at all; only
    the last batch may be missing. ``last``: "absent", "present" or "either". Returns
    (batches committed, events of them)."""
    present = stored_ids(db)
    intents = [json.loads(line)["intent"] for line in lines if line.startswith('{"intent"')]
    committed = [json.loads(line)["committed"] for line in lines if line.startswith('{"committed"')]
    assert intents[: len(committed)] == committed
    for batch in committed:
        assert set(batch) <= present, "an append that had returned is lost"
    for batch in intents:
        assert set(batch) <= present or not set(batch) & present, f"half a batch: {batch}"
    unreported = intents[len(committed):]
    assert len(unreported) <= 1
    if unreported and last != "either":
        assert (set(unreported[0]) <= present) == (last == "present"), last
    return len(committed), sum(map(len, committed))


@pytest.fixture
def db(tmp_path: Path) -> Path:
    path = tmp_path / "afterview.db"
    InProcessCLI(path).ok("config", "set", "timezone", ZONE)
    return path


def run_appender(db: Path, name: str, *kill: str) -> Watched:
    return Watched([sys.executable, str(WORKER), "appends", str(db), name, *kill], worker_env())


def test_appends_killed_at_random_moments_lose_nothing_that_returned(db: Path) -> None:
    rng = random.Random(SEED)
    batches = events = multi_stream = 0
    for round_ in range(APPEND_ROUNDS):
        worker = run_appender(db, f"r{round_}")
        worker.wait_for('"ready"')
        time.sleep(rng.uniform(0.02, 0.6))
        worker.kill()
        assert_sound(db)
        done, count = check_batches(db, worker.lines, last="either")
        batches, events = batches + done, events + count
    streams_per_batch: dict[str, set[str]] = {}
    with SQLiteStore(db) as store:
        for event in store.read_all():
            correlation = json.loads(event.metadata_json)["correlation_id"]
            streams_per_batch.setdefault(correlation, set()).add(event.stream_id)
    multi_stream = sum(len(streams) > 1 for streams in streams_per_batch.values())
    assert batches > APPEND_ROUNDS * 3, "the worker hardly ran: the kills proved little"
    assert multi_stream > 0, "no acceptance spanning applications was appended"
    print(f"{APPEND_ROUNDS} SIGKILLs during appends: {batches} batches / {events} events kept")


@pytest.mark.parametrize(("when", "last"), [("before-commit", "absent"),
                                             ("after-commit", "present")])
def test_a_kill_at_the_commit_leaves_the_batch_all_there_or_not_at_all(
        db: Path, when: str, last: str) -> None:
    # A worker's 10th and 16th appends are debriefs (the interview, the tasks it schedules
    # and closes, in one batch); its 19th is an acceptance that puts a task on every other
    # open application in the same batch.
    for round_, kill_at in enumerate((10, 16, 19)):
        worker = run_appender(db, f"{when}-{round_}", str(kill_at), when)
        worker.finish()
        assert worker.process.returncode == -signal.SIGKILL
        assert_sound(db)
        intents = [line for line in worker.lines if line.startswith('{"intent"')]
        assert len(intents) == kill_at and len(json.loads(intents[-1])["intent"]) > 1
        check_batches(db, worker.lines, last=last)


# --- a large import ---------------------------------------------------------------

IMPORT_APPS, NOTES_EACH = 100, 39  # 4000 events, 2.6 MB of JSON
IMPORT_ROUNDS = 4


def big_export(tmp_path: Path) -> tuple[Path, set[str]]:
    """An afterview export of thousands of events, and their ids."""
    source = tmp_path / "source.db"
    occurred = "2026-11-02T09:00:00-05:00"
    rows = []
    for number in range(IMPORT_APPS):
        stream = f"co-{number}-engineer"
        submitted = ev.to_data(ev.ApplicationSubmitted(f"Co {number}", "Engineer"))
        rows.append(NewEvent(stream, f"{stream}-0", "ApplicationSubmitted", 1, submitted,
                             {"actor": "cli"}, occurred))
        rows += [NewEvent(stream, f"{stream}-{n}", "NoteAdded", 1, {"text": f"note {n} " * 30},
                          {"actor": "cli"}, occurred) for n in range(1, NOTES_EACH + 1)]
    with SQLiteStore(source) as store:
        store.append(rows, expected_versions={}, recorded_at=NOW)
    export = tmp_path / "big.json"
    InProcessCLI(source).ok("export", "--output", str(export))
    return export, {row.event_id for row in rows}


def start_import(db: Path, export: Path) -> Watched:
    env = {**worker_env(), "AFTERVIEW_DB": str(db), "AFTERVIEW_NOW": NOW, "TZ": ZONE}
    return Watched([*afterview_command(), "import", str(export)], env)


def kill_once_the_write_began(importer: Watched, db: Path) -> bool:
    """SIGKILL as soon as the import's transaction has spilled pages into the WAL."""
    wal = Path(f"{db}-wal")
    start = wal.stat().st_size if wal.exists() else 0
    while not (wal.exists() and wal.stat().st_size > start + 256 * 1024):
        assert importer.process.poll() is None, "the import ended before it was seen writing"
        time.sleep(0.001)
    return importer.kill()


def test_an_import_killed_part_way_is_all_there_or_not_at_all(db: Path, tmp_path: Path) -> None:
    export, exported = big_export(tmp_path)
    InProcessCLI(db).ok("apply", "Mine", "Own Search", "--at", "2026-11-02")
    before = stored_ids(db)
    rng = random.Random(SEED)
    outcomes = []
    interrupted = []
    for round_ in range(IMPORT_ROUNDS):
        started = time.monotonic()
        importer = start_import(db, export)
        if round_ == 0:  # killed at a point it was seen at: writing, not yet committed
            interrupted.append(kill_once_the_write_began(importer, db))
            duration = time.monotonic() - started
        else:  # killed at a random moment, which may come after the import finished
            time.sleep(rng.uniform(0.2, 1.5 * duration))
            interrupted.append(importer.kill())
        assert_sound(db)
        imported = stored_ids(db) - before
        assert imported in (set(), exported), f"{len(imported)} of {len(exported)} imported"
        if not interrupted[-1]:  # finished before the kill: then it must all be there
            assert imported == exported
        outcomes.append("all" if imported else "none")
        if imported:
            break
    assert any(interrupted), "no kill reached a running import"

    finished = start_import(db, export)
    assert finished.finish() == "" and finished.process.returncode == 0
    assert stored_ids(db) == before | exported
    assert_sound(db)
    print(f"{len(outcomes)} SIGKILLs during an import of {len(exported)} events: {outcomes}")


# --- a daemon firing ------------------------------------------------------------------

FUTURE = "2027-03-01T12:00:00-05:00"  # every task below is due by then
APPS = 60


def many_due_tasks(db: Path) -> set[str]:
    """Applications with follow-ups, thank-yous and offer decisions; the ids of the tasks due
    at FUTURE."""
    store = SQLiteStore(db)
    try:
        engine = Engine(store, clock=fixed_clock(datetime.fromisoformat(NOW)))
        for number in range(APPS):
            app_id = engine.apply(ev.ApplicationSubmitted(f"Co {number}", "Engineer"),
                                  at=datetime.fromisoformat("2026-11-02T09:00:00-05:00"))
            if number % 2:
                engine.record(app_id.application.id, ev.InterviewHeld(1, ("Ana",)))
            if number % 5 == 0:
                engine.record(app_id.application.id, ev.OfferReceived(ev.OfferTerms("USD", 9)))
        due = Engine(store, clock=fixed_clock(datetime.fromisoformat(FUTURE))).due_tasks()
        return {task.id for task in due}
    finally:
        store.close()


def fired_counts(db: Path) -> Counter[str]:
    conn = sqlite3.connect(db)
    try:
        rows = conn.execute("SELECT data FROM events WHERE type = 'TaskFired'").fetchall()
    finally:
        conn.close()
    return Counter(json.loads(data)["task_id"] for (data,) in rows)


def count_fired(db: Path) -> int:
    conn = sqlite3.connect(db)
    try:
        return int(conn.execute("SELECT count(*) FROM events WHERE type = 'TaskFired'")
                   .fetchone()[0])
    finally:
        conn.close()


def start_daemon(db: Path) -> Watched:
    env = {**worker_env(), "AFTERVIEW_DB": str(db), "AFTERVIEW_NOW": FUTURE, "TZ": ZONE}
    return Watched([*afterview_command(), "daemon", "--no-desktop", "--poll", "0.2"], env)


def printed_firings(lines: list[str]) -> list[str]:
    return [line.split()[2] for line in lines if " fired " in line]


def test_a_daemon_killed_while_firing_fires_every_due_task_exactly_once(db: Path) -> None:
    due = many_due_tasks(db)
    assert len(due) > APPS, "not enough due tasks to kill the daemon in the middle"
    rng = random.Random(SEED)
    printed: list[str] = []
    killed_mid_way = 0
    for _ in range(DAEMON_ROUNDS):
        daemon = start_daemon(db)
        # Killed once it has fired a random share of what is left (at most half of it).
        so_far = sum(fired_counts(db).values())
        target = so_far + rng.randint(1, max(1, (len(due) - so_far) // 2))
        while count_fired(db) < target and daemon.process.poll() is None:
            time.sleep(0.002)
        daemon.kill()
        assert_sound(db)
        fired = fired_counts(db)
        assert max(fired.values(), default=1) == 1, "a task fired twice"
        # A firing is printed only after it is committed.
        assert set(printed_firings(daemon.lines)) <= set(fired)
        printed += printed_firings(daemon.lines)
        killed_mid_way += 0 < sum(fired.values()) < len(due)
    assert killed_mid_way >= DAEMON_ROUNDS - 1, "the kills missed the firing: it proved little"

    daemon = start_daemon(db)
    daemon.wait_for("daemon started", stderr=True)  # its SIGTERM handler is in place
    deadline = time.monotonic() + 60
    while sum(fired_counts(db).values()) < len(due) and time.monotonic() < deadline:
        time.sleep(0.1)
    daemon.process.send_signal(signal.SIGTERM)
    err = daemon.finish()
    assert daemon.process.returncode == 0 and "Traceback" not in err, err
    printed += printed_firings(daemon.lines)

    assert_sound(db)
    fired = fired_counts(db)
    assert set(fired) == due and set(fired.values()) == {1}
    assert max(Counter(printed).values()) == 1, "a task was announced twice"
    print(f"{DAEMON_ROUNDS} SIGKILLs of a daemon firing {len(due)} due tasks: each fired once")


@pytest.fixture(autouse=True)
def _no_leftover_processes() -> Iterator[None]:
    """A failing assertion must not leave a worker or a daemon running."""
    yield
    stop_started()
