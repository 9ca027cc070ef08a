"""Two real processes appending to one application at once (the CLI beside the daemon)."""

from __future__ import annotations

import itertools
import os
import subprocess
import sys
from pathlib import Path

from afterview.engine.store.sqlite import SQLiteStore

WORKER = Path(__file__).with_name("store_append_worker.py")
APPENDS_EACH = 200


def start_writer(database: Path, writer: str, start_file: Path) -> subprocess.Popen[str]:
    env = dict(os.environ)
    args = [sys.executable, str(WORKER), str(database), writer, str(APPENDS_EACH), str(start_file)]
    return subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)


def test_two_writers_on_one_application_lose_nothing(tmp_path: Path) -> None:
    database, start_file = tmp_path / "afterview.db", tmp_path / "start"
    SQLiteStore(database).close()
    writers = [start_writer(database, name, start_file) for name in ("cli", "daemon")]
    for writer in writers:
        assert writer.stdout is not None and writer.stdout.readline() == "ready\n"
    start_file.touch()
    outcomes = [writer.communicate(timeout=60) for writer in writers]

    # Nothing but ConcurrencyError (retried inside the worker) may reach a writer.
    assert [(w.returncode, err) for w, (_, err) in zip(writers, outcomes, strict=True)] == [
        (0, ""),
        (0, ""),
    ]
    with SQLiteStore(database) as store:
        events = store.read_stream("app-1")
        report = store.check_chain()
    assert [e.version for e in events] == list(range(1, 2 * APPENDS_EACH + 1))
    for name in ("cli", "daemon"):
        numbers = [e.data["number"] for e in events if e.data["writer"] == name]
        assert numbers == list(range(APPENDS_EACH))
    assert report.ok, report.problems
    assert report.events == 2 * APPENDS_EACH
    # The writers really ran at the same time (otherwise this test proved nothing).
    writers_in_order = [e.data["writer"] for e in events]
    switches = sum(a != b for a, b in itertools.pairwise(writers_in_order))
    assert switches > 1
