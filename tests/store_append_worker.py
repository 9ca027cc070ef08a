"""One writer process for tests/test_store_processes.py.

Usage: store_append_worker.py DATABASE WRITER COUNT START_FILE. Opens the store, prints
"ready", waits for START_FILE to exist, then appends COUNT events to app-1 the way the CLI
does (read the version, append expecting it, run again on a conflict), pausing a moment
between appends, and prints the number of conflicts it met. Any other error ends it with a
traceback on stderr.
"""

from __future__ import annotations

import random
import sys
import time
from pathlib import Path
from uuid import uuid4

from afterview.engine.store.base import ConcurrencyError, NewEvent
from afterview.engine.store.sqlite import SQLiteStore

STREAM = "app-1"
OCCURRED = "2024-05-01T14:30:00+02:00"


def append_one(store: SQLiteStore, writer: str, number: int) -> int:
    """Append one event, retrying on conflicts; returns how many conflicts it met."""
    conflicts = 0
    while True:
        version = store.stream_version(STREAM)
        data = {"writer": writer, "number": number}
        event = NewEvent(STREAM, uuid4().hex, "NoteAdded", 1, data, {"actor": writer}, OCCURRED)
        try:
            store.append([event], expected_versions={STREAM: version}, recorded_at=OCCURRED)
            return conflicts
        except ConcurrencyError:
            conflicts += 1


def main(database: str, writer: str, count: int, start_file: str) -> None:
    with SQLiteStore(database) as store:
        print("ready", flush=True)
        while not Path(start_file).exists():
            time.sleep(0.001)
        conflicts = 0
        for number in range(count):
            conflicts += append_one(store, writer, number)
            # A command does some work between appends. Without this pause one writer
            # re-takes the lock at once and SQLite's backing-off busy handler lets the
            # other wait until it is done, so the two would not really interleave.
            time.sleep(random.uniform(0, 0.001))
    print(conflicts, flush=True)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4])
