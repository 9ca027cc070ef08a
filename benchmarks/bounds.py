"""The raw SQLite bounds the benchmark compares afterview with: what plain SQL does on the
same rows, the same disk and the same PRAGMAs (see README.md), and the one-event appends
timed in alternation with their bound."""

from __future__ import annotations

import contextlib
import hashlib
import json
import sqlite3
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import synthetic

from afterview.engine.service.projections import PROJECTOR
from afterview.engine.store.sqlite import SQLiteStore, canonical_json

INTERLEAVE = 50  # one-event appends alternate with raw inserts in runs of this many
SELECT_ALL = ("SELECT position, stream_id, version, event_id, type, schema_version, data, "
              "metadata, occurred_at, recorded_at, prev_hash, hash FROM events ORDER BY position")
_INSERT_RAW = "INSERT INTO events VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"


def raw_connection(path: Path) -> sqlite3.Connection:
    """A plain connection with the PRAGMAs afterview uses (WAL, synchronous=FULL)."""
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA busy_timeout = 10000")
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = FULL")
    return conn


def raw_twin(source: Path, twin: Path) -> sqlite3.Connection:
    """An equivalent events table (the same DDL, indexes and triggers) in its own file."""
    conn = raw_connection(twin)
    with contextlib.closing(sqlite3.connect(source)) as original:
        ddl = [sql for (sql,) in original.execute(
            "SELECT sql FROM sqlite_master WHERE sql IS NOT NULL ORDER BY type = 'table' DESC")]
    for sql in ddl:
        conn.execute(sql)
    return conn


def all_rows(path: Path) -> list[tuple[Any, ...]]:
    """Every stored row as it is, to insert into the equivalent table."""
    with contextlib.closing(sqlite3.connect(path)) as conn:
        return [tuple(row) for row in conn.execute(SELECT_ALL)]


def raw_batch_insert(conn: sqlite3.Connection, rows: list[tuple[Any, ...]], size: int) -> float:
    """Plain INSERT of ready rows, one transaction per ``size`` rows; seconds taken."""
    started = time.perf_counter()
    for start in range(0, len(rows), size):
        conn.execute("BEGIN IMMEDIATE")
        conn.executemany(_INSERT_RAW, rows[start:start + size])
        conn.execute("COMMIT")
    return time.perf_counter() - started


def select_bound(path: Path) -> int:
    """SELECT every row and json.loads its data, the least any replay must do; rows read."""
    conn = raw_connection(path)
    try:
        loads, count = json.loads, 0
        for row in conn.execute(SELECT_ALL):
            loads(row[6])
            count += 1
        return count
    finally:
        conn.close()


def raw_rows_for(batches: Sequence[synthetic.Batch], first_position: int) -> list[tuple[Any, ...]]:
    """The rows a plain INSERT writes for these one-event appends (the stored columns,
    JSON already encoded, a hash-sized text in the hash columns)."""
    rows = []
    for offset, batch in enumerate(batches):
        (event,) = batch.events
        version = (batch.expected_versions[event.stream_id] or 0) + 1
        digest = hashlib.sha256(event.event_id.encode()).hexdigest()
        rows.append((first_position + offset, event.stream_id, version, event.event_id, event.type,
                     event.schema_version, canonical_json(event.data),
                     canonical_json(event.metadata), event.occurred_at, batch.recorded_at,
                     digest, digest))
    return rows


def one_event_appends(store: SQLiteStore, singles: Sequence[synthetic.Batch],
                      raw: sqlite3.Connection, raw_rows: list[tuple[Any, ...]]) -> tuple[float, float]:
    """Seconds for the one-event appends and for the raw commit-per-row inserts, run in
    alternating runs so both see the same disk and the same machine load."""
    engine_seconds = raw_seconds = 0.0
    for start in range(0, len(singles), INTERLEAVE):
        started = time.perf_counter()
        for row in raw_rows[start:start + INTERLEAVE]:
            raw.execute(_INSERT_RAW, row)  # autocommit: one transaction, one commit per row
        raw_seconds += time.perf_counter() - started
        started = time.perf_counter()
        for one in singles[start:start + INTERLEAVE]:
            # With the projection rows, in the same transaction, as every writer appends.
            store.append(one.events, expected_versions=one.expected_versions,
                         recorded_at=one.recorded_at, projector=PROJECTOR)
        engine_seconds += time.perf_counter() - started
    return engine_seconds, raw_seconds
