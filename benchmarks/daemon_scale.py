"""The daemon at scale: N applications whose follow-up fell due long ago, fired once by
``afterview tick`` and once by ``afterview daemon`` (each on its own copy of the log).

    python benchmarks/daemon_scale.py                 # 5,000 due tasks
    python benchmarks/daemon_scale.py --tasks 500 --json

Prints, for each: the seconds until every task had fired, the firings recorded, and the
lines it wrote (stdout and stderr). The daemon's time runs from its start to the moment
the last ``TaskFired`` is in the log (the database is polled every 50 ms), so it includes
the start-up and first reconcile, as tick's does. Each firing is a commit with an fsync,
so on a shared machine the disk sets the pace and varies from minute to minute: tick and
the daemon run in turns (``--rounds``, default 3), each round on fresh copies, and the
ratio of each round is reported with the median. Figures: docs/daemon.md.
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
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

ZONE = "America/New_York"


def make_log(path: Path, tasks: int) -> None:
    """``tasks`` applications submitted 40 days ago: each has one follow-up task, due."""
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
        submitted = datetime.now(ZoneInfo(ZONE)) - timedelta(days=40)

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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tasks", type=int, default=5000)
    parser.add_argument("--poll", type=float, default=2.0)
    parser.add_argument("--timeout", type=float, default=600.0)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--dir", type=Path, help="where the logs go (default: a temp folder)")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    folder = Path(tempfile.mkdtemp(prefix="afterview-daemon-", dir=args.dir))
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
