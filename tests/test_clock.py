"""The one clock: the engine is handed it, and `AFTERVIEW_NOW` replaces it for every
command (what "now" is for defaults, for `recorded_at` and for due checks)."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from afterview.engine.domain import events as ev
from afterview.engine.runtime.clock import ENV_NOW, system_clock
from afterview.engine.service.api import Engine
from afterview.engine.store.sqlite import SQLiteStore
from conftest import CLI, NOW, ZONE


def submitted_row(cli: CLI, app_id: str) -> dict[str, str]:
    rows = cli.json("history", app_id)
    row: dict[str, str] = rows[0]
    assert row["type"] == "ApplicationSubmitted"
    return row


# --- the command line ---------------------------------------------------------------


def test_afterview_now_is_when_facts_are_recorded_and_happen(cli: CLI) -> None:
    app_id = cli.ok("apply", "Acme", "Backend Engineer").strip()
    row = submitted_row(cli, app_id)
    assert row["recorded_at"] == row["occurred_at"] == NOW


def test_an_offset_in_afterview_now_is_kept(cli: CLI) -> None:
    tokyo = "2026-07-01T08:30:00+09:00"
    app_id = cli.ok("apply", "Acme", "SRE", env=cli.env(AFTERVIEW_NOW=tokyo)).strip()
    row = submitted_row(cli, app_id)
    assert row["recorded_at"] == row["occurred_at"] == tokyo


def test_a_naive_afterview_now_is_read_in_the_configured_zone(cli: CLI) -> None:
    # The machine says New York (TZ in the fixture); the setting says Kolkata, and wins.
    cli.ok("config", "set", "timezone", "Asia/Kolkata")
    app_id = cli.ok("apply", "Acme", "SRE", env=cli.env(AFTERVIEW_NOW="2026-07-01T12:00")).strip()
    assert submitted_row(cli, app_id)["recorded_at"] == "2026-07-01T12:00:00+05:30"


def test_without_a_configured_zone_the_machines_zone_is_used(tmp_path: Path) -> None:
    cli = CLI(tmp_path / "afterview.db", now="2026-07-01T12:00")
    app_id = cli.ok("apply", "Acme", "SRE").strip()
    assert submitted_row(cli, app_id)["recorded_at"] == "2026-07-01T12:00:00-04:00"  # EDT


def test_relative_dates_and_due_checks_follow_afterview_now(cli: CLI) -> None:
    app_id = cli.ok("apply", "Acme", "SRE", "--at", "yesterday").strip()
    assert submitted_row(cli, app_id)["occurred_at"] == "2026-11-19T09:00:00-05:00"
    (task,) = cli.json("agenda")
    assert task["overdue"] is False
    due = datetime.fromisoformat(task["due_at"])
    later = (due + timedelta(hours=1)).isoformat()
    (task,) = cli.json("agenda", env=cli.env(AFTERVIEW_NOW=later))
    assert task["overdue"] is True


def test_a_bad_afterview_now_is_one_error_line(cli: CLI) -> None:
    count = cli.event_count()
    for bad in ("garbage", "2026-11-20", "2026-13-01T10:00", "   "):
        line = cli.refused("apply", "Acme", "SRE", code=2, env=cli.env(AFTERVIEW_NOW=bad))
        assert "AFTERVIEW_NOW" in line, bad
    assert cli.event_count() == count


# --- the engine ---------------------------------------------------------------------


def test_the_engine_records_with_the_clock_it_is_handed(tmp_path: Path) -> None:
    moment = datetime(2026, 3, 14, 9, 30, tzinfo=ZoneInfo("Europe/Berlin"))
    with SQLiteStore(tmp_path / "clock.db") as store:
        engine = Engine(store, clock=lambda: moment)
        result = engine.apply(ev.ApplicationSubmitted("Acme", "SRE"))
        (stored, *_) = engine.stored_events(result.application.id)
    assert datetime.fromisoformat(stored.recorded_at) == moment
    assert datetime.fromisoformat(stored.occurred_at) == moment


def test_system_clock_reads_afterview_now_at_every_call(monkeypatch: pytest.MonkeyPatch) -> None:
    clock = system_clock(ZoneInfo(ZONE))
    monkeypatch.setenv(ENV_NOW, "2026-11-20T10:00")
    assert clock().isoformat() == NOW
    monkeypatch.setenv(ENV_NOW, "2026-11-21T10:00:00+00:00")
    assert clock() == datetime(2026, 11, 21, 10, tzinfo=ZoneInfo("UTC"))
    monkeypatch.delenv(ENV_NOW)
    wall = datetime.now(ZoneInfo(ZONE))
    assert abs(clock() - wall) < timedelta(seconds=5)
    assert clock().tzinfo == ZoneInfo(ZONE)
