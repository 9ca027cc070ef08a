"""One writer process for tests/test_store_processes.py.

Usage: store_append_worker.py DATABASE WRITER COUNT START_FILE [TENANT]. Opens the store
(a SQLite file, or with TENANT that tenant's log in the postgresql:// DATABASE), prints
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

from afterview.engine.store.base import ConcurrencyError, EventStore, NewEvent

STREAM = "app-1"
OCCURRED = "2024-05-01T14:30:00+02:00"


def open_database(database: str, tenant: str | None) -> EventStore:
    if tenant is None:
        from afterview.engine.store.sqlite import SQLiteStore

        return SQLiteStore(database)
    from afterview.engine.store.postgres import PostgresStore

    return PostgresStore(database, tenant)


def append_one(store: EventStore, writer: str, number: int) -> int:
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


def main(database: str, writer: str, count: int, start_file: str, tenant: str | None) -> None:
    store = open_database(database, tenant)
    try:
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
    finally:
        store.close()
    print(conflicts, flush=True)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4],
         sys.argv[5] if len(sys.argv) > 5 else None)
