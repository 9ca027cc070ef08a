"""The daemon at scale: N applications whose follow-up fell due long ago, fired once by
``afterview tick`` and once by ``afterview daemon`` (each on its own copy of the log).

    python benchmarks/daemon_scale.py                 # 5,000 due tasks
    python benchmarks/daemon_scale.py --tasks 500 --json
    python benchmarks/daemon_scale.py --open-tasks 100000   # the daemon over 100,000 open tasks

Prints, for each: the seconds until every task had fired, the firings recorded, and the
lines it wrote (stdout and stderr). The daemon's time runs from its start to the moment
the last ``TaskFired`` is in the log (the database is polled every 50 ms), so it includes
the start-up and first reconcile, as tick's does. Each firing is a commit with an fsync,
so on a shared machine the disk sets the pace and varies from minute to minute: tick and
the daemon run in turns (``--rounds``, default 3), each round on fresh copies, and the
ratio of each round is reported with the median. Figures: docs/daemon.md.

``--open-tasks N`` measures something else: a log of N applications submitted an hour ago,
each with its follow-up task open and due in two weeks (written through the engine's batch
path, then checked by ``afterview verify``), served by one real daemon. It reports the
seconds until the daemon said it had scheduled them (its first reconcile; read from its
stderr, never guessed with a sleep), its memory then (VmRSS, VmHWM) and its CPU while idle
(``--idle`` seconds); then ``afterview snooze`` moves one task to ``--due-in`` seconds
from now, and it reports when the daemon scheduled it (after the snooze's commit), how
late the ``TaskFired`` row was against the new due time (the log is polled every 10 ms; the
target is within ``--poll`` + 1 s), and the memory after the firing. Last, in a process of
its own, what a reconcile reads: ``Engine.open_tasks_since`` from the position the daemon
had seen before the snooze (what one change costs) and from -1 (the full reconcile at
start and every five minutes), tasks read and milliseconds (fastest of 5).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

ZONE = "America/New_York"


def make_log(path: Path, tasks: int, ago: timedelta = timedelta(days=40)) -> None:
    """``tasks`` applications submitted ``ago`` (40 days: each has one follow-up task, due;
    an hour: each has one follow-up task, due in two weeks)."""
    from afterview.engine.domain import events as ev
    from afterview.engine.service.api import Engine
    from afterview.engine.service.batch import run_batch
    from afterview.engine.service.unit_of_work import Actor
    from afterview.engine.store import open_store

    store = open_store(path)
    try:
        engine = Engine(store)
        engine.set_setting("timezone", ZONE)
        engine.set_setting("digest", "off")  # firings only: the daily digest is one more line
        submitted = datetime.now(ZoneInfo(ZONE)) - ago

        def build(batch: Any) -> None:
            for number in range(tasks):
                app_id = f"company-{number:05d}-engineer"
                batch.record(app_id, ev.ApplicationSubmitted(f"Company {number}", "Engineer"),
                             submitted)

        run_batch(engine, build, actor=Actor.CLI)
    finally:
        store.close()


def _env(db: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AFTERVIEW_")}
    return {**env, "AFTERVIEW_DB": str(db), "TZ": ZONE, "NO_COLOR": "1"}


def _afterview() -> list[str]:
    return [sys.executable, "-m", "afterview.cli.main"]


def _fired(db: Path) -> int:
    with sqlite3.connect(db) as conn:
        return int(conn.execute("SELECT count(*) FROM events WHERE type = 'TaskFired'")
                   .fetchone()[0])


def run_tick(db: Path) -> dict[str, Any]:
    started = time.perf_counter()
    done = subprocess.run([*_afterview(), "tick", "--no-desktop"], capture_output=True,
                          text=True, env=_env(db), check=True)
    took = time.perf_counter() - started
    lines = len(done.stdout.splitlines()) + len(done.stderr.splitlines())
    return {"seconds": round(took, 2), "fired": _fired(db), "lines": lines}


def run_daemon(db: Path, tasks: int, poll: float, timeout: float) -> dict[str, Any]:
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        started = time.perf_counter()
        daemon = subprocess.Popen([*_afterview(), "daemon", "--no-desktop", "--poll", str(poll)],
                                  stdout=out, stderr=err, text=True, env=_env(db))
        try:
            while _fired(db) < tasks:
                if time.perf_counter() - started > timeout or daemon.poll() is not None:
                    break
                time.sleep(0.05)
            took = time.perf_counter() - started
            time.sleep(2 * poll)  # a repeated firing or a line per poll would show now
        finally:
            daemon.send_signal(signal.SIGTERM)
            code = daemon.wait(timeout=60)
        out.seek(0)
        err.seek(0)
        lines = len(out.read().splitlines()) + len(err.read().splitlines())
    return {"seconds": round(took, 2), "fired": _fired(db), "lines": lines, "exit": code}


# ---------------------------------------------------------------------------
# One daemon over many open tasks (--open-tasks)


def _memory_mb(pid: int) -> dict[str, float]:
    """The process's resident memory now and at its peak (VmRSS, VmHWM), in MB."""
    found = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        name, _, value = line.partition(":")
        if name in ("VmRSS", "VmHWM"):
            found[name] = round(int(value.split()[0]) / 1024, 1)
    return found


def _cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime


def _wait_for(found: Any, what: str, daemon: subprocess.Popen[str], timeout: float) -> Any:
    """Poll ``found()`` every 10 ms until it answers; refuse if the daemon exits first."""
    deadline = time.perf_counter() + timeout
    while True:
        answer = found()
        if answer:
            return answer
        if daemon.poll() is not None:
            raise SystemExit(f"the daemon exited ({daemon.returncode}) before {what}")
        if time.perf_counter() > deadline:
            raise SystemExit(f"no {what} after {timeout:g} s")
        time.sleep(0.01)


def _line_with(path: Path, text: str) -> bool:
    return text in path.read_text()


def _a_task(db: Path) -> tuple[str, str, int]:
    """The follow-up task of the application in the middle, and the log's head."""
    with sqlite3.connect(db) as conn:
        count = conn.execute("SELECT count(*) FROM events WHERE type = 'TaskScheduled'")
        row = conn.execute("SELECT stream_id, data FROM events WHERE type = 'TaskScheduled' "
                           "ORDER BY position LIMIT 1 OFFSET ?",
                           (count.fetchone()[0] // 2,)).fetchone()
        head = conn.execute("SELECT max(position) FROM events").fetchone()[0]
    return row[0], json.loads(row[1])["task_id"], int(head)


def _fired_at(db: Path, app_id: str, due: datetime) -> datetime | None:
    """When the firing of ``app_id``'s task at ``due`` was recorded, if it was."""
    with sqlite3.connect(db) as conn:
        rows = conn.execute("SELECT data, recorded_at FROM events WHERE type = 'TaskFired' "
                            "AND stream_id = ?", (app_id,)).fetchall()
    for data, recorded_at in rows:
        if datetime.fromisoformat(json.loads(data)["due_at"]) == due:
            return datetime.fromisoformat(recorded_at)
    return None


def _reads(db: Path, position: int) -> dict[str, Any]:
    """What ``open_tasks_since`` reads from ``position`` (one change) and from -1 (all)."""
    from afterview.engine.service.api import Engine
    from afterview.engine.store import open_store

    store = open_store(db)
    try:
        engine = Engine(store)
        found = {}
        for name, since in (("after_one_change", position), ("full", -1)):
            best, changes = float("inf"), None
            for _ in range(5):
                started = time.perf_counter()
                changes = engine.open_tasks_since(since)
                best = min(best, time.perf_counter() - started)
            assert changes is not None
            covered = changes.applications
            found[name] = {"ms": round(best * 1000, 3), "tasks_read": len(changes.tasks),
                           "applications": None if covered is None else len(covered)}
        return found
    finally:
        store.close()


def run_open(folder: Path, tasks: int, poll: float, due_in: float, idle: float,
             timeout: float, log: Path | None = None) -> dict[str, Any]:
    """See the module docstring; ``log``: a log this made before (kept, and used again)."""
    db = log or folder / "open.db"
    started = time.perf_counter()
    built = not db.exists()
    if built:
        make_log(db, tasks, ago=timedelta(hours=1))
    result: dict[str, Any] = {"open_tasks": tasks, "poll": poll, "due_in": due_in,
                              "build_seconds": round(time.perf_counter() - started, 1)
                              if built else None}
    with sqlite3.connect(db) as conn:
        result["events"] = conn.execute("SELECT count(*) FROM events").fetchone()[0]
    started = time.perf_counter()
    verified = subprocess.run([*_afterview(), "verify"], capture_output=True, text=True,
                              env=_env(db), check=False)
    result["verify"] = {"exit": verified.returncode, "seconds":
                        round(time.perf_counter() - started, 1),
                        "said": (verified.stdout + verified.stderr).strip()[:120]}
    out, err = folder / "daemon.out", folder / "daemon.err"
    app_id, task_id, head = _a_task(db)
    with out.open("w") as out_file, err.open("w") as err_file:
        started = time.perf_counter()
        daemon = subprocess.Popen([*_afterview(), "daemon", "--no-desktop", "--poll", str(poll)],
                                  stdout=out_file, stderr=err_file, text=True, env=_env(db))
        try:
            _wait_for(lambda: _line_with(err, "open tasks scheduled"), "first reconcile",
                      daemon, timeout)
            result["ready_seconds"] = round(time.perf_counter() - started, 2)
            result["memory_ready_mb"] = _memory_mb(daemon.pid)
            cpu = _cpu_seconds(daemon.pid)
            result["cpu_to_ready_seconds"] = round(cpu, 2)
            time.sleep(idle)  # only to measure what an idle daemon costs
            result["idle_cpu_percent"] = round(
                100 * (_cpu_seconds(daemon.pid) - cpu) / idle, 1)
            until = datetime.now(UTC) + timedelta(seconds=due_in)
            started = time.perf_counter()
            snoozed = subprocess.run([*_afterview(), "snooze", task_id, "--until",
                                      until.isoformat()], capture_output=True, text=True,
                                     env=_env(db), check=False)
            if snoozed.returncode:
                raise SystemExit(f"afterview snooze failed: {snoozed.stderr.strip()}")
            result["snooze_cli_seconds"] = round(time.perf_counter() - started, 2)
            _wait_for(lambda: _line_with(err, f"scheduled {task_id}"), "reconcile", daemon,
                      timeout)
            result["scheduled_after_snooze_seconds"] = round(time.perf_counter() - started, 2)
            recorded = _wait_for(lambda: _fired_at(db, app_id, until), "firing", daemon,
                                 timeout)
            seen = datetime.now(UTC)
            result["fired_late_seconds"] = {
                "recorded": round((recorded - until).total_seconds(), 3),
                "seen_in_log": round((seen - until).total_seconds(), 3),
                "allowed": poll + 1}
            result["memory_after_firing_mb"] = _memory_mb(daemon.pid)
        finally:
            daemon.send_signal(signal.SIGTERM)
            result["exit"] = daemon.wait(timeout=60)
    result["daemon_lines"] = {"stdout": len(out.read_text().splitlines()),
                              "stderr": err.read_text().splitlines()[:3]}
    result["reconcile_reads"] = _reads(db, head)
    return result


def print_open(result: dict[str, Any]) -> None:
    late = result["fired_late_seconds"]
    reads = result["reconcile_reads"]
    built = "used again" if result["build_seconds"] is None else (
        f"built in {result['build_seconds']} s")
    print(f"{result['open_tasks']:,} open tasks, {result['events']:,} events "
          f"({built}; verify exit {result['verify']['exit']} in "
          f"{result['verify']['seconds']} s: {result['verify']['said']})")
    print(f"ready (first reconcile) after {result['ready_seconds']} s, "
          f"{result['cpu_to_ready_seconds']} s CPU; memory {result['memory_ready_mb']}")
    print(f"idle: {result['idle_cpu_percent']} % of a core")
    print(f"snooze to now + {result['due_in']:g} s: CLI "
          f"{result['snooze_cli_seconds']} s, scheduled by the daemon "
          f"{result['scheduled_after_snooze_seconds']} s after the CLI started")
    print(f"fired late by {late['recorded']} s (recorded_at), {late['seen_in_log']} s (seen in "
          f"the log); allowed {late['allowed']} s")
    print(f"memory after the firing {result['memory_after_firing_mb']}; exit {result['exit']}")
    for name, read in reads.items():
        print(f"open_tasks_since {name}: {read['tasks_read']:,} tasks read "
              f"({read['applications']} applications) in {read['ms']} ms")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tasks", type=int, default=5000)
    parser.add_argument("--poll", type=float, default=2.0)
    parser.add_argument("--timeout", type=float, default=600.0)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--dir", type=Path, help="where the logs go (default: a temp folder)")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--open-tasks", type=int, metavar="N",
                        help="one daemon over N open tasks due in two weeks (see above)")
    parser.add_argument("--log", type=Path, metavar="PATH",
                        help="with --open-tasks: write the log there and keep it; an existing "
                             "one (made by this) is used again")
    parser.add_argument("--due-in", type=float, default=2.0,
                        help="with --open-tasks: the snoozed task's new due time, from now")
    parser.add_argument("--idle", type=float, default=10.0,
                        help="with --open-tasks: seconds over which the idle CPU is measured")
    args = parser.parse_args(argv)
    folder = Path(tempfile.mkdtemp(prefix="afterview-daemon-", dir=args.dir))
    if args.open_tasks:
        try:
            found = run_open(folder, args.open_tasks, args.poll, args.due_in, args.idle,
                             args.timeout, args.log)
        finally:
            shutil.rmtree(folder, ignore_errors=True)
        if args.json:
            print(json.dumps(found))
        else:
            print_open(found)
        return 0
    rounds = []
    try:
        template = folder / "template.db"
        make_log(template, args.tasks)
        for _ in range(args.rounds):
            for name in ("tick.db", "daemon.db"):
                for old in folder.glob(f"{name}*"):
                    old.unlink()
                shutil.copy(template, folder / name)
            tick = run_tick(folder / "tick.db")
            daemon = run_daemon(folder / "daemon.db", args.tasks, args.poll, args.timeout)
            ratio = round(daemon["seconds"] / max(tick["seconds"], 1e-9), 2)
            rounds.append({"tick": tick, "daemon": daemon, "daemon_over_tick": ratio})
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    ratios = sorted(r["daemon_over_tick"] for r in rounds)
    result = {"tasks": args.tasks, "poll": args.poll, "rounds": rounds,
              "median_daemon_over_tick": ratios[len(ratios) // 2]}
    if args.json:
        print(json.dumps(result))
        return 0
    for number, one in enumerate(rounds, 1):
        for name in ("tick", "daemon"):
            figure = one[name]
            print(f"round {number} {name:6} {figure['seconds']:8.2f} s  {figure['fired']:6} "
                  f"fired  {figure['lines']:7} lines")
        print(f"round {number} daemon / tick: {one['daemon_over_tick']:.2f}")
    print(f"median daemon / tick: {result['median_daemon_over_tick']:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
