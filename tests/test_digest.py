"""The daily digest: overdue tasks, today's tasks and today's interviews, sent once a day
from workday_start on by the daemon or by tick (recorded as DigestSent, keyed by the day),
and shown by ``afterview digest``. An overdue task is in every digest until it is closed.

The clock is Friday 20 November 2026, 10:00 in New York (the `cli` fixture)."""

from __future__ import annotations

import json
import shlex
import sqlite3
import sys
from pathlib import Path

import pytest

from conftest import CLI
from test_daemon import Daemon

HOOK = """\
import json, pathlib, sys
payload = json.loads(sys.stdin.read())
with open(sys.argv[1], "a") as out:
    out.write(json.dumps(payload) + "\\n")
"""


@pytest.fixture
def search(cli: CLI) -> CLI:
    """acme: its follow-up due Mon 16 Nov (overdue); globex: an interview today at 15:00,
    its debrief task due at 17:00, and a thank-you due today at 16:00 (after an interview
    debriefed yesterday); initech: nothing due."""
    cli.ok("apply", "Acme", "Dev", "--at", "2026-11-02")
    cli.ok("apply", "Globex", "Dev", "--at", "2026-11-18")
    cli.ok("debrief", "globex", "--with", "Ann", "--at", "2026-11-19T16:00")
    cli.ok("interview", "globex", "--on", "today 15:00")
    cli.ok("apply", "Initech", "Dev", "--at", "2026-11-19")
    return cli


def _digests(cli: CLI) -> list[dict[str, object]]:
    with sqlite3.connect(cli.db) as conn:
        rows = conn.execute("SELECT data FROM events WHERE type = 'DigestSent'").fetchall()
    return [json.loads(row[0]) for row in rows]


def test_digest_shows_overdue_today_and_interviews(search: CLI) -> None:
    digest = search.json("digest")
    assert (digest["kind"], digest["date"]) == ("digest", "2026-11-20")
    assert [t["kind"] for t in digest["overdue"]] == ["follow-up-application"]
    assert [(t["application"], t["kind"]) for t in digest["today"]] == [
        ("globex-dev", "thank-you"), ("globex-dev", "debrief")]
    (interview,) = digest["interviews"]
    assert (interview["company"], interview["at"]) == ("Globex", "2026-11-20T15:00:00-05:00")
    text = search.ok("digest")
    assert text.startswith("Digest for today")
    assert "Follow up on your application to Acme" in text and "Interview round 2 at Globex" in text
    assert _digests(search) == []  # showing it records nothing


def test_tick_sends_the_digest_once_a_day_and_overdue_tasks_come_back(search: CLI) -> None:
    first = search.json("tick", "--no-desktop")
    assert first["digest"]["date"] == "2026-11-20"
    assert "digest" not in search.json("tick", "--no-desktop")  # once a day
    [sent] = _digests(search)
    assert sent["day"] == "2026-11-20" and len(sent["task_ids"]) == 3
    saturday = search.env(AFTERVIEW_NOW="2026-11-21T09:30:00-05:00")
    again = search.json("tick", "--no-desktop", env=saturday)["digest"]
    assert [t["kind"] for t in again["overdue"]] == ["follow-up-application", "thank-you",
                                                     "debrief"]
    assert len(_digests(search)) == 2


def test_no_digest_before_workday_start_or_when_turned_off(search: CLI) -> None:
    early = search.env(AFTERVIEW_NOW="2026-11-20T08:59:00-05:00")
    assert "digest" not in search.json("tick", "--no-desktop", env=early)
    search.ok("config", "set", "digest", "off")
    assert "digest" not in search.json("tick", "--no-desktop")
    assert _digests(search) == []


def test_tick_prints_one_digest_line_and_the_hook_gets_kind_digest(search: CLI,
                                                                  tmp_path: Path) -> None:
    hook, received = tmp_path / "hook.py", tmp_path / "received.jsonl"
    hook.write_text(HOOK)
    out = search.ok("tick", "--no-desktop", "--hook",
                    shlex.join([sys.executable, str(hook), str(received)]))
    assert "digest 2026-11-20: 1 overdue, 2 due today, 1 interview" in out
    payloads = [json.loads(line) for line in received.read_text().splitlines()]
    [digest] = [p for p in payloads if p["kind"] == "digest"]
    assert digest["date"] == "2026-11-20" and len(digest["interviews"]) == 1


def test_the_daemon_sends_it_once_across_restarts(search: CLI) -> None:
    first = Daemon(search)
    try:
        first.wait_for(lambda: any(" digest 2026-11-20:" in line for _, line in first.out))
        first.wait_ready()
    finally:
        assert first.stop()[0] == 0
    second = Daemon(search)
    try:
        second.wait_ready()  # it has looked at the log (the digest comes first)
    finally:
        assert second.stop()[0] == 0
    assert not any("digest" in line for _, line in second.out)
    assert len(_digests(search)) == 1


def test_two_engines_send_it_once(search: CLI) -> None:
    from afterview.engine.service.api import Engine
    from afterview.engine.store.sqlite import SQLiteStore
    from conftest import clock_at

    with SQLiteStore(search.db) as one, SQLiteStore(search.db) as other:
        clock = clock_at("2026-11-20T10:00:00-05:00")
        sent = [Engine(store, clock=clock).send_digest() for store in (one, other)]
    assert [d is not None for d in sent] == [True, False]
    assert len(_digests(search)) == 1
