"""`afterview verify` against a log edited behind the engine's back: every edit is found,
and the first bad position is named. Run through the real command line."""

from __future__ import annotations

import json
import shutil
import sqlite3
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest

from afterview.engine.store.base import NewEvent
from afterview.engine.store.sqlite import SQLiteStore, event_hash
from conftest import CLI, ZONE

TRIGGERS = {
    "events_no_update": "CREATE TRIGGER events_no_update BEFORE UPDATE ON events"
    " BEGIN SELECT RAISE(ABORT, 'afterview events are append-only'); END",
    "events_no_delete": "CREATE TRIGGER events_no_delete BEFORE DELETE ON events"
    " BEGIN SELECT RAISE(ABORT, 'afterview events are append-only'); END",
}


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small, healthy log built once through the CLI; each test edits its own copy."""
    runner = CLI(tmp_path_factory.mktemp("template") / "afterview.db")
    runner.ok("config", "set", "timezone", ZONE)
    runner.ok("apply", "Acme", "Backend Engineer", "--at", "2026-11-02", "--id", "acme")
    runner.ok("apply", "Beta", "SRE", "--at", "2026-11-03", "--id", "beta")
    runner.ok("interview", "acme", "--on", "2026-11-24T10:00", "--at", "2026-11-10")
    runner.ok("note", "beta", "recruiter called")
    return runner.db


@pytest.fixture
def log(template: Path, tmp_path: Path) -> CLI:
    for suffix in ("", "-wal"):
        if Path(f"{template}{suffix}").exists():
            shutil.copy(f"{template}{suffix}", tmp_path / f"afterview.db{suffix}")
    return CLI(tmp_path / "afterview.db")


def sql(db: Path, *statements: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Edit or read the file directly, as someone with a text editor for SQLite would."""
    with closing(sqlite3.connect(db)) as conn:
        rows: list[tuple[Any, ...]] = []
        for statement in statements:
            rows = conn.execute(statement, params if "?" in statement else ()).fetchall()
        conn.commit()
    return rows


def behind_the_back(db: Path, *statements: str, params: tuple[Any, ...] = ()) -> None:
    """Drop the append-only triggers, run the edit, and put the triggers back, so that
    only the chain can tell."""
    sql(db, *(f"DROP TRIGGER {name}" for name in TRIGGERS))
    sql(db, *statements, params=params)
    sql(db, *TRIGGERS.values())


def position_of(db: Path, type_name: str) -> int:
    return int(sql(db, "SELECT min(position) FROM events WHERE type = ?", params=(type_name,))[0][0])


def last(db: Path) -> tuple[int, str]:
    position, head = sql(db, "SELECT position, hash FROM events ORDER BY position DESC LIMIT 1")[0]
    return int(position), str(head)


def broken(cli: CLI, *args: str) -> dict[str, Any]:
    """Run `verify --json` expecting a failure (exit 1); the report."""
    report = json_report(cli, *args)
    assert report["ok"] is False
    return report


def json_report(cli: CLI, *args: str) -> dict[str, Any]:
    done = cli.run("--json", "verify", *args)
    assert "Traceback" not in done.stderr
    report: dict[str, Any] = json.loads(done.stdout)
    assert done.returncode == (0 if report["ok"] else 1), done.stderr
    return report


# --- a healthy log ---------------------------------------------------------------------


def test_verify_prints_the_count_and_the_head(log: CLI) -> None:
    count, head = log.event_count(), last(log.db)[1]
    assert log.ok("verify").strip() == f"ok: {count} events, head {head}"
    report = json_report(log)
    assert report == report | {"ok": True, "events": count, "head": head, "problems": []}
    assert {"ok", "events", "head", "problems"} <= set(report)


def test_expect_passes_with_the_head_and_fails_once_the_last_row_is_gone(log: CLI) -> None:
    position, head = last(log.db)
    log.ok("verify", "--expect", head.upper())
    behind_the_back(log.db, f"DELETE FROM events WHERE position = {position}")
    # Cutting off the end leaves a chain that is consistent in itself ...
    assert log.ok("verify").startswith("ok:")
    # ... which is why the head is worth keeping elsewhere.
    report = broken(log, "--expect", head)
    assert any(head in problem and "expected" in problem for problem in report["problems"])


# --- edits behind the engine's back ------------------------------------------------------


def test_dropped_triggers_are_reported(log: CLI) -> None:
    sql(log.db, "DROP TRIGGER events_no_delete")
    report = broken(log)
    assert report["problems"] == ["append-only triggers are missing"]


def test_changed_row_is_named(log: CLI) -> None:
    position = position_of(log.db, "InterviewScheduled")
    behind_the_back(log.db, "UPDATE events SET data = replace(data, '2026-11-24', '2026-11-25') "
                            f"WHERE position = {position}")
    report = broken(log)
    assert report["problems"][0].startswith(f"position {position}:")
    # People see the same, after the verdict.
    done = log.run("verify")
    assert done.returncode == 1 and done.stdout.startswith("BROKEN")
    assert f"  position {position}: " in done.stdout


def test_changed_row_with_triggers_left_dropped_names_both(log: CLI) -> None:
    position = position_of(log.db, "NoteAdded")
    sql(log.db, *(f"DROP TRIGGER {name}" for name in TRIGGERS))
    sql(log.db, f"UPDATE events SET recorded_at = '2026-01-01T00:00:00-05:00' "
                f"WHERE position = {position}")
    problems = broken(log)["problems"]
    assert problems[0].startswith(f"position {position}:")
    assert "append-only triggers are missing" in problems


def test_row_whose_data_is_no_longer_json_is_named(log: CLI) -> None:
    position = position_of(log.db, "NoteAdded")
    behind_the_back(log.db, f"UPDATE events SET data = '{{\"text\": ' WHERE position = {position}")
    report = broken(log)
    assert report["problems"][0].startswith(f"position {position}:")
    assert report["first_bad_position"] == position


def test_deleted_row_is_named(log: CLI) -> None:
    position = position_of(log.db, "InterviewScheduled")
    behind_the_back(log.db, f"DELETE FROM events WHERE position = {position}")
    report = broken(log)
    assert report["problems"][0].startswith(f"position {position}:")
    assert report["events"] == log.event_count()


def test_inserted_row_is_named(log: CLI) -> None:
    position = last(log.db)[0]
    columns = ("stream_id, version, event_id, type, schema_version, data, metadata, "
               "occurred_at, recorded_at, prev_hash, hash")
    behind_the_back(
        log.db,
        f"INSERT INTO events (position, {columns}) SELECT position + 1, stream_id, version + 1, "
        "'forged-id', type, schema_version, data, metadata, occurred_at, recorded_at, hash, "
        f"hash FROM events WHERE position = {position}",
    )
    report = broken(log)
    assert report["problems"][0].startswith(f"position {position + 1}:")


def test_swapped_rows_are_named(log: CLI) -> None:
    first, second = position_of(log.db, "ApplicationSubmitted"), position_of(log.db, "NoteAdded")
    behind_the_back(
        log.db,
        f"UPDATE events SET position = -1 WHERE position = {first}",
        f"UPDATE events SET position = {first} WHERE position = {second}",
        f"UPDATE events SET position = {second} WHERE position = -1",
    )
    report = broken(log)
    assert report["problems"][0].startswith(f"position {first}:")


def test_forged_row_with_a_recomputed_chain_is_caught_by_expect(log: CLI) -> None:
    """Someone who knows the hash function can extend the chain; only a head kept
    elsewhere shows it."""
    position, head = last(log.db)
    version = sql(log.db, "SELECT max(version) + 1 FROM events WHERE stream_id = 'acme'")[0][0]
    row = (position + 1, "acme", version, "forged-note", "NoteAdded", 1, '{"text":"forged"}', "{}",
           "2026-11-20T09:00:00-05:00", "2026-11-20T09:00:00-05:00")
    sql(log.db, "INSERT INTO events VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        params=(*row, head, event_hash(head, row)))
    assert log.ok("verify").startswith("ok:")
    assert any("expected" in p for p in broken(log, "--expect", head)["problems"])


def test_lifecycle_violation_with_a_correct_chain_is_named(log: CLI) -> None:
    with SQLiteStore(log.db) as store:
        store.append(
            [NewEvent("gamma", "00000000-0000-4000-8000-00000000000a", "ApplicationSubmitted", 2,
                      {"company": "Gamma", "role": "Dev"}, {}, "2026-11-05T09:00:00-05:00"),
             NewEvent("gamma", "00000000-0000-4000-8000-00000000000b", "OfferAccepted", 1,
                      {"start_date": None}, {}, "2026-11-06T09:00:00-05:00")],
            expected_versions={"gamma": 0}, recorded_at="2026-11-20T09:00:00-05:00",
        )
    position = last(log.db)[0]
    report = broken(log)
    assert report["problems"] == [
        f"position {position}: OfferAccepted is not allowed when gamma is applied"]
    assert report["first_bad_position"] == position
